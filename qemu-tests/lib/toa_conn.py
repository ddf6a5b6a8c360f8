#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""One TCP connection from a 'balancer' namespace that crafts its segments
(raw socket) and puts TOA options where told, to a real kernel TCP server in a
'backend' namespace, which reports what accept() and getpeername() return.

  toa_conn.py --lb-ns LB --be-ns BE --src ADDR --dst ADDR --port P
              [--syn-opt HEX] [--ack-opt HEX] [--data-opt HEX]
              [--listen ADDR] [--while-open CMD] [--no-close]
              [--payload TEXT] [--no-server]

Prints one JSON line: {"accept": [addr, port], "peer_before_read": [...],
"peer_after_read": [...], "received": n, "while_open_rc": rc,
"peer_at_release": [...]} (the last read after --while-open ran).
The balancer's kernel must not answer the SYN-ACK with a RST: the caller drops
outgoing RSTs in LB (nft). Addresses: IPv4 or IPv6, both ends the same family.
"""
import argparse
import ctypes
import json
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
SYN, ACK, PSH, FIN, RST = 0x02, 0x10, 0x08, 0x01, 0x04


def enter_netns(name):
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        sys.exit(f"setns({name}): {os.strerror(ctypes.get_errno())}")
    os.close(fd)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def segment(fam, src, dst, sport, dport, seq, ack, flags, opts=b"", payload=b"", extra_doff=0):
    opts = opts + b"\x01" * ((4 - len(opts) % 4) % 4)  # pad with NOPs
    doff = (20 + len(opts)) // 4 + extra_doff
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags, 65535, 0, 0) + opts
    tcp = hdr + payload
    s, d = socket.inet_pton(fam, src), socket.inet_pton(fam, dst)
    if fam == socket.AF_INET:
        pseudo = s + d + struct.pack("!BBH", 0, 6, len(tcp))
    else:
        pseudo = s + d + struct.pack("!I3xB", len(tcp), 6)
    c = csum(pseudo + tcp)
    return tcp[:16] + struct.pack("!H", c) + tcp[18:]


def server(args, fam, ready_w, result_w, release_r, final_w):
    enter_netns(args.be_ns)
    listen_fam = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
    s = socket.socket(listen_fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if listen_fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind((args.listen, args.port))
    s.listen(1)
    s.settimeout(20)
    os.write(ready_w, b"r")
    c, accepted = s.accept()
    before = c.getpeername()
    c.settimeout(20)
    got = 0
    while True:
        data = c.recv(65536)
        if not data:
            break
        got += len(data)
    after = c.getpeername()
    res = {"accept": list(accepted[:2]), "peer_before_read": list(before[:2]),
           "peer_after_read": list(after[:2]), "received": got}
    os.write(result_w, json.dumps(res).encode())
    os.close(result_w)
    # Keep the connection until the client is done (it may run a command
    # while the connection is open, e.g. list the TOA table or unload).
    os.read(release_r, 1)
    os.write(final_w, json.dumps(list(c.getpeername()[:2])).encode())
    os.close(final_w)
    c.close()


def main():
    p = argparse.ArgumentParser()
    for a in ("--lb-ns", "--be-ns", "--src", "--dst"):
        p.add_argument(a, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--listen")
    p.add_argument("--syn-opt", default="")
    p.add_argument("--ack-opt", default="")
    p.add_argument("--data-opt", default="")
    p.add_argument("--payload", default="hello from behind the balancer\\n",
                   help="the data segment's bytes (backslash escapes such as \\r\\n are decoded)")
    p.add_argument("--while-open")
    p.add_argument("--no-server", action="store_true",
                   help="someone else serves --port in BE: only craft the client side")
    p.add_argument("--fin-timeout", type=float, default=10)
    p.add_argument("--truncated-syn", action="store_true",
                   help="only send one SYN whose data offset claims 20 more header bytes than it has")
    args = p.parse_args()
    fam = socket.AF_INET6 if ":" in args.dst else socket.AF_INET
    args.listen = args.listen or args.dst

    if args.truncated_syn:
        enter_netns(args.lb_ns)
        raw = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_TCP)
        seg = segment(fam, args.src, args.dst, random.randint(20000, 60000), args.port,
                      random.randint(0, 2**31), 0, SYN, bytes.fromhex(args.syn_opt), extra_doff=5)
        raw.sendto(seg, (args.dst, 0))
        return

    ready_r, ready_w = os.pipe()
    result_r, result_w = os.pipe()
    release_r, release_w = os.pipe()
    final_r, final_w = os.pipe()
    pid = 0 if not args.no_server else -1
    if args.no_server:
        os.write(ready_w, b"r")
    else:
        pid = os.fork()
    if pid == 0:
        try:
            server(args, fam, ready_w, result_w, release_r, final_w)
            os._exit(0)
        except Exception as e:  # report, never hang the parent
            print(f"server: {e}", file=sys.stderr)
            os._exit(1)
    os.close(result_w)
    os.close(final_w)
    if os.read(ready_r, 1) != b"r":
        sys.exit("server did not start")
    enter_netns(args.lb_ns)
    raw = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_TCP)
    sport = random.randint(20000, 60000)
    isn = random.randint(0, 2**31)
    src, dst = args.src, args.dst

    def send(seq, ack, flags, opts="", payload=b""):
        raw.sendto(segment(fam, src, dst, sport, args.port, seq, ack, flags, bytes.fromhex(opts), payload),
                   (dst, 0))

    def wait_for(pred, what, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not select.select([raw], [], [], 0.5)[0]:
                continue
            pkt = raw.recv(65536)
            if fam == socket.AF_INET:
                pkt = pkt[(pkt[0] & 0xF) * 4:]
            sp, dp, seq, ack, _, flags = struct.unpack("!HHIIBB", pkt[:14])
            if sp == args.port and dp == sport and pred(flags):
                return seq, ack, flags
        sys.exit(f"no {what} from the server")

    send(isn, 0, SYN, args.syn_opt)
    srv_isn, _, _ = wait_for(lambda f: f & (SYN | ACK) == SYN | ACK, "SYN-ACK")
    seq, ack = isn + 1, srv_isn + 1
    send(seq, ack, ACK, args.ack_opt)
    payload = args.payload.encode().decode("unicode_escape").encode("latin-1")
    send(seq, ack, ACK | PSH, args.data_opt, payload)
    seq += len(payload)
    send(seq, ack, ACK | FIN)
    seq += 1
    if args.no_server:
        srv_seq, _, _ = wait_for(lambda f: f & FIN, "FIN", args.fin_timeout)
        send(seq, srv_seq + 1, ACK)
        return
    # The server reads up to EOF, answers getpeername, and reports.
    result = json.loads(os.read(result_r, 4096) or b"{}")
    rc = None
    if args.while_open:
        rc = subprocess.call(args.while_open, shell=True)
    result["while_open_rc"] = rc
    os.write(release_w, b"x")
    result["peer_at_release"] = json.loads(os.read(final_r, 4096) or b"null")
    # The server closes: ACK its FIN so its socket reaches CLOSE.
    srv_seq, _, _ = wait_for(lambda f: f & FIN, "FIN")
    send(seq, srv_seq + 1, ACK)
    _, status = os.waitpid(pid, 0)
    print(json.dumps(result))
    sys.exit(0 if status == 0 else 1)


if __name__ == "__main__":
    main()
