/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Network peer firmware: the island's end of an "rpmsg-net" link, whose
 * network stack is a real Linux one.  At start the process moves into a
 * network namespace of its own (unshare), makes a TAP there and carries
 * one Ethernet frame per rpmsg message between it and the endpoint it
 * announces as "rpmsg-net" (docs/interfaces.md, "Network").
 *
 *   hipc-fw-netpeer [--vlans 100,200] [--ip ADDR/LEN]... [--p2p-ip ADDR/LEN]
 *                   [--netns NAME] [--ifname NAME] [--mac ADDR]
 *                   [--hostile[=KIND,...]] [--max-mtu N]
 *
 *   --vlans    frames on the link carry 802.1Q tags: one untagged TAP per
 *              VLAN here (NAME.VID), tagged on the way out, checked and
 *              stripped on the way in (a frame with no tag or another
 *              VLAN's is dropped and counted)
 *   --ip       an IPv4 address for the link's TAP, or for each VLAN's in
 *              the order --vlans gives them
 *   --p2p-ip   the address of the TAP on the static-vring link to a peer
 *              remote (eth1 by default), made when the host hands us one
 *   --netns    also publish the namespace as /run/netns/NAME (ip netns
 *              exec NAME ...), replacing one a previous run left
 *   --ifname   the link TAP's name (default eth0)
 *   --hostile  SIGUSR2 sends the host what no honest island sends (for
 *              its tests): the kinds listed, or all but the CAPS ones
 *              (send_hostile() below)
 *   --max-mtu  the largest MTU offered for frames in fragments (hipc/net.h);
 *              0: none, one frame per message as islands that predate
 *              fragments (default: a frame in 32 pieces at most, 64,750
 *              with 2048-byte buffers)
 *   --mac      the first TAP's MAC address, the others' counting up from
 *              it (as an SoC's ports have theirs fixed): a restarted island
 *              keeps its addresses, so its neighbours' ARP caches stay
 *              right.  Default: random, new on every start.
 *
 * The host learns nothing from us until it speaks: it sends an empty
 * message first (its hello), whose source is where our frames go.  A host
 * that reassembles fragments follows it with its CAPS; we answer with
 * ours, and both TAPs take the smaller offer as their MTU.  A new hello
 * (another host process) starts over at one buffer's MTU.
 * SIGUSR1 writes every counter to the trace (hipcctl trace REMOTE), one
 * line per TAP, after a "netpeer: stats N" line.
 *
 * Built twice: hipc-fw-netpeer with 2048-byte buffers (MTU 2018, or 2014
 * with VLANs: a 1500-byte frame fits), hipc-fw-netpeer-512 with the
 * default 512 (MTU 482) to show a small MTU works too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/net.h"
#include "hipc/remote.h"
#include "hipc/rsc.h"

#ifndef NETPEER_BUF_SIZE
#define NETPEER_BUF_SIZE 2048
#endif

/* VIRTIO_RING_F_EVENT_IDX offered: hipcd maintains used_event, so a burst
 * of frames rings the island once (it is still waking from the first
 * doorbell when the others go in) rather than once per frame. */
HIPC_RSC_TABLE_RPMSG(rsc_table, 256, NETPEER_BUF_SIZE, 16384,
		     HIPC_RSC_F_NS | HIPC_RSC_F_EVENT_IDX);

#define VLAN_TAG_LEN HIPC_NET_VLAN_TAG_LEN
#define MAX_VLANS 8u
#define MIN_MTU 68u        /* IPv4's minimum */
#define TAP_BUDGET 64      /* frames per TAP per loop pass */
#define FRAME_MAX (65536u + 64u) /* a TAP's largest frame, rounded up */
#define P2P_ADDR 1024u     /* both ends of the static-vring link */

/* One TAP in our namespace. */
struct port {
	int fd;
	char ifname[IFNAMSIZ];
	uint16_t vid;      /* 0: untagged on the link */
	bool p2p;          /* on the static-vring link, not the host's */
	struct in_addr ip;
	uint8_t mac[6];
	bool has_mac;
	unsigned prefix;
	bool has_ip;
	uint64_t rx_packets, rx_bytes, rx_dropped, rx_tagged;
	uint64_t tx_packets, tx_bytes, tx_dropped, tx_errors, tx_tagged;
};

static struct {
	struct port port[MAX_VLANS + 1]; /* the link's, then the p2p one */
	unsigned nlink;                  /* link ports: 1, or one per VLAN */
	struct port *p2p;                /* NULL: no peer remote */
	bool vlans;
	struct hipc_rpmsg_ept ept, p2p_ept;
	struct hipc_rpmsg_ept frag_ept; /* the host's pieces come here */
	bool host_known;  /* the host's address is in ept.dst */
	unsigned mtu, p2p_mtu;
	unsigned mtu1;       /* what one buffer carries */
	int max_mtu;         /* --max-mtu; -1: the default */
	unsigned frag_offer; /* the MTU we reassemble (0: no fragments) */
	bool caps_sent;      /* our CAPS went: pieces are welcome */
	bool frag;           /* both offered: big frames in pieces */
	uint32_t host_frag;  /* the host's fragment endpoint */
	uint16_t frag_id;
	struct hipc_net_reasm ra;
	uint64_t rx_errors, rx_bad_tag, p2p_rx_errors;
	int stats_fd;     /* eventfd: SIGUSR1 asks for the counters */
	int hostile_fd;   /* eventfd: SIGUSR2 asks for bad frames (--hostile) */
	unsigned hostile; /* what SIGUSR2 sends: HOSTILE_* */
	uint64_t hostile_sent;
	unsigned stats_seq;
	char netns[128];
} np = { .stats_fd = -1, .hostile_fd = -1, .max_mtu = -1 };

static uint8_t frame[VLAN_TAG_LEN + FRAME_MAX];
static uint8_t ra_buf[VLAN_TAG_LEN + FRAME_MAX];

static int ctl_sock(void)
{
	static int fd = -1;

	if (fd < 0)
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return fd;
}

static int if_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	return ioctl(ctl_sock(), req, ifr) < 0 ? -errno : 0;
}

static int if_up(const char *ifname)
{
	struct ifreq ifr;
	int ret;

	memset(&ifr, 0, sizeof(ifr));
	ret = if_ioctl(ifname, SIOCGIFFLAGS, &ifr);
	if (ret)
		return ret;
	ifr.ifr_flags |= IFF_UP;
	return if_ioctl(ifname, SIOCSIFFLAGS, &ifr);
}

static int set_mtu(struct port *p, unsigned mtu)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_mtu = (int)mtu;
	return if_ioctl(p->ifname, SIOCSIFMTU, &ifr);
}

