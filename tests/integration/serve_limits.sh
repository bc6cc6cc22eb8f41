# serve_limits.sh - the limits and the lifecycle of `sockipc serve`:
# --max-conns, --idle-timeout, --allow, the datagram loop guard, SIGUSR1
# counters, the SIGTERM drain (an open connection finishes, then exit 0;
# a silent one is cut at --drain-timeout), and usage errors naming the line.
. "$(dirname "$0")/../support/lib.sh"
need socat
# hold ADDRESS: a socat client that reads and sends nothing, until stopped.
hold() { exec socat -u "$1" - >/dev/null; }
# drain_client PORT ERRFILE: sends a line, then another once the server
# has begun its drain (its `no longer accepting` line); prints the echo.
drain_client() {
	{
		echo before
		wait_line "$2" 'no longer accepting' 10 >/dev/null
		echo after
	} | timeout $(secs 10) socat -t2 - TCP:127.0.0.1:$1
}

# ---- --max-conns 2: the third connection is closed at once ----
bg "$T/m" "$SOCKIPC" serve --max-conns 2 -e 'tcp://127.0.0.1:0 echo'
M=$BG_PID
P=$(port_of "$(listening_url "$T/m" 5)")
spawn hold TCP:127.0.0.1:$P; H1=$BG_PID
spawn hold TCP:127.0.0.1:$P; H2=$BG_PID
wait_count "$T/m.err" '^sockipc: open echo' 2 5
start=$(date +%s%N)
got=$(printf 'third' | timeout $(secs 5) socat -t3 - TCP:127.0.0.1:$P)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "third connection gets nothing" "" "$got"
check "third connection closed at once (${ms} ms)" test $ms -lt $((2500 * SCALE))
check "refusal logged" grep -q 'refused echo .*max-conns' "$T/m.err"
stop_bg $H1; stop_bg $H2
wait_count "$T/m.err" '^sockipc: close echo' 2 5
# The slot comes back a moment after the close line: bounded retries.
ok=""
for i in $(seq 1 $((40 * SCALE))); do
	ok=$(printf again | timeout $(secs 5) socat -t2 - TCP:127.0.0.1:$P)
	[ "$ok" = again ] && break
	sleep 0.05
done
expect_eq "served again below the limit" "again" "$ok"
usr1_until_idle $M "$T/m.err"
check "SIGUSR1 counts the refusal" grep -Eq 'stats: all open=0 total=[34] refused=[12] ' "$T/m.err"
kill -TERM $M; wait $M; expect_eq "exit 0" 0 $?

# ---- --idle-timeout: a silent client is closed ----
bg "$T/i" "$SOCKIPC" serve --idle-timeout 0.5 -e 'tcp://127.0.0.1:0 echo'
I=$BG_PID
P=$(port_of "$(listening_url "$T/i" 5)")
start=$(date +%s%N)
timeout $(secs 10) socat -u TCP:127.0.0.1:$P - </dev/null
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "idle connection closed after ~0.5 s (${ms} ms)" test $ms -ge 400 -a $ms -lt $((3000 * SCALE))
wait_line "$T/i.err" 'end=idle timeout' 5 >/dev/null
check "idle timeout logged" grep -q 'end=idle timeout' "$T/i.err"
kill -TERM $I; wait $I

# ---- --allow: 127.0.0.1 is outside 10.0.0.0/8 ----
bg "$T/a" "$SOCKIPC" serve -v --allow 10.0.0.0/8 --allow fd00::/8 -e 'tcp://127.0.0.1:0 echo' -e 'udp://127.0.0.1:0 echo'
A=$BG_PID
wait_count "$T/a" '^listening' 2 5
TP=$(port_of "$(awk '/tcp:/{print $2}' "$T/a")"); UP=$(port_of "$(awk '/udp:/{print $2}' "$T/a")")
expect_eq "tcp peer outside --allow gets nothing" "" "$(printf x | timeout $(secs 5) socat -t1 - TCP:127.0.0.1:$TP)"
expect_eq "udp peer outside --allow gets nothing" "" "$(printf x | timeout $(secs 5) socat -t1 - UDP:127.0.0.1:$UP)"
check "allow refusal logged" grep -q 'refused echo .*not in --allow' "$T/a.err"
kill -TERM $A; wait $A
bg "$T/a2" "$SOCKIPC" serve --allow 127.0.0.0/8 -e 'tcp://127.0.0.1:0 echo'
P=$(port_of "$(listening_url "$T/a2" 5)")
expect_eq "peer inside --allow is served" "in" "$(printf in | timeout $(secs 5) socat -t2 - TCP:127.0.0.1:$P)"
kill -TERM $BG_PID; wait $BG_PID

