#!/bin/bash
# multicast.sh - multicast UDP through the real program, inside a network
# namespace the test creates (`unshare -n`), so nothing leaves the machine
# and no other test sees the groups: two `listen` receivers on a group both
# get a datagram `send` sends to it; a source-specific join (source=)
# admits its source and not another (senders bound to 127.0.0.1 and
# 127.0.0.2 with connect --source); mcast_loop=0 keeps a datagram from the
# sender's own host; IPv6, any-source and source-specific, the same way.
#
# IPv4 runs on lo (multicast turned on, 224.0.0.0/4 routed to it).  lo
# cannot show mcast_loop: whatever lo transmits it receives again, so a
# datagram reaches local receivers whatever IP_MULTICAST_LOOP says; and
# Linux does not deliver IPv6 multicast looped through lo.  Those two use
# one end of a veth pair, v0, where only the loop-back copy that
# IP_MULTICAST_LOOP asks for reaches a local receiver.  Skipped, with the
# reason, where namespaces are not allowed; the veth parts alone are
# skipped (with a line) where veth is missing.
#
# Waits are on events: a `listening` line, a datagram's bytes, serve's
# "datagram ... peer=" log line.  A datagram the filter must keep out is
# sent before one it must let in, to the same receiver: its socket queue is
# in order, so once the second is there, the first would have been too.
export PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
if [ -z "${SIPC_MCAST_NETNS:-}" ]; then
	for c in unshare ip; do
		command -v "$c" >/dev/null || { echo "SKIP: $c is not installed" >&2; exit 77; }
	done
	if ! err=$(unshare -n true 2>&1); then
		echo "SKIP: network namespaces are not allowed here (unshare -n: $err)" >&2
		exit 77
	fi
	SIPC_MCAST_NETNS=1 exec unshare -n bash "$0" "$@"
fi
. "$(dirname "$0")/../support/lib.sh"

ip link set lo up && ip link set lo multicast on &&
	ip route add 224.0.0.0/4 dev lo src 127.0.0.1 ||
	skip "cannot set up multicast on lo in the namespace"

# Receivers' stdin: a FIFO held open, so listen never reads an end.
mkfifo "$T/in"
exec 7<>"$T/in"

# receiver NAME URL: `sockipc listen URL`, its first datagram in $T/NAME.
receiver() {
	bg "$T/$1" "$SOCKIPC" listen --trace "$2" <&7
	eval "pid_$1=$BG_PID"
	wait_line "$T/$1.err" '^listening ' 10 >/dev/null
}
# logger NAME URL: `sockipc serve -v URL discard`: a line per datagram,
# with its sender, in $T/NAME.err.
logger() {
	bg "$T/$1" "$SOCKIPC" serve -v "$2" discard
	eval "pid_$1=$BG_PID"
	wait_line "$T/$1" '^listening ' 10 >/dev/null
}
# from SOURCE URL TEXT: one datagram TEXT to URL from the address SOURCE.
from() {
	printf '%s\n' "$3" | timeout "$(secs 20)" "$SOCKIPC" connect --idle-timeout 0.05 --source "$1" "$2"
}
peers() { grep -c "datagram discard .* peer=$2" "$T/$1.err"; }

# ---- IPv4 any-source: two receivers on one group and port both get it
g4=udp://239.1.2.3:5000
receiver r1 "$g4?iface=lo"
receiver r2 "$g4?iface=lo"
check "v4: the listener joins on lo" grep -qF \
	'MCAST_JOIN_GROUP, {gr_interface=1, gr_group=239.1.2.3}) = 0' "$T/r1.err"
check "v4: SO_REUSEADDR lets the second receiver bind" grep -qF 'SO_REUSEADDR, 1) = 0' "$T/r2.err"
timeout "$(secs 20)" "$SOCKIPC" send -n --trace "$g4?iface=lo&mcast_ttl=1" hello 2>"$T/send.err"
expect_eq "v4: send exits 0" 0 $?
check "v4: send sets the interface and TTL" grep -qF 'IP_MULTICAST_TTL, 1) = 0' "$T/send.err"
wait_line "$T/r1" 'hello' 10 >/dev/null
wait_line "$T/r2" 'hello' 10 >/dev/null
expect_eq "v4: the first receiver got the datagram" "hello" "$(cat "$T/r1")"
expect_eq "v4: the second receiver got it too" "hello" "$(cat "$T/r2")"
stop_bg "$pid_r1"
stop_bg "$pid_r2"

