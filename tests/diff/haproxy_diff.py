#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Differential test: ppguard's PROXY parser against a real HAProxy.

Starts HAProxy (Debian's 2.6) on loopback with an `accept-proxy` frontend
per address family, sends every vector (tests/corpus/*.bin plus the list
below) on a fresh TCP connection followed by a small payload, and reads
HAProxy's verdict from its own logs: the addresses it derived (accepted) or
its PROXY error (rejected). ppguard's verdict comes from
`ppguard parse --json FILE`.

Asserted, one TAP line per vector:
  - both accept: same source/destination address and port (or, for LOCAL,
    UNKNOWN, UNSPEC, both use the real connection endpoints), and HAProxy
    forwards exactly the bytes after ppguard's header_length;
  - verdicts differ: the vector is listed in known-differences.tsv with
    exactly these two verdicts; a listed vector whose verdicts now agree
    (or that no longer exists) fails too, so the list stays honest.

Verdicts: accept, reject, need_more (ppguard: the header is incomplete;
HAProxy: it kept waiting for the rest). Python 3 standard library only.
"""

import argparse
import ipaddress
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# How long HAProxy gets to reject a partial header before we conclude it is
# waiting for the rest (a rejection on loopback takes well under 10 ms; the
# wait ends as soon as its log line arrives).
PARTIAL_WAIT = 1.0
# The longest pause between the two segments of a split header: the second
# goes as soon as HAProxy has logged its verdict on the first.
SPLIT_GAP = 1.0
LOG_WAIT = 3.0
IO_TIMEOUT = 5.0

# ---- vector construction -------------------------------------------------

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        table.append(c)
    return table


_CRC_T = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC_T[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def tlv(t, value):
    return bytes([t]) + struct.pack(">H", len(value)) + value


def a4(src, dst, sport, dport):
    return (ipaddress.IPv4Address(src).packed +
            ipaddress.IPv4Address(dst).packed +
            struct.pack(">HH", sport, dport))


def a6(src, dst, sport, dport):
    return (ipaddress.IPv6Address(src).packed +
            ipaddress.IPv6Address(dst).packed +
            struct.pack(">HH", sport, dport))


def v2(ver_cmd, fam, body, crc=None):
    """A v2 header. crc: None, "good" (append a correct CRC32C TLV) or
    "bad" (append one that is off by one)."""
    if crc:
        body = body + tlv(0x03, b"\0\0\0\0")
    hdr = V2_SIG + bytes([ver_cmd, fam]) + struct.pack(">H", len(body)) + body
    if crc:
        c = crc32c(hdr)
        if crc == "bad":
            c ^= 1
        hdr = hdr[:-4] + struct.pack(">I", c)
    return hdr


IN4 = a4("192.0.2.10", "198.51.100.20", 40000, 443)
IN6 = a6("2001:db8::10", "2001:db8:1::20", 40000, 443)
HTTP = b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n"
CLIENT_HELLO = bytes.fromhex("160301002e0100002a0303") + b"\x11" * 32


def v1(line):
    return line.encode() + b"\r\n"


# Our own vectors, next to tests/corpus/ (which covers the grammar, every
# boundary and most of the differences): what the corpus cannot express
# (a header split across segments), HAProxy-specific probes, and address
# forms whose text HAProxy and ppguard must normalise alike.
# (name, bytes, split offset or None); a split vector is sent in two
# segments, the second once HAProxy has judged the first (or SPLIT_GAP). Names start with "diff-": no clash with corpus.
OWN_VECTORS = [
    # v1 that both must accept with identical addresses
    ("diff-v1-tcp4", v1("PROXY TCP4 192.0.2.10 198.51.100.20 40000 443"),
     None),
    ("diff-v1-tcp4-max", v1("PROXY TCP4 255.255.255.255 255.255.255.255 "
                            "65535 65535"), None),
    ("diff-v1-tcp4-zero", v1("PROXY TCP4 0.0.0.0 0.0.0.0 0 0"), None),
    ("diff-v1-tcp6", v1("PROXY TCP6 2001:db8::10 2001:db8:1::20 40000 443"),
     None),
    ("diff-v1-tcp6-full", v1("PROXY TCP6 2001:0db8:0000:0000:0000:0000:0000:"
                             "0010 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
                             "65535 65535"), None),
    ("diff-v1-tcp6-upper", v1("PROXY TCP6 2001:DB8::A 2001:Db8::B 1 2"), None),
    ("diff-v1-tcp6-v4mapped", v1("PROXY TCP6 ::ffff:192.0.2.10 "
                                 "::ffff:198.51.100.20 40000 443"), None),
    ("diff-v1-tcp6-embedded-v4", v1("PROXY TCP6 64:ff9b::192.0.2.10 "
                                    "2001:db8::1.2.3.4 40000 443"), None),
    ("diff-v1-tcp6-any", v1("PROXY TCP6 :: ::1 40000 443"), None),
    ("diff-v1-unknown-short", v1("PROXY UNKNOWN"), None),
    ("diff-v1-tcp4-http", v1("PROXY TCP4 192.0.2.10 198.51.100.20 40000 80")
     + HTTP, None),
    ("diff-v1-tcp4-tls", v1("PROXY TCP4 192.0.2.10 198.51.100.20 40000 443")
     + CLIENT_HELLO, None),
    ("diff-v1-stacked-v1", v1("PROXY TCP4 192.0.2.10 198.51.100.20 40000 443")
     + v1("PROXY TCP4 198.51.100.99 198.51.100.20 1 443"), None),
    # v1: HAProxy lenient, the spec strict (more in the corpus)
    ("diff-v1-port-empty", v1("PROXY TCP4 192.0.2.10 198.51.100.20  443"),
     None),
    ("diff-v1-tcp6-port-leading-zero", v1("PROXY TCP6 2001:db8::10 "
                                          "2001:db8::20 040000 443"), None),
    ("diff-v1-tcp6-trailing-field", v1("PROXY TCP6 2001:db8::10 "
                                       "2001:db8::20 40000 443 7"), None),
    # v1 split across two segments: the spec says wait, HAProxy 2.6 does not
    ("diff-v1-split-10", v1("PROXY TCP4 192.0.2.10 198.51.100.20 40000 443"),
     10),
    ("diff-v1-split-before-lf", v1("PROXY TCP4 192.0.2.10 198.51.100.20 "
                                   "40000 443"), 46),
    # v1 both must reject
    ("diff-v1-lf-only", b"PROXY TCP4 192.0.2.10 198.51.100.20 40000 443\n",
     None),
    ("diff-v1-cr-only", b"PROXY TCP4 192.0.2.10 198.51.100.20 40000 443\rX",
     None),
    ("diff-v1-double-space", v1("PROXY TCP4  192.0.2.10 198.51.100.20 "
                                "40000 443"), None),
    ("diff-v1-trailing-space", v1("PROXY TCP4 192.0.2.10 198.51.100.20 "
                                  "40000 443 "), None),
    ("diff-v1-tcp4-with-v6", v1("PROXY TCP4 2001:db8::10 198.51.100.20 "
                                "40000 443"), None),
    ("diff-v1-tcp6-with-v4", v1("PROXY TCP6 192.0.2.10 198.51.100.20 "
                                "40000 443"), None),
    ("diff-v1-tcp6-two-dcolons", v1("PROXY TCP6 2001::db8::10 2001:db8::20 "
                                    "40000 443"), None),
    ("diff-v1-tcp6-zone", v1("PROXY TCP6 fe80::1%eth0 2001:db8::20 "
                             "40000 443"), None),
    ("diff-v1-tcp5", v1("PROXY TCP5 192.0.2.10 198.51.100.20 40000 443"),
     None),
    ("diff-v1-udp4", v1("PROXY UDP4 192.0.2.10 198.51.100.20 40000 443"),
     None),
    ("diff-v1-no-space", v1("PROXYTCP4 192.0.2.10 198.51.100.20 40000 443"),
     None),
    ("diff-v1-lowercase", v1("proxy tcp4 192.0.2.10 198.51.100.20 40000 443"),
     None),
    ("diff-v1-port-sign", v1("PROXY TCP4 192.0.2.10 198.51.100.20 +40000 443"),
     None),
    ("diff-v1-missing-port", v1("PROXY TCP4 192.0.2.10 198.51.100.20 40000"),
     None),
    # no preamble at all
    ("diff-none-http", HTTP, None),
    ("diff-none-tls", CLIENT_HELLO, None),
    # v2 that both must accept
    ("diff-v2-tcp4", v2(0x21, 0x11, IN4), None),
    ("diff-v2-tcp6", v2(0x21, 0x21, IN6), None),
    ("diff-v2-tcp6-v4mapped",
     v2(0x21, 0x21, a6("::ffff:192.0.2.10", "::ffff:198.51.100.20", 1, 2)),
     None),
    ("diff-v2-tcp4-http", v2(0x21, 0x11, IN4) + HTTP, None),
    ("diff-v2-local", v2(0x20, 0x00, b""), None),
    ("diff-v2-local-inet-addrs", v2(0x20, 0x11, IN4), None),
    ("diff-v2-local-short-len", v2(0x20, 0x11, IN4[:4]), None),
    ("diff-v2-local-aws-nlb",
     v2(0x20, 0x11, IN4 + tlv(0x04, b"\0" * 62), crc="good"), None),
    ("diff-v2-crc-good", v2(0x21, 0x11, IN4, crc="good"), None),
    ("diff-v2-tlvs-all",
     v2(0x21, 0x11, IN4 + tlv(0x01, b"h2") + tlv(0x02, b"www.example.test")
        + tlv(0x04, b"") + tlv(0x05, b"uid-1")
        + tlv(0x20, b"\x01\0\0\0\0" + tlv(0x21, b"TLSv1.3")
              + tlv(0x22, b"client.example.test"))
        + tlv(0x30, b"blue") + tlv(0xE0, struct.pack(">Q", 7))
        + tlv(0xEA, b"\x01vpce-0123456789abcdef0")
        + tlv(0xEE, b"\x01" + struct.pack("<I", 42)), crc="good"), None),
    ("diff-v2-authority-255",
     v2(0x21, 0x11, IN4 + tlv(0x02, b"a" * 255)), None),
    ("diff-v2-unique-id-128",
     v2(0x21, 0x11, IN4 + tlv(0x05, b"u" * 128)), None),
    ("diff-v2-tlv-8k", v2(0x21, 0x11, IN4 + tlv(0x04, b"\0" * 8000)), None),
    ("diff-v2-unknown-tlv", v2(0x21, 0x11, IN4 + tlv(0xF1, b"xyz")), None),
    ("diff-v2-stacked-v1", v2(0x21, 0x11, IN4)
     + v1("PROXY TCP4 198.51.100.99 198.51.100.20 1 443"), None),
    ("diff-v2-stacked-v2", v2(0x21, 0x11, IN4)
     + v2(0x21, 0x11, a4("198.51.100.99", "198.51.100.20", 1, 443)), None),
    # v2 split across two segments
    ("diff-v2-split-16", v2(0x21, 0x11, IN4), 16),
    ("diff-v2-split-8", v2(0x21, 0x11, IN4), 8),
    # v2 with a value HAProxy checks and the spec bounds
    ("diff-v2-authority-256",
     v2(0x21, 0x11, IN4 + tlv(0x02, b"a" * 256)), None),
    ("diff-v2-unique-id-129",
     v2(0x21, 0x11, IN4 + tlv(0x05, b"u" * 129)), None),
    # v2: HAProxy skips checks for LOCAL
    ("diff-v2-local-bad-crc", v2(0x20, 0x11, IN4, crc="bad"), None),
    # v2 both must reject (PROXY UNSPEC: what follows are TLVs, and these
    # 12 bytes are not a valid TLV list)
    ("diff-v2-proxy-unspec-body", v2(0x21, 0x00, IN4), None),
    ("diff-v2-version-1", v2(0x11, 0x11, IN4), None),
    ("diff-v2-version-3", v2(0x31, 0x11, IN4), None),
    ("diff-v2-command-2", v2(0x22, 0x11, IN4), None),
    ("diff-v2-command-f", v2(0x2F, 0x11, IN4), None),
    ("diff-v2-family-4", v2(0x21, 0x41, IN4), None),
    ("diff-v2-transport-3", v2(0x21, 0x13, IN4), None),
    ("diff-v2-unspec-stream", v2(0x21, 0x01, IN4), None),
    ("diff-v2-short-addr4", v2(0x21, 0x11, IN4[:11]), None),
    ("diff-v2-short-addr6", v2(0x21, 0x21, IN6[:35]), None),
    ("diff-v2-tlv-overrun", v2(0x21, 0x11, IN4 + b"\x04\x00\x09ab"), None),
    ("diff-v2-tlv-stub", v2(0x21, 0x11, IN4 + b"\x04\x00"), None),
    ("diff-v2-crc-bad", v2(0x21, 0x11, IN4, crc="bad"), None),
    ("diff-v2-crc-length-3", v2(0x21, 0x11, IN4 + tlv(0x03, b"\0\0\0")),
     None),
]


# ---- helpers --------------------------------------------------------------

def norm_ip(text):
    """Address text to a comparable IPv6 form (IPv4 as ::ffff:a.b.c.d)."""
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if ip.version == 4:
        return ipaddress.IPv6Address("::ffff:" + str(ip))
    return ip


def tuple_str(t):
    def ep(addr, port):
        return ("[%s]:%s" if ":" in str(addr) else "%s:%s") % (addr, port)
    return "%s -> %s" % (ep(t[0], t[1]), ep(t[2], t[3]))


def same_tuple(a, b):
    return (norm_ip(a[0]) is not None and norm_ip(a[0]) == norm_ip(b[0]) and
            norm_ip(a[2]) is not None and norm_ip(a[2]) == norm_ip(b[2]) and
            str(a[1]) == str(b[1]) and str(a[3]) == str(b[3]))


def free_port(family, host):
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.bind((host, 0))
        return s.getsockname()[1]
    finally:
        s.close()


def have_ipv6_loopback():
    if not socket.has_ipv6:
        return False
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


# ---- ppguard --------------------------------------------------------------

EXIT_OF = {"header": 0, "not_proxy": 1, "invalid": 2, "need_more": 3}


class PpguardError(Exception):
    pass


def ppguard_parse(ppguard, path):
    try:
        r = subprocess.run([ppguard, "parse", "--json", path],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise PpguardError("cannot run %s parse: %s" % (ppguard, e))
    try:
        j = json.loads(r.stdout.decode("utf-8", "replace"))
    except ValueError:
        raise PpguardError("parse --json %s: exit %d, not JSON: %r %r" %
                           (os.path.basename(path), r.returncode,
                            r.stdout[:200], r.stderr[:200]))
    if not isinstance(j, dict) or j.get("result") not in EXIT_OF:
        raise PpguardError("parse --json: unexpected result %r" % (j,))
    if r.returncode != EXIT_OF[j["result"]]:
        raise PpguardError("parse --json: result %s but exit status %d "
                           "(documented: %d)" % (j["result"], r.returncode,
                                                 EXIT_OF[j["result"]]))
    return j


def ppguard_verdict(j):
    if j["result"] == "header":
        if j.get("crc32c") == "invalid":
            return "reject"
        return "accept"
    if j["result"] == "need_more":
        return "need_more"
    return "reject"


def ppguard_desc(j):
    if j["result"] == "header":
        d = "v%s %s %s" % (j.get("version"), j.get("command"),
                           j.get("family"))
        if declares_tuple(j):
            d += " " + tuple_str(ppguard_tuple(j))
        d += " len %s" % j.get("header_length")
        if j.get("crc32c") not in (None, "absent"):
            d += " crc32c %s" % j["crc32c"]
        if j.get("stacked"):
            d += " stacked"
        return d
    if j["result"] == "invalid":
        return "invalid %s at %s" % (j.get("error"), j.get("error_offset"))
    if j["result"] == "need_more":
        return "need_more %s" % j.get("need")
    return j["result"]


def declares_tuple(j):
    """True when the receiver must use the declared addresses; otherwise
    (LOCAL, v1 UNKNOWN, UNSPEC, UNIX) it keeps the real endpoints."""
    return (j.get("command") == "PROXY" and
            j.get("family") in ("INET", "INET6"))


def ppguard_tuple(j):
    return (j.get("src_addr"), j.get("src_port"), j.get("dst_addr"),
            j.get("dst_port"))


# ---- HAProxy and its surroundings ----------------------------------------

class LogSink:
    """UDP syslog receiver; HAProxy sends one raw line per connection.
    Lines are keyed by the real client port (fc_src_port)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.cond = threading.Condition()
        self.lines = {}
        self.stray = []
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            rec = self._parse(data.decode("utf-8", "replace").strip())
            with self.cond:
                if rec is None or "fcsport" not in rec:
                    self.stray.append(data)
                else:
                    self.lines.setdefault(rec["fcsport"], []).append(rec)
                self.cond.notify_all()

    @staticmethod
    def _parse(line):
        m = re.match(r"^(ACC|ERR) (.*)$", line)
        if not m:
            return None
        rec = {"kind": m.group(1), "raw": line}
        rest = m.group(2)
        if " msg=" in rest:
            rest, rec["msg"] = rest.split(" msg=", 1)
        for kv in rest.split():
            if "=" in kv:
                k, v = kv.split("=", 1)
                rec[k] = v
        return rec

    def forget(self, port):
        with self.cond:
            self.lines.pop(str(port), None)

    def wait(self, port, timeout):
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                got = self.lines.get(str(port))
                if got:
                    return got[0]
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()


class Backend:
    """The server behind HAProxy: records what HAProxy forwarded after the
    header, keyed by the token at the end of our payload."""

    TOKEN = re.compile(rb"PPGDIFF-(\d+)-(\d)\n$")

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.got = {}
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,),
                             daemon=True).start()

    def _serve(self, c):
        data = b""
        c.settimeout(IO_TIMEOUT)
        try:
            while True:
                x = c.recv(65536)
                if not x:
                    break
                data += x
        except OSError:
            pass
        m = self.TOKEN.search(data)
        if m:
            with self.lock:
                self.got[(int(m.group(1)), int(m.group(2)))] = data
        try:
            c.sendall(b"ok\n")
        except OSError:
            pass
        c.close()

    def take(self, key):
        with self.lock:
            return self.got.pop(key, None)

    def close(self):
        self.stop = True
        self.thread.join(2)
        self.sock.close()


HAPROXY_CFG = """\
# generated by tests/diff/haproxy_diff.py
global
    nbthread 1
    log 127.0.0.1:{log_port} len 4096 format raw local0

defaults
    mode tcp
    log global
    no option dontlognull
    timeout connect 3s
    timeout client 10s
    timeout server 10s
    # accepted: what HAProxy derived (%ci %cp %fi %fp) next to the real
    # connection (fc_*), which keys the line to our client socket
    log-format "ACC fcsport=%[fc_src_port] fcsrc=%[fc_src] fcdst=%[fc_dst] \
fcdport=%[fc_dst_port] ci=%ci cp=%cp fi=%fi fp=%fp ts=%ts"
    # rejected: the PROXY error (%ci may already hold a declared address)
    error-log-format "ERR fcsport=%[fc_src_port] fcsrc=%[fc_src] \
err=%[fc_err] msg=%[fc_err_str]"

frontend ready
    bind 127.0.0.1:{ready_port}
    no log
    tcp-request connection reject

frontend pp
    bind 127.0.0.1:{port4} accept-proxy
{bind6}    default_backend capture

backend capture
    server cap 127.0.0.1:{backend_port}
"""


class Haproxy:
    def __init__(self, binary, workdir, log_port, backend_port, ipv6):
        self.binary = binary
        self.proc = None
        self.workdir = workdir
        self.ipv6 = ipv6
        self.log_port = log_port
        self.backend_port = backend_port
        self.output = os.path.join(workdir, "haproxy.out")
        self.pidfile = os.path.join(workdir, "haproxy.pid")

    def version(self):
        r = subprocess.run([self.binary, "-v"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, check=False)
        first = r.stdout.decode("utf-8", "replace").splitlines()
        return first[0] if first else "?"

    def start(self):
        last = ""
        for _ in range(3):  # a picked port may be taken meanwhile: retry
            self.port4 = free_port(socket.AF_INET, "127.0.0.1")
            self.ready_port = free_port(socket.AF_INET, "127.0.0.1")
            self.port6 = (free_port(socket.AF_INET6, "::1")
                          if self.ipv6 else None)
            bind6 = ("    bind [::1]:%d accept-proxy\n" % self.port6
                     if self.ipv6 else "")
            cfg = os.path.join(self.workdir, "haproxy.cfg")
            with open(cfg, "w") as f:
                f.write(HAPROXY_CFG.format(
                    log_port=self.log_port, ready_port=self.ready_port,
                    port4=self.port4, bind6=bind6,
                    backend_port=self.backend_port))
            out = open(self.output, "wb")
            self.proc = subprocess.Popen([self.binary, "-db", "-f", cfg],
                                         stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=out)
            out.close()
            with open(self.pidfile, "w") as f:
                f.write("%d\n" % self.proc.pid)
            if self._wait_ready():
                return
            self.stop()
            with open(self.output, "rb") as f:
                last = f.read().decode("utf-8", "replace").strip()
        raise RuntimeError("haproxy did not start: %s" % last[-500:])

    def _wait_ready(self):
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.ready_port),
                                         timeout=0.5).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(3)
            except OSError:
                pass
        self.proc = None
        try:
            os.unlink(self.pidfile)
        except OSError:
            pass


class HaResult:
    def __init__(self, verdict, rec, forwarded, note=""):
        self.verdict = verdict  # accept, reject, need_more, none
        self.rec = rec
        self.forwarded = forwarded
        self.note = note

    def tuple(self):
        r = self.rec
        return (r.get("ci"), r.get("cp"), r.get("fi"), r.get("fp"))

    def real(self):
        r = self.rec
        return (r.get("fcsrc"), r.get("fcsport"), r.get("fcdst"),
                r.get("fcdport"))

    def desc(self):
        if self.verdict == "accept":
            return "accept %s" % tuple_str(self.tuple())
        if self.verdict in ("reject", "need_more") and self.rec:
            return "%s (%s)%s" % (self.verdict, self.rec.get("msg"),
                                  self.note)
        return self.verdict + self.note


def drain(s):
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass


def send_to_haproxy(logs, backend, family, port, data, payload, key,
                    split=None, partial=False):
    host = "127.0.0.1" if family == socket.AF_INET else "::1"
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.bind((host, 0))
    cport = s.getsockname()[1]
    logs.forget(cport)
    s.settimeout(IO_TIMEOUT)
    verdict_before_eof = None
    try:
        s.connect((host, port))
        if split:
            s.sendall(data[:split])
            logs.wait(cport, SPLIT_GAP)
            s.sendall(data[split:] + payload)
            s.shutdown(socket.SHUT_WR)
        elif partial:
            # no payload: it would complete the header. Give HAProxy the
            # chance to reject the partial header on its own, then EOF.
            s.sendall(data)
            verdict_before_eof = logs.wait(cport, PARTIAL_WAIT)
            s.shutdown(socket.SHUT_WR)
        else:
            s.sendall(data + payload)
            s.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # reset by HAProxy: its log says why
    drain(s)
    s.close()
    rec = logs.wait(cport, LOG_WAIT)
    forwarded = backend.take(key)
    if rec is None:
        return HaResult("none", None, forwarded,
                        " (no log line from haproxy)")
    if rec["kind"] == "ACC":
        return HaResult("accept", rec, forwarded)
    if partial and verdict_before_eof is None:
        return HaResult("need_more", rec, forwarded,
                        " after our EOF: it waited for the rest")
    return HaResult("reject", rec, forwarded)


# ---- the test ------------------------------------------------------------

def load_known(path):
    """known-differences.tsv: vector, haproxy verdict, ppguard verdict,
    reason. '#' lines are comments; the first other line is the header."""
    known = {}
    errors = []
    with open(path, encoding="utf-8") as f:
        header = None
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if header is None:
                header = cols
                if [c.strip() for c in cols[:3]] != ["vector", "haproxy",
                                                    "ppguard"]:
                    errors.append("%s:%d: header must be vector, haproxy, "
                                  "ppguard, reason" % (path, n))
                continue
            if len(cols) != 4 or not cols[3].strip():
                errors.append("%s:%d: want 4 tab-separated columns with a "
                              "reason" % (path, n))
                continue
            name, ha, pg, reason = (c.strip() for c in cols)
            ok = ("accept", "reject", "need_more")
            if ha not in ok or pg not in ok:
                errors.append("%s:%d: verdicts are accept, reject or "
                              "need_more" % (path, n))
                continue
            if name in known:
                errors.append("%s:%d: %s listed twice" % (path, n, name))
                continue
            known[name] = (ha, pg, reason, n)
    return known, errors


class Vector:
    def __init__(self, name, data, split=None):
        self.name = name
        self.data = data
        self.split = split


def collect_vectors(corpus, workdir, only):
    vecs = []
    if corpus and os.path.isdir(corpus):
        for fn in sorted(os.listdir(corpus)):
            if fn.endswith(".bin"):
                with open(os.path.join(corpus, fn), "rb") as f:
                    vecs.append(Vector(fn, f.read()))
    seen = {v.name for v in vecs}
    owndir = os.path.join(workdir, "vectors")
    os.makedirs(owndir, exist_ok=True)
    for name, data, split in OWN_VECTORS:
        fn = name + ".bin"
        if fn in seen:
            raise RuntimeError("own vector %s collides with the corpus" % fn)
        seen.add(fn)
        vecs.append(Vector(fn, data, split))
    if only:
        vecs = [v for v in vecs if re.search(only, v.name)]
    for v in vecs:
        v.path = os.path.join(owndir, v.name)
        with open(v.path, "wb") as f:
            f.write(v.data)
        if v.split:
            v.prefix_path = v.path + ".prefix"
            with open(v.prefix_path, "wb") as f:
                f.write(v.data[:v.split])
    return vecs


def ppguard_side(ppguard, v):
    """ppguard's verdict and JSON. For a split vector the first segment
    alone must be need_more (what the data path sees first), then the
    whole decides."""
    j = ppguard_parse(ppguard, v.path)
    if v.split:
        jp = ppguard_parse(ppguard, v.prefix_path)
        if jp["result"] != "need_more":
            return ppguard_verdict(jp), jp, "first segment: "
        return ppguard_verdict(j), j, "need_more after %d bytes, then " % \
            v.split
    return ppguard_verdict(j), j, ""


def check_vector(idx, v, pj, pverdict, listeners, logs, backend, known):
    """Returns (ok, description, diagnostics)."""
    diags = []
    payload = b"payload PPGDIFF-%d-%d\n"
    partial = pverdict == "need_more" and not v.split
    results = []
    for li, (label, family, port) in enumerate(listeners):
        pl = payload % (idx, li)
        r = send_to_haproxy(logs, backend, family, port, v.data, pl,
                            (idx, li), split=v.split, partial=partial)
        results.append((label, r, pl))
        diags.append("haproxy over %s: %s" % (label, r.desc()))

    hverdicts = {r.verdict for _, r, _ in results}
    if "none" in hverdicts:
        return False, "haproxy logged no verdict", diags
    if len(hverdicts) > 1:
        return False, "haproxy verdict differs between listeners", diags
    hverdict = hverdicts.pop()
    v.observed = (hverdict, pverdict)
    listed = known.get(v.name)

    if hverdict != pverdict:
        what = "haproxy %s, ppguard %s" % (hverdict, pverdict)
        if not listed:
            return False, "%s: not in known-differences.tsv" % what, diags
        if (listed[0], listed[1]) != (hverdict, pverdict):
            return False, ("%s, but known-differences.tsv:%d says haproxy "
                           "%s, ppguard %s" % (what, listed[3], listed[0],
                                               listed[1])), diags
        return True, "known difference: %s (%s)" % (
            what, listed[2].split(":", 1)[0]), diags

    if listed:
        return False, ("both %s, but known-differences.tsv:%d lists a "
                       "difference: remove the entry" % (hverdict,
                                                         listed[3])), diags
    if hverdict != "accept":
        return True, "both %s" % hverdict, diags

    # Both accept: same tuple, same header length.
    for label, r, pl in results:
        if declares_tuple(pj):
            want, why = ppguard_tuple(pj), "declared"
        else:
            want, why = r.real(), "real endpoints (%s %s)" % (
                pj.get("command"), pj.get("family"))
        got = r.tuple()
        if not same_tuple(want, got):
            return False, ("both accept, addresses differ over %s: haproxy "
                           "%s, ppguard %s %s" % (label, tuple_str(got), why,
                                                 tuple_str(want))), diags
        rest = v.data[int(pj["header_length"]):] + pl
        if r.forwarded != rest:
            return False, ("both accept, but over %s haproxy forwarded %r, "
                           "not the %d bytes after ppguard's header_length "
                           "%s" % (label, (r.forwarded or b"")[:80],
                                   len(rest), pj["header_length"])), diags
    if declares_tuple(pj):
        return True, "both accept %s" % tuple_str(ppguard_tuple(pj)), diags
    return True, ("both accept %s %s, real endpoints" %
                  (pj.get("command"), pj.get("family"))), diags


def write_differences(path, vecs, known):
    with open(path, "w", encoding="utf-8") as f:
        f.write("vector\thaproxy\tppguard\treason\n")
        for v in vecs:
            obs = getattr(v, "observed", None)
            if not obs or obs[0] == obs[1]:
                continue
            listed = known.get(v.name)
            reason = listed[2] if listed else "TODO: the spec's reason"
            f.write("%s\t%s\t%s\t%s\n" % (v.name, obs[0], obs[1], reason))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ppguard", default=os.environ.get(
        "PPG_BIN", os.path.join(ROOT, "build", "ppguard")))
    ap.add_argument("--haproxy", default="/usr/sbin/haproxy")
    ap.add_argument("--corpus", default=os.path.join(ROOT, "tests",
                                                     "corpus"))
    ap.add_argument("--known", default=os.path.join(HERE,
                                                    "known-differences.tsv"))
    ap.add_argument("--workdir", help="scratch directory (default: a new "
                    "temporary one, removed at exit)")
    ap.add_argument("--only", help="regex: run the vectors whose file name "
                    "matches")
    ap.add_argument("--no-ipv6", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print both verdicts for every vector")
    ap.add_argument("--write-differences", metavar="FILE",
                    help="also write every observed difference as a "
                    "known-differences.tsv row (listed reasons kept, new "
                    "ones marked TODO) to FILE")
    args = ap.parse_args()

    # SIGTERM/SIGINT: unwind through the finally blocks (kill HAProxy).
    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    if not os.access(args.haproxy, os.X_OK):
        print("1..1")
        print("ok 1 - haproxy differential # SKIP %s not installed" %
              args.haproxy)
        return 0

    if not os.access(args.ppguard, os.X_OK):
        print("1..1")
        print("not ok 1 - haproxy differential: %s is missing (run make)" %
              args.ppguard)
        return 1

    tmp = None
    if args.workdir:
        workdir = args.workdir
        os.makedirs(workdir, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="ppg-diff.")
        workdir = tmp.name

    logs = backend = ha = None
    t0 = time.monotonic()
    try:
        known, kerrors = load_known(args.known)
        vecs = collect_vectors(args.corpus, workdir, args.only)
        ipv6 = have_ipv6_loopback() and not args.no_ipv6
        logs = LogSink()
        backend = Backend()
        ha = Haproxy(args.haproxy, workdir, logs.port, backend.port, ipv6)
        print("# %s" % ha.version())
        ncorpus = sum(1 for v in vecs if not v.name.startswith("diff-"))
        print("# %d vectors: %d from %s, %d of our own; listeners: "
              "127.0.0.1%s" % (len(vecs), ncorpus, args.corpus,
                               len(vecs) - ncorpus,
                               ", ::1" if ipv6 else " (no IPv6 loopback)"))
        ha.start()
        listeners = [("IPv4", socket.AF_INET, ha.port4)]
        if ipv6:
            listeners.append(("IPv6", socket.AF_INET6, ha.port6))

        print("1..%d" % (len(vecs) + 1))
        failed = 0
        n = 0
        for v in vecs:
            n += 1
            try:
                pverdict, pj, how = ppguard_side(args.ppguard, v)
            except PpguardError as e:
                print("not ok %d - %s: ppguard: %s" % (n, v.name, e))
                failed += 1
                continue
            ok, desc, diags = check_vector(n, v, pj, pverdict, listeners,
                                           logs, backend, known)
            print("%s %d - %s: %s" % ("ok" if ok else "not ok", n, v.name,
                                      desc))
            if not ok or args.verbose:
                print("#   ppguard: %s%s" % (how, ppguard_desc(pj)))
                for d in diags:
                    print("#   " + d)
            if not ok:
                failed += 1
            if ha.proc.poll() is not None:
                print("# haproxy exited with status %d" % ha.proc.returncode)
                failed += 1
                break

        if args.write_differences:
            write_differences(args.write_differences, vecs, known)

        n += 1
        names = {v.name for v in vecs}
        stale = [k for k in known if k not in names and not args.only]
        if kerrors or stale:
            for e in kerrors:
                print("# " + e)
            for k in stale:
                print("# known-differences.tsv:%d: %s: no such vector" %
                      (known[k][3], k))
            print("not ok %d - known-differences.tsv is well-formed and "
                  "names only existing vectors" % n)
            failed += 1
        else:
            print("ok %d - known-differences.tsv is well-formed and names "
                  "only existing vectors (%d entries)" % (n, len(known)))
        print("# %d vectors in %.1fs, %d failed" %
              (len(vecs), time.monotonic() - t0, failed))
        return 1 if failed else 0
    except (RuntimeError, OSError) as e:
        print("not ok 1 - haproxy differential: %s" % e)
        return 1
    finally:
        if ha:
            ha.stop()
        if backend:
            backend.close()
        if logs:
            logs.close()
        if tmp:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
