# serve_forward_empty.sh - forward relays an empty unixpacket message as a
# message, both ways, and does not take it for the end of the stream: the
# connection stays open for the messages after it.
. "$(dirname "$0")/../support/lib.sh"

bg "$T/b" "$SOCKIPC" serve --workers 1 -e "unixpacket://$T/back.pkt echo"
listening_url "$T/b" 5 >/dev/null
bg "$T/f" "$SOCKIPC" serve --workers 2 -e "unixpacket://$T/front.pkt forward unixpacket://$T/back.pkt"
F=$BG_PID
U=$(listening_url "$T/f" 5)
got=$(printf 'x\n\ny\n\n\nz\n' | timeout $(secs 10) "$SOCKIPC" connect --framed --idle-timeout 1 "$U")
expect_eq "empty messages relayed both ways, the stream goes on" $'x\n\ny\n\n\nz' "$got"
# One connection carried it all: the close line counts every message
# (x, empty, y, empty, empty, z: 3 bytes each way).
check "one connection, closed by the client" wait_line "$T/f.err" 'close forward .* in=3 out=3 ' 5
kill -TERM $F; wait $F; expect_eq "SIGTERM exits 0" 0 $?
finish
