#!/usr/bin/env python3
"""scan_peer.py - peers for cli_scan.sh that no stock tool offers: a set of
UDP ports that answer only when N probes wait at once (it proves that scan
runs N probes at a time, and never more than it sees), and a TCP port whose
accept queue is full, so the kernel drops every SYN and a connect is never
answered (a "filtered" port on loopback, no firewall needed).  Every wait is
bounded.

  gate N PORTS   PORTS udp ports on 127.0.0.1: hold each datagram until N
                 senders wait, then answer them all; prints
                 "released K max_waiting M" for each batch
  full           one tcp port on 127.0.0.1 with a full accept queue
"""
import select
import socket
import sys
import time

LIMIT = 120  # seconds: no peer outlives a stuck test by much


def gate(n, nports):
    socks = []
    for _ in range(nports):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        print("listening udp://127.0.0.1:%d" % s.getsockname()[1])
    sys.stdout.flush()
    waiting = {}  # (socket, sender) -> True: each probe waits for its reply
    most = 0
    end = time.monotonic() + LIMIT
    while time.monotonic() < end:
        ready, _, _ = select.select(socks, [], [], 1.0)
        for s in ready:
            _, sender = s.recvfrom(2048)
            waiting[(s, sender)] = True
            most = max(most, len(waiting))
        if len(waiting) >= n:
            for s, sender in waiting:
                s.sendto(b"here", sender)
            print("released %d max_waiting %d" % (len(waiting), most))
            sys.stdout.flush()
            waiting.clear()


def full():
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", 0))
    # Backlog 0: the accept queue holds one connection (Linux's
    # sk_acceptq_is_full is "more than the backlog"); once it does, a
    # SYN to this port is dropped without a reply (tcp_conn_request).
    lst.listen(0)
    filler = socket.create_connection(lst.getsockname(), timeout=10)
    ready, _, _ = select.select([lst], [], [], 10)
    if not ready:
        sys.exit("the filler connection never reached the accept queue")
    print("listening tcp://127.0.0.1:%d" % lst.getsockname()[1])
    sys.stdout.flush()
    time.sleep(LIMIT)
    filler.close()


if __name__ == "__main__":
    if sys.argv[1] == "gate":
        gate(int(sys.argv[2]), int(sys.argv[3]))
    elif sys.argv[1] == "full":
        full()
    else:
        sys.exit(__doc__)
