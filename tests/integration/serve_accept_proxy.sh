# serve_accept_proxy.sh - `serve --accept-proxy`: a trusted upstream's
# connections begin with a PROXY header, sent here by a Python peer one
# byte per segment: v1 TCP4 and TCP6, v2 over IPv4 and IPv6 (with TLVs),
# v2 LOCAL and v1 UNKNOWN (the upstream's own address stands); the real
# client is in the open and close lines (with via= the upstream) and in
# exec's SOCKIPC_PEER.  Malformed, truncated, too long and missing
# headers each close their connection alone with one refused line that
# says what was wrong, escaped, while a stalled one does not hold up
# another client on the same (single) worker.  A header from an untrusted
# address is never believed: echo closes on it, exec sees the real peer.
# --allow and per_source apply to the client the header names, under the
# event, thread and fork models; a block's accept_proxy.  Usage errors: datagram and unix lines.
. "$(dirname "$0")/../support/lib.sh"
need python3
PEER="$(dirname "$0")/proxy_peer.py"
SIG='\r\n\r\n\x00\r\nQUIT\n'

# peer PORT ARGS...: the Python client, bounded.
peer() { local p=$1; shift; timeout $(secs 20) python3 "$PEER" 127.0.0.1 "$p" "$@"; }

bg "$T/s" "$SOCKIPC" serve --workers 1 --handshake-timeout $(secs 60) --accept-proxy=127.0.0.0/24 \
	-e 'tcp://127.0.0.1:0 echo' \
	-e 'tcp://127.0.0.1:0 exec /bin/sh -c "cat >/dev/null; echo peer=$SOCKIPC_PEER local=$SOCKIPC_LOCAL"'
wait_count "$T/s" '^listening ' 2 10 || fail "serve came up"
MAIN=$BG_PID
E=$(nth_port "$T/s" 1)
X=$(nth_port "$T/s" 2)
LOG=$T/s.err
# (exec's child reads to the end first: a child that exits with the
# client's bytes unread would have its output overtaken by a reset.)

# A stalled upstream (5 bytes of a header, then nothing) waits on the one
# worker while the others are served.
bg "$T/stall" python3 "$PEER" 127.0.0.1 "$E" --no-shut --wait $(secs 300) 'PROXY'
STALL=$BG_PID
SP=$(wait_line "$T/stall" '^src ' 10 | awk '{print $2}')

