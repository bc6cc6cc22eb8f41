#!/bin/bash
# cli_urgent.sh - urgent (out-of-band) data against a Python peer that uses
# MSG_OOB both ways (urgent_peer.py): `send --urgent BYTE` arrives out of
# band, for every way of writing BYTE, and the bad ones and the kinds
# without urgent data are usage errors; connect and listen report the
# peer's urgent byte on stderr (printable and not) and in --trace, never on
# stdout, which stays byte-exact with the mark anywhere in a long stream
# (spliced, copied, --hex); connect --urgent-on-quit sends one on SIGQUIT,
# after the bytes sent before it; serve's echo returns urgent data as
# urgent data, the mark between the same bytes, under every model, and a
# tls client's urgent byte never reaches echo nor breaks its records.
. "$(dirname "$0")/../support/lib.sh"
need python3
PEER="python3 $(dirname "$0")/urgent_peer.py"

# ---- send --urgent BYTE: each way of writing it reaches the peer out of band
for form in A:41 65:41 0x41:41 0X7f:7f 5:35 07:07 0x0:00 255:ff; do
	bg "$T/p" $PEER recv
	url=$(listening_url "$T/p" 10)
	timeout "$(secs 20)" "$SOCKIPC" send --trace --urgent "${form%%:*}" "$url" \
		>"$T/s.out" 2>"$T/s.err"
	rc=$?
	wait_line "$T/p" '^got=' 10 >/dev/null
	expect_eq "send --urgent ${form%%:*}: exit 0" 0 $rc
	expect_eq "send --urgent ${form%%:*}: the peer took 0x${form#*:} out of band, nothing in band" \
		"got=- before=- oob=${form#*:}" "$(grep '^got=' "$T/p")"
	stop_bg "$BG_PID"
done
check "send --urgent: --trace shows the send" \
	grep -qE "^sockipc: trace: send\([0-9]+, 0xff, MSG_OOB\) = 1$" "$T/s.err"
expect_eq "send --urgent: nothing on stdout" "" "$(cat "$T/s.out")"

# ---- bad BYTEs and kinds without urgent data: exit 2, saying why
bad() { # DESCRIPTION REGEX ARGS...
	local d=$1 re=$2
	shift 2
	"$SOCKIPC" "$@" >/dev/null 2>"$T/bad.err"
	expect_eq "$d: exit 2" 2 $?
	check "$d: says why" grep -qE -- "$re" "$T/bad.err"
}
bad "--urgent ''" "send: --urgent: empty: give one character" send --urgent '' tcp://127.0.0.1:9
bad "--urgent AB" "send: --urgent: 'AB' is not one byte" send --urgent AB tcp://127.0.0.1:9
bad "--urgent 256" "send: --urgent: '256' is out of range 0-255" send --urgent 256 tcp://127.0.0.1:9
bad "--urgent 0x100" "'0x100' is not a byte in hex" send --urgent 0x100 tcp://127.0.0.1:9
bad "--urgent 0xg" "'0xg' is not a byte in hex" send --urgent 0xg tcp://127.0.0.1:9
bad "--urgent on udp" "only tcp URLs carry urgent data, not udp://" send --urgent A udp://127.0.0.1:9
bad "--urgent on unix" "only tcp URLs carry urgent data, not unix://" send --urgent A "unix://$T/x"
bad "--urgent on tls" "not on tls URLs: the byte would pass beside the TLS records" \
	send --urgent A tls://127.0.0.1:9
bad "--urgent with a MESSAGE" "sends one byte and no MESSAGE" send --urgent A tcp://127.0.0.1:9 hi
bad "--urgent with --no-reply" "not with --no-reply" send --urgent A --no-reply tcp://127.0.0.1:9
bad "--urgent-on-quit on udp" "connect: --urgent-on-quit: only tcp URLs" \
	connect --urgent-on-quit A udp://127.0.0.1:9
bad "--urgent-on-quit 0xZZ" "connect: --urgent-on-quit: '0xZZ' is not a byte in hex" \
	connect --urgent-on-quit 0xZZ tcp://127.0.0.1:9

