# serve_tls_reload.sh - SIGHUP reloads the server certificate of `sockipc
# serve` under load: clients keep exchanging on long connections and on new
# ones while the certificate and key files are replaced and HUP sent; no
# exchange fails, the long connections go on, new connections see the new
# fingerprint.  A reload that fails (a key that does not match) is logged
# and the certificate in use stays.
. "$(dirname "$0")/../support/lib.sh"
need python3 openssl
PEER="python3 $(dirname "$0")/serve_tls_peer.py"
bash "$(dirname "$0")/../support/tls-certs.sh" "$T/c" || { fail "tls-certs.sh"; finish; }
C=$T/c
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/^.*=/SHA256:/'; }
OLD=$(fp "$C/server.pem")
NEW=$(fp "$C/ca2-server.pem")
cat "$C/ca.pem" "$C/ca2.pem" >"$T/cas.pem"
cp "$C/server.pem" "$T/live.pem"
cp "$C/server.key" "$T/live.key"
N=4

# until_all FINGERPRINT: waits until every client's last round saw it.
until_all() {
	local i k ok
	for ((i = 0; i < 400 * SCALE; i++)); do
		ok=0
		for ((k = 1; k <= N; k++)); do
			grep -q " $1\$" "$T/cl$k.progress" 2>/dev/null && ok=$((ok + 1))
		done
		[ $ok -eq $N ] && return 0
		sleep 0.05
	done
	return 1
}
# rounds_past: waits until every client has done 3 more rounds.
rounds_past() {
	local k i want
	for ((k = 1; k <= N; k++)); do
		want=$(($(awk '{print $1}' "$T/cl$k.progress" 2>/dev/null || echo 0) + 3))
		for ((i = 0; i < 400 * SCALE; i++)); do
			[ "$(awk '{print $1}' "$T/cl$k.progress" 2>/dev/null || echo 0)" -ge $want ] && break
			sleep 0.05
		done
	done
}

for model in event thread fork; do
	cp "$C/server.pem" "$T/live.pem"
	cp "$C/server.key" "$T/live.key"
	rm -f "$T"/cl* "$T/stop"
	w="--workers 2"; [ $model = fork ] && w=
	bg "$T/s" "$SOCKIPC" serve --model $model $w --cert "$T/live.pem" --key "$T/live.key" \
		-e 'tls://127.0.0.1:0 echo'
	SRV=$BG_PID
	P=$(listening_url "$T/s" "$(secs 10)")
	P=${P##*:}
	for ((k = 1; k <= N; k++)); do
		spawn $PEER loop "$P" "$(secs 120)" "$T/stop" "$T/cl$k" --ca "$T/cas.pem"
	done
	until_all "$OLD" || fail "$model: every client exchanging under the old certificate"
	# The new pair goes in whole (rename), then the signal.
	cp "$C/ca2-server.pem" "$T/new.pem"
	cp "$C/ca2-server.key" "$T/new.key"
	mv "$T/new.key" "$T/live.key"
	mv "$T/new.pem" "$T/live.pem"
	kill -HUP "$SRV"
	wait_line "$T/s.err" "tls: certificate $T/live.pem, $NEW" 10 >/dev/null &&
		wait_line "$T/s.err" "reload: 1 service line\(s\) now; kept 1 endpoint" 10 >/dev/null &&
		pass "$model: the reload is logged with the new fingerprint"
	until_all "$NEW" && pass "$model: every client's new connections see the new certificate"
	# A key that does not go with the certificate: the reload fails, the
	# certificate in use stays.
	cp "$C/alice.key" "$T/live.key"
	kill -HUP "$SRV"
	wait_line "$T/s.err" "reload: --(cert|key) .*: kept the running configuration" 10 >/dev/null &&
		pass "$model: a failed reload is logged"
	rounds_past
	touch "$T/stop"
	for ((k = 1; k <= N; k++)); do
		wait_line "$T/cl$k" '^(ok|FAIL)' "$(secs 30)" >/dev/null
		expect_eq "$model: client $k: no failed exchange; old, then new certificate" \
			"ok $OLD $NEW" "$(awk '{ $2 = ""; print }' "$T/cl$k" | sed 's/  / /')"
	done
	check "$model: the server is alive and still uses the new certificate" \
		bash -c "[ \"\$($PEER fp $P --ca '$T/cas.pem')\" = '$NEW' ]"
	rc=0
	kill -TERM "$SRV"; wait "$SRV" || rc=$?
	expect_eq "$model: exits 0 on SIGTERM" 0 "$rc"
	no_sanitizer_report "$model: no sanitizer report" "$T/s.err"
	check "$model: no connection ended in error" bash -c "! grep 'close echo' '$T/s.err' | grep -v 'end=done'"
done

# Without a tls:// endpoint SIGHUP reloads the rest just the same
# (serve_reload.sh): the server goes on.
bg "$T/p" "$SOCKIPC" serve -e 'tcp://127.0.0.1:0 echo'
SRV=$BG_PID
listening_url "$T/p" "$(secs 10)" >/dev/null
kill -HUP "$SRV"
wait_line "$T/p.err" 'reload: 1 service line' 10 >/dev/null && pass "no tls: SIGHUP reloads"
check "no tls: the server goes on after SIGHUP" kill -0 "$SRV"
stop_server "no tls" "$SRV" "$T/p.err"
finish
