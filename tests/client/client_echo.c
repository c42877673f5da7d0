// SPDX-License-Identifier: BSD-3-Clause
/*
 * hipc-client-echo: an application of the endpoint-device library
 * (hipc/rpmsg_char.h), the same binary against hipcd and against a real
 * kernel's /dev/rpmsg_ctrlN.
 *
 *   hipc-client-echo [-w WHERE] [-n COUNT] [-W WINDOW] [-t SECONDS]
 *                    REMOTE:SERVICE...
 *
 * Opens one endpoint per REMOTE:SERVICE (the service must echo), keeps up
 * to WINDOW messages in flight on each, and waits on all of them at once
 * with select().  Every reply is checked: length, sequence number and
 * contents, in order.  Then, where the platform says its payload size (the
 * simulation): EMSGSIZE for a message over max_payload, an empty message
 * echoed as one (not taken for a hang-up), and EXTRA more endpoints on
 * the first REMOTE:SERVICE open at once, each echoing a message, all
 * closed without error.  Prints one line per endpoint and exits 0 when all
 * COUNT messages came back on each.
 * -t: wait up to SECONDS for a remote or service that is not there yet
 * (a kernel still probing), REMOTE "-": the first one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/rpmsg_char.h"

#define MAX_EPTS 8
#define EXTRA 40 /* more than hipcd serves rpmsg_ctrl connections at once */

struct ept {
	struct hipc_rpmsg_char_dev *dev;
	const char *spec;
	uint32_t sent, got;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Message @seq: 4-byte sequence number, then a pattern; 4 to 64 bytes. */
static size_t fill(uint8_t *p, uint32_t seq)
{
	size_t len = 4 + seq % 61;

	memcpy(p, &seq, 4);
	for (size_t i = 4; i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i);
	return len;
}

static int die(const char *what, const char *spec, int err)
{
	fprintf(stderr, "hipc-client-echo: %s: %s: %s\n", spec, what,
		hipc_strerror(err));
	exit(1);
}

/* The next message on @d (non-blocking), waiting up to 10 s: its length,
 * or the error. */
static int echo_back(struct hipc_rpmsg_char_dev *d, void *buf, size_t len)
{
	for (int waited = 0;; waited++) {
		fd_set rd;
		struct timeval tv = { 0, 100000 };
		int r = hipc_rpmsg_char_recv(d, buf, len);

		if (r != -HIPC_EAGAIN || waited == 100)
			return r;
		FD_ZERO(&rd);
		FD_SET(d->fd, &rd);
		select(d->fd + 1, &rd, NULL, NULL, &tv);
	}
}

/* Opens an endpoint on @spec (REMOTE:SERVICE) or dies. */
static struct hipc_rpmsg_char_dev *open_spec(const char *spec)
{
	struct hipc_rpmsg_char_dev *d;
	char remote[64], *colon;
	int ret;

