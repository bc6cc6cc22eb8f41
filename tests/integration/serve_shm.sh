#!/bin/bash
# serve_shm.sh - every serve service over shm://, under each model (event,
# thread, fork): echo (a 1 MiB stream through 4 KiB rings, every byte
# back), discard (its count in the close line), chargen (its bytes and
# pattern), daytime, time, http-connect (to a tcp echo), exec (the child on a socketpair bridged to the rings:
# the SOCKIPC_*/UCSPI environment as on unix://, the client's half-close
# reaching the child's stdin and the child's output coming back after it),
# broadcast to several shm clients (refused under fork, as for every
# scheme), forward shm->tcp, tcp->shm, shm->unix, unix->shm, shm->shm,
# shm->tls and tls->shm
# (a 1 MiB stream each, and the backend's ring= taken from its URL); a
# client SIGKILLed in the middle of its stream (serve logs its close and
# serves the next), and a hand-written client (serve_shm_peer.py) that
# scribbles on the rings or publishes an impossible head: only that
# connection closes, with a line that names the corruption; one that
# hands over a 1 GiB ring (over ring_max=) or a memfd larger than its
# hello says is refused with both sizes on its close line.  Start-up
# refusals: --send-proxy to an shm backend, --accept-proxy on shm.
. "$(dirname "$0")/../support/lib.sh"
need python3
python3 -c 'import os, socket; socket.send_fds; os.memfd_create' 2>/dev/null ||
	skip "python3 without socket.send_fds / os.memfd_create (3.9+): no hand-written shm peer"

PEER="$(dirname "$0")/serve_shm_peer.py"
N=sipc-sshm-$$
head -c 1048576 /dev/urandom >"$T/blob"

# through URL OUT [OPTIONS]: the blob through `connect` to URL and back, into OUT.
through() {
	timeout "$(secs 20)" "$SOCKIPC" connect "$1" <"$T/blob" >"$2" 2>"$2.err"
}

