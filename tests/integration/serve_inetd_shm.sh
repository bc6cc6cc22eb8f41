# serve_inetd_shm.sh - `sockipc serve --inetd=shm`: a super-server that
# accepted a unix stream connection on an shm:// rendezvous socket hands
# it over on descriptor 0, and serve runs the shm handshake (the rings,
# over SCM_RIGHTS) on it, then the service over the rings.  Super-servers:
# systemd-socket-activate --accept --inetd (inetd's `nowait`: the
# connection on descriptor 0; abstract name and socket file),
# systemd-socket-activate --inetd without --accept (`wait`: the listener
# on descriptor 0, one client accepted), and `sockipc serve` itself (an
# exec line on unix:// running `serve --inetd=shm`).  Clients: `sockipc
# connect shm://...`, every byte of 1 MiB back; a plain unix client that
# sends garbage ends its own connection with the reason logged, and the
# next shm client is served.  Combinations that cannot work are refused
# with a sentence, and nothing hangs: no client in a listener's queue, a
# socketpair whose other end relays bytes but no descriptors (socat EXEC).
. "$(dirname "$0")/../support/lib.sh"
need systemd-socket-activate socat python3
SSA=$(command -v systemd-socket-activate)

N=sipc-ishm-$$-$RANDOM
head -c 1048576 /dev/urandom >"$T/blob"
HELLO_FAIL="The peer's shared-memory set-up failed: the peer's first bytes are not an shm hello"

# through URL OUT: the blob through `connect` to URL and back, into OUT.
through() { timeout "$(secs 20)" "$SOCKIPC" connect "$1" <"$T/blob" >"$2" 2>"$2.err"; }
# garbage URL: a plain unix client whose first bytes are no shm hello.
garbage() {
	printf 'GET / HTTP/1.0\r\n\r\nnot a hello at all, just bytes\n' |
		timeout "$(secs 10)" "$SOCKIPC" connect "$1" >/dev/null 2>&1
	return 0
}

# ---- nowait: systemd-socket-activate --accept --inetd, a serve per client
bg "$T/a" "$SSA" -l "@$N-a" -a --inetd "$SOCKIPC" serve -v --inetd=shm echo
A=$BG_PID
wait_line "$T/a.err" "Listening on @$N-a as 3" 10 >/dev/null
through "shm://@$N-a" "$T/a.1"
check "nowait: 1 MiB echoed over the rings" cmp -s "$T/blob" "$T/a.1"
check "nowait: the close line names the shm endpoint and counts the bytes" \
	wait_line "$T/a.err" "close echo local=shm://@$N-a peer=shm://.* in=1048576 out=1048576 .*end=done" 10
garbage "unix://@$N-a"
check "nowait: a plain unix client's garbage ends its connection, the reason logged" \
	wait_line "$T/a.err" "close echo local=shm://@$N-a .*end=$HELLO_FAIL" 10
expect_eq "nowait: the next shm client is served" "after the garbage" \
	"$(printf 'after the garbage\n' | timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$N-a" 2>&1)"
check "nowait: every serve exited 0 (the garbage one too)" wait_count "$T/a.err" 'died with code 0' 3 10
expect_eq "nowait: and none otherwise" "" "$(grep 'died with code [1-9]\|killed by' "$T/a.err")"
no_sanitizer_report "nowait: no sanitizer report" "$T/a.err"
stop_bg $A

# A socket file, and ring= given with the scheme: the client's --trace
# reads the server's ring size in its hello.
bg "$T/f" "$SSA" -l "$T/r.sock" -a --inetd "$SOCKIPC" serve -v '--inetd=shm?ring=4096' echo
F=$BG_PID
wait_line "$T/f.err" "Listening on $T/r.sock as 3" 10 >/dev/null
got=$(printf 'through a file\n' | timeout "$(secs 10)" "$SOCKIPC" connect --trace "shm://$T/r.sock" 2>"$T/f.c.err")
expect_eq "nowait, socket file: echoed" "through a file" "$got"
check "nowait: --inetd='shm?ring=4096' makes a 4 KiB ring" \
	grep -q 'shm: rx ring 4096 data bytes from the peer' "$T/f.c.err"
