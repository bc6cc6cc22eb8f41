#!/bin/bash
# cli_exec.sh - connect -e and --sh-exec (a program with the connection as
# its stdin and stdout) against `sockipc serve` and Python peers: the bytes
# both ways, the half-close both ways (the program closing its stdout shuts
# the socket's write side while it still reads; the peer's end of stream is
# end of file on its stdin), its environment (SOCKIPC_PEER is the real peer,
# SOCKIPC_LOCAL the address the peer saw, the UCSPI variables on TCP and
# unix, forged ones in our environment never reach it, TLS names the
# protocol), a clean start (no ignored signal, no stray descriptor), the
# words of -e split on blanks without a shell, over tls:// with the test
# CA, the exit status (the program's, 128+N for a signal, 127/126 when it
# cannot run, with the reason) and the usage errors; then the one-way modes
# (--recv-only never reads stdin nor shuts the socket down for its end;
# --send-only never reads the socket and ends with stdin).
. "$(dirname "$0")/../support/lib.sh"
need python3 openssl
PEER="python3 $(dirname "$0")/cli_exec_peer.py"
OLDPEER="python3 $(dirname "$0")/cli_peer.py"
to=$(secs 20)

bg "$T/srv" "$SOCKIPC" serve -e 'tcp://127.0.0.1:0 echo' -e "unix://$T/echo.sock echo" \
	-e 'tcp://127.0.0.1:0 chargen'
wait_count "$T/srv" '^listening' 3 10
SPID=$BG_PID
echo_url=$(awk '/^listening tcp.* echo/{print $2}' "$T/srv")
chargen_url=$(awk '/^listening tcp.* chargen/{print $2}' "$T/srv")

# ---- bytes and both half-closes against echo: the program sends, closes
# its stdout (the socket's write side must be shut down, or echo never
# closes), then reads the echo to the end of stream (which must reach it as
# end of file, or cat never ends).
timeout "$to" "$SOCKIPC" connect --sh-exec "printf 'hello\\nworld'; exec >&-; cat >'$T/back'" \
	"$echo_url" >"$T/c1.out" 2>"$T/c1.err"
expect_eq "echo: connect exits 0 (the program's status)" 0 $?
expect_eq "echo: the program read back what it sent" $'hello\nworld' "$(cat "$T/back")"
expect_eq "echo: nothing on connect's own stdout" "" "$(cat "$T/c1.out")"

# ---- the program closes its stdout first: a peer that answers only after
# our end of stream gets it while the program still reads.
bg "$T/late" $OLDPEER late 0
url=$(listening_url "$T/late" 10)
timeout "$to" "$SOCKIPC" connect --sh-exec "printf req; exec >&-; cat >'$T/ans'" "$url"
expect_eq "program's end passed on: exit 0" 0 $?
expect_eq "program's end passed on: the answer after it reached the program" "got 3: req" \
	"$(cat "$T/ans")"

# ---- the peer ends first: its end of stream is end of file for the
# program, whose output after that is still sent.  -e: no shell of ours.
bg "$T/first" $PEER first ping
url=$(listening_url "$T/first" 10)
printf 'x=$(cat); printf "after-eof:%%s" "$x"\n' >"$T/after.sh"
timeout "$to" "$SOCKIPC" connect -e "sh $T/after.sh" "$url"
rc=$?
wait_line "$T/first" '^got ' 10 >/dev/null
expect_eq "peer's end passed on: exit 0" 0 $rc
expect_eq "peer's end passed on: the program answered after its end of file" \
	"got $(printf 'after-eof:ping' | od -An -tx1 | tr -d ' \n')" "$(grep '^got ' "$T/first")"

# ---- a program that stops reading ends that direction only: chargen
# never stops sending, and connect still ends with the program.
timeout "$to" "$SOCKIPC" connect --sh-exec "head -c 100 >'$T/cg'" "$chargen_url"
expect_eq "program stops reading: exit 0" 0 $?
expect_eq "program stops reading: it read what it wanted" 100 "$(stat -c %s "$T/cg")"

# ---- environment: the real addresses, the UCSPI variables; forged values
# in our own environment never reach the program.
bg "$T/envpeer" $PEER first ''
url=$(listening_url "$T/envpeer" 10)
SOCKIPC_PEER=tcp://6.6.6.6:6 TCPREMOTEIP=6.6.6.6 SSL_CLIENT_S_DN=CN=forged KEEP_ME=yes \
	timeout "$to" "$SOCKIPC" connect --sh-exec "env >'$T/env'" "$url"