for M in event thread fork; do
	# ---- the backends of the forwards: tcp and unix echo, and shm echo
	# with 4 KiB rings
	bg "$T/$M.b" "$SOCKIPC" serve --model $M -e 'tcp://127.0.0.1:0 echo' \
		-e "unix://@$N-$M-ue echo" -e "shm://@$N-$M-se?ring=4096 echo"
	B=$BG_PID
	wait_count "$T/$M.b" '^listening ' 3 10 || { fail "$M: backends did not start"; continue; }
	TP=$(port_of "$(awk '/ tcp:/{print $2}' "$T/$M.b")")

	svcs=(-e "shm://@$N-$M-echo?ring=4096 echo" -e "shm://$T/$M-disc.sock?ring=4096 discard"
		-e "shm://@$N-$M-cg chargen" -e "shm://@$N-$M-day daytime" -e "shm://@$N-$M-time time"
		-e "shm://@$N-$M-hc http-connect"
		-e "shm://@$N-$M-ex exec sh -c 'env | grep -E \"^(SOCKIPC_|PROTO=|UNIXREMOTE)\" | sort; cat; echo after-eof'"
		-e "unix://@$N-$M-uex exec sh -c 'env | grep -E \"^(SOCKIPC_|PROTO=|UNIXREMOTE)\" | sort'"
		-e "shm://@$N-$M-f-tcp forward tcp://127.0.0.1:$TP"
		-e "tcp://127.0.0.1:0 forward shm://@$N-$M-se?ring=8192"
		-e "shm://@$N-$M-f-unix forward unix://@$N-$M-ue"
		-e "unix://@$N-$M-f-ushm forward shm://@$N-$M-se"
		-e "shm://@$N-$M-f-shm forward shm://@$N-$M-se"
		-e "shm://@$N-$M-f-ring forward shm://$T/$M-ring.sock?ring=8192")
	[ $M != fork ] && svcs+=(-e "shm://@$N-$M-bc broadcast")
	bg "$T/$M.s" "$SOCKIPC" serve --model $M -v "${svcs[@]}"
	S=$BG_PID
	wait_count "$T/$M.s" '^listening ' "$(( ${#svcs[@]} / 2 ))" 10 || { fail "$M: serve did not start"; cat "$T/$M.s.err" >&2; continue; }
	FP=$(port_of "$(awk '/ tcp:.* forward /{print $2}' "$T/$M.s")")

	# ---- echo: 1 MiB through 4 KiB rings (the server's ring= and the client's)
	through "shm://@$N-$M-echo" "$T/$M.echo"
	check "$M: echo: 1 MiB back whole through 4 KiB rings" cmp -s "$T/blob" "$T/$M.echo"
	through "shm://@$N-$M-echo?ring=4096&spin=0" "$T/$M.echo2"
	check "$M: echo: again with ring=4096 and spin=0 on the client too" cmp -s "$T/blob" "$T/$M.echo2"

	# ---- discard: counted
	head -c 300000 "$T/blob" | timeout "$(secs 10)" "$SOCKIPC" connect "shm://$T/$M-disc.sock" >/dev/null 2>&1
	check "$M: discard: the close line counts 300000 bytes in" \
		wait_line "$T/$M.s.err" "close discard local=shm://$T/$M-disc.sock .* in=300000 out=0 .*end=done" 10

	# ---- chargen: 100000 bytes of the pattern
	timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$N-$M-cg" </dev/null 2>/dev/null | head -c 100000 >"$T/$M.cg"
	expect_eq "$M: chargen: 100000 bytes" 100000 "$(stat -c %s "$T/$M.cg")"
	expect_eq "$M: chargen: the first line is the pattern" \
		'!"#$%&'"'"'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefgh' \
		"$(head -1 "$T/$M.cg" | tr -d '\r')"

	# ---- daytime
	check "$M: daytime: a date comes" bash -c \
		"timeout $(secs 10) '$SOCKIPC' connect 'shm://@$N-$M-day' </dev/null | grep -Eq '[0-9]{2}:[0-9]{2}:[0-9]{2}'"

	# ---- time: four bytes; http-connect: a tunnel from an shm client to tcp
	expect_eq "$M: time: four bytes" 4 \
		"$(timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$N-$M-time" </dev/null 2>/dev/null | wc -c)"
	printf 'CONNECT 127.0.0.1:%s HTTP/1.1\r\nHost: x\r\n\r\ntunnelled\n' "$TP" |
		timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$N-$M-hc" >"$T/$M.hc" 2>&1
	check "$M: http-connect: 200 from the shm client's request" grep -q '^HTTP/1.1 200 ' "$T/$M.hc"
	check "$M: http-connect: the tcp echo behind it answers" grep -qx 'tunnelled' "$T/$M.hc"

	# ---- exec: the environment, and the half-close passed both ways
	printf 'input line\n' | timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$N-$M-ex" >"$T/$M.ex" 2>"$T/$M.ex.err"
	check "$M: exec: SOCKIPC_LOCAL names the shm endpoint" grep -qx "SOCKIPC_LOCAL=shm://@$N-$M-ex" "$T/$M.ex"
	check "$M: exec: PROTO=UNIX (credentials from the rendezvous socket)" grep -qx "PROTO=UNIX" "$T/$M.ex"
	check "$M: exec: the client's uid in UNIXREMOTEEUID" grep -qx "UNIXREMOTEEUID=$(id -u)" "$T/$M.ex"
	check "$M: exec: the client's pid in UNIXREMOTEPID" grep -Eqx "UNIXREMOTEPID=[1-9][0-9]*" "$T/$M.ex"
	check "$M: exec: the child read the client's bytes, then its end, then wrote after it" \
		bash -c "tail -2 '$T/$M.ex' | tr '\n' '|' | grep -qx 'input line|after-eof|'"
	timeout "$(secs 10)" "$SOCKIPC" connect "unix://@$N-$M-uex" </dev/null >"$T/$M.uex" 2>/dev/null
	expect_eq "$M: exec: the same variables as on unix://" \
		"$(cut -d= -f1 "$T/$M.uex" | tr '\n' ' ')" "$(grep -E '^(SOCKIPC_|PROTO=|UNIXREMOTE)' "$T/$M.ex" | cut -d= -f1 | tr '\n' ' ')"
	check "$M: exec: the close line counts the bridged bytes" \
		wait_line "$T/$M.s.err" "close exec local=shm://@$N-$M-ex .* in=11 out=[1-9][0-9]* .*end=exit 0" 10

	# ---- forward: every pair, 1 MiB each, both ways
	for u in "shm://@$N-$M-f-tcp" "tcp://127.0.0.1:$FP" "shm://@$N-$M-f-unix" "unix://@$N-$M-f-ushm" "shm://@$N-$M-f-shm"; do
		through "$u" "$T/$M.fwd"
		check "$M: forward $u: 1 MiB back whole" cmp -s "$T/blob" "$T/$M.fwd"
	done
	# The backend URL's ring= reaches forward's handshake: a listener
	# with --trace reads the ring size in the hello.
	bg "$T/$M.lr" "$SOCKIPC" listen --trace "shm://$T/$M-ring.sock"
	LR=$BG_PID
	wait_line "$T/$M.lr.err" '^listening ' 10 >/dev/null
	printf 'ring size\n' | timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$N-$M-f-ring" >/dev/null 2>&1
	check "$M: forward to shm://...?ring=8192: the backend got the bytes" wait_line "$T/$M.lr" '^ring size$' 10
	check "$M: forward to shm://...?ring=8192: forward's hello asks for 8192" \
		grep -q 'shm: rx ring 8192 data bytes from the peer' "$T/$M.lr.err"
	stop_bg "$LR"

	# ---- broadcast: two shm receivers get a third client's line
	if [ $M != fork ]; then
		bg "$T/$M.r1" "$SOCKIPC" connect --recv-only "shm://@$N-$M-bc"
		R1=$BG_PID
		bg "$T/$M.r2" "$SOCKIPC" connect --recv-only "shm://@$N-$M-bc"
		R2=$BG_PID
		wait_count "$T/$M.s.err" "open broadcast local=shm://@$N-$M-bc" 2 10
		printf 'to everyone\n' | timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$N-$M-bc" >"$T/$M.bsend" 2>&1
		check "$M: broadcast: the first receiver got the line" wait_line "$T/$M.r1" '^to everyone$' 10
		check "$M: broadcast: the second receiver got the line" wait_line "$T/$M.r2" '^to everyone$' 10
		expect_eq "$M: broadcast: never back to the sender" "" "$(cat "$T/$M.bsend")"
		stop_bg "$R1"
		stop_bg "$R2"
	fi

	# ---- a client SIGKILLed in the middle of its stream
	closes=$(grep -c "close echo local=shm://@$N-$M-echo " "$T/$M.s.err")
	spawn sh -c "exec '$SOCKIPC' connect 'shm://@$N-$M-echo' </dev/zero >'$T/$M.k' 2>/dev/null"
	K=$BG_PID
	check "$M: the killed client was moving bytes" wait_size "$T/$M.k" 100000 10
	kill -KILL "$K"
	wait "$K" 2>/dev/null
	# done, peer gone or reset: which one depends on where the kill
	# landed (as on unix://); the close is logged either way.
	check "$M: serve logs the killed client's close" \
		wait_count "$T/$M.s.err" "close echo local=shm://@$N-$M-echo peer=.* in=[1-9][0-9]* .*end=" $((closes + 1)) 10
	expect_eq "$M: the next client is served" "next" \
		"$(printf 'next\n' | timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$N-$M-echo" 2>&1)"

	# ---- a hostile client: scribbles on both rings / publishes an impossible head
	for mode in scribble bighead; do
		out=$(timeout "$(secs 20)" python3 "$PEER" "@$N-$M-echo" $mode 2>&1)
		expect_eq "$M: $mode: serve closed the connection" "handshake done closed" "$(echo $out)"
	done
	check "$M: the corruption is logged, twice" wait_count "$T/$M.s.err" \
		"close echo local=shm://@$N-$M-echo.* end=The peer corrupted the shared-memory ring: the peer wrote an impossible head into the ring we read$" 2 10
	# ---- a client whose ring is over ring_max= (64 MiB by default), or
	# whose memfd is larger than its hello says: refused before mapping
	for mode in hugering hugefd; do
		out=$(timeout "$(secs 20)" python3 "$PEER" "@$N-$M-echo" $mode 2>&1)
		expect_eq "$M: $mode: serve refused the ring and closed" "closed" "$(echo $out)"
	done
	check "$M: the ring over the cap is logged with both sizes" wait_count "$T/$M.s.err" \
		"close echo local=shm://@$N-$M-echo.* end=.*the peer's ring of 1073741824 bytes is over ring_max=67108864$" 1 10
	check "$M: the memfd's real size is logged" wait_count "$T/$M.s.err" \
		"close echo local=shm://@$N-$M-echo.* end=.*the peer's hello says a ring of 4096 bytes .a memfd of 4288., its memfd holds 1073742016$" 1 10
	expect_eq "$M: after the hostile clients, the next is served" "still here" \
		"$(printf 'still here\n' | timeout "$(secs 10)" "$SOCKIPC" connect "shm://@$N-$M-echo" 2>&1)"
	check "$M: serve is alive" kill -0 "$S"

	stop_server "$M" "$S" "$T/$M.s.err"
	stop_server "$M backends" "$B" "$T/$M.b.err"
