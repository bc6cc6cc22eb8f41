# serve_svc_limits.sh - the per-service limits of a configuration file
# (issue 10: per_source, instances, cps, only_from, no_access,
# access_times) each exceeded: the refused client gets nothing and is
# closed at once, and the `refused` line says why; per_source and
# instances under every model (event, thread, fork), since each releases
# a connection's place its own way; then the log fields: log_on_success
# PID EXIT without HOST/TRAFFIC/DURATION on an exec service, and
# log_on_failure without ATTEMPT (no line, the refusal still counted).
. "$(dirname "$0")/../support/lib.sh"
need socat

# hold PORT [BIND]: a client that sends nothing and stays, until stopped.
hold() { exec socat -u TCP:127.0.0.1:$1${2:+,bind=$2} - >/dev/null; }
# ask PORT [BIND]: sends a line, prints what comes back (nothing when refused).
ask() { printf 'hi\n' | timeout $(secs 5) socat -t2 - TCP:127.0.0.1:$1${2:+,bind=$2}; }
# refused_fast DESC PORT [BIND]: the client gets nothing and is closed at once.
refused_fast() {
	local start ms got
	start=$(date +%s%N)
	got=$(ask "$2" "${3:-}")
	ms=$((($(date +%s%N) - start) / 1000000))
	expect_eq "$1: gets nothing" "" "$got"
	check "$1: closed at once (${ms} ms)" test $ms -lt $((1500 * SCALE))
}
# served_again DESC PORT: bounded retries until a client is served (a
# place comes back a moment after the close line; under fork when the
# parent has reaped the connection's process).
served_again() {
	local i ok=""
	for ((i = 0; i < 40 * SCALE; i++)); do
		ok=$(ask "$2")
		[ "$ok" = hi ] && break
		sleep 0.05
	done
	expect_eq "$1" hi "$ok"
}
# refused_count PID ERRFILE PORT: SIGUSR1, then the refused counter of the
# tcp endpoint on PORT in the answer to that signal.
refused_count() {
	local n
	n=$(grep -c 'stats: all ' "$2")
	kill -USR1 "$1"
	wait_count "$2" 'stats: all ' $((n + 1)) 5 || return 1
	grep "stats: echo tcp://127.0.0.1:$3 " "$2" | tail -1 | sed -n 's/.* refused=\([0-9]*\) .*/\1/p'
}
# count FILE REGEX: matching lines.
count() { grep -Ec -- "$2" "$1"; }

cat >"$T/models.conf" <<'EOF'
# per_source 2: a third connection from one address is refused
service ps
{
    listen     = tcp://127.0.0.1:0
    run        = echo
    per_source = 2
}
service inst
{
    listen    = tcp://127.0.0.1:0
    run       = echo
    instances = 2
}
service other
{
    listen = tcp://127.0.0.1:0
    run    = echo
}
EOF

