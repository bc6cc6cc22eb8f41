#!/usr/bin/env python3
"""dgram_gso_peer.py - udp clients that send GSO super-datagrams
(UDP_SEGMENT, udp(7)) to an echo endpoint, for serve_dgram_gro.sh: each
send is NSEGS datagrams of SEG bytes cut by the kernel (the last one LAST
bytes when --last is given: not a multiple), and over loopback a server
with UDP_GRO gets them back coalesced, as one buffer with the segment
size beside it.  Every datagram carries its own bytes (client, round,
index), so an echo that merged two, cut one elsewhere, or went to the
wrong client shows.  Each client must get every datagram back alone,
whole and in order.  Every wait is bounded.

  URL CLIENTS ROUNDS SEG NSEGS [--last N] [--oversize N]
--oversize N: before each send, one GSO send of 3 datagrams of N bytes
(over the server's --max-msg): they must be dropped, none echoed.
Prints "N clients: all M replies whole and in order", or what went wrong;
"no UDP_SEGMENT" (exit 77) when the kernel refuses GSO.
"""
import socket
import struct
import sys

TIMEOUT = 5
SOL_UDP = 17
UDP_SEGMENT = 103


def payload(c, r, i, n):
    head = struct.pack("!HHH", c, r, i)
    body = bytes((c * 31 + r * 7 + i * 13 + j) % 251 for j in range(max(n - 6, 0)))
    return (head + body)[:n]


def main():
    url, clients, rounds, seg, nsegs = sys.argv[1], *map(int, sys.argv[2:6])
    rest = sys.argv[6:]
    last = int(rest[rest.index("--last") + 1]) if "--last" in rest else seg
    over = int(rest[rest.index("--oversize") + 1]) if "--oversize" in rest else 0
    host, port = url[len("udp://"):].rsplit(":", 1)
    dst = (host, int(port))
    socks = []
    for _ in range(clients):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        s.bind(("127.0.0.1", 0))
        s.settimeout(TIMEOUT)
        socks.append(s)
    want = [[] for _ in range(clients)]
    for r in range(rounds):
        for c, s in enumerate(socks):
            dgrams = [payload(c, r, i, seg) for i in range(nsegs - 1)]
            dgrams.append(payload(c, r, nsegs - 1, last))
            want[c] += dgrams
            try:
                if over:
                    s.sendmsg([b"\xee" * (3 * over)],
                              [(SOL_UDP, UDP_SEGMENT, struct.pack("=H", over))], 0, dst)
                s.sendmsg([b"".join(dgrams)],
                          [(SOL_UDP, UDP_SEGMENT, struct.pack("=H", seg))], 0, dst)
            except OSError as e:
                print("no UDP_SEGMENT: %s" % e)
                sys.exit(77)
    total = 0
    for c, s in enumerate(socks):
        for k, exp in enumerate(want[c]):
            try:
                got = s.recv(1 << 16)
            except socket.timeout:
                print("client %d: reply %d of %d did not come" % (c, k, len(want[c])))
                sys.exit(1)
            if got != exp:
                print("client %d: reply %d is %d bytes %r..., not the %d bytes sent (%r...)"
                      % (c, k, len(got), got[:6], len(exp), exp[:6]))
                sys.exit(1)
            total += 1
        s.setblocking(False)
        try:
            extra = s.recv(1 << 16)
            print("client %d: an extra reply of %d bytes" % (c, len(extra)))
            sys.exit(1)
        except BlockingIOError:
            pass
    print("%d clients: all %d replies whole and in order" % (clients, total))


main()
