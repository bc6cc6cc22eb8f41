#!/usr/bin/env bash
# bench_echo.sh - `sockipc bench` against working echo services: it reports
# the counts it was asked for (--count M gives exactly M echoed messages),
# exits 0 when every echo is whole and equal, and --json is valid JSON.
# Peers: the framed examples/echo_server (tcp, udp), a socat unix echo
# (raw bytes), and `sockipc serve` echo where that subcommand works.
# Short runs only; nothing here asserts a rate or a latency.
. "$(dirname "$0")/../support/lib.sh"

ECHO_SERVER=$SIPC_BUILD_DIR/examples/echo_server
# Every run here expects every echo: a datagram echo later than the default
# second would count as lost on a loaded machine (ctest -j8, the sanitizers),
# and the timeout never slows a run whose peer answers.
slow=$((5000 * SCALE))
json_field() { sed -n "s/.*\"$2\": \\([^,}]*\\).*/\\1/p" "$1" | head -1; }

# Framed echo over tcp: one client at a time, so one connection.
bg "$T/es.out" "$ECHO_SERVER" tcp://127.0.0.1:0
url=$(listening_url "$T/es.out" 5)
check "echo_server tcp is up" test -n "$url"
"$SOCKIPC" bench "$url" --framed --count 500 --depth 4 --timeout $slow --json >"$T/j1" 2>"$T/e1"
expect_eq "framed tcp: exit status" 0 $?
expect_eq "framed tcp: exactly 500 echoed" 500 "$(json_field "$T/j1" echoed)"
expect_eq "framed tcp: 500 sent" 500 "$(json_field "$T/j1" sent)"
expect_eq "framed tcp: no mismatch" 0 "$(json_field "$T/j1" mismatched)"
expect_eq "framed tcp: ok" true "$(json_field "$T/j1" ok)"
if command -v python3 >/dev/null 2>&1; then
	check "--json is valid JSON" python3 -m json.tool "$T/j1" >/dev/null
else
	check "--json is one object" grep -q '^{.*' "$T/j1"
fi
check "latency percentiles reported" grep -q '"p99_9": [0-9]' "$T/j1"

# Datagrams through the same example: one datagram per message.
bg "$T/eu.out" "$ECHO_SERVER" udp://127.0.0.1:0
uurl=$(listening_url "$T/eu.out" 5)
"$SOCKIPC" bench "$uurl" --count 300 --depth 8 --timeout $slow --json >"$T/j2" 2>"$T/e2"
expect_eq "udp: exit status" 0 $?
expect_eq "udp: 300 echoed" 300 "$(json_field "$T/j2" echoed)"
expect_eq "udp: none lost" 0 "$(json_field "$T/j2" lost)"
expect_eq "udp: datagram mode" '"datagram"' "$(json_field "$T/j2" mode)"

# Raw bytes over a unix stream, many connections and threads.
if command -v socat >/dev/null 2>&1; then
	bg "$T/socat.out" socat UNIX-LISTEN:"$T/echo.sock",fork PIPE
	unix_listening "$T/echo.sock" 5
	"$SOCKIPC" bench "unix://$T/echo.sock" --conns 8 --threads 2 --depth 4 --count 1001 --timeout $slow \
		>"$T/t3" 2>"$T/e3"
	expect_eq "raw unix: exit status" 0 $?
	check "raw unix: 1001 sent, 1001 echoed" grep -q '1001 sent, 1001 echoed, 0 mismatched' "$T/t3"
	check "text report has a verdict" grep -q 'verdict *ok' "$T/t3"
	"$SOCKIPC" bench "unix://$T/echo.sock" --new-conn --conns 4 --count 200 --timeout $slow --json >"$T/j4" 2>"$T/e4"
	expect_eq "new-conn: exit status" 0 $?
	expect_eq "new-conn: 200 connections" 200 "$(json_field "$T/j4" connects)"
	"$SOCKIPC" bench "unix://$T/echo.sock" --duration 0.5 --rate 2000 --conns 2 --json \
		>"$T/j5" 2>"$T/e5"
	expect_eq "open loop: exit status" 0 $?
	n=$(json_field "$T/j5" echoed)
	# 2000/s for 0.5 s is about 1000 requests; a generous bound, not a timing test.
	check "open loop: about 1000 requests ($n)" test "$n" -ge 500 -a "$n" -le 1100
else
	echo "SKIP (part): socat is not installed"
