#!/bin/bash
# cli_datagram.sh - datagram URLs and messages: lines of stdin to UDP
# datagrams and back, --chunk, listen on udp, send against a server that
# drops the first two requests (succeeds after retries) and one that never
# answers (exit 1 after them), send and --framed over unix, unixgram and
# unixpacket against the echo example.
. "$(dirname "$0")/../support/lib.sh"
need python3
PEER="python3 $(dirname "$0")/cli_peer.py"
EX=${SIPC_BUILD_DIR:?run through ctest}/examples

# ---- connect udp --lines: each line one datagram, each datagram back to stdout
bg "$T/echo" $PEER udpecho 0
url=$(listening_url "$T/echo" 10)
got=$(printf 'l1\nl2\nl3\n' | timeout "$(secs 20)" "$SOCKIPC" connect --lines --hex --idle-timeout 0.5 "$url" 2>"$T/udp.err"); rc=$?
expect_eq "udp lines: exit 0" 0 $rc
expect_eq "udp lines: echoed" $'l1\nl2\nl3' "$got"
expect_eq "udp lines: three datagrams out" 3 "$(grep -c '^sockipc: hex: > ' "$T/udp.err")"
expect_eq "udp lines: three datagrams back" 3 "$(grep -c '^sockipc: hex: < ' "$T/udp.err")"
got=$(printf 'abcdefgh' | timeout "$(secs 20)" "$SOCKIPC" connect --chunk 3 --hex --idle-timeout 0.5 "$url" 2>"$T/chunk.err")
expect_eq "--chunk: all bytes back" "abcdefgh" "$got"
expect_eq "--chunk 3: three datagrams for 8 bytes" 3 "$(grep -c '^sockipc: hex: > ' "$T/chunk.err")"

# ---- send: drops the first two requests, answers the third
bg "$T/drop" $PEER udpecho 2
url=$(listening_url "$T/drop" 10)
got=$(timeout "$(secs 20)" "$SOCKIPC" send --timeout 100 --retries 3 "$url" hello); rc=$?
expect_eq "send, two dropped: exit 0" 0 $rc
expect_eq "send, two dropped: the reply" "hello" "$got"

# ---- send: a server that never answers: 100+200+400 ms, then exit 1
bg "$T/silent" $PEER udpsilent
url=$(listening_url "$T/silent" 10)
start=$(date +%s%N)
err=$(timeout "$(secs 20)" "$SOCKIPC" send --timeout 100 --retries 2 "$url" hello 2>&1 >/dev/null); rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "send, no answer: exit 1" 1 $rc
expect_eq "send, no answer: message" "sockipc: send $url: no reply after 3 tries (Timed out)" "$err"
check "send, no answer: waited 0.7 s with backoff ($ms ms)" [ "$ms" -ge 650 -a "$ms" -lt $((5000 * SCALE)) ]
err=$(timeout "$(secs 20)" "$SOCKIPC" send --no-reply "$url" fire-and-forget 2>&1); rc=$?
expect_eq "send --no-reply: exit 0 without a reply" 0 $rc

# ---- listen udp: the first sender becomes the peer; replies go to it
bg "$T/ul" bash -c "printf 'pong\n' | '$SOCKIPC' listen --idle-timeout 2 udp://127.0.0.1:0"
url=$(listening_url "$T/ul.err" 10)
got=$(printf 'ping\n' | timeout "$(secs 20)" "$SOCKIPC" connect --idle-timeout 1 "$url")
expect_eq "listen udp: reply reaches the sender" "pong" "$got"
wait_line "$T/ul" '^ping$' 10 >/dev/null
expect_eq "listen udp: datagram on stdout" "ping" "$(cat "$T/ul")"

# ---- send and --framed over every unix kind against the echo example
if [ -x "$EX/echo_server" ]; then
	for s in unix unixgram unixpacket; do
		bg "$T/$s" "$EX/echo_server" "$s://$T/$s.sock"
		url=$(listening_url "$T/$s" 10)
		got=$(timeout "$(secs 20)" "$SOCKIPC" send "$url" "hi $s" "again"); rc=$?
		expect_eq "send over $s: exit 0" 0 $rc
		expect_eq "send over $s: replies" $'hi '$s$'\nagain' "$got"
		# The empty line is an empty message, which on unixpacket must
		# not read as the end of the stream.
		got=$(printf 'x\n\ny\n' | timeout "$(secs 20)" "$SOCKIPC" connect --framed --idle-timeout 0.5 "$url")
		expect_eq "--framed over $s, empty message kept" $'x\n\ny' "$got"
		kill "$BG_PID" 2>/dev/null
	done
	bg "$T/tcpecho" "$EX/echo_server" tcp://127.0.0.1:0
	url=$(listening_url "$T/tcpecho" 10)
	got=$(printf 'from stdin' | timeout "$(secs 20)" "$SOCKIPC" send "$url")
	expect_eq "send over tcp, stdin as one message" "from stdin" "$got"
else
	fail "examples not built in $EX"
fi
finish
