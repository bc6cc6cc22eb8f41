# tls_peers.bash - sourced by the tls_*.sh interop tests, after lib.sh:
# the test certificates, where a peer listens, and the stdin feeders that
# let every peer end a connection cleanly.
#
# Why feeders: openssl s_server/s_client and ncat --ssl end a TLS
# connection when their standard input ends (ncat closes the TCP socket
# without close_notify, which sockipc rightly reports as a truncation), so
# they cannot half-close.  With them each side sends its data, keeps its
# input open until it has received all of the other side's, and only then
# does the sockipc side end its input: it sends close_notify, the peer
# answers with its own and closes, and both sides end cleanly with every
# byte checked (but for the ncat client, which never sends close_notify:
# see tls_ncat_socat.sh).  Peers that can half-close (socat, stunnel) get their own
# cases where one side's end of input reaches the other first.

# tls_certs: the CA and the certificates of tests/support/tls-certs.sh,
# made once into $T/certs.  Sets CA (the CA certificate), CRT and KEY (the
# server's, valid for localhost, 127.0.0.1 and ::1).
tls_certs() {
	local gen=$_SIPC_SUPPORT/tls-certs.sh
	[ -f "$gen" ] || { fail "$gen is missing"; finish; }
	bash "$gen" "$T/certs" >"$T/certs.log" 2>&1 || { cat "$T/certs.log" >&2; fail "tls-certs.sh"; finish; }
	CA=$T/certs/ca.pem CRT=$T/certs/server.pem KEY=$T/certs/server.key
}

# peer_port PGID SECONDS: the TCP port a process of the group PGID listens
# on (a peer told to take port 0, which most do not print), as soon as the
# socket is listening: the socket inodes of the group's descriptors, looked
# up among the listening sockets (state 0A) of /proc/net/tcp and tcp6.
peer_port() {
	local i inodes hex
	for ((i = 0; i < $2 * SCALE * 20; i++)); do
		inodes=$(for p in $(pgrep -g "$1"); do ls -l "/proc/$p/fd" 2>/dev/null; done |
			sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | paste -sd'|')
		if [ -n "$inodes" ]; then
			hex=$(awk -v re="^($inodes)\$" '$4 == "0A" && $10 ~ re { sub(/.*:/, "", $2); print $2; exit }' \
				/proc/net/tcp /proc/net/tcp6 2>/dev/null)
			[ -n "$hex" ] && { echo $((16#$hex)); return 0; }
		fi
		sleep 0.05
	done
	echo "timed out waiting for process group $1 to listen" >&2
	return 1
}


# feed FILE OUT N: a feeder for the side that ends first: writes FILE,
# then ends once OUT (what that side receives) holds N bytes.
feed() { cat "$1"; wait_size "$2" "$3" 30; }

# feed_open FILE: a feeder for a peer that ends at the end of its input:
# writes FILE and keeps the input open until the test stops the peer's
# group (stop_bg) once the sockipc side has finished.
feed_open() { cat "$1"; exec sleep $((60 * SCALE)); }

# stunnel_conf FILE SECTION-LINES...: a stunnel configuration in the
# foreground, no pid file, logging to FILE.log, one service [s].
stunnel_conf() {
	local f=$1
	shift
	{
		echo "foreground = yes"
		echo "pid ="
		echo "debug = 6"
		echo "output = $f.log"
		echo "[s]"
		printf '%s\n' "$@"
	} >"$f"
}


# case_bg OUTFILE CMD...: bg, remembered for case_end.
CASE_PIDS=()
case_bg() { bg "$@"; CASE_PIDS+=("$BG_PID"); }
# case_end: stops what the case started with case_bg.
case_end() {
	local p
	for p in "${CASE_PIDS[@]}"; do stop_bg "$p"; done
	CASE_PIDS=()
}

# expect_rc DESCRIPTION WANT GOT ERRFILE: an exit status, with ERRFILE
# shown when it is not the one wanted.
expect_rc() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: want status $2 got $3"
		sed 's/^/  ! /' "$4" >&2
	fi
}
