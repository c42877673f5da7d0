/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for what the two halves of the host simulation read
 * from each other: the control page at the start of a remote's region,
 * the shared copy of the resource table, the doorbell FIFOs in the
 * control page, and the attach hello with the descriptors it carries.
 * src/rproc/attach.c and src/remote/sim_transport.c are compiled into this
 * file, so their own (static) readers run.
 *
 * The input's first byte picks a side:
 * - host (attach): a standalone remote's hello (right, or the input's
 *   bytes), 0 to 5 descriptors (the region's memfd sealed or not, an
 *   eventfd, a pipe, /dev/null) over a SOCK_SEQPACKET pair, and the region:
 *   laid out from the input's resource table as a standalone remote does,
 *   then rewritten by the input (control page fields, table bytes, any
 *   byte); recv_region(), map_received() and check_table() judge it, as
 *   attach_hello() calls them; an accepted region then gets a link on its
 *   control page's FIFOs, which the remote scribbles on between drains;
 * - remote: the host's region, laid out from the input's table and
 *   rewritten by the input the same way (DRIVER_OK set if the byte
 *   before the region says so); the checks of open_region(),
 *   read_table(), then bring_up() (when the table says DRIVER_OK, as
 *   wait_driver_ok() returns then) and the device served for a few polls
 *   while the host scribbles on the region.
 *
 * Every mapping this process makes of a file (the regions: mmap() of the
 * port's hipc_shm_map(), linked with --wrap) is placed between two
 * PROT_NONE pages, so an access outside it faults.  Besides "no crash":
 * no descriptor leaks (close-on-exec descriptors counted after each
 * input), a refused hello or region is refused with -HIPC_EBADMSG,
 * -HIPC_EBUSY (the remote's "busy" answer) or -HIPC_ECONNRESET (closed
 * without a word) and an error message, and an accepted one really is what
 * the checks promise (sealed, the size it claims, the table at the
 * planned offset).  Every call here is non-blocking; libFuzzer's -timeout
 * is the backstop.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../src/rproc/attach.c"
#include "../../src/remote/sim_transport.c"

#define FUZZ_COUNT_FDS
#include "fuzz_input.h"

#define PG 4096ul
#define MAXTBL 2048u

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "fuzz_sim:%d: %s\n", __LINE__, #c);   \
			abort();                                              \
		}                                                             \
	} while (0)

/* Every mapping of a file gets a PROT_NONE page on either side; the
 * guarded mappings are remembered so that munmap() takes the guards too. */
static void *guarded[64];
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);
int __real_munmap(void *p, size_t len);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);
int __wrap_munmap(void *p, size_t len);

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	size_t span = (len + PG - 1) / PG * PG;
	uint8_t *r, *p;

	if (fd < 0 || addr || !len)
		return __real_mmap(addr, len, prot, flags, fd, off);
	r = __real_mmap(NULL, span + 2 * PG, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return MAP_FAILED;
	p = __real_mmap(r + PG, len, prot, flags | MAP_FIXED, fd, off);
	if (p == MAP_FAILED) {
		__real_munmap(r, span + 2 * PG);
		return MAP_FAILED;
	}
	for (unsigned i = 0; i < 64; i++)
		if (!guarded[i]) {
			guarded[i] = p;
			return p;
		}
	abort(); /* more than the harness ever maps at once */
}

int __wrap_munmap(void *p, size_t len)
{
	size_t span = (len + PG - 1) / PG * PG;

	for (unsigned i = 0; i < 64; i++)
		if (guarded[i] == p) {
			guarded[i] = NULL;
			return __real_munmap((uint8_t *)p - PG, span + 2 * PG);
		}
	return __real_munmap(p, len);
}

static uint8_t table[MAXTBL];
static size_t tsize;

/*
 * A region as the side that creates it lays it out: from the input's
 * table when it plans (as standalone_setup() and the host's boot do),
 * else a control page and the table after it.  Then the input rewrites
 * it.  Returns the memfd (size: a whole number of pages) or -1.
 */
