#!/usr/bin/env bash
# serve.sh - `sockipc.exe serve` under Wine, its clients the native Linux
# sockipc over loopback: echo (tcp, tcp6, udp) with the Linux load
# generator checking every byte, discard, chargen, daytime and time as the
# Linux server sends them, forward to a Linux echo (tcp and udp),
# broadcast between two Linux clients, the thread model, Ctrl-C (Wine
# turns SIGINT into the console's CTRL_C_EVENT) draining an open
# connection and a second one closing it, and what the Windows build
# refuses by name (--model fork, users, --inetd, --log, --handover), and
# exec through CreateProcess (filters, 3 MiB through a child, exit codes,
# the connection's variables, a missing program, --max-children, the drain).
# Run by CTest (cmake/windows.cmake: windows/serve) with SOCKIPC the Windows
# program and SOCKIPC_LINUX the Linux one; skipped (77) without it.
. "$(dirname "$0")/../support/lib.sh"
WIN=${SOCKIPC:?run through ctest}
LIN=${SOCKIPC_LINUX:-}
unset DISPLAY
[ -x "$LIN" ] || skip "no Linux sockipc at '${LIN}' (make test builds build/sockipc first)"

# url_of FILE SERVICE [PREFIX]: the URL of the first listening line of
# SERVICE whose URL starts with PREFIX (tcp:// by default; the server
# prints tcp6:// endpoints as tcp://[::1]:PORT, as on Linux).
url_of() { awk -v s="$2" -v k="${3:-tcp://}" '$1 == "listening" && $3 == s && index($2, k) == 1 { print $2; exit }' "$1"; }
# bench URL ARGS...: the Linux load generator; passes on its verdict line.
bench_ok() {
	local what=$1 out
	shift
	out=$("$LIN" bench "$@" 2>&1)
	expect_eq "$what: bench exits 0" 0 "$?"
	check "$what: every echo came back whole and equal" grep -q 'verdict *ok' <<<"$out"
}

# ---- the core services under the event model -------------------------------
bg "$T/ev" wine "$WIN" serve -v -e 'tcp://127.0.0.1:0 echo' -e 'udp://127.0.0.1:0 echo' \
	-e 'tcp6://[::1]:0 echo' -e 'tcp://127.0.0.1:0 discard' -e 'tcp://127.0.0.1:0 chargen' \
	-e 'tcp://127.0.0.1:0 daytime' -e 'tcp://127.0.0.1:0 time'
