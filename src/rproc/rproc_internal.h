/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host lifecycle's own state, shared by its files: lifecycle.c (boot,
 * crash, recovery, stop, the loop, the public calls), attach.c (taking
 * over a running remote and letting it go), pairs.c (the static-vring
 * region between two remotes).  Not installed.
 */
#ifndef HIPC_RPROC_INTERNAL_H
#define HIPC_RPROC_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hipc/bufpool.h"
#include "hipc/error.h"
#include "hipc/fwimage.h"
#include "hipc/mbox.h"
#include "hipc/rproc.h"
#include "hipc/rsc.h"
#include "hipc/spinlock.h"
#include "hipc/vring.h"
#include "sim_proto.h"
#include "port_linux_internal.h"

#define DEFAULT_BUCKETS 256u
#define DEFAULT_BOOT_MS 10000u
#define DEFAULT_BACKOFF_MIN_MS 10u
#define DEFAULT_BACKOFF_MAX_MS 2000u
#define DEFAULT_STABLE_MS 1000u
#define MS 1000000ull

enum { EV_LINK = 1, EV_PID = 2, EV_TIMER = 3, EV_P2P = 4, EV_CONN = 5 };

/* An attach, step by step: the hello awaited on the connection, then the
 * remote's acknowledgement of the new generation, then READY (booting). */
enum { AT_NONE = 0, AT_HELLO, AT_ACK };

/*
 * A pair region and what the host knows of its two users.  Each member is
 * driven by its own thread (or loop), so everything shared between them is
 * under @lock, and one member asks the other for something only by setting
 * a flag and writing the other's @wake eventfd (in that member's epoll set).
 * Side 0 is the driver end, side 1 the device end.
 */
struct hipc_p2p {
	int memfd;
	int efd[2];  /* efd[s]: the eventfd side s sleeps on */
	int wake[2]; /* host-internal: "look at the pair state", per side */
	char name[32];
	unsigned num, buf_size;
	struct hipc__p2p_layout lay;

	pthread_mutex_t lock;
	uint32_t gen;     /* the session the region was last set up for */
	bool dirty;       /* a user went away: the region needs a reset */
	bool present[2];  /* a process of side s holds the region's fds */
	bool uses[2];     /* ... and may be touching the rings */
	bool release[2];  /* side s is to be told P2P_RESET */
	bool up[2];       /* side s is to be told P2P_UP */
	unsigned resets;  /* times the region was re-initialised */
};

struct hipc_rproc {
	struct hipc_rproc_config cfg;
	char *name;
	char *firmware;
	enum hipc_rproc_state state;

	int epfd;
	int timerfd;
	int pidfd;
	pid_t pid;
	bool is_child;   /* we spawned it (else: attached, not ours to reap) */
	bool attach_mode; /* how it came up, so a restart does the same */
	int conn;         /* attached: held open, the remote's "host alive" */
	char attach_name[32];

	struct hipc_shm shm;
	struct hipc_sim_ctrl *ctrl;
	struct hipc_link *link;
	struct hipc_region region;
	struct hipc_memmap map;
	struct hipc__layout lay;
	struct hipc_sim_vdev v;
	uint8_t *tbl;    /* shared copy of the table (in the region) */

	struct hipc_rpmsg_dev dev;
	bool dev_up;
	void *storage;
	struct hipc_rpmsg_ept **buckets;

	/* set by the control-message callback, acted on after the drain
	 * (the callback runs inside the link, which a crash frees) */
	bool ready_seen;
	bool crash_msg;
	bool shutdown_acked;

