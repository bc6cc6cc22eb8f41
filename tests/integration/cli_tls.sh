#!/bin/bash
# cli_tls.sh - connect, listen and send over tls:// with no files: listen
# makes a self-signed certificate and prints the fingerprint line whose
# command, run as printed, pins it; bytes go both ways and each side's
# half-close (TLS close_notify) lets the other go on sending; --framed,
# --crlf, --hex, -v and send work inside TLS.  Every failure is its own
# error with exit 1 (unverified self-signed, pin mismatch with both
# fingerprints, plain TCP to a TLS listener and TLS to a plain one, garbage,
# a peer that stops mid-handshake, a stream cut without close_notify), and
# TLS options that contradict each other or come with another scheme are
# usage errors (exit 2).  The checks that need CA-signed certificates are
# in cli_tls_certs.sh.
. "$(dirname "$0")/../support/lib.sh"
need python3
PEER="python3 $(dirname "$0")/cli_peer.py"
TPEER="python3 $(dirname "$0")/cli_tls_peer.py"
FPRE='SHA256(:[0-9A-F]{2}){32}'

# tls_listen NAME [OPTIONS...]: `listen tls://127.0.0.1:0` in the
# background, stdin from the fifo $T/NAME.in held open on fd 7 (write to
# it, then `exec 7>&-` for its end; what starts meanwhile gets `7>&-`, or
# it holds the fifo open too), stdout in $T/NAME, stderr in
# $T/NAME.err.  Sets LPID, LURL (the real URL) and PIN_CMD, the command the
# fingerprint line gives for the other side, without its "sockipc".
tls_listen() {
	local name=$1
	shift
	mkfifo "$T/$name.in"
	exec 7<>"$T/$name.in"
	bg "$T/$name" bash -c 'exec 7>&-; exec "$0" listen "${@:2}" <"$1"' "$SOCKIPC" "$T/$name.in" \
		"$@" tls://127.0.0.1:0
	LPID=$BG_PID
	LURL=$(listening_url "$T/$name.err" 10)
	PIN_CMD=$(sed -n 's/.*; on the other side: sockipc //p' "$T/$name.err")
}

# ---- usage errors: exit 2 and one line naming the option
usage() {
	local what=$1 want=$2
	shift 2
	"$SOCKIPC" "$@" >"$T/usage.out" 2>"$T/usage.err"
	expect_eq "$what: exit 2" 2 $?
	check "$what: one line that says so" \
		test "$(wc -l <"$T/usage.err")" -eq 1 -a -n "$(grep -F -- "$want" "$T/usage.err")"
}
usage "connect --pin with tcp://" "connect: --pin: only for tls:// URLs" \
	connect --pin SHA256:00 tcp://127.0.0.1:1
usage "listen --cert with unix://" "listen: --cert: only for tls:// URLs" \
	listen --cert x.pem unix://@sipc-tls-usage
usage "send --alpn with udp://" "send: --alpn: only for tls:// URLs" send --alpn h2 udp://127.0.0.1:1 x
usage "bench --insecure with tcp://" "bench: --insecure: only for tls:// URLs" \
	bench --insecure tcp://127.0.0.1:1
usage "--insecure with --pin" "--insecure and --pin contradict each other" \
	connect --insecure --pin SHA256:00 tls://127.0.0.1:1
usage "--insecure with --ca" "--insecure and --ca contradict each other" \
	connect --insecure --ca /etc/ssl/certs tls://127.0.0.1:1
usage "--key without --cert" "--key needs --cert" connect --key k.pem tls://127.0.0.1:1
"$SOCKIPC" listen --sni a.example tls://127.0.0.1:0 >"$T/usage.out" 2>"$T/usage.err"
expect_eq "listen --sni: exit 2 (a name to send is for the side that dials)" 2 $?
check "listen --sni: says it is not an option of listen" grep -qF "listen: unknown option '--sni'" "$T/usage.err"
usage "listen --client-cert-required without --ca" "--client-cert-required needs --ca" \
	listen --client-cert-required tls://127.0.0.1:0
"$SOCKIPC" connect --client-cert-required tls://127.0.0.1:1 2>"$T/usage.err"
expect_eq "connect --client-cert-required (the listener's option): exit 2" 2 $?
check "connect --client-cert-required: unknown to connect" \
	grep -q "unknown option '--client-cert-required'" "$T/usage.err"
usage "--tls-min 1.1" "--tls-min 1.1" connect --tls-min 1.1 tls://127.0.0.1:1
usage "--pin not a fingerprint" "--pin nonsense" connect --pin nonsense tls://127.0.0.1:1

