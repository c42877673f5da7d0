/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Attach and detach: a remote that booted on its own (as a safety island
 * does) owns its region; the host takes it over, lets it go, takes it over
 * again, and the remote's own state (its counters, its trace, its pid)
 * carries over.
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "hipc/linux.h"
#include "lc_util.h"
#include "sim_proto.h"

static char run_dir[64];
static pid_t run_dir_owner;

/* Everything in it (sockets of remotes and fakes a failed CHECK left
 * running), then the directory; only by the process that made it, not by
 * a forked child's exit. */
static void remove_run_dir(void)
{
	struct dirent *e;
	DIR *d;

	if (getpid() != run_dir_owner)
		return;
	d = opendir(run_dir);
	if (d) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(run_dir);
}

static void make_run_dir(void)
{
	if (run_dir[0])
		return;
	snprintf(run_dir, sizeof(run_dir), "/tmp/hipc-test-XXXXXX");
	CHECK(mkdtemp(run_dir) != NULL);
	CHECK_EQ(setenv("HIPC_RUN_DIR", run_dir, 1), 0);
	run_dir_owner = getpid();
	atexit(remove_run_dir);
}

/*
 * Fork a remote of @name for the test: the child runs @child(@name, @arg)
 * (which does not return), the parent waits for the child's socket in the
 * run directory.
 */
static pid_t fork_remote(const char *name,
			 void (*child)(const char *name, const void *arg),
			 const void *arg)
{
	char sock[160];
	struct stat st;
	pid_t pid;

	make_run_dir();
	snprintf(sock, sizeof(sock), "%s/%s.sock", run_dir, name);
	unlink(sock);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* A failing test must not leave it holding ctest's pipe. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		child(name, arg);
		_exit(127);
	}
	for (int i = 0; i < 5000 && stat(sock, &st) < 0; i++)
		usleep(1000);
	CHECK(stat(sock, &st) == 0);
	return pid;
}

/* One extra firmware option and its value, or none (NULL). */
struct fw_opt {
	const char *arg, *val;
};

static void exec_standalone(const char *name, const void *arg)
{
	const struct fw_opt *o = arg;

	if (o->arg)
		execl(LC_FW, LC_FW, o->arg, o->val, "--standalone", name,
		      (char *)NULL);
	else
		execl(LC_FW, LC_FW, "--standalone", name, (char *)NULL);
}

/* Start the firmware standalone, as the test's child; wait for its socket.
 * @arg: one extra firmware option (NULL: none). */
static pid_t start_standalone_with(const char *name, const char *arg,
				   const char *val)
{
	struct fw_opt o = { arg, val };

	return fork_remote(name, exec_standalone, &o);
}

static pid_t start_standalone(const char *name)
{
	return start_standalone_with(name, NULL, NULL);
}

static void attach(struct lc_client *c)
{
	char err[256] = "";
	int ret;

	c->echo_bound = c->ctl_bound = false;
	ret = hipc_rproc_attach(c->rp, NULL, err, sizeof(err));
	if (ret)
		printf("attach: %s (%s)\n", err, hipc_strerror(ret));
	CHECK_EQ(ret, 0);
	CHECK_EQ(hipc_rproc_state(c->rp), HIPC_RPROC_ATTACHED);
	CHECK(LC_RUN_UNTIL(c, c->echo_bound && c->ctl_bound, 5000));
}

/* The remote @pid (standalone) attached by @c, 100 messages streamed
 * through it, then stopped; @c's rproc freed. */
static void attach_stream_stop(struct lc_client *c, pid_t pid)
{
	int status;

	attach(c);
	CHECK_EQ(hipc_rproc_pid(c->rp), pid);
	CHECK(lc_stream(c, 100, 100, 8));
	CHECK_EQ(c->bad, 0);
	CHECK_EQ(hipc_rproc_stop(c->rp, 2000), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	hipc_rproc_free(c->rp);
}

HIPC_TEST(attach_detach_attach)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	char trace[8192];
	uint64_t pos = 0;
	int n;
	int status;
	pid_t pid;

	pid = start_standalone("island");
	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "island");
	cfg.firmware = NULL; /* attach only */
	cfg.watchdog_ms = 20;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);

	attach(&c);
	CHECK_EQ(hipc_rproc_pid(c.rp), pid);
	CHECK_EQ(lc_field(lc_status(&c), "starts="), 1);
	CHECK(lc_stream(&c, 1000, 200, 16));
	CHECK_EQ(lc_field(lc_status(&c), "echoed="), 1000);

	CHECK_EQ(hipc_rproc_detach(c.rp), 0);
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_DETACHED);
	CHECK_EQ(c.last_err, -HIPC_ECONNRESET);
	CHECK(hipc_rproc_rpmsg(c.rp) == NULL);
	/* Still running on its own, and still answering nobody. */
	usleep(50000);
	CHECK_EQ(kill(pid, 0), 0);
	CHECK_EQ(waitpid(pid, &status, WNOHANG), 0);

	attach(&c);
	CHECK_EQ(hipc_rproc_pid(c.rp), pid);
	lc_status(&c);
	CHECK_EQ(lc_field(c.reply, "echoed="), 1000);
	CHECK_EQ(lc_field(c.reply, "starts="), 2);
	CHECK_EQ(lc_field(c.reply, "pid="), pid);
	c.next_seq = 0;
	CHECK(lc_stream(&c, 500, 200, 16));
	CHECK_EQ(lc_field(lc_status(&c), "echoed="), 1500);
	CHECK_EQ(c.bad, 0);

	/* Its trace ring, written since it booted, reads across the two
	 * attachments. */
	n = hipc_rproc_trace_read(c.rp, &pos, trace, sizeof(trace) - 1);
	CHECK(n > 0);
	trace[n] = 0;
	CHECK(strstr(trace, "start #1") != NULL);
	CHECK(strstr(trace, "host gone, echoed 1000") != NULL);
	CHECK(strstr(trace, "start #2, echoed so far 1000") != NULL);

	/* Once more, then stop: a stop ends the remote, attached or not. */
	CHECK_EQ(hipc_rproc_detach(c.rp), 0);
	attach(&c);
	CHECK_EQ(lc_field(lc_status(&c), "starts="), 3);
	CHECK_EQ(hipc_rproc_stop(c.rp, 2000), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	hipc_rproc_free(c.rp);
	CHECK(lc_no_children());
}

