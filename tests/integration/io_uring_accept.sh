#!/bin/bash
# io_uring_accept.sh - serve -w 1 on io_uring accepts plain stream
# listeners through the ring (a multishot accept, loop.h
# sipc__io_accept_start; with -w 2 a one-shot accept per connection in
# each worker's ring, sipc__io_accept_start_shared) and every connection
# is served: 40 each over unix, tcp and unixpacket, with -w 1 and -w 2.
# With strace at hand: 30 connections cost serve no accept call on
# io_uring (-w 1 and -w 2; one per worker that finds the backlog empty as
# the drain ends the ring's accept), at least 30 on epoll (the control).  Out of descriptors on the ring (ulimit -n
# 64, 200 clients): EMFILE logged once per burst, no spin, served again
# after; a cps pause on the ring: five connections at once, three served,
# the fourth refused, the fifth (taken by the ring already) and one during
# the pause served after it, one refusal only.
. "$(dirname "$0")/../support/lib.sh"
need socat
unset SOCKIPC_IO

need_io_uring

# echo_n URL N: N connections one after another, each one line echoed;
# prints how many came back.
echo_n() {
	local i ok=0 r
	for ((i = 0; i < $2; i++)); do
		r=$(printf 'c%d\n' $i | timeout $(secs 10) "$SOCKIPC" connect "$1" 2>/dev/null)
		[ "$r" = "c$i" ] && ok=$((ok + 1))
	done
	echo $ok
}

# ---- every connection served through the ring ----
for w in 2 1; do
	L="$T/s$w"
	bg "$L" "$SOCKIPC" serve -v -w $w --io uring -e "unix://$T/echo$w echo" \
		-e "tcp://127.0.0.1:0 echo" -e "unixpacket://$T/echo$w.pkt echo"
	S=$BG_PID
	wait_count "$L" '^listening ' 3 10 >/dev/null || { fail "serve listens: $(head -3 "$L.err")"; finish; }
	kill -USR1 $S
	wait_line "$L.err" '^sockipc: stats: io ' 10 >/dev/null
	check "-w $w: serve runs on io_uring" grep -q '^sockipc: stats: io uring$' "$L.err"
	TE=$(grep '^listening tcp' "$L" | awk '{print $2}')
	for u in "unix://$T/echo$w" "$TE" "unixpacket://$T/echo$w.pkt"; do
		expect_eq "-w $w: 40 connections echoed ($u)" 40 "$(echo_n "$u" 40)"
	done
	wait_count "$L.err" '^sockipc: close echo ' 120 10 >/dev/null
	expect_eq "-w $w: 120 close lines" 120 "$(grep -c '^sockipc: close echo .* end=done' "$L.err")"
	check "-w $w: the peer's address is known (tcp)" grep -Eq \
		'^sockipc: open echo local=tcp://127.0.0.1:[0-9]+ peer=tcp://127.0.0.1:[0-9]+$' "$L.err"
	stop_server "serve -w $w --io uring" "$S" "$L.err"
done

# ---- the system calls: no accept per connection on the ring ----
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
	for run in "uring 1" "epoll 1" "uring 2"; do
		set -- $run
		io=$1 w=$2
		bg "$T/st-$io$w" strace -f -qq -e trace=accept,accept4 -o "$T/strace-$io$w" \
			"$SOCKIPC" serve -w "$w" --io "$io" -e "unix://$T/sock-$io$w echo"
		STP=$BG_PID
		wait_line "$T/st-$io$w" '^listening ' 20 >/dev/null ||
			fail "serve under strace ($io, -w $w) listens"
		expect_eq "under strace ($io, -w $w): 30 connections echoed" 30 \
			"$(echo_n "unix://$T/sock-$io$w" 30)"
		stop_bg "$STP"
		n=$(grep -Ec '(^|[] ])accept4?\(' "$T/strace-$io$w")
		if [ "$io" = uring ]; then
			# The drain's end of each worker's ring accept looks at
			# the backlog once (accept_leftovers: one accept4 that
			# finds it empty); none takes a connection.
			got=$(grep -Ec '(^|[] ])accept4?(\(| resumed>).* = [0-9]+' "$T/strace-$io$w")
			check "io_uring -w $w: no accept call takes a connection ($got of $n for 30 connections)" \
				test "$got" -eq 0
			check "io_uring -w $w: at most one accept call per worker, at the end ($n)" \
				test "$n" -le "$w"
		else
			check "$io -w $w: an accept call per connection ($n for 30)" test "$n" -ge 30
		fi
	done
else
	echo "strace cannot trace here: the system call check is left out"
fi

# ---- EMFILE on the ring: 64 descriptors, 200 clients ----
emfile_server() { ulimit -n 64; exec "$SOCKIPC" serve -w 1 --io uring -e 'tcp://127.0.0.1:0 echo'; }
bg "$T/f" emfile_server
F=$BG_PID
P=$(port_of "$(listening_url "$T/f" 5)")
spawn hold_clients $P 200
H=$BG_PID
wait_line "$T/f.err" 'Too many open files' 10 >/dev/null
t0=$(cpu_ticks $F)
sleep 1
t1=$(cpu_ticks $F)
check "ring: server alive with 200 clients and 64 descriptors" kill -0 $F
check "ring: EMFILE logged" grep -q 'Too many open files' "$T/f.err"
check "ring: EMFILE logged once per burst, not per connection" \
	test "$(grep -c 'Too many open files' "$T/f.err")" -lt 20
check "ring: no CPU spin under EMFILE ($((t1 - t0)) ticks in 1 s)" test $((t1 - t0)) -lt 60
stop_bg $H
expect_eq "ring: serves again after the clients left" "back" "$(echo_again $P)"
kill -TERM $F
wait $F
expect_eq "ring: exit 0 after EMFILE" 0 $?

# ---- a cps pause on the ring ----
cat >"$T/cps.conf" <<'EOF'
service burst
{
    listen = tcp://127.0.0.1:0
    run    = echo
    cps    = 3 1
}
EOF
C="$T/cps"
bg "$C" "$SOCKIPC" serve -w 1 --io uring -f "$T/cps.conf"
SRV=$BG_PID
P=$(port_of "$(listening_url "$C" 5)")
# Five at once: the ring takes them all off the backlog in one turn; the
# fourth begins the pause, the fifth is kept by the loop, not refused.
exec 5<>/dev/tcp/127.0.0.1/$P 6<>/dev/tcp/127.0.0.1/$P 7<>/dev/tcp/127.0.0.1/$P \
	8<>/dev/tcp/127.0.0.1/$P 4<>/dev/tcp/127.0.0.1/$P
wait_line "$C.err" '^sockipc: cps echo: more than 3 new connections in one second' 5 >/dev/null
check "ring cps: the pause line" test $? -eq 0
exec 9<>/dev/tcp/127.0.0.1/$P
served=0
for fd in 5 6 7 8 4 9; do
	(printf 'x\n' >&$fd) 2>/dev/null
	r=""
	read -r -t $(secs 10) -u $fd r 2>/dev/null
	[ "$r" = x ] && served=$((served + 1))
done
expect_eq "ring cps: five of six served (one refused)" 5 "$served"
exec 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
check "ring cps: the end-of-pause line" \
	grep -q '^sockipc: cps echo: the pause is over, accepting again$' "$C.err"
expect_eq "ring cps: one refusal only (the others waited)" 1 \
	"$(grep -c '^sockipc: refused ' "$C.err")"
stop_server "ring cps" $SRV "$C.err"
finish
