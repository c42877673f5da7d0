/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The remote-side runtime of the host simulation: a firmware process maps
 * the region its host created, waits for DRIVER_OK in the shared copy of
 * its resource table, brings up the rpmsg device in the device role and
 * serves until told to shut down.
 *
 * The host is as untrusted from here as the remote is from there: the
 * shared table is copied out and validated before anything in it is used,
 * and vring addresses are bounds-checked against the region.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/remote.h"
#include "hipc/rsc.h"
#include "hipc/vring.h"
#if HIPC_HAVE_VHOST_USER
#include "hipc/vhost_user.h"
#endif
#include "port/linux/sim_internal.h"

#define NBUCKETS 64u
#define BOOT_TIMEOUT_NS (30ull * 1000000000ull)

struct remote {
	const struct hipc_firmware *fw;
	struct hipc_shm shm;
	struct hipc_sim_ctrl *ctrl;
	struct hipc_link *link;
	struct hipc_memmap map;
	struct hipc_region region;
	struct hipc_rpmsg_dev dev;
	struct hipc_rpmsg_ept *buckets[NBUCKETS];
	uint8_t *trace;
	uint32_t trace_len;
	volatile sig_atomic_t stop;
	bool shutdown_asked;
};

static struct remote *the_remote;

static void trace_write(struct remote *r, const char *s, size_t n)
{
	uint32_t cap, head;

	if (!r || !r->trace || r->trace_len <= HIPC_TRACE_HDR)
		return;
	cap = r->trace_len - HIPC_TRACE_HDR;
	head = __atomic_load_n((uint32_t *)r->trace, __ATOMIC_RELAXED);
	for (size_t i = 0; i < n; i++)
		r->trace[HIPC_TRACE_HDR + (head + i) % cap] = (uint8_t)s[i];
	/* Text before the count that publishes it. */
	__atomic_store_n((uint32_t *)r->trace, head + (uint32_t)n,
			 __ATOMIC_RELEASE);
}

void hipc_remote_trace(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	fprintf(stderr, "%s", buf);
	trace_write(the_remote, buf, (size_t)n);
}

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);
	char *end;
	long x;

	if (!v || !*v)
		return def;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || *end || x < 0 || x > 1000000000)
		return -1;
	return (int)x;
}

static enum hipc_link_mode env_mode(void)
{
	const char *m = getenv("HIPC_LINK_MODE");

	if (m && !strcmp(m, "poll"))
		return HIPC_LINK_POLL;
	if (m && !strcmp(m, "adaptive"))
		return HIPC_LINK_ADAPTIVE;
	return HIPC_LINK_IRQ;
}

