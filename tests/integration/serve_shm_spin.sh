# serve_shm_spin.sh - serve's and bench's event loops spin on their shm://
# rings (src/loop's busy-poll), so a message caught while the other side
# spins costs no wake-up: counted with strace on both, 2,000 echoes through
# serve with spin=always on both sides make the generator send no wake-up
# byte to serve (serve never armed: it never slept) and serve send none to
# the generator (which never armed either).  Without the loops' spin each
# message costs a wake-up each way, so both counts would be near 2,000.  Counting
# calls, not timing them, keeps it exact under any load.  With spin=0 the
# same run costs a wake-up per message, which shows the count is real.
. "$(dirname "$0")/../support/lib.sh"
need strace

N=2000
# LeakSanitizer cannot run under ptrace: under ASan the traced processes
# leave leaks to the rest of the suite (their other sanitizers still run).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
# count FILE CALL...: the calls of strace -c's table in FILE, summed.
count() {
	local f=$1
	shift
	awk -v want=" $* " '$NF != "total" && index(want, " " $NF " ") {
		n += ($4 ~ /^[0-9]+$/ ? $4 : $3) } END { print n + 0 }' "$f"
}

for mode in always 0; do
	U="shm://$T/s-$mode.sock?spin=$mode"
	bg "$T/s-$mode" strace -f -c -o "$T/s-$mode.st" -e trace=sendto,sendmsg \
		"$SOCKIPC" serve -q -w 1 -e "$U echo"
	S=$BG_PID
	unix_listening "$T/s-$mode.sock" "$(secs 10)" || fail "spin=$mode: serve listens"
	strace -f -c -o "$T/b-$mode.st" -e trace=sendto,sendmsg \
		"$SOCKIPC" bench -q --json "$U" --count $N >"$T/b-$mode.json" 2>"$T/b-$mode.err"
	expect_eq "spin=$mode: bench exits 0" 0 $?
	check "spin=$mode: every echo came back ($(head -c 300 "$T/b-$mode.json"))" \
		python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if d["echoed"] == int(sys.argv[2]) and d["ok"] else 1)' \
		"$T/b-$mode.json" $N
	# serve (under strace, whose child it is) ends; strace then writes
	# its count and ends too.
	kill -TERM "$(pgrep -P "$S" -x sockipc)"
	wait "$S"
	expect_eq "spin=$mode: serve exits 0" 0 $?
	no_sanitizer_report "spin=$mode: no sanitizer report" "$T/s-$mode.err"
	woke=$(count "$T/b-$mode.st" sendto sendmsg)
	answered=$(count "$T/s-$mode.st" sendto sendmsg)
	if [ $mode = always ]; then
		# The handshake's hello, its ring and the "mapped" byte: a few.
		check "spin=always: the generator woke serve $woke times for $N echoes (serve spins)" \
			test "$woke" -lt 20
		check "spin=always: serve woke the generator $answered times for $N echoes (bench spins)" \
			test "$answered" -lt 20
	else
		check "spin=0: the generator woke serve $woke times for $N echoes (one each)" \
			test "$woke" -ge $N
		check "spin=0: serve woke the generator $answered times for $N echoes (one each)" \
			test "$answered" -ge $N
	fi
done
finish
