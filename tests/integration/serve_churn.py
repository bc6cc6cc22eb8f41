#!/usr/bin/env python3
"""serve_churn.py - clients that keep connecting to an echo endpoint, for
the reload and hand-over tests: each connects, sends a line of its own,
half-closes, reads the echo to the end, checks it and closes.

    serve_churn.py HOST PORT MIN STOPFILE SECONDS OUT [THREADS]

Runs until STOPFILE exists and MIN connections were made (or SECONDS
passed: then the verdict says so), writes the number made so far to
OUT.progress as it goes, and at the end one line to OUT:

    made=N ok=N refused=N reset=N wrong=N other=N [timeout]
"""
import os
import socket
import sys
import threading
import time

host, port, need, stop, secs, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    sys.argv[4], float(sys.argv[5]), sys.argv[6]
nthreads = int(sys.argv[7]) if len(sys.argv) > 7 else 4
deadline = time.monotonic() + secs
lock = threading.Lock()
count = {"made": 0, "ok": 0, "refused": 0, "reset": 0, "wrong": 0, "other": 0}
notes = []


def one(n):
    msg = ("client %d %s\n" % (n, "x" * (n % 97))).encode()
    try:
        with socket.create_connection((host, port), timeout=10) as s:
            s.sendall(msg)
            s.shutdown(socket.SHUT_WR)
            got = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
        return "ok" if got == msg else "wrong"
    except ConnectionRefusedError:
        return "refused"
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    except OSError as e:
        with lock:
            notes.append(repr(e))
        return "other"


def worker():
    while time.monotonic() < deadline:
        with lock:
            if count["made"] >= need and os.path.exists(stop):
                return
            count["made"] += 1
            n = count["made"]
        verdict = one(n)
        with lock:
            count[verdict] += 1
            made = count["made"]
        if n % 10 == 0:
            tmp = out + ".progress.tmp"
            with lock:
                with open(tmp, "w") as f:
                    f.write("%d\n" % made)
                os.replace(tmp, out + ".progress")


threads = [threading.Thread(target=worker) for _ in range(nthreads)]
for t in threads:
    t.start()
for t in threads:
    t.join()
line = " ".join("%s=%d" % (k, v) for k, v in count.items())
if time.monotonic() >= deadline:
    line += " timeout"
with open(out, "w") as f:
    f.write(line + "\n")
    for n in notes[:5]:
        f.write("note " + n + "\n")
