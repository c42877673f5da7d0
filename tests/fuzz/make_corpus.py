#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of the fuzz targets into tests/fuzz/corpus/.

The seeds are committed; run this again only to change them.  Resource
tables follow include/hipc/rsc.h (HIPC_RSC_TABLE_RPMSG's layout), firmware
images are minimal ELF files written field by field (ELF header, a
.resource_table section, the section name table, the section headers),
big-buffer, rpmsg, mailbox and spinlock scripts follow the operation
encodings in fuzz_bufpool.c, fuzz_rpmsg.c, fuzz_mbox.c and
fuzz_spinlock.c, hipcd's client scripts those in fuzz_hipcd_clients.c and
fuzz_hipcd_bigbuf.c (each described above its seeds here).  The "rpmsg" table is byte for byte what
HIPC_RSC_TABLE_RPMSG(t, 16, 512, 4096, HIPC_RSC_F_NS) declares.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ANY = 0xFFFFFFFF


def name32(s):
    return s.encode().ljust(32, b"\0")


def vdev(nvr=2, num=16, align=16, config=b"", feat=1):
    e = struct.pack("<6I4B", 3, 7, 0, feat, 0, len(config), 0, nvr, 0, 0)
    for _ in range(nvr):
        e += struct.pack("<5I", ANY, align, num, ANY, 0)
    return e + config


def carveout(name, length, da=ANY):
    return struct.pack("<6I", 0, da, ANY, length, 0, 0) + name32(name)


def trace(length, da=ANY):
    return struct.pack("<4I", 2, da, length, 0) + name32("trace0")


def hipc_rpmsg(buf_size=512):
    return struct.pack("<4I", 200, buf_size, 0, 0)


def vendor(t, body):
    return struct.pack("<I", t) + body


def table(entries, ver=1):
    off = 16 + 4 * len(entries)
    offs, body = [], b""
    for e in entries:
        offs.append(off + len(body))
        body += e
    return struct.pack("<4I", ver, len(entries), 0, 0) + \
        struct.pack("<%dI" % len(offs), *offs) + body


RPMSG = table([vdev(), hipc_rpmsg(512), trace(4096)])


def rsc_seeds():
    return {
        "rpmsg": RPMSG,
        "carveouts": table([carveout("vdev0vring0", 0x2000, 0x10000000),
                            carveout("vdev0vring1", 0x2000, 0x10002000),
                            carveout("vdev0buffer", 0x40000), vdev(),
                            trace(0x1000, 0x20000000)]),
        "vendor-config": table([vdev(1, 256, 64, b"\1\2\3\4\5\6\7\x08"),
                                vendor(300, b"opaque"), hipc_rpmsg(65536)]),
        "empty": table([]),
        "bad-version": table([vdev()], ver=2),
    }


def elf(rsc, is64, machine, rsc_addr=0x1000):
    """ELF header, .resource_table, .shstrtab, then three section headers
    (null, .resource_table, .shstrtab)."""
    shstr = b"\0.resource_table\0.shstrtab\0"
    ehsize, shentsize = (64, 64) if is64 else (52, 40)
    rsc_off = ehsize
    str_off = rsc_off + len(rsc)
    shoff = (str_off + len(shstr) + 7) & ~7
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1, 1]) + bytes(9)
    if is64:
        eh = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, 0x1000, 0,
                                 shoff, 0, ehsize, 0, 0, shentsize, 3, 2)

        def sh(name, typ, flags, addr, off, size):
            return struct.pack("<IIQQQQIIQQ", name, typ, flags, addr, off,
                               size, 0, 0, 1, 0)
    else:
        eh = ident + struct.pack("<HHIIIIIHHHHHH", 2, machine, 1, 0x1000, 0,
                                 shoff, 0, ehsize, 0, 0, shentsize, 3, 2)

        def sh(name, typ, flags, addr, off, size):
            return struct.pack("<10I", name, typ, flags, addr, off, size,
                               0, 0, 1, 0)
    out = eh + rsc + shstr
    out += bytes(shoff - len(out))
    out += bytes(shentsize)
    out += sh(1, 1, 3, rsc_addr, rsc_off, len(rsc))   # PROGBITS, WA
    out += sh(17, 3, 0, 0, str_off, len(shstr))       # STRTAB
    return out


