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
	unsigned queue_kb;       /* per client, copied before holding (256) */
	unsigned stall_ms;       /* a reader stalling the remote this long
				  * is disconnected (2000; 0: never) */
	unsigned group;          /* gid its interfaces belong to (the
				  * daemon's own by default) */
	unsigned socket_mode;    /* of its sockets and ttys (0660) */
	unsigned bigbuf_quota;   /* buffers of a pool one big-buffer client
				  * may hold at once (0: no limit) */
	unsigned line;           /* of its [section] */
	unsigned set_at[32];     /* line each key was set on, 0: not set */
	/* network device (net.c): TAP name ("": hipc-NAME), VLAN ids */
	char net_name[16];
	uint16_t net_vlans[HIPCD_MAX_VLANS];
	unsigned net_nvlans;
	unsigned net_frag;       /* 1: offer frames in fragments (yes) */
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
/* The same from @f, @c filled in by the caller's memset and path/dir
 * (relative firmware paths start at @c->dir). */
unsigned parse_config_stream(FILE *f, struct conf *c);
/* The settings a running remote was made with: any change restarts it. */
bool same_remote(const struct rconf *a, const struct rconf *b);
/* --check's output. */
void summary(const struct conf *c, FILE *out);

/* --- the loop (watch.c, hipcd.c) --------------------------------------- */

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
/* The loop's epoll set (watch.c), and the frees of the round just over. */
extern int hipcd_epfd;
void hipcd_run_deferred(void);

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
	unsigned nsvcs;          /* ... how many (at most HIPCD_MAX_SVCS) */
	unsigned svcs_refused;   /* announcements past that, ignored */
	struct hipcd_watch watch; /* hipc_rproc_fd() */
	struct hipcd_rxq *rxqs;  /* its clients' receive queues (rxq.c) */
	/* the device corked for the loop's round of events (NULL: none):
	 * uncorked only if it is still the remote's device */
	struct hipc_rpmsg_dev *corked;
	/* reconfigured: let go of, then freed (and made again from
	 * @next if @replace) once its stop or detach is over */
	bool retiring;
	bool replace;
	bool gone; /* stopped, to be freed from the loop */
	struct rconf next;
};

/* Services one remote may have: each costs memory and usually a listening
 * socket, and the names are the remote's to choose. */
#define HIPCD_MAX_SVCS 256

/* @in with anything unprintable (and '\\') as \xNN, cut to fit @len:
 * for logging what a remote or a client named.  Returns @buf. */
const char *hipcd_printable(const char *in, char *buf, size_t len);

extern struct remote remotes[MAX_REMOTES];
extern char run_dir[200];

/* RUN_DIR/REMOTE, mode 0750 in the remote's group.  0 or -errno (logged). */
int hipcd_make_dir(struct remote *r);
/* Gives @path (a socket, a tty) the remote's group and socket_mode, so
 * the configured group may use it.  Returns 0 or -errno (logged). */
int hipcd_publish(struct remote *r, const char *path);

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
	bool want_tx;         /* waiting for a tx buffer: tx_ready() is
			       * called once one may be free */
	void *priv;           /* the kind's */
};

/* A kind of interface.  Every hook runs on the loop; none may block. */
struct hipcd_iface {
	const char *kind;               /* "endpoint", "tty", ... */
	const char *const *services;    /* the names it serves, NULL-ended;
					 * NULL: every name no kind serves */
	/* Announced (the first time, or again): make or revive the
	 * interface.  Returns 0, or -HIPC_E* (logged by the caller). */
	int (*up)(struct hipcd_svc *s);
	/* Withdrawn, or the remote crashed or stopped (@crashed: it did not
	 * say so itself): clients see the error, the path stays. */
	void (*down)(struct hipcd_svc *s, bool crashed);
	/* The remote is let go of: remove the interface, free priv. */
	void (*destroy)(struct hipcd_svc *s);
	/* @s->want_tx was set and a tx buffer may be free now.  want_tx is
	 * cleared before the call; set it again to wait on.  May be NULL
	 * for a kind that never sets want_tx. */
	void (*tx_ready)(struct hipcd_svc *s);
	/* Counters for "hipcctl stats": "key value" pairs, one per call of
	 * @emit.  May be NULL. */
	void (*stats)(struct hipcd_svc *s,
		      void (*emit)(void *ctx, const char *key, uint64_t v),
		      void *ctx);
};

/* The kinds (one file each). */
extern const struct hipcd_iface hipcd_iface_net; /* net.c: rpmsg-net */
extern const struct hipcd_iface hipcd_iface_socket; /* msgsock.c */
extern const struct hipcd_iface hipcd_tty; /* tty.c */

/* Runs the tx_ready() hooks of @r's services that wait; returns true if
 * one still waits (the loop then sleeps with prepare_sleep_tx). */
bool iface_tx_ready(struct remote *r);
/* Once per loop round: slow-reader deadlines.  Returns the next deadline
 * (CLOCK_MONOTONIC ns) or 0 for none. */
uint64_t iface_tick(uint64_t now);

/* The remote announced (@destroyed false) or withdrew @name at @addr. */
void iface_ns(struct remote *r, const char *name, uint32_t addr,
	      bool destroyed);