# ---- two commands: the fingerprint line, its command as printed, bytes both
# ways; connect's stdin ends first, listen still sends after it
head -c 300000 /dev/urandom >"$T/A"
head -c 200000 /dev/urandom >"$T/B"
tls_listen l1
fpline=$(grep 'self-signed certificate' "$T/l1.err")
check "listen prints one fingerprint line" test "$(grep -c 'self-signed' "$T/l1.err")" -eq 1
check "the fingerprint line names the URL, the fingerprint and the command" grep -qE \
	"^sockipc: listen tls://127\.0\.0\.1:[0-9]+: self-signed certificate $FPRE; on the other side: sockipc connect --pin $FPRE tls://127\.0\.0\.1:[0-9]+\$" \
	<<<"$fpline"
fp=$(grep -oE "$FPRE" <<<"$fpline" | head -1)
expect_eq "the command pins the printed fingerprint, at the real URL" "connect --pin $fp $LURL" "$PIN_CMD"
check "the fingerprint line comes before the listening line" \
	test "$(grep -n 'self-signed' "$T/l1.err" | cut -d: -f1)" -lt "$(grep -n '^listening' "$T/l1.err" | cut -d: -f1)"
# shellcheck disable=SC2086 # the printed command, split as a shell would
bg "$T/c1" "$SOCKIPC" $PIN_CMD -v <"$T/A" 7>&-
cpid=$BG_PID
wait_size "$T/l1" 300000 20
check "connect's bytes reach listen's stdout whole" cmp -s "$T/A" "$T/l1"
cat "$T/B" >&7
exec 7>&-
ended "$cpid"
expect_eq "after its own end of input, connect receives to the end: exit 0" 0 "$STATUS"
check "listen's bytes, sent after connect's close_notify, reach connect's stdout whole" \
	cmp -s "$T/B" "$T/c1"
ended "$LPID"
expect_eq "listen: exit 0" 0 "$STATUS"
check "-v: connect names version, cipher, peer and fingerprint, pinned" grep -qE \
	"^sockipc: connect: TLSv1\.3 TLS_[A-Z0-9_]+ peer CN=127\.0\.0\.1 $fp pinned\$" "$T/c1.err"

# ---- the other way round: listen's stdin ends first, connect still sends
tls_listen l2 -v
exec 7>&- # listen's input is empty: it ends at once
mkfifo "$T/c2.in"
exec 8<>"$T/c2.in"
# shellcheck disable=SC2086
bg "$T/c2" bash -c 'exec 8>&-; exec "$0" "${@:2}" <"$1"' "$SOCKIPC" "$T/c2.in" $PIN_CMD
cpid=$BG_PID
wait_line "$T/l2.err" 'connection from' 10 >/dev/null
printf 'first line\n' >&8
wait_size "$T/l2" 11 10
cat "$T/A" >&8
exec 8>&-
ended "$cpid"
expect_eq "connect, its peer ended first: exit 0" 0 "$STATUS"
ended "$LPID"
expect_eq "listen, its input ended first: exit 0" 0 "$STATUS"
check "connect's bytes after listen's close_notify arrive whole" \
	cmp -s <(printf 'first line\n'; cat "$T/A") "$T/l2"
check "-v: listen says the client sent no certificate" \
	grep -qE '^sockipc: listen: TLSv1\.3 TLS_[A-Z0-9_]+ peer sent no certificate' "$T/l2.err"
check "-v: listen says where the connection came from, as tls://" \
	grep -q '^sockipc: listen: connection from tls://127\.0\.0\.1:' "$T/l2.err"

# ---- a slow reader: what TLS still holds when both ends are passed on (the
# last records, close_notify) reaches the peer before connect exits
head -c 4000000 /dev/urandom >"$T/big"
mkfifo "$T/slow"
exec 9<>"$T/slow" # listen can open it to write before the reader comes
bg "$T/s1" bash -c 'exec "$0" listen tls://127.0.0.1:0 </dev/null >"$1"' "$SOCKIPC" "$T/slow" 9>&-
LPID=$BG_PID
listening_url "$T/s1.err" 10 >/dev/null
cmd=$(sed -n 's/.*; on the other side: sockipc //p' "$T/s1.err")
# A slow consumer, 4 KiB every ms, so the sockets stay full to the end;
# it says when it has the fifo open (then ours may go).
bg "$T/s1.out" python3 -c '
import sys, time
with open(sys.argv[1], "rb") as f:
    print("open", file=sys.stderr, flush=True)
    while True:
        d = f.read(4096)
        if not d:
            break
        sys.stdout.buffer.write(d)
        time.sleep(0.001)' "$T/slow" 9>&-
