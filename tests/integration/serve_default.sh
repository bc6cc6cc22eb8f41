# serve_default.sh - `sockipc serve` with no arguments: the default run of
# DESIGN.md on 127.0.0.1 ports 7007/7009/7013/7019/7037 (TCP and UDP) and
# unix://@sockipc/echo.  The one test on fixed ports: it skips when any
# of them is taken.
. "$(dirname "$0")/../support/lib.sh"
need socat

for p in 7007 7009 7013 7019 7037; do
	if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then skip "port $p is in use"; fi
done
bg "$T/s" "$SOCKIPC" serve
S=$BG_PID
for i in $(seq $((50 * SCALE))); do
	[ "$(grep -c '^listening' "$T/s" 2>/dev/null)" -ge 11 ] && break
	kill -0 $S 2>/dev/null || break
	sleep 0.1
done
if ! kill -0 $S 2>/dev/null && grep -q 'in use' "$T/s.err"; then skip "a default port is in use: $(cat "$T/s.err")"; fi
want="listening tcp://127.0.0.1:7007 echo
listening tcp://127.0.0.1:7009 discard
listening tcp://127.0.0.1:7013 daytime
listening tcp://127.0.0.1:7019 chargen
listening tcp://127.0.0.1:7037 time
listening udp://127.0.0.1:7007 echo
listening udp://127.0.0.1:7009 discard
listening udp://127.0.0.1:7013 daytime
listening udp://127.0.0.1:7019 chargen
listening udp://127.0.0.1:7037 time
listening unix://@sockipc/echo echo"
expect_eq "the default listening lines" "$want" "$(cat "$T/s")"
expect_eq "tcp echo on 7007" "default" "$(printf default | timeout $(secs 5) socat -t2 - TCP:127.0.0.1:7007)"
expect_eq "udp echo on 7007" "dgram" "$(printf dgram | timeout $(secs 5) socat -t2 - UDP:127.0.0.1:7007)"
expect_eq "echo on unix://@sockipc/echo" "abstract" "$(printf abstract | timeout $(secs 5) socat -t2 - ABSTRACT-CONNECT:sockipc/echo)"
check "daytime on 7013" test -n "$(timeout $(secs 5) socat -u TCP:127.0.0.1:7013 - </dev/null)"
expect_eq "time on 7037 is 4 bytes" 4 "$(timeout $(secs 5) socat -u TCP:127.0.0.1:7037 - </dev/null | wc -c)"
kill -INT $S; wait $S; expect_eq "SIGINT exits 0" 0 $?
finish
