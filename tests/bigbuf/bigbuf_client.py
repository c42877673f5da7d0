#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Big buffers through hipcd from Python (python/hipc_bigbuf_client.py),
against firmware/sdb as remote m4 (tests/client/with-hipcd.sh): buffers
both ways, every CRC32C checked by the receiver and every pattern's ends
here, pipelined sends and releases, a refusal seen as the errno."""
import errno
import os
import select
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "python"))
import hipc_bigbuf_client as bbc  # noqa: E402

# firmware/sdb/sdb_proto.h
SDB_CMD = struct.Struct("=IIIIQII")
SDB_REPORT = struct.Struct("=IIiIQQQQ")
SDB_CMD_MAGIC, SDB_REPORT_MAGIC = 0x43424453, 0x53424453
SDB_OP_PRODUCE, SDB_POOL_SMALL, SDB_F_CRC = 1, 1, 1
M64 = (1 << 64) - 1
N, SIZE = 512, 4096


def sdb_word(seq, i):
    return ((seq * 0x9E3779B97F4A7C15) & M64) ^ i


def wait_events(c):
    # what the library kept first: poll() does not see it
    evs = c.events()
    if evs:
        return evs
    select.select([c], [], [], 10)
    return c.events()


def main():
    end = time.monotonic() + 10
    while True:
        try:
            c = bbc.open("m4", "hipc-sdb", "sdb-4k")
            break
        except OSError as e:
            if e.errno not in (errno.ENOENT, errno.ENOTCONN) or \
                    time.monotonic() > end:
                raise
            time.sleep(0.01)
    assert c.buf_size == SIZE and c.host_count == 32

    # Host to remote: random bytes, the remote checks each CRC32C.
    sent = back = 0
    while back < N:
        while sent < N:
            try:
                i, gen = c.alloc()
            except OSError as e:
                if e.errno != errno.EAGAIN:
                    raise
                break
            c.buffer(i)[:] = os.urandom(SIZE)
            c.send(i, gen, 0, SIZE, bbc.F_CRC, wait=False)
            sent += 1
        for ev in wait_events(c):
            if ev.type == bbc.EV_MSG:
                continue
            assert ev.type == bbc.EV_RET and ev.status == 0, vars(ev)
            assert ev.length == SIZE or ev.flags & bbc.RET_UNNOTICED
            back += 1

    # Remote to host: hipcd checks each CRC32C, we each pattern's ends.
    c.send_msg(SDB_CMD.pack(SDB_CMD_MAGIC, SDB_OP_PRODUCE, SDB_POOL_SMALL,
                            SIZE, N, 0, SDB_F_CRC))
    got, done = 0, False
    while got < N or not done:
        for ev in wait_events(c):
            if ev.type == bbc.EV_MSG:
                r = SDB_REPORT.unpack(ev.data)
                assert r[0] == SDB_REPORT_MAGIC and r[1] == SDB_OP_PRODUCE
                assert r[2] == 0
                done = True
                continue
            assert ev.type == bbc.EV_RX and len(ev.data) == SIZE, vars(ev)
            first, = struct.unpack_from("=Q", ev.data, 0)
            last, = struct.unpack_from("=Q", ev.data, SIZE - 8)
            assert first == sdb_word(got, 0), got
            assert last == sdb_word(got, SIZE // 8 - 1), got
            ev.data.release()
            c.release(ev.index, ev.generation, SIZE, wait=False)
            got += 1

    # Refusals: a buffer never lent, waited for and pipelined.
    try:
        c.release(c.host_count, 1)
        raise AssertionError("release of a buffer never lent accepted")
    except OSError as e:
        assert e.errno == errno.EPERM, e
    c.send(3, 1, 0, 16, wait=False)
    refusal = [ev for ev in wait_events(c) if ev.type == bbc.EV_REPLY]
    assert len(refusal) == 1 and refusal[0].status == -errno.EPERM
    st = c.stats()
    assert st["sent"] == N and st["received"] == N and st["released"] == N
    assert st["refused_owner"] == 2, st

    # A writer that never reads: its requests all go (the daemon's answers
    # taken in meanwhile), every refusal comes, in order.
    W = 20000
    for k in range(W):
        c.release(0x10000 + k, 1, wait=False)
    got, end = [], time.monotonic() + 30
    while len(got) < W and time.monotonic() < end:
        got += [ev.index for ev in wait_events(c)
                if ev.type == bbc.EV_REPLY and ev.status < 0]
    assert got == [0x10000 + k for k in range(W)], len(got)
    # On a descriptor an event loop made non-blocking: calls still
    # answered; a request without an answer raises EAGAIN when it cannot
    # go (nothing sent), and goes once the events are taken.
    os.set_blocking(c.fileno(), False)
    for _ in range(20):
        i, gen = c.alloc()
        c.free(i, gen)
    got, k = [], 0
    while k < W:
        try:
            c.release(0x20000 + k, 1, wait=False)
            k += 1
        except OSError as e:
            assert e.errno == errno.EAGAIN, e
            got += [ev.index for ev in wait_events(c)]
    end = time.monotonic() + 30
    while len(got) < W and time.monotonic() < end:
        got += [ev.index for ev in wait_events(c)]
    assert got == [0x20000 + k for k in range(W)], len(got)
    c.close()
    print("ok: %d buffers each way, 2 refusals; %d pipelined refusals "
          "to a writer that never read" % (N, W))


if __name__ == "__main__":
    main()
