# serve_dgram_gro.sh - UDP GRO on serve's udp endpoints: clients send GSO
# super-datagrams (UDP_SEGMENT), which over loopback reach a socket with
# UDP_GRO as one coalesced buffer; the server cuts it back at the segment
# size and answers each datagram alone, so every client gets each of its
# datagrams back whole, in order, and no other client's: segments of 1
# byte, of 100 with a shorter last one (not a multiple), and 40 of 1400
# (56,000 bytes in one buffer, over --max-msg 1500 as a whole but not
# datagram by datagram); GSO datagrams over --max-msg are dropped one by
# one and logged.  With strace at hand, the server is seen to receive a
# coalesced buffer (a recvmmsg of more than one segment, with a UDP_GRO
# control message).  --max-batch 1 asks for no GRO and still serves the
# same.  Through forward, a udp backend's GSO replies come back to its
# GRO socket coalesced and reach the client one by one.
. "$(dirname "$0")/../support/lib.sh"
need python3
PEER="$(dirname "$0")/dgram_gso_peer.py"
MAX=1500

python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.getsockopt(socket.SOL_UDP, 104)' 2>/dev/null ||
	skip "this kernel has no UDP_GRO"

for workers in 1 2; do
	bg "$T/s$workers" "$SOCKIPC" serve -v --workers $workers --max-msg $MAX -e 'udp://127.0.0.1:0 echo'
	S=$BG_PID
	U=$(listening_url "$T/s$workers" 5)
	check "workers $workers: the endpoint asks for UDP GRO" \
		wait_line "$T/s$workers.err" "echo $U: receives use UDP GRO" 5
	r=$(python3 "$PEER" "$U" 4 5 100 20 --last 37)
	expect_eq "workers $workers: 4 clients, 20 segments of 100 (last 37)" \
		"4 clients: all 400 replies whole and in order" "$r"
	r=$(python3 "$PEER" "$U" 3 4 1 64)
	expect_eq "workers $workers: 3 clients, 64 segments of 1 byte" \
		"3 clients: all 768 replies whole and in order" "$r"
	r=$(python3 "$PEER" "$U" 2 3 1400 40)
	expect_eq "workers $workers: 2 clients, 40 segments of 1400 (56,000 bytes in one)" \
		"2 clients: all 240 replies whole and in order" "$r"
	r=$(python3 "$PEER" "$U" 2 2 $MAX 10 --last 1 --oversize $((MAX + 1)))
	expect_eq "workers $workers: --max-msg segments served, larger ones dropped" \
		"2 clients: all 40 replies whole and in order" "$r"
	check "workers $workers: a segment over --max-msg dropped and logged" wait_line "$T/s$workers.err" \
		"echo $U: dropped a datagram from udp://127.0.0.1:[0-9]+: $((MAX + 1)) bytes \\(--max-msg $MAX\\)" 5
	stop_server "workers $workers" $S "$T/s$workers.err"
done

# --max-batch 1: one datagram per call, no GRO (the kernel cuts GSO
# messages on arrival), the same replies.
bg "$T/one" "$SOCKIPC" serve -v --max-batch 1 --max-msg $MAX -e 'udp://127.0.0.1:0 echo'
S=$BG_PID
U=$(listening_url "$T/one" 5)
check "--max-batch 1: no UDP GRO" wait_line "$T/one.err" "echo $U: receives do not use UDP GRO" 5
r=$(python3 "$PEER" "$U" 3 3 100 20 --last 37)
expect_eq "--max-batch 1: the same replies" "3 clients: all 180 replies whole and in order" "$r"
check "--max-batch 1: no UDP GSO" wait_line "$T/one.err" "echo $U: replies do not use UDP GSO" 5
stop_server "--max-batch 1" $S "$T/one.err"

# forward: the backend (serve echo) answers in GSO runs; forward's backend
# socket has GRO and cuts them back.
bg "$T/be" "$SOCKIPC" serve --workers 1 -e 'udp://127.0.0.1:0 echo'
BE=$BG_PID
BK=$(port_of "$(listening_url "$T/be" 5)")
bg "$T/fw" "$SOCKIPC" serve --workers 2 --max-msg $MAX -e "udp://127.0.0.1:0 forward udp://127.0.0.1:$BK"
FW=$BG_PID
FU=$(listening_url "$T/fw" 5)
r=$(python3 "$PEER" "$FU" 3 4 100 20 --last 37)
expect_eq "forward: 3 clients, GSO both ways, each its own replies" \
	"3 clients: all 240 replies whole and in order" "$r"
stop_server "forward" $FW "$T/fw.err"
stop_server "forward's backend" $BE "$T/be.err"

# The system calls: a coalesced buffer, with its segment size beside it.
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
	bg "$T/st" strace -f -qq -v -e trace=recvmmsg -o "$T/strace" \
		"$SOCKIPC" serve --workers 1 -e 'udp://127.0.0.1:0 echo'
	ST=$BG_PID
	U=$(listening_url "$T/st" 10)
	r=$(python3 "$PEER" "$U" 1 2 100 20 --last 37)
	expect_eq "under strace: served" "1 clients: all 40 replies whole and in order" "$r"
	check "a recvmmsg took 20 datagrams (1,937 bytes) as one GRO buffer" \
		grep -Eq 'msg_len=1937' "$T/strace"
	check "... with the UDP_GRO control message" \
		grep -Eq 'cmsg_level=SOL_UDP, cmsg_type=(UDP_GRO|0x68)' "$T/strace"
	stop_bg $ST
else
	echo "strace cannot trace here: the system call check is left out"
fi
finish