rpid=$BG_PID
wait_line "$T/s1.out.err" '^open$' 10 >/dev/null
exec 9>&-
# shellcheck disable=SC2086
bg "$T/s1c" "$SOCKIPC" $cmd <"$T/big"
cpid=$BG_PID
ended "$cpid"
expect_eq "slow reader: connect exit 0" 0 "$STATUS"
ended "$LPID"
expect_eq "slow reader: listen exit 0 (close_notify came, nothing cut)" 0 "$STATUS"
ended "$rpid" # the last 64 KiB may still be in the fifo
check "slow reader: every byte arrived" cmp -s "$T/big" "$T/s1.out"

# ---- a peer that ended its side and then went away (its reader took one
# byte): connect's failed sends end it instead of a wait for nothing; a
# clean end (0) or, when the reset came before the close_notify was read,
# the reset (1), as over tcp
bg "$T/g1" bash -c '"$0" listen tls://127.0.0.1:0 </dev/null 2>"$1" | head -c 1 >/dev/null' \
	"$SOCKIPC" "$T/g1.lis"
wait_line "$T/g1.lis" '^listening ' 10 >/dev/null
cmd=$(sed -n 's/.*; on the other side: sockipc //p' "$T/g1.lis")
# shellcheck disable=SC2086
bg "$T/g1c" "$SOCKIPC" $cmd <"$T/big"
cpid=$BG_PID
ended "$cpid"
check "peer gone after its end: connect ends ($STATUS)" test "$STATUS" = 0 -o "$STATUS" = 1
[ "$STATUS" = 1 ] && check "peer gone after its end: status 1 is the reset" \
	grep -qE ': (Connection reset by peer|Broken pipe)$' "$T/g1c.err"

# ---- --trace shows the handshake on both sides
tls_listen t1 --trace
exec 7>&-
# shellcheck disable=SC2086
"$SOCKIPC" $PIN_CMD --trace </dev/null >/dev/null 2>"$T/t1c.err"
expect_eq "--trace over tls: exit 0" 0 $?
check "--trace: connect's handshake line (version, peer, fingerprint, pinned)" grep -qE \
	"^sockipc: trace: tls_handshake\([0-9]+\) = TLSv1\.3 [A-Z0-9_]+ peer=\"CN=127\.0\.0\.1\" $FPRE verify=pinned" \
	"$T/t1c.err"
ended "$LPID"
check "--trace: listen's handshake line, after its accept" \
	grep -A9 '^sockipc: trace: accept(' "$T/t1.err" | grep -qE '^sockipc: trace: tls_handshake\([0-9]+\) = TLSv1\.3 '

# ---- a wildcard listener: its certificate and the command name localhost
bg "$T/w" "$SOCKIPC" listen tls://0.0.0.0:0 </dev/null
lpid=$BG_PID
wait_line "$T/w.err" '^listening ' 10 >/dev/null
cmd=$(sed -n 's/.*; on the other side: sockipc //p' "$T/w.err")
check "wildcard: the command dials localhost" grep -qE "^connect --pin $FPRE tls://localhost:[0-9]+\$" <<<"$cmd"
# shellcheck disable=SC2086
"$SOCKIPC" $cmd -v </dev/null >/dev/null 2>"$T/wc.err"
expect_eq "wildcard: the printed command works: exit 0" 0 $?
check "wildcard: the certificate is for localhost" grep -q 'peer CN=localhost ' "$T/wc.err"
ended "$lpid"

# ---- --framed, --crlf and --hex see the bytes inside TLS; -q hides the lines
tls_listen l3 --framed --hex
printf 'pong\n' >&7
exec 7>&-
# shellcheck disable=SC2086
printf 'ping\n' | "$SOCKIPC" $PIN_CMD --framed >"$T/c3" 2>"$T/c3.err"
expect_eq "--framed over tls: connect exit 0" 0 $?
expect_eq "--framed over tls: the reply as a line" "pong" "$(cat "$T/c3")"
ended "$LPID"
expect_eq "--framed over tls: listen gets the message as a line" "ping" "$(cat "$T/l3")"
check "--hex on listen dumps the message in clear" \
	grep -q '^sockipc: hex: < 00000000  70 69 6e 67 .*|ping|$' "$T/l3.err"

tls_listen l4
exec 7>&-
# shellcheck disable=SC2086
printf 'a\nb\n' | "$SOCKIPC" $PIN_CMD --crlf >/dev/null 2>"$T/c4.err"
expect_eq "--crlf over tls: exit 0" 0 $?
ended "$LPID"
expect_eq "--crlf over tls: CR LF on the wire" "a\\r\\nb\\r\\n" "$(od -An -c "$T/l4" | tr -d ' \n')"

