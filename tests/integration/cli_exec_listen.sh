#!/bin/bash
# cli_exec_listen.sh - listen -e / --sh-exec: without --keep-open one peer
# and listen's exit status is its program's; with it each peer gets a
# program of its own, one after another (distinct pids, each told its own
# peer); with --max-conns 3 three peers are served at once (each program
# blocks until its client speaks: a barrier, not timing) while a fourth
# waits unaccepted in the backlog and is served when a slot frees, never
# more than three at once; SIGTERM ends listen and every program; on unix
# the program learns its client's pid (and a hostile unix name of the
# client's arrives escaped, forging no variable), on TLS its client's
# certificate;
# --max-conns without a program or without --keep-open is a usage error.
. "$(dirname "$0")/../support/lib.sh"
need python3 openssl ss
to=$(secs 20)
export DIR=$T

# client NAME URL [OPTIONS...]: `connect -v` in the background with stdin
# from the fifo $T/NAME.in, held open on a descriptor of ours; write to it
# with `say NAME TEXT`, end it with `hangup NAME`.  Stdout $T/NAME.
declare -A CFD CPID
client() {
	local name=$1 url=$2 fd
	shift 2
	mkfifo "$T/$name.in"
	# The other clients' fifos stay ours alone, or their ends never come.
	CLOSEFDS="${CFD[*]}" bg "$T/$name" bash -c \
		'for f in $CLOSEFDS; do eval "exec $f>&-"; done; exec "$0" connect -v "${@:2}" <"$1"' \
		"$SOCKIPC" "$T/$name.in" "$@" "$url"
	CPID[$name]=$BG_PID
	exec {fd}>"$T/$name.in"
	CFD[$name]=$fd
}
say() { printf '%s\n' "$2" >&"${CFD[$1]}"; }
hangup() { eval "exec ${CFD[$1]}>&-"; unset "CFD[$1]"; }

# ---- no --keep-open: one peer; listen's status is its program's.
bg "$T/one" "$SOCKIPC" listen --sh-exec "cat >'$T/one.got'; exit 5" tcp://127.0.0.1:0
LPID=$BG_PID
url=$(listening_url "$T/one.err" 10)
printf 'payload' | timeout "$to" "$SOCKIPC" connect "$url"
expect_eq "single: the client exits 0" 0 $?
ended "$LPID"
expect_eq "single: listen exits with the program's status" 5 "$STATUS"
expect_eq "single: the program got the bytes" payload "$(cat "$T/one.got")"

# ---- --keep-open: one program per peer, one after another.
bg "$T/seq" "$SOCKIPC" listen -k --sh-exec 'echo "pid=$$ peer=$SOCKIPC_PEER"; exec cat' \
	tcp://127.0.0.1:0
LPID=$BG_PID
url=$(listening_url "$T/seq.err" 10)
for i in 1 2 3; do
	printf 'msg%s\n' $i | timeout "$to" "$SOCKIPC" connect -v "$url" >"$T/seq$i" 2>"$T/seq$i.err"
	expect_eq "sequential $i: exit 0" 0 $?
	expect_eq "sequential $i: its program echoed" "msg$i" "$(sed -n 2p "$T/seq$i")"
	expect_eq "sequential $i: SOCKIPC_PEER is this client" \
		"$(sed -n 's/.* from //p' "$T/seq$i.err")" "$(sed -n 's/.* peer=//p' "$T/seq$i")"
done
expect_eq "sequential: three programs, three pids" 3 \
	"$(sed -n 's/^pid=\([0-9]*\) .*/\1/p' "$T"/seq[123] | sort -u | wc -l)"
stop_bg "$LPID"

# ---- --max-conns 3: a program registers itself (and how many run at that
# moment), then waits for a line from its client.
cat >"$T/prog.sh" <<'PROG'
mkdir "$DIR/run.$$"
n=$(ls -d "$DIR"/run.* | wc -l)
echo "start $$ $n" >>"$DIR/starts"
read -r go
echo "served $go by $$"
rmdir "$DIR/run.$$"
PROG
bg "$T/par" "$SOCKIPC" listen -k -m 3 -e "sh $T/prog.sh" tcp://127.0.0.1:0
LPID=$BG_PID
url=$(listening_url "$T/par.err" 10)
port=$(port_of "$url")
for i in 1 2 3; do client "c$i" "$url"; done
# Three programs run, each blocked on its client, which has not written:
# only three served at the same time can get here.
check "max-conns 3: three programs run at once" wait_count "$T/starts" '^start' 3 10
client c4 "$url"
wait_line "$T/c4.err" 'connected to' 10 >/dev/null
# The fourth is connected (the kernel's handshake) but not accepted: it
# waits in the listening socket's queue, and no fourth program starts.
queued() {
	local i
	for ((i = 0; i < 100 * SCALE; i++)); do
		[ "$(ss -Hltn "sport = :$port" | awk '{print $2}')" = 1 ] && return 0
		sleep 0.05
	done
	return 1
}
check "max-conns 3: the fourth waits in the backlog" queued
expect_eq "max-conns 3: no fourth program yet" 3 "$(grep -c '^start' "$T/starts")"
say c1 go1
check "max-conns 3: the first is served" wait_line "$T/c1" '^served go1 ' 10
check "max-conns 3: the fourth's program starts once a slot is free" \
	wait_count "$T/starts" '^start' 4 10