static void set_carrier(struct port *p, bool on)
{
	int v = on;

	if (ioctl(p->fd, TUNSETCARRIER, &v) < 0)
		hipc_remote_trace("netpeer: %s: carrier: %s\n", p->ifname,
				  strerror(errno));
}

static int set_ip(struct port *p)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int ret;

	memset(&ifr, 0, sizeof(ifr));
	sin->sin_family = AF_INET;
	sin->sin_addr = p->ip;
	ret = if_ioctl(p->ifname, SIOCSIFADDR, &ifr);
	if (ret)
		return ret;
	memset(&ifr, 0, sizeof(ifr));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr =
		p->prefix ? htonl(0xffffffffu << (32 - p->prefix)) : 0;
	return if_ioctl(p->ifname, SIOCSIFNETMASK, &ifr);
}

static int open_tap(struct port *p)
{
	struct ifreq ifr;
	int ret;

	p->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (p->fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->ifname);
	if (ioctl(p->fd, TUNSETIFF, &ifr) < 0)
		return -errno;
	if (p->has_mac) {
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, p->mac, 6);
		ret = if_ioctl(p->ifname, SIOCSIFHWADDR, &ifr);
		if (ret)
			return ret;
	}
	/* No carrier until the link is there: our stack holds its frames. */
	set_carrier(p, false);
	ret = if_up(p->ifname);
	if (ret)
		return ret;
	return p->has_ip ? set_ip(p) : 0;
}

/* --- frames from the link ------------------------------------------------- */

static void to_tap(struct port *p, const struct iovec *iov)
{
	ssize_t w;

	do
		w = writev(p->fd, iov, 2);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		p->rx_dropped++; /* our stack's backlog is full */
		return;
	}
	p->rx_packets++;
	p->rx_bytes += iov[0].iov_len + iov[1].iov_len;
}

static struct port *port_of_vid(uint16_t vid)
{
	for (unsigned i = 0; i < np.nlink; i++)
		if (np.port[i].vid == vid)
			return &np.port[i];
	return NULL;
}

/* A whole frame from the host to its TAP: @head a local copy of its first
 * bytes (the tag decides the TAP, read from there only), @rest what
 * follows them. */
static void deliver(uint8_t *head, const uint8_t *rest, size_t len)
{
	size_t hdr = np.vlans ? ETH_HLEN + VLAN_TAG_LEN : ETH_HLEN;
	struct port *p = &np.port[0];
	struct iovec iov[2];

	if (np.vlans) {
		uint16_t tpid = (uint16_t)(head[12] << 8 | head[13]);
		uint16_t vid = (uint16_t)((head[14] & 0x0f) << 8 | head[15]);

		p = tpid == ETH_P_8021Q ? port_of_vid(vid) : NULL;
		if (!p) {
			np.rx_bad_tag++;
			return;
		}
		p->rx_tagged++;
		iov[0] = (struct iovec){ head, 12 };
		iov[1] = (struct iovec){ (uint8_t *)rest - 2, len - 16 };
	} else {
		iov[0] = (struct iovec){ head, hdr };
		iov[1] = (struct iovec){ (uint8_t *)rest, len - hdr };
	}
	to_tap(p, iov);
}

static void set_link_mtu(unsigned mtu)
{
	for (unsigned i = 0; i < np.nlink; i++) {
		int ret = set_mtu(&np.port[i], mtu);

		if (ret)
			hipc_remote_trace("netpeer: %s: MTU %u: %s\n",
					  np.port[i].ifname, mtu,
					  strerror(-ret));
	}
	np.mtu = mtu;
}

/* Back to one frame per message (a new host, or the link went down). */
static void frag_off(void)
{
	np.caps_sent = false;
	hipc_net_reasm_reset(&np.ra);
	if (np.frag) {
		np.frag = false;
		set_link_mtu(np.mtu1);
	}
}

