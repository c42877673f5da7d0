// SPDX-License-Identifier: BSD-3-Clause
/*
 * hipcd: the host daemon.  Boots (or attaches to) the remotes its
 * configuration names, keeps them alive according to their policy, and
 * answers hipcctl on a control socket, all from one epoll loop.
 *
 *   hipcd -c hipcd.conf [-r RUN_DIR]
 *
 * Configuration, one section per remote:
 *
 *   [m4]
 *   firmware = /usr/lib/hipc/hipc-fw-echo   # boot mode: the ELF to run
 *   mode = boot | attach                     # attach: --standalone NAME
 *   policy = restart | stay                  # after a crash
 *   watchdog_ms = 50                         # 0: no watchdog
 *   watchdog_timeout_ms = 100                # 0: two periods
 *   backoff_ms = 10                          # first restart delay
 *   backoff_max_ms = 2000
 *   autostart = yes | no
 *
 * The control socket (RUN_DIR/hipcd.sock, SOCK_SEQPACKET) takes one request
 * per connection, "COMMAND [NAME]", and answers one message: "ok\n" or
 * "error: ...\n", then the command's output.
 *
 * SIGTERM/SIGINT: booted remotes are stopped, attached ones detached (they
 * run on their own and keep running), memory released, socket removed.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
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

/* epoll data: what kind of fd (low word) and which one (high word). */
enum { EV_REMOTE, EV_SIGNAL, EV_LISTEN, EV_CLIENT };

static uint64_t tag(unsigned kind, unsigned idx)
{
	return (uint64_t)idx << 32 | kind;
}

struct remote {
	char name[32];
	char firmware[512];
	bool attach;
	bool autostart;
	struct hipc_rproc_config cfg;
	struct hipc_rproc *rp;
};

static struct remote remotes[MAX_REMOTES];
static unsigned nremotes;
static int epfd = -1;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logf_(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "[%10.3f] hipcd: ", hipc_now_ns() / 1e9);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --- configuration ---------------------------------------------------------- */

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

static int parse_uint(const char *v, unsigned *out)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || *end || end == v || x > 3600000ul)
		return -1;
	*out = (unsigned)x;
	return 0;
}

static int set_key(struct remote *r, const char *key, const char *val)
{
	if (!strcmp(key, "firmware")) {
		snprintf(r->firmware, sizeof(r->firmware), "%s", val);
		return 0;
	}
	if (!strcmp(key, "mode")) {
		if (strcmp(val, "boot") && strcmp(val, "attach"))
			return -1;
		r->attach = !strcmp(val, "attach");
		return 0;
	}
	if (!strcmp(key, "policy")) {
		if (strcmp(val, "restart") && strcmp(val, "stay"))
			return -1;
		r->cfg.policy = !strcmp(val, "restart") ? HIPC_RPROC_RESTART
							: HIPC_RPROC_STAY_CRASHED;
		return 0;
	}
	if (!strcmp(key, "autostart")) {
		r->autostart = !strcmp(val, "yes") || !strcmp(val, "true") ||
			       !strcmp(val, "1");
		return 0;
	}
	if (!strcmp(key, "watchdog_ms"))
		return parse_uint(val, &r->cfg.watchdog_ms);
	if (!strcmp(key, "watchdog_timeout_ms"))
		return parse_uint(val, &r->cfg.watchdog_timeout_ms);
	if (!strcmp(key, "backoff_ms"))
		return parse_uint(val, &r->cfg.backoff_min_ms);
	if (!strcmp(key, "backoff_max_ms"))
		return parse_uint(val, &r->cfg.backoff_max_ms);
	if (!strcmp(key, "boot_timeout_ms"))
		return parse_uint(val, &r->cfg.boot_timeout_ms);
	return -1;
}

