/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The firmware runtime (src/remote/sim_transport.c) checks its host as the
 * host checks it: a firmware started on a region that is not a hipc
 * region, on one whose shared resource table is out of bounds or invalid,
 * with a peer link or a big-buffer pools region that does not fit, says why on stderr and exits with
 * its status (2: refused before anything ran; 3: a crash, reported in the
 * control page and the mailbox).  Each case forges the region and starts
 * the lifecycle firmware on it as a host would.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "hipc/fwimage.h"
#include "lc_util.h"
#include "sim_proto.h"

#define REGION (64u * 1024u)

/* A memfd of @size bytes (inherited by the firmware), its mapping in
 * *@map. */
static int region(size_t size, uint8_t **map)
{
	int fd = memfd_create("forged", 0);

	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, (off_t)size), 0);
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(*map != MAP_FAILED);
	return fd;
}

/* A control page that passes the runtime's first look. */
static struct hipc_sim_ctrl *ctrl_page(uint8_t *base, size_t size)
{
	struct hipc_sim_ctrl *c = (struct hipc_sim_ctrl *)base;

	c->magic = HIPC_SIM_MAGIC;
	c->version = HIPC_SIM_VERSION;
	c->size = size;
	hipc_link_shared_init(&c->mbox);
	return c;
}

static void put_env_fd(const char *name, int fd)
{
	char v[16];

	snprintf(v, sizeof(v), "%d", fd);
	CHECK_EQ(setenv(name, v, 1), 0);
}

#define SDB_FW HIPC_BUILD_DIR "/firmware/sdb/hipc-fw-sdb"

/*
 * Start firmware @fw on @shm_fd (and a peer link on @p2p_fd, a pools
 * region on @pool_fd; -1 none) as a host does; its stderr in @err.
 * Returns its exit status (-1: killed at the deadline, which fails the
 * case).
 */
static int run_fw_with(const char *fw, int shm_fd, int p2p_fd, int pool_fd,
		       char *err, size_t errlen)
{
	int efd[4], pipefd[2], status;
	uint64_t end = hipc_now_ns() + 10000ull * LC_MS;
	size_t got = 0;
	pid_t pid;

	for (int i = 0; i < 4; i++)
		CHECK((efd[i] = eventfd(0, EFD_NONBLOCK)) >= 0);
	CHECK_EQ(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pipefd[1], 2);
		put_env_fd("HIPC_SHM_FD", shm_fd);
		put_env_fd("HIPC_EFD_IN", efd[0]);
		put_env_fd("HIPC_EFD_OUT", efd[1]);
		if (p2p_fd >= 0) {
			put_env_fd("HIPC_P2P_FD", p2p_fd);
			put_env_fd("HIPC_P2P_EFD_IN", efd[2]);
			put_env_fd("HIPC_P2P_EFD_OUT", efd[3]);
			setenv("HIPC_P2P_ROLE", "driver", 1);
		}
		if (pool_fd >= 0)
			put_env_fd("HIPC_POOL_FD", pool_fd);
		execl(fw, fw, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		ssize_t n;

		if (hipc_now_ns() >= end || poll(&p, 1, 100) < 0)
			break;
		if (!p.revents)
			continue;
		n = read(pipefd[0], err + got, errlen - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == errlen - 1)
			break;
	}
	err[got] = '\0';
	close(pipefd[0]);
	for (int i = 0; i < 4; i++)
		close(efd[i]);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (hipc_now_ns() >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			printf("firmware still running at the deadline\n");
			return -1;
		}
		usleep(1000);
	}
	printf("firmware exit %d: %s", WIFEXITED(status) ? WEXITSTATUS(status)
				      : -1, err);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int run_fw(int shm_fd, int p2p_fd, char *err, size_t errlen)
{
	return run_fw_with(LC_FW, shm_fd, p2p_fd, -1, err, errlen);
}

/* A region smaller than a control page, one of another magic, one of
 * another version: refused before anything else, status 2. */
HIPC_TEST(region_not_a_hipc_region)
{
	char err[1024];
	uint8_t *base;
	int fd;

	for (int k = 0; k < 3; k++) {
		size_t size = k == 0 ? HIPC_SIM_CTRL_SIZE / 2 : REGION;
		struct hipc_sim_ctrl *c;

		fd = region(size, &base);
		if (k) {
			c = ctrl_page(base, size);
			if (k == 1)
				c->magic = 0x12345678u;
			else
				c->version = HIPC_SIM_VERSION + 1u;
		}
		CHECK_EQ(run_fw(fd, -1, err, sizeof(err)), 2);
		CHECK(strstr(err, "the shared region is not a hipc region"));
		munmap(base, size);
		close(fd);
	}
}

/* Whether the firmware reported its crash: the state word, and the CRASH
 * message among what it put in the host's FIFO. */