def fwimage_seeds():
    return {
        "elf64-x86_64": elf(RPMSG, True, 62),
        "elf32-arm": elf(RPMSG, False, 40, 0x20000000),
        "elf32-bad-table": elf(table([vdev(3)]), False, 40),
        "elf64-empty-table": elf(table([]), True, 183),
    }


# fuzz_bufpool: geometry (2 bytes), then operations; an operation byte is
# (kind << 1) | side, side 0 = host, 1 = remote.
ALLOC, SEND, RECV, RELEASE, FREE, FILL, RECLAIM, ADV = 0, 2, 4, 6, 7, 8, 9, 10
H, R = 0, 1


def op(kind, side=H):
    return bytes([(kind << 1) | side])


def bufpool_seeds():
    geo = bytes([3 | 3 << 3 | 1 << 5, 2])  # 4 buffers, align 64, 128 B; 2 host
    send_crc = bytes([0x05, 0, 0, 0, 64, 0])  # a held buffer, CRC, [0, 64)
    recv_last = bytes([0x01])
    release_held = bytes([0x01, 0])
    to_remote = (op(ALLOC) + op(FILL) + bytes([0, 0x5A]) + op(SEND) + send_crc +
                 op(RECV, R) + recv_last + op(RELEASE, R) + release_held +
                 op(ALLOC) + op(ALLOC))
    to_host = (op(ALLOC, R) + op(FILL, R) + bytes([0, 0x33]) + op(SEND, R) +
               bytes([0x01, 0, 8, 0, 32, 0]) + op(RECV) + recv_last +
               op(RELEASE) + release_held + op(ALLOC, R))
    reclaim = (op(ALLOC) + op(SEND) + send_crc + op(ALLOC, R) +
               op(SEND, R) + send_crc + op(RECV) + recv_last + op(RECLAIM) +
               op(RELEASE) + release_held + op(ALLOC) + op(ALLOC, R))
    # A forged state entry (0x2C: adversary, entry form), then a receive.
    forged = (op(ALLOC) + op(SEND) + send_crc + bytes([0x2C, 0, 3, 1]) +
              op(RECV, R) + recv_last + bytes([0x14, 0x48, 0, 0xFF]) +
              op(ALLOC) + op(FREE) + bytes([0x01, 0]))
    return {
        "to-remote": geo + to_remote,
        "to-host": geo + to_host,
        "reclaim": geo + reclaim,
        "forged": geo + forged,
        "tiny": bytes([0, 1]) + to_remote,
    }


# fuzz_rpmsg: feature bits (1 byte), then operations, op % 8: 0/1 send from
# the driver/device (length op), 2/3 poll the driver/device, 4 zero-copy
# send from the device, 5-7 the adversary (16-bit offset, then bytes).
def rpmsg_seeds():
    return {
        "both-ways": bytes([3, 0x08, 0x03, 0x11, 0x02, 0x04, 0x02, 0x03]),
        "no-features": bytes([0, 0x28, 0x0B, 0x03, 0x31, 0x0A, 0x02]),
        "adversary": bytes([1, 0x08, 0x05, 0x10, 0x04, 0xFF, 0x03, 0x0A,
                            0x02]),
        # the remote sends, then forges the buffer before the host reads:
        # op 5, buffer, address indexes (src | dst << 3 into 53, 1024,
        # 1025, ANY, 0, 1023), length byte (bit 7: 40, else 4 * it), flags
        "forged-ns": bytes([3, 0x01, 0x05, 0, 0x01, 0x80, 0x00, 0x02,
                            0x01, 0x05, 1, 0x01, 0x80, 0x01, 0x02]),
        "forged-header": bytes([1, 0x01, 0x05, 0, 0x09, 0x7F, 0x00, 0x02,
                                0x01, 0x05, 1, 0x19, 0x00, 0xFF, 0x02,
                                0x01, 0x05, 2, 0x0A, 0x05, 0x00, 0x02]),
    }


