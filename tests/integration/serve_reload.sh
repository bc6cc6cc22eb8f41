# serve_reload.sh - SIGHUP re-reads the configuration of `sockipc serve`:
# a service is added, one removed (refused at once afterwards), a service
# argument changed (new connections only: an exec session opened before
# goes on with the old program to its end), an unchanged endpoint keeps its
# port (port 0 stays that port) and its very socket (same inode); a file
# with an error, an unknown service or a bind failure is refused with the
# reason and the old configuration keeps serving.  Then, under every
# model, clients connect without pause while SIGHUP comes again and again:
# not one is refused, reset or answered wrongly.
. "$(dirname "$0")/../support/lib.sh"
need python3
CHURN="python3 $(dirname "$0")/serve_churn.py"

# inode_of PORT: the inode of the socket listening on 127.0.0.1:PORT.
inode_of() {
	awk -v p="$(printf ':%04X' "$1")" '$4 == "0A" && substr($2, 9) == p { print $10; exit }' /proc/net/tcp
}
# say URL: what a client reads from URL after sending nothing.
say() { timeout "$(secs 10)" "$SOCKIPC" connect "$1" </dev/null 2>&1; }
# echo_on PORT TEXT: the echo of TEXT.
echo_on() { printf '%s\n' "$2" | timeout "$(secs 10)" "$SOCKIPC" connect "tcp://127.0.0.1:$1" 2>&1; }
# generations PID: how many processes serve for PID.
generations() { ps --ppid "$1" -o pid= | wc -l; }

cat >"$T/conf" <<'EOF'
tcp://127.0.0.1:0 echo
tcp://127.0.0.1:0 discard
tcp://127.0.0.1:0 exec /bin/sh -c "echo v1; exec cat"
EOF
bg "$T/s" "$SOCKIPC" serve -f "$T/conf"
SRV=$BG_PID
wait_count "$T/s" '^listening ' 3 "$(secs 10)" || { fail "serve starts"; finish; }
PE=$(nth_port "$T/s" 1)
PD=$(nth_port "$T/s" 2)
PX=$(nth_port "$T/s" 3)
INO=$(inode_of "$PE")
check "the echo socket is found in /proc/net/tcp" test -n "$INO"

# An exec session opened before the reload: it reads v1, then waits for
# $T/go, sends a line and expects it back (cat), then closes.
session() {
	exec python3 - "$PX" "$T/go" <<'PY'
import os, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
f = s.makefile("rb")
print("got " + f.readline().decode().strip(), flush=True)
end = time.monotonic() + 30
while not os.path.exists(sys.argv[2]) and time.monotonic() < end:
    time.sleep(0.02)
s.sendall(b"still here\n")
print("then " + f.readline().decode().strip(), flush=True)
s.close()
PY
}
spawn session >"$T/sess" 2>&1
wait_line "$T/sess" '^got v1' "$(secs 10)" >/dev/null && pass "the session runs the first program"

# The new file: exec with another argument, echo (in another order), a
# new daytime on a unix socket; discard is gone.
cat >"$T/conf" <<EOF
tcp://127.0.0.1:0 exec /bin/sh -c "echo v2; exec cat"
tcp://127.0.0.1:0 echo
unix://$T/new.sock daytime
EOF
kill -HUP "$SRV"
wait_line "$T/s.err" 'reload: 3 service line\(s\) now; kept 2 endpoint\(s\); added unix://.*/new\.sock daytime; removed tcp://127\.0\.0\.1:0 discard' \
	"$(secs 10)" >/dev/null && pass "the reload is logged: what was kept, added and removed"
wait_line "$T/s" "^listening unix://$T/new.sock daytime\$" "$(secs 10)" >/dev/null &&
	pass "the added endpoint gets its listening line"