/*
 * A stop while a re-attach is under way (the state still "detached" until
 * the remote is up) wins: it returns 0, the state is "offline", and what
 * the attach had taken (the session socket, the region, the link's
 * eventfds, the pidfd) is let go of at once, so that the remote, still
 * running on its own, takes the next host.  The stop lands after 0, 1, 2
 * ... passes of the loop, until one finds the attach done (then it stops
 * the remote as any attached one).
 */
HIPC_TEST(stop_during_reattach_lets_go)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	char err[256];
	int status, base;
	unsigned landed = 0;
	pid_t pid;

	pid = start_standalone("isle");
	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "isle");
	cfg.firmware = NULL; /* attach only */
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	for (int k = 0; k < 12; k++) {
		attach(&c);
		CHECK_EQ(hipc_rproc_detach(c.rp), 0);
		base = lc_count_fds();
		CHECK_EQ(hipc_rproc_begin_attach(c.rp, NULL, err, sizeof(err)),
			 0);
		for (int i = 0; i < k && hipc_rproc_state(c.rp) ==
						 HIPC_RPROC_DETACHED; i++) {
			usleep(100);
			(void)hipc_rproc_process(c.rp);
		}
		if (hipc_rproc_state(c.rp) != HIPC_RPROC_DETACHED) {
			/* up before the stop: a stop ends it (below) */
			CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_ATTACHED);
			break;
		}
		CHECK_EQ(hipc_rproc_stop(c.rp, 2000), 0);
		CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_OFFLINE);
		CHECK_EQ(hipc_rproc_pending(c.rp), HIPC_RPROC_OP_NONE);
		CHECK_EQ(lc_count_fds(), base);
		CHECK_EQ(waitpid(pid, &status, WNOHANG), 0);
		landed += k > 0;
		/* from "offline" the next attach must find the remote free */
	}
	/* some stop landed after the loop had taken the hello */
	CHECK(landed > 0);
	if (hipc_rproc_state(c.rp) != HIPC_RPROC_ATTACHED)
		attach(&c);
	CHECK_EQ(hipc_rproc_stop(c.rp, 2000), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	hipc_rproc_free(c.rp);
	CHECK(lc_no_children());
}

/* An attached remote that dies is crashed like a booted one. */
HIPC_TEST(attached_remote_crash)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	uint64_t t0;
	int status;
	pid_t pid;

	pid = start_standalone("island2");
	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "island2");
	cfg.firmware = NULL;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	attach(&c);
	t0 = hipc_now_ns();
	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK(LC_RUN_UNTIL(&c, c.crashes_seen == 1, 1000));
	CHECK(c.crashed_ns - t0 < 100 * LC_MS);
	CHECK_EQ(c.last_err, -HIPC_ECONNRESET);
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_CRASHED);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	hipc_rproc_free(c.rp);
}

/* One host at a time; a host that dies attached does not lock the remote
 * out, and its rings are not taken for a live host's. */
