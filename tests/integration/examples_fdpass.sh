#!/bin/bash
# examples_fdpass.sh - the fdpass example of examples/: `fdpass send` opens
# a file and hands its descriptor to `fdpass serve`, which prints what it
# reads and answers with the count; on unix and unixpacket, an abstract
# name and a path, two clients in a row.
. "$(dirname "$0")/../support/lib.sh"

EX=${SIPC_BUILD_DIR:?run through ctest}/examples
[ -x "$EX/fdpass" ] || { fail "fdpass example not built in $EX"; finish; }

head -c 5000 /dev/urandom >"$T/data"
sum() { sha256sum <"$1" | awk '{print $1}'; }

for url in "unix://@sipc-ex-fdpass-$$" "unixpacket://$T/p.sock"; do
	bg "$T/srv" "$EX/fdpass" serve "$url" 2
	spid=$BG_PID
	real=$(listening_url "$T/srv.err" 10) || { fail "$url: server did not start"; continue; }
	got=$(timeout "$(secs 20)" "$EX/fdpass" send "$real" "$T/data")
	expect_eq "$url: send exits 0" 0 $?
	expect_eq "$url: the server read the whole file" "ok 5000 bytes" "$got"
	wait_size "$T/srv" 5000 10
	expect_eq "$url: its bytes, through the descriptor" "$(sum "$T/data")" "$(sum "$T/srv")"
	check "$url: the server says what came" grep -qF "message \"$T/data\" with 1 descriptor" "$T/srv.err"
	printf 'second\n' >"$T/second"
	got=$(timeout "$(secs 20)" "$EX/fdpass" send "$real" "$T/second")
	expect_eq "$url: second client served" "ok 7 bytes" "$got"
	ended "$spid"
	expect_eq "$url: serve stops after COUNT clients, exit 0" 0 "$STATUS"
done

# A missing file: the client says so, exit 1.
"$EX/fdpass" send "unix://@sipc-ex-none-$$" "$T/nothing" 2>"$T/e"
expect_eq "missing file: exit 1" 1 $?
check "missing file: says why" grep -q "No such file or directory" "$T/e"
"$EX/fdpass" bogus 2>/dev/null
expect_eq "bad usage: exit 2" 2 $?

finish