expect_eq "only the added endpoint is announced again" 4 "$(grep -c '^listening ' "$T/s")"
# The old generation has closed its copies of the listeners once it says so.
wait_line "$T/s.err" 'reload: the new configuration accepts; this process has stopped accepting and lets its 1 connection' \
	"$(secs 10)" >/dev/null && pass "the old generation stops accepting, its session open"
daytime_ok() { say "unix://$T/new.sock" | grep -Eq '^[0-9]{2} [A-Za-z]{3} [0-9]{4} '; }
check "the added service serves" daytime_ok
expect_eq "the unchanged endpoint keeps its port and socket" "$INO" "$(inode_of "$PE")"
expect_eq "the unchanged endpoint serves" "kept" "$(echo_on "$PE" kept)"
refused() { say "tcp://127.0.0.1:$1" | grep -q 'Connection refused'; }
check "the removed endpoint refuses at once" refused "$PD"
expect_eq "the changed service argument applies to new connections" "v2" "$(say "tcp://127.0.0.1:$PX")"
expect_eq "two processes serve while the old session lasts" 2 "$(generations "$SRV")"
touch "$T/go"
wait_line "$T/sess" '^then ' "$(secs 10)" >/dev/null
expect_eq "the session opened before the reload goes on" "then still here" "$(grep '^then' "$T/sess")"
for ((i = 0; i < 200 * SCALE; i++)); do [ "$(generations "$SRV")" -eq 1 ] && break; sleep 0.05; done
expect_eq "the old generation ends with its last connection" 1 "$(generations "$SRV")"

# Refused reloads: the reason, and the running configuration stays.
good=$(cat "$T/conf")
bad_reload() {
	local n
	n=$(grep -c 'kept the running configuration' "$T/s.err")
	printf '%s\n%s\n' "$good" "$1" >"$T/conf"
	kill -HUP "$SRV"
	wait_count "$T/s.err" 'kept the running configuration' $((n + 1)) "$(secs 10)"
	grep 'kept the running configuration' "$T/s.err" | tail -1
}
line=$(bad_reload 'tcp://127.0.0.1:0 echo "unclosed')
check "a file that does not parse is refused with FILE:LINE ($line)" \
	grep -q "reload: $T/conf:4: .*quote is not closed: kept the running configuration" <<<"$line"
line=$(bad_reload 'tcp://127.0.0.1:0 nosuch')
check "an unknown service is refused with FILE:LINE ($line)" \
	grep -q "reload: $T/conf:4: unknown service 'nosuch'.*: kept the running configuration" <<<"$line"
line=$(bad_reload "tcp://127.0.0.1:$PE echo")
check "a bind failure is refused with the address ($line)" \
	grep -q "reload: listen tcp://127.0.0.1:$PE: .*: kept the running configuration" <<<"$line"
expect_eq "after the refusals the old configuration serves" "still" "$(echo_on "$PE" still)"
expect_eq "after the refusals the old exec argument stays" "v2" "$(say "tcp://127.0.0.1:$PX")"
expect_eq "after the refusals one process serves" 1 "$(generations "$SRV")"
expect_eq "no listening line for a refused reload" 4 "$(grep -c '^listening ' "$T/s")"
stop_server "reload" "$SRV" "$T/s.err"
# Each generation adopts the supervisor's sockets as sockets passed in:
# it says nothing about it (that line is for socket activation).
check "no generation logs an adopted socket" bash -c "! grep -q 'passed in' '$T/s.err'"
check "the removed unix socket file of a stopped server is gone" test ! -e "$T/new.sock"

