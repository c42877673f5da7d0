#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Raw Ethernet helpers for tests/net (standard library only, needs root).

  frames.py send IFNAME COUNT MAGIC      COUNT broadcast frames, EtherType
                                         0x88b5 (local experimental), the
                                         payload starting with MAGIC
  frames.py count IFNAME MAGIC EXPECT STOPFILE SECONDS
                                         counts frames arriving on IFNAME
                                         carrying MAGIC until EXPECT (> 0)
                                         are seen, STOPFILE exists or
                                         SECONDS pass; prints the count
                                         ("ready" on stderr once listening)
  frames.py udp ADDR PORT COUNT          COUNT datagrams of 1000 bytes, as
                                         fast as the socket takes them
"""
import os
import socket
import sys
import time

ETH_P_ALL = 0x0003
ETHERTYPE = 0x88B5


def send(ifname, count, magic):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    src = open(f"/sys/class/net/{ifname}/address").read().strip()
    hdr = b"\xff" * 6 + bytes.fromhex(src.replace(":", "")) + \
        ETHERTYPE.to_bytes(2, "big")
    for i in range(count):
        s.send(hdr + magic.encode() + i.to_bytes(4, "big") + b"\0" * 40)
        time.sleep(0.001)


def count(ifname, magic, expect, stopfile, seconds):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.settimeout(0.1)
    sys.stderr.write("ready\n")
    sys.stderr.flush()
    needle = magic.encode()
    seen = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end and not os.path.exists(stopfile):
        if expect and seen >= expect:
            break
        try:
            data, addr = s.recvfrom(65536)
        except socket.timeout:
            continue
        # Only what arrived on this interface, not what we sent on it.
        if addr[2] != socket.PACKET_OUTGOING and needle in data:
            seen += 1
    print(seen)


def udp(addr, port, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = b"x" * 1000
    sent = 0
    for _ in range(n):
        try:
            s.sendto(payload, (addr, port))
            sent += 1
        except OSError:
            pass  # a full qdisc says ENOBUFS: that is the point
    print(sent)


def main():
    a = sys.argv[1:]
    if a[:1] == ["send"]:
        send(a[1], int(a[2]), a[3])
    elif a[:1] == ["count"]:
        count(a[1], a[2], int(a[3]), a[4], float(a[5]))
    elif a[:1] == ["udp"]:
        udp(a[1], int(a[2]), int(a[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
