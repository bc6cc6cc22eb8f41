#!/usr/bin/env python3
"""serve_proxy_peer.py - a SOCKS5 and HTTP CONNECT client for serve_proxy.sh,
well-behaved or hostile on purpose.

    serve_proxy_peer.py LIMIT CASE PROXY_PORT [ARGS...]

prints one line of words the test compares.  Every socket has the LIMIT
(seconds) as its timeout, so nothing here waits for ever.  Hostile
requests are sent one byte at a time (TCP_NODELAY, each byte its own
segment as far as the kernel allows), so the server's parser sees every
cut there is.
"""
import socket
import struct
import sys

LIMIT = float(sys.argv[1])
CASE = sys.argv[2]
PORT = int(sys.argv[3])
ARGS = sys.argv[4:]


def conn():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=LIMIT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s, n):
    got = b""
    while len(got) < n:
        d = s.recv(n - len(got))
        if not d:
            break
        got += d
    return got


def recv_all(s):
    """Everything until the end of the stream (or a reset): the bytes, and
    'eof' or 'reset'."""
    got = b""
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            return got, "reset"
        if not d:
            return got, "eof"
        got += d


def bytewise(s, data):
    """Sends DATA a byte at a time; stops when the server has closed."""
    for i in range(len(data)):
        try:
            s.send(data[i:i + 1])
        except (BrokenPipeError, ConnectionResetError):
            return i
    return len(data)


def greeting(methods=b"\x00"):
    return b"\x05" + bytes([len(methods)]) + methods


def req_ipv4(addr, port, cmd=1):
    return b"\x05" + bytes([cmd]) + b"\x00\x01" + socket.inet_aton(addr) + struct.pack(">H", port)


def req_ipv6(addr, port):
    return b"\x05\x01\x00\x04" + socket.inet_pton(socket.AF_INET6, addr) + struct.pack(">H", port)


def req_name(name, port):
    return b"\x05\x01\x00\x03" + bytes([len(name)]) + name + struct.pack(">H", port)


def userpass(user, pw):
    return b"\x01" + bytes([len(user)]) + user + bytes([len(pw)]) + pw


def socks_reply(s):
    """The reply code of a SOCKS5 reply, or 'closed'."""
    head = recv_exact(s, 4)
    if len(head) < 4:
        return "closed"
    alen = {1: 4, 4: 16}.get(head[3], 0)
    recv_exact(s, alen + 2)
    return "%02x" % head[1]


def echo_through(s, first=b"", got=b""):
    """After a successful reply: FIRST (already sent, pipelined) comes back
    (GOT of it may have come with the reply), then one more round, then the
    half-close ends it all."""
    if not first.startswith(got):
        return "stray bytes %r" % got
    if first and got + recv_exact(s, len(first) - len(got)) != first:
        return "pipelined-lost"
    s.sendall(b"after the reply\n")
    if recv_exact(s, 16) != b"after the reply\n":
        return "echo-lost"
    s.shutdown(socket.SHUT_WR)
    rest, how = recv_all(s)
    return "relayed" if rest == b"" and how == "eof" else "bad-end %r %s" % (rest, how)


# ------------------------------------------------------------- SOCKS5

def socks_connect(req, methods=b"\x00", auth=None, pipelined=b""):
    """Greeting, optional RFC 1929 round, request and pipelined bytes, all in
    one write (a client may send without waiting): the method choice, the
    auth status, the reply code, and the relay's verdict."""
    s = conn()
    s.sendall(greeting(methods) + (auth or b"") + req + pipelined)
    words = []
    m = recv_exact(s, 2)
    words.append("method=" + m.hex())
    if m != b"\x05" + bytes([0 if auth is None else 2]):
        rest, how = recv_all(s)
        words.append(how)
        return " ".join(words)
    if auth is not None:
        st = recv_exact(s, 2)
        words.append("auth=" + st.hex())
        if st != b"\x01\x00":
            rest, how = recv_all(s)
            words.append(how)
            return " ".join(words)
    code = socks_reply(s)
    words.append("rep=" + code)
    if code == "00":
        words.append(echo_through(s, pipelined))
    else:
        rest, how = recv_all(s)
        words.append(how)
    return " ".join(words)