for model in event thread fork; do
	S="$T/$model"
	bg "$S" "$SOCKIPC" serve --model $model -f "$T/models.conf"
	SRV=$BG_PID
	wait_count "$S" '^listening ' 3 5
	PS=$(nth_port "$S" 1); IN=$(nth_port "$S" 2); OT=$(nth_port "$S" 3)

	# ---- per_source ----
	spawn hold $PS; H1=$BG_PID
	spawn hold $PS; H2=$BG_PID
	wait_count "$S.err" "^sockipc: open echo local=tcp://127.0.0.1:$PS " 2 5
	refused_fast "$model per_source: third from 127.0.0.1" $PS
	check "$model per_source: refused line" grep -Eq \
		"^sockipc: refused echo local=tcp://127.0.0.1:$PS peer=tcp://127.0.0.1:[0-9]+: 2 connections from this source \(per_source 2\)$" "$S.err"
	expect_eq "$model per_source: 127.0.0.2 still admitted" hi "$(ask $PS 127.0.0.2)"
	stop_bg $H1; stop_bg $H2
	wait_count "$S.err" "^sockipc: close echo local=tcp://127.0.0.1:$PS " 3 5
	served_again "$model per_source: released, 127.0.0.1 served again" $PS
	# Both places came back: two more stay open, and nothing is refused.
	n=$(count "$S.err" '^sockipc: refused ')
	spawn hold $PS; H1=$BG_PID
	spawn hold $PS; H2=$BG_PID
	wait_count "$S.err" "^sockipc: open echo local=tcp://127.0.0.1:$PS " 6 5
	check "$model per_source: both places released" test $? -eq 0
	stop_bg $H1; stop_bg $H2
	expect_eq "$model per_source: no refusal for them" "$n" "$(count "$S.err" '^sockipc: refused ')"

	# ---- instances ----
	spawn hold $IN; H1=$BG_PID
	spawn hold $IN 127.0.0.2; H2=$BG_PID
	wait_count "$S.err" "^sockipc: open echo local=tcp://127.0.0.1:$IN " 2 5
	refused_fast "$model instances: third connection" $IN 127.0.0.3
	check "$model instances: refused line" grep -Eq \
		"^sockipc: refused echo local=tcp://127.0.0.1:$IN peer=tcp://127.0.0.3:[0-9]+: 2 connections open \(instances 2\)$" "$S.err"
	expect_eq "$model instances: another service unaffected" hi "$(ask $OT)"
	stop_bg $H1; stop_bg $H2
	wait_count "$S.err" "^sockipc: close echo local=tcp://127.0.0.1:$IN " 2 5
	served_again "$model instances: released, served again" $IN
	usr1_until_idle $SRV "$S.err"
	check "$model: every place given back (open=0)" grep -q 'stats: all open=0 ' "$S.err"
	stop_server "$model" $SRV "$S.err"
done

# ---- cps 3 1: the fourth in one second begins a 1 s pause ----
cat >"$T/cps.conf" <<'EOF'
service burst
{
    listen = tcp://127.0.0.1:0
    run    = echo
    cps    = 3 1
}
EOF
S="$T/cps"
bg "$S" "$SOCKIPC" serve -f "$T/cps.conf"
SRV=$BG_PID
P=$(port_of "$(listening_url "$S" 5)")
# Four connections at once (bash's /dev/tcp: no process per client, so
# they reach the backlog within microseconds, one accept batch apart).
exec 5<>/dev/tcp/127.0.0.1/$P 6<>/dev/tcp/127.0.0.1/$P 7<>/dev/tcp/127.0.0.1/$P 8<>/dev/tcp/127.0.0.1/$P
wait_line "$S.err" '^sockipc: cps echo: more than 3 new connections in one second \(cps 3 1\.000\): not accepting for 1\.000 s$' 5 >/dev/null
check "cps: the pause line" test $? -eq 0
check "cps: the one over the limit refused" grep -Eq \
	"^sockipc: refused echo local=tcp://127.0.0.1:$P peer=tcp://127.0.0.1:[0-9]+: more than 3 new connections" "$S.err"
served=0
for fd in 5 6 7 8; do
	# In a subshell: the refused one's SIGPIPE must not end this shell.
	(printf 'x\n' >&$fd) 2>/dev/null
	r=""; read -r -t $(secs 5) -u $fd r 2>/dev/null
	[ "$r" = x ] && served=$((served + 1))
done
expect_eq "cps: three of four served" 3 "$served"
# During the pause a new connection waits in the backlog (not refused),
# and is served once the pause is over.
exec 9<>/dev/tcp/127.0.0.1/$P
printf 'late\n' >&9
r=""; read -r -t $(secs 10) -u 9 r
expect_eq "cps: a connection during the pause is served after it" late "$r"
exec 5>&- 6>&- 7>&- 8>&- 9>&-
check "cps: the end-of-pause line" grep -q '^sockipc: cps echo: the pause is over, accepting again$' "$S.err"
expect_eq "cps: one refusal only (the others waited)" 1 "$(count "$S.err" '^sockipc: refused ')"
check "cps: the late one opened after the pause ended" bash -c \
	"awk '/the pause is over/{p=1} /^sockipc: open echo/{n++; if (n==4 && p) ok=1} END{exit !ok}' '$S.err'"
stop_server cps $SRV "$S.err"

