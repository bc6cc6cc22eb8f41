#!/usr/bin/env python3
"""cli_dgram_batch_peer.py - a burst of datagrams for cli_dgram_batch.sh:
N datagrams sent back to back from one bound socket to URL (udp:// or
unixgram://), each of its own length (1 to 300 bytes, plus one empty
one) and its own bytes, none holding a newline; the datagrams, one per
line, go to WANT so that what `sockipc listen --framed` printed can be
compared with them.

  URL N WANT [--hold FILE]
--hold FILE: the socket stays open (a unixgram listener connects to it
after the burst, and a closed one refuses) until FILE exists, 20 s at
most.  WANT is written once the burst is sent.
"""
import os
import socket
import sys
import tempfile
import time


def main():
    url, n, want = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if url.startswith("unixgram://"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        d = tempfile.mkdtemp()
        s.bind(os.path.join(d, "peer.sock"))
        dst = url[len("unixgram://"):]
    else:
        host, port = url[len("udp://"):].rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        dst = (host, int(port))
    # A unixgram receiver's full queue blocks the sender: never for ever.
    s.settimeout(10)
    lines = []
    for i in range(n):
        size = 0 if i == n // 2 else 1 + (i * 37) % 300
        body = ("%04d:" % i + "".join(chr(97 + (i + j) % 26) for j in range(size)))[:size]
        s.sendto(body.encode(), dst)
        lines.append(body)
    with open(want + ".tmp", "w") as f:
        f.write("".join(line + "\n" for line in lines))
    os.rename(want + ".tmp", want)
    if "--hold" in sys.argv:
        hold = sys.argv[sys.argv.index("--hold") + 1]
        deadline = time.monotonic() + 20
        while not os.path.exists(hold) and time.monotonic() < deadline:
            time.sleep(0.05)


main()
