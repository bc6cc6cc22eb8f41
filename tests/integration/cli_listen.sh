#!/bin/bash
# cli_listen.sh - listen on a unix path ends on SIGTERM and SIGINT the way
# serve does: its socket file is removed, while waiting for a peer and
# while relaying one (--keep-open), over unix and unixgram; a file put at
# the path by someone else meanwhile is left alone.  It still dies by the
# signal, so its parent sees how it ended.
. "$(dirname "$0")/../support/lib.sh"

# start_listen NAME URL [OPTIONS...]: listen in the background with SIGINT
# at its default (a background job of a script ignores it); waits for its
# listening line.  Its pid in $BG_PID.
start_listen() {
	local name=$1 url=$2
	shift 2
	bg "$T/$name" env --default-signal=INT,TERM "$SOCKIPC" listen "$@" "$url" </dev/null
	wait_line "$T/$name.err" '^listening ' 10 >/dev/null
}
# gone PID: waits (bounded) until PID has exited; its status in $STATUS.
gone() {
	local i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $((100 * SCALE)) ]; do
		sleep 0.05
		i=$((i + 1))
	done
	wait "$1" 2>/dev/null
	STATUS=$?
}

for sig in TERM INT; do
	for scheme in unix unixgram; do
		p=$T/$scheme-$sig.sock
		start_listen "$scheme-$sig" "$scheme://$p"
		check "$scheme, SIG$sig: the socket file is there while listening" test -S "$p"
		kill -"$sig" "$BG_PID"
		gone "$BG_PID"
		expect_eq "$scheme, SIG$sig: ended by the signal" $((128 + $(kill -l "$sig"))) "$STATUS"
		check "$scheme, SIG$sig: the socket file is removed" test ! -e "$p"
	done
done

# ---- while relaying a peer (--keep-open keeps the listener and its file)
p=$T/relay.sock
start_listen relay "unix://$p" --keep-open
lis=$BG_PID
mkfifo "$T/fifo"
exec 7<>"$T/fifo" # the peer's stdin stays open while we hold this end
# Its stdin is the fifo read-only (an async command's own stdin would be
# /dev/null), without our fd 7, so closing ours ends its stdin.
bg "$T/peer" bash -c 'exec 7>&-; exec "$0" connect "$1" <"$2"' "$SOCKIPC" "unix://$p" "$T/fifo"
peer=$BG_PID
printf 'hello\n' >&7
wait_line "$T/relay" '^hello$' 10 >/dev/null
kill -TERM "$lis"
gone "$lis"
expect_eq "relaying with --keep-open, SIGTERM: ended by the signal" 143 "$STATUS"
exec 7>&-
gone "$peer"
check "relaying with --keep-open, SIGTERM: the socket file is removed" test ! -e "$p"

# ---- a path someone else has taken over is not theirs to remove
p=$T/taken.sock
start_listen first "unix://$p"
first=$BG_PID
rm -f "$p"
start_listen second "unix://$p" # binds the path afresh: now it is the second's
kill -INT "$first"
gone "$first"
check "replaced path: the first listen ended on SIGINT" test "$STATUS" -eq 130
check "replaced path: the new socket file stays" test -S "$p"
kill -TERM "$BG_PID"
gone "$BG_PID"
check "replaced path: its owner removes it on SIGTERM" test ! -e "$p"
start_listen third "unix://$p"
rm -f "$p"
echo data >"$p"
kill -TERM "$BG_PID"
gone "$BG_PID"
check "replaced by a regular file: the file stays" test -f "$p"
finish