EV=$BG_PID
wait_count "$T/ev" '^listening ' 7 20 || fail "sockipc.exe serve prints its 7 listening lines"
echo_url=$(url_of "$T/ev" echo tcp://1)
got=$(printf 'hello from linux\n' | "$LIN" connect "$echo_url" 2>&1)
expect_eq "echo answers a Linux client" "hello from linux" "$got"
bench_ok "tcp echo" "$echo_url" --count 4000 -c 4 --size 700
bench_ok "tcp6 echo" "$(url_of "$T/ev" echo "tcp://[")" --count 1000 -c 2
udp_url=$(url_of "$T/ev" echo udp://)
got=$("$LIN" send "$udp_url" "a datagram" 2>&1)
expect_eq "udp echo answers a Linux datagram" "a datagram" "$got"
bench_ok "udp echo" "$udp_url" --count 2000 -c 2 --size 300

head -c 1048576 /dev/urandom >"$T/mib"
"$LIN" connect "$(url_of "$T/ev" discard)" <"$T/mib" >"$T/discard.out" 2>&1
expect_eq "discard: the client ends cleanly and gets nothing back" "0:" "$?:$(cat "$T/discard.out")"
check "discard read the whole MiB" wait_line "$T/ev.err" 'close discard .* in=1048576 ' 10

# The Linux server's chargen and time are the reference.
bg "$T/lin" "$LIN" serve -e 'tcp://127.0.0.1:0 chargen' -e 'tcp://127.0.0.1:0 time'
LINSRV=$BG_PID
wait_count "$T/lin" '^listening ' 2 20
first_kib() { timeout 20 "$LIN" connect "$1" </dev/null 2>/dev/null | head -c 1024; }
expect_eq "chargen sends what the Linux chargen sends" \
	"$(first_kib "$(url_of "$T/lin" chargen)" | sha256sum)" \
	"$(first_kib "$(url_of "$T/ev" chargen)" | sha256sum)"
day=$("$LIN" connect "$(url_of "$T/ev" daytime)" </dev/null 2>&1 | tr -d '\r')
check "daytime sends 'DD MON YYYY HH:MM:SS ZONE' [$day]" \
	grep -Eq '^[0-9]{2} [A-Z]{3} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} .+$' <<<"$day"
# RFC 868: seconds since 1900 as 4 bytes; the two servers within 5 s.
secs1900() { "$LIN" connect "$1" </dev/null 2>/dev/null | od -An -tu1 | awk '{ for (i = 1; i <= NF; i++) v = v * 256 + $i } END { printf "%.0f\n", v }'; }
a=$(secs1900 "$(url_of "$T/ev" time)")
b=$(secs1900 "$(url_of "$T/lin" time)")
check "time sends the time the Linux server sends ($a, $b)" \
	test -n "$a" -a -n "$b" -a $((a - b)) -le 5 -a $((b - a)) -le 5
stop_bg "$LINSRV"

# ---- forward to a Linux echo, tcp and udp ------------------------------------
bg "$T/back" "$LIN" serve -e 'tcp://127.0.0.1:0 echo' -e 'udp://127.0.0.1:0 echo'
BACK=$BG_PID
wait_count "$T/back" '^listening ' 2 20
bg "$T/fw" wine "$WIN" serve -v -e "tcp://127.0.0.1:0 forward $(url_of "$T/back" echo tcp://)" \
	-e "udp://127.0.0.1:0 forward $(url_of "$T/back" echo udp://)"
FW=$BG_PID
wait_count "$T/fw" '^listening ' 2 20 || fail "the forwarding sockipc.exe listens"
bench_ok "tcp through sockipc.exe forward" "$(url_of "$T/fw" forward tcp://)" --count 3000 -c 3 --size 2000
bench_ok "udp through sockipc.exe forward" "$(url_of "$T/fw" forward udp://)" --count 1000 --size 200
stop_bg "$FW" INT

# ---- the proxies: the Linux client reaches the Linux echo through them --------
bg "$T/px" wine "$WIN" serve -v -e 'tcp://127.0.0.1:0 socks5' -e 'tcp://127.0.0.1:0 http-connect'
PX=$BG_PID
wait_count "$T/px" '^listening ' 2 20 || fail "the proxying sockipc.exe listens"
back=$(url_of "$T/back" echo tcp://)
for p in "socks5://$(url_of "$T/px" socks5 | sed 's|^tcp://||')" \
	"socks5h://$(url_of "$T/px" socks5 | sed 's|^tcp://||')" \
	"http://$(url_of "$T/px" http-connect | sed 's|^tcp://||')"; do
	got=$(printf 'through %s\n' "${p%%:*}" | "$LIN" connect --proxy "$p" "$back" 2>&1)
	expect_eq "${p%%:*} through sockipc.exe reaches the Linux echo" "through ${p%%:*}" "$got"
done
# A closed port behind the proxy: the refusal comes back as SOCKS5's.
read -r closed <<<"$(free_ports 1)"
got=$(printf 'x\n' | "$LIN" connect --proxy "socks5://$(url_of "$T/px" socks5 | sed 's|^tcp://||')" \
	"tcp://127.0.0.1:$closed" 2>&1; echo "status $?")
check "a refused connection comes back through socks5 [$got]" \
	grep -q 'SOCKS5 reply 0x05: connection refused' <<<"$got"
stop_bg "$PX" INT
stop_bg "$BACK"

# ---- broadcast: a line of one Linux client reaches the other -------------------
bg "$T/bc" wine "$WIN" serve -v -e 'tcp://127.0.0.1:0 broadcast'
BC=$BG_PID
bc_url=$(listening_url "$T/bc" 20)
mkfifo "$T/a.in" "$T/b.in"
exec 7<>"$T/a.in" 8<>"$T/b.in"
# The clients must not hold the fifos' writing ends themselves.
bg "$T/bca" "$LIN" connect "$bc_url" <"$T/a.in" 7>&- 8>&-
bg "$T/bcb" "$LIN" connect "$bc_url" <"$T/b.in" 7>&- 8>&-
wait_count "$T/bc.err" 'open broadcast ' 2 20
printf 'hello, everyone\n' >&7
check "the other client gets the line" wait_line "$T/bcb" '^hello, everyone$' 20
exec 7>&- 8>&-
stop_bg "$BC" INT

# ---- the thread model -----------------------------------------------------------
bg "$T/th" wine "$WIN" serve -v --model thread -e 'tcp://127.0.0.1:0 echo'
TH=$BG_PID
th_url=$(listening_url "$T/th" 20)
bench_ok "echo under --model thread" "$th_url" --count 3000 -c 6 --size 500
check "the thread model served each of the 6 connections" wait_count "$T/th.err" 'close echo ' 6 10

# ---- Ctrl-C drains: the open connection finishes, then serve exits 0 ----------------
mkfifo "$T/held.in"
exec 7<>"$T/held.in"
bg "$T/held" "$LIN" connect "$th_url" <"$T/held.in" 7>&-
HELD=$BG_PID
printf 'before\n' >&7
wait_line "$T/held" '^before$' 20 >/dev/null
kill -INT "$TH"
check "Ctrl-C starts the drain with the connection open" \
	wait_line "$T/th.err" 'Ctrl-C: no longer accepting; 1 connection\(s\) have' 20
printf 'during the drain\n' >&7
check "the open connection is still served" wait_line "$T/held" '^during the drain$' 20
exec 7>&-
ended "$HELD"
expect_eq "the client ends cleanly" 0 "$STATUS"
ended "$TH"
expect_eq "sockipc.exe serve exits 0 once drained" 0 "$STATUS"

# A second Ctrl-C closes every connection at once.
bg "$T/ev2" wine "$WIN" serve -v -e 'tcp://127.0.0.1:0 echo'
EV2=$BG_PID
url=$(listening_url "$T/ev2" 20)
exec 7<>"$T/held.in"
bg "$T/held2" "$LIN" connect "$url" <"$T/held.in" 7>&-
HELD=$BG_PID
wait_line "$T/ev2.err" 'open echo ' 20 >/dev/null
kill -INT "$EV2"
wait_line "$T/ev2.err" 'Ctrl-C: no longer accepting' 20 >/dev/null
kill -INT "$EV2"
check "a second Ctrl-C closes everything" \
	wait_line "$T/ev2.err" 'Ctrl-C again: closing every connection now' 20
ended "$EV2"
expect_eq "sockipc.exe serve exits 0 after the second Ctrl-C" 0 "$STATUS"
# connect relays stdin until it ends, as on Linux.
exec 7>&-
ended "$HELD"
expect_eq "the held client sees the end" 0 "$STATUS"
stop_bg "$EV" INT

# ---- exec: a child per connection through CreateProcess --------------------------
# Wine's find.exe filters stdin; sockipc.exe itself relays to the Linux
# echo (the child's stdin and stdout both carry 3 MiB); cmd.exe gives an
# exit code and prints the connection's variables.
bg "$T/back" "$LIN" serve -e 'tcp://127.0.0.1:0 echo'
BACK=$BG_PID
back=$(listening_url "$T/back" 20)
winexe="Z:$WIN" # Wine's drive Z: is /; forward slashes need no quoting
bg "$T/ex" wine "$WIN" serve -v --drain-timeout 2 -e 'tcp://127.0.0.1:0 exec find.exe "x"' \
	-e "tcp://127.0.0.1:0 exec $winexe connect $back" -e 'tcp://127.0.0.1:0 exec cmd.exe /c exit 3' \
	-e 'tcp://127.0.0.1:0 exec cmd.exe /c echo %TCPREMOTEIP% %SOCKIPC_LOCAL%' \
	-e 'tcp://127.0.0.1:0 exec nosuchprogram.exe' -e 'tcp://127.0.0.1:0 exec --max-children=1 find.exe "x"'
EX=$BG_PID
wait_count "$T/ex" '^listening ' 6 20 || fail "sockipc.exe serve with exec lines listens"
nth_url() { awk -v n="$2" '/^listening /{ if (++i == n) print $2 }' "$1"; }
got=$(printf 'axb\nccc\nxyz\n' | "$LIN" connect "$(nth_url "$T/ex" 1)" 2>&1 | tr -d '\r')
expect_eq "exec find.exe: the child filters what the client sends" "axb
xyz" "$got"
check "exec says who may run it" grep -q "exec on $(nth_url "$T/ex" 1) runs 'find.exe' for any local user (loopback)" "$T/ex.err"
head -c 3145728 /dev/urandom >"$T/3mib"
"$LIN" connect "$(nth_url "$T/ex" 2)" <"$T/3mib" >"$T/3mib.back" 2>"$T/3mib.err"
expect_eq "exec sockipc.exe connect: 3 MiB through the child and back intact" \
	"$(sha256sum <"$T/3mib")" "$(sha256sum <"$T/3mib.back")"
check "its close line counts the bytes and the exit" \
	wait_line "$T/ex.err" "close exec local=$(nth_url "$T/ex" 2) .* in=3145728 out=3145728 .*end=exit 0" 10
"$LIN" connect "$(nth_url "$T/ex" 3)" </dev/null >/dev/null 2>&1
check "exec cmd /c exit 3: the close line says exit 3" \
	wait_line "$T/ex.err" "close exec local=$(nth_url "$T/ex" 3) .*end=exit 3" 10
got=$("$LIN" connect "$(nth_url "$T/ex" 4)" </dev/null 2>&1 | tr -d '\r')
expect_eq "the child gets TCPREMOTEIP and SOCKIPC_LOCAL" "127.0.0.1 $(nth_url "$T/ex" 4)" "$got"
"$LIN" connect "$(nth_url "$T/ex" 5)" </dev/null >/dev/null 2>&1
check "a program that does not exist: the reason in the log, the client closed" \
	wait_line "$T/ex.err" "close exec .*end=exec nosuchprogram.exe: No such file or directory" 10
# --max-children=1: a second client while the first child waits on stdin.
mkfifo "$T/ex.in"
exec 7<>"$T/ex.in"
bg "$T/mc1" "$LIN" connect "$(nth_url "$T/ex" 6)" <"$T/ex.in" 7>&-
MC1=$BG_PID
wait_count "$T/ex.err" 'exec find.exe: child ' 2 20
"$LIN" connect "$(nth_url "$T/ex" 6)" </dev/null >/dev/null 2>&1
check "--max-children=1 refuses the second client" \
	wait_line "$T/ex.err" "refused exec local=$(nth_url "$T/ex" 6) .*: 1 children running \(--max-children=1\)" 10
# Ctrl-C with that child running: its process group gets Ctrl-Break, and
# whatever is left at the drain timeout is terminated.
kill -INT "$EX"
check "the drain ends the child left running" \
	wait_line "$T/ex.err" "exec child [0-9]+: terminated|close exec local=$(nth_url "$T/ex" 6) .*end=exit" 20
ended "$EX"
expect_eq "sockipc.exe serve exits 0 after the drain" 0 "$STATUS"
exec 7>&-
ended "$MC1"
stop_bg "$BACK"

# ---- what the Windows build refuses, by name ---------------------------------------
refused() {
	local what=$1 want=$2 got
	shift 2
	got=$(win_serve "$@" </dev/null 2>&1 | head -1; echo "status ${PIPESTATUS[0]}")
	expect_eq "$what" "$want
status 2" "$got"
}
win_serve() { wine "$WIN" serve "$@"; }
refused "--model fork is refused" \
	"sockipc: serve: --model fork: not supported on this system (Windows has no fork(); --model event or thread serve the same services)" \
	--model fork -e 'tcp://127.0.0.1:0 echo'
for opt in "--user nobody" "--group nogroup" "--inetd" "--log syslog" "--handover $T/h" "--allow-uid 0"; do
	refused "serve ${opt%% *} is refused" "sockipc: serve: ${opt%% *}: not supported on this system" \
		$opt -e 'tcp://127.0.0.1:0 echo'
done
# --help offers what this build has: no fork model, poll the only backend.
win_serve --help >"$T/help" 2>&1
check "serve --help: --model without fork" \
	grep -qE -- "--model MODEL +concurrency model: event \(default\) or thread .*no fork on Windows" "$T/help"
check "serve --help: --io is poll" grep -qE -- "--io poll +the event loops' backend: poll" "$T/help"
check "serve --help: no epoll, no --allow-uid option" bash -c "! grep -qE 'epoll|^ +--allow-uid' '$T/help'"
finish
