#!/bin/bash
# cli_scan_netns.sh - what sockipc scan needs a network of its own for, in
# a network namespace this script creates (unshare -n, or -rn without
# root), where only its own listeners exist and traffic stays inside:
# a filtered address (10.9.9.0/24 routed to lo, so its packets come back
# to a host that does not forward them and are dropped without a word),
# TCP filtered and UDP open|filtered there, an unreachable network
# (filtered) and a blackhole route (a failed probe), the bound shown
# by --trace, one UDP probe at a time to a host other than this one, and
# every closed port of such a host (a second namespace behind a veth pair,
# whose ICMP errors are rate-limited) found closed all the same; a
# 1000-port TCP range that reports exactly the open ports; and 1000 UDP
# ports of 127.0.0.1 and of ::1 each found closed, which shows that the
# kernel's ICMP rate limit does not hold back errors on loopback.  Fixed
# ports are safe here: nobody else listens in this namespace.
if [ "${1:-}" != inside ]; then
	for u in "unshare -n" "unshare -rn"; do
		if $u true 2>/dev/null; then exec $u bash "$0" inside; fi
	done
	. "$(dirname "$0")/../support/lib.sh"
	skip "network namespaces are not allowed here (unshare -n and unshare -rn both fail)"
fi
. "$(dirname "$0")/../support/lib.sh"
need ip python3 nsenter
W=0.3

ip link set lo up || skip "cannot bring lo up in the new namespace"
ip route add 10.9.9.0/24 dev lo || skip "cannot add a route in the new namespace"

