#!/bin/bash
# tls_openssl.sh - sockipc over TLS 1.2 and 1.3 against the OpenSSL command
# line, both directions: connect and send to `openssl s_server`, listen
# and serve to `openssl s_client`.  1 MB of random bytes each way, every
# byte compared; the version negotiated is the one forced on the peer; the
# SNI and ALPN that sockipc sends are in the peer's -trace, and the ones
# the peer sends are in sockipc's -v line.  OpenSSL's tools end a
# connection at the end of their input, so sockipc ends first and the peer
# answers its close_notify (see tls_peers.bash).
. "$(dirname "$0")/../support/lib.sh"
. "$(dirname "$0")/tls_peers.bash"
need openssl
tls_certs

N=1000000
head -c $N /dev/urandom >"$T/S" # what the server side sends
head -c $N /dev/urandom >"$T/C" # what the client side sends
# A sockipc frame: a 4-byte big-endian length, then the bytes.
frame() { python3 -c 'import sys, struct; m = sys.argv[1].encode(); sys.stdout.buffer.write(struct.pack(">I", len(m)) + m)' "$1"; }
frame 'ping over tls' >"$T/ping.frame"
frame 'pong over tls' >"$T/pong.frame"

# trace_alpn MSGFILE K: the protocols of the K-th ALPN extension in an
# OpenSSL -trace (1: the ClientHello's offer, 2: the server's choice), one
# per line there, "a,b," here.
trace_alpn() {
	awk -v k="$2" '/extension_type=application_layer_protocol_negotiation/ { n++; on = 1; next }
		on && NF == 1 && !/=/ { if (n == k) s = s $1 ","; next } { on = 0 } END { print s }' "$1"
}
# trace_sni MSGFILE: the server name of the ClientHello, from its hex dump.
trace_sni() { grep -A1 'extension_type=server_name' "$1" | awk 'NR == 2 { print $NF }' | sed 's/^\.*//'; }

