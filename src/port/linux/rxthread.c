/* SPDX-License-Identifier: BSD-3-Clause */
/* A library-run receive thread: the loop every host would otherwise write. */
#include <pthread.h>
#include <stdlib.h>

#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/rpmsg.h"
#include "port_linux_internal.h"

struct hipc_link_thread {
	struct hipc_link *link;
	struct hipc_rpmsg_dev *dev;
	void (*on_ctrl)(void *, uint32_t);
	void *arg;
	pthread_t tid;
	int stop;
	int result;
};

static bool may_sleep(void *arg)
{
	struct hipc_link_thread *t = arg;

	return !__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE) &&
	       hipc_rpmsg_prepare_sleep(t->dev);
}

static bool has_work(void *arg)
{
	struct hipc_link_thread *t = arg;

	return __atomic_load_n(&t->stop, __ATOMIC_ACQUIRE) ||
	       hipc_rpmsg_pending(t->dev);
}

static void *loop(void *arg)
{
	struct hipc_link_thread *t = arg;

	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		int n;

		/* It sleeps only in the link's wait: nothing to clear. */
		if (hipc__link_drain_edge(t->link, t->on_ctrl, t->arg) ==
		    -HIPC_EIO) {
			t->result = -HIPC_EIO;
			break;
		}
		/* Busy: the wait below spins on the rings and asks for the
		 * doorbell (may_sleep) before it sleeps. */
		n = hipc_rpmsg_poll_busy(t->dev, 0);
		if (n < 0) {
			t->result = n;
			break;
		}
		if (n > 0)
			continue;
		hipc_link_wait_busy(t->link, 0, may_sleep, has_work, t);
	}
	return NULL;
}

int hipc_link_thread_start(struct hipc_link_thread **out,
			   struct hipc_link *link, struct hipc_rpmsg_dev *dev,
			   void (*on_ctrl)(void *arg, uint32_t msg), void *arg)
{
	struct hipc_link_thread *t;
	int err;

	if (!out)
		return -HIPC_EINVAL;
	*out = NULL;
	if (!link || !dev)
		return -HIPC_EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -HIPC_ENOMEM;
	t->link = link;
	t->dev = dev;
	t->on_ctrl = on_ctrl;
	t->arg = arg;
	/* pthread_create() returns its error instead of setting errno */
	err = pthread_create(&t->tid, NULL, loop, t);
	if (err) {
		free(t);
		return hipc__from_errno(err);
	}
	*out = t;
	return 0;
}

int hipc_link_thread_stop(struct hipc_link_thread *t)
{
	int ret;

	if (!t)
		return 0;
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
	/* The thread may sleep on the doorbell with no deadline: ring our own
	 * bell so it wakes and sees the flag.  The may_sleep check closes the
	 * window between its last look at the flag and going to sleep. */
	hipc_link_wake(t->link);
	pthread_join(t->tid, NULL);
	ret = t->result;
	free(t);
	return ret;
}
