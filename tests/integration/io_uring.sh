#!/bin/bash
# io_uring.sh - `--io uring` really runs on io_uring, and where io_uring is
# refused it says so in one line and runs on epoll.  serve --io uring
# --trace: the serving process holds anon_inode:[io_uring] descriptors,
# --trace and SIGUSR1 say "io uring", an echo round trip; SOCKIPC_IO=uring
# without the flag the same; --io epoll holds none.  Under no_uring (a
# seccomp filter refusing io_uring_setup with EPERM, as Docker's and
# containerd's default profiles do): one line naming the reason, an echo
# round trip, no io_uring descriptor anywhere, SIGUSR1 says "io epoll";
# bench the same on stderr.  An unknown --io or SOCKIPC_IO is a usage error.
# (The serve suite itself runs on io_uring as integration/uring/*.)
. "$(dirname "$0")/../support/lib.sh"
NO_URING=$SIPC_BUILD_DIR/no_uring
[ -x "$NO_URING" ] || skip "no_uring is not built"
unset SOCKIPC_IO

# rings PID: how many io_uring descriptors PID and its children hold.
rings() {
	local p n=0
	for p in "$1" $(ps --ppid "$1" -o pid=); do
		n=$((n + $(ls -l "/proc/$p/fd" 2>/dev/null | grep -c 'anon_inode:\[io_uring\]')))
	done
	echo "$n"
}

# echo_once URL: one line through the echo service at URL.
echo_once() { printf 'round trip\n' | timeout "$(secs 10)" "$SOCKIPC" connect "$1" 2>&1; }

# usr1 PID ERRFILE: SIGUSR1, and the `stats: io` line it prints.
usr1() {
	local n
	n=$(grep -c 'stats: all ' "$2")
	kill -USR1 "$1"
	wait_count "$2" 'stats: all ' $((n + 1)) 5 >/dev/null || return 1
	grep 'stats: io ' "$2" | tail -1 | sed 's/.*stats: io //'
}

# The machine must allow io_uring for the first half.
need_io_uring

# ---- --io uring: rings, and the backend named.
bg "$T/u" "$SOCKIPC" serve --trace --io uring tcp://127.0.0.1:0 echo
U=$BG_PID
URL=$(listening_url "$T/u" 10)
expect_eq "--io uring: echo round trip" "round trip" "$(echo_once "$URL")"
n=$(rings "$U")
check "--io uring: the serving process holds io_uring descriptors ($n)" test "$n" -ge 2
check "--io uring: --trace says so" grep -q 'trace: serve: io uring$' "$T/u.err"
expect_eq "--io uring: SIGUSR1 says so" "uring" "$(usr1 "$U" "$T/u.err")"
check "--io uring: no fallback line" test "$(grep -c 'cannot run here' "$T/u.err")" -eq 0
stop_server "--io uring" "$U" "$T/u.err"

# ---- SOCKIPC_IO=uring without the flag; --io epoll over it.
bg "$T/e" env SOCKIPC_IO=uring "$SOCKIPC" serve tcp://127.0.0.1:0 echo
E=$BG_PID
URL=$(listening_url "$T/e" 10)
expect_eq "SOCKIPC_IO=uring: echo round trip" "round trip" "$(echo_once "$URL")"
n=$(rings "$E")
check "SOCKIPC_IO=uring: io_uring descriptors ($n)" test "$n" -ge 2
stop_server "SOCKIPC_IO=uring" "$E" "$T/e.err"
bg "$T/p" env SOCKIPC_IO=uring "$SOCKIPC" serve --io epoll tcp://127.0.0.1:0 echo
E=$BG_PID
URL=$(listening_url "$T/p" 10)
expect_eq "--io epoll: echo round trip" "round trip" "$(echo_once "$URL")"
expect_eq "--io epoll over SOCKIPC_IO: no io_uring descriptor" 0 "$(rings "$E")"
expect_eq "--io epoll: SIGUSR1 says so" "epoll" "$(usr1 "$E" "$T/p.err")"
stop_server "--io epoll" "$E" "$T/p.err"

# ---- io_uring refused (seccomp): one line, and epoll serves.
bg "$T/f" "$NO_URING" "$SOCKIPC" serve --trace --io uring tcp://127.0.0.1:0 echo
F=$BG_PID
URL=$(listening_url "$T/f" 10)
expect_eq "refused: one line says so" 1 "$(grep -c 'cannot run here' "$T/f.err")"
check "refused: the line names the reason and the backend that runs" grep -q \
	'serve: io: uring cannot run here (io_uring_setup: EPERM: refused by a seccomp filter.*): running on epoll$' \
	"$T/f.err"
expect_eq "refused: echo round trip" "round trip" "$(echo_once "$URL")"
expect_eq "refused: no io_uring descriptor" 0 "$(rings "$F")"
check "refused: --trace says epoll" grep -q 'trace: serve: io epoll$' "$T/f.err"
expect_eq "refused: SIGUSR1 says epoll" "epoll" "$(usr1 "$F" "$T/f.err")"

# bench under the same filter, against that server.
"$NO_URING" "$SOCKIPC" bench --io uring -n 200 -c 2 "$URL" >"$T/b.out" 2>"$T/b.err"
expect_eq "bench refused: exit 0" 0 $?
check "bench refused: one line on stderr" grep -q \
	'^sockipc: bench: io: uring cannot run here (io_uring_setup: EPERM: .*): running on epoll$' \
	"$T/b.err"
check "bench refused: every message echoed" grep -q '200 sent, 200 echoed, 0 mismatched' "$T/b.out"
"$SOCKIPC" bench --io uring -n 200 -c 2 "$URL" >"$T/b2.out" 2>"$T/b2.err"
expect_eq "bench --io uring: exit 0" 0 $?
expect_eq "bench --io uring: no fallback line" 0 "$(grep -c 'cannot run here' "$T/b2.err")"
stop_server "refused" "$F" "$T/f.err"

# ---- unknown names
"$SOCKIPC" serve --io kqueue tcp://127.0.0.1:0 echo >/dev/null 2>"$T/k.err"
expect_eq "--io kqueue: usage error" 2 $?
check "--io kqueue: says which are known" grep -q "serve: --io: unknown backend 'kqueue' (epoll, uring or poll)" "$T/k.err"
SOCKIPC_IO=select "$SOCKIPC" bench -n 1 "$URL" >/dev/null 2>"$T/s.err"
expect_eq "SOCKIPC_IO=select: usage error" 2 $?
check "SOCKIPC_IO=select: named" grep -q "bench: SOCKIPC_IO: unknown backend 'select'" "$T/s.err"
finish
