#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""client_echo.py: the Python twin of hipc-client-echo (client_echo.c).

    client_echo.py [-w WHERE] [-n COUNT] [-W WINDOW] [-t SECONDS] REMOTE:SERVICE...

Same messages, same checks, select() over every endpoint at once, and
in the simulation an empty message and EXTRA more endpoints at once.  The
module is found next to the repository's python/ directory or installed.
"""
import argparse
import errno
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "python"))
import hipc_rpmsg_char as rc  # noqa: E402

EXTRA = 40  # more than hipcd serves rpmsg_ctrl connections at once


def fill(seq):
    n = 4 + seq % 61
    return struct.pack("<I", seq) + bytes((seq * 31 + i) & 0xFF
                                          for i in range(4, n))


def echo_back(dev):
    """The next message on a non-blocking device, within 10 s."""
    if not select.select([dev], [], [], 10)[0]:
        sys.exit("client_echo.py: %s: no reply within 10 s" % dev.path)
    return dev.recv(512)


def many_at_once(spec):
    """EXTRA endpoints on spec's remote and service, all open at once: each
    echoes a message of its own, then all are closed."""
    remote, _, service = spec.partition(":")
    devs = [rc.open(remote, service, nonblock=True) for _ in range(EXTRA)]
    for i, dev in enumerate(devs):
        dev.send(fill(1000 + i))
        if echo_back(dev) != fill(1000 + i):
            sys.exit("client_echo.py: %s: endpoint %d of %d more: reply "
                     "wrong" % (spec, i + 1, EXTRA))
    for dev in devs:
        rc.close(dev)
    print("%s: %d more endpoints at once: every one echoed" % (spec, EXTRA))


def ctrl_connections_all_taken(spec, ept):
    """hipcd serves 16 rpmsg_ctrl connections per remote at a time: a child
    holds 16 (each served a request, so all accepted) for 300 ms while this
    process opens an endpoint, which must still succeed, after the wait."""
    ctrl = os.path.join(os.path.dirname(ept), "rpmsg_ctrl")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            held = []
            for _ in range(16):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                s.connect(ctrl)
                s.send(struct.pack("<I32sIII", 3, b"", 0, 0, 0))  # LOOKUP
                if not s.recv(64):
                    os._exit(1)
                held.append(s)
            os.write(w, b"k")
            time.sleep(0.3)
            os._exit(0)
        except BaseException:
            os._exit(1)
    assert os.read(r, 1) == b"k", "could not hold 16 rpmsg_ctrl connections"
    t0 = time.monotonic()
    remote, _, service = spec.partition(":")
    dev = rc.open(None if remote == "-" else remote, service, nonblock=True)
    dev.send(fill(3000))
    if echo_back(dev) != fill(3000):
        sys.exit("client_echo.py: %s: reply wrong" % spec)
    rc.close(dev)
    assert os.waitpid(pid, 0)[1] == 0
    os.close(r)
    os.close(w)
    print("%s: rpmsg_ctrl full for 300 ms: the open waited %.0f ms, then "
          "went through" % (spec, (time.monotonic() - t0) * 1000))


def reopen_below_others(spec):
    """Three endpoints of the same name, the first closed, a fourth
    opened: the kernel gives it the lowest free number, below the third's,
    and the module must open the one it made, not the highest of that
    name (the third, in use)."""
    remote, _, service = spec.partition(":")
    remote = None if remote == "-" else remote
    devs = [rc.open(remote, service, nonblock=True) for _ in range(3)]
    rc.close(devs[0])
    devs[0] = rc.open(remote, service, nonblock=True)
    assert devs[0].path not in (devs[1].path, devs[2].path), devs[0].path
    for i, dev in enumerate(devs):
        dev.send(fill(2000 + i))
        if echo_back(dev) != fill(2000 + i):
            sys.exit("client_echo.py: %s: %s: reply wrong" % (spec, dev.path))
    for dev in devs:
        rc.close(dev)
    print("%s: an endpoint reopened below two others: its own device" % spec)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-w", dest="where")
    ap.add_argument("-n", dest="count", type=int, default=10000)
    ap.add_argument("-W", dest="window", type=int, default=8)
    ap.add_argument("-t", dest="wait", type=float, default=0)
    ap.add_argument("specs", nargs="+")
    a = ap.parse_args()
    deadline = time.monotonic() + a.wait

    def retry(fn, *args, **kw):
        # a remote or service not there yet (a kernel still probing)
        while True:
            try:
                return fn(*args, **kw)
            except OSError as x:
                if x.errno != errno.ENOENT or time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)

    retry(rc.init, a.where)
    epts = []
    for spec in a.specs:
        remote, _, service = spec.partition(":")
        dev = retry(rc.open, None if remote == "-" else remote, service,
                    nonblock=True)
        print("%s: %s, local 0x%x, remote 0x%x, max payload %d" %
              (spec, dev.path, dev.local_addr, dev.remote_addr,
               dev.max_payload))
        epts.append({"dev": dev, "spec": spec, "sent": 0, "got": 0})
    t0 = time.monotonic()
    while True:
        live = [e for e in epts if e["got"] < a.count]
        if not live:
            break
        wr = []
        for e in live:
            # sent whenever the window allows, select() for writable only
            # after EAGAIN: the kernel's rpmsg_char never reports POLLOUT
            dev = e["dev"]
            while e["sent"] < a.count and e["sent"] - e["got"] < a.window:
                try:
                    dev.send(fill(e["sent"]))
                except BlockingIOError:
                    wr.append(dev)
                    break
                e["sent"] += 1
        r, w, _ = select.select([e["dev"] for e in live], wr, [], 10)
        if not r and not w:
            sys.exit("client_echo.py: nothing for 10 s")
        for e in live:
            dev = e["dev"]
            while dev in r and e["got"] < e["sent"]:
                try:
                    msg = dev.recv(512)
                except BlockingIOError:
                    break
                if msg != fill(e["got"]):
                    sys.exit("client_echo.py: %s: reply %d wrong" %
                             (e["spec"], e["got"]))
                e["got"] += 1
    dt = time.monotonic() - t0
    for e in epts:
        print("%s: %d messages echoed" % (e["spec"], a.count))
    print("%d messages over %d endpoint(s) in %.3f s: %.0f messages/s" %
          (a.count * len(epts), len(epts), dt, a.count * len(epts) / dt))
    for e in epts:
        dev = e["dev"]
        if dev.max_payload:
            try:
                dev.send(bytes(dev.max_payload + 1))
                sys.exit("client_echo.py: oversize message accepted")
            except OSError as x:
                if x.errno != errno.EMSGSIZE:
                    raise
            dev.send(b"")
            if echo_back(dev) != b"":
                sys.exit("client_echo.py: %s: an empty message did not "
                         "come back empty" % e["spec"])
    if epts[0]["dev"].max_payload:
        many_at_once(epts[0]["spec"])
        ctrl_connections_all_taken(epts[0]["spec"], epts[0]["dev"].path)
    reopen_below_others(epts[0]["spec"])
    for e in epts:
        rc.close(e["dev"])
    rc.exit()


if __name__ == "__main__":
    main()
