# serve_proxy.sh - the socks5 and http-connect services of `sockipc serve`
# against a Python client (serve_proxy_peer.py), with a sockipc echo
# server as the destination: CONNECT by IPv4, IPv6 and name (resolved by
# the proxy) with bytes pipelined behind the request; RFC 1929 and Basic
# users, right and wrong; every reply code the services give (not
# allowed, refused, command and address type not supported, a bad name);
# --to with ports and a name that resolves to a forbidden address (never
# dialed); hostile requests sent byte by byte, each ending only its own
# client with a log line while a client opened before them keeps
# relaying; a request too slow or too large; the start-up lines and the
# start-up errors; peer bytes escaped in the log.
. "$(dirname "$0")/../support/lib.sh"

need python3

PEER="python3 $(dirname "$0")/serve_proxy_peer.py $(secs 10)"

# Start-up errors name what is wrong, and exit 2.
printf 'alice:secret\n# a comment\n\nno colon here\n' >"$T/bad.users"
"$SOCKIPC" serve tcp://127.0.0.1:0 socks5 --users="$T/bad.users" 2>"$T/e1"
expect_eq "a malformed users file stops the start" 2 $?
check "naming the file and the line" grep -q "socks5: --users=$T/bad.users: line 4: expected NAME:PASSWORD" "$T/e1"
"$SOCKIPC" serve tcp://127.0.0.1:0 http-connect --users="$T/none" 2>"$T/e2"
expect_eq "an unreadable users file stops the start" 2 $?
check "naming the file and why" grep -q "http-connect: --users=$T/none: No such file or directory" "$T/e2"
"$SOCKIPC" serve tcp://127.0.0.1:0 socks5 --to=10.0.0.0/8:80,0 2>"$T/e3"
expect_eq "a bad --to stops the start" 2 $?
check "naming the value" grep -q "socks5: --to: '10.0.0.0/8:80,0': ports must be" "$T/e3"
"$SOCKIPC" serve tcp://127.0.0.1:0 socks5 --user=alice:pw --user=alice:other 2>"$T/e4"
expect_eq "a user given twice stops the start" 2 $?
check "without quoting a password" bash -c "grep -q \"user 'alice' given twice\" '$T/e4' && ! grep -q other '$T/e4'"
"$SOCKIPC" serve udp://127.0.0.1:0 socks5 2>"$T/e5"
expect_eq "socks5 on udp is refused" 2 $?

# The destination: an echo server on 127.0.0.1 (and ::1 where there is
# one), logging each connection it gets.
V6=
python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null && V6=1
bg "$T/echo" "$SOCKIPC" serve -e 'tcp://127.0.0.1:0 echo' ${V6:+-e 'tcp://[::1]:0 echo'}
wait_count "$T/echo" '^listening ' $((V6 ? 2 : 1)) 10 || fail "echo server came up"
EP=$(nth_port "$T/echo" 1)
EP6=$(nth_port "$T/echo" 2)
# A TCP listener that never accepts, its queue full: the kernel drops
# further SYNs, so a connect to it neither succeeds nor fails in time.
python3 - >"$T/full" 2>&1 <<'EOF2' &
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
held = []
for i in range(4):
    c = socket.socket(); c.setblocking(False)
    try:
        c.connect(s.getsockname())
    except BlockingIOError:
        pass
    held.append(c)
print("full", s.getsockname()[1], flush=True)
time.sleep(3600)  # until the script ends it
EOF2
_pids+=("$!")
FULL=$(wait_line "$T/full" '^full' 10 | awk '{print $2}')
# A port nothing listens on.
read -r DEAD <<<"$(free_ports 1)"

printf 'alice:secret\nbob:pa:ss:word\n' >"$T/users"
bg "$T/srv" "$SOCKIPC" serve --workers 2 \
	-e 'tcp://127.0.0.1:0 socks5' \
	-e "tcp://127.0.0.1:0 socks5 --users=$T/users" \
	-e 'tcp://127.0.0.1:0 http-connect' \
	-e 'tcp://127.0.0.1:0 http-connect --user=alice:secret' \
	-e "tcp://127.0.0.1:0 socks5 --to=127.0.0.1/32:$EP --to=10.0.0.0/8" \
	-e 'tcp://127.0.0.1:0 socks5 --timeout=0.5' \
	-e 'tcp://127.0.0.1:0 http-connect --timeout=0.5' \
	-e 'tcp://127.0.0.1:0 socks5 --to=any'
