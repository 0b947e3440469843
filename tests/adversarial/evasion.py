#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Evasion suite: forged PROXY headers from a raw TCP stack, real servers.

Plays an attacker that knows how ppguard works. Its own TCP stack (scapy
builds every frame, an AF_PACKET socket sends it exactly as built and a
thread reads the server's replies) connects from the attacker namespace to
nginx (`listen ... proxy_protocol`) and HAProxy (`bind ... accept-proxy`) on
the server and delivers a forged header (client 198.51.100.7 or
2001:db8::7) split, reordered, withheld, overlapped, before ISN+1, in the
SYN (TCP Fast Open), in IP fragments, behind IPv6 extension headers, from
the prefix next to a trusted one, on flows ppguard has no state for, and,
from the trusted balancer, behind a genuine header (stacked).

Phases: "control" runs every case with ppguard detached and shows which
ones reach the servers (a case that is asserted there must reach them, so
the suite can fail); "tc" and "xdp" attach ppguard and require, per case,
family and server:
  - the forged address is in no server log (each case declares its own
    client port, so a leak names the case);
  - the server's TCP never acknowledged the whole forged header (its ACKs
    are read off the wire);
  - ppguard's counters moved exactly as the case expects (reason/action
    of every connection decision, from `ppguard status --json`) and the
    attack flow's entry (`ppguard conns --json`) names the reason;
  - with action reset, the server's socket is gone.
Prints TAP. Run as root in the attacker namespace with `nsenter --net`
(not `ip netns exec`, which remounts /sys and hides the bpffs that
`ppguard status` reads). tests/suites.d/evasion.sh sets everything up.

Environment (from scripts/topology.sh plus the suite): NS_SRV NS_LB SRV_IF
SRV4 SRV6 LB4 LB6 ATK4 ATK6 STATE EV_DIR EV_CONF SRV_MAC PPG_BIN, and
optionally EV_REPORT (a Markdown table is written there).

usage: evasion.py [--phases control,tc,xdp] [--only SUBSTRING] [--list]
       evasion.py --write-corpus DIR
"""
import argparse
import ctypes
import ipaddress
import json
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time

FORGED = {4: "198.51.100.7", 6: "2001:db8::7"}
# what the trusted-side controls declare: must show up in the logs
LEGIT = {4: "198.51.100.99", 6: "2001:db8::99"}
V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"
REQUEST = b"GET / HTTP/1.0\r\n\r\n"
BENIGN_LINE = b"GET /benign-request-of-some-length HTTP/1.0\r\n"

# Sources next to the trusted prefixes (the suite trusts 198.18.1.0/25 and
# fd00:18:0:1::/65 besides the balancer): the /25 (/65) just above and the
# one just below, and the last address inside (a trusted control).
NEIGHBOURS = {
    4: ["198.18.1.128", "198.18.0.254"],
    6: ["fd00:18:0:1:8000::1", "fd00:18::ffff:ffff:ffff:fffe"],
}
TRUSTED_EDGE = {4: "198.18.1.127", 6: "fd00:18:0:1:7fff:ffff:ffff:ffff"}

# Servers: which, port, ppguard's action there (tests/suites.d/evasion.sh:
# topology nginx :80/:81 and HAProxy :9000; its own nginx :85 fastopen and
# HAProxy :9005 tfo, :9006)
SERVERS = {
    "nginx": ("nginx", 81, "drop"),
    "haproxy": ("haproxy", 9000, "drop"),
    "nginx-reset": ("nginx", 80, "reset"),
    "haproxy-reset": ("haproxy", 9006, "reset"),
    "nginx-tfo": ("nginx", 85, "drop"),
    "haproxy-tfo": ("haproxy", 9005, "drop"),
}
FLOOD_PORT = 84  # protected, nothing listens: SYNs only fill the flow table

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
CLONE_NEWNET = 0x40000000

ENV = os.environ


def env(name):
    v = ENV.get(name)
    if not v:
        sys.exit(f"evasion: ${name} is not set (run tests/suites.d/evasion.sh)")
    return v


# ---------------------------------------------------------------- headers

def v2_header(fam, claim, cport, dst, dport):
    body = ipaddress.ip_address(claim).packed + \
        ipaddress.ip_address(dst).packed + struct.pack("!HH", cport, dport)
    return V2_SIG + bytes([0x21, 0x11 if fam == 4 else 0x21]) + \
        struct.pack("!H", len(body)) + body


def v1_header(fam, claim, cport, dst, dport):
    return (f"PROXY TCP{fam} {claim} {dst} {cport} {dport}\r\n").encode()


# ---------------------------------------------------------------- wire

class Wire:
    """Frames out through AF_PACKET exactly as built (no kernel TCP, no
    netfilter on the way), and a thread that hands the server's segments to
    the connection they belong to."""

    def __init__(self, ifname, dmac):
        from scapy.all import Ether, get_if_hwaddr
        self.Ether = Ether
        self.smac = get_if_hwaddr(ifname)
        self.dmac = dmac
        self.tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.tx.bind((ifname, 0))
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                socket.htons(ETH_P_ALL))
        self.rx.bind((ifname, ETH_P_ALL))
        self.rx.settimeout(0.1)
        self.conns = {}
        self.lock = threading.Lock()
        self.stop = False
        self.sent = 0
        self.thread = threading.Thread(target=self._rx_loop, daemon=True)
        self.thread.start()

    def frame(self, pkt):
        return bytes(self.Ether(src=self.smac, dst=self.dmac) / pkt)

    def send(self, pkt):
        self.send_raw(self.frame(pkt))

    def send_raw(self, frame):
        self.tx.send(frame)
        self.sent += 1

    def register(self, conn):
        with self.lock:
            self.conns[(conn.src_packed, conn.sport, conn.dport)] = conn

    def _rx_loop(self):
        while not self.stop:
            try:
                data, addr = self.rx.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if addr[2] == PACKET_OUTGOING or len(data) < 54:
                continue
            et = struct.unpack_from("!H", data, 12)[0]
            if et == 0x0800:
                ihl = (data[14] & 15) * 4
                if data[23] != 6:
                    continue
                dst = data[30:34]
                tot = struct.unpack_from("!H", data, 16)[0]
                t = 14 + ihl
                plen_all = tot - ihl
            elif et == 0x86DD:
                if data[20] != 6:
                    continue
                dst = data[38:54]
                t = 54
                plen_all = struct.unpack_from("!H", data, 18)[0]
            else:
                continue
            if len(data) < t + 20:
                continue
            sport, dport, seq, ack, offflags = struct.unpack_from(
                "!HHIIH", data, t)
            doff = (offflags >> 12) * 4
            flags = offflags & 0x3F
            with self.lock:
                c = self.conns.get((dst, dport, sport))
            if c:
                c.on_segment(seq, ack, flags, plen_all - doff,
                             data[t + 20:t + doff])

    def close(self):
        self.stop = True
        self.thread.join(1)
        self.tx.close()
        self.rx.close()


def tcp_options(raw):
    """TCP options of a segment as {kind: value bytes}."""
    out, i = {}, 0
    while i < len(raw):
        k = raw[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        if i + 1 >= len(raw) or raw[i + 1] < 2:
            break
        out[k] = raw[i + 2:i + raw[i + 1]]
        i += raw[i + 1]
    return out


class Conn:
    """One raw TCP connection of the attacker. Stream offsets count from
    ISN+1. The server's highest ACK tells how many bytes its TCP took."""

    def __init__(self, wire, fam, src, dst, dport, sport):
        from scapy.all import IP, IPv6, TCP, Raw
        self.IP, self.IPv6, self.TCP, self.Raw = IP, IPv6, TCP, Raw
        self.w = wire
        self.fam = fam
        self.src, self.dst = src, dst
        self.src_packed = ipaddress.ip_address(src).packed
        self.dport, self.sport = dport, sport
        self.isn = random.getrandbits(32)
        self.irs = None
        self.max_ack = None  # highest ACK from the server, absolute
        self.rst = False
        self.fin = False
        self.cookie = None
        self.no_synack = False
        self.synack = threading.Event()
        wire.register(self)

    # -- receive side (the wire's thread)
    def on_segment(self, seq, ack, flags, plen, opts):
        if flags & 0x04:
            self.rst = True
            return
        if flags & 0x02 and flags & 0x10:  # SYN-ACK
            self.irs = seq
            o = tcp_options(opts)
            if 34 in o and o[34]:
                self.cookie = o[34]
        if flags & 0x10:
            if self.max_ack is None or \
                    ((ack - self.max_ack) & 0xFFFFFFFF) < 0x80000000:
                self.max_ack = ack
        if flags & 0x01:
            self.fin = True
        if flags & 0x02:
            self.synack.set()

    def acked(self):
        """Stream bytes the server's TCP acknowledged (beyond the SYN)."""
        if self.max_ack is None:
            return 0
        n = (self.max_ack - self.isn - 1) & 0xFFFFFFFF
        return 0 if n >= 0x80000000 else n

    # -- send side
    def ip(self):
        if self.fam == 4:
            return self.IP(src=self.src, dst=self.dst)
        return self.IPv6(src=self.src, dst=self.dst)

    def seq(self, off):
        return (self.isn + 1 + off) & 0xFFFFFFFF

    def segment(self, off, data, flags="PA", chksum=None, urgptr=0,
                ext=None):
        """The IP packet of one segment at stream offset off."""
        tcp = self.TCP(sport=self.sport, dport=self.dport, seq=self.seq(off),
                       ack=((self.irs or 0) + 1) & 0xFFFFFFFF, flags=flags,
                       window=64240, urgptr=urgptr)
        if chksum is not None:
            tcp.chksum = chksum
        pkt = self.ip()
        for h in ext or []:
            pkt = pkt / h
        pkt = pkt / tcp
        if data:
            pkt = pkt / self.Raw(data)
        return pkt

    def send(self, off, data, flags="PA", **kw):
        self.w.send(self.segment(off, data, flags, **kw))

    def syn(self, data=b"", tfo=None):
        opts = [("MSS", 1460)]
        if tfo is not None:
            opts.append(("TFO", tfo))
        tcp = self.TCP(sport=self.sport, dport=self.dport, seq=self.isn,
                       flags="S", window=64240, options=opts)
        pkt = self.ip() / tcp
        if data:
            pkt = pkt / self.Raw(data)
        self.w.send(pkt)

    def connect(self, timeout=0.5, ack=True, tries=3):
        """Handshake; the SYN is sent again, as a stack would, when no
        SYN-ACK comes (a queue just filled by a flood drops it)."""
        for _ in range(tries):
            self.syn()
            if self.synack.wait(timeout):
                break
        else:
            self.no_synack = True
            return False
        if ack:
            self.send(0, b"", flags="A")
        return True

    def reset(self):
        """Tear the server's socket down: a RST at the server's rcv_nxt."""
        if self.irs is None:
            return
        seq = self.max_ack if self.max_ack is not None else self.seq(0)
        tcp = self.TCP(sport=self.sport, dport=self.dport, seq=seq,
                       flags="R", window=0)
        self.w.send(self.ip() / tcp)


