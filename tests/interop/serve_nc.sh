# serve_nc.sh - `sockipc serve` with netcat peers (OpenBSD nc and ncat)
# over TCP, UDP and unix: echo with half-close, discard, daytime, chargen.
. "$(dirname "$0")/../support/lib.sh"
need nc ncat

bg "$T/s" "$SOCKIPC" serve -e 'tcp://127.0.0.1:0 echo' -e 'udp://127.0.0.1:0 echo' \
	-e "unix://$T/e.sock echo" -e 'tcp://127.0.0.1:0 chargen' -e 'tcp://127.0.0.1:0 daytime'
wait_count "$T/s" '^listening' 5 5
port() { awk -v s="$1" -v v="$2" 'index($2, s"://")==1 && $3==v {sub(/.*:/, "", $2); print $2; exit}' "$T/s"; }
E=$(port tcp echo); U=$(port udp echo); C=$(port tcp chargen); D=$(port tcp daytime)

# nc -N shuts down its write side at the end of stdin: the echo of all of
# it must still arrive, then the server's end.
seq 1 20000 >"$T/in"
timeout $(secs 10) nc -N 127.0.0.1 $E <"$T/in" >"$T/out"
check "nc tcp echo with half-close, 20000 lines" cmp -s "$T/in" "$T/out"
timeout $(secs 10) ncat --send-only 127.0.0.1 $E <"$T/in" >/dev/null
pass "ncat --send-only finished"
expect_eq "ncat tcp echo" "hello ncat" "$(printf 'hello ncat' | timeout $(secs 5) ncat 127.0.0.1 $E)"
expect_eq "nc udp echo" "dgram" "$(printf dgram | timeout $(secs 5) nc -u -w1 127.0.0.1 $U)"
timeout $(secs 10) nc -N -U "$T/e.sock" <"$T/in" >"$T/out.u"
check "nc unix echo with half-close" cmp -s "$T/in" "$T/out.u"
expect_eq "chargen via nc: 74-byte lines" "74" "$(timeout $(secs 5) nc -d 127.0.0.1 $C | head -n 5 | tail -n 1 | wc -c)"
check "daytime via ncat" test -n "$(timeout $(secs 5) ncat --recv-only 127.0.0.1 $D)"
kill -TERM $BG_PID; wait $BG_PID; expect_eq "exit 0" 0 $?
finish
