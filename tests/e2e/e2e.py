#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Helpers of the end-to-end suite (tests/suites.d/e2e.sh) and the demo
(scripts/demo.sh): waiting for ppguard's JSON events, reading `ppguard
conns --json`, `bpftool -j map dump` of the flow table and Prometheus' HTTP
API, and a client that holds its connection open.

  e2e.py ev FILE SKIP TIMEOUT KEY=VALUE...   first event after line SKIP with
                                             every KEY=VALUE; printed; exit 1
                                             if none within TIMEOUT seconds
  e2e.py count FILE KEY=VALUE...             how many events match
  e2e.py conns FILE KEY=VALUE...             the `conns --json` entry that
                                             matches, printed; exit 1 if none
  e2e.py flow FILE CLIENT_ADDR CLIENT_PORT PEER_ADDR
                                             the flow (bpftool -j map dump)
                                             whose declared client and peer
                                             these are, printed; exit 1 if none
  e2e.py hold HOST PORT SECONDS OUT          HTTP/1.1 request through a kept-
                                             alive connection; writes "PORT
                                             <local port>" and the body to OUT,
                                             then keeps the connection open
  e2e.py prom URL QUERY                      sum of an instant query's values
                                             ("none" when it has no series)
  e2e.py promcount URL EVENTS IFACE TIMEOUT "PORT REASON ACTION"...
                                             Prometheus' connections_total of
                                             each row equals the number of
                                             such events (and is not 0)
A VALUE matches the event's field as a string ("80" matches 80).
"""
import ipaddress
import json
import os
import socket
import sys
import time
import urllib.parse
import urllib.request


def matches(obj, pairs):
    for k, v in pairs:
        if k not in obj or str(obj[k]) != v:
            return False
    return True


def parse_pairs(args):
    return [tuple(a.split("=", 1)) for a in args]


def read_events(path, skip):
    out = []
    try:
        with open(path) as f:
            lines = f.readlines()
    except FileNotFoundError:
        return out
    for line in lines[skip:]:
        if not line.endswith("\n"):
            break  # being written
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def cmd_ev(path, skip, timeout, *pairs):
    want = parse_pairs(pairs)
    end = time.monotonic() + float(timeout)
    while True:
        for e in read_events(path, int(skip)):
            if matches(e, want):
                print(json.dumps(e, separators=(",", ":")))
                return 0
        if time.monotonic() > end:
            return 1
        time.sleep(0.05)


def cmd_count(path, *pairs):
    want = parse_pairs(pairs)
    print(sum(1 for e in read_events(path, 0) if matches(e, want)))
    return 0


def cmd_conns(path, *pairs):
    want = parse_pairs(pairs)
    with open(path) as f:
        for c in json.load(f):
            if matches(c, want):
                print(json.dumps(c, separators=(",", ":")))
                return 0
    return 1


def addr16(text):
    return list(ipaddress.ip_address(text).packed.ljust(16, b"\0"))


def cmd_flow(path, client, port, peer):
    with open(path) as f:
        flows = json.load(f)
    for e in flows:
        e = e.get("formatted", e)  # bpftool -j: raw bytes + BTF fields
        k, v = e.get("key", {}), e.get("value", {})
        if (v.get("src_addr") == addr16(client) and
                str(v.get("src_port")) == port and
                k.get("peer") == addr16(peer)):
            print(json.dumps(e, separators=(",", ":")))
            return 0
    return 1


def cmd_hold(host, port, secs, out):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect((host, int(port)))
    s.sendall(b"GET / HTTP/1.1\r\nHost: e2e\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    body = data.split(b"\r\n\r\n", 1)[-1].decode(errors="replace")
    with open(out + ".tmp", "w") as f:
        f.write("PORT %d\n%s" % (s.getsockname()[1], body))
    os.rename(out + ".tmp", out)
    time.sleep(float(secs))
    s.close()
    return 0


def cmd_prom(url, query):
    vals = prom_series(url, query)
    if not vals:
        print("none")
        return 0
    total = sum(float(v["value"][1]) for v in vals)
    print(int(total) if total == int(total) else total)
    return 0


def prom_series(url, query):
    q = urllib.parse.urlencode({"query": query})
    with urllib.request.urlopen(url + "/api/v1/query?" + q, timeout=3) as r:
        res = json.load(r)
    return res.get("data", {}).get("result", [])


def cmd_promcount(url, events, iface, timeout, *rows):
    """Each row "PORT REASON ACTION": Prometheus' ppguard_connections_total
    of that row must equal the number of such events, and be non-zero.
    Polls until every row agrees or TIMEOUT; prints one line per row."""
    want = {}
    evs = read_events(events, 0)
    for row in rows:
        port, reason, action = row.split()
        want[row] = sum(1 for e in evs if str(e.get("port")) == port and
                        e.get("reason") == reason and
                        e.get("action") == action)
    end = time.monotonic() + float(timeout)
    while True:
        got = {}
        try:
            for v in prom_series(url, 'ppguard_connections_total{iface="%s"}'
                                 % iface):
                m = v["metric"]
                key = "%s %s %s" % (m.get("port"), m.get("reason"),
                                    m.get("action"))
                got[key] = int(float(v["value"][1]))
        except OSError:
            pass
        ok = all(got.get(r) == want[r] and want[r] > 0 for r in rows)
        if ok or time.monotonic() > end:
            break
        time.sleep(0.25)
    for r in rows:
        print("%s: prometheus %s, events %d%s" % (
            r, got.get(r, "none"), want[r],
            "" if got.get(r) == want[r] and want[r] > 0 else "  <-- differs"))
    return 0 if ok else 1


CMDS = {"ev": cmd_ev, "count": cmd_count, "conns": cmd_conns,
        "flow": cmd_flow, "hold": cmd_hold, "prom": cmd_prom,
        "promcount": cmd_promcount}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS:
        sys.stderr.write(__doc__)
        sys.exit(64)
    sys.exit(CMDS[sys.argv[1]](*sys.argv[2:]))
