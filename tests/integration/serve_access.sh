# serve_access.sh - who `sockipc serve` admits.  Attacker tests run the
# client as user nobody against a server run as root: exec on an abstract
# unix name and on a socket file of mode 0666 refuses it (it used to answer
# `uid=0(root)`), on stream and seqpacket; --allow-uid / --allow-gid (names
# or numbers) admit it; the server's own uid is always admitted; a refusal
# is logged and counted; each exec endpoint says at start whom it admits.
# --unix-mode on an abstract name and --allow-uid with a unixgram endpoint
# are usage errors.  And --allow ::ffff:127.0.0.1/128 is one rule on a
# tcp4 listener as on a dual-stack one.
. "$(dirname "$0")/../support/lib.sh"
need socat

# as_nobody CMD...: CMD as user nobody, group nogroup, no other groups.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
# ask ADDRESS: what the server sends a client that sends nothing (socat syntax).
ask() { timeout "$(secs 5)" socat -t"$(secs 2)" - "$1" </dev/null 2>/dev/null; }
ask_nobody() { as_nobody timeout "$(secs 5)" socat -t"$(secs 2)" - "$1" </dev/null 2>/dev/null; }

NAME=sipc-access-$$

# --- usage errors (any user) ---
rc=0; timeout "$(secs 5)" "$SOCKIPC" serve --unix-mode 600 "unix://@$NAME-u" exec /usr/bin/id 2>"$T/mode.err" || rc=$?
expect_eq "--unix-mode with an abstract name: exit 2" 2 "$rc"
check "--unix-mode with an abstract name: the error names the option" grep -q -- "--unix-mode: .*abstract name" "$T/mode.err"
rc=0; timeout "$(secs 5)" "$SOCKIPC" serve --allow-uid 0 "unixgram://@$NAME-g" echo 2>"$T/gram.err" || rc=$?
expect_eq "--allow-uid with unixgram: exit 2" 2 "$rc"
check "--allow-uid with unixgram: says why" grep -q "unixgram sender's credentials cannot be checked" "$T/gram.err"
rc=0; timeout "$(secs 5)" "$SOCKIPC" serve --allow-uid no-such-user-sipc "unix://@$NAME-n" echo 2>"$T/nouser.err" || rc=$?
expect_eq "--allow-uid unknown name: exit 2" 2 "$rc"
check "--allow-uid unknown name: named" grep -q "no user named 'no-such-user-sipc'" "$T/nouser.err"

# --- --allow: an IPv4-mapped rule on a tcp4 listener ---
bg "$T/v4" "$SOCKIPC" serve --allow ::ffff:127.0.0.1/128 -e 'tcp4://127.0.0.1:0 echo' -e 'tcp://[::1]:0 echo'
V4=$BG_PID
u4=$(listening_url "$T/v4" 5)
wait_count "$T/v4" '^listening ' 2 5
u6=$(awk 'NR==2{print $2}' "$T/v4")
expect_eq "--allow ::ffff:127.0.0.1/128 admits 127.0.0.1 on tcp4" "mapped" \
	"$(printf mapped | timeout "$(secs 5)" socat -t"$(secs 2)" - "TCP4:127.0.0.1:$(port_of "$u4")")"
expect_eq "--allow ::ffff:127.0.0.1/128 does not admit ::1" "" \
	"$(printf no | timeout "$(secs 5)" socat -t"$(secs 2)" - "TCP6:[::1]:$(port_of "$u6")" 2>/dev/null)"
quiet() { "$@" >/dev/null; }
check "the ::1 peer is refused and logged" quiet wait_line "$T/v4.err" 'refused echo .*not in --allow' 5
kill "$V4"; wait "$V4" 2>/dev/null