def case_socks():
    kind, host, port = ARGS[0], ARGS[1], int(ARGS[2])
    pipelined = b"pipelined hello\n"
    if kind == "v4":
        return socks_connect(req_ipv4(host, port), pipelined=pipelined)
    if kind == "v6":
        return socks_connect(req_ipv6(host, port), pipelined=pipelined)
    if kind == "name":
        return socks_connect(req_name(host.encode(), port), pipelined=pipelined)
    if kind == "bind":
        return socks_connect(req_ipv4(host, port, cmd=2))
    if kind == "udp":
        return socks_connect(req_ipv4(host, port, cmd=3))
    if kind == "atyp":
        return socks_connect(b"\x05\x01\x00\x05" + b"\x00" * 6)
    if kind == "rawname":
        # HOST is a Python bytes literal: NUL, newline and the like.
        return socks_connect(req_name(eval(host), port))
    raise SystemExit("unknown socks kind " + kind)


def case_auth():
    user, pw, host, port = ARGS[0].encode(), ARGS[1].encode(), ARGS[2], int(ARGS[3])
    return socks_connect(req_ipv4(host, port), methods=b"\x00\x02", auth=userpass(user, pw),
                         pipelined=b"with a password\n")


def case_noauth_offered():
    """Only 'no authentication' offered to a proxy that wants a password."""
    return socks_connect(req_ipv4("127.0.0.1", 9), methods=b"\x00")


# --------------------------------------------------------------- HTTP

def http_status(s):
    """The status code of the reply head, the head's fields, and the rest."""
    got = b""
    while b"\r\n\r\n" not in got:
        d = s.recv(4096)
        if not d:
            return "closed", b"", got
        got += d
    head, rest = got.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    return lines[0].split(b" ")[1].decode(), b"\r\n".join(lines[1:]), rest


def case_http():
    target, auth = ARGS[0], ARGS[1] if len(ARGS) > 1 else ""
    s = conn()
    req = "CONNECT %s HTTP/1.1\r\nHost: %s\r\n" % (target, target)
    if auth:
        import base64
        req += "Proxy-Authorization: Basic %s\r\n" % base64.b64encode(auth.encode()).decode()
    pipelined = b"pipelined hello\n"
    s.sendall(req.encode() + b"\r\n" + pipelined)
    code, fields, rest = http_status(s)
    words = [code]
    if code == "407":
        words.append("challenge" if b"Proxy-Authenticate: Basic" in fields else "no-challenge")
    if code == "200":
        words.append(echo_through(s, pipelined, rest))
    else:
        rest2, how = recv_all(s)
        words.append(how)
    return " ".join(words)


# ------------------------------------------------------------ hostile

