# cli_proxy_peers.sh - sockipc as a client through real proxies from
# Debian: microsocks (SOCKS5, with and without a user), tinyproxy (HTTP
# CONNECT, with and without Basic authentication, ConnectPort rules) and
# dante-server (SOCKS5 and SOCKS4, a ruleset, username authentication),
# each on loopback with a generated configuration.  For each: bytes go
# through to a sockipc echo and back (connect and send), socks5 resolves
# the name here and socks5h sends it (the trace says which), good and bad
# credentials, a destination the proxy's rules refuse, a closed port
# (Connection refused through the proxy), tls:// through the tunnel with
# the certificate checked against the destination's name, forward
# --proxy, and a short bench --proxy.  Every refusal has its message.
. "$(dirname "$0")/../support/lib.sh"
need microsocks tinyproxy danted openssl

bash "$SIPC_SOURCE_DIR/tests/support/tls-certs.sh" "$T/certs" >/dev/null 2>"$T/certs.err" ||
	{ cat "$T/certs.err" >&2; fail "tls-certs.sh made the test certificates"; finish; }
C=$T/certs

# The destinations: an echo, a TLS echo (CN localhost) and one whose
# certificate is for other.example.
bg "$T/e" "$SOCKIPC" serve -e 'tcp://127.0.0.1:0 echo'
E=$(port_of "$(listening_url "$T/e" 10)")
bg "$T/te" "$SOCKIPC" serve --cert "$C/server.pem" --key "$C/server.key" -e 'tls://127.0.0.1:0 echo'
TE=$(port_of "$(listening_url "$T/te" 10)")
bg "$T/to" "$SOCKIPC" serve --cert "$C/other.pem" --key "$C/other.key" -e 'tls://127.0.0.1:0 echo'
TO=$(port_of "$(listening_url "$T/to" 10)")
# Ports for the proxies, and one nobody listens on (closed).
read -r M MA H HA D DA CLOSED BLOCKED <<<"$(free_ports 8)"

# ---------------------------------------------------------------- peers
bg "$T/m" microsocks -i 127.0.0.1 -p "$M"
bg "$T/ma" microsocks -i 127.0.0.1 -p "$MA" -u alice -P s3cret

tinyconf() { # PORT [BasicAuth line]
	printf 'Port %s\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nMaxClients 20\n' "$1"
	printf 'ConnectPort %s\nConnectPort %s\nConnectPort %s\nConnectPort %s\n' "$E" "$TE" "$TO" "$CLOSED"
	[ -n "${2:-}" ] && echo "$2"
	echo 'LogLevel Info'
}
tinyconf "$H" >"$T/h.conf"
tinyconf "$HA" 'BasicAuth alice s3cret' >"$T/ha.conf"
bg "$T/h" tinyproxy -d -c "$T/h.conf"
bg "$T/ha" tinyproxy -d -c "$T/ha.conf"

# dante: loopback in and out, the BLOCKED port refused by its ruleset.
danteconf() { # PORT METHOD
	cat <<-EOF
		logoutput: stderr
		internal: 127.0.0.1 port = $1
		external: 127.0.0.1
		clientmethod: none
		socksmethod: $2
		client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
		socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 port = $BLOCKED log: error }
		socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 log: error }
		socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 log: error }
	EOF
}
danteconf "$D" none >"$T/d.conf"
danteconf "$DA" username >"$T/da.conf"
DANTED=$(PATH=$PATH:/usr/sbin:/usr/local/sbin command -v danted)
bg "$T/d" "$DANTED" -f "$T/d.conf" -p "$T/d.pid" -N 1
bg "$T/da" "$DANTED" -f "$T/da.conf" -p "$T/da.pid" -N 1

for p in "$M" "$MA" "$H" "$HA" "$D" "$DA"; do tcp_listening "$p" 10 || fail "proxy on port $p came up"; done

# via PROXY URL MESSAGE [OPTIONS...]: one framed message through PROXY,
# its reply on stdout, errors in $T/err.
via() { local px=$1 url=$2 msg=$3; shift 3; timeout "$(secs 20)" "$SOCKIPC" send --timeout "$(secs 5)000" --proxy "$px" "$@" "$url" "$msg" 2>"$T/err"; }
# refused DESCRIPTION WANT PROXY URL [OPTIONS...]: the dial fails (exit 1)
# with WANT in the message.
refused() {
	local d=$1 want=$2 rc=0
	shift 2
	via "$1" "$2" x "${@:3}" >/dev/null || rc=$?
	expect_eq "$d: exit 1" 1 "$rc"
	if grep -qF -- "$want" "$T/err"; then pass "$d: says '$want'"; else fail "$d: want [$want] in [$(cat "$T/err")]"; fi
	if grep -q s3cret "$T/err"; then fail "$d: the message shows the password"; fi
}

