# serve_inetd_xinetd.sh - `sockipc serve --inetd` as the server program
# of xinetd itself (`server = sockipc`, `server_args = serve --inetd ...`):
# a stream service with `wait = no` (echo; exec, whose child gets the
# connection on stdin, stdout and stderr) and a datagram one with
# `wait = yes`.  xinetd passes the client as descriptors 0, 1 and 2, and
# serve runs with -v: the client must get exactly the service's bytes,
# never a log line.
. "$(dirname "$0")/../support/lib.sh"
need xinetd python3
XINETD=$(PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin command -v xinetd)

# Free ports: asked of the kernel through a throwaway sockipc server.
bg "$T/p" "$SOCKIPC" serve -q -e 'tcp://127.0.0.1:0 discard' -e 'tcp://127.0.0.1:0 discard' \
	-e 'udp://127.0.0.1:0 discard'
wait_count "$T/p" '^listening' 3 5
read -r PE PX PU < <(awk '{sub(/.*:/, "", $2); printf "%s ", $2}' "$T/p")
stop_bg $BG_PID

printf '#!/bin/sh\necho child-err >&2\nexec cat\n' >"$T/child.sh"
chmod +x "$T/child.sh"
user=$(id -un)
cat >"$T/xinetd.conf" <<CONF
defaults
{
	instances = 20
	log_type = FILE $T/svc.log
	log_on_success = PID HOST EXIT
}
service sipc-echo
{
	type = UNLISTED
	socket_type = stream
	protocol = tcp
	port = $PE
	bind = 127.0.0.1
	wait = no
	user = $user
	server = $SOCKIPC
	server_args = serve -v --inetd echo
}
service sipc-exec
{
	type = UNLISTED
	socket_type = stream
	protocol = tcp
	port = $PX
	bind = 127.0.0.1
	wait = no
	user = $user
	server = $SOCKIPC
	server_args = serve -v --inetd exec $T/child.sh
}
service sipc-udp
{
	type = UNLISTED
	socket_type = dgram
	protocol = udp
	port = $PU
	bind = 127.0.0.1
	wait = yes
	user = $user
	server = $SOCKIPC
	server_args = serve -v --inetd --idle-timeout 1 echo
}
CONF
# -filelog: xinetd refuses to start when it cannot open its log.
bg "$T/x.out" "$XINETD" -dontfork -stayalive -filelog "$T/x.log" -pidfile "$T/xinetd.pid" -f "$T/xinetd.conf"
X=$BG_PID
up=0
for ((i = 0; i < 100 * SCALE; i++)); do
	if (exec 3<>/dev/tcp/127.0.0.1/$PE) 2>/dev/null; then up=1; break; fi
	kill -0 $X 2>/dev/null || break
	sleep 0.05
done
[ $up -eq 1 ] || skip "xinetd ($XINETD) did not start as $user: $(tail -3 "$T/x.log" "$T/x.out.err" 2>/dev/null | tr '\n' ' ')"

cat >"$T/client.py" <<'PY'
# client.py KIND PORT DATA TIMEOUT: sends DATA, half-closes (stream) and
# prints exactly what came back, bytes escaped so a stray newline shows.
import socket, sys
kind, port, data, t = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), float(sys.argv[4])
if kind == "tcp":
    s = socket.create_connection(("127.0.0.1", port), timeout=t)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(t)
    s.sendto(data, ("127.0.0.1", port))
    got = s.recv(65536)
print(repr(got))
PY
client() { timeout $(secs 20) python3 "$T/client.py" "$@" $(secs 10); }

msg="xinetd hands over $RANDOM"
for n in 1 2 3; do
	expect_eq "xinetd echo, connection $n: exactly the bytes, no log text" "b'$msg $n'" "$(client tcp $PE "$msg $n")"
done
expect_eq "xinetd exec: the child's stderr and stdout, no log text" "b'child-err\\nabc'" "$(client tcp $PX abc)"
expect_eq "xinetd udp wait=yes: the datagram echoed" "b'$msg'" "$(client udp $PU "$msg")"
expect_eq "xinetd udp wait=yes: and the next" "b'again'" "$(client udp $PU again)"
check "each sockipc exited 0 (xinetd's log)" wait_count "$T/svc.log" 'EXIT: sipc-echo status=0' 3 5
check "the exec one too" wait_count "$T/svc.log" 'EXIT: sipc-exec status=0' 1 5
check "the datagram one exits 0 once idle (1 s)" wait_count "$T/svc.log" 'EXIT: sipc-udp status=0' 1 10
stop_bg $X
finish
