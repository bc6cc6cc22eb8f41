# serve_tls.sh - every stream service of `sockipc serve` on tls:// under
# each concurrency model, with Python's ssl module as the client: echo
# (1 MB, half-closed, every byte compared), discard, chargen, daytime, time,
# exec (through the socketpair relay) and broadcast; the open and close
# lines name the TLS version; garbage instead of a ClientHello and a
# client that never speaks each close only their own connection with one
# escaped log line; the bound on connections in handshake; TLS options
# with no tls:// endpoint are a usage error.
. "$(dirname "$0")/../support/lib.sh"
need python3 openssl
PEER="python3 $(dirname "$0")/serve_tls_peer.py"
bash "$(dirname "$0")/../support/tls-certs.sh" "$T/c" || { fail "tls-certs.sh"; finish; }
C=$T/c
TO="--timeout $(secs 20)"


for model in event thread fork; do
	bc='-e tls://127.0.0.1:0 broadcast'
	[ $model = fork ] && bc='-e tls://127.0.0.1:0 echo'
	bg "$T/s.$model" "$SOCKIPC" serve --model $model --cert "$C/server.pem" --key "$C/server.key" \
		-e 'tls://127.0.0.1:0 echo' -e 'tls://127.0.0.1:0 discard' -e 'tls://127.0.0.1:0 chargen' \
		-e 'tls://127.0.0.1:0 daytime' -e 'tls://127.0.0.1:0 time' -e 'tls://127.0.0.1:0 exec cat' \
		"$bc"
	SRV=$BG_PID
	wait_count "$T/s.$model" '^listening ' 7 "$(secs 10)" || fail "$model: seven endpoints"
	S=$T/s.$model
	check "$model: echo 1 MB, half-closed, every byte back" $PEER echo "$(nth_port "$S" 1)" 1000000 --ca "$C/ca.pem" $TO
	check "$model: discard takes 300 kB and ends cleanly" $PEER send "$(nth_port "$S" 2)" 300000 --ca "$C/ca.pem" $TO
	want=$(python3 -c 'import sys
r = "".join(chr(33 + (i % 95)) if i < 94 else " " for i in range(95))
r = r[:94] + " "
line = lambda k: "".join(chr(32 + ((k + j + 1) % 95)) for j in range(72)) + "\r\n"
sys.stdout.write((line(0) + line(1)).encode().hex())')
	expect_eq "$model: chargen's first two lines" "$want" "$($PEER read "$(nth_port "$S" 3)" 148 --ca "$C/ca.pem" $TO)"
	got=$($PEER line "$(nth_port "$S" 4)" "" --ca "$C/ca.pem" $TO)
	check "$model: daytime line, then close_notify ($got)" bash -c "[[ '$got' =~ ^[0-9]{2}\ [A-Z]{3}\ [0-9]{4}\ [0-9:]{8} ]]"
	t=$($PEER read "$(nth_port "$S" 5)" --ca "$C/ca.pem" $TO)
	check "$model: time is 4 bytes near now ($t)" python3 -c "import sys, time
v = int('$t', 16); now = (int(time.time()) + 2208988800) % 2**32
sys.exit(0 if len('$t') == 8 and abs(v - now) < 120 else 1)"
	check "$model: exec cat relays 1 MB both ways, half-closed" $PEER echo "$(nth_port "$S" 6)" 1000000 --ca "$C/ca.pem" $TO
	if [ $model != fork ]; then
		P=$(nth_port "$S" 7)
		python3 - "$P" "$C/ca.pem" "$(secs 20)" >"$T/bc.$model" 2>&1 <<'EOF'
import socket, ssl, sys, time
port, ca, limit = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
def conn():
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    s.settimeout(limit)
    return s
a, b = conn(), conn()
# b is registered once a line from a reaches it; retry until it does.
deadline = time.monotonic() + limit
got = b""
b.settimeout(0.2)
while b"hello over tls\n" not in got and time.monotonic() < deadline:
    a.sendall(b"hello over tls\n")
    try:
        got += b.recv(1000)
    except socket.timeout:
        pass
print("got" if b"hello over tls\n" in got else "missing")
EOF
		expect_eq "$model: broadcast carries a line between TLS clients" got "$(cat "$T/bc.$model")"
	fi
	check "$model: open lines name the TLS version" grep -q "open echo local=tls://.* tls=TLSv1.3 cipher=" "$S.err"
	check "$model: close lines too" grep -q "close echo local=tls://.* end=done tls=TLSv1.3" "$S.err"
	stop_server "$model" "$SRV" "$S.err"
done

# Hostile clients, the handshake timeout and the in-handshake bound on one
# worker; a plain tcp echo beside them shows the worker never waits.
bg "$T/h" "$SOCKIPC" serve --workers 1 --handshake-timeout 1 --max-handshakes 3 \
	--cert "$C/server.pem" --key "$C/server.key" -e 'tls://127.0.0.1:0 echo' -e 'tcp://127.0.0.1:0 echo'
SRV=$BG_PID
wait_count "$T/h" '^listening ' 2 "$(secs 10)" || fail "hostile: two endpoints"
P=$(nth_port "$T/h" 1)
PLAIN=$(nth_port "$T/h" 2)

# garbage PORT BYTES-AS-PYTHON: sends them, prints the client's local port,
# then what came back before the end.
garbage() {
	python3 - "$1" "$2" "$(secs 10)" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(float(sys.argv[3]))
print(s.getsockname()[1], flush=True)
s.sendall(eval(sys.argv[2]))
got = b""
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        got += d
except ConnectionResetError:
    pass
print("closed" if len(got) < 100 else "answered")
EOF
}
out=$(garbage "$P" 'b"GET / HTTP/1.0\r\n\r\n"')
port=$(echo "$out" | head -1)
expect_eq "garbage: an HTTP request is closed" closed "$(echo "$out" | tail -1)"
wait_line "$T/h.err" "peer=tls://127.0.0.1:$port: tls handshake: .*TLS" 5 >/dev/null
expect_eq "garbage: one log line for it" 1 "$(grep -c "127.0.0.1:$port\b" "$T/h.err")"
out=$(garbage "$P" 'bytes(range(256)) * 4 + b"\x1b[31m\n"')
port=$(echo "$out" | head -1)
wait_line "$T/h.err" "peer=tls://127.0.0.1:$port: tls handshake" 5 >/dev/null
expect_eq "binary garbage: one log line for it" 1 "$(grep -c "127.0.0.1:$port\b" "$T/h.err")"
check "binary garbage: nothing unescaped reaches the log" bash -c "! LC_ALL=C grep -q '[^[:print:]]' '$T/h.err'"
check "after garbage: TLS clients are served" $PEER echo "$P" 20000 --ca "$C/ca.pem" $TO

# A client that connects and says nothing: closed after --handshake-timeout.
python3 - "$P" "$(secs 20)" >"$T/silent" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print(s.getsockname()[1], flush=True)
s.settimeout(float(sys.argv[2]))
t = time.monotonic()
d = s.recv(100)
print("eof" if d == b"" else "data", flush=True)
EOF
_pids+=("$!")
port=$(wait_line "$T/silent" '^[0-9]+$' 5)
wait_line "$T/h.err" "127.0.0.1:$port: tls handshake: not done within --handshake-timeout 1.000 s" 10 >/dev/null &&
	pass "silent client: one line after the timeout"
wait_line "$T/silent" '^eof' 10 >/dev/null && pass "silent client: sees its connection end"

stop_server hostile "$SRV" "$T/h.err"

# The bound: three silent connections fill it, the fourth is refused with
# a line, plain tcp is still served, and once they go TLS works again.
bg "$T/b" "$SOCKIPC" serve --workers 1 --handshake-timeout 60 --max-handshakes 3 \
	--cert "$C/server.pem" --key "$C/server.key" -e 'tls://127.0.0.1:0 echo' -e 'tcp://127.0.0.1:0 echo'
SRV=$BG_PID
wait_count "$T/b" '^listening ' 2 "$(secs 10)" || fail "bound: two endpoints"
P=$(nth_port "$T/b" 1)
PLAIN=$(nth_port "$T/b" 2)
python3 - "$P" "$(secs 60)" >"$T/hold" 2>&1 <<'EOF' &
import socket, sys, time
held = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(3)]
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
EOF
HOLD=$!
_pids+=("$HOLD")
wait_line "$T/hold" '^holding' 5 >/dev/null
# Until the worker has taken all three, a fourth may still slip in: try
# until one is refused for the bound (each try is its own connection).
for i in $(seq 50); do
	$PEER refused "$P" --ca "$C/ca.pem" --timeout 2 >/dev/null 2>&1
	grep -q 'connections in their TLS handshake' "$T/b.err" && break
