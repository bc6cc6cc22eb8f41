#!/bin/bash
# cli_scan.sh - sockipc scan on loopback: open ports (sockipc serve
# listeners), closed ones (free ports), a filtered one (a listener whose
# full accept queue makes the kernel drop every SYN), UDP open, closed and
# open|filtered; port lists with ranges, duplicates and service names; the
# default, -v, -q and --json outputs (the JSON parsed and checked); exit
# codes; every kind of bad port list with its message; --trace; and the
# concurrency bound, both ways: a UDP peer that answers only when N probes
# wait at once proves N run together, the --trace lines prove never more.
# cli_scan_netns.sh has what needs a network namespace of its own.
. "$(dirname "$0")/../support/lib.sh"
need python3
PEER="python3 $(dirname "$0")/scan_peer.py"
W=0.3 # seconds a probe waits where silence is the answer

# max_open TRACEFILE: the most sockets the --trace lines show open at once.
# Each probe's thread writes its own socket ... close lines in order, so
# this count never exceeds the number of probes running at the same time.
max_open() {
	awk '/trace: socket\(/ && $NF >= 0 { n++; if (n > m) m = n }
	     /trace: close\(/ { n-- } END { print m + 0 }' "$1"
}

# ---- listeners: two tcp echo, a tcp6 one, a udp echo, a silent udp port
bg "$T/srv" "$SOCKIPC" serve -e 'tcp://127.0.0.1:0 echo' -e 'tcp://127.0.0.1:0 echo' \
	-e 'tcp://[::1]:0 echo' -e 'udp://127.0.0.1:0 echo' -e 'udp://127.0.0.1:0 discard'
wait_count "$T/srv" '^listening' 5 10
o1=$(nth_port "$T/srv" 1) o2=$(nth_port "$T/srv" 2) o6=$(nth_port "$T/srv" 3)
uo=$(nth_port "$T/srv" 4) usilent=$(nth_port "$T/srv" 5)
read -r c1 c2 <<<"$(free_ports 2)"
# A free udp port: one a udp listener had a moment ago.
bg "$T/fu" "$SOCKIPC" serve -q -e 'udp://127.0.0.1:0 discard'
wait_count "$T/fu" '^listening' 1 10
uc=$(nth_port "$T/fu" 1)
stop_bg $BG_PID

# ---- TCP open and closed, in port order
sorted=$(printf '%s\n' "$o1 open echo" "$o2 open echo" "$c1 closed" "$c2 closed" | sort -n)
want=$(while read -r p st svc; do echo "tcp://127.0.0.1:$p $st${svc:+ $svc}"; done <<<"$sorted")
# Port 7 is echo in /etc/services, but these are not port 7: no service name
# unless the services database names the port.
want=$(while read -r u st; do
	svc=$(getent services "${u##*:}/tcp" | awk '{print $1}')
	echo "$u $st${svc:+ $svc}"
done < <(while read -r p st _; do echo "tcp://127.0.0.1:$p $st"; done <<<"$sorted"))
out=$("$SOCKIPC" scan -v "tcp://127.0.0.1:$o1,$c1,$o2,$c2" 2>"$T/v.err"); rc=$?
expect_eq "-v: every port, in port order" "$want" "$out"
expect_eq "open ports: exit 0" 0 $rc
expect_eq "summary on stderr" "sockipc: scan: 4 ports: 2 open, 2 closed, 0 filtered, 0 open|filtered" "$(cat "$T/v.err")"
out=$("$SOCKIPC" scan "tcp://127.0.0.1:$o1,$c1,$o2,$c2" 2>/dev/null)
expect_eq "default: only the open ports" "$(grep ' open' <<<"$want")" "$out"
out=$("$SOCKIPC" scan -q "tcp://127.0.0.1:$o1,$c1" 2>&1); rc=$?
expect_eq "-q: nothing printed" "" "$out"
expect_eq "-q: exit 0 when one is open" 0 $rc
out=$("$SOCKIPC" scan "tcp://127.0.0.1:$c1,$c2" 2>"$T/c.err"); rc=$?
expect_eq "only closed ports: nothing on stdout" "" "$out"
expect_eq "only closed ports: exit 1" 1 $rc
expect_eq "only closed ports: summary" "sockipc: scan: 2 ports: 0 open, 2 closed, 0 filtered, 0 open|filtered" "$(cat "$T/c.err")"

# ---- lists: duplicates and overlapping ranges probe once; several URLs
out=$("$SOCKIPC" scan -v "tcp://127.0.0.1:$o1,$o1,$o1-$o1,$((o1 - 1))-$((o1 + 1))" 2>/dev/null)
expect_eq "duplicates and overlaps: three ports" 3 "$(wc -l <<<"$out")"
expect_eq "duplicates and overlaps: ascending" "$((o1 - 1)) $o1 $((o1 + 1))" \
	"$(sed 's/ .*//; s/.*://' <<<"$out" | tr '\n' ' ' | sed 's/ $//')"
out=$("$SOCKIPC" scan "tcp://[::1]:$o6,$c1" "tls://127.0.0.1:$o2" "tcp6://[::1]:$o1" 2>/dev/null); rc=$?
expect_eq "[::1], tls (a TCP connect) and several URLs, in their order" \
	"tcp://[::1]:$o6 open"$'\n'"tls://127.0.0.1:$o2 open" "$(sed 's/ echo$//' <<<"$out")"
"$SOCKIPC" scan -q "tcp6://[::1]:$o1" 2>/dev/null
expect_eq "a port open on 127.0.0.1 only is not open on ::1" 1 $?

# ---- service names, and --json
"$SOCKIPC" scan --json "tcp://localhost:ssh,echo,$c1,$o1" >"$T/svc.json" 2>/dev/null
check "service names: JSON says each port with its name" python3 - "$T/svc.json" "$c1" "$o1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
c1, o1 = int(sys.argv[2]), int(sys.argv[3])
ports = doc["ports"]
assert [p["port"] for p in ports] == sorted([7, 22, c1, o1]), ports
by = {p["port"]: p for p in ports}
assert by[7]["service"] == "echo" and by[22]["service"] == "ssh", ports
assert by[7]["state"] in ("open", "closed") and by[22]["state"] in ("open", "closed")
assert by[c1]["state"] == "closed" and by[c1]["reason"] == "Connection refused"
assert by[o1]["state"] == "open" and by[o1]["reason"] == "connected"
for p in ports:
    assert p["host"] == "localhost" and p["address"] == "127.0.0.1", p
    assert p["url"] == "tcp://127.0.0.1:%d" % p["port"] and p["scheme"] == "tcp", p
    assert "datagrams" not in p
s = doc["summary"]
assert s["ports"] == 4 and s["open"] + s["closed"] == 4 and s["filtered"] == 0, s
assert doc["unresolved"] == []
PY

# ---- UDP: a reply is open, ICMP port unreachable closed, silence open|filtered
sorted=$(printf '%s\n' "$uo open" "$uc closed" "$usilent open|filtered" | sort -n)
want=$(while read -r p st; do
	svc=$(getent services "$p/udp" | awk '{print $1}')
	echo "udp://127.0.0.1:$p $st${svc:+ $svc}"
done <<<"$sorted")
out=$("$SOCKIPC" scan -v -w $W "udp://127.0.0.1:$uo,$uc,$usilent" 2>"$T/u.err"); rc=$?
expect_eq "udp: open, closed and open|filtered" "$want" "$out"
expect_eq "udp: exit 0 (one open)" 0 $rc
expect_eq "udp: summary" "sockipc: scan: 3 ports: 1 open, 1 closed, 0 filtered, 1 open|filtered" "$(cat "$T/u.err")"
out=$("$SOCKIPC" scan -w $W "udp://127.0.0.1:$usilent,$uc" 2>/dev/null); rc=$?
expect_eq "udp default output: the open|filtered port" "$(grep -F ":$usilent " <<<"$want")" "$out"
expect_eq "udp: open|filtered alone is not open (exit 1)" 1 $rc
"$SOCKIPC" scan --json -w $W -r 2 "udp://127.0.0.1:$uo,$uc,$usilent" >"$T/u.json" 2>/dev/null
check "udp --json: states, reasons and datagrams sent" python3 - "$T/u.json" "$uo" "$uc" "$usilent" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
uo, uc, us = map(int, sys.argv[2:5])
by = {p["port"]: p for p in doc["ports"]}
assert set(by) == {uo, uc, us}, by
assert (by[uo]["state"], by[uo]["reason"], by[uo]["datagrams"]) == ("open", "reply", 1), by[uo]
assert (by[uc]["state"], by[uc]["reason"], by[uc]["datagrams"]) == ("closed", "Connection refused", 1), by[uc]
# --retries 2: the silent port got three datagrams before open|filtered.
assert (by[us]["state"], by[us]["reason"], by[us]["datagrams"]) == ("open|filtered", "no reply", 3), by[us]
assert all(p["scheme"] == "udp" for p in doc["ports"])
assert doc["summary"] == {"ports": 3, "open": 1, "closed": 1, "filtered": 0,
                          "open|filtered": 1, "error": 0}, doc["summary"]
PY

# A scheme in capitals is the same scheme: its service names are udp's.
"$SOCKIPC" scan --json -w $W 'UDP://127.0.0.1:ntp' >"$T/uc.json" 2>/dev/null
check "UDP:// reads ntp as udp's port 123" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))["ports"][0]
assert (p["port"], p["scheme"], p["service"]) == (123, "udp", "ntp"), p' "$T/uc.json"