static int make_region(struct in *in, bool seal, bool driver_ok)
{
	/* The region is written here and copied into the memfd, its pages
	 * that hold anything (the rest reads as zeros), which are zeroed
	 * again after: cheaper than a mapping of each region made and
	 * unmapped per input, or a whole region cleared. */
	static uint8_t img[(1u << 22) + HIPC_SIM_CTRL_SIZE + MAXTBL + PG];
	static const uint8_t zero[PG];
	struct hipc_rsc_error err;
	struct hipc__layout lay;
	struct hipc_sim_vdev v;
	size_t size;
	uint8_t *base = img;
	int fd;

	tsize = get16(in) % MAXTBL;
	for (size_t i = 0; i < tsize; i++)
		table[i] = (uint8_t)get8(in);
	memset(&lay, 0, sizeof(lay));
	if (!hipc_rsc_validate(table, tsize, &err) &&
	    !hipc__sim_vdev_read(table, tsize, &v) &&
	    !hipc__layout_plan(table, tsize, &v, &lay) && lay.size <= (1u << 22))
		size = (lay.size + PG - 1) / PG * PG;
	else
		size = (HIPC_SIM_CTRL_SIZE + tsize + PG - 1) / PG * PG,
		lay.size = 0;
	CHECK(size <= sizeof(img));
	fd = memfd_create("fuzz-region", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	CHECK(fd >= 0);
	CHECK(!ftruncate(fd, (off_t)size));
	if (lay.size) {
		hipc__layout_apply(base, &lay, table, tsize, &v, "fuzz",
				   v.dfeatures & HIPC__HOST_FEATURES);
		if (driver_ok)
			*hipc__vdev_status(base + lay.rsc_off, &v) |=
				HIPC_VIRTIO_STATUS_DRIVER_OK;
	} else {
		struct hipc_sim_ctrl *c = (void *)base;

		c->magic = HIPC_SIM_MAGIC;
		c->version = HIPC_SIM_VERSION;
		c->size = size;
		c->rsc_off = HIPC_SIM_CTRL_SIZE;
		c->rsc_size = (uint32_t)tsize;
		memcpy(base + HIPC_SIM_CTRL_SIZE, table, tsize);
	}
	/* the other side's edits: a field of the control page, or bytes */
	for (unsigned k = get8(in) % 16; k > 0; k--) {
		uint32_t off = get32(in), val = get32(in);

		if (off & 0x80000000u)
			off = (off & 0x7F) * 4; /* the control page's words */
		else
			off %= (uint32_t)size;
		if (off <= size - 4)
			memcpy(base + off, &val, 4);
	}
	for (size_t off = 0; off < size; off += PG)
		if (memcmp(base + off, zero, PG)) {
			CHECK(pwrite(fd, base + off, PG, (off_t)off) == (ssize_t)PG);
			memset(base + off, 0, PG);
		}
	if (seal)
		CHECK(!fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
	return fd;
}

static int some_fd(struct in *in, int region, int unsealed)
{
	int p[2];

	switch (get8(in) % 5) {
	case 0:
		return dup(region);
	case 1:
		return dup(unsealed);
	case 2:
		return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	case 3:
		if (pipe2(p, O_CLOEXEC))
			return -1;
		close(p[1]);
		return p[0];
	default:
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	}
}

/* The peer scribbles on the doorbell FIFOs and flags between our drains. */
static void ctrl(void *arg, uint32_t msg)
{
	(void)arg, (void)msg;
}

static void link_traffic(struct in *in, struct hipc_link *l,
			 struct hipc_sim_ctrl *c)
{
	for (unsigned k = get8(in) % 16; k > 0; k--) {
		uint32_t op = get8(in), off = get8(in), val = get32(in);

		if (op & 1)
			memcpy((uint8_t *)&c->mbox +
				       off % (sizeof(c->mbox) - 3), &val, 4);
		if (op & 2)
			(void)hipc_link_send(l, val);
		CHECK(hipc_link_drain(l, ctrl, NULL) >= -HIPC_EIO);
	}
}

static void host_side(struct in *in)
{
	struct hipc_rproc *rp = calloc(1, sizeof(*rp));
	uint32_t hello[4] = { HIPC__ATTACH_MAGIC, HIPC__ATTACH_VERSION };
	size_t hlen = sizeof(uint32_t) * 2;
	uint32_t h = get8(in);
	int region, unsealed, sv[2], sent[5], fds[3] = { -1, -1, -1 };
	unsigned nfd;
	char err[256] = "";
	bool said;
	struct iovec iov;
	union {
		char b[CMSG_SPACE(5 * sizeof(int))];
		struct cmsghdr align;
	} cb;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int ret;

	CHECK(rp);
	rp->name = (char *)"fuzz";
	rp->shm.fd = -1;
	if (h >= 0xB8 && h < 0xC0)
		hello[1] = HIPC__ATTACH_BUSY; /* with whatever fds follow */
	if (h >= 0xC0) {
		hlen = h % 17;
		for (size_t i = 0; i < hlen; i++)
			((uint8_t *)hello)[i] = (uint8_t)get8(in);
	}
	nfd = get8(in) % 6;
	region = make_region(in, true, false);
	unsealed = make_region(in, false, false);
	for (unsigned i = 0; i < nfd; i++)
		sent[i] = some_fd(in, region, unsealed);
	CHECK(!socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
			  0, sv));
	iov.iov_base = hello;
	iov.iov_len = hlen;
	if (nfd) {
		struct cmsghdr *c;

		mh.msg_control = cb.b;
		mh.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfd * sizeof(int));
		memcpy(CMSG_DATA(c), sent, nfd * sizeof(int));
	}
	said = !(get8(in) & 1);
	if (!said) /* the remote closes without a word */
		shutdown(sv[1], SHUT_WR);
	else
		CHECK(sendmsg(sv[1], &mh, MSG_NOSIGNAL) == (ssize_t)hlen);
	for (unsigned i = 0; i < nfd; i++)
		if (sent[i] >= 0)
			close(sent[i]);
	close(region);
	close(unsealed);

	ret = recv_region(rp, sv[0], fds, err, sizeof(err));
	CHECK(ret == 0 || ret == -HIPC_EBADMSG || ret == -HIPC_EBUSY ||
	      ret == -HIPC_ECONNRESET);
	CHECK(ret == 0 || err[0]);
	/* "Busy" is said, never guessed from a closed connection. */
	CHECK(ret != -HIPC_EBUSY ||
	      (said && hlen == 8 && hello[0] == HIPC__ATTACH_MAGIC &&
	       hello[1] == HIPC__ATTACH_BUSY));
#ifdef FUZZ_TRACE
	fprintf(stderr, "recv_region %d %s\n", ret, err);
#endif
	if (ret)
		goto out;
	CHECK(fds[0] >= 0 && fds[1] >= 0 && fds[2] >= 0);
	ret = map_received(rp, fds[0], err, sizeof(err));
	CHECK(ret == 0 || ret == -HIPC_EBADMSG);
#ifdef FUZZ_TRACE
	fprintf(stderr, "map_received %d %s\n", ret, err);
#endif
	if (ret) {
		close(fds[1]);
		close(fds[2]);
		goto out;
	}
	CHECK(fcntl(rp->shm.fd, F_GET_SEALS) & F_SEAL_SHRINK);
	CHECK(((struct hipc_sim_ctrl *)rp->shm.base)->size == rp->shm.size);
	ret = hipc_link_new(&rp->link,
			    &((struct hipc_sim_ctrl *)rp->shm.base)->mbox,
			    HIPC_SIDE_HOST, fds[1], fds[2], HIPC_LINK_IRQ, 0);
	if (ret) {
		close(fds[1]);
		close(fds[2]);
	}
	err[0] = 0;
	ret = check_table(rp, err, sizeof(err));
#ifdef FUZZ_TRACE
	fprintf(stderr, "check_table %d %s\n", ret, err);
#endif
	CHECK(ret == 0 || (ret == -HIPC_EBADMSG && err[0]));
	if (!ret) {
		CHECK(rp->tbl >= rp->shm.base + HIPC_SIM_CTRL_SIZE &&
		      rp->tbl < rp->shm.base + rp->shm.size);
		CHECK(rp->lay.size <= rp->shm.size);
	}
	if (rp->link) {
		link_traffic(in, rp->link, (struct hipc_sim_ctrl *)rp->shm.base);
		hipc_link_free(rp->link);
	}
	hipc_shm_close(&rp->shm);
out:
	close(sv[0]);
	close(sv[1]);
	free(rp);
}

