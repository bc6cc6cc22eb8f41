# serve_tls_mutual.sh - mutual TLS in `sockipc serve`: --client-ca admits
# clients with a certificate from that CA and refuses one with none or from
# another CA; --allow-cert narrows it to listed subjects or fingerprints; a
# refused client gets one log line naming it and why, and the server goes
# on serving the others.  exec says at start whom it admits, and its
# children get the verified identity (SSL_CLIENT_S_DN, SSL_CLIENT_I_DN,
# SSL_CLIENT_FINGERPRINT, SSL_PROTOCOL, SSL_CIPHER) beside the UCSPI
# variables.
. "$(dirname "$0")/../support/lib.sh"
need python3 openssl
PEER="python3 $(dirname "$0")/serve_tls_peer.py"
bash "$(dirname "$0")/../support/tls-certs.sh" "$T/c" || { fail "tls-certs.sh"; finish; }
C=$T/c
TO="--timeout $(secs 20)"
alice="--cert $C/alice.pem --key $C/alice.key"
bob="--cert $C/bob.pem --key $C/bob.key"
mallory="--cert $C/mallory.pem --key $C/mallory.key"

fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^.*=/SHA256:/'; }

# --client-ca alone: any certificate of that CA.
bg "$T/m" "$SOCKIPC" serve --cert "$C/server.pem" --key "$C/server.key" --client-ca "$C/ca.pem" \
	-e 'tls://127.0.0.1:0 echo' \
	-e "tls://127.0.0.1:0 exec sh -c 'env | grep -E \"^(SSL_|PROTO=|TCPREMOTEIP=)\" | sort'"
SRV=$BG_PID
wait_count "$T/m" '^listening ' 2 "$(secs 10)" || fail "mutual: two endpoints"
P=$(nth_port "$T/m" 1)
X=$(nth_port "$T/m" 2)
check "alice (signed by the CA) is served" $PEER echo "$P" 50000 --ca "$C/ca.pem" $alice $TO
check "bob too" $PEER echo "$P" 50000 --ca "$C/ca.pem" $bob $TO
check "a client without a certificate is refused" $PEER refused "$P" --ca "$C/ca.pem" $TO
check "mallory (another CA) is refused" $PEER refused "$P" --ca "$C/ca.pem" $mallory $TO
wait_count "$T/m.err" '^sockipc: refused echo ' 2 "$(secs 10)"
expect_eq "two refusals, one line each" 2 "$(grep -c '^sockipc: refused echo ' "$T/m.err")"
check "the refusals say why" bash -c "grep '^sockipc: refused echo ' '$T/m.err' | grep -qi 'certificate'"
check "alice is still served after them" $PEER echo "$P" 50000 --ca "$C/ca.pem" $alice $TO
check "exec says whom it admits" grep -q "exec on tls://127.0.0.1:$X runs 'sh' only for TLS clients with a certificate signed by --client-ca $C/ca.pem" "$T/m.err"
env=$($PEER line "$X" "" --ca "$C/ca.pem" $alice $TO)
expect_eq "exec: SSL_CLIENT_S_DN" "SSL_CLIENT_S_DN=CN=alice" "$(echo "$env" | grep '^SSL_CLIENT_S_DN=')"
expect_eq "exec: SSL_CLIENT_I_DN" "SSL_CLIENT_I_DN=CN=sockipc test CA" "$(echo "$env" | grep '^SSL_CLIENT_I_DN=')"
expect_eq "exec: SSL_CLIENT_FINGERPRINT" "SSL_CLIENT_FINGERPRINT=$(fp "$C/alice.pem")" "$(echo "$env" | grep '^SSL_CLIENT_FINGERPRINT=')"
expect_eq "exec: SSL_CLIENT_VERIFY" "SSL_CLIENT_VERIFY=SUCCESS" "$(echo "$env" | grep '^SSL_CLIENT_VERIFY=')"
check "exec: SSL_PROTOCOL" bash -c "echo '$env' | grep -Eq '^SSL_PROTOCOL=TLSv1\.[23]$'"
check "exec: SSL_CIPHER" bash -c "echo '$env' | grep -Eq '^SSL_CIPHER=[A-Z0-9_-]+$'"
check "exec: the UCSPI variables are there too" bash -c "echo '$env' | grep -q '^PROTO=TCP' && echo '$env' | grep -q '^TCPREMOTEIP=127.0.0.1'"
check "close lines name the client certificate" grep -q "close echo .* tls=TLSv1.3 .* cert=\"CN=alice\"" "$T/m.err"
stop_server mutual "$SRV" "$T/m.err"

