#!/bin/bash
# cli_shm.sh - shm:// from the command line: connect / listen / send over
# shm://@NAME and shm://PATH, --trace showing the handshake (memfd sizes,
# seals, wake-up mode), ring= streaming a file larger than the ring (and
# reaching bench --new-conn's own sockets), ring_max= refusing a ring, the
# URL options refused where they do not belong, a dial to a peer that is
# no shm:// endpoint, serve's echo on shm://; as root, two uids: the socket
# file's mode and serve's --allow-uid admit or refuse another user.
. "$(dirname "$0")/../support/lib.sh"

NAME=sipc-shm-$$

# start_listen NAME URL [OPTIONS...]: listen in the background, waits for
# its listening line; its pid in $BG_PID.
start_listen() {
	local name=$1 url=$2
	shift 2
	bg "$T/$name" "$SOCKIPC" listen "$@" "$url" </dev/null
	wait_line "$T/$name.err" '^listening ' 10 >/dev/null
}

# ---- abstract name: bytes one way, the handshake in --trace on both sides
start_listen l1 "shm://@$NAME-1" --trace
L=$BG_PID
rc=0
printf 'hello over shm\n' | timeout "$(secs 10)" "$SOCKIPC" connect --trace "shm://@$NAME-1" \
	>"$T/c1.out" 2>"$T/c1.err" || rc=$?
expect_eq "connect shm://@NAME: exit 0" 0 "$rc"
check "listen got the bytes" wait_line "$T/l1" '^hello over shm$' 10
check "connect --trace: our ring, its memfd sealed" \
	grep -Eq 'shm: tx ring memfd [0-9]+: 262144 data bytes, [0-9]+ mapped, sealed SHRINK\|GROW\|SEAL' "$T/c1.err"
check "connect --trace: the memfd goes with the hello" \
	grep -Eq 'sendmsg\([0-9]+, shm hello v1 ring=262144, SCM_RIGHTS \[[0-9]+\]\) = 32' "$T/c1.err"
check "connect --trace: the peer's ring, memory per connection, wake-up mode" \
	grep -Eq 'shm: rx ring 262144 data bytes from the peer, [0-9]+ mapped, sealed SHRINK\|GROW\|SEAL; this connection maps [0-9]+ bytes .*wake-up: adaptive spin up to 50us' "$T/c1.err"
check "listen --trace: the same handshake on the accepted side" \
	wait_line "$T/l1.err" 'shm: rx ring 262144 data bytes from the peer' 10
check "listen --trace: association of an shm connection" grep -q "association (shm, shm://@$NAME-1, shm://)" "$T/l1.err"
wait "$L" 2>/dev/null

# ---- a path, with 4 KiB rings: 1 MiB through them, byte for byte
head -c 1048576 /dev/urandom >"$T/big"
P=$T/shm.sock
start_listen l2 "shm://$P?ring=4K&spin=0" --trace
L=$BG_PID
check "the socket file is there while listening" test -S "$P"
rc=0
timeout "$(secs 20)" "$SOCKIPC" connect --trace "shm://$P?ring=4K" <"$T/big" >/dev/null 2>"$T/c2.err" || rc=$?
expect_eq "connect shm://PATH?ring=4K: exit 0" 0 "$rc"
wait "$L" 2>/dev/null
check "1 MiB through 4 KiB rings arrives whole" cmp -s "$T/big" "$T/l2"
check "ring=4K shows in the trace" grep -q 'shm hello v1 ring=4096' "$T/c2.err"
check "spin=0 shows in the listener's trace" grep -q 'wake-up: no spin' "$T/l2.err"
check "the socket file is removed after listen ends" test ! -e "$P"

# ---- serve echo, and send's message mode
bg "$T/s" "$SOCKIPC" serve -e "shm://@$NAME-e echo"
S=$BG_PID
wait_line "$T/s" '^listening ' 10 >/dev/null
expect_eq "serve lists the shm endpoint" "listening shm://@$NAME-e echo" "$(head -1 "$T/s")"
expect_eq "send over shm:// gets its echo" "ping" \
	"$(timeout "$(secs 10)" "$SOCKIPC" send -t "$(secs 5)000" "shm://@$NAME-e" ping 2>"$T/send.err")"