# ---- filtered: a port whose SYNs are dropped (full accept queue)
bg "$T/full" $PEER full
fp=$(port_of "$(listening_url "$T/full" 10)")
out=$("$SOCKIPC" scan -v -w $W "tcp://127.0.0.1:$fp" 2>/dev/null); rc=$?
expect_eq "no answer in time: filtered" "tcp://127.0.0.1:$fp filtered" "$(awk '{print $1, $2}' <<<"$out")"
expect_eq "filtered only: exit 1" 1 $rc
"$SOCKIPC" scan --json -w $W "tcp://127.0.0.1:$fp" >"$T/f.json" 2>/dev/null
check "filtered --json: reason Timed out" python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))["ports"][0]
assert (p["state"], p["reason"]) == ("filtered", "Timed out"), p' "$T/f.json"

# ---- --trace: each probe is a dial of the library
"$SOCKIPC" scan --trace "tcp://127.0.0.1:$o1,$c1,$c2" >/dev/null 2>"$T/trace.err"
expect_eq "--trace: a socket line per probe" 3 "$(grep -c 'trace: socket(AF_INET, SOCK_STREAM) = ' "$T/trace.err")"
expect_eq "--trace: a connect line per probe" 3 "$(grep -c 'trace: connect([0-9]*, tcp://127.0.0.1:' "$T/trace.err")"
expect_eq "--trace: refused connects say so" 2 "$(grep -c 'ECONNREFUSED' "$T/trace.err")"
expect_eq "--trace: every socket closed" 3 "$(grep -c 'trace: close(' "$T/trace.err")"