static int load_config(const char *path)
{
	FILE *f = fopen(path, "re");
	struct remote *cur = NULL;
	char line[1024];
	unsigned lineno = 0;

	if (!f) {
		logf_("%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *eq, *hash;

		lineno++;
		hash = strchr(s, '#');
		if (hash)
			*hash = 0;
		s = trim(s);
		if (!*s)
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');

			if (!end || end[1] || end == s + 1 ||
			    (size_t)(end - s - 1) >= sizeof(cur->name)) {
				logf_("%s:%u: bad section header", path, lineno);
				goto fail;
			}
			if (nremotes == MAX_REMOTES) {
				logf_("%s:%u: more than %u remotes", path,
				      lineno, MAX_REMOTES);
				goto fail;
			}
			*end = 0;
			cur = &remotes[nremotes++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->name, sizeof(cur->name), "%s", s + 1);
			for (unsigned i = 0; i + 1 < nremotes; i++)
				if (!strcmp(remotes[i].name, cur->name)) {
					logf_("%s:%u: remote '%s' twice", path,
					      lineno, cur->name);
					goto fail;
				}
			cur->autostart = true;
			cur->cfg.policy = HIPC_RPROC_RESTART;
			continue;
		}
		eq = strchr(s, '=');
		if (!cur || !eq) {
			logf_("%s:%u: expected [name] or key = value", path,
			      lineno);
			goto fail;
		}
		*eq = 0;
		if (set_key(cur, trim(s), trim(eq + 1))) {
			logf_("%s:%u: bad setting '%s'", path, lineno, trim(s));
			goto fail;
		}
	}
	fclose(f);
	for (unsigned i = 0; i < nremotes; i++) {
		if (!remotes[i].attach && !remotes[i].firmware[0]) {
			logf_("%s: [%s] boots but names no firmware", path,
			      remotes[i].name);
			return -1;
		}
	}
	if (!nremotes)
		logf_("%s: no remotes configured", path);
	return 0;
fail:
	fclose(f);
	return -1;
}

/* --- remotes ------------------------------------------------------------------ */

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
	logf_("%s: service '%s' %s at 0x%x", r->name, name,
	      destroyed ? "withdrawn" : "announced", (unsigned)addr);
}

static struct remote *find(const char *name)
{
	for (unsigned i = 0; i < nremotes; i++)
		if (!strcmp(remotes[i].name, name))
			return &remotes[i];
	return NULL;
}

static int bring_up(struct remote *r, char *err, size_t len)
{
	int ret;

	ret = r->attach ? hipc_rproc_attach(r->rp, NULL, err, len)
			: hipc_rproc_start(r->rp, err, len);
	if (ret == 0)
		logf_("%s: up, pid %d", r->name, (int)hipc_rproc_pid(r->rp));
	else
		logf_("%s: %s", r->name, err);
	return ret;
}

static int create_remotes(void)
{
	for (unsigned i = 0; i < nremotes; i++) {
		struct remote *r = &remotes[i];
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u64 = tag(EV_REMOTE, i) };

		r->cfg.name = r->name;
		r->cfg.firmware = r->firmware[0] ? r->firmware : NULL;
		/* One epoll loop: every doorbell must be an eventfd write. */
		r->cfg.mode = HIPC_LINK_IRQ;
		r->cfg.on_state = on_state;
		r->cfg.ns_cb = on_ns;
		r->cfg.ns_priv = r;
		if (hipc_rproc_new(&r->rp, &r->cfg)) {
			logf_("%s: out of memory", r->name);
			return -1;
		}
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, hipc_rproc_fd(r->rp), &ev) < 0)
			return -1;
	}
	return 0;
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

	hipc_rproc_get_info(r->rp, &info);
	put(o, "ok\nname        %s\nstate       %s\n", r->name,
	    hipc_rproc_state_name(info.state));
	put(o, "mode        %s\nfirmware    %s\n", r->attach ? "attach" : "boot",
	    r->firmware[0] ? r->firmware : "-");
	put(o, "policy      %s\n", r->cfg.policy == HIPC_RPROC_RESTART
					   ? "restart" : "stay");
	put(o, "watchdog    %u ms\n", r->cfg.watchdog_ms);
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