/* The host's CAPS: answered with ours, then both use the smaller offer. */
static void on_caps(const struct hipc_net_caps *c)
{
	uint8_t caps[HIPC_NET_CAPS_LEN];
	unsigned mtu;

	if (!np.frag_offer || !np.frag_ept.dev ||
	    c->frag_addr == HIPC_RPMSG_ADDR_ANY)
		return; /* as an island without fragments: no answer */
	hipc_net_caps_put(caps, (uint16_t)np.frag_offer, np.frag_ept.addr);
	if (hipc_rpmsg_send_ex(&np.ept, HIPC_RPMSG_ADDR_ANY,
			       HIPC_RPMSG_ADDR_ANY, caps, sizeof(caps),
			       HIPC_RPMSG_NO_WAIT) < 0) {
		/* no buffer: the host keeps the small MTU, and so do we */
		hipc_remote_trace("netpeer: no buffer for the CAPS answer\n");
		return;
	}
	np.caps_sent = true;
	np.host_frag = c->frag_addr;
	mtu = c->max_mtu < np.frag_offer ? c->max_mtu : np.frag_offer;
	np.frag = mtu > np.mtu1;
	set_link_mtu(np.frag ? mtu : np.mtu1);
	hipc_remote_trace("netpeer: fragments %s, MTU %u\n",
			  np.frag ? "on" : "off", np.mtu);
}

/*
 * From the host.  @data is shared memory the host could rewrite while we
 * read it: the header that decides where the frame goes is copied first.
 * @len was checked against the buffer by the core.
 */
static int on_link(struct hipc_rpmsg_ept *e, void *data, size_t len,
		   uint32_t src, void *priv)
{
	size_t hdr = np.vlans ? ETH_HLEN + VLAN_TAG_LEN : ETH_HLEN;
	uint8_t head[ETH_HLEN + VLAN_TAG_LEN];
	struct hipc_net_caps caps;

	(void)priv;
	/* Every message names the host's endpoint: our frames go there. */
	e->dst = src;
	if (!np.host_known) {
		np.host_known = true;
		for (unsigned i = 0; i < np.nlink; i++)
			set_carrier(&np.port[i], true);
		hipc_remote_trace("netpeer: host at 0x%x, link up\n",
				  (unsigned)src);
	}
	if (len == 0) {
		frag_off(); /* the hello: whatever it offers comes next */
		return 0;
	}
	if (hipc_net_caps_get(data, len, &caps)) {
		on_caps(&caps);
		return 0;
	}
	if (len < hdr || len > hdr + np.mtu1) {
		np.rx_errors++;
		return 0;
	}
	memcpy(head, data, hdr);
	deliver(head, (uint8_t *)data + hdr, len);
	return 0;
}

/* A piece of a frame from the host: only after our CAPS went. */
static int on_frag(struct hipc_rpmsg_ept *e, void *data, size_t len,
		   uint32_t src, void *priv)
{
	size_t hdr = np.vlans ? ETH_HLEN + VLAN_TAG_LEN : ETH_HLEN;
	int l;

	(void)e;
	(void)src;
	(void)priv;
	if (!np.caps_sent) {
		np.ra.errors++;
		return 0;
	}
	l = hipc_net_reasm_add(&np.ra, data, len, hdr, hdr + np.frag_offer);
	if (l > 0)
		deliver(np.ra.buf, np.ra.buf + hdr, (size_t)l);
	return 0;
}

/* From the peer remote, over the static vrings: untagged frames. */
static int on_p2p(struct hipc_rpmsg_ept *e, void *data, size_t len,
		  uint32_t src, void *priv)
{
	uint8_t head[ETH_HLEN];
	struct iovec iov[2];

	(void)e;
	(void)src;
	(void)priv;
	if (!np.p2p)
		return 0;
	if (len < ETH_HLEN || len > ETH_HLEN + np.p2p_mtu) {
		np.p2p_rx_errors++;
		return 0;
	}
	memcpy(head, data, ETH_HLEN);
	iov[0] = (struct iovec){ head, ETH_HLEN };
	iov[1] = (struct iovec){ (uint8_t *)data + ETH_HLEN, len - ETH_HLEN };
	to_tap(np.p2p, iov);
	return 0;
}

/* --- frames from our stack ------------------------------------------------ */

/*
 * A frame @f of @len bytes (tagged already), too long for one message, to
 * the host in pieces.  A device reserves few buffers at a time, so each
 * piece goes as soon as it is filled; when the ring runs dry midway the
 * frame is given up (dropped, counted) and the host, seeing our next
 * frame start, drops the pieces it has.
 */
static void send_frags(struct port *p, const uint8_t *f, size_t len)
{
	struct hipc_rpmsg_dev *dev = np.ept.dev;
	uint16_t id = np.frag_id++;
	size_t off = 0;

	for (uint16_t i = 0; off < len; i++) {
		uint32_t room;
		size_t piece;
		void *b;

		if (hipc_rpmsg_get_tx_buffer(dev, &b, &room,
					     HIPC_RPMSG_NO_WAIT) < 0) {
			p->tx_dropped++; /* every buffer is in flight */
			return;
		}
		if (room <= HIPC_NET_FRAG_HDR) {
			hipc_rpmsg_release_tx(dev, b);
			p->tx_errors++;
			return;
		}
		piece = room - HIPC_NET_FRAG_HDR;
		if (piece > len - off)
			piece = len - off;
		hipc_net_frag_hdr_put(b, (uint32_t)len, id, i);
		memcpy((uint8_t *)b + HIPC_NET_FRAG_HDR, f + off, piece);
		if (hipc_rpmsg_send_nocopy(&np.frag_ept, np.host_frag, b,
					   HIPC_NET_FRAG_HDR + piece) < 0) {
			hipc_rpmsg_release_tx(dev, b); /* harmless if it went */
			p->tx_errors++;
			return;
		}
		off += piece;
	}
	p->tx_packets++;
	p->tx_bytes += len;
	if (p->vid)
		p->tx_tagged++;
}