HIPC_TEST(one_host_at_a_time)
{
	struct hipc_rproc_config cfg;
	struct lc_client a, b;
	char err[256] = "";
	int status;
	pid_t pid, host;

	pid = start_standalone("island3");
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	lc_config(&cfg, &a, "island3");
	cfg.firmware = NULL;
	CHECK_EQ(hipc_rproc_new(&a.rp, &cfg), 0);
	lc_config(&cfg, &b, "island3");
	cfg.firmware = NULL;
	CHECK_EQ(hipc_rproc_new(&b.rp, &cfg), 0);

	attach(&a);
	CHECK(lc_stream(&a, 100, 100, 8));
	/* Turned away while a holds it; a is undisturbed. */
	CHECK_EQ(hipc_rproc_attach(b.rp, NULL, err, sizeof(err)), -HIPC_EBUSY);
	CHECK(strstr(err, "attached to another host") != NULL);
	CHECK_EQ(hipc_rproc_state(b.rp), HIPC_RPROC_OFFLINE);
	CHECK(lc_stream(&a, 100, 100, 8));
	CHECK_EQ(a.bad, 0);
	CHECK_EQ(hipc_rproc_detach(a.rp), 0);

	/* A host that attaches, streams and dies without a word. */
	host = fork();
	CHECK(host >= 0);
	if (host == 0) {
		struct lc_client d;

		memset(&d, 0, sizeof(d));
		lc_config(&cfg, &d, "island3");
		cfg.firmware = NULL;
		if (hipc_rproc_new(&d.rp, &cfg) ||
		    hipc_rproc_attach(d.rp, NULL, err, sizeof(err)) ||
		    !LC_RUN_UNTIL(&d, d.echo_bound, 5000) ||
		    !lc_stream(&d, 50, 100, 8))
			_exit(1);
		_exit(0);
	}
	CHECK_EQ(waitpid(host, &status, 0), host);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	attach(&b);
	lc_status(&b);
	CHECK_EQ(lc_field(b.reply, "echoed="), 250);
	CHECK_EQ(lc_field(b.reply, "starts="), 3);
	CHECK_EQ(lc_field(b.reply, "pid="), pid);
	CHECK(lc_stream(&b, 100, 100, 8));
	CHECK_EQ(b.bad, 0);
	CHECK_EQ(hipc_rproc_stop(b.rp, 2000), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	hipc_rproc_free(a.rp);
	hipc_rproc_free(b.rp);
}

/* Nobody published under that name. */
HIPC_TEST(attach_to_nothing)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	char err[256] = "";

	make_run_dir();
	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "nobody");
	cfg.firmware = NULL;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	CHECK_EQ(hipc_rproc_attach(c.rp, NULL, err, sizeof(err)), -HIPC_ENOENT);
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_OFFLINE);
	hipc_rproc_free(c.rp);
}

/* --- a fake remote speaking the attach protocol badly ------------------- */

enum fake_kind {
	FAKE_EMPTY,       /* a memfd of size 0 (sealed: only its size is
			   * wrong) */
	FAKE_UNSEALED,    /* a region anyone holding it could shrink */
	FAKE_BAD_SIZE,    /* sealed, but its control page claims another size */
	FAKE_BAD_VERSION, /* hello from a future protocol */
	FAKE_BAD_MAGIC,   /* hello that is not ours at all */
	FAKE_SMALL,       /* sealed, but smaller than a control page */
	FAKE_CTRL_MAGIC,  /* a control page of something else */
	FAKE_CTRL_VERSION, /* a control page of another version */
	FAKE_TWO_FDS,     /* the hello with two fds */
	FAKE_FOUR_FDS,    /* the hello with four */
	FAKE_SILENT,      /* accepts the host and never says a word */
	FAKE_HANGUP,      /* closes every connection without a word */
	FAKE_RSC_OUTSIDE, /* its table's offset and size run past the region */
	FAKE_RSC_INVALID, /* its table fails validation */
	FAKE_NO_ACK,      /* a region as a real remote lays it out, but the
			   * new ring generation is never acknowledged */
	FAKE_EXIT_ON_RESET, /* the same, exiting once asked to let go */
	FAKE_OTHER_USER,  /* a region as a real remote lays it out, from a
			   * socket another user listens on */
	/* A valid table in a region laid out otherwise than the host would
	 * lay it out: */
	FAKE_LAYOUT_TABLE, /* the table a page further than the plan's */
	FAKE_LAYOUT_SHORT, /* the region a page shorter than the plan */
	FAKE_LAYOUT_RINGS, /* vring 0 and vring 1 swapped */
	FAKE_LAYOUT_TRACE, /* the trace on the message buffers */
};

/* Taken for another user's: nobody runs as it on the test machines. */
#define OTHER_UID 65534

/* The cases that switch users need root, as CI runs them: they fail
 * rather than skip without it. */
static void need_root(void)
{
	if (geteuid() != 0)
		printf("needs root (to switch users), as CI runs it\n");
	CHECK_EQ(geteuid(), 0);
}

/* The fake's region of the fake_valid_kind() kinds, mapped
 * (FAKE_EXIT_ON_RESET watches the host's generation in it). */
static struct hipc_sim_ctrl *fake_ctrl;

static bool fake_valid_kind(enum fake_kind kind)
{
	return kind == FAKE_NO_ACK || kind == FAKE_EXIT_ON_RESET ||
	       kind == FAKE_OTHER_USER || kind == FAKE_LAYOUT_TABLE ||
	       kind == FAKE_LAYOUT_SHORT || kind == FAKE_LAYOUT_RINGS ||
	       kind == FAKE_LAYOUT_TRACE;
}

/* The table of a region made by fake_valid_region(), its vdev and the
 * layout this host plans for it. */
static void fake_table(uint8_t *tbl, size_t cap, size_t *size,
		       struct hipc_sim_vdev *v, struct hipc__layout *lay)
{
	struct hipc_rsc_builder b;

