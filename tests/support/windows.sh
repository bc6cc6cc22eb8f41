#!/usr/bin/env bash
# windows.sh deps|wine-start|wine-stop|env BUILD - what the Windows build
# and its tests under Wine need (`make windows`, `make windows-test`), all
# from Debian and all kept in the build directory BUILD.
#
#   deps        the cross compiler, Wine and dpkg-dev (for apt-get source):
#               installed as root when missing, named on one line otherwise;
#               then cmocka, which Debian has no mingw package of, from
#               Debian's own source package (a deb-src entry for the mirror
#               and suite of the existing Debian entry), cross-built into
#               BUILD/deps (skipped when it is there).
#   wine-start  a Wine prefix in BUILD/wine and its server, started detached.
#   wine-stop   stops that server (and the programs it still runs).
#   env         prints the environment of both, for `eval`.
#
# The trap this avoids (shared/research/windows-port.md): Wine's background
# server inherits the standard error of the program that started it, so a
# runner that reads a test's stderr through a pipe (CTest does) waits for
# the server to exit: 2.7 s per program, or forever with a persistent one.
# So the server is started here first, persistent, with its descriptors on
# /dev/null, and every test program then finds it running.
set -u
cmd=${1:-}
build=${2:-build-win}
mkdir -p "$build"
build=$(cd "$build" && pwd)

export WINEPREFIX="$build/wine" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY

say() { echo "sockipc: $*" >&2; }

# Debian packages: installed as root, named otherwise (as deps.sh does).
packages() {
	local need=(gcc-mingw-w64-x86-64 wine64 wine dpkg-dev cmake) missing=() p
	for p in "${need[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		say "make windows needs these Debian packages: ${missing[*]} (as root: apt-get install ${missing[*]})"
		return 1
	fi
	say "installing the Windows build's dependencies: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
		|| { say "could not install: ${missing[*]}"; return 1; }
}

# The first Debian archive entry of the apt sources (deb822 or one-line
# style) as "URI SUITE COMPONENTS SIGNED-BY"; the security archive is not
# the one cmocka is in.
debian_entry() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN { RS = ""; FS = "\n" }
		{
			t = u = s = c = k = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^Types:/) t = $i
				else if ($i ~ /^URIs:/) { u = $i; sub(/^URIs:[ \t]*/, "", u); sub(/[ \t].*/, "", u) }
				else if ($i ~ /^Suites:/) { s = $i; sub(/^Suites:[ \t]*/, "", s); sub(/[ \t].*/, "", s) }
				else if ($i ~ /^Components:/) { c = $i; sub(/^Components:[ \t]*/, "", c); gsub(/[ \t]+/, ",", c) }
				else if ($i ~ /^Signed-By:/) { k = $i; sub(/^Signed-By:[ \t]*/, "", k) }
			}
			if (t ~ /[ \t]deb([ \t]|$)/ && u ~ /\/debian\/?$/ && s != "") {
				print u, s, c, (k == "" ? "-" : k); exit
			}
		}' "$f"
	done | head -n 1
	[ -f /etc/apt/sources.list ] || return 0
	local type rest opts uri suite comps key
	while read -r type rest; do
		[ "$type" = deb ] || continue
		opts=
		if [[ $rest == \[* ]]; then
			opts=${rest%%]*}
			rest=${rest#*]}
		fi
		read -r uri suite comps <<<"$rest"
		[[ $uri =~ /debian/?$ ]] || continue
		key=-
		[[ $opts =~ signed-by=([^[:space:]]+) ]] && key=${BASH_REMATCH[1]}
		echo "$uri $suite ${comps// /,} $key"
		return 0
	done </etc/apt/sources.list
}

