#!/usr/bin/env bash
# bench_tls.sh - `sockipc bench` over tls://, every byte compared: against
# `sockipc listen` turned into an echo (its stdout fed back to its stdin;
# the self-signed certificate pinned, no files), and against a python3 ssl
# echo server with CA-signed certificates (many connections, large and
# framed messages, --new-conn making a full handshake per request).  A
# handshake that fails is a failed connect with its reason; a wrong pin on
# a persistent connection stops the run before it starts, naming both
# fingerprints; a TLS bench against a plain echo says the peer does not
# speak TLS.  Nothing here asserts a rate.
. "$(dirname "$0")/../support/lib.sh"
need python3 openssl
TPEER="python3 $(dirname "$0")/cli_tls_peer.py"
FPRE='SHA256(:[0-9A-F]{2}){32}'
slow=$((5000 * SCALE))
json_field() { sed -n "s/.*\"$2\": \\([^,}]*\\).*/\\1/p" "$1" | head -1; }

# ---- sockipc listen as a one-connection echo: what it receives it prints,
# and what it prints comes back in through the fifo.
mkfifo "$T/loop"
# Read-write: opening a fifo to read alone would wait for a writer.
bg "$T/lis" bash -c 'exec "$0" listen tls://127.0.0.1:0 <>"$1" >"$1"' "$SOCKIPC" "$T/loop"
url=$(listening_url "$T/lis.err" 10)
fp=$(grep -oE "$FPRE" "$T/lis.err" | head -1)
"$SOCKIPC" bench --pin "$fp" "$url" --count 3000 --depth 8 --timeout $slow --json >"$T/j1" 2>"$T/e1"
expect_eq "bench against sockipc listen over tls: exit 0" 0 $?
expect_eq "bench against sockipc listen over tls: 3000 echoed" 3000 "$(json_field "$T/j1" echoed)"
expect_eq "bench against sockipc listen over tls: no mismatch" 0 "$(json_field "$T/j1" mismatched)"
stop_bg "$BG_PID"

# ---- a python3 ssl echo server with a CA-signed certificate
bash "$SIPC_SOURCE_DIR/tests/support/tls-certs.sh" "$T/certs" >/dev/null 2>"$T/certs.err" ||
	{ cat "$T/certs.err" >&2; fail "tls-certs.sh made the test certificates"; finish; }
C=$T/certs
bg "$T/echo" $TPEER echo "$C/server.pem" "$C/server.key"
url=$(listening_url "$T/echo" 10)
check "python3 ssl echo is up" test -n "$url"

"$SOCKIPC" bench --ca "$C/ca.pem" "$url" --conns 4 --threads 2 --depth 4 --count 4000 \
	--timeout $slow --json >"$T/j2" 2>"$T/e2"
expect_eq "4 conns, 2 threads: exit 0" 0 $?
expect_eq "4 conns, 2 threads: 4000 echoed" 4000 "$(json_field "$T/j2" echoed)"
"$SOCKIPC" bench --ca "$C/ca.pem" "$url" --size 200K --depth 2 --count 60 --timeout $slow \
	--json >"$T/j3" 2>"$T/e3"
expect_eq "200 KiB messages (many TLS records each): exit 0" 0 $?
expect_eq "200 KiB messages: 60 echoed" 60 "$(json_field "$T/j3" echoed)"
"$SOCKIPC" bench --ca "$C/ca.pem" "$url" --framed --depth 16 --count 2000 --timeout $slow \
	>"$T/t4" 2>"$T/e4"
expect_eq "framed over tls: exit 0" 0 $?
check "framed over tls: 2000 sent, 2000 echoed" grep -q '2000 sent, 2000 echoed, 0 mismatched' "$T/t4"

# --new-conn: a full handshake per request, with the URL host checked.
"$SOCKIPC" bench --ca "$C/ca.pem" "$url" --new-conn --conns 4 --count 80 --timeout $slow \
	>"$T/t5" 2>"$T/e5"
expect_eq "--new-conn over tls: exit 0" 0 $?
check "--new-conn over tls: 80 echoed" grep -q '80 sent, 80 echoed, 0 mismatched' "$T/t5"
check "--new-conn over tls: the report says each request made a handshake" \
	grep -q 'new connection and full TLS handshake per request' "$T/t5"
check "--new-conn over tls: a connection rate" grep -qE '[0-9]+ conn/s' "$T/t5"

# Handshakes that fail: counted as failed connects with their reason.
wrong=SHA256$(printf ':%s' $(printf '%.0s00 ' {1..32}))
"$SOCKIPC" bench --pin "$wrong" "$url" --new-conn --count 5 --timeout $slow --json \
	>"$T/j6" 2>"$T/e6"
expect_eq "--new-conn, wrong pin: exit 1" 1 $?
check "--new-conn, wrong pin: failed connects counted" test "$(json_field "$T/j6" connect_errors)" -gt 0
check "--new-conn, wrong pin: the first error is the handshake's, with the pin" \
	grep -q '"first_error": "handshake: TLS peer certificate does not match the pinned fingerprint: .*SHA256:00:00' "$T/j6"
"$SOCKIPC" bench --ca "$C/ca2.pem" "$url" --new-conn --count 3 --timeout $slow >"$T/t7" 2>"$T/e7"
expect_eq "--new-conn, unknown CA: exit 1" 1 $?
check "--new-conn, unknown CA: named" grep -q 'handshake: TLS peer certificate not signed by a trusted CA' "$T/t7"

# A wrong pin on persistent connections: the run does not start.
"$SOCKIPC" bench --pin "$wrong" "$url" --count 5 >"$T/t8" 2>"$T/e8"
expect_eq "persistent, wrong pin: exit 1" 1 $?
check "persistent, wrong pin: both fingerprints named" \
	test "$(grep -oE "$FPRE" "$T/e8" | sort -u | wc -l)" -eq 2
check "persistent, wrong pin: says connect URL" grep -q "^sockipc: bench: connect $url: " "$T/e8"

# tls:// against a plain echo: not TLS.
bg "$T/plain" "$SOCKIPC" serve -e 'tcp://127.0.0.1:0 echo'
if purl=$(listening_url "$T/plain" 5 2>/dev/null); then
	"$SOCKIPC" bench --insecure "tls://${purl#tcp://}" --count 5 --timeout 1000 >"$T/t9" 2>"$T/e9"
	expect_eq "tls bench against a plain echo: exit 1" 1 $?
	check "tls bench against a plain echo: the peer does not speak TLS" \
		grep -qi "TLS" "$T/e9"
else
	echo "SKIP (part): sockipc serve did not start"
fi
finish