	CHECK_EQ(hipc_rsc_builder_init(&b, tbl, cap, 3), 0);
	hipc_rsc_add_vdev(&b, HIPC_VIRTIO_ID_RPMSG, 1, 2, 64, 16, 0, NULL);
	hipc_rsc_add_hipc_rpmsg(&b, 512, NULL);
	hipc_rsc_add_trace(&b, HIPC_FW_RSC_ADDR_ANY, 4096, "trace0", NULL);
	CHECK_EQ(hipc_rsc_builder_finish(&b, size), 0);
	CHECK_EQ(hipc__sim_vdev_read(tbl, *size, v), 0);
	CHECK_EQ(hipc__layout_plan(tbl, *size, v, lay), 0);
}

/* A region laid out as a standalone remote lays out its own, or (the
 * FAKE_LAYOUT_ kinds) otherwise, its table still a valid one. */
static int fake_valid_region(enum fake_kind kind)
{
	static uint8_t tbl[512];
	struct hipc__layout lay, made;
	struct hipc_sim_vdev v;
	size_t size = 0;
	uint8_t *vd, *vr;
	uint32_t da0, da1;
	int fd = memfd_create("fake", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	CHECK(fd >= 0);
	fake_table(tbl, sizeof(tbl), &size, &v, &lay);
	made = lay;
	if (kind == FAKE_LAYOUT_TABLE) {
		/* past everything else, in a page of its own */
		made.rsc_off = lay.size;
		made.size = lay.size + HIPC__PAGE;
	}
	if (kind == FAKE_LAYOUT_SHORT)
		made.size = lay.size - HIPC__PAGE; /* the trace's page */
	CHECK_EQ(ftruncate(fd, (off_t)made.size), 0);
	fake_ctrl = mmap(NULL, made.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);
	CHECK(fake_ctrl != MAP_FAILED);
	hipc__layout_apply((uint8_t *)fake_ctrl, &made, tbl, size, &v, "fake",
			   0);
	vd = (uint8_t *)fake_ctrl + made.rsc_off + v.vdev_off;
	vr = HIPC_FIELD(vd, struct hipc_rsc_vdev, vring);
	if (kind == FAKE_LAYOUT_RINGS) {
		da0 = hipc_get_le32(HIPC_FIELD(vr, struct hipc_rsc_vring, da));
		vr += sizeof(struct hipc_rsc_vring);
		da1 = hipc_get_le32(HIPC_FIELD(vr, struct hipc_rsc_vring, da));
		hipc_put_le32(HIPC_FIELD(vr, struct hipc_rsc_vring, da), da0);
		vr -= sizeof(struct hipc_rsc_vring);
		hipc_put_le32(HIPC_FIELD(vr, struct hipc_rsc_vring, da), da1);
	}
	if (kind == FAKE_LAYOUT_TRACE)
		hipc_put_le32(HIPC_FIELD((uint8_t *)fake_ctrl + made.rsc_off +
						 v.trace_off,
					 struct hipc_rsc_trace, da),
			      (uint32_t)lay.bufs_off);
	CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	return fd;
}

/*
 * What the host reads from a region of @fd, checked as the host checks it
 * up to the layout: the table inside the region, valid, with an rpmsg
 * vdev the planner lays out.  For the FAKE_LAYOUT_ kinds: only the layout
 * is wrong.
 */
static bool table_acceptable(int fd)
{
	struct hipc_rsc_error rerr;
	struct hipc__layout lay;
	struct hipc_sim_vdev v;
	struct hipc_sim_ctrl *c;
	struct stat st;
	uint8_t *copy;
	bool ok;

	CHECK_EQ(fstat(fd, &st), 0);
	c = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(c != MAP_FAILED);
	ok = c->rsc_off >= HIPC_SIM_CTRL_SIZE && c->rsc_size > 0 &&
	     c->rsc_off <= st.st_size &&
	     c->rsc_size <= (uint64_t)st.st_size - c->rsc_off;
	if (ok) {
		copy = malloc(c->rsc_size);
		CHECK(copy != NULL);
		memcpy(copy, (uint8_t *)c + c->rsc_off, c->rsc_size);
		ok = !hipc_rsc_validate(copy, c->rsc_size, &rerr) &&
		     !hipc__sim_vdev_read(copy, c->rsc_size, &v) &&
		     !hipc__layout_plan(copy, c->rsc_size, &v, &lay);
		free(copy);
	}
	munmap(c, (size_t)st.st_size);
	return ok;
}

#define FAKE_SIZE (64u * 1024u)

/* A region for one hello: a control page that passes the first look. */
static int fake_region(enum fake_kind kind)
{
	int fd = memfd_create("fake", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct hipc_sim_ctrl *c;

	CHECK(fd >= 0);
	if (fake_valid_kind(kind)) {
		close(fd);
		return fake_valid_region(kind);
	}
	if (kind == FAKE_EMPTY) {
		CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
		return fd;
	}
	if (kind == FAKE_SMALL) {
		CHECK_EQ(ftruncate(fd, HIPC_SIM_CTRL_SIZE - 8u), 0);
		CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
		return fd;
	}
	CHECK_EQ(ftruncate(fd, FAKE_SIZE), 0);
	c = mmap(NULL, FAKE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(c != MAP_FAILED);
	c->magic = kind == FAKE_CTRL_MAGIC ? 0x12345678u : HIPC_SIM_MAGIC;
	c->version = kind == FAKE_CTRL_VERSION ? HIPC_SIM_VERSION + 1u
					       : HIPC_SIM_VERSION;
	c->size = kind == FAKE_BAD_SIZE ? 2u * FAKE_SIZE : FAKE_SIZE;
	/* A table at the start of the next page: one that would run past
	 * the end of the region, or one whose version is wrong. */
	c->rsc_off = HIPC_SIM_CTRL_SIZE;
	c->rsc_size = kind == FAKE_RSC_OUTSIDE ? FAKE_SIZE : 64u;
	memset((uint8_t *)c + HIPC_SIM_CTRL_SIZE, 0, 64);
	((uint8_t *)c)[HIPC_SIM_CTRL_SIZE] = 2; /* ver: must be 1 */
	munmap(c, FAKE_SIZE);
	if (kind != FAKE_UNSEALED)
		CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	return fd;
}

/*
 * The child's loop: like a real standalone remote, one host at a time (a
 * host still connected makes it turn the next one away: it says it is
 * busy and closes the new connection); every host it does take gets a bad
 * hello.
 */
static void fake_remote(const char *name, enum fake_kind kind)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[160];
	int lfd, host = -1;

	/* Published only once it listens, as a real remote does. */
	snprintf(path, sizeof(path), "%s/%s.sock", run_dir, name);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/.%s.fake", run_dir,
		 name);
	unlink(sa.sun_path);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		_exit(1);
	/* The kernel takes a listener's credentials at listen(): those are
	 * what SO_PEERCRED tells a host that connects.  Another user's,
	 * then root's again to publish the socket in the root-only run
	 * directory.  (A change of effective ids clears the parent-death
	 * signal: set again.) */
	if (kind == FAKE_OTHER_USER &&
	    (setegid(OTHER_UID) < 0 || seteuid(OTHER_UID) < 0))
		_exit(1);
	if (listen(lfd, 8) < 0)
		_exit(1);
	if (kind == FAKE_OTHER_USER) {
		if (seteuid(0) < 0 || setegid(0) < 0)
			_exit(1);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	}
	if (rename(sa.sun_path, path) < 0)
		_exit(1);
	for (;;) {
		uint32_t hello[2] = { HIPC__ATTACH_MAGIC, HIPC__ATTACH_VERSION };
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(4 * sizeof(int))];
		} u;
		struct iovec iov = { .iov_base = hello,
				     .iov_len = sizeof(hello) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = u.buf,
				    .msg_controllen = sizeof(u.buf) };
		struct cmsghdr *c;
		int fds[4], conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		unsigned nfds = kind == FAKE_TWO_FDS    ? 2u
				: kind == FAKE_FOUR_FDS ? 4u
							: 3u;

		if (conn < 0)
			continue;
		if (host >= 0) {
			struct pollfd p = { .fd = host,
					    .events = POLLIN | POLLRDHUP };

			if (poll(&p, 1, 0) > 0) {
				close(host); /* that host has let go */
				host = -1;
			}
		}
		if (host >= 0) {
			uint32_t busy[2] = { HIPC__ATTACH_MAGIC,
					     HIPC__ATTACH_BUSY };

			(void)send(conn, busy, sizeof(busy),
				   MSG_DONTWAIT | MSG_NOSIGNAL);
			close(conn); /* turned away */
			continue;
		}
		if (kind == FAKE_HANGUP) {
			close(conn);
			continue;
		}
		if (kind == FAKE_SILENT) {
			host = conn; /* taken, never answered */
			continue;
		}
		if (kind == FAKE_BAD_VERSION)
			hello[1] = HIPC__ATTACH_VERSION + 1u;
		if (kind == FAKE_BAD_MAGIC)
			hello[0] = 0x12345678u;
		fds[0] = fake_region(kind);
		fds[1] = eventfd(0, EFD_CLOEXEC);
		fds[2] = eventfd(0, EFD_CLOEXEC);
		fds[3] = eventfd(0, EFD_CLOEXEC);
		memset(&u, 0, sizeof(u));
		m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
		/* A host that refused us at once is gone already. */
		if (sendmsg(conn, &m, MSG_NOSIGNAL) < 0) {
			for (int i = 0; i < 4; i++)
				close(fds[i]);
			close(conn);
			continue;
		}
		for (int i = 0; i < 4; i++)
			close(fds[i]);
		if (kind == FAKE_EXIT_ON_RESET) {
			/* The region was made with generation 0: any other
			 * is the host's (read now, it may be there already) */
			for (int i = 0; i < 5000; i++) {
				if (__atomic_load_n(&fake_ctrl->host_gen,
						    __ATOMIC_ACQUIRE) != 0)
					_exit(0);
				usleep(1000);
			}
			_exit(1);
		}
		host = conn;
	}
}