# ---- connect reports the peer's urgent byte on stderr; stdout byte-exact
# to a file (spliced), through a pipe, and copied (--hex), with the mark
# deep inside a long stream (a splice stops there for good).
for how in file pipe hex; do
	bg "$T/p" $PEER send 300000 200000 55
	url=$(listening_url "$T/p" 10)
	case $how in
	file) timeout "$(secs 30)" "$SOCKIPC" connect --trace "$url" </dev/null >"$T/c.out" 2>"$T/c.err" ;;
	pipe) timeout "$(secs 30)" "$SOCKIPC" connect --trace "$url" </dev/null 2>"$T/c.err" | cat >"$T/c.out" ;;
	hex) timeout "$(secs 30)" "$SOCKIPC" connect --trace --hex "$url" </dev/null >"$T/c.out" 2>"$T/c.err" ;;
	esac
	rc=${PIPESTATUS[0]}
	expect_eq "connect ($how): exit 0" 0 "$rc"
	sent=$(wait_line "$T/p" '^sent ' 10 | awk '{print $2}')
	expect_eq "connect ($how): stdout is the normal bytes, in order, byte-exact" \
		"$sent" "$(sha256sum <"$T/c.out" | awk '{print $1}')"
	expect_eq "connect ($how): one urgent line on stderr" "sockipc: urgent: 0x55 'U'" \
		"$(grep '^sockipc: urgent' "$T/c.err")"
	check "connect ($how): --trace shows the out-of-band recv" \
		grep -qE "^sockipc: trace: recv\([0-9]+, MSG_OOB\) = 1 0x55 'U'$" "$T/c.err"
	stop_bg "$BG_PID"
done

# ---- listen: a byte that is not printable is shown in hex only
bg "$T/l" "$SOCKIPC" listen --trace tcp://127.0.0.1:0 </dev/null
url=$(listening_url "$T/l.err" 10)
lpid=$BG_PID
bg "$T/p" $PEER dial-send "$url" 2 2 07
ended "$lpid"
expect_eq "listen: exit 0" 0 "$STATUS"
expect_eq "listen: stdout is the normal bytes only" "abcd" "$(cat "$T/l")"
expect_eq "listen: urgent line, hex only" "sockipc: urgent: 0x07" "$(grep '^sockipc: urgent' "$T/l.err")"
check "listen: --trace shows the out-of-band recv" \
	grep -qE "^sockipc: trace: recv\([0-9]+, MSG_OOB\) = 1 0x07$" "$T/l.err"
stop_bg "$BG_PID"

# ---- connect --urgent-on-quit: SIGQUIT sends the byte, after "hi"
bg "$T/p" $PEER recv
url=$(listening_url "$T/p" 10)
mkfifo "$T/fifo"
# The FIFO's only writer is this shell, opened after connect (which opens
# it in its own process: an open for reading waits for a writer), so
# closing 7 here is connect's end of stdin.
bg "$T/q" bash -c 'exec "$0" connect --trace --urgent-on-quit "!" "$1" <"$2"' \
	"$SOCKIPC" "$url" "$T/fifo"
qpid=$BG_PID
exec 7>"$T/fifo"
printf 'hi' >&7
wait_line "$T/p" '^read 2$' 10 >/dev/null
kill -QUIT "$qpid"
wait_line "$T/p" '^oob 21$' 10 >/dev/null
kill -QUIT "$qpid"
wait_count "$T/p" '^oob 21$' 2 10
printf 'yo' >&7
exec 7>&-
wait_line "$T/p" '^got=' 10 >/dev/null
ended "$qpid"
expect_eq "--urgent-on-quit: connect lives on and ends with exit 0" 0 "$STATUS"
# Each SIGQUIT is an urgent byte of its own (the peer took the first
# before the second was sent), none of them in the stream.
expect_eq "--urgent-on-quit: the peer took '!' twice, out of band, the first mark after 'hi'" \
	"got=6869796f before=6869 oob=2121" "$(grep '^got=' "$T/p")"
expect_eq "--urgent-on-quit: two sends traced" 2 \
	"$(grep -cE "^sockipc: trace: send\([0-9]+, 0x21 '!', MSG_OOB\) = 1$" "$T/q.err")"