# fuzz_mbox: profile (3 bytes: kind in k % 3, with the fake FIFO's depth
# 1 + (k >> 2) % 8; FIFO depth and width in a, software queue in b; IPCC,
# MHU: 1 + a % max channels, b & 1: MHU refuses a bit still set), then
# operations, (op >> 2) % 8: 0/1 send (op & 1: notify), 2 tx_ready,
# 3 recv, 4/5 arrived, 6/7 the adversary (form op & 3).
M_SEND, M_TX, M_RECV, M_ARR, M_ADV = 0, 2, 3, 4, 6


def mop(kind, low=0):
    return bytes([kind << 2 | low])


def mbox_seeds():
    fifo = bytes([1 << 2, 0x08, 0x40])   # 2-deep fake FIFO, width 32, swq 4
    narrow = bytes([3 << 2, 0x02, 0x27])  # 4 deep, depth 2, width 8, swq 2
    ipcc = bytes([1, 5, 0])                # 6 channels
    mhu = bytes([2, 2, 1])                 # 3 channels, one transfer per bit
    burst = (mop(M_SEND, 1) + b"\x00" + mop(M_SEND, 1) + b"\x01" +
             mop(M_SEND, 1) + b"\x02" + mop(M_SEND, 1) + b"\x01" +
             mop(M_SEND) + b"\x05" + mop(M_ARR) + mop(M_TX) + mop(M_ARR) +
             mop(M_RECV) + mop(M_TX) + mop(M_ARR))
    return {
        "fifo-burst": fifo + burst,
        "fifo-narrow": narrow + burst + mop(M_SEND) + b"\x02\x00\x01\x00\x00" +
        mop(M_ARR),
        "fifo-adversary": fifo + burst + mop(M_ADV, 3) + b"\x01" +
        mop(M_SEND, 1) + b"\x07" + mop(M_ADV) + b"\x00\x03\xff\xff\xff" +
        mop(M_ARR) + mop(M_ADV, 3) + b"\x00" + mop(M_TX) + mop(M_ARR),
        "ipcc": ipcc + burst + mop(M_ADV) + b"\x03\x07\x00\x00\x00" + mop(M_ARR),
        "mhu": mhu + burst + mop(M_SEND) + b"\x02\x41\x00\x00\x00" +
        mop(M_ADV) + b"\x02\xff\xff\xff\xff" + mop(M_ARR) + mop(M_ARR) +
        mop(M_ARR),
    }


# fuzz_spinlock: set (3 bytes: a, count 1 + a % 16 and our id
# 1 + (a >> 4 & 3); b, peers b % 4, b & 2 words not reset, b & 8 a port,
# spins per µs b >> 4; c, c & 1 a fake clock advancing 1 + (c >> 1) * 16
# ns per read), then operations, op % 8: 0 trylock, 1 lock, 2 unlock,
# 3 release_owner, 4 owner, 5-7 the adversary (slot, then an id: 0, ours,
# a peer's, or any 32-bit word).
S_TRY, S_LOCK, S_UNLOCK, S_RELOWN, S_OWNER, S_ADV = range(6)


def spinlock_seeds():
    clock = bytes([0x07, 0x12, 0x0D])    # 8 locks, id 1, 2 peers, clock
    spins = bytes([0x13, 0x23, 0x00])    # 4 locks, id 2, 3 peers, no port
    takes = (bytes([S_TRY, 0, 0]) + bytes([S_LOCK, 1, 0x02]) +
             bytes([S_OWNER, 0]) + bytes([S_UNLOCK, 0]) +
             bytes([S_UNLOCK, 1]) + bytes([S_UNLOCK, 2]) +
             bytes([S_TRY, 0x80, 0]) + bytes([S_LOCK, 0xC0, 3]))
    hostile = (bytes([S_ADV, 2, 3, 0xEF, 0xBE, 0xAD, 0xDE]) +
               bytes([S_TRY, 2, 0]) + bytes([S_LOCK, 2, 3]) +
               bytes([S_OWNER, 2]) + bytes([S_ADV, 3, 2]) +
               bytes([S_RELOWN, 2]) + bytes([S_TRY, 3, 0]) +
               bytes([S_TRY, 0, 0]) + bytes([S_ADV, 0, 2]) +
               bytes([S_UNLOCK, 0]) + bytes([S_RELOWN, 1]))
    # A lock() whose word the adversary frees while it waits.
    mid = (bytes([S_ADV, 1, 2]) + bytes([S_LOCK, 1, 0x0F, 0]) +
           bytes([S_UNLOCK, 1]))
    return {
        "clock": clock + takes + hostile,
        "spins": spins + takes + hostile,
        "mid-wait": clock + mid,
        "not-reset": bytes([0x05, 0x02, 0x01]) + bytes([S_RELOWN, 1]) +
        takes,
    }


