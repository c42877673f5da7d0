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
#include <sys/un.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/rproc.h"

#define MAX_REMOTES 16
#define REPLY_MAX 16384
#define STOP_TIMEOUT_MS 1000
#define MAX_CLIENTS 32
#define MAX_MS 3600000u

/* epoll data: what kind of fd (low word) and which one (high word). */
enum { EV_REMOTE, EV_SIGNAL, EV_LISTEN, EV_CLIENT };

static uint64_t tag(unsigned kind, unsigned idx)
{
	return (uint64_t)idx << 32 | kind;
}

static bool plain_log; /* --check: messages without the time stamp */

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logf_(const char *fmt, ...)
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

/* --- configuration ---------------------------------------------------------- */

/* One remote as the configuration describes it. */
struct rconf {
	char name[32];
	char firmware[PATH_MAX]; /* absolute (resolved against the file) */
	char args[512];          /* extra firmware arguments, space-separated */
	unsigned mode;           /* 0 boot, 1 attach */
	unsigned policy;         /* 0 restart, 1 stay */
	unsigned autostart;      /* 0 no, 1 yes */
	unsigned watchdog_ms, watchdog_timeout_ms, backoff_ms, backoff_max_ms,
		boot_timeout_ms;
	unsigned line;           /* of its [section] */
	unsigned set_at[16];     /* line each key was set on, 0: not set */
};

struct conf {
	char path[PATH_MAX];
	char dir[PATH_MAX]; /* relative firmware paths start here */
	struct rconf r[MAX_REMOTES];
	unsigned n;
	unsigned errors;
};

enum ktype { K_PATH, K_WORD, K_MS, K_TEXT };

static const char *const w_mode[] = { "boot", "attach", NULL };
static const char *const w_policy[] = { "restart", "stay", NULL };
static const char *const w_bool[] = { "no", "yes", "false", "true",
				      "off", "on", "0", "1", NULL };

static const struct key {
	const char *name;
	enum ktype type;
	const char *const *words;
	size_t off;
} keys[] = {
	{ "firmware", K_PATH, NULL, offsetof(struct rconf, firmware) },
	{ "args", K_TEXT, NULL, offsetof(struct rconf, args) },
	{ "mode", K_WORD, w_mode, offsetof(struct rconf, mode) },
	{ "policy", K_WORD, w_policy, offsetof(struct rconf, policy) },
	{ "autostart", K_WORD, w_bool, offsetof(struct rconf, autostart) },
	{ "watchdog_ms", K_MS, NULL, offsetof(struct rconf, watchdog_ms) },
	{ "watchdog_timeout_ms", K_MS, NULL,
	  offsetof(struct rconf, watchdog_timeout_ms) },
	{ "backoff_ms", K_MS, NULL, offsetof(struct rconf, backoff_ms) },
	{ "backoff_max_ms", K_MS, NULL, offsetof(struct rconf, backoff_max_ms) },
	{ "boot_timeout_ms", K_MS, NULL,
	  offsetof(struct rconf, boot_timeout_ms) },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS <= 16, "rconf.set_at");