expect_eq "env: exit 0" 0 $?
wait_line "$T/envpeer" '^peer ' 10 >/dev/null
envv() { sed -n "s/^$1=//p" "$T/env"; }
expect_eq "env: SOCKIPC_PEER is the peer" "$url" "$(envv SOCKIPC_PEER)"
expect_eq "env: SOCKIPC_LOCAL is the address the peer saw" \
	"$(sed -n 's/^peer //p' "$T/envpeer")" "$(envv SOCKIPC_LOCAL)"
expect_eq "env: PROTO" TCP "$(envv PROTO)"
expect_eq "env: TCPREMOTEIP (not the forged one)" 127.0.0.1 "$(envv TCPREMOTEIP)"
expect_eq "env: TCPREMOTEPORT" "$(port_of "$url")" "$(envv TCPREMOTEPORT)"
expect_eq "env: TCPLOCALPORT" "$(port_of "$(envv SOCKIPC_LOCAL)")" "$(envv TCPLOCALPORT)"
expect_eq "env: a forged SSL_ variable is dropped" "" "$(envv SSL_CLIENT_S_DN)"
expect_eq "env: the rest of our environment stays" yes "$(envv KEEP_ME)"

timeout "$to" "$SOCKIPC" connect --sh-exec "env >'$T/uenv'" "unix://$T/echo.sock"
expect_eq "unix env: exit 0" 0 $?
uenv() { sed -n "s/^$1=//p" "$T/uenv"; }
expect_eq "unix env: SOCKIPC_PEER" "unix://$T/echo.sock" "$(uenv SOCKIPC_PEER)"
expect_eq "unix env: PROTO" UNIX "$(uenv PROTO)"
# SO_PEERCRED names the process that called listen(2): serve's supervisor.
expect_eq "unix env: UNIXREMOTEPID is the server's" "$SPID" "$(uenv UNIXREMOTEPID)"
expect_eq "unix env: UNIXREMOTEEUID" "$(id -u)" "$(uenv UNIXREMOTEEUID)"

# ---- a clean start: signals we ignore are default for the program, and
# a descriptor we hold does not reach it.
bash -c "trap '' PIPE USR1 HUP; exec 9>'$T/held'; exec \"\$0\" connect --sh-exec \
	\"grep -E '^Sig(Ign|Blk)' /proc/self/status >'$T/sig'; ls /proc/self/fd >'$T/fds'\" \
	'$echo_url'" "$SOCKIPC"
expect_eq "clean start: exit 0" 0 $?
expect_eq "clean start: no signal ignored or blocked" \
	$'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000' "$(sort "$T/sig")"
expect_eq "clean start: descriptors 0, 1, 2 (and ls's own 3) only" "0 1 2 3" \
	"$(sort -n "$T/fds" | tr '\n' ' ' | sed 's/ $//')"

# ---- -e: the words split on blanks, no shell (no expansion, no quotes).
bg "$T/rec" $OLDPEER record
url=$(listening_url "$T/rec" 10)
# shellcheck disable=SC2016
timeout "$to" "$SOCKIPC" connect -e 'printf [%s] a$HOME   "b' "$url"
expect_eq "-e words: exit 0" 0 $?
wait_count "$T/rec" '^[0-9a-f]' 1 10
expect_eq "-e words: split on blanks, nothing expanded" "$(printf '[a$HOME]["b]' | od -An -tx1 | tr -d ' \n')" \
	"$(tail -1 "$T/rec")"

# ---- exit statuses
timeout "$to" "$SOCKIPC" connect --sh-exec 'exit 7' "$echo_url"
expect_eq "status: the program's exit 7" 7 $?
timeout "$to" "$SOCKIPC" connect --sh-exec 'kill -TERM $$' "$echo_url"
expect_eq "status: killed by SIGTERM is 128+15" 143 $?
timeout "$to" "$SOCKIPC" connect -e 'sipc-no-such-program --flag' "$echo_url" 2>"$T/nf.err"
expect_eq "not found: exit 127" 127 $?
expect_eq "not found: the reason" "sockipc: connect: exec sipc-no-such-program: No such file or directory" \
	"$(cat "$T/nf.err")"
printf '#!/bin/sh\n' >"$T/notexec"
chmod 644 "$T/notexec"
timeout "$to" "$SOCKIPC" connect -e "$T/notexec" "$echo_url" 2>"$T/ne.err"
expect_eq "not executable: exit 126" 126 $?
expect_eq "not executable: the reason" "sockipc: connect: exec $T/notexec: execve: Permission denied" \
	"$(cat "$T/ne.err")"

