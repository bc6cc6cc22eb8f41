# apart.sh - sourced after lib.sh by the scripts whose programs must share
# no ancestor (the examples: "two processes that share no ancestor
# exchange messages"): starting a program detached from the script, and
# reading the ancestor chains of running processes from /proc to say
# where they meet.

# detach NAME CMD...: runs CMD so that it shares no ancestor with this
# script, or with anything else this script starts, but init (or the
# nearest child subreaper above the test, when ctest or the container set
# one): a subshell forks a wrapper and exits at once (a double fork; the
# script waits for that subshell, so the wrapper has been given to the
# reaper when detach returns), and setsid puts the wrapper in a session
# of its own.  The wrapper starts CMD (the examples bound their own
# waits; a server is stopped with kill_detached), writes "CMD-PID
# WRAPPER-PID" to $T/NAME.pid, waits for CMD and writes its exit status
# to $T/NAME.rc; CMD's output goes to $T/NAME and $T/NAME.err.  Not a
# child of the script, CMD is found at exit by lib.sh through the marker
# in its environment, like anything else left.  Prints CMD's pid.
detach() {
	local name=$1
	shift
	rm -f "$T/$name.pid" "$T/$name.rc"
	(setsid bash -c '"${@:2}" & echo "$! $$" >"$1.pid.new" && mv "$1.pid.new" "$1.pid"
		wait $!; echo $? >"$1.rc"' detach "$T/$name" "$@" \
		</dev/null >"$T/$name" 2>"$T/$name.err" &)
	wait_until 10 test -s "$T/$name.pid" || { echo "detach $name: no pid" >&2; return 1; }
	cut -d' ' -f1 "$T/$name.pid"
}

# detached_rc NAME SECONDS: waits (bounded) for the detached NAME to end;
# prints its exit status ("" when it did not end in time).
detached_rc() {
	wait_until "$2" test -s "$T/$1.rc"
	cat "$T/$1.rc" 2>/dev/null
}

# kill_detached PID: TERM to a detached process; KILL after a bounded wait.
kill_detached() {
	kill -TERM "$1" 2>/dev/null
	kill -CONT "$1" 2>/dev/null
	wait_until 10 bash -c "! kill -0 $1 2>/dev/null" || kill -KILL "$1" 2>/dev/null
}

# ppid PID: the parent of PID, from /proc/PID/stat (the name may hold
# blanks: the fields after the last ')' are state, then ppid).
ppid() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	set -- $st
	echo "$2"
}

# chain PID: PID and its ancestors up to PID 1, as "pid(comm)" words.
chain() {
	local p=$1 i
	for ((i = 0; i < 64; i++)); do
		printf '%s(%s) ' "$p" "$(cat "/proc/$p/comm" 2>/dev/null)"
		[ "$p" = 1 ] && return
		p=$(ppid "$p") && [ "$p" -gt 0 ] 2>/dev/null || return
	done
}

# apart A B: true when the ancestor chains of the running programs of the
# detached A and B meet first at the reaper their wrappers were given (the
# same one for both: PID 1, or a subreaper above the test), and this
# script is in neither: they share no ancestor below that one.  The
# chains and where they meet in $APART.
apart() {
	local a b p meet= ra rb me="${$}("
	a=$(chain "$(cut -d' ' -f1 "$T/$1.pid")")
	b=$(chain "$(cut -d' ' -f1 "$T/$2.pid")")
	APART="$1: $a; $2: $b"
	for p in $b; do
		[[ " $a " == *" $p "* ]] && { meet=${p%%(*}; break; }
	done
	ra=$(ppid "$(cut -d' ' -f2 "$T/$1.pid")")
	rb=$(ppid "$(cut -d' ' -f2 "$T/$2.pid")")
	if [ -n "$meet" ] && [ "$meet" = "$ra" ] && [ "$meet" = "$rb" ] && [[ " $a $b " != *" $me"* ]]; then
		APART="$APART; they meet first at $meet, the reaper"
		return 0
	fi
	APART="$APART; they meet first at [$meet], not at the reapers [$ra] [$rb], or hold this script ($$)"
	return 1
}

# check_apart DESCRIPTION A B: pass or fail with the chains in the line.
check_apart() {
	if apart "$2" "$3"; then pass "$1: $APART"; else fail "$1: $APART"; fi
}
