# SPDX-License-Identifier: BSD-3-Clause
"""Endpoint devices from Python, standard library only.

The same four calls as the C library (hipc/rpmsg_char.h): init, open,
close, exit.  They work against hipcd's run directory (the host
simulation: RUN_DIR/REMOTE/rpmsg_ctrl and RUN_DIR/REMOTE/rpmsgN) and
against a real kernel's /dev/rpmsg_ctrlN and /dev/rpmsgN, so a program
runs unchanged in both.

    import hipc_rpmsg_char as rc
    rc.init()                          # or rc.init("kernel"), rc.init(RUN_DIR)
    dev = rc.open("m4", "rpmsg-raw")   # pollable: select([dev], ...)
    dev.send(b"hello")
    reply = dev.recv()
    rc.close(dev)
    rc.exit()

Errors are OSError with the errno a C caller would get: EMSGSIZE over
max_payload, EAGAIN when non-blocking and no buffer is free or nothing
is there, ECONNRESET once the remote went away, EBUSY for a second
client of one endpoint, ENOENT for a remote or service that is not there.
"""
import builtins
import errno
import fcntl
import os
import select
import socket
import stat
import struct
import time

__all__ = ["init", "open", "close", "exit", "Device", "ADDR_ANY"]

ADDR_ANY = 0xFFFFFFFF

# hipcd's control protocol (hipc/rpmsg_char.h): host byte order.
_CREATE, _DESTROY, _LOOKUP = 1, 2, 3
_REQ = struct.Struct("=I32sIII")   # op, name, src, dst, index
_RSP = struct.Struct("=iIIII")     # status, index, src, dst, max_payload

# The kernel's ioctls (<linux/rpmsg.h>): _IOW(0xb5, 1, 40 bytes), _IO(0xb5, 2)
_RPMSG_CREATE_EPT_IOCTL = (1 << 30) | (40 << 16) | (0xB5 << 8) | 1
_RPMSG_DESTROY_EPT_IOCTL = (0xB5 << 8) | 2
_INFO = struct.Struct("=32sII")

_BUS = "/sys/bus/rpmsg/devices"
_CLASS = "/sys/class/rpmsg"

_where = None   # None: not initialised; "kernel", or a run directory


def _error(code, what):
    return OSError(code, "%s: %s" % (what, os.strerror(code)))


def _default_run_dir():
    env = os.environ.get("HIPC_RUN_DIR")
    if env:
        return env
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg:
        return os.path.join(xdg, "hipc")
    return "/tmp/hipc-%d" % os.getuid()


def _have_daemon(d):
    try:
        return stat.S_ISSOCK(os.stat(os.path.join(d, "hipcd.sock")).st_mode)
    except OSError:
        return False


def init(where=None):
    """Choose where endpoint devices come from (see the C call)."""
    global _where
    if _where is not None:
        raise _error(errno.EALREADY, "already initialised")
    if where == "kernel":
        if not os.path.isdir(_BUS):
            raise _error(errno.ENOENT, _BUS)
        _where = "kernel"
    elif where is not None:
        if not _have_daemon(where):
            raise _error(errno.ENOENT, os.path.join(where, "hipcd.sock"))
        _where = where
    elif _have_daemon(_default_run_dir()):
        _where = _default_run_dir()
    elif os.path.isdir(_BUS):
        _where = "kernel"
    else:
        raise _error(errno.ENOENT, "no hipcd run directory and no rpmsg bus")


def exit():
    """Forget the choice init() made."""
    global _where
    _where = None


def _name(s):
    b = (s or "").encode()
    if len(b) >= 32:
        raise _error(errno.EINVAL, "name longer than 31 bytes")
    return b


class Device:
    """An open endpoint device: fileno() for select/poll, one message per
    send()/recv()."""

    def __init__(self):
        self.fd = -1
        self.local_addr = ADDR_ANY
        self.remote_addr = ADDR_ANY
        self.max_payload = 0
        self.path = ""
        self._sock = None
        self._ctrl = None
        self._ctrl_path = None
        self._ctrl_id = None
        self._index = 0
        self._kernel = False

    def fileno(self):
        return self.fd

    def send(self, data):
        if self.max_payload and len(data) > self.max_payload:
            raise _error(errno.EMSGSIZE, self.path)
        try:
            if self._kernel:
                return os.write(self.fd, data)
            return self._sock.send(data)
        except (BrokenPipeError, ConnectionResetError):
            raise _error(errno.ECONNRESET, self.path) from None
        except OSError as e:
            if e.errno == errno.ENOTCONN:
                raise _error(errno.ECONNRESET, self.path) from None
            raise

    def recv(self, size=65536):
        try:
            if self._kernel:
                return os.read(self.fd, size)
            data = self._sock.recv(size)
        except ConnectionResetError:
            raise _error(errno.ECONNRESET, self.path) from None
        if not data:
            # an empty message, or the simulation's hang-up when the
            # remote goes away: the hang-up also polls as one
            p = select.poll()
            p.register(self.fd, select.POLLIN | select.POLLRDHUP)
            if any(ev & (select.POLLHUP | select.POLLRDHUP | select.POLLERR)
                   for _, ev in p.poll(0)):
                # hung up, unless a message still waits behind this one
                try:
                    more = self._sock.recv(1, socket.MSG_PEEK |
                                           socket.MSG_DONTWAIT)
                except OSError:
                    more = b""
                if not more:
                    raise _error(errno.ECONNRESET, self.path)
        return data


