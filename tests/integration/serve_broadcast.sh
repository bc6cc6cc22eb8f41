# serve_broadcast.sh - the broadcast service of `sockipc serve` on two
# workers: lines reach every other client and never the sender, a line
# longer than 64 KiB goes out in 64 KiB pieces, a last line without a
# newline is delivered at the sender's end, a client that never reads is
# dropped (with a log line) while the others get every line, and the
# service is refused under --model fork.
. "$(dirname "$0")/../support/lib.sh"

need python3

bg "$T/srv" "$SOCKIPC" serve --workers 2 -e 'tcp://127.0.0.1:0 broadcast' -e "unix://$T/b.sock broadcast --queue=64K"
SRV=$BG_PID
wait_count "$T/srv" '^listening ' 2 6
U=$(awk 'NR==1{print $2}' "$T/srv")
PORT=${U##*:}

python3 - "$PORT" "$(secs 5)" >"$T/out" 2>&1 <<'EOF'
import socket, sys, time, select
port, limit = int(sys.argv[1]), float(sys.argv[2])

def conn(rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port)); s.settimeout(limit); return s

def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(min(1 << 20, n - len(buf)))
        if not d:
            break
        buf += d
    return buf

def quiet(s, secs=0.3):
    r, _, _ = select.select([s], [], [], secs)
    return not r

def sync(sender, readers):
    """Returns once READERS are all members: SENDER repeats a line until
    each has one, then sends "synced", which every reader then gets; what
    each read up to it is dropped.  No sleeping on the server's pace."""
    pending, k = set(readers), 0
    deadline = time.monotonic() + 4 * limit
    while pending and time.monotonic() < deadline:
        sender.sendall(b"sync %d\n" % k)
        k += 1
        r, _, _ = select.select(list(pending), [], [], 0.05)
        pending -= set(r)
    sender.sendall(b"synced\n")
    for s in readers:
        buf = b""
        while not buf.endswith(b"synced\n"):
            d = s.recv(1)
            if not d:
                break
            buf += d

a, b, c = conn(), conn(), conn()
sync(a, [b, c])
a.sendall(b"hello from a\n")
print("b got a's line", read_exact(b, 13) == b"hello from a\n")
print("c got a's line", read_exact(c, 13) == b"hello from a\n")
print("a did not get its own", quiet(a))
b.sendall(b"one\ntwo\n")
print("a got b's lines", read_exact(a, 8) == b"one\ntwo\n")
print("c got b's lines", read_exact(c, 8) == b"one\ntwo\n")
print("b did not get its own", quiet(b))

# A long line: the first 64 KiB go out before its newline arrives.
c.sendall(b"x" * 70000)
print("64 KiB piece delivered", read_exact(a, 65536) == b"x" * 65536)
print("the rest waits for the newline", quiet(a))
c.sendall(b"y\n")
print("then the rest", read_exact(a, 70000 - 65536 + 2) == b"x" * (70000 - 65536) + b"y\n")
read_exact(b, 70002)

# A client that never reads (small receive buffer) is dropped; the two
# readers get all of 200 lines of 32 KiB meanwhile.  The sender keeps at
# most 256 KiB ahead of the slower reader, so however slowly this script
# runs (a sanitizer build, a busy machine) no reader's queue nears the
# 1 MiB --queue: only the client that reads nothing can cross it.
stuck = conn(rcvbuf=4096)
sync(a, [b, c, stuck])
line = b"z" * (32 * 1024 - 1) + b"\n"
data = line * 200
total = len(data)
got = {id(a): 0, id(b): 0}
ok = {id(a): True, id(b): True}
sent = 0
deadline = time.monotonic() + 4 * limit
while (sent < total or min(got.values()) < total) and time.monotonic() < deadline:
    ahead = sent - min(got.values())
    w = [c] if sent < total and ahead < 256 * 1024 else []
    r, wr, _ = select.select([a, b], w, [], 0.5)
    for s in r:
        d = s.recv(1 << 20)
        if not d:
            ok[id(s)] = False
            break
        if d.strip(b"z\n"):
            ok[id(s)] = False
        got[id(s)] += len(d)
    if wr:
        sent += c.send(data[sent:sent + 65536])
print("readers got every line", got[id(a)] == total and got[id(b)] == total and all(ok.values()))
# The stuck client was closed by the server: after what its buffers held,
# it reads the end (or a reset).
stuck.settimeout(limit)
end = False
try:
    while True:
        d = stuck.recv(1 << 20)
        if not d:
            end = True
            break
except ConnectionResetError:
    end = True
print("stuck client was disconnected", end)

# A last line without a newline is delivered at the sender's end.
b.sendall(b"tail")
b.shutdown(socket.SHUT_WR)
print("partial last line delivered", read_exact(a, 4) == b"tail")
print("sender's end ends its connection", b.recv(10) == b"")
EOF
while IFS= read -r l; do
	case $l in
	*" True") pass "${l% True}" ;;
	*" False") fail "${l% False}" ;;
	*) echo "  | $l" ;;
	esac
done <"$T/out"
expect_eq "every check ran" 13 "$(grep -cE ' (True|False)$' "$T/out")"
check "the stuck reader's drop is logged" grep -q "broadcast $U: dropping peer=tcp://127.0.0.1:[0-9]*: it does not read" "$T/srv.err"
check "its close line says why" grep -q "close broadcast .*end=not reading: outgoing queue over --queue" "$T/srv.err"

# The unix endpoint (a --queue of 64 KiB) works the same way.
got=$(python3 - "$T/b.sock" "$(secs 5)" <<'EOF'
import socket, sys, time, select
def conn():
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(float(sys.argv[2])); return s
a, b = conn(), conn()
# b is a member once a line of a's reaches it.
for k in range(int(40 * float(sys.argv[2]))):
    a.sendall(b"sync\n")
    if select.select([b], [], [], 0.05)[0]:
        break
a.sendall(b"over unix\n")
buf = b""
while not buf.endswith(b"over unix\n"):
    d = b.recv(100)
    if not d:
        break
    buf += d
print(buf.replace(b"sync\n", b"") == b"over unix\n")
EOF
)
expect_eq "broadcast over unix" True "$got"

# Shared state cannot cross processes.
"$SOCKIPC" serve --model fork tcp://127.0.0.1:0 broadcast 2>"$T/fork"
expect_eq "broadcast under --model fork exits 2" 2 $?
check "and says so" grep -q "broadcast does not work under --model fork" "$T/fork"
"$SOCKIPC" serve tcp://127.0.0.1:0 broadcast --queue=1 2>"$T/q"
expect_eq "a too small --queue exits 2" 2 $?

stop_server "broadcast server" "$SRV" "$T/srv.err"

finish
