# SPDX-License-Identifier: BSD-3-Clause
"""Big buffers through hipcd from Python, standard library only.

The protocol of hipc/bigbuf_client.h on RUN_DIR/REMOTE/bigbuf: name a
service and a pool, receive the pools' memfd and map it, then fill and
read buffers in place while hipcd lends them and checks every request.

    import hipc_bigbuf_client as bbc
    c = bbc.open("m4", "hipc-sdb", "sdb-1m")   # pollable: select([c], ...)
    index, gen = c.alloc()
    c.buffer(index)[:n] = data                 # a memoryview of the buffer
    c.send(index, gen, 0, n, bbc.F_CRC)
    for ev in c.events():                      # what arrived, never waits
        if ev.type == bbc.EV_RX:
            use(ev.data)                       # a memoryview, until released
            c.release(ev.index, ev.generation, len(ev.data))
    c.close()

Errors are OSError with the errno the daemon answered (EPERM: not lent
to us, ESTALE, ERANGE, EINVAL, EAGAIN: no buffer free, ECONNRESET: the
remote or its service went away, ENOENT: no such pool or service).
"""
import errno
import mmap
import os
import select
import socket
import struct

__all__ = ["open", "Client", "Event", "F_CRC", "EV_RX", "EV_RET", "EV_MSG",
           "EV_REPLY"]

# hipc/bigbuf_client.h (host byte order)
_OPEN, _ALLOC, _SEND, _FREE, _RELEASE, _MSG, _STATS = 1, 2, 3, 4, 5, 6, 7
NOREPLY = 0x80000000
EV_REPLY, EV_RX, EV_RET, EV_MSG = 0x100, 0x101, 0x102, 0x103
F_CRC = 0x1                 # HIPC_BUFPOOL_F_CRC
RET_UNNOTICED = 0x1
# op, status, seq, index, generation, offset, length, flags, data_off,
# region_size, pool_id, count, host_count, buf_size, max_payload,
# reserved, service, pool
_MSGS = struct.Struct("=IiIIIIIIQQIIIIII32s32s")
_HEAD = struct.Struct("=II")
_STATS_FIELDS = ("requests", "allocs", "sent", "sent_bytes", "received",
                 "received_bytes", "released", "returned", "msgs_out",
                 "msgs_in", "refused_bad", "refused_range", "refused_owner",
                 "refused_stale", "refused_other", "alloc_empty",
                 "alloc_quota")
_STATSS = struct.Struct("=%dQ" % len(_STATS_FIELDS))
assert _MSGS.size == 136


def _error(code, what):
    return OSError(code, "%s: %s" % (what, os.strerror(code)))


def _run_dir():
    env = os.environ.get("HIPC_RUN_DIR")
    if env:
        return env
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    return os.path.join(xdg, "hipc") if xdg else "/run/hipc"


class Event:
    """type (EV_RX, EV_RET, EV_MSG, EV_REPLY: a pipelined request
    refused), status, index, generation, length, flags, data (EV_RX: a
    memoryview into the buffer; EV_MSG: bytes)."""

    def __init__(self, type, status=0, index=0, generation=0, length=0,
                 flags=0, data=None):
        self.type, self.status, self.index = type, status, index
        self.generation, self.length, self.flags = generation, length, flags
        self.data = data


