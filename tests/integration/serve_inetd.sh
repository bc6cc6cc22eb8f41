# serve_inetd.sh - `sockipc serve --inetd SERVICE [ARGS...]`: the one
# connection on descriptor 0, as socat's EXEC and xinetd (`wait = no`)
# pass it, served by the same services; a datagram socket on descriptor 0
# (inetd's `wait = yes`) served until idle.  Every case runs with -v, so
# log lines would be written, and checks the client got exactly the
# service's bytes: when descriptor 2 is the client's socket (socat's
# `stderr` option, xinetd) no log line may land there, and an exec
# child's stderr is the client's, as inetd has it.  Pipes and a listening
# socket on descriptor 0, and broadcast, are refused with a reason.
. "$(dirname "$0")/../support/lib.sh"
need socat python3

msg="inetd says hello $RANDOM"

# socat EXEC: a socketpair on 0 and 1; stderr is socat's (a file here).
out=$(printf '%s' "$msg" | timeout $(secs 10) socat -t5 - EXEC:"$SOCKIPC serve -v --inetd echo" 2>"$T/exec.err")
expect_eq "socat EXEC: the bytes echoed" "$msg" "$out"
check "socat EXEC: the log went to stderr (not a socket)" grep -q 'open echo local=unix:' "$T/exec.err"

# socat EXEC with `stderr`: descriptor 2 is the client's socket too.
out=$(printf '%s' "$msg" | timeout $(secs 10) socat -t5 - EXEC:"$SOCKIPC serve -v --inetd echo",stderr 2>"$T/exec2.err")
expect_eq "stderr is the socket: exactly the bytes echoed, no log text" "$msg" "$out"
check "stderr is the socket: nothing on socat's stderr" test ! -s "$T/exec2.err"
# A usage error too goes to syslog, never to the client.
out=$(timeout $(secs 10) socat -t5 - EXEC:"$SOCKIPC serve -v --inetd --no-such-option echo",stderr </dev/null 2>/dev/null)
expect_eq "stderr is the socket: a usage error is not sent to the client" "" "$out"

# An exec child: the connection on 0 and 1, and on 2 when inetd put it
# there; the server's own log lines never.
printf '#!/bin/sh\necho child-err >&2\nexec cat\n' >"$T/child.sh"
chmod +x "$T/child.sh"
out=$(printf 'abc' | timeout $(secs 10) socat -t5 - EXEC:"$SOCKIPC serve -v --inetd exec $T/child.sh",stderr 2>&1)
expect_eq "exec child: its stderr and stdout reach the client, the log does not" "child-err
abc" "$out"

# The services of the server core, not a copy: daytime, time.
out=$(timeout $(secs 10) socat -t5 - EXEC:"$SOCKIPC serve -v --inetd daytime",stderr </dev/null)
check "daytime: one date line ($out)" grep -Eq '^[0-9]{2} [A-Z]{3} [0-9]{4} [0-9:]{8} [A-Z]+.?$' <<<"$out"
out=$(timeout $(secs 10) socat -t5 - EXEC:"$SOCKIPC serve --inetd time",stderr </dev/null | wc -c)
expect_eq "time: 4 bytes" 4 "$out"

# forward: the connection relayed to a backend, both ways (socat's
# address syntax wants the colons of the URL escaped).
bg "$T/back" "$SOCKIPC" serve -q -e 'tcp://127.0.0.1:0 echo'
wait_line "$T/back" '^listening' 10 >/dev/null
out=$(printf '%s' "$msg" | timeout $(secs 10) socat -t5 - \
	EXEC:"$SOCKIPC serve -v --inetd forward tcp\\://127.0.0.1\\:$(nth_port "$T/back" 1)",stderr)
expect_eq "forward: relayed to the backend and back, no log text" "$msg" "$out"
stop_server backend $BG_PID "$T/back.err"

# socat TCP-LISTEN,fork: a TCP connection per child, as inetd does.
read -r P _ < <(free_ports 1)
bg "$T/socat" socat TCP-LISTEN:$P,bind=127.0.0.1,reuseaddr,fork EXEC:"$SOCKIPC serve -v --inetd echo"
SOC=$BG_PID
for ((i = 0; i < 100 * SCALE; i++)); do
	(exec 3<>/dev/tcp/127.0.0.1/$P) 2>/dev/null && break
	sleep 0.05
