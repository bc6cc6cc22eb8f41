#!/usr/bin/env python3
"""cli_exec_peer.py - peers for cli_exec.sh and cli_dgram_bytes.sh, for what
no stock tool does on port 0.  Each binds loopback port 0 and prints
`listening URL` on stdout, flushed, before serving; every wait is bounded.

  first TEXT   tcp: prints `peer URL` (the client's address), sends TEXT,
               shuts down its write side, reads to end of stream, prints
               `got HEX`, closes
  hold TEXT    tcp: sends TEXT, then waits up to 1 s for the client's end of
               stream: prints `eof` or `open`
  udprecord    udp: prints `dgram LEN HEX` for every datagram, answers `ack`
  udpclient URL TEXT  sends TEXT to udp://HOST:PORT, prints the datagram
               that comes back as `dgram LEN HEX`
"""
import socket
import sys

LIMIT = 60  # seconds: no peer outlives a stuck test by much


def say(line):
    print(line, flush=True)


def tcp_listener():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    s.settimeout(LIMIT)
    say("listening tcp://127.0.0.1:%d" % s.getsockname()[1])
    c, a = s.accept()
    c.settimeout(LIMIT)
    return c, a


def main():
    mode = sys.argv[1]
    if mode == "first":
        c, a = tcp_listener()
        say("peer tcp://%s:%d" % a)
        c.sendall(sys.argv[2].encode())
        c.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            d = c.recv(65536)
            if not d:
                break
            data += d
        say("got " + data.hex())
        c.close()
    elif mode == "hold":
        c, _ = tcp_listener()
        c.sendall(sys.argv[2].encode())
        c.settimeout(1)
        try:
            say("eof" if c.recv(1) == b"" else "data")
        except socket.timeout:
            say("open")
        c.close()
    elif mode == "udprecord":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.settimeout(LIMIT)
        say("listening udp://127.0.0.1:%d" % s.getsockname()[1])
        while True:
            d, a = s.recvfrom(65536)
            say("dgram %d %s" % (len(d), d.hex()))
            s.sendto(b"ack", a)
    elif mode == "udpclient":
        host, port = sys.argv[2][len("udp://"):].rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(LIMIT)
        s.connect((host, int(port)))
        s.send(sys.argv[3].encode())
        d = s.recv(65536)
        say("dgram %d %s" % (len(d), d.hex()))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    try:
        main()
    except (socket.timeout, KeyboardInterrupt, BrokenPipeError):
        pass
