# serve_haproxy.sh - the PROXY protocol both ways against haproxy.
# haproxy in front of sockipc: `send-proxy-v2` and `send-proxy` (v1) to a
# `serve --accept-proxy=127.0.0.1/32` whose exec child prints SOCKIPC_PEER
# and TCPREMOTEIP/PORT: the client's own address (it connects from
# 127.0.0.2, haproxy from 127.0.0.1) and port reach the child and the open
# line, with via= naming haproxy; the same on a tls:// endpoint, haproxy
# (`send-proxy-v2 ssl`) sending the header before its TLS handshake.  A
# trusted address that sends no header is refused with the reason.
# sockipc in front of haproxy:
# `forward --send-proxy=v2|v1` to a haproxy frontend with `accept-proxy`,
# whose log line (log-format "%ci:%cp") names the client sockipc saw, and
# whose backend, a sockipc echo, returns the client's bytes and nothing of
# the header.
. "$(dirname "$0")/../support/lib.sh"
need haproxy python3
HAPROXY=$(PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin command -v haproxy)
PEER="$(dirname "$0")/../integration/proxy_peer.py"

# sockipc behind haproxy: exec prints who it serves.
bg "$T/s" "$SOCKIPC" serve --accept-proxy=127.0.0.1/32 \
	-e 'tcp://127.0.0.1:0 exec /bin/sh -c "echo peer=$SOCKIPC_PEER ip=$TCPREMOTEIP port=$TCPREMOTEPORT"' \
	-e 'tcp://127.0.0.1:0 exec /bin/sh -c "echo peer=$SOCKIPC_PEER ip=$TCPREMOTEIP port=$TCPREMOTEPORT"' \
	-e 'tls://127.0.0.1:0 exec /bin/sh -c "echo peer=$SOCKIPC_PEER ip=$TCPREMOTEIP port=$TCPREMOTEPORT"'
wait_count "$T/s" '^listening ' 3 10 || fail "serve came up"
SRV=$BG_PID
Q2=$(nth_port "$T/s" 1)
Q1=$(nth_port "$T/s" 2)
QT=$(nth_port "$T/s" 3)

# sockipc in front of haproxy, which has an echo of another serve (one
# without --accept-proxy: haproxy sends it no header) behind it.
read -r F2 F1 A2 A1 FT < <(free_ports 5)
bg "$T/f" "$SOCKIPC" serve -e "tcp://127.0.0.1:0 forward --send-proxy=v2 tcp://127.0.0.1:$A2" \
	-e "tcp://127.0.0.1:0 forward --send-proxy=v1 tcp://127.0.0.1:$A1" -e 'tcp://127.0.0.1:0 echo'
wait_count "$T/f" '^listening ' 3 10 || fail "forward came up"
FWD=$BG_PID
E=$(nth_port "$T/f" 3)
cat >"$T/haproxy.cfg" <<CFG
global
	log stdout format raw local0
defaults
	mode tcp
	log global
	timeout connect $(secs 5)s
	timeout client $(secs 10)s
	timeout server $(secs 10)s
frontend to_sockipc_v2
	bind 127.0.0.1:$F2
	default_backend sockipc_v2
backend sockipc_v2
	server s1 127.0.0.1:$Q2 send-proxy-v2
frontend to_sockipc_v1
	bind 127.0.0.1:$F1
	default_backend sockipc_v1
backend sockipc_v1
	server s1 127.0.0.1:$Q1 send-proxy
frontend to_sockipc_tls
	bind 127.0.0.1:$FT
	default_backend sockipc_tls
backend sockipc_tls
	server s1 127.0.0.1:$QT send-proxy-v2 ssl verify none
frontend from_sockipc_v2
	bind 127.0.0.1:$A2 accept-proxy
	log-format "accepted-v2 %ci:%cp"
	default_backend echo
frontend from_sockipc_v1
	bind 127.0.0.1:$A1 accept-proxy
	log-format "accepted-v1 %ci:%cp"
	default_backend echo
backend echo
	server s1 127.0.0.1:$E
