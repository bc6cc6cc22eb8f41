#!/usr/bin/env bash
# examples.sh - the examples built for Windows (echo_server.exe,
# echo_client.exe, linked to libsockipc.dll) run under Wine: the client
# gets its message back over tcp, tcp6 and udp, and a dial to a closed
# port fails with the library's words.  Run by CTest on the build machine
# with SIPC_WIN_BIN (cmake/windows.cmake: windows/examples), in the Wine
# prefix and server of tests/support/windows.sh wine-start.
# lib.sh wants SOCKIPC: it gets sockipc.exe's path (interop.sh runs it).
. "$(dirname "$0")/../support/lib.sh"
BIN=${SIPC_WIN_BIN:?run through ctest}
unset DISPLAY
# Windows programs end their lines with CRLF.
crlf() { tr -d '\r'; }

# They take the library from the DLL, not from sockipc.exe (which carries
# the same functions): its import library once overwrote the DLL's.
for exe in echo_server echo_client; do
	check "$exe.exe imports libsockipc.dll" \
		grep -qx 'libsockipc.dll' < <(x86_64-w64-mingw32-objdump -p "$BIN/$exe.exe" | awk '/DLL Name:/ { print $3 }')
done

for url in tcp://127.0.0.1:0 tcp6://[::1]:0 udp://127.0.0.1:0; do
	bg "$T/server" wine "$BIN/echo_server.exe" "$url" 1
	real=$(listening_url "$T/server" 20 | crlf)
	check "echo_server.exe listens on $url" test -n "$real"
	got=$(wine "$BIN/echo_client.exe" "$real" "hello from Wine over $url" 2>&1 | crlf)
	expect_eq "echo_client.exe gets its message back over $real" "hello from Wine over $url" "$got"
	# COUNT 1: the server exits after its one message.
	ended "$BG_PID"
	expect_eq "echo_server.exe exits 0 after one message" 0 "$STATUS"
done

# A closed port (free_ports: reserved for this script, nothing listens).
read -r port <<<"$(free_ports 1)"
got=$(wine "$BIN/echo_client.exe" "tcp://127.0.0.1:$port" "nobody" 2>&1 | crlf)
expect_eq "a closed port is refused" "echo_client: connect tcp://127.0.0.1:$port: Connection refused" "$got"
finish