# ---- concurrency: 8 ports that answer only when 4 probes wait at once
bg "$T/gate" $PEER gate 4 8
wait_count "$T/gate" '^listening' 8 10
gports=$(sed -n 's/^listening .*://p' "$T/gate" | paste -sd,)
out=$(timeout "$(secs 60)" "$SOCKIPC" scan --concurrency 4 -w "$(secs 20)" --trace \
	"udp://127.0.0.1:$gports" 2>"$T/gate.trace"); rc=$?
expect_eq "--concurrency 4: the gate opened for 4 waiting probes, twice" 8 "$(grep -c ' open$' <<<"$out")"
expect_eq "--concurrency 4: exit 0" 0 $rc
wait_count "$T/gate" '^released' 2 10
expect_eq "--concurrency 4: the gate never saw more than 4 waiting" \
	"released 4 max_waiting 4"$'\n'"released 4 max_waiting 4" "$(grep '^released' "$T/gate")"
expect_eq "--concurrency 4: at most 4 sockets open at once (--trace)" 4 "$(max_open "$T/gate.trace")"
stop_bg $BG_PID

# ---- usage errors: exit 2, each naming what is wrong
while IFS='|' read -r url msg; do
	err=$("$SOCKIPC" scan "$url" 2>&1 >/dev/null); rc=$?
	expect_eq "'$url': exit 2" 2 $rc
	expect_eq "'$url': message" "sockipc: scan: $msg" "$err"
