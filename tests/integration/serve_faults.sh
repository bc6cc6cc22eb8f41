# serve_faults.sh - `sockipc serve` under abuse: out of descriptors
# (`ulimit -n 64` and 200 clients at once) without dying or spinning,
# garbage on every service, and clients that vanish mid-stream; after each
# the server still serves.
. "$(dirname "$0")/../support/lib.sh"
need socat


# ---- EMFILE: 64 descriptors, 200 clients ----
emfile_server() { ulimit -n 64; exec "$SOCKIPC" serve --workers 2 -e 'tcp://127.0.0.1:0 echo'; }
bg "$T/f" emfile_server
F=$BG_PID
P=$(port_of "$(listening_url "$T/f" 5)")
spawn hold_clients $P 200
H=$BG_PID
wait_line "$T/f.err" 'Too many open files' 10 >/dev/null
# One second of EMFILE, measured once the server is in it: a spinning
# loop would burn ~100 ticks per core.
t0=$(cpu_ticks $F)
sleep 1
t1=$(cpu_ticks $F)
check "server alive with 200 clients and 64 descriptors" kill -0 $F
check "EMFILE logged" grep -q 'Too many open files' "$T/f.err"
check "EMFILE logged once per burst, not per connection" test "$(grep -c 'Too many open files' "$T/f.err")" -lt 20
check "no CPU spin under EMFILE ($((t1 - t0)) ticks in 1 s)" test $((t1 - t0)) -lt 60
stop_bg $H
expect_eq "serves again after the clients left" "back" "$(echo_again $P)"
kill -TERM $F; wait $F; expect_eq "exit 0" 0 $?

# ---- garbage and vanishing clients ----
args=()
for s in echo discard chargen daytime time; do
	args+=(-e "tcp://127.0.0.1:0 $s" -e "udp://127.0.0.1:0 $s" -e "unixpacket://$T/$s.pkt $s")
done
bg "$T/g" "$SOCKIPC" serve "${args[@]}"
G=$BG_PID
wait_count "$T/g" '^listening' 15 5
head -c 1000000 /dev/urandom >"$T/junk"
while read -r _ url svc; do
	case $url in
	tcp://*) a="TCP:${url#tcp://}" ;;
	udp://*) a="UDP:${url#udp://}" ;;
	unixpacket://*) a="UNIX-CONNECT:${url#unixpacket://},type=5" ;;
	esac
	timeout $(secs 5) socat -t1 -u "$T/junk" "$a" 2>/dev/null
	# A client that sends half a megabyte and is killed without reading.
	( timeout -s KILL 0.3 socat -u "$T/junk" "$a" ) 2>/dev/null
done <"$T/g"
check "server alive after garbage and vanished clients" kill -0 $G
E=$(awk '/^listening tcp.* echo$/{print $2}' "$T/g")
expect_eq "echo still works" "fine" "$(printf fine | timeout $(secs 5) socat -t2 - TCP:${E#tcp://})"
U=$(awk '/^listening udp.* echo$/{print $2}' "$T/g")
expect_eq "udp echo still works" "fine" "$(printf fine | timeout $(secs 5) socat -t2 - UDP:${U#udp://})"
kill -TERM $G; wait $G; expect_eq "exit 0 after abuse" 0 $?
finish
