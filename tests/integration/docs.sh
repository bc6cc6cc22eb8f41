#!/usr/bin/env bash
# The documentation matches the program: every subcommand's --help works and
# its long options are all in the man page, and the options the man page
# gives a subcommand are all in its --help; `help serve` lists every service
# the server knows, one line each; the man page renders without a warning
# (when man is installed); the bash completion registers for sockipc and
# offers the subcommands, their options, the services after a serve URL
# and the URL schemes.
. "$SIPC_SOURCE_DIR/tests/support/lib.sh"

MAN=$SIPC_SOURCE_DIR/docs/sockipc.1
COMPLETION=$SIPC_SOURCE_DIR/docs/sockipc.bash-completion
check "man page exists" test -f "$MAN"
check "completion file exists" test -f "$COMPLETION"

# The man page source as text: \- is -, font changes are dropped.
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$MAN" >"$T/man.txt"

# has_opt FILE OPT: FILE mentions the long option OPT as a whole word.
has_opt() { grep -qE -- "$2([^a-z-]|\$)" "$1"; }
# long_opts FILE: every --long-option FILE mentions, once each.
long_opts() { grep -oE -- '--[a-z][a-z-]*[a-z]' "$1" | sort -u; }
# table_opts FILE: the long options of the option tables of a --help text.
table_opts() { grep -oE -- '^ +(-[a-zA-Z], )?--[a-z][a-z-]*' "$1" | grep -oE -- '--[a-z-]+' | sort -u; }

# The subcommands, as `sockipc help` lists them.
"$SOCKIPC" help >"$T/help.txt" 2>&1
check "sockipc help exits 0" test $? -eq 0
subs=$(awk '/^  [a-z][a-z-]*  /{print $1}' "$T/help.txt")
expect_eq "sockipc help lists the eight subcommands" \
	"bench connect listen resolve scan send serve xinetd-import" "$(echo $subs | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"

for sub in $subs; do
	"$SOCKIPC" "$sub" --help >"$T/$sub.help" 2>"$T/$sub.err"
	check "$sub --help exits 0" test $? -eq 0
	check "$sub --help prints its usage on stdout" grep -q "^usage: sockipc $sub " "$T/$sub.help"
	"$SOCKIPC" help "$sub" >"$T/$sub.help2" 2>&1
	check "help $sub exits 0 and says the same" cmp -s "$T/$sub.help" "$T/$sub.help2"

	check "man page has a section for $sub" grep -qE "^\.SS $sub( |\$)" "$MAN"
	# The man page's section of SUB, its global options and, for serve,
	# its services hold every long option `help SUB` prints.
	awk -v s="$sub" '/^\.S[SH] /{on = ($1 == ".SS" && $2 == s) || $2 == "GLOBAL" ||
		(s == "serve" && $0 == ".SS Services")} on' "$T/man.txt" >"$T/$sub.man+"
	missing=
	for o in $(long_opts "$T/$sub.help"); do
		has_opt "$T/$sub.man+" "$o" || missing="$missing $o"
	done
	expect_eq "every long option of 'help $sub' is in its part of the man page" "" "$missing"

	# The options the man page's section of SUB names are in its --help.
	awk -v s="$sub" '/^\.S[SH] /{on = ($1 == ".SS" && $2 == s)} on' "$T/man.txt" >"$T/$sub.man"
	missing=
	for o in $(long_opts "$T/$sub.man"); do
		has_opt "$T/$sub.help" "$o" || missing="$missing $o"
	done
	expect_eq "every long option the man page gives $sub is in its --help" "" "$missing"
done
check "man page has the global options" has_opt "$T/man.txt" --trace
check "man page documents --version" has_opt "$T/man.txt" --version

# The services, as the server itself names them when given an unknown one.
"$SOCKIPC" serve -e 'tcp://127.0.0.1:0 nosuch' >/dev/null 2>"$T/svc.err"
check "an unknown service is a usage error" test $? -eq 2
services=$(sed -n 's/.*(known: \(.*\)).*/\1/p' "$T/svc.err" | tr -d ',')
expect_eq "the server knows ten services" 10 "$(echo $services | wc -w)"
for svc in $services; do
	expect_eq "help serve gives $svc one line" 1 "$(grep -cE "^  $svc( |\$)" "$T/serve.help")"
	check "man page documents the $svc service" grep -qE "^\.BR? $svc( |\$)" "$MAN"
done
for s in tcp tcp4 tcp6 udp udp4 udp6 unix unixgram unixpacket; do
	check "man page documents $s://" grep -q "$s://" "$T/man.txt"
done
for w in SIGINT SIGTERM SIGUSR1 "EXIT STATUS" listening SOCKIPC_PEER WARNING unix://@sockipc/echo; do
	check "man page mentions $w" grep -q -- "$w" "$T/man.txt"
done

