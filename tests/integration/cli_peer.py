#!/usr/bin/env python3
"""cli_peer.py - scripted peers for the cli_*.sh tests, for behaviours no
stock tool gives on port 0: a server that answers only after the client's
end of stream, one that stays silent, one that resets mid-transfer, one
whose accept queue is full (connect hangs), and datagram servers that drop
the first requests or never answer.  Each binds loopback port 0 and prints
`listening URL` on stdout, flushed, before serving; every wait is bounded.
"""
import socket
import sys
import time

LIMIT = 60  # seconds: no peer outlives a stuck test by much


def say(url):
    print("listening " + url, flush=True)


def tcp_listener(backlog=8):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(backlog)
    s.settimeout(LIMIT)
    return s


def read_all(c):
    data = b""
    while True:
        d = c.recv(65536)
        if not d:
            return data
        data += d


def main():
    mode = sys.argv[1]
    arg = float(sys.argv[2]) if len(sys.argv) > 2 else 0
    if mode == "late":
        # Reads to end of stream, waits ARG seconds, answers, closes.
        s = tcp_listener()
        say("tcp://127.0.0.1:%d" % s.getsockname()[1])
        c, _ = s.accept()
        c.settimeout(LIMIT)
        data = read_all(c)
        time.sleep(arg)
        c.sendall(b"got %d: " % len(data) + data)
        c.close()
    elif mode == "record":
        # Writes what one client sends to stdout (after the listening line).
        s = tcp_listener()
        say("tcp://127.0.0.1:%d" % s.getsockname()[1])
        c, _ = s.accept()
        c.settimeout(LIMIT)
        data = read_all(c)
        sys.stdout.write(data.hex() + "\n")
        sys.stdout.flush()
        c.close()
    elif mode == "silent":
        s = tcp_listener()
        say("tcp://127.0.0.1:%d" % s.getsockname()[1])
        c, _ = s.accept()
        c.settimeout(LIMIT)
        read_all(c)
    elif mode == "reset":
        # Sends some data, then a reset (SO_LINGER 0) while the client reads.
        s = tcp_listener()
        say("tcp://127.0.0.1:%d" % s.getsockname()[1])
        c, _ = s.accept()
        c.sendall(b"x" * 1000)
        time.sleep(0.2)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()
        time.sleep(1)
    elif mode == "closed":
        # A bound port nobody listens on: connect is refused.
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        say("tcp://127.0.0.1:%d" % s.getsockname()[1])
        time.sleep(LIMIT)
    elif mode == "full":
        # A listener that never accepts, its queue filled by our own
        # connections: Linux then drops new SYNs, so connect hangs.
        s = tcp_listener(backlog=0)
        port = s.getsockname()[1]
        fillers = []
        for _ in range(4):
            f = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            f.setblocking(False)
            try:
                f.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            fillers.append(f)
        time.sleep(0.3)
        say("tcp://127.0.0.1:%d" % port)
        time.sleep(LIMIT)
    elif mode in ("udpecho", "udpsilent"):
        # udpecho N: drops the first N datagrams, echoes the rest.
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.settimeout(LIMIT)
        say("udp://127.0.0.1:%d" % s.getsockname()[1])
        seen = 0
        while True:
            d, a = s.recvfrom(65536)
            seen += 1
            if mode == "udpecho" and seen > arg:
                s.sendto(d, a)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    try:
        main()
    except (socket.timeout, KeyboardInterrupt, BrokenPipeError):
        pass
