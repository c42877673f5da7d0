// SPDX-License-Identifier: BSD-3-Clause
/*
 * TTYs (docs/iface-tty.md): a pty for every "rpmsg-tty" (and the older
 * "rpmsg-tty-channel") service, reached through the stable symlink
 * RUN_DIR/REMOTE/ttyRPMSGN -> /dev/pts/M.
 *
 * Bytes written to the tty are read from the pty's master and sent in
 * messages of up to one payload (what is readable is gathered first, so a
 * stream costs as few buffers as it can); bytes from the remote are written
 * to the master.  Nothing is dropped while the tty is up:
 *   - no tx buffer: the master is not read until one is free (want_tx),
 *     so the pty's buffer fills and the writer blocks in write(2);
 *   - a reader slower than the remote: the master's write gives EAGAIN,
 *     what does not fit waits in the receive queue (copied, then held in
 *     its rx buffer so the remote slows down) and goes out on EPOLLOUT.
 *
 * hipcd keeps a descriptor of the slave open itself.  Without one the
 * master reports EPOLLHUP (a level-triggered event that never clears)
 * and read(2) gives EIO whenever no program has the tty open, and the
 * line's settings would come and go with the programs that open it.  With
 * it the tty behaves like a UART whose receiver is always on: what the
 * remote sends while nobody reads is kept, up to the limits above, for
 * the next reader.  If that leaves the remote stalled for stall_ms the
 * receive queue's eviction hangs the tty up (the data is discarded, as a
 * UART's FIFO overruns) and a fresh pty takes its place.
 *
 * The remote going away (crash, stop, service withdrawn) hangs the tty up:
 * the master is closed, so every program that has the slave open sees EOF
 * on read and EIO on write, as after a modem hang-up; bytes not read yet
 * are gone with the line.  The symlink is removed while the service is
 * down (a /dev/pts/M left behind could be reused by another pty, which a
 * program opening the link must never reach) and comes back, to a new
 * pty, with the next announcement.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "hipc/rpmsg.h"
#include "hipcd.h"

/* Messages sent per readiness event: a tty that always has data cannot
 * keep the loop from the other remotes and interfaces. */
#define TX_BUDGET 64
/* Payloads read from the master at once: one read(2) for several
 * messages.  What is read and not sent yet waits here (never dropped)
 * while the remote has no buffer for it. */
#define TX_GATHER 16
/* Bytes from the remote written to the master at once.  What the master
 * does not take at once is copied here (the rx buffer goes back to the
 * remote) until this is full, and only then queued; queued messages are
 * gathered here again, so one write(2) carries many messages. */
#define RX_GATHER 65536u

struct tty {
	struct hipcd_svc *s;
	struct hipc_rpmsg_ept ept;
	bool ept_live;         /* created and not destroyed yet */
	bool tx_dead;          /* a send failed for good: not read until
				* the service comes back */
	int master;            /* -1: hung up */
	int slave;             /* ours, keeps the line up */
	struct hipcd_watch w;
	uint32_t watching;     /* the events asked for */
	struct hipcd_rxq q;    /* remote -> tty, waiting for the reader */
	unsigned char *rx;     /* what goes to the master next, gathered */
	size_t rx_off, rx_len; /* from several messages: bytes [off, len) */
	unsigned char *tx;     /* tty -> remote, read but not sent yet: */
	size_t tx_off, tx_len; /* bytes [tx_off, tx_len) */
	size_t tx_cap, payload;
	char pts[64];          /* the slave's name, for the log */
	/* counters */
	uint64_t tx_bytes, tx_msgs, tx_waits;
	uint64_t rx_bytes, rx_msgs, rx_direct, rx_copied, rx_lost;
	uint64_t q_dropped;    /* payload bytes the queue discarded */
	uint64_t hangups, ptys;
};

static void pump_tx(struct tty *t);
static void pump_rx(struct tty *t);