static void cerr(struct conf *c, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cerr(struct conf *c, unsigned line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		logf_("%s:%u: %s", c->path, line, msg);
	else
		logf_("%s: %s", c->path, msg);
	c->errors++;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* A name hipcctl can pass and a socket can carry: no spaces, no '/'. */
static bool good_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 31 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_-.", s[i]))
			return false;
	return true;
}

static void list_words(const char *const *w, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (unsigned i = 0; w[i] && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				      w[i]);
}

/* Index of @key in keys[], NKEYS if there is none. */
static unsigned find_key(const char *key)
{
	unsigned ki;

	for (ki = 0; ki < NKEYS; ki++)
		if (!strcmp(keys[ki].name, key))
			break;
	return ki;
}

static void unknown_key(struct conf *c, const struct rconf *r, unsigned line,
			const char *key)
{
	char allowed[256];
	size_t o = 0;

	for (unsigned i = 0; i < NKEYS; i++)
		o += (size_t)snprintf(allowed + o, sizeof(allowed) - o, "%s%s",
				      i ? ", " : "", keys[i].name);
	cerr(c, line, "unknown setting '%s' in [%s] (known: %s)", key, r->name,
	     allowed);
}

/* A relative path is taken from the configuration file's directory. */
static void set_path(struct conf *c, struct rconf *r, const struct key *k,
		     unsigned line, const char *val)
{
	char *dst = (char *)r + k->off;
	int n = val[0] == '/' ? snprintf(dst, PATH_MAX, "%s", val)
			      : snprintf(dst, PATH_MAX, "%s/%s", c->dir, val);

	if (n < 0 || n >= PATH_MAX)
		cerr(c, line, "'%s' path too long", k->name);
}

static void set_text(struct conf *c, struct rconf *r, const struct key *k,
		     unsigned line, const char *val)
{
	if ((size_t)snprintf((char *)r + k->off, sizeof(r->args), "%s", val) >=
	    sizeof(r->args))
		cerr(c, line, "'%s' longer than %zu bytes", k->name,
		     sizeof(r->args) - 1);
}

/* One of k->words; what is stored is its index in the list. */
static void set_word(struct conf *c, struct rconf *r, const struct key *k,
		     unsigned line, const char *val)
{
	unsigned *dst = (unsigned *)((char *)r + k->off);
	char allowed[256];

	for (unsigned i = 0; k->words[i]; i++)
		if (!strcmp(k->words[i], val)) {
			/* the bool list pairs no/yes: parity */
			*dst = k->words == w_bool ? i & 1u : i;
			return;
		}
	list_words(k->words, allowed, sizeof(allowed));
	cerr(c, line, "bad value '%s' for %s (allowed: %s)", val, k->name,
	     allowed);
}

static void set_ms(struct conf *c, struct rconf *r, const struct key *k,
		   unsigned line, const char *val)
{
	unsigned *dst = (unsigned *)((char *)r + k->off);
	unsigned long x;
	char *end;

	errno = 0;
	x = strtoul(val, &end, 10);
	if (errno || *end || end == val || !isdigit((unsigned char)*val) ||
	    x > MAX_MS) {
		cerr(c, line, "bad value '%s' for %s (allowed: a whole number "
		     "of milliseconds, 0 to %u)", val, k->name, MAX_MS);
		return;
	}
	*dst = (unsigned)x;
}

static void set_key(struct conf *c, struct rconf *r, unsigned line,
		    const char *key, const char *val)
{
	unsigned ki = find_key(key);
	const struct key *k;

	if (ki == NKEYS) {
		unknown_key(c, r, line, key);
		return;
	}
	k = &keys[ki];
	if (r->set_at[ki]) {
		cerr(c, line, "'%s' set again in [%s] (first at line %u)", key,
		     r->name, r->set_at[ki]);
		return;
	}
	r->set_at[ki] = line;
	if (!*val) {
		cerr(c, line, "'%s' has no value", key);
		return;
	}
	switch (k->type) {
	case K_PATH:
		set_path(c, r, k, line, val);
		break;
	case K_TEXT:
		set_text(c, r, k, line, val);
		break;
	case K_WORD:
		set_word(c, r, k, line, val);
		break;
	case K_MS:
		set_ms(c, r, k, line, val);
		break;
	}
}

/* A "[name]" line: the remote it opens, NULL if it is refused (logged). */
static struct rconf *begin_section(struct conf *c, char *s, unsigned lineno)
{
	char *end = strchr(s, ']');
	struct rconf *r;
	char *name;

	if (!end || end[1]) {
		cerr(c, lineno, "bad section header '%s' (expected [name])", s);
		return NULL;
	}
	*end = 0;
	name = s + 1;
	if (!good_name(name)) {
		cerr(c, lineno, "bad remote name '%s' (allowed: 1 to 31 of "
		     "A-Z a-z 0-9 _ - ., not starting with '.' or '-')", name);
		return NULL;
	}
	for (unsigned i = 0; i < c->n; i++)
		if (!strcmp(c->r[i].name, name)) {
			cerr(c, lineno, "[%s] defined again (first at line %u)",
			     name, c->r[i].line);
			return NULL;
		}
	if (c->n == MAX_REMOTES) {
		cerr(c, lineno, "more than %u remotes", MAX_REMOTES);
		return NULL;
	}
	r = &c->r[c->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->line = lineno;
	r->autostart = 1;
	return r;
}

/* A "key = value" line for @cur (NULL: no section yet, or @skipping one
 * refused above). */
static void parse_setting(struct conf *c, struct rconf *cur, bool skipping,
			  char *s, unsigned lineno)
{
	char *eq = strchr(s, '=');

	if (!eq) {
		cerr(c, lineno, "expected [name] or key = value, got '%s'", s);
		return;
	}
	*eq = 0;
	if (!cur) {
		/* In a section refused above: reported there. */
		if (!skipping)
			cerr(c, lineno, "'%s' outside a [remote] section",
			     trim(s));
		return;
	}
	set_key(c, cur, lineno, trim(s), trim(eq + 1));
}

/* What only the whole section can tell: a firmware to boot, and one that
 * can be run. */
static void check_firmware(struct conf *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		struct rconf *r = &c->r[i];

		if (!r->mode && !r->firmware[0]) {
			cerr(c, r->line, "[%s] boots (mode = boot) but names "
			     "no firmware", r->name);
		} else if (r->firmware[0] && access(r->firmware, X_OK) < 0) {
			cerr(c, r->set_at[0], "[%s] firmware %s: %s", r->name,
			     r->firmware, strerror(errno));
		}
	}
}

/* Read and check @path into @c; every error is logged with file:line.
 * Returns the number of errors (0: usable). */
static unsigned parse_config(const char *path, struct conf *c)
{
	char line[1024], tmp[PATH_MAX];
	struct rconf *cur = NULL;
	bool skipping = false; /* in a section refused above */
	unsigned lineno = 0;
	FILE *f;

	memset(c, 0, sizeof(*c));
	if (!realpath(path, c->path))
		snprintf(c->path, sizeof(c->path), "%s", path);
	f = fopen(c->path, "re");
	if (!f) {
		cerr(c, 0, "%s", strerror(errno));
		return c->errors;
	}
	snprintf(tmp, sizeof(tmp), "%s", c->path);
	snprintf(c->dir, sizeof(c->dir), "%s", dirname(tmp));
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *hash;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			int ch;

			cerr(c, lineno, "line longer than %zu bytes",
			     sizeof(line) - 2);
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		hash = strchr(s, '#');
		if (hash)
			*hash = 0;
		s = trim(s);
		if (!*s)
			continue;
		if (*s == '[') {
			cur = begin_section(c, s, lineno);
			skipping = !cur;
		} else {
			parse_setting(c, cur, skipping, s, lineno);
		}
	}
	fclose(f);
	check_firmware(c);
	return c->errors;
}

