#!/bin/bash
# io_uring_recv.sh - serve on io_uring receives for plain stream
# connections through the ring (completion receive: a multishot receive
# into provided buffers, loop.h sipc__io_recv_start), and nothing is lost,
# reordered or doubled on the way: unix echo under backpressure (a client
# that stops reading until serve stops taking its bytes, then reads: every
# byte back in order), 40 connections at once with writes from 1 byte to
# 64 KiB, tcp discard counting every byte, the peer's end after data, and
# tcp echo (urgent data: read by readiness, as on epoll) beside them.  With
# strace at hand: 500 round trips on unix echo cost serve no recv and no
# send call on io_uring (the loop's completion receive and send), and at
# least 500 of each on epoll (the same exchange, the control).
. "$(dirname "$0")/../support/lib.sh"
need python3
unset SOCKIPC_IO
PEER=$(dirname "$0")/crecv_peer.py

need_io_uring

bg "$T/s" "$SOCKIPC" serve -v --io uring -e "unix://$T/echo echo" -e "unix://$T/discard discard" \
	-e "tcp://127.0.0.1:0 discard" -e "tcp://127.0.0.1:0 echo"
S=$BG_PID
wait_count "$T/s" '^listening ' 4 10 >/dev/null || { fail "serve listens: $(head -3 "$T/s.err")"; finish; }
TD=$(grep '^listening tcp.* discard' "$T/s" | awk '{print $2}')
TE=$(grep '^listening tcp.* echo' "$T/s" | awk '{print $2}')

# Backpressure: serve stops taking bytes it cannot echo yet, holds what the
# ring had already received, and gives it all back in order.
r=$(timeout "$(secs 90)" python3 "$PEER" stall "unix://$T/echo" $((32 << 20)) 2>&1)
check "unix echo under backpressure: stalled, then every byte back in order ($r)" \
	grep -q 'echoed 33554432 bytes whole' <<<"$r"
check "unix echo under backpressure: serve stopped taking bytes" grep -q '^stalled after' <<<"$r"

r=$(timeout "$(secs 90)" python3 "$PEER" many "unix://$T/echo" 40 $((1 << 20)) 2>&1)
expect_eq "unix echo: 40 connections, writes of 1 B to 64 KiB" \
	"40 connections echoed 1048576 bytes whole" "$r"

# discard counts what the ring received, byte for byte, to the peer's end.
head -c $((3 << 20)) /dev/urandom >"$T/blob"
timeout "$(secs 30)" "$SOCKIPC" connect "$TD" <"$T/blob" >/dev/null 2>"$T/c.err"
expect_eq "tcp discard: connect exits 0" 0 $?
wait_count "$T/s.err" 'close discard local=tcp://.* in=3145728 ' 1 10 >/dev/null
check "tcp discard: the close line counts every byte" \
	grep -q 'close discard local=tcp://.* in=3145728 out=0 ' "$T/s.err"
timeout "$(secs 30)" "$SOCKIPC" connect "unix://$T/discard" <"$T/blob" >/dev/null 2>"$T/c2.err"
expect_eq "unix discard: connect exits 0" 0 $?
wait_count "$T/s.err" 'close discard local=unix://.* in=3145728 ' 1 10 >/dev/null
check "unix discard: the close line counts every byte" \
	grep -q 'close discard local=unix://.* in=3145728 out=0 ' "$T/s.err"

# The peer's end after data: all of it echoed, then the end.
printf 'one\ntwo\nthree\n' >"$T/lines"
got=$(timeout "$(secs 10)" "$SOCKIPC" connect "unix://$T/echo" <"$T/lines" 2>&1)
expect_eq "unix echo: data then the peer's end" "$(cat "$T/lines")" "$got"

# tcp echo takes urgent data: read by readiness on io_uring too.
r=$(timeout "$(secs 30)" python3 "$PEER" count "$TE" 200 2>&1)
expect_eq "tcp echo (urgent: readiness) beside them" "200 round trips" "$r"
stop_server "serve --io uring" "$S" "$T/s.err"

# The system calls: no recv per message on io_uring; epoll is the control.
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
	for io in uring epoll; do
		bg "$T/st-$io" strace -f -qq -e trace=recvfrom,recvmsg,recvmmsg,sendto,sendmsg,write \
			-o "$T/strace-$io" \
			"$SOCKIPC" serve --io "$io" -e "unix://$T/sock-$io echo"
		STP=$BG_PID
		wait_line "$T/st-$io" '^listening ' 20 >/dev/null || fail "serve under strace ($io) listens"
		r=$(timeout "$(secs 60)" python3 "$PEER" count "unix://$T/sock-$io" 500 2>&1)
		expect_eq "under strace ($io): 500 round trips" "500 round trips" "$r"
		stop_bg "$STP"
		n=$(grep -Ec 'recvfrom|recvmsg' "$T/strace-$io")
		w=$(grep -Ec '^[0-9]+ +(sendto|sendmsg)\(' "$T/strace-$io")
		if [ "$io" = uring ]; then
			check "io_uring: no recv call per message ($n for 500)" test "$n" -lt 50
			check "io_uring: no send call per message ($w for 500)" test "$w" -lt 50
		else
			check "epoll (the control): a recv call per message ($n for 500)" test "$n" -ge 500
			check "epoll (the control): a send call per message ($w for 500)" test "$w" -ge 500
		fi
	done
else
	echo "strace cannot trace here: the system call check is left out"
fi
finish