SRV=$BG_PID
wait_count "$T/srv" '^listening ' 8 10 || fail "proxy server came up"
S5=$(nth_port "$T/srv" 1)
S5A=$(nth_port "$T/srv" 2)
HC=$(nth_port "$T/srv" 3)
HCA=$(nth_port "$T/srv" 4)
check "the listening line hides --user's password" \
	grep -q "^listening tcp://127.0.0.1:$HCA http-connect --user=alice:\*\*\*\$" "$T/srv"
check "no password on stdout or in the log" \
	bash -c "! grep -q secret '$T/srv' && ! grep -q 'alice:secret' '$T/srv.err'"
S5P=$(nth_port "$T/srv" 5)
S5T=$(nth_port "$T/srv" 6)
HCT=$(nth_port "$T/srv" 7)

# Start-up: who may come, where they may go; --to=any is loud.
check "start-up says the default: loopback only" grep -q "socks5 on tcp://127.0.0.1:$S5: local clients, without a password, may reach 127.0.0.0/8 any port, ::1/128 any port" "$T/srv.err"
check "start-up counts the users" grep -q "socks5 on tcp://127.0.0.1:$S5A: local clients, with a password (2 users)" "$T/srv.err"
check "start-up gives --to with its ports" grep -q "socks5 on tcp://127.0.0.1:$S5P: .* may reach 127.0.0.1/32 port $EP, 10.0.0.0/8 any port" "$T/srv.err"
check "--to=any is a WARNING" grep -q "WARNING: socks5 on tcp://127.0.0.1:[0-9]* forwards to ANY destination (--to=any): an open relay" "$T/srv.err"

# A client that stays open through everything below.
mkfifo "$T/hold.in"
spawn bash -c "exec $PEER hold $S5 127.0.0.1 $EP <'$T/hold.in' >'$T/hold.out'"
HOLD=$BG_PID
exec 7>"$T/hold.in"
wait_line "$T/hold.out" '^holding' 10 >/dev/null || fail "a client holds a tunnel open"

# SOCKS5 CONNECT, the pipelined bytes first through.
expect_eq "socks5 to an IPv4 address: pipelined bytes relayed, then both ways" \
	"method=0500 rep=00 relayed" "$($PEER socks $S5 v4 127.0.0.1 "$EP")"
expect_eq "socks5 to a name the proxy resolves (localhost)" \
	"method=0500 rep=00 relayed" "$($PEER socks $S5 name localhost "$EP")"
if [ -n "$V6" ]; then
	expect_eq "socks5 to an IPv6 address" "method=0500 rep=00 relayed" "$($PEER socks $S5 v6 ::1 "$EP6")"
	check "its log line" grep -q "socks5 tcp://127.0.0.1:$S5 peer=tcp://127.0.0.1:[0-9]* asked=\[::1\]:$EP6 dialed=tcp://\[::1\]:$EP6 result=ok" "$T/srv.err"
fi
check "a request is one log line: client, asked, dialed, result" grep -q "socks5 tcp://127.0.0.1:$S5 peer=tcp://127.0.0.1:[0-9]* asked=localhost:$EP dialed=tcp://127.0.0.1:$EP result=ok" "$T/srv.err"

