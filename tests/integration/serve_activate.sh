# serve_activate.sh - `sockipc serve` under systemd-socket-activate, which
# passes sockets as systemd does (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES).
# Accept=no: a TCP listener matched by its name (the line asks port 0, and
# serves the passed port), a unix path and an abstract name matched by
# address, all adopted and never bound again (the socket file keeps its
# inode, and is left in place at exit: it is not serve's), a passed socket
# no line takes warned about and closed, every passed socket kept across
# a SIGHUP (the supervisor holds them); a socket of the wrong kind for
# the line its name points at is refused naming both.  Accept=yes
# (--inetd): a `serve --inetd echo` per connection.  A configuration
# block's name names its socket.
. "$(dirname "$0")/../support/lib.sh"
need systemd-socket-activate socat python3
SSA=$(command -v systemd-socket-activate)

read -r P1 P2 P3 P4 < <(free_ports 4)
ABS=sipc-activate-$$-$RANDOM
msg="activated $RANDOM"

# ---- Accept=no: the sockets passed, serve started at the first client.
bg "$T/a" "$SSA" -l 127.0.0.1:$P1 -l "$T/u.sock" -l "@$ABS" -l 127.0.0.1:$P2 \
	--fdname=echo:other:other:spare \
	"$SOCKIPC" serve -e 'tcp://127.0.0.1:0 echo' -e "unix://$T/u.sock discard" \
	-e "unix://@$ABS echo" -e 'tcp://127.0.0.1:0 exec /usr/bin/env'
A=$BG_PID
wait_line "$T/a.err" "Listening on 127.0.0.1:$P2 as 6" 10 >/dev/null
inode=$(stat -c %i "$T/u.sock")
# systemd-socket-activate starts serve when the first client comes; that
# client waits in the passed listener's queue and is served.
expect_eq "Accept=no: the first client, queued before serve ran, echoed" "$msg" \
	"$(printf '%s' "$msg" | timeout $(secs 10) socat -t5 - TCP:127.0.0.1:$P1)"
wait_count "$T/a" '^listening' 4 10
expect_eq "Accept=no: the passed sockets, as serve lists them" "listening tcp://127.0.0.1:$P1 echo
listening unix://$T/u.sock discard
listening unix://@$ABS echo" "$(head -3 "$T/a")"
check "Accept=no: a line no socket was passed for is bound" grep -q '^listening tcp://127.0.0.1:[0-9]* exec /usr/bin/env' "$T/a"
check "Accept=no: tcp adopted (by its name 'echo')" grep -q "serve: tcp://127.0.0.1:$P1 echo: the socket passed in as descriptor 3" "$T/a.err"
check "Accept=no: unix path adopted (by address)" grep -q "serve: unix://$T/u.sock discard: the socket passed in as descriptor 4" "$T/a.err"
check "Accept=no: abstract name adopted (by address)" grep -q "serve: unix://@$ABS echo: the socket passed in as descriptor 5" "$T/a.err"
check "Accept=no: the unused one warned about" grep -q "serve: descriptor 6 'spare' (IPv4 stream listener tcp://127.0.0.1:$P2): passed in, but no service line takes it: closed" "$T/a.err"
check "Accept=no: and closed (refused now)" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$P2) 2>/dev/null"
expect_eq "Accept=no: the unix socket file is the one passed (same inode)" "$inode" "$(stat -c %i "$T/u.sock")"
expect_eq "Accept=no: abstract echo" "$msg" "$(printf '%s' "$msg" | timeout $(secs 10) socat -t5 - ABSTRACT-CONNECT:$ABS)"
env_out=$(timeout $(secs 10) socat -t5 - TCP:127.0.0.1:$(nth_port "$T/a" 4) </dev/null)
check "Accept=no: an exec child's environment is readable" grep -q '^PATH=' <<<"$env_out"
check "Accept=no: no LISTEN_ variable reaches an exec child" bash -c "! grep -q '^LISTEN_' <<<'$env_out'"
# SIGHUP: the supervisor (LISTEN_PID's process) keeps every passed socket
# for the new generation: nothing is bound again, the file is the same.
kill -HUP $A
check "Accept=no: a reload keeps the four endpoints" wait_line "$T/a.err" \
	'reload: 4 service line\(s\) now; kept 4 endpoint\(s\); added none; removed none' 10
