# serve_services.sh - each simple service (echo, discard, chargen, daytime,
# time) of `sockipc serve` on tcp, udp, unix, unixgram and unixpacket (and
# tcp6/udp6 on [::1] when the machine has IPv6), driven with socat.
. "$(dirname "$0")/../support/lib.sh"
need socat od

services="echo discard chargen daytime time"
args=()
n=0
for s in $services; do
	args+=(-e "tcp://127.0.0.1:0 $s" -e "udp://127.0.0.1:0 $s" -e "unix://$T/$s.sock $s"
	       -e "unixgram://$T/$s.gram $s" -e "unixpacket://$T/$s.pkt $s")
	n=$((n + 5))
done
v6=0
if grep -qs '^00000000000000000000000000000001 ' /proc/net/if_inet6; then
	v6=1
	for s in echo daytime; do args+=(-e "tcp6://[::1]:0 $s" -e "udp6://[::1]:0 $s"); n=$((n + 2)); done
fi
bg "$T/srv" "$SOCKIPC" serve --workers 2 "${args[@]}"
SRV=$BG_PID
for i in $(seq 60); do [ "$(grep -c '^listening ' "$T/srv" 2>/dev/null)" -ge $n ] && break; sleep 0.1; done
expect_eq "one listening line per endpoint" "$n" "$(grep -c '^listening ' "$T/srv")"

# url SCHEME SERVICE: the real URL the server printed.
# Addresses print with the base scheme: tcp6 endpoints show as tcp://[::1]:P.
url() {
	local p="$1://"
	case $1 in tcp6|udp6) p="${1%6}://[" ;; tcp|udp) p="$1://1" ;; esac
	awk -v p="$p" -v v="$2" '$1=="listening" && index($2, p)==1 && $3==v {print $2; exit}' "$T/srv"
}
hostport() { local u=${1#*://}; echo "${u%:*}:${u##*:}"; }
# client SCHEME SERVICE: socat address that reaches the endpoint.
client() {
	local u; u=$(url "$1" "$2")
	case $1 in
	tcp|tcp6) local hp; hp=$(hostport "$u"); echo "TCP:${hp}" ;;
	udp|udp6) local hp; hp=$(hostport "$u"); echo "UDP:${hp}" ;;
	unix) echo "UNIX-CONNECT:${u#unix://}" ;;
	unixgram) echo "UNIX-SENDTO:${u#unixgram://},bind=$T/c$RANDOM.$1" ;;
	unixpacket) echo "UNIX-CONNECT:${u#unixpacket://},type=5" ;;
	esac
}
talk() { printf '%s' "$3" | timeout $(secs 5) socat -t1 - "$(client "$1" "$2")"; }

schemes="tcp udp unix unixgram unixpacket"
[ $v6 -eq 1 ] && schemes="$schemes tcp6 udp6"
day_re='^[0-3][0-9] (JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC) [0-9]{4} [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [A-Z+0-9-]+'$'\r''$'
# The first 7 lines of RFC 864's pattern, built here independently.
ring=""; for c in $(seq 33 126) 32; do ring+=$(printf "\\$(printf %o $c)"); done
ring2="$ring$ring"
want_chargen=""; for l in 0 1 2 3 4 5 6; do want_chargen+="${ring2:$l:72}"$'\r\n'; done

for sc in $schemes; do
	[ -n "$(url $sc echo)" ] || continue
	expect_eq "$sc echo" "hello $sc" "$(talk $sc echo "hello $sc")"
	line=$(talk $sc daytime "x")
	if [[ $line =~ $day_re ]]; then pass "$sc daytime format"; else fail "$sc daytime format: [$line]"; fi
	[ -n "$(url $sc discard)" ] || continue
	expect_eq "$sc discard sends nothing" "0" "$(talk $sc discard "some bytes" | wc -c)"
	secs1900=$(talk $sc time "x" | od --endian=big -An -tu4 | tr -d ' ')
	now=$(( $(date +%s) + 2208988800 ))
	d=$(( ${secs1900:-0} - now )); d=${d#-}
	if [ -n "$secs1900" ] && [ "$d" -le 2 ]; then pass "$sc time"; else fail "$sc time: got [$secs1900] now $now"; fi
	case $sc in
	udp*|unixgram)
		len=$(talk $sc chargen "x" | wc -c)
		if [ "$len" -le 512 ]; then pass "$sc chargen datagram <= 512 bytes"; else fail "$sc chargen length $len"; fi ;;
	unixpacket)
		got=$(timeout $(secs 5) socat -u "$(client $sc chargen)" - 2>/dev/null | head -c 518 | od -An -c)
		expect_eq "$sc chargen lines" "$(printf '%s' "$want_chargen" | od -An -c)" "$got" ;;
	*)
		got=$(timeout $(secs 5) socat -u "$(client $sc chargen)" - 2>/dev/null | head -c 518 | od -An -c)
		expect_eq "$sc chargen first lines (RFC 864)" "$(printf '%s' "$want_chargen" | od -An -c)" "$got" ;;
	esac
done
# An empty message is a message on every message kind: on unixpacket the
# server must not take it for the end of the stream.
for sc in unixgram unixpacket; do
	u=$(awk -v s="$sc" 'index($2, s"://")==1 && $3=="echo" {print $2; exit}' "$T/srv")
	got=$(printf 'x\n\ny\n' | timeout $(secs 10) "$SOCKIPC" connect --framed --idle-timeout 1 "$u")
	expect_eq "$sc echo keeps an empty message" $'x\n\ny' "$got"
done
# Datagram chargen replies are a prefix of the pattern starting at line 0.
p=$(printf 'x' | timeout $(secs 5) socat -t1 - "$(client udp chargen)")
expect_eq "udp chargen is the pattern" "${want_chargen:0:${#p}}" "$p"

kill -TERM $SRV; wait $SRV; expect_eq "SIGTERM exits 0" 0 $?
check "unix socket files removed at exit" test ! -e "$T/echo.sock"
grep -q 'close echo local=tcp://127.0.0.1:.* in=9 out=9 ' "$T/srv.err" && pass "close line has bytes" || fail "close line: $(grep close "$T/srv.err" | head -2)"
finish
