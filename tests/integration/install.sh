#!/usr/bin/env bash
# `make install` puts the library (static and shared), sockipc.h, sockipc.pc
# and the program under a prefix, the shared library exports sockipc.h's
# names only, and the README's library example, built the way the README
# says, runs and talks to an echo peer: from a user's prefix with
# -Wl,-rpath, and (as root) from /usr/local with no rpath and no
# LD_LIBRARY_PATH, which works only because the install ran ldconfig.
. "$SIPC_SOURCE_DIR/tests/support/lib.sh"
need pkg-config cc

prefix=$T/inst
cmake --install "$SIPC_BUILD_DIR" --prefix "$prefix" >"$T/install.log" 2>&1
check "cmake --install succeeds" test $? -eq 0
check "no ldconfig for a prefix the dynamic linker does not search" \
	bash -c "! grep -q ldconfig '$T/install.log'"
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

# The README's example: examples/echo_client.c compiled as app.c with the
# README's command line.  Under the sanitizers the installed library is
# instrumented, so the program that links it must be too.
san=
[ "$SCALE" -gt 1 ] && san="-fsanitize=address,undefined"
cp "$SIPC_SOURCE_DIR/examples/echo_client.c" "$T/app.c"
bg "$T/server.out" "$SIPC_BUILD_DIR/examples/echo_server" "tcp://127.0.0.1:0"
url=$(listening_url "$T/server.out" 10)

# A user's prefix: the README says to add -Wl,-rpath (or LD_LIBRARY_PATH).
mkdir "$T/user"
export PKG_CONFIG_PATH=$libdir/pkgconfig
expect_eq "pkg-config knows the version" "0.1.0" "$(pkg-config --modversion sockipc)"
(cd "$T/user" && cp ../app.c . &&
	cc app.c $(pkg-config --cflags --libs sockipc) -Wl,-rpath,"$libdir" $san) 2>"$T/cc.log"
check "app.c builds from a user's prefix with -Wl,-rpath" test -x "$T/user/a.out"
cat "$T/cc.log" >&2
unset PKG_CONFIG_PATH
got=$(env -u LD_LIBRARY_PATH "$T/user/a.out" "$url" "hello, installed" 2>&1)
check "the user-prefix program echoes through $url" test "$?" -eq 0
case $got in *"hello, installed"*) pass "reply printed" ;; *) fail "reply printed: [$got]" ;; esac

# /usr/local as root: `cmake --install --prefix /usr/local` (what `make
# install` runs), then the README's line as it stands.  In a mount
# namespace of its own, over a private tmpfs on /usr/local and a private
# copy of /etc (ldconfig replaces /etc/ld.so.cache by a rename, so the
# whole directory is copied): the machine and the tests running beside
# this one see none of it.
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP (partial): not root: the install into /usr/local, its ldconfig, and the README's build" \
		"without rpath are untested (run the suite as root)" >&2
	finish
fi
need unshare
if ! unshare --mount --propagation private true 2>"$T/unshare.err"; then
	echo "SKIP (partial): no private mount namespace here ($(cat "$T/unshare.err")): the install into" \
		"/usr/local, its ldconfig, and the README's build without rpath are untested" >&2
	finish
fi
had_header=$(test -e /usr/local/include/sockipc.h && echo yes || echo no)
cat >"$T/system.sh" <<'SYS'
set -u
T=$1 url=$2 san=$3
mount -t tmpfs -o mode=0755 sipc-install-test /usr/local || exit 10
mkdir "$T/etc" && cp -a /etc/. "$T/etc/" && mount --bind "$T/etc" /etc || exit 11
cmake --install "$SIPC_BUILD_DIR" --prefix /usr/local >"$T/sys-install.log" 2>&1 || exit 12
mkdir "$T/sys" && cd "$T/sys" && cp ../app.c . || exit 13
env -u PKG_CONFIG_PATH -u LIBRARY_PATH -u LD_RUN_PATH \
	cc app.c $(env -u PKG_CONFIG_PATH pkg-config --cflags --libs sockipc) $san 2>"$T/sys-cc.log" || exit 14
readelf -d a.out | grep -E 'RPATH|RUNPATH' >"$T/sys-rpath"
env -u LD_LIBRARY_PATH ./a.out "$url" "hello, /usr/local" >"$T/sys-run.out" 2>&1
echo "a.out exit $?" >>"$T/sys-run.out"
SYS
unshare --mount --propagation private bash "$T/system.sh" "$T" "$url" "$san"
expect_eq "install into /usr/local in a private mount namespace" 0 $?
for f in sys-install.log sys-cc.log sys-run.out; do [ -s "$T/$f" ] && sed "s/^/  $f| /" "$T/$f" >&2; done
check "make install ran ldconfig for /usr/local/lib" grep -q 'Running ldconfig' "$T/sys-install.log"
check "the README's cc line builds app.c" test -x "$T/sys/a.out"
expect_eq "no rpath in the program" "" "$(cat "$T/sys-rpath" 2>/dev/null)"
check "the program finds libsockipc.so.0 and echoes through $url" grep -q "a.out exit 0" "$T/sys-run.out"
check "its reply printed" grep -q "hello, /usr/local" "$T/sys-run.out"
expect_eq "the machine's /usr/local is untouched" "$had_header" \
	"$(test -e /usr/local/include/sockipc.h && echo yes || echo no)"
finish