# ALPN: the client offers zzz then bar, the server knows only bar: bar is
# what both must report.  SNI: a name that is not the URL host.
for v in 1.2 1.3; do
	vflag=-tls${v/./_}
	want_v="TLSv$v"

	# ---- sockipc connect -> s_server: 1 MB each way
	s_server_data() {
		feed_open "$T/S" | openssl s_server -quiet -naccept 1 "$vflag" -accept 127.0.0.1:0 \
			-cert "$CRT" -key "$KEY" -alpn bar -trace -msgfile "$T/so.msg" >"$T/so.out" 2>"$T/so.err"
	}
	rm -f "$T"/so.* "$T"/c.*
	spawn s_server_data
	sp=$BG_PID
	port=$(peer_port $sp 10)
	feed "$T/C" "$T/c.out" $N | timeout "$(secs 20)" "$SOCKIPC" connect -v --ca "$CA" --sni localhost \
		--alpn zzz,bar "tls://127.0.0.1:$port" >"$T/c.out" 2>"$T/c.err"
	rc="${PIPESTATUS[1]}"
	expect_rc "$v connect -> s_server: exit 0" 0 $rc "$T/c.err"
	check "$v connect -> s_server: 1 MB from s_server byte-exact" cmp -s "$T/S" "$T/c.out"
	check "$v connect -> s_server: 1 MB to s_server byte-exact" cmp -s "$T/C" "$T/so.out"
	check "$v connect -> s_server: -v names $want_v" grep -q "connect: $want_v " "$T/c.err"
	check "$v connect -> s_server: -v names alpn bar" grep -q "alpn bar" "$T/c.err"
	expect_eq "$v connect -> s_server: s_server saw SNI localhost" localhost "$(trace_sni "$T/so.msg")"
	expect_eq "$v connect -> s_server: s_server saw ALPN zzz,bar offered" zzz,bar, "$(trace_alpn "$T/so.msg" 1)"
	stop_bg $sp

	# ---- sockipc send -> s_server: one frame out, one back
	s_server_frame() {
		{ wait_size "$T/so.out" "$(stat -c %s "$T/ping.frame")" 20 && cat "$T/pong.frame"
		  exec sleep $((60 * SCALE)); } |
			openssl s_server -quiet -naccept 1 "$vflag" -accept 127.0.0.1:0 -cert "$CRT" -key "$KEY" \
				>"$T/so.out" 2>"$T/so.err"
	}
	rm -f "$T"/so.*
	spawn s_server_frame
	sp=$BG_PID
	port=$(peer_port $sp 10)
	got=$(timeout "$(secs 20)" "$SOCKIPC" send --ca "$CA" -t $((5000 * SCALE)) "tls://127.0.0.1:$port" \
		'ping over tls' 2>"$T/send.err")
	rc=$?
	expect_rc "$v send -> s_server: exit 0" 0 $rc "$T/send.err"
	expect_eq "$v send -> s_server: the reply frame's bytes" "pong over tls" "$got"
	check "$v send -> s_server: s_server got exactly our frame" cmp -s "$T/ping.frame" "$T/so.out"
	stop_bg $sp

	# ---- s_client -> sockipc listen: 1 MB each way; SNI and ALPN seen by listen
	listen_data() {
		feed "$T/S" "$T/l.out" $N | timeout "$(secs 20)" "$SOCKIPC" listen -v --cert "$CRT" --key "$KEY" \
			--alpn bar tls://127.0.0.1:0 >"$T/l.out" 2>"$T/l.err"
	}
	rm -f "$T"/l.* "$T"/sc.*
	spawn listen_data
	lp=$BG_PID
	url=$(listening_url "$T/l.err" 10)
	s_client_data() {
		feed_open "$T/C" | openssl s_client -quiet -nocommands "$vflag" -connect "127.0.0.1:${url##*:}" \
			-CAfile "$CA" -verify_return_error -servername sni.test -alpn zzz,bar \
			-trace -msgfile "$T/sc.msg" >"$T/sc.out" 2>"$T/sc.err"
	}
	spawn s_client_data
	cp=$BG_PID
	wait $lp
	rc=$?
	expect_rc "$v s_client -> listen: exit 0" 0 $rc "$T/l.err"
	check "$v s_client -> listen: 1 MB from s_client byte-exact" cmp -s "$T/C" "$T/l.out"
	wait_size "$T/sc.out" $N 10
	check "$v s_client -> listen: 1 MB to s_client byte-exact" cmp -s "$T/S" "$T/sc.out"
	check "$v s_client -> listen: -v names $want_v" grep -q "listen: $want_v " "$T/l.err"
	check "$v s_client -> listen: -v names alpn bar" grep -q "alpn bar" "$T/l.err"
	check "$v s_client -> listen: -v names sni sni.test" grep -q "sni sni.test" "$T/l.err"
	check "$v s_client -> listen: verified our certificate" grep -q 'verify return:1' "$T/sc.err"
	expect_eq "$v s_client -> listen: s_client got ALPN bar" bar, "$(trace_alpn "$T/sc.msg" 2)"
	stop_bg $cp
done

# ---- s_client -> sockipc serve echo (TLS 1.3 and 1.2 in one server): the
# echo of 1 MB; serve's close line names the version and ALPN (the SNI is
# in no serve line; listen's -v above shows it).  s_client ends first
# here (an echo cannot): once it has the whole echo its input ends, and
# without -ign_eof it sends close_notify.
bg "$T/srv" "$SOCKIPC" serve -v --cert "$CRT" --key "$KEY" --alpn bar -e 'tls://127.0.0.1:0 echo'
port=$(port_of "$(listening_url "$T/srv" 10)")
for v in 1.2 1.3; do
	rm -f "$T"/sc.*
	feed "$T/C" "$T/sc.out" $N | timeout "$(secs 20)" openssl s_client -quiet -no_ign_eof -nocommands \
		-tls${v/./_} -connect "127.0.0.1:$port" -CAfile "$CA" -verify_return_error -servername localhost \
		-alpn bar >"$T/sc.out" 2>"$T/sc.err"
	expect_eq "$v s_client -> serve echo: s_client exit 0" 0 "${PIPESTATUS[1]}"
	check "$v s_client -> serve echo: 1 MB echoed byte-exact" cmp -s "$T/C" "$T/sc.out"
	check "$v s_client -> serve echo: the close line names TLSv$v, alpn bar and a clean end" \
		wait_line "$T/srv.err" "^sockipc: close echo .* end=done tls=TLSv$v .*alpn=bar" 10
done
stop_bg $BG_PID
expect_eq "serve exits 0 on SIGTERM" 0 $?
finish
