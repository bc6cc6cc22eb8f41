#!/bin/bash
# cli_options.sh - no option is accepted and then ignored: serve --hex
# dumps each connection's bytes on stderr, labelled so two connections
# (and datagram peers) can be told apart; send -v says what it connected
# to; a global option a subcommand has nothing to show for (resolve
# --trace/--hex/-v, bench --hex/-v) and options that cannot apply together
# are usage errors (exit 2) naming the option, and help leaves them out.
. "$(dirname "$0")/../support/lib.sh"

# ---- serve --hex: per connection, both ways, on stderr
bg "$T/srv" "$SOCKIPC" serve --hex -e 'tcp://127.0.0.1:0 echo' -e 'udp://127.0.0.1:0 echo'
check "serve --hex: both endpoints listen" wait_count "$T/srv" '^listening ' 2 10
tcp=$(awk '$2 ~ /^tcp:/ {print $2}' "$T/srv")
udp=$(awk '$2 ~ /^udp:/ {print $2}' "$T/srv")
mkfifo "$T/f1" "$T/f2"
exec 7<>"$T/f1" 8<>"$T/f2"
# Two connections open at once; their stdin is a fifo we hold.
bg "$T/c1" bash -c 'exec 7>&- 8>&-; exec "$0" connect "$1" <"$2"' "$SOCKIPC" "$tcp" "$T/f1"
c1=$BG_PID
bg "$T/c2" bash -c 'exec 7>&- 8>&-; exec "$0" connect "$1" <"$2"' "$SOCKIPC" "$tcp" "$T/f2"
c2=$BG_PID
printf 'first\n' >&7
wait_line "$T/c1" '^first$' 10 >/dev/null
printf 'second\n' >&8
wait_line "$T/c2" '^second$' 10 >/dev/null
printf 'again\n' >&7
wait_line "$T/c1" '^again$' 10 >/dev/null
exec 7>&- 8>&-
wait "$c1" "$c2" 2>/dev/null
re='^sockipc: hex: echo conn=[0-9]+ peer=tcp://127\.0\.0\.1:[0-9]+'
check "serve --hex: the first connection's bytes in" grep -Eq "$re < 00000000  66 69 72 73 74 0a .*\|first\.\|$" "$T/srv.err"
check "serve --hex: and out" grep -Eq "$re > 00000000  66 69 72 73 74 0a " "$T/srv.err"
check "serve --hex: its second line at offset 6" grep -Eq "$re < 00000006  61 67 61 69 6e 0a " "$T/srv.err"
who1=$(grep -E "$re < 00000000  66 69 72" "$T/srv.err" | awk '{print $4, $5}')
who2=$(grep -E "$re < 00000000  73 65 63" "$T/srv.err" | awk '{print $4, $5}')
who3=$(grep -E "$re < 00000006  61 67 61" "$T/srv.err" | awk '{print $4, $5}')
check "serve --hex: two connections carry different labels [$who1] [$who2]" \
	[ -n "$who1" -a -n "$who2" -a "$who1" != "$who2" ]
expect_eq "serve --hex: one connection keeps its label" "$who1" "$who3"
timeout "$(secs 20)" "$SOCKIPC" send "$udp" ping >/dev/null
check "serve --hex: a datagram in, with its peer" grep -Eq \
	'^sockipc: hex: echo peer=udp://127\.0\.0\.1:[0-9]+ < 00000000  70 69 6e 67 ' "$T/srv.err"
check "serve --hex: its reply out" grep -Eq \
	'^sockipc: hex: echo peer=udp://127\.0\.0\.1:[0-9]+ > 00000000  70 69 6e 67 ' "$T/srv.err"
check "serve --hex: nothing on stdout but the listening lines" \
	test "$(grep -vc '^listening ' "$T/srv")" -eq 0

# ---- send -v: a notice of the association
err=$(timeout "$(secs 20)" "$SOCKIPC" send -v "$tcp" x 2>&1 >/dev/null)
check "send -v: connected to" grep -Eq "^sockipc: send: connected to $tcp from tcp://127\.0\.0\.1:[0-9]+$" <<<"$err"

# ---- global options a subcommand cannot honour: exit 2, named
# refuse DESCRIPTION OPTION CMD...: CMD exits 2 and names OPTION.
refuse() {
	local d=$1 o=$2 err rc
	shift 2
	err=$("$@" 2>&1 >/dev/null); rc=$?
	expect_eq "$d: exit 2" 2 $rc
	check "$d: names $o" grep -q -- "^sockipc: $2: $o: not supported by $2$" <<<"$err"
}
for o in --trace --hex --verbose -v; do
	refuse "resolve $o" "$o" "$SOCKIPC" resolve "$o" localhost
done
for o in --hex --verbose -v; do
	refuse "bench $o" "$o" "$SOCKIPC" bench "$o" --count 1 "$tcp"
done
err=$("$SOCKIPC" resolve -qv localhost 2>&1); rc=$?
expect_eq "resolve -qv (bundled): exit 2" 2 $rc
check "resolve -qv: names -v" grep -q -- "-v: not supported by resolve" <<<"$err"
check "help resolve: no --hex, --trace or --verbose" \
	test "$("$SOCKIPC" help resolve | grep -cE -- '--(hex|trace|verbose)')" -eq 0
check "help resolve: still -q" grep -q -- '--quiet' <<<"$("$SOCKIPC" help resolve)"
check "help bench: no --hex" test "$("$SOCKIPC" help bench | grep -c -- '--hex')" -eq 0
check "help bench: --trace stays" grep -q -- '--trace' <<<"$("$SOCKIPC" help bench)"
for c in serve connect listen send; do
	check "help $c: --hex is honoured there" grep -q -- '--hex' <<<"$("$SOCKIPC" help $c)"
done
check "resolve -q still works" test "$("$SOCKIPC" resolve -q 127.0.0.1 7 | head -1)" = tcp://127.0.0.1:7

# ---- options that cannot apply together
err=$("$SOCKIPC" send --no-reply --raw "$udp" x 2>&1); rc=$?
expect_eq "send --no-reply --raw: exit 2" 2 $rc
check "send --no-reply --raw: named" grep -q -- '--raw: no reply is written with --no-reply' <<<"$err"
err=$("$SOCKIPC" bench --new-conn --depth 4 --count 1 "$tcp" 2>&1); rc=$?
expect_eq "bench --new-conn --depth 4: exit 2" 2 $rc
check "bench --new-conn --depth 4: named" grep -q -- '--depth: a --new-conn connection carries one request' <<<"$err"
finish
