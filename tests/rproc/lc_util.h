/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lifecycle test helpers: a client of one remote that binds to its echo
 * and control services whenever they are announced (again after every
 * restart), is told through its unbind callback when the remote goes, and
 * checks every echo it gets (sequence number and checksum).
 */
#ifndef HIPC_TEST_LC_UTIL_H
#define HIPC_TEST_LC_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/rproc.h"
#include "hipc_test.h"

#define LC_FW HIPC_BUILD_DIR "/firmware/lifecycle/hipc-fw-lifecycle"
#define LC_ECHO "rpmsg-client-sample"
#define LC_CTL "hipc-ctl"
#define LC_MS 1000000ull

/* What travels in each stream message: checked end to end. */
struct lc_msg {
	uint64_t seq;
	uint32_t sum;
	uint32_t len; /* payload bytes after the header */
	uint8_t payload[480];
};

struct lc_client {
	struct hipc_rproc *rp;
	struct hipc_rpmsg_ept echo, ctl;
	bool echo_bound, ctl_bound;
	unsigned announced;      /* echo announcements seen */
	uint64_t announce_ns;    /* when the last one arrived */
	unsigned resets;         /* unbinds: a client's ECONNRESET */
	int last_err;            /* -HIPC_ECONNRESET after an unbind */
	/* stream */
	uint64_t next_seq;       /* next sequence expected back */
	uint64_t received;
	uint64_t bytes;
	unsigned bad;
	/* control reply */
	char reply[160];
	bool got_reply;
	/* states seen */
	uint64_t crashed_ns;
	unsigned crashes_seen;
};

static inline uint32_t lc_sum(const uint8_t *p, size_t n, uint64_t seq)
{
	uint32_t h = 2166136261u ^ (uint32_t)seq;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static inline size_t lc_fill(struct lc_msg *m, uint64_t seq, size_t len)
{
	m->seq = seq;
	m->len = (uint32_t)len;
	for (size_t i = 0; i < len; i++)
		m->payload[i] = (uint8_t)(seq * 131u + i);
	m->sum = lc_sum(m->payload, len, seq);
	return offsetof(struct lc_msg, payload) + len;
}

static inline struct lc_client *lc_of_echo(struct hipc_rpmsg_ept *e)
{
	return (struct lc_client *)((char *)e - offsetof(struct lc_client, echo));
}

static inline struct lc_client *lc_of_ctl(struct hipc_rpmsg_ept *e)
{
	return (struct lc_client *)((char *)e - offsetof(struct lc_client, ctl));
}

static int lc_on_echo(struct hipc_rpmsg_ept *e, void *data, size_t len,
		      uint32_t src, void *priv)
{
	struct lc_client *c = priv;
	struct lc_msg m;

	(void)e;
	(void)src;
	memset(&m, 0, sizeof(m));
	if (len < offsetof(struct lc_msg, payload) || len > sizeof(m)) {
		c->bad++;
		return 0;
	}
	memcpy(&m, data, len);
	/* In order, exactly once, intact: a duplicate or a gap is as bad
	 * as a flipped byte. */
	if (m.seq != c->next_seq ||
	    m.len != len - offsetof(struct lc_msg, payload) ||
	    m.sum != lc_sum(m.payload, m.len, m.seq)) {
		if (c->bad++ == 0)
			printf("bad echo: seq %llu want %llu len %zu\n",
			       (unsigned long long)m.seq,
			       (unsigned long long)c->next_seq, len);
		return 0;
	}
	c->next_seq++;
	c->received++;
	c->bytes += len;
	return 0;
}

static int lc_on_ctl(struct hipc_rpmsg_ept *e, void *data, size_t len,
		     uint32_t src, void *priv)
{
	struct lc_client *c = priv;
	size_t n = len < sizeof(c->reply) - 1 ? len : sizeof(c->reply) - 1;

	(void)e;
	(void)src;
	memcpy(c->reply, data, n);
	c->reply[n] = 0;
	c->got_reply = true;
	return 0;
}

static void lc_unbind_echo(struct hipc_rpmsg_ept *e)
{
	struct lc_client *c = lc_of_echo(e);

	c->echo_bound = false;
	c->resets++;
	c->last_err = -HIPC_ECONNRESET;
}

static void lc_unbind_ctl(struct hipc_rpmsg_ept *e)
{
	lc_of_ctl(e)->ctl_bound = false;
}

static void lc_ns(struct hipc_rpmsg_dev *dev, const char *name, uint32_t addr,
		  bool destroyed, void *priv)
{
	struct lc_client *c = priv;

	if (destroyed)
		return;
	if (!strcmp(name, LC_ECHO) && !c->echo_bound) {
		if (hipc_rpmsg_ept_create(&c->echo, dev, NULL,
					  HIPC_RPMSG_ADDR_ANY, addr, lc_on_echo,
					  c) == 0) {
			c->echo.unbind = lc_unbind_echo;
			c->echo_bound = true;
			c->last_err = 0;
		}
		c->announced++;
		c->announce_ns = hipc_now_ns();
	} else if (!strcmp(name, LC_CTL) && !c->ctl_bound) {
		if (hipc_rpmsg_ept_create(&c->ctl, dev, NULL,
					  HIPC_RPMSG_ADDR_ANY, addr, lc_on_ctl,
					  c) == 0) {
			c->ctl.unbind = lc_unbind_ctl;
			c->ctl_bound = true;
		}
	}
}

static void lc_on_state(struct hipc_rproc *rp, enum hipc_rproc_state s,
			void *priv)
{
	struct lc_client *c = priv;

	(void)rp;
	if (s == HIPC_RPROC_CRASHED) {
		c->crashed_ns = hipc_now_ns();
		c->crashes_seen++;
	}
}

static inline void lc_config(struct hipc_rproc_config *cfg,
			     struct lc_client *c, const char *name)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->name = name;
	cfg->firmware = LC_FW;
	cfg->mode = HIPC_LINK_IRQ;
	cfg->ns_cb = lc_ns;
	cfg->ns_priv = c;
	cfg->on_state = lc_on_state;
	cfg->state_priv = c;
	cfg->boot_timeout_ms = 5000;
}

