# serve_forward.sh - the forward service of `sockipc serve`, with a second
# `sockipc serve` as the backend: TCP to unix and unix to TCP with
# half-close both ways, 16 MiB through with a checksum, a backend that
# refuses or does not answer, seqpacket messages kept whole, and datagram
# forwarding (UDP to UDP and to unixgram) with two clients kept apart and
# idle associations reaped.
. "$(dirname "$0")/../support/lib.sh"

need socat python3 md5sum

port() { echo "${1##*:}"; }

# Backends: echo on unix, tcp, unixpacket, udp, unixgram; daytime on tcp
# (it sends a line and half-closes first).
bg "$T/be" "$SOCKIPC" serve --workers 2 -e "unix://$T/echo.sock echo" -e 'tcp://127.0.0.1:0 echo' \
	-e "unixpacket://$T/echo.pkt echo" -e 'udp://127.0.0.1:0 echo' -e "unixgram://$T/echo.gram echo" \
	-e 'tcp://127.0.0.1:0 daytime'
BE=$BG_PID
for i in $(seq 60); do [ "$(grep -c '^listening ' "$T/be" 2>/dev/null)" -ge 6 ] && break; sleep 0.1; done
B_TCP=$(awk 'NR==2{print $2}' "$T/be")
B_UDP=$(awk 'NR==4{print $2}' "$T/be")
B_DAY=$(awk 'NR==6{print $2}' "$T/be")
# A port nothing listens on.
read -r DEAD <<<"$(free_ports 1)"
# A unix listener that never accepts, its backlog full: connects to it
# neither succeed nor fail until the timeout.
python3 - "$T/full.sock" >"$T/full" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(0)
held = []
for i in range(3):
    c = socket.socket(socket.AF_UNIX); c.setblocking(False)
    try:
        c.connect(sys.argv[1]); held.append(c)
    except BlockingIOError:
        break
print("full", flush=True)
time.sleep(60)
EOF
_pids+=("$!")
wait_line "$T/full" '^full' 5 >/dev/null

bg "$T/srv" "$SOCKIPC" serve --workers 2 \
	-e "tcp://127.0.0.1:0 forward unix://$T/echo.sock" \
	-e "unix://$T/f.sock forward $B_TCP" \
	-e "tcp://127.0.0.1:0 forward $B_DAY" \
	-e "tcp://127.0.0.1:0 forward tcp://127.0.0.1:$DEAD" \
	-e "tcp://127.0.0.1:0 forward --timeout=0.5 unix://$T/full.sock" \
	-e "unixpacket://$T/f.pkt forward unixpacket://$T/echo.pkt" \
	-e "udp://127.0.0.1:0 forward --idle=0.5 $B_UDP" \
	-e "udp://127.0.0.1:0 forward unixgram://$T/echo.gram"
SRV=$BG_PID
for i in $(seq 60); do [ "$(grep -c '^listening ' "$T/srv" 2>/dev/null)" -ge 8 ] && break; sleep 0.1; done
expect_eq "eight endpoints" 8 "$(grep -c '^listening ' "$T/srv")"
F_T2U=$(awk 'NR==1{print $2}' "$T/srv")
F_DAY=$(awk 'NR==3{print $2}' "$T/srv")
F_DEAD=$(awk 'NR==4{print $2}' "$T/srv")
F_FULL=$(awk 'NR==5{print $2}' "$T/srv")
F_UDP=$(awk 'NR==7{print $2}' "$T/srv")
F_GRAM=$(awk 'NR==8{print $2}' "$T/srv")

# halfclose FAMILY ADDRESS: sends 200 KiB, shuts down its write side, then
# reads the whole echo and the end.
halfclose() {
	python3 - "$1" "$2" "$(secs 5)" <<'EOF'
import socket, sys
fam, addr, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
if fam == "unix":
    s = socket.socket(socket.AF_UNIX); s.connect(addr)
else:
    s = socket.create_connection(("127.0.0.1", int(addr)))
s.settimeout(limit)
data = bytes(range(256)) * 800
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    got += d
print("ok" if got == data else "bad %d" % len(got))
EOF
}
expect_eq "tcp -> unix: send, half-close, whole echo and the end" ok "$(halfclose tcp "$(port "$F_T2U")")"
expect_eq "unix -> tcp: send, half-close, whole echo and the end" ok "$(halfclose unix "$T/f.sock")"

# The backend half-closes first (daytime): the client gets the line and the
# end while it can still send; its own end then closes the pair.
got=$(python3 - "$(port "$F_DAY")" "$(secs 5)" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.settimeout(float(sys.argv[2]))
got = b""
while True:
    d = s.recv(1024)
    if not d:
        break
    got += d
s.sendall(b"still open\n")
s.shutdown(socket.SHUT_WR)
print("line" if got.endswith(b"\r\n") and len(got) > 20 else "bad %r" % got, s.recv(10) == b"")
EOF
)
expect_eq "backend half-closes first: line, end, client still sends" "line True" "$got"
for i in $(seq $((40 * SCALE))); do grep -q "close forward local=$F_DAY .*end=done" "$T/srv.err" && break; sleep 0.05; done
check "that pair ends cleanly" grep -q "close forward local=$F_DAY .*in=11 .*end=done" "$T/srv.err"