# --allow-cert: by subject (alice) and by fingerprint (bob's, written in
# lower case without colons); mallory's own CA would not do either.
bobfp=$(fp "$C/bob.pem" | sed 's/^SHA256://; s/://g' | tr 'A-F' 'a-f')
bg "$T/a" "$SOCKIPC" serve --cert "$C/server.pem" --key "$C/server.key" --client-ca "$C/ca.pem" \
	--allow-cert 'CN=alice' -e 'tls://127.0.0.1:0 echo' \
	-e "tls://127.0.0.1:0 exec cat"
SRV=$BG_PID
wait_count "$T/a" '^listening ' 2 "$(secs 10)" || fail "allow: two endpoints"
P=$(nth_port "$T/a" 1)
check "allow: alice by subject is served" $PEER echo "$P" 50000 --ca "$C/ca.pem" $alice $TO
check "allow: bob is refused" $PEER refused "$P" --ca "$C/ca.pem" $bob $TO
wait_line "$T/a.err" "refused echo .*: tls: client certificate \"CN=bob\" SHA256:[0-9A-F:]+ is not in --allow-cert" 5 >/dev/null &&
	pass "allow: bob's refusal names him and why"
check "allow: alice is served after bob" $PEER echo "$P" 50000 --ca "$C/ca.pem" $alice $TO
check "allow: exec names --allow-cert at start" grep -q "only for TLS clients with a certificate signed by --client-ca .* and listed in --allow-cert" "$T/a.err"
stop_server allow "$SRV" "$T/a.err"

bg "$T/f" "$SOCKIPC" serve --cert "$C/server.pem" --key "$C/server.key" --client-ca "$C/ca.pem" \
	--allow-cert "$bobfp" -e 'tls://127.0.0.1:0 echo'
SRV=$BG_PID
P=$(listening_url "$T/f" "$(secs 10)")
P=${P##*:}
check "allow by fingerprint: bob is served" $PEER echo "$P" 50000 --ca "$C/ca.pem" $bob $TO
check "allow by fingerprint: alice is refused" $PEER refused "$P" --ca "$C/ca.pem" $alice $TO
wait_line "$T/f.err" "refused echo .*CN=alice.* is not in --allow-cert" 5 >/dev/null && pass "allow by fingerprint: the line names alice"
stop_server fingerprint "$SRV" "$T/f.err"

# A client whose certificate subject is hostile (a double quote, a blank, a
# newline, then text shaped like a log line and its fields) is served, and
# everything that shows its subject carries it escaped: no forged line, no
# forged field, one environment variable on one line.
evil="--cert $C/evil.pem --key $C/evil.key"
bg "$T/e" "$SOCKIPC" serve --cert "$C/server.pem" --key "$C/server.key" --client-ca "$C/ca.pem" \
	-e 'tls://127.0.0.1:0 echo' -e "tls://127.0.0.1:0 exec sh -c 'env | grep ^SSL_CLIENT_S_DN='"
SRV=$BG_PID
wait_count "$T/e" '^listening ' 2 "$(secs 10)" || fail "hostile: two endpoints"
P=$(nth_port "$T/e" 1)
X=$(nth_port "$T/e" 2)
check "hostile subject: served" $PEER echo "$P" 50000 --ca "$C/ca.pem" $evil $TO
env=$($PEER line "$X" "" --ca "$C/ca.pem" $evil $TO)
wait_count "$T/e.err" '^sockipc: close echo ' 1 "$(secs 10)"
check "hostile subject: no forged log line" bash -c "! grep -q '^sockipc: open echo peer=forged' '$T/e.err'"
cl=$(grep '^sockipc: close echo ' "$T/e.err" | head -1)
rest=$(printf '%s' "$cl" | sed 's/ cert="[^"]*"//')
expect_eq "hostile subject: the close line has one end= field" 1 "$(printf '%s' "$rest" | grep -o ' end=' | wc -l)"
check "hostile subject: nothing of it outside its quotes" bash -c '! printf "%s" "$1" | grep -q forged' - "$rest"
check "hostile subject: the quote and newline are escaped (RFC 2253, then %XX)" bash -c 'printf "%s" "$1" | grep -q "cert=\"CN=x.%22 end=forged. .0Asockipc: open echo peer=forged\""' - "$cl"
expect_eq "hostile subject: exec gets one variable on one line" 1 "$(printf '%s\n' "$env" | grep -c .)"
check "hostile subject: exec's variable is escaped" bash -c 'printf "%s" "$1" | grep -q "^SSL_CLIENT_S_DN=CN=x.%22 end=forged. .0Asockipc: open echo peer=forged$"' - "$env"
stop_server hostile "$SRV" "$T/e.err"

"$SOCKIPC" serve --client-ca "$C/ca.pem" --allow-cert 'not-a-fingerprint' -e 'tls://127.0.0.1:0 echo' >/dev/null 2>"$T/u"
expect_eq "--allow-cert with a bad value exits 2" 2 "$?"
check "and names the value" grep -q "not-a-fingerprint" "$T/u"
finish
