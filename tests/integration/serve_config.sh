# serve_config.sh - what `sockipc serve` makes of service lines it cannot
# take: a -f FILE that never ends (/dev/zero) fails at once naming
# FILE:LINE instead of growing without bound, a NUL byte or an overlong
# line is an error naming FILE:LINE, and two service lines typed as one
# positional line get a hint to use -e.
. "$(dirname "$0")/../support/lib.sh"

# usage NAME FILE CMD...: CMD exits 2 within a bounded time; its stderr in FILE.
usage() {
	local name=$1 out=$2 rc=0
	shift 2
	timeout "$(secs 5)" "$@" >/dev/null 2>"$out" || rc=$?
	expect_eq "$name: exit 2" 2 "$rc"
}

# /dev/zero: the first byte is a NUL; before the bound the server read
# it forever (1.6 GB in 4 s).  The memory it used must stay small.
# The timeout bounds the time; GNU time, where installed, the memory.
timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -f '%M' -o "$T/zero.rss")
rc=0
"${timer[@]}" timeout "$(secs 5)" "$SOCKIPC" serve -f /dev/zero >/dev/null 2>"$T/zero.err" || rc=$?
expect_eq "-f /dev/zero: exit 2 at once" 2 "$rc"
check "-f /dev/zero: error names FILE:LINE" grep -q '/dev/zero:1: NUL byte' "$T/zero.err"
if [ -f "$T/zero.rss" ]; then
	rss=$(tail -1 "$T/zero.rss")
	if [ "${rss:-999999}" -lt 65536 ]; then pass "-f /dev/zero: memory stays small (${rss} KiB)"; else fail "-f /dev/zero used ${rss} KiB"; fi
fi

# A NUL byte in the middle of a line used to cut it silently.
printf 'tcp://127.0.0.1:0 echo\ntcp://127.0.0.1:0 echo\0 junk\n' >"$T/nul.conf"
usage "NUL byte" "$T/nul.err" "$SOCKIPC" serve -f "$T/nul.conf"
check "NUL byte: error names FILE:LINE" grep -q "nul.conf:2: NUL byte" "$T/nul.err"

# An overlong line; one just inside the bound is read (and then refused
# for what it says, not for its length).
{ printf 'tcp://127.0.0.1:0 echo # '; head -c 5000 /dev/zero | tr '\0' x; echo; } >"$T/long.conf"
usage "long line" "$T/long.err" "$SOCKIPC" serve -f "$T/long.conf"
check "long line: error names FILE:LINE and the bound" grep -q "long.conf:1: line longer than 4096 bytes" "$T/long.err"
{ echo '# ok'; printf 'tcp://127.0.0.1:0 nosuch # '; head -c 4000 /dev/zero | tr '\0' x; echo; } >"$T/fits.conf"
usage "line within the bound" "$T/fits.err" "$SOCKIPC" serve -f "$T/fits.conf"
check "a line within the bound is read" grep -q "fits.conf:2: unknown service 'nosuch'" "$T/fits.err"

# An endless stream of blank lines stops at the file bound.
usage "endless blank lines" "$T/yes.err" bash -c "yes '' | '$SOCKIPC' serve -f /dev/stdin"
check "endless blank lines: bounded" grep -Eq "/dev/stdin:[0-9]+: (more than [0-9]+ lines|the file is larger)" "$T/yes.err"

# Two lines typed as positional arguments.
usage "two positional lines" "$T/two.err" "$SOCKIPC" serve tcp://127.0.0.1:0 echo tcp://127.0.0.1:0 echo
check "two positional lines: suggests -e" grep -q "looks like two service lines: give each with -e" "$T/two.err"
usage "too many arguments" "$T/one.err" "$SOCKIPC" serve tcp://127.0.0.1:0 echo extra
check "a plain extra argument gets no -e hint" bash -c "grep -q 'wrong number of arguments for echo' '$T/one.err' && ! grep -q 'two service lines' '$T/one.err'"

# Options that could not apply are refused, not silently ignored.
usage "--unix-mode without a unix socket file" "$T/mode.err" "$SOCKIPC" serve --unix-mode 600 tcp://127.0.0.1:0 echo
check "--unix-mode without a socket file: says so" grep -q -- "--unix-mode: no unix endpoint with a socket file" "$T/mode.err"
usage "--guard-ports with --no-guard" "$T/guard.err" "$SOCKIPC" serve --no-guard --guard-ports 5 udp://127.0.0.1:0 echo
check "--guard-ports with --no-guard: names both" grep -q -- "--guard-ports and --no-guard" "$T/guard.err"

finish