static void on_ctrl(void *arg, uint32_t msg)
{
	struct remote *r = arg;

	switch (msg) {
	case HIPC_MBOX_ECHO_REQUEST:
		hipc_link_send(r->link, HIPC_MBOX_ECHO_REPLY);
		break;
	case HIPC_MBOX_SHUTDOWN:
		r->shutdown_asked = true;
		r->stop = 1;
		break;
	default:
		break;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	if (the_remote)
		the_remote->stop = 1;
}

/*
 * Copy the shared table out (the host could change it under us), validate
 * the copy and read the rpmsg vdev from it.
 */
static int read_table(struct remote *r, uint8_t *copy, size_t cap,
		      size_t *size, struct hipc_sim_vdev *v)
{
	struct hipc_sim_ctrl *c = r->ctrl;
	uint32_t off = __atomic_load_n(&c->rsc_off, __ATOMIC_ACQUIRE);
	uint32_t len = __atomic_load_n(&c->rsc_size, __ATOMIC_ACQUIRE);
	struct hipc_rsc_error err;
	int ret;

	if (off < HIPC_SIM_CTRL_SIZE || len == 0 || len > cap ||
	    off > r->shm.size || len > r->shm.size - off)
		return -HIPC_EBADMSG;
	memcpy(copy, r->shm.base + off, len);
	*size = len;
	ret = hipc_rsc_validate(copy, len, &err);
	if (ret) {
		fprintf(stderr, "%s: shared resource table: %s: %s\n",
			r->fw->name, err.field ? err.field : "?",
			err.reason ? err.reason : "invalid");
		return ret;
	}
	return hipc__sim_vdev_read(copy, len, v);
}

static int wait_driver_ok(struct remote *r, uint8_t *copy, size_t cap,
			  size_t *size, struct hipc_sim_vdev *v)
{
	uint64_t deadline = hipc_now_ns() + BOOT_TIMEOUT_NS;
	int ret;

	for (;;) {
		ret = read_table(r, copy, cap, size, v);
		if (ret)
			return ret;
		if (v->status & HIPC_VIRTIO_STATUS_DRIVER_OK)
			return 0;
		if (r->stop)
			return -HIPC_ESHUTDOWN;
		ret = hipc_link_wait(r->link, deadline, NULL, NULL);
		hipc_link_drain(r->link, on_ctrl, r);
		if (ret == -HIPC_ETIMEDOUT && hipc_now_ns() >= deadline)
			return -HIPC_ETIMEDOUT;
	}
}

static void *region_ptr(struct remote *r, uint32_t da, size_t len)
{
	return hipc_memmap_to_va(&r->map, da, len);
}

static int bring_up(struct remote *r)
{
	static uint8_t table[16384];
	struct hipc_rpmsg_dev_config cfg;
	struct hipc_sim_vdev v;
	uint32_t offered = 0;
	size_t size;
	int ret;

	ret = wait_driver_ok(r, table, sizeof(table), &size, &v);
	if (ret)
		return ret;
	/* What we offered is what our own table says, not what the shared
	 * copy claims we offered. */
	if (r->fw->rsc) {
		struct hipc_sim_vdev mine;

		if (hipc__sim_vdev_read(r->fw->rsc, r->fw->rsc_size, &mine) == 0)
			offered = mine.dfeatures;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.role = HIPC_RPMSG_DEVICE;
	cfg.num = v.num;
	cfg.align = v.align;
	for (unsigned i = 0; i < 2; i++) {
		size_t rs = hipc_vring_size(v.num, v.align);

		cfg.vring_mem[i] = rs ? region_ptr(r, v.vring_da[i], rs) : NULL;
		if (!cfg.vring_mem[i]) {
			fprintf(stderr, "%s: vring%u at 0x%x is outside the "
				"shared region\n", r->fw->name, i, v.vring_da[i]);
			return -HIPC_EBADMSG;
		}
		cfg.notifyid[i] = v.notifyid[i];
	}
	cfg.features = v.gfeatures & offered;
	cfg.buf_size = v.buf_size;
	cfg.map = &r->map;
	cfg.buckets = r->buckets;
	cfg.nbuckets = NBUCKETS;
	cfg.port = hipc_link_port(r->link);
	if (v.trace_off >= 0 && v.trace_len > HIPC_TRACE_HDR) {
		r->trace = region_ptr(r, v.trace_da, v.trace_len);
		r->trace_len = r->trace ? v.trace_len : 0;
	}
	ret = hipc_rpmsg_dev_init(&r->dev, &cfg);
	if (ret)
		return ret;
	if (r->fw->start) {
		ret = r->fw->start(&r->dev, r->fw->ctx);
		if (ret)
			return ret;
	}
	return hipc_rpmsg_dev_start(&r->dev);
}

static bool may_sleep(void *arg)
{
	struct remote *r = arg;

	return !r->stop && hipc_rpmsg_prepare_sleep(&r->dev);
}

static int serve(struct remote *r)
{
	while (!r->stop) {
		int n, w = 0;

		if (hipc_link_drain(r->link, on_ctrl, r) == -HIPC_EIO)
			return -HIPC_EIO;
		n = hipc_rpmsg_poll(&r->dev, 0);
		if (n < 0)
			return n;
		if (r->fw->poll)
			w = r->fw->poll(&r->dev, r->fw->ctx);
		if (n > 0 || w > 0 || r->stop)
			continue;
		hipc_link_wait(r->link, 0, may_sleep, r);
	}
	return 0;
}

static void usage(const char *prog, const struct hipc_firmware *fw)
{
	printf("usage: %s [--vhost-user SOCKET]\n"
	       "Simulated remote processor '%s'.\n"
	       "Normally started by the host (hipcd or libhipc), which passes\n"
	       "the shared region and doorbells in HIPC_SHM_FD, HIPC_EFD_IN,\n"
	       "HIPC_EFD_OUT (mode: HIPC_LINK_MODE=irq|poll|adaptive).\n"
	       "  --vhost-user SOCKET  serve the firmware as a vhost-user rpmsg\n"
	       "                       device (for User-mode Linux, QEMU)\n",
	       prog, fw->name);
}

int hipc_remote_main(const struct hipc_firmware *fw, int argc, char **argv)
{
	static struct remote r;
	int shm_fd, efd_in, efd_out, ret;
	struct sigaction sa;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(argv[0], fw);
			return 0;
		}
		if (!strcmp(argv[i], "--vhost-user") && i + 1 < argc) {
#if HIPC_HAVE_VHOST_USER
			ret = hipc_vhost_user_serve(fw, argv[i + 1]);
			if (ret)
				fprintf(stderr, "%s: vhost-user: %s\n", fw->name,
					hipc_strerror(ret));
			return ret ? 1 : 0;
#else
			fprintf(stderr, "%s: built without vhost-user\n",
				fw->name);
			return 2;
#endif
		}
	}

	memset(&r, 0, sizeof(r));
	r.fw = fw;
	the_remote = &r;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	shm_fd = env_int("HIPC_SHM_FD", -1);
	efd_in = env_int("HIPC_EFD_IN", -1);
	efd_out = env_int("HIPC_EFD_OUT", -1);
	if (shm_fd < 0 || efd_in < 0 || efd_out < 0) {
		fprintf(stderr, "%s: not started by a hipc host (HIPC_SHM_FD, "
			"HIPC_EFD_IN, HIPC_EFD_OUT unset); see --help\n",
			fw->name);
		return 2;
	}
	ret = hipc_shm_map(&r.shm, shm_fd);
	if (ret) {
		fprintf(stderr, "%s: cannot map the shared region: %s\n",
			fw->name, strerror(-ret));
		return 2;
	}
	r.ctrl = (struct hipc_sim_ctrl *)r.shm.base;
	if (r.shm.size < HIPC_SIM_CTRL_SIZE || r.ctrl->magic != HIPC_SIM_MAGIC ||
	    r.ctrl->version != HIPC_SIM_VERSION) {
		fprintf(stderr, "%s: the shared region is not a hipc region\n",
			fw->name);
		return 2;
	}
	r.region.da = 0;
	r.region.va = r.shm.base;
	r.region.size = r.shm.size;
	r.map.regions = &r.region;
	r.map.count = 1;
	r.link = hipc_link_new(r.ctrl, HIPC_SIDE_REMOTE, efd_in, efd_out,
			       env_mode(), (unsigned)env_int("HIPC_SPIN_US", 50));
	if (!r.link)
		return 2;
	__atomic_store_n(&r.ctrl->pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
	__atomic_store_n(&r.ctrl->state, HIPC_SIM_STATE_BOOTING,
			 __ATOMIC_RELEASE);

	ret = bring_up(&r);
	if (ret == 0) {
		__atomic_store_n(&r.ctrl->state, HIPC_SIM_STATE_RUNNING,
				 __ATOMIC_RELEASE);
		hipc_link_send(r.link, HIPC_MBOX_READY);
		ret = serve(&r);
	}
	if (ret && ret != -HIPC_ESHUTDOWN) {
		fprintf(stderr, "%s: %s\n", fw->name, hipc_strerror(ret));
		__atomic_store_n(&r.ctrl->state, HIPC_SIM_STATE_CRASHED,
				 __ATOMIC_RELEASE);
		hipc_link_send(r.link, HIPC_MBOX_CRASH);
		return 3;
	}
	if (fw->stop && ret == 0)
		fw->stop(&r.dev, fw->ctx);
	hipc_rpmsg_dev_deinit(&r.dev);
	__atomic_store_n(&r.ctrl->state, HIPC_SIM_STATE_STOPPED,
			 __ATOMIC_RELEASE);
	if (r.shutdown_asked)
		hipc_link_send(r.link, HIPC_MBOX_SHUTDOWN_ACK);
	hipc_link_free(r.link);
	hipc_shm_close(&r.shm);
	return 0;
}
