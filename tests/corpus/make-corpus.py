#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the PROXY parser test vectors to tests/corpus/NAME.bin.

Run once; its output is checked in. One file per vector, named after it.
The expected result of each is in tests/unit/test_parse.c (the vector of
the same name; `build/tests/test_parse --manifest` prints them as TSV), and
that test checks that every file here holds exactly the bytes of its vector.

Usage: tests/corpus/make-corpus.py [OUTDIR]   (default: this directory)
"""
import os
import struct
import sys

OUT = {}


def add(name, data):
    if name in OUT:
        raise SystemExit(f"make-corpus: two vectors named {name}")
    OUT[name] = bytes(data)


# ---- shared pieces (same bytes as in test_parse.c) ----
HTTP_GET = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SSH_BANNER = b"SSH-2.0-OpenSSH_9.2p1\r\n"
TLS_CH = (b"\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03" + bytes(range(32)) +
          b"\x00\x00\x02\x13\x01\x01\x00\x00\x00")
TLS_SH = b"\x16\x03\x03\x00\x2f\x02\x00\x00\x2b\x03\x03"
SIG = b"\r\n\r\n\x00\r\nQUIT\n"
V2_TCP4 = SIG + bytes.fromhex("21 11 00 0c c6 12 00 01 c6 12 00 02 9c 40 01 bb")
V1_TCP4 = b"PROXY TCP4 198.18.0.1 198.18.0.2 40000 443\r\n"
SPEC_TCP4 = b"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"
SPEC_TCP4_MAX = b"PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"
FFFF8 = b"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
SPEC_TCP6_MAX = b"PROXY TCP6 " + FFFF8 + b" " + FFFF8 + b" 65535 65535\r\n"
SPEC_UNK_MAX = b"PROXY UNKNOWN " + FFFF8 + b" " + FFFF8 + b" 65535 65535\r\n"

T4_SRC, T4_DST = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])
T6_SRC = b"\xfd" + bytes(14) + b"\x01"
T6_DST = b"\xfd" + bytes(14) + b"\x02"

TLV_ALPN, TLV_AUTHORITY, TLV_CRC32C, TLV_NOOP, TLV_UNIQUE_ID = 1, 2, 3, 4, 5
TLV_SSL, TLV_NETNS, TLV_GCP, TLV_AWS, TLV_AZURE = 0x20, 0x30, 0xE0, 0xEA, 0xEE


def tlv(t, v=b""):
    return struct.pack(">BH", t, len(v)) + v


def v2(vc, ft, body=b""):
    return SIG + struct.pack(">BBH", vc, ft, len(body)) + body


def addr_block(fam):
    if fam == 1:
        return T4_SRC + T4_DST + struct.pack(">HH", 40000, 443)
    if fam == 2:
        return T6_SRC + T6_DST + struct.pack(">HH", 40000, 443)
    if fam == 3:
        return (b"/run/ppguard-test/src.sock".ljust(108, b"\0") +
                b"/run/ppguard-test/dst.sock".ljust(108, b"\0"))
    return b""


def combo(vc, ft):
    return v2(vc, ft, addr_block(ft >> 4))


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    return c ^ 0xFFFFFFFF


def crc_fill(h, off, xor=0):
    """CRC32C of the header with the field at off zeroed, big-endian."""
    h = bytearray(h)
    h[off:off + 4] = bytes(4)
    h[off:off + 4] = struct.pack(">I", crc32c(h) ^ xor)
    return bytes(h)


def tcp4(tlvs=b""):
    return v2(0x21, 0x11, addr_block(1) + tlvs)


SSL_VALUE = (b"\x07" + bytes(4) + tlv(0x21, b"TLSv1.3") +
             tlv(0x22, b"client.test") + tlv(0x23, b"TLS_AES_128_GCM_SHA256") +
             tlv(0x24, b"RSA-PSS-SHA256x") + tlv(0x25, b"RSA2048") +
             tlv(0x26, b"X25519") + tlv(0x27, b"rsa_pss_rsae_s") +
             tlv(0x28, b"\x30\x82\x01\x0a"))

TLV_KINDS = [
    ("alpn", tlv(TLV_ALPN, b"h2")),
    ("authority", tlv(TLV_AUTHORITY, b"example.com")),
    ("crc32c", tlv(TLV_CRC32C, bytes(4))),
    ("noop", tlv(TLV_NOOP, bytes(4))),
    ("unique-id", tlv(TLV_UNIQUE_ID, bytes(range(128)))),
    ("ssl", tlv(TLV_SSL, SSL_VALUE)),
    ("netns", tlv(TLV_NETNS, b"blue")),
    ("gcp", tlv(TLV_GCP, bytes([0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]))),
    ("aws", tlv(TLV_AWS, b"\x01vpce-0123456789abcdef0")),
    ("azure", tlv(TLV_AZURE, bytes([0x01, 0x78, 0x56, 0x34, 0x12]))),
    ("experimental", tlv(0xF0, b"exp")),
    ("reserved", tlv(0xFF, b"\x00")),
    ("type0", tlv(0x00)),
]


def all_tlvs():
    """Every TLV kind in one area; returns it and the CRC value offset."""
    area, crc_at = b"", 0
    for name, t in TLV_KINDS:
        if name == "crc32c":
            crc_at = 28 + len(area) + 3
        area += t
    return area, crc_at


def unknown_padded(n, crlf=True):
    body = b"PROXY UNKNOWN "
    return body + b"x" * (n - len(body) - (2 if crlf else 0)) + \
        (b"\r\n" if crlf else b"")


# ---- v1: the spec's examples, then each rule ----
L = "PROXY TCP4 1.2.3.4 5.6.7.8 1 2"
STR = [
    ("v1-spec-tcp4", SPEC_TCP4 + HTTP_GET),
    ("v1-spec-tcp4-max-56", SPEC_TCP4_MAX),
    ("v1-spec-tcp6-max-104", SPEC_TCP6_MAX),
    ("v1-spec-unknown", b"PROXY UNKNOWN\r\n"),
    ("v1-spec-unknown-max-107", SPEC_UNK_MAX),
    ("v1-tcp4-basic", V1_TCP4),
    ("v1-tcp4-zero", b"PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n"),
    ("v1-tcp6-basic", b"PROXY TCP6 fd00::1 fd00::2 40000 443\r\n"),
    ("v1-tcp6-doc",
     b"PROXY TCP6 2001:db8::1 2001:db8::ff00:42:8329 1234 443\r\n"),
    ("v1-unknown-long", b"PROXY UNKNOWN 198.18.0.1 198.18.0.2 40000 443\r\n"),
    ("v1-unknown-space", b"PROXY UNKNOWN \r\n"),
    ("v1-unknown-text", b"PROXY UNKNOWN any\ttext at all\r\n"),
    ("v1-unknown-then-http", b"PROXY UNKNOWN\r\n" + HTTP_GET),
    ("v1-then-http", V1_TCP4 + HTTP_GET),
    ("v1-then-tls", V1_TCP4 + TLS_CH),
    ("v1-then-tls-1byte", V1_TCP4 + b"\x16"),
    ("v1-then-tls-serverhello", V1_TCP4 + TLS_SH),
    ("v1-then-h2-preface", V1_TCP4 + H2_PREFACE),
    ("v1-then-post", V1_TCP4 + b"POST /api HTTP/1.1\r\n"),
    ("v1-then-options", V1_TCP4 + b"OPTIONS * HTTP/1.1\r\n"),
    ("v1-then-ssh", V1_TCP4 + SSH_BANNER),
    ("v1-then-lowercase-get", V1_TCP4 + b"get / HTTP/1.1\r\n"),
    ("v1-then-v1", V1_TCP4 + V1_TCP4),
    ("v1-then-v2", V1_TCP4 + V2_TCP4),
    ("v1-then-proxy-word", V1_TCP4 + b"PROXY"),
    ("v1-then-partial-pro", V1_TCP4 + b"PRO"),
    ("v1-then-partial-p", V1_TCP4 + b"P"),
    ("v1-then-partial-sig", V1_TCP4 + b"\r\n\r\n\x00\r\nQUI"),
    ("v1-bad-eol-lf", (L + "\n").encode()),
    ("v1-bad-eol-cr-x", (L + "\rX").encode()),
    ("v1-bad-eol-lfcr", (L + "\n\r").encode()),
    ("v1-bad-eol-lf-inside", b"PROXY TCP4 1.2.3.4\n5.6.7.8 1 2\r\n"),
    ("v1-bad-eol-unknown-cr-cr", b"PROXY UNKNOWN\r\r\n"),
    ("v1-bad-sig-nospace", b"PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
    ("v1-bad-sig-tab", b"PROXY\tTCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
    ("v1-bad-sig-crlf", b"PROXY\r\n"),
    ("v1-double-space-after-proxy", b"PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
    ("v1-bad-proto-tcp5", b"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"),
    ("v1-bad-proto-lowercase", b"PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n"),
    ("v1-bad-proto-udp4", b"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"),
    ("v1-bad-proto-tcp4-tab", b"PROXY TCP4\t1.2.3.4 5.6.7.8 1 2\r\n"),
    ("v1-bad-proto-tcp-eol", b"PROXY TCP\r\n"),
    ("v1-bad-proto-tcp4-eol", b"PROXY TCP4\r\n"),
    ("v1-bad-proto-unknow-eol", b"PROXY UNKNOW\r\n"),
    ("v1-bad-proto-unknownx", b"PROXY UNKNOWNX\r\n"),
    ("v1-bad-proto-empty", b"PROXY \r\n"),
    ("v1-bad-sep-double", b"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"),
    ("v1-bad-sep-after-proto", b"PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"),
    ("v1-bad-sep-double-ports", b"PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n"),
    ("v1-bad-sep-missing-port", b"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"),
    ("v1-bad-sep-empty-dport", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 \r\n"),
    ("v1-bad-sep-tab", b"PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n"),
    ("v1-trailing-space", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"),
    ("v1-trailing-field", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"),
    ("v1-tcp4-with-ipv6", b"PROXY TCP4 fd00::1 fd00::2 1 2\r\n"),
    ("v1-tcp4-with-ipv6-dst", b"PROXY TCP4 198.18.0.1 fd00::2 1 2\r\n"),
    ("v1-tcp6-with-ipv4", b"PROXY TCP6 198.18.0.1 198.18.0.2 1 2\r\n"),
    ("v1-tcp6-with-ipv4-dst", b"PROXY TCP6 fd00::1 198.18.0.2 1 2\r\n"),
    ("v1-tcp4-dst-lead-zero", b"PROXY TCP4 1.2.3.4 5.6.7.08 1 2\r\n"),
    ("v1-port-dst-65536", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n"),
    ("np-lowercase-proxy", b"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
    ("np-proxz", b"PROXZ"),
    ("np-proxz-line", b"PROXZ TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
    ("np-space-proxy", b" PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
    ("np-http-get", HTTP_GET),
    ("np-http-post", b"POST /login HTTP/1.1\r\n"),
    ("np-h2-preface", H2_PREFACE),
    ("np-tls-clienthello", TLS_CH),
    ("np-tls-2bytes", b"\x16\x03"),
    ("np-tls-serverhello", TLS_SH),
    ("np-tls-bad-version", b"\x16\x02\x00\x00\x10\x01"),
    ("np-ssh", SSH_BANNER),
    ("np-nul", b"\x00"),
    ("np-lf", b"\n"),
    ("np-space", b" "),
    ("np-crlf-get", b"\r\nGET / HTTP/1.1\r\n"),
    ("np-almost-v2-sig", b"\r\n\r\n\x00\r\nQUIX\n\x21\x11\x00\x00"),
    ("np-get-no-space", b"GET"),
    ("more-empty", b""),
    ("more-p", b"P"),
    ("more-prox", b"PROX"),
    ("more-proxy", b"PROXY"),
    ("more-proxy-space", b"PROXY "),
    ("more-proxy-tcp4", b"PROXY TCP4"),
    ("more-v1-tcp6-partial", b"PROXY TCP6 fd00::1 fd00:"),
    ("more-v1-unknown-long", b"PROXY UNKNOWN 1.2.3.4"),
    ("more-cr", b"\r"),
    ("more-sig-5", SIG[:5]),
    ("more-sig-11", SIG[:11]),
    ("more-sig-12", SIG),
    ("more-sig-13", SIG + b"\x21"),
    ("more-sig-15", SIG + b"\x21\x11\x00"),
    ("more-v2-addr", SIG + b"\x21\x11\x00\x0c"),
    ("more-v2-addr-half", SIG + b"\x21\x11\x00\x0c\xc6\x12\x00\x01"),
    ("more-v1-before-lf", (L + "\r").encode()),
    ("more-v1-tcp6-before-lf", b"PROXY TCP6 fd00::1 fd00::2 1 2\r"),
    ("more-v1-unknown-before-lf", b"PROXY UNKNOWN\r"),
    ("more-v1-unknow-12", b"PROXY UNKNOW"),
    ("v2-haproxy-capture",
     SIG + bytes.fromhex("21 11 00 0c ac 13 00 01 ac 13 00 03 a6 52 00 50") +
     b"GET / HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: "
     b"curl/7.68.0\r\nAccept: */*\r\n\r\n"),
    ("v2-bad-version-short", SIG + b"\x11"),
]
for name, data in STR:
    add(name, data)

# length boundaries: 106, 107 valid, 108 refused
for n in (106, 107, 108):
    add(f"v1-unknown-pad-{n}", unknown_padded(n))
    add(f"v1-unknown-pad-{n}-then-http", unknown_padded(n) + HTTP_GET)
add("v1-nocrlf-106", unknown_padded(106, False))
add("v1-nocrlf-107", unknown_padded(107, False))
add("v1-nocrlf-200", unknown_padded(200, False))
add("v1-cr-at-107th-byte", unknown_padded(106, False) + b"\r")
add("v1-tcp4-digits-107", b"PROXY TCP4 " + b"1" * 96)
add("v1-tcp6-107", b"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
    b"fff:ffff:ffff:ffff:ffff:ffff:1.2.3.4 65535 65535\r\n")
add("v1-tcp6-108", b"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
    b"ffff:ffff:ffff:ffff:ffff:ffff:1.2.3.4 65535 65535\r\n")
add("v1-tcp6-116", b"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
    b"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 65535 65535\r\n")

# address text forms, as the source address
IP6 = [
    ("full-lead-zeros", "2001:0db8:0000:0000:0000:ff00:0042:8329"),
    ("compressed", "2001:db8::ff00:42:8329"),
    ("unspecified", "::"), ("loopback", "::1"), ("leading-dc", "::2:3"),
    ("trailing-dc", "1::"), ("v4-mapped", "::ffff:198.18.0.1"),
    ("v4-six-groups", "1:2:3:4:5:6:198.18.0.1"),
    ("v4-compat", "::198.18.0.1"),
    ("v4-after-dc", "1:2:3:4:5::255.255.255.255"),
    ("uppercase", "FD00::ABCD:EF01"), ("mixed-case", "fD00::aBcD"),
    ("eight-groups", "1:2:3:4:5:6:7:8"), ("dc-last-group", "1:2:3:4:5:6:7::"),
    ("dc-first-group", "::2:3:4:5:6:7:8"), ("dc-middle", "1::8"),
    ("dc-middle-two", "1:2::7:8"), ("zeros-eight", "0:0:0:0:0:0:0:0"),
    ("all-ones", FFFF8.decode()), ("group-0db8", "0db8::1"),
    ("groups-zero-padded", "0000:0000:0000:0000:0000:0000:0000:0001"),
    ("longest-45", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"),
    ("triple-colon", ":::"), ("triple-colon-mid", "1:::2"),
    ("two-dc", "1::2::3"), ("two-dc-edges", "::1::"),
    ("nine-groups", "1:2:3:4:5:6:7:8:9"), ("five-hex-digits", "12345::1"),
    ("trailing-colon", "1:2:3:4:5:6:7:"), ("leading-colon", ":1:2:3:4:5:6:7"),
    ("seven-groups", "1:2:3:4:5:6:7"),
    ("dc-and-eight-groups", "1:2:3:4::5:6:7:8"),
    ("dc-after-eight", "1:2:3:4:5:6:7:8::"),
    ("dc-before-eight", "::1:2:3:4:5:6:7:8"),
    ("v4-not-last", "::198.18.0.1:1"), ("v4-first", "198.18.0.1::1"),
    ("v4-seven-groups", "1:2:3:4:5:6:7:198.18.0.1"),
    ("v4-lead-zero", "::ffff:198.018.0.1"),
    ("v4-three-parts", "::ffff:198.18.1"),
    ("v4-five-parts", "::ffff:1.2.3.4.5"),
    ("v4-octet-256", "::ffff:256.18.0.1"), ("bad-hex", "g::1"),
    ("single-colon", ":"), ("single-group", "1"),
    ("zone-id", "fe80::1%eth0"), ("brackets", "[::1]"),
    ("v4-only", "198.18.0.1"),
]
for label, text in IP6:
    add(f"v1-ip6-{label}",
        f"PROXY TCP6 {text} fd00::2 40000 443\r\n".encode())
IP4 = [
    ("zero", "0.0.0.0"), ("max", "255.255.255.255"),
    ("test-net", "198.18.0.1"), ("inner-zero", "10.0.0.10"),
    ("lead-zero-first", "01.2.3.4"), ("lead-zero-last", "1.2.3.04"),
    ("double-zero", "1.2.3.00"), ("octal-like", "010.0.0.1"),
    ("octet-256", "256.1.1.1"), ("octet-last-256", "1.2.3.256"),
    ("four-digits", "1234.1.1.1"), ("three-parts", "1.2.3"),
    ("five-parts", "1.2.3.4.5"), ("empty-part", "1..2.3"),
    ("leading-dot", ".1.2.3"), ("trailing-dot", "1.2.3."),
    ("letter", "1.2.3.4a"), ("hex", "0x1.2.3.4"), ("negative", "1.2.3.-4"),
    ("prefix-len", "1.2.3.4/32"),
]
for label, text in IP4:
    add(f"v1-ip4-{label}",
        f"PROXY TCP4 {text} 198.18.0.2 40000 443\r\n".encode())
PORTS = [("0", "0"), ("1", "1"), ("443", "443"), ("65535", "65535"),
         ("65536", "65536"), ("99999", "99999"), ("100000", "100000"),
         ("00", "00"), ("01", "01"), ("080", "080"), ("plus", "+1"),
         ("minus", "-1"), ("letter", "1a"), ("hex", "0x1F")]
for label, text in PORTS:
    add(f"v1-port-{label}",
        f"PROXY TCP4 198.18.0.1 198.18.0.2 {text} 443\r\n".encode())

# ---- v2: the fixed part ----
for cmd in (0, 1):
    for fam in range(5):
        for tr in range(4):
            add(f"v2-combo-{('local', 'proxy')[cmd]}-fam{fam}-trans{tr}",
                combo(0x20 | cmd, fam << 4 | tr))
for ver in (0, 1, 3, 15):
    add(f"v2-bad-version-{ver:x}", combo(ver << 4 | 1, 0x11))
for cmd in (3, 15):
    add(f"v2-bad-command-{cmd:x}", combo(0x20 | cmd, 0x11))
add("v2-bad-family-ff", combo(0x21, 0xFF))

# families, LOCAL with and without addresses
for name, ft in (("tcp4", 0x11), ("udp4", 0x12), ("tcp6", 0x21),
                 ("udp6", 0x22), ("unix-stream", 0x31),
                 ("unix-dgram", 0x32), ("unspec", 0x00)):
    add(f"v2-proxy-{name}", combo(0x21, ft))
add("v2-proxy-unspec-tlv", v2(0x21, 0x00, tlv(TLV_NOOP, bytes(2))))
add("v2-local-unspec", combo(0x20, 0x00))
add("v2-local-tcp4-addr", combo(0x20, 0x11))
add("v2-local-tcp4-noaddr", v2(0x20, 0x11))
add("v2-local-tcp4-short-addr", v2(0x20, 0x11, T4_SRC + b"\x00"))
add("v2-local-tcp6-addr", combo(0x20, 0x21))
add("v2-local-unix-addr", combo(0x20, 0x31))
add("v2-local-unspec-tlvs", crc_fill(
    v2(0x20, 0x00, tlv(TLV_CRC32C, bytes(4)) + tlv(TLV_UNIQUE_ID, b"hc-1")),
    19))
add("v2-local-tlv-overrun", v2(0x20, 0x00, bytes([TLV_NOOP, 0, 5, 0])))
add("v2-local-2-stray-bytes", v2(0x20, 0x00, b"\xab\xcd"))
# AWS NLB health check as captured (kubernetes/kubernetes#57250): LOCAL,
# family 0x11, len 84: CRC32C then a 74-byte NOOP, right after the fixed part
add("v2-local-aws-nlb", crc_fill(
    v2(0x20, 0x11, tlv(TLV_CRC32C, bytes(4)) + tlv(TLV_NOOP, bytes(74))), 19))
add("v2-local-nlb-addr-tlvs", crc_fill(
    v2(0x20, 0x11, bytes(12) + tlv(TLV_CRC32C, bytes(4)) +
       tlv(TLV_NOOP, bytes(62))), 31))
add("v2-short-addr-tcp4", v2(0x21, 0x11, bytes(11)))
add("v2-short-addr-tcp4-len0", v2(0x21, 0x11))
add("v2-short-addr-tcp6", v2(0x21, 0x21, bytes(35)))
add("v2-short-addr-unix", v2(0x21, 0x31, bytes(215)))

# ---- v2: TLVs ----
for name, t in TLV_KINDS:
    h = tcp4(t)
    add(f"v2-tlv-{name}", crc_fill(h, 31) if name == "crc32c" else h)
area, crc_at = all_tlvs()
add("v2-tlv-all", crc_fill(tcp4(area), crc_at))
add("v2-tlv-all-crc-wrong", crc_fill(tcp4(area), crc_at, 0xFFFFFFFF))
add("v2-tlv-zero-length", tcp4(tlv(TLV_ALPN) + tlv(TLV_NOOP) +
                               tlv(TLV_AUTHORITY) + tlv(TLV_UNIQUE_ID)))
add("v2-tlv-area-3", tcp4(tlv(TLV_NOOP)))
add("v2-tlv-overrun-1", tcp4(bytes([TLV_ALPN, 0, 3]) + b"h2"))
add("v2-tlv-overrun-second",
    tcp4(tlv(TLV_ALPN, b"h2") + bytes([TLV_NOOP, 0, 5]) + bytes(4)))
add("v2-tlv-overrun-65535",
    tcp4(tlv(TLV_NOOP) + bytes([TLV_NOOP, 0xFF, 0xFF]) + bytes(4)))
add("v2-tlv-stray-1", tcp4(tlv(TLV_ALPN, b"h2") + bytes([TLV_NOOP])))
add("v2-tlv-stray-2", tcp4(tlv(TLV_ALPN, b"h2") + b"\x04\x00"))
for k in (0, 3, 5):
    add(f"v2-tlv-crc32c-len{k}", tcp4(tlv(TLV_CRC32C, bytes(k))))
add("v2-tlv-crc32c-len3-second",
    tcp4(tlv(TLV_ALPN, b"h2") + tlv(TLV_CRC32C, bytes(3))))

# ---- v2: what follows ----
for name, tail in (("v2-then-v1", V1_TCP4), ("v2-then-v2", V2_TCP4),
                   ("v2-then-v2-sig-only", SIG),
                   ("v2-then-partial-sig", SIG[:5]),
                   ("v2-then-partial-sig-11", SIG[:11]),
                   ("v2-then-partial-proxy", b"PROX"),
                   ("v2-then-tls", TLS_CH), ("v2-then-http", HTTP_GET),
                   ("v2-then-h2-preface", H2_PREFACE),
                   ("v2-then-ssh", SSH_BANNER), ("v2-then-nul", b"\x00")):
    add(name, combo(0x21, 0x11) + tail)
add("v2-local-then-v2", combo(0x20, 0x00) + V2_TCP4)

# ---- v2: big ----
area, crc_at = all_tlvs()
rest = 65535 - 12 - len(area)
big = crc_fill(tcp4(area + tlv(TLV_NOOP, bytes(rest - 3))), crc_at)
assert len(big) == 65551
add("v2-big-65535-tlvs", big)
add("v2-big-65535-then-v1-107", big + SPEC_UNK_MAX)
add("v2-big-first-128", big[:128])
add("v2-big-21845-empty-tlvs", v2(0x20, 0x00, tlv(TLV_NOOP) * 21845))
add("v2-big-overrun-1",
    tcp4(bytes([TLV_NOOP]) + struct.pack(">H", 65535 - 15 + 1) +
         bytes(65535 - 15)))
add("v2-ssl-client-cert-1k",
    tcp4(tlv(TLV_SSL, b"\x03" + bytes(4) + tlv(0x28, b"\x5a" * 1000))))

# ---- regressions found by tests/fuzz/fuzz_parse.c ----
add("regress-v1-unknown-108-plus-1", unknown_padded(108) + b"x")
add("regress-v1-split-cr-lf", b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r")
add("regress-v1-unknow-12", b"PROXY UNKNOW")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)
    for name, data in OUT.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)
    print(f"make-corpus: wrote {len(OUT)} files to {out}")


if __name__ == "__main__":
    main()
