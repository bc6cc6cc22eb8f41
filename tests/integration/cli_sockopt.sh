#!/bin/bash
# cli_sockopt.sh - socket options written in the URL's query, through the
# real program: `--trace` of connect, listen, send and serve shows one
# setsockopt line per option (strace's form, level included) and the data
# still flows; serve's `listening` line shows the real address without the
# query; a bad option is exit 2 with a sentence that names it (unknown,
# repeated, bad value, wrong scheme), one the kernel refuses exit 1 naming
# it; serve --check prints the options back and its output reads back to
# the same; a '?' in a unix path is written %3F.
. "$(dirname "$0")/../support/lib.sh"

tr_has() { grep -qF -- "sockipc: trace: $2" "$1"; }

# ---- serve with options on its listener; connect with options of its own
bg "$T/srv" "$SOCKIPC" serve --trace -q 'tcp://127.0.0.1:0?rcvbuf=256K&keepalive=10&fastopen=4' echo
line=$(wait_line "$T/srv" '^listening ' 10)
check "serve: the listening line is the real address, without the query [$line]" \
	grep -qE '^listening tcp://127\.0\.0\.1:[0-9]+ echo$' <<<"$line"
url=$(awk '{print $2}' <<<"$line")
wait_line "$T/srv.err" 'TCP_FASTOPEN' 10 >/dev/null
lfd=$(sed -n 's/^sockipc: trace: listen(\([0-9]*\),.*/\1/p' "$T/srv.err" | head -1)
for want in "setsockopt($lfd, SOL_SOCKET, SO_RCVBUF, 262144) = 0" \
	"setsockopt($lfd, SOL_SOCKET, SO_KEEPALIVE, 1) = 0" \
	"setsockopt($lfd, IPPROTO_TCP, TCP_KEEPIDLE, 10) = 0" \
	"setsockopt($lfd, IPPROTO_TCP, TCP_FASTOPEN, 4) = 0"; do
	check "serve --trace: $want" tr_has "$T/srv.err" "$want"
done

opts='keepalive=30&keepintvl=5&keepcnt=3&rcvbuf=64K&sndbuf=32K&nodelay=0&ttl=17&tos=0x10'
opts+='&user_timeout=4000&fastopen=1&linger=5'
got=$(printf 'ping' | timeout "$(secs 20)" "$SOCKIPC" connect --trace "$url?$opts" 2>"$T/c.err"); rc=$?
expect_eq "connect with options: exit 0" 0 $rc
expect_eq "connect with options: the echo comes back" "ping" "$got"
cfd=$(sed -n 's/^sockipc: trace: connect(\([0-9]*\),.*/\1/p' "$T/c.err" | head -1)
for want in "SOL_SOCKET, SO_RCVBUF, 65536" "SOL_SOCKET, SO_SNDBUF, 32768" \
	"SOL_SOCKET, SO_KEEPALIVE, 1" "IPPROTO_TCP, TCP_KEEPIDLE, 30" "IPPROTO_TCP, TCP_KEEPINTVL, 5" \
	"IPPROTO_TCP, TCP_KEEPCNT, 3" "IPPROTO_IP, IP_TTL, 17" "IPPROTO_IP, IP_TOS, 16" \
	"IPPROTO_TCP, TCP_USER_TIMEOUT, 4000" "SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=5}" \
	"IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1" "IPPROTO_TCP, TCP_NODELAY, 0"; do
	check "connect --trace: setsockopt($cfd, $want) = 0" tr_has "$T/c.err" "setsockopt($cfd, $want) = 0"
