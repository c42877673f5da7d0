#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Raw Ethernet helpers for tests/net (Python's standard library, iproute2's
ip and tc; needs root).

  frames.py send IFNAME COUNT MAGIC      COUNT broadcast frames, EtherType
                                         0x88b5 (local experimental), the
                                         payload starting with MAGIC
  frames.py count IFNAME MAGIC EXPECT STOPFILE SECONDS [MINLEN]
                                         counts frames arriving on IFNAME
                                         carrying MAGIC (and at least
                                         MINLEN bytes long) until EXPECT
                                         (> 0) are seen, STOPFILE exists
                                         or SECONDS pass; prints the count
                                         ("ready" on stderr once listening)
  frames.py raw IFNAME LEN ETHERTYPE     one broadcast frame of LEN bytes
                                         through a packet socket; prints
                                         "sent" or the errno's name
  frames.py inject IFNAME TUN LEN...     frames of these lengths (any, 1
                                         byte up) onto IFNAME's transmit
                                         queue, which a packet socket
                                         cannot do (below); returns once
                                         all are there, printing "sent N"
  frames.py udp ADDR PORT COUNT          COUNT datagrams of 1000 bytes, as
                                         fast as the socket takes them
"""
import errno
import fcntl
import os
import re
import socket
import struct
import subprocess
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


def count(ifname, magic, expect, stopfile, seconds, minlen=0):
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
        if addr[2] != socket.PACKET_OUTGOING and needle in data and \
                len(data) >= minlen:
            seen += 1
    print(seen)


def raw(ifname, length, ethertype):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    f = b"\xff" * 6 + b"\x02\0\0\0\0\x01" + ethertype.to_bytes(2, "big")
    f = (f + b"\0" * length)[:length]
    try:
        s.send(f)
        print("sent")
    except OSError as e:
        print(errno.errorcode[e.errno])


TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def inject(ifname, tun, lengths):
    """A packet socket refuses a frame shorter than an Ethernet header
    (EINVAL) and one longer than the MTU (EMSGSIZE; 4 bytes more for an
    802.1Q EtherType), and the kernel's own frames keep to them too.  What
    does reach a TAP is whatever is put on its transmit queue: here tc's
    mirred action redirects everything an L3 TUN device (ours, gone with
    this process) receives there, which is whatever we write to it: the
    TUN takes any length from 1 byte whose first nibble is an IP version.
    The classifier is a one-instruction classic BPF program ("accept"):
    u32 would not match a packet shorter than the 4 bytes it reads."""
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tun.encode(),
                                           IFF_TUN | IFF_NO_PI))
    for cmd in (["ip", "link", "set", tun, "up"],
                ["tc", "qdisc", "add", "dev", tun, "ingress"],
                ["tc", "filter", "add", "dev", tun, "parent", "ffff:",
                 "protocol", "all", "bpf", "bytecode", "1,6 0 0 4294967295",
                 "action", "mirred", "egress", "redirect", "dev", ifname]):
        subprocess.run(cmd, check=True)
    for n in lengths:
        os.write(fd, (b"\x45" + b"\xee" * n)[:n])
    # Returned once mirred has handed every one to the TAP: the action's
    # count, which goes up as it does so.
    end = time.monotonic() + 10
    done = 0
    while done < len(lengths) and time.monotonic() < end:
        out = subprocess.run(["tc", "-s", "filter", "show", "dev", tun,
                              "parent", "ffff:"], check=True,
                             capture_output=True, text=True).stdout
        done = max([int(m) for m in
                    re.findall(r"Sent \d+ bytes (\d+) pkt", out)] + [0])
        time.sleep(0.02)
    print(f"sent {done}")
    os.close(fd)


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
        count(a[1], a[2], int(a[3]), a[4], float(a[5]),
              int(a[6]) if len(a) > 6 else 0)
    elif a[:1] == ["raw"]:
        raw(a[1], int(a[2]), int(a[3], 16))
    elif a[:1] == ["inject"]:
        inject(a[1], a[2], [int(n) for n in a[3:]])
    elif a[:1] == ["udp"]:
        udp(a[1], int(a[2]), int(a[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
