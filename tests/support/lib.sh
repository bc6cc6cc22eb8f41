# lib.sh - sourced by the integration and interop scripts.
#
# Gives each script a scratch directory that is removed at exit, and offers
# bounded waits: a test never sleeps for a fixed time to let a server come
# up, it reads the server's `listening` line.
#
# Processes: a script starts what runs beside it with `bg` or `spawn`, which
# put it in a process group of its own, so a pipeline or a `bash -c` wrapper
# is stopped together with what it started (`stop_bg`, and at exit: TERM to the
# group, KILL after a bounded wait).  Every process the script starts, by
# whatever means, carries SIPC_TEST_SCRIPT in its environment; at exit the
# ones still alive are named and killed, so even a process started with a
# plain `&`, or one that left its group, does not outlive the script.
# CMake adds SIPC_TEST_RUN to every test, and tests/support/leftovers.sh
# checks after the whole suite that nothing carrying it survived.
set -u
SOCKIPC=${SOCKIPC:?run through ctest, or set SOCKIPC to the sockipc binary}
SCALE=${SIPC_TEST_SCALE:-1}
T=$(mktemp -d "${TMPDIR:-/tmp}/sipc-it-XXXXXX")
export SIPC_TEST_SCRIPT="$T"
_SIPC_SUPPORT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_pids=()
_failures=0
_passes=0

# Seconds stretched by the sanitizer scale.
secs() { echo $(($1 * SCALE)); }

fail() { echo "FAIL: $*" >&2; _failures=$((_failures + 1)); }
pass() { echo "ok: $*"; _passes=$((_passes + 1)); }
# check DESCRIPTION CMD...: pass when CMD succeeds.
check() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
# expect_eq DESCRIPTION WANT GOT
expect_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: want [$2] got [$3]"; fi; }
skip() { echo "SKIP: $*" >&2; exit 77; }
# need CMD...: skips unless every CMD is found (also in the sbin
# directories, which a non-root user's PATH usually lacks).
need() {
	local c
	for c in "$@"; do
		PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin command -v "$c" >/dev/null 2>&1 ||
			skip "$c is not installed (CI installs it)"
	done
}

# spawn CMD...: runs CMD (a program, a function, or a subshell given as
# `bash -c`) in the background in a process group of its own, with the
# caller's redirections; its pid, which is also the group's id, in $BG_PID.
# `set -m` is what gives a background job its own group; it is only on for
# the moment of the fork.  The child drops the script's traps first, so a
# signal sent right after spawn is not caught by the script's handler and
# then lost at the exec (bash runs a trap at its next command, and there is
# none after an exec): it ends the child either way.
spawn() { set -m; _spawned "$@" & BG_PID=$!; set +m; _pids+=("$BG_PID"); }
_spawned() {
	trap - TERM INT EXIT
	if declare -F "$1" >/dev/null; then "$@"; exit; fi
	exec "$@"
}

# bg OUTFILE CMD...: spawn with stdout to OUTFILE, stderr to OUTFILE.err.
bg() { local out=$1; shift; spawn "$@" >"$out" 2>"$out.err"; }

# _alive PID: true while PID, or a process of the group it leads, is alive
# (a zombie is not).
_alive() {
	ps -e -o pid=,pgid=,stat= | awk -v p="$1" '($1 == p || $2 == p) && $3 !~ /^Z/ { f = 1 } END { exit !f }'
}

# _signal PID SIG: SIG to the group PID leads (it outlives its leader), or
# to PID alone when it leads none (a pid a script added to _pids itself).
_signal() { kill -"$2" -- -"$1" 2>/dev/null || kill -"$2" "$1" 2>/dev/null; }

# _ours PID: PID is still this script's, not a number the kernel gave to
# another test's process once ours was reaped (pid_max is 32768 here, and a
# suite at -j8 wraps it in minutes): a live PID must carry this script's
# marker; a gone one leaves its number to the group it led, which keeps it
# while any member lives.
_ours() {
	[ -e "/proc/$1" ] || return 0
	# A zombie (its environment reads empty) is our unreaped child.
	[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ] && return 0
	grep -qzxF -- "SIPC_TEST_SCRIPT=$T" "/proc/$1/environ" 2>/dev/null
}

