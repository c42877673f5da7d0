// SPDX-License-Identifier: BSD-3-Clause
/*
 * TCP over the TAP interface (docs/interfaces.md, "Network"): hipc-bench
 * starts a hipcd of its own with the network firmware (firmware/netpeer,
 * an island whose network stack is a real Linux one, in a network
 * namespace of its own), gives the host's TAP an address, and forks the
 * protocol's remote side into the island's namespace as a TCP server.
 * Every byte then goes: TCP on the host, a frame on the host's TAP, an
 * rpmsg message through hipcd and the shared ring, the island's TAP, TCP
 * in the island; the count comes back the same way.
 *
 * Needs root and /dev/net/tun (a TAP, a namespace).  The addresses are a
 * /30 of 10.253.0.0/16 picked from our pid, the TAP "hbXXXX" (pid in hex),
 * so two runs side by side do not meet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define TCP_PORT 7357
#define UP_TIMEOUT_MS 10000u

static struct {
	struct bench_daemon d;
	char ifname[IFNAMSIZ];
	struct in_addr host_ip, island_ip;
	pid_t server;
	int fd;
} tcp = { .d = { .remote = "benchnet" }, .fd = -1 };

/* Why the path is not available: for the report, and on stderr. */
static void __attribute__((format(printf, 2, 3)))
why(struct bench_path *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "hipc-bench: tcp: %s\n", p->why);
}

static const char *netpeer_path(char *buf, size_t size)
{
	const char *p = bench_sibling(HIPC_FW_RELDIR "/hipc-fw-netpeer", buf,
				      size);

	if (p)
		return p;
#ifdef HIPC_FW_NETPEER
	return HIPC_FW_NETPEER;
#else
	return NULL;
#endif
}

/* The host's TAP has its carrier once the island announced its link. */
static bool carrier_on(void)
{
	char path[64], c = 0;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", tcp.ifname);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == '1';
}

/* Can we make a TAP here (root, /dev/net/tun, CAP_NET_ADMIN over this
 * network namespace)?  One made and dropped at once says so exactly.
 * 0, or -errno. */
static int tap_check(void)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tcp.ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		ret = -errno;
	close(fd); /* not persistent: gone with the descriptor */
	return ret;
}

static int set_host_ip(void)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = -1;

	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tcp.ifname);
	sin->sin_family = AF_INET;
	sin->sin_addr = tcp.host_ip;
	if (ioctl(s, SIOCSIFADDR, &ifr) == 0) {
		sin->sin_addr.s_addr = htonl(0xfffffffcu); /* a /30 */
		ret = ioctl(s, SIOCSIFNETMASK, &ifr);
	}
	close(s);
	return ret;
}

/*
 * The island's side: in the netpeer's namespace, accept one connection
 * and answer the protocol on it.  @ready: a byte once listening.
 */
static void serve(int nsfd, int ready)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(TCP_PORT),
				  .sin_addr = tcp.island_ip };
	struct pollfd pfd;
	int l, c, one = 1;

	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the bench */
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "hipc-bench: tcp: setns: %s\n", strerror(errno));
		_exit(1);
	}
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 ||
	    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    /* the island may not have its address yet: bind anyway */
	    setsockopt(l, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0) {
		fprintf(stderr, "hipc-bench: tcp: the island's server: %s\n",
			strerror(errno));
		_exit(1);
	}
	if (write(ready, "r", 1) != 1)
		_exit(1);
	close(ready);
	pfd = (struct pollfd){ .fd = l, .events = POLLIN };
	if (poll(&pfd, 1, (int)UP_TIMEOUT_MS) != 1)
		_exit(1);
	c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		_exit(1);
	close(l);
	/* the 8-byte answer goes out at once, not after a delayed ACK */
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bench_serve(c, c);
}

static void tcp_cleanup(void)
{
	if (tcp.fd >= 0)
		close(tcp.fd);
	tcp.fd = -1;
	if (tcp.server > 0) {
		kill(tcp.server, SIGTERM);
		waitpid(tcp.server, NULL, 0);
	}
	tcp.server = 0;
	/* hipcd removes its TAP when it lets the island go; the island's
	 * namespace goes with its last process */
	bench_daemon_stop(&tcp.d);
}

