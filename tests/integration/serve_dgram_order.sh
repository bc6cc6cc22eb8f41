# serve_dgram_order.sh - one peer's datagrams are served by one worker, in
# order, with one association per client for the whole server: under
# --workers 2 (and the thread and fork models) a unixgram and a udp echo
# client get 1000 numbered datagrams back all and in order; a udp forward
# backend sees exactly one source port per client; --max-assoc N admits
# exactly N clients, whichever worker would have read them.
. "$(dirname "$0")/../support/lib.sh"
need python3
PEER="$(dirname "$0")/dgram_peer.py"

for model in "event --workers 2" "thread --workers 2" "fork"; do
	m=${model%% *}
	# shellcheck disable=SC2086
	bg "$T/e$m" "$SOCKIPC" serve --model $model -e "unixgram://$T/e$m.gram echo" \
		-e 'udp://127.0.0.1:0 echo'
	S=$BG_PID
	wait_count "$T/e$m" '^listening ' 2 5
	for u in "unixgram://$T/e$m.gram" "$(awk '$2 ~ /^udp:/ {print $2}' "$T/e$m")"; do
		for run in 1 2 3; do
			r=$(python3 "$PEER" order "$u" 1000)
			expect_eq "$m ${u%%:*} run $run: 1000 replies in order" "received 1000 of 1000, 0 out of place" "$r"
		done
	done
	kill -TERM $S; wait $S; expect_eq "$m: SIGTERM exits 0" 0 $?
done

# ---- forward: one backend source port per client, --max-assoc server-wide ----
bg "$T/be" python3 "$PEER" backend "$T/seen"
BK=$(port_of "$(listening_url "$T/be" 5)")
bg "$T/f" "$SOCKIPC" serve --workers 2 -e "udp://127.0.0.1:0 forward --max-assoc=3 udp://127.0.0.1:$BK"
F=$BG_PID
FU=$(listening_url "$T/f" 5)
ok=0
for c in 1 2 3 4 5 6; do
	r=$(python3 "$PEER" order "$FU" 200 "c$c-")
	echo "client $c: $r"
	case $r in "received 200 of 200, 0 out of place") ok=$((ok + 1)) ;; "received 0 of 200"*) ;; *) fail "client $c served in order or not at all: $r" ;; esac
done
expect_eq "--max-assoc=3 admits exactly 3 clients" 3 "$ok"
for c in 1 2 3; do
	expect_eq "backend sees client $c from one source port" 1 \
		"$(awk -v t="c$c-" 'index($2, t) == 1 {print $1}' "$T/seen" | sort -u | wc -l)"
done
expect_eq "backend saw 3 source ports in all (one association per admitted client)" 3 "$(awk '{print $1}' "$T/seen" | sort -u | wc -l)"
kill -TERM $F; wait $F; expect_eq "forward server: SIGTERM exits 0" 0 $?
finish
