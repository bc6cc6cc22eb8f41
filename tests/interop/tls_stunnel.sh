#!/bin/bash
# tls_stunnel.sh - sockipc serve beside stunnel4, over TLS 1.2 and 1.3:
# sockipc forward in place of stunnel (a stunnel client into `serve
# tls://... forward tcp://backend`, `serve tcp://... forward tls://...` into
# a stunnel server) and stunnel in front of sockipc (a stunnel server
# before `serve` tcp echo, a stunnel client before `serve` tls echo).  Both
# stunnel and sockipc pass a half-close on: in every case the plain client
# (nc -N, or sockipc connect over TLS) ends its input first, the far end
# reads to its end and only then answers, and 1 MB arrives byte for byte
# each way.
. "$(dirname "$0")/../support/lib.sh"
. "$(dirname "$0")/tls_peers.bash"
need stunnel4 socat nc
tls_certs

N=1000000
head -c $N /dev/urandom >"$T/S"
head -c $N /dev/urandom >"$T/C"

# backend: a plain TCP server that reads the client's all (to its
# half-close), then answers with S.  Sets BPORT.
backend() {
	rm -f "$T/b.in"
	case_bg "$T/b" socat -t 5 TCP-LISTEN:0,bind=127.0.0.1 SYSTEM:"cat >'$T/b.in'; cat '$T/S'"
	BPORT=$(peer_port $BG_PID 10)
}
# stunnel_start NAME client|server CONNECT-PORT VERSION: stunnel in that
# mode, TLS version VERSION only, on a free port (ST_PORT).  The client
# verifies the chain and the name localhost.
stunnel_start() {
	local role=$2 tv=TLSv$4
	local -a conf=("accept = 127.0.0.1:0" "connect = 127.0.0.1:$3" "sslVersionMin = $tv" "sslVersionMax = $tv")
	if [ "$role" = client ]; then
		conf+=("client = yes" "CAfile = $CA" "verifyChain = yes" "checkHost = localhost" "sni = localhost")
	else
		conf+=("cert = $CRT" "key = $KEY")
	fi
	stunnel_conf "$T/$1.conf" "${conf[@]}"
	case_bg "$T/$1" stunnel4 "$T/$1.conf"
	ST_PORT=$(peer_port $BG_PID 10)
}
# serve_start NAME LINE [OPTION...]: sockipc serve with one service line;
# SV_PORT is its port.
serve_start() {
	local name=$1 line=$2
	shift 2
	case_bg "$T/$name" "$SOCKIPC" serve -v "$@" -e "$line"
	SERVES+=("$BG_PID")
	SV_PORT=$(port_of "$(listening_url "$T/$name" 10)")
}
# serves_end: each serve of the case ends with status 0 on SIGTERM (under
# ASan: with no leak), then the rest of the case is stopped.
SERVES=()
serves_end() {
	local p
	for p in "${SERVES[@]}"; do
		stop_bg "$p"
		expect_eq "$1: serve exits 0 on SIGTERM" 0 $?
	done
	SERVES=()
	case_end
}
# through PORT WHAT: nc -N sends C to PORT and must get S back.
through() {
	timeout "$(secs 20)" nc -N 127.0.0.1 "$1" <"$T/C" >"$T/out"
	expect_eq "$2: nc exit 0" 0 $?
	check "$2: 1 MB to the backend byte-exact" cmp -s "$T/C" "$T/b.in"
	check "$2: 1 MB back byte-exact" cmp -s "$T/S" "$T/out"
}
# served_version NAME VERSION: serve's log says the handshake was VERSION.
served_version() { wait_line "$T/$1.err" " tls=TLSv$2 " 10 >/dev/null; }
# stunnel_saw NAME REGEX: a line of stunnel NAME's log (debug 6: the
# version and suite of each handshake, "TLS closed (SSL_read)" for a
# close_notify received).
stunnel_saw() { wait_line "$T/$1.conf.log" "$2" 10 >/dev/null; }

for v in 1.2 1.3; do
	# stunnel client -> serve tls:// forward tcp:// -> backend
	backend
	serve_start s1 "tls://127.0.0.1:0 forward tcp://127.0.0.1:$BPORT" --cert "$CRT" --key "$KEY"
	stunnel_start c1 client "$SV_PORT" "$v"
	through "$ST_PORT" "$v stunnel client -> serve tls forward"
	check "$v stunnel client -> serve tls forward: serve logs TLSv$v" served_version s1 "$v"

	# serve tcp:// forward tls:// -> stunnel server -> backend
	backend
	stunnel_start s2 server "$BPORT" "$v"
	serve_start f2 "tcp://127.0.0.1:0 forward --ca=$CA tls://127.0.0.1:$ST_PORT"
	through "$SV_PORT" "$v serve forward tls -> stunnel server"
	check "$v serve forward tls -> stunnel server: stunnel negotiated TLSv$v" stunnel_saw s2 "TLSv$v ciphersuite"
	check "$v serve forward tls -> stunnel server: stunnel got our close_notify" stunnel_saw s2 'TLS closed \(SSL_read\)'

	# sockipc connect -> stunnel server -> serve tcp echo
	serve_start e3 "tcp://127.0.0.1:0 echo"
	stunnel_start s3 server "$SV_PORT" "$v"
	timeout "$(secs 20)" "$SOCKIPC" connect -v --ca "$CA" "tls://127.0.0.1:$ST_PORT" <"$T/C" >"$T/out" 2>"$T/c.err"
	rc=$?
	expect_rc "$v connect -> stunnel server -> serve echo: exit 0" 0 $rc "$T/c.err"
	check "$v connect -> stunnel server -> serve echo: 1 MB echoed byte-exact" cmp -s "$T/C" "$T/out"
	check "$v connect -> stunnel server -> serve echo: -v names TLSv$v" grep -q "connect: TLSv$v " "$T/c.err"
	check "$v connect -> stunnel server -> serve echo: stunnel got our close_notify" stunnel_saw s3 'TLS closed \(SSL_read\)'

	# nc -> stunnel client -> serve tls echo
	serve_start e4 "tls://127.0.0.1:0 echo" --cert "$CRT" --key "$KEY"
	stunnel_start c4 client "$SV_PORT" "$v"
	timeout "$(secs 20)" nc -N 127.0.0.1 "$ST_PORT" <"$T/C" >"$T/out"
	expect_eq "$v nc -> stunnel client -> serve tls echo: nc exit 0" 0 $?
	check "$v nc -> stunnel client -> serve tls echo: 1 MB echoed byte-exact" cmp -s "$T/C" "$T/out"
	check "$v nc -> stunnel client -> serve tls echo: serve logs TLSv$v" served_version e4 "$v"

	serves_end "$v"
done
finish