done
for n in 1 2 3; do
	out=$(printf '%s %s' "$msg" $n | timeout $(secs 10) socat -t5 - TCP:127.0.0.1:$P)
	expect_eq "socat TCP-LISTEN fork: connection $n echoed" "$msg $n" "$out"
done
# socat relays between the TCP connection and a socketpair (unix://).
check "socat TCP-LISTEN fork: three connections logged on socat's stderr" \
	wait_count "$T/socat.err" "close echo local=unix:// peer=unix:// in=$((${#msg} + 2)) " 3 5
stop_bg $SOC

# Datagrams (inetd `wait = yes`): the first datagram waits in the socket
# when serve starts; it answers each until idle, then exits 0.
cat >"$T/dgram.py" <<'PY'
import socket, subprocess, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
addr = s.getsockname()
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.bind(("127.0.0.1", 0))
c.settimeout(float(sys.argv[2]))
c.sendto(b"first", addr)
with open(sys.argv[3], "w") as err:
    p = subprocess.Popen([sys.argv[1], "serve", "-v", "--inetd", "--idle-timeout", "1", "echo"],
                         stdin=s.fileno(), stdout=subprocess.DEVNULL, stderr=err)
s.close()
print(c.recv(100).decode())
c.sendto(b"second", addr)
print(c.recv(100).decode())
print(p.wait(timeout=float(sys.argv[2]) * 2))
PY
out=$(timeout $(secs 30) python3 "$T/dgram.py" "$SOCKIPC" $(secs 10) "$T/dgram.err")
expect_eq "datagram on descriptor 0: both answered, then exit 0 when idle" "first
second
0" "$out"
check "datagram: the idle end is logged" grep -q 'inetd: no datagram for' "$T/dgram.err"

# A TCP connection on descriptor 0 from a peer --allow does not admit:
# closed with nothing sent, and a line saying why.
cat >"$T/allow.py" <<'PY'
import socket, subprocess, sys
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen()
c = socket.create_connection(l.getsockname(), timeout=float(sys.argv[2]))
s, _ = l.accept()
r = subprocess.run([sys.argv[1], "serve", "--inetd", "--allow", "10.0.0.0/8", "echo"],
                   stdin=s.fileno(), stderr=subprocess.PIPE, timeout=float(sys.argv[2]))
s.close()
c.sendall(b"x")
print(r.returncode, repr(c.recv(100)), r.stderr.decode().strip())
PY
out=$(python3 "$T/allow.py" "$SOCKIPC" $(secs 10))
check "--allow refuses the inetd connection: nothing sent ($out)" grep -q "^1 b'' " <<<"$out"
check "--allow refuses the inetd connection: the line says why" grep -q "refused echo local=tcp://127.0.0.1:[0-9]* peer=tcp://127.0.0.1:[0-9]*: not in --allow" <<<"$out"

# Refusals, each with its reason (exit 2).
rc=0; echo x | "$SOCKIPC" serve --inetd echo 2>"$T/pipe.err" || rc=$?
expect_eq "a pipe on descriptor 0: exit 2" 2 $rc
check "a pipe on descriptor 0: says it is not a socket" grep -q 'descriptor 0 is not a socket' "$T/pipe.err"
rc=0; timeout $(secs 10) socat -t5 - EXEC:"$SOCKIPC serve --inetd broadcast" </dev/null 2>"$T/bc.err" || rc=$?
check "broadcast is refused" grep -q 'broadcast passes lines between the clients' "$T/bc.err"
cat >"$T/listen.py" <<'PY'
import socket, subprocess, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
r = subprocess.run([sys.argv[1], "serve", "--inetd", "echo"], stdin=s.fileno(),
                   stderr=subprocess.PIPE, timeout=float(sys.argv[2]))