class Client:
    def __init__(self, sock, geo, mem):
        self._s = sock
        (_, _, _, _, _, _, _, _, self.data_off, self.region_size,
         self.pool_id, self.count, self.host_count, self.buf_size,
         self.max_payload, _, _, _) = geo
        self._mem = mem
        self._view = memoryview(mem)
        self._seq = 1
        self._queue = []

    def fileno(self):
        return self._s.fileno()

    def buffer(self, index):
        """Buffer @index of the pool, all buf_size bytes, as a memoryview."""
        if not 0 <= index < self.count:
            raise _error(errno.ERANGE, "buffer %d" % index)
        off = self.data_off + index * self.buf_size
        return self._view[off:off + self.buf_size]

    def _recv(self):
        """The daemon's next message, waiting for it whatever the
        descriptor's flags (an event loop may have made it non-blocking)."""
        while True:
            try:
                return self._s.recv(4096, socket.MSG_DONTWAIT)
            except BlockingIOError:
                select.select([self._s], [], [])

    def _send(self, data, nowait=False):
        # While the socket is full, what the daemon sends goes to the
        # event queue: it stops reading a client that does not read, and
        # one that only wrote would wait for it for ever.  A request
        # without an answer on a descriptor made non-blocking raises EAGAIN
        # instead of waiting (nothing sent).
        while True:
            try:
                self._s.send(data, socket.MSG_DONTWAIT)
                return
            except (BrokenPipeError, ConnectionResetError):
                raise _error(errno.ECONNRESET, "bigbuf")
            except BlockingIOError:
                pass
            try:
                m = self._s.recv(4096, socket.MSG_DONTWAIT)
            except BlockingIOError:
                if nowait and not os.get_blocking(self._s.fileno()):
                    raise _error(errno.EAGAIN, "bigbuf") from None
                select.select([self._s], [self._s], [])
                continue
            if not m:
                raise _error(errno.ECONNRESET, "bigbuf")
            self._queue.append(m)

    def _call(self, op, index=0, gen=0, offset=0, length=0, flags=0,
              extra=0):
        self._seq += 1
        seq = self._seq
        self._send(_MSGS.pack(op, 0, seq, index, gen, offset, length, flags,
                              0, 0, 0, 0, 0, 0, 0, 0, b"", b""))
        while True:
            m = self._recv()
            if not m:
                raise _error(errno.ECONNRESET, "bigbuf")
            op_in = _HEAD.unpack_from(m)[0]
            if op_in != EV_REPLY or len(m) < _MSGS.size:
                self._queue.append(m)
                continue
            r = _MSGS.unpack_from(m)
            if r[2] != seq:
                if r[1] < 0:            # a pipelined request's refusal
                    self._queue.append(m)
                    continue
                raise _error(errno.EPROTO, "bigbuf reply")
            if r[1] < 0:
                raise _error(-r[1], "bigbuf")
            if len(m) != _MSGS.size + extra:
                raise _error(errno.EPROTO, "bigbuf reply")
            return r, m[_MSGS.size:]

    def _nowait(self, op, index, gen, offset=0, length=0, flags=0):
        self._seq += 1
        self._send(_MSGS.pack(op | NOREPLY, 0, self._seq, index, gen, offset,
                              length, flags, 0, 0, 0, 0, 0, 0, 0, 0, b"",
                              b""), nowait=True)

    def alloc(self):
        """A host buffer lent to us: (index, generation)."""
        r, _ = self._call(_ALLOC)
        if r[3] >= self.host_count:
            raise _error(errno.EPROTO, "bigbuf alloc")
        return r[3], r[4]

    def send(self, index, gen, offset, length, flags=0, wait=True):
        if wait:
            self._call(_SEND, index, gen, offset, length, flags)
        else:
            self._nowait(_SEND, index, gen, offset, length, flags)

    def free(self, index, gen):
        self._call(_FREE, index, gen)

    def release(self, index, gen, consumed=0, wait=True):
        if wait:
            self._call(_RELEASE, index, gen, 0, consumed)
        else:
            self._nowait(_RELEASE, index, gen, 0, consumed)

    def send_msg(self, data):
        if len(data) > self.max_payload:
            raise _error(errno.EMSGSIZE, "bigbuf message")
        self._seq += 1
        seq = self._seq
        self._send(_HEAD.pack(_MSG, seq) + bytes(data))
        while True:
            m = self._recv()
            if not m:
                raise _error(errno.ECONNRESET, "bigbuf")
            r = _MSGS.unpack_from(m) if len(m) == _MSGS.size else None
            if r and r[0] == EV_REPLY and r[2] == seq:
                if r[1] < 0:
                    raise _error(-r[1], "bigbuf message")
                return
            self._queue.append(m)

    def stats(self):
        """What hipcd counted for this connection, as a dict."""
        _, extra = self._call(_STATS, extra=_STATSS.size)
        return dict(zip(_STATS_FIELDS, _STATSS.unpack(extra)))

    def _event(self, m):
        op = _HEAD.unpack_from(m)[0]
        if op == EV_MSG:
            return Event(op, length=len(m) - 8, data=bytes(m[8:]))
        if len(m) != _MSGS.size:
            raise _error(errno.EPROTO, "bigbuf event")
        r = _MSGS.unpack(m)
        ev = Event(op, r[1], r[3], r[4], r[6], r[7])
        if op == EV_RX:
            if not (self.host_count <= r[3] < self.count and
                    r[5] <= self.buf_size and r[6] <= self.buf_size - r[5]):
                raise _error(errno.EPROTO, "bigbuf event")
            ev.data = self.buffer(r[3])[r[5]:r[5] + r[6]]
        elif op not in (EV_RET, EV_REPLY):
            raise _error(errno.EPROTO, "bigbuf event")
        return ev

    def events(self):
        """Every event there is now (never waits); ECONNRESET at the end."""
        out = [self._event(m) for m in self._queue]
        self._queue = []
        while True:
            try:
                m = self._s.recv(4096, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return out
            if not m:
                if out:
                    return out
                raise _error(errno.ECONNRESET, "bigbuf")
            out.append(self._event(m))

    def close(self):
        self._view.release()
        self._mem.close()
        self._s.close()


def open(remote, service, pool, run_dir=None):
    """A client of @pool of @remote's @service through hipcd."""
    if not remote or "/" in remote:
        raise _error(errno.EINVAL, "remote")
    path = os.path.join(run_dir or _run_dir(), remote, "bigbuf")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect(path)
    except FileNotFoundError:
        s.close()
        raise _error(errno.ENOENT, path)
    except OSError:
        s.close()
        raise
    try:
        s.send(_MSGS.pack(_OPEN, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                          service.encode(), pool.encode()))
        msg, fds, _, _ = socket.recv_fds(s, 4096, 4)
        try:
            if len(msg) != _MSGS.size:
                raise _error(errno.ECONNRESET if not msg else errno.EPROTO,
                             "bigbuf open")
            geo = _MSGS.unpack(msg)
            if geo[0] != EV_REPLY or geo[2] != 1:
                raise _error(errno.EPROTO, "bigbuf open")
            if geo[1] < 0:
                raise _error(-geo[1], "%s/%s" % (service, pool))
            (data_off, size, count, buf_size) = geo[8], geo[9], geo[11], geo[13]
            if (not fds or not count or not buf_size or data_off > size or
                    count * buf_size > size - data_off):
                raise _error(errno.EPROTO, "bigbuf open")
            mem = mmap.mmap(fds[0], size, mmap.MAP_SHARED,
                            mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            for fd in fds:
                os.close(fd)
    except BaseException:
        s.close()
        raise
    return Client(s, geo, mem)