# --- the simulation ---------------------------------------------------------

def _ctrl_call(ctrl, op, name=b"", src=0, dst=0, index=0):
    ctrl.send(_REQ.pack(op, name, src, dst, index))
    rsp = ctrl.recv(_RSP.size + 1)
    if not rsp:
        raise _error(errno.ECONNRESET, "hipcd hung up")
    if len(rsp) != _RSP.size:
        raise _error(errno.EPROTO, "bad answer from hipcd")
    status, index, src, dst, maxp = _RSP.unpack(rsp)
    if status < 0:
        raise _error(-status, "hipcd")
    return index, src, dst, maxp


def _ctrl_begin(dev, op, name=b"", src=0, dst=0, index=0):
    """A connection to dev._ctrl_path (kept in dev._ctrl) and its first
    request.  Held only for the requests of one open or close: hipcd
    serves a few at a time per remote and closes one past its limit as
    soon as it accepts it, before reading a byte, so a request whose
    connection ended unanswered is tried again on a new one, for up to a
    second."""
    for attempt in range(101):
        ctrl = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            ctrl.connect(dev._ctrl_path)
        except (FileNotFoundError, ConnectionRefusedError):
            ctrl.close()
            raise _error(errno.ENOENT, dev._ctrl_path) from None
        try:
            ret = _ctrl_call(ctrl, op, name, src, dst, index)
        except OSError as e:
            # turned away: closed before our send (EPIPE) or our answer
            if e.errno in (errno.ECONNRESET, errno.EPIPE) and attempt < 100:
                ctrl.close()
                time.sleep(0.01)
                continue
            dev._ctrl = ctrl
            if e.errno == errno.EPIPE:
                raise _error(errno.ECONNRESET, "hipcd hung up") from None
            raise
        dev._ctrl = ctrl
        return ret


def _sim_open(dev, rproc, service, local, remote, ept_name, nonblock):
    if not rproc or "/" in rproc:
        raise _error(errno.EINVAL, "remote name")
    base = os.path.join(_where, rproc)
    dev._ctrl_path = os.path.join(base, "rpmsg_ctrl")
    if remote == ADDR_ANY:
        remote = _ctrl_begin(dev, _LOOKUP, _name(service))[2]
    req = (_CREATE, _name(ept_name or service), local, remote)
    if dev._ctrl is None:
        index, src, dst, maxp = _ctrl_begin(dev, *req)
    else:
        index, src, dst, maxp = _ctrl_call(dev._ctrl, *req)
    ctrl = dev._ctrl
    dev._index = index
    dev.local_addr, dev.remote_addr, dev.max_payload = src, dst, maxp
    dev.path = os.path.join(base, "rpmsg%d" % index)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    for attempt in range(2):
        try:
            s.connect(dev.path)
            break
        except ConnectionRefusedError:
            if attempt == 0:
                # taken, or its last client only just left: hipcd settles
                # that before it answers a request
                try:
                    _ctrl_call(ctrl, _LOOKUP, _name(service))
                except OSError:
                    pass
                continue
            s.close()
            _undo(ctrl, index)
            raise _error(errno.EBUSY, dev.path) from None
        except OSError:
            s.close()
            _undo(ctrl, index)
            raise
    s.setblocking(not nonblock)
    dev._sock = s
    dev.fd = s.fileno()
    # not held while the endpoint is open: close() connects again, to the
    # same socket file (a daemon started since made a new one, and may
    # have given our N to someone else)
    dev._ctrl_id = _file_id(dev._ctrl_path)
    ctrl.close()
    dev._ctrl = None


def _undo(ctrl, index):
    """Destroy what an open that failed made (its own error is the one
    to report)."""
    try:
        _ctrl_call(ctrl, _DESTROY, index=index)
    except OSError:
        pass


