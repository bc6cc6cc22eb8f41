#!/usr/bin/env python3
"""serve_handover_peer.py - the other end of `sockipc serve --handover`
for the tests: a hostile old serve, or a stranger asking for the sockets.

    serve_handover_peer.py bad CASE PATH READYFILE
        listens at PATH (seqpacket), touches READYFILE, answers one
        connection with the hand-over message CASE, then waits for the
        client to close: short, magic, length, oversized, nofd, twofds,
        kind, control, fdkind, eof
    serve_handover_peer.py ask PATH
        connects to PATH and prints what came: "eof" or "data N fds M"
"""
import array
import os
import socket
import struct
import sys

MAGIC = b"SIPCHO1\0"


def msg(kind, url):
    return MAGIC + bytes([kind]) + struct.pack(">H", len(url)) + url


def bad(case, path, ready):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    srv.bind(path)
    srv.listen(1)
    open(ready, "w").close()
    c, _ = srv.accept()
    fd = os.open("/dev/null", os.O_RDONLY)
    tcp = socket.socket()
    url = b"tcp://127.0.0.1:0"
    fds = []
    if case == "short":
        data = b"SIPC"
    elif case == "magic":
        data = b"XXXXXXX\0" + msg(1, url)[8:]
    elif case == "length":
        data = MAGIC + bytes([1]) + struct.pack(">H", 4000) + url
        fds = [tcp.fileno()]
    elif case == "oversized":
        data = msg(1, b"tcp://" + b"a" * 4090)  # 4096 bytes of URL
        data = data + b"b" * 5000
        fds = [tcp.fileno()]
    elif case == "nofd":
        data = msg(1, url)
    elif case == "twofds":
        data = msg(1, url)
        fds = [tcp.fileno(), fd]
    elif case == "kind":
        data = msg(77, url)
        fds = [tcp.fileno()]
    elif case == "control":
        data = msg(1, b"tcp://127.0.0.1:0\x1b[2J")
        fds = [tcp.fileno()]
    elif case == "fdkind":
        data = msg(1, url)  # says stream, passes a file
        fds = [fd]
    elif case == "eof":
        c.close()
        return
    else:
        sys.exit("unknown case " + case)
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    c.sendmsg([data], anc)
    c.settimeout(30)
    try:
        c.recv(16)
    except OSError:
        pass


def ask(path):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.settimeout(30)
    c.connect(path)
    data, anc, _, _ = c.recvmsg(8192, socket.CMSG_SPACE(64))
    nfds = sum(len(a[2]) // 4 for a in anc)
    print("eof" if not data else "data %d fds %d" % (len(data), nfds), flush=True)


if sys.argv[1] == "bad":
    bad(sys.argv[2], sys.argv[3], sys.argv[4])
else:
    ask(sys.argv[2])
