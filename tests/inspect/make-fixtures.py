#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Write the small capture fixtures of the inspect suite (tests/inspect/*.pcap*)
with scapy. Deterministic: fixed addresses, ports, sequence numbers and
timestamps, so running it again gives the same files.

usage: tests/inspect/make-fixtures.py [OUTDIR]   (default: this folder)

Fixtures (server 198.18.0.100, balancer 198.18.0.2, attacker 198.18.0.66):
  mixed.pcap        Ethernet, IPv4: v1 + HTTP, v2 with TLVs + TLS (SNI),
                    v2 LOCAL health check, forged v1 from the attacker, plain
                    HTTP, a v2 header split over three segments, a stacked
                    header, a malformed v1 line, a client that sends nothing,
                    a flow without its SYN, TLS without a header, segments
                    out of order, a retransmission with other bytes.
  vlan6.pcapng      pcapng, 802.1Q-tagged Ethernet, IPv6 with a hop-by-hop
                    extension header: v2 INET6 + HTTP, and a v1 TCP6 line.
  sll.pcap          Linux cooked v1 (tcpdump -i any, old libpcap): v1 + HTTP.
  sll2.pcap         Linux cooked v2 (tcpdump -i any): v2 + TLS.
  snaplen.pcap      snaplen 80: a v2 header with a long TLV cut short.
  urgent.pcap       the attacker's "X" as TCP urgent data before "PROXY ...",
                    then a plain request on another connection.
  longv2.pcap       a 6 KB v2 header (a NOOP TLV) in 1400-byte segments, then
                    TLS: longer than the kernel's 128-byte window.
