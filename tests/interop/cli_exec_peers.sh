#!/bin/bash
# cli_exec_peers.sh - programs on the connection against OpenBSD nc and
# ncat: our listen -e serving nc (the program's greeting reaches nc, nc's
# bytes and its end of stream, -N, reach the program); our connect
# --sh-exec against ncat -c (a line from our program to ncat's, the
# answer back); nc -d's
# equal, --recv-only, against an nc server.
. "$(dirname "$0")/../support/lib.sh"
need nc ncat ss
to=$(secs 20)

# ---- our listen -e, nc as the client
bg "$T/l" "$SOCKIPC" listen --sh-exec "printf 'hello %s\\n' \"\$PROTO\"; cat >'$T/fromnc'" \
	tcp://127.0.0.1:0
LPID=$BG_PID
url=$(listening_url "$T/l.err" 10)
got=$(printf 'data from nc' | timeout "$to" nc -N 127.0.0.1 "$(port_of "$url")"); rc=$?
expect_eq "nc client: exit 0" 0 $rc
expect_eq "nc client: the program's greeting" "hello TCP" "$got"
ended "$LPID"
expect_eq "nc client: listen exits 0 (the program's status)" 0 "$STATUS"
expect_eq "nc client: the program got nc's bytes to their end" "data from nc" "$(cat "$T/fromnc")"

# ---- our connect --sh-exec, ncat -c as the server: a line each way
# between two programs.  (ncat closes the whole connection at its client's
# end of stream, so the answer is read before ours ends.)
sock=$T/ncat.sock
bg "$T/ncatsrv" ncat -lU "$sock" -c 'head -n1 | tr a-z A-Z'
unix_listening "$sock" 5 || fail "the peer listens at $sock"
timeout "$to" "$SOCKIPC" connect --sh-exec "printf 'shout this\\n'; head -n1 >'$T/up'" \
	"unix://$sock"
expect_eq "ncat -c server: exit 0" 0 $?
expect_eq "ncat -c server: its program's answer reached ours" "SHOUT THIS" "$(cat "$T/up")"

# ---- --recv-only (nc -d) against an nc server that sends and ends.
sock=$T/nc.sock
bg "$T/ncsrv" bash -c "printf 'from nc' | nc -N -lU '$sock'"
unix_listening "$sock" 5 || fail "the peer listens at $sock"
got=$(printf 'not for nc' | timeout "$to" "$SOCKIPC" connect --recv-only "unix://$sock"); rc=$?
ended "$BG_PID"
expect_eq "nc server, --recv-only: exit 0" 0 $rc
expect_eq "nc server, --recv-only: its bytes" "from nc" "$got"
expect_eq "nc server, --recv-only: it got nothing of our stdin" "" "$(cat "$T/ncsrv")"
finish
