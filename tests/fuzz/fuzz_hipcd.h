/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the hipcd client-protocol targets (fuzz_hipcd_clients.c,
 * fuzz_hipcd_bigbuf.c) both stand in for: the parts of hipcd.c the linked
 * files call, the remote's rpmsg device pair over one region between guard
 * pages, and the rounds of the daemon's epoll loop.
 *
 * The target defines FUZZ_TARGET (its name, for what CHECK() aborts with)
 * and includes this after fuzz_input.h; it sets `up` while the remote is
 * up, and defines
 *	static void tx_ready(struct remote *r);
 * what a round of hipcd's loop does for the interface kinds it links once
 * the devices have been polled.
 */
#ifndef HIPC_FUZZ_HIPCD_H
#define HIPC_FUZZ_HIPCD_H

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hipc/rpmsg.h"
#include "hipcd.h"

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, FUZZ_TARGET ":%d: %s\n", __LINE__,    \
				#c);                                          \
			abort();                                              \
		}                                                             \
	} while (0)

/* the rpmsg pair */
#define NUM 16u
#define BUF 512u
#define RING 1024u
#define REGION (2u * RING + 2u * NUM * BUF)
#define PG 4096u
#define QUIET_ROUNDS 512

/* --- what hipcd.c provides (the loop's watches: watch.c) ------------------ */

struct remote remotes[MAX_REMOTES];
char run_dir[200];

void logf_(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	/* formatted, so that a bad argument is seen, but not printed */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}