# ---- IPv4 source-specific: each receiver admits its source only
s4=udp://232.1.1.1:5002
logger s1 "$s4?iface=lo&source=127.0.0.1"
logger s2 "$s4?iface=lo&source=127.0.0.2"
from 127.0.0.2 "$s4" b1
wait_count "$T/s2.err" 'peer=udp://127\.0\.0\.2:' 1 10
from 127.0.0.1 "$s4" a1
wait_count "$T/s1.err" 'peer=udp://127\.0\.0\.1:' 1 10
expect_eq "v4 SSM: source=127.0.0.1 admits 127.0.0.1" 1 "$(peers s1 'udp://127\.0\.0\.1:')"
expect_eq "v4 SSM: source=127.0.0.1 keeps 127.0.0.2 out" 0 "$(peers s1 'udp://127\.0\.0\.2:')"
from 127.0.0.2 "$s4" b2
wait_count "$T/s2.err" 'peer=udp://127\.0\.0\.2:' 2 10
expect_eq "v4 SSM: source=127.0.0.2 admits 127.0.0.2" 2 "$(peers s2 'udp://127\.0\.0\.2:')"
expect_eq "v4 SSM: source=127.0.0.2 keeps 127.0.0.1 out" 0 "$(peers s2 'udp://127\.0\.0\.1:')"
stop_server "v4 SSM receiver 1" "$pid_s1" "$T/s1.err"
stop_server "v4 SSM receiver 2" "$pid_s2" "$T/s2.err"

# ---- a veth pair for what lo cannot show
if ! ip link add v0 type veth peer name v1 2>"$T/veth.err"; then
	echo "SKIP: mcast_loop and IPv6: no veth in this namespace ($(cat "$T/veth.err"))" >&2
	finish
fi
ip link set v0 up && ip link set v1 up && ip addr add 10.7.0.1/24 dev v0 &&
	ip route add 239.9.0.0/16 dev v0 && ip -6 addr add fd00::1/64 dev v0 nodad &&
	ip -6 addr add fd00::2/64 dev v0 nodad || fail "setting up v0"

# ---- mcast_loop=0: the sender's own host does not hear it
gl=udp://239.9.0.1:5003
receiver l1 "$gl?iface=v0"
timeout "$(secs 20)" "$SOCKIPC" send -n --trace "$gl?iface=v0&mcast_loop=0" leaked 2>"$T/l0.err"
check "mcast_loop=0: traced" grep -qF 'IP_MULTICAST_LOOP, 0) = 0' "$T/l0.err"
timeout "$(secs 20)" "$SOCKIPC" send -n "$gl?iface=v0&mcast_loop=1" looped
wait_line "$T/l1" 'looped' 10 >/dev/null
expect_eq "mcast_loop: only the looped datagram reached the local receiver" "looped" "$(cat "$T/l1")"
stop_bg "$pid_l1"

# ---- IPv6 any-source: two receivers
g6='udp://[ff15::1]:5004'
receiver r61 "$g6?iface=v0"
receiver r62 "$g6?iface=v0"
check "v6: the listener joins on v0" grep -qE \
	'IPPROTO_IPV6, MCAST_JOIN_GROUP, \{gr_interface=[0-9]+, gr_group=ff15::1\}\) = 0' "$T/r61.err"
timeout "$(secs 20)" "$SOCKIPC" send -n --trace "$g6?iface=v0&mcast_ttl=2" hello6 2>"$T/send6.err"
check "v6: send sets the hop limit" grep -qF 'IPV6_MULTICAST_HOPS, 2) = 0' "$T/send6.err"
wait_line "$T/r61" 'hello6' 10 >/dev/null
wait_line "$T/r62" 'hello6' 10 >/dev/null
expect_eq "v6: the first receiver got the datagram" "hello6" "$(cat "$T/r61")"
expect_eq "v6: the second receiver got it too" "hello6" "$(cat "$T/r62")"
stop_bg "$pid_r61"
stop_bg "$pid_r62"

# ---- IPv6 source-specific
s6='udp://[ff35::8000:1]:5005'
logger t1 "$s6?iface=v0&source=fd00::1"
logger t2 "$s6?iface=v0&source=fd00::2"
from fd00::2 "$s6" b1
wait_count "$T/t2.err" 'peer=udp://\[fd00::2\]:' 1 10
from fd00::1 "$s6" a1
wait_count "$T/t1.err" 'peer=udp://\[fd00::1\]:' 1 10
expect_eq "v6 SSM: source=fd00::1 admits fd00::1" 1 "$(peers t1 'udp://\[fd00::1\]:')"
expect_eq "v6 SSM: source=fd00::1 keeps fd00::2 out" 0 "$(peers t1 'udp://\[fd00::2\]:')"
from fd00::2 "$s6" b2
wait_count "$T/t2.err" 'peer=udp://\[fd00::2\]:' 2 10
expect_eq "v6 SSM: source=fd00::2 admits fd00::2" 2 "$(peers t2 'udp://\[fd00::2\]:')"
expect_eq "v6 SSM: source=fd00::2 keeps fd00::1 out" 0 "$(peers t2 'udp://\[fd00::1\]:')"
stop_server "v6 SSM receiver 1" "$pid_t1" "$T/t1.err"
stop_server "v6 SSM receiver 2" "$pid_t2" "$T/t2.err"

finish