check "nowait, socket file: the close line names it" \
	wait_line "$T/f.err" "close echo local=shm://$T/r.sock .*end=done" 10
stop_bg $F

# ---- wait: systemd-socket-activate --inetd without --accept: the
# listener on descriptor 0 (and 1); serve accepts the client that woke
# it, serves it over the rings and exits 0.
bg "$T/w" "$SSA" -l "@$N-w" --inetd "$SOCKIPC" serve -v --inetd=shm echo
W=$BG_PID
wait_line "$T/w.err" "Listening on @$N-w as 3" 10 >/dev/null
through "shm://@$N-w" "$T/w.1"
check "wait: 1 MiB echoed over the rings" cmp -s "$T/blob" "$T/w.1"
ended $W
expect_eq "wait: serve exits 0 once its connection ends" 0 "$STATUS"
check "wait: the close line" grep -q "close echo local=shm://@$N-w .*in=1048576 out=1048576 .*end=done" "$T/w.err"
# The same with a garbage client: its connection ends with the reason.
bg "$T/wg" "$SSA" -l "@$N-wg" --inetd "$SOCKIPC" serve -v --inetd=shm echo
WG=$BG_PID
wait_line "$T/wg.err" "Listening on @$N-wg as 3" 10 >/dev/null
garbage "unix://@$N-wg"
ended $WG
expect_eq "wait: a garbage client: serve ends (status 0), not hangs" 0 "$STATUS"
check "wait: a garbage client: the reason logged" grep -q "close echo local=shm://@$N-wg .*end=$HELLO_FAIL" "$T/wg.err"

# A listener with nobody in its queue: serve waits --idle-timeout, says
# so and exits 1.
cat >"$T/empty.py" <<'PY'
import socket, subprocess, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[3])
s.listen()
t = time.monotonic()
r = subprocess.run([sys.argv[1], "serve", "--inetd=shm", "--idle-timeout", "0.5", "echo"],
                   stdin=s.fileno(), stderr=subprocess.PIPE, timeout=float(sys.argv[2]))
print(r.returncode, "%.1f" % (time.monotonic() - t), r.stderr.decode().strip())
PY
out=$(python3 "$T/empty.py" "$SOCKIPC" "$(secs 10)" "$T/empty.sock")
expect_eq "wait, nobody queued: exit 1" 1 "${out%% *}"
check "wait, nobody queued: says so ($out)" grep -q 'descriptor 0 listens, and no client came within 0.500 s (--idle-timeout)' <<<"$out"

# ---- sockipc serve as the super-server: an exec line on the rendezvous
# runs `serve --inetd=shm` with the accepted unix connection on 0 and 1.
bg "$T/s" "$SOCKIPC" serve -v -e "unix://@$N-s exec $SOCKIPC serve -v --inetd=shm echo" \
	-e "unix://@$N-sx exec $SOCKIPC serve -v --inetd=shm exec cat"
S=$BG_PID
wait_count "$T/s" '^listening ' 2 10 >/dev/null
through "shm://@$N-s" "$T/s.1"
check "serve as super-server: 1 MiB echoed over the rings" cmp -s "$T/blob" "$T/s.1"
expect_eq "serve as super-server: an exec child behind the rings" "to cat and back" \
	"$(printf 'to cat and back\n' | timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$N-sx" 2>&1)"
garbage "unix://@$N-s"
check "serve as super-server: the garbage client's reason logged" \
	wait_line "$T/s.err" "close echo local=shm://@$N-s .*end=$HELLO_FAIL" 10
check "serve as super-server: its inner serve exited 0" \
	wait_count "$T/s.err" "close exec local=unix://@$N-s .*end=exit 0" 2 10
expect_eq "serve as super-server: the next shm client is served" "next" \
	"$(printf 'next\n' | timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$N-s" 2>&1)"
