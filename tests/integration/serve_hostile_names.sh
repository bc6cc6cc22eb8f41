# serve_hostile_names.sh - a peer's unix name is the peer's choice, bytes
# and all: a client bound to a name holding a newline, a forged
# "sockipc: close ..." line and an ESC sequence (filesystem path and
# abstract name) connects to `serve -v ... echo` and to an exec service that
# prints $SOCKIPC_PEER.  No raw newline or ESC from the name reaches the log,
# the forged text never starts a line of it, the child's environment holds
# no control byte, and the name shows up escaped (%0A, %1B), so it is still
# all there.
. "$(dirname "$0")/../support/lib.sh"
need python3

FORGED=$'\nsockipc: close forged\x1b[2J'
ESCAPED='%0Asockipc:%20close%20forged%1B%5B2J'

bg "$T/srv" "$SOCKIPC" serve -v --workers 1 \
	-e "unix://$T/echo.sock echo" \
	-e "unix://$T/env.sock exec /bin/sh -c 'cat >/dev/null; printf %s \"\$SOCKIPC_PEER\"'"
SRV=$BG_PID
wait_count "$T/srv" '^listening ' 2 10 || fail "serve did not list two endpoints"

# client SERVER_PATH BIND_NAME OUT: connects from BIND_NAME (a leading NUL:
# abstract), sends "hi", shuts down its write side and writes what came
# back to OUT.
client() {
	timeout "$(secs 10)" python3 - "$1" "$2" "$3" <<'EOF'
import os, socket, sys
server, name, out = sys.argv[1], sys.argv[2], sys.argv[3]
if name == "NUL107":
    name = "\0" * 108  # the longest abstract name, all NUL bytes
elif name.startswith("NUL"):
    name = "\0" + name[3:]
else:
    try:
        os.unlink(name)  # left by the previous client of the same name
    except FileNotFoundError:
        pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(name)
s.settimeout(10)
s.connect(server)
s.sendall(b"hi")
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    data += b
open(out, "wb").write(data)
EOF
}

# The two names a hostile local user binds: a file in our scratch directory
# and an abstract name.
FS_NAME="$T/c$FORGED"
AB_NAME="NULsipc-hostile-$$$FORGED"
FS_URL="unix://$T/c$ESCAPED"
AB_URL="unix://@sipc-hostile-$$$ESCAPED"

client "$T/echo.sock" "$FS_NAME" "$T/r1" || fail "client from a filesystem name"
expect_eq "echo answers the filesystem-named client" "hi" "$(cat "$T/r1")"
client "$T/echo.sock" "$AB_NAME" "$T/r2" || fail "client from an abstract name"
expect_eq "echo answers the abstract-named client" "hi" "$(cat "$T/r2")"
wait_count "$T/srv.err" '^sockipc: close echo ' 2 10 || fail "two close lines for echo"

check "the log shows the filesystem name escaped" grep -qF "peer=$FS_URL " "$T/srv.err"
check "the log shows the abstract name escaped" grep -qF "peer=$AB_URL " "$T/srv.err"
check "no ESC byte in the log" bash -c "! grep -q $'\x1b' '$T/srv.err'"
check "no forged line in the log" bash -c "! grep -q '^sockipc: close forged' '$T/srv.err'"
check "every log line starts as serve writes them" bash -c "! grep -qv '^sockipc: ' '$T/srv.err'"

client "$T/env.sock" "$FS_NAME" "$T/e1" || fail "exec client from a filesystem name"
client "$T/env.sock" "$AB_NAME" "$T/e2" || fail "exec client from an abstract name"
expect_eq "SOCKIPC_PEER is the escaped filesystem name" "$FS_URL" "$(cat "$T/e1")"
expect_eq "SOCKIPC_PEER is the escaped abstract name" "$AB_URL" "$(cat "$T/e2")"
# The longest abstract name, 107 NUL bytes: 321 bytes once escaped, and
# still all there (it used to print as 107 '@').
client "$T/env.sock" NUL107 "$T/e3" || fail "exec client from 107 NUL bytes"
expect_eq "SOCKIPC_PEER holds all 107 NUL bytes, escaped" \
	"unix://@$(printf '%%00%.0s' $(seq 107))" "$(cat "$T/e3")"
for f in e1 e2 e3; do
	[ -s "$T/$f" ] || fail "no SOCKIPC_PEER from the child ($f)"
	expect_eq "SOCKIPC_PEER ($f) holds no control byte" 0 \
		"$(tr -d '\041-\176' <"$T/$f" | wc -c)"
done

kill -TERM "$SRV"
rc=0
wait "$SRV" || rc=$?
expect_eq "serve exits 0 on SIGTERM" 0 "$rc"
no_sanitizer_report "no sanitizer report" "$T/srv.err"
finish