expect_eq "connect through serve's echo" "round trip" \
	"$(printf 'round trip\n' | timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$NAME-e" 2>&1)"
check "serve logs the connection as done" wait_line "$T/s.err" "close echo local=shm://@$NAME-e .*end=done" 10

# ---- serve exec and forward: the program and the backend get the bytes,
# not the rings' wake-ups (exec is bridged as on tls://, forward dials an
# shm backend through the library)
bg "$T/sx" "$SOCKIPC" serve -e "shm://@$NAME-x exec /bin/cat" -e "shm://@$NAME-f forward shm://@$NAME-e" \
	-e "unix://@$NAME-u forward shm://@$NAME-e"
SX=$BG_PID
wait_count "$T/sx" '^listening ' 3 10 >/dev/null
head -c 300000 /dev/urandom >"$T/mid"
timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$NAME-x" <"$T/mid" >"$T/x.out" 2>"$T/x.err"
check "serve exec on shm:// echoes 300000 bytes through cat" cmp -s "$T/mid" "$T/x.out"
timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$NAME-f" <"$T/mid" >"$T/f.out" 2>"$T/f.err"
check "serve forward shm:// to shm:// echo: whole" cmp -s "$T/mid" "$T/f.out"
timeout "$(secs 10)" "$SOCKIPC" connect "unix://@$NAME-u" <"$T/mid" >"$T/u.out" 2>"$T/u.err"
check "serve forward unix:// to an shm:// backend: whole" cmp -s "$T/mid" "$T/u.out"
check "the exec connection ends cleanly" wait_line "$T/sx.err" "close exec local=shm://@$NAME-x .*end=exit 0" 10

# ---- ring= on serve's lines: its accepted connections send through 1 MiB
# rings, and forward dials its shm backend with the backend URL's ring=
bg "$T/sr" "$SOCKIPC" serve --trace -e "shm://@$NAME-r?ring=1M echo" \
	-e "unix://@$NAME-rf forward shm://@$NAME-r?ring=16K"
SR=$BG_PID
wait_count "$T/sr" '^listening ' 2 10 >/dev/null
printf 'x\n' | timeout "$(secs 10)" "$SOCKIPC" connect --trace "shm://@$NAME-r" >/dev/null 2>"$T/r.err"
check "serve's ring=1M reaches its connections" grep -q 'shm: rx ring 1048576 data bytes from the peer' "$T/r.err"
expect_eq "forward to shm://...?ring=16K: echoed" "fw" \
	"$(printf 'fw\n' | timeout "$(secs 10)" "$SOCKIPC" connect "unix://@$NAME-rf" 2>/dev/null)"
check "forward dials its backend with the backend URL's ring=16K" \
	wait_line "$T/sr.err" 'shm: rx ring 16384 data bytes from the peer' 10

# ---- bench --new-conn wraps the sockets it connects itself: the URL's
# ring= and spin= still reach their handshake (the hello serve --trace
# reads asks for 8 KiB, not the default 256 KiB)
rc=0
timeout "$(secs 20)" "$SOCKIPC" bench --new-conn -c 1 -n 3 "shm://@$NAME-r?ring=8K&spin=0" \
	>"$T/bnc.out" 2>&1 || rc=$?
expect_eq "bench --new-conn over shm://: exit 0" 0 "$rc"
check "bench --new-conn: the URL's ring=8K reaches its connections" \
	wait_line "$T/sr.err" 'shm: rx ring 8192 data bytes from the peer' 10
# ---- ring_max= on a dial: serve's 1 MiB ring is over it, refused with both sizes
rc=0
printf 'x\n' | timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$NAME-r?ring=4K&ring_max=64K" \
	>/dev/null 2>"$T/rmax.err" || rc=$?
expect_eq "a dial with ring_max=64K to a 1 MiB ring: exit 1" 1 "$rc"
check "ring_max=64K: says both sizes" \
	grep -q "the peer's ring of 1048576 bytes is over ring_max=65536" "$T/rmax.err"

# ---- bench drives an shm echo through the endpoint's operations
rc=0
timeout "$(secs 20)" "$SOCKIPC" bench -n 2000 -d 4 -s 8K "shm://@$NAME-e" >"$T/bench.out" 2>&1 || rc=$?
expect_eq "bench over shm://: every echo whole (exit 0)" 0 "$rc"
check "bench over shm://: its verdict" grep -q "verdict .*ok" "$T/bench.out"

