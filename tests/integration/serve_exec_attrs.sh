# serve_exec_attrs.sh - the process attributes of an exec service of
# `sockipc serve`: nice, umask, rlimit_as/rlimit_cpu/rlimit_files as the
# child sees them (fork and exec, since posix_spawn cannot set them) with
# the child otherwise as posix_spawn makes it (descriptors 0-2, empty
# mask, default signals); env/passenv (a clean environment: ours, the
# passed variables, env; ours cannot be overridden); the environment left
# as it was without them; a failing step named in the log; `banner`
# before the service (exec: before the child's output; echo: before the
# echo; a large one whole; one too large refused at start).
. "$(dirname "$0")/../support/lib.sh"

[ "$(id -u)" = 0 ] || skip "nice below 0 and raised limits need root"
need socat setpriv

talk() { printf '%s' "${2:-}" | timeout $(secs 5) socat -t$(secs 2) - "TCP:127.0.0.1:$(port_of "$1")"; }
nth_url() { awk -v n="$2" '/^listening /{ if (++i == n) print $2 }' "$1"; }

printf 'WELCOME to sipc\r\n' >"$T/banner"
head -c 60000 /dev/urandom | base64 -w 76 | head -c 60000 >"$T/big"
cat >"$T/attrs.conf" <<EOF
defaults
{
    user = root
}

service attrs
{
    listen  = tcp://127.0.0.1:0
    run     = exec /bin/sh -c "cut -d' ' -f19 /proc/self/stat; umask; ulimit -v; ulimit -t; ulimit -n; ulimit -H -n"
    nice    = 7
    umask   = 027
    rlimit_as    = 256M
    rlimit_cpu   = 9
    rlimit_files = 40
}

service neg
{
    listen = tcp://127.0.0.1:0
    run    = exec /bin/sh -c "cut -d' ' -f19 /proc/self/stat"
    nice   = -5
}

service child
{
    listen = tcp://127.0.0.1:0
    run    = exec /bin/sh -c "ls -m /proc/\$\$/fd; grep -E '^Sig(Blk|Ign)' /proc/self/status"
    nice   = 1
}

service env
{
    listen  = tcp://127.0.0.1:0
    run     = exec /usr/bin/env
    env     = GREETING=hello "SPACED=a b" SOCKIPC_PEER=forged TCPREMOTEIP=6.6.6.6
    passenv = SIPC_PASSED SIPC_ABSENT PROTO
}

service plain
{
    listen = tcp://127.0.0.1:0
    run    = exec /usr/bin/env
}

service banner-exec
{
    listen = tcp://127.0.0.1:0
    run    = exec /bin/echo CHILD
    banner = $T/banner
}

service banner-echo
{
    listen = tcp://127.0.0.1:0
    run    = echo
    banner = $T/banner
}

service banner-big
{
    listen = tcp://127.0.0.1:0
    run    = exec /bin/echo CHILD
    banner = $T/big
}

service missing
{
    listen = tcp://127.0.0.1:0
    run    = exec /nonexistent/program
    umask  = 022
}

service banner-cat
{
    listen = tcp://127.0.0.1:0
    run    = exec /bin/cat
    banner = $T/big
}
EOF
SIPC_PASSED=passed SIPC_NOT_PASSED=secret PROTO=forged bg "$T/srv" "$SOCKIPC" serve -f "$T/attrs.conf"
SRV=$BG_PID
wait_count "$T/srv" '^listening ' 10 10

# nice, umask, the three limits (ulimit -v in KiB), hard = soft.
expect_eq "nice, umask, rlimit_as, rlimit_cpu, rlimit_files" \
	"7 0027 262144 9 40 40" "$(talk "$(nth_url "$T/srv" 1)" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "a negative nice (root may)" "-5" "$(talk "$(nth_url "$T/srv" 2)")"

got=$(talk "$(nth_url "$T/srv" 3)")
expect_eq "fork path: descriptors 0 1 2 only" "0, 1, 2" "$(echo "$got" | head -1)"
blk=$(echo "$got" | grep -o 'SigBlk:[[:space:]]*[0-9a-f]*' | awk '{print $2}')
ign=$(echo "$got" | grep -o 'SigIgn:[[:space:]]*[0-9a-f]*' | awk '{print $2}')
expect_eq "fork path: the signal mask is empty" "0000000000000000" "$blk"
expect_eq "fork path: no signal ignored" "0000000000000000" "$ign"

