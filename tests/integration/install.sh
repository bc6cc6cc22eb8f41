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