# --- credentials: root server, nobody client ---
[ "$(id -u)" = 0 ] || { finish_skip=1; echo "SKIP: the uid tests need root (a server and a client of another uid)" >&2; }
if [ -z "${finish_skip:-}" ]; then
	need setpriv
	id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null || skip "no user nobody / group nogroup"
	NOBODY=$(id -u nobody)
	NOGROUP=$(getent group nogroup | cut -d: -f3)
	# The socket files live in $T, which nobody must be able to enter.
	chmod 0755 "$T"

	# A: no lists.  Abstract exec (stream and seqpacket) admits root only;
	# a non-exec abstract endpoint stays open.
	bg "$T/a" "$SOCKIPC" serve -e "unix://@$NAME-a exec /usr/bin/id -un" \
		-e "unixpacket://@$NAME-p exec /usr/bin/id -un" -e "unix://@$NAME-e echo"
	A=$BG_PID
	wait_count "$T/a" '^listening ' 3 5
	check "abstract exec says whom it admits" grep -q "exec on unix://@$NAME-a runs '/usr/bin/id' for uid 0 (the server's own) only (an abstract name" "$T/a.err"
	expect_eq "abstract exec: nobody is refused" "" "$(ask_nobody "ABSTRACT-CONNECT:$NAME-a")"
	expect_eq "abstract seqpacket exec: nobody is refused" "" "$(ask_nobody "ABSTRACT-CONNECT:$NAME-p,type=5")"
	expect_eq "abstract exec: the server's own uid is admitted" "root" "$(ask "ABSTRACT-CONNECT:$NAME-a")"
	expect_eq "abstract echo (not exec) still serves nobody" "hi" \
		"$(printf hi | as_nobody timeout "$(secs 5)" socat -t"$(secs 2)" - "ABSTRACT-CONNECT:$NAME-e")"
	check "the refusal is logged with the uid" grep -q "refused exec local=unix://@$NAME-a .*uid $NOBODY gid $NOGROUP .*not admitted" "$T/a.err"
	kill -USR1 "$A"
	check "the refusal is counted" quiet wait_line "$T/a.err" "stats: exec unix://@$NAME-a .* refused=1 " 5

	# The check is made at accept, before a connection thread or process
	# exists: the same under --model thread and fork.
	for model in thread fork; do
		bg "$T/m-$model" "$SOCKIPC" serve --model "$model" "unix://@$NAME-$model" exec /usr/bin/id -un
		M=$BG_PID
		listening_url "$T/m-$model" 5 >/dev/null
		expect_eq "--model $model: abstract exec refuses nobody" "" "$(ask_nobody "ABSTRACT-CONNECT:$NAME-$model")"
		expect_eq "--model $model: abstract exec admits root" "root" "$(ask "ABSTRACT-CONNECT:$NAME-$model")"
		kill "$M"; wait "$M" 2>/dev/null
	done

	# B: a socket file others may connect to (0666); and one they may not
	# (0600: the file mode guards it, no uid rule).
	bg "$T/b" "$SOCKIPC" serve --unix-mode 666 "unix://$T/open.sock" exec /usr/bin/id -un
	B=$BG_PID
	listening_url "$T/b" 5 >/dev/null
	check "mode 0666 exec says whom it admits" grep -q "exec on unix://$T/open.sock runs '/usr/bin/id' for uid 0 (the server's own) only (its mode 0666" "$T/b.err"
	expect_eq "0666 path exec: nobody is refused" "" "$(ask_nobody "UNIX-CONNECT:$T/open.sock")"
	expect_eq "0666 path exec: the server's own uid is admitted" "root" "$(ask "UNIX-CONNECT:$T/open.sock")"
	bg "$T/c" "$SOCKIPC" serve --unix-mode 600 "unix://$T/closed.sock" exec /usr/bin/id -un
	C=$BG_PID
	listening_url "$T/c" 5 >/dev/null
	check "mode 0600 exec: the file guards it" grep -q "exec on unix://$T/closed.sock runs '/usr/bin/id' for the users the socket file lets connect (its mode 0600)" "$T/c.err"
	expect_eq "mode 0600 exec: root is served" "root" "$(ask "UNIX-CONNECT:$T/closed.sock")"

	# D: --allow-uid by name admits nobody (and root, the server's own).
	bg "$T/d" "$SOCKIPC" serve --allow-uid nobody "unix://@$NAME-d" exec /usr/bin/id -un
	D=$BG_PID
	listening_url "$T/d" 5 >/dev/null
	check "--allow-uid: the start line lists it" grep -q "for uid 0 (the server's own), uid $NOBODY only" "$T/d.err"
	expect_eq "--allow-uid nobody: nobody is admitted" "root" "$(ask_nobody "ABSTRACT-CONNECT:$NAME-d")"
	expect_eq "--allow-uid nobody: root is admitted" "root" "$(ask "ABSTRACT-CONNECT:$NAME-d")"

	# E: --allow-gid by number, repeated with a uid list: nobody is in by
	# its primary group; daemon (another uid and gid) is out, on exec and
	# on echo alike (the lists apply to every unix endpoint).
	bg "$T/e" "$SOCKIPC" serve --allow-gid "$NOGROUP" --allow-uid 4242,4243 \
		-e "unix://@$NAME-x exec /usr/bin/id -un" -e "unixpacket://@$NAME-y echo"
	E=$BG_PID
	wait_count "$T/e" '^listening ' 2 5
	expect_eq "--allow-gid nogroup: nobody is admitted" "root" "$(ask_nobody "ABSTRACT-CONNECT:$NAME-x")"
	if id daemon >/dev/null 2>&1; then
		expect_eq "--allow-gid nogroup: daemon is refused on exec" "" \
			"$(setpriv --reuid=daemon --regid=daemon --clear-groups timeout "$(secs 5)" socat -t"$(secs 2)" - "ABSTRACT-CONNECT:$NAME-x" </dev/null 2>/dev/null)"
		expect_eq "--allow-gid nogroup: daemon is refused on seqpacket echo" "" \
			"$(printf hi | setpriv --reuid=daemon --regid=daemon --clear-groups timeout "$(secs 5)" socat -t"$(secs 2)" - "ABSTRACT-CONNECT:$NAME-y,type=5" 2>/dev/null)"
	fi
	kill "$A" "$B" "$C" "$D" "$E"; wait "$A" "$B" "$C" "$D" "$E" 2>/dev/null
fi

no_sanitizer_report "no sanitizer report from any server" "$T"/*.err
finish