# ---- loop guard: guarded source ports are dropped and counted ----
# The two source ports are reserved for this script (free_ports): its
# io_uring twin may run at the same moment (ctest -j8).
read -r GP OP <<<"$(free_ports 2)"
bg "$T/g" "$SOCKIPC" serve -v --guard-ports "0-1023,$GP" -e 'udp://127.0.0.1:0 echo'
G=$BG_PID
P=$(port_of "$(listening_url "$T/g" 5)")
expect_eq "datagram from a guarded port dropped" "" "$(printf x | timeout $(secs 5) socat -t1 - UDP:127.0.0.1:$P,sourceport=$GP)"
expect_eq "datagram from another port served" "y" "$(printf y | timeout $(secs 5) socat -t1 - UDP:127.0.0.1:$P,sourceport=$OP)"
kill -USR1 $G
wait_line "$T/g.err" 'stats: all ' 5 >/dev/null
check "guard drop counted" grep -q 'stats: all .* dropped=1' "$T/g.err"
check "guard drop logged with -v" grep -q 'guarded source port' "$T/g.err"
kill -TERM $G; wait $G

# ---- SIGTERM drain: an open connection finishes its work ----
bg "$T/d" "$SOCKIPC" serve --drain-timeout 10 -e 'tcp://127.0.0.1:0 echo' -e 'tcp://127.0.0.1:0 discard'
D=$BG_PID
wait_count "$T/d" '^listening' 2 5
P=$(port_of "$(awk '/ echo$/{print $2}' "$T/d")")
bg "$T/d.client" drain_client $P "$T/d.err"
C=$BG_PID
wait_line "$T/d.err" 'open echo' 5 >/dev/null
kill -TERM $D
wait_line "$T/d.err" 'no longer accepting' 5 >/dev/null
DP=$(port_of "$(awk '/ discard$/{print $2}' "$T/d")")
if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$DP" 2>/dev/null; then
	# The listener is still bound until exit; a connect may queue but is never served.
	pass "draining server accepts nothing new (connect queued only)"
else
	pass "draining server refuses new connections"
fi
wait $C
expect_eq "client got its echo during the drain" "before after" "$(tr '\n' ' ' <"$T/d.client" | sed 's/ $//')"
wait $D; expect_eq "drained server exits 0" 0 $?
check "no open line after the drain began" test "$(grep -c 'open echo' "$T/d.err")" -eq 1

# ---- drain deadline: a silent client is cut, the server still exits 0 ----
bg "$T/e" "$SOCKIPC" serve --drain-timeout 0.5 -e 'unix://'"$T"'/e.sock echo'
E=$BG_PID
listening_url "$T/e" 5 >/dev/null
spawn hold UNIX-CONNECT:$T/e.sock; H=$BG_PID
wait_line "$T/e.err" 'open echo' 5 >/dev/null
start=$(date +%s%N)
kill -TERM $E; wait $E; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "exit 0 after the drain timeout" 0 $rc
check "drain took ~0.5 s (${ms} ms)" test $ms -ge 400 -a $ms -lt $((4000 * SCALE))
check "drain timeout logged" grep -q 'end=drain timeout' "$T/e.err"
stop_bg $H

# ---- usage errors name the line and exit 2 ----
"$SOCKIPC" serve -e 'tcp://127.0.0.1:0 ecoh' 2>"$T/u1"; expect_eq "unknown service exits 2" 2 $?
check "unknown service named" grep -q "^sockipc: serve: -e 'tcp://127.0.0.1:0 ecoh': unknown service 'ecoh'" "$T/u1"
printf '# comment\n\ntcp://127.0.0.1:0 echo\nudp://127.0.0.1:0 time extra\n' >"$T/lines"
"$SOCKIPC" serve -f "$T/lines" 2>"$T/u2"; expect_eq "bad argument count exits 2" 2 $?
check "file:line named" grep -q "^sockipc: serve: $T/lines:4: wrong number of arguments for time" "$T/u2"
"$SOCKIPC" serve -e "tcp://127.0.0.1:99999 echo" 2>"$T/u3"; expect_eq "bad URL exits 2" 2 $?
check "bad port named" grep -q "99999" "$T/u3"
"$SOCKIPC" serve -e "tcp://127.0.0.1:0 'echo" 2>"$T/u4"; expect_eq "open quote exits 2" 2 $?
check "open quote named" grep -q "quote is not closed" "$T/u4"
"$SOCKIPC" serve tcp://127.0.0.1:0 2>"$T/u5"; expect_eq "URL without service exits 2" 2 $?
"$SOCKIPC" serve --model forks tcp://127.0.0.1:0 echo 2>"$T/u6"; expect_eq "unknown --model exits 2" 2 $?
bg "$T/b" "$SOCKIPC" serve -e 'tcp://127.0.0.1:0 echo'
P=$(port_of "$(listening_url "$T/b" 5)")
"$SOCKIPC" serve "tcp://127.0.0.1:$P" echo 2>"$T/u7"; expect_eq "port in use exits 1" 1 $?
check "listen failure named" grep -q "listen tcp://127.0.0.1:$P" "$T/u7"
kill -TERM $BG_PID; wait $BG_PID
finish
