# cli_dgram_batch.sh - connect and listen read datagrams with recvmmsg
# and send waiting records with sendmmsg, and every boundary survives:
# a burst of datagrams of different sizes (an empty one among them) that
# waits in listen's socket while it is stopped is read in batches and
# printed one per line with --framed, each whole and in order, over udp
# (120 datagrams) and unixgram (as many as its queue holds,
# net.unix.max_dgram_qlen: a unixgram sender blocks beyond); 150 lines piped into connect --lines against serve's echo
# go out several per sendmmsg and come back one datagram each, in order
# (serve answers equal-sized runs with UDP GSO, which connect's UDP GRO
# socket may take as one buffer and cuts back).  With strace at hand:
# listen's recvmmsg took more than one datagram, connect's sendmmsg sent
# more than one, and connect's receive saw a UDP_GRO buffer (serve is
# stopped while connect sends, so that its replies go out in GSO runs
# whatever the machine's load).
. "$(dirname "$0")/../support/lib.sh"
need python3
PEER="$(dirname "$0")/cli_dgram_batch_peer.py"

QLEN=$(cat /proc/sys/net/unix/max_dgram_qlen 2>/dev/null || echo 10)
[ "$QLEN" -gt 120 ] && QLEN=120
for url in udp://127.0.0.1:0 "unixgram://$T/l.gram"; do
	name=${url%%:*}
	n=120
	[ "$name" = unixgram ] && n=$QLEN
	bg "$T/l.$name" "$SOCKIPC" listen --framed --recv-only --idle-timeout 3 "$url"
	L=$BG_PID
	u=$(listening_url "$T/l.$name.err" 10)
	# Stopped, listen finds the whole burst waiting when it goes on.
	kill -STOP "$L"
	# The sender stays until listen is done: a unixgram listener
	# connects to it after the burst.
	bg "$T/p.$name" python3 "$PEER" "$u" $n "$T/want.$name" --hold "$T/done.$name"
	P=$BG_PID
	check "$name: the burst is sent" wait_until 10 test -e "$T/want.$name"
	kill -CONT "$L"
	check "$name: listen printed $n datagrams" wait_count "$T/l.$name" '' $n 10
	touch "$T/done.$name"
	ended "$P"
	ended "$L"
	expect_eq "$name: listen: exit 0" 0 "$STATUS"
	expect_eq "$name: each datagram whole, in order, one per line" \
		"$(md5sum <"$T/want.$name")" "$(md5sum <"$T/l.$name")"
done

bg "$T/s" "$SOCKIPC" serve -q --workers 1 -e 'udp://127.0.0.1:0 echo'
S=$BG_PID
U=$(listening_url "$T/s" 5)
seq -f 'line%05g' 1 150 >"$T/lines"
timeout "$(secs 20)" "$SOCKIPC" connect --lines --idle-timeout 1 "$U" <"$T/lines" >"$T/back"
expect_eq "connect --lines: exit 0" 0 $?
expect_eq "connect --lines: 150 lines back, one datagram each, in order" \
	"$(md5sum <"$T/lines")" "$(md5sum <"$T/back")"

if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
	# LeakSanitizer cannot run under ptrace: the straced processes leave
	# leak checks to the runs above.
	NOLEAK="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	# serve is stopped while connect sends, so the 150 requests wait
	# together and serve answers runs of them with GSO (left to timing,
	# a busy machine can have serve answer each one alone).
	W=$(serving_pid "$S")
	kill -STOP "$W"
	bg "$T/cs" env ASAN_OPTIONS="$NOLEAK" strace -f -qq -v -e trace=sendmmsg,recvmmsg,sendmsg \
		-o "$T/tc" "$SOCKIPC" connect --lines --idle-timeout 3 "$U" <"$T/lines"
	CS=$BG_PID
	sent() { awk '/sendmmsg\(/ && / = [0-9]+$/ {n += $NF} END {print n + 0}' "$T/tc" 2>/dev/null; }
	check "under strace: connect sent all 150 while serve was stopped" \
		wait_until 10 eval '[ "$(sent)" -ge 150 ]'
	kill -CONT "$W"
	ended "$CS"
	expect_eq "under strace: connect exit 0" 0 "$STATUS"
	expect_eq "under strace: the same 150 lines back" "$(md5sum <"$T/lines")" "$(md5sum <"$T/cs")"
	check "connect: one sendmmsg sent several records" \
		grep -Eq '^[0-9]+ +sendmmsg\(.*\], ([2-9]|1[0-6]), MSG_DONTWAIT.* = ([2-9]|1[0-6])$' "$T/tc"
	check "connect: no record went by sendmsg alone" test -z "$(grep -E 'sendmsg\(' "$T/tc")"
	check "connect: a receive took serve's GSO replies as one UDP_GRO buffer" \
		grep -Eq 'recvmmsg\(.*cmsg_level=SOL_UDP, cmsg_type=(UDP_GRO|0x68)' "$T/tc"
	bg "$T/ls" env ASAN_OPTIONS="$NOLEAK" strace -f -qq -e trace=recvmmsg -o "$T/tl" \
		"$SOCKIPC" listen --framed --recv-only --idle-timeout 3 udp://127.0.0.1:0
	LS=$BG_PID
	u=$(listening_url "$T/ls.err" 10)
	kill -STOP "$(pgrep -P "$LS" | head -1)"
	python3 "$PEER" "$u" 120 "$T/want.st"
	kill -CONT "$(pgrep -P "$LS" | head -1)"
	check "under strace: listen printed 120 datagrams" wait_count "$T/ls" '' 120 10
	check "listen: one recvmmsg took several datagrams" \
		grep -Eq 'recvmmsg\(.* = ([2-9]|1[0-6])$' "$T/tl"
	stop_bg "$LS"
else
	echo "strace cannot trace here: the system call checks are left out"
fi
stop_server serve $S "$T/s.err"
finish