CFG
bg "$T/h" "$HAPROXY" -f "$T/haproxy.cfg" -db
H=$BG_PID
# haproxy says nothing when it is up: wait for its frontends to listen.
for p in "$F2" "$F1" "$FT" "$A2" "$A1"; do check "haproxy listens on $p" tcp_listening "$p" 10; done

# ---- haproxy send-proxy-v2 / send-proxy -> sockipc --accept-proxy ----
# The client keeps its side open until the child's line has come and the
# server closed: a client that half-closes at once may be taken by haproxy
# for one that aborted before its server answered.
for v in 2 1; do
	if [ $v = 2 ]; then F=$F2; Q=$Q2; else F=$F1; Q=$Q1; fi
	timeout $(secs 20) python3 "$PEER" 127.0.0.1 "$F" --src 127.0.0.2 --no-shut '' >"$T/c$v"
	cport=$(awk '/^src /{print $2}' "$T/c$v")
	check "v$v: exec sees the client's address and port (SOCKIPC_PEER, TCPREMOTEIP/PORT)" \
		grep -q "got b'peer=tcp://127.0.0.2:$cport ip=127.0.0.2 port=$cport\\\\n'" "$T/c$v"
	check "v$v: the open line names the client and haproxy (via=)" wait_line "$T/s.err" \
		"open exec local=tcp://127.0.0.1:$F peer=tcp://127.0.0.2:$cport via=tcp://127.0.0.1:[0-9]+\$" 5
	check "v$v: the close line too" wait_line "$T/s.err" \
		"close exec local=tcp://127.0.0.1:$F peer=tcp://127.0.0.2:$cport via=tcp://127.0.0.1:[0-9]+ " 5
done
# A tls:// endpoint: haproxy sends the header first, then its handshake.
timeout $(secs 20) python3 "$PEER" 127.0.0.1 "$FT" --src 127.0.0.2 --no-shut '' >"$T/ct"
cport=$(awk '/^src /{print $2}' "$T/ct")
check "tls: exec sees the client's address and port" \
	grep -q "got b'peer=tls://127.0.0.2:$cport ip=127.0.0.2 port=$cport\\\\n'" "$T/ct"
check "tls: the open line names the client, haproxy and the TLS session" wait_line "$T/s.err" \
	"open exec local=tls://127.0.0.1:$FT peer=tls://127.0.0.2:$cport via=tls://127.0.0.1:[0-9]+ tls=" 5
# A client straight to the exec line (not through haproxy) sends no
# header: from 127.0.0.1, a trusted address, that is a bad header.
timeout $(secs 20) python3 "$PEER" 127.0.0.1 "$Q2" 'GET / HTTP/1.0\r\n\r\n' >"$T/direct"
check "a trusted address without a header is refused, the reason logged" wait_line "$T/s.err" \
	"refused exec local=tcp://127.0.0.1:$Q2 peer=tcp://127.0.0.1:[0-9]+: PROXY header: no PROXY header: the first byte is 0x47" 5
check "... and gets nothing" grep -q "^got b''" "$T/direct"

# ---- sockipc forward --send-proxy -> haproxy accept-proxy -> echo ----
for v in 2 1; do
	P=$(nth_port "$T/f" $((3 - v)))
	timeout $(secs 20) python3 "$PEER" 127.0.0.1 "$P" --src 127.0.0.3 '' "hello v$v" >"$T/e$v"
	cport=$(awk '/^src /{print $2}' "$T/e$v")
	check "v$v: haproxy's echo returns the client's bytes, nothing of the header" \
		grep -qx "got b'hello v$v'" "$T/e$v"
	check "v$v: haproxy parsed the header: its log names the client sockipc saw" \
		wait_line "$T/h" "^accepted-v$v 127.0.0.3:$cport\$" 5
done

stop_bg "$H"
stop_bg "$SRV"
expect_eq "serve --accept-proxy exits 0 on SIGTERM" 0 $?
stop_bg "$FWD"
expect_eq "serve forward --send-proxy exits 0 on SIGTERM" 0 $?
finish