# A deb-src entry beside the Debian one, unless apt has one already.
deb_src() {
	local list=/etc/apt/sources.list.d/sockipc-deb-src.sources uri suite comps key
	if grep -Eqs '^(Types:.*deb-src|deb-src[[:space:]])' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list.d/*.list; then
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		say "make windows needs Debian's source of cmocka: add a deb-src entry for the Debian mirror to the apt sources (as root: make windows does it)"
		return 1
	fi
	read -r uri suite comps key < <(debian_entry)
	if [ -z "${uri:-}" ]; then
		say "no Debian archive in the apt sources to take cmocka's source from"
		return 1
	fi
	say "adding $list (deb-src $uri $suite) for cmocka's source"
	{
		echo "# Added by sockipc's tests/support/windows.sh: cmocka's source, cross-built for Windows."
		echo "Types: deb-src"
		echo "URIs: $uri"
		echo "Suites: $suite"
		echo "Components: ${comps//,/ }"
		[ "$key" != - ] && echo "Signed-By: $key"
	} >"$list"
	apt-get update -qq >/dev/null || { say "apt-get update failed after adding $list"; return 1; }
}

# cmocka for mingw in BUILD/deps: Debian's source, its own CMake build with
# our toolchain file.
cmocka() {
	local prefix="$build/deps" src="$build/deps-src" top
	top=$(cd "$(dirname "$0")/../.." && pwd)
	if [ -f "$prefix/include/cmocka.h" ] && [ -f "$prefix/lib/libcmocka-static.a" ]; then
		return 0
	fi
	deb_src || return 1
	rm -rf "$src" && mkdir -p "$src"
	if ! (cd "$src" && apt-get source -qq cmocka >/dev/null 2>"$src/apt.log"); then
		# A deb-src entry whose lists were never fetched.
		if [ "$(id -u)" -eq 0 ] && apt-get update -qq >/dev/null &&
			(cd "$src" && apt-get source -qq cmocka >/dev/null 2>"$src/apt.log"); then
			:
		else
			say "apt-get source cmocka failed: $(grep -m1 '^E:' "$src/apt.log")"
			return 1
		fi
	fi
	local dir
	dir=$(find "$src" -mindepth 1 -maxdepth 1 -type d -name 'cmocka-*' | head -n 1)
	[ -n "$dir" ] || { say "apt-get source cmocka left no cmocka-* directory in $src"; return 1; }
	# WITH_STATIC_LIB: the tests link libcmocka-static.a, so they need no DLL beside them under Wine.
	if ! cmake -S "$dir" -B "$src/build" -DCMAKE_TOOLCHAIN_FILE="$top/cmake/mingw-w64.cmake" \
		-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
		-DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF -DWITH_STATIC_LIB=ON \
		>"$src/build.log" 2>&1 ||
		! cmake --build "$src/build" -j "${JOBS:-2}" >>"$src/build.log" 2>&1 ||
		! cmake --install "$src/build" >>"$src/build.log" 2>&1; then
		say "cross-building cmocka failed: see $src/build.log"
		return 1
	fi
	[ -f "$prefix/lib/libcmocka-static.a" ] || { say "cmocka's build made no libcmocka-static.a (see $src/build.log)"; return 1; }
}

case "$cmd" in
deps)
	packages && cmocka
	;;
wine-start)
	mkdir -p "$WINEPREFIX"
	# Detached: nothing of ours is inherited, so no pipe waits for it.
	wineserver -p </dev/null >/dev/null 2>&1
	# The prefix (first run: some seconds), which also shows Wine works.
	if ! timeout 300 wine wineboot -i </dev/null >/dev/null 2>&1; then
		wineserver -k </dev/null >/dev/null 2>&1
		say "wine wineboot failed in $WINEPREFIX"
		exit 1
	fi
	# Wine 8 says it is Windows 7 unless told; the port is for Windows 10.
	timeout 60 wine winecfg -v win10 </dev/null >/dev/null 2>&1 || say "wine winecfg -v win10 failed: Wine says it is Windows 7"
	;;
wine-stop)
	# -k ends the server and every program of the prefix; -w waits (bounded)
	# until they are gone, so nothing of this run outlives it.
	wineserver -k </dev/null >/dev/null 2>&1
	timeout 30 wineserver -w </dev/null >/dev/null 2>&1
	exit 0
	;;
env)
	printf 'export WINEPREFIX=%q WINEDEBUG=-all WINEDLLOVERRIDES=%q\nunset DISPLAY WAYLAND_DISPLAY\n' \
		"$WINEPREFIX" "$WINEDLLOVERRIDES"
	;;
*)
	echo "usage: windows.sh deps|wine-start|wine-stop|env [BUILD]" >&2
	exit 2
	;;
esac