expect_eq "Accept=no: after the reload, tcp echo on the passed port" "$msg" \
	"$(printf '%s' "$msg" | timeout $(secs 10) socat -t5 - TCP:127.0.0.1:$P1)"
expect_eq "Accept=no: after the reload, the same socket file" "$inode" "$(stat -c %i "$T/u.sock")"
expect_eq "Accept=no: the passed sockets are said once, not per generation" 3 \
	"$(grep -c 'the socket passed in as descriptor' "$T/a.err")"
stop_server "Accept=no" $A "$T/a.err"
check "Accept=no: the socket file is left to its owner" test -S "$T/u.sock"

# ---- A passed socket of the wrong kind for the line its name points at.
bg "$T/w" "$SSA" --datagram -l 127.0.0.1:$P3 --fdname=echo "$SOCKIPC" serve -e 'tcp://127.0.0.1:0 echo'
W=$BG_PID
wait_line "$T/w.err" "Listening on 127.0.0.1:$P3 as 3" 10 >/dev/null
printf 'wake' | timeout $(secs 5) socat -u - UDP-SENDTO:127.0.0.1:$P3
ended $W
expect_eq "wrong kind: exit 2" 2 "$STATUS"
check "wrong kind: the error names the socket and the line" grep -q "serve: -e 'tcp://127.0.0.1:0 echo': the socket named 'echo' (descriptor 3: IPv4 datagram socket udp://127.0.0.1:$P3) cannot serve echo on tcp://, which needs a stream listener" "$T/w.err"
check "wrong kind: nothing bound instead" bash -c "! grep -q '^listening' '$T/w'"

# ---- A configuration block takes the socket named with its block name.
read -r P5 < <(free_ports 1)
cat >"$T/blocks.conf" <<CONF
service web
{
	listen = tcp://127.0.0.1:0
	run    = echo
}
CONF
bg "$T/b" "$SSA" -l 127.0.0.1:$P5 --fdname=web "$SOCKIPC" serve -f "$T/blocks.conf"
B=$BG_PID
wait_line "$T/b.err" "Listening on 127.0.0.1:$P5 as 3" 10 >/dev/null
expect_eq "block name: echo on the passed port" "$msg" \
	"$(printf '%s' "$msg" | timeout $(secs 10) socat -t5 - TCP:127.0.0.1:$P5)"
check "block name: the block 'web' adopted descriptor 3" wait_line "$T/b" "^listening tcp://127.0.0.1:$P5 echo" 10
stop_server "block name" $B "$T/b.err"

# ---- Accept=yes: a serve --inetd per connection, the connection on 0 and 1.
bg "$T/y" "$SSA" -a --inetd -l 127.0.0.1:$P4 "$SOCKIPC" serve -v --inetd echo
Y=$BG_PID
wait_line "$T/y.err" "Listening on 127.0.0.1:$P4 as 3" 10 >/dev/null
for n in 1 2 3; do
	expect_eq "Accept=yes: connection $n echoed, no log text in it" "$msg $n" \
		"$(printf '%s %s' "$msg" $n | timeout $(secs 10) socat -t5 - TCP:127.0.0.1:$P4)"
done
check "Accept=yes: each logged on stderr (not a socket here)" \
	wait_count "$T/y.err" "close echo local=tcp://127.0.0.1:$P4 peer=tcp://127.0.0.1:[0-9]+ in=$((${#msg} + 2)) " 3 10
check "Accept=yes: each instance exited 0" wait_count "$T/y.err" 'died with code 0' 3 10
stop_bg $Y
finish