/* One frame read into frame + VLAN_TAG_LEN, @len bytes, from @p. */
static void to_link(struct port *p, size_t len)
{
	struct hipc_rpmsg_ept *e = p->p2p ? &np.p2p_ept : &np.ept;
	unsigned mtu = p->p2p ? np.p2p_mtu : np.mtu;
	uint8_t *f = frame + VLAN_TAG_LEN;
	int ret;

	if (len < ETH_HLEN || len > ETH_HLEN + mtu) {
		p->tx_errors++;
		return;
	}
	if (!e->dev || (!p->p2p && !np.host_known)) {
		p->tx_dropped++; /* the link is down */
		return;
	}
	if (p->vid) {
		len = hipc_net_vlan_tag(frame, len, p->vid);
		f = frame;
	}
	if (!p->p2p && np.frag && len > ETH_HLEN + np.mtu1 +
					(p->vid ? VLAN_TAG_LEN : 0)) {
		send_frags(p, f, len);
		return;
	}
	ret = hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				 f, len, HIPC_RPMSG_NO_WAIT);
	if (ret == -HIPC_EAGAIN) {
		p->tx_dropped++; /* every buffer is in flight */
	} else if (ret < 0) {
		p->tx_errors++;
	} else {
		p->tx_packets++;
		p->tx_bytes += len;
		if (p->vid)
			p->tx_tagged++;
	}
}

static int drain_tap(struct port *p)
{
	int n = 0;

	for (; n < TAP_BUDGET; n++) {
		ssize_t len;

		do
			len = read(p->fd, frame + VLAN_TAG_LEN, FRAME_MAX);
		while (len < 0 && errno == EINTR);
		if (len < 0)
			break;
		to_link(p, (size_t)len);
	}
	return n;
}

static void trace_stats(void)
{
	hipc_remote_trace("netpeer: stats %u rx_errors=%llu rx_bad_tag=%llu "
			  "p2p_rx_errors=%llu rx_frag_frames=%llu "
			  "rx_frag_errors=%llu rx_frag_lost=%llu mtu=%u\n",
			  ++np.stats_seq,
			  (unsigned long long)np.rx_errors,
			  (unsigned long long)np.rx_bad_tag,
			  (unsigned long long)np.p2p_rx_errors,
			  (unsigned long long)np.ra.frames,
			  (unsigned long long)np.ra.errors,
			  (unsigned long long)np.ra.lost, np.mtu);
	for (unsigned i = 0; i < np.nlink + (np.p2p ? 1u : 0u); i++) {
		struct port *p = &np.port[i];

		hipc_remote_trace("netpeer: %s vid=%u rx_packets=%llu "
				  "rx_bytes=%llu rx_dropped=%llu "
				  "rx_tagged=%llu\n", p->ifname,
				  (unsigned)p->vid,
				  (unsigned long long)p->rx_packets,
				  (unsigned long long)p->rx_bytes,
				  (unsigned long long)p->rx_dropped,
				  (unsigned long long)p->rx_tagged);
		hipc_remote_trace("netpeer: %s vid=%u tx_packets=%llu "
				  "tx_bytes=%llu tx_dropped=%llu "
				  "tx_errors=%llu tx_tagged=%llu\n", p->ifname,
				  (unsigned)p->vid,
				  (unsigned long long)p->tx_packets,
				  (unsigned long long)p->tx_bytes,
				  (unsigned long long)p->tx_dropped,
				  (unsigned long long)p->tx_errors,
				  (unsigned long long)p->tx_tagged);
	}
}

/*
 * --hostile, on SIGUSR2: what a broken or malicious island could send the
 * host, for the tests of the host's checks.  Each kind on its own, in this
 * order, all on the link's endpoint but the pieces: the host takes them in
 * that order, so a test that waits for the count of a later kind knows the
 * earlier ones were seen.
 *
 *   caps       a CAPS the host did not ask for (it sent none): offering
 *              65535 and naming our fragment endpoint (or the link's)
 *   caps-anon  a CAPS offering 65535 and naming no endpoint (ANY)
 *   short      ten messages too short to be a frame (1 to 10 bytes)
 *   untagged   ten 64-byte frames without a VLAN tag (with VLANs on the
 *              host, bad tags; with none, it delivers them)
 *   foreign    (needs --vlans) ten frames tagged with VLANs we do not
 *              have: 0 (a priority tag), 4095 (reserved), then the lowest
 *              ids not ours (foreign to the host too when it serves the
 *              same list, as its tests configure it)
 *   longest    one frame of exactly one message's payload, EtherType
 *              0x88b5 and "LONGEST" (tagged with our first VLAN): the
 *              longest a remote can send, which the host delivers; then
 *              one byte more, which our own core refuses (-EMSGSIZE), as
 *              the host's refuses such a message from one that writes its
 *              rings by hand
 *   frags      (with fragments on) seven pieces the host must refuse and a
 *              frame given up midway, none of which completes a frame
 *
 * Without a list: all but the two CAPS kinds, which would change what the
 * link agreed on; foreign only with --vlans.
 */