# ---------------------------------------------------------------- ppguard

class Ppguard:
    def __init__(self, binary, ns, ifname, conf):
        self.bin, self.ns, self.ifname, self.conf = binary, ns, ifname, conf

    def run(self, *args, check=True):
        cmd = ["nsenter", f"--net=/run/netns/{self.ns}", self.bin] + \
            list(args)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: "
                               f"{r.stderr.strip()}")
        return r

    def attach(self, mode):
        self.run("attach", "-i", self.ifname, "-c", self.conf,
                 "--mode", mode)

    def detach(self):
        self.run("detach", "-i", self.ifname, check=False)

    def counters(self):
        st = json.loads(self.run("status", "-i", self.ifname,
                                 "--json").stdout)[0]
        out = {}
        for reason, acts in st["connections"].items():
            for act, n in acts.items():
                out[f"{reason}/{act}"] = n
        for k, n in st["packets"].items():
            out[f"pkt/{k}"] = n
        for k, n in st["other"].items():
            out[k] = n
        out["flows"] = st["entries"]["flows"]
        out["flows_max"] = st["entries"]["flows_max"]
        return out

    def conns(self):
        return json.loads(self.run("conns", "-i", self.ifname,
                                   "--json").stdout)

    def flow_lookup(self, conn):
        """The flow entry of conn by key (bpftool: no dump of a full
        table), None when there is none."""
        key = bytearray(40)
        a = conn.src_packed
        key[0:len(a)] = a
        b = ipaddress.ip_address(conn.dst).packed
        key[16:16 + len(b)] = b
        struct.pack_into("!HH", key, 32, conn.sport, conn.dport)
        key[36] = conn.fam
        pin = f"/sys/fs/bpf/ppguard/{self.ifname}/flows"
        r = subprocess.run(["bpftool", "-j", "map", "lookup", "pinned", pin,
                            "key", "hex"] + [f"{x:02x}" for x in key],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None
        v = json.loads(r.stdout)
        return v.get("formatted", v).get("value")


def peer_key(s):
    """"198.18.0.66:4000" or "[fd00::66]:4000" -> (address, port)."""
    host, port = s.rsplit(":", 1)
    return str(ipaddress.ip_address(host.strip("[]"))), int(port)


IGNORED = {"healthcheck/pass"}  # the balancer's checks to :9000, every second


def delta(before, after):
    out = {}
    for k, v in after.items():
        d = v - before.get(k, 0)
        if d:
            out[k] = d
    return out


# ---------------------------------------------------------------- namespaces

_libc = ctypes.CDLL(None, use_errno=True)


def in_netns(ns, fn, *args):
    """Run fn(*args) in a thread that entered network namespace ns: its
    sockets stay in that namespace once the thread is gone."""
    box = {}

    def body():
        fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, f"setns {ns}: {os.strerror(e)}")
            box["r"] = fn(*args)
        except Exception as e:  # handed to the caller
            box["e"] = e
        finally:
            os.close(fd)

    t = threading.Thread(target=body)
    t.start()
    t.join()
    if "e" in box:
        raise box["e"]
    return box["r"]