static void run_fake(const char *name, const void *arg)
{
	fake_remote(name, *(const enum fake_kind *)arg);
	_exit(0);
}

static pid_t start_fake(const char *name, enum fake_kind kind)
{
	return fork_remote(name, run_fake, &kind);
}

static void stop_fake(pid_t pid, const char *name)
{
	char sock[160];
	int status;

	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	snprintf(sock, sizeof(sock), "%s/%s.sock", run_dir, name);
	unlink(sock);
}

/* Attach to @name, expecting a refusal whose message holds @needle;
 * returns the refusal's code. */
static int attach_refused(struct hipc_rproc *rp, const char *needle)
{
	char err[256] = "";
	int ret = hipc_rproc_attach(rp, NULL, err, sizeof(err));

	if (ret == 0 || !strstr(err, needle))
		printf("attach: %d '%s', wanted '%s'\n", ret, err, needle);
	CHECK(ret < 0 && ret != -HIPC_EBUSY);
	CHECK(strstr(err, needle) != NULL);
	CHECK_EQ(hipc_rproc_state(rp), HIPC_RPROC_OFFLINE);
	return ret;
}

/*
 * An empty memfd fails the attach with a message, leaks nothing (the
 * connection that keeps the remote "taken" included: the fake turns away
 * any host while one is still connected), and the same object then
 * attaches to a real remote of that name.
 */