usage() {
	local what=$1 want=$2
	shift 2
	"$SOCKIPC" "$@" </dev/null >"$T/usage.out" 2>"$T/usage.err"
	expect_eq "$what: exit 2" 2 $?
	check "$what: says why" grep -qF -- "$want" "$T/usage.err"
}
usage "-e with --sh-exec" "connect: -e and --sh-exec: choose one" connect -e cat --sh-exec cat "$echo_url"
usage "-e of blanks" "connect: -e: no program given" connect -e '  ' "$echo_url"
usage "-e with --recv-only" "connect: -e and --recv-only: the program's stdin and stdout are the connection" \
	connect -e cat -d "$echo_url"
usage "--recv-only with --send-only" "connect: --recv-only and --send-only: choose one" \
	connect -d --send-only "$echo_url"
usage "--lines on a stream" "connect: --lines: only for datagram URLs" connect --lines "$echo_url"

# ---- TLS: the program's bytes go through the library, both half-closes
# too (close_notify), and it learns the protocol.
C=$T/certs
bash "$SIPC_SOURCE_DIR/tests/support/tls-certs.sh" "$C" >/dev/null 2>"$T/certs.err" ||
	{ cat "$T/certs.err" >&2; fail "tls-certs.sh made the test certificates"; finish; }
bg "$T/tsrv" "$SOCKIPC" serve --cert "$C/server.pem" --key "$C/server.key" 'tls://127.0.0.1:0' echo
turl=$(listening_url "$T/tsrv" 10)
timeout "$to" "$SOCKIPC" connect --ca "$C/ca.pem" \
	--sh-exec "env >'$T/tenv'; printf 'secret\\nbytes'; exec >&-; cat >'$T/tback'" "$turl"
expect_eq "tls: exit 0" 0 $?
expect_eq "tls: the program read back what it sent" $'secret\nbytes' "$(cat "$T/tback")"
expect_eq "tls: SSL_PROTOCOL" TLSv1.3 "$(sed -n 's/^SSL_PROTOCOL=//p' "$T/tenv")"
expect_eq "tls: SOCKIPC_PEER" "$turl" "$(sed -n 's/^SOCKIPC_PEER=//p' "$T/tenv")"

# ---- --recv-only: stdin (here with data) is never read nor sent, and its
# end does not shut the socket down: the peer still sees it open.
bg "$T/hold" $PEER hold 'to you'
url=$(listening_url "$T/hold" 10)
got=$(printf 'never sent' | timeout "$to" "$SOCKIPC" connect -d --idle-timeout 3 "$url"); rc=$?
expect_eq "recv-only: exit 0" 0 $rc
expect_eq "recv-only: received" "to you" "$got"
wait_line "$T/hold" '^(eof|open|data)$' 10 >/dev/null
expect_eq "recv-only: no byte and no end of stream reached the peer" open "$(tail -1 "$T/hold")"

bg "$T/first2" $PEER first 'from peer'
url=$(listening_url "$T/first2" 10)
got=$(printf 'never sent' | timeout "$to" "$SOCKIPC" connect --recv-only "$url" </dev/null); rc=$?
wait_line "$T/first2" '^got' 10 >/dev/null
expect_eq "recv-only: ends at the peer's end: exit 0" 0 $rc
expect_eq "recv-only: the peer's bytes" "from peer" "$got"
expect_eq "recv-only: the peer got nothing" "got " "$(grep '^got' "$T/first2")"

# ---- --send-only: the socket is never read (chargen never stops sending,
# echo answers): what stdin held is sent, the write side shut down, exit 0.
got=$(printf 'x' | timeout "$to" "$SOCKIPC" connect --send-only "$chargen_url"); rc=$?
expect_eq "send-only: ends with stdin although the peer keeps sending: exit 0" 0 $rc
expect_eq "send-only: nothing read from the socket" "" "$got"
bg "$T/rec2" $OLDPEER record
url=$(listening_url "$T/rec2" 10)
got=$(printf 'all of it' | timeout "$to" "$SOCKIPC" connect --send-only "$url"); rc=$?
wait_count "$T/rec2" '^[0-9a-f]' 1 10
expect_eq "send-only: exit 0" 0 $rc
expect_eq "send-only: the peer got stdin and its end" "$(printf 'all of it' | od -An -tx1 | tr -d ' \n')" \
	"$(tail -1 "$T/rec2")"

stop_server "serve" "$SPID" "$T/srv.err"
finish
