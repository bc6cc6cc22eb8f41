# serve_guard.sh - the datagram loop guard of `sockipc serve`, attacked with
# forged udp sources (a raw IP_HDRINCL socket, so root only): a datagram
# "from" one of the server's own udp endpoints (chargen -> echo, echo to
# itself, a wildcard-bound endpoint) is dropped, not answered, on any
# worker and model; two servers on sockipc's built-in ports cannot be
# looped together; every drop is logged at the default verbosity, once per
# source per second; forward serves clients on low ports (DNS, NTP) that
# the reflecting services refuse, and drops what claims to come from its
# backend.  No loop is proved by the counters.
. "$(dirname "$0")/../support/lib.sh"
need python3
[ "$(id -u)" -eq 0 ] || skip "forging a udp source needs a raw socket (root)"
PEER="$(dirname "$0")/dgram_peer.py"

# counter PID ERRFILE SERVICE FIELD: FIELD of SERVICE's counters, after a
# fresh SIGUSR1 report has been written.
counter() {
	local n; n=$(grep -c 'stats: all ' "$2" 2>/dev/null)
	kill -USR1 "$1"
	wait_count "$2" 'stats: all ' $((n + 1)) 5 || { echo "no stats report" >&2; return 1; }
	grep "stats: $3 " "$2" | tail -1 | sed -n "s/.* $4=\([0-9]*\).*/\1/p"
}
# wait_stat PID ERRFILE SERVICE FIELD WANT: until FIELD reaches WANT; bounded.
wait_stat() {
	for i in $(seq $((20 * SCALE))); do
		[ "$(counter "$1" "$2" "$3" "$4")" = "$5" ] && return 0
		sleep 0.05
	done
	return 1
}
spoof() { python3 "$PEER" spoof "$@"; }

for model in "event --workers 2" "thread" "fork"; do
	m=${model%% *}
	# shellcheck disable=SC2086
	bg "$T/s$m" "$SOCKIPC" serve --model $model -e 'udp://127.0.0.1:0 echo' \
		-e 'udp://127.0.0.1:0 chargen' -e 'udp://127.0.0.1:0 daytime'
	S=$BG_PID
	wait_count "$T/s$m" '^listening ' 3 5
	E=$(port_of "$(awk '$3=="echo"{print $2}' "$T/s$m")")
	C=$(port_of "$(awk '$3=="chargen"{print $2}' "$T/s$m")")
	D=$(port_of "$(awk '$3=="daytime"{print $2}' "$T/s$m")")
	# The loop of the issue: chargen -> echo.  Echo drops it: no reply goes
	# to chargen, whose counters stay at zero.
	spoof 127.0.0.1 "$C" 127.0.0.1 "$E"
	check "$m: chargen -> echo dropped and logged" wait_line "$T/s$m.err" \
		"echo udp://127.0.0.1:$E: dropped a datagram from udp://127.0.0.1:$C: source is an endpoint of this server" 5
	expect_eq "$m: echo answered nothing" 0 "$(counter $S "$T/s$m.err" "echo udp://127.0.0.1:$E" dgrams_out)"
	expect_eq "$m: chargen got nothing" 0 "$(counter $S "$T/s$m.err" "chargen udp://127.0.0.1:$C" dgrams_in)"
	# An echo fed its own address, and daytime fed from echo.
	spoof 127.0.0.1 "$E" 127.0.0.1 "$E"
	spoof 127.0.0.1 "$E" 127.0.0.1 "$D"
	check "$m: echo -> echo dropped" wait_line "$T/s$m.err" \
		"echo udp://127.0.0.1:$E: dropped a datagram from udp://127.0.0.1:$E: source is an endpoint" 5
	# (logged or not: one line per source per second, whatever the endpoint)
	check "$m: echo -> daytime dropped" wait_stat $S "$T/s$m.err" "daytime udp://127.0.0.1:$D" dropped 1
	check "$m: all three drops counted" wait_stat $S "$T/s$m.err" all dropped 3
	expect_eq "$m: nothing sent" 0 "$(counter $S "$T/s$m.err" all dgrams_out)"
	kill -TERM $S; wait $S; expect_eq "$m: SIGTERM exits 0" 0 $?
done

# ---- a wildcard-bound endpoint: any local address on its port is itself ----
bg "$T/w" "$SOCKIPC" serve --workers 1 --allow 127.0.0.0/8 -e 'udp4://0.0.0.0:0 echo'
W=$BG_PID
WP=$(port_of "$(listening_url "$T/w" 5)")
spoof 127.0.0.9 "$WP" 127.0.0.1 "$WP"
check "wildcard echo drops 127.0.0.9:its port" wait_line "$T/w.err" \
	"dropped a datagram from udp://127.0.0.9:$WP: source is an endpoint of this server" 5
expect_eq "wildcard echo answered nothing" 0 "$(counter $W "$T/w.err" all dgrams_out)"
kill -TERM $W; wait $W