enum {
	HOSTILE_CAPS = 1u << 0,
	HOSTILE_CAPS_ANON = 1u << 1,
	HOSTILE_SHORT = 1u << 2,
	HOSTILE_UNTAGGED = 1u << 3,
	HOSTILE_FOREIGN = 1u << 4,
	HOSTILE_LONGEST = 1u << 5,
	HOSTILE_FRAGS = 1u << 6,
	HOSTILE_ALL = HOSTILE_SHORT | HOSTILE_UNTAGGED | HOSTILE_FOREIGN |
		      HOSTILE_LONGEST | HOSTILE_FRAGS,
};

static const struct {
	const char *name;
	unsigned bit;
} hostile_kinds[] = {
	{ "caps", HOSTILE_CAPS },       { "caps-anon", HOSTILE_CAPS_ANON },
	{ "short", HOSTILE_SHORT },     { "untagged", HOSTILE_UNTAGGED },
	{ "foreign", HOSTILE_FOREIGN }, { "longest", HOSTILE_LONGEST },
	{ "frags", HOSTILE_FRAGS },
};
#define HOSTILE_KINDS (sizeof(hostile_kinds) / sizeof(hostile_kinds[0]))

/* One hostile message of @len bytes on the link's endpoint. */
static int hostile_send(const void *m, size_t len)
{
	int ret = hipc_rpmsg_send_ex(&np.ept, HIPC_RPMSG_ADDR_ANY,
				     HIPC_RPMSG_ADDR_ANY, m, len,
				     HIPC_RPMSG_NO_WAIT);

	if (ret >= 0)
		np.hostile_sent++;
	return ret;
}

/* One hostile piece: @n bytes of a frame said to be @total long. */
static void hostile_piece(uint32_t total, uint16_t id, uint16_t index,
			  size_t n)
{
	uint8_t b[HIPC_NET_FRAG_HDR + 64];

	memset(b, 0xee, sizeof(b));
	hipc_net_frag_hdr_put(b, total, id, index);
	if (hipc_rpmsg_send_ex(&np.frag_ept, HIPC_RPMSG_ADDR_ANY, np.host_frag,
			       b, HIPC_NET_FRAG_HDR + n,
			       HIPC_RPMSG_NO_WAIT) >= 0)
		np.hostile_sent++;
}

/* Seven pieces the host's reassembly must refuse, each counted once as an
 * error, and one frame given up midway (counted as lost). */
static void send_hostile_frags(void)
{
	hostile_piece(100, 1, 0, 0);      /* a header and no data */
	hostile_piece(10, 2, 0, 10);      /* shorter than a link header */
	hostile_piece(70000, 3, 0, 64);   /* longer than the MTU offered */
	hostile_piece(100, 4, 3, 50);     /* index 3, no frame under way */
	hostile_piece(100, 5, 0, 50);     /* fine so far, */
	hostile_piece(100, 6, 1, 50);     /* but another id */
	hostile_piece(100, 7, 0, 60);     /* fine so far, */
	hostile_piece(100, 7, 1, 60);     /* but past its total */
	hostile_piece(100, 8, 0, 50);     /* given up by */
	hostile_piece(100, 9, 0, 50);     /* the next frame, */
	hostile_piece(101, 9, 1, 50);     /* whose total changes */
}

/* Ten frames tagged with VLANs not ours: 0, 4095, then the lowest ids. */
static void send_hostile_foreign(uint8_t *f, size_t len)
{
	uint16_t next = 1, v;

	for (int i = 0; i < 10; i++) {
		if (i < 2) {
			v = i ? 4095 : 0;
		} else {
			while (port_of_vid(next))
				next++;
			v = next++;
		}
		f[12] = (uint8_t)(HIPC_NET_TPID_8021Q >> 8);
		f[13] = (uint8_t)HIPC_NET_TPID_8021Q;
		f[14] = (uint8_t)(v >> 8);
		f[15] = (uint8_t)v;
		f[16] = 0x88;
		f[17] = 0xb5;
		memcpy(f + 18, "HOSTILE", 7);
		hostile_send(f, len);
	}
}

/* The longest frame a message carries, delivered; one byte more, refused
 * here.  @f has room for one message's payload and a byte. */
static void send_hostile_longest(uint8_t *f, size_t room)
{
	size_t max = hipc_rpmsg_max_payload(np.ept.dev), o = 12;
	int ret;

	if (max + 1 > room)
		return; /* not built for these buffers: no frame to send */
	memset(f, 0, max + 1);
	memset(f, 0xff, 6);                 /* broadcast */
	f[6] = 0x02;                        /* from a local unicast address */
	f[11] = 0x01;
	if (np.vlans) {
		f[12] = (uint8_t)(HIPC_NET_TPID_8021Q >> 8);
		f[13] = (uint8_t)HIPC_NET_TPID_8021Q;
		f[14] = (uint8_t)(np.port[0].vid >> 8);
		f[15] = (uint8_t)np.port[0].vid;
		o = 16;
	}
	f[o] = 0x88;
	f[o + 1] = 0xb5;
	memcpy(f + o + 2, "LONGEST", 7);
	hostile_send(f, max);
	ret = hostile_send(f, max + 1);
	hipc_remote_trace("netpeer: hostile: %zu bytes: %s\n", max + 1,
			  ret < 0 ? hipc_strerror(ret) : "sent");
}