	snprintf(remote, sizeof(remote), "%s", spec);
	colon = strchr(remote, ':');
	*colon = 0;
	ret = hipc_rpmsg_char_open(&d, strcmp(remote, "-") ? remote : NULL,
				   colon + 1, HIPC_CTRL_ADDR_ANY,
				   HIPC_CTRL_ADDR_ANY, NULL, O_NONBLOCK);
	if (ret < 0)
		die("open", spec, ret);
	return d;
}

/* @d echoes message @seq, or the program dies. */
static void echo_one(struct hipc_rpmsg_char_dev *d, const char *spec,
		     uint32_t seq)
{
	uint8_t buf[64], want[64];
	size_t len = fill(want, seq);
	int r = hipc_rpmsg_char_send(d, want, len);

	if (r != (int)len)
		die("send", spec, r < 0 ? r : -HIPC_EIO);
	r = echo_back(d, buf, sizeof(buf));
	if (r != (int)len || memcmp(buf, want, len)) {
		fprintf(stderr, "hipc-client-echo: %s: %s: reply wrong (%d)\n",
			spec, d->path, r);
		exit(1);
	}
}

/*
 * Endpoints of the same name on both sides of a free number: three open,
 * the first closed, a fourth opened.  The kernel gives the fourth the
 * lowest free number, below the third's: the library must open the one
 * it made, not the highest of that name (the third, in use).
 */
static void reopen_below_others(const char *spec)
{
	struct hipc_rpmsg_char_dev *d[3];
	int ret;

	for (unsigned i = 0; i < 3; i++)
		d[i] = open_spec(spec);
	ret = hipc_rpmsg_char_close(d[0]);
	if (ret < 0)
		die("close", spec, ret);
	d[0] = open_spec(spec);
	if (!strcmp(d[0]->path, d[1]->path) || !strcmp(d[0]->path, d[2]->path)) {
		fprintf(stderr, "hipc-client-echo: %s: a new endpoint opened "
			"%s, another's\n", spec, d[0]->path);
		exit(1);
	}
	for (unsigned i = 0; i < 3; i++)
		echo_one(d[i], spec, 2000 + i);
	for (unsigned i = 0; i < 3; i++) {
		ret = hipc_rpmsg_char_close(d[i]);
		if (ret < 0)
			die("close", spec, ret);
	}
	printf("%s: an endpoint reopened below two others: its own device\n",
	       spec);
}

/*
 * hipcd serves 16 rpmsg_ctrl connections per remote at a time: a child
 * holds 16 (each served a request, so all accepted) for 300 ms while this
 * process opens an endpoint.  The library's connections are turned away
 * until the child lets go: the open must still succeed, after the wait.
 */
static void ctrl_connections_all_taken(const char *spec, const char *ept)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct hipc_rpmsg_char_dev *d;
	char *slash, ok;
	int p[2], status;
	double t0;
	pid_t pid;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ept);
	slash = strrchr(sa.sun_path, '/');
	snprintf(slash + 1, sizeof(sa.sun_path) - (size_t)(slash + 1 - sa.sun_path),
		 "rpmsg_ctrl");
	if (pipe(p) < 0)
		die("pipe", spec, -errno);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 16; i++) {
			struct hipc_ctrl_req q = { .op = HIPC_CTRL_LOOKUP };
			struct hipc_ctrl_rsp r;
			int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

			if (fd < 0 ||
			    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
			    send(fd, &q, sizeof(q), 0) != sizeof(q) ||
			    recv(fd, &r, sizeof(r), 0) != sizeof(r))
				_exit(1);
		}
		if (write(p[1], "k", 1) != 1)
			_exit(1);
		usleep(300000);
		_exit(0);
	}
	if (pid < 0 || read(p[0], &ok, 1) != 1) {
		fprintf(stderr, "hipc-client-echo: %s: could not hold 16 "
			"rpmsg_ctrl connections\n", spec);
		exit(1);
	}
	t0 = now_s();
	d = open_spec(spec);
	echo_one(d, spec, 3000);
	if (hipc_rpmsg_char_close(d) < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "hipc-client-echo: %s: close, or the child "
			"holding rpmsg_ctrl, failed\n", spec);
		exit(1);
	}
	close(p[0]);
	close(p[1]);
	printf("%s: rpmsg_ctrl full for 300 ms: the open waited %.0f ms, then "
	       "went through\n", spec, (now_s() - t0) * 1000);
}

/* EXTRA endpoints on @spec's remote and service, all open at once: each
 * echoes a message of its own, then all are closed. */
static void many_at_once(const char *spec)
{
	struct hipc_rpmsg_char_dev *d[EXTRA];

	for (unsigned i = 0; i < EXTRA; i++)
		d[i] = open_spec(spec);
	for (unsigned i = 0; i < EXTRA; i++)
		echo_one(d[i], spec, 1000 + i);
	for (unsigned i = 0; i < EXTRA; i++) {
		int ret = hipc_rpmsg_char_close(d[i]);

		if (ret < 0)
			die("close (many at once)", spec, ret);
	}
	printf("%s: %u more endpoints at once: every one echoed\n", spec,
	       EXTRA);
}