# The xinetd migration table: every attribute and flag xinetd.conf(5)
# describes (read from xinetd's own man page where it is installed, else
# the list it had when this was written) has its entry in the man page's
# MIGRATING FROM XINETD section and a row in docs/xinetd-migration.md.
MIG=$SIPC_SOURCE_DIR/docs/xinetd-migration.md
check "docs/xinetd-migration.md exists" test -f "$MIG"
check "man page has MIGRATING FROM XINETD" grep -q '^\.SH MIGRATING FROM XINETD' "$MAN"
check "man page documents xinetd-import" grep -q '^\.SS xinetd-import ' "$MAN"
xattrs="id type flags disable socket_type protocol wait user group instances nice server
server_args libwrap only_from no_access access_times log_type log_on_success log_on_failure
rpc_version rpc_number env passenv port redirect bind interface banner banner_success
banner_fail per_source cps max_load groups mdns umask enabled include includedir rlimit_as
rlimit_files rlimit_cpu rlimit_data rlimit_rss rlimit_stack deny_time disabled"
xflags="INTERCEPT NORETRY IDONLY NAMEINARGS NODELAY KEEPALIVE NOLIBWRAP SENSOR IPv4 IPv6 LABELED REUSE DISABLE"
XMAN=/usr/share/man/man5/xinetd.conf.5.gz
if [ -f "$XMAN" ]; then
	# Its attributes are the `.B name` lines after `.TP`, lower case.
	xattrs="$xattrs $(zcat "$XMAN" | awk 'tp && $1 == ".B" && $2 ~ /^[a-z][a-z_]*$/ {print $2} {tp = ($1 ~ /^\.TP/)}')"
fi
xattrs=$(echo $xattrs | tr ' ' '\n' | sort -u)
awk '/^\.SH /{on = ($0 == ".SH MIGRATING FROM XINETD")} on' "$T/man.txt" >"$T/mig.man"
missing= nomd=
for a in $xattrs $xflags; do
	grep -qw -- "$a" "$T/mig.man" || missing="$missing $a"
	grep -qF -- "\`$a\`" "$MIG" || nomd="$nomd $a"
done
expect_eq "every xinetd attribute and flag is in MIGRATING FROM XINETD" "" "$missing"
expect_eq "every xinetd attribute and flag is in docs/xinetd-migration.md" "" "$nomd"
nomd=
for a in $xattrs; do
	grep -qE -- "^\| \`$a\` \|" "$MIG" || nomd="$nomd $a"
done
expect_eq "every xinetd attribute has its own row in the table" "" "$nomd"

# Rendering: no warning from man (groff's), nothing cut off.
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man --warnings -l "$MAN" >"$T/man.out" 2>"$T/man.warn"
	check "man -l renders the page" test $? -eq 0
	check "the rendered page has its title" grep -q "SOCKIPC(1)" "$T/man.out"
	expect_eq "man --warnings prints no warning" "" "$(cat "$T/man.warn")"
	if command -v groff >/dev/null 2>&1; then
		expect_eq "groff -ww finds nothing to warn about" "" \
			"$(groff -man -ww -z "$MAN" 2>&1)"
	fi
else
	echo "note: man is not installed; rendering not checked" >&2
fi

# Completion: registered, and what it offers.
check "the completion file defines completion for sockipc" \
	bash -c 'source "$1" && complete -p sockipc | grep -q -- "-F _sockipc"' _ "$COMPLETION"

# comp LINE: the completions offered at the end of LINE, sorted, on one
# line.  COMP_WORDS is split as bash splits it: at blanks and around runs
# of ':' and '='.
cat >"$T/comp.sh" <<'EOF'
source "$1"
comp() {
	COMP_LINE=$1 COMP_POINT=${#1}
	local s
	s=$(printf '%s' "$1" | sed -E 's/([:=]+)/ \1 /g')
	read -r -a COMP_WORDS <<<"$s"
	[[ $1 == *[[:blank:]] ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_sockipc sockipc
	printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' '
}
comp "$2"
EOF
comp() { bash "$T/comp.sh" "$COMPLETION" "$1" 2>&1; }
# offers WHAT LINE WORD...: completing LINE offers every WORD.
offers() {
	local what=$1 line=$2 got missing=
	shift 2
	got=" $(comp "$line") "
	for w in "$@"; do [[ $got == *" $w "* ]] || missing="$missing $w"; done
	expect_eq "completion offers $what" "" "$missing"
}
offers "the subcommands" "sockipc " $subs help --version
for sub in $subs; do
	offers "the options of $sub" "sockipc $sub --" $(table_opts "$T/$sub.help")
done
offers "the services after a serve URL" "sockipc serve tcp://127.0.0.1:0 " $services
offers "the services after options and a URL" "sockipc serve -m thread -q unix:///tmp/x.sock " $services
offers "the serve models" "sockipc serve --model " event thread fork
offers "the URL schemes" "sockipc connect " tcp:// tcp4:// tcp6:// udp:// udp4:// udp6:// \
	unix:// unixgram:// unixpacket://
offers "the schemes of a forward target" "sockipc serve tcp://:0 forward " tcp:// unix://
offers "forward's own options" "sockipc serve tcp://:0 forward --" --timeout= --idle= --max-assoc=
offers "exec's own option" "sockipc serve unix:///tmp/x exec --" --max-children=
offers "the schemes scan probes, for every URL" "sockipc scan -v tcp://127.0.0.1:22 " tcp:// udp:// tls://
expect_eq "scan offers no unix scheme" "" "$(comp "sockipc scan un" | tr -d ' ')"
# Readline replaces the text after the last ':' (or '='): the reply is
# what goes there.
expect_eq "a scheme is completed after its colon" "//" "$(comp "sockipc listen tcp:" | tr -d ' ')"
expect_eq "a unix path is completed after the scheme" "//$T/comp.sh" \
	"$(comp "sockipc connect unix://$T/comp." | tr -d ' ')"
expect_eq "a service option is completed after another" "--max-assoc=" \
	"$(comp "sockipc serve tcp://:0 forward --idle=2 --max-a" | tr -d ' ')"
expect_eq "no serve option after the URL (they belong to the service)" "" \
	"$(comp "sockipc serve tcp://:0 echo --" | tr -d ' ')"

finish
