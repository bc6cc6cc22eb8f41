#!/usr/bin/env python3
"""proxy_peer.py - a TCP client for the PROXY protocol tests.

    proxy_peer.py HOST PORT [--src IP] [--split] [--no-shut] [--wait S] HEAD [DATA]

Connects to HOST:PORT (from IP when --src is given), prints `src PORT` (its
own port) on stdout, sends HEAD (a Python bytes literal without the b, such
as 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\\r\\n' or '\\x0d\\x0a...') -- one byte per
send() with --split, so a header crosses many reads of the server -- then
DATA (a plain string), shuts down its write side (unless --no-shut), and
prints what came back until the server closed: `got <repr>` and, when the
connection ended in a reset (or a send failed after one), `reset`.  Every wait is bounded
(--wait, 10 s by default; `timeout` when it runs out).
"""
import ast
import socket
import sys


def main():
    args = sys.argv[1:]
    src = None
    split = False
    shut = True
    wait = 10.0
    host, port = args[0], int(args[1])
    rest = []
    i = 2
    while i < len(args):
        if args[i] == "--src":
            src = args[i + 1]
            i += 2
        elif args[i] == "--split":
            split = True
            i += 1
        elif args[i] == "--wait":
            wait = float(args[i + 1])
            i += 2
        elif args[i] == "--no-shut":
            shut = False
            i += 1
        else:
            rest.append(args[i])
            i += 1
    head = ast.literal_eval("b'" + rest[0].replace("'", "\\'") + "'") if rest else b""
    data = rest[1].encode() if len(rest) > 1 else b""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(wait)
    if src is not None:
        s.bind((src, 0))
    s.connect((host, port))
    print("src %d" % s.getsockname()[1], flush=True)
    got = b""
    reset = False
    try:
        if split:
            for k in range(len(head)):
                # With TCP_NODELAY each send() leaves as a segment of its
                # own: the server's reads see the header a piece at a time.
                s.send(head[k:k + 1])
        else:
            s.sendall(head)
        if data:
            s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except socket.timeout:
        print("timeout", flush=True)
    except OSError:
        # ECONNRESET, EPIPE, or ENOTCONN from a shutdown after a reset:
        # the server closed with our bytes unread.
        reset = True
    print("got %r" % got, flush=True)
    if reset:
        print("reset", flush=True)


main()
