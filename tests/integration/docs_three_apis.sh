#!/usr/bin/env bash
# docs_three_apis.sh - docs/three-apis.md (Berkeley sockets, WinSock and
# TLI/XTI beside sockipc) names only what exists, and its examples work:
#  - every sipc_... and SIPC_... identifier it names is declared in
#    include/sockipc.h (comments stripped: a name only mentioned in a comment
#    does not count), and every sipc_TYPE.FIELD is a field there;
#  - every --long-option it names is in the man page or in some subcommand's
#    --help, and an option written after `sockipc SUB` (in a sh block or a
#    `code span`) is in SUB's own --help; every `sockipc SUB` is a real
#    subcommand; every URL option (?name= / &name=) is in the man page;
#  - every ```sh runnable block runs (in a scratch directory, sockipc on the
#    PATH, bounded by timeout) with exit 0 and, where a ```text output block
#    follows it, prints exactly that; the ```c runnable program compiles
#    with -std=c11 -Wall -Wextra -Werror against the built library, runs,
#    and prints its output block;
#  - the checks themselves catch what does not exist: a copy of the page
#    with a made-up call, constant, field, option, subcommand and URL option
#    added is reported with exactly those.
. "$(dirname "$0")/../support/lib.sh"
export LC_ALL=C # sort order of the reports

SRC=${SIPC_SOURCE_DIR:?run through ctest}
BUILD=${SIPC_BUILD_DIR:?run through ctest}
PAGE=$SRC/docs/three-apis.md
MAN=$SRC/docs/sockipc.1
HDR=$SRC/include/sockipc.h
check "docs/three-apis.md exists" test -f "$PAGE"
[ -f "$PAGE" ] || finish

# The compiler and sanitizer flags of this build, for the header and the
# page's program.
CC=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
CC=${CC:-cc}
SANFLAGS=
grep -q '^SIPC_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" &&
	SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer"

# ---- what exists: the header without its comments, the man page as text,
# every subcommand's --help
"$CC" -std=c11 -E -dD -I"$SRC/include" "$HDR" >"$T/hdr.i" 2>"$T/hdr.err"
check "the header preprocesses" test -s "$T/hdr.i"
grep -oE '\b(sipc|SIPC)_[A-Za-z0-9_]+\b' "$T/hdr.i" | sort -u >"$T/hdr.names"
check "the header declares sipc_dial (the extraction works)" grep -qx sipc_dial "$T/hdr.names"
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$MAN" >"$T/man.txt"
"$SOCKIPC" help >"$T/help.txt" 2>&1
subs=$(awk '/^  [a-z][a-z-]*  /{print $1}' "$T/help.txt")
for sub in connect listen send serve; do
	check "sockipc help lists $sub" grep -qE "^  $sub  " "$T/help.txt"
done
: >"$T/all.help"
for sub in $subs; do
	"$SOCKIPC" "$sub" --help >"$T/$sub.help" 2>&1
	cat "$T/$sub.help" >>"$T/all.help"
done

# has_opt FILE OPT: FILE mentions the long option OPT as a whole word.
has_opt() { grep -qE -- "$2([^a-z-]|\$)" "$1"; }

# missing PAGE: one line per name PAGE uses that does not exist, as
# "KIND NAME" (empty when all exist).
missing() {
	local page=$1 n f o sub line
	# Identifiers: the header's sipc_/SIPC_ names; NAME... (a family,
	# SIPC_E...) is the start of one.
	for n in $(grep -oE '\b(sipc|SIPC)_[A-Za-z0-9_]+(\.\.\.)?' "$page" | sort -u); do
		case $n in
		*...) grep -q -- "^${n%...}" "$T/hdr.names" || echo "identifier $n" ;;
		*) grep -qx -- "$n" "$T/hdr.names" || echo "identifier $n" ;;
		esac
	done
	# Fields: sipc_TYPE.FIELD is a member declared in the header.
	grep -oE '\bsipc_[a-z_]+\.[a-z_]+\b' "$page" | sort -u | while IFS=. read -r n f; do
		awk -v t="$n" -v f="$f" '
			/^typedef struct/ { body = 1; buf = "" }
			body { buf = buf " " $0 }
			body && /^}/ { if ($0 ~ "} " t ";" && buf ~ "[ *]" f "(\\[[^]]*\\])?;") ok = 1; body = 0 }
			END { exit !ok }' "$T/hdr.i" || echo "field $n.$f"
	done
	# Long options: in the man page or some --help.
	for o in $(grep -oE -- '--[a-z][a-z-]*[a-z]' "$page" | sort -u); do
		has_opt "$T/man.txt" "$o" || has_opt "$T/all.help" "$o" || echo "option $o"
	done
	# `sockipc SUB ...` in sh blocks and `code spans` (and spans that start
	# with a subcommand): SUB exists, and the options after it, up to a
	# pipe, are in SUB's --help.
	{
		awk '/^```sh/{on = 1; next} /^```/{on = 0} on' "$page"
		grep -oE '`[^`]+`' "$page" | tr -d '`'
	} | grep -oE "(^|[^a-z/.-])sockipc [a-z][a-z-]*[^|]*|^($(echo $subs | tr ' ' '|')) [^|]*" |
		sed -E 's/^[^a-z]?sockipc //' | while read -r sub line; do
		if ! [[ " $(echo $subs) " == *" $sub "* ]]; then
			echo "subcommand $sub"
			continue
		fi
		for o in $(grep -oE -- '(^| )--[a-z][a-z-]*[a-z]' <<<"$line" | tr -d ' '); do
			has_opt "$T/$sub.help" "$o" || echo "option $sub $o"
		done
	done
	# URL options: ?name= and &name= are socket options of the man page.
	for o in $(grep -oE '[?&][a-z][a-z0-9_]*=' "$page" | tr -d '?&=' | sort -u); do
		grep -qE -- "^\.BI $o= " "$T/man.txt" || echo "url-option $o"
	done
}