# ---- well-formed headers, split byte by byte ----
# served DESC HEAD PEER_RE: the echo returns the data after HEAD, and the
# open line names PEER_RE (and via= 127.0.0.1, the upstream, unless LOCAL).
served() {
	local desc=$1 head=$2 want=$3 via=${4-" via=tcp://127.0.0.1:[0-9]+"} out cport
	out=$(peer "$E" --split "$head" "data of $desc")
	cport=$(echo "$out" | awk '/^src /{print $2}')
	expect_eq "$desc: the echo returns the client's bytes, no header" \
		"got b'data of $desc'" "$(echo "$out" | grep '^got')"
	want=${want//CPORT/$cport}
	check "$desc: the open line names the real client" wait_line "$LOG" \
		"open echo local=[^ ]+ peer=$want$via\$" 5
}
served "v1 TCP4" 'PROXY TCP4 203.0.113.7 192.0.2.1 5555 80\r\n' 'tcp://203.0.113.7:5555'
served "v1 TCP6" 'PROXY TCP6 2001:db8::7 2001:db8::1 6666 443\r\n' 'tcp://\[2001:db8::7\]:6666'
served "v2 IPv4" "$SIG"'\x21\x11\x00\x0c\xc6\x33\x64\x09\x7f\x00\x00\x01\x1e\x61\x00\x50' \
	'tcp://198.51.100.9:7777'
served "v2 IPv6 with TLVs" "$SIG"'\x21\x21\x00\x2c\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x22\xb8\x00\x50\x01\x00\x02h2\x04\x00\x00' \
	'tcp://\[2001:db8::8\]:8888'
served "v2 LOCAL" "$SIG"'\x20\x00\x00\x00' 'tcp://127.0.0.1:CPORT' ''
served "v1 UNKNOWN" 'PROXY UNKNOWN whatever follows\r\n' 'tcp://127.0.0.1:CPORT' ''
out=$(peer "$X" 'PROXY TCP4 203.0.113.7 192.0.2.1 5555 80\r\n')
expect_eq "exec's SOCKIPC_PEER and SOCKIPC_LOCAL are the header's" \
	"got b'peer=tcp://203.0.113.7:5555 local=tcp://192.0.2.1:80\\n'" "$(echo "$out" | grep '^got')"
check "the close line names both" wait_line "$LOG" \
	"close exec local=tcp://192.0.2.1:80 peer=tcp://203.0.113.7:5555 via=tcp://127.0.0.1:[0-9]+ .*end=exit 0" 5

# ---- malformed headers: that connection alone, one line each ----
# refused_hdr DESC HEAD WHY_RE [ARGS]: each from an upstream address of
# its own (127.0.0.20, .21...): refused lines are limited to one per
# source and second (limits.h), a flood's defence, not under test here.
src=20
refused_hdr() {
	local out
	src=$((src + 1))
	out=$(peer "$E" --src 127.0.0.$src "${@:4}" "$2" 'after')
	check "$1: closed with nothing echoed" grep -q "^got b''" <<<"$out"
	check "$1: one refused line naming the upstream" wait_line "$LOG" \
		"refused echo local=tcp://127.0.0.1:$E peer=tcp://127.0.0.$src:[0-9]+: PROXY header: $3" 5
}
refused_hdr "v1 bad address" 'PROXY TCP4 300.1.1.1 192.0.2.1 1 2\r\n' \
	"v1: 'TCP4' source address '300.1.1.1' is not IPv4\$"
refused_hdr "v1 bad port" 'PROXY TCP4 1.1.1.1 192.0.2.1 1 65536\r\n' \
	"v1: destination port '65536' is not a number in 0..65535\$" --split
refused_hdr "v1 too long" "PROXY UNKNOWN $(printf 'A%.0s' $(seq 120))" \
	'v1: line longer than 107 bytes$'
refused_hdr "v1 hostile bytes" 'PROXY TCP9%\x1b[31m 1.1.1.1\r\n' \
	"v1: byte 0x1B at 11 in the line\$"
refused_hdr "v1 hostile protocol, quoted escaped" 'PROXY TCP9%0a\xff\r\n' \
	"v1: byte 0xFF at 13 in the line\$"
refused_hdr "v1 protocol quoted" 'PROXY T%CP9 1 2 3 4\r\n' \
	"v1: protocol 'T%25CP9' is not TCP4, TCP6 or UNKNOWN\$"
refused_hdr "v2 bad signature" '\r\n\r\n\x01' "v2: bad signature '%0D%0A%0D%0A%01"
refused_hdr "v2 version 3" "$SIG"'\x31\x11\x00\x0c' 'v2: version 3, not 2$'
refused_hdr "v2 length beyond the limit" "$SIG"'\x21\x11\xff\xff' \
	'v2: length 65535 beyond the limit of 728 \(216 of addresses \+ 512 of TLVs\)$'
refused_hdr "v2 TLV past the end" "$SIG"'\x21\x11\x00\x10\x01\x01\x01\x01\x02\x02\x02\x02\x00\x01\x00\x02\x01\x00\x09x' \
	"v2: TLV 0x01 of 9 bytes runs past the header's end\$"
refused_hdr "no header" 'GET / HTTP/1.0\r\n' "no PROXY header: the first byte is 0x47, not 'P' \(v1\) or 0x0D \(v2\)\$"
refused_hdr "truncated" 'PROXY TCP4 1.2.3.4' \
	'the connection ended after 23 byte\(s\), before the header was complete$' --split
check "peer bytes reach no log line raw" python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
sys.exit(any(b < 0x20 and b != 0x0a or b >= 0x7f for b in d))' "$LOG"
# The stalled one was still waiting through all of the above, and goes
# when its upstream does.
check "a stalled header did not hold up the others (the worker is not blocked)" \
	test -z "$(grep "peer=tcp://127.0.0.1:$SP" "$LOG")"
stop_bg "$STALL"
check "... and is refused when its upstream goes" wait_line "$LOG" \
	"refused echo local=tcp://127.0.0.1:$E peer=tcp://127.0.0.1:$SP: PROXY header: the connection ended after 5 byte\(s\), before the header was complete\$" 5

# --handshake-timeout bounds the wait (a serve of its own: 1 s).
bg "$T/to" "$SOCKIPC" serve --handshake-timeout 1 --accept-proxy=127.0.0.1 -e 'tcp://127.0.0.1:0 echo'
TO=$BG_PID
TP=$(port_of "$(listening_url "$T/to" 10)")
out=$(peer "$TP" --no-shut 'PROXY TCP4 1.2.3.4')
check "a header not complete within --handshake-timeout: its client is closed" grep -q "^got b''" <<<"$out"
check "... with the line" wait_line "$T/to.err" \
	"refused echo local=tcp://127.0.0.1:$TP peer=tcp://127.0.0.1:[0-9]+: PROXY header: not complete within --handshake-timeout 1.000 s \(18 byte\(s\) came\)\$" 5
stop_bg "$TO"

# ---- an untrusted peer's header is never believed ----
out=$(peer "$E" --src 127.0.1.2 'PROXY TCP4 203.0.113.66 192.0.2.1 1 2\r\n' 'more')
check "untrusted header to echo: closed, nothing echoed" grep -q "^got b''" <<<"$out"
check "untrusted header: the close line names the real peer and why" wait_line "$LOG" \
	'close echo local=tcp://127.0.0.1:'"$E"' peer=tcp://127.0.1.2:[0-9]+ .*end=a PROXY header from a peer not in --accept-proxy: not believed$' 5
out=$(peer "$E" --src 127.0.1.2 'plain bytes')
expect_eq "an untrusted peer's plain bytes are served" "got b'plain bytes'" "$(grep '^got' <<<"$out")"
out=$(peer "$X" --src 127.0.1.2 'PROXY TCP4 203.0.113.66 192.0.2.1 1 2\r\n')
cport=$(awk '/^src /{print $2}' <<<"$out")
expect_eq "untrusted header to exec: the child sees the real peer" \
	"got b'peer=tcp://127.0.1.2:$cport local=tcp://127.0.0.1:$X\\n'" "$(grep '^got' <<<"$out")"
check "203.0.113.66 is named nowhere" test -z "$(grep 203.0.113.66 "$LOG")"

# ---- --allow and per_source see the real client ----
for model in event thread fork; do
	bg "$T/a$model" "$SOCKIPC" serve --model $model --accept-proxy=127.0.0.1/32 \
		--allow=203.0.113.0/24 --per-source 1 -e 'tcp://127.0.0.1:0 echo'
	S=$BG_PID
	A=$(port_of "$(listening_url "$T/a$model" 10)")
	AL=$T/a$model.err
	out=$(peer "$A" 'PROXY TCP4 198.51.100.9 192.0.2.1 1111 80\r\n' 'x')
	check "$model: a header naming a client outside --allow: refused" grep -q "^got b''" <<<"$out"
	check "$model: ... with its line" wait_line "$AL" \
		"refused echo local=tcp://127.0.0.1:$A peer=tcp://198.51.100.9:1111 via=tcp://127.0.0.1:[0-9]+: not in --allow\$" 5
	bg "$T/hold$model" python3 "$PEER" 127.0.0.1 "$A" --no-shut 'PROXY TCP4 203.0.113.7 192.0.2.1 1000 80\r\n'
	H=$BG_PID
	check "$model: a first connection of 203.0.113.7 is open" wait_line "$AL" \
		"open echo local=tcp://192.0.2.1:80 peer=tcp://203.0.113.7:1000 via=" 5
	out=$(peer "$A" 'PROXY TCP4 203.0.113.7 192.0.2.1 1001 80\r\n' 'x')
	check "$model: per_source 1 counts the real client: a second is refused" grep -q "^got b''" <<<"$out"
	check "$model: ... with its line" wait_line "$AL" \
		"refused echo local=tcp://127.0.0.1:$A peer=tcp://203.0.113.7:1001 via=tcp://127.0.0.1:[0-9]+: 1 connections from this source \(per_source 1\)\$" 5
	out=$(peer "$A" 'PROXY TCP4 203.0.113.8 192.0.2.1 1002 80\r\n' 'other')
	expect_eq "$model: another client through the same upstream is served" "got b'other'" \
		"$(grep '^got' <<<"$out")"
	stop_bg "$H"
	stop_bg "$S"
	expect_eq "$model: serve exits 0 on SIGTERM (nothing leaked under ASan)" 0 $?
done

# ---- the attribute of a configuration block ----
# One block trusts 127.0.0.1, a plain line trusts nobody: the same header
# is the client on the one, data to echo on the other (whose first bytes
# are a header from an untrusted peer: closed).
cat >"$T/pp.conf" <<'CONF'
service front
{
    listen = tcp://127.0.0.1:0
    run = echo
    accept_proxy = 127.0.0.1 10.0.0.0/8
}
tcp://127.0.0.1:0 echo
CONF
"$SOCKIPC" serve --check "$T/pp.conf" >"$T/check" 2>&1
check "--check prints the attribute" grep -qE '^ +accept_proxy += 127.0.0.1/32 10.0.0.0/8$' "$T/check"
check "--check: only the block has it" test "$(grep -c accept_proxy "$T/check")" -eq 1
bg "$T/c" "$SOCKIPC" serve -f "$T/pp.conf"
wait_count "$T/c" '^listening ' 2 10 || fail "serve -f came up"
out=$(peer "$(nth_port "$T/c" 1)" 'PROXY TCP4 203.0.113.9 192.0.2.1 4444 80\r\n' 'blk')
expect_eq "the block reads the header" "got b'blk'" "$(grep '^got' <<<"$out")"
check "... and names the client" wait_line "$T/c.err" "open echo local=tcp://192.0.2.1:80 peer=tcp://203.0.113.9:4444 via=" 5
out=$(peer "$(nth_port "$T/c" 2)" 'hello')
expect_eq "the plain line reads no header" "got b'hello'" "$(grep '^got' <<<"$out")"
stop_bg "$BG_PID"
expect_eq "serve -f exits 0 on SIGTERM" 0 $?
stop_bg "$MAIN"
expect_eq "the first serve exits 0 on SIGTERM (nothing leaked under ASan)" 0 $?

# ---- usage errors ----
"$SOCKIPC" serve --accept-proxy=127.0.0.1 -e 'udp://127.0.0.1:0 echo' >/dev/null 2>"$T/u1"
expect_eq "a datagram line: usage error" 2 $?
check "... which says why" grep -q "accept_proxy (--accept-proxy): udp://127.0.0.1:0 is not a tcp:// or tls:// endpoint" "$T/u1"
"$SOCKIPC" serve --accept-proxy=127.0.0.1 -e "unix://$T/u.sock echo" >/dev/null 2>"$T/u2"
expect_eq "a unix line: usage error" 2 $?
"$SOCKIPC" serve --accept-proxy=uid:0 -e 'tcp://127.0.0.1:0 echo' >/dev/null 2>"$T/u3"
expect_eq "--accept-proxy takes CIDR blocks only" 2 $?
finish
