#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Send a PROXY header (claiming any client) and a request on one TCP
connection, print what came back. Used by the demo and the tests to play the
attacker (forged header sent directly to the server) and to check what a
server answers.

usage: ppsend.py HOST PORT [--v1|--v2|--none] [--claim ADDR] [--claim-port N]
                 [--request TEXT] [--timeout S] [--split N] [--delay S]

Exit status: 0 a response arrived, 1 the connection was reset, 2 no response
before the timeout (the connection stalled), 3 the connection was refused or
closed without a response.
"""
import argparse
import ipaddress
import socket
import struct
import sys
import time

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def header(version, claim, sport, dst, dport):
    src = ipaddress.ip_address(claim)
    dst = ipaddress.ip_address(dst)
    if src.version != dst.version:
        dst = ipaddress.ip_address("::" if src.version == 6 else "0.0.0.0")
    if version == 1:
        fam = "TCP4" if src.version == 4 else "TCP6"
        return f"PROXY {fam} {src} {dst} {sport} {dport}\r\n".encode()
    fam = 0x11 if src.version == 4 else 0x21
    body = src.packed + dst.packed + struct.pack("!HH", sport, dport)
    return V2_SIG + bytes([0x21, fam]) + struct.pack("!H", len(body)) + body


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--v1", action="store_const", dest="ver", const=1)
    g.add_argument("--v2", action="store_const", dest="ver", const=2)
    g.add_argument("--none", action="store_const", dest="ver", const=0)
    ap.add_argument("--claim", default="198.51.100.7",
                    help="client address the header declares")
    ap.add_argument("--claim-port", type=int, default=40000)
    ap.add_argument("--request", default=None)
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--split", type=int, default=0,
                    help="send the first N bytes in a segment of their own")
    ap.add_argument("--delay", type=float, default=0.05)
    a = ap.parse_args()
    ver = 2 if a.ver is None else a.ver
    req = a.request if a.request is not None else \
        f"GET / HTTP/1.0\r\nHost: {a.host}\r\n\r\n"
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(a.timeout)
    try:
        s.connect((a.host, a.port))
    except OSError as e:
        print(f"connect failed: {e}")
        return 3
    data = (header(ver, a.claim, a.claim_port, a.host, a.port) if ver else b"") + \
        req.encode()
    try:
        if a.split:
            s.send(data[:a.split])
            time.sleep(a.delay)
            s.send(data[a.split:])
        else:
            s.send(data)
        resp = s.recv(4096)
    except ConnectionResetError:
        print("connection reset")
        return 1
    except socket.timeout:
        print("no response (stalled)")
        return 2
    finally:
        s.close()
    if not resp:
        print("closed without a response")
        return 3
    sys.stdout.write(resp.decode(errors="replace").split("\r\n\r\n")[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