int main(int argc, char **argv)
{
	const char *where = NULL;
	unsigned long count = 10000, window = 8, wait_s = 0;
	struct ept e[MAX_EPTS];
	unsigned n = 0;
	double t0;
	int opt, ret;

	while ((opt = getopt(argc, argv, "w:n:W:t:")) != -1) {
		switch (opt) {
		case 'w':
			where = optarg;
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 'W':
			window = strtoul(optarg, NULL, 10);
			break;
		case 't':
			wait_s = strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr, "usage: hipc-client-echo [-w WHERE] "
				"[-n COUNT] [-W WINDOW] [-t SECONDS] "
				"REMOTE:SERVICE...\n");
			return 2;
		}
	}
	if (optind == argc || argc - optind > MAX_EPTS || !window ||
	    count > UINT32_MAX) {
		fprintf(stderr, "hipc-client-echo: 1 to %u REMOTE:SERVICE, "
			"a window of 1 or more\n", MAX_EPTS);
		return 2;
	}
	t0 = now_s();
	do {
		ret = hipc_rpmsg_char_init(where);
		if (ret == -HIPC_ENOENT && now_s() - t0 < wait_s)
			usleep(10000);
	} while (ret == -HIPC_ENOENT && now_s() - t0 < wait_s);
	if (ret < 0)
		die("init", where ? where : "(default)", ret);
	for (int i = optind; i < argc; i++, n++) {
		char remote[64], *colon;

		snprintf(remote, sizeof(remote), "%s", argv[i]);
		colon = strchr(remote, ':');
		if (!colon) {
			fprintf(stderr, "hipc-client-echo: %s: not "
				"REMOTE:SERVICE\n", argv[i]);
			return 2;
		}
		*colon = 0;
		memset(&e[n], 0, sizeof(e[n]));
		e[n].spec = argv[i];
		for (;;) {
			ret = hipc_rpmsg_char_open(&e[n].dev,
						   strcmp(remote, "-") ? remote
								       : NULL,
						   colon + 1, HIPC_CTRL_ADDR_ANY,
						   HIPC_CTRL_ADDR_ANY, NULL,
						   O_NONBLOCK);
			if (ret != -HIPC_ENOENT || now_s() - t0 >= wait_s)
				break;
			usleep(10000);
		}
		if (ret < 0)
			die("open", argv[i], ret);
		printf("%s: %s, local 0x%x, remote 0x%x, max payload %u\n",
		       argv[i], e[n].dev->path, (unsigned)e[n].dev->local_addr,
		       (unsigned)e[n].dev->remote_addr,
		       (unsigned)e[n].dev->max_payload);
	}
	t0 = now_s();
	for (;;) {
		fd_set rd, wr;
		int maxfd = -1;
		bool done = true;

		FD_ZERO(&rd);
		FD_ZERO(&wr);
		for (unsigned i = 0; i < n; i++) {
			uint8_t buf[64];
			int fd = e[i].dev->fd;

			if (e[i].got == count)
				continue;
			done = false;
			/* Sent whenever the window allows, then select() for
			 * writable only after EAGAIN: the kernel's rpmsg_char
			 * never reports POLLOUT, so a loop that waits for it
			 * before its first write waits forever there. */
			while (e[i].sent < count &&
			       e[i].sent - e[i].got < window) {
				size_t len = fill(buf, e[i].sent);
				int r = hipc_rpmsg_char_send(e[i].dev, buf, len);

				if (r == -HIPC_EAGAIN) {
					FD_SET(fd, &wr);
					break;
				}
				if (r < 0)
					die("send", e[i].spec, r);
				e[i].sent++;
			}
			FD_SET(fd, &rd);
			if (fd > maxfd)
				maxfd = fd;
		}
		if (done)
			break;
		{
			struct timeval tv = { 10, 0 };

			ret = select(maxfd + 1, &rd, &wr, NULL, &tv);
		}
		if (ret == 0) {
			fprintf(stderr, "hipc-client-echo: nothing for 10 s\n");
			return 1;
		}
		if (ret < 0 && errno != EINTR)
			die("select", "-", -errno);
		for (unsigned i = 0; i < n && ret > 0; i++) {
			uint8_t buf[512], want[64];
			int fd = e[i].dev->fd;

			while (FD_ISSET(fd, &rd) && e[i].got < e[i].sent) {
				int r = hipc_rpmsg_char_recv(e[i].dev, buf,
							     sizeof(buf));
				size_t len;

				if (r == -HIPC_EAGAIN)
					break;
				if (r < 0)
					die("recv", e[i].spec, r);
				len = fill(want, e[i].got);
				if ((size_t)r != len || memcmp(buf, want, len)) {
					fprintf(stderr, "hipc-client-echo: %s: "
						"reply %u wrong (%d bytes)\n",
						e[i].spec, (unsigned)e[i].got, r);
					return 1;
				}
				e[i].got++;
			}
		}
	}
	{
		double dt = now_s() - t0;

		for (unsigned i = 0; i < n; i++)
			printf("%s: %lu messages echoed\n", e[i].spec, count);
		printf("%lu messages over %u endpoint(s) in %.3f s: %.0f "
		       "messages/s\n", count * n, n, dt,
		       dt > 0 ? count * n / dt : 0.0);
	}
	/* EMSGSIZE, where the payload size is known (the simulation). */
	for (unsigned i = 0; i < n; i++) {
		static uint8_t big[65536];
		uint32_t max = e[i].dev->max_payload;

		if (!max || max >= sizeof(big))
			continue;
		ret = hipc_rpmsg_char_send(e[i].dev, big, max + 1);
		if (ret != -HIPC_EMSGSIZE) {
			fprintf(stderr, "hipc-client-echo: %s: %u bytes: %d, "
				"not EMSGSIZE\n", e[i].spec, max + 1, ret);
			return 1;
		}
		/* An empty message and its empty echo. */
		if (hipc_rpmsg_char_send(e[i].dev, big, 0) != 0 ||
		    echo_back(e[i].dev, big, sizeof(big)) != 0) {
			fprintf(stderr, "hipc-client-echo: %s: an empty message "
				"did not come back empty\n", e[i].spec);
			return 1;
		}
	}
	if (e[0].dev->max_payload) {
		many_at_once(argv[optind]);
		ctrl_connections_all_taken(argv[optind], e[0].dev->path);
	}
	reopen_below_others(argv[optind]);
	for (unsigned i = 0; i < n; i++) {
		ret = hipc_rpmsg_char_close(e[i].dev);
		if (ret < 0)
			die("close", e[i].spec, ret);
	}
	hipc_rpmsg_char_exit();
	return 0;
}