static void send_hostile(void)
{
	static uint8_t f[NETPEER_BUF_SIZE]; /* a payload and a byte */
	uint8_t caps[HIPC_NET_CAPS_LEN];
	unsigned k = np.hostile;

	if (!np.ept.dev || !np.host_known)
		return;
	if (k & HOSTILE_CAPS) {
		hipc_net_caps_put(caps, HIPC_NET_MTU_MAX,
				  np.frag_ept.dev ? np.frag_ept.addr
						  : np.ept.addr);
		hostile_send(caps, sizeof(caps));
	}
	if (k & HOSTILE_CAPS_ANON) {
		hipc_net_caps_put(caps, HIPC_NET_MTU_MAX, HIPC_RPMSG_ADDR_ANY);
		hostile_send(caps, sizeof(caps));
	}
	memset(f, 0xff, 12);        /* broadcast, from ff:..: nonsense */
	f[12] = 0x88;               /* local experimental EtherType */
	f[13] = 0xb5;
	memcpy(f + 14, "HOSTILE", 7);
	memset(f + 21, 0, 64 - 21);
	if (k & HOSTILE_SHORT)
		for (size_t len = 1; len <= 10; len++)
			hostile_send(f, len);
	if (k & HOSTILE_UNTAGGED)
		for (int i = 0; i < 10; i++)
			hostile_send(f, 64);
	if ((k & HOSTILE_FOREIGN) && np.vlans)
		send_hostile_foreign(f, 64);
	if (k & HOSTILE_LONGEST)
		send_hostile_longest(f, sizeof(f));
	if ((k & HOSTILE_FRAGS) && np.frag)
		send_hostile_frags();
	hipc_remote_trace("netpeer: hostile: %llu sent\n",
			  (unsigned long long)np.hostile_sent);
}

/* Set by the signal handlers; the eventfds only wake the loop.  Looked at
 * on every pass, so the eventfds are read only when a signal came: a
 * read per pass would be two system calls per frame for nothing. */
static volatile sig_atomic_t stats_asked, hostile_asked;

static int poll_cb(struct hipc_rpmsg_dev *dev, void *ctx)
{
	uint64_t v;
	int n = 0;

	(void)dev;
	(void)ctx;
	if (stats_asked) {
		stats_asked = 0;
		if (read(np.stats_fd, &v, sizeof(v)) < 0)
			v = 0; /* drained already: the flag says enough */
		trace_stats();
	}
	if (hostile_asked && np.hostile_fd >= 0) {
		hostile_asked = 0;
		if (read(np.hostile_fd, &v, sizeof(v)) < 0)
			v = 0;
		send_hostile();
	}
	for (unsigned i = 0; i < np.nlink; i++)
		n += drain_tap(&np.port[i]);
	if (np.p2p)
		n += drain_tap(np.p2p);
	return n;
}

static unsigned wait_fds(void *ctx, int *fds, unsigned max)
{
	unsigned n = 0;

	(void)ctx;
	if (n < max)
		fds[n++] = np.stats_fd;
	if (np.hostile_fd >= 0 && n < max)
		fds[n++] = np.hostile_fd;
	for (unsigned i = 0; i < np.nlink && n < max; i++)
		fds[n++] = np.port[i].fd;
	if (np.p2p && n < max)
		fds[n++] = np.p2p->fd;
	return n;
}

/* --- the devices ---------------------------------------------------------- */

static int start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	uint32_t payload = hipc_rpmsg_max_payload(dev);
	size_t hdr = np.vlans ? ETH_HLEN + VLAN_TAG_LEN : ETH_HLEN;
	int ret;

	(void)ctx;
	if (payload < hdr + MIN_MTU) {
		hipc_remote_trace("netpeer: %u-byte payloads: too small for "
				  "Ethernet\n", (unsigned)payload);
		return -HIPC_EMSGSIZE;
	}
	np.mtu1 = payload - (unsigned)hdr;
	set_link_mtu(np.mtu1);
	np.frag = false;
	np.caps_sent = false;
	hipc_net_reasm_reset(&np.ra);
	np.frag_offer = np.max_mtu < 0 ? hipc_net_frag_mtu(payload, hdr)
				       : (unsigned)np.max_mtu;
	if (np.frag_offer <= np.mtu1)
		np.frag_offer = 0;
	np.host_known = false;
	hipc_remote_trace("netpeer: up, announcing rpmsg-net, MTU %u%s, "
			  "fragments up to %u\n", np.mtu, np.vlans ? ", VLANs" : "",
			  np.frag_offer);
	/* The fragment endpoint first: our CAPS gives its address. */
	if (np.frag_offer) {
		ret = hipc_rpmsg_ept_create(&np.frag_ept, dev, NULL,
					    HIPC_RPMSG_ADDR_ANY,
					    HIPC_RPMSG_ADDR_ANY, on_frag, NULL);
		if (ret)
			return ret;
	}
	return hipc_rpmsg_ept_create(&np.ept, dev, "rpmsg-net",
				     HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				     on_link, NULL);
}

static void stop(struct hipc_rpmsg_dev *dev, void *ctx)
{
	(void)dev;
	(void)ctx;
	np.host_known = false;
	np.frag = false;
	np.caps_sent = false;
	for (unsigned i = 0; i < np.nlink; i++)
		set_carrier(&np.port[i], false);
	hipc_remote_trace("netpeer: host link down\n");
	trace_stats();
}

