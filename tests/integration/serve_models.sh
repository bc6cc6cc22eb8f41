# serve_models.sh - `sockipc serve --model event|thread|fork`: under each
# model, echo with a half-close (1 MiB over TCP and unix, every byte back,
# then a clean end), UDP echo, --max-conns refusal and the SIGUSR1 counters,
# --idle-timeout, and the drain (an open connection finishes, a silent one
# is cut at --drain-timeout, exit 0).  Then what differs: per-thread byte
# counters summed under --model thread, connection processes reaped under
# --model fork, broadcast across connection threads, and the start-up
# refusals (broadcast under fork, --workers under fork).  The load tests
# (1,000 clients, 256 MiB, SIGTERM under load) are tests/unit/test_serve_models.c.
. "$(dirname "$0")/../support/lib.sh"
need socat

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# hold PORT: a client that reads and sends nothing, until stopped.
hold() { exec socat -u TCP:127.0.0.1:$1 - >/dev/null; }
# hold_n PORT N: N clients that hold a connection each, until stopped.
hold_n() {
	local i
	for ((i = 0; i < $2; i++)); do
		( exec 3<>/dev/tcp/127.0.0.1/$1 && exec sleep 600 ) 2>/dev/null &
	done
	wait
}
# drain_client PORT ERRFILE: sends a line, then another once the server
# has begun its drain (its `no longer accepting` line), and prints the
# echo of both.
drain_client() {
	{
		echo before
		wait_line "$2" 'no longer accepting' 10 >/dev/null
		echo after
	} | timeout $(secs 10) socat -t2 - TCP:127.0.0.1:$1
}

head -c 1048576 /dev/urandom >"$T/blob"