HIPC_TEST(attach_empty_region)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	int before;
	pid_t fake, pid;

	fake = start_fake("island-e", FAKE_EMPTY);
	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "island-e");
	cfg.firmware = NULL;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	attach_refused(c.rp, "region is empty");
	before = lc_count_fds();
	for (int i = 0; i < 20; i++)
		attach_refused(c.rp, "region is empty");
	CHECK_EQ(lc_count_fds(), before);
	stop_fake(fake, "island-e");

	pid = start_standalone("island-e");
	attach_stream_stop(&c, pid);
}

/* A region its sender could shrink under us (SIGBUS here) is refused, and
 * so is one whose size is not what its control page claims. */
HIPC_TEST(attach_unsealed_region)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	int before;
	pid_t fake;

	fake = start_fake("island-u", FAKE_UNSEALED);
	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "island-u");
	cfg.firmware = NULL;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	before = lc_count_fds();
	for (int i = 0; i < 5; i++)
		attach_refused(c.rp, "not sealed against shrinking");
	CHECK_EQ(lc_count_fds(), before);
	stop_fake(fake, "island-u");

	fake = start_fake("island-u", FAKE_BAD_SIZE);
	attach_refused(c.rp, "claims");
	CHECK_EQ(lc_count_fds(), before);
	stop_fake(fake, "island-u");
	hipc_rproc_free(c.rp);
}

/* The hello's magic and version are checked, and both named. */
HIPC_TEST(attach_bad_hello)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	char want[96];
	int before;
	pid_t fake;

	fake = start_fake("island-h", FAKE_BAD_VERSION);
	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "island-h");
	cfg.firmware = NULL;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	before = lc_count_fds();
	snprintf(want, sizeof(want), "version %u, this host speaks %u",
		 HIPC__ATTACH_VERSION + 1u, HIPC__ATTACH_VERSION);
	attach_refused(c.rp, want);
	attach_refused(c.rp, want);
	CHECK_EQ(lc_count_fds(), before);
	stop_fake(fake, "island-h");

	fake = start_fake("island-h", FAKE_BAD_MAGIC);
	attach_refused(c.rp, "not an attach hello");
	CHECK_EQ(lc_count_fds(), before);
	stop_fake(fake, "island-h");
	hipc_rproc_free(c.rp);
}

/*
 * The rest of what a fake can get wrong, each refused with its code and
 * message, no fd left behind: a region smaller than a control page, a
 * control page of something else or of another version, a hello with two
 * or four fds, a table outside the region or one that fails validation,
 * and no hello at all within the boot timeout.
 */
HIPC_TEST(attach_refuses_bad_regions_and_hellos)
{
	static const struct {
		enum fake_kind kind;
		int ret;
		const char *needle;
	} cases[] = {
		{ FAKE_SMALL, -HIPC_EBADMSG, "smaller than a control page" },
		{ FAKE_CTRL_MAGIC, -HIPC_EBADMSG, "not a hipc region (magic 0x12345678" },
		{ FAKE_CTRL_VERSION, -HIPC_EBADMSG, "not a hipc region" },
		{ FAKE_TWO_FDS, -HIPC_EBADMSG, "carried 2 fds, expected 3" },
		{ FAKE_FOUR_FDS, -HIPC_EBADMSG, "carried 4 fds, expected 3" },
		{ FAKE_RSC_OUTSIDE, -HIPC_EBADMSG,
		  "not acceptable: the table (65536 bytes at 0x1000) runs "
		  "outside the region (65536 bytes)" },
		{ FAKE_RSC_INVALID, -HIPC_EBADMSG, "not acceptable: ver: must be 1" },
		{ FAKE_SILENT, -HIPC_ETIMEDOUT, "no hello from the remote within 300 ms" },
		/* not "busy": nothing said so */
		{ FAKE_HANGUP, -HIPC_ECONNRESET,
		  "closed the connection without a hello" },
	};
	struct hipc_rproc_config cfg;
	struct lc_client c;
	int before;

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "island-f");
	cfg.firmware = NULL;
	cfg.boot_timeout_ms = 300;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pid_t fake = start_fake("island-f", cases[i].kind);

		before = lc_count_fds();
		CHECK_EQ(attach_refused(c.rp, cases[i].needle), cases[i].ret);
		CHECK_EQ(lc_count_fds(), before);
		stop_fake(fake, "island-f");
	}
	hipc_rproc_free(c.rp);
}