# Reply codes (RFC 1928 section 6), each logged.
expect_eq "not allowed by --to: X'02'" "method=0500 rep=02 eof" "$($PEER socks $S5 v4 10.1.2.3 80)"
check "logged as denied" grep -q "socks5 tcp://127.0.0.1:$S5 .* asked=10.1.2.3:80 dialed=- result=denied: tcp://10.1.2.3:80 is not in --to" "$T/srv.err"
expect_eq "refused: X'05'" "method=0500 rep=05 eof" "$($PEER socks $S5 v4 127.0.0.1 "$DEAD")"
check "logged as refused" grep -q "asked=127.0.0.1:$DEAD dialed=tcp://127.0.0.1:$DEAD result=refused: Connection refused" "$T/srv.err"
expect_eq "BIND: X'07'" "method=0500 rep=07 eof" "$($PEER socks $S5 bind 127.0.0.1 "$EP")"
expect_eq "UDP ASSOCIATE: X'07'" "method=0500 rep=07 eof" "$($PEER socks $S5 udp 127.0.0.1 "$EP")"
check "logged as not supported" grep -q "asked=127.0.0.1:$EP dialed=- result=not-supported: UDP ASSOCIATE" "$T/srv.err"
expect_eq "an unknown address type: X'08'" "method=0500 rep=08 eof" "$($PEER socks $S5 atyp x 0)"
expect_eq "a name with a NUL: X'04'" "method=0500 rep=04 eof" "$($PEER socks $S5 rawname 'b"local\x00host"' 80)"
check "the NUL escaped in the log" grep -q 'asked=local%00host:80 dialed=- result=host-unreachable: not a host name' "$T/srv.err"
expect_eq "a name no resolver knows: X'04'" "method=0500 rep=04 eof" "$($PEER socks $S5 name no-such-host.invalid 80)"

# --to with ports; a name that resolves to a forbidden address is never
# dialed (DNS rebinding): the echo server sees no connection for it.
expect_eq "--to with a port: that port" "method=0500 rep=00 relayed" "$($PEER socks $S5P v4 127.0.0.1 "$EP")"
expect_eq "--to with a port: another port is X'02'" "method=0500 rep=02 eof" "$($PEER socks $S5P v4 127.0.0.1 "$DEAD")"
opens=$(grep -c 'open echo' "$T/echo.err")
expect_eq "a name that resolves outside --to: X'02'" "method=0500 rep=02 eof" "$($PEER socks $S5P name localhost "$DEAD")"
check "logged with the address it resolved to" grep -q "asked=localhost:$DEAD dialed=- result=denied: resolves to tcp://127.0.0.1:$DEAD is not in --to" "$T/srv.err"
expect_eq "and nothing was dialed" "$opens" "$(grep -c 'open echo' "$T/echo.err")"

# RFC 1929 users.
expect_eq "right user and password" "method=0502 auth=0100 rep=00 relayed" "$($PEER auth $S5A alice secret 127.0.0.1 "$EP")"
expect_eq "a password holding colons" "method=0502 auth=0100 rep=00 relayed" "$($PEER auth $S5A bob pa:ss:word 127.0.0.1 "$EP")"
check "the user in the log" grep -q "socks5 tcp://127.0.0.1:$S5A .* user=bob asked=127.0.0.1:$EP .* result=ok" "$T/srv.err"
expect_eq "wrong password: status 1, then closed" "method=0502 auth=0101 eof" "$($PEER auth $S5A alice wrong 127.0.0.1 "$EP")"
expect_eq "unknown user: status 1, then closed" "method=0502 auth=0101 eof" "$($PEER auth $S5A mallory secret 127.0.0.1 "$EP")"
check "logged as auth-failed, with the user" grep -q "socks5 tcp://127.0.0.1:$S5A .* user=mallory asked=- dialed=- result=auth-failed: wrong user name or password" "$T/srv.err"
expect_eq "no username/password method offered: X'FF'" "method=05ff eof" "$($PEER noauth-offered $S5A)"

