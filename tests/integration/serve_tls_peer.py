#!/usr/bin/env python3
# serve_tls_peer.py - the TLS clients of the serve_tls*.sh tests, written
# with Python's ssl module over a memory BIO, so that a client can half-close
# (send close_notify and go on reading, TLS 1.3's half-close) and tell a
# clean end (the server's close_notify) from a truncation (EOF without it).
#
#   echo PORT NBYTES [opts]      send NBYTES, half-close, read the echo to a
#                                clean end, compare every byte
#   send PORT NBYTES [opts]      send NBYTES, half-close, expect a clean end
#                                and no byte back (discard)
#   read PORT [N] [opts]         read N bytes (or to a clean end): printed
#                                as hex on stdout
#   line PORT TEXT [opts]        send TEXT, half-close, print what comes back
#                                to a clean end (exec, daytime)
#   refused PORT [opts]          expect the server to refuse: no byte of an
#                                echo comes back; prints what the client saw
#   fp PORT [opts]               print the server certificate's SHA-256
#   many PORT N SIZE SECS [opts] N clients at once, each echoes SIZE bytes
#   loop PORT SECS STOPFILE OUT [opts]  exchanges on one connection and on
#                                new ones until STOPFILE exists; writes
#                                "ok N fps..." or "FAIL why" to OUT, and
#                                "ROUNDS FP" to OUT.progress every round
#
# opts: --ca FILE, --cert FILE --key FILE, --host NAME (server name,
# default localhost), --timeout S (default 10).  Exit 0 when the check
# holds, 1 with a line on stderr otherwise.
import asyncio
import hashlib
import os
import select
import socket
import ssl
import sys
import time


def opts(argv):
    o = {"ca": None, "cert": None, "key": None, "host": "localhost", "timeout": 10.0}
    rest = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--") and a[2:] in o:
            o[a[2:]] = argv[i + 1]
            i += 2
        else:
            rest.append(a)
            i += 1
    o["timeout"] = float(o["timeout"])
    return o, rest


def context(o):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(o["ca"])
    if o["cert"]:
        ctx.load_cert_chain(o["cert"], o["key"])
    return ctx