done <<'EOF_CASES'
tcp://127.0.0.1:20-|bad port list '20-': range '20-' without an end
tcp://127.0.0.1:-20|bad port list '-20': range '-20' without a start
tcp://127.0.0.1:25-20|bad port list '25-20': range '25-20' is backwards (did you mean 20-25?)
tcp://127.0.0.1:80,,443|bad port list '80,,443': empty item (two commas, or a comma at an end)
tcp://127.0.0.1:80,|bad port list '80,': empty item (two commas, or a comma at an end)
tcp://127.0.0.1:65536|bad port list '65536': port '65536' is out of range 0-65535
tcp://127.0.0.1:1-99999999999999999999|bad port list '1-99999999999999999999': range '1-99999999999999999999' goes beyond 0-65535
tcp://127.0.0.1:nosuchservice|bad port list 'nosuchservice': 'nosuchservice' is not a port number or a tcp service name
tcp://127.0.0.1:1-ssh|bad port list '1-ssh': '1-ssh' is neither a tcp service name nor a range of two port numbers
tcp://127.0.0.1:|bad URL 'tcp://127.0.0.1:': missing ports after ':' (a port, a range or a list: tcp://HOST:20-25,80,ssh)
tcp://127.0.0.1|bad URL 'tcp://127.0.0.1': missing ports after ':' (a port, a range or a list: tcp://HOST:20-25,80,ssh)
unix:///tmp/x.sock|bad URL 'unix:///tmp/x.sock': unix:// sockets have paths, not ports to scan (sockipc connect tests one)
UNIX:///x|bad URL 'UNIX:///x': UNIX:// sockets have paths, not ports to scan (sockipc connect tests one)
unixgram://@x|bad URL 'unixgram://@x': unixgram:// sockets have paths, not ports to scan (sockipc connect tests one)
nope://h:1|bad URL 'nope://h:1': unknown scheme 'nope' (expected tcp, tcp4, tcp6, udp, udp4, udp6, tls, tls4, tls6, unix, unixgram, unixpacket or shm)
tcp://::1:22|bad URL 'tcp://::1:22': IPv6 address '::1' must be in brackets: write tcp://[::1]:22
127.0.0.1:22|bad URL '127.0.0.1:22': not SCHEME://HOST:PORTS (tcp://HOST:20-25,80)
EOF_CASES
err=$("$SOCKIPC" scan $'tcp://127.0.0.1:\e[31m' 2>&1); rc=$?
expect_eq "a control byte in the list: exit 2" 2 $rc
expect_eq "a control byte in the list: not echoed raw" \
	"sockipc: scan: bad port list '?[31m': '?[31m' is not a port number or a tcp service name" "$err"
# A bad URL among good ones: nothing is probed.
err=$("$SOCKIPC" scan --trace "tcp://127.0.0.1:$o1" 'tcp://127.0.0.1:x-' 2>&1); rc=$?
expect_eq "a bad URL after a good one: exit 2" 2 $rc
check "a bad URL after a good one: nothing probed" bash -c "! grep -q 'trace:' <<<\"\$1\"" _ "$err"
"$SOCKIPC" scan --concurrency 0 "tcp://127.0.0.1:$o1" 2>/dev/null
expect_eq "--concurrency 0: exit 2" 2 $?
"$SOCKIPC" scan --hex "tcp://127.0.0.1:$o1" 2>/dev/null
expect_eq "--hex: refused (exit 2)" 2 $?
"$SOCKIPC" scan 2>/dev/null
expect_eq "no URL: exit 2" 2 $?

# ---- a host that does not resolve: said, listed in the JSON, exit 1
"$SOCKIPC" scan --json tcp://no-such-host.invalid:80 >"$T/nx.json" 2>"$T/nx.err"; rc=$?
expect_eq "unknown host: exit 1" 1 $rc
check "unknown host: message" grep -q '^sockipc: scan tcp://no-such-host.invalid:80: ' "$T/nx.err"
check "unknown host: in the JSON's unresolved list" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["unresolved"] == ["tcp://no-such-host.invalid:80"] and d["ports"] == [], d' "$T/nx.json"

finish