/* Run the loop until @cond or @ms pass; the result of @cond. */
#define LC_RUN_UNTIL(c, cond, ms)                                            \
	({                                                                   \
		uint64_t lc__end = hipc_now_ns() + (uint64_t)(ms) * LC_MS;   \
		while (!(cond) && hipc_now_ns() < lc__end)                   \
			hipc_rproc_run((c)->rp, 5);                          \
		(cond);                                                      \
	})

/* Ask the control service for its status line. */
static inline const char *lc_status(struct lc_client *c)
{
	c->got_reply = false;
	CHECK(c->ctl_bound);
	CHECK_EQ(hipc_rpmsg_send_timeout(&c->ctl, "status", 6, 1000), 6);
	CHECK(LC_RUN_UNTIL(c, c->got_reply, 2000));
	return c->reply;
}

static inline unsigned long long lc_field(const char *s, const char *key)
{
	const char *p = strstr(s, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : ~0ull;
}

/* Stream @count messages of @len payload bytes, window @win, starting at
 * c->next_seq; stops early (returns false) if the remote goes away. */
static inline bool lc_stream(struct lc_client *c, uint64_t count, size_t len,
			     unsigned win)
{
	uint64_t end = c->next_seq + count, sent = c->next_seq;
	struct lc_msg m;

	while (c->next_seq < end) {
		if (!c->echo_bound)
			return false;
		while (sent < end && sent - c->next_seq < win) {
			size_t n = lc_fill(&m, sent, len);
			int r = hipc_rpmsg_trysend(&c->echo, &m, n);

			if (r == -HIPC_EAGAIN)
				break;
			if (r < 0)
				return false;
			CHECK_EQ(r, (int)n);
			sent++;
		}
		hipc_rproc_run(c->rp, 5);
	}
	return true;
}

/* Open file descriptors of this process. */
static inline int lc_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	CHECK(d != NULL);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

/* No child process at all, live or zombie. */
static inline bool lc_no_children(void)
{
	int st;

	return waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD;
}

/* How many memfds process @pid holds, and whether any is not named in
 * @allowed (NULL-terminated).  Returns the count, or -1 on a stranger. */
static inline int lc_memfds_of(pid_t pid, const char *const *allowed)
{
	char path[64], link[256];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -2;
	while ((e = readdir(d))) {
		char full[320];
		ssize_t l;
		bool ok = false;

		if (e->d_name[0] == '.')
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
		l = readlink(full, link, sizeof(link) - 1);
		if (l < 0)
			continue;
		link[l] = 0;
		if (strncmp(link, "/memfd:", 7) != 0)
			continue;
		n++;
		for (unsigned i = 0; allowed[i]; i++) {
			size_t al = strlen(allowed[i]);

			if (!strncmp(link + 7, allowed[i], al) &&
			    link[7 + al] == ' ')
				ok = true;
		}
		if (!ok) {
			printf("pid %d holds %s\n", (int)pid, link);
			n = -1;
			break;
		}
	}
	closedir(d);
	return n;
}

#endif