fi

# `sockipc serve` echo, when the subcommand is there.
bg "$T/serve.out" "$SOCKIPC" serve -e 'tcp://127.0.0.1:0 echo' -e "unixpacket://$T/p.sock echo"
if surl=$(listening_url "$T/serve.out" 5 2>/dev/null); then
	"$SOCKIPC" bench "$surl" --conns 10 --depth 8 --count 2000 --timeout $slow --json >"$T/j6" 2>"$T/e6"
	expect_eq "serve tcp: exit status" 0 $?
	expect_eq "serve tcp: 2000 echoed" 2000 "$(json_field "$T/j6" echoed)"
	"$SOCKIPC" bench "unixpacket://$T/p.sock" --count 500 --depth 2 --timeout $slow >"$T/t7" 2>"$T/e7"
	expect_eq "serve unixpacket: exit status" 0 $?
else
	echo "SKIP (part): sockipc serve did not start"
fi

# --blocking and --one-way: one connection through the library's blocking
# calls (where shm:// spins), against serve's echo and discard.
bg "$T/serve2.out" "$SOCKIPC" serve -e "shm://$T/se.sock echo" -e "shm://$T/sd.sock?spin=0 discard" \
	-e "unix://$T/ud.sock discard" -e "unixpacket://$T/pe.sock echo"
if listening_url "$T/serve2.out" 5 >/dev/null 2>&1 && unix_listening "$T/pe.sock" 5; then
	"$SOCKIPC" bench "shm://$T/se.sock" --blocking --count 500 --size 1000 --timeout $slow \
		--json >"$T/j9" 2>"$T/e9"
	expect_eq "blocking shm: exit status" 0 $?
	expect_eq "blocking shm: mode" '"blocking"' "$(json_field "$T/j9" mode)"
	expect_eq "blocking shm: 500 echoed" 500 "$(json_field "$T/j9" echoed)"
	check "blocking shm: 500 round trips timed" grep -q '"latency_us": {"count": 500,' "$T/j9"
	"$SOCKIPC" bench "unixpacket://$T/pe.sock" --blocking --count 300 --timeout $slow \
		--json >"$T/j10" 2>"$T/e10"
	expect_eq "blocking unixpacket: exit status" 0 $?
	expect_eq "blocking unixpacket: 300 echoed" 300 "$(json_field "$T/j10" echoed)"
	for u in "shm://$T/sd.sock?spin=0" "unix://$T/ud.sock"; do
		"$SOCKIPC" bench "$u" --one-way --count 1000 --size 4096 --timeout $slow \
			--json >"$T/j11" 2>"$T/e11"
		expect_eq "one-way $u: exit status" 0 $?
		expect_eq "one-way $u: mode" '"one-way"' "$(json_field "$T/j11" mode)"
		expect_eq "one-way $u: 1000 read by the consumer" 1000 "$(json_field "$T/j11" echoed)"
		expect_eq "one-way $u: every byte" 4096000 "$(json_field "$T/j11" bytes)"
	done
	# An echo is not a discard service: its bytes are an error, not a pass.
	"$SOCKIPC" bench "shm://$T/se.sock" --one-way --count 10 --timeout $slow --json \
		>"$T/j12" 2>"$T/e12"
	expect_eq "one-way to an echo: exit status 1" 1 $?
	check "one-way to an echo: says so" grep -q 'not a discard service' "$T/j12"
else
	echo "SKIP (part): sockipc serve over shm:// did not start"
fi

# Usage errors exit 2 and say why.
"$SOCKIPC" bench "$uurl" --size 4 >/dev/null 2>"$T/e8"
expect_eq "datagram size below the tag: usage error" 2 $?
check "the error names --size" grep -q -- '--size' "$T/e8"
"$SOCKIPC" bench "$url" --count 5 --duration 1 >/dev/null 2>&1
expect_eq "--count with --duration: usage error" 2 $?
"$SOCKIPC" bench "$url" --blocking --conns 2 >/dev/null 2>"$T/e13"
expect_eq "--blocking with --conns 2: usage error" 2 $?
check "the error says one connection" grep -q 'one connection at depth 1' "$T/e13"
"$SOCKIPC" bench "$uurl" --one-way >/dev/null 2>"$T/e14"
expect_eq "--one-way over udp: usage error" 2 $?
check "the error says a connected URL" grep -q 'needs a connected URL' "$T/e14"
finish
