#!/usr/bin/env python3
"""fdpass_peer.py - hostile and odd senders of descriptors for cli_fdpass.sh,
for what `sockipc send --fd` never does: more descriptors than anyone takes,
a directory, a pipe that is never written, a message with none.  Each
message is framed as sockipc frames it (a 4-byte big-endian length on
unix:// streams, one datagram or record otherwise), the descriptors with
its first byte.  Every wait is bounded.

  many URL N        one message "x" with N descriptors of /dev/null
  dir URL PATH      one message with PATH (a directory) opened read-only
  pipe URL          one message with the read end of a pipe kept open, unwritten
  nofd URL          one message "plain" without descriptors
  socket URL        one message with one end of a socketpair whose other end
                    wrote "from a socket" and closed
URL: unix://PATH, unixgram://PATH or unixpacket://PATH, PATH @name for an
abstract name.
"""
import os
import socket
import struct
import sys
import time

LIMIT = 30  # seconds: no peer outlives a stuck test by much


def dial(url):
    scheme, rest = url.split("://", 1)
    kind = {"unix": socket.SOCK_STREAM, "unixgram": socket.SOCK_DGRAM,
            "unixpacket": socket.SOCK_SEQPACKET}[scheme]
    addr = "\0" + rest[1:] if rest.startswith("@") else rest
    s = socket.socket(socket.AF_UNIX, kind)
    s.settimeout(LIMIT)
    s.connect(addr)
    return s, kind == socket.SOCK_STREAM


def send(url, body, fds):
    s, stream = dial(url)
    data = struct.pack("!I", len(body)) + body if stream else body
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("%di" % len(fds), *fds))] \
        if fds else []
    n = s.sendmsg([data], anc)
    print("sent %d bytes %d fds" % (n, len(fds)), flush=True)
    return s


def main():
    mode, url = sys.argv[1], sys.argv[2]
    if mode == "many":
        null = os.open("/dev/null", os.O_RDONLY)
        s = send(url, b"x", [null] * int(sys.argv[3]))
    elif mode == "dir":
        s = send(url, b"d", [os.open(sys.argv[3], os.O_RDONLY | os.O_DIRECTORY)])
    elif mode == "pipe":
        r, w = os.pipe()
        s = send(url, b"p", [r])
        os.close(r)
        # Holds the write end (and the connection) until the listener
        # gives up on the pipe and ends this peer, or LIMIT passes.
        s.settimeout(LIMIT)
        try:
            s.recv(1)
        except OSError:
            pass
        os.close(w)
    elif mode == "nofd":
        s = send(url, b"plain", [])
    elif mode == "socket":
        a, b = socket.socketpair()
        a.sendall(b"from a socket")
        a.close()
        s = send(url, b"s", [b.fileno()])
        b.close()
    else:
        sys.exit("unknown mode " + mode)
    s.close()


if __name__ == "__main__":
    main()
