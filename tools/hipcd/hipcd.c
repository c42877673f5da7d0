// SPDX-License-Identifier: BSD-3-Clause
/*
 * hipcd: the host daemon.  Boots (or attaches to) the remotes its
 * configuration names, keeps them alive according to their policy, and
 * answers hipcctl on a control socket, all from one epoll loop that never
 * waits for a remote: a start, attach, stop or detach is begun from the
 * loop and finished by it (hipc_rproc_begin_*), and the client that asked
 * gets its answer then.
 *
 *   hipcd -c hipcd.conf [-r RUN_DIR]
 *   hipcd --check hipcd.conf
 *
 * Configuration, one section per remote (docs/rproc.md):
 *
 *   [m4]
 *   firmware = /usr/libexec/hipc/hipc-fw-echo # boot mode: the ELF to run
 *   args = --verbose                         # its extra arguments
 *   mode = boot | attach                     # attach: --standalone NAME
 *   policy = restart | stay                  # after a crash
 *   watchdog_ms = 50                         # 0: no watchdog
 *   watchdog_timeout_ms = 100                # 0: two periods
 *   backoff_ms = 10                          # first restart delay
 *   backoff_max_ms = 2000
 *   boot_timeout_ms = 10000
 *   autostart = yes | no
 *   net_name = ethsi0                        # its rpmsg-net TAP
 *   net_vlans = 100,200                      # one TAP per VLAN (NAME.VID)
 *   net_frag = yes | no                      # frames larger than a buffer
 *   p2p = m7                                 # static vrings to m7
 *
 * The control socket (RUN_DIR/hipcd.sock, SOCK_SEQPACKET) takes one request
 * per connection, "COMMAND [NAME]", and answers one message: "ok\n" or
 * "error: ...\n", then the command's output.  One daemon per run
 * directory: RUN_DIR/hipcd.lock is held (flock) for the daemon's life.
 *
 * SIGHUP: the configuration is read again; remotes added, removed or
 * changed are started, stopped or restarted, the others left alone.
 * SIGTERM/SIGINT: booted remotes are stopped, attached ones detached (they
 * run on their own and keep running), memory released, socket removed.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hipcd.h"

#define STOP_TIMEOUT_MS 1000
#define MAX_CLIENTS 32

bool plain_log; /* --check: messages without the time stamp */