/* The firmware on the remote side: one endpoint that reads what it gets. */
static struct hipc_rpmsg_ept fw_ept;

static int fw_rx(struct hipc_rpmsg_ept *e, void *d, size_t l, uint32_t s,
		 void *p)
{
	volatile uint8_t x = 0;

	for (size_t i = 0; i < l; i++)
		x ^= ((uint8_t *)d)[i];
	(void)e, (void)s, (void)p, (void)x;
	return 0;
}

static int fw_start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	(void)ctx;
	return hipc_rpmsg_ept_create(&fw_ept, dev, "rpmsg-raw", 1024,
				     HIPC_RPMSG_ADDR_ANY, fw_rx, NULL);
}

static void remote_side(struct in *in)
{
	static struct remote r;
	static struct hipc_firmware fw = { .name = "fuzz", .start = fw_start };
	static uint8_t copy[16384], own[MAXTBL];
	struct hipc_sim_vdev v;
	bool driver_ok = get8(in) & 1;
	int region = make_region(in, true, driver_ok), efd[2], ret;
	size_t size;

	memcpy(own, table, tsize); /* the firmware's own table */
	fw.rsc = own;
	fw.rsc_size = tsize;
	memset(&r, 0, sizeof(r));
	r.fw = &fw;
	r.listen_fd = r.host_conn = -1;
	r.stale_gen = UINT32_MAX;
	r.shm.fd = r.pshm.fd = -1;
	ret = hipc_shm_map(&r.shm, region);
	CHECK(ret == 0);
	/* open_region()'s checks */
	r.ctrl = (struct hipc_sim_ctrl *)r.shm.base;
	if (r.shm.size < HIPC_SIM_CTRL_SIZE || r.ctrl->magic != HIPC_SIM_MAGIC ||
	    r.ctrl->version != HIPC_SIM_VERSION)
		goto unmap;
	hipc__sim_map(&r.shm, &r.region, &r.map);
	efd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(efd[0] >= 0 && efd[1] >= 0);
	CHECK(!hipc_link_new(&r.link, &r.ctrl->mbox, HIPC_SIDE_REMOTE, efd[0],
			     efd[1], HIPC_LINK_IRQ, 0));
	ret = read_table(&r, copy, sizeof(copy), &size, &v);
	if (ret == 0 && (v.status & HIPC_VIRTIO_STATUS_DRIVER_OK) &&
	    __atomic_load_n(&r.ctrl->host_gen, __ATOMIC_RELAXED) != UINT32_MAX) {
		/* wait_driver_ok() returns at once: bring the device up */
		ret = bring_up(&r);
#ifdef FUZZ_TRACE
		fprintf(stderr, "bring_up %d dev_up %d\n", ret, r.dev_up);
#endif
		if (r.dev_up) {
			for (unsigned k = get8(in) % 16; k > 0; k--) {
				uint32_t off = get32(in) % r.shm.size,
					 val = get32(in);

				if (off <= r.shm.size - 4)
					memcpy(r.shm.base + off, &val, 4);
				CHECK(hipc_rpmsg_poll(&r.dev, 0) >= -HIPC_EIO);
			}
			hipc_rpmsg_dev_deinit(&r.dev);
		}
	}
	link_traffic(in, r.link, r.ctrl);
	hipc_link_free(r.link);
unmap:
	hipc__remote_trace_sink(NULL, NULL);
	the_remote = NULL;
	hipc_shm_close(&r.shm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int base = -1;
	struct in in = { data, size, 0 };

	if (base < 0) {
		signal(SIGPIPE, SIG_IGN);
		base = fuzz_count_fds();
	}
	if (get8(&in) & 1)
		remote_side(&in);
	else
		host_side(&in);
	CHECK(fuzz_count_fds() == base);
	return 0;
}
