/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The static-vring region between two remotes (hipc_p2p_new()): the host
 * hands it to both, is not in its data path, and re-initialises it only
 * after one of the two died, once the survivor has let go.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rproc_internal.h"

static void p2p_kick(struct hipc_p2p *p, unsigned side)
{
	uint64_t one = 1;

	/* A full counter is still readable: nothing lost by ignoring it. */
	if (write(p->wake[side], &one, sizeof(one)) < 0)
		return;
}

/*
 * Our process no longer holds the pair region (it died, or was stopped
 * before it could hand anything over cleanly): whatever it left in the
 * rings cannot be trusted by the next session.  The peer, if it is using
 * the rings, is told to let go before anything is re-initialised.
 */
void hipc__rp_p2p_lost(struct hipc_rproc *rp)
{
	struct hipc_p2p *p = rp->cfg.p2p;
	unsigned s = rp->p2p_side, o = s ^ 1u;

	if (!p || !rp->p2p_held)
		return;
	rp->p2p_held = false;
	rp->p2p_acked = false;
	pthread_mutex_lock(&p->lock);
	p->present[s] = false;
	p->uses[s] = false;
	p->release[s] = false;
	p->up[s] = false;
	p->dirty = true;
	if (p->uses[o]) {
		p->release[o] = true;
		p2p_kick(p, o);
	} else {
		/* Let go already: a pending "up" would be for this session. */
		p->up[o] = false;
	}
	pthread_mutex_unlock(&p->lock);
}

/*
 * Before a process of ours gets the pair region: if a previous session
 * ended badly, reset the region, but only once nobody touches it.  The
 * host maps it just for this, never while a remote uses it.
 * @retval 0, -HIPC_EAGAIN (the peer has not let go yet), -HIPC_ENOMEM
 */
int hipc__rp_p2p_claim(struct hipc_rproc *rp)
{
	struct hipc_p2p *p = rp->cfg.p2p;
	unsigned s = rp->p2p_side, o = s ^ 1u;
	int ret = 0;

	if (!p)
		return 0;
	pthread_mutex_lock(&p->lock);
	if (p->dirty && p->uses[o]) {
		ret = -HIPC_EAGAIN;
		goto out;
	}
	if (p->dirty) {
		struct hipc_sim_ctrl *c;
		uint8_t *base;

		base = mmap(NULL, p->lay.size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, p->memfd, 0);
		if (base == MAP_FAILED) {
			ret = hipc__from_errno(errno);
			goto out;
		}
		c = (struct hipc_sim_ctrl *)base;
		/* Rings and buffers as new, so nothing of the old session
		 * can be read back; the geometry rewritten in case the dead
		 * end scribbled on it; "ready" cleared, then the new
		 * generation published last.  The mailbox FIFOs stay: they
		 * carry only doorbells, a stale one costs a spurious poll. */
		memset(base + p->lay.vring_off[0], 0,
		       p->lay.size - p->lay.vring_off[0]);
		c->magic = HIPC_SIM_MAGIC;
		c->version = HIPC_SIM_VERSION;
		c->p2p_num = p->num;
		c->p2p_buf_size = p->buf_size;
		__atomic_store_n(&c->p2p_ready, 0u,
				 __ATOMIC_RELEASE);
		p->gen++;
		__atomic_store_n(&c->p2p_gen, p->gen,
				 __ATOMIC_RELEASE);
		munmap(base, p->lay.size);
		p->dirty = false;
		p->resets++;
	}
	p->present[s] = true;
	p->uses[s] = true;
	p->release[s] = false;
	p->up[s] = false;
	rp->p2p_held = true;
	rp->p2p_acked = false;
out:
	pthread_mutex_unlock(&p->lock);
	return ret;
}

/* Would hipc__rp_p2p_claim() have to wait?  Checked before any work is done. */
bool hipc__rp_p2p_busy(struct hipc_rproc *rp)
{
	struct hipc_p2p *p = rp->cfg.p2p;
	bool busy;

	if (!p)
		return false;
	pthread_mutex_lock(&p->lock);
	busy = p->dirty && p->uses[rp->p2p_side ^ 1u];
	pthread_mutex_unlock(&p->lock);
	return busy;
}

/* We came up on a freshly set-up region: a peer that let go of the old
 * session is told it may take up the new one. */
void hipc__rp_p2p_came_up(struct hipc_rproc *rp)
{
	struct hipc_p2p *p = rp->cfg.p2p;
	unsigned o = rp->p2p_side ^ 1u;

	if (!p || !rp->p2p_held)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->present[o] && !p->uses[o] && !p->release[o]) {
		p->up[o] = true;
		p2p_kick(p, o);
	}
	pthread_mutex_unlock(&p->lock);
}

/* Our share of the pair's bookkeeping, from our own thread: the messages
 * go through our own mailbox. */
void hipc__rp_p2p_work(struct hipc_rproc *rp)
{
	struct hipc_p2p *p = rp->cfg.p2p;
	unsigned s = rp->p2p_side;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (rp->p2p_acked) {
		rp->p2p_acked = false;
		p->uses[s] = false;
	}
	if (rp->link && rp->p2p_held) {
		if (p->release[s] &&
		    hipc_link_send(rp->link, HIPC__MBOX_P2P_RESET) == 0)
			p->release[s] = false;
		if (p->up[s] && !p->release[s] && !p->uses[s] &&
		    hipc_link_send(rp->link, HIPC__MBOX_P2P_UP) == 0) {
			p->up[s] = false;
			p->uses[s] = true;
		}
	}
	pthread_mutex_unlock(&p->lock);
}

int hipc_p2p_new(struct hipc_p2p **out, const char *name, unsigned num,
		 unsigned buf_size)
{
	struct hipc__p2p_layout l;
	struct hipc_sim_ctrl *c;
	struct hipc_shm shm;
	struct hipc_p2p *p;
	int ret;

	if (!out || hipc__p2p_plan(num, buf_size, &l))
		return -HIPC_EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -HIPC_ENOMEM;
	p->num = num;
	p->buf_size = buf_size;
	p->lay = l;
	p->gen = 1;
	snprintf(p->name, sizeof(p->name), "%s", name ? name : "p2p");
	pthread_mutex_init(&p->lock, NULL);
	p->efd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->efd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->wake[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->wake[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->efd[0] < 0 || p->efd[1] < 0 || p->wake[0] < 0 ||
	    p->wake[1] < 0) {
		ret = hipc__from_errno(errno);
		goto fail;
	}
	ret = hipc_shm_create(&shm, name ? name : "hipc-p2p", l.size);
	if (ret)
		goto fail;
	/* The host writes the geometry once and never maps it again: the
	 * two remotes are alone on it from then on. */
	c = (struct hipc_sim_ctrl *)shm.base;
	c->magic = HIPC_SIM_MAGIC;
	c->version = HIPC_SIM_VERSION;
	c->size = l.size;
	snprintf(c->name, sizeof(c->name), "%s", name ? name : "p2p");
	c->p2p_num = num;
	c->p2p_buf_size = buf_size;
	c->p2p_gen = p->gen;
	munmap(shm.base, shm.size);
	p->memfd = shm.fd;
	*out = p;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (p->efd[i] >= 0)
			close(p->efd[i]);
		if (p->wake[i] >= 0)
			close(p->wake[i]);
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
	return ret;
}

void hipc_p2p_free(struct hipc_p2p *p)
{
	if (!p)
		return;
	close(p->memfd);
	close(p->efd[0]);
	close(p->efd[1]);
	close(p->wake[0]);
	close(p->wake[1]);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
