#!/bin/bash
# cli_tls_certs.sh - connect and listen over tls:// with certificates from
# a test CA (tests/support/tls-certs.sh, made at test time): --cert/--key
# on listen and --ca on connect verify, --sni and --alpn reach the other
# side, mutual TLS (--client-cert-required) admits a client certificate of
# its CA only; and every bad certificate is its own error with exit 1 and
# what it found: a host name mismatch names both names, an expired or
# not-yet-valid certificate its date, an unknown CA, no client certificate,
# a client certificate of another CA, no protocol version in common.
. "$(dirname "$0")/../support/lib.sh"
need python3 openssl
TPEER="python3 $(dirname "$0")/cli_tls_peer.py"
C=$T/certs
bash "$SIPC_SOURCE_DIR/tests/support/tls-certs.sh" "$C" >/dev/null 2>"$T/certs.err" ||
	{ cat "$T/certs.err" >&2; fail "tls-certs.sh made the test certificates"; finish; }

# cert_listen NAME CERT KEY [OPTIONS...]: listen with that certificate on
# tls://127.0.0.1:0, stdin $T/NAME.in (a file: "from listen"), stdout $T/NAME,
# stderr $T/NAME.err.  Sets LPID and LURL.
cert_listen() {
	local name=$1 cert=$2 key=$3
	shift 3
	printf 'from listen\n' >"$T/$name.in"
	bg "$T/$name" "$SOCKIPC" listen -v --cert "$cert" --key "$key" "$@" tls://127.0.0.1:0 \
		<"$T/$name.in"
	LPID=$BG_PID
	LURL=$(listening_url "$T/$name.err" 10)
}
# dial NAME [OPTIONS...]: connect -v to $LURL with "from connect" as input;
# its status in $RC, stdout $T/NAME, stderr $T/NAME.err.
dial() {
	local name=$1
	shift
	printf 'from connect\n' | "$SOCKIPC" connect -v -w $((10 * SCALE)) "$@" "$LURL" \
		>"$T/$name" 2>"$T/$name.err"
	RC=$?
}

# ---- verified both ways of the data; no fingerprint line with --cert
cert_listen ok "$C/server.pem" "$C/server.key"
check "listen with --cert prints no self-signed line" test -z "$(grep self-signed "$T/ok.err")"
dial okc --ca "$C/ca.pem"
expect_eq "CA-verified: exit 0" 0 "$RC"
expect_eq "CA-verified: listen's data" "from listen" "$(cat "$T/okc")"
ended "$LPID"
expect_eq "CA-verified: listen exit 0" 0 "$STATUS"
expect_eq "CA-verified: connect's data" "from connect" "$(cat "$T/ok")"
check "-v: verified" grep -qE '^sockipc: connect: TLSv1\.3 [A-Z0-9_]+ peer .* SHA256:[0-9A-F:]+ verified' "$T/okc.err"

# ---- --sni: sent, seen by listen, and checked in place of the URL host
cert_listen sni "$C/server.pem" "$C/server.key"
dial snic --ca "$C/ca.pem" --sni localhost
expect_eq "--sni localhost: exit 0" 0 "$RC"
ended "$LPID"
check "--sni: listen -v shows the name the client asked for" grep -q 'sni localhost' "$T/sni.err"

cert_listen badname "$C/server.pem" "$C/server.key"
dial badnamec --ca "$C/ca.pem" --sni wrong.example
expect_eq "host name mismatch: exit 1" 1 "$RC"
check "host name mismatch: says so" \
	grep -q "^sockipc: connect $LURL: TLS peer certificate is for another host name" "$T/badnamec.err"
check "host name mismatch: names the name asked for" grep -q "wrong\.example" "$T/badnamec.err"
check "host name mismatch: names the certificate's name" grep -q "localhost" "$T/badnamec.err"
ended "$LPID"

# ---- --alpn on both sides
cert_listen alpn "$C/server.pem" "$C/server.key" --alpn h2,http/1.1
dial alpnc --ca "$C/ca.pem" --alpn foo,http/1.1
expect_eq "--alpn in common: exit 0" 0 "$RC"
check "--alpn: connect -v shows the protocol chosen" grep -q ' alpn http/1\.1' "$T/alpnc.err"
ended "$LPID"
check "--alpn: listen -v shows it too" grep -q ' alpn http/1\.1' "$T/alpn.err"
cert_listen alpn2 "$C/server.pem" "$C/server.key" --alpn h2
dial alpn2c --ca "$C/ca.pem" --alpn http/1.1
expect_eq "--alpn with nothing in common: exit 1" 1 "$RC"
ended "$LPID"
expect_eq "--alpn with nothing in common: listen exit 1" 1 "$STATUS"

