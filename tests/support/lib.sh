# lib.sh - sourced by the integration and interop scripts.
#
# Gives each script a scratch directory that is removed at exit, kills the
# background processes it started, and offers bounded waits: a test never
# sleeps for a fixed time to let a server come up, it reads the server's
# `listening` line.
set -u
SOCKIPC=${SOCKIPC:?run through ctest, or set SOCKIPC to the sockipc binary}
SCALE=${SIPC_TEST_SCALE:-1}
T=$(mktemp -d "${TMPDIR:-/tmp}/sipc-it-XXXXXX")
_pids=()
_cleanup() {
	for p in "${_pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	for p in "${_pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap _cleanup EXIT
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
need() { for c in "$@"; do command -v "$c" >/dev/null 2>&1 || skip "$c is not installed (CI installs it)"; done; }

# bg OUTFILE CMD...: runs CMD in the background, stdout to OUTFILE, stderr to
# OUTFILE.err; its pid in $BG_PID.
bg() { local out=$1; shift; "$@" >"$out" 2>"$out.err" & BG_PID=$!; _pids+=("$BG_PID"); }

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

# listening_url FILE SECONDS: the URL of the first `listening URL ...` line.
listening_url() { wait_line "$1" '^listening ' "$2" | awk '{print $2}'; }

# port_of URL: the port at the end of an IP URL.
port_of() { echo "${1##*:}"; }

# wait_count FILE REGEX N SECONDS: waits until N lines of FILE match.
wait_count() {
	local i=0
	while [ $i -lt $(( $4 * SCALE * 20 )) ]; do
		[ "$(grep -Ec -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.05; i=$((i + 1))
	done
	return 1
}

# usr1_until_idle PID ERRFILE: SIGUSR1 until the counters show no open
# connection.  A connection's end reaches them when its worker (under fork:
# the parent reaping the child) has seen it, a moment after the client got
# its last byte, so one signal right away may still count it; bounded.
usr1_until_idle() {
	for i in $(seq 1 $((20 * SCALE))); do
		kill -USR1 "$1"
		sleep 0.1
		grep -Eq 'stats: all open=0 ' "$2" && return 0
	done
	return 1
}

# Prints the closing line ctest and CI read, and exits with the verdict.
finish() {
	echo "$_passes passed, $_failures failed"
	[ "$_failures" -eq 0 ]
	exit $?
}
