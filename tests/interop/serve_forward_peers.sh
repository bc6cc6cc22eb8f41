# serve_forward_peers.sh - `sockipc serve ... forward` between real peers:
# clients nc, ncat and socat; backends socat echoes on a unix path and on
# TCP.  (ncat --exec is no backend for this: it drops the tail of the
# child's output when the client half-closes.)  Every byte arrives, and the half-close of the client
# reaches the backend, whose end comes back through the relay.
. "$(dirname "$0")/../support/lib.sh"
need nc ncat socat

# The backends are socat echoes (PIPE) that move 4 KiB at a time (-b 4096).
# With its default 8 KiB, socat can deadlock on its own pipe: it writes
# once the pipe has one free page, a blocking write of two pages waits for
# room, and the only reader of that pipe is socat itself.  The relay then
# holds the client's rest (backpressure) and nc waits for ever; seen here
# 3 times in 380 runs of this client beside two busy loops, never in 1,200
# with 4 KiB, which a page always takes whole.

# Backend 1: socat echo on a unix path.
bg "$T/b1" socat -b 4096 -t 5 UNIX-LISTEN:"$T/back.sock",fork PIPE
check "unix backend is listening" unix_listening "$T/back.sock" 5

# Backend 2: socat echo on TCP; socat cannot report port 0, so sockipc
# finds a free port first and socat takes it.
bg "$T/probe" "$SOCKIPC" listen tcp://127.0.0.1:0
port2=$(port_of "$(wait_line "$T/probe.err" '^listening ' 10 | awk '{print $2}')")
kill "$BG_PID"; wait "$BG_PID" 2>/dev/null
bg "$T/b2" socat -b 4096 -t 5 TCP-LISTEN:"$port2",bind=127.0.0.1,reuseaddr,fork PIPE
for i in $(seq $((50 * SCALE))); do nc -z 127.0.0.1 "$port2" 2>/dev/null && break; sleep 0.1; done

bg "$T/s" "$SOCKIPC" serve -e "tcp://127.0.0.1:0 forward unix://$T/back.sock" \
	-e "unix://$T/front.sock forward tcp://127.0.0.1:$port2"
wait_count "$T/s" '^listening ' 2 10 || fail "serve came up"
P=$(port_of "$(awk '$3 == "forward" && $2 ~ /^tcp/ {print $2; exit}' "$T/s")")

head -c 3000000 /dev/urandom >"$T/in"
timeout $(secs 20) nc -N 127.0.0.1 "$P" <"$T/in" >"$T/o1"
check "nc -> forward tcp -> socat unix backend: 3 MB back, half-close passed" cmp -s "$T/in" "$T/o1"
timeout $(secs 20) socat -t 5 - TCP:127.0.0.1:"$P" <"$T/in" >"$T/o2"
check "socat -> forward tcp -> socat unix backend" cmp -s "$T/in" "$T/o2"
timeout $(secs 20) ncat -U "$T/front.sock" <"$T/in" >"$T/o3"
check "ncat -> forward unix -> socat tcp backend" cmp -s "$T/in" "$T/o3"
timeout $(secs 20) nc -N -U "$T/front.sock" <"$T/in" >"$T/o4"
check "nc -U -> forward unix -> socat tcp backend" cmp -s "$T/in" "$T/o4"

kill -TERM $BG_PID; wait $BG_PID; expect_eq "serve exits 0 on SIGTERM" 0 $?
finish
