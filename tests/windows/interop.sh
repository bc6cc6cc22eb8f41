#!/usr/bin/env bash
# interop.sh - sockipc.exe under Wine against the native Linux sockipc over
# loopback: framed messages (send to listen --framed) both ways, 8 MiB each
# way at once with connect/listen (each side the server once), udp
# datagrams both ways, resolve, a refused connect (the same words and
# status as on Linux), and what the Windows build does not have saying so.
# Run by CTest (cmake/windows.cmake: windows/interop) with SOCKIPC the
# Windows program and SOCKIPC_LINUX the Linux one (build/sockipc of
# `make test`); skipped (77) without it.  In the Wine prefix and server of
# tests/support/windows.sh wine-start.
. "$(dirname "$0")/../support/lib.sh"
WIN=${SOCKIPC:?run through ctest}
LIN=${SOCKIPC_LINUX:-}
unset DISPLAY
[ -x "$LIN" ] || skip "no Linux sockipc at '${LIN}' (make test builds build/sockipc first)"
win() { wine "$WIN" "$@"; }

# ---- framed messages: send -> listen --framed, the reply from listen's stdin
printf 'pong from linux\n' >"$T/lin.in"
bg "$T/lin.framed" "$LIN" listen --framed tcp://127.0.0.1:0 <"$T/lin.in"
url=$(listening_url "$T/lin.framed.err" 20)
got=$(win send "$url" "ping from windows" 2>&1)
expect_eq "sockipc.exe send gets the Linux listener's framed reply" "pong from linux" "$got"
ended "$BG_PID"
expect_eq "Linux listen --framed exits 0" 0 "$STATUS"
expect_eq "the Linux listener read the frame sockipc.exe sent" "ping from windows" \
	"$(cat "$T/lin.framed")"

printf 'pong from windows\n' >"$T/win.in"
bg "$T/win.framed" wine "$WIN" listen --framed tcp://127.0.0.1:0 <"$T/win.in"
url=$(listening_url "$T/win.framed.err" 20)
got=$("$LIN" send "$url" "ping from linux" 2>&1)
expect_eq "Linux send gets sockipc.exe listen --framed's reply" "pong from windows" "$got"
ended "$BG_PID"
expect_eq "sockipc.exe listen --framed exits 0" 0 "$STATUS"
expect_eq "sockipc.exe listen read the frame Linux sent" "ping from linux" "$(cat "$T/win.framed")"

# Over each family's own schemes: tcp4, udp4, tcp6 and udp6 (a datagram
# listener serves until stopped).
for scheme in tcp4 udp4 tcp6 udp6; do
	host='[::1]'
	[ "${scheme#*4}" = "" ] && host=127.0.0.1
	printf 'pong over %s\n' "$scheme" >"$T/$scheme.in"
	bg "$T/$scheme" "$LIN" listen --framed "$scheme://$host:0" <"$T/$scheme.in"
	url=$(listening_url "$T/$scheme.err" 20)
	url="$scheme://${url#*://}" # the Linux side prints tcp:// or udp://
	got=$(win send "$url" "ping over $scheme" 2>&1)
	expect_eq "sockipc.exe send over $scheme gets the reply" "pong over $scheme" "$got"
	wait_line "$T/$scheme" "ping over $scheme" 10 >/dev/null
	expect_eq "the Linux listener read the $scheme message" "ping over $scheme" "$(cat "$T/$scheme")"
	stop_bg "$BG_PID"
done

# ---- bulk bytes: 8 MiB each way at once, each side the listener once -------
head -c 8388608 /dev/urandom >"$T/a.bin"
head -c 8388608 /dev/urandom >"$T/b.bin"
sum() { sha256sum <"$1" | cut -d' ' -f1; }
# bulk NAME SERVER-CMD CLIENT-CMD: the server relays a.bin, the client b.bin.
bulk() {
	local name=$1 server=$2 client=$3 url
	bg "$T/$name.srv" $server listen tcp://127.0.0.1:0 <"$T/a.bin"
	local srv=$BG_PID
	url=$(listening_url "$T/$name.srv.err" 20)
	bg "$T/$name.cli" $client connect "$url" <"$T/b.bin"
	local cli=$BG_PID
	ended "$cli"
	expect_eq "$name: the connecting side exits 0" 0 "$STATUS"
	ended "$srv"
	expect_eq "$name: the listening side exits 0" 0 "$STATUS"
	expect_eq "$name: 8 MiB reach the listener intact" "$(sum "$T/b.bin")" "$(sum "$T/$name.srv")"
	expect_eq "$name: 8 MiB reach the connector intact" "$(sum "$T/a.bin")" "$(sum "$T/$name.cli")"
}
bulk "windows listens, Linux connects" "wine $WIN" "$LIN"
bulk "Linux listens, windows connects" "$LIN" "wine $WIN"