static int p2p_start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	uint32_t payload = hipc_rpmsg_max_payload(dev);
	int ret;

	(void)ctx;
	if (!np.p2p)
		return 0;
	if (payload < ETH_HLEN + MIN_MTU) {
		hipc_remote_trace("netpeer: peer link payloads of %u bytes: "
				  "too small for Ethernet\n",
				  (unsigned)payload);
		return 0;
	}
	np.p2p_mtu = payload - ETH_HLEN;
	ret = set_mtu(np.p2p, np.p2p_mtu);
	if (ret)
		hipc_remote_trace("netpeer: %s: MTU %u: %s\n", np.p2p->ifname,
				  np.p2p_mtu, strerror(-ret));
	ret = hipc_rpmsg_ept_create(&np.p2p_ept, dev, NULL, P2P_ADDR, P2P_ADDR,
				    on_p2p, NULL);
	if (ret)
		return ret;
	set_carrier(np.p2p, true);
	hipc_remote_trace("netpeer: peer link up (%s end), %s MTU %u\n",
			  hipc_rpmsg_role(dev) == HIPC_RPMSG_DRIVER ? "driver"
								    : "device",
			  np.p2p->ifname, np.p2p_mtu);
	return 0;
}

static void p2p_stop(struct hipc_rpmsg_dev *dev, void *ctx)
{
	(void)dev;
	(void)ctx;
	if (np.p2p)
		set_carrier(np.p2p, false);
	hipc_remote_trace("netpeer: peer link down\n");
}

static const struct hipc_firmware fw = {
	.name = NETPEER_BUF_SIZE == 2048 ? "netpeer" : "netpeer-small",
	.rsc = &rsc_table,
	.rsc_size = sizeof(rsc_table),
	.start = start,
	.stop = stop,
	.poll = poll_cb,
	.p2p_start = p2p_start,
	.p2p_stop = p2p_stop,
	.wait_fds = wait_fds,
};

/* --- the process: arguments, namespace, TAPs ------------------------------ */

static void on_usr(int sig)
{
	uint64_t one = 1;

	if (sig == SIGUSR1)
		stats_asked = 1;
	else
		hostile_asked = 1;
	if (write(sig == SIGUSR1 ? np.stats_fd : np.hostile_fd, &one,
		  sizeof(one)) < 0)
		return; /* a counter at its limit is still readable */
}

static int parse_ip(const char *s, struct port *p)
{
	char buf[32], *slash;
	unsigned long pfx = 24;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		char *end;

		*slash = 0;
		pfx = strtoul(slash + 1, &end, 10);
		if (*end || end == slash + 1 || pfx > 32)
			return -1;
	}
	if (inet_pton(AF_INET, buf, &p->ip) != 1)
		return -1;
	p->prefix = (unsigned)pfx;
	p->has_ip = true;
	return 0;
}

static int parse_vlans(const char *s, uint16_t *vids, unsigned *n)
{
	const char *q = s;

	*n = 0;
	while (*q) {
		char *end;
		unsigned long v = strtoul(q, &end, 10);

		if (end == q || v < 1 || v > 4094 || *n == MAX_VLANS)
			return -1;
		for (unsigned i = 0; i < *n; i++)
			if (vids[i] == v)
				return -1;
		vids[(*n)++] = (uint16_t)v;
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		q = end;
	}
	return *n ? 0 : -1;
}

/* /run/netns/NAME: a bind mount of our namespace, as "ip netns add" makes. */
static int publish_netns(const char *name)
{
	char path[128];
	int fd;

	if (strchr(name, '/') || !*name || name[0] == '.')
		return -EINVAL;
	if (strlen(name) > 64)
		return -ENAMETOOLONG;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	if (mkdir("/run/netns", 0755) < 0 && errno != EEXIST)
		return -errno;
	/* A previous run's, left by a crash: ours replaces it. */
	umount2(path, MNT_DETACH);
	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
	if (fd < 0)
		return -errno;
	close(fd);
	if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
		return -errno;
	snprintf(np.netns, sizeof(np.netns), "%s", path);
	return 0;
}

/* 0 (no fragments), or an MTU from IPv4's least to an IP datagram's
 * largest. */
static int parse_mtu(const char *s, int *mtu)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s || *end || (v && (v < MIN_MTU || v > HIPC_NET_MTU_MAX)))
		return -1;
	*mtu = (int)v;
	return 0;
}

/* --hostile=KIND,KIND...: the kinds named in send_hostile()'s comment. */
static int parse_hostile(const char *s, unsigned *kinds)
{
	*kinds = 0;
	while (*s) {
		size_t len = strcspn(s, ",");
		unsigned i;

		for (i = 0; i < HOSTILE_KINDS; i++)
			if (strlen(hostile_kinds[i].name) == len &&
			    !strncmp(s, hostile_kinds[i].name, len))
				break;
		if (i == HOSTILE_KINDS)
			return -1;
		*kinds |= hostile_kinds[i].bit;
		s += len;
		if (*s == ',' && *++s == 0)
			return -1;
	}
	return *kinds ? 0 : -1;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned v[6];
	char end;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	/* A unicast address: the multicast bit clear. */
	return mac[0] & 1 ? -1 : 0;
}