for M in event thread fork; do
	# ---- echo with a half-close, TCP and unix; UDP echo ----
	bg "$T/$M.e" "$SOCKIPC" serve --model $M -e 'tcp://127.0.0.1:0 echo' \
		-e "unix://$T/$M.sock echo" -e 'udp://127.0.0.1:0 echo'
	S=$BG_PID
	wait_count "$T/$M.e" '^listening' 3 5
	TP=$(port_of "$(awk '/ tcp:/{print $2}' "$T/$M.e")")
	UP=$(port_of "$(awk '/ udp:/{print $2}' "$T/$M.e")")
	timeout $(secs 10) socat -t$(secs 5) - TCP:127.0.0.1:$TP <"$T/blob" >"$T/$M.tcp"
	check "$M: 1 MiB over tcp comes back whole after a half-close" cmp -s "$T/blob" "$T/$M.tcp"
	timeout $(secs 10) socat -t$(secs 5) - UNIX-CONNECT:$T/$M.sock <"$T/blob" >"$T/$M.unix"
	check "$M: 1 MiB over unix comes back whole after a half-close" cmp -s "$T/blob" "$T/$M.unix"
	expect_eq "$M: udp echo" "dgram $M" "$(printf "dgram $M" | timeout $(secs 5) socat -t1 - UDP:127.0.0.1:$UP)"
	wait_count "$T/$M.e.err" '^sockipc: close echo' 2 5
	check "$M: the clean end is logged" grep -q "close echo .* in=1048576 out=1048576 .*end=done" "$T/$M.e.err"
	usr1_until_idle $S "$T/$M.e.err"
	if [ $M = fork ]; then
		# Bytes of connections stay in the children; the parent counts
		# connections and serves the datagrams itself.
		check "$M: SIGUSR1 counts connections and datagrams" \
			grep -q 'stats: all open=0 total=2 refused=0 in=[0-9]* out=[0-9]* dgrams_in=1 dgrams_out=1 ' "$T/$M.e.err"
	else
		check "$M: SIGUSR1 sums every connection's bytes" \
			grep -q "stats: all open=0 total=2 refused=0 in=$((2 * 1048576 + ${#M} + 6)) out=$((2 * 1048576 + ${#M} + 6)) dgrams_in=1 dgrams_out=1 " "$T/$M.e.err"
	fi
	kill -TERM $S; wait $S; expect_eq "$M: exit 0 on SIGTERM" 0 $?

	# ---- --max-conns 2: the third connection is closed at once ----
	bg "$T/$M.m" "$SOCKIPC" serve --model $M --max-conns 2 -e 'tcp://127.0.0.1:0 echo'
	S=$BG_PID
	P=$(port_of "$(listening_url "$T/$M.m" 5)")
	spawn hold $P; H1=$BG_PID
	spawn hold $P; H2=$BG_PID
	wait_count "$T/$M.m.err" '^sockipc: open echo' 2 5
	start=$(date +%s%N)
	got=$(printf 'third' | timeout $(secs 5) socat -t3 - TCP:127.0.0.1:$P)
	ms=$(ms_since $start)
	expect_eq "$M: third connection gets nothing" "" "$got"
	check "$M: third connection closed at once (${ms} ms)" test $ms -lt $((2500 * SCALE))
	check "$M: refusal logged" grep -q 'refused echo .*max-conns' "$T/$M.m.err"
	stop_bg $H1; stop_bg $H2
	wait_count "$T/$M.m.err" '^sockipc: close echo' 2 5
	# Under fork the slot comes back when the parent reaps the child.
	ok=""
	for i in $(seq 1 $((20 * SCALE))); do
		ok=$(printf again | timeout $(secs 5) socat -t2 - TCP:127.0.0.1:$P)
		[ "$ok" = again ] && break
		sleep 0.05
	done
	expect_eq "$M: served again below the limit" "again" "$ok"
	usr1_until_idle $S "$T/$M.m.err"
	check "$M: SIGUSR1 counts the refusal" grep -Eq 'stats: all open=0 total=[34] refused=[12] ' "$T/$M.m.err"
	kill -TERM $S; wait $S; expect_eq "$M: exit 0" 0 $?

	# ---- --idle-timeout: a silent client is closed ----
	bg "$T/$M.i" "$SOCKIPC" serve --model $M --idle-timeout 0.5 -e 'tcp://127.0.0.1:0 echo'
	S=$BG_PID
	P=$(port_of "$(listening_url "$T/$M.i" 5)")
	start=$(date +%s%N)
	timeout $(secs 10) socat -u TCP:127.0.0.1:$P - </dev/null
	ms=$(ms_since $start)
	check "$M: idle connection closed after ~0.5 s (${ms} ms)" test $ms -ge 400 -a $ms -lt $((3000 * SCALE))
	wait_line "$T/$M.i.err" 'end=idle timeout' 5 >/dev/null
	check "$M: idle timeout logged" grep -q 'end=idle timeout' "$T/$M.i.err"
	kill -TERM $S; wait $S

	# ---- drain: a busy connection finishes, a silent one is cut ----
	bg "$T/$M.d" "$SOCKIPC" serve --model $M --drain-timeout 2 -e 'tcp://127.0.0.1:0 echo'
	S=$BG_PID
	P=$(port_of "$(listening_url "$T/$M.d" 5)")
	bg "$T/$M.d.client" drain_client $P "$T/$M.d.err"
	C=$BG_PID
	spawn hold $P; H=$BG_PID
	wait_count "$T/$M.d.err" '^sockipc: open echo' 2 5
	start=$(date +%s%N)
	kill -TERM $S
	wait $C
	expect_eq "$M: client got its echo during the drain" "before after" "$(tr '\n' ' ' <"$T/$M.d.client" | sed 's/ $//')"
	wait $S; rc=$?
	ms=$(ms_since $start)
	expect_eq "$M: drained server exits 0" 0 $rc
	check "$M: silent client cut at the drain timeout (${ms} ms)" test $ms -ge 1500 -a $ms -lt $((5000 * SCALE))
	check "$M: drain timeout logged" grep -q 'end=drain timeout' "$T/$M.d.err"
	stop_bg $H
done

