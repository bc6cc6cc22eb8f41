#!/bin/bash
# cli_errors.sh - resolve, help and version, and every error path of the
# client: bad URL and bad option values (exit 2, naming the wrong part),
# refused, timed out and reset (exit 1, "sockipc: connect URL: reason"),
# a unix path of another socket type (the scheme to use instead),
# and a closed stdout (quiet exit 0).
. "$(dirname "$0")/../support/lib.sh"
need python3 getent
PEER="python3 $(dirname "$0")/cli_peer.py"

# ---- resolve, help, version
out=$("$SOCKIPC" resolve localhost echo); rc=$?
expect_eq "resolve localhost echo: exit 0" 0 $rc
want=""
for s in tcp udp; do
	for a in $(getent ahosts localhost | awk '$2 == "STREAM" {print $1}'); do
		case $a in *:*) a="[$a]" ;; esac
		want+="$s://$a:7"$'\n'
	done
done
expect_eq "resolve localhost echo: what getaddrinfo gives" "$(printf '%s' "$want" | sort)" "$(printf '%s\n' "$out" | sort)"
check "resolve lists 127.0.0.1 over tcp" grep -qx 'tcp://127.0.0.1:7' <<<"$out"
check "resolve lists udp too" grep -qx 'udp://127.0.0.1:7' <<<"$out"
expect_eq "resolve ::1 brackets it" "tcp://[::1]:7007" "$("$SOCKIPC" resolve ::1 7007 | head -1)"
err=$("$SOCKIPC" resolve no-such-host.invalid 2>&1 >/dev/null); rc=$?
expect_eq "resolve unknown host: exit 1" 1 $rc
check "resolve unknown host: says so" grep -q '^sockipc: resolve no-such-host.invalid: ' <<<"$err"
"$SOCKIPC" resolve localhost no-such-service 2>/dev/null
expect_eq "resolve unknown service: exit 2" 2 $?
check "--version" grep -qE '^sockipc [0-9]+\.[0-9]+' <<<"$("$SOCKIPC" --version)"
check "--help lists connect" grep -q connect <<<"$("$SOCKIPC" --help)"
for c in connect listen send resolve; do
	check "help $c" grep -q "usage: sockipc $c" <<<"$("$SOCKIPC" help "$c")"
done

