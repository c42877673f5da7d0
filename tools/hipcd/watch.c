// SPDX-License-Identifier: BSD-3-Clause
/*
 * hipcd's loop: the epoll set every interface kind watches its descriptors
 * in, and the frees put off until a round of events is over.  A file of
 * its own so that a harness can run the kinds without the daemon
 * (tests/fuzz/fuzz_hipcd_clients.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "hipcd.h"

int hipcd_epfd = -1;
static void **deferred;
static size_t ndeferred, deferred_cap;

int hipcd_watch_add(struct hipcd_watch *w, int fd, uint32_t events,
		    hipcd_watch_fn fn)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->fd = fd;
	w->fn = fn;
	if (epoll_ctl(hipcd_epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		w->fd = -1;
		return -errno;
	}
	return 0;
}

int hipcd_watch_mod(struct hipcd_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (w->fd < 0)
		return -EBADF;
	return epoll_ctl(hipcd_epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0 ? -errno : 0;
}

void hipcd_watch_del(struct hipcd_watch *w)
{
	if (w->fd < 0)
		return;
	epoll_ctl(hipcd_epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->fd = -1; /* an event fetched already is skipped by run() */
}

void hipcd_run_deferred(void)
{
	while (ndeferred)
		free(deferred[--ndeferred]);
}

void hipcd_defer_free(void *p)
{
	if (ndeferred == deferred_cap) {
		size_t cap = deferred_cap ? 2 * deferred_cap : 64;
		void **d = realloc(deferred, cap * sizeof(*d));

		if (!d) {
			/* Kept rather than freed under a pending event. */
			logf_("out of memory: %zu bytes not freed", sizeof(p));
			return;
		}
		deferred = d;
		deferred_cap = cap;
	}
	deferred[ndeferred++] = p;
}
