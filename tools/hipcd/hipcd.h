/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hipcd's pieces, shared between its files:
 *   hipcd.c   the epoll loop, the remotes, the control socket;
 *   conf.c    the configuration file;
 *   iface.c   the interfaces made for the services a remote announces
 *             (each kind in a file of its own, listed in iface.c).
 *
 * Everything runs on the loop's one thread: no locks.  A file that owns a
 * file descriptor registers it with hipcd_watch_add() and is called back
 * with the epoll events; nothing may block.
 */
#ifndef HIPCD_H
#define HIPCD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hipc/error.h"
#include "hipc/rproc.h"

#define MAX_REMOTES 16
#define REPLY_MAX 65536
#define HIPCD_MAX_VLANS 8

void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- configuration (conf.c) ------------------------------------------------- */

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
	/* network device (net.c): TAP name ("": hipc-NAME), VLAN ids */
	char net_name[16];
	uint16_t net_vlans[HIPCD_MAX_VLANS];
	unsigned net_nvlans;
	/* static-vring pair: the other remote ("": none); the remote whose
	 * section names it is the driver end, which owns the buffers */
	char p2p[32];
	bool p2p_driver;
};

struct conf {
	char path[PATH_MAX];
	char dir[PATH_MAX]; /* relative firmware paths start here */
	struct rconf r[MAX_REMOTES];
	unsigned n;
	unsigned errors;
};

extern const char *const w_mode[];
extern const char *const w_policy[];
extern bool plain_log; /* --check: messages without the time stamp */

/* Reads @path into @c.  Returns the number of errors (each logged). */
unsigned parse_config(const char *path, struct conf *c);
/* The settings a running remote was made with: any change restarts it. */
bool same_remote(const struct rconf *a, const struct rconf *b);
/* --check's output. */
void summary(const struct conf *c, FILE *out);

/* --- the loop (hipcd.c) ----------------------------------------------------- */

struct hipcd_watch;
typedef void (*hipcd_watch_fn)(struct hipcd_watch *w, uint32_t events);

/* A file descriptor in the loop's epoll set, in its owner's storage. */
struct hipcd_watch {
	int fd;           /* -1: not watched */
	hipcd_watch_fn fn;
};

/* Watches @fd for @events (EPOLLIN, EPOLLOUT, ...): @fn is called with
 * what happened.  Returns 0 or -errno. */
int hipcd_watch_add(struct hipcd_watch *w, int fd, uint32_t events,
		    hipcd_watch_fn fn);
/* Changes the events watched.  Returns 0 or -errno. */
int hipcd_watch_mod(struct hipcd_watch *w, uint32_t events);
/* Stops watching (the fd is not closed).  An event already fetched for @w
 * in the current round is dropped, so @w's storage may be freed once the
 * round is over: free it with hipcd_defer_free(). */
void hipcd_watch_del(struct hipcd_watch *w);
/* free(@p) after the loop's current round of events. */
void hipcd_defer_free(void *p);

/* --- remotes (hipcd.c) ------------------------------------------------------ */

struct hipcd_svc;

struct remote {
	bool used;
	struct rconf rc;
	char argbuf[512];
	char *argv[17];
	struct hipc_rproc_config cfg;
	struct hipc_rproc *rp;
	char dir[PATH_MAX];      /* RUN_DIR/NAME: its interfaces live here */
	struct hipcd_svc *svcs;  /* the services seen, announced or not */
	struct hipcd_watch watch; /* hipc_rproc_fd() */
	/* reconfigured: let go of, then freed (and made again from
	 * @next if @replace) once its stop or detach is over */
	bool retiring;
	bool replace;
	bool gone; /* stopped, to be freed from the loop */
	struct rconf next;
};

extern struct remote remotes[MAX_REMOTES];
extern char run_dir[200];

/* --- replies to hipcctl ----------------------------------------------------- */

struct reply {
	char buf[REPLY_MAX];
	size_t len;
};

void put(struct reply *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* --- interfaces (iface.c) --------------------------------------------------- */

/*
 * One service a remote announced, and the interface made for it.  It
 * outlives the announcement: withdrawn (or the remote crashed) it stays,
 * down, and an announcement of the same name brings it back at the same
 * path.  Freed with its remote.
 */
struct hipcd_svc {
	struct hipcd_svc *next;
	struct remote *r;
	const struct hipcd_iface *kind;
	char name[32];        /* the service's name */
	uint32_t addr;        /* the remote's address for it (when up) */
	bool up;              /* announced and not withdrawn since */
	unsigned index;       /* N in the interface's name (rpmsgN, ...) */
	char path[PATH_MAX];  /* what a client opens ("" for none) */
	void *priv;           /* the kind's */
};

/* A kind of interface.  Every hook runs on the loop; none may block. */
struct hipcd_iface {
	const char *kind;               /* "endpoint", "tty", ... */
	const char *const *services;    /* the names it serves, NULL-ended */
	/* Announced (the first time, or again): make or revive the
	 * interface.  Returns 0, or -HIPC_E* (logged by the caller). */
	int (*up)(struct hipcd_svc *s);
	/* Withdrawn, or the remote crashed or stopped (@crashed: it did not
	 * say so itself): clients see the error, the path stays. */
	void (*down)(struct hipcd_svc *s, bool crashed);
	/* The remote is let go of: remove the interface, free priv. */
	void (*destroy)(struct hipcd_svc *s);
	/* Counters for "hipcctl stats": "key value" pairs, one per call of
	 * @emit.  May be NULL. */
	void (*stats)(struct hipcd_svc *s,
		      void (*emit)(void *ctx, const char *key, uint64_t v),
		      void *ctx);
};

/* The kinds (one file each). */
extern const struct hipcd_iface hipcd_iface_net; /* net.c: rpmsg-net */

/* The remote announced (@destroyed false) or withdrew @name at @addr. */
void iface_ns(struct remote *r, const char *name, uint32_t addr,
	      bool destroyed);
/* The remote left RUNNING/ATTACHED (crash, stop, detach). */
void iface_remote_down(struct remote *r, bool crashed);
/* The remote is freed. */
void iface_remote_free(struct remote *r);
/* "hipcctl services [NAME]" and "hipcctl stats [NAME]", @r NULL: all. */
void iface_services(struct remote *r, struct reply *o, bool json);
void iface_stats(struct remote *r, struct reply *o, bool json);

#endif