HOSTILE = {
    "empty": b"",
    # SOCKS5
    "s5-version4": b"\x04\x01\x00\x50\x7f\x00\x00\x01\x00",
    "s5-version0": b"\x00",
    "s5-zero-methods": b"\x05\x00",
    "s5-truncated-greeting": b"\x05\x05\x00\x01",
    "s5-truncated-request": b"\x05\x01\x00" + b"\x05\x01\x00\x03\x20abc",
    "s5-request-version": b"\x05\x01\x00" + b"\x04\x01\x00\x01\x7f\x00\x00\x01\x00\x50",
    "s5-huge-name-length": b"\x05\x01\x00" + b"\x05\x01\x00\x03\xff" + b"a" * 40,
    "s5-name-nul": b"\x05\x01\x00" + req_name(b"local\x00host", 80),
    "s5-name-newline": b"\x05\x01\x00" + req_name(b"x\nsockipc: FAKE line", 80),
    "s5-name-empty": b"\x05\x01\x00" + req_name(b"", 80),
    "s5-auth-version": b"\x05\x01\x02" + b"\x05\x05alice\x06secret",
    "s5-auth-huge-lengths": b"\x05\x01\x02" + b"\x01\xff" + b"u" * 30,
    "s5-auth-user-newline": b"\x05\x01\x02" + userpass(b"eve\nsockipc: FAKE", b"x"),
    # HTTP
    "h-get": b"GET http://127.0.0.1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "h-lowercase": b"connect 127.0.0.1:80 HTTP/1.1\r\n\r\n",
    "h-no-port": b"CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n",
    "h-port-zero": b"CONNECT 127.0.0.1:0 HTTP/1.1\r\n\r\n",
    "h-port-big": b"CONNECT 127.0.0.1:65536 HTTP/1.1\r\n\r\n",
    "h-version": b"CONNECT 127.0.0.1:80 HTTP/2.0\r\n\r\n",
    "h-bare-lf": b"CONNECT 127.0.0.1:80 HTTP/1.1\nHost: x\n\n",
    "h-bare-cr": b"CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: x\rInjected: y\r\n\r\n",
    "h-nul": b"CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: a\x00b\r\n\r\n",
    "h-folded": b"CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: x\r\n continued\r\n\r\n",
    "h-no-colon": b"CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost x\r\n\r\n",
    "h-space-name": b"CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost : x\r\n\r\n",
    "h-name-injection": b"CONNECT evil\r\nsockipc: FAKE:80 HTTP/1.1\r\n\r\n",
    "h-bad-host": b"CONNECT ex%41mple.com:80 HTTP/1.1\r\n\r\n",
    "h-bad-v6": b"CONNECT [zz::1]:80 HTTP/1.1\r\n\r\n",
    "h-empty-line": b"\r\n\r\n",
    "h-two-auth": b"CONNECT 127.0.0.1:80 HTTP/1.1\r\nProxy-Authorization: Basic YTpi\r\n"
                  b"Proxy-Authorization: Basic YTpi\r\n\r\n",
    "h-truncated": b"CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0",
}


def case_hostile():
    """Sends a hostile request byte by byte, then half-closes: the first
    bytes of the answer (or 'none') and how the server ended it."""
    data = HOSTILE[ARGS[0]]
    s = conn()
    bytewise(s, data)
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    got, how = recv_all(s)
    if got.startswith(b"HTTP/"):
        ans = got.split(b" ")[1].decode()
    elif got:
        ans = got.hex()
    else:
        ans = "none"
    return "%s %s" % (ans, how)


def case_huge_line():
    """A request line of 100 KB: refused at the buffer's size with 400."""
    s = conn()
    line = b"CONNECT " + b"a" * 100000 + b":80 HTTP/1.1\r\n\r\n"
    sent = 0
    try:
        while sent < len(line):
            sent += s.send(line[sent:sent + 4096])
    except (BrokenPipeError, ConnectionResetError):
        pass
    got, how = recv_all(s)
    code = got.split(b" ")[1].decode() if got.startswith(b"HTTP/") else "none"
    return "%s %s" % (code, how)


def case_slow():
    """Sends part of a request and waits: the server ends it by itself."""
    s = conn()
    s.sendall(ARGS[0].encode().decode("unicode_escape").encode("latin-1"))
    got, how = recv_all(s)
    code = got.split(b" ")[1].decode() if got.startswith(b"HTTP/") else (got.hex() or "none")
    return "%s %s" % (code, how)


def case_hold():
    """A well-behaved client that stays open while hostile ones come and
    go: it relays one line, waits for a line on stdin, relays another."""
    s = conn()
    s.sendall(greeting() + req_ipv4(ARGS[0], int(ARGS[1])))
    if recv_exact(s, 2) != b"\x05\x00" or socks_reply(s) != "00":
        print("no-tunnel", flush=True)
        return "failed"
    s.sendall(b"first\n")
    ok = recv_exact(s, 6) == b"first\n"
    print("holding" if ok else "lost", flush=True)
    sys.stdin.readline()
    return echo_through(s)


CASES = {
    "socks": case_socks,
    "auth": case_auth,
    "noauth-offered": case_noauth_offered,
    "http": case_http,
    "hostile": case_hostile,
    "huge-line": case_huge_line,
    "slow": case_slow,
    "hold": case_hold,
}

try:
    print(CASES[CASE](), flush=True)
except socket.timeout:
    print("client-timeout", flush=True)
except ConnectionRefusedError:
    print("proxy-refused", flush=True)
