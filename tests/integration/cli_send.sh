#!/bin/bash
# cli_send.sh - what `sockipc send` writes and how long it waits: a reply
# to a message from stdin comes out byte for byte (binary, no newline
# added), replies to MESSAGE arguments one per line, --raw and --lines
# switch; --hex dumps both directions; a stream peer that does not frame
# (daytime) or never answers (discard) ends with exit 1 within --timeout
# and says what is wrong.
. "$(dirname "$0")/../support/lib.sh"

# serve_one VAR NAME URL SERVICE: a `sockipc serve` of one line; its real
# URL in VAR.  (Not called as $(...): a server started in that subshell
# would not be in this script's list to stop.)
serve_one() {
	bg "$T/$2" "$SOCKIPC" serve "$3" "$4"
	printf -v "$1" '%s' "$(listening_url "$T/$2" 10)"
}
# elapsed_ms START: milliseconds since START (date +%s%N).
elapsed_ms() { echo $((($(date +%s%N) - $1) / 1000000)); }

serve_one udp uecho udp://127.0.0.1:0 echo
serve_one tcp techo tcp://127.0.0.1:0 echo

# ---- a binary reply from stdin comes out byte for byte
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >"$T/bin"
for url in "$udp" "$tcp"; do
	timeout "$(secs 20)" "$SOCKIPC" send "$url" <"$T/bin" >"$T/bin.out"; rc=$?
	expect_eq "stdin binary over ${url%%:*}: exit 0" 0 $rc
	check "stdin binary over ${url%%:*}: 256 bytes back, byte-exact (cmp)" cmp -s "$T/bin" "$T/bin.out"
done
printf 'no newline' | timeout "$(secs 20)" "$SOCKIPC" send "$udp" >"$T/nonl.out"
expect_eq "stdin text without newline: no newline added" 10 "$(wc -c <"$T/nonl.out")"
printf 'no newline' | timeout "$(secs 20)" "$SOCKIPC" send --lines "$udp" >"$T/lines.out"
expect_eq "stdin with --lines: a newline added" 11 "$(wc -c <"$T/lines.out")"
"$SOCKIPC" send --raw --lines "$udp" x >/dev/null 2>&1
expect_eq "--raw with --lines: exit 2" 2 $?

# ---- MESSAGE arguments: one reply per line, as before; --raw joins them
for url in "$udp" "$tcp"; do
	timeout "$(secs 20)" "$SOCKIPC" send "$url" one two 'three
' >"$T/args.out"; rc=$?
	expect_eq "arguments over ${url%%:*}: exit 0" 0 $rc
	expect_eq "arguments over ${url%%:*}: one line per reply" "$(printf 'one\ntwo\nthree\n' | od -c)" "$(od -c <"$T/args.out")"
done
timeout "$(secs 20)" "$SOCKIPC" send --raw "$udp" one two >"$T/raw.out"
expect_eq "arguments with --raw: replies as they are" "onetwo" "$(cat "$T/raw.out")"

# ---- --hex: both directions, in the relay's dump format, on stderr only
timeout "$(secs 20)" "$SOCKIPC" send --hex "$tcp" hi there >"$T/hex.out" 2>"$T/hex.err"; rc=$?
expect_eq "--hex: exit 0" 0 $rc
expect_eq "--hex: stdout is the replies only" $'hi\nthere' "$(cat "$T/hex.out")"
expect_eq "--hex: the first message sent" \
	"sockipc: hex: > 00000000  68 69                                             |hi|" \
	"$(grep -m1 '^sockipc: hex: > ' "$T/hex.err")"
check "--hex: the second message at offset 2" grep -q '^sockipc: hex: > 00000002  74 68 65 72 65 ' "$T/hex.err"
check "--hex: the first reply" grep -q '^sockipc: hex: < 00000000  68 69  ' "$T/hex.err"
check "--hex: the second reply at offset 2" grep -q '^sockipc: hex: < 00000002  74 68 65 72 65 ' "$T/hex.err"
timeout "$(secs 20)" "$SOCKIPC" send --hex "$udp" <"$T/bin" >/dev/null 2>"$T/hexu.err"
expect_eq "--hex over udp: 256 bytes are 16 lines each way" "16 16" \
	"$(grep -c '^sockipc: hex: > ' "$T/hexu.err") $(grep -c '^sockipc: hex: < ' "$T/hexu.err")"

# ---- a stream peer that does not frame: exit 1 within --timeout, says so
serve_one day day tcp://127.0.0.1:0 daytime
start=$(date +%s%N)
err=$(timeout "$(secs 30)" "$SOCKIPC" send "$day" hello 2>&1 >/dev/null); rc=$?
ms=$(elapsed_ms "$start")
expect_eq "daytime: exit 1" 1 $rc
check "daytime: says the reply is no frame and what to use [$err]" grep -Eq \
	"^sockipc: send $day: reply is not a sockipc frame \(\"....\" read as length 0x[0-9a-f]{8}, .*is the peer speaking framed messages\? use connect for plain bytes$" <<<"$err"
check "daytime: within the 1000 ms of help send ($ms ms)" [ "$ms" -lt $((1000 + 2000 * SCALE)) ]

serve_one disc disc tcp://127.0.0.1:0 discard
start=$(date +%s%N)
err=$(timeout "$(secs 30)" "$SOCKIPC" send "$disc" hello 2>&1 >/dev/null); rc=$?
ms=$(elapsed_ms "$start")
expect_eq "discard (no reply): exit 1" 1 $rc
expect_eq "discard (no reply): message" "sockipc: send $disc: no reply within 1000 ms (Timed out)" "$err"
check "discard (no reply): bounded by the documented 1000 ms, not 15 s ($ms ms)" \
	[ "$ms" -lt $((1000 + 2000 * SCALE)) ]
check "help send: the stream bound is --timeout" grep -q "take at most --timeout for each message" \
	<<<"$("$SOCKIPC" help send)"
err=$("$SOCKIPC" send --retries 2 "$disc" x 2>&1); rc=$?
expect_eq "--retries on a stream: exit 2" 2 $rc
check "--retries on a stream: named" grep -q -- '--retries: only for datagram URLs' <<<"$err"
finish