max_open() {
	awk '/trace: socket\(/ && $NF >= 0 { n++; if (n > m) m = n }
	     /trace: close\(/ { n-- } END { print m + 0 }' "$1"
}

# ---- filtered: nobody answers 10.9.9.9
out=$("$SOCKIPC" scan -v -w $W tcp://10.9.9.9:1-3 2>"$T/f.err"); rc=$?
expect_eq "tcp, no answer: filtered" \
	"tcp://10.9.9.9:1 filtered"$'\n'"tcp://10.9.9.9:2 filtered"$'\n'"tcp://10.9.9.9:3 filtered" \
	"$(awk '{print $1, $2}' <<<"$out")"
expect_eq "tcp, no answer: exit 1" 1 $rc
expect_eq "tcp, no answer: summary" "sockipc: scan: 3 ports: 0 open, 0 closed, 3 filtered, 0 open|filtered" "$(cat "$T/f.err")"
out=$("$SOCKIPC" scan -w $W -r 1 --json udp://10.9.9.9:domain 2>/dev/null); rc=$?
expect_eq "udp, no answer: exit 1" 1 $rc
check "udp, no answer: open|filtered after two datagrams" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
p = d["ports"][0]
assert (p["url"], p["state"], p["service"], p["datagrams"]) == ("udp://10.9.9.9:53", "open|filtered", "domain", 2), p' "$out"

# ---- an unreachable network is filtered too (nmap's word for any ICMP
# unreachable but "port"); a blackhole route refuses the connect itself
# (EINVAL), which scan reports as the failure it is, not as a state.
ip route add unreachable 10.7.7.0/24
ip route add blackhole 10.8.8.0/24
out=$("$SOCKIPC" scan --json -w $W tcp://10.7.7.7:80 udp://10.7.7.7:53 2>/dev/null)
check "unreachable: filtered, No route to host" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
got = [(p["url"], p["state"], p["reason"]) for p in d["ports"]]
assert got == [("tcp://10.7.7.7:80", "filtered", "No route to host"),
               ("udp://10.7.7.7:53", "filtered", "No route to host")], got' "$out"
out=$("$SOCKIPC" scan -v -w $W tcp://10.8.8.8:80 2>"$T/bh.err"); rc=$?
expect_eq "blackhole: exit 1" 1 $rc
expect_eq "blackhole: the failure said, and counted" \
	"sockipc: scan tcp://10.8.8.8:80: Invalid argument"$'\n'"sockipc: scan: 1 port: 0 open, 0 closed, 0 filtered, 0 open|filtered, 1 failed" \
	"$(cat "$T/bh.err")"
expect_eq "blackhole: -v line" "tcp://10.8.8.8:80 error http" "$out"

# ---- the bound: 12 silent ports, 3 at a time, seen in the --trace lines
"$SOCKIPC" scan --trace --concurrency 3 -w $W tcp://10.9.9.9:1-12 >"$T/c.out" 2>"$T/c.trace"

expect_eq "--concurrency 3: twelve probes made" 12 "$(grep -c 'trace: socket(AF_INET, SOCK_STREAM) = [0-9]' "$T/c.trace")"
check "--concurrency 3: never more than 3 sockets at once" [ "$(max_open "$T/c.trace")" -le 3 ]
check "--concurrency 3: the summary" grep -qx 'sockipc: scan: 12 ports: 0 open, 0 closed, 12 filtered, 0 open|filtered' "$T/c.trace"
# UDP to a host other than this one: one probe at a time (ICMP rate limit).
"$SOCKIPC" scan -v --trace -w 0.1 -r 0 udp://10.9.9.9:1-4 >"$T/u.out" 2>"$T/u.trace"
expect_eq "udp elsewhere: four probes" 4 "$(grep -c 'trace: socket(AF_INET, SOCK_DGRAM) = [0-9]' "$T/u.trace")"
expect_eq "udp elsewhere: one socket at a time" 1 "$(max_open "$T/u.trace")"
check "udp elsewhere: -v says why" grep -q 'one probe at a time, as its ICMP errors are rate-limited' "$T/u.trace"

# ---- UDP to another host: its ICMP errors are rate-limited, and scan's
# default of one probe at a time with a retry after a whole second still
# finds every closed port.  The other host is a second namespace B behind
# a veth pair; B's kernel sends at most 6 errors at once and then one a
# second (net.ipv4.icmp_ratelimit = 1000), as any Linux host does.
net_of() { readlink "/proc/$1/ns/net"; }
bg "$T/b" unshare -n sleep 600
b=$BG_PID
for ((i = 0; i < 100 * SCALE; i++)); do
	[ "$(net_of $b)" != "$(net_of $$)" ] && break
	sleep 0.05
done
if [ "$(net_of $b)" != "$(net_of $$)" ] &&
	ip link add sv0 type veth peer name sv1 netns $b 2>"$T/veth.err" &&
	ip addr add 10.5.5.1/24 dev sv0 && ip link set sv0 up &&
	nsenter -t $b -n sh -c 'ip link set lo up && ip addr add 10.5.5.2/24 dev sv1 &&
		ip link set sv1 up' &&
	[ "$(nsenter -t $b -n sysctl -n net.ipv4.icmp_ratelimit)" = 1000 ]; then
	out=$(timeout "$(secs 120)" "$SOCKIPC" scan -v udp://10.5.5.2:40000-40011 2>"$T/rl.err"); rc=$?
	expect_eq "rate-limited host: each of 12 closed ports found closed" \
		"$(seq -f 'udp://10.5.5.2:%g closed' 40000 40011)" "$out"
	check "rate-limited host: one probe at a time, said with -v" \
		grep -q 'one probe at a time, as its ICMP errors are rate-limited' "$T/rl.err"
else
	echo "note: no veth pair to a second namespace here: the rate-limited case is not run" >&2
	cat "$T/veth.err" >&2
fi
stop_bg $b

# ---- 1000 TCP ports, three of them open
bg "$T/srv" "$SOCKIPC" serve -e 'tcp://127.0.0.1:20100 echo' -e 'tcp://127.0.0.1:20517 discard' \
	-e 'tcp://127.0.0.1:21099 echo' -e 'udp://127.0.0.1:30500 echo' -e 'udp://[::1]:30500 echo'
wait_count "$T/srv" '^listening' 5 10
out=$(timeout "$(secs 120)" "$SOCKIPC" scan tcp://127.0.0.1:20100-21099 2>"$T/r.err"); rc=$?
expect_eq "1000 tcp ports: exactly the open ones" \
	"tcp://127.0.0.1:20100 open"$'\n'"tcp://127.0.0.1:20517 open"$'\n'"tcp://127.0.0.1:21099 open" \
	"$(awk '{print $1, $2}' <<<"$out")"
expect_eq "1000 tcp ports: exit 0" 0 $rc
expect_eq "1000 tcp ports: summary" "sockipc: scan: 1000 ports: 3 open, 997 closed, 0 filtered, 0 open|filtered" "$(cat "$T/r.err")"
"$SOCKIPC" scan -v tcp://127.0.0.1:20100-21099 2>/dev/null >"$T/r.v"
expect_eq "1000 tcp ports, -v: 1000 lines" 1000 "$(wc -l <"$T/r.v")"
expect_eq "1000 tcp ports, -v: in port order" "$(seq 20100 21099)" "$(sed 's/ .*//; s/.*://' "$T/r.v")"

# ---- 1000 UDP ports of 127.0.0.1 and of ::1: one echo, 999 ICMP errors
for host in 127.0.0.1 '[::1]'; do
	if [ "$host" = '[::1]' ] && ! ip -6 addr show dev lo | grep -q '::1'; then
		echo "note: no ::1 in this namespace (IPv6 off): the ::1 case is not run" >&2
		continue
	fi
	"$SOCKIPC" scan --json -w 2 "udp://$host:30000-30999" >"$T/u.json" 2>/dev/null
	expect_eq "1000 udp ports of $host: exit 0" 0 $?
	check "1000 udp ports of $host: the echo open, each other one closed" python3 - "$T/u.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ports = d["ports"]
assert [p["port"] for p in ports] == list(range(30000, 31000))
bad = [p for p in ports if p["state"] != ("open" if p["port"] == 30500 else "closed")]
assert not bad, bad[:5]
assert all(p["datagrams"] == 1 for p in ports)
assert d["summary"]["closed"] == 999 and d["summary"]["open"] == 1, d["summary"]
PY
done

finish
