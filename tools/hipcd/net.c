// SPDX-License-Identifier: BSD-3-Clause
/*
 * The network device (docs/interfaces.md, "Network"): for a remote's
 * "rpmsg-net" service, a TAP interface on the host, one Ethernet frame per
 * rpmsg message each way, as Linux's rpmsg network drivers carry them.
 *
 *   - MTU: the remote's largest payload less the Ethernet header (and the
 *     802.1Q tag with VLANs), so a full-sized frame always fits a buffer;
 *   - never waits: a frame from the TAP with no free tx buffer is dropped
 *     and counted (the ring is full: the remote is not keeping up), and so
 *     is a frame from the remote the TAP will not take;
 *   - VLANs ("net_vlans = 100,200"): this host's kernel has no 802.1Q, so
 *     the switch is ours.  One untagged TAP per VLAN (NAME.VID); on the
 *     link every frame carries its tag, added here towards the remote and
 *     checked and stripped on the way back: a frame whose tag is missing
 *     or names a VLAN we do not serve is dropped and counted, so a frame
 *     of one VLAN never reaches another's TAP;
 *   - the remote goes away (withdrawn, crashed, stopped): carrier off, the
 *     TAP and its counters stay, and the next announcement turns the
 *     carrier on again on the same interface.  Let go of: TAP removed.
 *
 * The remote learns our address from the first message we send: an empty
 * one right after the announcement ("hello"), then every frame.  Every
 * message from the remote is checked before it reaches a TAP: an empty
 * one is its hello, anything else must be a whole frame no longer than
 * the MTU allows, tagged with a VLAN of ours when VLANs are on.
 *
 * Fragments (hipc/net.h): right after the hello we offer, in a CAPS
 * message, the largest MTU we reassemble and a second endpoint of ours
 * for the pieces.  A remote that knows fragments answers in kind, and
 * from then on both ends run the TAPs at the smaller of the two offers
 * (64,754 bytes with 2048-byte buffers): a TCP stream then crosses the
 * link in frames of up to 63 KiB instead of 2 KiB, about a thirtieth of
 * the frames, TAP reads, TAP writes and wake-ups of the stacks on both
 * sides.  A
 * remote that does not answer keeps the one-buffer MTU; one that predates
 * fragments counts the CAPS message as a malformed frame, once per link.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hipc/net.h"
#include "hipcd.h"

#define VLAN_TAG_LEN HIPC_NET_VLAN_TAG_LEN
#define MIN_MTU 68u       /* IPv4's minimum: below it the link is useless */
#define TAP_BUDGET 64     /* frames read from one TAP per wake-up */
#define TAP_BATCH 16u     /* frames read before they are published */
/* A read this large never truncates a frame: the largest MTU a TAP takes
 * (65535) plus its Ethernet header, rounded up. */
#define FRAME_MAX (65536u + 64u)

struct net;

/* One TAP: the link's only one, or one VLAN's. */
struct net_port {
	struct hipcd_watch w; /* first: the watch's address is the port's */
	struct net *n;
	uint16_t vid;         /* 0: no VLANs */
	char ifname[IFNAMSIZ];
	/* rx: from the remote to this TAP; tx: from this TAP to the remote */
	uint64_t rx_packets, rx_bytes, rx_dropped;
	uint64_t tx_packets, tx_bytes, tx_dropped, tx_errors;
	uint64_t tap_lost; /* the interface deleted under us */
};

struct net {
	struct hipcd_svc *s;
	struct hipc_rpmsg_ept ept;
	struct hipc_rpmsg_ept frag_ept; /* the remote's pieces come here */
	unsigned mtu;         /* the TAPs' now: mtu1, or the one agreed */
	unsigned mtu1;        /* what one buffer carries */
	unsigned frag_offer;  /* the MTU we reassemble (0: no fragments) */
	uint32_t peer_frag;   /* the remote's fragment endpoint, once known */
	bool frag;            /* the remote answered: big frames in pieces */
	uint16_t frag_id;     /* our frames' counter */
	unsigned nports;
	bool vlans;
	bool hello_sent;
	bool caps_sent;
	uint64_t rx_errors;   /* malformed: too short, too long */
	uint64_t rx_bad_tag;  /* VLANs on: no tag, or a VLAN not ours */
	struct hipc_net_reasm ra; /* the remote's frame under reassembly */
	struct net_port port[HIPCD_MAX_VLANS];
	uint8_t ra_buf[VLAN_TAG_LEN + FRAME_MAX];
};