# ---- usage errors: exit 2, naming the wrong part
err=$("$SOCKIPC" connect 'tcp://127.0.0.1:99999' 2>&1); rc=$?
expect_eq "bad port: exit 2" 2 $rc
check "bad port: message" grep -q "^sockipc: connect: bad URL 'tcp://127.0.0.1:99999': .*99999" <<<"$err"
err=$("$SOCKIPC" connect 'bogus://x' 2>&1); rc=$?
expect_eq "bad scheme: exit 2" 2 $rc
check "bad scheme: message" grep -q "bad URL 'bogus://x'" <<<"$err"
err=$("$SOCKIPC" connect --idle-timeout abc tcp://127.0.0.1:1 2>&1); rc=$?
expect_eq "bad --idle-timeout: exit 2" 2 $rc
check "bad --idle-timeout: names option and value" grep -q -- "--idle-timeout: 'abc'" <<<"$err"
err=$("$SOCKIPC" send --retries 99 udp://127.0.0.1:1 x 2>&1); rc=$?
expect_eq "--retries out of range: exit 2" 2 $rc
check "--retries out of range: message" grep -q -- "--retries: '99' is out of range" <<<"$err"
err=$("$SOCKIPC" connect --nope tcp://127.0.0.1:1 2>&1); rc=$?
expect_eq "unknown option: exit 2" 2 $rc
check "unknown option: named" grep -q -- "unknown option '--nope'" <<<"$err"
"$SOCKIPC" connect 2>/dev/null
expect_eq "missing URL: exit 2" 2 $?
"$SOCKIPC" connect --chunk 10 tcp://127.0.0.1:1 2>/dev/null
expect_eq "--chunk on a stream: exit 2" 2 $?
"$SOCKIPC" nosuch 2>/dev/null
expect_eq "unknown subcommand: exit 2" 2 $?

# ---- refused
bg "$T/closed" $PEER closed
url=$(listening_url "$T/closed" 10)
err=$("$SOCKIPC" connect "$url" </dev/null 2>&1); rc=$?
expect_eq "refused: exit 1" 1 $rc
expect_eq "refused: message" "sockipc: connect $url: Connection refused" "$err"
err=$("$SOCKIPC" connect --trace "$url" </dev/null 2>&1)
check "refused: --trace shows the failed connect" grep -q "^sockipc: trace: connect(.*ECONNREFUSED" <<<"$err"

# ---- a unix path of another socket type: the error says which scheme fits
bg "$T/gram" "$SOCKIPC" serve -e "unixgram://$T/gram.sock echo" -e "unix://$T/stream.sock echo"
check "serve on both paths" wait_count "$T/gram" "^listening " 2 10
err=$("$SOCKIPC" connect "unix://$T/gram.sock" </dev/null 2>&1); rc=$?
expect_eq "unix:// to a datagram socket: exit 1" 1 $rc
expect_eq "unix:// to a datagram socket: suggests the datagram schemes" \
	"sockipc: connect unix://$T/gram.sock: Protocol wrong type for socket (the socket at this path is not a stream socket: try unixgram:// or unixpacket://)" "$err"
err=$("$SOCKIPC" send "unixgram://$T/stream.sock" x 2>&1); rc=$?
expect_eq "send unixgram:// to a stream socket: exit 1" 1 $rc
check "send unixgram:// to a stream socket: suggests unix://" \
	grep -q "not a datagram socket: try unix:// or unixpacket://)$" <<<"$err"

# ---- connect timeout: a listener whose queue is full drops our SYN
bg "$T/full" $PEER full
url=$(listening_url "$T/full" 10)
start=$(date +%s%N)
err=$(timeout "$(secs 20)" "$SOCKIPC" connect --connect-timeout 0.5 "$url" </dev/null 2>&1); rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "connect timeout: exit 1" 1 $rc
check "connect timeout: message" grep -q "^sockipc: connect $url: .*[Tt]imed out" <<<"$err"
check "connect timeout: took about 0.5 s ($ms ms)" [ "$ms" -ge 450 -a "$ms" -lt $((5000 * SCALE)) ]

# ---- reset mid-transfer: exit 1, never hangs (stdin stays open)
bg "$T/reset" $PEER reset
url=$(listening_url "$T/reset" 10)
mkfifo "$T/fifo"
exec 7<>"$T/fifo" # read-write: never reaches end of file
timeout "$(secs 20)" "$SOCKIPC" connect "$url" <&7 2>"$T/reset.cerr" >"$T/reset.data"
rc=$?
exec 7>&-
n=$(wc -c <"$T/reset.data")
expect_eq "reset: exit 1" 1 $rc
expect_eq "reset: data before the reset delivered" 1000 "$n"
check "reset: message" grep -q "^sockipc: connect $url: Connection reset by peer" "$T/reset.cerr"

# ---- closed stdout: quiet, status 0
bg "$T/lis2" bash -c "head -c 50000000 /dev/zero | '$SOCKIPC' listen tcp://127.0.0.1:0"
url=$(listening_url "$T/lis2.err" 10)
timeout "$(secs 20)" "$SOCKIPC" connect "$url" </dev/null 2>"$T/head2.err" | head -c 10 >"$T/head2.out"
rc=${PIPESTATUS[0]}
got=$(wc -c <"$T/head2.out")
expect_eq "closed stdout: exit 0" 0 $rc
expect_eq "closed stdout: head got 10 bytes" 10 "$got"
expect_eq "closed stdout: nothing on stderr" "" "$(cat "$T/head2.err")"
finish