# ---- udp datagrams both ways ------------------------------------------------
# The listener's peer is the sender of the first datagram; the connector
# ends 3 s after the last datagram (-i 3), the listener is stopped once
# the connector has its reply.
udp() {
	local name=$1 server=$2 client=$3 url
	printf 'datagram from the listener\n' >"$T/$name.sin"
	printf 'datagram from the connector\n' >"$T/$name.cin"
	bg "$T/$name.srv" $server listen udp://127.0.0.1:0 <"$T/$name.sin"
	local srv=$BG_PID
	url=$(listening_url "$T/$name.srv.err" 20)
	bg "$T/$name.cli" $client connect -i 3 "$url" <"$T/$name.cin"
	ended "$BG_PID"
	expect_eq "$name: the connector exits 0" 0 "$STATUS"
	expect_eq "$name: the connector got the listener's datagram" "datagram from the listener" \
		"$(cat "$T/$name.cli")"
	wait_line "$T/$name.srv" 'from the connector' 10 >/dev/null
	expect_eq "$name: the listener got the connector's datagram" "datagram from the connector" \
		"$(cat "$T/$name.srv")"
	stop_bg "$srv"
}
udp "udp, windows listens" "wine $WIN" "$LIN"
udp "udp, Linux listens" "$LIN" "wine $WIN"

# ---- resolve, and a refused connect: as on Linux ----------------------------
want=$("$LIN" resolve localhost 80 2>&1; echo "status $?")
got=$(win resolve localhost 80 2>&1; echo "status $?")
expect_eq "sockipc.exe resolve localhost 80 prints what Linux prints" "$want" "$got"
check "resolve localhost 80 gives tcp://127.0.0.1:80" grep -qx 'tcp://127.0.0.1:80' <<<"$got"

read -r port <<<"$(free_ports 1)"
want=$("$LIN" connect "tcp://127.0.0.1:$port" </dev/null 2>&1; echo "status $?")
got=$(win connect "tcp://127.0.0.1:$port" </dev/null 2>&1; echo "status $?")
expect_eq "a refused connect: the Linux words and status" \
	"sockipc: connect tcp://127.0.0.1:$port: Connection refused
status 1" "$want"
expect_eq "a refused connect: sockipc.exe says the same" "$want" "$got"

# ---- what the Windows build does not have -----------------------------------
for cmd in scan xinetd-import; do
	got=$(win "$cmd" 2>&1; echo "status $?")
	expect_eq "sockipc.exe $cmd says it is absent" \
		"sockipc: $cmd: not in the Windows build yet
status 2" "$got"
done
# CMD OPTION ARGS...: the first line and the status.
absent_opt() {
	local cmd=$1 opt=$2 got
	shift 2
	got=$(win "$cmd" "$@" </dev/null 2>&1 | head -1; echo "status ${PIPESTATUS[0]}")
	expect_eq "sockipc.exe $cmd $opt is refused" "sockipc: $cmd: $opt: not supported on this system
status 2" "$got"
}
absent_opt connect -e -e cat tcp://127.0.0.1:1
absent_opt connect --sh-exec --sh-exec cat tcp://127.0.0.1:1
absent_opt connect --urgent-on-quit --urgent-on-quit A tcp://127.0.0.1:1
absent_opt listen --exec --exec cat tcp://127.0.0.1:0
absent_opt listen --max-conns --max-conns 2 tcp://127.0.0.1:0
absent_opt listen --recv-fd --recv-fd tcp://127.0.0.1:0
absent_opt send --urgent --urgent A tcp://127.0.0.1:1
absent_opt send --fd --fd x tcp://127.0.0.1:1
finish