# ---- serve echo: "ab" + urgent 'U' + "cd" comes back as "abcd" in band
# and 'U' out of band, the mark between b and c
bg "$T/srv" "$SOCKIPC" serve tcp://127.0.0.1:0 echo
url=$(listening_url "$T/srv" 10)
for i in 1 2 3; do
	timeout "$(secs 20)" $PEER dial-recv "$url" 2 2 55 >"$T/e"
	expect_eq "serve echo ($i): urgent back out of band, mark between b and c" \
		"got=61626364 before=6162 oob=55" "$(grep '^got=' "$T/e")"
done
# Long streams around the mark, in both directions at once.
timeout "$(secs 30)" $PEER dial-recv "$url" 70000 50000 00 >"$T/e"
sent=$(awk '/^sent /{print $2}' "$T/e")
expect_eq "serve echo (120000 bytes): urgent 0x00 back at byte 70000, the rest byte-exact" \
	"end len=120000 mark=70000 oob=00 sha=$sent" "$(grep '^end ' "$T/e")"
stop_server "serve echo" "$BG_PID" "$T/srv.err"

# ---- forward has no urgent data to pass on, but a client's urgent byte
# must not cut its stream: splice stops at the mark for good, so the
# relay copies from there (the byte itself is dropped)
bg "$T/be" "$SOCKIPC" serve tcp://127.0.0.1:0 echo
bepid=$BG_PID
url=$(listening_url "$T/be" 10)
bg "$T/fw" "$SOCKIPC" serve tcp://127.0.0.1:0 forward "$url"
url=$(listening_url "$T/fw" 10)
timeout "$(secs 20)" $PEER dial-recv "$url" 2 2 55 >"$T/e"
expect_eq "forward: the stream passes whole past the mark, the urgent byte dropped" \
	"got=61626364 before=- oob=-" "$(grep '^got=' "$T/e")"
timeout "$(secs 30)" $PEER dial-recv "$url" 70000 50000 55 >"$T/e"
sent=$(awk '/^sent /{print $2}' "$T/e")
expect_eq "forward (120000 bytes): the stream passes whole past the mark" \
	"end len=120000 mark=- oob=- sha=$sent" "$(grep '^end ' "$T/e")"
stop_server "serve forward" "$BG_PID" "$T/fw.err"
stop_server "serve echo behind forward" "$bepid" "$T/be.err"

# ---- the same under the other concurrency models
for model in thread fork; do
	bg "$T/srv.$model" "$SOCKIPC" serve --model $model tcp://127.0.0.1:0 echo
	url=$(listening_url "$T/srv.$model" 10)
	timeout "$(secs 20)" $PEER dial-recv "$url" 2 2 55 >"$T/e"
	expect_eq "serve --model $model echo: urgent back out of band, mark between b and c" \
		"got=61626364 before=6162 oob=55" "$(grep '^got=' "$T/e")"
	stop_server "serve --model $model echo" "$BG_PID" "$T/srv.$model.err"
done

# ---- tls:// has no urgent data: a client's urgent byte on the TCP
# connection below passes beside the records, never reaches echo, and the
# records around it are intact
if bash "$(dirname "$0")/../support/tls-certs.sh" "$T/c"; then
	bg "$T/tsrv" "$SOCKIPC" serve -v --cert "$T/c/server.pem" --key "$T/c/server.key" \
		tls://127.0.0.1:0 echo
	url=$(listening_url "$T/tsrv" 10)
	timeout "$(secs 20)" $PEER dial-tls "$url" "$T/c/ca.pem" >"$T/t"
	expect_eq "tls echo: the records around the byte come back, nothing urgent" \
		"tls got=61626364 urgent=no" "$(cat "$T/t")"
	wait_line "$T/tsrv.err" '^sockipc: close echo ' 10 >/dev/null
	check "tls echo: the connection ended cleanly (no TLS error)" \
		grep -qE '^sockipc: close echo .* in=4 out=4 .*end=done' "$T/tsrv.err"
	stop_server "serve tls echo" "$BG_PID" "$T/tsrv.err"
else
	fail "tls-certs.sh"
fi

finish