# connect_round PROXY URL DESCRIPTION [OPTIONS...]: connect relays a line
# through PROXY and back; stdin stays open until the echo is there
# (microsocks closes both ways at the first end of stream).
connect_round() {
	local px=$1 url=$2 d=$3 pid
	shift 3
	rm -f "$T/fifo" "$T/c"
	mkfifo "$T/fifo"
	# Read-write: opening it does not wait for the reader, which opens
	# it in bg's child.
	exec 3<>"$T/fifo"
	bg "$T/c" "$SOCKIPC" connect --proxy "$px" "$@" "$url" <"$T/fifo" 3>&-
	pid=$BG_PID
	echo "line through $d" >&3
	if wait_line "$T/c" "^line through $d\$" 10 >/dev/null; then pass "$d: connect: bytes round-trip"; else fail "$d: connect: bytes round-trip"; fi
	exec 3>&-
	ended "$pid"
	expect_eq "$d: connect exits 0 at the end" 0 "$STATUS"
}

# ------------------------------------------------------------ microsocks
expect_eq "microsocks socks5: send round-trips" "hello" "$(via "socks5://127.0.0.1:$M" "tcp://127.0.0.1:$E" hello)"
connect_round "socks5h://127.0.0.1:$M" "tcp://localhost:$E" microsocks-socks5h
# Where the name is resolved: socks5 asks for the address it resolved,
# socks5h for the name.
via "socks5://127.0.0.1:$M" "tcp://localhost:$E" x --trace >/dev/null
check "socks5: localhost resolved here (CONNECT 127.0.0.1)" grep -q "trace: proxy socks5 CONNECT 127.0.0.1:$E = granted" "$T/err"
via "socks5h://127.0.0.1:$M" "tcp://localhost:$E" x --trace >/dev/null
check "socks5h: the name is sent (CONNECT localhost)" grep -q "trace: proxy socks5h CONNECT localhost:$E = granted" "$T/err"
check "the trace shows the connection to the proxy" grep -q "trace: connect(.*tcp://127.0.0.1:$M) = 0" "$T/err"

expect_eq "microsocks with a user: the right password" "ok" \
	"$(via "socks5://alice:s3cret@127.0.0.1:$MA" "tcp://127.0.0.1:$E" ok --trace)"
check "the trace names the user" grep -q "proxy socks5 auth user=alice = ok" "$T/err"
check "the trace never shows the password" bash -c "! grep -q s3cret '$T/err'"
refused "microsocks: bad password" \
	"via socks5://alice@127.0.0.1:$MA: The proxy refused or failed: the SOCKS5 proxy refused user 'alice' and its password" \
	"socks5://alice:wrong@127.0.0.1:$MA" "tcp://127.0.0.1:$E"
refused "microsocks: no credentials" "the SOCKS5 proxy requires authentication" \
	"socks5://127.0.0.1:$MA" "tcp://127.0.0.1:$E"
refused "microsocks: closed port" \
	"sockipc: send tcp://127.0.0.1:$CLOSED: via socks5://127.0.0.1:$M: Connection refused: SOCKS5 reply 0x05" \
	"socks5://127.0.0.1:$M" "tcp://127.0.0.1:$CLOSED"
refused "no proxy at that port" "Connection refused: connecting to the proxy at tcp://127.0.0.1:$CLOSED" \
	"socks5://127.0.0.1:$CLOSED" "tcp://127.0.0.1:$E"

# TLS through the tunnel, checked against the destination's name.
expect_eq "microsocks: tls:// through socks5h, verified" "secret" \
	"$(via "socks5h://127.0.0.1:$M" "tls://localhost:$TE" secret --ca "$C/ca.pem")"
refused "microsocks: tls:// to a certificate for another name" "other.example" \
	"socks5h://127.0.0.1:$M" "tls://localhost:$TO" --ca "$C/ca.pem"

timeout "$(secs 30)" "$SOCKIPC" bench --proxy "socks5://127.0.0.1:$M" -c 2 -n 200 "tcp://127.0.0.1:$E" >"$T/bench" 2>"$T/bench.err"
expect_eq "bench --proxy through microsocks: every echo back" 0 $?
check "bench reports its messages" grep -q "200" "$T/bench"

# scan --proxy: SOCKS5 says why a connect failed, so open and closed are
# told apart through it; the name goes to the proxy with socks5h.
timeout "$(secs 30)" "$SOCKIPC" scan -v --proxy "socks5h://127.0.0.1:$M" \
	"tcp://localhost:$E,$CLOSED" >"$T/scan" 2>"$T/scan.err"