# fuzz_vring: cfg (bit 0 device role, bit 1 event index, bit 2 parts, num
# 1 << (cfg >> 3) % 9), align byte (bit 0: 4096, else 16), then operations:
# op & 0xF >= 10 the adversary, field (op >> 4) % 12, then a 16-bit entry
# and a 32-bit value (see adversary() in fuzz_vring.c); else the driver's
# op % 6 (0 add: buffer byte, 16-bit length; 1 get_used; 2 need_notify;
# 3 pending; 4 enable/disable cb; 5 info) or the device's op % 7 (0/1
# get_avail reading/writing, 2 put_used: index byte, 16-bit length; 3
# need_notify; 4 pending; 5 cb; 6 info).
def vadv(field, entry, value, extra=None):
    b = bytes([field << 4 | 0xA]) + struct.pack("<HI", entry, value)
    return b + (struct.pack("<I", extra) if extra is not None else b"")


def vring_seeds():
    drv = bytes([4 << 3, 0])             # driver, 16 entries, align 16
    dev = bytes([4 << 3 | 1, 0])         # device
    post = b"".join(bytes([0, b, 0x00, 0x01]) for b in (1, 2, 3, 4))
    used = (vadv(6, 0, 0) + vadv(7, 0, 64) + vadv(6, 1, 1) +
            vadv(7, 1, 300) + vadv(4, 0, 2) + bytes([1, 1, 1, 2, 3]))
    lying = (vadv(6, 2, 0) + vadv(4, 0, 3) + vadv(6, 0, 0x10000) +
             bytes([1, 1, 1]) + vadv(4, 0, 40) + bytes([3, 1, 5]))
    events = (vadv(3, 0, 1) + bytes([2]) + vadv(1, 0, 1) + bytes([2, 4, 12]) +
              vadv(8, 0, 7) + bytes([2]))
    # device: descriptor 0 at the region's buffers (an in-region address),
    # 1 far outside, 2 chained, then the avail ring and index
    descs = (vadv(9, 0, 0x2001) + vadv(10, 0, 0, 256) +
             vadv(10, 0, 2, 2) +
             vadv(9, 1, 0x7fff0002, 0) + vadv(10, 1, 0, 64) +
             vadv(9, 2, 0x2101) + vadv(10, 2, 0, 128) + vadv(10, 2, 2, 1))
    avail = (vadv(2, 0, 0) + vadv(2, 1, 1) + vadv(2, 2, 2) + vadv(0, 0, 3))
    take = bytes([1, 0, 0x81, 1, 2, 0, 0x10, 0, 2, 0xF5, 0x02, 0, 0, 0, 3, 4])
    return {
        "driver": drv + post + used + events,
        "driver-lying": drv + post + lying,
        "driver-event-idx": bytes([4 << 3 | 2, 1]) + post + used + events,
        "device": dev + descs + avail + take + vadv(0, 0, 0x40) + take,
        "device-event-idx": bytes([3 << 3 | 3, 0]) + descs + avail + take +
        vadv(3, 0, 0) + bytes([3]),
        "parts": bytes([4 << 3 | 4, 0]) + struct.pack("<HHH", 0, 0x80, 0x80) +
        post + used,
    }


# fuzz_vhost_user: byte 0 bit 0 offers the event index, then operations,
# op % 4: 0/1 a master message (request, flag byte: 0x80 then a 32-bit
# flags word, else version 1 with NEED_REPLY for bit 3; 16-bit size
# (0xFFFF: then 32-bit); fd count % 16, a kind byte each: 0 the guest
# memory, 1 and 2 an eventfd each, 3 a pipe's read end; the payload), 2 a
# kick on eventfd (op >> 2) & 1 and one loop pass, 3 the guest's driver
# writes 1 + (op >> 2) % 4 bytes: 32-bit offset, 32-bit value.
GPA, UVA = 0x100000, 0x7F0000000000
MEMSZ = 16 * 4096


