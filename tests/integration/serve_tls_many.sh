# serve_tls_many.sh - 1,000 TLS clients connected to `sockipc serve` at
# once (each waits until all have finished their handshake), then each
# echoes 4 KiB of its own pattern, every byte compared; under the event
# model with two workers and under the thread model.
. "$(dirname "$0")/../support/lib.sh"
need python3 openssl
PEER="python3 $(dirname "$0")/serve_tls_peer.py"
bash "$(dirname "$0")/../support/tls-certs.sh" "$T/c" || { fail "tls-certs.sh"; finish; }
C=$T/c
N=1000
# Two descriptors a client (ours and the server's), and some to spare.
[ "$(ulimit -n)" -ge $((2 * N + 200)) ] || ulimit -n $((2 * N + 200)) 2>/dev/null ||
	skip "needs $((2 * N + 200)) descriptors (ulimit -n)"

for model in event thread; do
	# The bounds on handshakes are not what is tested here: on a loaded
	# machine (ASan, CPU hogs) a thousand of them may take longer than the
	# 5 s default and pile up past 256 a worker.
	bg "$T/s" "$SOCKIPC" serve --model $model --workers 2 --cert "$C/server.pem" --key "$C/server.key" \
		--handshake-timeout "$(secs 60)" --max-handshakes $N -e 'tls://127.0.0.1:0 echo'
	SRV=$BG_PID
	P=$(listening_url "$T/s" "$(secs 10)")
	out=$($PEER many "${P##*:}" $N 4096 "$(secs 120)" --ca "$C/ca.pem" --timeout "$(secs 60)" 2>&1)
	expect_eq "$model: $N clients at once, every byte back" "ok many $N at once $N" "$out"
	[ "$out" = "ok many $N at once $N" ] || grep -m5 -E 'refused|end=[^d]' "$T/s.err" >&2
	kill -USR1 "$SRV"
	wait_line "$T/s.err" 'stats: all ' 10 >/dev/null
	check "$model: the server counted $N connections and every byte" \
		grep -q "stats: all open=[0-9]* total=$N refused=0 in=$((N * 4096)) out=$((N * 4096))" "$T/s.err"
	rc=0
	kill -TERM "$SRV"; wait "$SRV" || rc=$?
	expect_eq "$model: exits 0 on SIGTERM" 0 "$rc"
	no_sanitizer_report "$model: no sanitizer report" "$T/s.err"
done
finish
