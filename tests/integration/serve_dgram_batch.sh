# serve_dgram_batch.sh - datagram endpoints read in batches (recvmmsg) and
# answered in batches (sendmmsg) still serve each datagram alone: several
# clients sending windows of datagrams at once, over udp and unixgram, on
# the event model with one and two workers, each get their own replies
# whole and in order, zero-length and --max-msg-sized ones too; a datagram
# over --max-msg in the middle is dropped and logged as before, and so are
# datagrams from a refused address (--allow), a guarded port and an
# unbound unix socket (with --allow: refused, as it has no address) mixed
# into the same batches, without a reply and without disturbing the
# others.  Through forward, the backend's replies come back the same way.
# Equal-sized replies to one client (GSO runs where the kernel has
# UDP_SEGMENT) still arrive one datagram each, whole and in order.  With
# strace at hand, the server is seen to use recvmmsg, sendmmsg and GSO.
. "$(dirname "$0")/../support/lib.sh"
need python3
PEER="$(dirname "$0")/dgram_batch_peer.py"
MAX=1500

for workers in 1 2; do
	bg "$T/s$workers" "$SOCKIPC" serve --workers $workers --max-msg $MAX --allow 127.0.0.1/32 \
		-e 'udp://127.0.0.1:0 echo' -e "unixgram://$T/e$workers.gram echo"
	S=$BG_PID
	wait_count "$T/s$workers" '^listening ' 2 5
	U=$(awk '$2 ~ /^udp:/ {print $2}' "$T/s$workers")
	bad="--bad udp:127.0.0.2:0"
	# Port 1000 is guarded (0-1023) and only root may bind it.
	[ "$(id -u)" -eq 0 ] && bad="$bad --bad udp:127.0.0.1:1000"
	# shellcheck disable=SC2086
	r=$(python3 "$PEER" "$U" 6 20 8 $MAX --oversize $bad)
	expect_eq "workers $workers udp: 6 clients at once, each its own replies" \
		"6 clients: all 960 replies whole and in order" "$r"
	# Equal sizes: a client's replies go in GSO runs where the kernel has
	# UDP_SEGMENT, and still arrive one datagram each.
	for size in 1 100 $MAX; do
		# shellcheck disable=SC2086
		r=$(python3 "$PEER" "$U" 6 20 8 $MAX --size $size $bad)
		expect_eq "workers $workers udp: equal replies of $size bytes, each its own" \
			"6 clients: all 960 replies whole and in order" "$r"
	done
	r=$(python3 "$PEER" "unixgram://$T/e$workers.gram" 4 20 8 $MAX --oversize --bad unbound)
	expect_eq "workers $workers unixgram: 4 clients at once, each its own replies" \
		"4 clients: all 640 replies whole and in order" "$r"
	check "workers $workers: the oversize udp datagram dropped and logged" wait_line "$T/s$workers.err" \
		"echo $U: dropped a datagram from udp://127.0.0.1:[0-9]+: $((MAX + 1)) bytes \\(--max-msg $MAX\\)" 5
	check "workers $workers: the oversize unixgram datagram dropped and logged" wait_line "$T/s$workers.err" \
		"echo unixgram://$T/e$workers.gram: dropped a datagram from .*: $((MAX + 1)) bytes \\(--max-msg $MAX\\)" 5
	check "workers $workers: the refused source dropped and logged" wait_line "$T/s$workers.err" \
		"echo $U: dropped a datagram from udp://127.0.0.2:[0-9]+: not in --allow" 5
	if [ "$(id -u)" -eq 0 ]; then
		check "workers $workers: the guarded port dropped and logged" wait_line "$T/s$workers.err" \
			"echo $U: dropped a datagram from udp://127.0.0.1:1000: guarded source port" 5
	fi
	check "workers $workers: the unbound unix sender dropped and logged" wait_line "$T/s$workers.err" \
		"echo unixgram://$T/e$workers.gram: dropped a datagram from an unnamed socket: not in --allow" 5
	kill -TERM $S; wait $S; expect_eq "workers $workers: SIGTERM exits 0" 0 $?
done

# forward: the backend's replies come back in batches too, each client's
# own, whole and in order.
bg "$T/be" "$SOCKIPC" serve --workers 1 --max-msg $MAX -e 'udp://127.0.0.1:0 echo'
BE=$BG_PID
BK=$(port_of "$(listening_url "$T/be" 5)")
bg "$T/fw" "$SOCKIPC" serve --workers 2 --max-msg $MAX -e "udp://127.0.0.1:0 forward udp://127.0.0.1:$BK"
FW=$BG_PID
r=$(python3 "$PEER" "$(listening_url "$T/fw" 5)" 4 20 8 $MAX --oversize)
expect_eq "forward udp: 4 clients at once, each its own replies" \
	"4 clients: all 640 replies whole and in order" "$r"
kill -TERM $FW; wait $FW; expect_eq "forward: SIGTERM exits 0" 0 $?
kill -TERM $BE; wait $BE; expect_eq "forward's backend: SIGTERM exits 0" 0 $?

# The system calls themselves: batches in, batches out.
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
	bg "$T/st" strace -f -qq -e trace=recvmmsg,sendmmsg,recvmsg,sendmsg -o "$T/strace" \
		"$SOCKIPC" serve -e 'udp://127.0.0.1:0 echo'
	ST=$BG_PID
	U=$(listening_url "$T/st" 10)
	r=$(python3 "$PEER" "$U" 2 4 8 $MAX)
	expect_eq "under strace: 2 clients served" "2 clients: all 64 replies whole and in order" "$r"
	# Stopped while the first round is sent, it reads the round as one
	# batch: runs of equal replies to each client.
	r=$(python3 "$PEER" "$U" 2 4 8 $MAX --size 100 --pause "$(serving_pid "$(pgrep -P $ST)")")
	expect_eq "under strace: 2 clients, equal sizes" "2 clients: all 64 replies whole and in order" "$r"
	check "the server receives with recvmmsg" grep -q 'recvmmsg(' "$T/strace"
	check "the server answers with sendmmsg" grep -q 'sendmmsg(' "$T/strace"
	check "no datagram goes through recvmsg or sendmsg one by one" \
		test -z "$(grep -E '(recvmsg|sendmsg)\(' "$T/strace" | grep -v 'recvmmsg\|sendmmsg')"
	if python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.getsockopt(socket.SOL_UDP, 103)' 2>/dev/null; then
		check "equal replies to one client go with UDP_SEGMENT (GSO)" \
			grep -Eq 'sendmmsg\(.*cmsg_level=SOL_UDP, cmsg_type=(UDP_SEGMENT|0x67)' "$T/strace"
	fi
	# strace blocks SIGTERM while it runs a program: the whole group goes.
	stop_bg $ST
else
	echo "strace cannot trace here: the system call check is left out"
fi
finish
