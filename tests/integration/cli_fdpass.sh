#!/bin/bash
# cli_fdpass.sh - descriptors passed on unix URLs from the command line:
# `send --fd FILE` hands an open file over and `listen --recv-fd` writes
# what it reads (stdout, or a new file in DIR whose path it prints), on
# unix, unixgram and unixpacket, with --fd - (stdin's descriptor) and
# --trace; the usage errors; and hostile peers (fdpass_peer.py): 100
# descriptors in one message, a directory, a pipe never written, a
# message with none, a socket.  Each is a clear error for that message or
# peer only: the listener serves the next one, and its descriptor count
# stays what it was (nothing leaks).
. "$(dirname "$0")/../support/lib.sh"
need python3
PEER="python3 $(dirname "$0")/fdpass_peer.py"

head -c 70000 /dev/urandom >"$T/data"
printf 'hello, descriptor\n' >"$T/small"
sum() { sha256sum <"$1" | awk '{print $1}'; }
fds_of() { ls "/proc/$1/fd" | wc -l; }

# ---- each kind: the file's bytes on stdout, one report line on stderr
for kind in unix unixgram unixpacket; do
	url="$kind://$T/$kind.sock"
	bg "$T/l" "$SOCKIPC" listen --recv-fd --trace "$url"
	lpid=$BG_PID
	listening_url "$T/l.err" 10 >/dev/null
	timeout "$(secs 20)" "$SOCKIPC" send --trace --fd "$T/data" "$url" >"$T/s.out" 2>"$T/s.err"
	expect_eq "$kind: send --fd exits 0" 0 $?
	wait_line "$T/l.err" 'fd: received' 10 >/dev/null
	wait_size "$T/l" 70000 10
	expect_eq "$kind: listen --recv-fd writes the file's bytes" "$(sum "$T/data")" "$(sum "$T/l")"
	expect_eq "$kind: one report line" \
		"sockipc: listen: fd: received 1 descriptor (regular file, 70000 bytes)" \
		"$(grep 'fd: received' "$T/l.err")"
	check "$kind: --trace shows the sendmsg with SCM_RIGHTS" \
		grep -qE '^sockipc: trace: sendmsg\([0-9]+, [0-9]+ bytes, SCM_RIGHTS \[[0-9]+\]\) = [0-9]+$' "$T/s.err"
	check "$kind: --trace shows the recvmsg with SCM_RIGHTS" \
		grep -qE '^sockipc: trace: recvmsg\([0-9]+, [0-9]+ bytes\) = [0-9]+ SCM_RIGHTS \[[0-9]+\]$' "$T/l.err"
	expect_eq "$kind: send writes nothing" "" "$(cat "$T/s.out")"
	if [ $kind = unixgram ]; then
		stop_bg "$lpid" # a datagram listener takes every sender until stopped
	else
		ended "$lpid"
		expect_eq "$kind: listen ends with its peer, exit 0" 0 "$STATUS"
	fi
done

# ---- --fd - passes stdin's descriptor (a pipe here); several --fd, and a
# MESSAGE, in one message; --recv-fd=DIR saves each and prints its path
mkdir "$T/saved"
url="unixpacket://@sipc-fdpass-$$"
bg "$T/l" "$SOCKIPC" listen --recv-fd="$T/saved" "$url"
lpid=$BG_PID
listening_url "$T/l.err" 10 >/dev/null
printf 'through stdin' | timeout "$(secs 20)" "$SOCKIPC" send --fd "$T/small" --fd - "$url" hi
expect_eq "two --fd and a MESSAGE: send exits 0" 0 $?
ended "$lpid"
expect_eq "--recv-fd=DIR: listen exits 0" 0 "$STATUS"
expect_eq "--recv-fd=DIR: a path per descriptor on stdout" 2 "$(wc -l <"$T/l")"
p1=$(sed -n 1p "$T/l")
p2=$(sed -n 2p "$T/l")
expect_eq "--recv-fd=DIR: the first saved is the file" "$(cat "$T/small")" "$(cat "$p1")"
expect_eq "--recv-fd=DIR: the second is what stdin carried" "through stdin" "$(cat "$p2")"
expect_eq "--recv-fd=DIR: in DIR, mode 600" "$T/saved 600" "$(dirname "$p1") $(stat -c %a "$p1")"
expect_eq "--recv-fd=DIR: the report names both and the message" \
	"sockipc: listen: fd: received 2 descriptors (regular file, 18 bytes; pipe) with a message of 2 bytes" \
	"$(grep 'fd: received' "$T/l.err")"
check "--recv-fd=DIR: a saved line for each" test "$(grep -c 'fd: saved ' "$T/l.err")" = 2

# ---- usage errors (exit 2) and a file that cannot be opened (exit 1)
bad() { # DESCRIPTION STATUS REGEX ARGS...
	local d=$1 want=$2 re=$3
	shift 3
	"$SOCKIPC" "$@" </dev/null >/dev/null 2>"$T/bad.err"
	expect_eq "$d: exit $want" "$want" $?
	check "$d: says why" grep -qE -- "$re" "$T/bad.err"
}
bad "send --fd on tcp" 2 "send: --fd: only unix, unixgram and unixpacket URLs pass descriptors, not tcp://" \
	send --fd "$T/small" tcp://127.0.0.1:9