static void usage(void)
{
	printf("netpeer options: [--vlans ID,ID...] [--ip ADDR/LEN]... "
	       "[--p2p-ip ADDR/LEN]\n"
	       "                 [--netns NAME] [--ifname NAME] [--mac ADDR] "
	       "[--hostile[=KIND,...]]\n"
	       "                 [--max-mtu N]  (0: no fragments)\n"
	       "  Runs in a network namespace of its own, with a TAP per "
	       "link (one per VLAN).\n");
}

int main(int argc, char **argv)
{
	const char *ifname = "eth0", *netns = NULL;
	struct port ips[MAX_VLANS], p2pip;
	uint16_t vids[MAX_VLANS];
	uint8_t mac[6] = { 0 }; /* all zero: not given */
	bool mac_set, hostile_list = false;
	unsigned nvids = 0, nips = 0;
	struct sigaction sa;
	int ret, status;

	memset(&p2pip, 0, sizeof(p2pip));
	hipc_net_reasm_init(&np.ra, ra_buf, sizeof(ra_buf));
	memset(ips, 0, sizeof(ips));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool bad = false;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage();
			return hipc_remote_main(&fw, argc, argv);
		}
		if (!strcmp(a, "--vlans"))
			bad = !v || parse_vlans(v, vids, &nvids);
		else if (!strcmp(a, "--ip"))
			bad = !v || nips == MAX_VLANS ||
			      parse_ip(v, &ips[nips++]);
		else if (!strcmp(a, "--p2p-ip"))
			bad = !v || parse_ip(v, &p2pip);
		else if (!strcmp(a, "--hostile")) {
			np.hostile = HOSTILE_ALL;
			continue;
		} else if (!strncmp(a, "--hostile=", 10)) {
			if (parse_hostile(a + 10, &np.hostile)) {
				fprintf(stderr, "netpeer: bad %s\n", a);
				return 2;
			}
			hostile_list = true;
			continue;
		} else if (!strcmp(a, "--netns"))
			netns = v;
		else if (!strcmp(a, "--ifname"))
			ifname = v;
		else if (!strcmp(a, "--mac"))
			bad = !v || parse_mac(v, mac);
		else if (!strcmp(a, "--max-mtu"))
			bad = !v || parse_mtu(v, &np.max_mtu);
		else
			continue; /* the runtime's (--standalone, ...) */
		if (bad || !v) {
			fprintf(stderr, "netpeer: bad %s %s\n", a, v ? v : "");
			return 2;
		}
		i++;
	}
	mac_set = mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5];
	if (strlen(ifname) > IFNAMSIZ - 1 - (nvids ? 5 : 0)) {
		fprintf(stderr, "netpeer: interface name %s too long\n", ifname);
		return 2;
	}
	if ((np.hostile & HOSTILE_FOREIGN) && hostile_list && !nvids) {
		fprintf(stderr, "netpeer: --hostile=foreign needs --vlans\n");
		return 2;
	}
	if (nips > (nvids ? nvids : 1u)) {
		fprintf(stderr, "netpeer: more --ip than interfaces\n");
		return 2;
	}
	/* Our own network stack: the island's, not the host's. */
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "netpeer: unshare(CLONE_NEWNET): %s (needs "
			"CAP_SYS_ADMIN)\n", strerror(errno));
		return 2;
	}
	if (netns && (ret = publish_netns(netns)) < 0) {
		fprintf(stderr, "netpeer: /run/netns/%s: %s\n", netns,
			strerror(-ret));
		return 2;
	}
	if_up("lo");
	np.vlans = nvids > 0;
	np.nlink = np.vlans ? nvids : 1;
	for (unsigned i = 0; i < np.nlink; i++) {
		struct port *p = &np.port[i];

		if (i < nips)
			*p = ips[i];
		p->vid = np.vlans ? vids[i] : 0;
		if (p->vid)
			snprintf(p->ifname, sizeof(p->ifname), "%.9s.%u",
				 ifname, (unsigned)p->vid);
		else
			snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
	}
	/* A peer link only when the host handed us one (HIPC_P2P_FD). */
	if (getenv("HIPC_P2P_FD")) {
		np.p2p = &np.port[np.nlink];
		*np.p2p = p2pip;
		np.p2p->p2p = true;
		snprintf(np.p2p->ifname, sizeof(np.p2p->ifname), "eth1");
	}
	for (unsigned i = 0; i < np.nlink + (np.p2p ? 1u : 0u); i++) {
		struct port *p = &np.port[i];

		if (mac_set) {
			memcpy(p->mac, mac, 6);
			p->mac[5] = (uint8_t)(mac[5] + i);
			p->has_mac = true;
		}
		ret = open_tap(p);
		if (ret) {
			fprintf(stderr, "netpeer: TAP %s: %s\n", p->ifname,
				strerror(-ret));
			return 2;
		}
	}
	np.stats_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (np.stats_fd < 0)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	if (np.hostile) {
		np.hostile_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (np.hostile_fd < 0)
			return 2;
		sigaction(SIGUSR2, &sa, NULL);
	}

	/* Nothing may be traced from here on: the trace buffer was in the
	 * region, unmapped by now (the last counters went out in stop()). */
	status = hipc_remote_main(&fw, argc, argv);
	if (np.netns[0]) {
		umount2(np.netns, MNT_DETACH);
		unlink(np.netns);
	}
	return status;
}