/* EPOLLIN unless waiting for a tx buffer; EPOLLOUT while a queue waits. */
static void rewatch(struct tty *t)
{
	uint32_t ev = 0;

	if (t->master < 0)
		return;
	if (!t->s->want_tx && !t->tx_dead)
		ev |= EPOLLIN;
	if (t->rx_len || !hipcd_rxq_empty(&t->q))
		ev |= EPOLLOUT;
	if (ev == t->watching)
		return;
	if (hipcd_watch_mod(&t->w, ev) == 0)
		t->watching = ev;
}

/* Payload bytes in the receive queue (its own count includes what each
 * message costs it). */
static uint64_t queued(const struct tty *t)
{
	return t->q.bytes_in - t->q.bytes_out - t->q_dropped;
}

/* --- the pty -------------------------------------------------------------------- */

/* Closes the line: every program on the slave sees the hang-up. */
static void hang_up(struct tty *t)
{
	if (t->master < 0)
		return;
	hipcd_watch_del(&t->w);
	close(t->master);
	close(t->slave);
	t->master = t->slave = -1;
	t->watching = 0;
	/* Typed, or sent by the remote, and not read before the hang-up:
	 * gone with the line (the remote's part counted). */
	t->tx_off = t->tx_len = 0;
	t->rx_lost += queued(t) + (t->rx_len - t->rx_off);
	t->q_dropped += queued(t);
	hipcd_rxq_clear(&t->q);
	t->rx_off = t->rx_len = 0;
	t->hangups++;
}