for i in 2 3 4; do say "c$i" "go$i"; done
for i in 1 2 3 4; do
	wait_line "$T/c$i" "^served go$i " 10 >/dev/null
	hangup "c$i"
	ended "${CPID[c$i]}"
	expect_eq "max-conns 3: client $i served, exit 0" "0 served go$i" \
		"$STATUS $(cut -d' ' -f1-2 "$T/c$i")"
done
expect_eq "max-conns 3: four programs, four pids" 4 "$(awk '{print $2}' "$T/starts" | sort -u | wc -l)"
expect_eq "max-conns 3: never more than three at once" 3 "$(awk '{print $3}' "$T/starts" | sort -n | tail -1)"

# ---- SIGTERM ends listen and the programs it runs.
rm -f "$T/starts"
stop_bg "$LPID"
bg "$T/term" "$SOCKIPC" listen -k -m 2 -e "sh $T/prog.sh" tcp://127.0.0.1:0
LPID=$BG_PID
url=$(listening_url "$T/term.err" 10)
client t1 "$url"
client t2 "$url"
wait_count "$T/starts" '^start' 2 10
kill -TERM "$LPID"
ended "$LPID"
expect_eq "SIGTERM: listen ends by it" 143 "$STATUS"
gone=0
for p in $(awk '{print $2}' "$T/starts"); do kill -0 "$p" 2>/dev/null || gone=$((gone + 1)); done
expect_eq "SIGTERM: both programs ended with it" 2 "$gone"
for c in t1 t2; do hangup $c; ended "${CPID[$c]}"; done

# ---- unix: the program learns its client's pid.
bg "$T/ul" "$SOCKIPC" listen --sh-exec "env >'$T/uenv'" "unix://$T/l.sock"
LPID=$BG_PID
listening_url "$T/ul.err" 10 >/dev/null
bg "$T/uc" "$SOCKIPC" connect "unix://$T/l.sock"
UCPID=$BG_PID
ended "$LPID"
expect_eq "unix: listen exit 0" 0 "$STATUS"
ended "$UCPID"
expect_eq "unix: PROTO" UNIX "$(sed -n 's/^PROTO=//p' "$T/uenv")"
expect_eq "unix: UNIXREMOTEPID is the client's" "$UCPID" "$(sed -n 's/^UNIXREMOTEPID=//p' "$T/uenv")"

# ---- a client's hostile unix name (a newline, "NAME=", an escape) reaches
# the program's environment escaped, as one variable.
bg "$T/hl" "$SOCKIPC" listen --sh-exec "env >'$T/henv'" "unix://$T/h.sock"
LPID=$BG_PID
listening_url "$T/hl.err" 10 >/dev/null
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(b"\0x\nTCPREMOTEIP=6.6.6.6 \x1b[2J")
s.settimeout(20)
s.connect(sys.argv[1])
s.shutdown(socket.SHUT_WR)
s.recv(1)
' "$T/h.sock"
ended "$LPID"
expect_eq "hostile name: listen exit 0" 0 "$STATUS"
expect_eq "hostile name: escaped in SOCKIPC_PEER" 'unix://@x%0ATCPREMOTEIP=6.6.6.6%20%1B%5B2J' \
	"$(sed -n 's/^SOCKIPC_PEER=//p' "$T/henv")"
expect_eq "hostile name: no variable forged" "" "$(grep '^TCPREMOTEIP' "$T/henv")"

# ---- TLS with a client certificate: the program sees who it is, as a
# serve exec child does.
C=$T/certs
bash "$SIPC_SOURCE_DIR/tests/support/tls-certs.sh" "$C" >/dev/null 2>"$T/certs.err" ||
	{ cat "$T/certs.err" >&2; fail "tls-certs.sh made the test certificates"; finish; }
bg "$T/tl" "$SOCKIPC" listen --cert "$C/server.pem" --key "$C/server.key" --ca "$C/ca.pem" \
	--client-cert-required --sh-exec "env >'$T/tenv'; exec tr a-z A-Z" tls://127.0.0.1:0
LPID=$BG_PID
url=$(listening_url "$T/tl.err" 10)
got=$(printf 'quiet' | timeout "$to" "$SOCKIPC" connect --ca "$C/ca.pem" --cert "$C/alice.pem" \
	--key "$C/alice.key" "$url"); rc=$?
expect_eq "tls: exit 0" 0 $rc
expect_eq "tls: the program's answer after our end (close_notify)" QUIET "$got"
ended "$LPID"
expect_eq "tls: listen exits 0" 0 "$STATUS"
check "tls: the client's name" grep -q '^SSL_CLIENT_S_DN=.*CN=alice' "$T/tenv"
expect_eq "tls: verified" SUCCESS "$(sed -n 's/^SSL_CLIENT_VERIFY=//p' "$T/tenv")"

# ---- usage errors
"$SOCKIPC" listen -k -m 2 tcp://127.0.0.1:0 2>"$T/u1.err"
expect_eq "max-conns without a program: exit 2" 2 $?
check "max-conns without a program: says why" grep -qF \
	"listen: --max-conns: only with -e or --sh-exec" "$T/u1.err"
"$SOCKIPC" listen -m 2 -e cat tcp://127.0.0.1:0 2>"$T/u2.err"
expect_eq "max-conns without --keep-open: exit 2" 2 $?
check "max-conns without --keep-open: says why" grep -qF \
	"listen: --max-conns: only with --keep-open" "$T/u2.err"
finish
