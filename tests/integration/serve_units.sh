# serve_units.sh - the example systemd units of docs/systemd, as far as a
# machine without a running systemd allows: systemd-analyze verify finds
# nothing wrong in them (the binary pointed at the one under test), and
# their own ExecStart= lines run under systemd-socket-activate with the
# sockets their .socket files name (ports and paths moved to free ones):
# sockipc-echo (Accept=no, Type=notify: READY=1 on a NOTIFY_SOCKET, the
# stream sockets adopted and echoing), sockipc-exec@ (Accept=yes:
# uptime's line reaches the client) and sockipc-shm@ (Accept=yes on an
# shm:// rendezvous: `serve --inetd=shm echo` answers over the rings).
. "$(dirname "$0")/../support/lib.sh"
need systemd-analyze systemd-socket-activate socat python3 uptime
UNITS=$SIPC_SOURCE_DIR/docs/systemd
SSA=$(command -v systemd-socket-activate)

read -r PE PX < <(free_ports 2)

# The units with the binary, ports and paths of this run.
mkdir "$T/u"
for f in "$UNITS"/*; do
	sed -e "s|/usr/bin/sockipc|$SOCKIPC|g" \
		-e "s|:7007|:$PE|g" -e "s|:7079|:$PX|g" -e "s|/run/sockipc/|$T/|g" \
		"$f" >"$T/u/$(basename "$f")"
done
(cd "$T/u" && systemd-analyze verify --man=no ./sockipc-echo.socket ./sockipc-echo.service \
	./sockipc-exec.socket ./sockipc-exec@.service ./sockipc-shm.socket ./sockipc-shm@.service) \
	>"$T/verify" 2>&1
expect_eq "systemd-analyze verify: exit 0" 0 $?
expect_eq "systemd-analyze verify: not a warning" "" "$(cat "$T/verify")"

# key FILE KEY: the values of KEY= in FILE, continuation lines joined.
key() { awk -v k="$2=" '{ if (c) { l = l " " $0 } else { l = $0 } c = sub(/\\$/, "", l); if (!c && index(l, k) == 1) print substr(l, length(k) + 1) }' "$1"; }

# ---- sockipc-echo: Accept=no, Type=notify.
listen=()
for a in $(key "$T/u/sockipc-echo.socket" ListenStream); do listen+=(-l "$a"); done
expect_eq "sockipc-echo.socket: two stream sockets" 4 ${#listen[@]}
eval "set -- $(key "$T/u/sockipc-echo.service" ExecStart)"
# The log goes to stderr here, where the test can read it.
args=()
for w in "$@"; do [ "$w" = --log ] || [ "$w" = syslog ] || args+=("$w"); done
bg "$T/n" python3 "$SIPC_SOURCE_DIR/tests/integration/notify_peer.py" "$T/notify.sock" "$T/notes"
for ((i = 0; i < 100 * SCALE; i++)); do [ -e "$T/notes.ready" ] && break; sleep 0.05; done
bg "$T/e" "$SSA" "${listen[@]}" --fdname=echo:echo -E NOTIFY_SOCKET="$T/notify.sock" "${args[@]}"
E=$BG_PID
wait_line "$T/e.err" "Listening on $T/echo.sock as 4" 10 >/dev/null
msg="unit echo $RANDOM"
expect_eq "sockipc-echo: tcp echo (the first client starts serve)" "$msg" \
	"$(printf '%s' "$msg" | timeout $(secs 10) socat -t5 - TCP:127.0.0.1:$PE)"
check "sockipc-echo: READY=1" wait_line "$T/notes" '^READY=1$' 10
expect_eq "sockipc-echo: unix echo" "$msg" \
	"$(printf '%s' "$msg" | timeout $(secs 10) socat -t5 - UNIX-CONNECT:"$T/echo.sock")"
check "sockipc-echo: tcp adopted" grep -q "serve: tcp://127.0.0.1:$PE echo: the socket passed in as descriptor 3" "$T/e.err"
check "sockipc-echo: unix adopted" grep -q "serve: unix://$T/echo.sock echo: the socket passed in as descriptor 4" "$T/e.err"
check "sockipc-echo: udp served (bound by serve here: systemd-socket-activate passes one kind)" \
	grep -q "^listening udp://127.0.0.1:$PE echo" "$T/e"
stop_server sockipc-echo $E "$T/e.err"
check "sockipc-echo: STOPPING=1" wait_line "$T/notes" '^STOPPING=1$' 10

# ---- sockipc-exec@: Accept=yes, the connection on standard input/output.
expect_eq "sockipc-exec.socket: Accept=yes" yes "$(key "$T/u/sockipc-exec.socket" Accept)"
eval "set -- $(key "$T/u/sockipc-exec@.service" ExecStart)"
bg "$T/x" "$SSA" -a --inetd -l "$(key "$T/u/sockipc-exec.socket" ListenStream)" "$@"
X=$BG_PID
wait_line "$T/x.err" "Listening on 127.0.0.1:$PX as 3" 10 >/dev/null
for n in 1 2; do
	out=$(timeout $(secs 10) socat -t5 - TCP:127.0.0.1:$PX </dev/null)
	check "sockipc-exec@: connection $n gets uptime's line ($out)" grep -q 'load average' <<<"$out"
done
stop_bg $X

# ---- sockipc-shm@: Accept=yes on an shm:// rendezvous, --inetd=shm.
expect_eq "sockipc-shm.socket: Accept=yes" yes "$(key "$T/u/sockipc-shm.socket" Accept)"
eval "set -- $(key "$T/u/sockipc-shm@.service" ExecStart)"
bg "$T/s" "$SSA" -a --inetd -l "$(key "$T/u/sockipc-shm.socket" ListenStream)" "$@"
S=$BG_PID
wait_line "$T/s.err" "Listening on $T/shm.sock as 3" 10 >/dev/null
for n in 1 2; do
	expect_eq "sockipc-shm@: connection $n echoed over the rings" "$msg $n" \
		"$(printf '%s %s\n' "$msg" $n | timeout $(secs 10) "$SOCKIPC" connect "shm://$T/shm.sock" 2>&1)"
done
stop_bg $S
finish