# HTTP CONNECT.
expect_eq "CONNECT: 200, pipelined bytes relayed, then both ways" "200 relayed" "$($PEER http $HC 127.0.0.1:"$EP")"
expect_eq "CONNECT to a name" "200 relayed" "$($PEER http $HC localhost:"$EP")"
[ -n "$V6" ] && expect_eq "CONNECT to [::1]" "200 relayed" "$($PEER http $HC "[::1]:$EP6")"
expect_eq "CONNECT not allowed: 403" "403 eof" "$($PEER http $HC 10.1.2.3:443)"
check "logged as denied" grep -q "http-connect tcp://127.0.0.1:$HC .* asked=10.1.2.3:443 dialed=- result=denied" "$T/srv.err"
expect_eq "CONNECT refused: 502" "502 eof" "$($PEER http $HC 127.0.0.1:"$DEAD")"
expect_eq "CONNECT to an unknown name: 502" "502 eof" "$($PEER http $HC no-such-host.invalid:80)"
expect_eq "Basic credentials: 200" "200 relayed" "$($PEER http $HCA 127.0.0.1:"$EP" alice:secret)"
expect_eq "no credentials: 407 with a challenge" "407 challenge eof" "$($PEER http $HCA 127.0.0.1:"$EP")"
expect_eq "wrong credentials: 407" "407 challenge eof" "$($PEER http $HCA 127.0.0.1:"$EP" alice:nope)"
check "logged as auth-failed" grep -q "http-connect tcp://127.0.0.1:$HCA .* user=alice asked=127.0.0.1:$EP dialed=- result=auth-failed: wrong user name or password" "$T/srv.err"

# Hostile requests, byte by byte: each closes its own client only, with
# an answer where the protocol has one, and a log line.
hostile() { # PORT CASE WANT LOGTEXT
	expect_eq "hostile $2: answer and end" "$3" "$($PEER hostile "$1" "$2")"
	check "hostile $2: logged" grep -qF -- "$4" "$T/srv.err"
}
hostile $S5 empty "none eof" "close socks5 local=tcp://127.0.0.1:$S5 "
check "a connection without a request: no request line, its close line says so" \
	grep -q "close socks5 local=tcp://127.0.0.1:$S5 .* end=closed without a request" "$T/srv.err"
hostile $S5 s5-version4 "none eof" "result=bad-request: version 4, not 5"
hostile $S5 s5-version0 "none eof" "result=bad-request: version 0, not 5"
hostile $S5 s5-zero-methods "05ff eof" "result=auth-failed: no methods offered"
hostile $S5 s5-truncated-greeting "none eof" "result=bad-request: the client ended its side within its request (4 bytes unread)"
hostile $S5 s5-truncated-request "050005010001000000000000 eof" "result=bad-request: the client ended its side within its request (8 bytes unread)"
hostile $S5 s5-request-version "0500 eof" "result=bad-request: request version 4, not 5"
hostile $S5 s5-huge-name-length "050005010001000000000000 eof" "result=bad-request: the client ended its side within its request (45 bytes unread)"
hostile $S5 s5-name-nul "050005040001000000000000 eof" "asked=local%00host:80 dialed=- result=host-unreachable: not a host name"
hostile $S5 s5-name-empty "050005040001000000000000 eof" "asked=:80 dialed=- result=host-unreachable: not a host name"
hostile $S5 s5-name-newline "050005040001000000000000 eof" "asked=x%0Asockipc:%20FAKE%20line:80"
hostile $S5A s5-auth-version "05020101 eof" "result=bad-request: username/password version 5, not 1"
hostile $S5A s5-auth-huge-lengths "05020101 eof" "result=bad-request: the client ended its side within its request (32 bytes unread)"
hostile $S5A s5-auth-user-newline "05020101 eof" "user=eve%0Asockipc:%20FAKE asked=- dialed=- result=auth-failed"
hostile $HC h-get "405 eof" "result=not-supported: method GET (CONNECT only)"
hostile $HC h-lowercase "405 eof" "result=not-supported: method connect (CONNECT only)"
hostile $HC h-no-port "400 eof" "result=bad-request: a target without :PORT"
hostile $HC h-port-zero "400 eof" "result=bad-request: a port not in 1..65535"
hostile $HC h-port-big "400 eof" "result=bad-request: a port not in 1..65535"
hostile $HC h-version "400 eof" "result=bad-request: a request line not 'METHOD TARGET HTTP/1.x'"
hostile $HC h-bare-lf "400 eof" "result=bad-request: a LF without CR"
hostile $HC h-bare-cr "400 eof" "result=bad-request: a CR not followed by LF"
hostile $HC h-nul "400 eof" "result=bad-request: control byte 0x00 in the request"
hostile $HC h-folded "400 eof" "result=bad-request: a folded header line"
hostile $HC h-no-colon "400 eof" "result=bad-request: a header line without 'NAME:'"
hostile $HC h-space-name "400 eof" "result=bad-request: a header name that is not a token"
hostile $HC h-name-injection "400 eof" "result=bad-request: a request line without a version"
hostile $HC h-bad-host "400 eof" "asked=ex%2541mple.com:80 dialed=- result=bad-request: not a host name"
hostile $HC h-bad-v6 "400 eof" "result=bad-request: not a host name"
hostile $HC h-empty-line "400 eof" "result=bad-request: an empty request line"
hostile $HC h-two-auth "400 eof" "result=bad-request: Proxy-Authorization given twice"
hostile $HC h-truncated "400 eof" "result=bad-request: the client ended its side within its request"
expect_eq "a request line of 100 KB: 400 at the buffer's size" "400 eof" "$($PEER huge-line $HC)"
check "logged" grep -q "http-connect tcp://127.0.0.1:$HC .* result=bad-request: request longer than 8192 bytes" "$T/srv.err"
check "no line of the log was made by a peer" bash -c "! grep -q '^sockipc: FAKE' '$T/srv.err'"

