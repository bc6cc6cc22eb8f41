#!/usr/bin/env bash
# dll.sh DLL HEADER [EXE] - libsockipc.dll exports exactly the functions
# sockipc.h declares on Windows (the header as mingw's preprocessor sees
# it), nothing internal, and imports only system DLLs: libgcc and
# winpthreads are linked in, so the DLL runs without them beside it.
# EXE, a program linked with the static library (sockipc.exe), exports
# nothing: the static library's objects carry no export directives.
# Run by CTest on the build machine (cmake/windows.cmake: windows/dll).
set -u
dll=$1 header=$2 exe=${3:-}
mingw=x86_64-w64-mingw32
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
expect_empty() { # WHAT VALUE
	if [ -n "$2" ]; then
		echo "FAIL: $1: $2"
		fails=$((fails + 1))
	else
		echo "ok: $1"
	fi
}

$mingw-objdump -p "$dll" >"$T/p" || { echo "FAIL: objdump -p $dll"; exit 1; }
# The export table's names: "[   3] sipc_addr_format" lines after its heading.
awk '/^\[Ordinal\/Name Pointer\] Table/ { on = 1; next } on && /^\t\[ *[0-9]+\] / { print $NF; next } on && !/^\t/ { on = 0 }' \
	"$T/p" | sort -u >"$T/exported"
$mingw-gcc -E -P -D_WIN32_WINNT=0x0A00 -DWIN32_LEAN_AND_MEAN -I"$(dirname "$header")" "$header" >"$T/h" ||
	{ echo "FAIL: $header does not preprocess for Windows"; exit 1; }
grep -oE '\bsipc_[a-z0-9_]+[[:space:]]*\(' "$T/h" | tr -d '( \t' | sort -u | grep -v '^sipc_trace_fn$' >"$T/declared"

expect_empty "the DLL exports something" "$([ -s "$T/exported" ] || echo nothing)"
expect_empty "no internal symbol exported" "$(grep -v '^sipc_[a-z]' "$T/exported" | tr '\n' ' ')"
expect_empty "every exported symbol is declared in sockipc.h" "$(comm -23 "$T/exported" "$T/declared" | tr '\n' ' ')"
expect_empty "every function sockipc.h declares is exported" "$(comm -13 "$T/exported" "$T/declared" | tr '\n' ' ')"
# System DLLs only: no lib*.dll (libgcc_s_seh-1, libwinpthread-1).
expect_empty "imports system DLLs only" \
	"$(awk '/DLL Name:/ { print $3 }' "$T/p" | grep -i '^lib' | tr '\n' ' ')"
if [ -n "$exe" ]; then
	expect_empty "$(basename "$exe") exports nothing" \
		"$($mingw-objdump -p "$exe" | awk '/^\[Ordinal\/Name Pointer\] Table/ { on = 1; next } on && /^\t\[ *[0-9]+\] / { printf "%s ", $NF }')"
fi
echo "imports: $(awk '/DLL Name:/ { print $3 }' "$T/p" | tr '\n' ' ')"
echo "$(wc -l <"$T/exported") exported, $(wc -l <"$T/declared") declared"
[ $fails -eq 0 ]