expect_eq "scan --proxy through microsocks: exit 0 (a port is open)" 0 $?
check "scan --proxy: the echo port is open" grep -qx "tcp://localhost:$E open.*" "$T/scan"
check "scan --proxy: the closed port is closed" grep -qx "tcp://localhost:$CLOSED closed.*" "$T/scan"
timeout "$(secs 30)" "$SOCKIPC" scan --proxy "socks5://127.0.0.1:$M" "udp://127.0.0.1:$E" 2>"$T/scanu.err"
expect_eq "scan --proxy with a udp URL: usage error" 2 $?
check "scan --proxy with a udp URL: says why" grep -q "a proxy carries TCP streams" "$T/scanu.err"

# ------------------------------------------------------------- tinyproxy
# An HTTP proxy does not say why it could not connect: through it a port
# that is not open is filtered, not closed.
timeout "$(secs 30)" "$SOCKIPC" scan -v --proxy "http://127.0.0.1:$H" \
	"tcp://127.0.0.1:$E,$CLOSED" >"$T/scanh" 2>"$T/scanh.err"
check "scan --proxy through tinyproxy: the echo port is open" grep -qx "tcp://127.0.0.1:$E open.*" "$T/scanh"
check "scan --proxy through tinyproxy: the closed port is filtered" \
	grep -qx "tcp://127.0.0.1:$CLOSED filtered.*" "$T/scanh"
expect_eq "tinyproxy: send round-trips" "hello" "$(via "http://127.0.0.1:$H" "tcp://localhost:$E" hello --trace)"
check "tinyproxy: the trace shows the status line" \
	grep -Eq "trace: proxy http CONNECT localhost:$E = HTTP/1.[01] 200" "$T/err"
connect_round "http://127.0.0.1:$H" "tcp://localhost:$E" tinyproxy
refused "tinyproxy: port not in ConnectPort" "via http://127.0.0.1:$H: The proxy refused or failed: HTTP/1.1 403" \
	"http://127.0.0.1:$H" "tcp://localhost:$BLOCKED"
refused "tinyproxy: closed port" "HTTP/1.1 500" "http://127.0.0.1:$H" "tcp://localhost:$CLOSED"
expect_eq "tinyproxy with BasicAuth: the right password" "ok" \
	"$(via "http://alice:s3cret@127.0.0.1:$HA" "tcp://localhost:$E" ok)"
refused "tinyproxy: no credentials" "407 Proxy Authentication Required (give a user and password" \
	"http://127.0.0.1:$HA" "tcp://localhost:$E"
refused "tinyproxy: bad password" "(user 'alice' and its password refused)" \
	"http://alice:wrong@127.0.0.1:$HA" "tcp://localhost:$E"
expect_eq "tinyproxy: tls:// through CONNECT, verified" "secret" \
	"$(via "http://127.0.0.1:$H" "tls://localhost:$TE" secret --ca "$C/ca.pem")"

# ----------------------------------------------------------------- dante
expect_eq "dante socks5: send round-trips" "hello" "$(via "socks5://127.0.0.1:$D" "tcp://127.0.0.1:$E" hello)"
expect_eq "dante socks5h: localhost resolved by dante" "hello" "$(via "socks5h://127.0.0.1:$D" "tcp://localhost:$E" hello)"
expect_eq "dante socks4: send round-trips" "hello" "$(via "socks4://127.0.0.1:$D" "tcp://localhost:$E" hello)"
connect_round "socks5h://127.0.0.1:$D" "tcp://localhost:$E" dante
refused "dante: destination refused by its ruleset" \
	"via socks5h://127.0.0.1:$D: The proxy refused or failed: SOCKS5 reply 0x02: connection not allowed by ruleset" \
	"socks5h://127.0.0.1:$D" "tcp://localhost:$BLOCKED"
refused "dante socks4: destination refused" "SOCKS4 reply 91: request rejected or failed" \
	"socks4://127.0.0.1:$D" "tcp://127.0.0.1:$BLOCKED"
refused "dante: closed port" "Connection refused: SOCKS5 reply 0x05" \
	"socks5://127.0.0.1:$D" "tcp://127.0.0.1:$CLOSED"
refused "dante: unknown user" "the SOCKS5 proxy refused user 'nosuchuser' and its password" \
	"socks5://nosuchuser:s3cret@127.0.0.1:$DA" "tcp://127.0.0.1:$E"
expect_eq "dante: tls:// through socks5h, verified" "secret" \
	"$(via "socks5h://127.0.0.1:$D" "tls://localhost:$TE" secret --ca "$C/ca.pem")"