/*
 * A region that passes every check, from a remote that then does not let
 * go of its rings: refused at the boot timeout; and from one that exits
 * while asked to: refused at once.
 */
HIPC_TEST(attach_ring_generation_not_acknowledged)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	int before;
	pid_t fake;

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "island-g");
	cfg.firmware = NULL;
	cfg.boot_timeout_ms = 300;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	before = lc_count_fds();
	fake = start_fake("island-g", FAKE_NO_ACK);
	CHECK_EQ(attach_refused(c.rp, "did not let go of its rings within 300 ms"),
		 -HIPC_ETIMEDOUT);
	CHECK_EQ(lc_count_fds(), before);
	stop_fake(fake, "island-g");

	fake = start_fake("island-g", FAKE_EXIT_ON_RESET);
	CHECK_EQ(attach_refused(c.rp, "exited while letting go of its rings"),
		 -HIPC_ECONNRESET);
	CHECK_EQ(lc_count_fds(), before);
	stop_fake(fake, "island-g");
	hipc_rproc_free(c.rp);
}

/*
 * A valid table in a region laid out otherwise than this host would lay it
 * out: both sides take the rings' places from the table, so one that
 * places them otherwise would have the two sides on different rings (or
 * the remote's trace on the message buffers).  Refused, naming what is out
 * of place.  Each fake's table passes every check before the layout's, so
 * the refusal is the layout's; the same region laid out as the host would
 * gets past them all (attach_ring_generation_not_acknowledged).
 */
HIPC_TEST(attach_refuses_layout_not_the_hosts)
{
	static const enum fake_kind kinds[] = {
		FAKE_LAYOUT_TABLE, FAKE_LAYOUT_SHORT, FAKE_LAYOUT_RINGS,
		FAKE_LAYOUT_TRACE,
	};
	struct hipc_rproc_config cfg;
	struct hipc__layout lay;
	struct hipc_sim_vdev v;
	struct lc_client c;
	uint8_t tbl[512];
	char want[4][160];
	size_t size;
	int before;

	fake_table(tbl, sizeof(tbl), &size, &v, &lay);
	snprintf(want[0], sizeof(want[0]), "island-l: its resource table or "
		 "layout is not acceptable: the table is at 0x%zx, this host "
		 "would place it at 0x%zx", lay.size, lay.rsc_off);
	snprintf(want[1], sizeof(want[1]), "island-l: its resource table or "
		 "layout is not acceptable: the layout needs %zu bytes, the "
		 "region has %zu", lay.size, lay.size - HIPC__PAGE);
	snprintf(want[2], sizeof(want[2]), "island-l: its resource table or "
		 "layout is not acceptable: vring 0 is at 0x%zx, this host "
		 "would place it at 0x%zx", lay.vring_off[1], lay.vring_off[0]);
	snprintf(want[3], sizeof(want[3]), "island-l: its resource table or "
		 "layout is not acceptable: the trace is at 0x%zx, this host "
		 "would place it at 0x%zx", lay.bufs_off, lay.trace_off);

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "island-l");
	cfg.firmware = NULL;
	cfg.boot_timeout_ms = 300;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int fd = fake_region(kinds[i]);
		struct stat st;
		pid_t fake;

		CHECK(table_acceptable(fd));
		CHECK_EQ(fstat(fd, &st), 0);
		munmap(fake_ctrl, (size_t)st.st_size);
		close(fd);

		fake = start_fake("island-l", kinds[i]);
		before = lc_count_fds();
		CHECK_EQ(attach_refused(c.rp, want[i]), -HIPC_EBADMSG);
		CHECK_EQ(lc_count_fds(), before);
		stop_fake(fake, "island-l");
	}
	hipc_rproc_free(c.rp);
}

/*
 * A peer of another user at the socket: the host asks the kernel who
 * listens there (SO_PEERCRED) and refuses before it reads a byte, however
 * good the region on offer (here one laid out as a real remote lays out
 * its own).  No fd is left behind, and the same object then attaches to a
 * remote of its own user at that name.
 */
HIPC_TEST(attach_refuses_peer_of_another_user)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	char want[200];
	int before;
	pid_t fake, pid;

	need_root();
	fake = start_fake("island-o", FAKE_OTHER_USER);
	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "island-o");
	cfg.firmware = NULL;
	cfg.boot_timeout_ms = 300;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	snprintf(want, sizeof(want), "island-o: %s/island-o.sock: peer is not "
		 "one of ours", run_dir);
	before = lc_count_fds();
	for (int i = 0; i < 5; i++)
		CHECK_EQ(attach_refused(c.rp, want), -HIPC_EPERM);
	CHECK_EQ(lc_count_fds(), before);
	stop_fake(fake, "island-o");

	pid = start_standalone("island-o");
	attach_stream_stop(&c, pid);
}

