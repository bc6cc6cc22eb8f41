#!/bin/bash
# cli_peers.sh - sockipc connect and listen against OpenBSD nc, socat and
# ncat: half-close both ways (each side's end of input reaches the other and
# the answer that follows still arrives), and listen receiving 100 MiB from
# socat and from nc, checksum verified; send against socat (a binary
# datagram reply byte for byte, a banner that is no frame named as such).
# Peers that cannot listen on port 0 listen on scratch unix sockets; over
# TCP our listen takes port 0.
. "$(dirname "$0")/../support/lib.sh"
need nc socat ncat

head -c 104857600 /dev/urandom >"$T/big"
want=$(cksum <"$T/big")

# ---- our connect against nc and socat servers: they read to our end of
# stream, then answer, then close; we must get the answer and exit 0.
sock=$T/nc.sock
bg "$T/ncsrv" bash -c "printf 'answer from nc' | nc -N -lU '$sock'"
unix_listening "$sock" 5 || fail "the peer listens at $sock"
got=$(printf 'request' | timeout "$(secs 20)" "$SOCKIPC" connect "unix://$sock"); rc=$?
wait "$BG_PID"
expect_eq "nc server: connect exit 0" 0 $rc
expect_eq "nc server: answer received" "answer from nc" "$got"
expect_eq "nc server: got our request" "request" "$(cat "$T/ncsrv")"

sock=$T/socat.sock
bg "$T/socatsrv" socat -t 5 "UNIX-LISTEN:$sock" SYSTEM:'cat >&2; sleep 1; printf late-answer'
unix_listening "$sock" 5 || fail "the peer listens at $sock"
got=$(printf 'request' | timeout "$(secs 20)" "$SOCKIPC" connect "unix://$sock"); rc=$?
wait "$BG_PID"
expect_eq "socat server: connect exit 0" 0 $rc
expect_eq "socat server: the answer 1 s after our end arrives" "late-answer" "$got"
expect_eq "socat server: got our request" "request" "$(cat "$T/socatsrv.err")"

sock=$T/ncat.sock
bg "$T/ncatsrv" bash -c "printf 'answer from ncat' | ncat -lU '$sock'"
unix_listening "$sock" 5 || fail "the peer listens at $sock"
got=$(printf 'request' | timeout "$(secs 20)" "$SOCKIPC" connect "unix://$sock"); rc=$?
expect_eq "ncat server: connect exit 0" 0 $rc
expect_eq "ncat server: answer received" "answer from ncat" "$got"
wait_line "$T/ncatsrv" 'request' 10 >/dev/null
expect_eq "ncat server: got our request" "request" "$(cat "$T/ncatsrv")"

# ---- our listen against nc and socat clients, both directions
bg "$T/l1" bash -c "printf 'hello nc' | '$SOCKIPC' listen tcp://127.0.0.1:0"
url=$(listening_url "$T/l1.err" 10)
port=${url##*:}
got=$(printf 'from nc' | timeout "$(secs 20)" nc -N 127.0.0.1 "$port"); rc=$?
wait "$BG_PID"
expect_eq "nc client: exit 0" 0 $rc
expect_eq "nc client: got our stdin" "hello nc" "$got"
expect_eq "nc client: we got its stdin" "from nc" "$(cat "$T/l1")"

bg "$T/l2" bash -c "printf 'hello socat' | '$SOCKIPC' listen tcp://127.0.0.1:0"
url=$(listening_url "$T/l2.err" 10)
got=$(printf 'from socat' | timeout "$(secs 20)" socat -t 5 - "TCP:127.0.0.1:${url##*:}"); rc=$?
wait "$BG_PID"
expect_eq "socat client: exit 0" 0 $rc
expect_eq "socat client: got our stdin" "hello socat" "$got"
expect_eq "socat client: we got its stdin" "from socat" "$(cat "$T/l2")"

# ---- listen receiving 100 MiB from socat and from nc
bg "$T/b1" bash -c "'$SOCKIPC' listen tcp://127.0.0.1:0 </dev/null | cksum"
url=$(listening_url "$T/b1.err" 10)
timeout "$(secs 60)" socat -u "FILE:$T/big" "TCP:127.0.0.1:${url##*:}"
expect_eq "100 MiB from socat: socat exit 0" 0 $?
wait "$BG_PID"
expect_eq "100 MiB from socat: checksum" "$want" "$(cat "$T/b1")"

bg "$T/b2" bash -c "'$SOCKIPC' listen tcp://127.0.0.1:0 </dev/null | cksum"
url=$(listening_url "$T/b2.err" 10)
timeout "$(secs 60)" nc -N 127.0.0.1 "${url##*:}" <"$T/big" >/dev/null
expect_eq "100 MiB from nc: nc exit 0" 0 $?
wait "$BG_PID"
expect_eq "100 MiB from nc: checksum" "$want" "$(cat "$T/b2")"

# ... and into a file (splice to a regular file)
bg "$T/b3" "$SOCKIPC" listen "unix://$T/big.sock"
listening_url "$T/b3.err" 10 >/dev/null
timeout "$(secs 60)" socat -u "FILE:$T/big" "UNIX-CONNECT:$T/big.sock"
wait "$BG_PID"
expect_eq "100 MiB over unix from socat into a file: checksum" "$want" "$(cksum <"$T/b3")"
# ---- send against socat: a binary datagram reply comes back byte for
# byte; a stream peer that speaks plain bytes is named as one
sock=$T/socat-gram.sock
bg "$T/sgram" socat -T 5 "UNIX-RECVFROM:$sock,fork" SYSTEM:cat
for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >"$T/bin"
timeout "$(secs 20)" "$SOCKIPC" send "unixgram://$sock" <"$T/bin" >"$T/bin.out"; rc=$?
expect_eq "send to socat unixgram cat: exit 0" 0 $rc
check "send to socat unixgram cat: 256 bytes byte-exact (cmp)" cmp -s "$T/bin" "$T/bin.out"
sock=$T/socat-banner.sock
bg "$T/sbanner" socat -t 5 "UNIX-LISTEN:$sock" SYSTEM:'printf "SSH-2.0-banner\\r\\n"; sleep 5'
unix_listening "$sock" 5 || fail "the peer listens at $sock"
err=$(timeout "$(secs 20)" "$SOCKIPC" send "unix://$sock" hello 2>&1 >/dev/null); rc=$?
expect_eq "send to a socat banner: exit 1" 1 $rc
check "send to a socat banner: not a sockipc frame [$err]" grep -q \
	'reply is not a sockipc frame ("SSH-" read as length 0x5353482d, .*use connect for plain bytes$' <<<"$err"
finish