done

# ---- forward between shm:// and tls://, both ways (two records layers and
# two rings: neither side's socket carries the bytes as they are)
bg "$T/tls" "$SOCKIPC" serve -e 'tls://127.0.0.1:0 echo' -e "shm://@$N-tse echo" \
	-e "tls://127.0.0.1:0 forward shm://@$N-tse"
TS=$BG_PID
wait_count "$T/tls" '^listening ' 3 10
TLSE=$(awk '/ tls:.* echo$/{print $2}' "$T/tls")
TLSF=$(awk '/ tls:.* forward /{print $2}' "$T/tls")
bg "$T/tls2" "$SOCKIPC" serve -e "shm://@$N-ftls forward --insecure $TLSE"
TS2=$BG_PID
wait_line "$T/tls2" '^listening ' 10 >/dev/null
through "shm://@$N-ftls" "$T/ftls"
check "forward shm->tls: 1 MiB back whole" cmp -s "$T/blob" "$T/ftls"
timeout "$(secs 20)" "$SOCKIPC" connect --insecure "$TLSF" <"$T/blob" >"$T/tlsf" 2>/dev/null
check "forward tls->shm: 1 MiB back whole" cmp -s "$T/blob" "$T/tlsf"
stop_server "tls forwards" "$TS2" "$T/tls2.err"
stop_server "tls backends" "$TS" "$T/tls.err"

