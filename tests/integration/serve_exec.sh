# serve_exec.sh - the exec service of `sockipc serve`: a child per
# connection on its stdin/stdout (cat echoes), SOCKIPC_PEER/SOCKIPC_LOCAL,
# the program's own arguments left alone (`exec ls -l`), only descriptors
# 0-2, default signals and an empty mask in the child, children reaped
# (no zombies), --max-children, a missing program, the warning for an
# endpoint bound beyond loopback, seqpacket, the bytes on the close line,
# and the drain: SIGTERM to each child's process group (grandchildren
# included), SIGKILL at the drain deadline, under every model.
. "$(dirname "$0")/../support/lib.sh"

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
GEN=$(serving_pid "$SRV")
check "the server's serving process is found" test -n "$GEN"
zombies=$(ps --ppid "$GEN" -o stat= | grep -c '^Z')
expect_eq "no zombie children" 0 "$zombies"
expect_eq "no child left at all" 0 "$(ps --ppid "$GEN" -o pid= | wc -l)"

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
# (As root, the one warning is that exec runs as root: serve_privdrop.sh.)
check "no warning for 127.0.0.1" bash -c "! grep WARNING '$T/srv.err' | grep -qv 'exec runs its programs as root'"

# Option parsing stops at the service line: -l is ls's, not serve's.
bg "$T/ls" "$SOCKIPC" serve tcp://0.0.0.0:0 exec ls -l /
LS=$BG_PID
u=$(listening_url "$T/ls" 5)
expect_eq "listening line keeps ls's arguments" "exec ls -l /" "$(awk '{print $3, $4, $5, $6}' "$T/ls")"
out=$(talk "$u" '')
if echo "$out" | grep -q '^total '; then pass "ls got -l"; else fail "ls -l output: [$(echo "$out" | head -2)]"; fi
check "loud warning when bound beyond loopback" grep -q "WARNING: exec on tcp://0.0.0.0:.* runs 'ls' for ANY peer" "$T/ls.err"
kill "$LS"; wait "$LS" 2>/dev/null

# UCSPI: the variables tcpserver/unixserver scripts read, compared with
# what the client sees of its own socket; a stale one in the server's
# environment does not reach the child.
bg "$T/ucspi" env TCPREMOTEHOST=stale.example UNIXREMOTEPID=stale "$SOCKIPC" serve \
	-e 'tcp://127.0.0.1:0 exec /bin/sh -c "echo \"$PROTO|$TCPREMOTEIP|$TCPREMOTEPORT|$TCPLOCALIP|$TCPLOCALPORT|${TCPREMOTEHOST-unset}\""' \
	-e "unix://$T/ucspi.sock exec /bin/sh -c 'echo \"\$PROTO|\$UNIXREMOTEPID|\$UNIXREMOTEEUID|\$UNIXREMOTEEGID\"'"
UC=$BG_PID
wait_count "$T/ucspi" '^listening ' 2 5
u=$(awk 'NR==1{print $2}' "$T/ucspi")
python3 - "$(port "$u")" "$T/ucspi.sock" "$(secs 5)" >"$T/ucspi.out" 2>&1 <<'EOF2'
import os, socket, sys
port, path, limit = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
def read_all(s):
    s.settimeout(limit); out = b""
    while True:
        d = s.recv(4096)
        if not d: return out.decode().strip()
        out += d
s = socket.create_connection(("127.0.0.1", port))
me, srv = s.getsockname(), s.getpeername()
s.shutdown(socket.SHUT_WR)
print("tcp", read_all(s) == "TCP|%s|%d|%s|%d|unset" % (me[0], me[1], srv[0], srv[1]))
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); u.connect(path)
u.shutdown(socket.SHUT_WR)
got = read_all(u)
print("unix", got == "UNIX|%d|%d|%d" % (os.getpid(), os.geteuid(), os.getegid()), got)
EOF2
expect_eq "UCSPI variables over TCP" "tcp True" "$(grep '^tcp' "$T/ucspi.out")"
check "UCSPI variables over unix" grep -q '^unix True' "$T/ucspi.out"
kill "$UC"; wait "$UC" 2>/dev/null

# The warning for exec beyond loopback respects --allow: none when --allow
# keeps peers on loopback; one naming the set when it does not.
bg "$T/al" "$SOCKIPC" serve --allow 127.0.0.0/8 --allow ::1 tcp://0.0.0.0:0 exec /bin/cat
AL=$BG_PID
listening_url "$T/al" 5 >/dev/null
check "no warning when --allow keeps exec on loopback" bash -c "! grep WARNING '$T/al.err' | grep -qv 'exec runs its programs as root'"
check "the start line names the allowed set" grep -q "exec on tcp://0.0.0.0:[0-9]* runs '/bin/cat' for peers in --allow 127.0.0.0/8, ::1/128" "$T/al.err"
kill "$AL"; wait "$AL" 2>/dev/null
# A documentation network (RFC 5737) this host is not on (sandboxes use them).
far=203.0.113
for net in 203.0.113 198.51.100 192.0.2; do
	command -v ip >/dev/null && ip -o -4 addr | grep -q " inet $net\." && continue
	far=$net; break
