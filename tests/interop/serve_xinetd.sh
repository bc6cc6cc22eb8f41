# serve_xinetd.sh - `sockipc serve` next to xinetd's built-in services on
# loopback: echo (TCP and UDP) returns the same bytes, daytime has the same
# format, time gives the same 4-byte value (within a second or two); and
# where they differ on purpose: a 4,000-byte UDP echo comes back whole from
# sockipc (xinetd cuts datagrams at its buffer size).
. "$(dirname "$0")/../support/lib.sh"
need xinetd socat od
# need looked in the sbin directories too: a user's PATH lacks them.
XINETD=$(PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin command -v xinetd)

# Free ports for xinetd: ask the kernel through a throwaway sockipc server.
bg "$T/p" "$SOCKIPC" serve -q -e 'tcp://127.0.0.1:0 discard' -e 'tcp://127.0.0.1:0 discard' \
	-e 'tcp://127.0.0.1:0 discard' -e 'udp://127.0.0.1:0 discard'
wait_count "$T/p" '^listening' 4 5
read -r XE XD XT XU < <(awk '{sub(/.*:/, "", $2); printf "%s ", $2}' "$T/p")
kill -TERM $BG_PID; wait $BG_PID

user=$(id -un)
cat >"$T/xinetd.conf" <<CONF
defaults
{
	instances = 50
}
service echo
{
	type = INTERNAL UNLISTED
	id = echo-stream
	socket_type = stream
	protocol = tcp
	port = $XE
	bind = 127.0.0.1
	wait = no
	user = $user
}
service daytime
{
	type = INTERNAL UNLISTED
	id = daytime-stream
	socket_type = stream
	protocol = tcp
	port = $XD
	bind = 127.0.0.1
	wait = no
	user = $user
}
service time
{
	type = INTERNAL UNLISTED
	id = time-stream
	socket_type = stream
	protocol = tcp
	port = $XT
	bind = 127.0.0.1
	wait = no
	user = $user
}
service echo
{
	type = INTERNAL UNLISTED
	id = echo-dgram
	socket_type = dgram
	protocol = udp
	port = $XU
	bind = 127.0.0.1
	wait = yes
	user = $user
}
CONF
# -filelog: xinetd refuses to start when it cannot open its log.
bg "$T/x.out" "$XINETD" -dontfork -stayalive -filelog "$T/x.err" -pidfile "$T/xinetd.pid" -f "$T/xinetd.conf"
X=$BG_PID
# xinetd prints no line when it is up: poll its echo port, bounded.
up=0
for i in $(seq $((100 * SCALE))); do
	if (exec 3<>/dev/tcp/127.0.0.1/$XE) 2>/dev/null; then up=1; break; fi
	kill -0 $X 2>/dev/null || break
	sleep 0.05
done
[ $up -eq 1 ] || skip "xinetd ($XINETD) did not start as $(id -un): $(tail -3 "$T/x.err" "$T/x.out.err" 2>/dev/null | tr '\n' ' ')"

bg "$T/s" "$SOCKIPC" serve -q -e 'tcp://127.0.0.1:0 echo' -e 'tcp://127.0.0.1:0 daytime' \
	-e 'tcp://127.0.0.1:0 time' -e 'udp://127.0.0.1:0 echo'
wait_count "$T/s" '^listening' 4 5
read -r SE SD ST SU < <(awk '{sub(/.*:/, "", $2); printf "%s ", $2}' "$T/s")

tcp() { timeout $(secs 5) socat -t2 - TCP:127.0.0.1:$1; }
udp() { timeout $(secs 5) socat -t1 - UDP:127.0.0.1:$1; }
msg="the quick brown fox $RANDOM"
expect_eq "tcp echo same as xinetd" "$(printf '%s' "$msg" | tcp $XE)" "$(printf '%s' "$msg" | tcp $SE)"
expect_eq "udp echo same as xinetd" "$(printf '%s' "$msg" | udp $XU)" "$(printf '%s' "$msg" | udp $SU)"
shape() { sed -E 's/[0-9]/9/g; s/[A-Z]/A/g'; }
xd=$(tcp $XD </dev/null); sd=$(tcp $SD </dev/null)
expect_eq "daytime has xinetd's shape" "$(printf '%s' "$xd" | shape)" "$(printf '%s' "$sd" | shape)"
expect_eq "daytime says the same minute" "${xd:0:17}" "${sd:0:17}"
xt=$(tcp $XT </dev/null | od --endian=big -An -tu4 | tr -d ' ')
st=$(tcp $ST </dev/null | od --endian=big -An -tu4 | tr -d ' ')
d=$(( ${st:-0} - ${xt:-0} )); d=${d#-}
check "time within 2 s of xinetd's ($xt vs $st)" test -n "$xt" -a -n "$st" -a "$d" -le 2
big=$(head -c 4000 /dev/zero | tr '\0' 'z')
expect_eq "sockipc echoes a 4000-byte datagram whole" 4000 "$(printf '%s' "$big" | udp $SU | wc -c)"
kill -TERM $BG_PID; wait $BG_PID; expect_eq "exit 0" 0 $?
finish