# ---- start-up refusals
rc=0
"$SOCKIPC" serve -e "shm://@$N-x forward --send-proxy=v1 shm://@$N-y" >/dev/null 2>"$T/sp.err" || rc=$?
check "--send-proxy to an shm backend: refused at start-up" [ "$rc" -ne 0 ]
check "--send-proxy to an shm backend: says why" grep -q "an shm:// backend's socket carries no stream bytes" "$T/sp.err"
rc=0
"$SOCKIPC" serve --accept-proxy 127.0.0.1 -e "shm://@$N-x echo" >/dev/null 2>"$T/ap.err" || rc=$?
check "--accept-proxy on shm://: refused at start-up" [ "$rc" -ne 0 ]
check "--accept-proxy on shm://: says why" grep -q "is not a tcp:// or tls:// endpoint" "$T/ap.err"
# A name already taken, behind a line that did listen: a clear error and
# status 1 (the endpoints already open were once closed twice: a crash).
bg "$T/dup" "$SOCKIPC" serve -e "shm://@$N-dup echo"
DUP=$BG_PID
wait_line "$T/dup" '^listening ' 10 >/dev/null
rc=0
"$SOCKIPC" serve -e "unix://@$N-first echo" -e "shm://@$N-dup echo" >/dev/null 2>"$T/dup2.err" || rc=$?
expect_eq "an shm name in use: exit 1, no crash" 1 "$rc"
check "an shm name in use: says so" grep -q "listen shm://@$N-dup: Address already in use" "$T/dup2.err"
stop_server "the name's first holder" "$DUP" "$T/dup.err"
rc=0
"$SOCKIPC" serve --model fork -e "shm://@$N-x broadcast" >/dev/null 2>"$T/bf.err" || rc=$?
check "broadcast on shm:// under --model fork: refused as on every scheme" grep -q "service broadcast does not work under --model fork" "$T/bf.err"

finish
