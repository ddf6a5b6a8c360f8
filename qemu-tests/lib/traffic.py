#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Real TCP/UDP exchanges between two network namespaces, without sleeps.

  traffic.py tcp|udp --server-ns B --client-ns A --addr ADDR --port P --count N [--size S]

A forked child enters B, binds, and tells the parent it is ready; the parent
enters A and sends N messages (UDP datagrams, or N writes on one TCP
connection) of S bytes. Prints one JSON line: {"sent": .., "received": ..}
(bytes for TCP, datagrams for UDP). Exits 1 if the server got less than sent.
"""
import argparse
import ctypes
import json
import os
import socket
import sys

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def enter_netns(name):
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        sys.exit(f"setns({name}): {os.strerror(err)}")
    os.close(fd)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def serve(args, ready_w, result_w):
    enter_netns(args.server_ns)
    kind = socket.SOCK_STREAM if args.proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(family(args.addr), kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.addr, args.port))
    s.settimeout(args.timeout)
    got = 0
    if args.proto == "tcp":
        s.listen(1)
        os.write(ready_w, b"r")
        c, _ = s.accept()
        c.settimeout(args.timeout)
        while True:
            data = c.recv(65536)
            if not data:
                break
            got += len(data)
        c.close()
    else:
        os.write(ready_w, b"r")
        try:
            while got < args.count:
                s.recv(65536)
                got += 1
        except socket.timeout:
            pass
    os.write(result_w, str(got).encode())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("proto", choices=["tcp", "udp"])
    p.add_argument("--server-ns", required=True)
    p.add_argument("--client-ns", required=True)
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--timeout", type=float, default=20.0)
    args = p.parse_args()

    ready_r, ready_w = os.pipe()
    result_r, result_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            serve(args, ready_w, result_w)
        finally:
            os._exit(0)
    if os.read(ready_r, 1) != b"r":
        sys.exit("server did not start")
    enter_netns(args.client_ns)
    payload = b"x" * args.size
    if args.proto == "tcp":
        c = socket.create_connection((args.addr, args.port), timeout=args.timeout)
        for _ in range(args.count):
            c.sendall(payload)
        c.close()
        sent = args.count * args.size
    else:
        c = socket.socket(family(args.addr), socket.SOCK_DGRAM)
        for _ in range(args.count):
            c.sendto(payload, (args.addr, args.port))
        sent = args.count
    os.close(result_w)
    received = int(os.read(result_r, 64) or b"0")
    os.waitpid(pid, 0)
    print(json.dumps({"sent": sent, "received": received}))
    sys.exit(0 if received >= sent else 1)


if __name__ == "__main__":
    main()
