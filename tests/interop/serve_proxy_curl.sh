# serve_proxy_curl.sh - curl as the client of `sockipc serve`'s socks5 and
# http-connect services: a page from Python's http.server through SOCKS5
# (the name resolved by the proxy with --socks5-hostname, by curl with
# --socks5) and through HTTP CONNECT (-p for http://, and an https://
# page from a sockipc tls:// endpoint, which curl tunnels by itself), with
# --proxy-user right and wrong, a destination --to does not allow, and one
# that refuses: curl's error and the proxy's log line for each.
. "$(dirname "$0")/../support/lib.sh"
need curl python3

# Destinations: a page over HTTP, and one over HTTPS (self-signed).
mkdir "$T/www"
echo "hello through the proxy" >"$T/www/hello.txt"
bg "$T/web" python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$T/www"
H=$(wait_line "$T/web" '^Serving HTTP on 127.0.0.1 port [0-9]+' 10 | sed 's/.* port \([0-9]*\).*/\1/')
cat >"$T/page.sh" <<'EOF'
# Reads the request head, then answers it.
while IFS= read -r line && [ "$line" != $'\r' ]; do :; done
printf 'HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhello https\n'
EOF
bg "$T/tls" "$SOCKIPC" serve -e "tls://127.0.0.1:0 exec bash $T/page.sh"
TLS=$(port_of "$(listening_url "$T/tls" 10)")
read -r DEAD <<<"$(free_ports 1)"

bg "$T/srv" "$SOCKIPC" serve -e 'tcp://127.0.0.1:0 socks5' -e 'tcp://127.0.0.1:0 http-connect' \
	-e 'tcp://127.0.0.1:0 socks5 --user=alice:s3cret' -e 'tcp://127.0.0.1:0 http-connect --user=alice:s3cret'
wait_count "$T/srv" '^listening ' 4 10 || fail "proxy server came up"
S5=$(nth_port "$T/srv" 1)
HC=$(nth_port "$T/srv" 2)
S5A=$(nth_port "$T/srv" 3)
HCA=$(nth_port "$T/srv" 4)

CURL=(curl -sS --max-time "$(secs 10)")
URL=http://127.0.0.1:$H/hello.txt
want="hello through the proxy"

expect_eq "curl --socks5-hostname" "$want" "$("${CURL[@]}" --socks5-hostname 127.0.0.1:$S5 "$URL")"
expect_eq "curl --socks5-hostname, localhost resolved by the proxy" "$want" \
	"$("${CURL[@]}" --socks5-hostname 127.0.0.1:$S5 "http://localhost:$H/hello.txt")"
check "the name in the log, and the address dialed" grep -q "socks5 tcp://127.0.0.1:$S5 peer=tcp://127.0.0.1:[0-9]* asked=localhost:$H dialed=tcp://127.0.0.1:$H result=ok" "$T/srv.err"
expect_eq "curl --socks5 (curl resolves)" "$want" "$("${CURL[@]}" --socks5 127.0.0.1:$S5 "http://localhost:$H/hello.txt")"
expect_eq "curl -x http:// -p (CONNECT) to http://" "$want" "$("${CURL[@]}" -x http://127.0.0.1:$HC -p "$URL")"
expect_eq "curl -x http:// to https:// (CONNECT, TLS inside)" "hello https" \
	"$("${CURL[@]}" -k -x http://127.0.0.1:$HC "https://127.0.0.1:$TLS/")"
check "logged" grep -q "http-connect tcp://127.0.0.1:$HC .* asked=127.0.0.1:$TLS dialed=tcp://127.0.0.1:$TLS result=ok" "$T/srv.err"
expect_eq "curl -x http:// to http:// without -p sends GET: 405" 405 \
	"$("${CURL[@]}" -o /dev/null -w '%{http_code}' -x http://127.0.0.1:$HC "$URL")"

# Users.
expect_eq "socks5 --proxy-user right" "$want" "$("${CURL[@]}" --socks5-hostname 127.0.0.1:$S5A --proxy-user alice:s3cret "$URL")"
"${CURL[@]}" --socks5-hostname 127.0.0.1:$S5A --proxy-user alice:wrong "$URL" >/dev/null 2>"$T/c1"
expect_eq "socks5 --proxy-user wrong: curl fails (97)" 97 $?
check "curl says the user was rejected" grep -q "User was rejected by the SOCKS5 server" "$T/c1"
check "the log says why" grep -q "socks5 tcp://127.0.0.1:$S5A .* user=alice asked=- dialed=- result=auth-failed: wrong user name or password" "$T/srv.err"
expect_eq "http-connect --proxy-user right" "$want" "$("${CURL[@]}" -x http://127.0.0.1:$HCA -p --proxy-user alice:s3cret "$URL")"
"${CURL[@]}" -x http://127.0.0.1:$HCA -p --proxy-user alice:wrong "$URL" >/dev/null 2>"$T/c2"
expect_eq "http-connect --proxy-user wrong: curl fails (56)" 56 $?
check "curl reports the 407" grep -q "CONNECT tunnel failed, response 407" "$T/c2"
check "the log says why" grep -q "http-connect tcp://127.0.0.1:$HCA .* user=alice asked=127.0.0.1:$H dialed=- result=auth-failed: wrong user name or password" "$T/srv.err"
"${CURL[@]}" -x http://127.0.0.1:$HCA -p "$URL" >/dev/null 2>"$T/c3"
check "http-connect without --proxy-user: 407" grep -q "CONNECT tunnel failed, response 407" "$T/c3"

# Refusals: not allowed, refused.
"${CURL[@]}" --socks5-hostname 127.0.0.1:$S5 http://10.1.2.3:80/ >/dev/null 2>"$T/c4"
expect_eq "socks5 to a destination --to does not allow: curl fails (97)" 97 $?
check "with the reply code X'02'" grep -q "SOCKS5 .*(2)" "$T/c4"
check "the log says denied" grep -q "socks5 tcp://127.0.0.1:$S5 .* asked=10.1.2.3:80 dialed=- result=denied: tcp://10.1.2.3:80 is not in --to" "$T/srv.err"
"${CURL[@]}" -x http://127.0.0.1:$HC -p http://10.1.2.3:80/ >/dev/null 2>"$T/c5"
check "http-connect to a destination --to does not allow: 403" grep -q "CONNECT tunnel failed, response 403" "$T/c5"
"${CURL[@]}" --socks5-hostname 127.0.0.1:$S5 "http://127.0.0.1:$DEAD/" >/dev/null 2>"$T/c6"
check "socks5 to a port that refuses: X'05'" grep -q "SOCKS5 .*(5)" "$T/c6"
check "the log says refused" grep -q "asked=127.0.0.1:$DEAD dialed=tcp://127.0.0.1:$DEAD result=refused: Connection refused" "$T/srv.err"
"${CURL[@]}" -x http://127.0.0.1:$HC -p "http://127.0.0.1:$DEAD/" >/dev/null 2>"$T/c7"
check "http-connect to a port that refuses: 502" grep -q "CONNECT tunnel failed, response 502" "$T/c7"

stop_server "proxy server" $BG_PID "$T/srv.err"
finish
