#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fires every probe nfscope.ko has, once per request, from one long-lived
process (a Python start per step would dominate a 200-cycle scenario under
TCG). Namespaces a (198.18.1.1, 2001:db8:1::1) and b (.2, ::2) must exist,
linked; a must drop the RSTs its kernel would send for the crafted TOA
connection (nft, output); b must drop UDP to DROP_PORT (nft, input).

  reload_driver.py      reads one line per cycle on stdin ("fire N"), prints
                        one JSON line per cycle: {"cycle": N, "ok": true} or
                        {"cycle": N, "ok": false, "error": "..."}

Each cycle:
- a TOA connection to b:TOA_PORT crafted from a (kind 200 in the SYN, client
  203.0.113.7:40000): accept() and getpeername() must return the client
  (inet_getname probe, TOA hook);
- plain TCP connections a -> b over IPv4 and IPv6: accept() and getpeername()
  return a's real address (inet_getname and inet6_getname probes);
- one UDP datagram to DROP_PORT (nft drop: hook attribution), one to a closed
  UDP port (NO_SOCKET drop), one TCP SYN to a closed port (kernel RST).
"""
import ctypes
import json
import os
import random
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from toa_conn import segment, SYN, ACK, PSH, FIN  # noqa: E402

CLONE_NEWNET = 0x40000000
A4, B4, A6, B6 = "198.18.1.1", "198.18.1.2", "2001:db8:1::1", "2001:db8:1::2"
TOA_PORT, PLAIN4_PORT, PLAIN6_PORT = 9001, 9002, 9003
DROP_PORT, CLOSED_UDP_PORT, CLOSED_TCP_PORT = 9999, 9998, 9997
TOA_OPT = bytes.fromhex("c8089c40cb007107")  # kind 200: 203.0.113.7:40000
TOA_CLIENT = ["203.0.113.7", 40000]
TIMEOUT = 10
libc = ctypes.CDLL(None, use_errno=True)


def enter_netns(name):
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            sys.exit(f"setns({name}): {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(fd)


def listener(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(8)
    s.settimeout(TIMEOUT)
    return s


class Driver:
    def __init__(self):
        # Sockets keep the namespace they were made in.
        enter_netns("b")
        self.toa_l = listener(socket.AF_INET, B4, TOA_PORT)
        self.plain4_l = listener(socket.AF_INET, B4, PLAIN4_PORT)
        self.plain6_l = listener(socket.AF_INET6, B6, PLAIN6_PORT)
        enter_netns("a")
        self.raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)

    def expect(self, sport, pred, what):
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            if not select.select([self.raw], [], [], 0.5)[0]:
                continue
            pkt = self.raw.recv(65536)
            pkt = pkt[(pkt[0] & 0xF) * 4:]
            sp, dp, seq, ack, _, flags = struct.unpack("!HHIIBB", pkt[:14])
            if sp == TOA_PORT and dp == sport and pred(flags):
                return seq
        raise RuntimeError(f"no {what} from b:{TOA_PORT}")

    def toa(self):
        sport, isn = random.randint(20000, 60000), random.randint(0, 2**31)

        def send(seq, ack, flags, opts=b"", payload=b""):
            seg = segment(socket.AF_INET, A4, B4, sport, TOA_PORT, seq, ack, flags, opts, payload)
            self.raw.sendto(seg, (B4, 0))

        send(isn, 0, SYN, TOA_OPT)
        srv = self.expect(sport, lambda f: f & (SYN | ACK) == SYN | ACK, "SYN-ACK") + 1
        send(isn + 1, srv, ACK)
        send(isn + 1, srv, ACK | PSH, payload=b"x")
        send(isn + 2, srv, ACK | FIN)
        c, accepted = self.toa_l.accept()
        peer = c.getpeername()
        c.settimeout(TIMEOUT)
        while c.recv(4096):
            pass
        c.close()
        fin = self.expect(sport, lambda f: f & FIN, "FIN")
        send(isn + 3, fin + 1, ACK)
        for what, got in (("accept", accepted), ("getpeername", peer)):
            if list(got[:2]) != TOA_CLIENT:
                raise RuntimeError(f"TOA {what} returned {got[:2]}, expected {TOA_CLIENT}")

    def plain(self, fam, l, src, dst, port):
        cl = socket.socket(fam, socket.SOCK_STREAM)
        cl.settimeout(TIMEOUT)
        cl.bind((src, 0))
        cl.connect((dst, port))
        c, accepted = l.accept()
        peer = c.getpeername()
        want = [src, cl.getsockname()[1]]
        cl.close()
        c.close()
        for what, got in (("accept", accepted), ("getpeername", peer)):
            if list(got[:2]) != want:
                raise RuntimeError(f"plain {what} returned {got[:2]}, expected {want}")

    def drops(self):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"x", (B4, DROP_PORT))
        u.sendto(b"x", (B4, CLOSED_UDP_PORT))
        u.close()
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.settimeout(TIMEOUT)
        try:
            t.connect((B4, CLOSED_TCP_PORT))
            raise RuntimeError(f"connect to closed port {CLOSED_TCP_PORT} succeeded")
        except ConnectionRefusedError:
            pass  # the reset
        finally:
            t.close()

    def fire(self):
        self.toa()
        self.plain(socket.AF_INET, self.plain4_l, A4, B4, PLAIN4_PORT)
        self.plain(socket.AF_INET6, self.plain6_l, A6, B6, PLAIN6_PORT)
        self.drops()


def main():
    d = Driver()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cycle = int(line.split()[1])
        try:
            d.fire()
            print(json.dumps({"cycle": cycle, "ok": True}), flush=True)
        except Exception as e:  # report and go on: the scenario decides
            print(json.dumps({"cycle": cycle, "ok": False, "error": f"{type(e).__name__}: {e}"}), flush=True)


if __name__ == "__main__":
    main()