# ---- a signal to the whole process group counts once ----
# A terminal's ^C (or kill -- -PGID) reaches the supervisor and the serving
# process both; the supervisor passes it on, and that is one drain, not
# two: an open connection still gets its echo.  Another closes at once.
bg "$T/g" "$SOCKIPC" serve --drain-timeout 30 -e 'tcp://127.0.0.1:0 echo'
SRV=$BG_PID
P=$(port_of "$(listening_url "$T/g" "$(secs 10)")")
held() {
	exec python3 - "$P" "$T/g.err" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.sendall(b"one\n")
print(s.recv(100).decode().strip(), flush=True)
end = time.monotonic() + 30
while b"no longer accepting" not in open(sys.argv[2], "rb").read() and time.monotonic() < end:
    time.sleep(0.02)
s.sendall(b"two\n")
print(s.recv(100).decode().strip(), flush=True)
s.recv(100)
PY
}
spawn held >"$T/held" 2>&1
wait_line "$T/held" '^one$' "$(secs 10)" >/dev/null
kill -TERM -- -"$SRV"
wait_line "$T/held" '^two$' "$(secs 10)" >/dev/null && pass "one TERM to the group: one drain, the open connection goes on"
check "one TERM to the group is not taken for two" bash -c "! grep -q 'again' '$T/g.err'"
kill -TERM -- -"$SRV"
wait_line "$T/g.err" 'Terminated again: closing every connection now' "$(secs 10)" >/dev/null &&
	pass "a second TERM to the group closes at once"
ended "$SRV"
expect_eq "the group-signalled server exits 0 well before its 30 s drain" 0 "$STATUS"

# ---- clients connecting throughout while SIGHUP comes again and again ----
# event-w1: the event model with one worker (on io_uring, like thread and
# fork, a multishot accept; several workers take one-shot accepts), whose
# end as a generation retires must leave no connection in the backlog
# unwoken (backend_uring.c accept_leftovers).
RELOADS=6
for model in event event-w1 thread fork; do
	printf 'tcp://127.0.0.1:0 echo\n' >"$T/c.$model"
	opts=(--model "${model%-w1}")
	[ "$model" = event-w1 ] && opts+=(-w 1)
	bg "$T/h.$model" "$SOCKIPC" serve -q "${opts[@]}" -f "$T/c.$model"
	SRV=$BG_PID
	P=$(port_of "$(listening_url "$T/h.$model" "$(secs 10)")")
	rm -f "$T/stop"
	spawn $CHURN 127.0.0.1 "$P" 200 "$T/stop" "$(secs 120)" "$T/churn.$model"
	for ((r = 1; r <= RELOADS; r++)); do
		n=$(cat "$T/churn.$model.progress" 2>/dev/null || echo 0)
		# Every other reload adds a line, so generations really differ.
		if [ $((r % 2)) -eq 1 ]; then
			printf 'tcp://127.0.0.1:0 echo\ntcp://127.0.0.1:0 discard\n' >"$T/c.$model"
		else
			printf 'tcp://127.0.0.1:0 echo\n' >"$T/c.$model"
		fi
		kill -HUP "$SRV"
		wait_count "$T/h.$model.err" '^sockipc: reload: [0-9]+ service line' "$r" "$(secs 20)" ||
			fail "$model: reload $r applied"
		# Clients must have gone on meanwhile.
		for ((i = 0; i < 400 * SCALE; i++)); do
			[ "$(cat "$T/churn.$model.progress" 2>/dev/null || echo 0)" -ge $((n + 20)) ] && break
			sleep 0.05
		done
	done
	touch "$T/stop"
	wait_line "$T/churn.$model" '^made=' "$(secs 130)" >/dev/null
	res=$(head -1 "$T/churn.$model")
	echo "$model: $RELOADS reloads during: $res"
	made=$(sed 's/.*made=\([0-9]*\).*/\1/' <<<"$res")
	ok=$(sed 's/.*ok=\([0-9]*\).*/\1/' <<<"$res")
	check "$model: at least 200 clients connected during $RELOADS reloads ($made)" test "${made:-0}" -ge 200
	expect_eq "$model: every client answered right: none refused, reset or wrong ($res)" "$made" "$ok"
	expect_eq "$model: the reloads were all applied" "$RELOADS" "$(grep -c '^sockipc: reload: [0-9]* service line' "$T/h.$model.err")"
	stop_server "$model: churn" "$SRV" "$T/h.$model.err"
done
finish