# ---- certificates that must not pass
cert_listen unk "$C/server.pem" "$C/server.key"
dial unkc --ca "$C/ca2.pem"
expect_eq "unknown CA: exit 1" 1 "$RC"
check "unknown CA: says so" grep -q "TLS peer certificate not signed by a trusted CA" "$T/unkc.err"
ended "$LPID"
check "unknown CA: listen says the handshake failed" grep -q "handshake with " "$T/unk.err"

cert_listen exp "$C/expired.pem" "$C/expired.key"
dial expc --ca "$C/ca.pem"
expect_eq "expired: exit 1" 1 "$RC"
check "expired: says so, with the date" \
	grep -qE "TLS peer certificate has expired: .*[0-9]{4}-[0-9]{2}-[0-9]{2}" "$T/expc.err"
ended "$LPID"

cert_listen ny "$C/notyet.pem" "$C/notyet.key"
dial nyc --ca "$C/ca.pem"
expect_eq "not yet valid: exit 1" 1 "$RC"
check "not yet valid: says so, with the date" \
	grep -qE "TLS peer certificate is not valid yet: .*[0-9]{4}-[0-9]{2}-[0-9]{2}" "$T/nyc.err"
ended "$LPID"

# ---- mutual TLS
cert_listen m1 "$C/server.pem" "$C/server.key" --ca "$C/ca.pem" --client-cert-required
dial m1c --ca "$C/ca.pem"
expect_eq "mutual TLS, no client certificate: connect exit 1" 1 "$RC"
ended "$LPID"
expect_eq "mutual TLS, no client certificate: listen exit 1" 1 "$STATUS"
check "mutual TLS, no client certificate: listen says so" \
	grep -q "handshake with .*: TLS peer sent no certificate" "$T/m1.err"

cert_listen m2 "$C/server.pem" "$C/server.key" --ca "$C/ca.pem" --client-cert-required
dial m2c --ca "$C/ca.pem" --cert "$C/mallory.pem" --key "$C/mallory.key"
expect_eq "mutual TLS, client of another CA: connect exit 1" 1 "$RC"
ended "$LPID"
expect_eq "mutual TLS, client of another CA: listen exit 1" 1 "$STATUS"
check "mutual TLS, client of another CA: listen says the CA is unknown" \
	grep -q "handshake with .*: TLS peer certificate not signed by a trusted CA" "$T/m2.err"

cert_listen m3 "$C/server.pem" "$C/server.key" --ca "$C/ca.pem" --client-cert-required
dial m3c --ca "$C/ca.pem" --cert "$C/alice.pem" --key "$C/alice.key"
expect_eq "mutual TLS, good client: connect exit 0" 0 "$RC"
ended "$LPID"
expect_eq "mutual TLS, good client: listen exit 0" 0 "$STATUS"
check "mutual TLS, good client: listen -v names it, verified" \
	grep -qE '^sockipc: listen: TLSv1\.3 [A-Z0-9_]+ peer .*CN=[^ ]+ SHA256:[0-9A-F:]+ verified' "$T/m3.err"

# ---- keep-open: a failed handshake ends that peer only
cert_listen k "$C/server.pem" "$C/server.key" --keep-open
dial kc1 --ca "$C/ca2.pem"
expect_eq "--keep-open, a bad client: exit 1" 1 "$RC"
dial kc2 --ca "$C/ca.pem"
expect_eq "--keep-open: the next client is served: exit 0" 0 "$RC"
check "--keep-open: the listener is still there after a failed handshake" kill -0 "$LPID"
stop_bg "$LPID"

# ---- protocol versions: --tls-min 1.3 against a TLS 1.2-only server
bg "$T/t12" $TPEER tls12 "$C/server.pem" "$C/server.key"
LURL=$(listening_url "$T/t12" 10)
dial v1 --ca "$C/ca.pem"
expect_eq "TLS 1.2 server, default minimum: exit 0" 0 "$RC"
check "TLS 1.2 server: -v says TLSv1.2" grep -q '^sockipc: connect: TLSv1\.2 ' "$T/v1.err"
dial v2 --ca "$C/ca.pem" --tls-min 1.3
expect_eq "--tls-min 1.3 against TLS 1.2 only: exit 1" 1 "$RC"
check "--tls-min 1.3 against TLS 1.2 only: no version in common" \
	grep -q "No TLS protocol version in common" "$T/v2.err"
finish
