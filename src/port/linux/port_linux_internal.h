/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Linux port's helpers for the layers built on it (simulation, host
 * lifecycle, firmware runtime, vhost-user).  Not installed.
 */
#ifndef HIPC_PORT_LINUX_INTERNAL_H
#define HIPC_PORT_LINUX_INTERNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * poll() until an event or @deadline_ns on hipc_now_ns()'s clock (0: no
 * deadline).  A signal does not restart the wait with its whole timeout:
 * the remaining time is computed afresh from the deadline.  With @stop
 * non-NULL, a signal that set *@stop ends the wait (-1, errno EINTR).
 * Returns poll()'s result otherwise (0: the deadline passed).
 */
struct pollfd;
int hipc__poll_until(struct pollfd *p, unsigned n, uint64_t deadline_ns,
		     const volatile sig_atomic_t *stop);

/* The same with epoll_wait() on @epfd, up to @n events into @ev. */
struct epoll_event;
int hipc__epoll_until(int epfd, struct epoll_event *ev, unsigned n,
		      uint64_t deadline_ns, const volatile sig_atomic_t *stop);

/*
 * hipc__from_errno() - the hipc code for a system call's errno @e: -@e
 * when @e is in HIPC_ERRNO_MAP (hipc/error.h), -HIPC_EIO for anything
 * else (and for 0: a caller that saw a failure without an errno).  The one
 * translation at the system-call boundary: every layer of the Linux side
 * returns what it gives, never a raw -errno.
 */
int hipc__from_errno(int e);

/*
 * hipc_link_drain() for a loop that polled the link's fd itself and knows
 * whether it was readable (@readable).  In interrupt-only mode the eventfd
 * is read only then: a loop passes here after every message, and most
 * passes would read an empty eventfd (a failed system call each).  The
 * spinning modes decide as hipc_link_drain() does.
 */
struct hipc_link;
int hipc__link_drain_polled(struct hipc_link *l, bool readable,
			    void (*on_ctrl)(void *, uint32_t), void *arg);

/*
 * hipc_link_drain() for a loop that watches the link's fd edge-triggered
 * (EPOLLET), or sleeps only in the link's own waits (which do): the
 * eventfd's count is never read, in any mode, since every write is an
 * edge whatever the count.  A sleep then costs its wait and no read.
 */
int hipc__link_drain_edge(struct hipc_link *l,
			  void (*on_ctrl)(void *, uint32_t), void *arg);

/*
 * Control messages a drain took from the FIFO and holds for the next
 * hipc_link_drain() with an on_ctrl (a wait that woke drains, but hands
 * nothing over).  A loop that acts on control messages does not sleep
 * while this is true: the doorbell that brought them is spent.
 */
bool hipc__link_ctrl_waiting(const struct hipc_link *l);

/* The portable half of hipc_crc32c_fast(), for tests that compare the
 * two paths on a CPU that has the instruction. */
uint32_t hipc__crc32c_slice8(uint32_t crc, const void *buf, size_t len);

/*
 * Fault injection (faults.c, docs/faults.md): HIPC_FAULTS read once.
 * hipc__faults_on(): the process runs with faults.  The others decide one
 * event each and count what they inject.
 */
#include <stdbool.h>
enum hipc__fault_doorbell {
	HIPC__FAULT_NONE = 0,
	HIPC__FAULT_DROP,  /* not rung at all */
	HIPC__FAULT_DUP,   /* rung twice */
	HIPC__FAULT_DELAY, /* rung after *delay_us */
};
bool hipc__faults_on(void);
struct hipc_link;
/* A loop that sleeps on a link's fd itself (not in hipc_link_wait()) did a
 * recheck; @recovered: it found work no doorbell announced. */
void hipc__link_rechecked(struct hipc_link *l, bool recovered);
enum hipc__fault_doorbell hipc__faults_doorbell(uint32_t *delay_us);
bool hipc__fault_alloc(void); /* true: fail this allocation */
bool hipc__fault_mmap(void);  /* true: fail this mapping */
void hipc__fault_sleep_us(uint32_t us);

#endif
