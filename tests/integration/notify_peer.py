# notify_peer.py SOCKET OUT - plays the service manager's side of
# sd_notify(3): binds a unixgram socket at SOCKET (a path, or "@name" for
# an abstract name) and appends each datagram received to OUT, one line
# each, flushed at once; touches OUT.ready once bound.  Runs until killed.
# The sender's pid of each datagram (SO_PASSCRED, as systemd reads it for
# NotifyAccess=main) goes to OUT.pids, one line each.
import os
import socket
import struct
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + path[1:] if path.startswith("@") else path)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
open(out + ".ready", "w").close()
with open(out, "a") as f, open(out + ".pids", "a") as pids:
    while True:
        data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        for level, kind, cred in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pids.write("%d\n" % struct.unpack("iII", cred[:12])[0])
        pids.flush()
        # One notification may carry several lines: keep them apart.
        for line in data.decode("utf-8", "replace").split("\n"):
            if line:
                f.write(line + "\n")
        f.flush()