/* The settings a running remote was made with: any change restarts it. */
static bool same_remote(const struct rconf *a, const struct rconf *b)
{
	return !strcmp(a->firmware, b->firmware) && !strcmp(a->args, b->args) &&
	       a->mode == b->mode &&
	       a->policy == b->policy && a->watchdog_ms == b->watchdog_ms &&
	       a->watchdog_timeout_ms == b->watchdog_timeout_ms &&
	       a->backoff_ms == b->backoff_ms &&
	       a->backoff_max_ms == b->backoff_max_ms &&
	       a->boot_timeout_ms == b->boot_timeout_ms;
}

static void summary(const struct conf *c, FILE *out)
{
	fprintf(out, "%s: ok, %u remote(s)\n", c->path, c->n);
	for (unsigned i = 0; i < c->n; i++) {
		const struct rconf *r = &c->r[i];

		fprintf(out, "  %-16s %-6s %-7s %s%s%s\n", r->name,
			w_mode[r->mode], w_policy[r->policy],
			r->autostart ? "autostart" : "manual",
			r->firmware[0] ? "  " : "", r->firmware);
	}
}

/* --- remotes ------------------------------------------------------------------ */

struct remote {
	bool used;
	struct rconf rc;
	char argbuf[512];
	char *argv[17];
	struct hipc_rproc_config cfg;
	struct hipc_rproc *rp;
	/* reconfigured: let go of, then freed (and made again from
	 * @next if @replace) once its stop or detach is over */
	bool retiring;
	bool replace;
	bool gone; /* stopped, to be freed from the loop */
	struct rconf next;
};

/* A client whose command is under way: answered when it is over. */
struct waiter {
	int fd;               /* -1: slot free */
	struct remote *r;
	enum hipc_rproc_op op;
};

static struct remote remotes[MAX_REMOTES];
static struct waiter waiters[MAX_CLIENTS];
static int epfd = -1;
static unsigned nclients;
static bool quitting;

static void reply_fd(int fd, const char *buf, size_t len)
{
	ssize_t n;

	do
		n = send(fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
}

static void client_done(int fd)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	nclients--;
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

	(void)priv;
	hipc_rproc_get_info(rp, &info);
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

	(void)dev;
	logf_("%s: service '%s' %s at 0x%x", r->rc.name, name,
	      destroyed ? "withdrawn" : "announced", (unsigned)addr);
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

static int add_remote(const struct rconf *rc)
{
	struct remote *r = NULL;
	struct epoll_event ev = { .events = EPOLLIN };
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
	r->cfg.ns_cb = on_ns;
	r->cfg.ns_priv = r;
	r->cfg.on_done = on_done;
	r->cfg.done_priv = r;
	if (hipc_rproc_new(&r->rp, &r->cfg)) {
		logf_("%s: out of memory", r->rc.name);
		return -1;
	}
	ev.data.u64 = tag(EV_REMOTE, i);
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, hipc_rproc_fd(r->rp), &ev) < 0) {
		logf_("%s: epoll: %s", r->rc.name, strerror(errno));
		hipc_rproc_free(r->rp);
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
		hipc_rproc_free(r->rp); /* closes its fd: out of epoll */
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

struct reply {
	char buf[REPLY_MAX];
	size_t len;
};

static void put(struct reply *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct reply *o, const char *fmt, ...)
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
					"attach", "detach", "trace", NULL };

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

