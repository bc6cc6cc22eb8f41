#!/usr/bin/env bash
# bench_faults.sh - `sockipc bench` never trusts its peer: a peer that
# rewrites bytes gives mismatches, a datagram peer that never answers gives
# losses (and the run ends by the timeout instead of hanging), a stream
# peer that stops answering or closes gives unanswered messages, and a
# refused connection is an error: every case exits 1 and says so.
. "$(dirname "$0")/../support/lib.sh"
need socat

sock_wait() { unix_listening "$1" 5; }

# A corrupting echo: every 'a' (0x61) comes back as 'b'.
bg "$T/tr.out" socat UNIX-LISTEN:"$T/tr.sock",fork SYSTEM:'stdbuf -o0 tr a b'
sock_wait "$T/tr.sock"
# The peers that answer get a long --timeout: it only ends a run whose peer
# stalls, and socat forking its helper under a loaded machine may take
# longer than the default second to give the first answer.
slow=$((5000 * SCALE))
timeout "$(secs 20)" "$SOCKIPC" bench "unix://$T/tr.sock" --count 300 --timeout $slow --json >"$T/j1" 2>"$T/e1"
expect_eq "corrupting peer: exit status 1" 1 $?
mm=$(sed -n 's/.*"mismatched": \([0-9]*\).*/\1/p' "$T/j1")
check "corrupting peer: mismatches counted ($mm)" test "${mm:-0}" -gt 0
check "corrupting peer: ok is false" grep -q '"ok": false' "$T/j1"
timeout "$(secs 20)" "$SOCKIPC" bench "unix://$T/tr.sock" --blocking --count 50 --timeout $slow \
	--json >"$T/j1b" 2>"$T/e1b"
expect_eq "corrupting peer, --blocking: exit status 1" 1 $?
mm=$(sed -n 's/.*"mismatched": \([0-9]*\).*/\1/p' "$T/j1b")
check "corrupting peer, --blocking: mismatches counted ($mm)" test "${mm:-0}" -gt 0

# A datagram sink: receives, never answers.
bg "$T/sink.out" socat -u UNIX-RECV:"$T/sink.sock" /dev/null
sock_wait "$T/sink.sock"
timeout "$(secs 20)" "$SOCKIPC" bench "unixgram://$T/sink.sock" --count 30 --depth 10 \
	--timeout 100 >"$T/t2" 2>"$T/e2"
expect_eq "silent datagram peer: exit status 1 (not a hang)" 1 $?
check "silent datagram peer: 30 lost" grep -q '30 sent, 0 echoed, 0 mismatched, 30 lost' "$T/t2"

# A stream peer that takes bytes and never answers: a stall, not a hang.
bg "$T/null.out" socat -u UNIX-LISTEN:"$T/null.sock",fork /dev/null
sock_wait "$T/null.sock"
timeout "$(secs 20)" "$SOCKIPC" bench "unix://$T/null.sock" --count 50 --depth 5 \
	--timeout 200 --json >"$T/j3" 2>"$T/e3"
expect_eq "silent stream peer: exit status 1" 1 $?
check "silent stream peer: 5 unanswered" grep -q '"unanswered": 5,' "$T/j3"
check "silent stream peer: the stall is named" grep -q '"first_error": "no echo' "$T/j3"

# A peer that answers 100 bytes and closes: the rest are unanswered.
bg "$T/head.out" socat UNIX-LISTEN:"$T/head.sock",fork SYSTEM:'stdbuf -o0 head -c 100'
sock_wait "$T/head.sock"
timeout "$(secs 20)" "$SOCKIPC" bench "unix://$T/head.sock" --count 50 --timeout $slow \
	--json >"$T/j4" 2>"$T/e4"
expect_eq "closing peer: exit status 1" 1 $?
check "closing peer: one whole echo, then an error" grep -q '"echoed": 1,' "$T/j4"
check "closing peer: an error counted" grep -q '"errors": 1,' "$T/j4"

# Nobody listening: the run cannot start; exit 1 with the reason.
timeout "$(secs 20)" "$SOCKIPC" bench "unix://$T/none.sock" --count 5 >/dev/null 2>"$T/e5"
expect_eq "refused: exit status 1" 1 $?
check "refused: names the URL" grep -q "connect unix://$T/none.sock" "$T/e5"
timeout "$(secs 20)" "$SOCKIPC" bench "unix://$T/none.sock" --new-conn --count 5 >"$T/t6" 2>&1
expect_eq "refused with --new-conn: exit status 1" 1 $?
check "refused with --new-conn: 5 failed connects" grep -q '5 failed connects' "$T/t6"
finish
