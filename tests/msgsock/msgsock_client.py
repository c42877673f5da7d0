#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A message-socket client for the tests (standard library only).

  msgsock_client.py bench PATH [--sizes 512,1024] [--count N] [--blocks B]
        [--until-hangup] [--ready FILE]
      The benchmark protocol (docs/bench-protocol.md) against the
      firmware's "hipc-bench": N transfers of each size, each either one
      message (header and data, --blocks 0) or the header then the data in
      B-byte messages (--blocks -1: the whole stream, header included, cut
      at random points into messages of 1 to 1500 bytes); every answer must
      be (size, status 0).
      --until-hangup: keep going until the connection ends, which must
      show as end of file or ECONNRESET/EPIPE (exit status 3).
      --ready FILE: create FILE once the first transfer is answered.
  msgsock_client.py echo PATH [--sizes 16,700] [--count N] [--tag T]
        [--until-hangup] [--ready FILE]
      Sequence-stamped messages to "hipc-echo"; the echo comes back in
      pieces of at most one rpmsg payload each, which must add up to
      exactly what was sent (so nothing of another client's is mixed in).
  msgsock_client.py bad PATH
      A bad preamble and an oversize length must be reported (status 1,
      then 2), and a good transfer after them answered.

Exit status: 0 all checked, 1 a check failed, 3 hung up (--until-hangup).
"""
import argparse
import os
import random
import socket
import struct
import sys

PREAMBLE = b"HIPC"


def fail(msg):
    print("FAIL:", msg, flush=True)
    sys.exit(1)


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(20)
    s.connect(path)
    return s


def answer(s):
    a = s.recv(64)
    if len(a) == 0:
        raise ConnectionResetError("end of file")
    if len(a) != 8:
        fail("answer of %d bytes: %r" % (len(a), a))
    return struct.unpack("<II", a)


def transfer(s, size, blocks):
    hdr = PREAMBLE + struct.pack("<I", size)
    data = os.urandom(size)
    if blocks == 0:
        s.send(hdr + data)
    elif blocks < 0:
        stream = hdr + data
        off = 0
        while off < len(stream):
            n = random.randint(1, 1500)
            s.send(stream[off:off + n])
            off += n
    else:
        s.send(hdr)
        for off in range(0, size, blocks):
            s.send(data[off:off + blocks])
    count, status = answer(s)
    if (count, status) != (size, 0):
        fail("transfer of %d: answer count %d status %d" % (size, count,
                                                           status))
    # The seeds' 2-byte answer is the first two bytes of ours.
    if size < 65536 and struct.pack("<I", count)[:2] != struct.pack(
            "<H", size):
        fail("low 16 bits")


def bench(a):
    s = connect(a.path)
    n = 0
    try:
        while True:
            for size in a.sizes:
                for _ in range(a.count):
                    transfer(s, size, a.blocks)
                    n += 1
                    if a.ready and n == 1:
                        open(a.ready, "w").close()
            if not a.until_hangup:
                break
    except (ConnectionResetError, BrokenPipeError) as e:
        if a.until_hangup:
            print("hung up after %d transfers: %s" % (n, e), flush=True)
            sys.exit(3)
        fail("connection ended: %s" % e)
    print("ok %d transfers" % n, flush=True)


def stamp(tag, seq, size):
    head = ("%s:%d:" % (tag, seq)).encode()
    body = (head * (size // len(head) + 1))[:size]
    return body


def echo(a):
    try:
        echo_loop(a)
    except (ConnectionResetError, BrokenPipeError) as e:
        hangup(a, e)


def hangup(a, e):
    if a.until_hangup:
        print("hung up: %s" % e, flush=True)
        sys.exit(3)
    fail("connection ended: %s" % e)


def echo_loop(a):
    s = connect(a.path)
    pieces = 0
    seq = 0
    while seq < a.count or a.until_hangup:
        size = a.sizes[seq % len(a.sizes)]
        msg = stamp(a.tag, seq, size)
        s.send(msg)
        got = b""
        while len(got) < size:
            r = s.recv(65536)
            if not r:
                hangup(a, "end of file after %d of %d bytes" %
                       (len(got), size))
            if len(r) > 496:
                fail("an echo piece of %d bytes" % len(r))
            got += r
            pieces += 1
        if got != msg:
            fail("echo %d of %d bytes differs (another client's?): %r" %
                 (seq, size, got[:40]))
        seq += 1
        if a.ready and seq == 1:
            open(a.ready, "w").close()
    print("ok %d echoes in %d pieces" % (a.count, pieces), flush=True)


def bad(a):
    s = connect(a.path)
    s.send(b"garbage!")
    if answer(s) != (0, 1):
        fail("bad preamble not reported")
    s.send(PREAMBLE + struct.pack("<I", 0xFFFFFFFF))
    if answer(s) != (0, 2):
        fail("oversize length not refused")
    s.send(b"more garbage after the refusal")
    transfer(s, 1000, 100)
    print("ok", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["bench", "echo", "bad"])
    p.add_argument("path")
    p.add_argument("--sizes", default="512")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--blocks", type=int, default=0)
    p.add_argument("--tag", default="t")
    p.add_argument("--until-hangup", action="store_true")
    p.add_argument("--ready")
    a = p.parse_args()
    a.sizes = [int(x) for x in a.sizes.split(",")]
    {"bench": bench, "echo": echo, "bad": bad}[a.mode](a)


if __name__ == "__main__":
    main()