def vmsg(req, payload=b"", fds=b"", reply=False):
    return (bytes([0, req, 8 if reply else 0]) + struct.pack("<H", len(payload)) +
            bytes([len(fds)]) + fds + payload)


def gw(off, v):
    return bytes([0x0F]) + struct.pack("<II", off, v)


def vu_setup(reply=False):
    ring = {0: 0x0000, 1: 0x2000}
    m = vmsg(1) + vmsg(15)
    if reply:
        m += vmsg(16, struct.pack("<Q", 1 << 3))
    m += vmsg(2, struct.pack("<Q", 1 | 1 << 32), reply=reply) + vmsg(3)
    m += vmsg(5, struct.pack("<II4Q", 1, 0, GPA, MEMSZ, UVA, 0), b"\x00",
              reply=reply)
    for q in (0, 1):
        d = ring[q]
        m += vmsg(8, struct.pack("<II", q, 16), reply=reply)
        m += vmsg(9, struct.pack("<II4Q", q, 0, UVA + d, UVA + d + 0x1000,
                                 UVA + d + 0x100, 0), reply=reply)
        m += vmsg(12, struct.pack("<Q", q), b"\x01")
        m += vmsg(13, struct.pack("<Q", q), b"\x02")
    m += vmsg(18, struct.pack("<II", 0, 1)) + vmsg(18, struct.pack("<II", 1, 1))
    return m


def vu_traffic():
    # rx buffer in vring 0 (device writes), a message in vring 1
    m = gw(0x0000, GPA + 0x8000) + gw(0x0008, 512) + gw(0x000C, 2)
    m += gw(0x0104, 0) + gw(0x0102, 1)
    hdr = struct.pack("<IIIHH", 1024, 1024, 0, 5, 0) + b"hello"
    for i in range(0, len(hdr), 4):
        m += gw(0x8200 + i, struct.unpack("<I", hdr[i:i + 4].ljust(4, b"\0"))[0])
    m += gw(0x2000, GPA + 0x8200) + gw(0x2008, 21) + gw(0x200C, 0)
    m += gw(0x2104, 0) + gw(0x2102, 1)
    return m + bytes([2, 2])


def vhost_user_seeds():
    return {
        "handshake": bytes([0]) + vu_setup() + bytes([2]) + vu_traffic(),
        "reply-ack": bytes([1]) + vu_setup(True) + bytes([2]) + vu_traffic() +
        vmsg(11, struct.pack("<II", 0, 0)) + vmsg(4),
        "refused": bytes([0]) + vmsg(5, struct.pack("<II4Q", 1, 0, GPA,
                                                    MEMSZ * 2, UVA, 0), b"\x00")
        + vmsg(5, struct.pack("<II", 9, 0)) + vmsg(12, struct.pack("<Q", 0x100))
        + vmsg(21, b"", b"\x03") + vmsg(8, struct.pack("<II", 0, 3))
        + vmsg(77, b"xyz", b"\x01\x02") + vmsg(2, struct.pack("<Q", 1 << 40)),
    }


# fuzz_sim: byte 0 bit 0 the remote's side, else the host's.  A region is
# a 16-bit table size, the table, an edit count % 16 and the edits (32-bit
# offset: bit 31 a control-page word (offset & 0x7F) * 4, else a byte
# offset; 32-bit value).  Host: hello byte (>= 0xC0: hello of h % 17 input
# bytes), fd count % 6, the sealed region, an unsealed one, a kind byte per
# fd (0 sealed, 1 unsealed, 2 eventfd, 3 pipe, 4 /dev/null), a byte (bit 0:
# send nothing, shut down), then the link traffic: count % 16, each an op
# byte (bit 0 write the FIFOs, bit 1 send), an offset byte, a 32-bit word.
# Remote: a byte (bit 0: DRIVER_OK), the region, polls (count
# % 16 of offset, value), the link traffic.
def region(tbl, edits=()):
    b = struct.pack("<H", len(tbl)) + tbl + bytes([len(edits)])
    return b + b"".join(struct.pack("<II", o, v) for o, v in edits)