print(r.returncode, r.stderr.decode().strip())
PY
out=$(python3 "$T/listen.py" "$SOCKIPC" $(secs 10))
expect_eq "a listening socket on descriptor 0: exit 2" 2 "${out%% *}"
check "a listening socket on descriptor 0: says why" grep -q 'descriptor 0 is a listening socket' <<<"$out"
rc=0; "$SOCKIPC" serve --inetd -e 'tcp://127.0.0.1:0 echo' echo </dev/null 2>"$T/e.err" || rc=$?
expect_eq "--inetd with -e: exit 2" 2 $rc
rc=0; "$SOCKIPC" serve --log nowhere -e 'tcp://127.0.0.1:0 echo' 2>"$T/log.err" || rc=$?
expect_eq "--log nowhere: exit 2" 2 $rc
check "--log nowhere: says the choices" grep -q "'nowhere' is not stderr or syslog" "$T/log.err"

# --log syslog: nothing on stderr (the listening line still on stdout).
bg "$T/sys" "$SOCKIPC" serve -v --log syslog -e 'tcp://127.0.0.1:0 echo'
wait_line "$T/sys" '^listening' 10 >/dev/null
port=$(nth_port "$T/sys" 1)
expect_eq "--log syslog: serves" "x" "$(printf x | timeout $(secs 5) socat -t2 - TCP:127.0.0.1:$port)"
stop_server "--log syslog" $BG_PID "$T/sys.err"
check "--log syslog: not a line on stderr" test ! -s "$T/sys.err"

# TLS on the connection inetd accepted (systemd's Accept=yes, here
# systemd-socket-activate --accept): --cert/--key make it a tls:// line,
# the core does the handshake.  With --client-ca, a client certificate
# from another CA (mallory, signed by ca2) is refused; alice's is served.
# On a connection that is not TCP (socat's socketpair) the options are a
# usage error.
if command -v systemd-socket-activate >/dev/null; then
	bash "$SIPC_SOURCE_DIR/tests/support/tls-certs.sh" "$T/certs" >/dev/null 2>"$T/certs.err" ||
		fail "tls-certs.sh made the test certificates"
	C=$T/certs
	read -r TP < <(free_ports 1)
	bg "$T/ssatls" systemd-socket-activate -l 127.0.0.1:$TP -a --inetd \
		"$SOCKIPC" serve -v --inetd --cert "$C/server.pem" --key "$C/server.key" \
		--client-ca "$C/ca.pem" echo
	SSA_TLS=$BG_PID
	wait_line "$T/ssatls.err" "Listening on 127.0.0.1:$TP" 10 >/dev/null
	got=$(printf 'over tls' | timeout $(secs 10) "$SOCKIPC" connect --ca "$C/ca.pem" \
		--cert "$C/alice.pem" --key "$C/alice.key" tls://127.0.0.1:$TP 2>"$T/alice.err")
	expect_eq "--inetd TLS: echo over a verified handshake" "over tls" "$got"
	rc=0
	got=$(printf 'let me in' | timeout $(secs 10) "$SOCKIPC" connect --ca "$C/ca.pem" \
		--cert "$C/mallory.pem" --key "$C/mallory.key" tls://127.0.0.1:$TP 2>"$T/mallory.err") || rc=$?
	check "--inetd TLS: a certificate of another CA gets nothing" test -z "$got"
	check "--inetd TLS: the wrong CA's client fails" test "$rc" -ne 0
	check "--inetd TLS: the refusal is logged on the server" \
		wait_line "$T/ssatls.err" 'refused echo .*tls handshake' 10
	check "--inetd TLS: no log text reached a client" \
		bash -c "! grep -q 'sockipc: open' '$T/alice.err' '$T/mallory.err'"
	stop_bg $SSA_TLS
	rc=0
	timeout $(secs 10) socat -t5 - EXEC:"$SOCKIPC serve --inetd --cert $C/server.pem --key $C/server.key echo" \
		</dev/null >"$T/tlsunix.out" 2>"$T/tlsunix.err" || rc=$?
	check "--inetd TLS on a unix socketpair: refused naming the kind" \
		grep -q 'the TLS options need a TCP connection on descriptor 0' "$T/tlsunix.err"
fi

finish
