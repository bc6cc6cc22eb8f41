#!/usr/bin/env python3
"""dgram_batch_peer.py - several datagram clients at once against an echo
endpoint, for serve_dgram_batch.sh: each round every client sends a window
of datagrams (sizes 0, 1, MAX, MAX-1 and others, each with its own bytes)
without waiting, so the server reads them mixed in one batch, and hostile
senders put their datagrams in the middle: an oversize one (MAX+1) from a
client, and datagrams from each --bad sender (a refused address, a
guarded port, an unbound unix socket).  Then every client must get its
own replies back, whole and in order (the oversize one dropped, nothing
else missing), and no --bad sender any.  Every wait is bounded.

  URL CLIENTS ROUNDS WINDOW MAX [--oversize] [--size N]
      [--pause PID] [--bad udp:IP:PORT|unbound]...
--size N: every datagram N bytes (runs of equal replies: GSO on a udp
server), each still with its own bytes.  --pause PID: the server process
PID is stopped while the first round is sent, so that it finds them all
waiting and reads them as one batch.
"""
import os
import signal
import socket
import sys
import tempfile

TIMEOUT = 5


def payload(c, i, n):
    block = bytes((c * 37 + i * 11 + j) % 251 for j in range(251))
    return (block * (n // 251 + 1))[:n]


def main():
    url, clients, rounds, window, mx = sys.argv[1], *map(int, sys.argv[2:6])
    rest = sys.argv[6:]
    oversize = "--oversize" in rest
    bads = [rest[k + 1] for k, a in enumerate(rest) if a == "--bad"]
    unix = url.startswith("unixgram://")
    paths = []
    if unix:
        dst = url[len("unixgram://"):]
        fam = socket.AF_UNIX
    else:
        host, port = url[len("udp://"):].rsplit(":", 1)
        dst = (host, int(port))
        fam = socket.AF_INET

    def sock(bind=None):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        if unix and bind is None:
            p = tempfile.mktemp(prefix="sipc-batch-", suffix=".sock")
            paths.append(p)
            bind = p
        if bind is not None and not unix and bind[1] != 0:
            # A fixed port (the guarded one): the same test on the other
            # backend may hold it at the same moment (ctest -j); both
            # only send from it.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if bind is not None:
            s.bind(bind)
        s.settimeout(TIMEOUT)
        return s

    cs, bad = [], []
    try:
        cs = [sock(None if unix else ("127.0.0.1", 0)) for _ in range(clients)]
        for b in bads:
            if b == "unbound":
                bad.append(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
            else:
                _, ip, port = b.split(":")
                bad.append(sock((ip, int(port))))
            bad[-1].settimeout(TIMEOUT)
        sizes = [0, 1, mx, 17, mx - 1, 100, 3, 64]
        if "--size" in rest:
            sizes = [int(rest[rest.index("--size") + 1])]
        served = 0
        pause = int(rest[rest.index("--pause") + 1]) if "--pause" in rest else 0
        for r in range(rounds):
            want = [[] for _ in cs]
            if pause and r == 0:
                os.kill(pause, signal.SIGSTOP)
            for c, s in enumerate(cs):
                for k in range(window):
                    i = r * window + k
                    n = sizes[i % len(sizes)]
                    data = payload(c, i, n)
                    # The hostile datagrams go in the first round only: one
                    # each, so serve's drop log (16 lines a second per
                    # worker, one per source) logs every one of them even
                    # when two sources share a slot of it and would
                    # otherwise take turns, a line each, every round.
                    if oversize and r == 0 and c == 0 and k == window // 2:
                        s.sendto(payload(c, i, mx + 1), dst)  # dropped
                    if r == 0 and c == clients // 2 and k == window // 2:
                        for b in bad:
                            b.sendto(b"refused", dst)
                    s.sendto(data, dst)
                    want[c].append(data)
            if pause and r == 0:
                os.kill(pause, signal.SIGCONT)
            for c, s in enumerate(cs):
                for k, w in enumerate(want[c]):
                    try:
                        got = s.recv(mx + 64)
                    except socket.timeout:
                        print("client %d round %d: reply %d of %d missing" % (c, r, k, len(want[c])))
                        return 1
                    if got != w:
                        print("client %d round %d: reply %d is %d bytes, want %d (or other bytes)"
                              % (c, r, k, len(got), len(w)))
                        return 1
                    served += 1
        for c, s in enumerate(cs + bad):
            s.setblocking(False)
            try:
                extra = s.recv(mx + 64)
                print("%s %d got an unexpected reply of %d bytes"
                      % ("client" if c < len(cs) else "bad sender", c, len(extra)))
                return 1
            except (BlockingIOError, OSError):
                pass
        print("%d clients: all %d replies whole and in order" % (clients, served))
        return 0
    finally:
        for s in cs + bad:
            s.close()
        for p in paths:
            os.unlink(p)


if __name__ == "__main__":
    sys.exit(main())
