#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A TTY client for tests/tty (standard library only): talks to a tty whose
far end echoes every byte, as a serial-port program does.

  ttyio.py blocks TTY REPEATS        the block matrix (512 B x 1..8,
                                     1024 B x 1..5, 2048 B x 1..2, 4096 B,
                                     32 KiB x 1..8, and two odd sizes): each
                                     set written and
                                     read back REPEATS times on one open tty,
                                     checked; prints "SIZE COUNT MEDIAN_MS"
  ttyio.py latency TTY N             N round trips of 16 bytes; prints the
                                     median in microseconds
  ttyio.py echo TTY TEXT [--after-stale]
                                     one round trip of TEXT (after whatever
                                     the remote still sends from before)
  ttyio.py ptyecho LINK               a plain pty pair echoing locally (no
                                     rpmsg) behind the symlink LINK: the
                                     baseline for the figures
  ttyio.py slowread TTY TOTAL STOP_AT MARK OUT
                                     reads TOTAL bytes into OUT; after STOP_AT
                                     bytes stops reading until the file MARK
                                     exists (created by the caller once it has
                                     looked at the writer), then reads on,
                                     throttled

Every read has a deadline: a hang is a failure (exit 1), never a wait
forever.
"""
import os
import select
import statistics
import sys
import termios
import time
import tty

DEADLINE_S = 20.0

MATRIX = [(512, c) for c in (1, 2, 4, 8)] + \
         [(1024, c) for c in (1, 2, 4, 5)] + \
         [(2048, c) for c in (1, 2)] + [(4096, 1)] + \
         [(32768, c) for c in (1, 2, 4, 8)] + \
         [(33001, 3), (65537, 2)]  # not a multiple of any payload


def open_raw(path):
    # TCSANOW: a change that waits for the output to drain (TCSADRAIN,
    # TCSAFLUSH, what stty and tty.setraw use) also waits for the tty's
    # write lock, which a writer blocked by flow control holds.
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd, termios.TCSANOW)
    attrs = termios.tcgetattr(fd)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
    return fd


def read_exact(fd, n):
    """n bytes from fd, or SystemExit after DEADLINE_S without progress."""
    chunks = []
    got = 0
    while got < n:
        r, _, _ = select.select([fd], [], [], DEADLINE_S)
        if not r:
            sys.exit("ttyio: no data for %.0f s after %d of %d bytes"
                     % (DEADLINE_S, got, n))
        b = os.read(fd, min(65536, n - got))
        if not b:
            sys.exit("ttyio: end of file after %d of %d bytes" % (got, n))
        chunks.append(b)
        got += len(b)
    return b"".join(chunks)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        _, w, _ = select.select([], [fd], [], DEADLINE_S)
        if not w:
            sys.exit("ttyio: tty not writable for %.0f s" % DEADLINE_S)
        view = view[os.write(fd, view):]


def xfer(fd, data, chunk):
    """Writes data in writes of chunk bytes (as the seeds' benchmark writes
    its blocks) while reading the echo as it comes, so a set larger than
    every buffer on the way cannot wait on itself; returns what came back."""
    os.set_blocking(fd, False)
    view = memoryview(data)
    back = []
    got = 0
    while got < len(data):
        r, w, _ = select.select([fd], [fd] if view else [], [], DEADLINE_S)
        if not r and not w:
            sys.exit("ttyio: stuck for %.0f s after %d of %d bytes back"
                     % (DEADLINE_S, got, len(data)))
        if w:
            try:
                view = view[os.write(fd, view[:chunk]):]
            except BlockingIOError:
                pass
        if r:
            try:
                b = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not b:
                sys.exit("ttyio: end of file after %d bytes" % got)
            back.append(b)
            got += len(b)
    os.set_blocking(fd, True)
    return b"".join(back)


def pattern(size, seed):
    # Different bytes per set and per repeat: a byte from an earlier set
    # read late would not compare equal.
    return bytes((seed * 131 + i * 7 + (i >> 8)) & 0xFF for i in range(size))


def blocks(path, repeats):
    fd = open_raw(path)
    termios.tcflush(fd, termios.TCIOFLUSH)
    seed = 0
    for size, count in MATRIX:
        times = []
        for _ in range(repeats):
            seed += 1
            block = pattern(size, seed)
            t0 = time.perf_counter()
            back = xfer(fd, block * count, size)
            t1 = time.perf_counter()
            if back != block * count:
                sys.exit("ttyio: %d x %d B: echo differs" % (count, size))
            times.append((t1 - t0) * 1000.0)
        print("%d %d %.3f" % (size, count, statistics.median(times)),
              flush=True)
    os.close(fd)


def latency(path, n):
    fd = open_raw(path)
    termios.tcflush(fd, termios.TCIOFLUSH)
    msg = b"0123456789abcdef"
    rtts = []
    for _ in range(n):
        t0 = time.perf_counter()
        write_all(fd, msg)
        if read_exact(fd, len(msg)) != msg:
            sys.exit("ttyio: 16-byte echo differs")
        rtts.append((time.perf_counter() - t0) * 1e6)
    print("%.1f" % statistics.median(rtts))
    os.close(fd)


def slowread(path, total, stop_at, mark, out):
    fd = open_raw(path)
    # The tty is open and about to be read: a caller that starts writing
    # only now cannot have its data wait for an interpreter still starting.
    open(out + ".ready", "w").close()
    got = 0
    with open(out, "wb") as f:
        while got < total:
            want = min(65536, total - got)
            if got < stop_at:
                want = min(want, stop_at - got)
            b = read_exact(fd, want)
            f.write(b)
            got += len(b)
            if got > stop_at:
                # Throttled: at most 64 KiB per 5 ms, well below what the
                # writer and the remote do.
                time.sleep(0.005)
            if got == stop_at:
                # Stopped: the caller checks the writer is blocked.
                open(mark + ".stopped", "w").close()
                t0 = time.monotonic()
                while not os.path.exists(mark):
                    if time.monotonic() - t0 > 60:
                        sys.exit("ttyio: never told to read on")
                    time.sleep(0.01)
    os.close(fd)


def ptyecho(link):
    """The baseline with no rpmsg: a plain pty pair whose master side sends
    every byte back, behind a symlink like ttyRPMSGN; runs until killed.
    It keeps the slave open, as hipcd does."""
    master, slave = os.openpty()
    tty.setraw(slave, termios.TCSANOW)
    tmp = link + ".new"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(os.ttyname(slave), tmp)
    os.rename(tmp, link)
    while True:
        b = os.read(master, 65536)
        view = memoryview(b)
        while view:
            view = view[os.write(master, view):]


def echo(path, text, after_stale=False):
    """One round trip: text written, as many bytes read back (deadline).
    after_stale: the remote may still be sending what it had before (a
    line hung up under a live remote): bytes before the echo are skipped
    and counted."""
    fd = open_raw(path)
    data = text.encode()
    write_all(fd, data)
    back = read_exact(fd, len(data))
    stale = 0
    while after_stale and back != data:
        back = back[1:] + read_exact(fd, 1)
        stale += 1
    os.close(fd)
    if back != data:
        sys.exit("ttyio: sent %r, got %r" % (data, back))
    print(back.decode() + (" (after %d stale bytes)" % stale if stale else ""))


def main(argv):
    if len(argv) >= 4 and argv[1] == "blocks":
        blocks(argv[2], int(argv[3]))
    elif len(argv) >= 4 and argv[1] == "latency":
        latency(argv[2], int(argv[3]))
    elif len(argv) >= 4 and argv[1] == "echo":
        echo(argv[2], argv[3], len(argv) > 4 and argv[4] == "--after-stale")
    elif len(argv) >= 3 and argv[1] == "ptyecho":
        ptyecho(argv[2])
    elif len(argv) >= 7 and argv[1] == "slowread":
        slowread(argv[2], int(argv[3]), int(argv[4]), argv[5], argv[6])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
