#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw generic netlink requests to the nfscope family, independent of the CLI,
to test the module's input checks.

  genl.py CMD [TYPE:KIND:VALUE ...]

CMD is a command number; each attribute is TYPE (number), KIND (u8, u32,
str, raw-hex) and VALUE. Prints one JSON line: {"errno": N, "extack": "..."}
(errno 0 for success).
"""
import json
import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NETLINK_CAP_ACK = 10
NLM_F_REQUEST, NLM_F_ACK, NLM_F_ACK_TLVS = 1, 4, 0x200
NLMSG_ERROR = 2


def attr(kind, payload):
    hdr = struct.pack("=HH", 4 + len(payload), kind)
    pad = b"\0" * ((4 - len(payload) % 4) % 4)
    return hdr + payload + pad


def request(sock, family, cmd, version, attrs, seq):
    body = struct.pack("=BBH", cmd, version, 0) + b"".join(attrs)
    msg = struct.pack("=IHHII", 16 + len(body), family, NLM_F_REQUEST | NLM_F_ACK, seq, 0) + body
    sock.send(msg)
    replies = []
    while True:
        data = sock.recv(65536)
        off = 0
        while off + 16 <= len(data):
            ln, typ, flags, s, _ = struct.unpack_from("=IHHII", data, off)
            body = data[off + 16:off + ln]
            off += (ln + 3) & ~3
            if s != seq:
                continue
            if typ == NLMSG_ERROR:
                (code,) = struct.unpack_from("=i", body)
                msg = None
                if code and flags & NLM_F_ACK_TLVS:
                    tl = body[4 + 16:]
                    while len(tl) >= 4:
                        alen, atyp = struct.unpack_from("=HH", tl)
                        if atyp == 1:
                            msg = tl[4:alen].rstrip(b"\0").decode()
                        tl = tl[(alen + 3) & ~3:]
                return -code, msg, replies
            replies.append(body)


def resolve(sock):
    err, msg, replies = request(sock, 0x10, 3, 1, [attr(2, b"nfscope\0")], 1)
    if err:
        sys.exit(f"family nfscope not found: {os.strerror(err)}")
    a = replies[0][4:]
    while len(a) >= 4:
        alen, atyp = struct.unpack_from("=HH", a)
        if atyp == 1:
            return struct.unpack_from("=H", a, 4)[0]
        a = a[(alen + 3) & ~3:]
    sys.exit("no family id")


def encode(spec):
    typ, kind, value = spec.split(":", 2)
    payload = {
        "u8": lambda v: struct.pack("=B", int(v)),
        "u16": lambda v: struct.pack("=H", int(v)),
        "u32": lambda v: struct.pack("=I", int(v)),
        "str": lambda v: v.encode() + b"\0",
        "raw-hex": bytes.fromhex,
    }[kind](value)
    return attr(int(typ), payload)


def main():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    s.bind((0, 0))
    s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
    family = resolve(s)
    err, msg, _ = request(s, family, int(sys.argv[1]), 1, [encode(a) for a in sys.argv[2:]], 2)
    print(json.dumps({"errno": err, "extack": msg}))


if __name__ == "__main__":
    main()
