#!/usr/bin/env python3
"""cli_tls_peer.py - TLS peers for the cli_tls*.sh and bench_tls*.sh tests,
for what `sockipc listen` cannot be: an echo server for many connections
at once (bench, --new-conn), a server that speaks only TLS 1.2, and one
that answers a ClientHello with bytes that are not TLS.  Each binds
loopback port 0 and prints `listening URL` on stdout, flushed, before
serving; every wait is bounded.

    cli_tls_peer.py echo CERT KEY      echo every byte on each connection
    cli_tls_peer.py tls12 CERT KEY     like echo, TLS 1.2 at most
    cli_tls_peer.py garbage            send non-TLS bytes, keep the line open
"""
import socket
import ssl
import sys
import threading

LIMIT = 60  # seconds: no peer outlives a stuck test by much


def listener():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(256)
    s.settimeout(LIMIT)
    return s


def echo(ctx, raw):
    """One connection: the handshake, then every byte back until the
    client's close_notify (answered with ours) or an error."""
    raw.settimeout(LIMIT)
    # Small writes (session tickets, then the echo) must not wait for a
    # delayed ACK: that would be all a handshake rate measured.
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        c = ctx.wrap_socket(raw, server_side=True)
    except (OSError, ssl.SSLError):
        raw.close()
        return
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)
        c.unwrap()
    except (OSError, ssl.SSLError, ValueError):
        pass
    c.close()


def main():
    mode = sys.argv[1]
    s = listener()
    print("listening tls://127.0.0.1:%d" % s.getsockname()[1], flush=True)
    if mode == "garbage":
        c, _ = s.accept()
        c.settimeout(LIMIT)
        c.recv(4096)  # the ClientHello
        c.sendall(b"220 smtp.example ESMTP ready\r\n" + bytes(range(256)))
        try:
            c.recv(4096)
        except OSError:
            pass
        return
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    if mode == "tls12":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    elif mode != "echo":
        sys.exit("unknown mode " + mode)
    while True:
        raw, _ = s.accept()
        threading.Thread(target=echo, args=(ctx, raw), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except (socket.timeout, KeyboardInterrupt, BrokenPipeError):
        pass