static void handle(char *req, struct reply *o)
{
	char *cmd = strtok(req, " \t\n");
	char *name = strtok(NULL, " \t\n");
	struct remote *r = NULL;
	char err[256] = "";

	if (!cmd) {
		put(o, "error: empty request\n");
		return;
	}
	if (!strcmp(cmd, "list")) {
		put(o, "ok\n");
		for (unsigned i = 0; i < nremotes; i++) {
			struct hipc_rproc_info info;

			hipc_rproc_get_info(remotes[i].rp, &info);
			put(o, "%-16s %-9s pid %-7d crashes %u restarts %u\n",
			    remotes[i].name, hipc_rproc_state_name(info.state),
			    (int)info.pid, info.crashes, info.restarts);
		}
		return;
	}
	if (!name || !(r = find(name))) {
		put(o, "error: %s: no such remote\n", name ? name : "(none)");
		return;
	}
	if (!strcmp(cmd, "status")) {
		cmd_status(r, o);
	} else if (!strcmp(cmd, "start") || !strcmp(cmd, "attach")) {
		bool was = r->attach;

		if (!strcmp(cmd, "attach"))
			r->attach = true;
		if (bring_up(r, err, sizeof(err)))
			put(o, "error: %s\n", err);
		else
			put(o, "ok\n");
		if (!strcmp(cmd, "attach") && hipc_rproc_state(r->rp) !=
						      HIPC_RPROC_ATTACHED)
			r->attach = was;
	} else if (!strcmp(cmd, "stop")) {
		int k = hipc_rproc_stop(r->rp, STOP_TIMEOUT_MS);

		logf_("%s: stopped%s", r->name, k ? " (killed)" : "");
		put(o, "ok\n%s\n", k ? "killed after the timeout" : "stopped");
	} else if (!strcmp(cmd, "detach")) {
		int ret = hipc_rproc_detach(r->rp);

		if (ret)
			put(o, "error: %s\n", hipc_strerror(ret));
		else
			put(o, "ok\n");
	} else if (!strcmp(cmd, "trace")) {
		uint64_t pos = 0;
		long n;

		put(o, "ok\n");
		n = hipc_rproc_trace_read(r->rp, &pos, o->buf + o->len,
					  sizeof(o->buf) - o->len);
		if (n < 0) {
			o->len = 0;
			put(o, "error: %s: %s\n", r->name,
			    n == -HIPC_ENOENT ? "no trace buffer"
					      : "not running");
		} else {
			o->len += (size_t)n;
		}
	} else {
		put(o, "error: unknown command '%s'\n", cmd);
	}
}