static void serve_client(int fd)
{
	static struct reply o;
	struct remote *r = NULL;
	enum hipc_rproc_op op;
	char req[256];
	ssize_t n;

	do
		n = recv(fd, req, sizeof(req) - 1, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
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
				epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
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
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 8) < 0) {
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
	int sfd;               /* signalfd: SIGTERM, SIGINT, SIGHUP */
	int lfd;               /* the control socket, listening */
	const char *conf_path; /* read again on SIGHUP */
	bool quit;             /* shutting down: remotes being let go of */
};

/* @fd into the epoll set, its input reported as a @kind event. */
static void watch(int fd, unsigned kind)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag(kind, 0) };

	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* The signalfd, the epoll set and the control socket at @sock_path.
 * Returns -1 (logged) if one of them cannot be made. */
static int open_loop(struct loop *l, const char *dir, char *sock_path,
		     size_t len)
{
	sigset_t mask;

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
	l->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	l->lfd = open_control(dir, sock_path, len);
	if (l->sfd < 0 || epfd < 0 || l->lfd < 0) {
		logf_("setup: %s", strerror(errno));
		return -1;
	}
	watch(l->sfd, EV_SIGNAL);
	watch(l->lfd, EV_LISTEN);
	return 0;
}

/* SIGHUP reloads; the first SIGTERM or SIGINT lets every remote go, and
 * from then on signals are only drained. */
static void on_signals(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sfd, &si, sizeof(si)) == sizeof(si)) {
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

static void on_accept(struct loop *l)
{
	int c = accept4(l->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct epoll_event cev = {
		.events = EPOLLIN,
		.data.u64 = tag(EV_CLIENT, (unsigned)c),
	};

	if (c < 0)
		return;
	/* The request is read when it arrives, so a silent client never
	 * holds up the loop. */
	if (l->quit || nclients >= MAX_CLIENTS ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, c, &cev) < 0) {
		close(c);
		return;
	}
	nclients++;
}

static void on_event(struct loop *l, const struct epoll_event *ev)
{
	unsigned kind = (unsigned)(ev->data.u64 & 0xffffffffu);
	unsigned idx = (unsigned)(ev->data.u64 >> 32);

	if (kind == EV_SIGNAL)
		on_signals(l);
	else if (kind == EV_LISTEN)
		on_accept(l);
	else if (kind == EV_CLIENT)
		serve_client((int)idx);
	else if (kind == EV_REMOTE && idx < MAX_REMOTES && remotes[idx].used)
		hipc_rproc_process(remotes[idx].rp);
}

/* Runs what each remote has pending.  Returns true while an operation
 * (start, attach, stop, detach) is under way on one of them. */
static bool process_remotes(void)
{
	bool busy = false;

	for (unsigned i = 0; i < MAX_REMOTES; i++) {
		if (!remotes[i].used)
			continue;
		/* Work already pending: no sleeping past it. */
		if (!hipc_rproc_prepare_sleep(remotes[i].rp))
			hipc_rproc_process(remotes[i].rp);
		busy |= hipc_rproc_pending(remotes[i].rp) != HIPC_RPROC_OP_NONE;
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

/* Until shut down and every remote let go of, or epoll fails. */
static void run(struct loop *l)
{
	for (;;) {
		struct epoll_event evs[MAX_REMOTES + 2];
		bool busy = process_remotes();
		int n;

		reap();
		/* Stopping: every remote let go of, and nothing under way. */
		if (l->quit && !busy && !any_remote())
			break;
		n = epoll_wait(epfd, evs, MAX_REMOTES + 2, -1);
		if (n < 0 && errno != EINTR) {
			logf_("epoll: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++)
			on_event(l, &evs[i]);
		reap();
	}
}

int main(int argc, char **argv)
{
	static struct conf conf;
	const char *config = NULL;
	char dir[200], sock_path[256];
	struct loop l = { .conf_path = conf.path };
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
	ret = hipc_sim_run_dir(dir, sizeof(dir), 1);
	if (ret) {
		logf_("run directory %s: %s", dir, hipc_strerror(ret));
		return 1;
	}
	lockfd = lock_run_dir(dir);
	if (lockfd < 0)
		return 1;
	if (open_loop(&l, dir, sock_path, sizeof(sock_path)) < 0)
		return 1;
	logf_("control socket %s, %u remote(s), pid %d", sock_path, conf.n,
	      (int)getpid());
	for (unsigned i = 0; i < conf.n; i++)
		add_remote(&conf.r[i]);
	run(&l);

	close(l.lfd);
	unlink(sock_path);
	close(l.sfd);
	close(epfd);
	close(lockfd);
	logf_("bye");
	return 0;
}
