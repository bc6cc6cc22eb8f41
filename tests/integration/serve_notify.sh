# serve_notify.sh - `sockipc serve` under a service manager that asks for
# notifications (sd_notify(3)): a python unixgram socket plays systemd as
# NOTIFY_SOCKET, by path and by abstract name.  READY=1 arrives after the
# `listening` line (never before), STATUS= says what is open, WATCHDOG=1
# comes again and again at half of a small WATCHDOG_USEC (and not at all
# when WATCHDOG_PID names another process), STOPPING=1 on SIGTERM, and
# none of the variables reaches an exec child.  SIGHUP: RELOADING=1, then
# READY=1.  Every notification comes from serve's own pid (the supervisor:
# systemd's NotifyAccess=main drops the others), the generations' too.
. "$(dirname "$0")/../support/lib.sh"
need python3 socat
PEER=$(dirname "$0")/notify_peer.py

# run NAME SOCKET MODEL [ENV...]: a notify peer on SOCKET and serve
# (--model MODEL) beside it.
run() {
	local name=$1 sock=$2 model=$3
	shift 3
	bg "$T/$name.peer" python3 "$PEER" "$sock" "$T/$name.n"
	for ((i = 0; i < 100 * SCALE; i++)); do [ -e "$T/$name.n.ready" ] && break; sleep 0.05; done
	bg "$T/$name" env NOTIFY_SOCKET="$sock" "$@" "$SOCKIPC" serve -m "$model" \
		-e 'tcp://127.0.0.1:0 echo' -e "tcp://127.0.0.1:0 exec /usr/bin/env"
	SRV=$BG_PID
}

# The models have control loops of their own (fork: the parent's worker
# loop): each must notify.
for kind in path abstract fork; do
	model=event
	case $kind in
	path) sock=$T/notify.sock ;;
	abstract) sock=@sipc-notify-$$-$RANDOM ;;
	fork) sock=$T/notify-fork.sock model=fork ;;
	esac
	run $kind "$sock" $model WATCHDOG_USEC=200000
	check "$kind: READY=1" wait_line "$T/$kind.n" '^READY=1$' 10
	# Written and flushed before READY=1 was sent: no wait here.
	expect_eq "$kind: both listening lines were out before READY=1" 2 "$(grep -c '^listening' "$T/$kind")"
	check "$kind: STATUS= with the counters" wait_line "$T/$kind.n" '^STATUS=0 connection\(s\) open, 0 served' 10
	check "$kind: WATCHDOG=1 again and again" wait_count "$T/$kind.n" '^WATCHDOG=1$' 5 10
	# A connection changes the counters: STATUS follows.
	port=$(nth_port "$T/$kind" 1)
	expect_eq "$kind: echo works" "hi" "$(printf hi | timeout $(secs 5) socat -t2 - TCP:127.0.0.1:$port)"
	check "$kind: STATUS after a connection" wait_line "$T/$kind.n" '^STATUS=0 connection\(s\) open, 1 served' 10
	# The exec child sees none of the manager's variables.
	eport=$(nth_port "$T/$kind" 2)
	env_out=$(timeout $(secs 5) socat -t2 - TCP:127.0.0.1:$eport </dev/null)
	check "$kind: the child's environment is readable" test -n "$env_out"
	check "$kind: no NOTIFY_SOCKET or WATCHDOG_ in an exec child" \
		bash -c "! printf '%s' '$env_out' | grep -Eq '^(NOTIFY_SOCKET|WATCHDOG_USEC|LISTEN_)'"
	check "$kind: no STOPPING=1 before the drain" bash -c "! grep -q STOPPING '$T/$kind.n'"
	# SIGHUP: RELOADING=1 (with MONOTONIC_USEC), then READY=1 once the new
	# generation accepts; the supervisor, the manager's main pid, sends both.
	kill -HUP $SRV
	check "$kind: reload: RELOADING=1" wait_line "$T/$kind.n" '^RELOADING=1$' 10
	check "$kind: reload: MONOTONIC_USEC with it" grep -Eq '^MONOTONIC_USEC=[0-9]+$' "$T/$kind.n"
	check "$kind: reload: READY=1 again" wait_count "$T/$kind.n" '^READY=1$' 2 10
	expect_eq "$kind: reload: READY=1 came after RELOADING=1" "READY=1" \
		"$(grep -E '^(READY|RELOADING)=1$' "$T/$kind.n" | tail -1)"
	check "$kind: reload: the new generation's STATUS= (its counters start anew)" \
		wait_line "$T/$kind.n" '^STATUS=0 connection\(s\) open, 0 served' 10
	# NotifyAccess=main: systemd drops what another process sends.
	expect_eq "$kind: every notification came from serve's own pid" "$SRV" \
		"$(sort -u "$T/$kind.n.pids")"
	stop_server "$kind" $SRV "$T/$kind.err"
	check "$kind: STOPPING=1 on SIGTERM" wait_line "$T/$kind.n" '^STOPPING=1$' 10
	expect_eq "$kind: READY=1 is the first notification" "READY=1" "$(head -1 "$T/$kind.n")"
	expect_eq "$kind: STOPPING=1 too came from serve's own pid" "$SRV" "$(sort -u "$T/$kind.n.pids")"
done

# WATCHDOG_PID of another process: the watchdog is not ours to feed.
run otherpid "$T/n2.sock" event WATCHDOG_USEC=100000 WATCHDOG_PID=1
check "another WATCHDOG_PID: READY=1" wait_line "$T/otherpid.n" '^READY=1$' 10
# A fed watchdog sends its first WATCHDOG=1 right after READY=1, in the
# same turn of the loop; a SIGUSR1 answered is a later turn.
kill -USR1 $SRV
wait_line "$T/otherpid.err" 'stats: all' 10 >/dev/null
check "another WATCHDOG_PID: no WATCHDOG=1" bash -c "! grep -q WATCHDOG '$T/otherpid.n'"
stop_server otherpid $SRV "$T/otherpid.err"

# A malformed NOTIFY_SOCKET: serve says so and runs.
bg "$T/bad" env NOTIFY_SOCKET=relative/path "$SOCKIPC" serve -e 'tcp://127.0.0.1:0 echo'
check "a bad NOTIFY_SOCKET: still listening" wait_line "$T/bad" '^listening' 10
check "a bad NOTIFY_SOCKET: said why" grep -q 'NOTIFY_SOCKET: not a socket path' "$T/bad.err"
stop_server bad $BG_PID "$T/bad.err"
finish
