#!/bin/bash
# examples.sh - the echo_server/echo_client pair of examples/ over every
# scheme: start the server on a free port, a scratch path or an abstract
# name, read the real address from its "listening" line, and check that the
# client gets its message back.
. "$(dirname "$0")/../support/lib.sh"

EX=${SIPC_BUILD_DIR:?run through ctest}/examples
[ -x "$EX/echo_server" ] && [ -x "$EX/echo_client" ] || { fail "examples not built in $EX"; finish; }

have_ipv6() { [ -r /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6; }

run_scheme() {
	local name=$1 url=$2 out=$T/$1.out got
	bg "$out" "$EX/echo_server" "$url"
	local spid=$BG_PID
	local real
	real=$(listening_url "$out" 5) || { fail "$name: server did not start"; return; }
	case $real in
	*:0 | "") fail "$name: listening address not resolved: [$real]" ;;
	esac
	got=$(timeout "$(secs 20)" "$EX/echo_client" "$real" "hello over $name" 2>"$T/$name.cerr")
	check "$name: client exits 0" [ $? -eq 0 ]
	expect_eq "$name: echoed" "hello over $name" "$got"
	# A second client on the same server: it serves more than one.
	got=$(timeout "$(secs 20)" "$EX/echo_client" "$real" "again" 2>>"$T/$name.cerr")
	expect_eq "$name: second client" "again" "$got"
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
}

run_scheme tcp "tcp://127.0.0.1:0"
run_scheme tcp4 "tcp4://127.0.0.1:0"
run_scheme udp "udp://127.0.0.1:0"
run_scheme udp4 "udp4://127.0.0.1:0"
if have_ipv6; then
	run_scheme tcp6 "tcp6://[::1]:0"
	run_scheme udp6 "udp6://[::1]:0"
else
	echo "SKIP: tcp6/udp6: no IPv6 loopback on this machine" >&2
fi
run_scheme unix "unix://$T/echo.sock"
run_scheme unixgram "unixgram://@sipc-examples-$$"
run_scheme unixpacket "unixpacket://$T/echo-packet.sock"

# A client whose message does not come back exits 1: nothing listens.
"$EX/echo_client" "unix://$T/nobody.sock" "x" >/dev/null 2>&1
check "client fails without a server" [ $? -eq 1 ]
finish