# stop_bg PID [SIGNAL]: SIGNAL (TERM) to the group PID leads, KILL to what is
# left of it after a bounded wait; reaps PID and returns its exit status.
# The signal is sent again every half second: one that reaches a child
# between its fork and its exec can be lost.
stop_bg() {
	local p=$1 i
	for ((i = 0; i < 100 * SCALE; i++)); do
		[ $((i % 10)) -eq 0 ] && _signal "$p" "${2:-TERM}"
		_alive "$p" || break
		sleep 0.05
	done
	kill -KILL -- -"$p" 2>/dev/null
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}

# no_sanitizer_report DESCRIPTION FILE...: passes when no FILE holds a
# sanitizer report; fails with the start of the first one found, so that a
# report seen once in CI can be read.
no_sanitizer_report() {
	local d=$1 f
	shift
	for f in "$@"; do
		if grep -qs Sanitizer "$f"; then
			fail "$d: $f: $(grep -m1 -A30 -E 'ERROR: .*Sanitizer|Sanitizer' "$f" | tr '\n' ' ' | cut -c1-3000)"
			return
		fi
	done
	pass "$d"
}

# stop_server NAME PID ERRFILE: SIGTERM to a server, which must exit 0
# (under ASan: no leak) and leave no sanitizer report in ERRFILE.
stop_server() {
	local rc=0
	kill -TERM "$2"; wait "$2" || rc=$?
	expect_eq "$1: exits 0 on SIGTERM" 0 "$rc"
	no_sanitizer_report "$1: no sanitizer report" "$3"
}

# serving_pid PID: the process that serves for the `sockipc serve` PID, its
# current generation (the supervisor forks it; during a reload, the newest
# of them).  Exec children and fork-model connection processes are its
# children, not the supervisor's.
serving_pid() { ps --ppid "$1" -o pid= --sort=start_time | tail -1 | tr -d ' '; }

# nth_port FILE N: the port of the Nth "listening URL" line in FILE.
nth_port() { awk -v n="$2" '/^listening /{ if (++i == n) { sub(/.*:/, "", $2); print $2 } }' "$1"; }