def link_ops(n=4):
    return bytes([n]) + b"".join(
        bytes([3, 8 * i]) + struct.pack("<I", 0xFFFFFF00 + i) for i in range(n))


def sim_seeds():
    empty = region(b"")
    ok = region(RPMSG)
    return {
        "attach": bytes([0, 0, 3]) + ok + empty + bytes([0, 2, 2, 0]) +
        link_ops(),
        "attach-unsealed": bytes([0, 0, 3]) + ok + empty + bytes([1, 2, 2, 0]),
        "attach-bad-hello": bytes([0, 0xC0 + 8, 0x54, 0x54, 0x41, 0x48, 2, 0,
                                   0, 0, 2]) + ok + empty + bytes([0, 3, 0]),
        "attach-lying": bytes([0, 0, 3]) +
        region(RPMSG, [(0x80000002, 1 << 20), (0x80000004, 8000)]) + empty +
        bytes([0, 2, 4, 0]),
        "remote": bytes([1, 1]) + ok + bytes([3]) +
        struct.pack("<II", 0x1010, 5) * 3 + link_ops(),
        "remote-no-driver-ok": bytes([1, 0]) + ok + link_ops(2),
        "remote-bad-table": bytes([1, 1]) +
        region(RPMSG, [(0x80000005, 40), (0x80000004, 4090)]),
    }


# fuzz_hipcd_clients: byte 0 the remote's queue_kb % 8, then operations:
# op & 15 (% 12) the action, (op >> 4) & 3 a client slot, bits 6 and 7
# flags: 0 connect to rpmsg_ctrl; 1 a request (k byte: bit 7 a 32-bit op,
# else op 1 + k % 4; bit 6 a raw 32-byte name, else names[(k >> 2) % 8];
# src and dst as an address byte (k % 6: ANY, 1024 + (k >> 3), 1025, a
# created src, k >> 3, a 32-bit word); index byte (>= 0xF0: 32-bit); a
# length byte, bit 7: length (byte % 80) instead of the request's); 2
# connect to rpmsg(byte % 6); 3/7 send on an endpoint/message socket (k
# byte: bit 0 payload from the input, bit 1 an fd along; 16-bit length);
# 4 read (bit 6: message socket); 5 shut down writing (bit 6: close; bit
# 7: message socket); 6 connect to the message socket; 8/9 the remote
# (bit 4: announce or withdraw names[(op >> 5) % 8], else send from
# rpmsg-raw or (bit 5) echo-sock to an address byte; 16-bit length
# first); 10 loop rounds (byte % 16); 11 close the rpmsg_ctrl client.
def ctl_req(k, src=0, dst=0, index=0, length=0):
    return bytes([1, k, src, dst, index, length])