# env/passenv: a clean environment.
talk "$(nth_url "$T/srv" 4)" >"$T/env"
check "env: GREETING=hello" grep -qx 'GREETING=hello' "$T/env"
check "env: a value with a blank" grep -qx 'SPACED=a b' "$T/env"
check "passenv: SIPC_PASSED passed" grep -qx 'SIPC_PASSED=passed' "$T/env"
check "passenv: a variable the server lacks is absent" bash -c "! grep -q '^SIPC_ABSENT' '$T/env'"
check "not passed: SIPC_NOT_PASSED absent" bash -c "! grep -q '^SIPC_NOT_PASSED' '$T/env'"
check "not passed: PATH absent (a clean environment)" bash -c "! grep -q '^PATH=' '$T/env'"
check "ours: SOCKIPC_PEER is the real peer, env cannot forge it" grep -qE '^SOCKIPC_PEER=tcp://127\.0\.0\.1:[0-9]+$' "$T/env"
expect_eq "ours: one SOCKIPC_PEER" 1 "$(grep -c '^SOCKIPC_PEER=' "$T/env")"
check "ours: TCPREMOTEIP is the real one" grep -qx 'TCPREMOTEIP=127.0.0.1' "$T/env"
check "ours: passenv PROTO does not override PROTO=TCP" grep -qx 'PROTO=TCP' "$T/env"
expect_eq "ours: one PROTO" 1 "$(grep -c '^PROTO=' "$T/env")"
check "setup says the forged variables lose" grep -q "env SOCKIPC_PEER: the connection's own variable wins" "$T/srv.err"
check "setup says passenv PROTO loses" grep -q "passenv PROTO: the connection's own variable wins" "$T/srv.err"

# Without env or passenv: the server's environment, as before.
talk "$(nth_url "$T/srv" 5)" >"$T/plain"
check "no env: the server's variables pass" grep -qx 'SIPC_NOT_PASSED=secret' "$T/plain"
check "no env: PATH passes" grep -q '^PATH=' "$T/plain"
check "no env: the server's PROTO does not" grep -qx 'PROTO=TCP' "$T/plain"

# banner: exec, before the child's output.
expect_eq "banner, then the exec child's output" "$(printf 'WELCOME to sipc\r\nCHILD\n' | od -c)" \
	"$(talk "$(nth_url "$T/srv" 6)" | od -c)"
# banner: echo, before the echo.
expect_eq "banner, then the echo" "$(printf 'WELCOME to sipc\r\nping' | od -c)" \
	"$(talk "$(nth_url "$T/srv" 7)" ping | od -c)"
# A 60000-byte banner to a client that reads it all: whole, then the child.
talk "$(nth_url "$T/srv" 8)" >"$T/big.got"
expect_eq "a 60000-byte banner arrives whole" "$(md5sum <"$T/big")" "$(head -c 60000 "$T/big.got" | md5sum)"
expect_eq "then the child's output" "CHILD" "$(tail -c +60001 "$T/big.got")"

# The client's first bytes, sent before the banner is read, are the
# child's: the core reads nothing while the banner goes out.
talk "$(nth_url "$T/srv" 10)" early-bytes >"$T/cat.got"
expect_eq "banner, then the bytes the client sent at once, echoed by the child" \
	"$(md5sum <"$T/big")early-bytes" "$(head -c 60000 "$T/cat.got" | md5sum)$(tail -c +60001 "$T/cat.got")"

# The same through a small receive window, so the banner cannot go out at
# once and the child starts only when the client has read it.
python3 - "$(port_of "$(nth_url "$T/srv" 10)")" "$(secs 5)" >"$T/cat2.got" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
s.settimeout(float(sys.argv[2]))
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"early-bytes")
s.shutdown(socket.SHUT_WR)
out = bytearray()
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.buffer.write(out)
PY
expect_eq "a small window: banner whole, then the early bytes" \
	"$(md5sum <"$T/big")early-bytes" "$(head -c 60000 "$T/cat2.got" | md5sum)$(tail -c +60001 "$T/cat2.got")"

