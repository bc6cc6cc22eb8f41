# serve_exec.sh - the exec service of `sockipc serve`: a child per
# connection on its stdin/stdout (cat echoes), SOCKIPC_PEER/SOCKIPC_LOCAL,
# the program's own arguments left alone (`exec ls -l`), only descriptors
# 0-2, default signals and an empty mask in the child, children reaped
# (no zombies), --max-children, a missing program, the warning for an
# endpoint bound beyond loopback, seqpacket, and children killed when the
# drain deadline passes.
. "$(dirname "$0")/../support/lib.sh"

# stop NAME PID ERRFILE: SIGTERM, exit 0, and no sanitizer report.
stop() {
	local rc=0
	kill -TERM "$2"; wait "$2" || rc=$?
	expect_eq "$1: exits 0 on SIGTERM" 0 "$rc"
	check "$1: no sanitizer report" bash -c "! grep -q Sanitizer '$3'"
}
need socat python3

# port URL: the port of tcp://127.0.0.1:P
port() { echo "${1##*:}"; }
talk() { printf '%s' "$2" | timeout $(secs 5) socat -t$(secs 2) - "TCP:127.0.0.1:$(port "$1")"; }

bg "$T/srv" "$SOCKIPC" serve --workers 2 \
	-e 'tcp://127.0.0.1:0 exec /bin/cat' \
	-e 'tcp://127.0.0.1:0 exec /bin/sh -c "echo \"$SOCKIPC_PEER|$SOCKIPC_LOCAL\""' \
	-e 'tcp://127.0.0.1:0 exec /bin/sh -c "ls -m /proc/$$/fd; grep -E \"^Sig(Blk|Ign)\" /proc/self/status"' \
	-e 'tcp://127.0.0.1:0 exec /nonexistent/program' \
	-e 'tcp://127.0.0.1:0 exec --max-children=2 cat' \
	-e "unixpacket://$T/x.pkt exec /bin/cat"
SRV=$BG_PID
wait_count "$T/srv" '^listening ' 6 6
expect_eq "six endpoints" 6 "$(grep -c '^listening ' "$T/srv")"
U_CAT=$(awk 'NR==1{print $2}' "$T/srv")
U_ENV=$(awk 'NR==2{print $2}' "$T/srv")
U_FDS=$(awk 'NR==3{print $2}' "$T/srv")
U_MISS=$(awk 'NR==4{print $2}' "$T/srv")
U_CAP=$(awk 'NR==5{print $2}' "$T/srv")

expect_eq "cat echoes through the child" "hello exec" "$(talk "$U_CAT" 'hello exec')"
expect_eq "cat echoes 100 KiB" "102400" "$(head -c 102400 /dev/zero | timeout $(secs 5) socat -t$(secs 2) - "TCP:127.0.0.1:$(port "$U_CAT")" | wc -c)"

