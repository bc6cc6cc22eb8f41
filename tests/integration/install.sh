#!/usr/bin/env bash
# `make install` puts the library (static and shared), sockipc.h, sockipc.pc
# and the program under a prefix, and a program built from the installed
# files alone (through pkg-config) talks to an echo peer.
. "$SIPC_SOURCE_DIR/tests/support/lib.sh"
need pkg-config cc

prefix=$T/inst
cmake --install "$SIPC_BUILD_DIR" --prefix "$prefix" >"$T/install.log" 2>&1
check "cmake --install succeeds" test $? -eq 0
libdir=$(find "$prefix" -name 'libsockipc.a' -printf '%h\n' | head -n1)
check "static library installed" test -f "$libdir/libsockipc.a"
check "shared library installed" test -e "$libdir/libsockipc.so"
check "header installed" test -f "$prefix/include/sockipc.h"
check "program installed" test -x "$prefix/bin/sockipc"
check "pkg-config file installed" test -f "$libdir/pkgconfig/sockipc.pc"
if [ -f "$SIPC_SOURCE_DIR/docs/sockipc.1" ]; then
	check "man page installed" test -f "$prefix/share/man/man1/sockipc.1"
fi

# The shared library exports exactly what sockipc.h declares: no internal
# sipc__ helper, and every public function present.
need nm
so=$(find "$prefix" -name 'libsockipc.so' | head -n1)
nm -D --defined-only "$so" | awk '$2 == "T" || $2 == "D" || $2 == "B" || $2 == "R" {print $3}' | sort -u >"$T/exported"
grep -oE '\bsipc_[a-z0-9_]+[[:space:]]*\(' "$SIPC_SOURCE_DIR/include/sockipc.h" | tr -d '( \t' | sort -u >"$T/declared"
expect_eq "no internal symbol exported" "" "$(grep -v '^sipc_[a-z]' "$T/exported" | tr '\n' ' ')"
expect_eq "every exported symbol is declared in sockipc.h" "" "$(comm -23 "$T/exported" "$T/declared" | tr '\n' ' ')"
expect_eq "every function sockipc.h declares is exported" "" \
	"$(comm -13 "$T/exported" "$T/declared" | grep -v '^sipc_trace_fn$' | tr '\n' ' ')"

export PKG_CONFIG_PATH=$libdir/pkgconfig
expect_eq "pkg-config knows the version" "0.1.0" "$(pkg-config --modversion sockipc)"
# Under the sanitizers the installed library is instrumented, so the
# program that links it must be too.
san=
[ "$SCALE" -gt 1 ] && san="-fsanitize=address,undefined"
cc -std=c11 -Wall -Wextra -Werror $san -o "$T/client" "$SIPC_SOURCE_DIR/examples/echo_client.c" \
	$(pkg-config --cflags --libs sockipc) -Wl,-rpath,"$libdir" 2>"$T/cc.log"
check "echo_client builds from the installed files alone" test -x "$T/client"
cat "$T/cc.log" >&2

bg "$T/server.out" "$SIPC_BUILD_DIR/examples/echo_server" "tcp://127.0.0.1:0"
url=$(listening_url "$T/server.out" 10)
got=$("$T/client" "$url" "hello, installed" 2>&1)
check "installed client echoes through $url" test "$?" -eq 0
case $got in *"hello, installed"*) pass "reply printed" ;; *) fail "reply printed: [$got]" ;; esac
finish