def lb_connect(fam, dst, port):
    s = socket.socket(socket.AF_INET if fam == 4 else socket.AF_INET6,
                      socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(2)
    s.connect((dst, port))
    return s


# ---------------------------------------------------------------- logs

class Logs:
    """The servers' logs: nginx "$proxy_protocol_addr $proxy_protocol_port
    ..." and HAProxy "ppPORT %ci %cp ..." lines."""

    def __init__(self, files):
        self.files = files
        self.start = {}

    def mark(self):
        """Later reads see only what is logged from now on."""
        self.start = {f: os.path.getsize(f) if os.path.exists(f) else 0
                      for f in self.files}

    def lines(self):
        out = []
        for f in self.files:
            try:
                with open(f, "rb") as fh:
                    fh.seek(self.start.get(f, 0))
                    out += fh.read().decode(errors="replace").splitlines()
            except FileNotFoundError:
                pass
        return out

    def clients(self):
        """(declared address, declared port) of every connection logged
        since mark(), and the lines that mention a forged address."""
        seen, anywhere = [], []
        for ln in self.lines():
            f = ln.split()
            if len(f) >= 3 and f[0].startswith("pp") and f[0][2:].isdigit():
                addr, port = f[1], f[2]
            elif len(f) >= 2:
                addr, port = f[0], f[1]
            else:
                continue
            if port.isdigit():
                seen.append((addr, int(port)))
            if FORGED[4] in ln or FORGED[6] in ln:
                anywhere.append(ln)
        return seen, anywhere


# ---------------------------------------------------------------- cases

class Ctx:
    """What a case runs with: one family, one server, one phase."""

    def __init__(self, suite, fam, server, phase, name):
        self.s = suite
        self.fam = fam
        self.server = server
        self.sname, self.port, self.action = SERVERS[server]
        self.phase = phase
        self.dst = suite.srv[fam]
        self.src = suite.atk[fam]
        self.cport = suite.next_claim_port()
        suite.claims[self.cport] = f"{phase} v{fam} {server} {name}"
        self.conns = []  # the attack connections (checked for ACKs, flows)
        self.extra = {}  # case-specific facts for the report

    def conn(self, src=None, dport=None):
        c = Conn(self.s.wire, self.fam, src or self.src, self.dst,
                 dport or self.port, self.s.next_sport())
        self.conns.append(c)
        return c

    def header(self, ver=2, claim=None):
        claim = claim or FORGED[self.fam]
        f = v2_header if ver == 2 else v1_header
        return f(self.fam, claim, self.cport, self.dst, self.port)

    def stream(self, ver=2, claim=None):
        return self.header(ver, claim) + REQUEST


class Case:
    """name; run(ctx) sends; expect(ctx) -> counter deltas wanted;
    flow: reason the attack flow's entry must name (None: no decision
    kept, e.g. a fragment); control: "reach" (must reach the server with
    ppguard detached), "info" (reported only) or None (not run)."""

    def __init__(self, name, run, fams=(4, 6), servers=("nginx", "haproxy"),
                 expect=None, flow="untrusted_header", flags=(),
                 control="reach", misc=None, gap=None, legit=False,
                 check_acked=True):
        self.name, self.run = name, run
        self.fams, self.servers = fams, servers
        self.expect = expect or (lambda c: {f"untrusted_header/{c.action}": 1})
        self.flow, self.flags = flow, flags
        self.control, self.misc = control, misc or {}
        self.gap = gap  # a documented blind spot: expected to get through
        self.legit = legit  # a trusted control: the header must be logged
        # the server's TCP must not have taken the whole header (off for
        # a case where it takes other bytes first)
        self.check_acked = check_acked


def whole(ver):
    def run(c):
        x = c.conn()
        if x.connect():
            x.send(0, c.stream(ver), flags="FPA")
    return run


def split_at(ver, k):
    def run(c):
        x = c.conn()
        if x.connect():
            s = c.stream(ver)
            x.send(0, s[:k])
            x.send(k, s[k:], flags="FPA")
    return run


def bytewise(ver):
    def run(c):
        x = c.conn()
        if x.connect():
            h = c.header(ver)
            for i in range(len(h)):
                x.send(i, h[i:i + 1])
            x.send(len(h), REQUEST, flags="FPA")
    return run


def reorder(c):
    """Pieces 2, 4, 3, then 1, then (as a real stack would on the
    receiver's SACKs) 2, 3, 4 again."""
    x = c.conn()
    if not x.connect():
        return
    s = c.stream(2)
    cut = [0, 4, 9, 17, len(s)]
    p = [(cut[i], s[cut[i]:cut[i + 1]]) for i in range(4)]
    for i in (1, 3, 2, 0, 1, 2, 3):
        x.send(p[i][0], p[i][1], flags="FPA" if i == 3 else "PA")


def withheld(ver):
    def run(c):
        x = c.conn()
        if not x.connect():
            return
        s = c.stream(ver)
        x.send(1, s[1:], flags="FPA")
        time.sleep(0.02)
        x.send(0, s[:1])
        time.sleep(0.02)
        x.send(1, s[1:], flags="FPA")  # the retransmission
    return run


def benign(n):
    b = (BENIGN_LINE * (n // len(BENIGN_LINE) + 1))[:n - 2] + b"\r\n"
    return b


def overlap_benign_first(bad_sum):
    """Benign bytes, then the header at the same sequence numbers. With a
    bad checksum the server never takes the benign copy, so without
    ppguard the header is what it reads."""
    def run(c):
        x = c.conn()
        if not x.connect():
            return
        s = c.stream(2)
        x.send(0, benign(len(s)), chksum=0xBAD0 if bad_sum else None)
        time.sleep(0.02)
        x.send(0, s, flags="FPA")
    return run


def overlap_header_first(c):
    x = c.conn()
    if not x.connect():
        return
    s = c.stream(2)
    x.send(0, s)
    time.sleep(0.02)
    x.send(0, benign(len(s)), flags="FPA")


def pre_isn(ack_first, lead=b""):
    """A segment from ISN+1-5 covering the start of the stream: the
    receiver trims the 5 bytes it never expected. ack_first: after the
    handshake's ACK (ppguard's flow is open); else as the first segment
    after the SYN. lead: stream bytes sent at ISN+1 first."""
    def run(c):
        x = c.conn()
        if not x.connect(ack=ack_first):
            return
        s = c.stream(2)
        if lead:
            x.send(0, s[:len(lead)])
        x.send(-5, b"xxxxx" + s, flags="FPA")
    return run


def tfo(c):
    """TCP Fast Open: get a cookie (a SYN with an empty TFO option), then
    a SYN carrying the cookie and the whole forged stream."""
    probe = c.conn()
    probe.syn(tfo=b"")
    probe.synack.wait(1)
    c.conns.remove(probe)
    probe.reset()
    if not probe.cookie:
        c.extra["error"] = "no TFO cookie in the SYN-ACK"
        return
    x = c.conn()
    x.syn(data=c.stream(2), tfo=probe.cookie)
    x.synack.wait(0.5)


def fragments(kind):
    """The whole forged stream in one TCP segment, sent as IP fragments:
    in order, last fragment first, or a tiny first fragment (8 bytes of
    TCP: ports and sequence number, no flags)."""
    def run(c):
        from scapy.all import IP, IPv6, IPv6ExtHdrFragment, Raw, TCP, \
            fragment, fragment6
        x = c.conn()
        if not x.connect():
            return
        seg = x.segment(0, c.stream(2), flags="FPA")
        tcp_raw = bytes(seg[TCP])  # checksum computed over the whole
        fid = random.getrandbits(16 if c.fam == 4 else 32)
        if c.fam == 4:
            whole_pkt = IP(src=x.src, dst=x.dst, id=fid, proto=6) / \
                Raw(tcp_raw)
            if kind == "tiny":
                frags = [IP(src=x.src, dst=x.dst, id=fid, proto=6,
                            flags="MF", frag=0) / Raw(tcp_raw[:8]),
                         IP(src=x.src, dst=x.dst, id=fid, proto=6,
                            frag=1) / Raw(tcp_raw[8:])]
            else:
                frags = fragment(whole_pkt, fragsize=24)
        else:
            if kind == "tiny":
                fh = dict(nh=6, id=fid)
                frags = [IPv6(src=x.src, dst=x.dst) /
                         IPv6ExtHdrFragment(offset=0, m=1, **fh) /
                         Raw(tcp_raw[:8]),
                         IPv6(src=x.src, dst=x.dst) /
                         IPv6ExtHdrFragment(offset=1, m=0, **fh) /
                         Raw(tcp_raw[8:])]
            else:
                p = IPv6(src=x.src, dst=x.dst) / \
                    IPv6ExtHdrFragment(nh=6, id=fid) / Raw(tcp_raw)
                frags = fragment6(p, 40 + 8 + 32)
        if kind == "reverse":
            frags = list(reversed(frags))
        for f in frags:
            c.s.wire.send(f)
        c.extra["fragments"] = len(frags)
    return run


def ext_headers(spec):
    """The forged stream behind IPv6 extension headers. spec: a string of
    H (hop-by-hop), D (destination options), R (routing type 0, no
    segments left), F (atomic fragment: offset 0, last)."""
    def run(c):
        from scapy.all import IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, \
            IPv6ExtHdrRouting, IPv6ExtHdrFragment, PadN, HBHOptUnknown
        x = c.conn()
        if not x.connect():
            return
        hs = []
        for ch in spec:
            if ch == "H":
                hs.append(IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0" * 4)]))
            elif ch == "B":
                # one big option Linux skips (type 0x1e: "skip if
                # unknown"): the TCP header starts past byte 256
                hs.append(IPv6ExtHdrDestOpt(options=[HBHOptUnknown(
                    otype=0x1E, optlen=250, optdata=b"\0" * 250)]))
            elif ch == "D":
                hs.append(IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)]))
            elif ch == "R":
                hs.append(IPv6ExtHdrRouting(type=0, segleft=0, addresses=[]))
            elif ch == "F":
                hs.append(IPv6ExtHdrFragment(offset=0, m=0,
                                             id=random.getrandbits(32)))
        x.send(0, c.stream(2), flags="FPA", ext=hs)
    return run


def urgent(c):
    """One urgent byte before the header (URG, urgent pointer 1). Without
    SO_OOBINLINE the receiver takes that byte out of the stream: the
    application reads the header from its first byte."""
    x = c.conn()
    if x.connect():
        x.send(0, b"X" + c.stream(2), flags="FPAU", urgptr=1)


def urgent_alone_first(c):
    """The urgent byte alone in the first segment, the header in the next:
    the application reads nothing from the first (its only byte is taken
    out of the stream), then the header whole."""
    x = c.conn()
    if x.connect():
        x.send(0, b"X", flags="PAU", urgptr=1)
        time.sleep(0.02)
        x.send(1, c.stream(2), flags="FPA")


def urgent_retransmission(c):
    """"X" and the header, judged as no header; at once the same segment
    again with URG pointing at the "X": if the application has not read
    yet, the receiver takes the X out of the stream (a race: informative
    without ppguard)."""
    x = c.conn()
    if x.connect():
        s = b"X" + c.stream(2)
        x.send(0, s)
        x.send(0, s, flags="PAU", urgptr=1)


def urgent_pure_ack(c):
    """A pure ACK with URG and pointer 1 (no data): the receiver notes that
    the next byte will be urgent; then "X" and the header without URG."""
    x = c.conn()
    if x.connect():
        x.send(0, b"", flags="AU", urgptr=1)
        time.sleep(0.02)
        x.send(0, b"X" + c.stream(2), flags="FPA")


def from_source(addr_of, claim=None, ver=2):
    def run(c):
        x = c.conn(src=addr_of(c))
        if x.connect():
            x.send(0, c.stream(ver, claim and claim[c.fam]), flags="FPA")
    return run


def stacked(kind):
    """From the trusted balancer (its own kernel's TCP): a genuine header
    (client 198.18.0.10 / fd00:18::10), then a forged one."""
    def run(c):
        s = c.s
        real = {4: "198.18.0.10", 6: "fd00:18::10"}[c.fam]
        first = v2_header(c.fam, real, 50000, c.dst, c.port)
        if kind == "v2v1":
            second = c.header(1)
        else:
            second = c.header(2)
        try:
            sock = in_netns(s.ns_lb, lb_connect, c.fam, c.dst, c.port)
        except OSError as e:
            c.extra["error"] = f"balancer connect: {e}"
            return
        c.extra["lb_port"] = sock.getsockname()[1]
        try:
            if kind == "split":
                sock.send(first)
                time.sleep(0.05)
                sock.send(second + REQUEST)
            else:
                sock.send(first + second + REQUEST)
        except OSError:
            pass
        lb_done(c, sock)
    return run


def lb_done(c, sock):
    """Note the balancer connection's flow entry now, then abort it (a
    RST): its kernel would otherwise retransmit what ppguard dropped for as
    long as the test runs, and once the entry is gone (a later flood, the
    detach) a trusted peer's segment passes."""
    time.sleep(0.03)
    if c.phase != "control":
        lb = c.s.lbaddr(c.fam)
        for f in c.s.ppg.conns():
            if peer_key(f["peer"]) == (lb, c.extra["lb_port"]):
                c.extra["flow"] = f
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    sock.close()


def trusted_lb(c):
    """The balancer declaring a client: ppguard passes it, the server logs
    it (the log check works while ppguard is attached)."""
    s = c.s
    sock = in_netns(s.ns_lb, lb_connect, c.fam, c.dst, c.port)
    c.extra["lb_port"] = sock.getsockname()[1]
    sock.send(c.stream(2, LEGIT[c.fam]))
    sock.shutdown(socket.SHUT_WR)
    s.held.append(sock)  # closed cleanly at the end of the phase


def cases():
    L = []
    L.append(Case("whole-v2", whole(2)))
    L.append(Case("whole-v1", whole(1)))
    for k in range(1, 13):
        L.append(Case(f"split-v2-at-{k}", split_at(2, k), control="info"))
    for k in range(1, 7):
        L.append(Case(f"split-v1-at-{k}", split_at(1, k), control="info"))
    L.append(Case("bytewise-v2", bytewise(2), control="info"))
    L.append(Case("bytewise-v1", bytewise(1), control="info"))
    L.append(Case("reorder-v2", reorder, misc={"out_of_order_dropped": 3}))
    L.append(Case("withheld-first-v2", withheld(2),
                  misc={"out_of_order_dropped": 1}))
    L.append(Case("withheld-first-v1", withheld(1),
                  misc={"out_of_order_dropped": 1}))
    mism = (lambda c: {"no_header/pass": 1, "prefix_mismatch/drop": 1})
    # A late overlap after the application read the judged bytes cannot
    # change what it read (the socket drops it, an urgent pointer before
    # copied_seq is ignored): ppguard passes it as a settled flow. Which
    # one happens depends on when the server read (nginx at once).
    mism_or_settled = (lambda c: [mism(c), {"no_header/pass": 1}])
    L.append(Case("overlap-benign-then-header", overlap_benign_first(False),
                  expect=mism_or_settled, flow="no_header",
                  flags=("mismatch|settled",), control="info",
                  check_acked=False))
    L.append(Case("overlap-badsum-benign-then-header",
                  overlap_benign_first(True), expect=mism, flow="no_header",
                  flags=("mismatch",)))
    L.append(Case("overlap-header-then-benign", overlap_header_first))
    L.append(Case("pre-isn-covering-start", pre_isn(True)))
    L.append(Case("pre-isn-first-segment", pre_isn(False),
                  expect=lambda c: {}, flow=None,
                  misc={"out_of_order_dropped": 1}))
    L.append(Case("pre-isn-after-first-byte", pre_isn(True, lead=b"\r"),
                  control="info"))
    L.append(Case("tfo-syn-data", tfo, servers=("nginx-tfo", "haproxy-tfo"),
                  flags=("syn_data",)))
    for kind in ("inorder", "reverse"):
        L.append(Case(f"fragments-{kind}", fragments(kind),
                      expect=lambda c: {"fragment/drop": 1}, flow=None))
    # Linux drops an IPv6 first fragment without the whole TCP header
    # (RFC 7112): the tiny fragment only works against IPv4
    # the tiny fragment still carries the ports: judged as a first
    # fragment to a protected port
    L.append(Case("fragments-tiny-first", fragments("tiny"),
                  expect=lambda c: {"fragment/drop": 1}, flow=None,
                  misc={"pkt/dropped": 1},
                  control={4: "reach", 6: "info"}))
    for spec, label in (("H", "hop-by-hop"), ("D", "dest-opts"),
                        ("HD", "hop-by-hop+dest-opts"),
                        ("R", "routing-type0-segleft0"),
                        ("F", "atomic-fragment"),
                        ("HDDDDD", "six-headers"),
                        ("B", "big-dest-opts")):
        L.append(Case(f"ipv6-ext-{label}", ext_headers(spec), fams=(6,)))
    # more extension headers than the data path walks: Linux walks any
    # number, so the packet is dropped unless its source is trusted
    for spec, label in (("HDDDDDD", "seven-headers"),
                        ("HDDDDDDDDDDDDDDD", "sixteen-headers")):
        L.append(Case(f"ipv6-ext-{label}", ext_headers(spec), fams=(6,),
                      expect=lambda c: {}, flow=None,
                      misc={"pkt/dropped": 1}))
    # the receiver would read other bytes than the ones judged: the
    # segment is dropped like a retransmission that disagrees
    urg = (lambda c: {"prefix_mismatch/drop": 1})
    L.append(Case("urgent-byte-before-header", urgent, expect=urg,
                  flow=None, flags=("mismatch",)))
    L.append(Case("urgent-byte-alone-first", urgent_alone_first, expect=urg,
                  flow=None, flags=("mismatch",)))
    L.append(Case("urgent-on-retransmission", urgent_retransmission,
                  expect=mism_or_settled, flow="no_header",
                  flags=("mismatch|settled",), control="info",
                  check_acked=False))
    # (its FIN ends the passed flow: the counters carry the verdict)
    L.append(Case("urgent-pointer-in-pure-ack", urgent_pure_ack,
                  expect=mism, flow=None, check_acked=False))
    L.append(Case("neighbour-above-trusted", from_source(
        lambda c: NEIGHBOURS[c.fam][0])))
    L.append(Case("neighbour-below-trusted", from_source(
        lambda c: NEIGHBOURS[c.fam][1])))
    L.append(Case("trusted-edge-control", from_source(
        lambda c: TRUSTED_EDGE[c.fam], claim=LEGIT),
        expect=lambda c: {"trusted_header/pass": 1}, flow=None,
        control=None, legit=True))
    L.append(Case("balancer-control", trusted_lb,
                  expect=lambda c: {"trusted_header/pass": 1}, flow=None,
                  control=None, legit=True))
    L.append(Case("stacked-one-segment", stacked("one"),
                  expect=lambda c: {f"stacked_header/{c.action}": 1},
                  flow="stacked_header", control="info"))
    L.append(Case("stacked-v2-then-v1", stacked("v2v1"),
                  expect=lambda c: {f"stacked_header/{c.action}": 1},
                  flow="stacked_header", control="info"))
    # one decision: the header alone waits for the bytes after it
    L.append(Case("stacked-second-segment", stacked("split"),
                  expect=lambda c: {f"stacked_header/{c.action}": 1},
                  flow="stacked_header", control="info"))
    R = ("nginx-reset", "haproxy-reset")
    L.append(Case("reset-whole-v2", whole(2), servers=R, control=None))
    L.append(Case("reset-whole-v1", whole(1), servers=R, control=None))
    L.append(Case("reset-split-v1-at-3", split_at(1, 3), servers=R,
                  control=None))
    L.append(Case("reset-bytewise-v2", bytewise(2), servers=R, control=None))
    return L


# Cases on flows ppguard has no state for: connected before the attach, or
# evicted by a SYN flood. Each: name, how the data goes, and Case keywords
# (gap: a documented blind spot of the stateless fallback).
STATELESS = (
    ("whole-v2", "whole", {}),
    ("split-v2-at-1", "split1", {}),
    # an untrusted urgent pointer never reaches the socket; no entry
    ("urgent-byte-before-header", "urgent",
     dict(expect=lambda c: {"prefix_mismatch/drop": 1}, flow=None)),
    # junk then the header, starting before the stream's first byte: the
    # start comes from the socket, the junk is trimmed as it will be
    ("pre-isn-covering-start", "preisn", {}),
)


# ---------------------------------------------------------------- suite

class Suite:
    def __init__(self, args):
        self.args = args
        self.srv = {4: env("SRV4"), 6: env("SRV6")}
        self.atk = {4: env("ATK4"), 6: env("ATK6")}
        self.ns_srv, self.ns_lb = env("NS_SRV"), env("NS_LB")
        self.state, self.evdir = env("STATE"), env("EV_DIR")
        self.ppg = Ppguard(env("PPG_BIN"), self.ns_srv, env("SRV_IF"),
                           env("EV_CONF"))
        self.logs = Logs([f"{self.state}/nginx/access.log",
                          f"{self.state}/haproxy-srv/log",
                          f"{self.evdir}/nginx-access.log",
                          f"{self.evdir}/haproxy.log"])
        self.wire = None
        self._claim = 20000
        self._sport = random.randrange(30000, 31000)
        self.n = 0
        self.failed = 0
        self.held = []
        self.last_counters = None
        self.claims = {}  # declared client port -> "phase family server"
        self.results = {}  # (case, phase, fam, server) -> cell text
        self.cases = [c for c in cases()
                      if not args.only or args.only in c.name]

    def next_claim_port(self):
        self._claim += 1
        return self._claim

    def next_sport(self):
        self._sport += 1
        if self._sport > 60999:
            self._sport = 31000
        return self._sport

    # -- TAP
    def ok(self, desc, diag=None):
        self.n += 1
        print(f"ok {self.n} - {desc}", flush=True)

    def not_ok(self, desc, diag=None):
        self.n += 1
        self.failed += 1
        print(f"not ok {self.n} - {desc}", flush=True)
        for ln in (diag or "").splitlines():
            print(f"#   {ln}", flush=True)

    def check(self, cond, desc, diag=None):
        (self.ok if cond else self.not_ok)(desc, diag)
        return cond

    def note(self, text):
        for ln in text.splitlines():
            print(f"# {ln}", flush=True)

    # -- server side facts
    def server_sockets(self):
        r = subprocess.run(["nsenter", f"--net=/run/netns/{self.ns_srv}",
                            "ss", "-Htn", "state", "all"],
                           capture_output=True, text=True)
        out = set()
        for ln in r.stdout.splitlines():
            f = ln.split()
            if len(f) >= 5:
                try:
                    out.add(peer_key(f[4]))
                except ValueError:
                    pass
        return out

    # -- one phase
    def run_phase(self, phase):
        self.note(f"phase {phase}: "
                  + ("ppguard detached" if phase == "control"
                     else f"ppguard attached in {phase.upper()} mode"))
        self.logs.mark()
        pre = []
        if phase != "control":
            # flows that began before the attach: handshake only
            pre = self.stateless_connect("before-attach", phase)
            self.ppg.attach(phase)
            self.last_counters = None
        # right away: HAProxy closes an idle connection after 5 s
        runs = self.stateless_send(pre, phase) if pre else []
        for case in self.cases:
            if phase == "control" and case.control is None:
                continue
            for fam in case.fams:
                for server in case.servers:
                    runs.append(self.run_case(case, fam, server, phase))
        time.sleep(1.0)  # HAProxy logs at session end, ACKs may be delayed
        # the flood below evicts these flows: look at them first
        snap = self.snapshot(phase)
        runs2 = self.evicted(phase) if phase != "control" else []
        if runs2:
            time.sleep(1.0)
        snap2 = self.snapshot(phase) if runs2 else None
        logged, anywhere = self.logged()
        for r in runs:
            self.verify_one(phase, r, logged, *snap)
        for r in runs2:
            self.verify_one(phase, r, logged, *snap2)
        if phase != "control":
            gaps = {r["ctx"].cport for r in runs + runs2 if r["case"].gap}
            rest = [ln for ln in anywhere
                    if not any(f" {p} " in f" {ln} " for p in gaps)]
            self.check(not rest, f"{phase}: no server log line mentions "
                       f"{FORGED[4]} or {FORGED[6]} (known gaps aside: "
                       f"{len(anywhere) - len(rest)} line(s))",
                       "\n".join(f"{ln}  <- {self.leak_of(ln)}"
                                  for ln in rest[:8]))
        for r in runs + runs2:
            for x in r["ctx"].conns:
                x.reset()
        for s in self.held:
            s.close()
        self.held = []
        if phase != "control":
            self.ppg.detach()

    def run_case(self, case, fam, server, phase):
        c = Ctx(self, fam, server, phase, case.name)
        before = None
        if phase != "control":
            before = self.last_counters or self.ppg.counters()
        try:
            case.run(c)
        except Exception as e:  # reported as this case's failure
            c.extra["error"] = f"{type(e).__name__}: {e}"
        r = {"case": case, "ctx": c, "before": before, "after": None}
        if phase != "control":
            time.sleep(0.03)
            r["after"] = self.last_counters = self.ppg.counters()
        return r

    # -- flows without state
    def stateless_connect(self, label, phase):
        out = []
        for name, how, kw in STATELESS:
            case = Case(f"{label}-{name}", None, **kw)
            if case.flow:
                # the local socket said where the stream starts: the
                # flow was adopted and judged from its first byte
                case.flags = ("adopted",)
            if self.args.only and self.args.only not in case.name:
                continue
            for fam in (4, 6):
                for server in ("nginx", "haproxy"):
                    c = Ctx(self, fam, server, phase, case.name)
                    x = c.conn()
                    x.connect()  # a failure is reported with the case
                    out.append((case, how, c, x))
        return out

    def stateless_send(self, pre, phase):
        runs = []
        for case, how, c, x in pre:
            before = self.ppg.counters()
            s = c.stream(2)
            if x.irs is not None:
                if how == "whole":
                    x.send(0, s, flags="FPA")
                elif how == "urgent":
                    x.send(0, b"X" + s, flags="FPAU", urgptr=1)
                elif how == "split1":
                    x.send(0, s[:1])
                    x.send(1, s[1:], flags="FPA")
                else:
                    x.send(-5, b"xxxxx" + s, flags="FPA")
            time.sleep(0.03)
            runs.append({"case": case, "ctx": c, "before": before,
                         "after": self.ppg.counters()})
        return runs

    def evicted(self, phase):
        """Fill the flow table with a SYN flood, connect, flood on until
        every victim flow is gone, then send the forged headers. (Connected
        after a first round: HAProxy drops a connection that sends nothing
        for 5 s, and this flood is no faster than Python.)"""
        t0 = time.time()
        # The LRU keeps new entries on per-CPU lists until that CPU needs
        # room: a flood arriving on one CPU only never evicts what another
        # CPU holds. A NIC's RSS spreads a real flood; here the sender moves
        # from CPU to CPU (veth runs the receive side on the sender's CPU).
        cpus = sorted(os.sched_getaffinity(0))
        size = self.ppg.counters()["flows_max"]
        sent = 0

        def one_round():
            nonlocal sent
            try:
                for cpu in cpus:
                    os.sched_setaffinity(0, {cpu})
                    sent += flood(self.wire, size // len(cpus),
                                  self.srv[4], FLOOD_PORT, seed=sent)
            finally:
                os.sched_setaffinity(0, set(cpus))

        one_round()
        pre = self.stateless_connect("evicted", phase)
        if not pre:
            return []
        for _ in range(6):
            one_round()
            left = [x for _, _, _, x in pre if self.ppg.flow_lookup(x)]
            if not left:
                break
        self.note(f"{phase}: flooded {2 * sent} SYNs from {sent} spoofed "
                  f"sources in {time.time() - t0:.1f}s (flow table of "
                  f"{size}); victim flows still in the table: {len(left)} "
                  f"of {len(pre)}")
        self.check(not left, f"{phase}: a SYN flood ({2 * sent} SYNs from "
                   f"{sent} spoofed sources) evicts the attacker's flows")
        return self.stateless_send(pre, phase)

    # -- verdicts
    def logged(self):
        """{declared port: {declared addresses}} over every server log, and
        the lines that mention a forged address anywhere."""
        seen, anywhere = self.logs.clients()
        logged = {}
        for addr, port in seen:
            logged.setdefault(port, set()).add(addr)
        return logged, anywhere

    def snapshot(self, phase):
        """ppguard's flow entries by peer, and the server's sockets."""
        flows = {}
        if phase == "control":
            return flows, set()
        t0 = time.time()
        for f in self.ppg.conns():
            try:
                flows[peer_key(f["peer"])] = f
            except (KeyError, ValueError):
                pass
        self.note(f"{phase}: {len(flows)} flow entries read in "
                  f"{time.time() - t0:.1f}s")
        return flows, self.server_sockets()

    def verify_one(self, phase, r, logged, flows, sockets):
        case, c = r["case"], r["ctx"]
        forged = FORGED[c.fam]
        addrs = logged.get(c.cport, set())
        reached = forged in addrs
        acked = max([x.acked() for x in c.conns] or [0])
        hlen = len(c.header(2 if "v1" not in case.name else 1))
        label = f"{phase} v{c.fam} {c.sname}:{c.port} {case.name}"
        err = c.extra.get("error")
        if any(x.no_synack for x in c.conns):
            err = (err + "; " if err else "") + "no SYN-ACK from the server"
        if phase == "control":
            cell = "reaches" if reached else "blocked by the server"
            self.results[(case.name, phase, c.fam, c.server)] = cell
            ctl = case.control
            if isinstance(ctl, dict):
                ctl = ctl[c.fam]
            if ctl == "reach":
                self.check(reached and not err,
                           f"{label}: without ppguard the forged header "
                           f"reaches the server (logged as {forged} "
                           f"port {c.cport})",
                           f"logged clients for port {c.cport}: "
                           f"{sorted(addrs)}; server acked {acked} bytes; "
                           f"{err or ''}")
            else:
                self.note(f"{label}: without ppguard: {cell} "
                          f"(server acked {acked} bytes)")
            return
        d = delta(r["before"], r["after"])
        dconn = {k: v for k, v in d.items()
                 if "/" in k and not k.startswith("pkt/") and k not in IGNORED}
        want = case.expect(c) if case.run or case.expect else {}
        problems = []
        if err:
            problems.append(err)
        if case.legit:
            if LEGIT[c.fam] not in addrs:
                problems.append(f"the trusted header ({LEGIT[c.fam]} port "
                                f"{c.cport}) is not in the log")
        elif case.gap:
            pass
        else:
            if reached:
                problems.append(f"FORGED ADDRESS LOGGED: {forged} port "
                                f"{c.cport}")
            if acked >= hlen and case.check_acked:
                problems.append(f"the server acked {acked} bytes, the whole "
                                f"{hlen}-byte header")
        wants = want if isinstance(want, list) else [want]
        if not case.gap and dconn not in wants:
            problems.append(f"decisions {dconn}, want "
                            f"{' or '.join(str(w) for w in wants)}")
        settled_pass = isinstance(want, list) and dconn == wants[-1]
        for k, n in case.misc.items():
            if d.get(k, 0) < n:
                problems.append(f"counter {k} +{d.get(k, 0)}, want >= {n}")
        reason = ", ".join(f"{k}" for k in sorted(dconn)) or \
            ", ".join(f"{k}+{d[k]}" for k in sorted(case.misc) if k in d) \
            or "-"
        if (case.flow or case.flags) and not case.gap:
            fl = None
            for x in c.conns:
                fl = flows.get((x.src, x.sport)) or fl
            if "lb_port" in c.extra:
                fl = c.extra.get("flow")
            if fl is None:
                # a settled, passed flow may already be ended by its FIN
                if not settled_pass:
                    problems.append("no flow entry for the attack "
                                    "connection")
            else:
                if case.flow and fl.get("reason") != case.flow:
                    problems.append(f"flow reason {fl.get('reason')}, want "
                                    f"{case.flow}")
                for fg in case.flags:
                    # "a|b": either flag will do
                    if not set(fg.split("|")) & set(fl.get("flags", [])):
                        problems.append(f"flow flags {fl.get('flags')} "
                                        f"lack {fg}")
        if c.action == "reset" and not case.gap:
            if d.get("pkt/reset", 0) < 1:
                problems.append("no segment rewritten into a RST")
            left = [x.sport for x in c.conns if (x.src, x.sport) in sockets]
            if left:
                problems.append(f"server sockets still open for {left}")
        if case.gap:
            cell = ("GAP: reaches the server" if reached
                    else "blocked") + f" ({reason})"
            self.results[(case.name, phase, c.fam, c.server)] = cell
            if problems:
                self.not_ok(label, "\n".join(problems))
            elif reached:
                self.ok(f"{label} # SKIP known gap, the forged header reached "
                        f"the server: {case.gap}")
            else:
                self.ok(f"{label}: blocked ({reason})")
            return
        verdict = "passed" if case.legit else \
            "REACHED THE SERVER" if reached else "blocked"
        cell = (f"{verdict} ({reason})" if not problems
                else "FAIL: " + "; ".join(problems))
        self.results[(case.name, phase, c.fam, c.server)] = cell
        extra = "" if case.legit else \
            f", the server acked {acked} bytes (header: {hlen})"
        self.check(not problems, f"{label}: {verdict}, ppguard says "
                   f"{reason}{extra}", "\n".join(problems))

    def leak_of(self, line):
        """Which case declared the client port a log line shows."""
        for tok in line.replace('"', " ").split():
            if tok.isdigit() and int(tok) in self.claims:
                return self.claims[int(tok)]
        return "?"

    def lbaddr(self, fam):
        return str(ipaddress.ip_address(env("LB4" if fam == 4 else "LB6")))

    def report(self):
        """A Markdown table: case x server -> result per phase/family."""
        rows = {}
        for (case, phase, fam, server), cell in self.results.items():
            rows.setdefault((case, server), {})[(phase, fam)] = cell
        cols = [(p, f) for p in ("tc", "xdp") for f in (4, 6)] + \
            [("control", 4), ("control", 6)]
        out = ["| case | server | " + " | ".join(
            f"{p.upper() if p != 'control' else 'no ppguard'} IPv{f}"
            for p, f in cols) + " |",
            "|---|---|" + "---|" * len(cols)]
        for (case, server), cells in rows.items():
            out.append(f"| {case} | {server} | " + " | ".join(
                cells.get(k, "n/a") for k in cols) + " |")
        return "\n".join(out)

    def main(self):
        from scapy.all import conf
        conf.verb = 0
        self.wire = Wire(ENV.get("ATK_IF", "eth0"), env("SRV_MAC"))
        try:
            for phase in self.args.phases.split(","):
                self.run_phase(phase)
        finally:
            self.ppg.detach()
            self.wire.close()
        rep = self.report()
        if ENV.get("EV_REPORT"):
            with open(ENV["EV_REPORT"], "w") as f:
                f.write(rep + "\n")
        return 1 if self.failed else 0


# ---------------------------------------------------------------- flood

def csum_add(a, b):
    s = a + b
    return (s & 0xFFFF) + (s >> 16)


def flood(wire, count, dst4, dport, seed=0):
    """count SYNs from spoofed sources 198.19.X.Y (nothing routes back to
    them), each sent twice, as fast as Python can write frames: one
    template, the source's low 16 bits and the port patched in, both
    checksums fixed up incrementally (RFC 1624).

    Twice: the BPF LRU moves an entry that was looked up again (the
    retransmitted SYN) to its active list, and only a long active list
    makes it age the entries there, the attacker's own among them. A flood
    of entries seen once only churns the inactive list and never evicts a
    live connection's entry."""
    from scapy.all import IP, TCP
    base = bytearray(wire.frame(IP(src="198.19.0.0", dst=dst4, ttl=64) /
                                TCP(sport=0, dport=dport, seq=12345,
                                    flags="S", window=1024)))
    ip_ck = struct.unpack_from("!H", base, 24)[0]
    tcp_ck = struct.unpack_from("!H", base, 34 + 16)[0]
    ip_sum = (~ip_ck) & 0xFFFF  # the header's sum with low word 0
    tcp_sum = (~tcp_ck) & 0xFFFF
    send = wire.tx.send
    pack = struct.pack_into
    sent = 0
    for i in range(count):
        n = seed + i
        lo = n & 0xFFFF
        sport = 1024 + ((n >> 16) & 0x3FFF)
        s1 = csum_add(ip_sum, lo)
        s1 = csum_add(s1, 0) & 0xFFFF
        s2 = csum_add(csum_add(tcp_sum, lo), sport)
        s2 = csum_add(s2, 0) & 0xFFFF
        pack("!H", base, 28, lo)
        pack("!H", base, 24, (~s1) & 0xFFFF)
        pack("!H", base, 34, sport)
        pack("!H", base, 34 + 16, (~s2) & 0xFFFF)
        try:
            send(base)
            send(base)
            sent += 1
        except OSError:  # a full queue: carry on
            pass
    return sent


# ---------------------------------------------------------------- corpus

def write_corpus(d):
    """The byte sequences these cases put on the wire, as the receiver's
    stream (what an application reads) or as the segment ppguard saw. The
    names say which; tests/adversarial/corpus/MANIFEST.tsv says what
    `ppguard parse` must make of each."""
    os.makedirs(d, exist_ok=True)
    h4 = v2_header(4, FORGED[4], 20001, "198.18.0.100", 81)
    h6 = v2_header(6, FORGED[6], 20002, "fd00:18::100", 81)
    l4 = v1_header(4, FORGED[4], 20003, "198.18.0.100", 81)
    l6 = v1_header(6, FORGED[6], 20004, "fd00:18::100", 81)
    real = v2_header(4, "198.18.0.10", 50000, "198.18.0.100", 81)
    files = {
        "evasion-stream-v2-inet.bin": h4 + REQUEST,
        "evasion-stream-v2-inet6.bin": h6 + REQUEST,
        "evasion-stream-v1-tcp4.bin": l4 + REQUEST,
        "evasion-stream-v1-tcp6.bin": l6 + REQUEST,
        "evasion-seg-pre-isn-junk-v2.bin": b"xxxxx" + h4 + REQUEST,
        "evasion-seg-urgent-byte-v2.bin": b"X" + h4 + REQUEST,
        "evasion-seg-benign-same-length.bin": benign(len(h4 + REQUEST)),
        "evasion-stream-stacked-v2-v2.bin": real + h4 + REQUEST,
        "evasion-stream-stacked-v2-v1.bin": real + l4 + REQUEST,
        "evasion-seg-withheld-tail-v2.bin": (h4 + REQUEST)[1:],
        "evasion-seg-withheld-tail-v1.bin": (l4 + REQUEST)[1:],
        "evasion-seg-split-v1-tail-at-3.bin": (l4 + REQUEST)[3:],
    }
    for k in range(1, 12):
        files[f"evasion-seg-v2-sig-first-{k}.bin"] = h4[:k]
    for k in range(1, 6):
        files[f"evasion-seg-v1-sig-first-{k}.bin"] = l4[:k]
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    return sorted(files)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--phases", default="control,tc,xdp")
    ap.add_argument("--only", default="")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--write-corpus", metavar="DIR")
    a = ap.parse_args()
    if a.write_corpus:
        for n in write_corpus(a.write_corpus):
            print(n)
        return 0
    if a.list:
        for c in cases():
            print(c.name)
        for n, _, _ in STATELESS:
            print(f"before-attach-{n}\nevicted-{n}")
        return 0
    s = Suite(a)
    rc = s.main()
    print(f"1..{s.n}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
