# serve_tls_forward.sh - forward with TLS on either side: termination
# (tls:// forward tcp://, stunnel's server mode), origination (tcp://
# forward tls://, stunnel's client mode, checked against --ca, --pin or
# --sni, or not at all with --insecure) and TLS to TLS; 1 MB each way with
# every byte compared, the half-close passed on in both directions
# (close_notify <-> FIN), a server that ends first (daytime), and a
# backend whose certificate does not check out closing only that client,
# with the reason on its close line.
. "$(dirname "$0")/../support/lib.sh"
need python3 openssl
PEER="python3 $(dirname "$0")/serve_tls_peer.py"
bash "$(dirname "$0")/../support/tls-certs.sh" "$T/c" || { fail "tls-certs.sh"; finish; }
C=$T/c
TO="--timeout $(secs 20)"


# plain PORT NBYTES: a plain TCP client sends NBYTES, shuts down its write
# side, reads to the end; prints how many of the bytes came back equal.
plain() {
	python3 - "$1" "$2" "$(secs 20)" <<'EOF'
import socket, sys, threading
port, n, limit = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
data = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(n))
s = socket.create_connection(("127.0.0.1", port), timeout=limit)
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send); t.start()
got = bytearray()
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
except OSError as e:
    print("error", e)
t.join()
print("equal %d" % len(got) if bytes(got) == data else "different %d" % len(got))
EOF
}

# Backends: plain echo and daytime; TLS echo and daytime.
bg "$T/be" "$SOCKIPC" serve -e 'tcp://127.0.0.1:0 echo' -e 'tcp://127.0.0.1:0 daytime'
BE=$BG_PID
bg "$T/bt" "$SOCKIPC" serve --cert "$C/server.pem" --key "$C/server.key" \
	-e 'tls://127.0.0.1:0 echo' -e 'tls://127.0.0.1:0 daytime'
BT=$BG_PID
wait_count "$T/be" '^listening ' 2 "$(secs 10)" || fail "plain backends"
wait_count "$T/bt" '^listening ' 2 "$(secs 10)" || fail "tls backends"
E=$(nth_port "$T/be" 1); D=$(nth_port "$T/be" 2)
TE=$(nth_port "$T/bt" 1); TD=$(nth_port "$T/bt" 2)
SFP=$(openssl x509 -in "$C/server.pem" -noout -fingerprint -sha256 | sed 's/^.*=/SHA256:/')

bg "$T/f" "$SOCKIPC" serve --cert "$C/server.pem" --key "$C/server.key" \
	-e "tls://127.0.0.1:0 forward tcp://127.0.0.1:$E" \
	-e "tls://127.0.0.1:0 forward tcp://127.0.0.1:$D" \
	-e "tcp://127.0.0.1:0 forward --ca=$C/ca.pem tls://localhost:$TE" \
	-e "tcp://127.0.0.1:0 forward --ca=$C/ca.pem tls://localhost:$TD" \
	-e "tls://127.0.0.1:0 forward --ca=$C/ca.pem tls://127.0.0.1:$TE" \
	-e "tcp://127.0.0.1:0 forward --pin=$SFP tls://127.0.0.1:$TE" \
	-e "tcp://127.0.0.1:0 forward --insecure tls://127.0.0.1:$TE" \
	-e "tcp://127.0.0.1:0 forward --ca=$C/ca2.pem tls://localhost:$TE" \
	-e "tcp://127.0.0.1:0 forward --ca=$C/ca.pem --sni=other.example tls://127.0.0.1:$TE"
SRV=$BG_PID
wait_count "$T/f" '^listening ' 9 "$(secs 10)" || fail "forward: nine endpoints"

check "termination: 1 MB through TLS -> tcp, half-closed, every byte back" \
	$PEER echo "$(nth_port "$T/f" 1)" 1000000 --ca "$C/ca.pem" $TO
got=$($PEER line "$(nth_port "$T/f" 2)" "" --ca "$C/ca.pem" $TO)
check "termination: the backend ends first (daytime): line, then close_notify ($got)" \
	bash -c "[[ '$got' =~ ^[0-9]{2}\ [A-Z]{3}\ [0-9]{4} ]]"
expect_eq "origination: 1 MB through tcp -> TLS, half-closed, every byte back" "equal 1000000" \
	"$(plain "$(nth_port "$T/f" 3)" 1000000)"
got=$(python3 - "$(nth_port "$T/f" 4)" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
got = b""
while True:
    d = s.recv(1000)
    if not d:
        break
    got += d
print(got.decode().strip())
EOF
)
check "origination: the TLS backend ends first: line, then FIN ($got)" \
	bash -c "[[ '$got' =~ ^[0-9]{2}\ [A-Z]{3}\ [0-9]{4} ]]"
check "TLS to TLS: 1 MB, half-closed, every byte back" \
	$PEER echo "$(nth_port "$T/f" 5)" 1000000 --ca "$C/ca.pem" $TO
expect_eq "origination with --pin" "equal 100000" "$(plain "$(nth_port "$T/f" 6)" 100000)"
expect_eq "origination with --insecure" "equal 100000" "$(plain "$(nth_port "$T/f" 7)" 100000)"
P=$(nth_port "$T/f" 8)
expect_eq "a backend of another CA: the client is closed, nothing relayed" "equal 0" "$(plain "$P" 0)"
wait_line "$T/f.err" "close forward local=tcp://127.0.0.1:$P .*end=backend tls://localhost:$TE: " 5 >/dev/null
check "its close line says why" bash -c "grep 'close forward local=tcp://127.0.0.1:$P ' '$T/f.err' | grep -qi 'certificate\|CA'"
P=$(nth_port "$T/f" 9)
expect_eq "a backend that is not --sni: the client is closed" "equal 0" "$(plain "$P" 0)"
wait_line "$T/f.err" "close forward local=tcp://127.0.0.1:$P .*other.example" 5 >/dev/null &&
	pass "its close line names the name it wanted"
check "TLS to TLS after the failures" $PEER echo "$(nth_port "$T/f" 5)" 100000 --ca "$C/ca.pem" $TO
stop_server forward "$SRV" "$T/f.err"
stop_server tls-backend "$BT" "$T/bt.err"
stop_server backend "$BE" "$T/be.err"

"$SOCKIPC" serve -e "tcp://127.0.0.1:0 forward --ca=$C/ca.pem tcp://127.0.0.1:1" >/dev/null 2>"$T/u"
expect_eq "--ca for a plain backend exits 2" 2 "$?"
check "and says why" grep -q 'are for a tls:// backend' "$T/u"
"$SOCKIPC" serve -e "tcp://127.0.0.1:0 forward --ca=$C/nonexistent.pem tls://127.0.0.1:1" >/dev/null 2>"$T/u"
check "a --ca file that cannot be read is an error naming it" grep -q 'nonexistent.pem' "$T/u"
finish
