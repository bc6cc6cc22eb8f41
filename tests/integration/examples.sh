#!/bin/bash
# examples.sh - the echo_server/echo_client pair of examples/ over every
# scheme (shm:// too, the same program text as over unix://): start the server on a free port, a scratch path or an abstract
# name, read the real address from its "listening" line, and check that the
# client gets its message back.
. "$(dirname "$0")/../support/lib.sh"

EX=${SIPC_BUILD_DIR:?run through ctest}/examples
[ -x "$EX/echo_server" ] && [ -x "$EX/echo_client" ] || { fail "examples not built in $EX"; finish; }

have_ipv6() { [ -r /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6; }

# run_scheme NAME URL [CLIENT-QUERY [BIG-MESSAGE]]: the server on URL, the
# clients on the address it prints (with CLIENT-QUERY after it).
run_scheme() {
	local name=$1 url=$2 out=$T/$1.out got q=${3:-} big=${4:-}
	bg "$out" "$EX/echo_server" "$url"
	local spid=$BG_PID
	local real
	real=$(listening_url "$out" 5) || { fail "$name: server did not start"; return; }
	case $real in
	*:0 | "") fail "$name: listening address not resolved: [$real]" ;;
	esac
	# The client in a session of its own (setsid): it and the server are
	# not parent and child and inherit nothing from each other; they meet
	# only at the URL.
	got=$(timeout "$(secs 20)" setsid "$EX/echo_client" "$real$q" "hello over $name" 2>"$T/$name.cerr")
	check "$name: client exits 0" [ $? -eq 0 ]
	expect_eq "$name: echoed" "hello over $name" "$got"
	# A second client on the same server: it serves more than one.
	got=$(timeout "$(secs 20)" setsid "$EX/echo_client" "$real$q" "again" 2>>"$T/$name.cerr")
	expect_eq "$name: second client" "again" "$got"
	if [ -n "$big" ]; then
		got=$(timeout "$(secs 20)" setsid "$EX/echo_client" "$real$q" "$big" 2>>"$T/$name.cerr")
		expect_eq "$name: a ${#big}-byte message" "$big" "$got"
	fi
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
# shm://: the same two programs, unchanged, over shared-memory rings (a
# path and an abstract name); with 4 KiB rings a 10000-byte message is
# larger than either ring.
run_scheme shm "shm://$T/echo-shm.sock"
BIG=$(head -c 10000 /dev/zero | tr '\0' 'm')
run_scheme shm-abstract "shm://@sipc-examples-shm-$$?ring=4096" "?ring=4096" "$BIG"
run_scheme unix-big "unix://$T/echo-big.sock" "" "$BIG"

# A client whose message does not come back exits 1: nothing listens.
"$EX/echo_client" "unix://$T/nobody.sock" "x" >/dev/null 2>&1
check "client fails without a server" [ $? -eq 1 ]
finish