missing "$PAGE" | sort -u >"$T/missing"
expect_eq "every name on the page exists (header, man page, --help)" "" "$(tr '\n' ' ' <"$T/missing")"

# The checks catch what does not exist: add one made-up name of each kind.
cp "$PAGE" "$T/bad.md"
cat >>"$T/bad.md" <<'EOF'
`sipc_dial_twice()`, `SIPC_ENOPE`, `SIPC_EURL_NOPE...`, `sipc_options.nagle`, `--no-such-option`,
`sockipc frobnicate URL`, `listen --urgent A`, `tcp://h:1?nolinger=1`
EOF
missing "$T/bad.md" | sort -u >"$T/bad.missing"
expect_eq "made-up names added to a copy of the page are each reported" \
	"field sipc_options.nagle|identifier SIPC_ENOPE|identifier SIPC_EURL_NOPE...|identifier sipc_dial_twice|option --no-such-option|option listen --urgent|subcommand frobnicate|url-option nolinger" \
	"$(paste -sd'|' "$T/bad.missing")"

# ---- the runnable examples: block N in ex.N.{sh,c}, the output block
# right after it (blank lines between allowed) in ex.N.want
awk -v dir="$T" '
	/^```/ && !inblk {
		inblk = 1
		lang = $0; sub(/^```/, "", lang)
		if (lang == "text output" && prev != "") { file = prev ".want"; prev = "" }
		else if (lang == "sh runnable") { n++; file = dir "/ex." n ".sh"; prev = dir "/ex." n }
		else if (lang == "c runnable") { n++; file = dir "/ex." n ".c"; prev = dir "/ex." n }
		else { file = ""; prev = "" }
		if (file != "") printf "" >file
		next
	}
	/^```/ && inblk { inblk = 0; if (file != "") close(file); next }
	inblk && file != "" { print >file; next }
	!inblk && NF { prev = "" }
	END { print n + 0 >(dir "/ex.count") }' "$PAGE"
nsh=$(ls "$T"/ex.*.sh 2>/dev/null | wc -l)
nc=$(ls "$T"/ex.*.c 2>/dev/null | wc -l)
check "the page has runnable sh examples (6 or more)" test "$nsh" -ge 6
expect_eq "the page has one runnable C program" 1 "$nc"

mkdir -p "$T/bin"
ln -s "$SOCKIPC" "$T/bin/sockipc"
for ((i = 1; i <= $(cat "$T/ex.count"); i++)); do
	d=$T/run.$i
	mkdir -p "$d"
	if [ -f "$T/ex.$i.sh" ]; then
		what="example $i ($(head -1 "$T/ex.$i.sh" | cut -c1-50))"
		(cd "$d" && PATH="$T/bin:$PATH" timeout -k 5 "$(secs 30)" bash -eu "$T/ex.$i.sh") \
			>"$T/ex.$i.out" 2>"$T/ex.$i.err"
		rc=$?
	else
		what="the C program"
		"$CC" -std=c11 -Wall -Wextra -Werror $SANFLAGS -I"$SRC/include" "$T/ex.$i.c" \
			-L"$BUILD" -lsockipc -Wl,-rpath,"$BUILD" -o "$T/ex.$i" 2>"$T/ex.$i.cc"
		expect_eq "the C program compiles without a warning" "" "$(cat "$T/ex.$i.cc")"
		(cd "$d" && timeout -k 5 "$(secs 30)" "$T/ex.$i") >"$T/ex.$i.out" 2>"$T/ex.$i.err"
		rc=$?
	fi
	expect_eq "$what: exit 0" 0 "$rc"
	[ "$rc" -eq 0 ] || sed 's/^/  ! /' "$T/ex.$i.err" >&2
	if [ -f "$T/ex.$i.want" ]; then
		expect_eq "$what: prints its output block" "$(cat "$T/ex.$i.want")" "$(cat "$T/ex.$i.out")"
	else
		fail "$what: no \`\`\`text output block after it"
	fi
	no_sanitizer_report "$what: no sanitizer report" "$T/ex.$i.err" "$d"/*
done

# ---- the man page points to the page, and the page to the man page
check "the man page's SEE ALSO names docs/three-apis.md" \
	bash -c "awk '/^\\.SH /{on = (\$0 == \".SH SEE ALSO\")} on' \"\$1\" | grep -q docs/three-apis.md" _ "$T/man.txt"
check "the page says TLI/XTI exists on neither Linux nor Windows" grep -q 'Why no TLI/XTI on Linux or Windows' "$PAGE"
# The WinSock section names what the Windows build lacks, as the library
# does (SIPC_ENOTSUP for each: tests/unit/test_conformance.c under Wine).
awk '/^## /{on = ($0 == "## WinSock and sockipc")} on' "$PAGE" >"$T/winsock.md"
for what in 'unixgram://' 'unixpacket://' 'unix://@name' 'shm://' 'tls://' sipc_send_fds \
	sipc_recv_cred SIPC_ENOTSUP SO_EXCLUSIVEADDRUSE; do
	check "the WinSock section names $what" grep -qF "$what" "$T/winsock.md"
done

finish
