#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Traffic loops for the fault suite (tests/suites.d/faults.sh).

loop.py short HOST PORT --out FILE --stop FILE [--workers N] [--src ADDR]
               [--header none|v1|v2|mix] [--expect TEXT] [--timeout S]
               [--pause S] [--count N]
    New connections, one after the other in each of N workers, until FILE
    --stop exists (or N connections were made): each sends [a forged PROXY header claiming
    203.0.113.X:PORT, X rotating, then] "GET / HTTP/1.0" and reads the
    answer. One record per attempt in --out:
        TIME ok|fail|answered|blocked DETAIL
    ok/fail (--header none, a trusted client through the balancer): the
    answer contains --expect, or not (DETAIL says what happened);
    answered/blocked (a forged header): an HTTP answer came back (the
    header got through), or the connection was reset, closed or timed out;
    a forged connection is aborted (RST) when given up, not left to
    retransmit its header.

loop.py keep HOST PORT --out FILE --stop FILE [--interval S] [--expect TEXT]
    One long-lived HTTP/1.1 keep-alive connection, a request every
    --interval seconds until --stop exists; a record per request:
        TIME ok|fail LOCALPORT DETAIL
    The first failure ends the loop (exit status 1): an established
    connection that breaks does not come back.

At the end one JSON summary line goes to stdout.
"""
import argparse
import json
import os
import socket
import struct
import sys
import threading
import time

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def forged(kind, i, dst, dport):
    claim = "203.0.113.%d" % (i % 250 + 1)
    sport = 40000 + i % 20000
    if kind == "mix":
        kind = "v1" if i % 2 else "v2"
    if kind == "v1":
        return ("PROXY TCP4 %s %s %d %d\r\n" %
                (claim, dst, sport, dport)).encode()
    body = socket.inet_aton(claim) + socket.inet_aton(dst) + \
        struct.pack("!HH", sport, dport)
    return V2_SIG + b"\x21\x11" + struct.pack("!H", len(body)) + body


class Recorder:
    def __init__(self, path):
        self.f = open(path, "a", buffering=1)
        self.lock = threading.Lock()
        self.counts = {}

    def rec(self, outcome, detail):
        with self.lock:
            self.counts[outcome] = self.counts.get(outcome, 0) + 1
            self.f.write("%.6f %s %s\n" % (time.time(), outcome, detail))


def one_short(a, i):
    """One connection: (got an HTTP answer, answer text or error)"""
    s = socket.socket(socket.AF_INET6 if ":" in a.host else socket.AF_INET)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(a.timeout)
    try:
        if a.src:
            s.bind((a.src, 0))
        s.connect((a.host, a.port))
        data = b"GET / HTTP/1.0\r\nHost: faults\r\n\r\n"
        if a.header != "none":
            ip = s.getpeername()[0]
            data = forged(a.header, i, ip, a.port) + data
        s.sendall(data)
        resp = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            resp += d
    except socket.timeout:
        return False, "timeout"
    except OSError as e:
        return False, e.__class__.__name__
    finally:
        if a.header != "none":
            # abort (RST): an orphan would retransmit the forged header
            # for minutes; once ppguard is detached, a SYN-cookie server
            # takes such a retransmission for a new connection
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
        s.close()
    if not resp:
        return False, "closed"
    if not resp.startswith(b"HTTP/"):
        return False, "not-http"
    body = resp.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip()
    return True, body or "empty"


def short(a):
    r = Recorder(a.out)
    n = [0]
    lock = threading.Lock()

    def worker():
        while not os.path.exists(a.stop):
            with lock:
                i = n[0]
                n[0] += 1
            if a.count and i >= a.count:
                break
            got, what = one_short(a, i)
            if a.header != "none":
                what += " claim=203.0.113.%d:%d" % (i % 250 + 1, 40000 + i % 20000)
            if a.header == "none":
                ok = got and a.expect in what
                r.rec("ok" if ok else "fail", what.replace(" ", "_"))
            else:
                r.rec("answered" if got else "blocked",
                      what.replace(" ", "_"))
            if a.pause:
                time.sleep(a.pause)

    ts = [threading.Thread(target=worker, daemon=True)
          for _ in range(a.workers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(json.dumps(dict(r.counts, attempts=sum(r.counts.values()))))
    return 0


def read_response(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        if not d:
            raise ConnectionError("closed")
        buf += d
    head, body = buf.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        d = s.recv(4096)
        if not d:
            raise ConnectionError("closed")
        body += d
    return head.split(b"\r\n")[0].decode(), body.decode(errors="replace")


def keep(a):
    r = Recorder(a.out)
    s = socket.socket(socket.AF_INET6 if ":" in a.host else socket.AF_INET)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(a.timeout)
    rc = 0
    try:
        s.connect((a.host, a.port))
    except OSError as e:
        r.rec("fail", "- connect:%s" % e.__class__.__name__)
        print(json.dumps(dict(r.counts, requests=0)))
        return 1
    lport = s.getsockname()[1]
    req = b"GET / HTTP/1.1\r\nHost: faults\r\n\r\n"
    while not os.path.exists(a.stop):
        t = time.time()
        try:
            s.sendall(req)
            status, body = read_response(s)
            ok = " 200 " in status + " " and a.expect in body
            r.rec("ok" if ok else "fail", "%d %s" % (lport, body.strip()
                                                   .replace(" ", "_")))
            if not ok:
                rc = 1
                break
        except (OSError, ConnectionError, ValueError) as e:
            r.rec("fail", "%d %s" % (lport, e.__class__.__name__))
            rc = 1
            break
        time.sleep(max(0.0, a.interval - (time.time() - t)))
    s.close()
    print(json.dumps(dict(r.counts, requests=sum(r.counts.values()),
                          local_port=lport)))
    return rc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["short", "keep"])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--out", required=True)
    ap.add_argument("--stop", required=True)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--src")
    ap.add_argument("--header", default="none",
                    choices=["none", "v1", "v2", "mix"])
    ap.add_argument("--expect", default="client ")
    ap.add_argument("--timeout", type=float, default=3.0)
    ap.add_argument("--pause", type=float, default=0.0)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--interval", type=float, default=0.1)
    a = ap.parse_args()
    return short(a) if a.mode == "short" else keep(a)


if __name__ == "__main__":
    sys.exit(main())