def clients_seeds():
    create = ctl_req(0x00)                      # CREATE rpmsg-raw, ANY, ANY
    create_fixed = ctl_req(0x00, 1 | 8 << 3, 2)  # src 1032, dst 1025
    lookup = ctl_req(0x02)                      # LOOKUP rpmsg-raw
    destroy = ctl_req(0x01, index=1)            # DESTROY 1
    bad = (ctl_req(0x80) + b"\x07\x00\x00\x00" +  # op 7
           ctl_req(0x00, length=0x80 | 20) +     # short
           ctl_req(0x41) + b"A" * 32 + bytes([0, 0, 0, 0]) +  # no NUL
           ctl_req(0x01, index=0))              # an announced one: EPERM
    ep_traffic = (bytes([0x02, 1]) + bytes([0x03, 0x00]) +
                  struct.pack("<H", 16) + bytes([0x04, 0x04]) +
                  bytes([0x03, 0x00]) + struct.pack("<H", 600) +
                  bytes([0x03, 0x02]) + struct.pack("<H", 8) +
                  bytes([0x0A, 8, 0x04, 0x05, 0x04, 0x45]))
    ms = (bytes([0x06]) + bytes([0x07, 0x00]) + struct.pack("<H", 2000) +
          bytes([0x07, 0x02]) + struct.pack("<H", 10) +
          bytes([0x0A, 15, 0x44, 0x44, 0x44]) + bytes([0x16]) +
          bytes([0x17, 0x00]) + struct.pack("<H", 100) + bytes([0x85, 0xC5]))
    remote = (bytes([0x08]) + struct.pack("<H", 100) + bytes([3 | 1 << 3]) +
              bytes([0x18]) + struct.pack("<H", 5) + bytes([0x0A, 8]) +
              bytes([0x38]) + struct.pack("<H", 40) + bytes([0]) +
              bytes([0x18]) + struct.pack("<H", 5) + bytes([0x0A, 8]))
    return {
        "ctl": bytes([4, 0x00]) + create + lookup + create_fixed + destroy +
        bad + bytes([0x0B]),
        "endpoint": bytes([1, 0x00]) + create + ep_traffic,
        "msgsock": bytes([0]) + ms,
        "remote": bytes([2, 0x00]) + create + bytes([0x02, 0]) + remote +
        bytes([0x0A, 8, 0x04, 0x04]) + ms,
    }


# fuzz_net: the receiver (u16 capacity - 64, u8 min % 61, u16 max - min),
# then messages: u8 kind % 5 (0 the next piece of the frame under way or
# a new one, 1 a new frame, 2 any bytes, 3 offered to the CAPS reader,
# 4 a reset), u16 length; a new frame's u32 total, then the bytes after
# the 8-byte header (kinds 0, 1) or all of them (2, 3).
def npiece(kind, length, total=None, fill=0x5A):
    b = bytes([kind]) + struct.pack("<H", length)
    if total is not None:
        b += struct.pack("<I", total)
    return b + bytes([fill]) * max(length - 8, 0)


def net_seeds():
    rx = struct.pack("<H", 9000 - 64) + bytes([14]) + struct.pack("<H", 8986)
    three = (npiece(0, 504, 1400, 1) + npiece(0, 504, None, 2) +
             npiece(0, 416, None, 3))
    caps = bytes([3]) + struct.pack("<H", 12) + b"hnet" + \
        struct.pack("<HHI", 1, 8960, 0x401)
    return {
        "three-pieces": rx + three,
        "given-up": rx + npiece(0, 504, 1400) + npiece(1, 200, 192) + three,
        "reset": rx + npiece(0, 504, 1400) + bytes([4, 0, 0]) +
        npiece(0, 504, None) + three,
        "caps": rx + caps + bytes([3]) + struct.pack("<H", 11) + b"hnet" +
        struct.pack("<HH", 1, 1500) + b"\0\0\0" + three,
        "raw": rx + bytes([2]) + struct.pack("<H", 16) +
        struct.pack("<IHH", 100, 7, 1) + bytes(8) + bytes([2, 4, 0]) +
        b"\1\2\3\4" + three,
        "too-long": rx + npiece(0, 1000, 900) + three,
    }


# fuzz_hipcd_bigbuf: byte 0 the pool and the remote (count 1 + g % 8,
# host_count (g >> 3) % (count + 1), bit 6 the remote releases what it
# gets at once, bit 7 it echoes service messages), then operations: op &
# 15 the action, (op >> 4) & 3 a client slot: 0 connect; 1 a request (t
# byte: t % 8 OPEN (names byte), ALLOC, SEND (offset, length and buffer
# bytes), FREE (buffer), RELEASE (buffer, 16-bit length), MSG (length
# byte), STATS, raw bytes (16-bit length, or 136 with bit 5); bit 3
# NOREPLY, bit 4 a descriptor along); 2 shut down writing (bit 6: close);
# 3 stop reading (bit 6) or read again; 4 that many requests pipelined
# (2 + byte % 8); 5 the remote releases a buffer it holds (which, how:
# % 8, 0 no notice, 1-5 a field wrong, else right); 6 it sends one of its
# own (address byte, offset, length, flags bytes); 7 it forges a reference
# (odd byte) or a notice; 8 a service message (16-bit length, address);
# 9 a 32-bit write into the pool's shared words; 10 the remote's manners;
# 11 its service withdrawn or announced; 12 it crashes and restarts (op
# bit 4: the interfaces told first, bit 5: it stays down); 13 loop rounds
# (byte % 16) without settling; 14, 15 the books checked.
def bb_req(kind, *rest, slot=0):
    return bytes([1 | slot << 4, kind]) + bytes(rest)


