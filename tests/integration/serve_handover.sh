# serve_handover.sh - zero-downtime upgrade: `sockipc serve --handover
# PATH` takes the listening sockets of the serve at PATH (same ports, port 0
# included, same unix socket file), starts serving, and the old one stops
# accepting, lets its connections end and exits 0, removing nothing the new
# one owns.  Clients connect without pause throughout two hand-overs: not
# one is refused, reset or answered wrongly.  PATH is 0600 and refuses
# another user (SO_PEERCRED); hostile hand-over messages are refused with a
# clear error; a PATH left by a dead serve is replaced.
. "$(dirname "$0")/../support/lib.sh"
need python3
CHURN="python3 $(dirname "$0")/serve_churn.py"
PEER="python3 $(dirname "$0")/serve_handover_peer.py"
HO=$T/ho

cat >"$T/conf" <<EOF
tcp://127.0.0.1:0 echo
unix://$T/u.sock echo
EOF
# progress_past N: waits until the clients have made N more connections.
progress_past() {
	local n i
	n=$(cat "$T/churn.progress" 2>/dev/null || echo 0)
	for ((i = 0; i < 400 * SCALE; i++)); do
		[ "$(cat "$T/churn.progress" 2>/dev/null || echo 0)" -ge $((n + $1)) ] && return 0
		sleep 0.05
	done
	return 1
}
unix_echo() { printf '%s\n' "$1" | timeout "$(secs 10)" "$SOCKIPC" connect "unix://$T/u.sock" 2>&1; }

bg "$T/s1" "$SOCKIPC" serve -v --handover "$HO" -f "$T/conf"
S1=$BG_PID
wait_count "$T/s1" '^listening ' 2 "$(secs 10)" || { fail "the first serve starts"; finish; }
P=$(nth_port "$T/s1" 1)
expect_eq "PATH is a socket only its user may use" "600" "$(stat -c %a "$HO")"
spawn $CHURN 127.0.0.1 "$P" 200 "$T/stop" "$(secs 120)" "$T/churn"
progress_past 30 || fail "clients connect to the first serve"

# Another user may not take the sockets (root here: a stranger can be made).
# /usr/bin/python3: the one in root's PATH may live where nobody can read.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && [ -x /usr/bin/python3 ]; then
	chmod 666 "$HO"
	chmod 711 "$T"
	got=$(setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 - ask "$HO" \
		<"$(dirname "$0")/serve_handover_peer.py" 2>&1)
	chmod 700 "$T"
	expect_eq "another user gets nothing" "eof" "$got"
	wait_line "$T/s1.err" 'handover: refused pid [0-9]+ uid 65534: not this server' "$(secs 10)" >/dev/null &&
		pass "the refusal is logged"
	chmod 600 "$HO"
fi

# First hand-over: s2 takes over while the clients go on.
bg "$T/s2" "$SOCKIPC" serve -v --handover "$HO" -f "$T/conf"
S2=$BG_PID
wait_count "$T/s2" '^listening ' 2 "$(secs 10)" || fail "the second serve starts"
expect_eq "the new serve listens on the same ports (port 0 too)" "$(grep '^listening' "$T/s1")" "$(grep '^listening' "$T/s2")"
wait_line "$T/s2.err" 'handover: 2 socket\(s\) received' "$(secs 10)" >/dev/null && pass "the sockets were handed over"
wait_line "$T/s1.err" 'handover: the new serve accepts' "$(secs 10)" >/dev/null && pass "the old serve is told"
ended "$S1"
expect_eq "the old serve exits 0" 0 "$STATUS"
no_sanitizer_report "the old serve: no sanitizer report" "$T/s1.err"
check "the unix socket file stays for the new serve" test -S "$T/u.sock"
expect_eq "the new serve answers on the unix socket" "unix" "$(unix_echo unix)"
progress_past 30 || fail "clients connect to the second serve"

# Second hand-over, from the serve that took PATH over.
bg "$T/s3" "$SOCKIPC" serve -v --handover "$HO" -f "$T/conf"
S3=$BG_PID
wait_count "$T/s3" '^listening ' 2 "$(secs 10)" || fail "the third serve starts"
expect_eq "the third serve listens on the same ports" "$(grep '^listening' "$T/s1")" "$(grep '^listening' "$T/s3")"
ended "$S2"
expect_eq "the second serve exits 0 once handed over" 0 "$STATUS"
progress_past 30 || fail "clients connect to the third serve"
touch "$T/stop"
wait_line "$T/churn" '^made=' "$(secs 130)" >/dev/null
res=$(head -1 "$T/churn")
echo "2 hand-overs during: $res"
made=$(sed 's/.*made=\([0-9]*\).*/\1/' <<<"$res")
ok=$(sed 's/.*ok=\([0-9]*\).*/\1/' <<<"$res")
check "at least 200 clients connected during two hand-overs ($made)" test "${made:-0}" -ge 200
expect_eq "every client answered right: none refused, reset or wrong ($res)" "$made" "$ok"
expect_eq "the unix socket still answers" "end" "$(unix_echo end)"
stop_server "third serve" "$S3" "$T/s3.err"
check "the last serve removes the unix socket file it took over" test ! -e "$T/u.sock"
check "the last serve removes PATH" test ! -e "$HO"

# A PATH left by a dead serve: bind fresh.
python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1])" "$HO"
check "a stale PATH is there" test -S "$HO"
bg "$T/s4" "$SOCKIPC" serve --handover "$HO" -e 'tcp://127.0.0.1:0 echo'
S4=$BG_PID
listening_url "$T/s4" "$(secs 10)" >/dev/null && pass "a stale PATH: serve binds fresh"
stop_server "stale PATH" "$S4" "$T/s4.err"

# Hostile old serves: every bad message is refused with a clear error.
hostile() {
	local case=$1 want=$2 rc=0
	rm -f "$T/bad" "$T/bad.ready"
	spawn $PEER bad "$case" "$T/bad" "$T/bad.ready"
	local peer=$BG_PID
	for ((i = 0; i < 100 * SCALE; i++)); do [ -e "$T/bad.ready" ] && break; sleep 0.05; done
	timeout "$(secs 30)" "$SOCKIPC" serve --handover "$T/bad" -e 'tcp://127.0.0.1:0 echo' \
		>"$T/hostile.out" 2>"$T/hostile.err" || rc=$?
	expect_eq "hostile $case: exit 1" 1 "$rc"
	check "hostile $case: the error says why ($(head -c 200 "$T/hostile.err"))" \
		grep -q -- "--handover $T/bad: .*$want" "$T/hostile.err"
	check "hostile $case: nothing served" test ! -s "$T/hostile.out"
	no_sanitizer_report "hostile $case: no sanitizer report" "$T/hostile.err"
	stop_bg "$peer"
}
hostile short 'not a hand-over message'
hostile magic 'not a hand-over message'
hostile length 'length disagrees'
hostile oversized 'longer than the format allows'
hostile nofd 'without exactly one descriptor'
hostile twofds 'without exactly one descriptor'
hostile kind 'unknown kind'
hostile control 'control byte'
hostile fdkind 'not of the kind announced'
hostile eof 'closed the connection'
finish
