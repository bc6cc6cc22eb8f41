#!/bin/bash
# examples.sh - the echo_server/echo_client pair of examples/ over every
# scheme (shm:// too, the same program text as over unix://): start the
# server on a free port, a scratch path or an abstract name, read the real
# address from its "listening" line, and check that the client gets its
# message back.  Server and clients are started so that they share no
# ancestor but init (or a subreaper above the test): the ppid chains of
# /proc say so for each scheme, while the two programs run.
. "$(dirname "$0")/../support/lib.sh"
. "$(dirname "$0")/../support/apart.sh"

EX=${SIPC_BUILD_DIR:?run through ctest}/examples
[ -x "$EX/echo_server" ] && [ -x "$EX/echo_client" ] || { fail "examples not built in $EX"; finish; }

have_ipv6() { [ -r /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6; }

# run_scheme NAME URL [CLIENT-QUERY [BIG-MESSAGE]]: the server on URL, the
# clients on the address it prints (with CLIENT-QUERY after it).  Server
# and clients are detached: they are not parent and child, nor children
# of one parent, and inherit nothing from each other; they meet only at
# the URL.  The first client is held mid-exchange (the server stopped
# while it waits for its answer), so that the ancestors of both running
# programs can be read.
STARTED=0
ENDED=0
run_scheme() {
	local name=$1 url=$2 got q=${3:-} big=${4:-} spid cpid real
	STARTED=$((STARTED + 1))
	spid=$(detach "$name.srv" "$EX/echo_server" "$url") || { fail "$name: server not started"; return; }
	real=$(listening_url "$T/$name.srv" 5) || { fail "$name: server did not start"; kill_detached "$spid"; return; }
	case $real in
	*:0 | "") fail "$name: listening address not resolved: [$real]" ;;
	esac
	kill -STOP "$spid"
	cpid=$(detach "$name.c1" "$EX/echo_client" "$real$q" "hello over $name")
	if [ -n "$cpid" ] && wait_until 5 grep -qsx echo_client "/proc/$cpid/comm"; then
		check_apart "$name: server and client share no ancestor but the reaper" "$name.srv" "$name.c1"
	else
		fail "$name: the client did not start"
	fi
	kill -CONT "$spid"
	expect_eq "$name: client exits 0" 0 "$(detached_rc "$name.c1" 20)"
	expect_eq "$name: echoed" "hello over $name" "$(cat "$T/$name.c1")"
	# A second client on the same server: it serves more than one.
	got=$(client "$name.c2" "$real$q" "again")
	expect_eq "$name: second client" "again" "$got"
	if [ -n "$big" ]; then
		got=$(client "$name.c3" "$real$q" "$big")
		expect_eq "$name: a ${#big}-byte message" "$big" "$got"
	fi
	kill_detached "$spid"
	ENDED=$((ENDED + 1))
}

# client NAME URL MESSAGE: a detached echo_client; prints its output once
# it has ended (bounded).
client() {
	detach "$1" "$EX/echo_client" "$2" "$3" >/dev/null && detached_rc "$1" 20 >/dev/null
	cat "$T/$1"
}

# The check can fail: two processes started as tests usually start them
# (bg: a process group each) are children of this script, which their
# chains then share.  Two idle programs stand in for them (until killed).
bg "$T/x1" tail -f /dev/null
X1=$BG_PID
bg "$T/x2" tail -f /dev/null
X2=$BG_PID
echo "$X1 $X1" >"$T/self1.pid"
echo "$X2 $X2" >"$T/self2.pid"
wait_until 5 grep -qsx tail "/proc/$X2/comm"
if apart self1 self2; then
	fail "apart: two children of this script pass for apart: $APART"
else
	pass "apart: two children of this script are not apart: $APART"
fi
stop_bg "$X1"
stop_bg "$X2"

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

expect_eq "every scheme's run went to its end" "$STARTED" "$ENDED"

# A client whose message does not come back exits 1: nothing listens.
"$EX/echo_client" "unix://$T/nobody.sock" "x" >/dev/null 2>&1
check "client fails without a server" [ $? -eq 1 ]
finish
