#!/usr/bin/env python3
"""dgram_peer.py - datagram peers for serve_guard.sh and serve_dgram_order.sh,
for what no stock tool does: forge a udp source address (a raw socket with
IP_HDRINCL, root only), send numbered datagrams and check the replies come
back all and in order, and a udp backend that records the source port of
every datagram it answers.  Every wait is bounded.

  spoof SRC_IP SRC_PORT DST_IP DST_PORT [COUNT]   forge COUNT datagrams "x"
  order URL COUNT [TAG]                            udp://H:P or unixgram://PATH
  client BIND_IP BIND_PORT DST_PORT TEXT           one request from a fixed port
  backend PORTFILE                                 udp echo on 127.0.0.1:0
"""
import os
import socket
import struct
import sys
import tempfile

LIMIT = 60  # seconds: no peer outlives a stuck test by much


def spoof(src_ip, src_port, dst_ip, dst_port, count=1):
    payload = b"x"
    udp = struct.pack("!HHHH", src_port, dst_port, 8 + len(payload), 0) + payload
    # UDP checksum 0: "none", accepted over IPv4.  The kernel fills in the
    # IP checksum and the total length of a raw IP_HDRINCL packet.
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64,
                     socket.IPPROTO_UDP, 0, socket.inet_aton(src_ip),
                     socket.inet_aton(dst_ip))
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    for _ in range(count):
        s.sendto(ip + udp, (dst_ip, 0))
    s.close()


def order(url, count, tag=""):
    """Sends COUNT numbered datagrams in windows of 8 (a unixgram reply
    to a full receive queue, max_dgram_qlen: 10, is dropped, not waited
    for) and checks that the replies come back one for one, in order."""
    path = None
    if url.startswith("unixgram://"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        path = tempfile.mktemp(prefix="sipc-order-", suffix=".sock")
        s.bind(path)
        dst = url[len("unixgram://"):]
    else:
        host, port = url[len("udp://"):].rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        dst = (host, int(port))
    s.settimeout(5)
    got = []
    try:
        i = 0
        while i < count:
            window = range(i, min(i + 8, count))
            for k in window:
                s.sendto(tag.encode() + b"%06d" % k, dst)
            for _ in window:
                got.append(int(s.recv(64)[len(tag):]))
            i += len(window)
    except socket.timeout:
        pass
    finally:
        if path:
            os.unlink(path)
    bad = [(n, v) for n, v in enumerate(got) if n != v]
    print("received %d of %d, %d out of place%s" %
          (len(got), count, len(bad), (": first at %d got %d" % bad[0]) if bad else ""))
    return 0 if len(got) == count and not bad else 1


def client(bind_ip, bind_port, dst_port, text):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind_ip, bind_port))
    s.settimeout(3)
    s.sendto(text.encode(), ("127.0.0.1", dst_port))
    try:
        sys.stdout.write(s.recv(65536).decode())
    except socket.timeout:
        return 1
    return 0


def backend(portfile):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(LIMIT)
    print("listening udp://127.0.0.1:%d" % s.getsockname()[1], flush=True)
    with open(portfile, "a") as log:
        while True:
            try:
                data, peer = s.recvfrom(65536)
            except socket.timeout:
                return 0
            log.write("%d %s\n" % (peer[1], data.decode(errors="replace")))
            log.flush()
            s.sendto(data, peer)


def main():
    a = sys.argv[1:]
    if a[0] == "spoof":
        spoof(a[1], int(a[2]), a[3], int(a[4]), int(a[5]) if len(a) > 5 else 1)
        return 0
    if a[0] == "order":
        return order(a[1], int(a[2]), a[3] if len(a) > 3 else "")
    if a[0] == "client":
        return client(a[1], int(a[2]), int(a[3]), a[4])
    if a[0] == "backend":
        return backend(a[1])
    return 2


if __name__ == "__main__":
    sys.exit(main())