# ---- only_from, no_access, access_times, log fields ----
now=$(date +%H:%M)
m=$((10#${now%:*} * 60 + 10#${now#*:}))
hm() { printf '%02d:%02d' $(((($1 % 1440) + 1440) % 1440 / 60)) $(((($1 % 1440) + 1440) % 1440 % 60)); }
# A window that opens in two minutes and closes in three: not now, even
# if the minute turns during the test.
win="$(hm $((m + 2)))-$(hm $((m + 3)))"
ABS="sipc-svc-limits-$$"
cat >"$T/acl.conf" <<EOF
service only
{
    listen    = tcp://127.0.0.1:0
    run       = echo
    only_from = 127.0.0.1
}
service noacc
{
    listen    = tcp://127.0.0.1:0
    run       = echo
    no_access = 127.0.0.2
}
service times
{
    listen       = tcp://127.0.0.1:0 udp://127.0.0.1:0
    run          = echo
    access_times = $win
}
service uids
{
    listen    = unix://@$ABS
    run       = echo
    only_from = uid:0
}
service ex
{
    listen         = tcp://127.0.0.1:0
    run            = exec /bin/sh -c 'echo out; exit 3'
    user           = $(id -un)
    log_on_success = PID EXIT
}
service quiet
{
    listen         = tcp://127.0.0.1:0
    run            = echo
    only_from      = 10.0.0.0/8
    log_on_failure = HOST
}
service nohost
{
    listen         = tcp://127.0.0.1:0
    run            = echo
    only_from      = 10.0.0.0/8
    log_on_failure = ATTEMPT
}
service exinst
{
    listen    = tcp://127.0.0.1:0
    run       = exec /bin/cat
    user      = $(id -un)
    instances = 1
}
service flood
{
    listen    = tcp://127.0.0.1:0
    run       = echo
    only_from = 10.0.0.0/8
}
EOF
S="$T/acl"
bg "$S" "$SOCKIPC" serve -f "$T/acl.conf"
SRV=$BG_PID
wait_count "$S" '^listening ' 10 5
ONLY=$(nth_port "$S" 1); NOACC=$(nth_port "$S" 2); TIMES=$(nth_port "$S" 3); UTIMES=$(nth_port "$S" 4)
EX=$(nth_port "$S" 6); QUIET=$(nth_port "$S" 7); NOHOST=$(nth_port "$S" 8); EXI=$(nth_port "$S" 9); FLOOD=$(nth_port "$S" 10)

refused_fast "only_from: 127.0.0.2" $ONLY 127.0.0.2
check "only_from: refused line" grep -Eq \
	"^sockipc: refused echo local=tcp://127.0.0.1:$ONLY peer=tcp://127.0.0.2:[0-9]+: not in only_from$" "$S.err"
expect_eq "only_from: 127.0.0.1 served" hi "$(ask $ONLY)"
refused_fast "no_access: 127.0.0.2" $NOACC 127.0.0.2
check "no_access: refused line" grep -Eq \
	"^sockipc: refused echo local=tcp://127.0.0.1:$NOACC peer=tcp://127.0.0.2:[0-9]+: in no_access$" "$S.err"
expect_eq "no_access: 127.0.0.1 served" hi "$(ask $NOACC)"

refused_fast "access_times $win (now $now)" $TIMES
check "access_times: refused line" grep -Eq \
	"^sockipc: refused echo local=tcp://127.0.0.1:$TIMES peer=tcp://127.0.0.1:[0-9]+: outside access_times$" "$S.err"
expect_eq "access_times: a datagram gets no answer" "" \
	"$(printf 'x' | timeout $(secs 5) socat -t1 - UDP:127.0.0.1:$UTIMES)"
wait_line "$S.err" "dropped a datagram from udp://127.0.0.1:[0-9]+: outside access_times" 5 >/dev/null
check "access_times: datagram drop line" test $? -eq 0

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	got=$(printf 'hi\n' | timeout $(secs 5) setpriv --reuid=65534 --regid=65534 --clear-groups \
		socat -t2 - ABSTRACT-CONNECT:$ABS 2>/dev/null)
	expect_eq "only_from uid:0: uid 65534 gets nothing" "" "$got"
	wait_line "$S.err" "^sockipc: refused echo local=unix://@$ABS .*: uid/gid not in only_from$" 5 >/dev/null
	check "only_from uid:0: refused line" test $? -eq 0
	expect_eq "only_from uid:0: root served" hi \
		"$(printf 'hi\n' | timeout $(secs 5) socat -t2 - ABSTRACT-CONNECT:$ABS)"
else
	echo "SKIP: the unix uid part needs root and setpriv" >&2
fi

# log_on_success = PID EXIT: the exec child's pid and status; no peer,
# bytes or time.
expect_eq "exec: served" out "$(timeout $(secs 5) socat -u TCP:127.0.0.1:$EX - </dev/null)"
line=$(wait_line "$S.err" "^sockipc: close exec local=tcp://127.0.0.1:$EX " 5)
check "log_on_success PID EXIT: [$line]" bash -c \
	"echo '$line' | grep -Eq '^sockipc: close exec local=tcp://127.0.0.1:$EX pid=[0-9]+ exit=3 end=exit 3$'"
pid=$(echo "$line" | sed -n 's/.* pid=\([0-9]*\) .*/\1/p')
check "log_on_success: pid=$pid is the child's, not the server's ($SRV)" test "${pid:-0}" -ne "$SRV" -a "${pid:-0}" -gt 0
check "log_on_success without HOST: the open line names no peer" grep -q \
	"^sockipc: open exec local=tcp://127.0.0.1:$EX$" "$S.err"

# instances on exec: the connection holds its place while the child
# runs, and gives it back when the child has exited.
spawn hold $EXI; H1=$BG_PID
wait_line "$S.err" "^sockipc: open exec local=tcp://127.0.0.1:$EXI " 5 >/dev/null
refused_fast "exec instances 1: a second connection" $EXI
check "exec instances 1: refused line" grep -Eq \
	"^sockipc: refused exec local=tcp://127.0.0.1:$EXI peer=tcp://127.0.0.1:[0-9]+: 1 connections open \(instances 1\)$" "$S.err"
stop_bg $H1
wait_line "$S.err" "^sockipc: close exec local=tcp://127.0.0.1:$EXI " 5 >/dev/null
served_again "exec instances 1: the child gone, served again" $EXI

# log_on_failure = HOST (no ATTEMPT): refused, counted, not logged.
refused_fast "log_on_failure HOST: refused" $QUIET
refused_fast "log_on_failure ATTEMPT: refused" $NOHOST
wait_line "$S.err" "^sockipc: refused echo local=tcp://127.0.0.1:$NOHOST: not in only_from$" 5 >/dev/null
check "log_on_failure ATTEMPT without HOST: a line without the peer" test $? -eq 0
expect_eq "log_on_failure without ATTEMPT: the refusal is counted" 1 \
	"$(refused_count $SRV "$S.err" $QUIET)"
check "log_on_failure without ATTEMPT: no refused line" bash -c \
	"! grep -q 'refused echo local=tcp://127.0.0.1:$QUIET' '$S.err'"

# A flood of refusals: 50 connections at once get one line (a source's
# line a second); a refusal after that second says how many were not
# logged.  Polled with one connection at a time, bounded.
for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$FLOOD) 2>/dev/null; done
wait_count "$S.err" "^sockipc: refused echo local=tcp://127.0.0.1:$FLOOD " 1 5
for ((i = 0; i < 100 * SCALE; i++)); do
	grep -q "local=tcp://127.0.0.1:$FLOOD .*more refused)" "$S.err" && break
	(exec 3<>/dev/tcp/127.0.0.1/$FLOOD) 2>/dev/null
	sleep 0.05
done
n=$(count "$S.err" "^sockipc: refused echo local=tcp://127.0.0.1:$FLOOD ")
check "refusal flood: few lines ($n for $((50 + i)) refusals)" test "$n" -le 3
check "refusal flood: the summary" grep -Eq \
	"^sockipc: refused echo local=tcp://127.0.0.1:$FLOOD peer=tcp://127.0.0.1:[0-9]+: not in only_from \([0-9]+ more refused\)$" "$S.err"
want=$((50 + i)); got=""
for ((k = 0; k < 40 * SCALE; k++)); do
	got=$(refused_count $SRV "$S.err" $FLOOD)
	[ "$got" = "$want" ] && break
	sleep 0.05
done
expect_eq "refusal flood: every one counted" "$want" "$got"
stop_server acl $SRV "$S.err"

finish