	bool booting;    /* spawned/attached, READY not seen yet */
	bool stopping;   /* a stop under way: an exit is expected */
	bool letting_go; /* a detach under way: waiting for phase_gen */
	int attach_phase; /* AT_*: how far an attach (or re-attach) got */
	pid_t conn_pid;   /* who is at the other end of @conn (kernel) */
	uint32_t phase_gen;      /* the generation the remote must ack */
	uint64_t phase_deadline; /* of the attach step, detach or stop */
	/* the operation begun by the user, reported once through on_done */
	enum hipc_rproc_op op;
	int op_ret;
	char op_err[256];
	bool auto_restart; /* the current boot is an automatic restart */
	uint64_t boot_deadline;
	uint64_t restart_at;
	uint64_t armed;  /* what the timerfd is set to (UINT64_MAX: off) */
	/* next look at the rings without a doorbell (0: none scheduled);
	 * see HIPC_LINK_RECHECK_MS */
	uint64_t recheck_at;
	bool idle_recheck; /* the last process() pass was a recheck that
			    * found nothing at all */
	/* Spinning modes: when the loop next looks at its fds (exit, timer,
	 * peer link); between two looks it only reads the rings. */
	uint64_t events_due;
	unsigned backoff_ms;

	bool wd_outstanding;
	uint64_t wd_next;
	uint64_t wd_sent;

	unsigned p2p_side;   /* 0: driver end of cfg.p2p, 1: device end */
	bool p2p_held;       /* our process was given the pair region */
	bool p2p_acked;      /* P2P_RESET_ACK seen (acted on after the drain) */

	/* big-buffer pools and spinlocks (pools.c): a region of their own,
	 * from the first boot that declares pools to hipc_rproc_free() */
	struct hipc_shm pshm;
	struct hipc__pools_layout play;
	struct hipc_bufpool pools[HIPC__MAX_POOLS];
	struct hipc_bufpool_slot *pslots[HIPC__MAX_POOLS];
	struct hipc_spinlock_set locks;
	pthread_mutex_t plock;
	struct hipc_port pport;

	struct hipc_rproc_info info;
	/* the trace ring as the remote left it when it crashed */
	uint8_t *last_trace;
	uint32_t last_trace_len;
};

/* --- shared between the files (hidden in the library) --------------------- */

int hipc__rp_attach_begin(struct hipc_rproc *rp, char *err, size_t errlen);
void hipc__rp_attach_step(struct hipc_rproc *rp, uint64_t now);
int hipc__rp_busy(struct hipc_rproc *rp, char *err, size_t errlen);
int hipc__rp_driver_up(struct hipc_rproc *rp, char *err, size_t errlen);
void hipc__rp_end_process(struct hipc_rproc *rp, bool kill_it);
int hipc__rp_ep_add(struct hipc_rproc *rp, int fd, uint32_t tag);
void hipc__rp_ep_del(struct hipc_rproc *rp, int fd);
void hipc__rp_errf(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void hipc__rp_finish_detach(struct hipc_rproc *rp, int ret);
void hipc__rp_finish_op(struct hipc_rproc *rp, int ret, const char *msg);
bool hipc__rp_gen_acked(struct hipc_rproc *rp, uint32_t gen);
bool hipc__rp_p2p_busy(struct hipc_rproc *rp);
void hipc__rp_p2p_came_up(struct hipc_rproc *rp);
int hipc__rp_p2p_claim(struct hipc_rproc *rp);
void hipc__rp_p2p_lost(struct hipc_rproc *rp);
void hipc__rp_p2p_work(struct hipc_rproc *rp);
bool hipc__rp_process_exited(struct hipc_rproc *rp);
void hipc__rp_pools_free(struct hipc_rproc *rp);
void hipc__rp_pools_reclaim(struct hipc_rproc *rp);
int hipc__rp_pools_setup(struct hipc_rproc *rp, const void *tbl, size_t size,
			 char *err, size_t errlen);
void hipc__rp_rearm(struct hipc_rproc *rp);
void hipc__rp_release(struct hipc_rproc *rp);
void hipc__rp_restart_failed(struct hipc_rproc *rp, int ret);
void hipc__rp_set_state(struct hipc_rproc *rp, enum hipc_rproc_state s);
void hipc__rp_wait_readable(int fd, uint64_t deadline);

#endif