bad "send --fd on tls" 2 "not tls://" send --fd "$T/small" tls://127.0.0.1:9
bad "listen --recv-fd on udp" 2 "listen: --recv-fd: only unix, unixgram and unixpacket URLs" \
	listen --recv-fd udp://127.0.0.1:0
bad "send --fd with two MESSAGEs" 2 "give at most one MESSAGE" send --fd "$T/small" "unix://$T/x" a b
bad "send --fd with --raw" 2 "waits for no reply: not with --raw" send --fd "$T/small" --raw "unix://$T/x"
bad "listen --recv-fd with -e" 2 "not with -e or --sh-exec" listen --recv-fd -e cat "unix://$T/x"
bad "listen --recv-fd=" 2 "'=' without a value" listen --recv-fd= "unix://$T/x"
bad "send --fd of a missing file" 1 "send: --fd $T/nothing: No such file or directory" \
	send --fd "$T/nothing" "unix://$T/x"

# ---- hostile peers against one listener (-k): each is that peer's error
# only; the listener serves the next and keeps no descriptor of theirs
url="unix://$T/k.sock"
bg "$T/k" "$SOCKIPC" listen -k -i 1 --recv-fd "$url"
lpid=$BG_PID
listening_url "$T/k.err" 10 >/dev/null
timeout "$(secs 20)" "$SOCKIPC" send --fd "$T/small" "$url"
wait_count "$T/k.err" 'fd: received' 1 10
base=$(fds_of "$lpid")

timeout "$(secs 20)" $PEER many "$url" 100 >/dev/null
wait_line "$T/k.err" 'More descriptors came than there was room for' 10 >/dev/null
check "100 descriptors: a clear error, that peer ends" \
	grep -qE "listen $url: fd: More descriptors came than there was room for: the peer ends" "$T/k.err"

timeout "$(secs 20)" $PEER dir "$url" "$T/saved" >/dev/null
wait_line "$T/k.err" 'a directory' 10 >/dev/null
check "a directory: reported, nothing read" \
	grep -qE "listen $url: fd: a directory: nothing to read, closed" "$T/k.err"

timeout "$(secs 20)" $PEER nofd "$url" >/dev/null
wait_line "$T/k.err" 'without the expected descriptors' 10 >/dev/null
check "a message with none: dropped, said so" \
	grep -qE "fd: message dropped: The message came without the expected descriptors" "$T/k.err"

timeout "$(secs 20)" $PEER socket "$url" >/dev/null
wait_count "$T/k.err" 'fd: received 1 descriptor \(socket\)' 1 10

# A pipe nobody writes: -i 1 ends the wait on it, and then the peer.
timeout "$(secs 20)" $PEER pipe "$url" >/dev/null
wait_line "$T/k.err" 'no byte for 1000 ms' 10 >/dev/null
check "a pipe never written: given up after -i" grep -q "no byte for 1000 ms: 0 bytes taken, closed" "$T/k.err"

timeout "$(secs 20)" "$SOCKIPC" send --fd "$T/small" "$url"
wait_count "$T/k.err" 'fd: received 1 descriptor \(regular file' 2 10
{ cat "$T/small"; printf 'from a socket'; cat "$T/small"; } >"$T/k.want"
expect_eq "after them all: the files' and the socket's bytes on stdout, nothing else" \
	"$(sum "$T/k.want")" "$(sum "$T/k")"
# The last peer's connection may still be open for a moment: wait for
# the count to come back, bounded.
back_to_base() { [ "$(fds_of "$lpid")" -le "$base" ]; }
wait_until 5 back_to_base
expect_eq "the listener holds no descriptor of any peer" "$base" "$(fds_of "$lpid")"
check "the listener still runs" kill -0 "$lpid"
stop_bg "$lpid"

# ---- the same on unixgram: every datagram is its own message
url="unixgram://$T/g.sock"
bg "$T/g" "$SOCKIPC" listen --recv-fd "$url"
lpid=$BG_PID
listening_url "$T/g.err" 10 >/dev/null
base=$(fds_of "$lpid")
timeout "$(secs 20)" $PEER many "$url" 100 >/dev/null
wait_line "$T/g.err" 'More descriptors' 10 >/dev/null
check "unixgram, 100 descriptors: that message dropped, said so" \
	grep -qE "listen $url: fd: message dropped: More descriptors came than there was room for" "$T/g.err"
timeout "$(secs 20)" "$SOCKIPC" send --fd "$T/small" "$url"
wait_line "$T/g.err" 'fd: received 1 descriptor' 10 >/dev/null
wait_size "$T/g" 18 10
expect_eq "unixgram: the next sender is served" "$(cat "$T/small")" "$(cat "$T/g")"
expect_eq "unixgram: no descriptor kept" "$base" "$(fds_of "$lpid")"
stop_bg "$lpid"

finish
