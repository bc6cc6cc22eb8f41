#!/usr/bin/env bash
# deps.sh [build|fuzz] - makes sure the Debian packages the tests (with
# `build`, the build itself; with `fuzz`, the libFuzzer targets) need are
# here.  As root it installs what is missing; otherwise it names them on
# one line and fails.
set -u
# The build: OpenSSL 3's headers and libraries (TLS), liburing (the loop's io_uring backend).
build=(libssl-dev liburing-dev)
# The tests: the build, cmocka, and the peers of the interop tests
# (openssl s_client/s_server also make the test certificates).
need=("${build[@]}" libcmocka-dev pkg-config netbase python3 man-db socat netcat-openbsd ncat xinetd procps util-linux binutils openssl stunnel4 iproute2)
# The proxies of tests/interop/cli_proxy_peers.sh.
need+=(microsocks tinyproxy dante-server)
# The PROXY protocol interop test (serve_haproxy.sh).
need+=(haproxy)
# serve's proxy services: curl as their client (serve_proxy_curl).
need+=(curl)
# systemd-socket-activate and systemd-analyze (serve_units, serve_inetd_shm:
# the package is installed, nothing of it is started); strace, which counts
# the system calls the batching and spinning tests are about.
need+=(systemd strace)
[ "${1:-}" = build ] && need=("${build[@]}")
# clang, and libFuzzer's runtime for -fsanitize=fuzzer (Debian 12: clang 14).
[ "${1:-}" = fuzz ] && need=("${build[@]}" clang libclang-rt-dev)
# Elsewhere than on Debian there is no dpkg to ask: the build goes on and
# CMake names what it cannot find.
if [ "${1:-}" = build ] && ! command -v dpkg-query >/dev/null; then
	exit 0
fi
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	echo "sockipc: installing test dependencies: ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
		|| { echo "sockipc: could not install: ${missing[*]}" >&2; exit 1; }
	# xinetd's, stunnel4's, tinyproxy's, dante's and haproxy's packages may start daemons; the interop
	# tests run their own.
	systemctl disable --now xinetd >/dev/null 2>&1 || true
	systemctl disable --now stunnel4 >/dev/null 2>&1 || true
	systemctl disable --now tinyproxy danted haproxy >/dev/null 2>&1 || true
	exit 0
fi
echo "sockipc: ${1:+make }${1:-the tests} need${1:+s} these Debian packages: ${missing[*]} (as root: apt-get install ${missing[*]})" >&2
exit 1