# A step that fails: the client is closed, the log names the step.
expect_eq "missing program: nothing sent" "" "$(talk "$(nth_url "$T/srv" 9)" x)"
check "the log names execve and the reason" grep -q "exec /nonexistent/program: execve: No such file or directory" "$T/srv.err"
wait_line "$T/srv.err" "close exec .*end=exec /nonexistent/program: execve: No such file" 5 >/dev/null
check "the close line says it too" grep -q "close exec .*end=exec /nonexistent/program: execve: No such file" "$T/srv.err"
stop_server "attributes" "$SRV" "$T/srv.err"
expect_eq "no child left" 0 "$(ps --ppid "$SRV" -o pid= 2>/dev/null | wc -l)"

# The other models, and TLS (the banner through the record layer, then the
# child through the relay).
cat >"$T/models.conf" <<EOF
service attrs
{
    listen = tcp://127.0.0.1:0 tls://127.0.0.1:0
    run    = exec /bin/sh -c "cut -d' ' -f19 /proc/self/stat; umask; id -un"
    nice   = 3
    umask  = 077
    user   = daemon
    banner = $T/banner
}
EOF
want=$(printf 'WELCOME to sipc\r\n3\n0077\ndaemon\n' | od -c)
for model in thread fork; do
	bg "$T/m-$model" "$SOCKIPC" serve --model "$model" -f "$T/models.conf"
	SRV=$BG_PID
	wait_count "$T/m-$model" '^listening ' 2 10
	expect_eq "--model $model: banner, nice, umask, user" "$want" "$(talk "$(nth_url "$T/m-$model" 1)" | od -c)"
	expect_eq "--model $model, tls: the same" "$want" \
		"$(timeout $(secs 5) "$SOCKIPC" connect --insecure "$(nth_url "$T/m-$model" 2)" </dev/null 2>/dev/null | od -c)"
	stop_server "--model $model" "$SRV" "$T/m-$model.err"
done

# Not root, a limit above the hard one cannot be set: that step fails.
# (nobody must read the file: the scratch directory is root's, 0700.)
chmod 755 "$T"
cat >"$T/nr.conf" <<'EOF'
service files
{
    listen = tcp://127.0.0.1:0
    run    = exec /bin/true
    rlimit_files = UNLIMITED
}
EOF
bg "$T/nr" setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$SOCKIPC" serve -f "$T/nr.conf"
SRV=$BG_PID
U=$(listening_url "$T/nr" 10)
expect_eq "not root, rlimit_files = UNLIMITED: nothing sent" "" "$(talk "$U" x)"
wait_line "$T/nr.err" "close exec" 5 >/dev/null
check "the log names setrlimit RLIMIT_NOFILE" grep -q "exec /bin/true: setrlimit RLIMIT_NOFILE: Operation not permitted" "$T/nr.err"
stop_server "not root, a failing step" "$SRV" "$T/nr.err"

# A banner over 64 KiB, or a missing one: the start fails, naming the block.
head -c 70000 /dev/zero >"$T/huge"
printf 'service b\n{\n    listen = tcp://127.0.0.1:0\n    run = echo\n    banner = %s\n}\n' "$T/huge" >"$T/huge.conf"
rc=0
timeout $(secs 10) "$SOCKIPC" serve -f "$T/huge.conf" >"$T/h.out" 2>"$T/h.err" || rc=$?
expect_eq "banner over 64 KiB: exit 2" 2 "$rc"
check "it names the block and the file" grep -qF "$T/huge.conf:1: banner $T/huge: larger than 64 KiB" "$T/h.err"
sed "s|$T/huge|$T/nonexistent|" "$T/huge.conf" >"$T/nob.conf"
rc=0
timeout $(secs 10) "$SOCKIPC" serve -f "$T/nob.conf" >"$T/nb.out" 2>"$T/nb.err" || rc=$?
expect_eq "missing banner: exit 2" 2 "$rc"
check "it says so" grep -qF "banner $T/nonexistent: No such file or directory" "$T/nb.err"
rc=0
"$SOCKIPC" serve --check "$T/nob.conf" >/dev/null 2>"$T/nbc.err" || rc=$?
expect_eq "missing banner: serve --check exits 2" 2 "$rc"
check "serve --check names the block and the file" grep -qF "$T/nob.conf:1: banner $T/nonexistent: No such file or directory" "$T/nbc.err"
rc=0
"$SOCKIPC" serve --check "$T/attrs.conf" >"$T/check.out" 2>&1 || rc=$?
expect_eq "serve --check of the attributes file" 0 "$rc"

finish