# Too slow: ended by --timeout, with 408 on HTTP.
expect_eq "socks5: half a greeting, then nothing" "none eof" "$($PEER slow $S5T '\x05\x02')"
check "logged as request-timeout" grep -q "socks5 tcp://127.0.0.1:$S5T .* result=request-timeout: no whole request within --timeout 0.500 s" "$T/srv.err"
expect_eq "http-connect: half a request line, then nothing" "408 eof" "$($PEER slow $HCT 'CONNECT 127.0')"
# A destination that does not answer: X'06' (TTL expired), 504.
expect_eq "socks5 to a destination that does not answer: X'06'" "method=0500 rep=06 eof" "$($PEER socks $S5T v4 127.0.0.1 "$FULL")"
check "logged as timeout" grep -q "socks5 tcp://127.0.0.1:$S5T .* asked=127.0.0.1:$FULL dialed=tcp://127.0.0.1:$FULL result=timeout: no answer within --timeout" "$T/srv.err"
expect_eq "CONNECT to a destination that does not answer: 504" "504 eof" "$($PEER http $HCT 127.0.0.1:"$FULL")"

# The client opened before all of that still relays, and new ones work.
echo go >&7
exec 7>&-
wait_line "$T/hold.out" 'relayed|lost|failed|bad|timeout' 10 >/dev/null
expect_eq "a tunnel opened before the hostile clients still relays" "relayed" "$(tail -1 "$T/hold.out")"
expect_eq "and the server still serves new clients" "method=0500 rep=00 relayed" "$($PEER socks $S5 v4 127.0.0.1 "$EP")"

stop_server "proxy server" $SRV "$T/srv.err"

# The other concurrency models run the same code: a tunnel each way, a
# name looked up (a thread in the connection's own thread or process),
# a hostile client.
for model in thread fork; do
	bg "$T/m$model" "$SOCKIPC" serve --model $model -e 'tcp://127.0.0.1:0 socks5' -e 'tcp://127.0.0.1:0 http-connect'
	M=$BG_PID
	wait_count "$T/m$model" '^listening ' 2 10 || fail "--model $model came up"
	expect_eq "--model $model: socks5 to a name" "method=0500 rep=00 relayed" \
		"$($PEER socks "$(nth_port "$T/m$model" 1)" name localhost "$EP")"
	expect_eq "--model $model: CONNECT" "200 relayed" "$($PEER http "$(nth_port "$T/m$model" 2)" 127.0.0.1:"$EP")"
	expect_eq "--model $model: a hostile request" "400 eof" "$($PEER hostile "$(nth_port "$T/m$model" 2)" h-bare-cr)"
	stop_server "--model $model" $M "$T/m$model.err"
done
finish