static void on_pty(struct hipcd_watch *w, uint32_t events)
{
	struct tty *t = (struct tty *)((char *)w - offsetof(struct tty, w));

	if (events & EPOLLOUT)
		pump_rx(t);
	if (t->master >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		pump_tx(t);
}

/* The slave of @m opened without a path lookup where the kernel can. */
static int open_slave(int m, const char *name)
{
	int fd = -1;

#ifdef TIOCGPTPEER
	fd = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
#endif
	if (fd < 0)
		fd = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	return fd;
}

/*
 * A new pty in raw mode, watched, and the link pointed at it.  Raw from
 * the start, unlike a serial port's cooked default: with echo on, and
 * hipcd holding the line open, bytes from a remote that nobody reads would
 * be echoed back to it forever (and any echoing firmware would bounce
 * them back).  `stty sane` on the link gives the usual line discipline.
 */
static int open_pty(struct tty *t)
{
	struct hipcd_svc *s = t->s;
	struct termios tio;
	char tmp[PATH_MAX + 8];
	int m, sl, err;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", s->path) >= sizeof(tmp))
		return -HIPC_ENAMETOOLONG;
	m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (m < 0)
		return -errno;
	if (grantpt(m) < 0 || unlockpt(m) < 0 ||
	    ptsname_r(m, t->pts, sizeof(t->pts)) != 0) {
		err = -errno;
		goto close_master;
	}
	sl = open_slave(m, t->pts);
	if (sl < 0) {
		err = -errno;
		goto close_master;
	}
	/* The remote's group and socket_mode, like its sockets: devpts's
	 * default would let the tty group write (for wall(1)), which here
	 * means writing to the remote. */
	err = hipcd_publish(s->r, t->pts);
	if (err < 0)
		goto close_slave;
	if (tcgetattr(sl, &tio) < 0) {
		err = -errno;
		goto close_slave;
	}
	cfmakeraw(&tio);
	if (tcsetattr(sl, TCSANOW, &tio) < 0) {
		err = -errno;
		goto close_slave;
	}
	/* Replaced in one step: a program opening the link sees the old
	 * target or the new one, never none. */
	unlink(tmp);
	if (symlink(t->pts, tmp) < 0) {
		err = -errno;
		goto close_slave;
	}
	if (rename(tmp, s->path) < 0) {
		err = -errno;
		goto remove_tmp;
	}
	err = hipcd_watch_add(&t->w, m, EPOLLIN, on_pty);
	if (err < 0)
		goto remove_link;
	t->master = m;
	t->slave = sl;
	t->watching = EPOLLIN;
	t->ptys++;
	return 0;

remove_link:
	unlink(s->path);
	goto close_slave;
remove_tmp:
	unlink(tmp);
close_slave:
	close(sl);
close_master:
	close(m);
	return err;
}

/* Hung up, and a fresh line in its place if the service is still up. */
static void reopen(struct tty *t, const char *why)
{
	int ret;

	logf_("%s: %s: %s: hanging up", t->s->r->rc.name, t->s->path, why);
	hang_up(t);
	if (!t->s->up)
		return;
	ret = open_pty(t);
	if (ret < 0) {
		logf_("%s: %s: no new pty: %s", t->s->r->rc.name, t->s->path,
		      strerror(-ret));
		unlink(t->s->path);
	}
}

/* --- tty -> remote ----------------------------------------------------------------- */

/* Tops t->tx up from the master.  Returns -errno of a failed read (not
 * EAGAIN), else 0. */
static int gather(struct tty *t)
{
	if (t->tx_off) {
		memmove(t->tx, t->tx + t->tx_off, t->tx_len - t->tx_off);
		t->tx_len -= t->tx_off;
		t->tx_off = 0;
	}
	while (t->tx_len < t->tx_cap) {
		ssize_t n = read(t->master, t->tx + t->tx_len,
				 t->tx_cap - t->tx_len);

		if (n > 0) {
			t->tx_len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		break; /* nothing more now (0 cannot happen: the slave is
			* ours too) */
	}
	return 0;
}

/* Sends what the tty has, a payload (or what is readable, if less) per
 * message, until it has no more or the remote has no buffer. */
static void pump_tx(struct tty *t)
{
	struct hipcd_svc *s = t->s;

	if (!t->ept_live || t->master < 0 || s->want_tx || t->tx_dead)
		return;
	for (unsigned n = 0;; n++) {
		size_t len;
		int ret;

		if (n == TX_BUDGET) {
			/* Our turn is over.  Bytes already read do not make
			 * the master readable again: have the loop call
			 * tx_ready() for them in its next round. */
			if (t->tx_len > t->tx_off)
				s->want_tx = true;
			break;
		}
		/* Less than a payload left: gather more behind it first. */
		if (t->tx_len - t->tx_off < t->payload) {
			ret = gather(t);
			if (ret < 0) {
				/* The line is gone under us (it cannot be:
				 * we hold the slave): a new one, not a spin. */
				reopen(t, strerror(-ret));
				return;
			}
		}
		len = t->tx_len - t->tx_off;
		if (!len)
			break;
		if (len > t->payload)
			len = t->payload;
		ret = hipc_rpmsg_send_ex(&t->ept, HIPC_RPMSG_ADDR_ANY, s->addr,
					 t->tx + t->tx_off, len,
					 HIPC_RPMSG_NO_WAIT);
		if (ret == -HIPC_EAGAIN) {
			/* Stop reading: the pty fills up and the writer
			 * blocks until the remote gives a buffer back. */
			t->tx_waits++;
			s->want_tx = true;
			break;
		}
		if (ret < 0) {
			/* Unbound or broken: the service is going down, and
			 * down() hangs the line up. */
			logf_("%s: %s: send: %s", s->r->rc.name, s->path,
			      hipc_strerror(ret));
			t->tx_dead = true;
			break;
		}
		t->tx_bytes += len;
		t->tx_msgs++;
		t->tx_off += len;
		if (t->tx_off == t->tx_len)
			t->tx_off = t->tx_len = 0;
	}
	rewatch(t);
}

/* --- remote -> tty ----------------------------------------------------------------- */

/* Writes what waits, oldest first, many messages per write(2); on EAGAIN
 * waits for EPOLLOUT. */
static void pump_rx(struct tty *t)
{
	while (t->master >= 0) {
		const void *data;
		size_t len;
		ssize_t n;

		/* Whole messages only: what is gathered is ours, what is
		 * queued stays the queue's (held buffers included). */
		while (hipcd_rxq_peek(&t->q, &data, &len, NULL) &&
		       len <= RX_GATHER - t->rx_len) {
			memcpy(t->rx + t->rx_len, data, len);
			t->rx_len += len;
			hipcd_rxq_pop(&t->q);
		}
		if (t->rx_off == t->rx_len)
			break;
		n = write(t->master, t->rx + t->rx_off, t->rx_len - t->rx_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			reopen(t, strerror(errno));
			return;
		}
		t->rx_off += (size_t)n;
		if (t->rx_off == t->rx_len) {
			t->rx_off = t->rx_len = 0;
		} else if (t->rx_off >= RX_GATHER / 2) {
			/* Room at the end for the next message. */
			memmove(t->rx, t->rx + t->rx_off, t->rx_len - t->rx_off);
			t->rx_len -= t->rx_off;
			t->rx_off = 0;
		}
	}
	rewatch(t);
}

static int on_rx(struct hipc_rpmsg_ept *ept, void *data, size_t len,
		 uint32_t src, void *priv)
{
	struct tty *t = priv;
	ssize_t n = 0;
	int ret;

	(void)ept;
	t->rx_msgs++;
	t->rx_bytes += len;
	if (t->master < 0) {
		/* Between a hang-up and a new line (none could be made):
		 * nobody can have it open, like a UART with no reader. */
		t->rx_lost += len;
		return 0;
	}
	/* In order: behind what waits already. */
	if (t->rx_len == t->rx_off && hipcd_rxq_empty(&t->q)) {
		t->rx_off = t->rx_len = 0;
		do
			n = write(t->master, data, len);
		while (n < 0 && errno == EINTR);
		if (n == (ssize_t)len) {
			t->rx_direct++;
			return 0;
		}
		if (n < 0 && errno != EAGAIN) {
			reopen(t, strerror(errno));
			t->rx_lost += len;
			return 0;
		}
		if (n < 0)
			n = 0;
		/* The rest is gathered (a payload always fits when
		 * nothing waits). */
		memcpy(t->rx, (const char *)data + n, len - (size_t)n);
		t->rx_len = len - (size_t)n;
		t->rx_copied++;
		rewatch(t);
		return 0;
	}
	if (hipcd_rxq_empty(&t->q) && len <= RX_GATHER - t->rx_len) {
		memcpy(t->rx + t->rx_len, data, len);
		t->rx_len += len;
		t->rx_copied++;
		return 0; /* EPOLLOUT is on already: rx_len was not 0 */
	}
	ret = hipcd_rxq_push(&t->q, data, len, src);
	rewatch(t);
	return ret;
}

/* The remote went away: held buffers are copied out while the region is
 * still mapped; down() then hangs up. */
static void on_unbind(struct hipc_rpmsg_ept *ept)
{
	struct tty *t = ept->priv;

	/* ept->dev: NULL when the whole device goes (it takes its buffers
	 * back), still set when only the service was withdrawn. */
	hipcd_rxq_unhold(&t->q, ept->dev);
}

/* The remote stalls on our held buffers and the reader does not read. */
static void on_evict(struct hipcd_rxq *q)
{
	struct tty *t = q->owner;

	/* The queue is emptied already: its bytes are lost too. */
	t->rx_lost += queued(t);
	t->q_dropped += queued(t);
	reopen(t, "the reader stalled the remote for stall_ms");
}

/* --- the hooks ---------------------------------------------------------------------- */

static int tty_up(struct hipcd_svc *s)
{
	struct hipc_rpmsg_dev *dev = hipc_rproc_rpmsg(s->r->rp);
	struct tty *t = s->priv;
	uint32_t payload;
	int ret;

	if (!dev)
		return -HIPC_ENOTCONN;
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return -HIPC_ENOMEM;
		t->rx = malloc(RX_GATHER);
		if (!t->rx) {
			free(t);
			return -HIPC_ENOMEM;
		}
		t->s = s;
		t->master = t->slave = -1;
		t->w.fd = -1;
		hipcd_rxq_init(&t->q, s->r, on_evict, t);
		s->priv = t;
	}
	if ((size_t)snprintf(s->path, sizeof(s->path), "%s/ttyRPMSG%u",
			     s->r->dir, s->index) >= sizeof(s->path)) {
		s->path[0] = '\0';
		return -HIPC_ENAMETOOLONG;
	}
	payload = hipc_rpmsg_max_payload(dev);
	if (!payload)
		return -HIPC_EINVAL;
	if (payload != t->payload) {
		unsigned char *b = realloc(t->tx, (size_t)payload * TX_GATHER);

		if (!b)
			return -HIPC_ENOMEM;
		t->tx = b;
		t->payload = payload;
		t->tx_cap = (size_t)payload * TX_GATHER;
	}
	t->tx_off = t->tx_len = 0;
	t->tx_dead = false;
	ret = hipc_rpmsg_ept_create(&t->ept, dev, "", HIPC_RPMSG_ADDR_ANY,
				    s->addr, on_rx, t);
	if (ret < 0)
		return ret;
	t->ept.unbind = on_unbind;
	t->ept_live = true;
	ret = open_pty(t);
	if (ret < 0) {
		hipc_rpmsg_ept_destroy(&t->ept);
		t->ept_live = false;
		return ret;
	}
	logf_("%s: %s -> %s (service '%s' at 0x%x)", s->r->rc.name, s->path,
	      t->pts, s->name, (unsigned)s->addr);
	return 0;
}

static void tty_down(struct hipcd_svc *s, bool crashed)
{
	struct tty *t = s->priv;

	(void)crashed;
	if (!t)
		return;
	if (t->ept_live) {
		hipc_rpmsg_ept_destroy(&t->ept);
		t->ept_live = false;
	}
	if (t->master >= 0)
		logf_("%s: %s: remote gone, hanging up", s->r->rc.name,
		      s->path);
	hang_up(t);
	t->q_dropped += queued(t); /* a line that was down already */
	hipcd_rxq_clear(&t->q);
	t->rx_off = t->rx_len = 0;
	if (s->path[0])
		unlink(s->path);
}

static void tty_destroy(struct hipcd_svc *s)
{
	struct tty *t = s->priv;

	if (!t)
		return;
	tty_down(s, false);
	hipcd_rxq_fini(&t->q);
	free(t->tx);
	free(t->rx);
	s->priv = NULL;
	hipcd_defer_free(t); /* t->w may have an event in this round */
}

static void tty_tx_ready(struct hipcd_svc *s)
{
	struct tty *t = s->priv;

	if (t)
		pump_tx(t);
}

static void tty_stats(struct hipcd_svc *s,
		      void (*emit)(void *ctx, const char *key, uint64_t v),
		      void *ctx)
{
	struct tty *t = s->priv;

	if (!t)
		return;
	emit(ctx, "tx_bytes", t->tx_bytes);
	emit(ctx, "tx_msgs", t->tx_msgs);
	emit(ctx, "tx_waits", t->tx_waits);
	emit(ctx, "rx_bytes", t->rx_bytes);
	emit(ctx, "rx_msgs", t->rx_msgs);
	emit(ctx, "rx_direct", t->rx_direct);
	emit(ctx, "rx_copied", t->rx_copied);
	emit(ctx, "rx_queued", t->q.msgs_in);
	emit(ctx, "queue_bytes", queued(t) + (t->rx_len - t->rx_off));
	emit(ctx, "holds", t->q.holds);
	emit(ctx, "evictions", t->q.evictions);
	emit(ctx, "rx_lost", t->rx_lost);
	emit(ctx, "rx_nomem", t->q.nomem_drops);
	emit(ctx, "hangups", t->hangups);
	emit(ctx, "ptys", t->ptys);
}

static const char *const tty_services[] = {
	"rpmsg-tty",
	"rpmsg-tty-channel",
	NULL,
};

const struct hipcd_iface hipcd_tty = {
	.kind = "tty",
	.services = tty_services,
	.up = tty_up,
	.down = tty_down,
	.destroy = tty_destroy,
	.tx_ready = tty_tx_ready,
	.stats = tty_stats,
};