int hipcd_make_dir(struct remote *r)
{
	if (mkdir(r->dir, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int hipcd_publish(struct remote *r, const char *path)
{
	(void)r;
	return chmod(path, 0600) < 0 ? -errno : 0;
}

/* --- the rpmsg pair ----------------------------------------------------------- */

struct side {
	struct hipc_rpmsg_dev dev;
	struct hipc_port port;
	struct hipc_rpmsg_ept *b[16];
};

static uint8_t *region;
static struct hipc_region reg;
static struct hipc_memmap map = { &reg, 1 };
static struct side D, R; /* D: hipcd's (driver), R: the remote's */
static uint64_t storage[(2 * NUM * sizeof(struct hipc_vring_slot) + 4 * NUM) / 8 + 1];
static bool up; /* the remote is: hipc_rproc_rpmsg() has a device */

static int notify(void *ctx, uint32_t id) { (void)ctx; (void)id; return 0; }
static const struct hipc_port_ops ops = { .notify = notify };

struct hipc_rpmsg_dev *hipc_rproc_rpmsg(struct hipc_rproc *rp)
{
	(void)rp;
	return up ? &D.dev : NULL;
}

/*
 * Both sides over a cleared region, hipcd's announcing to @ns_cb; not
 * started: the remote's endpoints are created before pair_start(), so that
 * their announcements are the first messages.
 */
static void pair_init(hipc_rpmsg_ns_cb ns_cb)
{
	struct hipc_rpmsg_dev_config c;

	memset(region, 0, REGION);
	memset(&c, 0, sizeof(c));
	c.role = HIPC_RPMSG_DRIVER;
	c.vring_da[0] = reg.da;
	c.vring_da[1] = reg.da + RING;
	c.notifyid[1] = 1;
	c.num = NUM;
	c.align = 16;
	c.features = 1u << HIPC_RPMSG_F_NS;
	c.buf_size = BUF;
	c.bufs = region + 2 * RING;
	c.map = &map;
	c.storage = storage;
	c.storage_size = sizeof(storage);
	memset(D.b, 0, sizeof(D.b));
	c.buckets = D.b;
	c.nbuckets = 16;
	D.port.ops = &ops;
	c.port = &D.port;
	c.ns_cb = ns_cb;
	CHECK(!hipc_rpmsg_dev_init(&D.dev, &c));
	c.role = HIPC_RPMSG_DEVICE;
	c.bufs = NULL;
	c.storage = NULL;
	c.storage_size = 0;
	c.ns_cb = NULL;
	memset(R.b, 0, sizeof(R.b));
	c.buckets = R.b;
	R.port.ops = &ops;
	c.port = &R.port;
	CHECK(!hipc_rpmsg_dev_init(&R.dev, &c));
}

static void pair_start(void)
{
	CHECK(!hipc_rpmsg_dev_start(&D.dev));
	CHECK(!hipc_rpmsg_dev_start(&R.dev));
}

/* --- the loop ---------------------------------------------------------------- */

static void tx_ready(struct remote *r);

/* One round of hipcd's loop; returns whether anything happened. */
static bool round_(void)
{
	struct epoll_event evs[64];
	int n = epoll_wait(hipcd_epfd, evs, 64, 0), busy = n > 0;

	for (int i = 0; i < n; i++) {
		struct hipcd_watch *w = evs[i].data.ptr;

		if (w->fd >= 0)
			w->fn(w, evs[i].events);
	}
	if (up) {
		busy += hipc_rpmsg_poll(&R.dev, 0) > 0;
		busy += hipc_rpmsg_poll(&D.dev, 0) > 0;
		tx_ready(&remotes[0]);
	}
	hipcd_run_deferred();
	return busy;
}

static void rounds(unsigned n)
{
	while (n-- && round_())
		;
}

/* The daemon's side goes quiet within a bounded number of rounds (nothing
 * spins): two rounds in a row with nothing to do, since the tx_ready()
 * hooks' work is not counted (a connection that got its tx buffer there
 * is watched again, and its client's hang-up is the next round's event). */
static void quiet(void)
{
	unsigned q, idle = 0;

	for (q = 0; q < QUIET_ROUNDS && idle < 2; q++)
		idle = round_() ? 0 : idle + 1;
	CHECK(idle == 2);
}

/* --- clients ------------------------------------------------------------------ */

/* Room for one descriptor along a message. */
union fd_cmsg {
	char b[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/* A fresh eventfd along @mh (SCM_RIGHTS, in @cb), as a client may send
 * one where none belongs; the caller closes it after the send. */
static int fd_along(struct msghdr *mh, union fd_cmsg *cb)
{
	struct cmsghdr *c;
	int efd = eventfd(0, EFD_CLOEXEC);

	CHECK(efd >= 0);
	mh->msg_control = cb->b;
	mh->msg_controllen = sizeof(cb->b);
	c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &efd, sizeof(int));
	return efd;
}

/* --- the process and each input ------------------------------------------- */

/* @len bytes between guard pages: of @fd from offset 0, or anonymous. */
static uint8_t *guarded(size_t len, int fd)
{
	uint8_t *p = mmap(NULL, len + 2 * PG, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	CHECK(p != MAP_FAILED);
	if (fd >= 0)
		CHECK(mmap(p + PG, len, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_FIXED, fd, 0) == p + PG);
	else
		CHECK(!mprotect(p + PG, len, PROT_READ | PROT_WRITE));
	return p + PG;
}

/* The run directory goes with the process (what an input made in it went
 * with the remote after each input). */
static void remove_run_dir(void)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/r0/sock", run_dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/r0", run_dir);
	rmdir(p);
	rmdir(run_dir);
}

/* Once per process: the region (its end against the upper guard page), the
 * run directory, the loop. */
static void hipcd_once(void)
{
	size_t len = (REGION + PG - 1) / PG * PG;

	region = guarded(len, -1) + len - REGION;
	reg.da = 0x40000000u;
	reg.va = region;
	reg.size = REGION;
	/* Every input makes and removes its sockets and directories: in
	 * memory (tmpfs) when there is one, a disk file system's journal
	 * costing more than the rest of an input. */
	snprintf(run_dir, sizeof(run_dir), "%s/hipc-fuzz-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	CHECK(mkdtemp(run_dir));
	atexit(remove_run_dir);
	hipcd_epfd = epoll_create1(EPOLL_CLOEXEC);
	CHECK(hipcd_epfd >= 0);
	signal(SIGPIPE, SIG_IGN);
}

/* remotes[0] as hipcd's configuration leaves it: "r0", sockets 0600. */
static struct remote *remote_reset(void)
{
	struct remote *r = &remotes[0];

	memset(r, 0, sizeof(*r));
	r->used = true;
	snprintf(r->rc.name, sizeof(r->rc.name), "r0");
	r->rc.socket_mode = 0600;
	snprintf(r->dir, sizeof(r->dir), "%s/r0", run_dir);
	r->rp = (struct hipc_rproc *)(void *)r; /* never looked into */
	return r;
}

/*
 * The end of an input, the remote gone: its services freed (as
 * iface_remote_free()), nothing deferred left, the socket @name gone from
 * its directory and no descriptor more than @base.
 */
static void remote_freed(struct remote *r, const char *name, int base)
{
	char path[PATH_MAX + 16];

	while (r->svcs) {
		struct hipcd_svc *s = r->svcs;

		r->svcs = s->next;
		if (s->kind)
			s->kind->destroy(s);
		free(s);
	}
	hipcd_run_deferred();
	snprintf(path, sizeof(path), "%s/%s", r->dir, name);
	CHECK(access(path, F_OK) < 0);
	CHECK(fuzz_count_fds() == base);
}

#endif