stop_server "serve as super-server" $S "$T/s.err"

# ---- what cannot work: refused with a sentence, or ended, never hung.
# socat EXEC: a socketpair whose other end relays bytes, not descriptors.
rc=0
printf 'x' | timeout "$(secs 10)" socat -t5 - EXEC:"$SOCKIPC serve -v --inetd=shm echo" \
	>/dev/null 2>"$T/socat.err" || rc=$?
check "socat EXEC (no descriptors pass): the handshake fails and serve ends (rc $rc)" [ "$rc" -ne 124 ]
# socat may exit once the socket closes, a moment before serve's last line.
check "socat EXEC: the reason logged" \
	wait_line "$T/socat.err" "close echo local=shm:// .*end=The peer's shared-memory set-up failed" 10

cat >"$T/refuse.py" <<'PY'
import socket, subprocess, sys
def run(sock, *args):
    r = subprocess.run([sys.argv[1], "serve"] + list(args), stdin=sock.fileno(),
                       stderr=subprocess.PIPE, timeout=float(sys.argv[2]))
    print(r.returncode, r.stderr.decode().strip())
tl = socket.socket(); tl.bind(("127.0.0.1", 0)); tl.listen()
tc = socket.create_connection(tl.getsockname())
ts, _ = tl.accept()
run(ts, "--inetd=shm", "echo")
ug = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
run(ug, "--inetd=shm", "echo")
ul = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); ul.bind(sys.argv[3]); ul.listen()
run(ul, "--inetd", "echo")
run(ul, "--inetd=unix", "echo")
a, b = socket.socketpair()
run(a, "--inetd=shm", "--cert", sys.argv[4], "echo")
run(a, "--inetd=tcp", "echo")
run(a, "--inetd=unix?ring=4096", "echo")
run(a, "--inetd=shm?ring=5000", "echo")
run(a, "--inetd=carrier-pigeon", "echo")
PY
python3 "$T/refuse.py" "$SOCKIPC" "$(secs 10)" "$T/l.sock" /nonexistent.pem >"$T/refuse.out"
mapfile -t r <"$T/refuse.out"
expect_eq "refused: shm on a TCP connection" \
	"2 sockipc: serve: --inetd=shm: descriptor 0 is an IPv4 stream socket, which is no shm rendezvous (a unix stream socket)" "${r[0]}"
expect_eq "refused: shm on a unix datagram socket" \
	"2 sockipc: serve: --inetd=shm: descriptor 0 is a unix datagram socket, which is no shm rendezvous (a unix stream socket)" "${r[1]}"
check "refused: a plain unix listener, with the hint of --inetd=shm (${r[2]})" \
	grep -q "^2 .*descriptor 0 is a listening socket.* (an shm:// rendezvous is taken listening: --inetd=shm)" <<<"${r[2]}"
check "refused: --inetd=unix on a listener, the same (${r[3]})" grep -q "^2 .*descriptor 0 is a listening socket" <<<"${r[3]}"
expect_eq "refused: TLS options with shm" \
	"2 sockipc: serve: --inetd: the TLS options need a TCP connection on descriptor 0, and it is a unix stream socket for shm://" "${r[4]}"
expect_eq "refused: a scheme that is not the socket's" \
	"2 sockipc: serve: --inetd=tcp: descriptor 0 is a unix stream socket, which serves unix" "${r[5]}"
expect_eq "refused: URL options on another scheme than shm" \
	"2 sockipc: serve: --inetd=unix?...: URL options go with shm alone (ring=, spin=); the socket on descriptor 0 was set up by whoever passed it" "${r[6]}"
check "refused: a bad ring= names the option (${r[7]})" grep -q "^2 .*option ring: '5000' is not a power of two" <<<"${r[7]}"
check "refused: an unknown scheme (${r[8]})" grep -q "^2 .*--inetd=carrier-pigeon: not a scheme --inetd serves" <<<"${r[8]}"
no_sanitizer_report "no sanitizer report in any log" "$T"/*.err "$T/refuse.out"

finish
