#!/bin/bash
# cli_connect.sh - connect and listen on streams: the half-close (a reply
# that comes a second after our end of stdin still arrives), --crlf,
# --idle-timeout, --framed against the echo example, --source, --trace in
# order, --hex, and listen with --keep-open against our own connect.
. "$(dirname "$0")/../support/lib.sh"
need python3
PEER="python3 $(dirname "$0")/cli_peer.py"
EX=${SIPC_BUILD_DIR:?run through ctest}/examples

# ---- half-close: the peer answers only after our end of stream, late
bg "$T/late" $PEER late 1
url=$(listening_url "$T/late" 10)
got=$(printf 'hi' | timeout "$(secs 20)" "$SOCKIPC" connect "$url"); rc=$?
expect_eq "half-close: exit 0" 0 $rc
expect_eq "half-close: late reply arrives" "got 2: hi" "$got"

# ---- --crlf: each newline goes out as CRLF
bg "$T/rec" $PEER record
url=$(listening_url "$T/rec" 10)
printf 'a\nb\n' | timeout "$(secs 20)" "$SOCKIPC" connect --crlf "$url"
wait_line "$T/rec" '^[0-9a-f]+$' 10 >/dev/null
expect_eq "--crlf: bytes on the wire" "610d0a620d0a" "$(grep -E '^[0-9a-f]+$' "$T/rec")"

# ---- --idle-timeout: a silent peer, stdin still open: ends in ~0.5 s, 0
bg "$T/silent" $PEER silent
url=$(listening_url "$T/silent" 10)
# A FIFO opened read-write never reaches end of file: stdin stays open.
mkfifo "$T/fifo"
exec 7<>"$T/fifo"
start=$(date +%s%N)
timeout "$(secs 20)" "$SOCKIPC" connect --idle-timeout 0.5 "$url" <&7 >/dev/null 2>"$T/idle.err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
exec 7>&-
expect_eq "--idle-timeout: exit 0" 0 $rc
check "--idle-timeout: ended after about 0.5 s ($ms ms)" [ "$ms" -ge 450 -a "$ms" -lt $((5000 * SCALE)) ]

# ---- --framed against the framed echo example
if [ -x "$EX/echo_server" ]; then
	bg "$T/echo" "$EX/echo_server" tcp://127.0.0.1:0
	url=$(listening_url "$T/echo" 10)
	got=$(printf 'one\ntwo\n\nlast' | timeout "$(secs 20)" "$SOCKIPC" connect --framed --hex "$url" 2>"$T/framed.err"); rc=$?
	expect_eq "--framed: exit 0" 0 $rc
	expect_eq "--framed: each line back as one message" $'one\ntwo\n\nlast' "$got"
	check "--hex: each message sent dumped" grep -q '^sockipc: hex: > 00000003  74 77 6f .*|two|' "$T/framed.err"
	check "--hex: received message dumped" grep -q '^sockipc: hex: < 00000000  6f 6e 65 .*|one|' "$T/framed.err"
	kill "$BG_PID" 2>/dev/null
else
	fail "examples not built in $EX"
fi

# ---- listen + connect, both directions, and --trace in order
bg "$T/lis" bash -c "printf 'from listener' | '$SOCKIPC' listen --trace tcp://127.0.0.1:0"
url=$(listening_url "$T/lis.err" 10)
got=$(printf 'from client' | timeout "$(secs 20)" "$SOCKIPC" connect --trace --source 127.0.0.1 "$url" 2>"$T/c.trace"); rc=$?
wait "$BG_PID"
expect_eq "pair: connect exit 0" 0 $rc
expect_eq "pair: client got the listener's stdin" "from listener" "$got"
expect_eq "pair: listener got the client's stdin" "from client" "$(cat "$T/lis")"
calls=$(sed -n 's/^sockipc: trace: \([a-z]*\).*/\1/p' "$T/c.trace" | grep -v setsockopt | tr '\n' ' ')
expect_eq "--trace (connect): calls in order" "socket bind connect association shutdown close " "$calls"
check "--trace: bind shows the --source address" grep -q '^sockipc: trace: bind([0-9]*, tcp://127.0.0.1:0) = 0' "$T/c.trace"
check "--trace: association names both ends" grep -qE "^sockipc: trace: association \(tcp, tcp://127.0.0.1:[0-9]+, $url\)" "$T/c.trace"
calls=$(sed -n 's/^sockipc: trace: \([a-z]*\).*/\1/p' "$T/lis.err" | grep -v setsockopt | tr '\n' ' ')
check "--trace (listen): socket bind listen accept ... close [$calls]" grep -qE '^socket bind listen accept .*shutdown close' <<<"$calls"

# ---- listen --keep-open: two peers in turn over a unix socket
sock=$T/k.sock
bg "$T/keep" "$SOCKIPC" listen --keep-open "unix://$sock"
listening_url "$T/keep.err" 10 >/dev/null
printf 'first\n' | timeout "$(secs 20)" "$SOCKIPC" connect "unix://$sock"
printf 'second\n' | timeout "$(secs 20)" "$SOCKIPC" connect "unix://$sock"
wait_line "$T/keep" '^second$' 10 >/dev/null
expect_eq "--keep-open: both peers relayed" $'first\nsecond' "$(cat "$T/keep")"

# ---- a 100 MiB transfer between our own listen and connect, checksummed
bg "$T/big" bash -c "'$SOCKIPC' listen tcp://127.0.0.1:0 </dev/null | cksum"
url=$(listening_url "$T/big.err" 10)
head -c 104857600 /dev/zero | tr '\0' 'z' | timeout "$(secs 60)" "$SOCKIPC" connect "$url" >/dev/null
expect_eq "100 MiB: connect exit 0" 0 $?
wait "$BG_PID"
expect_eq "100 MiB: checksum" "$(head -c 104857600 /dev/zero | tr '\0' 'z' | cksum)" "$(cat "$T/big")"
finish