void logf_(const char *fmt, ...)
{
	va_list ap;

	if (plain_log)
		fprintf(stderr, "hipcd: ");
	else
		fprintf(stderr, "[%10.3f] hipcd: ", hipc_now_ns() / 1e9);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --- remotes ------------------------------------------------------------------ */


/* A client whose command is under way: answered when it is over. */
struct waiter {
	int fd;               /* -1: slot free */
	struct remote *r;
	enum hipc_rproc_op op;
};

struct remote remotes[MAX_REMOTES];
char run_dir[200];
static struct waiter waiters[MAX_CLIENTS];
static unsigned nclients;
static bool quitting;

static void reply_fd(int fd, const char *buf, size_t len)
{
	ssize_t n;

	do
		n = send(fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
}

/* A control connection whose request is still to be read. */
struct client {
	struct hipcd_watch w;
};

static void client_done(int fd)
{
	close(fd);
	nclients--;
}

static void client_free(struct client *c)
{
	hipcd_watch_del(&c->w);
	hipcd_defer_free(c);
}

static void answer_waiters(struct remote *r, enum hipc_rproc_op op,
			   const char *text)
{
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		struct waiter *w = &waiters[i];

		if (w->fd < 0 || w->r != r ||
		    (op != HIPC_RPROC_OP_NONE && w->op != op))
			continue;
		reply_fd(w->fd, text, strlen(text));
		client_done(w->fd);
		w->fd = -1;
	}
}

static const char *op_name(enum hipc_rproc_op op)
{
	switch (op) {
	case HIPC_RPROC_OP_START:
		return "start";
	case HIPC_RPROC_OP_ATTACH:
		return "attach";
	case HIPC_RPROC_OP_STOP:
		return "stop";
	case HIPC_RPROC_OP_DETACH:
		return "detach";
	default:
		return "?";
	}
}

static void on_state(struct hipc_rproc *rp, enum hipc_rproc_state s, void *priv)
{
	struct hipc_rproc_info info;
	struct remote *r = priv;

	hipc_rproc_get_info(rp, &info);
	if (s == HIPC_RPROC_CRASHED || s == HIPC_RPROC_OFFLINE ||
	    s == HIPC_RPROC_DETACHED)
		iface_remote_down(r, s == HIPC_RPROC_CRASHED);
	else if (s == HIPC_RPROC_RUNNING || s == HIPC_RPROC_ATTACHED)
		iface_remote_up(r);
	if (s == HIPC_RPROC_CRASHED)
		logf_("%s: crashed (%s)%s", hipc_rproc_name(rp),
		      info.crash_reason,
		      info.next_restart_ns
			      ? ", restart scheduled"
			      : ", staying down");
	else
		logf_("%s: %s", hipc_rproc_name(rp), hipc_rproc_state_name(s));
}

static void on_ns(struct hipc_rpmsg_dev *dev, const char *name, uint32_t addr,
		  bool destroyed, void *priv)
{
	struct remote *r = priv;
	char pr[160];

	(void)dev;
	logf_("%s: service '%s' %s at 0x%x", r->rc.name,
	      hipcd_printable(name, pr, sizeof(pr)),
	      destroyed ? "withdrawn" : "announced", (unsigned)addr);
	iface_ns(r, name, addr, destroyed);
}

static void on_done(struct hipc_rproc *rp, enum hipc_rproc_op op, int result,
		    const char *msg, void *priv)
{
	struct remote *r = priv;
	char text[512];

	if (result < 0) {
		logf_("%s: %s failed: %s", r->rc.name, op_name(op), msg);
		snprintf(text, sizeof(text), "error: %s\n", msg);
	} else if (op == HIPC_RPROC_OP_START || op == HIPC_RPROC_OP_ATTACH) {
		logf_("%s: up, pid %d", r->rc.name, (int)hipc_rproc_pid(rp));
		snprintf(text, sizeof(text), "ok\n");
	} else if (op == HIPC_RPROC_OP_STOP) {
		struct hipc_rproc_info info;

		hipc_rproc_get_info(rp, &info);
		logf_("%s: stopped%s", r->rc.name,
		      info.killed ? " (killed)" : "");
		snprintf(text, sizeof(text), "ok\n%s\n",
			 info.killed ? "killed after the timeout" : "stopped");
	} else {
		logf_("%s: detached, left running", r->rc.name);
		snprintf(text, sizeof(text), "ok\n");
	}
	answer_waiters(r, op, text);
	if (r->retiring && (op == HIPC_RPROC_OP_STOP ||
			    op == HIPC_RPROC_OP_DETACH))
		r->gone = true; /* freed by the loop, not under our caller */
}

static struct remote *find(const char *name)
{
	for (unsigned i = 0; i < MAX_REMOTES; i++)
		if (remotes[i].used && !remotes[i].retiring &&
		    !strcmp(remotes[i].rc.name, name))
			return &remotes[i];
	return NULL;
}

/* Begin bringing @r up (boot or attach, as configured).  @err: why not. */
static int bring_up(struct remote *r, bool attach, char *err, size_t len)
{
	int ret = attach ? hipc_rproc_begin_attach(r->rp, NULL, err, len)
			 : hipc_rproc_begin_start(r->rp, err, len);

	if (ret < 0)
		logf_("%s: %s", r->rc.name, err);
	return ret;
}

/*
 * Static-vring pairs ("p2p = OTHER"): one region per pair, made when the
 * first of the two is added and freed once neither uses it, so a remote
 * restarted with new settings finds its peer's region again.  Buffers
 * large enough for an Ethernet frame of 1500 bytes and its headers.
 */
#define P2P_NUM 256u
#define P2P_BUF_SIZE 2048u

struct pair {
	struct pair *next;
	char driver[32], device[32];
	struct hipc_p2p *p2p;
	unsigned users;
};

static struct pair *pairs;

static struct pair *pair_find(const struct rconf *rc)
{
	const char *drv = rc->p2p_driver ? rc->name : rc->p2p;
	const char *dev = rc->p2p_driver ? rc->p2p : rc->name;

	for (struct pair *p = pairs; p; p = p->next)
		if (!strcmp(p->driver, drv) && !strcmp(p->device, dev))
			return p;
	return NULL;
}

static struct hipc_p2p *pair_get(const struct rconf *rc)
{
	struct pair *p = pair_find(rc);
	char name[80];
	int ret;

	if (p) {
		p->users++;
		return p->p2p;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->driver, sizeof(p->driver), "%s",
		 rc->p2p_driver ? rc->name : rc->p2p);
	snprintf(p->device, sizeof(p->device), "%s",
		 rc->p2p_driver ? rc->p2p : rc->name);
	snprintf(name, sizeof(name), "p2p-%s-%s", p->driver, p->device);
	ret = hipc_p2p_new(&p->p2p, name, P2P_NUM, P2P_BUF_SIZE);
	if (ret < 0) {
		logf_("%s: static-vring pair with %s: %s", rc->name, rc->p2p,
		      hipc_strerror(ret));
		free(p);
		return NULL;
	}
	p->users = 1;
	p->next = pairs;
	pairs = p;
	return p->p2p;
}

static void pair_put(const struct rconf *rc)
{
	struct pair *p = rc->p2p[0] ? pair_find(rc) : NULL, **pp;

	if (!p || --p->users)
		return;
	for (pp = &pairs; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	hipc_p2p_free(p->p2p);
	free(p);
}

static void on_remote(struct hipcd_watch *w, uint32_t events)
{
	struct remote *r = (struct remote *)((char *)w -
					     offsetof(struct remote, watch));

	(void)events;
	hipc_rproc_process(r->rp);
}

static int add_remote(const struct rconf *rc)
{
	int ret;
	struct remote *r = NULL;
	unsigned i, nargs = 0;

	for (i = 0; i < MAX_REMOTES; i++)
		if (!remotes[i].used) {
			r = &remotes[i];
			break;
		}
	if (!r) {
		logf_("%s: no room (at most %u remotes, some still stopping)",
		      rc->name, MAX_REMOTES);
		return -1;
	}
	memset(r, 0, sizeof(*r));
	r->rc = *rc;
	r->cfg.name = r->rc.name;
	r->cfg.firmware = r->rc.firmware[0] ? r->rc.firmware : NULL;
	_Static_assert(sizeof(r->argbuf) == sizeof(r->rc.args), "args");
	memcpy(r->argbuf, r->rc.args, sizeof(r->argbuf));
	for (char *save = NULL, *a = strtok_r(r->argbuf, " \t", &save);
	     a && nargs < 16; a = strtok_r(NULL, " \t", &save))
		r->argv[nargs++] = a;
	r->argv[nargs] = NULL;
	r->cfg.fw_args = nargs ? r->argv : NULL;
	/* One epoll loop: every doorbell must be an eventfd write. */
	r->cfg.mode = HIPC_LINK_IRQ;
	r->cfg.policy = rc->policy == 0 ? HIPC_RPROC_RESTART
					: HIPC_RPROC_STAY_CRASHED;
	r->cfg.watchdog_ms = rc->watchdog_ms;
	r->cfg.watchdog_timeout_ms = rc->watchdog_timeout_ms;
	r->cfg.backoff_min_ms = rc->backoff_ms;
	r->cfg.backoff_max_ms = rc->backoff_max_ms;
	r->cfg.boot_timeout_ms = rc->boot_timeout_ms;
	r->cfg.on_state = on_state;
	r->cfg.state_priv = r;
	r->cfg.ns_cb = on_ns;
	r->cfg.ns_priv = r;
	r->cfg.on_done = on_done;
	r->cfg.done_priv = r;
	if (rc->p2p[0]) {
		r->cfg.p2p = pair_get(rc);
		r->cfg.p2p_driver = rc->p2p_driver;
		if (!r->cfg.p2p)
			return -1;
	}
	if (hipc_rproc_new(&r->rp, &r->cfg)) {
		logf_("%s: out of memory", r->rc.name);
		pair_put(rc);
		return -1;
	}
	{
		char dir[sizeof(r->dir)];

		snprintf(dir, sizeof(dir), "%s/%s", run_dir, rc->name);
		memcpy(r->dir, dir, sizeof(dir));
	}
	ret = hipcd_watch_add(&r->watch, hipc_rproc_fd(r->rp), EPOLLIN,
			      on_remote);
	if (ret < 0) {
		logf_("%s: epoll: %s", r->rc.name, strerror(-ret));
		hipc_rproc_free(r->rp);
		pair_put(rc);
		return -1;
	}
	r->used = true;
	if (rc->autostart) {
		char err[256];

		bring_up(r, rc->mode == 1, err, sizeof(err));
	}
	return 0;
}

/* Let go of @r as SIGTERM would (stop a booted remote, detach an attached
 * one); it is freed once that is over.  Returns true if it is over now. */
static bool retire(struct remote *r)
{
	int ret;

	r->retiring = true;
	answer_waiters(r, HIPC_RPROC_OP_NONE, "error: the remote is being "
		       "reconfigured or the daemon is stopping\n");
	if (hipc_rproc_state(r->rp) == HIPC_RPROC_ATTACHED &&
	    hipc_rproc_pending(r->rp) == HIPC_RPROC_OP_NONE)
		ret = hipc_rproc_begin_detach(r->rp, NULL, 0);
	else
		ret = hipc_rproc_begin_stop(r->rp, STOP_TIMEOUT_MS);
	if (ret == -HIPC_EBUSY)
		return false; /* a stop or detach is under way already */
	/* refused, or done already with nothing to wait for */
	if (ret != 0 || hipc_rproc_pending(r->rp) == HIPC_RPROC_OP_NONE)
		r->gone = true;
	return r->gone;
}

/* Free what has been let go of; make again what was only changed. */
static void reap(void)
{
	for (unsigned i = 0; i < MAX_REMOTES; i++) {
		struct remote *r = &remotes[i];
		struct rconf next;
		bool replace;

		if (!r->used || !r->gone)
			continue;
		if (r->retiring && hipc_rproc_pending(r->rp) != HIPC_RPROC_OP_NONE)
			continue;
		next = r->next;
		replace = r->replace && !quitting;
		hipcd_watch_del(&r->watch);
		iface_remote_free(r);
		hipc_rproc_free(r->rp);
		pair_put(&r->rc);
		if (!quitting)
			logf_("%s: %s", r->rc.name,
			      replace ? "restarted with its new settings"
				      : "removed");
		memset(r, 0, sizeof(*r));
		if (replace)
			add_remote(&next);
	}
}

/* SIGHUP: the configuration again.  Unchanged remotes are not touched. */
static void reload(const char *path)
{
	static struct conf c;
	unsigned added = 0, removed = 0, changed = 0, same = 0;

	if (parse_config(path, &c)) {
		logf_("reload: %u error(s) in %s, keeping the configuration "
		      "in use", c.errors, c.path);
		return;
	}
	for (unsigned i = 0; i < MAX_REMOTES; i++) {
		struct remote *r = &remotes[i];
		const struct rconf *nc = NULL;

		if (!r->used || r->retiring)
			continue;
		for (unsigned j = 0; j < c.n; j++)
			if (!strcmp(c.r[j].name, r->rc.name))
				nc = &c.r[j];
		if (!nc) {
			removed++;
			retire(r);
		} else if (!same_remote(&r->rc, nc)) {
			changed++;
			r->next = *nc;
			r->replace = true;
			retire(r);
		} else {
			same++;
			r->rc.autostart = nc->autostart;
			r->rc.line = nc->line;
		}
	}
	/* Still being let go of from an earlier reload (or just now): made
	 * again with the settings in the file, if it names them. */
	for (unsigned i = 0; i < MAX_REMOTES; i++) {
		struct remote *r = &remotes[i];

		if (!r->used || !r->retiring)
			continue;
		r->replace = false;
		for (unsigned j = 0; j < c.n; j++)
			if (!strcmp(c.r[j].name, r->rc.name)) {
				r->next = c.r[j];
				r->replace = true;
			}
	}
	for (unsigned j = 0; j < c.n; j++) {
		bool known = false;

		for (unsigned i = 0; i < MAX_REMOTES; i++)
			if (remotes[i].used &&
			    !strcmp(remotes[i].rc.name, c.r[j].name))
				known = true;
		if (!known) {
			added++;
			add_remote(&c.r[j]);
		}
	}
	logf_("reload: %u added, %u removed, %u changed, %u unchanged", added,
	      removed, changed, same);
	reap();
}

/* --- control socket -------------------------------------------------------------- */


void put(struct reply *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= sizeof(o->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, sizeof(o->buf) - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
	if (o->len > sizeof(o->buf))
		o->len = sizeof(o->buf);
}

static void cmd_status(struct remote *r, struct reply *o)
{
	struct hipc_rproc_info info;
	enum hipc_rproc_op op = hipc_rproc_pending(r->rp);

	hipc_rproc_get_info(r->rp, &info);
	put(o, "ok\nname        %s\nstate       %s%s%s\n", r->rc.name,
	    hipc_rproc_state_name(info.state),
	    op != HIPC_RPROC_OP_NONE ? ", " : "",
	    op != HIPC_RPROC_OP_NONE ? op_name(op) : "");
	put(o, "mode        %s\nfirmware    %s\n", w_mode[r->rc.mode],
	    r->rc.firmware[0] ? r->rc.firmware : "-");
	put(o, "policy      %s\n", w_policy[r->rc.policy]);
	put(o, "watchdog    %u ms\n", r->rc.watchdog_ms);
	put(o, "pid         %d\n", (int)info.pid);
	put(o, "crashes     %u (watchdog %u)\nrestarts    %u\n", info.crashes,
	    info.watchdog_misses, info.restarts);
	if (info.crashes)
		put(o, "last crash  %s\n", info.crash_reason);
	if (info.region_size) {
		put(o, "region      %zu bytes\n", info.region_size);
		for (unsigned i = 0; i < info.nmem; i++)
			put(o, "  %-14s da 0x%08x len 0x%x\n", info.mem[i].name,
			    info.mem[i].da, info.mem[i].len);
	}
}

static enum hipc_rproc_op cmd_list(const char *arg, struct reply *o)
{
	if (arg) {
		put(o, "error: 'list' takes no argument\n");
		return HIPC_RPROC_OP_NONE;
	}
	put(o, "ok\n");
	for (unsigned i = 0; i < MAX_REMOTES; i++) {
		struct hipc_rproc_info info;

		if (!remotes[i].used || remotes[i].retiring)
			continue;
		hipc_rproc_get_info(remotes[i].rp, &info);
		put(o, "%-16s %-9s pid %-7d crashes %u restarts %u\n",
		    remotes[i].rc.name, hipc_rproc_state_name(info.state),
		    (int)info.pid, info.crashes, info.restarts);
	}
	return HIPC_RPROC_OP_NONE;
}

/* "start" or "attach"; an attach-mode remote is attached to either way. */
static enum hipc_rproc_op cmd_bring_up(struct remote *r, bool attach,
				       struct reply *o)
{
	char err[256] = "";

	attach |= r->rc.mode == 1;
	if (bring_up(r, attach, err, sizeof(err)) < 0) {
		put(o, "error: %s\n", err);
		return HIPC_RPROC_OP_NONE;
	}
	return attach ? HIPC_RPROC_OP_ATTACH : HIPC_RPROC_OP_START;
}

static enum hipc_rproc_op cmd_stop(struct remote *r, struct reply *o)
{
	enum hipc_rproc_state s = hipc_rproc_state(r->rp);
	int ret;

	if ((s == HIPC_RPROC_OFFLINE || s == HIPC_RPROC_DETACHED) &&
	    hipc_rproc_pending(r->rp) == HIPC_RPROC_OP_NONE) {
		put(o, "error: %s: not running (%s)\n", r->rc.name,
		    hipc_rproc_state_name(s));
		return HIPC_RPROC_OP_NONE;
	}
	ret = hipc_rproc_begin_stop(r->rp, STOP_TIMEOUT_MS);
	if (ret == -HIPC_EBUSY) {
		put(o, "error: %s: busy: a %s is under way\n", r->rc.name,
		    op_name(hipc_rproc_pending(r->rp)));
	} else if (ret == 0 &&
		   hipc_rproc_pending(r->rp) == HIPC_RPROC_OP_NONE) {
		logf_("%s: stopped", r->rc.name);
		put(o, "ok\nstopped\n");
	} else {
		return HIPC_RPROC_OP_STOP;
	}
	return HIPC_RPROC_OP_NONE;
}

static enum hipc_rproc_op cmd_detach(struct remote *r, struct reply *o)
{
	char err[256] = "";
	int ret = hipc_rproc_begin_detach(r->rp, err, sizeof(err));

	if (ret == 0 && hipc_rproc_pending(r->rp) == HIPC_RPROC_OP_NONE) {
		put(o, "error: %s: not attached (already detached)\n",
		    r->rc.name);
	} else if (ret < 0) {
		put(o, "error: %s\n", err);
	} else {
		return HIPC_RPROC_OP_DETACH;
	}
	return HIPC_RPROC_OP_NONE;
}

/* The trace buffer, read straight into the reply after its "ok". */
static enum hipc_rproc_op cmd_trace(struct remote *r, struct reply *o)
{
	uint64_t pos = 0;
	int n;

	put(o, "ok\n");
	n = hipc_rproc_trace_read(r->rp, &pos, o->buf + o->len,
				  sizeof(o->buf) - o->len);
	if (n < 0) {
		o->len = 0;
		put(o, "error: %s: %s\n", r->rc.name,
		    n == -HIPC_ENOENT ? "its firmware has no trace buffer"
				      : "not running, and no trace kept from "
					"a crash");
	} else {
		o->len += (size_t)n;
	}
	return HIPC_RPROC_OP_NONE;
}

static const char *const commands[] = { "list", "status", "start", "stop",
					"attach", "detach", "trace", "services",
					"stats", NULL };

/* "services [NAME] [--json]", "stats [NAME] [--json]": @a, @b and
 * whatever strtok() still holds. */
static enum hipc_rproc_op cmd_iface(bool stats, char *a, char *b,
				    struct reply *o)
{
	char *args[3] = { a, b, b ? strtok(NULL, " \t\n") : NULL };
	struct remote *r = NULL;
	bool json = false, named = false;

	for (unsigned i = 0; i < 3 && args[i]; i++) {
		if (!strcmp(args[i], "--json") && !json) {
			json = true;
			continue;
		}
		if (named || i == 2) {
			put(o, "error: '%s' takes [NAME] [--json]\n",
			    stats ? "stats" : "services");
			return HIPC_RPROC_OP_NONE;
		}
		named = true;
		r = find(args[i]);
		if (!r) {
			put(o, "error: %s: no such remote (hipcctl list shows "
			    "them)\n", args[i]);
			return HIPC_RPROC_OP_NONE;
		}
	}
	if (stats)
		iface_stats(r, o, json);
	else
		iface_services(r, o, json);
	return HIPC_RPROC_OP_NONE;
}

/*
 * One request.  Returns the operation a reply waits for (the client is then
 * kept until on_done answers it), HIPC_RPROC_OP_NONE when @o is the reply.
 */
static enum hipc_rproc_op handle(char *req, struct reply *o,
				 struct remote **rout)
{
	char *cmd = strtok(req, " \t\n");
	char *name = strtok(NULL, " \t\n");
	char *extra = strtok(NULL, " \t\n");
	struct remote *r;
	bool known = false;

	if (!cmd) {
		put(o, "error: empty request\n");
		return HIPC_RPROC_OP_NONE;
	}
	for (unsigned i = 0; commands[i]; i++)
		known |= !strcmp(commands[i], cmd);
	if (!known) {
		put(o, "error: unknown command '%s'\n", cmd);
		return HIPC_RPROC_OP_NONE;
	}
	if (!strcmp(cmd, "list"))
		return cmd_list(name, o);
	if (!strcmp(cmd, "services") || !strcmp(cmd, "stats"))
		return cmd_iface(!strcmp(cmd, "stats"), name, extra, o);
	if (!name || extra) {
		put(o, "error: '%s' takes one remote name\n", cmd);
		return HIPC_RPROC_OP_NONE;
	}
	r = find(name);
	if (!r) {
		put(o, "error: %s: no such remote (hipcctl list shows them)\n",
		    name);
		return HIPC_RPROC_OP_NONE;
	}
	*rout = r;
	if (!strcmp(cmd, "status")) {
		cmd_status(r, o);
		return HIPC_RPROC_OP_NONE;
	}
	if (!strcmp(cmd, "start") || !strcmp(cmd, "attach"))
		return cmd_bring_up(r, !strcmp(cmd, "attach"), o);
	if (!strcmp(cmd, "stop"))
		return cmd_stop(r, o);
	if (!strcmp(cmd, "detach"))
		return cmd_detach(r, o);
	return cmd_trace(r, o); /* the last of commands[] */
}

static void serve_client(struct hipcd_watch *w, uint32_t events)
{
	struct client *c = (struct client *)w;
	int fd = w->fd;
	static struct reply o;
	struct remote *r = NULL;
	enum hipc_rproc_op op;
	char req[256];
	ssize_t n;

	do
		n = recv(fd, req, sizeof(req) - 1, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	(void)events;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	client_free(c);
	if (n <= 0) {
		client_done(fd);
		return;
	}
	req[n] = 0;
	o.len = 0;
	op = handle(req, &o, &r);
	if (op != HIPC_RPROC_OP_NONE) {
		/* Answered by on_done.  Not watched meanwhile: a client that
		 * goes away just misses its answer. */
		for (unsigned i = 0; i < MAX_CLIENTS; i++)
			if (waiters[i].fd < 0) {
				waiters[i] = (struct waiter){ fd, r, op };
				return;
			}
		put(&o, "ok\n%s begun\n", op_name(op)); /* cannot happen */
	}
	reply_fd(fd, o.buf, o.len);
	client_done(fd);
}

static int open_control(const char *dir, char *path, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/hipcd.sock",
			     dir) >= sizeof(sa.sun_path))
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	/* Ours to replace: we hold the run directory's lock, so a socket
	 * here is left over from a daemon that died. */
	unlink(sa.sun_path);
	/* start, stop, ...: the daemon's user only, whatever the umask */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(sa.sun_path, 0600) < 0 || listen(fd, 8) < 0) {
		close(fd);
		return -1;
	}
	snprintf(path, len, "%s", sa.sun_path);
	return fd;
}

/*
 * One daemon per run directory: RUN_DIR/hipcd.lock, flock()ed for our
 * whole life (the kernel drops it when we die, however we die) and holding
 * our pid for the next one's message.  Never removed: a lock file that
 * comes and goes lets two daemons each lock a different one.
 */
static int lock_run_dir(const char *dir)
{
	char path[256], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/hipcd.lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		logf_("%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int other;

		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = 0;
		other = atoi(buf);
		if (errno == EWOULDBLOCK && other > 0)
			logf_("another hipcd (pid %d) already serves %s; not "
			      "starting", other, dir);
		else
			logf_("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		logf_("%s: cannot record our pid: %s", path, strerror(errno));
	return fd;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hipcd -c CONFIG [-r RUN_DIR]\n"
		   "       hipcd --check CONFIG\n"
		   "Boots the remotes CONFIG names and serves hipcctl on\n"
		   "RUN_DIR/hipcd.sock (default: $HIPC_RUN_DIR,\n"
		   "$XDG_RUNTIME_DIR/hipc, /tmp/hipc-UID).  --check validates\n"
		   "CONFIG and exits (0: usable, 1: every error listed).\n"
		   "SIGHUP reads CONFIG again.\n");
}

/* Options into @config and @check.  Returns -1 to carry on, otherwise the
 * exit status. */
static int parse_args(int argc, char **argv, const char **config, bool *check)
{
	static const struct option longopts[] = {
		{ "check", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "c:r:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'C':
			*check = true;
			*config = optarg;
			break;
		case 'c':
			*config = optarg;
			break;
		case 'r':
			setenv("HIPC_RUN_DIR", optarg, 1);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!*config || optind != argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* What the loop serves besides the remotes. */
struct loop {
	struct hipcd_watch sig;    /* signalfd: SIGTERM, SIGINT, SIGHUP */
	struct hipcd_watch listen; /* the control socket, listening */
	const char *conf_path;     /* read again on SIGHUP */
	bool quit;                 /* shutting down: remotes being let go of */
};

static struct loop the_loop;

/* SIGHUP reloads; the first SIGTERM or SIGINT lets every remote go, and
 * from then on signals are only drained. */
static void on_signals(struct hipcd_watch *w, uint32_t events)
{
	struct loop *l = &the_loop;
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP && !l->quit) {
			logf_("SIGHUP: reading %s again", l->conf_path);
			reload(l->conf_path);
			continue;
		}
		if (l->quit)
			continue;
		logf_("signal %u: shutting down", si.ssi_signo);
		l->quit = quitting = true;
		for (unsigned i = 0; i < MAX_REMOTES; i++)
			if (remotes[i].used && !remotes[i].retiring)
				retire(&remotes[i]);
	}
}

static void on_accept(struct hipcd_watch *w, uint32_t events)
{
	int fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct client *c;

	(void)events;
	if (fd < 0)
		return;
	/* The request is read when it arrives, so a silent client never
	 * holds up the loop. */
	c = the_loop.quit || nclients >= MAX_CLIENTS ? NULL
						      : malloc(sizeof(*c));
	if (!c || hipcd_watch_add(&c->w, fd, EPOLLIN, serve_client) < 0) {
		free(c);
		close(fd);
		return;
	}
	nclients++;
}

/* The signalfd, the epoll set and the control socket at @sock_path.
 * Returns -1 (logged) if one of them cannot be made. */
static int open_loop(struct loop *l, const char *dir, char *sock_path,
		     size_t len)
{
	sigset_t mask;
	int sfd, lfd;

	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		waiters[i].fd = -1;
	/* Signals through the loop, not through handlers.  SIGCHLD stays
	 * default: exits are seen on each remote's pidfd and reaped there. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	hipcd_epfd = epoll_create1(EPOLL_CLOEXEC);
	lfd = open_control(dir, sock_path, len);
	if (sfd < 0 || hipcd_epfd < 0 || lfd < 0 ||
	    hipcd_watch_add(&l->sig, sfd, EPOLLIN, on_signals) < 0 ||
	    hipcd_watch_add(&l->listen, lfd, EPOLLIN, on_accept) < 0) {
		logf_("setup: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Runs what each remote has pending.  Returns true while an operation
 * (start, attach, stop, detach) is under way on one of them. */
static bool process_remotes(bool *again)
{
	bool busy = false;

	for (unsigned i = 0; i < MAX_REMOTES; i++) {
		struct remote *r = &remotes[i];

		if (!r->used)
			continue;
		/* Work already pending (or, for an interface that waits for
		 * a tx buffer, one free): no sleeping past it.  Bounded, so
		 * one busy remote cannot keep the others from the loop. */
		for (unsigned n = 0; n < 64; n++) {
			bool tx = iface_tx_ready(r);

			if (tx ? hipc_rproc_prepare_sleep_tx(r->rp)
			       : hipc_rproc_prepare_sleep(r->rp))
				break;
			hipc_rproc_process(r->rp);
			/* Still busy after the last pass: the loop must not
			 * sleep (and another remote's quiet must not undo
			 * that). */
			if (n == 63)
				*again = true;
		}
		busy |= hipc_rproc_pending(r->rp) != HIPC_RPROC_OP_NONE;
	}
	return busy;
}

static bool any_remote(void)
{
	bool left = false;

	for (unsigned i = 0; i < MAX_REMOTES; i++)
		left |= remotes[i].used;
	return left;
}

/*
 * A round of the loop may forward many messages to one remote: a client's
 * 32 KiB is 67 of them, read in a few batches as the client's sendmmsg()
 * fills its socket, and other clients' follow.  The remote is rung once,
 * as the loop goes to sleep, instead of at the first message of each batch
 * that finds it caught up: each such doorbell is a wake-up of the remote,
 * and on a machine with no idle core one that preempts the daemon halfway
 * through its round.  Rung last, the remote runs while the daemon would
 * sleep (and its answer may be there before epoll_wait() is).  A longer
 * burst still rings when three quarters of the ring wait
 * (hipc_rpmsg_cork()); the loop's sends never wait for a buffer, so no
 * sender sleeps on a corked ring.
 */
static void cork_remotes(void)
{
	for (unsigned i = 0; i < MAX_REMOTES; i++) {
		struct remote *r = &remotes[i];

		r->corked = r->used ? hipc_rproc_rpmsg(r->rp) : NULL;
		if (r->corked)
			hipc_rpmsg_cork(r->corked);
	}
}

/* The round is over: ring each remote that got messages in it.  A device
 * that went away meanwhile (a crash, a stop, a restart) is freed or new:
 * only the one still in use is uncorked. */
static void uncork_remotes(void)
{
	for (unsigned i = 0; i < MAX_REMOTES; i++) {
		struct remote *r = &remotes[i];

		if (r->corked && r->used && hipc_rproc_rpmsg(r->rp) == r->corked)
			hipc_rpmsg_uncork(r->corked);
		r->corked = NULL;
	}
}

/* Until shut down and every remote let go of, or epoll fails. */
static void run(struct loop *l)
{
	for (;;) {
		struct epoll_event evs[64];
		bool again = false;
		bool busy = process_remotes(&again);
		uint64_t now = hipc_now_ns(), next = iface_tick(now);
		int n, timeout = -1;

		reap();
		/* Stopping: every remote let go of, and nothing under way. */
		if (l->quit && !busy && !any_remote()) {
			uncork_remotes();
			break;
		}
		if (again)
			timeout = 0;
		else if (next)
			timeout = next <= now ? 0
					      : (int)((next - now + 999999) / 1000000);
		uncork_remotes();
		n = epoll_wait(hipcd_epfd, evs, 64, timeout);
		if (n < 0 && errno != EINTR) {
			logf_("epoll: %s", strerror(errno));
			break;
		}
		cork_remotes();
		for (int i = 0; i < n; i++) {
			struct hipcd_watch *w = evs[i].data.ptr;

			if (w->fd >= 0) /* not let go of earlier this round */
				w->fn(w, evs[i].events);
		}
		hipcd_run_deferred();
		reap();
	}
}

int main(int argc, char **argv)
{
	static struct conf conf;
	const char *config = NULL;
	char *dir = run_dir, sock_path[256];
	struct loop *l = &the_loop;
	int lockfd, ret;
	bool check = false;

	ret = parse_args(argc, argv, &config, &check);
	if (ret >= 0)
		return ret;
	plain_log = check;
	if (parse_config(config, &conf)) {
		logf_("%s: %u error(s)", conf.path, conf.errors);
		return 1;
	}
	if (check) {
		summary(&conf, stdout);
		return 0;
	}
	if (!conf.n)
		logf_("%s: no remotes configured", conf.path);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	/* We hold every remote's region: none of them (same user) may pick
	 * another's out of /proc/PID/fd.  Not in sanitizer builds: their
	 * leak checker ptraces the process. */
	prctl(PR_SET_DUMPABLE, 0);
#endif
	l->conf_path = conf.path;
	ret = hipc_sim_run_dir(run_dir, sizeof(run_dir), 1);
	if (ret) {
		logf_("run directory %s: %s", dir, hipc_strerror(ret));
		return 1;
	}
	lockfd = lock_run_dir(dir);
	if (lockfd < 0)
		return 1;
	/* Group members pass through to RUN_DIR/REMOTE/ (their remote's
	 * group only); nobody else may list or create anything here. */
	if (chmod(dir, 0711) < 0)
		logf_("%s: %s", dir, strerror(errno));
	if (open_loop(l, dir, sock_path, sizeof(sock_path)) < 0)
		return 1;
	logf_("control socket %s, %u remote(s), pid %d", sock_path, conf.n,
	      (int)getpid());
	for (unsigned i = 0; i < conf.n; i++)
		add_remote(&conf.r[i]);
	run(l);

	close(l->listen.fd);
	unlink(sock_path);
	close(l->sig.fd);
	close(hipcd_epfd);
	close(lockfd);
	logf_("bye");
	return 0;
}
