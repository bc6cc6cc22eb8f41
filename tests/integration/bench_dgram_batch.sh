# bench_dgram_batch.sh - sockipc bench over udp and unixgram sends its
# datagrams with sendmmsg and reads the echoes with recvmmsg when the
# depth allows (--max-batch, default 64), and still matches every echo to
# its own datagram: exact counts with every datagram echoed whole and
# equal, none lost, at depths that are and are not multiples of the
# batch, sizes 8 (the tag alone) to 1400, against serve batched and
# unbatched (--max-batch 1 on both sides).  An echo server that merges
# or cuts datagrams is caught: a udp "echo" that answers each datagram
# with its first half makes every echo a mismatch.  On udp a batch goes
# as one UDP GSO send and echoes come as UDP GRO buffers, cut back by
# their segment size (serve answers equal echoes with GSO).  With strace
# at hand: batched runs send several datagrams per call (sendmmsg, or a
# GSO sendmsg on udp) and read with recvmmsg; --max-batch 1 runs neither.
. "$(dirname "$0")/../support/lib.sh"
need python3
json_field() { sed -n "s/.*\"$2\": \\([^,}]*\\).*/\\1/p" "$1" | head -1; }

for sb in 32 1; do
	bg "$T/s$sb" "$SOCKIPC" serve -q --workers 1 --max-batch $sb -e 'udp://127.0.0.1:0 echo' \
		-e "unixgram://$T/e$sb.gram echo"
	S=$BG_PID
	wait_count "$T/s$sb" '^listening ' 2 5
	U=$(awk '$2 ~ /^udp:/ {print $2}' "$T/s$sb")
	for url in "$U" "unixgram://$T/e$sb.gram"; do
		for args in "-n 20000 -d 64" "-n 5003 -d 7 -s 1400" "-n 3001 -d 100 -s 8 --max-batch 13" \
			"-n 2000 -d 64 --max-batch 1"; do
			# shellcheck disable=SC2086
			"$SOCKIPC" bench --json -q -t 3000 $args "$url" >"$T/j" 2>"$T/j.err"
			rc=$?
			n=$(echo "$args" | awk '{print $2}')
			what="serve --max-batch $sb, ${url%%:*}, bench $args"
			expect_eq "$what: exit status" 0 $rc
			expect_eq "$what: all echoed" "$n" "$(json_field "$T/j" echoed)"
			expect_eq "$what: none mismatched" 0 "$(json_field "$T/j" mismatched)"
			expect_eq "$what: none lost" 0 "$(json_field "$T/j" lost)"
		done
	done
	stop_server "serve --max-batch $sb" $S "$T/s$sb.err"
done

# A bad echo: each datagram answered with its first half.
cat >"$T/half.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("listening udp://127.0.0.1:%d" % s.getsockname()[1], flush=True)
s.settimeout(20)
while True:
    try:
        d, a = s.recvfrom(65536)
    except socket.timeout:
        break
    s.sendto(d[: len(d) // 2], a)
PY
bg "$T/half" python3 "$T/half.py"
H=$BG_PID
HU=$(listening_url "$T/half" 5)
"$SOCKIPC" bench --json -q -t 2000 -n 500 -d 32 -s 64 "$HU" >"$T/jh" 2>"$T/jh.err"
expect_eq "half echoes: exit status 1" 1 $?
expect_eq "half echoes: every one mismatched" 500 "$(json_field "$T/jh" mismatched)"
expect_eq "half echoes: none counted echoed" 0 "$(json_field "$T/jh" echoed)"
kill $H; wait $H 2>/dev/null

if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
	# LeakSanitizer cannot run under ptrace: the straced processes leave
	# leak checks to the runs above.
	NOLEAK="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	bg "$T/st" "$SOCKIPC" serve -q --workers 1 -e 'udp://127.0.0.1:0 echo' -e "unixgram://$T/st.gram echo"
	ST=$BG_PID
	wait_count "$T/st" '^listening ' 2 5
	U=$(awk '$2 ~ /^udp:/ {print $2}' "$T/st")
	env ASAN_OPTIONS="$NOLEAK" strace -f -qq -v -e trace=sendmmsg,recvmmsg,sendmsg,recvfrom -o "$T/tb" \
		"$SOCKIPC" bench -q -n 2000 -d 64 "unixgram://$T/st.gram" >/dev/null 2>&1
	expect_eq "unixgram batched: exit status" 0 $?
	check "unixgram batched: more than one datagram in a sendmmsg" \
		grep -Eq 'sendmmsg\(.*\], ([2-9]|[1-6][0-9]), MSG_DONTWAIT.* = ([2-9]|[1-6][0-9])$' "$T/tb"
	check "unixgram batched: bench receives with recvmmsg" grep -q 'recvmmsg(' "$T/tb"
	env ASAN_OPTIONS="$NOLEAK" strace -f -qq -v -e trace=sendmmsg,recvmmsg,sendmsg,recvfrom -o "$T/tu" \
		"$SOCKIPC" bench -q -n 2000 -d 64 "$U" >/dev/null 2>&1
	expect_eq "udp batched: exit status" 0 $?
	# On udp the datagrams of a batch go as one UDP GSO send (or, where the
	# kernel has none, one sendmmsg).
	check "udp batched: several datagrams in one send call" \
		grep -Eq 'cmsg_level=SOL_UDP, cmsg_type=(UDP_SEGMENT|0x67)|sendmmsg\(.*\], ([2-9]|[1-6][0-9]), MSG_DONTWAIT.* = ([2-9]|[1-6][0-9])$' "$T/tu"
	check "udp batched: bench receives with recvmmsg" grep -q 'recvmmsg(' "$T/tu"
	env ASAN_OPTIONS="$NOLEAK" strace -f -qq -e trace=sendmmsg,recvmmsg,sendmsg,recvfrom -o "$T/t1" \
		"$SOCKIPC" bench -q -n 2000 -d 64 --max-batch 1 "$U" >/dev/null 2>&1
	expect_eq "--max-batch 1: exit status" 0 $?
	check "--max-batch 1: no sendmmsg, recvmmsg or GSO" \
		test -z "$(grep -E 'sendmmsg\(|recvmmsg\(|UDP_SEGMENT|0x67' "$T/t1")"
	stop_server "strace's server" $ST "$T/st.err"
else
	echo "strace cannot trace here: the system call check is left out"
fi
finish