# ---- two servers: B on the built-in echo port 7007 (of 127.0.0.2) ----
bg "$T/a" "$SOCKIPC" serve --workers 1 -e 'udp://127.0.0.1:0 echo'
A=$BG_PID
AP=$(port_of "$(listening_url "$T/a" 5)")
bg "$T/b" "$SOCKIPC" serve --workers 1 -e 'udp://127.0.0.2:7007 echo'
B=$BG_PID
if wait_line "$T/b" '^listening ' 5 >/dev/null; then
	# B -> A forged; then A -> B forged: B answers A once, A drops it.
	spoof 127.0.0.2 7007 127.0.0.1 "$AP"
	spoof 127.0.0.1 "$AP" 127.0.0.2 7007
	check "A drops from B's echo port" wait_line "$T/a.err" \
		'dropped a datagram from udp://127.0.0.2:7007: guarded source port' 5
	check "A dropped both (the forged one and B's answer)" wait_stat $A "$T/a.err" all dropped 2
	expect_eq "A answered nothing" 0 "$(counter $A "$T/a.err" all dgrams_out)"
	expect_eq "B answered once" 1 "$(counter $B "$T/b.err" all dgrams_out)"
else
	echo "SKIP: 127.0.0.2:7007 is taken" >&2
fi
kill -TERM $A $B; wait $A $B

# ---- the drop log: once per source per second, with what it left out ----
bg "$T/r" "$SOCKIPC" serve --workers 1 -e 'udp://127.0.0.1:0 echo'
R=$BG_PID
RP=$(port_of "$(listening_url "$T/r" 5)")
spoof 127.0.0.1 "$RP" 127.0.0.1 "$RP" 200
# The worker may still be reading them when a report is asked for: wait.
check "200 forged datagrams counted" wait_stat $R "$T/r.err" all dropped 200
n=$(grep -c 'dropped a datagram' "$T/r.err")
if [ "$n" -ge 1 ] && [ "$n" -le 3 ]; then pass "200 drops, $n log line(s)"; else fail "200 drops gave $n log lines"; fi
# The next line for that source, a second later, says how many it left out.
for i in $(seq $((40 * SCALE))); do
	grep -q 'more from it' "$T/r.err" && break
	spoof 127.0.0.1 "$RP" 127.0.0.1 "$RP"; sleep 0.1
done
check "a later line counts the drops not logged" grep -Eq 'dropped a datagram from udp://127.0.0.1:'"$RP"': .*\(and [0-9]+ more from it' "$T/r.err"
kill -TERM $R; wait $R

# ---- a drop line names a hostile unix sender safely ----
bg "$T/u" "$SOCKIPC" serve --max-msg 100 -e "unixgram://$T/u.gram echo"
U=$BG_PID
listening_url "$T/u" 5 >/dev/null
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(b"\0evil\nsockipc: close forged\x1b[31m")
s.sendto(b"x" * 200, sys.argv[1])' "$T/u.gram"
check "too large a datagram from a unix sender logged" wait_line "$T/u.err" 'dropped a datagram from unixgram://@evil.*--max-msg 100' 5
check "no forged log line" bash -c "! grep -q '^sockipc: close forged' '$T/u.err'"
check "no escape byte in the log" bash -c "! grep -q \$'\\x1b' '$T/u.err'"
kill -TERM $U; wait $U; expect_eq "unixgram server: SIGTERM exits 0" 0 $?

# ---- low source ports: refused by echo, served by forward ----
free_low_port() {
	for p in 123 53 600 601 602 603 604 605; do
		python3 -c "import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('127.0.0.1',$p))" 2>/dev/null && { echo $p; return; }
	done
}
LOW=$(free_low_port)
[ -n "$LOW" ] || { fail "no free udp port below 1024 on 127.0.0.1"; finish; }
bg "$T/be" python3 "$PEER" backend "$T/seen"
BK=$(port_of "$(listening_url "$T/be" 5)")
bg "$T/f" "$SOCKIPC" serve --workers 2 -e "udp://127.0.0.1:0 forward udp://127.0.0.1:$BK" -e 'udp://127.0.0.1:0 echo'
F=$BG_PID
wait_count "$T/f" '^listening ' 2 5
FP=$(port_of "$(awk '$3=="forward"{print $2}' "$T/f")")
FE=$(port_of "$(awk '$3=="echo"{print $2}' "$T/f")")
# A datagram forged "from" the backend: answering it would loop through the
# backend (forward -> backend -> forward -> backend ...).
spoof 127.0.0.1 "$BK" 127.0.0.1 "$FP"
check "forward drops a datagram from its backend" wait_line "$T/f.err" \
	"forward udp://127.0.0.1:$FP: dropped a datagram from udp://127.0.0.1:$BK: source is the backend" 5
expect_eq "the backend got nothing" 0 "$(cat "$T/seen" 2>/dev/null | wc -l)"
expect_eq "forward serves a client on port $LOW" "ntp?" "$(python3 "$PEER" client 127.0.0.1 "$LOW" "$FP" 'ntp?')"
expect_eq "echo refuses a client on port $LOW" "" "$(python3 "$PEER" client 127.0.0.1 "$LOW" "$FE" 'x')"
check "echo's drop of port $LOW logged" wait_line "$T/f.err" "echo .*dropped a datagram from udp://127.0.0.1:$LOW: guarded source port" 5
kill -TERM $F; wait $F; expect_eq "forward server: SIGTERM exits 0" 0 $?
finish
