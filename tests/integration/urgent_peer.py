#!/usr/bin/env python3
"""urgent_peer.py - TCP peers that use urgent (out-of-band) data, MSG_OOB,
both ways, for cli_urgent.sh.  Each listening mode binds loopback port 0
and prints `listening URL` on stdout, flushed, before serving; every wait
is bounded, and each one drains the other side to its end before closing
(a close with bytes unread would reset the connection, and a reset can
destroy an urgent byte not taken yet).

  recv            take what a client sends, each urgent byte out of band at
                  its mark; prints `oob HEX` for each and `read N` after
                  each read, then `end len=N mark=M oob=HEX... sha=SHA256`
                  and `got=HEX before=HEX oob=HEX...` (before, M: the bytes
                  read when the first mark was reached; `-` for none).
  send B A HEX    send B bytes, the urgent byte HEX, A bytes (the letters
                  a-z over and over: 2 and 2 are "ab", "cd"), then our end;
                  prints `sent SHA256` of the normal bytes.
  dial-send URL B A HEX   the same as a client of URL.
  dial-recv URL B A HEX   send as dial-send, then take what comes back as
                  recv does (serve's echo).
  dial-tls URL CA send "ab" in TLS, the urgent byte "U" on the TCP
                  connection below (between two records), "cd" in TLS, and
                  read 4 bytes back; prints `tls got=HEX urgent=yes|no`
                  (whether an urgent byte came back).
"""
import array
import fcntl
import hashlib
import os
import select
import socket
import ssl
import sys

LIMIT = 30  # seconds: no peer outlives a stuck test by much
SIOCATMARK = 0x8905


def say(*words):
    print(*words, flush=True)


def at_mark(s):
    b = array.array("i", [0])
    fcntl.ioctl(s.fileno(), SIOCATMARK, b)
    return b[0] == 1


def urgent_waits(s):
    p = select.poll()
    p.register(s, select.POLLPRI)
    # poll reports POLLHUP whatever was asked: look at POLLPRI alone.
    return any(ev & select.POLLPRI for _, ev in p.poll(0))


def alphabet(start, n):
    """n letters a-z on from position start: 2 then 2 are "ab" and "cd"."""
    return bytes(97 + (start + i) % 26 for i in range(n))


def send_with_urgent(s, before, after, byte):
    data_b, data_a = alphabet(0, before), alphabet(before, after)
    s.sendall(data_b)
    s.send(bytes([byte]), socket.MSG_OOB)
    s.sendall(data_a)
    s.shutdown(socket.SHUT_WR)
    return hashlib.sha256(data_b + data_a).hexdigest()


def take(s):
    """Reads to the end, taking each urgent byte at its mark: a normal
    read at the mark before the byte is taken would move past it."""
    got, before, oob = b"", None, b""
    while True:
        r, _, x = select.select([s], [], [s], LIMIT)
        if not r and not x:
            raise SystemExit("urgent_peer: nothing for %d s" % LIMIT)
        if urgent_waits(s) and at_mark(s):
            b = s.recv(1, socket.MSG_OOB)
            if before is None:
                before = got
            oob += b
            say("oob", b.hex())
            continue
        if not r:
            continue
        d = s.recv(65536)
        if not d:
            break
        got += d
        say("read", len(d))
    say("end len=%d mark=%s oob=%s sha=%s" % (len(got), "-" if before is None else len(before),
                                              oob.hex() or "-",
                                              hashlib.sha256(got).hexdigest()))
    say("got=%s before=%s oob=%s" % (got.hex() or "-",
                                     "-" if before is None else before.hex() or "-",
                                     oob.hex() or "-"))


def drain(s):
    s.settimeout(LIMIT)
    while s.recv(65536):
        pass


def listener():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    s.settimeout(LIMIT)
    say("listening tcp://127.0.0.1:%d" % s.getsockname()[1])
    c, _ = s.accept()
    say("accepted")
    return c


def dial(url):
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=LIMIT)


def dial_tls(url, ca):
    ctx = ssl.create_default_context(cafile=ca)
    c = ctx.wrap_socket(dial(url), server_hostname="localhost")
    raw = socket.socket(fileno=os.dup(c.fileno()))
    c.sendall(b"ab")
    raw.send(b"U", socket.MSG_OOB)
    c.sendall(b"cd")
    got = b""
    while len(got) < 4:
        d = c.recv(4 - len(got))
        if not d:
            break
        got += d
    say("tls got=%s urgent=%s" % (got.hex() or "-", "yes" if urgent_waits(raw) else "no"))
    raw.close()
    # close_notify both ways: a clean end, so the server's close line says
    # whether anything else went wrong.
    return c.unwrap()


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "recv":
        c = listener()
        take(c)
    elif mode == "send":
        c = listener()
        say("sent", send_with_urgent(c, int(args[0]), int(args[1]), int(args[2], 16)))
        drain(c)
    elif mode == "dial-send":
        c = dial(args[0])
        say("sent", send_with_urgent(c, int(args[1]), int(args[2]), int(args[3], 16)))
        drain(c)
    elif mode == "dial-tls":
        c = dial_tls(args[0], args[1])
    elif mode == "dial-recv":
        c = dial(args[0])
        say("sent", send_with_urgent(c, int(args[1]), int(args[2]), int(args[3], 16)))
        take(c)
    else:
        raise SystemExit("urgent_peer: unknown mode " + mode)
    c.close()


if __name__ == "__main__":
    main()