got=$(talk "$U_ENV" '')
peer=${got%%|*}
local_url=${got#*|}
if [[ $peer =~ ^tcp://127\.0\.0\.1:[0-9]+$ ]]; then pass "SOCKIPC_PEER is the client's URL"; else fail "SOCKIPC_PEER: [$peer]"; fi
expect_eq "SOCKIPC_LOCAL is the endpoint's URL" "$U_ENV" "$local_url"

# ls lists the shell's descriptors from a simple command: a pipeline would
# show the shell's own pipe ends while it still holds them (1 in 5 runs
# under ASan).
got=$(talk "$U_FDS" '')
expect_eq "the child has descriptors 0 1 2 only" "0, 1, 2" "$(echo "$got" | head -1)"
blk=$(echo "$got" | grep -o 'SigBlk:[[:space:]]*[0-9a-f]*' | awk '{print $2}')
ign=$(echo "$got" | grep -o 'SigIgn:[[:space:]]*[0-9a-f]*' | awk '{print $2}')
expect_eq "the child's signal mask is empty" "0000000000000000" "$blk"
# glibc's posix_spawn leaves its two internal signals (32, 33) ignored;
# every standard signal (SIGPIPE above all) must be at its default.
expect_eq "no standard signal is ignored in the child" 0 "$(( 16#${ign:-ffffffff} & 16#7fffffff ))"

# Reaping: 12 short connections, then no zombie under the server.
for i in $(seq 12); do talk "$U_CAT" "r$i" >/dev/null; done
for i in $(seq $((40 * SCALE))); do
	[ "$(grep -c "close exec local=$U_CAT .*end=exit 0" "$T/srv.err")" -ge 14 ] && break; sleep 0.05
done
expect_eq "each child's exit status on its close line" 14 "$(grep -c "close exec local=$U_CAT .*end=exit 0" "$T/srv.err")"
zombies=$(ps --ppid "$SRV" -o stat= | grep -c '^Z')
expect_eq "no zombie children" 0 "$zombies"
expect_eq "no child left at all" 0 "$(ps --ppid "$SRV" -o pid= | wc -l)"

# A program that cannot run: the client is closed, the log says why.
expect_eq "missing program: connection closed, nothing sent" "" "$(talk "$U_MISS" 'x')"
check "missing program logged" grep -q "exec /nonexistent/program: No such file or directory" "$T/srv.err"

# --max-children=2: two clients hold a child each, the third is refused at
# once, and once they leave a new client is served again.
python3 - "$(port "$U_CAP")" "$(secs 5)" >"$T/cap" 2>&1 <<'EOF'
import socket, sys, time
port, limit = int(sys.argv[1]), float(sys.argv[2])
def conn():
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(limit); return s
a, b = conn(), conn()
for s, w in ((a, b"A\n"), (b, b"B\n")):
    s.sendall(w)
    print("held", s.recv(10) == w)
t = time.monotonic()
c = conn()
try:
    d = c.recv(10)
except (ConnectionResetError, socket.timeout) as e:
    d = repr(e).encode()
print("third", d == b"", time.monotonic() - t < limit / 2)
a.close(); b.close()
# The slots come back when the server has reaped the two children: until
# then a new client is refused at once, so try again, bounded.
end, ok = time.monotonic() + limit, False
while not ok and time.monotonic() < end:
    e = conn(); e.sendall(b"E\n")
    try:
        ok = e.recv(10) == b"E\n"
    except (ConnectionResetError, socket.timeout):
        pass
    e.close()
    if not ok:
        time.sleep(0.05)
print("after", ok)
EOF
expect_eq "two children held" "held True
held True" "$(grep '^held' "$T/cap")"
expect_eq "the third connection is closed at once" "third True True" "$(grep '^third' "$T/cap")"
expect_eq "served again once children exit" "after True" "$(grep '^after' "$T/cap")"
check "the refusal is logged" grep -q "refused exec local=$U_CAP .*--max-children=2" "$T/srv.err"

# seqpacket: the child reads and writes the seqpacket socket.
expect_eq "exec over unixpacket" "packet" "$(printf 'packet' | timeout $(secs 5) socat -t$(secs 2) - "UNIX-CONNECT:$T/x.pkt,type=5")"

# Not beyond loopback: no warning here.
check "no warning for 127.0.0.1" bash -c "! grep -q WARNING '$T/srv.err'"

# Option parsing stops at the service line: -l is ls's, not serve's.
bg "$T/ls" "$SOCKIPC" serve tcp://0.0.0.0:0 exec ls -l /
LS=$BG_PID
u=$(listening_url "$T/ls" 5)
expect_eq "listening line keeps ls's arguments" "exec ls -l /" "$(awk '{print $3, $4, $5, $6}' "$T/ls")"
out=$(talk "$u" '')
if echo "$out" | grep -q '^total '; then pass "ls got -l"; else fail "ls -l output: [$(echo "$out" | head -2)]"; fi
check "loud warning when bound beyond loopback" grep -q "WARNING: exec on tcp://0.0.0.0:.* runs 'ls' for ANY peer" "$T/ls.err"
kill "$LS"; wait "$LS" 2>/dev/null

# Drain: a child still running at the deadline is killed and reaped.
bg "$T/dr" "$SOCKIPC" serve --drain-timeout 0.3 tcp://127.0.0.1:0 exec sleep 60
DR=$BG_PID
u=$(listening_url "$T/dr" 5)
exec 7<>/dev/tcp/127.0.0.1/"$(port "$u")"
for i in $(seq $((40 * SCALE))); do [ "$(ps --ppid "$DR" -o comm= | grep -c sleep)" -ge 1 ] && break; sleep 0.05; done
expect_eq "the child runs" 1 "$(ps --ppid "$DR" -o comm= | grep -c sleep)"
kill -TERM "$DR"
rc=0; wait "$DR" || rc=$?
exec 7<&-
expect_eq "drained server exits 0" 0 "$rc"
check "the child was killed and reaped" grep -q "exec child [0-9]* killed: signal 9" "$T/dr.err"
check "its close line says drain timeout" grep -q "close exec .*end=drain timeout" "$T/dr.err"

stop "exec server" "$SRV" "$T/srv.err"

finish
