#!/bin/bash
# examples_fdpass.sh - the fdpass example of examples/: `fdpass send` opens
# a file and hands its descriptor to `fdpass serve`, which prints what it
# reads and answers with the count; on unix and unixpacket, an abstract
# name and a path, two clients in a row.  Server and clients share no
# ancestor but init (or a subreaper above the test): the first client is
# held while the server is stopped, and the ppid chains of both say so.
. "$(dirname "$0")/../support/lib.sh"
. "$(dirname "$0")/../support/apart.sh"

EX=${SIPC_BUILD_DIR:?run through ctest}/examples
[ -x "$EX/fdpass" ] || { fail "fdpass example not built in $EX"; finish; }

head -c 5000 /dev/urandom >"$T/data"
sum() { sha256sum <"$1" | awk '{print $1}'; }

n=0
done=0
for url in "unix://@sipc-ex-fdpass-$$" "unixpacket://$T/p.sock"; do
	n=$((n + 1))
	spid=$(detach "srv$n" "$EX/fdpass" serve "$url" 2) || { fail "$url: server not started"; continue; }
	real=$(listening_url "$T/srv$n.err" 10) || { fail "$url: server did not start"; kill_detached "$spid"; continue; }
	kill -STOP "$spid"
	cpid=$(detach "send$n" "$EX/fdpass" send "$real" "$T/data")
	if [ -n "$cpid" ] && wait_until 5 grep -qsx fdpass "/proc/$cpid/comm"; then
		check_apart "$url: server and client share no ancestor but the reaper" "srv$n" "send$n"
	else
		fail "$url: the client did not start"
	fi
	kill -CONT "$spid"
	expect_eq "$url: send exits 0" 0 "$(detached_rc "send$n" 20)"
	expect_eq "$url: the server read the whole file" "ok 5000 bytes" "$(cat "$T/send$n")"
	wait_size "$T/srv$n" 5000 10
	expect_eq "$url: its bytes, through the descriptor" "$(sum "$T/data")" "$(sum "$T/srv$n")"
	check "$url: the server says what came" grep -qF "message \"$T/data\" with 1 descriptor" "$T/srv$n.err"
	printf 'second\n' >"$T/second"
	detach "second$n" "$EX/fdpass" send "$real" "$T/second" >/dev/null
	expect_eq "$url: second client exits 0" 0 "$(detached_rc "second$n" 20)"
	expect_eq "$url: second client served" "ok 7 bytes" "$(cat "$T/second$n")"
	expect_eq "$url: serve stops after COUNT clients, exit 0" 0 "$(detached_rc "srv$n" 10)"
	kill_detached "$spid"
	done=$((done + 1))
done
expect_eq "both URLs ran to the end" 2 "$done"
# A missing file: the client says so, exit 1.
"$EX/fdpass" send "unix://@sipc-ex-none-$$" "$T/nothing" 2>"$T/e"
expect_eq "missing file: exit 1" 1 $?
check "missing file: says why" grep -q "No such file or directory" "$T/e"
"$EX/fdpass" bogus 2>/dev/null
expect_eq "bad usage: exit 2" 2 $?

finish