def die(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


class Tls:
    """A TLS client over a non-blocking socket and two memory BIOs."""

    def __init__(self, port, o):
        self.deadline = time.monotonic() + o["timeout"]
        self.sock = socket.create_connection(("127.0.0.1", int(port)), timeout=o["timeout"])
        self.sock.setblocking(False)
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = context(o).wrap_bio(self.inc, self.out, server_hostname=o["host"])
        self.eof = False
        self.pend = b""

    def left(self):
        t = self.deadline - time.monotonic()
        if t <= 0:
            raise TimeoutError("timed out")
        return t

    def push(self, block=True):
        self.pend += self.out.read()
        while self.pend:
            try:
                n = self.sock.send(self.pend)
                self.pend = self.pend[n:]
            except BlockingIOError:
                if not block:
                    return
                select.select([], [self.sock], [], self.left())

    def fill(self, wait=True):
        """Feeds what the socket has to the BIO; False when nothing came."""
        if self.eof:
            return False
        if wait:
            select.select([self.sock], [], [], self.left())
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return False
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            self.inc.write_eof()
        else:
            self.inc.write(data)
        return True

    def handshake(self):
        while True:
            try:
                self.obj.do_handshake()
                self.push()
                return
            except ssl.SSLWantReadError:
                self.push()
                self.fill()

    def write(self, data):
        self.obj.write(data)
        self.push(block=False)

    def read(self, wait=True):
        """Bytes, b"" at a clean end (close_notify), None when none now;
        raises on a truncation or an alert."""
        while True:
            try:
                return self.obj.read(65536)
            except ssl.SSLWantReadError:
                self.push(block=False)
                if not self.fill(wait):
                    return None
            except ssl.SSLZeroReturnError:
                return b""

    def fingerprint(self):
        der = self.obj.getpeercert(binary_form=True)
        h = hashlib.sha256(der).hexdigest().upper()
        return "SHA256:" + ":".join(h[i : i + 2] for i in range(0, len(h), 2))


def pattern(n, seed=0):
    return bytes((i * 7 + seed + (i >> 8)) & 0xFF for i in range(n))


def exchange(t, data):
    """Writes DATA while reading, half-closes (close_notify), reads to a
    clean end; the bytes that came back."""
    got = bytearray()
    sent = 0
    closed = False
    while True:
        # Everything decrypted first: the incoming BIO is then empty, which
        # unwrap() needs (its second SSL_shutdown must find nothing there).
        r = t.read(wait=False)
        while r:
            got += r
            r = t.read(wait=False)
        if r == b"":
            return bytes(got)
        t.pend += t.out.read()
        if not t.pend:
            if sent < len(data):
                t.obj.write(data[sent : sent + 16384])
                sent = min(len(data), sent + 16384)
            elif not closed:
                try:
                    t.obj.unwrap()
                except ssl.SSLWantReadError:
                    pass  # our close_notify is out; the server's comes later
                closed = True
            t.pend += t.out.read()
        rl, wl, _ = select.select([t.sock], [t.sock] if t.pend else [], [], t.left())
        if wl:
            t.push(block=False)
        if rl:
            t.fill(wait=False)


def cmd_echo(port, n, o):
    data = pattern(int(n))
    t = Tls(port, o)
    t.handshake()
    got = exchange(t, data)
    if got != data:
        die("echo: sent %d bytes, got %d back%s" % (len(data), len(got), "" if len(got) != len(data) else " (different)"))
    print("ok echo %d" % len(got))


def cmd_send(port, n, o):
    t = Tls(port, o)
    t.handshake()
    got = exchange(t, pattern(int(n)))
    if got:
        die("send: %d bytes came back" % len(got))
    print("ok send %s" % n)


def cmd_read(port, n, o):
    t = Tls(port, o)
    t.handshake()
    want = int(n) if n is not None else None
    got = bytearray()
    while want is None or len(got) < want:
        r = t.read()
        if r == b"":
            break
        if r:
            got += r
    if want is not None:
        got = got[:want]
    print(bytes(got).hex())


def cmd_line(port, text, o):
    t = Tls(port, o)
    t.handshake()
    got = exchange(t, text.encode())
    sys.stdout.write(got.decode(errors="replace"))


def cmd_refused(port, o):
    try:
        t = Tls(port, o)
        t.handshake()
        data = b"ping\n"
        t.write(data)
        got = bytearray()
        while len(got) < len(data):
            r = t.read()
            if r == b"":
                break
            if r:
                got += r
        if bytes(got) == data:
            die("refused: the server echoed")
        print("refused: end without an echo")
    except (ssl.SSLError, OSError, TimeoutError) as e:
        print("refused: %s" % e)


def cmd_fp(port, o):
    t = Tls(port, o)
    t.handshake()
    fp = t.fingerprint()
    exchange(t, b"")  # a clean end: the server logs no error
    print(fp)


def cmd_many(port, n, size, secs, o):
    """N clients connected at once (each waits until all N have finished
    their handshake), then each echoes SIZE bytes of its own pattern."""
    n, size = int(n), int(size)
    ctx = context(o)

    async def one(i, sem, state):
        data = pattern(size, i)
        try:
            async with sem:
                r, w = await asyncio.open_connection("127.0.0.1", int(port), ssl=ctx, server_hostname=o["host"])
        finally:
            # A client that could not connect still counts, so the others
            # do not wait for it forever (it fails the run).
            state["tried"] += 1
            if state["tried"] == n:
                state["all"].set()
        state["up"] += 1
        await state["all"].wait()
        state["peak"] = max(state["peak"], state["up"])
        w.write(data)
        await w.drain()
        got = await r.readexactly(size)
        w.close()
        try:
            await w.wait_closed()
        except (ssl.SSLError, OSError):
            pass
        return got == data

    async def main():
        # Connects go out 100 at a time so the listen backlog and the
        # server's bound on handshakes are never the limit; then all N
        # exchange at once.
        state = {"tried": 0, "up": 0, "peak": 0, "all": asyncio.Event()}
        sem = asyncio.Semaphore(100)
        res = await asyncio.wait_for(asyncio.gather(*(one(i, sem, state) for i in range(n)), return_exceptions=True), float(secs))
        return res, state["peak"]

    res, peak = asyncio.run(main())
    bad = [r for r in res if r is not True]
    if bad:
        die("many: %d of %d failed, first: %r" % (len(bad), n, bad[0]))
    print("ok many %d at once %d" % (n, peak))


def cmd_loop(port, secs, stopfile, out, o):
    """One long connection echoing a message at a time, and a new
    connection every round, until STOPFILE appears."""
    end = time.monotonic() + float(secs)
    fps = []
    rounds = 0
    try:
        t = Tls(port, o)
        t.deadline = end + 30
        t.handshake()
        while not os.path.exists(stopfile):
            if time.monotonic() > end:
                raise TimeoutError("still running after %s s" % secs)
            msg = pattern(1000, rounds)
            t.write(msg)
            got = bytearray()
            while len(got) < len(msg):
                r = t.read()
                if not r:
                    raise EOFError("long connection ended after %d rounds" % rounds)
                got += r
            if bytes(got) != msg:
                raise ValueError("long connection: echo differs in round %d" % rounds)
            n = Tls(port, o)
            n.handshake()
            fp = n.fingerprint()
            if not fps or fps[-1] != fp:
                fps.append(fp)
            if exchange(n, msg) != msg:
                raise ValueError("new connection: echo differs in round %d" % rounds)
            rounds += 1
            with open(out + ".tmp", "w") as f:
                f.write("%d %s\n" % (rounds, fp))
            os.replace(out + ".tmp", out + ".progress")
        # A clean end of the long connection too (close_notify both ways).
        t.deadline = time.monotonic() + o["timeout"]
        if exchange(t, b"") != b"":
            raise ValueError("long connection: bytes after the last round")
        with open(out, "w") as f:
            f.write("ok %d %s\n" % (rounds, " ".join(fps)))
    except Exception as e:
        with open(out, "w") as f:
            f.write("FAIL round %d: %r\n" % (rounds, e))


def main():
    o, rest = opts(sys.argv[1:])
    cmd = rest[0]
    try:
        if cmd == "echo":
            cmd_echo(rest[1], rest[2], o)
        elif cmd == "send":
            cmd_send(rest[1], rest[2], o)
        elif cmd == "read":
            cmd_read(rest[1], rest[2] if len(rest) > 2 else None, o)
        elif cmd == "line":
            cmd_line(rest[1], rest[2], o)
        elif cmd == "refused":
            cmd_refused(rest[1], o)
        elif cmd == "fp":
            cmd_fp(rest[1], o)
        elif cmd == "many":
            cmd_many(rest[1], rest[2], rest[3], rest[4], o)
        elif cmd == "loop":
            cmd_loop(rest[1], rest[2], rest[3], rest[4], o)
        else:
            die("unknown command " + cmd)
    except (ssl.SSLError, OSError, TimeoutError, EOFError) as e:
        die("%s: %r" % (cmd, e))


main()