# 16 MiB through tcp -> unix echo, checksum.
head -c $((16 * 1024 * 1024)) /dev/urandom >"$T/big"
want=$(md5sum <"$T/big")
got=$(timeout $(secs 30) socat -t$(secs 5) - "TCP:127.0.0.1:$(port "$F_T2U")" <"$T/big" | md5sum)
expect_eq "16 MiB through forward, checksum" "$want" "$got"
check "bytes counted both ways" grep -q "close forward local=$F_T2U .*in=16777216 out=16777216 " "$T/srv.err"

# Backend down: the client is closed at once; the others are still served.
t0=$(date +%s%N)
got=$(printf 'x' | timeout $(secs 5) socat -t$(secs 3) - "TCP:127.0.0.1:$(port "$F_DEAD")")
t1=$(date +%s%N)
expect_eq "backend refuses: nothing relayed" "" "$got"
check "backend refuses: client closed promptly" test $(( (t1 - t0) / 1000000 )) -lt $((1500 * SCALE))
check "backend refuses: logged" grep -q "close forward local=$F_DEAD .*end=backend tcp://127.0.0.1:$DEAD: Connection refused" "$T/srv.err"
got=$(printf 'x' | timeout $(secs 5) socat -t$(secs 3) - "TCP:127.0.0.1:$(port "$F_FULL")")
expect_eq "backend does not answer: nothing relayed" "" "$got"
check "backend does not answer: timed out, logged" grep -Eq "close forward local=$F_FULL .*end=backend unix://$T/full.sock: Timed out" "$T/srv.err"
expect_eq "the server goes on serving others" ok "$(halfclose unix "$T/f.sock")"

# seqpacket: messages forwarded whole.
got=$(python3 - "$T/f.pkt" "$(secs 5)" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1]); s.settimeout(float(sys.argv[2]))
out = []
for m in (b"one", b"two two", b"x" * 5000):
    s.send(m)
    out.append(s.recv(65536) == m)
print(all(out))
EOF
)
expect_eq "unixpacket -> unixpacket: whole messages" True "$got"

# UDP: two clients, each gets only its own replies; then idle reaping.
udp_two() {
	python3 - "$1" "$(secs 3)" <<'EOF'
import socket, sys
port, limit = int(sys.argv[1]), float(sys.argv[2])
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", 0)); a.settimeout(limit)
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(("127.0.0.1", 0)); b.settimeout(limit)
ok = True
for i in range(20):
    a.sendto(b"A%d" % i, ("127.0.0.1", port))
    b.sendto(b"B%d" % i, ("127.0.0.1", port))
    ok &= a.recvfrom(100)[0] == b"A%d" % i
    ok &= b.recvfrom(100)[0] == b"B%d" % i
a.settimeout(0.2)
try:
    a.recvfrom(100); ok = False
except socket.timeout:
    pass
print("apart" if ok else "mixed")
EOF
}
expect_eq "udp -> udp: two clients kept apart" apart "$(udp_two "$(port "$F_UDP")")"
expect_eq "udp -> unixgram: two clients kept apart" apart "$(udp_two "$(port "$F_GRAM")")"
# Associations are per worker: each client has one in each worker that
# took one of its datagrams (2 workers here).
opened=$(grep -c "forward $F_UDP peer=.* association opened" "$T/srv.err")
check "one association per client and worker ($opened)" test "$opened" -ge 2 -a "$opened" -le 4
for i in $(seq $((60 * SCALE))); do [ "$(grep -c "forward $F_UDP peer=.*association reaped (idle)" "$T/srv.err")" -ge "$opened" ] && break; sleep 0.05; done
expect_eq "all reaped after --idle=0.5" "$opened" "$(grep -c "forward $F_UDP peer=.*association reaped (idle)" "$T/srv.err")"
expect_eq "still served after reaping" apart "$(udp_two "$(port "$F_UDP")")"

# Start-up checks: kinds must match; options are checked.
"$SOCKIPC" serve tcp://127.0.0.1:0 forward "$B_UDP" 2>"$T/u1"
expect_eq "stream endpoint to a datagram URL exits 2" 2 $?
check "and says why" grep -q "same kind" "$T/u1"
"$SOCKIPC" serve tcp://127.0.0.1:0 forward --idle=x "$B_TCP" 2>"$T/u2"
expect_eq "bad option value exits 2" 2 $?
check "and names it" grep -q "forward: --idle: 'x'" "$T/u2"

stop_server "forward server" "$SRV" "$T/srv.err"
stop_server "backend server" "$BE" "$T/be.err"

finish