# ---- out of descriptors: 64 of them, 100 clients at once ----
emfile_server() { ulimit -n 64; exec "$SOCKIPC" serve --model $1 -e 'tcp://127.0.0.1:0 echo'; }
for M in thread fork; do
	bg "$T/$M.f" emfile_server $M
	F=$BG_PID
	P=$(port_of "$(listening_url "$T/$M.f" 5)")
	spawn hold_n $P 100
	HN=$BG_PID
	wait_line "$T/$M.f.err" 'Too many open files' 10 >/dev/null
	# One second, measured once the server is out of descriptors.
	t0=$(cpu_ticks $F)
	sleep 1
	t1=$(cpu_ticks $F)
	check "$M: server alive with 100 clients and 64 descriptors" kill -0 $F
	check "$M: no CPU spin ($((t1 - t0)) ticks in 1 s)" test $((t1 - t0)) -lt 60
	stop_bg $HN
	ok=""
	for i in $(seq 1 $((40 * SCALE))); do
		ok=$(printf back | timeout $(secs 5) socat -t2 - TCP:127.0.0.1:$P)
		[ "$ok" = back ] && break
		sleep 0.05
	done
	expect_eq "$M: serves again after the clients left" "back" "$ok"
	kill -TERM $F; wait $F; expect_eq "$M: exit 0" 0 $?
done

# ---- fork: no connection process outlives the server ----
bg "$T/f" "$SOCKIPC" serve -v --model fork --drain-timeout 0.5 -e 'tcp://127.0.0.1:0 echo'
S=$BG_PID
P=$(port_of "$(listening_url "$T/f" 5)")
spawn hold $P; H=$BG_PID
wait_line "$T/f.err" 'connection process [0-9]+' 5 >/dev/null
KID=$(grep -Eo 'connection process [0-9]+' "$T/f.err" | head -1 | awk '{print $3}')
check "fork: the connection runs in a child process" test -n "$KID" -a "$KID" != "$S"
check "fork: the child's parent is the server" test "$(awk '{print $4}' /proc/$KID/stat 2>/dev/null)" = "$(serving_pid "$S")"
kill -TERM $S; wait $S; expect_eq "fork: exit 0 after the drain" 0 $?
check "fork: the connection process is gone" test ! -e /proc/$KID
stop_bg $H

# ---- start-up refusals ----
"$SOCKIPC" serve --model fork --workers 2 -e 'tcp://127.0.0.1:0 echo' 2>"$T/u1"; expect_eq "fork with --workers 2 exits 2" 2 $?
check "fork --workers explained" grep -q -- '--workers: --model fork' "$T/u1"
if "$SOCKIPC" help serve 2>&1 | grep -q broadcast || "$SOCKIPC" serve -e 'tcp://127.0.0.1:0 nosuch' 2>&1 | grep -q broadcast; then
	"$SOCKIPC" serve --model fork -e 'tcp://127.0.0.1:0 echo' -e 'tcp://127.0.0.1:0 broadcast' 2>"$T/u2"
	expect_eq "broadcast under fork exits 2" 2 $?
	check "broadcast under fork explained" grep -q "service broadcast does not work under --model fork" "$T/u2"

	# ---- broadcast across connection threads ----
	bg "$T/b" "$SOCKIPC" serve --model thread -e 'tcp://127.0.0.1:0 broadcast'
	S=$BG_PID
	P=$(port_of "$(listening_url "$T/b" 5)")
	spawn timeout $(secs 10) socat -u TCP:127.0.0.1:$P - >"$T/b.1"; R1=$BG_PID
	spawn timeout $(secs 10) socat -u TCP:127.0.0.1:$P - >"$T/b.2"; R2=$BG_PID
	wait_count "$T/b.err" '^sockipc: open broadcast' 2 5
	# The readers are members once the server logged their opens (the
	# log line comes before on_open, on their worker: send until both
	# have a line, bounded).
	for i in $(seq 1 $((40 * SCALE))); do
		printf 'hello threads\n' | timeout $(secs 5) socat - TCP:127.0.0.1:$P >/dev/null
		grep -q 'hello threads' "$T/b.1" && grep -q 'hello threads' "$T/b.2" && break
		sleep 0.05
	done
	wait_line "$T/b.1" 'hello threads' 5 >/dev/null; check "thread: broadcast reaches the first reader" grep -q 'hello threads' "$T/b.1"
	wait_line "$T/b.2" 'hello threads' 5 >/dev/null; check "thread: broadcast reaches the second reader" grep -q 'hello threads' "$T/b.2"
	kill -TERM $S; wait $S; expect_eq "thread: broadcast server exits 0" 0 $?
	stop_bg $R1; stop_bg $R2
else
	echo "SKIP (partial): no broadcast service in this build: its fork refusal and thread run are untested" >&2
fi
finish