/* The remote is RUNNING or ATTACHED (its services are announced next). */
void iface_remote_up(struct remote *r);
/* The remote left RUNNING/ATTACHED (crash, stop, detach). */
void iface_remote_down(struct remote *r, bool crashed);
/* The remote is freed. */
void iface_remote_free(struct remote *r);
/* "hipcctl services [NAME]" and "hipcctl stats [NAME]", @r NULL: all. */
void iface_services(struct remote *r, struct reply *o, bool json);
void iface_stats(struct remote *r, struct reply *o, bool json);

/* --- endpoint devices (epdev.c) ---------------------------------------------- */

/* Kind "endpoint": "rpmsg-raw" and "rpmsg_chrdev" services. */
extern const struct hipcd_iface epdev_iface;
/* RUN_DIR/REMOTE/rpmsg_ctrl made (first time), endpoints created through
 * it made again on the new device. */
void epdev_remote_up(struct remote *r);
/* Created endpoints' clients get what is queued, then a hang-up. */
void epdev_remote_down(struct remote *r);
/* tx_ready for created endpoints; true if one still waits. */
bool epdev_tx_ready(struct remote *r);
/* The endpoints created through rpmsg_ctrl, as services (linked by ->next,
 * kind epdev_iface): for "hipcctl services" and "stats". */
struct hipcd_svc *epdev_created(struct remote *r);
/* rpmsg_ctrl and the created endpoints removed. */
void epdev_remote_free(struct remote *r);

/* --- big buffers for clients (bigbuf.c) ----------------------------------------- */

/* Kind "bigbuf": in no kinds[] (it serves no announced name); its entries
 * come from bigbuf_svcs(). */
extern const struct hipcd_iface hipcd_iface_bigbuf;
/* RUN_DIR/REMOTE/bigbuf made (first time) if the remote has pools. */
void bigbuf_remote_up(struct remote *r);
/* Every connection taken back and hung up. */
void bigbuf_remote_down(struct remote *r);
/* Requests waiting for a tx buffer; true if one still waits. */
bool bigbuf_tx_ready(struct remote *r);
/* The totals and each connection, as services (linked by ->next). */
struct hipcd_svc *bigbuf_svcs(struct remote *r);
/* The socket removed, everything freed. */
void bigbuf_remote_free(struct remote *r);

/* --- receive queues (rxq.c) -------------------------------------------------- */

/*
 * What a remote sent to one client, waiting for that client to read it:
 * hipcd never drops it.  Up to the remote's queue_kb it is copied out of
 * the rx buffer (the buffer goes back to the remote at once); beyond that
 * the message stays in its rx buffer (HIPC_RPMSG_HOLD), so the remote has
 * fewer buffers and slows down: back-pressure, shared by every endpoint of
 * that remote.  While held buffers leave the remote starved (almost none
 * free), a client holding some that has read nothing for stall_ms is
 * evicted (the one holding most first): its owner's evict() disconnects
 * it, and the queue is emptied.  A slow reader that reads is never
 * evicted.
 */
struct hipcd_rxq_item;

struct hipcd_rxq {
	/* private: rxq.c's */
	struct hipcd_rxq *next_q;     /* the remote's queues */
	struct remote *r;
	struct hipcd_rxq_item *head, **tail;
	size_t bytes;                 /* queued, copied or held */
	unsigned held;                /* rx buffers kept */
	uint64_t seen_out;            /* msgs_out at the last look */
	uint64_t still_since;         /* since then nothing read (ns) */
	/* public */
	void (*evict)(struct hipcd_rxq *q); /* set by the owner */
	void *owner;
	uint64_t msgs_in, msgs_out, bytes_in, bytes_out, holds, evictions;
	uint64_t nomem_drops;         /* out of memory: lost, and logged */
};

/* Links @q into @r's queues. */
void hipcd_rxq_init(struct hipcd_rxq *q, struct remote *r,
		    void (*evict)(struct hipcd_rxq *q), void *owner);
/* Empties @q and unlinks it. */
void hipcd_rxq_fini(struct hipcd_rxq *q);
/* From a receive callback: queue @len bytes from @src.  Returns what the
 * callback returns (0, or HIPC_RPMSG_HOLD).  Drops only when even the
 * bookkeeping cannot be allocated (counted in nomem_drops, logged). */
int hipcd_rxq_push(struct hipcd_rxq *q, void *data, size_t len,
		   uint32_t src);
/* The oldest message, or false when empty. */
bool hipcd_rxq_peek(struct hipcd_rxq *q, const void **data, size_t *len,
		    uint32_t *src);
/* Drops the oldest message (delivered): a held rx buffer goes back. */
void hipcd_rxq_pop(struct hipcd_rxq *q);
/* Empties @q (messages discarded, buffers back to the remote). */
void hipcd_rxq_clear(struct hipcd_rxq *q);
/* From an unbind callback (its memory still mapped): every held message
 * is copied out, so @q stays readable after the region is gone.
 * @give_back: the device lives on (only the service was withdrawn): its
 * buffers go back to it; NULL: the device is going and takes them.
 * Returns -HIPC_ENOMEM if a copy failed (that message is dropped and
 * counted). */
int hipcd_rxq_unhold(struct hipcd_rxq *q, struct hipc_rpmsg_dev *give_back);
static inline bool hipcd_rxq_empty(const struct hipcd_rxq *q)
{
	return !q->head;
}

#endif