static void serve_client(int fd)
{
	static struct reply o;
	char req[256];
	ssize_t n;

	do
		n = recv(fd, req, sizeof(req) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return;
	req[n] = 0;
	o.len = 0;
	handle(req, &o);
	do
		n = send(fd, o.buf, o.len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
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
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 8) < 0) {
		close(fd);
		return -1;
	}
	snprintf(path, len, "%s", sa.sun_path);
	return fd;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: hipcd -c CONFIG [-r RUN_DIR]\n"
		   "Boots the remotes CONFIG names and serves hipcctl on\n"
		   "RUN_DIR/hipcd.sock (default: $HIPC_RUN_DIR,\n"
		   "$XDG_RUNTIME_DIR/hipc, /tmp/hipc-UID).\n");
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	char dir[200], sock_path[256];
	struct epoll_event ev;
	sigset_t mask;
	int sfd, lfd, opt, ret;
	unsigned nclients = 0;
	bool quit = false;

	while ((opt = getopt(argc, argv, "c:r:h")) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
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
	if (!config) {
		usage(stderr);
		return 2;
	}
	if (load_config(config))
		return 1;
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	/* We hold every remote's region: none of them (same user) may pick
	 * another's out of /proc/PID/fd.  Not in sanitizer builds: their
	 * leak checker ptraces the process. */
	prctl(PR_SET_DUMPABLE, 0);
#endif
	ret = hipc_run_dir(dir, sizeof(dir), 1);
	if (ret) {
		logf_("run directory: %s", strerror(-ret));
		return 1;
	}
	/* Signals through the loop, not through handlers.  SIGCHLD stays
	 * default: exits are seen on each remote's pidfd and reaped there. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	lfd = open_control(dir, sock_path, sizeof(sock_path));
	if (sfd < 0 || epfd < 0 || lfd < 0) {
		logf_("setup: %s", strerror(errno));
		return 1;
	}
	ev = (struct epoll_event){ .events = EPOLLIN,
				   .data.u64 = tag(EV_SIGNAL, 0) };
	epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);
	ev = (struct epoll_event){ .events = EPOLLIN,
				   .data.u64 = tag(EV_LISTEN, 0) };
	epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
	if (create_remotes())
		return 1;
	logf_("control socket %s, %u remote(s)", sock_path, nremotes);
	for (unsigned i = 0; i < nremotes; i++) {
		char err[256];

		if (remotes[i].autostart)
			bring_up(&remotes[i], err, sizeof(err));
	}

	while (!quit) {
		struct epoll_event evs[MAX_REMOTES + 2];
		int n;

		for (unsigned i = 0; i < nremotes; i++) {
			/* Work already pending: no sleeping past it. */
			if (!hipc_rproc_prepare_sleep(remotes[i].rp))
				hipc_rproc_process(remotes[i].rp);
		}
		n = epoll_wait(epfd, evs, MAX_REMOTES + 2, -1);
		if (n < 0 && errno != EINTR) {
			logf_("epoll: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			unsigned kind = (unsigned)(evs[i].data.u64 & 0xffffffffu);
			unsigned idx = (unsigned)(evs[i].data.u64 >> 32);

			if (kind == EV_SIGNAL) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					logf_("signal %u: shutting down",
					      si.ssi_signo);
					quit = true;
				}
			} else if (kind == EV_LISTEN) {
				int c = accept4(lfd, NULL, NULL,
						SOCK_CLOEXEC | SOCK_NONBLOCK);
				struct epoll_event cev = {
					.events = EPOLLIN,
					.data.u64 = tag(EV_CLIENT, (unsigned)c),
				};

				if (c < 0)
					continue;
				/* The request is read when it arrives, so a
				 * silent client never holds up the loop. */
				if (nclients >= MAX_CLIENTS ||
				    epoll_ctl(epfd, EPOLL_CTL_ADD, c, &cev) < 0) {
					close(c);
					continue;
				}
				nclients++;
			} else if (kind == EV_CLIENT) {
				serve_client((int)idx);
				epoll_ctl(epfd, EPOLL_CTL_DEL, (int)idx, NULL);
				close((int)idx);
				nclients--;
			} else if (kind == EV_REMOTE && idx < nremotes) {
				hipc_rproc_process(remotes[idx].rp);
			}
		}
	}

	for (unsigned i = 0; i < nremotes; i++) {
		struct remote *r = &remotes[i];

		if (hipc_rproc_state(r->rp) == HIPC_RPROC_ATTACHED) {
			hipc_rproc_detach(r->rp);
			logf_("%s: detached, left running", r->name);
		} else if (hipc_rproc_state(r->rp) != HIPC_RPROC_OFFLINE) {
			hipc_rproc_stop(r->rp, STOP_TIMEOUT_MS);
			logf_("%s: stopped", r->name);
		}
		hipc_rproc_free(r->rp);
	}
	close(lfd);
	unlink(sock_path);
	close(sfd);
	close(epfd);
	logf_("bye");
	return 0;
}