/* The TAP and everything on it: one buffer, the loop has one thread.
 * VLAN_TAG_LEN bytes of room in front for the tag. */
static uint8_t frame[VLAN_TAG_LEN + FRAME_MAX];

static int ctl_sock(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return fd;
}

static int set_mtu(const char *ifname, unsigned mtu)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_mtu = (int)mtu;
	return ioctl(ctl_sock(), SIOCSIFMTU, &ifr) < 0 ? -errno : 0;
}

static int set_up(const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(ctl_sock(), SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(ctl_sock(), SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

static void set_carrier(struct net_port *p, bool on)
{
	int v = on;

	if (p->w.fd >= 0 && ioctl(p->w.fd, TUNSETCARRIER, &v) < 0)
		logf_("%s: carrier %s: %s", p->ifname, on ? "on" : "off",
		      strerror(errno));
}

/* The TAP's name: net_name, or hipc-REMOTE cut to fit, then .VID. */
static void port_name(const struct remote *r, uint16_t vid, char *out)
{
	char base[64];
	/* With VLANs ".4094" must still fit. */
	size_t room = vid ? IFNAMSIZ - 1 - 5 : IFNAMSIZ - 1, len;

	if (r->rc.net_name[0])
		snprintf(base, sizeof(base), "%s", r->rc.net_name);
	else
		snprintf(base, sizeof(base), "hipc-%s", r->rc.name);
	len = strlen(base);
	if (len > room)
		len = room;
	memcpy(out, base, len);
	out[len] = 0;
	if (vid) {
		char tag[8];
		size_t tl = (size_t)snprintf(tag, sizeof(tag), ".%u",
					     (unsigned)vid);

		memcpy(out + len, tag, tl + 1); /* len + tl < IFNAMSIZ */
	}
}

static void on_tap(struct hipcd_watch *w, uint32_t events);

static int open_tap(struct net_port *p)
{
	struct ifreq ifr;
	int fd, ret;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		logf_("%s: /dev/net/tun: %s", p->ifname, strerror(errno));
		return ret;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		logf_("%s: cannot make the TAP: %s", p->ifname, strerror(errno));
		close(fd);
		return ret;
	}
	ret = hipcd_watch_add(&p->w, fd, EPOLLIN, on_tap);
	if (ret < 0) {
		logf_("%s: epoll: %s", p->ifname, strerror(-ret));
		close(fd);
		return ret;
	}
	/* No carrier until the remote is there: the kernel then keeps
	 * frames for it off the TAP instead of handing them to us. */
	set_carrier(p, false);
	ret = set_up(p->ifname);
	if (ret < 0)
		logf_("%s: cannot bring it up: %s", p->ifname, strerror(-ret));
	return 0;
}

static void close_tap(struct net_port *p)
{
	int fd = p->w.fd;

	if (fd < 0)
		return;
	hipcd_watch_del(&p->w);
	close(fd); /* not persistent: the interface goes with its fd */
}

/*
 * The interface was taken away under us (deleted from outside): its fd
 * reports an error on every round from now on and reads fail.  Closed,
 * logged once and counted; frames from the remote for it are dropped as
 * a write to a closed TAP.
 */
static void tap_lost(struct net_port *p, int err)
{
	logf_("%s: the interface is gone (%s): not read any more", p->ifname,
	      strerror(err));
	p->tap_lost++;
	close_tap(p);
}

static struct net *net_new(struct hipcd_svc *s)
{
	struct remote *r = s->r;
	struct net *n = calloc(1, sizeof(*n));
	size_t o = 0;

	if (!n)
		return NULL;
	n->s = s;
	hipc_net_reasm_init(&n->ra, n->ra_buf, sizeof(n->ra_buf));
	n->vlans = r->rc.net_nvlans > 0;
	n->nports = n->vlans ? r->rc.net_nvlans : 1;
	/* All of them first: a failure closes every port, opened or not. */
	for (unsigned i = 0; i < n->nports; i++)
		n->port[i].w.fd = -1;
	for (unsigned i = 0; i < n->nports; i++) {
		struct net_port *p = &n->port[i];

		p->n = n;
		p->vid = n->vlans ? r->rc.net_vlans[i] : 0;
		port_name(r, p->vid, p->ifname);
		if (open_tap(p) < 0)
			goto fail;
		/* "hipcctl services" shows them all: NAME.100,NAME.200 */
		o += (size_t)snprintf(s->path + o, sizeof(s->path) - o, "%s%s",
				      i ? "," : "", p->ifname);
	}
	return n;
fail:
	for (unsigned i = 0; i < n->nports; i++)
		close_tap(&n->port[i]);
	s->path[0] = 0;
	/* A watch may have been added and removed this round. */
	hipcd_defer_free(n);
	return NULL;
}

static struct net_port *port_of_vid(struct net *n, uint16_t vid)
{
	for (unsigned i = 0; i < n->nports; i++)
		if (n->port[i].vid == vid)
			return &n->port[i];
	return NULL;
}

/*
 * A whole frame of @len bytes to its TAP: @head, a copy of its first
 * bytes in local memory (the tag, when VLANs are on, decides the TAP and
 * is read from there only), then @rest, what follows them (shared memory
 * for a frame in one message, local for a reassembled one).
 */
static void deliver(struct net *n, uint8_t *head, const uint8_t *rest,
		    size_t len)
{
	size_t hdr = n->vlans ? ETH_HLEN + VLAN_TAG_LEN : ETH_HLEN;
	struct net_port *p = &n->port[0];
	struct iovec iov[2];
	ssize_t w;

	if (n->vlans) {
		uint16_t tpid = (uint16_t)(head[12] << 8 | head[13]);
		uint16_t vid = (uint16_t)((head[14] & 0x0f) << 8 | head[15]);

		p = tpid == ETH_P_8021Q ? port_of_vid(n, vid) : NULL;
		if (!p) {
			n->rx_bad_tag++;
			return;
		}
		/* Untagged on the TAP: the MAC addresses, then what followed
		 * the tag (its EtherType onwards). */
		iov[0] = (struct iovec){ head, 12 };
		iov[1] = (struct iovec){ (uint8_t *)rest - 2, len - 16 };
	} else {
		iov[0] = (struct iovec){ head, hdr };
		iov[1] = (struct iovec){ (uint8_t *)rest, len - hdr };
	}
	do
		w = writev(p->w.fd, iov, 2);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		/* EAGAIN (the stack's backlog is full), or the interface
		 * went down under us: dropped, never waited for. */
		p->rx_dropped++;
		return;
	}
	p->rx_packets++;
	p->rx_bytes += iov[0].iov_len + iov[1].iov_len;
}

static void set_mtus(struct net *n, unsigned mtu)
{
	for (unsigned i = 0; i < n->nports; i++) {
		int ret = set_mtu(n->port[i].ifname, mtu);

		if (ret < 0) {
			logf_("%s: MTU %u: %s", n->port[i].ifname, mtu,
			      strerror(-ret));
			return;
		}
	}
	n->mtu = mtu;
}

/* The remote's CAPS: it reassembles up to @c->max_mtu, its pieces go to
 * @c->frag_addr.  Ours went first (an answer to nothing is ignored). */
static void on_caps(struct net *n, const struct hipc_net_caps *c)
{
	unsigned mtu = c->max_mtu < n->frag_offer ? c->max_mtu : n->frag_offer;

	if (!n->caps_sent || c->frag_addr == HIPC_RPMSG_ADDR_ANY)
		return;
	n->peer_frag = c->frag_addr;
	n->frag = mtu > n->mtu1;
	set_mtus(n, n->frag ? mtu : n->mtu1);
	logf_("%s: %s: fragments %s, MTU %u", n->s->r->rc.name, n->s->path,
	      n->frag ? "on" : "off (the remote's offer is no larger)",
	      n->mtu);
}

/*
 * A message from the remote on the service's endpoint.  @data is in shared
 * memory, which the remote may rewrite while we look: what decides where
 * the frame goes (the tag) is read once, into local memory.  @len comes
 * from the core, already checked against the buffer.
 */
static int on_frame(struct hipc_rpmsg_ept *ept, void *data, size_t len,
		    uint32_t src, void *priv)
{
	struct net *n = priv;
	size_t hdr = n->vlans ? ETH_HLEN + VLAN_TAG_LEN : ETH_HLEN;
	uint8_t head[ETH_HLEN + VLAN_TAG_LEN];
	struct hipc_net_caps caps;

	(void)ept;
	(void)src;
	if (len == 0)
		return 0; /* its hello: nothing to deliver */
	if (hipc_net_caps_get(data, len, &caps)) {
		on_caps(n, &caps);
		return 0;
	}
	/* One message: one buffer's worth at most, whatever the MTU. */
	if (len < hdr || len > hdr + n->mtu1) {
		n->rx_errors++;
		return 0;
	}
	memcpy(head, data, hdr);
	deliver(n, head, (uint8_t *)data + hdr, len);
	return 0;
}

/* A piece of a frame larger than one message, on the fragment endpoint:
 * taken only once we offered fragments, up to the MTU we offered. */
static int on_frag(struct hipc_rpmsg_ept *ept, void *data, size_t len,
		   uint32_t src, void *priv)
{
	struct net *n = priv;
	size_t hdr = n->vlans ? ETH_HLEN + VLAN_TAG_LEN : ETH_HLEN;
	int l;

	(void)ept;
	(void)src;
	if (!n->caps_sent) {
		n->ra.errors++;
		return 0;
	}
	l = hipc_net_reasm_add(&n->ra, data, len, hdr, hdr + n->frag_offer);
	if (l > 0)
		deliver(n, n->ra.buf, n->ra.buf + hdr, (size_t)l);
	return 0;
}

/* The hello, then our CAPS (when we offer fragments): each until it went,
 * retried with the next frame towards the remote. */
static void send_hello(struct net *n)
{
	uint8_t caps[HIPC_NET_CAPS_LEN];

	if (!n->ept.dev)
		return;
	if (!n->hello_sent)
		n->hello_sent = hipc_rpmsg_send_ex(&n->ept, HIPC_RPMSG_ADDR_ANY,
						   HIPC_RPMSG_ADDR_ANY, "", 0,
						   HIPC_RPMSG_NO_WAIT) == 0;
	if (!n->hello_sent || n->caps_sent || !n->frag_offer)
		return;
	hipc_net_caps_put(caps, (uint16_t)n->frag_offer, n->frag_ept.addr);
	n->caps_sent = hipc_rpmsg_send_ex(&n->ept, HIPC_RPMSG_ADDR_ANY,
					  HIPC_RPMSG_ADDR_ANY, caps,
					  sizeof(caps),
					  HIPC_RPMSG_NO_WAIT) >= 0;
}

/*
 * The frame of @len bytes at frame + VLAN_TAG_LEN, too long for one
 * message, to the remote in pieces.  Every buffer is reserved first: a
 * frame goes whole or not at all (dropped and counted, as a frame that
 * finds no buffer), so the remote never sees a frame given up midway.
 */
static void send_frags(struct net_port *p, size_t len)
{
	struct net *n = p->n;
	struct hipc_rpmsg_dev *dev = n->ept.dev;
	uint8_t *f = frame + VLAN_TAG_LEN;
	void *buf[HIPC_NET_FRAG_PIECES];
	size_t plen[HIPC_NET_FRAG_PIECES], off = 0, total;
	unsigned nb = 0, i;
	uint16_t id = n->frag_id++;

	if (p->vid) {
		len = hipc_net_vlan_tag(frame, len, p->vid);
		f = frame;
	}
	total = len;
	while (off < total) {
		uint32_t room;
		size_t piece;

		if (nb == HIPC_NET_FRAG_PIECES) {
			p->tx_errors++; /* more pieces than the MTU allows */
			goto release;
		}
		if (hipc_rpmsg_get_tx_buffer(dev, &buf[nb], &room,
					     HIPC_RPMSG_NO_WAIT) < 0) {
			p->tx_dropped++; /* the ring is full, or nearly */
			goto release;
		}
		nb++;
		if (room <= HIPC_NET_FRAG_HDR) {
			p->tx_errors++;
			goto release;
		}
		piece = room - HIPC_NET_FRAG_HDR;
		if (piece > total - off)
			piece = total - off;
		hipc_net_frag_hdr_put(buf[nb - 1], (uint32_t)total, id,
				      (uint16_t)(nb - 1));
		memcpy((uint8_t *)buf[nb - 1] + HIPC_NET_FRAG_HDR, f + off,
		       piece);
		plen[nb - 1] = HIPC_NET_FRAG_HDR + piece;
		off += piece;
	}
	/* Back to back: the remote is rung once for them all. */
	for (i = 0; i < nb; i++) {
		if (hipc_rpmsg_send_nocopy(&n->frag_ept, n->peer_frag, buf[i],
					   plen[i]) < 0) {
			/* the rest go back; the remote gives the frame up
			 * when our next one starts */
			hipc_rpmsg_release_tx(dev, buf[i]);
			p->tx_errors++;
			for (i++; i < nb; i++)
				hipc_rpmsg_release_tx(dev, buf[i]);
			return;
		}
	}
	p->tx_packets++;
	p->tx_bytes += total;
	return;
release:
	for (i = 0; i < nb; i++)
		hipc_rpmsg_release_tx(dev, buf[i]);
}

/* One frame read from @p's TAP into frame + VLAN_TAG_LEN, @len bytes. */
static void to_remote(struct net_port *p, size_t len)
{
	struct net *n = p->n;
	uint8_t *f = frame + VLAN_TAG_LEN;
	int ret;

	if (len < ETH_HLEN || len > ETH_HLEN + n->mtu) {
		p->tx_errors++;
		return;
	}
	if (!n->ept.dev) {
		p->tx_dropped++; /* the remote is down */
		return;
	}
	send_hello(n);
	if (len > ETH_HLEN + n->mtu1) {
		if (n->frag)
			send_frags(p, len);
		else
			p->tx_errors++; /* the MTU went down meanwhile */
		return;
	}
	if (p->vid) {
		len = hipc_net_vlan_tag(frame, len, p->vid);
		f = frame;
	}
	ret = hipc_rpmsg_send_ex(&n->ept, HIPC_RPMSG_ADDR_ANY,
				 HIPC_RPMSG_ADDR_ANY, f, len,
				 HIPC_RPMSG_NO_WAIT);
	if (ret == -HIPC_EAGAIN) {
		p->tx_dropped++; /* no free tx buffer: the ring is full */
	} else if (ret < 0) {
		p->tx_errors++;
	} else {
		p->tx_packets++;
		p->tx_bytes += len;
	}
}

/* The frame of @len bytes in @b (a reserved tx buffer) to the remote;
 * with a VLAN, read VLAN_TAG_LEN bytes in, the tag goes in front. */
static void send_reserved(struct net_port *p, uint8_t *b, size_t len)
{
	struct net *n = p->n;
	int ret;

	if (p->vid)
		len = hipc_net_vlan_tag(b, len, p->vid);
	ret = hipc_rpmsg_send_nocopy(&n->ept, HIPC_RPMSG_ADDR_ANY, b, len);
	if (ret < 0) {
		/* still ours after EINVAL/EMSGSIZE; refused harmlessly if
		 * it went */
		hipc_rpmsg_release_tx(n->ept.dev, b);
		p->tx_errors++;
		return;
	}
	p->tx_packets++;
	p->tx_bytes += len;
}

/*
 * Up to TAP_BATCH frames read straight into tx buffers reserved first,
 * then published one after the other: the remote is rung once for the
 * batch (it is still asleep from the first doorbell when the others go
 * in) instead of once for each frame it woke up for, and no frame is
 * copied.  A frame too long for one buffer ends the batch: once the ones
 * before it went, it goes in pieces (fragments on) or is counted as an
 * error.  Returns the frames read; *@empty once the TAP has no more.
 * 0 and not empty: no tx buffer (or the remote is down), for on_tap()'s
 * dropping path.
 */
static unsigned tap_batch(struct net_port *p, unsigned max, bool *empty)
{
	struct net *n = p->n;
	struct hipc_rpmsg_dev *dev = n->ept.dev;
	size_t off = p->vid ? VLAN_TAG_LEN : 0;
	void *buf[TAP_BATCH];
	size_t len[TAP_BATCH];
	uint32_t room[TAP_BATCH];
	unsigned nb = 0, k = 0, reads = 0;
	size_t big = 0;

	if (!dev)
		return 0;
	if (max > TAP_BATCH)
		max = TAP_BATCH;
	while (nb < max && hipc_rpmsg_get_tx_buffer(dev, &buf[nb], &room[nb],
						    HIPC_RPMSG_NO_WAIT) == 0)
		nb++;
	if (!nb)
		return 0;
	while (k < nb && reads < max) {
		/* A frame longer than the buffer spills into frame[], where
		 * it would be had it been read there whole: never cut short. */
		size_t first = room[k] - off;
		struct iovec iov[2] = {
			{ (uint8_t *)buf[k] + off, first },
			{ frame + VLAN_TAG_LEN + first, FRAME_MAX - first },
		};
		ssize_t l;

		do
			l = readv(p->w.fd, iov, 2);
		while (l < 0 && errno == EINTR);
		if (l < 0) {
			if (errno != EAGAIN)
				tap_lost(p, errno);
			*empty = true;
			break;
		}
		reads++;
		if ((size_t)l < ETH_HLEN || (size_t)l > ETH_HLEN + n->mtu) {
			p->tx_errors++; /* the buffer takes the next one */
			continue;
		}
		if ((size_t)l > first) {
			/* In pieces, after the frames read before it. */
			memcpy(frame + VLAN_TAG_LEN, (uint8_t *)buf[k] + off,
			       first);
			big = (size_t)l;
			break;
		}
		len[k++] = (size_t)l;
	}
	if (k || big)
		send_hello(n);
	for (unsigned i = 0; i < k; i++)
		send_reserved(p, buf[i], len[i]);
	for (unsigned i = k; i < nb; i++)
		hipc_rpmsg_release_tx(dev, buf[i]);
	if (big) {
		if (n->frag)
			send_frags(p, big);
		else
			p->tx_errors++; /* the MTU went down meanwhile */
	}
	return reads;
}

static void on_tap(struct hipcd_watch *w, uint32_t events)
{
	struct net_port *p = (struct net_port *)w;
	unsigned done = 0;
	bool empty = false;

	if (events & (EPOLLERR | EPOLLHUP)) {
		tap_lost(p, EBADFD);
		return;
	}
	/* A bounded batch: the loop has other descriptors to serve, and
	 * epoll reports the TAP again if frames are left. */
	while (done < TAP_BUDGET && !empty && p->w.fd >= 0) {
		unsigned n = tap_batch(p, TAP_BUDGET - done, &empty);
		ssize_t len;

		if (n || empty) {
			done += n;
			continue;
		}
		/* No tx buffer, or the remote is down: the frame is read
		 * and dropped (counted), as nothing here waits. */
		do
			len = read(w->fd, frame + VLAN_TAG_LEN, FRAME_MAX);
		while (len < 0 && errno == EINTR);
		if (len < 0) {
			if (errno != EAGAIN)
				tap_lost(p, errno);
			return;
		}
		to_remote(p, (size_t)len);
		done++;
	}
}

static int net_up(struct hipcd_svc *s)
{
	struct hipc_rpmsg_dev *dev = hipc_rproc_rpmsg(s->r->rp);
	struct net *n = s->priv;
	uint32_t payload;
	unsigned mtu;
	int ret;

	if (!dev)
		return -HIPC_ENOTCONN;
	payload = hipc_rpmsg_max_payload(dev);
	if (!n) {
		n = net_new(s);
		if (!n)
			return -HIPC_EIO;
		s->priv = n;
	}
	/* A TAP deleted from outside meanwhile (tap_lost) is made again. */
	for (unsigned i = 0; i < n->nports; i++)
		if (n->port[i].w.fd < 0 && open_tap(&n->port[i]) < 0)
			return -HIPC_EIO;
	if (payload < ETH_HLEN + (n->vlans ? VLAN_TAG_LEN : 0) + MIN_MTU) {
		logf_("%s: buffers of %u payload bytes cannot carry an "
		      "Ethernet frame of %u", s->r->rc.name, (unsigned)payload,
		      MIN_MTU);
		return -HIPC_EMSGSIZE;
	}
	mtu = payload - ETH_HLEN - (n->vlans ? VLAN_TAG_LEN : 0);
	/* One buffer's MTU until the remote answers our offer. */
	for (unsigned i = 0; i < n->nports; i++) {
		ret = set_mtu(n->port[i].ifname, mtu);
		if (ret < 0) {
			logf_("%s: MTU %u: %s", n->port[i].ifname, mtu,
			      strerror(-ret));
			return ret;
		}
	}
	n->mtu = n->mtu1 = mtu;
	n->frag_offer = s->r->rc.net_frag
		? hipc_net_frag_mtu(payload, ETH_HLEN +
					     (n->vlans ? VLAN_TAG_LEN : 0))
		: 0;
	if (n->frag_offer <= mtu)
		n->frag_offer = 0;
	n->frag = false;
	n->peer_frag = HIPC_RPMSG_ADDR_ANY;
	hipc_net_reasm_reset(&n->ra);
	ret = hipc_rpmsg_ept_create(&n->ept, dev, NULL, HIPC_RPMSG_ADDR_ANY,
				    s->addr, on_frame, n);
	if (ret < 0)
		return ret;
	if (n->frag_offer) {
		ret = hipc_rpmsg_ept_create(&n->frag_ept, dev, NULL,
					    HIPC_RPMSG_ADDR_ANY,
					    HIPC_RPMSG_ADDR_ANY, on_frag, n);
		if (ret < 0) {
			hipc_rpmsg_ept_destroy(&n->ept);
			return ret;
		}
	}
	n->hello_sent = false;
	n->caps_sent = false;
	send_hello(n);
	for (unsigned i = 0; i < n->nports; i++)
		set_carrier(&n->port[i], true);
	logf_("%s: %s up, MTU %u", s->r->rc.name, s->path, mtu);
	return 0;
}

static void net_down(struct hipcd_svc *s, bool crashed)
{
	struct net *n = s->priv;

	(void)crashed;
	if (!n)
		return;
	/* Unbound already if the remote crashed or stopped. */
	if (n->ept.dev)
		hipc_rpmsg_ept_destroy(&n->ept);
	if (n->frag_ept.dev)
		hipc_rpmsg_ept_destroy(&n->frag_ept);
	n->frag = false;
	for (unsigned i = 0; i < n->nports; i++)
		set_carrier(&n->port[i], false);
}

static void net_destroy(struct hipcd_svc *s)
{
	struct net *n = s->priv;

	if (!n)
		return;
	if (n->ept.dev)
		hipc_rpmsg_ept_destroy(&n->ept);
	if (n->frag_ept.dev)
		hipc_rpmsg_ept_destroy(&n->frag_ept);
	for (unsigned i = 0; i < n->nports; i++)
		close_tap(&n->port[i]);
	s->priv = NULL;
	hipcd_defer_free(n);
}

static void net_stats(struct hipcd_svc *s,
		      void (*emit)(void *ctx, const char *key, uint64_t v),
		      void *ctx)
{
	struct net *n = s->priv;
	struct net_port sum;

	if (!n)
		return;
	memset(&sum, 0, sizeof(sum));
	for (unsigned i = 0; i < n->nports; i++) {
		struct net_port *p = &n->port[i];

		sum.rx_packets += p->rx_packets;
		sum.rx_bytes += p->rx_bytes;
		sum.rx_dropped += p->rx_dropped;
		sum.tx_packets += p->tx_packets;
		sum.tx_bytes += p->tx_bytes;
		sum.tx_dropped += p->tx_dropped;
		sum.tx_errors += p->tx_errors;
		sum.tap_lost += p->tap_lost;
	}
	emit(ctx, "mtu", n->mtu);
	emit(ctx, "rx_packets", sum.rx_packets);
	emit(ctx, "rx_bytes", sum.rx_bytes);
	emit(ctx, "rx_dropped", sum.rx_dropped);
	emit(ctx, "rx_errors", n->rx_errors);
	emit(ctx, "rx_bad_tag", n->rx_bad_tag);
	emit(ctx, "rx_frag_frames", n->ra.frames);
	emit(ctx, "rx_frag_errors", n->ra.errors);
	emit(ctx, "rx_frag_lost", n->ra.lost);
	emit(ctx, "tx_packets", sum.tx_packets);
	emit(ctx, "tx_bytes", sum.tx_bytes);
	emit(ctx, "tx_dropped", sum.tx_dropped);
	emit(ctx, "tx_errors", sum.tx_errors);
	emit(ctx, "tap_lost", sum.tap_lost);
	if (!n->vlans)
		return;
	for (unsigned i = 0; i < n->nports; i++) {
		struct net_port *p = &n->port[i];
		char key[48];
		static const char *const names[] = {
			"rx_packets", "rx_bytes", "rx_dropped",
			"tx_packets", "tx_bytes", "tx_dropped",
		};
		const uint64_t v[] = { p->rx_packets, p->rx_bytes,
				       p->rx_dropped, p->tx_packets,
				       p->tx_bytes, p->tx_dropped };

		for (unsigned k = 0; k < 6; k++) {
			snprintf(key, sizeof(key), "vlan%u_%s",
				 (unsigned)p->vid, names[k]);
			emit(ctx, key, v[k]);
		}
	}
}

static const char *const net_services[] = { "rpmsg-net", NULL };

const struct hipcd_iface hipcd_iface_net = {
	.kind = "net",
	.services = net_services,
	.up = net_up,
	.down = net_down,
	.destroy = net_destroy,
	.stats = net_stats,
};