def bigbuf_seeds():
    g_auto = 7 | 4 << 3 | 0x40        # 8 buffers, 4 the host's, released
    g_keep = 7 | 4 << 3 | 0x80        # kept until told, echoes
    opn = bb_req(0, 0)                # bb-svc, pool-a
    alloc = bb_req(1)
    send = bb_req(2, 8, 20, 0)        # [32, 32 + 40) of a lent buffer
    free = bb_req(3, 0)
    release = bb_req(4, 0) + struct.pack("<H", 20)
    stats = bb_req(6)
    return {
        "alloc_send": bytes([g_auto, 0x00]) + opn + alloc + send + alloc +
        free + stats + bytes([0x42]),
        "rx_release": bytes([g_keep, 0x00]) + opn +
        bytes([0x06, 1, 1, 5, 0]) + release +
        bytes([0x06, 1, 2, 10, 1]) + bytes([0x43, 0x03]) + release +
        bytes([0x42]),
        "pipeline": bytes([g_keep, 0x00]) + opn +
        bytes([0x04, 2, 1, 1, 5 | 8, 4, 6]) +
        bytes([0x04, 0, 2 | 8, 8, 20, 0, 2 | 8, 8, 20, 1]) +
        bytes([0x05, 0, 6, 0x05, 1, 3, 0x0E]),
        "bad": bytes([g_auto, 0x00]) + bb_req(2, 0, 0, 0) +
        bb_req(7, 3, 0, 1, 2, 3) + bb_req(7 | 0x20) + bytes(136) +
        bb_req(1 | 8) + bb_req(0, 3) + opn + bb_req(0, 0) +
        bb_req(5, 0x80, 0x58, 0x02) + bb_req(5, 0x80, 0x94, 0x11) +
        bb_req(3, 0x02 | 0x18) + struct.pack("<I", 9) + bytes([1]) +
        bb_req(7 | 0x10, 4, 0, 0) + b"\0" * 4 + bytes([0x42]),
        "hostile_remote": bytes([g_keep, 0x00]) + opn + alloc + send +
        bytes([0x05, 0, 3, 0x07, 1, 1, 4, 1, 0, 5, 0, 5, 0]) +
        bytes([0x07, 0, 1, 6]) + b"\1\0\0\0" + b"\0\0" + b"\0\0\0\0" +
        bytes([0x09, 0x81]) + b"\0\0\0\0" + bytes([0x09, 0x02]) +
        b"\4\0\0\0" + bytes([0x08, 40, 0, 1]) + bytes([0x0B, 0x10]) +
        bb_req(0, 0, slot=1) + bytes([0x0B, 0x0C, 0x10]) +
        bb_req(0, 0, slot=1) + bytes([0x2C, 0x00]) + opn + bytes([0x0F]),
        "two_clients": bytes([g_auto, 0x00, 0x10]) + opn +
        bb_req(0, 0, slot=1) + alloc + alloc + bb_req(3, 0, slot=1) +
        bb_req(2, 8, 20, 0, slot=1) + bytes([0x0E, 0x42, 0x0E]) +
        bb_req(1, slot=1) + bytes([0x52]),
    }


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    for target, seeds in (("rsc", rsc_seeds()), ("fwimage", fwimage_seeds()),
                          ("bufpool", bufpool_seeds()),
                          ("rpmsg", rpmsg_seeds()),
                          ("mbox", mbox_seeds()),
                          ("spinlock", spinlock_seeds()),
                          ("vring", vring_seeds()),
                          ("vhost_user", vhost_user_seeds()),
                          ("sim", sim_seeds()),
                          ("hipcd_clients", clients_seeds()),
                          ("hipcd_bigbuf", bigbuf_seeds()),
                          ("net", net_seeds())):
        d = os.path.join(root, target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