# ---- options where they do not belong, and a peer that is no shm endpoint
rc=0
"$SOCKIPC" connect "unix://@$NAME-x?ring=4K" </dev/null 2>"$T/opt1.err" || rc=$?
expect_eq "ring= on unix://: a usage error" 2 "$rc"
check "ring= on unix://: says so" grep -q "option ring does not apply to unix:// (only to shm)" "$T/opt1.err"
rc=0
"$SOCKIPC" connect "shm://@$NAME-x?ring=5000" </dev/null 2>"$T/opt2.err" || rc=$?
expect_eq "ring=5000: a usage error" 2 "$rc"
check "ring=5000: not a power of two" grep -q "option ring: '5000' is not a power of two" "$T/opt2.err"
rc=0
"$SOCKIPC" connect "shm://@$NAME-nobody-here" </dev/null 2>"$T/refused.err" || rc=$?
expect_eq "nothing listening: exit 1" 1 "$rc"
check "nothing listening: refused" grep -q "Connection refused" "$T/refused.err"
start_listen plain "unix://@$NAME-plain"
PL=$BG_PID
rc=0
printf 'not a hello' | timeout "$(secs 10)" "$SOCKIPC" connect -w 1 "shm://@$NAME-plain" >/dev/null 2>"$T/plain.err" || rc=$?
expect_eq "an shm dial to a plain unix listener fails: exit 1" 1 "$rc"
kill "$PL" 2>/dev/null
wait "$PL" 2>/dev/null

# ---- two uids (root only): the file's mode and --allow-uid decide
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the uid cases need root (a listener and a client of another uid)" >&2
else
	need setpriv
	id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null || skip "no user nobody / group nogroup"
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	chmod 0755 "$T"
	# nobody must be able to run the binary where it was built.
	as_nobody test -x "$SOCKIPC" || skip "user nobody cannot run $SOCKIPC"

	# A socket file root made 0755: nobody may not connect (no write
	# permission on the file), as on unix://.
	P=$T/own.sock
	start_listen own "shm://$P"
	OWN=$BG_PID
	rc=0
	printf 'x' | as_nobody timeout "$(secs 10)" "$SOCKIPC" connect "shm://$P" >/dev/null 2>"$T/own.err" || rc=$?
	expect_eq "another uid, socket file 0755: refused (exit 1)" 1 "$rc"
	check "another uid, socket file 0755: permission denied" grep -q "Permission denied" "$T/own.err"
	# Opened to everyone: nobody's rings and root's meet.
	chmod 0666 "$P"
	rc=0
	printf 'from nobody\n' | as_nobody timeout "$(secs 10)" "$SOCKIPC" connect "shm://$P" >/dev/null 2>"$T/own2.err" || rc=$?
	expect_eq "another uid, socket file 0666: exit 0" 0 "$rc"
	check "another uid, socket file 0666: root's listener got the bytes" wait_line "$T/own" '^from nobody$' 10
	wait "$OWN" 2>/dev/null

	# serve --allow-uid on an abstract shm endpoint.
	bg "$T/a0" "$SOCKIPC" serve --allow-uid 0 -e "shm://@$NAME-a0 echo"
	A0=$BG_PID
	wait_line "$T/a0" '^listening ' 10 >/dev/null
	expect_eq "--allow-uid 0: root is served" "hi" \
		"$(printf 'hi\n' | timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$NAME-a0" 2>/dev/null)"
	expect_eq "--allow-uid 0: nobody is refused" "" \
		"$(printf 'hi\n' | as_nobody timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$NAME-a0" 2>/dev/null)"
	check "--allow-uid 0: the refusal is logged with nobody's uid" \
		wait_line "$T/a0.err" "refused echo local=shm://@$NAME-a0 .*uid $(id -u nobody) " 10
	bg "$T/an" "$SOCKIPC" serve --allow-uid nobody -e "shm://@$NAME-an echo"
	AN=$BG_PID
	wait_line "$T/an" '^listening ' 10 >/dev/null
	expect_eq "--allow-uid nobody: nobody is served" "hi" \
		"$(printf 'hi\n' | as_nobody timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$NAME-an" 2>/dev/null)"
fi

finish
