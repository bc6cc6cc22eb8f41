#!/bin/bash
# cli_dgram_bytes.sh - data that must stay byte-exact on datagram URLs: a
# binary DNS-like request whose bytes include 0x0a (its ID is 0x0a0a) goes
# out as exactly one datagram, byte for byte, from a file, a pipe, the
# output of a -e program, and from listen to its peer; --lines cuts it at
# each 0x0a (each piece keeping it, as nc -u sends lines) and --chunk N into
# pieces of N bytes.  A Python peer records every datagram's length and
# bytes.  (From a terminal each line is one datagram either way: the
# terminal hands over a line per read.)
. "$(dirname "$0")/../support/lib.sh"
need python3 od
PEER="python3 $(dirname "$0")/cli_exec_peer.py"
to=$(secs 20)

# ID 0x0a0a, RD, one question: "\n.example.com" (a label of 0x0a bytes),
# type 10, class IN.
printf '\x0a\x0a\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x02\x0a\x0a\x07example\x03com\x00\x00\x0a\x00\x01' \
	>"$T/query"
len=$(stat -c %s "$T/query")
hexq=$(od -An -tx1 -v "$T/query" | tr -d ' \n')
nl=$(tr -cd '\n' <"$T/query" | wc -c)
expect_eq "the request holds newlines" 5 "$nl"

# recorder NAME: a udprecord peer; its URL in $url.
recorder() { bg "$T/$1" $PEER udprecord; url=$(listening_url "$T/$1" 10); }
# dgrams NAME [N]: "LEN HEX" of each datagram the recorder NAME got, once
# it has written N (default 1) of them: connect may end (its --idle-timeout)
# before a slow recorder has even read what was sent.
dgrams() {
	wait_count "$T/$1" '^dgram ' "${2:-1}" 10 || true
	sed -n 's/^dgram //p' "$T/$1"
}

recorder file
got=$(timeout "$to" "$SOCKIPC" connect --idle-timeout "$(secs 3)" "$url" <"$T/query"); rc=$?
expect_eq "file: exit 0" 0 $rc
expect_eq "file: one datagram, byte for byte" "$len $hexq" "$(dgrams file)"
expect_eq "file: its one answer" ack "$got"

recorder pipe
cat "$T/query" | timeout "$to" "$SOCKIPC" connect --idle-timeout 1 "$url" >/dev/null
expect_eq "pipe: exit 0" 0 $?
expect_eq "pipe: one datagram, byte for byte" "$len $hexq" "$(dgrams pipe)"

recorder prog
timeout "$to" "$SOCKIPC" connect --idle-timeout 1 -e "cat $T/query" "$url"
expect_eq "-e program: exit 0" 0 $?
expect_eq "-e program: its write is one datagram" "$len $hexq" "$(dgrams prog)"

recorder lines
timeout "$to" "$SOCKIPC" connect --lines --idle-timeout 1 "$url" <"$T/query" >/dev/null
expect_eq "--lines: exit 0" 0 $?
expect_eq "--lines: one datagram per newline, and the rest" $((nl + 1)) "$(dgrams lines $((nl + 1)) | wc -l)"
expect_eq "--lines: each ends at a newline but the last" "$nl" \
	"$(dgrams lines | awk '{print $2}' | grep -c '0a$')"
expect_eq "--lines: together the whole request" "$hexq" "$(dgrams lines | awk '{printf "%s", $2}')"

recorder chunk
timeout "$to" "$SOCKIPC" connect --chunk 7 --idle-timeout 1 "$url" <"$T/query" >/dev/null
expect_eq "--chunk 7: exit 0" 0 $?
want=$(for ((i = len; i > 0; i -= 7)); do echo $((i < 7 ? i : 7)); done | tr '\n' ' ' | sed 's/ $//')
expect_eq "--chunk 7: pieces of 7 bytes" "$want" "$(dgrams chunk $(((len + 6) / 7)) | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "--chunk 7: together the whole request" "$hexq" "$(dgrams chunk | awk '{printf "%s", $2}')"

# ---- listen on udp: its stdin goes to the first sender as one datagram.
bg "$T/l" "$SOCKIPC" listen --idle-timeout 2 udp://127.0.0.1:0 <"$T/query"
LPID=$BG_PID
url=$(listening_url "$T/l.err" 10)
$PEER udpclient "$url" hello >"$T/lc"
expect_eq "listen: the peer got one datagram, byte for byte" "dgram $len $hexq" "$(cat "$T/lc")"
ended "$LPID"
expect_eq "listen: exit 0" 0 "$STATUS"
expect_eq "listen: the peer's datagram on stdout" hello "$(cat "$T/l")"

"$SOCKIPC" connect --lines --chunk 5 udp://127.0.0.1:9 </dev/null 2>"$T/u.err"
expect_eq "--lines with --chunk: exit 2" 2 $?
check "--lines with --chunk: says why" grep -qF "connect: --lines and --chunk: choose one" "$T/u.err"
finish