# -q: --trace lines still come (the listen call is the barrier), not the others.
bg "$T/q" "$SOCKIPC" listen -q --trace tls://127.0.0.1:0 </dev/null
qpid=$BG_PID
wait_line "$T/q.err" '^sockipc: trace: listen\(' 10 >/dev/null
kill -TERM "$qpid"
ended "$qpid"
expect_eq "listen -q prints neither the fingerprint nor the listening line" "" \
	"$(grep -v '^sockipc: trace: ' "$T/q.err")"

# ---- send over tls: a message and its reply, from arguments and raw
tls_listen l5 --framed
printf 'pong\n' >&7
exec 7>&-
out=$("$SOCKIPC" send --pin "$fp" "$LURL" ping 2>"$T/s5.err")
expect_eq "send with another listener's pin: exit 1" 1 $?
check "send with another listener's pin: says so" grep -q "^sockipc: send $LURL: TLS peer certificate does not match" "$T/s5.err"
ended "$LPID"
tls_listen l6 --framed
printf 'pong\n' >&7
exec 7>&-
pin=${PIN_CMD#connect --pin }
pin=${pin%% *}
out=$("$SOCKIPC" send --timeout $((5000 * SCALE)) --pin "$pin" "$LURL" ping 2>"$T/s5.err")
expect_eq "send over tls: exit 0" 0 $?
expect_eq "send over tls: the reply" "pong" "$out"
ended "$LPID"
expect_eq "send over tls: the message arrived" "ping" "$(cat "$T/l6")"
tls_listen l7 --framed
printf 'pong\n' >&7
exec 7>&-
pin=${PIN_CMD#connect --pin }
pin=${pin%% *}
printf 'raw\001bytes' | "$SOCKIPC" send --timeout $((5000 * SCALE)) --pin "$pin" "$LURL" >"$T/s7" 2>"$T/s7.err"
expect_eq "send over tls, stdin: exit 0" 0 $?
expect_eq "send over tls, stdin: the reply byte for byte (no newline added)" "pong" "$(od -An -c "$T/s7" | tr -d ' \n')"
ended "$LPID"
expect_eq "send over tls, stdin: the message arrived whole" "raw001bytes" "$(tr -d '\n' <"$T/l7" | od -An -c | tr -d ' \n')"

# ---- failures, each its own message and exit 1
# Unverified: a self-signed certificate with no --pin is an unknown CA.
tls_listen f1
exec 7>&-
"$SOCKIPC" connect "$LURL" </dev/null >/dev/null 2>"$T/f1c.err"
expect_eq "no pin, self-signed: exit 1" 1 $?
check "no pin, self-signed: says the CA is unknown" \
	grep -q "^sockipc: connect $LURL: TLS peer certificate not signed by a trusted CA" "$T/f1c.err"
ended "$LPID"
expect_eq "no pin: listen's handshake fails too: exit 1" 1 "$STATUS"
check "no pin: listen names the peer and the handshake" \
	grep -q "^sockipc: listen $LURL: handshake with tls://127\.0\.0\.1:[0-9]*: " "$T/f1.err"

# Pin mismatch: both fingerprints in the message.
tls_listen f2
exec 7>&-
real=$(grep -oE "$FPRE" "$T/f2.err" | head -1)
wrong=SHA256$(printf ':%s' $(printf '%.0sAB ' {1..32}))
"$SOCKIPC" connect --pin "$wrong" "$LURL" </dev/null >/dev/null 2>"$T/f2c.err"
expect_eq "pin mismatch: exit 1" 1 $?
check "pin mismatch: says so" grep -q "^sockipc: connect $LURL: TLS peer certificate does not match the pinned fingerprint" "$T/f2c.err"
check "pin mismatch: names the pinned fingerprint" grep -qF "$wrong" "$T/f2c.err"
check "pin mismatch: names the peer's fingerprint" grep -qF "$real" "$T/f2c.err"
ended "$LPID"

# --insecure: works, and warns every time, even with -q.
tls_listen f3
printf 'hi\n' >&7
exec 7>&-
out=$("$SOCKIPC" connect -q --insecure "$LURL" </dev/null 2>"$T/f3c.err")
expect_eq "--insecure: exit 0" 0 $?
expect_eq "--insecure: the data" "hi" "$out"
check "--insecure: a warning even with -q" \
	grep -q "^sockipc: connect $LURL: WARNING: --insecure: the peer is not verified" "$T/f3c.err"
ended "$LPID"

# Plain TCP to a TLS listener: the listener says the peer does not speak TLS.
tls_listen f4
exec 7>&-
printf 'GET / HTTP/1.0\r\n\r\n' | "$SOCKIPC" connect "tcp://${LURL#tls://}" >/dev/null 2>&1
ended "$LPID"
expect_eq "plain TCP to a TLS listener: listen exit 1" 1 "$STATUS"
check "plain TCP to a TLS listener: listen says the peer does not speak TLS" \
	grep -q "handshake with .*: The peer does not speak TLS" "$T/f4.err"

# TLS to a plain TCP listener that talks first.
printf 'hello, plain\n' >"$T/plain.in"
bg "$T/f5" "$SOCKIPC" listen tcp://127.0.0.1:0 <"$T/plain.in"
url=$(listening_url "$T/f5.err" 10)
"$SOCKIPC" connect -w $((5 * SCALE)) --insecure "tls://${url#tcp://}" </dev/null >/dev/null 2>"$T/f5c.err"
expect_eq "TLS to a plain listener: exit 1" 1 $?
check "TLS to a plain listener: the peer does not speak TLS" \
	grep -q "^sockipc: connect tls://.*: The peer does not speak TLS" "$T/f5c.err"

# Garbage bytes in answer to the ClientHello.
bg "$T/f6" $TPEER garbage
url=$(listening_url "$T/f6" 10)
"$SOCKIPC" connect -w $((5 * SCALE)) --insecure "$url" </dev/null >/dev/null 2>"$T/f6c.err"
expect_eq "garbage answer: exit 1" 1 $?
check "garbage answer: the peer does not speak TLS" grep -q "The peer does not speak TLS" "$T/f6c.err"

# Garbage that starts like a TLS record, sent to a TLS listener.
tls_listen f7
exec 7>&-
printf '\x16\x03\x01\x00\x30garbagegarbagegarbage' | "$SOCKIPC" connect "tcp://${LURL#tls://}" >/dev/null 2>&1
ended "$LPID"
expect_eq "a broken ClientHello: listen exit 1, no crash" 1 "$STATUS"
check "a broken ClientHello: listen says the handshake failed" grep -q "handshake with " "$T/f7.err"

# A peer that stops mid-handshake: --connect-timeout ends it.
bg "$T/f8" $PEER silent
url=$(listening_url "$T/f8" 10)
start=$(date +%s)
"$SOCKIPC" connect -w 1 --insecure "tls://${url#tcp://}" </dev/null >/dev/null 2>"$T/f8c.err"
expect_eq "silent peer mid-handshake: exit 1" 1 $?
check "silent peer mid-handshake: timed out" grep -qi "timed out" "$T/f8c.err"
check "silent peer mid-handshake: within the timeout (and a margin)" \
	test $(($(date +%s) - start)) -le $((3 * SCALE))

# The same against listen: its handshake is bounded by --idle-timeout.
tls_listen f9 -i 1
exec 7>&-
bg "$T/f9c" bash -c 'sleep 60 | "$0" connect "$1"' "$SOCKIPC" "tcp://${LURL#tls://}"
ended "$LPID"
expect_eq "a client that never says hello: listen exit 1" 1 "$STATUS"
check "a client that never says hello: listen says it timed out" \
	grep -qi "handshake with .*timed out" "$T/f9.err"
stop_bg "$BG_PID"

# Truncated: listen killed (no close_notify) after sending something.
tls_listen f10
# shellcheck disable=SC2086
bg "$T/f10c" "$SOCKIPC" $PIN_CMD </dev/null 7>&-
cpid=$BG_PID
printf 'before\n' >&7
wait_size "$T/f10c" 7 10
kill -KILL "$LPID"
ended "$cpid"
expect_eq "stream cut without close_notify: connect exit 1" 1 "$STATUS"
check "stream cut without close_notify: the message says truncated" \
	grep -q "^sockipc: connect $LURL: .*truncated" "$T/f10c.err"
exec 7>&-
ended "$LPID"

# And connect killed: listen reports the truncation.
tls_listen f11
exec 7>&-
mkfifo "$T/f11c.in"
exec 8<>"$T/f11c.in"
# shellcheck disable=SC2086
bg "$T/f11c" bash -c 'exec 8>&-; exec "$0" "${@:2}" <"$1"' "$SOCKIPC" "$T/f11c.in" $PIN_CMD
printf 'before\n' >&8
wait_size "$T/f11" 7 10
kill -KILL "$BG_PID"
ended "$LPID"
exec 8>&-
expect_eq "client killed: listen exit 1" 1 "$STATUS"
check "client killed: listen says truncated" grep -q "^sockipc: listen .*truncated" "$T/f11.err"
finish
