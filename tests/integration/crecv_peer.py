#!/usr/bin/env python3
"""crecv_peer.py - stream clients for io_uring_recv.sh, which checks serve's
completion receive (the loop receives for a connection: io_uring's
multishot receive into provided buffers) against its echo and discard.
Every wait is bounded; each mode prints one line and exits 0 when all is
well, 1 with the reason otherwise.

  stall URL N    connect, send N bytes of a pattern without reading until
                 the server stops taking them (the socket's send buffer
                 stays full: backpressure), print `stalled after K bytes`,
                 then read while sending the rest, shut down our side and
                 read to the end: `echoed N bytes whole` when every byte
                 came back in order.
  many URL C N   C connections at once, each sending N bytes in writes of
                 varying size (1 byte to 64 KiB) while reading: `C
                 connections echoed N bytes whole`.
  count URL N    send N echo lines of 64 bytes one at a time, each read
                 back before the next: `N round trips`.

URL is unix://PATH or tcp://HOST:PORT.
"""
import os
import select
import socket
import sys
import time

LIMIT = 60  # seconds: no peer outlives a stuck test by much
DEADLINE = time.monotonic() + LIMIT


def die(why):
    print(why, flush=True)
    sys.exit(1)


def dial(url):
    if url.startswith("unix://"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(url[len("unix://"):])
    elif url.startswith("tcp://"):
        host, port = url[len("tcp://"):].rsplit(":", 1)
        s = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
    else:
        die("bad url " + url)
    s.setblocking(False)
    return s


def pattern(n, seed):
    # A stream no shift of which looks like itself: a reordering, a loss
    # or a duplicate of any chunk shows.
    out = bytearray()
    k = seed
    while len(out) < n:
        k = (k * 1103515245 + 12345) & 0x7FFFFFFF
        out += k.to_bytes(4, "little")
    return bytes(out[:n])


def left():
    t = DEADLINE - time.monotonic()
    if t <= 0:
        die("timed out")
    return t


def exchange(socks, datas, sizes=None):
    """Sends each data on its socket (writes of the given sizes), reads
    everything back, shuts down after sending, reads to the end.  Returns
    what each got."""
    sent = [0] * len(socks)
    got = [bytearray() for _ in socks]
    eof = [False] * len(socks)
    shut = [False] * len(socks)
    step = [0] * len(socks)
    while not all(eof):
        w = [s for i, s in enumerate(socks) if not shut[i]]
        r = [s for i, s in enumerate(socks) if not eof[i]]
        rr, ww, _ = select.select(r, w, [], min(left(), 5))
        if not rr and not ww:
            die("no progress for 5 s: sent %s got %s" % (sent, [len(g) for g in got]))
        for i, s in enumerate(socks):
            if s in ww and not shut[i]:
                n = sizes[(step[i] + i) % len(sizes)] if sizes else 65536
                step[i] += 1
                try:
                    sent[i] += s.send(datas[i][sent[i]:sent[i] + n])
                except BlockingIOError:
                    pass
                if sent[i] == len(datas[i]):
                    s.shutdown(socket.SHUT_WR)
                    shut[i] = True
            if s in rr and not eof[i]:
                try:
                    b = s.recv(262144)
                except BlockingIOError:
                    continue
                if not b:
                    eof[i] = True
                got[i] += b
    return got


def stall(url, n):
    s = dial(url)
    data = pattern(n, 7)
    sent = 0
    # Writes of odd sizes, so the server's receives do not fill its output
    # buffer exactly: one that fits only in part is held by serve.
    sizes = [7001, 65536, 333, 12345]
    step = 0
    # Send until the server stops taking: no room for 1 s after the last
    # byte went (the server's output and both socket buffers are full).
    last = time.monotonic()
    while sent < n:
        _, ww, _ = select.select([], [s], [], min(left(), 0.2))
        if ww:
            try:
                k = s.send(data[sent:sent + sizes[step % len(sizes)]])
                step += 1
                sent += k
                last = time.monotonic()
                continue
            except BlockingIOError:
                pass
        if time.monotonic() - last >= 1:
            break
    if sent == n:
        die("the server took all %d bytes without being read: no backpressure" % n)
    print("stalled after %d bytes" % sent, flush=True)
    got = bytearray()
    shut = False
    while True:
        rr, ww, _ = select.select([s], [] if shut else [s], [], min(left(), 5))
        if not rr and not ww:
            die("no progress for 5 s after the stall: sent %d got %d" % (sent, len(got)))
        if ww and not shut:
            try:
                sent += s.send(data[sent:sent + sizes[step % len(sizes)]])
                step += 1
            except BlockingIOError:
                pass
            if sent == n:
                s.shutdown(socket.SHUT_WR)
                shut = True
        if rr:
            try:
                b = s.recv(262144)
            except BlockingIOError:
                continue
            if not b:
                break
            got += b
    if bytes(got) != data:
        first = next((i for i in range(min(len(got), n)) if got[i] != data[i]), min(len(got), n))
        die("echo differs: %d of %d bytes back, first difference at %d" % (len(got), n, first))
    print("echoed %d bytes whole" % n, flush=True)


def many(url, c, n):
    socks = [dial(url) for _ in range(c)]
    datas = [pattern(n, 100 + i) for i in range(c)]
    got = exchange(socks, datas, sizes=[1, 7, 300, 4096, 65536, 13, 16385, 50000])
    for i in range(c):
        if bytes(got[i]) != datas[i]:
            die("connection %d: %d of %d bytes back, not whole" % (i, len(got[i]), n))
    print("%d connections echoed %d bytes whole" % (c, n), flush=True)


def count(url, n):
    s = dial(url)
    s.setblocking(True)
    s.settimeout(10)
    line = b"x" * 63 + b"\n"
    for i in range(n):
        s.sendall(line)
        got = b""
        while len(got) < len(line):
            b = s.recv(len(line) - len(got))
            if not b:
                die("end after %d round trips" % i)
            got += b
        if got != line:
            die("round trip %d: %r" % (i, got))
    s.close()
    print("%d round trips" % n, flush=True)


def main():
    mode, url = sys.argv[1], sys.argv[2]
    if mode == "stall":
        stall(url, int(sys.argv[3]))
    elif mode == "many":
        many(url, int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "count":
        count(url, int(sys.argv[3]))
    else:
        die("unknown mode " + mode)


if __name__ == "__main__":
    main()