done
bg "$T/aw" "$SOCKIPC" serve --allow "$far.0/24" tcp://0.0.0.0:0 exec /bin/cat
AW=$BG_PID
listening_url "$T/aw" 5 >/dev/null
check "a warning naming the set when --allow reaches beyond" grep -q "WARNING: exec on tcp://0.0.0.0:[0-9]* runs '/bin/cat' for any peer in --allow $far.0/24" "$T/aw.err"
kill "$AW"; wait "$AW" 2>/dev/null

# The close line gives the bytes that really flowed (TCP_INFO), not 0.
head -c 102400 /dev/zero | timeout $(secs 5) socat -t$(secs 2) - "TCP:127.0.0.1:$(port "$U_CAT")" >/dev/null
n=$(grep -c "close exec local=$U_CAT .*end=exit 0" "$T/srv.err")
for i in $(seq $((40 * SCALE))); do
	grep -q "close exec local=$U_CAT .* in=102400 out=102400 .*end=exit 0" "$T/srv.err" && break; sleep 0.05
done
check "close line: the bytes a TCP child moved (in=102400 out=102400)" grep -q "close exec local=$U_CAT .* in=102400 out=102400 .*end=exit 0" "$T/srv.err"
check "close line on unixpacket: no in=/out= (a unix socket keeps no count)" \
	bash -c "grep 'close exec local=unixpacket://' '$T/srv.err' | grep -v -q ' in='"

# Drain: SIGTERM goes to the child's process group when the drain begins,
# so a grandchild is not orphaned, and the server ends long before the
# drain timeout; under every model.  MARK makes the grandchild findable.
gone() { # gone PATTERN: waits (bounded) until no process matches
	for i in $(seq $((40 * SCALE))); do pgrep -f "$1" >/dev/null || return 0; sleep 0.05; done
	return 1
}
for model in event thread fork; do
	MARK=$((100000 + $$)).$(( ${#model} + 1 ))
	bg "$T/dr-$model" "$SOCKIPC" serve --model "$model" --drain-timeout "$(secs 30)" \
		tcp://127.0.0.1:0 exec /bin/sh -c "sleep $MARK & wait"
	DR=$BG_PID
	u=$(listening_url "$T/dr-$model" 5)
	exec 7<>/dev/tcp/127.0.0.1/"$(port "$u")"
	for i in $(seq $((40 * SCALE))); do pgrep -f "sleep $MARK" >/dev/null && break; sleep 0.05; done
	check "$model: the grandchild runs" pgrep -f "sleep $MARK" >/dev/null
	t0=$(date +%s)
	kill -TERM "$DR"
	rc=0; timeout "$(secs 20)" tail --pid="$DR" -f /dev/null || rc=$?
	wait "$DR" 2>/dev/null
	exec 7<&-
	expect_eq "$model: drained server ends before the drain timeout" 0 "$rc"
	check "$model: the grandchild is gone after the SIGTERM drain" gone "sleep $MARK"
	check "$model: the child ended by SIGTERM" grep -q "close exec .*end=signal 15" "$T/dr-$model.err"
	pkill -KILL -f "sleep $MARK" 2>/dev/null
done

# A child (and grandchild) that ignore SIGTERM get SIGKILL at the drain
# timeout, as a group.
MARK=$((200000 + $$)).5
bg "$T/dk" "$SOCKIPC" serve --drain-timeout 0.5 tcp://127.0.0.1:0 exec /bin/sh -c "trap '' TERM; sleep $MARK & wait"
DK=$BG_PID
u=$(listening_url "$T/dk" 5)
exec 7<>/dev/tcp/127.0.0.1/"$(port "$u")"
for i in $(seq $((40 * SCALE))); do pgrep -f "sleep $MARK" >/dev/null && break; sleep 0.05; done
check "the TERM-ignoring grandchild runs" pgrep -f "sleep $MARK" >/dev/null
kill -TERM "$DK"
rc=0; wait "$DK" || rc=$?
exec 7<&-
expect_eq "drained server exits 0" 0 "$rc"
check "SIGKILL to the process group at the drain timeout" grep -q "exec child [0-9]*: SIGKILL to its process group" "$T/dk.err"
check "its close line says drain timeout" grep -q "close exec .*end=drain timeout" "$T/dk.err"
check "the TERM-ignoring grandchild is gone" gone "sleep $MARK"
pkill -KILL -f "sleep $MARK" 2>/dev/null

stop_server "exec server" "$SRV" "$T/srv.err"

finish
