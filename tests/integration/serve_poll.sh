# serve_poll.sh - `sockipc serve --io poll`: the event loops on the poll(2)
# backend (backend_poll.c, Windows' WSAPoll one), through the services a
# Windows serve has: echo, chargen and forward (to a unix echo of the
# same server) with 1 MiB through the forward and back, 200 clients at
# once on two workers, and the SIGTERM drain (a connection open when it
# begins still gets its answer, then exit 0).  That it is poll: --trace and
# SIGUSR1 name it, and the serving process holds no epoll or io_uring
# descriptor at all (epoll's has one per loop).  SOCKIPC_IO=poll the same;
# bench --io poll against it.
. "$(dirname "$0")/../support/lib.sh"
need socat python3 md5sum
# The serve_* scripts run again with SOCKIPC_IO=uring (integration/uring/):
# this one names its backend, so that run would be this one again.
[ "${SOCKIPC_IO:-}" = uring ] && skip "runs on poll whatever SOCKIPC_IO says"
unset SOCKIPC_IO

# kinds PID: the epoll and io_uring descriptors of PID and its children.
kinds() {
	local p n=0
	for p in "$1" $(ps --ppid "$1" -o pid=); do
		n=$((n + $(ls -l "/proc/$p/fd" 2>/dev/null | grep -cE 'anon_inode:\[(eventpoll|io_uring)\]')))
	done
	echo "$n"
}

# usr1 PID ERRFILE: SIGUSR1, and the `stats: io` line it prints.
usr1() {
	local n
	n=$(grep -c 'stats: all ' "$2")
	kill -USR1 "$1"
	wait_count "$2" 'stats: all ' $((n + 1)) 5 >/dev/null || return 1
	grep 'stats: io ' "$2" | tail -1 | sed 's/.*stats: io //'
}

# drain_client PORT ERRFILE: sends a line, then another once the server
# has begun its drain (its `no longer accepting` line); prints the echo.
drain_client() {
	{
		echo before
		wait_line "$2" 'no longer accepting' 10 >/dev/null
		echo after
	} | timeout $(secs 10) socat -t2 - TCP:127.0.0.1:$1
}

bg "$T/s" "$SOCKIPC" serve --trace --io poll -w 2 --drain-timeout 10 \
	-e 'tcp://127.0.0.1:0 echo' -e 'tcp://127.0.0.1:0 chargen' \
	-e "unix://$T/e.sock echo" -e "tcp://127.0.0.1:0 forward unix://$T/e.sock"
S=$BG_PID
wait_count "$T/s" '^listening ' 4 10
ECHO=$(port_of "$(awk '/^listening .* echo$/{print $2; exit}' "$T/s")")
CHARGEN=$(port_of "$(awk '/ chargen$/{print $2}' "$T/s")")
FWD=$(port_of "$(awk '/ forward /{print $2}' "$T/s")")

# ---- it is poll
check "--trace names the backend" grep -q 'trace: serve: io poll$' "$T/s.err"
expect_eq "SIGUSR1 names the backend" "poll" "$(usr1 "$S" "$T/s.err")"
expect_eq "no epoll or io_uring descriptor in the server" 0 "$(kinds "$S")"

# ---- echo, chargen, forward
expect_eq "echo" "over poll" "$(printf 'over poll\n' | timeout $(secs 10) socat -t2 - TCP:127.0.0.1:$ECHO)"
line=$(timeout $(secs 10) socat -u TCP:127.0.0.1:$CHARGEN - 2>/dev/null | head -c 74 | head -1 | tr -d '\r')
expect_eq "chargen's first line" '!"#$%&'"'"'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefgh' "$line"
head -c $((1024 * 1024)) /dev/urandom >"$T/mib"
timeout $(secs 20) socat -t5 - TCP:127.0.0.1:$FWD <"$T/mib" >"$T/mib.back"
expect_eq "1 MiB through forward to echo and back" "$(md5sum <"$T/mib")" "$(md5sum <"$T/mib.back")"

# ---- 200 clients at once: all connected before any sends, each its own
# bytes back, on two workers' loops.
python3 - "$ECHO" 200 >"$T/many" 2>&1 <<'PY'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
cs = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(n)]
for i, c in enumerate(cs):
    c.sendall(b"client %d\n" % i)
ok = 0
for i, c in enumerate(cs):
    want, got = b"client %d\n" % i, b""
    while len(got) < len(want):
        b = c.recv(len(want) - len(got))
        if not b:
            break
        got += b
    ok += got == want
for c in cs:
    c.close()
print("ok", ok)
PY
expect_eq "200 concurrent clients, each its own echo" "ok 200" "$(cat "$T/many")"
check "the server counted them" test "$(grep -c 'open echo' "$T/s.err")" -ge 200

# ---- bench --io poll against it
"$SOCKIPC" bench --io poll -n 400 -c 4 "tcp://127.0.0.1:$ECHO" >"$T/b.out" 2>"$T/b.err"
expect_eq "bench --io poll: exit 0" 0 $?
check "bench --io poll: every message echoed" grep -q '400 sent, 400 echoed, 0 mismatched' "$T/b.out"

# ---- the drain: an open connection finishes, then exit 0
opened=$(grep -c 'open echo' "$T/s.err")
bg "$T/d.client" drain_client $ECHO "$T/s.err"
C=$BG_PID
wait_count "$T/s.err" 'open echo' $((opened + 1)) 10
kill -TERM $S
wait_line "$T/s.err" 'no longer accepting' 5 >/dev/null
ended $C
expect_eq "client got its echo during the drain" "before after" "$(tr '\n' ' ' <"$T/d.client" | sed 's/ $//')"
# Bounded: a loop that is never woken never drains (the server hangs).
ended $S
expect_eq "drained server exits 0" 0 "$STATUS"
no_sanitizer_report "no sanitizer report" "$T/s.err"

# ---- SOCKIPC_IO=poll without the flag
bg "$T/e" env SOCKIPC_IO=poll "$SOCKIPC" serve tcp://127.0.0.1:0 echo
E=$BG_PID
P=$(port_of "$(listening_url "$T/e" 10)")
expect_eq "SOCKIPC_IO=poll: echo" "env" "$(printf 'env\n' | timeout $(secs 10) socat -t2 - TCP:127.0.0.1:$P)"
expect_eq "SOCKIPC_IO=poll: SIGUSR1 names it" "poll" "$(usr1 "$E" "$T/e.err")"
expect_eq "SOCKIPC_IO=poll: no epoll or io_uring descriptor" 0 "$(kinds "$E")"
kill -TERM $E
ended $E
expect_eq "SOCKIPC_IO=poll: exits 0 on SIGTERM" 0 "$STATUS"
no_sanitizer_report "SOCKIPC_IO=poll: no sanitizer report" "$T/e.err"
finish