static bool crash_reported(uint8_t *base)
{
	struct hipc_sim_ctrl *c = (struct hipc_sim_ctrl *)base;
	const struct hipc_shm_fifo *f = &c->mbox.fifo[HIPC_SIDE_HOST];
	bool seen = false;

	for (uint32_t i = f->tail; i != f->head; i++)
		seen |= f->slot[i % HIPC_MBOX_HW_DEPTH] == HIPC_MBOX_CRASH;
	return c->state == HIPC_SIM_STATE_CRASHED && seen;
}

/*
 * The shared resource table's offset and size outside the region, or a
 * table that fails validation: the firmware copies it out, refuses it,
 * reports a crash (state CRASHED, the CRASH message) and exits with 3.
 */
HIPC_TEST(shared_table_refused)
{
	char err[1024];
	uint8_t *base;
	int fd;

	/* past the end of the region */
	fd = region(REGION, &base);
	ctrl_page(base, REGION)->rsc_off = REGION - 16u;
	((struct hipc_sim_ctrl *)base)->rsc_size = 64;
	CHECK_EQ(run_fw(fd, -1, err, sizeof(err)), 3);
	CHECK(strstr(err, hipc_strerror(-HIPC_EBADMSG)));
	CHECK(crash_reported(base));
	munmap(base, REGION);
	close(fd);

	/* inside, but not a valid table (version 2) */
	fd = region(REGION, &base);
	ctrl_page(base, REGION)->rsc_off = HIPC_SIM_CTRL_SIZE;
	((struct hipc_sim_ctrl *)base)->rsc_size = 64;
	base[HIPC_SIM_CTRL_SIZE] = 2;
	CHECK_EQ(run_fw(fd, -1, err, sizeof(err)), 3);
	CHECK(strstr(err, "shared resource table: ver: must be 1"));
	CHECK(crash_reported(base));
	munmap(base, REGION);
	close(fd);
}

/*
 * A peer-link (static vring) region smaller than a control page, with
 * another magic, or whose ring geometry is impossible or does not fit it:
 * refused with status 2 before the host's own rings are looked at.
 */
HIPC_TEST(peer_link_refused)
{
	char err[1024];
	uint8_t *base, *p2p;
	int fd, pfd;

	for (int k = 0; k < 4; k++) {
		size_t psize = k == 0 ? HIPC_SIM_CTRL_SIZE / 2 : 2u * HIPC__PAGE;
		struct hipc_sim_ctrl *c;

		fd = region(REGION, &base);
		ctrl_page(base, REGION);
		pfd = region(psize, &p2p);
		if (k) {
			c = ctrl_page(p2p, psize);
			c->p2p_num = k == 2 ? 63u : 64u;
			c->p2p_buf_size = 512;
			if (k == 1)
				c->magic = 0x12345678u;
		}
		CHECK_EQ(run_fw(fd, pfd, err, sizeof(err)), 2);
		CHECK(strstr(err, "peer link: "));
		CHECK(strstr(err, hipc_strerror(-HIPC_EBADMSG)));
		munmap(p2p, psize);
		close(pfd);
		munmap(base, REGION);
		close(fd);
	}
}

/*
 * A big-buffer pools region that does not match the firmware's own table
 * (smaller than its pools, another magic, version, pool count or size in
 * its header): the firmware refuses it, status 2, before it uses any
 * buffer.  The region is sized from the firmware file's table, as the host
 * sizes it (sparse: nothing of it is touched but the header).
 */
HIPC_TEST(pools_region_refused)
{
	struct hipc__pools_layout l;
	struct hipc_fwimage img;
	char err[1024];
	uint8_t *base, *pools;
	int fd, pfd;

	CHECK_EQ(hipc_fwimage_load(&img, SDB_FW, err, sizeof(err)), 0);
	CHECK_EQ(hipc__pools_plan(hipc_fwimage_rsc(&img), img.rsc_size, &l), 0);
	hipc_fwimage_release(&img);
	CHECK(l.npools > 0);
	for (int k = 0; k < 5; k++) {
		size_t psize = k == 0 ? (size_t)l.size - HIPC__PAGE
				      : k == 4 ? (size_t)l.size + HIPC__PAGE
					       : (size_t)l.size;
		struct hipc_sim_pools_hdr *h;

		fd = region(REGION, &base);
		ctrl_page(base, REGION);
		pfd = region(psize, &pools);
		h = (struct hipc_sim_pools_hdr *)pools;
		h->magic = k == 1 ? 0x12345678u : HIPC_SIM_POOLS_MAGIC;
		h->version = HIPC_SIM_POOLS_VERSION + (k == 2);
		h->npools = l.npools + (k == 3);
		h->size = psize;
		CHECK_EQ(run_fw_with(SDB_FW, fd, -1, pfd, err, sizeof(err)), 2);
		CHECK(strstr(err, "big-buffer pools: "));
		CHECK(strstr(err, "the host's region does not match our table"));
		munmap(pools, psize);
		close(pfd);
		munmap(base, REGION);
		close(fd);
	}
}

HIPC_TEST_MAIN(HIPC_CASE(region_not_a_hipc_region),
	       HIPC_CASE(shared_table_refused), HIPC_CASE(peer_link_refused),
	       HIPC_CASE(pools_region_refused))
