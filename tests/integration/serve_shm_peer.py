#!/usr/bin/env python3
"""serve_shm_peer.py - an shm:// client written by hand, for serve_shm.sh.

    serve_shm_peer.py ADDRESS MODE

ADDRESS is the rendezvous socket: @NAME (abstract) or a path.  The peer
does the handshake of src/lib/transport/shm/handshake.c itself (its 32-byte
hello with a sealed memfd ring of 4096 data bytes, the server's hello and
ring, one "mapped" byte each way), then, by MODE:

  scribble  writes 0xff over the header of both rings (every position
            impossible), sends a wake-up, and waits for the server to
            close the socket.
  bighead   publishes a head far beyond the ring's size in its own ring
            (tail + size + 1: more than the ring can hold), wakes the
            server and waits for the close.

  hugering  asks, in its hello, for a ring of 1 GiB and hands over a sealed
            memfd of that size (sparse: ftruncate allocates nothing), over
            the server's ring_max=; it expects the server to refuse it
            before the end of the handshake and close.
  hugefd    a hello of 4096 bytes with that 1 GiB memfd: the memfd's real
            size is refused too.

It prints "closed" once the server has closed the socket (a read returns
the end or a reset) and exits 0; 1 when the handshake fails, 3 when the
server keeps the connection open for 10 s.
"""
import fcntl
import mmap
import os
import select
import socket
import struct
import sys

RING = 4096
HUGE = 1 << 30
CACHE_LINE = 64
HDR = 3 * CACHE_LINE
MAGIC = 0x31474E5243504953
F_ADD_SEALS = getattr(fcntl, "F_ADD_SEALS", 1033)
F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW = 1, 2, 4


def make_ring():
    """A fresh ring as ring.c's sipc__ring_create makes one."""
    fd = os.memfd_create("serve-shm-peer", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, HDR + RING)
    m = mmap.mmap(fd, HDR + RING)
    m[0:32] = struct.pack("<QIIQQ", MAGIC, 1, 0, RING, HDR)
    fcntl.fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
    return fd, m


def huge_memfd():
    """A sealed memfd of a 1 GiB ring, its header as ring.c writes it."""
    fd = os.memfd_create("serve-shm-huge", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, HDR + HUGE)
    os.pwrite(fd, struct.pack("<QIIQQ", MAGIC, 1, 0, HUGE, HDR), 0)
    fcntl.fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
    return fd


def refused(s, size):
    """Hands over the huge memfd with a hello of SIZE; the server must
    close without its "mapped" byte."""
    fd = huge_memfd()
    hello = b"SIPCSHM1" + struct.pack("<IIQII", 1, 0, size, 0, 0)
    socket.send_fds(s, [hello], [fd])
    os.close(fd)
    got = b""
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(s, 64, 2)
        except (ConnectionResetError, socket.timeout) as e:
            if isinstance(e, socket.timeout):
                print("the server kept the connection open", file=sys.stderr)
                return 3
            break
        for f in fds:
            os.close(f)
        if not data:
            break
        got += data
    # Its hello, maybe; never the byte that says it mapped our ring.
    if len(got) > 32:
        print("the server took the ring (%r)" % got[32:], file=sys.stderr)
        return 1
    print("closed", flush=True)
    return 0


def main():
    addr, mode = sys.argv[1], sys.argv[2]
    if addr.startswith("@"):
        addr = "\0" + addr[1:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(addr)
    if mode == "hugering":
        return refused(s, HUGE)
    if mode == "hugefd":
        return refused(s, RING)
    fd, mine = make_ring()
    hello = b"SIPCSHM1" + struct.pack("<IIQII", 1, 0, RING, 0, 0)
    socket.send_fds(s, [hello], [fd])
    got, fds = b"", []
    while len(got) < 32:
        data, more, _, _ = socket.recv_fds(s, 32 - len(got), 2)
        if not data:
            print("handshake: the server closed", file=sys.stderr)
            return 1
        got += data
        fds += more
    if got[:8] != b"SIPCSHM1" or len(fds) != 1:
        print("handshake: not a hello with one memfd", file=sys.stderr)
        return 1
    size = os.fstat(fds[0]).st_size
    theirs = mmap.mmap(fds[0], size)
    s.sendall(b"M")
    if s.recv(1) != b"M":
        print("handshake: no 'mapped' byte", file=sys.stderr)
        return 1
    print("handshake done", flush=True)
    if mode == "scribble":
        mine[0:HDR] = b"\xff" * HDR
        theirs[0:HDR] = b"\xff" * HDR
    elif mode == "bighead":
        mine[CACHE_LINE:CACHE_LINE + 8] = struct.pack("<Q", RING + 1)
    else:
        print("unknown mode " + mode, file=sys.stderr)
        return 2
    # The server may find the scribble on its own, while it spins on the
    # rings, and close before this wake-up: a broken pipe is that close.
    try:
        s.sendall(b"w")
    except (BrokenPipeError, ConnectionResetError):
        print("closed", flush=True)
        return 0
    # The server closes: the end, or a reset when it left wake-ups unread.
    r, _, _ = select.select([s], [], [], 10)
    while r:
        try:
            if not s.recv(4096):
                break
        except (ConnectionResetError, socket.timeout):
            break
        r, _, _ = select.select([s], [], [], 10)
    if not r:
        print("the server kept the connection open", file=sys.stderr)
        return 3
    print("closed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