/*
 * A forked child's end as another user: connects to @path and expects the
 * remote to close the connection without a hello or an fd.  0 if it did;
 * otherwise says what happened and returns its own status.
 */
static int foreign_host(const char *path)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} u;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint32_t hello[2];
	struct iovec iov = { .iov_base = hello, .iov_len = sizeof(hello) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct pollfd p = { .events = POLLIN };
	ssize_t r;

	/* For good: a process that can become root again is not another
	 * user. */
	if (setgroups(0, NULL) < 0 || setgid(OTHER_UID) < 0 ||
	    setuid(OTHER_UID) < 0 || setuid(0) == 0) {
		printf("foreign host: cannot become uid %d for good\n",
		       OTHER_UID);
		return 2;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* cleared by the switch */
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path) >=
	    sizeof(sa.sun_path)) {
		printf("foreign host: %s too long for a socket\n", path);
		return 6;
	}
	p.fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (p.fd < 0 || connect(p.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		/* EACCES here would prove the permissions, not the remote */
		printf("foreign host: connect %s: %s\n", path, strerror(errno));
		return 3;
	}
	if (poll(&p, 1, 5000) != 1) {
		printf("foreign host: neither a word nor a close in 5 s\n");
		return 4;
	}
	memset(&u, 0, sizeof(u));
	r = recvmsg(p.fd, &m, MSG_CMSG_CLOEXEC);
	if (r != 0 || CMSG_FIRSTHDR(&m)) {
		printf("foreign host: got %zd bytes%s\n", r,
		       CMSG_FIRSTHDR(&m) ? " and fds" : "");
		return 5;
	}
	return 0;
}

/*
 * The other way round: a host of another user at a standalone remote's
 * socket.  Let through the run directory (0711) and the socket (0666), as
 * a careless setup might, it reaches the remote, which asks the kernel who
 * connected and closes the connection without a word: no hello, no fd of
 * its region.  The socket then serves a host of the remote's own user.
 */
HIPC_TEST(remote_turns_away_host_of_another_user)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	char sock[160];
	int status;
	pid_t pid, host;

	need_root();
	pid = start_standalone("island-w");
	snprintf(sock, sizeof(sock), "%s/island-w.sock", run_dir);
	CHECK_EQ(chmod(run_dir, 0711), 0);
	CHECK_EQ(chmod(sock, 0666), 0);
	fflush(stdout);
	host = fork();
	CHECK(host >= 0);
	if (host == 0) {
		int ret = foreign_host(sock);

		fflush(stdout);
		hipc_test_child_exit(ret);
	}
	CHECK_EQ(waitpid(host, &status, 0), host);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_EQ(chmod(run_dir, 0700), 0);

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "island-w");
	cfg.firmware = NULL;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	attach_stream_stop(&c, pid);
}

/* Context switches of this thread so far: each one a sleep that ended. */
static long switches(void)
{
	struct rusage ru;

	CHECK_EQ(getrusage(RUSAGE_THREAD, &ru), 0);
	return ru.ru_nvcsw;
}

/*
 * Taking the rings back waits for the remote's acknowledgement as an
 * event (its doorbell), not by looking every millisecond: the remote takes
 * 300 ms to let go (its stop() callback), and the host sleeps through it.
 */
HIPC_TEST(gen_ack_is_an_event)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	uint64_t t0, took;
	long sw;
	int status;
	pid_t pid;

	pid = start_standalone_with("island-s", "--stop-delay-ms", "300");
	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "island-s");
	cfg.firmware = NULL;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	attach(&c);
	sw = switches();
	t0 = hipc_now_ns();
	CHECK_EQ(hipc_rproc_detach(c.rp), 0);
	took = hipc_now_ns() - t0;
	sw = switches() - sw;
	printf("detach: %.1f ms, %ld wake-ups\n", took / 1e6, sw);
	CHECK(took >= 290 * LC_MS && took < 900 * LC_MS);
	CHECK(sw < 30);
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_DETACHED);
	CHECK_EQ(kill(pid, SIGTERM), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	hipc_rproc_free(c.rp);
}

HIPC_TEST_MAIN(HIPC_CASE(attach_detach_attach),
	       HIPC_CASE(stop_during_reattach_lets_go), HIPC_CASE(attached_remote_crash),
	       HIPC_CASE(one_host_at_a_time), HIPC_CASE(attach_to_nothing),
	       HIPC_CASE(attach_empty_region), HIPC_CASE(attach_unsealed_region),
	       HIPC_CASE(attach_bad_hello),
	       HIPC_CASE(attach_refuses_bad_regions_and_hellos),
	       HIPC_CASE(attach_ring_generation_not_acknowledged),
	       HIPC_CASE(attach_refuses_layout_not_the_hosts),
	       HIPC_CASE(attach_refuses_peer_of_another_user),
	       HIPC_CASE(remote_turns_away_host_of_another_user),
	       HIPC_CASE(gen_ack_is_an_event))
