# notify_peer.py SOCKET OUT - plays the service manager's side of
# sd_notify(3): binds a unixgram socket at SOCKET (a path, or "@name" for
# an abstract name) and appends each datagram received to OUT, one line
# each, flushed at once; touches OUT.ready once bound.  Runs until killed.
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + path[1:] if path.startswith("@") else path)
open(out + ".ready", "w").close()
with open(out, "a") as f:
    while True:
        data = s.recv(4096)
        # One notification may carry several lines: keep them apart.
        for line in data.decode("utf-8", "replace").split("\n"):
            if line:
                f.write(line + "\n")
        f.flush()