done
check "bound: a fourth handshake is refused with a line" grep -q 'refused echo .*: 3 connections in their TLS handshake (--max-handshakes=3)' "$T/b.err"
check "bound: plain tcp is served meanwhile" python3 - "$PLAIN" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"plain\n"); assert s.recv(10) == b"plain\n"
EOF
kill "$HOLD"
# Their ends reach the worker a moment later: until then, new ones are
# still refused.
ok=
for i in $(seq 50); do
	$PEER echo "$P" 20000 --ca "$C/ca.pem" --timeout 2 >/dev/null 2>&1 && { ok=1; break; }
done
check "bound: TLS served again once they have gone" test -n "$ok"
stop_server bound "$SRV" "$T/b.err"

# Usage errors.
"$SOCKIPC" serve --cert "$C/server.pem" -e 'tcp://127.0.0.1:0 echo' >/dev/null 2>"$T/u1"
expect_eq "usage: --cert without a tls:// endpoint exits 2" 2 "$?"
check "usage: it says why" grep -q 'no service line listens on one' "$T/u1"
"$SOCKIPC" serve --allow-cert CN=alice -e 'tls://127.0.0.1:0 echo' >/dev/null 2>"$T/u2"
expect_eq "usage: --allow-cert without --client-ca exits 2" 2 "$?"
"$SOCKIPC" serve --cert "$C/nonexistent.pem" -e 'tls://127.0.0.1:0 echo' >/dev/null 2>"$T/u3"
check "a missing certificate file fails, naming it" grep -q 'nonexistent.pem' "$T/u3"
finish