done
# Options that decide what is sent go on before connect(); TCP_NODELAY
# (set on every connection) after it.
order=$(sed -n 's/^sockipc: trace: \([a-z]*\)(.*\(SO_RCVBUF\|TCP_FASTOPEN_CONNECT\|TCP_NODELAY\).*/\1 \2/p;
	s/^sockipc: trace: \(connect\)(.*/\1/p' "$T/c.err" | tr '\n' ' ')
expect_eq "connect --trace: buffers and fast open before connect, nodelay after" \
	"setsockopt SO_RCVBUF setsockopt TCP_FASTOPEN_CONNECT connect setsockopt TCP_NODELAY " "$order"
stop_server "serve with options" "$BG_PID" "$T/srv.err"

# ---- listen with options
bg "$T/lis" "$SOCKIPC" listen --trace 'tcp://127.0.0.1:0?rcvbuf=128K&reuseport=1&v6only=1'
url=$(listening_url "$T/lis.err" 10)
check "listen --trace: SO_RCVBUF" grep -qE "^sockipc: trace: setsockopt\([0-9]+, SOL_SOCKET, SO_RCVBUF, 131072\) = 0" "$T/lis.err"
check "listen --trace: SO_REUSEPORT" grep -qE "^sockipc: trace: setsockopt\([0-9]+, SOL_SOCKET, SO_REUSEPORT, 1\) = 0" "$T/lis.err"
check "listen --trace: no IPV6_V6ONLY on an IPv4 socket" bash -c "! grep -q IPV6_V6ONLY '$T/lis.err'"
check "listen: the listening line is the real address [$url]" grep -qE '^tcp://127\.0\.0\.1:[0-9]+$' <<<"$url"
printf 'x' | timeout "$(secs 20)" "$SOCKIPC" connect "$url" >/dev/null
ended "$BG_PID"
expect_eq "listen with options: a peer came and went, exit 0" 0 "$STATUS"

# ---- send on udp with unicast and multicast sending options
bg "$T/u" "$SOCKIPC" serve -q 'udp://127.0.0.1:0' echo
url=$(listening_url "$T/u" 10)
got=$(timeout "$(secs 20)" "$SOCKIPC" send --trace "$url?ttl=7&mcast_ttl=2&mcast_loop=0&sndbuf=16K" hello 2>"$T/s.err"); rc=$?
expect_eq "send udp with options: reply" "hello" "$got"
for want in "IPPROTO_IP, IP_TTL, 7" "IPPROTO_IP, IP_MULTICAST_TTL, 2" "IPPROTO_IP, IP_MULTICAST_LOOP, 0" \
	"SOL_SOCKET, SO_SNDBUF, 16384"; do
	check "send --trace: $want" grep -qE "^sockipc: trace: setsockopt\([0-9]+, $want\) = 0" "$T/s.err"
done
stop_bg "$BG_PID"

# ---- bad options: exit 2, the sentence names the option
bad() { # DESCRIPTION WANT-IN-STDERR CMD...
	local d=$1 want=$2 rc
	shift 2
	timeout "$(secs 20)" "$SOCKIPC" "$@" </dev/null >/dev/null 2>"$T/bad.err"
	rc=$?
	expect_eq "$d: exit 2" 2 $rc
	check "$d: says [$want]" grep -qF -- "$want" "$T/bad.err"
}
bad "nodelay on udp" "option nodelay does not apply to udp:// (only to tcp and tls)" \
	connect 'udp://127.0.0.1:9?nodelay=1'
bad "keepalive on unix" "option keepalive does not apply to unix://" listen "unix://$T/k.sock?keepalive=5"
bad "iface on tcp" "option iface does not apply to tcp:// (only to udp)" connect 'tcp://127.0.0.1:9?iface=lo'
bad "fastopen on unixpacket" "option fastopen does not apply to unixpacket://" \
	listen "unixpacket://$T/p?fastopen=1"
bad "unknown option" "unknown option 'bogus' (known: keepalive," listen 'tcp://127.0.0.1:0?bogus=1'
bad "repeated option" "option rcvbuf is given twice" send 'tcp://127.0.0.1:9?rcvbuf=1K&rcvbuf=2K' x
bad "bad value" "option nodelay: 'yes' is not 0 or 1" connect 'tcp://127.0.0.1:9?nodelay=yes'
bad "out of range" "option ttl: '300' is out of range 1-255" connect 'tcp://127.0.0.1:9?ttl=300'
bad "bad size" "option rcvbuf: '1T' is not a size" connect 'tcp://127.0.0.1:9?rcvbuf=1T'
bad "no value" "option linger has no value (write linger=VALUE)" connect 'tcp://127.0.0.1:9?linger'
bad "empty option" "empty option" connect 'tcp://127.0.0.1:9?ttl=3&'
bad "source off a group" "needs a multicast group address, not '127.0.0.1'" \
	listen 'udp://127.0.0.1:0?source=127.0.0.2'
bad "serve line" "option keepalive: '0' is out of range 1-32767" serve 'tcp://127.0.0.1:0?keepalive=0' echo
bad "hostile bytes are quoted" "unknown option '?[31m'" connect $'tcp://127.0.0.1:9?\e[31m=1'

# ---- an option only the open can judge (a join on a dial): still exit 2
timeout "$(secs 20)" "$SOCKIPC" connect 'udp://239.1.1.1:9?source=127.0.0.1' </dev/null 2>"$T/open.err"
rc=$?
expect_eq "option refused at open: exit 2" 2 $rc
check "option refused at open: named" grep -qF \
	"option source=127.0.0.1: a source-specific join is for listening on a group" "$T/open.err"

# ---- an option the kernel refuses: exit 1, named
timeout "$(secs 20)" "$SOCKIPC" connect 'tcp://127.0.0.1:9?device=nosuchdev0' </dev/null 2>"$T/ref.err"
rc=$?
expect_eq "refused option: exit 1" 1 $rc
check "refused option: named with the call" grep -qF \
	"No such device: option device=nosuchdev0 (setsockopt SO_BINDTODEVICE)" "$T/ref.err"

# ---- serve --check prints the options, and what it prints reads back
cat >"$T/opts.conf" <<'EOF'
tcp://127.0.0.1:0?rcvbuf=1048576&keepalive=10 echo
udp://239.1.2.3:5000?mcast_loop=0&iface=lo discard
EOF
"$SOCKIPC" serve --check "$T/opts.conf" >"$T/check1" 2>"$T/check1.err"
expect_eq "serve --check with options: exit 0" 0 $?
check "serve --check: the tcp line's options" grep -qF "'tcp://127.0.0.1:0?rcvbuf=1048576&keepalive=10'" "$T/check1"
check "serve --check: the udp line's options" grep -qF "'udp://239.1.2.3:5000?mcast_loop=0&iface=lo'" "$T/check1"
"$SOCKIPC" serve --check "$T/check1" >"$T/check2" 2>"$T/check2.err"
expect_eq "serve --check of its own output: exit 0" 0 $?
expect_eq "serve --check: its output reads back to the same" "$(grep -v '^#' "$T/check1")" "$(grep -v '^#' "$T/check2")"
printf 'tcp://127.0.0.1:0?rcvbuf=0 echo\n' >"$T/bad.conf"
bad "serve --check: a bad option in a file" "option rcvbuf: '0' is out of range" serve --check "$T/bad.conf"

# ---- forward puts its backend URL's options on the sockets it makes
bg "$T/be" "$SOCKIPC" serve -q 'tcp://127.0.0.1:0' echo
be=$(listening_url "$T/be" 10)
bg "$T/fw" "$SOCKIPC" serve -v 'tcp://127.0.0.1:0' forward "$be?device=nosuchdev0"
fw=$(listening_url "$T/fw" 10)
printf 'x' | timeout "$(secs 20)" "$SOCKIPC" connect "$fw" >/dev/null 2>&1
check "forward: a backend option the kernel refuses ends that connection, said" 	wait_line "$T/fw.err" 'end=backend .*device=nosuchdev0: No such device' 10
stop_server "forward with a refused option" "$BG_PID" "$T/fw.err"
bg "$T/fw2" "$SOCKIPC" serve -q 'tcp://127.0.0.1:0' forward "$be?keepalive=600"
fw=$(listening_url "$T/fw2" 10)
fw2_pid=$BG_PID
# A client whose stdin never ends (a FIFO held open) keeps the pair open.
mkfifo "$T/hold"
exec 9<>"$T/hold"
bg "$T/cl" "$SOCKIPC" connect "$fw" <&9
# The backend connection probes: ss shows its keepalive timer.
keepalive_timer() {
	local i
	for ((i = 0; i < 100 * SCALE; i++)); do
		ss -tno state established "( dport = :${be##*:} )" | grep -q 'timer:(keepalive' && return 0
		sleep 0.05
	done
	return 1
}
if command -v ss >/dev/null; then
	check "forward: keepalive=600 on the backend socket (ss shows its timer)" keepalive_timer
fi
stop_bg "$BG_PID"
stop_bg "$fw2_pid"

# ---- a '?' in a unix path is %3F, and the listening line writes it so
bg "$T/q" "$SOCKIPC" serve -q "unix://$T/a%3Fb?rcvbuf=64K" echo
line=$(wait_line "$T/q" '^listening ' 10)
expect_eq "unix path with %3F: listening line" "listening unix://$T/a%3Fb echo" "$line"
check "unix path with %3F: the file is named with a '?'" test -S "$T/a?b"
got=$(timeout "$(secs 20)" "$SOCKIPC" send "unix://$T/a%3Fb" hi); rc=$?
expect_eq "unix path with %3F: the echo answers" "hi" "$got"
stop_server "unix %3F" "$BG_PID" "$T/q.err"
bad "raw '?' in a unix path" "a '?' in a unix path is written %3F" connect "unix://$T/a?b"

finish