# wait_size FILE BYTES SECONDS: waits (bounded) until FILE holds BYTES bytes
# or more; 1 with a line on stderr when it does not in time.
wait_size() {
	local i
	for ((i = 0; i < $3 * SCALE * 20; i++)); do
		[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for $2 bytes in $1 (has $(stat -c %s "$1" 2>/dev/null || echo 0))" >&2
	return 1
}

# ended PID: waits (bounded) until PID has exited; its status in $STATUS,
# "hung" when it had to be killed.
ended() {
	local i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt $((200 * SCALE)) ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		stop_bg "$1" KILL
		STATUS=hung
		return
	fi
	wait "$1" 2>/dev/null
	STATUS=$?
}

_cleanup() {
	local rc=$? p i left
	# A child forked by spawn runs the traps it inherited until it execs:
	# a signal in that moment must not clean up the script's things.
	[ "$BASHPID" = $$ ] || exit $rc
	trap - EXIT INT TERM
	# What runs from here on must not carry the marker it looks for.
	export -n SIPC_TEST_SCRIPT
	for ((i = 0; i < 100 * SCALE; i++)); do
		left=""
		for p in "${_pids[@]}"; do
			_alive "$p" && _ours "$p" || continue
			left=1
			[ $((i % 10)) -eq 0 ] && _signal "$p" TERM
		done
		[ -z "$left" ] && break
		sleep 0.05
	done
	for p in "${_pids[@]}"; do _alive "$p" && _ours "$p" && _signal "$p" KILL; done
	for p in "${_pids[@]}"; do wait "$p" 2>/dev/null; done
	# The processes carrying this script's marker, but for this shell
	# (marked.sh runs as a program, not in a subshell: see why there).
	left=$(bash "$_SIPC_SUPPORT/marked.sh" "SIPC_TEST_SCRIPT=$T" $$)
	if [ -n "$left" ]; then
		echo "lib.sh: killing what this script started outside bg/spawn:" >&2
		ps -o pid=,ppid=,pgid=,args= -p "$(echo $left | tr ' ' ,)" >&2
		kill -TERM $left 2>/dev/null
		for ((i = 0; i < 40 * SCALE; i++)); do
			[ -z "$(bash "$_SIPC_SUPPORT/marked.sh" "SIPC_TEST_SCRIPT=$T" $$)" ] && break
			sleep 0.05
		done
		left=$(bash "$_SIPC_SUPPORT/marked.sh" "SIPC_TEST_SCRIPT=$T" $$)
		[ -n "$left" ] && kill -KILL $left 2>/dev/null
	fi
	_free_ports_release
	rm -rf "$T"
	exit $rc
}
trap _cleanup EXIT
# A script stopped by ctest's timeout or by ^C still cleans up.
trap 'exit 143' TERM
trap 'exit 130' INT

# wait_line FILE REGEX SECONDS: waits until a line of FILE matches; prints it.
wait_line() {
	local file=$1 re=$2 limit=$(( $3 * SCALE * 20 )) i=0
	while [ $i -lt $limit ]; do
		if [ -f "$file" ] && grep -Eq -- "$re" "$file"; then grep -Em1 -- "$re" "$file"; return 0; fi
		sleep 0.05; i=$((i + 1))
	done
	echo "timed out waiting for /$re/ in $file" >&2
	[ -f "$file" ] && sed 's/^/  | /' "$file" >&2
	[ -f "$file.err" ] && sed 's/^/  ! /' "$file.err" >&2
	return 1
}

# unix_listening PATH SECONDS: waits (bounded) until a stream socket listens
# at PATH.  nc, ncat and socat bind the file before they listen, so the file
# alone lets a connect made in between be refused.
unix_listening() {
	_unix_listens() { ss -xlnH 2>/dev/null | awk '{print $5}' | grep -qxF -- "$1"; }
	wait_until "$2" _unix_listens "$1" || { echo "nothing listens at $1" >&2; return 1; }
}

# wait_until SECONDS COMMAND...: runs COMMAND every 50 ms until it
# succeeds (0) or SECONDS (stretched by the sanitizer scale) have passed
# (1): the one bounded poll behind the waits that have no line to read.
wait_until() {
	local i limit=$(($1 * SCALE * 20))
	shift
	for ((i = 0; i < limit; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# listening_url FILE SECONDS: the URL of the first `listening URL ...` line.
listening_url() { wait_line "$1" '^listening ' "$2" | awk '{print $2}'; }

# free_ports N: N ports free on TCP and UDP, for peers that need a fixed
# port (systemd-socket-activate -l, xinetd, haproxy) and for ports that
# must stay closed (a refused dial, a scan's `closed`).  They come from
# below the kernel's ephemeral range, so no connect or port-0 bind of any
# test takes one a moment later (a closed port that was reused by a
# connect under ctest -j8 once made a refused dial succeed); nothing on
# the machine uses them now (ss), and each is reserved for this script
# (_PORT_DIR) so two scripts running at once never pick the same one.
_PORT_DIR="${TMPDIR:-/tmp}/sipc-test-ports"
free_ports() {
	local lo hi used p n=0 tries=0 owner lock
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	# Below the range when there is room, else above it.
	if [ "$lo" -gt 11024 ]; then hi=$((lo - 1)); lo=$((lo - 10000)); else lo=$((hi + 1)); hi=65535; fi
	mkdir -p "$_PORT_DIR"
	used=" $(ss -Htuan 2>/dev/null | awk '{ sub(/.*:/, "", $5); printf "%s ", $5 }') "
	# One picker at a time: a reservation is a directory and its owner
	# file, made in two steps, which another picker must not take for
	# one left by a dead script in between.
	exec {lock}>"$_PORT_DIR/.lock"
	flock -w 30 "$lock" || { echo "free_ports: $_PORT_DIR/.lock held for 30 s" >&2; return 1; }
	while [ $n -lt "$1" ]; do
		if [ $((tries += 1)) -gt 1000 ]; then
			echo "free_ports: no free port in $lo-$hi" >&2
			exec {lock}>&-
			return 1
		fi
		p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
		[[ $used == *" $p "* ]] && continue
		if [ -e "$_PORT_DIR/$p" ]; then
			# Reserved: by a script still running, or left by one killed.
			owner=$(cat "$_PORT_DIR/$p/owner" 2>/dev/null)
			[ -n "$owner" ] && kill -0 "$owner" 2>/dev/null && continue
			rm -rf "$_PORT_DIR/$p"
		fi
		mkdir "$_PORT_DIR/$p" && echo $$ >"$_PORT_DIR/$p/owner" || continue
		printf '%s ' "$p"
		n=$((n + 1))
	done
	exec {lock}>&-
}

# _free_ports_release: gives back this script's reservations (at exit).
_free_ports_release() {
	local d
	for d in "$_PORT_DIR"/*/; do
		[ "$(cat "$d/owner" 2>/dev/null)" = $$ ] && rm -rf "$d"
	done
	return 0
}

# tcp_listening PORT SECONDS: waits (bounded) until a TCP socket listens
# on PORT of 127.0.0.1 (or of every address), for peers that say nothing
# when they are up (haproxy, microsocks, danted, tinyproxy).
tcp_listening() {
	_tcp_listens() { [ -n "$(ss -tlnH "( sport = :$1 )" 2>/dev/null)" ]; }
	wait_until "$2" _tcp_listens "$1" || { echo "nothing listens on port $1" >&2; return 1; }
}

# port_of URL: the port at the end of an IP URL.
port_of() { echo "${1##*:}"; }

# wait_count FILE REGEX N SECONDS: waits until N lines of FILE match.
wait_count() {
	local i=0 n
	while [ $i -lt $(( $4 * SCALE * 20 )) ]; do
		n=$(grep -Ec -- "$2" "$1" 2>/dev/null)
		[ "${n:-0}" -ge "$3" ] && return 0
		sleep 0.05; i=$((i + 1))
	done
	echo "timed out waiting for $3 lines /$2/ in $1" >&2
	return 1
}

# usr1_until_idle PID ERRFILE: SIGUSR1 until the counters show no open
# connection.  A connection's end reaches them when its worker (under fork:
# the parent reaping the child) has seen it, a moment after the client got
# its last byte, so the answer to one signal may still count it: each
# signal waits for its own `stats: all` line, then looks at that line.
usr1_until_idle() {
	local i n
	for ((i = 0; i < 40 * SCALE; i++)); do
		n=$(grep -c 'stats: all ' "$2")
		kill -USR1 "$1" || return 1
		wait_count "$2" 'stats: all ' $((n + 1)) 5 || return 1
		grep 'stats: all ' "$2" | tail -1 | grep -q 'stats: all open=0 ' && return 0
		sleep 0.05
	done
	return 1
}

# need_io_uring: skips the test unless serve runs on io_uring here (a
# probe `serve --io uring` that does not fall back to epoll).
need_io_uring() {
	local p
	bg "$T/probe" "$SOCKIPC" serve --io uring tcp://127.0.0.1:0 echo
	p=$BG_PID
	wait_line "$T/probe" '^listening ' 10 >/dev/null || { fail "probe serve listens"; finish; }
	if grep -q 'uring cannot run here' "$T/probe.err"; then
		stop_bg "$p"
		skip "io_uring cannot run on this machine: $(grep -m1 'cannot run here' "$T/probe.err")"
	fi
	stop_server "probe" "$p" "$T/probe.err"
}

# Prints the closing line ctest and CI read, and exits with the verdict.
# cpu_ticks PID: the user + system CPU PID has used, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# hold_clients PORT N: N tcp clients of 127.0.0.1:PORT that connect and
# hold their connection until stopped (one process group: stop_bg ends
# them all).
hold_clients() {
	local i
	for ((i = 0; i < $2; i++)); do
		( exec 3<>/dev/tcp/127.0.0.1/$1 && exec sleep 600 ) 2>/dev/null &
	done
	wait
}
# echo_again PORT: what an echo on 127.0.0.1:PORT answers to "back", once
# it answers (the server sees held clients' ends a moment after they
# die: bounded retries).
echo_again() {
	local i ok=""
	for ((i = 0; i < 40 * SCALE; i++)); do
		ok=$(printf back | timeout $(secs 5) socat -t2 - TCP:127.0.0.1:$1)
		[ "$ok" = back ] && break
		sleep 0.05
	done
	echo "$ok"
}

finish() {
	echo "$_passes passed, $_failures failed"
	[ "$_failures" -eq 0 ]
	exit $?
}