static int tcp_open(struct bench_path *p)
{
	char fw_buf[PATH_MAX], body[PATH_MAX + 256], ns[64], island[32];
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(TCP_PORT) };
	struct timeval tv = { .tv_sec = UP_TIMEOUT_MS / 1000 };
	unsigned idx = (unsigned)getpid() % 16384u;
	int fw_pid = 0, nsfd, ready[2], one = 1, ret;
	const char *fw;
	uint64_t end;
	char c;

	p->why[0] = 0;
	snprintf(tcp.ifname, sizeof(tcp.ifname), "hb%x",
		 (unsigned)getpid() & 0xffffffu);
	ret = tap_check();
	if (ret < 0) {
		why(p, "needs root and /dev/net/tun (a TAP interface, a "
		       "network namespace): /dev/net/tun: %s", strerror(-ret));
		return -1;
	}
	fw = netpeer_path(fw_buf, sizeof(fw_buf));
	if (!fw) {
		why(p, "no %s found", "hipc-fw-netpeer");
		return -1;
	}
	tcp.host_ip.s_addr = htonl(0x0afd0000u | idx << 2 | 1u);
	tcp.island_ip.s_addr = htonl(0x0afd0000u | idx << 2 | 2u);
	inet_ntop(AF_INET, &tcp.island_ip, island, sizeof(island));
	snprintf(body, sizeof(body),
		 "firmware = %s\nargs = --ip %s/30\nnet_name = %s\n"
		 "policy = stay\n", fw,
		 island, tcp.ifname);
	if (bench_daemon_start(&tcp.d, body, "") < 0) {
		why(p, "hipcd with %s would not start", fw);
		return -1;
	}
	end = bench_now_ns() + UP_TIMEOUT_MS * 1000000ull;
	while (!carrier_on()) {
		char state[64];

		/* an island that cannot make its namespace or TAP (no
		 * CAP_NET_ADMIN where it runs, say) stops: said at once */
		if (bench_daemon_state(&tcp.d, state, sizeof(state)) == 0 &&
		    strncmp(state, "running", 7) && strncmp(state, "offline", 7)) {
			why(p, "the island (%s) %s: run with "
			       "HIPC_BENCH_DAEMON_LOG=1 for hipcd's log", fw,
			    state);
			goto fail;
		}
		if (bench_now_ns() > end) {
			why(p, "%s never got its carrier (the island did not "
			       "come up)", tcp.ifname);
			goto fail;
		}
		usleep(2000);
	}
	if (set_host_ip() < 0) {
		why(p, "an address on the TAP: %s", strerror(errno));
		goto fail;
	}
	bench_daemon_pids(&tcp.d, &p->daemon_pid, &fw_pid);
	snprintf(ns, sizeof(ns), "/proc/%d/ns/net", fw_pid);
	nsfd = fw_pid > 0 ? open(ns, O_RDONLY | O_CLOEXEC) : -1;
	if (nsfd < 0) {
		why(p, "the island's namespace: %s",
		    fw_pid > 0 ? strerror(errno) : "no firmware pid");
		goto fail;
	}
	if (pipe2(ready, O_CLOEXEC) < 0) {
		close(nsfd);
		why(p, "pipe: %s", strerror(errno));
		goto fail;
	}
	tcp.server = fork();
	if (tcp.server == 0) {
		close(ready[0]);
		serve(nsfd, ready[1]);
	}
	close(nsfd);
	close(ready[1]);
	if (tcp.server < 0 || read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		why(p, "the island's server did not start");
		goto fail;
	}
	close(ready[0]);
	tcp.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_addr = tcp.island_ip;
	/* a bounded connect: SO_SNDTIMEO applies to it */
	if (tcp.fd < 0 ||
	    setsockopt(tcp.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(tcp.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    connect(tcp.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		why(p, "connect to the island: %s", strerror(errno));
		goto fail;
	}
	tv.tv_sec = 0;
	setsockopt(tcp.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	p->priv = &tcp.d;
	p->peer_pid = fw_pid;
	p->server_pid = tcp.server;
	return 0;
fail:
	tcp_cleanup();
	return -1;
}

static double tcp_transact(struct bench_path *p, size_t block, unsigned n)
{
	(void)p;
	return bench_fd_transact(tcp.fd, tcp.fd, true, 1u << 16, block, n);
}

static void tcp_close(struct bench_path *p)
{
	tcp_cleanup();
	p->peer_pid = p->server_pid = p->daemon_pid = 0;
}

struct bench_path bench_path_tcp = {
	.name = "tcp",
	.what = "TCP over hipcd's TAP to a server in the network firmware's "
		"namespace (firmware/netpeer)",
	.open = tcp_open,
	.transact = tcp_transact,
	.doorbells = bench_daemon_doorbells,
	.close = tcp_close,
};
