#!/usr/bin/env bash
# lib_selftest.sh - lib.sh's process handling: a script that fails a step,
# or is stopped by a signal while it waits, leaves no process behind: not
# a pipeline under a `bash -c` wrapper started with bg, not a plain `&`,
# not a process that moved to a session of its own.  And stop_bg stops a
# whole group and returns the leader's status.
. "$(dirname "$0")/lib.sh"

# inner MARK MODE: a script that starts all of those, marked MARK, then
# fails a step (MODE=fail) or waits until it is killed (MODE=wait).
cat >"$T/inner.sh" <<'INNER'
. "$1/lib.sh"
bg "$T/a" bash -c "sleep 300 | sleep 301"
sleep 302 &
setsid sleep 303 &
bg "$T/b" bash -c 'sleep 304 & exec sleep 305'
echo started >"$3"
if [ "$2" = fail ]; then
	fail "a step that fails"
	finish
fi
wait "$BG_PID"
INNER

count() { bash "$_SIPC_SUPPORT/marked.sh" "SIPC_SELFTEST=$1" | wc -l; }
# gone MARK: waits, bounded, until no process carries MARK.
gone() {
	local i
	for ((i = 0; i < 40 * SCALE; i++)); do
		[ "$(count "$1")" -eq 0 ] && return 0
		sleep 0.05
	done
	echo "left behind:" >&2
	ps -o pid=,ppid=,pgid=,args= -p "$(bash "$_SIPC_SUPPORT/marked.sh" "SIPC_SELFTEST=$1" | paste -sd,)" >&2
	return 1
}

# A step fails: the script exits 1, its processes with it.
m="fail-$$-$RANDOM"
SIPC_SELFTEST=$m bash "$T/inner.sh" "$_SIPC_SUPPORT" fail "$T/started.1" >"$T/fail.out" 2>&1
expect_eq "a failed step exits 1" 1 $?
check "the script started its processes" test -s "$T/started.1"
check "nothing of a failed script survives it" gone "$m"

# Stopped while it waits (ctest's timeout, ^C): the same.
m="term-$$-$RANDOM"
SIPC_SELFTEST=$m bash "$T/inner.sh" "$_SIPC_SUPPORT" wait "$T/started.2" >"$T/term.out" 2>&1 &
pid=$!
wait_line "$T/started.2" started 10 >/dev/null
# Beside the script: the wrapper and its two sleeps, the plain &, the
# one in a session of its own, and the two of the second bg (the wrappers
# start theirs a moment after the script went on: bounded wait).
for ((i = 0; i < 100 * SCALE; i++)); do
	[ "$(count "$m")" -ge 8 ] && break
	sleep 0.05
done
expect_eq "seven processes run while it waits" 7 "$(( $(count "$m") - 1 ))"
kill -TERM $pid
wait $pid
expect_eq "a script stopped by SIGTERM exits 143" 143 $?
check "nothing of a stopped script survives it" gone "$m"

# stop_bg: the whole group, and the leader's status.
bg "$T/c" bash -c 'sleep 306 | sleep 307; exit 5'
g=$BG_PID
stop_bg $g
expect_eq "stop_bg returns the status of a killed leader" 143 $?
check "stop_bg leaves nothing of the group" test -z "$(ps -e -o pgid=,stat= | awk -v g=$g '$1 == g && $2 !~ /^Z/')"
spawn bash -c 'echo up; exit 5' >"$T/d"
wait_line "$T/d" up 10 >/dev/null
stop_bg $BG_PID
rc=$?
check "stop_bg returns the status of a leader that exited by itself ($rc)" test $rc -eq 5 -o $rc -eq 143
# free_ports: below the ephemeral range, distinct, reserved while the
# script runs (another script never gets one), given back at its exit.
read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
read -r -a mine <<<"$(free_ports 20)"
expect_eq "free_ports gives 20 ports" 20 "${#mine[@]}"
check "they are all below the ephemeral range ($lo-$hi)" \
	bash -c 'for p; do [ "$p" -lt '"$lo"' ] || exit 1; done' _ "${mine[@]}"
expect_eq "they are distinct" 20 "$(printf '%s\n' "${mine[@]}" | sort -u | wc -l)"
cat >"$T/ports.sh" <<'INNER'
. "$1/lib.sh"
free_ports 200 >"$2"
INNER
bash "$T/ports.sh" "$_SIPC_SUPPORT" "$T/theirs"
read -r -a theirs <"$T/theirs"
expect_eq "another script gets 200 others" 0 \
	"$(printf '%s\n' "${mine[@]}" "${theirs[@]}" | sort | uniq -d | wc -l)"
check "its reservations are gone with it" \
	bash -c 'for p; do [ ! -e "$0/$p" ] || exit 1; done' "$_PORT_DIR" "${theirs[@]}"
check "ours are held while we run" \
	bash -c 'for p; do [ "$(cat "$0/$p/owner")" = '$$' ] || exit 1; done' "$_PORT_DIR" "${mine[@]}"
# no_sanitizer_report: passes on clean logs; on a report, fails with it.
printf 'listening\nclose echo\n' >"$T/clean.err"
printf 'x\n==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x1\n    #0 0x2 in f a.c:3\n' >"$T/dirty.err"
expect_eq "no_sanitizer_report passes clean logs" "ok: clean" \
	"$(no_sanitizer_report clean "$T/clean.err" 2>&1)"
out=$( (no_sanitizer_report dirty "$T/clean.err" "$T/dirty.err"; echo "failures=$_failures") 2>&1)
check "no_sanitizer_report fails on a report and shows it ($out)" \
	bash -c '[[ $1 == *"FAIL: dirty: "*"heap-use-after-free"*"a.c:3"* && $1 == *"failures=$2"* ]]' _ "$out" $((_failures + 1))
finish
