#!/bin/bash
# tls_ncat_socat.sh - sockipc connect and listen over TLS against ncat
# --ssl and socat OPENSSL:/OPENSSL-LISTEN:, both directions, 1 MB of random
# bytes each way, every byte compared.  The peers verify us with the test
# CA (ncat --ssl-verify, socat verify=1 cafile=), we verify them with --ca.
# socat can half-close over TLS: its cases end one side's input first and
# the other side answers after reading to the end, over TLS 1.2 and 1.3
# (min-version/max-version).  ncat cannot (it closes the socket without
# close_notify at the end of its input) and has no version option: its
# cases use the feeders of tls_peers.bash, over the TLS 1.3 it picks; ncat
# sends SNI and ALPN, which listen must report, and as a client never ends
# with close_notify, which listen must report as an error.
. "$(dirname "$0")/../support/lib.sh"
. "$(dirname "$0")/tls_peers.bash"
need ncat socat
tls_certs

N=1000000
head -c $N /dev/urandom >"$T/S" # what the server side sends
head -c $N /dev/urandom >"$T/C" # what the client side sends

# ---- ncat --ssl -l <- sockipc connect (TLS 1.3)
ncat_server() {
	feed_open "$T/S" | ncat --ssl --ssl-cert "$CRT" --ssl-key "$KEY" -l 127.0.0.1 0 >"$T/p.out" 2>"$T/p.err"
}
spawn ncat_server
sp=$BG_PID
port=$(peer_port $sp 10)
feed "$T/C" "$T/c.out" $N | timeout "$(secs 20)" "$SOCKIPC" connect -v --ca "$CA" "tls://127.0.0.1:$port" \
	>"$T/c.out" 2>"$T/c.err"
rc="${PIPESTATUS[1]}"
expect_rc "connect -> ncat --ssl -l: exit 0" 0 $rc "$T/c.err"
check "connect -> ncat --ssl -l: 1 MB from ncat byte-exact" cmp -s "$T/S" "$T/c.out"
check "connect -> ncat --ssl -l: 1 MB to ncat byte-exact" cmp -s "$T/C" "$T/p.out"
check "connect -> ncat --ssl -l: -v names TLSv1.3" grep -q "connect: TLSv1.3 " "$T/c.err"
stop_bg $sp

# ---- ncat --ssl-verify -> sockipc listen (TLS 1.3): ncat's SNI and ALPN.
# An ncat client never ends with close_notify (at the end of its input it
# shuts its socket down, then its close_notify meets EPIPE), so listen
# must call that end what it is, an error, once every byte has arrived.
listen_fed() {
	feed "$T/S" "$T/l.out" $N | timeout "$(secs 20)" "$SOCKIPC" listen -v --cert "$CRT" --key "$KEY" \
		--alpn bar tls://127.0.0.1:0 >"$T/l.out" 2>"$T/l.err"
}
spawn listen_fed
lp=$BG_PID
url=$(listening_url "$T/l.err" 10)
rm -f "$T/p.out"
feed "$T/C" "$T/p.out" $N | timeout "$(secs 20)" ncat -4 --ssl --ssl-verify --ssl-trustfile "$CA" \
	--ssl-alpn zzz,bar localhost "${url##*:}" >"$T/p.out" 2>"$T/p.err"
rc=${PIPESTATUS[1]}
expect_rc "ncat --ssl -> listen: ncat exit 0" 0 $rc "$T/p.err"
wait $lp
rc=$?
expect_rc "ncat --ssl -> listen: listen exit 1 (no close_notify from ncat)" 1 $rc "$T/l.err"
check "ncat --ssl -> listen: the error line names the listener" grep -q "^sockipc: listen tls://" "$T/l.err"
grep "^sockipc: listen tls://" "$T/l.err"
check "ncat --ssl -> listen: 1 MB from ncat byte-exact" cmp -s "$T/C" "$T/l.out"
check "ncat --ssl -> listen: 1 MB to ncat byte-exact" cmp -s "$T/S" "$T/p.out"
check "ncat --ssl -> listen: -v names TLSv1.3" grep -q "listen: TLSv1.3 " "$T/l.err"
check "ncat --ssl -> listen: -v names ncat's sni localhost" grep -q "sni localhost" "$T/l.err"
check "ncat --ssl -> listen: -v names alpn bar" grep -q "alpn bar" "$T/l.err"

# ---- socat, both ways, with half-close
for v in 1.2 1.3; do
	ver="min-version=TLS$v,max-version=TLS$v"

	# sockipc connect ends its input first; socat reads to that end, then answers.
	rm -f "$T/p.out"
	bg "$T/sox" socat -t 5 "OPENSSL-LISTEN:0,bind=127.0.0.1,cert=$CRT,key=$KEY,verify=0,$ver" \
		SYSTEM:"cat >'$T/p.out'; cat '$T/S'"
	sp=$BG_PID
	port=$(peer_port $sp 10)
	timeout "$(secs 20)" "$SOCKIPC" connect -v --ca "$CA" "tls://127.0.0.1:$port" <"$T/C" >"$T/c.out" 2>"$T/c.err"
	rc=$?
	expect_rc "$v connect -> socat OPENSSL-LISTEN (half-close): exit 0" 0 $rc "$T/c.err"
	check "$v connect -> socat OPENSSL-LISTEN: 1 MB to socat byte-exact" cmp -s "$T/C" "$T/p.out"
	check "$v connect -> socat OPENSSL-LISTEN: 1 MB answer after our end, byte-exact" cmp -s "$T/S" "$T/c.out"
	check "$v connect -> socat OPENSSL-LISTEN: -v names TLSv$v" grep -q "connect: TLSv$v " "$T/c.err"
	stop_bg $sp

	# socat OPENSSL: ends its input first; sockipc listen reads to that end, then answers.
	listen_late() {
		{ wait_size "$T/l.out" $N 30 && cat "$T/S"; } | timeout "$(secs 20)" "$SOCKIPC" listen -v \
			--cert "$CRT" --key "$KEY" tls://127.0.0.1:0 >"$T/l.out" 2>"$T/l.err"
	}
	rm -f "$T"/l.*
	spawn listen_late
	lp=$BG_PID
	url=$(listening_url "$T/l.err" 10)
	timeout "$(secs 20)" socat -t 5 - "OPENSSL:localhost:${url##*:},pf=ip4,cafile=$CA,verify=1,$ver" \
		<"$T/C" >"$T/p.out" 2>"$T/p.err"
	rc=$?
	expect_rc "$v socat OPENSSL -> listen (half-close): socat exit 0" 0 $rc "$T/p.err"
	wait $lp
	rc=$?
	expect_rc "$v socat OPENSSL -> listen: listen exit 0" 0 $rc "$T/l.err"
	check "$v socat OPENSSL -> listen: 1 MB from socat byte-exact" cmp -s "$T/C" "$T/l.out"
	check "$v socat OPENSSL -> listen: 1 MB answer after its end, byte-exact" cmp -s "$T/S" "$T/p.out"
	check "$v socat OPENSSL -> listen: -v names TLSv$v" grep -q "listen: TLSv$v " "$T/l.err"
done
finish