"""
import os
import struct
import sys

from scapy.all import (CookedLinux, CookedLinuxV2, Dot1Q, Ether, IP, IPv6,
                       IPv6ExtHdrHopByHop, PcapNgWriter, PcapWriter, Raw, TCP)

SRV4, LB4, ATK4, CLI4 = "198.18.0.100", "198.18.0.2", "198.18.0.66", "198.18.0.10"
SRV6, LB6 = "fd00:18::100", "fd00:18::2"
V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"
T0 = 1_800_000_000.0
MAC_C, MAC_S = "02:00:00:00:00:02", "02:00:00:00:00:64"


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def tlv(t, v):
    return bytes([t]) + struct.pack("!H", len(v)) + v


def v2(cmd, fam, body, tlvs=b"", crc=False):
    """A v2 header; with crc, a CRC32C TLV (valid) is added last."""
    if crc:
        tlvs += tlv(0x03, b"\0\0\0\0")
    rest = body + tlvs
    h = V2_SIG + bytes([0x20 | cmd, fam]) + struct.pack("!H", len(rest)) + rest
    if crc:
        c = crc32c(h)
        h = h[:-4] + struct.pack("!I", c)
    return h


def v2_inet(src, sport, dst, dport, tlvs=b"", crc=False):
    body = bytes(map(int, src.split("."))) + bytes(map(int, dst.split("."))) + \
        struct.pack("!HH", sport, dport)
    return v2(1, 0x11, body, tlvs, crc)


def client_hello(sni, alpn=(b"h2", b"http/1.1")):
    name = sni.encode()
    ext_sni = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0,
                          len(name)) + name
    alist = b"".join(bytes([len(a)]) + a for a in alpn)
    ext_alpn = struct.pack("!HHH", 16, len(alist) + 2, len(alist)) + alist
    exts = ext_sni + ext_alpn
    body = b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\x13\x01" + \
        b"\x01\x00" + struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def http(host="svc"):
    return f"GET /index.html HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()


class Conv:
    """One TCP connection, packets appended to a shared list."""
    clock = [T0]

    def __init__(self, out, cli, cport, srv, sport, isn, l2, six=False):
        self.out, self.cli, self.cport = out, cli, cport
        self.srv, self.sport, self.isn, self.l2 = srv, sport, isn, l2
        self.six = six
        self.sisn = 7000000 + cport
        self.cseq = isn + 1

    def _ip(self, src, dst):
        if self.six:
            return IPv6(src=src, dst=dst) / IPv6ExtHdrHopByHop()
        return IP(src=src, dst=dst, id=1)

    def pkt(self, from_cli, flags, seq, ack, data=b""):
        src, dst = (self.cli, self.srv) if from_cli else (self.srv, self.cli)
        sp, dp = (self.cport, self.sport) if from_cli else (self.sport, self.cport)
        p = self._ip(src, dst) / TCP(sport=sp, dport=dp, flags=flags, seq=seq,
                                     ack=ack, window=65535)
        if data:
            p = p / Raw(data)
        p = self.l2(p, from_cli)
        Conv.clock[0] += 0.001
        p.time = Conv.clock[0]
        self.out.append(p)
        return p

    def syn(self, data=b""):
        self.pkt(True, "S", self.isn, 0, data)
        self.pkt(False, "SA", self.sisn, self.isn + 1 + len(data))
        self.pkt(True, "A", self.isn + 1 + len(data), self.sisn + 1)
        self.cseq = self.isn + 1 + len(data)

    def send(self, data, at=None, urg=0):
        seq = self.cseq if at is None else self.isn + 1 + at
        p = self.pkt(True, "PAU" if urg else "PA", seq, self.sisn + 1, data)
        if urg:
            p[TCP].urgptr = urg
        if at is None:
            self.cseq += len(data)

    def reply(self, data=b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"):
        self.pkt(False, "PA", self.sisn + 1, self.cseq, data)

    def close(self):
        self.pkt(True, "FA", self.cseq, self.sisn + 1)


def eth(p, from_cli):
    return Ether(src=MAC_C if from_cli else MAC_S,
                 dst=MAC_S if from_cli else MAC_C) / p


def eth_vlan(p, from_cli):
    return Ether(src=MAC_C if from_cli else MAC_S,
                 dst=MAC_S if from_cli else MAC_C) / Dot1Q(vlan=42) / p


def sll(p, from_cli):
    return CookedLinux(pkttype=0 if not from_cli else 0, lladdrtype=1,
                       lladdrlen=6, src=b"\x02\0\0\0\0\x02\0\0",
                       proto=0x0800 if p.version == 4 else 0x86DD) / p


def sll2(p, from_cli):
    return CookedLinuxV2(proto=0x0800 if p.version == 4 else 0x86DD,
                         ifindex=2, lladdrtype=1, pkttype=0, lladdrlen=6,
                         src=b"\x02\0\0\0\0\x02\0\0") / p


def mixed(path):
    out = []
    # 1. v1 + HTTP on :80
    c = Conv(out, LB4, 40001, SRV4, 80, 1000, eth)
    c.syn()
    c.send(f"PROXY TCP4 {CLI4} {SRV4} 51001 8080\r\n".encode() + http())
    c.reply()
    c.close()
    # 2. v2 with ALPN, AUTHORITY, UNIQUE_ID and a valid CRC32C, then TLS
    c = Conv(out, LB4, 40002, SRV4, 443, 2000, eth)
    c.syn()
    t = tlv(0x01, b"h2") + tlv(0x02, b"www.example.test") + \
        tlv(0x05, b"req-0001")
    c.send(v2_inet(CLI4, 51002, LB4, 8443, t, crc=True) +
           client_hello("www.example.test"))
    c.close()
    # 3. LOCAL health check on :9000 (HAProxy check-send-proxy)
    c = Conv(out, LB4, 40003, SRV4, 9000, 3000, eth)
    c.syn()
    c.send(v2(0, 0x00, b""))
    c.close()
    # 4. the attacker's forged v1 header on :80
    c = Conv(out, ATK4, 40004, SRV4, 80, 4000, eth)
    c.syn()
    c.send(b"PROXY TCP4 203.0.113.9 198.18.0.100 1234 80\r\n" + http())
    c.close()
    # 5. plain HTTP on :8000
    c = Conv(out, ATK4, 40005, SRV4, 8000, 5000, eth)
    c.syn()
    c.send(http())
    c.reply()
    c.close()
    # 6. a v2 header split over three segments, then TLS, on :443
    c = Conv(out, LB4, 40006, SRV4, 443, 6000, eth)
    c.syn()
    h = v2_inet(CLI4, 51006, LB4, 8443)
    c.send(h[:5])
    c.send(h[5:20])
    c.send(h[20:] + client_hello("split.example.test"))
    c.close()
    # 7. stacked: a v2 header, then a v1 line, on :80
    c = Conv(out, LB4, 40007, SRV4, 80, 7000, eth)
    c.syn()
    c.send(v2_inet(CLI4, 51007, SRV4, 80) +
           b"PROXY TCP4 192.0.2.1 198.18.0.100 1 80\r\n" + http())
    c.close()
    # 8. malformed v1 (three-part address) on :80
    c = Conv(out, LB4, 40008, SRV4, 80, 8000, eth)
    c.syn()
    c.send(b"PROXY TCP4 198.18.0 198.18.0.100 51008 80\r\n" + http())
    c.close()
    # 9. a client that sends nothing on :80
    c = Conv(out, LB4, 40009, SRV4, 80, 9000, eth)
    c.syn()
    c.close()
    # 10. mid-stream (no SYN, no SYN-ACK): the attacker's segments on :80
    c = Conv(out, ATK4, 40010, SRV4, 80, 10000, eth)
    c.send(b"PROXY TCP4 203.0.113.10 198.18.0.100 1 80\r\n")
    c.send(http())
    # 11. TLS without a header from the balancer on :443
    c = Conv(out, LB4, 40011, SRV4, 443, 11000, eth)
    c.syn()
    c.send(client_hello("nohdr.example.test"))
    c.close()
    # 12. v1 header + HTTP, second segment first (out of order)
    c = Conv(out, LB4, 40012, SRV4, 80, 12000, eth)
    c.syn()
    line = f"PROXY TCP4 {CLI4} {SRV4} 51012 8080\r\n".encode()
    c.send(line[20:] + http(), at=20)
    c.send(line[:20], at=0)
    c.cseq += len(line) + len(http())
    c.close()
    # 13. v1 from the balancer, retransmitted with other bytes
    c = Conv(out, LB4, 40013, SRV4, 80, 13000, eth)
    c.syn()
    line = f"PROXY TCP4 {CLI4} {SRV4} 51013 8080\r\n".encode()
    c.send(line, at=0)
    c.send(b"PROXY TCP4 6.6.6.6 198.18.0.100 1 8080\r\n", at=0)
    c.cseq += len(line)
    c.send(http())
    c.close()
    wrpcap_list(path, out, linktype=1)


def vlan6(path):
    out = []
    c = Conv(out, LB6, 41001, SRV6, 81, 21000, eth_vlan, six=True)
    c.syn()
    body = bytes.fromhex("fd000018000000000000000000000010") + \
        bytes.fromhex("fd000018000000000000000000000002") + \
        struct.pack("!HH", 52001, 8081)
    c.send(v2(1, 0x21, body) + http())
    c.close()
    c = Conv(out, LB6, 41002, SRV6, 80, 22000, eth_vlan, six=True)
    c.syn()
    c.send(b"PROXY TCP6 fd00:18::10 fd00:18::100 52002 8090\r\n" + http())
    c.close()
    w = PcapNgWriter(path)
    for p in out:
        w.write(p)
    w.close()


def cooked(path, l2, linktype):
    out = []
    c = Conv(out, LB4, 42001, SRV4, 80, 31000, l2)
    c.syn()
    if linktype == 113:
        c.send(f"PROXY TCP4 {CLI4} {SRV4} 53001 8080\r\n".encode() + http())
    else:
        c.send(v2_inet(CLI4, 53002, LB4, 8443) + client_hello("sll2.test"))
    c.close()
    wrpcap_list(path, out, linktype=linktype)


def snaplen(path):
    out = []
    c = Conv(out, LB4, 43001, SRV4, 443, 41000, eth)
    c.syn()
    t = tlv(0x05, b"u" * 100)
    c.send(v2_inet(CLI4, 54001, LB4, 8443, t) + client_hello("cut.test"))
    c.close()
    # classic pcap by hand: records of at most `cut` bytes, wire length kept
    cut = 80
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, cut, 1))
        for p in out:
            raw = bytes(p)
            sec, usec = int(p.time), round((p.time % 1) * 1e6)
            f.write(struct.pack("<IIII", sec, usec, min(cut, len(raw)),
                                len(raw)))
            f.write(raw[:cut])


def urgent(path):
    out = []
    c = Conv(out, ATK4, 44001, SRV4, 80, 51000, eth)
    c.syn()
    c.send(b"XPROXY TCP4 203.0.113.5 198.18.0.100 1 80\r\n" + http(), urg=1)
    c.close()
    c = Conv(out, ATK4, 44002, SRV4, 80, 52000, eth)
    c.syn()
    c.send(http())
    c.close()
    wrpcap_list(path, out, linktype=1)


def longv2(path):
    out = []
    c = Conv(out, LB4, 45001, SRV4, 443, 61000, eth)
    c.syn()
    data = v2_inet(CLI4, 55001, LB4, 8443, tlv(0x04, b"\0" * 6000) +
                   tlv(0x02, b"long.example.test")) + client_hello("long.test")
    for i in range(0, len(data), 1400):
        c.send(data[i:i + 1400])
    c.close()
    wrpcap_list(path, out, linktype=1)


def wrpcap_list(path, pkts, linktype):
    w = PcapWriter(path, linktype=linktype)
    for p in pkts:
        w.write(p)
    w.close()


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    mixed(os.path.join(outdir, "mixed.pcap"))
    vlan6(os.path.join(outdir, "vlan6.pcapng"))
    cooked(os.path.join(outdir, "sll.pcap"), sll, 113)
    cooked(os.path.join(outdir, "sll2.pcap"), sll2, 276)
    snaplen(os.path.join(outdir, "snaplen.pcap"))
    urgent(os.path.join(outdir, "urgent.pcap"))
    longv2(os.path.join(outdir, "longv2.pcap"))


if __name__ == "__main__":
    main()
