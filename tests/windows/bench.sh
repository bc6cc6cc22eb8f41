#!/usr/bin/env bash
# bench.sh - `sockipc.exe bench` under Wine against the native Linux
# `sockipc serve` echo over loopback: tcp, udp and tcp6 with --count give
# exactly that many echoes and status 0 (text and --json), --framed,
# --rate, --new-conn, --blocking, several connections and threads; a
# closed port is the Linux words and status 1; what Windows cannot do
# (--io epoll, unix datagrams, tls://) says so by name.  Nothing here
# asserts a rate or a latency: figures under Wine mean nothing.  Run by
# CTest (cmake/windows.cmake: windows/bench) with SOCKIPC the Windows
# program and SOCKIPC_LINUX the Linux one; skipped (77) without it.
. "$(dirname "$0")/../support/lib.sh"
WIN=${SOCKIPC:?run through ctest}
LIN=${SOCKIPC_LINUX:-}
unset DISPLAY
[ -x "$LIN" ] || skip "no Linux sockipc at '${LIN}' (make test builds build/sockipc first)"
win() { wine "$WIN" "$@"; }
# Every echo is expected: a datagram echo later than the default second
# would count as lost on a loaded machine; a peer that answers is never
# slowed by it.  timeout(1) bounds each run, should one hang.
slow=$((5000 * SCALE))
bench() { timeout $(secs 60) wine "$WIN" bench --timeout $slow "$@"; }
json_field() { sed -n "s/.*\"$2\": \\([^,}]*\\).*/\\1/p" "$1" | head -1; }

bg "$T/serve" "$LIN" serve -e 'tcp://127.0.0.1:0 echo' -e 'udp://127.0.0.1:0 echo' \
	-e 'tcp://[::1]:0 echo'
wait_count "$T/serve" '^listening ' 3 20 || fail "the Linux serve is not up"
tcp=$(awk '/^listening tcp:\/\/127/ {print $2}' "$T/serve")
udp=$(awk '/^listening udp:/ {print $2}' "$T/serve")
tcp6=$(awk '/^listening tcp:\/\/\[/ {print $2}' "$T/serve")

# ---- closed loop, text report: exactly --count echoes, status 0 ------------
for url in "$tcp" "$udp" "$tcp6"; do
	bench -n 500 -d 4 "$url" >"$T/out" 2>"$T/err"
	expect_eq "bench $url: status 0" 0 $?
	check "bench $url: 500 sent, 500 echoed, none bad" \
		grep -q '500 sent, 500 echoed, 0 mismatched, 0 lost, 0 late, 0 unanswered' "$T/out"
	check "bench $url: verdict ok" grep -q 'verdict *ok' "$T/out"
done

# ---- --json: one object that parses and names the count ---------------------
bench -n 300 --json --framed -c 4 -d 8 -T 2 "$tcp" >"$T/j" 2>"$T/err"
expect_eq "--json --framed, 4 conns, 2 threads: status 0" 0 $?
expect_eq "--json: 300 echoed" 300 "$(json_field "$T/j" echoed)"
expect_eq "--json: mode framed" '"framed"' "$(json_field "$T/j" mode)"
expect_eq "--json: ok" true "$(json_field "$T/j" ok)"
if command -v python3 >/dev/null 2>&1; then
	check "--json is valid JSON" sh -c 'python3 -m json.tool "$1" >/dev/null' _ "$T/j"
else
	check "--json is one object" grep -q '^{.*' "$T/j"
fi
bench -n 400 --json -c 2 -d 16 "$udp" >"$T/ju" 2>"$T/err"
expect_eq "udp --json, depth 16: status 0" 0 $?
expect_eq "udp --json: 400 echoed" 400 "$(json_field "$T/ju" echoed)"
expect_eq "udp --json: none lost" 0 "$(json_field "$T/ju" lost)"

# ---- open loop (--rate, the Windows ticker) for a bounded count ------------
# 200 requests at 1000/s take 0.2 s; the rate is not asserted, only that
# the schedule releases every request, not before its time, and ends.
for url in "$tcp" "$udp"; do
	bench -n 200 --rate 1000 -c 2 --json "$url" >"$T/jr" 2>"$T/err"
	expect_eq "--rate on $url: status 0" 0 $?
	expect_eq "--rate on $url: 200 echoed" 200 "$(json_field "$T/jr" echoed)"
	expect_eq "--rate on $url: the rate is in the report" 1000 "$(json_field "$T/jr" rate)"
	# The last of the 200 is due 199 ms after the start: a ticker that
	# fired at once would release them all together, far sooner.
	el=$(json_field "$T/jr" elapsed_s)
	check "--rate on $url: paced, not all at once (${el} s)" awk -v e="$el" 'BEGIN { exit !(e >= 0.19) }'
done

# ---- a connection per request, and the blocking calls ------------------------
bench -n 100 --new-conn -c 4 --json "$tcp" >"$T/jn" 2>"$T/err"
expect_eq "--new-conn: status 0" 0 $?
expect_eq "--new-conn: 100 connections" 100 "$(json_field "$T/jn" connects)"
expect_eq "--new-conn: 100 echoed" 100 "$(json_field "$T/jn" echoed)"
bench -n 100 --blocking --json "$tcp" >"$T/jb" 2>"$T/err"
expect_eq "--blocking: status 0" 0 $?
expect_eq "--blocking: 100 echoed" 100 "$(json_field "$T/jb" echoed)"

# ---- a closed port: the Linux words and status -------------------------------
read -r port <<<"$(free_ports 1)"
want=$("$LIN" bench -n 5 "tcp://127.0.0.1:$port" 2>&1; echo "status $?")
got=$(bench -n 5 "tcp://127.0.0.1:$port" 2>&1; echo "status $?")
expect_eq "a closed port: the Linux words and status" \
	"sockipc: bench: connect tcp://127.0.0.1:$port: Connection refused
status 1" "$want"
expect_eq "a closed port: sockipc.exe says the same" "$want" "$got"
# --new-conn counts each refused connect and fails the run.
bench -n 3 --new-conn "tcp://127.0.0.1:$port" >"$T/nc" 2>&1
expect_eq "--new-conn to a closed port: status 1" 1 $?
check "--new-conn to a closed port: 3 refused connects" \
	grep -q '3 failed connects (first: connect: Connection refused)' "$T/nc"

# ---- what Windows cannot do names itself --------------------------------------
got=$(bench -n 5 --io epoll "$tcp" 2>&1; echo "status $?")
expect_eq "--io epoll is refused" "sockipc: bench: --io: 'epoll' is not supported on this system (poll)
status 2" "$got"
got=$(bench -n 5 "unixgram://$T/no.sock" 2>&1; echo "status $?")
expect_eq "unixgram:// is refused" "sockipc: bench: connect unixgram://$T/no.sock: Not supported on this system
status 1" "$got"
got=$(bench -n 5 "tls://127.0.0.1:$port" 2>&1; echo "status $?")
expect_eq "tls:// is refused" "sockipc: bench: tls: Not supported on this system
status 1" "$got"
stop_bg "$BG_PID"
finish