def _file_id(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


# --- a real kernel ----------------------------------------------------------

def _read_attr(d, a):
    try:
        with builtins.open(os.path.join(d, a)) as f:   # open() is ours here
            return f.read().strip()
    except OSError:
        return None


def _kernel_vdev(rproc):
    if rproc and rproc.startswith("virtio"):
        return rproc
    for n in sorted(os.listdir(_BUS)):
        if ".rpmsg_ctrl." not in n:
            continue
        target = os.readlink(os.path.join(_BUS, n))
        if rproc and "/%s/" % rproc not in target:
            continue
        return n.split(".", 1)[0]
    raise _error(errno.ENOENT, "rpmsg device of %s" % (rproc or "any remote"))


def _kernel_open(dev, rproc, service, local, remote, ept_name, nonblock):
    vdev = _kernel_vdev(rproc)
    if remote == ADDR_ANY:
        prefix = "%s.%s." % (vdev, service)
        for n in os.listdir(_BUS):
            if n.startswith(prefix) and n.count(".") == prefix.count(".") + 1:
                remote = int(n.rsplit(".", 1)[1])
                break
        else:
            raise _error(errno.ENOENT, "service %s on %s" % (service, vdev))
    ctrl = None
    for n in os.listdir(_CLASS):
        if n.startswith("rpmsg_ctrl") and \
           "/%s.rpmsg_ctrl." % vdev in os.readlink(os.path.join(_CLASS, n)):
            ctrl = "/dev/" + n
    if ctrl is None:
        raise _error(errno.ENOENT, "rpmsg_ctrl of %s" % vdev)
    name = _name(ept_name or service)

    def endpoints():
        # {(number, inode of its sysfs directory): src} of the endpoint
        # devices of this name and remote (a number freed and handed out
        # again is another directory)
        out = {}
        for n in os.listdir(_CLASS):
            if not n.startswith("rpmsg") or not n[5:].isdigit():
                continue
            d = os.path.join(_CLASS, n)
            if _read_attr(d, "name") != name.decode() or \
               _read_attr(d, "dst") != str(remote):
                continue
            src = _read_attr(d, "src")
            if src is None or (local != ADDR_ANY and src != str(local)):
                continue
            try:
                ino = os.stat(d).st_ino
            except OSError:
                continue
            out[(int(n[5:]), ino)] = int(src) & ADDR_ANY
        return out

    # What is there already is not ours: a device of the same name left by
    # a program that never destroyed its endpoint may have any number (the
    # kernel hands out the lowest free one).
    old = endpoints()
    dev._ctrl = os.open(ctrl, os.O_RDWR | os.O_CLOEXEC)
    fcntl.ioctl(dev._ctrl, _RPMSG_CREATE_EPT_IOCTL,
                _INFO.pack(name, local, remote))
    found = None
    deadline = time.monotonic() + 5
    while found is None and time.monotonic() < deadline:
        new = {k: v for k, v in endpoints().items() if k not in old}
        if new:
            key = max(new)
            found, dev.local_addr = key[0], new[key]
        else:
            time.sleep(0.01)
    if found is None:
        raise _error(errno.ENOENT, "no /dev/rpmsgN appeared")
    dev.path = "/dev/rpmsg%d" % found
    flags = os.O_RDWR | os.O_CLOEXEC | (os.O_NONBLOCK if nonblock else 0)
    while True:
        try:
            dev.fd = os.open(dev.path, flags)
            break
        except FileNotFoundError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    dev.remote_addr = remote
    dev._kernel = True


def open(rproc, service=None, local=ADDR_ANY, remote=ADDR_ANY,
         ept_name=None, nonblock=False):
    """A new endpoint to @service (or @remote) of @rproc: a Device."""
    if _where is None:
        raise _error(errno.EINVAL, "call init() first")
    if service is None and remote == ADDR_ANY:
        raise _error(errno.EINVAL, "a service or a remote address")
    dev = Device()
    try:
        if _where == "kernel":
            _kernel_open(dev, rproc, service, local, remote, ept_name,
                         nonblock)
        else:
            _sim_open(dev, rproc, service, local, remote, ept_name,
                      nonblock)
    except BaseException:
        _release(dev)
        raise
    return dev


def _release(dev):
    if dev._sock is not None:
        dev._sock.close()
    elif dev.fd >= 0:
        os.close(dev.fd)
    if isinstance(dev._ctrl, socket.socket):
        dev._ctrl.close()
    elif dev._ctrl is not None:
        os.close(dev._ctrl)
    dev.fd, dev._sock, dev._ctrl = -1, None, None


def close(dev):
    """Destroy the endpoint and release the device."""
    try:
        if dev._kernel and dev.fd >= 0:
            try:
                fcntl.ioctl(dev.fd, _RPMSG_DESTROY_EPT_IOCTL)
            except OSError as e:
                if e.errno not in (errno.ENODEV, errno.EPIPE):
                    raise
        elif not dev._kernel and dev._ctrl_path:
            if dev._sock is not None:
                dev._sock.close()
                dev._sock, dev.fd = None, -1
            try:
                if _file_id(dev._ctrl_path) != dev._ctrl_id:
                    # another daemon's, or none: ours went with the old
                    raise _error(errno.ENOENT, dev._ctrl_path)
                _ctrl_begin(dev, _DESTROY, index=dev._index)
            except OSError as e:
                # gone with its remote (or hipcd) already
                if e.errno != errno.ENOENT:
                    raise
    finally:
        _release(dev)