# (connect over TLS through dante, which passes the half-close on:
# microsocks ends both ways at the first end, so TLS's close_notify
# would never come back through it.)
connect_round "socks5://127.0.0.1:$D" "tls://localhost:$TE" dante-tls --ca "$C/ca.pem"

# ------------------------------------------------------ forward --proxy
bg "$T/f" "$SOCKIPC" serve \
	-e "tcp://127.0.0.1:0 forward --proxy=socks5h://127.0.0.1:$M tcp://localhost:$E" \
	-e "tcp://127.0.0.1:0 forward --proxy=http://alice:s3cret@127.0.0.1:$HA tcp://localhost:$E" \
	-e "tcp://127.0.0.1:0 forward --proxy=socks5://127.0.0.1:$M --ca=$C/ca.pem tls://localhost:$TE" \
	-e "tcp://127.0.0.1:0 forward --proxy=http://127.0.0.1:$H tcp://localhost:$BLOCKED"
wait_count "$T/f" '^listening ' 4 10 || fail "serve with forward --proxy came up"
F1=$(nth_port "$T/f" 1) F2=$(nth_port "$T/f" 2) F3=$(nth_port "$T/f" 3) F4=$(nth_port "$T/f" 4)
expect_eq "forward --proxy through microsocks" "fwd" "$("$SOCKIPC" send "tcp://127.0.0.1:$F1" fwd 2>&1)"
expect_eq "forward --proxy through tinyproxy with a user" "fwd" "$("$SOCKIPC" send "tcp://127.0.0.1:$F2" fwd 2>&1)"
expect_eq "forward --proxy to a tls:// backend through microsocks" "fwd" "$("$SOCKIPC" send "tcp://127.0.0.1:$F3" fwd 2>&1)"
"$SOCKIPC" send "tcp://127.0.0.1:$F4" fwd >/dev/null 2>&1
wait_line "$T/f.err" "end=backend tcp://localhost:$BLOCKED via http://127.0.0.1:$H: The proxy refused or failed: HTTP/1.1 403" 10 >/dev/null
check "forward --proxy: the proxy's refusal on the close line" test $? -eq 0
check "forward --proxy: no password in the log" bash -c "! grep -q s3cret '$T/f.err'"
stop_bg "$BG_PID"

# Proxies that are not: sockipc listen plays one that says nothing, one
# that ends at once, and one that speaks another protocol.
bg "$T/ls" bash -c "sleep 600 | exec '$SOCKIPC' listen tcp://127.0.0.1:0"
LS=$(port_of "$(wait_line "$T/ls.err" '^listening ' 10 | awk '{print $2}')")
rc=0; timeout "$(secs 20)" "$SOCKIPC" connect -w 1 --proxy "socks5://127.0.0.1:$LS" "tcp://127.0.0.1:$E" </dev/null 2>"$T/err" || rc=$?
expect_eq "a silent proxy: exit 1" 1 "$rc"
check "a silent proxy: timed out within --connect-timeout, waiting for its reply" \
	grep -q "via socks5://127.0.0.1:$LS: Timed out: waiting for the socks5 proxy's reply" "$T/err"
bg "$T/le" "$SOCKIPC" listen tcp://127.0.0.1:0 </dev/null
LE=$(port_of "$(wait_line "$T/le.err" '^listening ' 10 | awk '{print $2}')")
refused "a proxy that closes at once" "the http proxy closed the connection without a reply" \
	"http://127.0.0.1:$LE" "tcp://127.0.0.1:$E"
bg "$T/lg" bash -c "printf 'SSH-2.0-OpenSSH\\r\\n' | exec '$SOCKIPC' listen tcp://127.0.0.1:0"
LG=$(port_of "$(wait_line "$T/lg.err" '^listening ' 10 | awk '{print $2}')")
refused "a proxy speaking SSH" 'the socks5 proxy'"'"'s greeting reply is not SOCKS5: "SS"' \
	"socks5://127.0.0.1:$LG" "tcp://127.0.0.1:$E"

# Usage errors name the option.
"$SOCKIPC" connect --proxy "gopher://127.0.0.1:$M" "tcp://127.0.0.1:$E" </dev/null 2>"$T/u"
expect_eq "a bad proxy URL is a usage error" 2 $?
check "and names --proxy" grep -q "connect: --proxy: proxy URL: unknown scheme 'gopher'" "$T/u"
"$SOCKIPC" send --proxy "socks5://127.0.0.1:$M" "udp://127.0.0.1:$E" x 2>"$T/u"
expect_eq "udp through a proxy is a usage error" 2 $?
check "and says why" grep -q "a proxy carries TCP streams" "$T/u"
finish
