/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Runs inside User-mode Linux (scripts/uml/run.sh), against an hipc
 * firmware served over vhost-user, through the kernel's own interfaces:
 * /dev/rpmsg_ctrl0 (rpmsg_ctrl), /dev/rpmsgN (rpmsg_char), /dev/ttyRPMSGN
 * (rpmsg_tty) and the rpmsg bus in sysfs.
 *
 *   hipc-uml-rpmsg ctrl [ROUNDS]   RPMSG_CREATE_EPT_IOCTL / DESTROY, echo each
 *   hipc-uml-rpmsg echo [N]        N messages of every size 0..496, poll()
 *   hipc-uml-rpmsg tty [MIB]       raw TTY echo, SHA-256 of both directions
 *   hipc-uml-rpmsg vanish          the remote withdraws a service
 *   hipc-uml-rpmsg burst [N]       the remote sends N with the rx ring full
 *   hipc-uml-rpmsg bench           latency (16 B) and throughput (496 B)
 *
 * Prints "RESULT key=value ..." lines; exits 0 on success.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <linux/rpmsg.h>

#define MAX_PAYLOAD 496u
#define IO_TIMEOUT_MS 10000

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						      noreturn));

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("FAIL: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000u, (long)(ms % 1000u) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* Wait until @path exists (@present) or is gone. */
static bool wait_path(const char *path, bool present, unsigned timeout_ms)
{
	for (unsigned t = 0; t <= timeout_ms; t += 10) {
		if (exists(path) == present)
			return true;
		sleep_ms(10);
	}
	return false;
}

/* --- SHA-256 (FIPS 180-4) -------------------------------------------------- */

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t n;
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32u - n));
}

static void sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^
			      (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^
			      (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
			      ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
			      ((a & b) ^ (a & c) ^ (b & c));

		h = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
					0xa54ff53a, 0x510e527f, 0x9b05688c,
					0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->n = 0;
}

static void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->len += len;
	while (len) {
		size_t take = 64 - s->n < len ? 64 - s->n : len;

		memcpy(s->buf + s->n, p, take);
		s->n += take;
		p += take;
		len -= take;
		if (s->n == 64) {
			sha256_block(s, s->buf);
			s->n = 0;
		}
	}
}

static void sha256_hex(struct sha256 *s, char out[65])
{
	uint64_t bits = s->len * 8;
	uint8_t pad = 0x80, zero = 0, be[8];

	sha256_update(s, &pad, 1);
	while (s->n != 56)
		sha256_update(s, &zero, 1);
	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, be, 8);
	for (int i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

/* --- the rpmsg bus in sysfs ----------------------------------------------- */

#define BUS_DIR "/sys/bus/rpmsg/devices"

/*
 * Channels are named "<vdev>.<service>.<src>.<dst>".  Return the @nth
 * lowest dst of the channels called @name, or -1.  *@devname gets the
 * channel's directory name.
 */
static long find_service(const char *name, unsigned nth, char *devname,
			 size_t devname_size)
{
	long dsts[32];
	char names[32][256];
	unsigned n = 0;
	struct dirent *de;
	DIR *d = opendir(BUS_DIR);

	if (!d)
		return -1;
	while ((de = readdir(d)) && n < 32) {
		char tmp[256], *dot_dst, *dot_src, *svc;

		snprintf(tmp, sizeof(tmp), "%s", de->d_name);
		dot_dst = strrchr(tmp, '.');
		if (!dot_dst)
			continue;
		*dot_dst = '\0';
		dot_src = strrchr(tmp, '.');
		if (!dot_src)
			continue;
		*dot_src = '\0';
		svc = strchr(tmp, '.');
		if (!svc || strcmp(svc + 1, name) != 0)
			continue;
		dsts[n] = strtol(dot_dst + 1, NULL, 10);
		snprintf(names[n], sizeof(names[n]), "%s", de->d_name);
		n++;
	}
	closedir(d);
	/* lowest first: services are announced in address order */
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && dsts[j - 1] > dsts[j]; j--) {
			long t = dsts[j];
			char tn[256];

			dsts[j] = dsts[j - 1];
			dsts[j - 1] = t;
			memcpy(tn, names[j], sizeof(tn));
			memcpy(names[j], names[j - 1], sizeof(tn));
			memcpy(names[j - 1], tn, sizeof(tn));
		}
	if (nth >= n)
		return -1;
	if (devname)
		snprintf(devname, devname_size, "%s", names[nth]);
	return dsts[nth];
}

static long wait_service(const char *name, unsigned nth, char *devname,
			 size_t size)
{
	for (int t = 0; t < 1000; t++) {
		long dst = find_service(name, nth, devname, size);

		if (dst >= 0)
			return dst;
		sleep_ms(10);
	}
	fail("service %s #%u never appeared on the rpmsg bus", name, nth);
}

/* --- endpoint devices through rpmsg_ctrl ------------------------------------ */

struct ept {
	int fd;
	char dev[64];
};

static unsigned list_rpmsg_class(int *ids, unsigned max)
{
	DIR *d = opendir("/sys/class/rpmsg");
	struct dirent *de;
	unsigned n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		int id;
		char c;

		if (sscanf(de->d_name, "rpmsg%d%c", &id, &c) == 1)
			ids[n++] = id;
	}
	closedir(d);
	return n;
}

static void ept_open(struct ept *e, const char *name, uint32_t dst, int flags)
{
	struct rpmsg_endpoint_info info;
	int before[256], after[256];
	unsigned nb, na;
	int ctrl, id = -1;

	if (!wait_path("/dev/rpmsg_ctrl0", true, 5000))
		fail("/dev/rpmsg_ctrl0 missing");
	nb = list_rpmsg_class(before, 256);
	ctrl = open("/dev/rpmsg_ctrl0", O_RDWR | O_CLOEXEC);
	if (ctrl < 0)
		fail("open /dev/rpmsg_ctrl0: %s", strerror(errno));
	memset(&info, 0, sizeof(info));
	snprintf(info.name, sizeof(info.name), "%s", name);
	info.src = RPMSG_ADDR_ANY;
	info.dst = dst;
	if (ioctl(ctrl, RPMSG_CREATE_EPT_IOCTL, &info) < 0)
		fail("RPMSG_CREATE_EPT_IOCTL %s -> %u: %s", name, dst,
		     strerror(errno));
	close(ctrl);
	na = list_rpmsg_class(after, 256);
	for (unsigned i = 0; i < na && id < 0; i++) {
		bool old = false;

		for (unsigned j = 0; j < nb; j++)
			old |= before[j] == after[i];
		if (!old)
			id = after[i];
	}
	if (id < 0)
		fail("no new /sys/class/rpmsg/rpmsgN after the ioctl");
	snprintf(e->dev, sizeof(e->dev), "/dev/rpmsg%d", id);
	if (!wait_path(e->dev, true, 5000))
		fail("%s never appeared", e->dev);
	e->fd = open(e->dev, O_RDWR | O_CLOEXEC | flags);
	if (e->fd < 0)
		fail("open %s: %s", e->dev, strerror(errno));
}

static void ept_destroy(struct ept *e)
{
	if (ioctl(e->fd, RPMSG_DESTROY_EPT_IOCTL) < 0)
		fail("RPMSG_DESTROY_EPT_IOCTL %s: %s", e->dev, strerror(errno));
	close(e->fd);
	e->fd = -1;
	if (!wait_path(e->dev, false, 5000))
		fail("%s still there after RPMSG_DESTROY_EPT_IOCTL", e->dev);
}

static void wait_io(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do {
		r = poll(&p, 1, IO_TIMEOUT_MS);
	} while (r < 0 && errno == EINTR);
	if (r <= 0)
		fail("no %s within %d ms", events & POLLIN ? "data" : "room",
		     IO_TIMEOUT_MS);
}

static void write_msg(int fd, const void *p, size_t len)
{
	ssize_t n;

	for (;;) {
		n = write(fd, p, len);
		if (n >= 0 || (errno != EINTR && errno != EAGAIN))
			break;
		if (errno == EAGAIN) {
			/* virtio_rpmsg_bus has no poll op for tx room:
			 * POLLOUT never comes; retry shortly */
			sleep_ms(1);
		}
	}
	if (n != (ssize_t)len)
		fail("write of %zu bytes: %zd (%s)", len, n, strerror(errno));
}

static size_t read_msg(int fd, void *p, size_t cap)
{
	ssize_t n;

	for (;;) {
		wait_io(fd, POLLIN);
		n = read(fd, p, cap);
		if (n >= 0)
			return (size_t)n;
		if (errno != EINTR && errno != EAGAIN)
			fail("read: %s", strerror(errno));
	}
}

/* --- echo payloads ------------------------------------------------------------ */

static size_t echo_len(uint32_t seq)
{
	return seq % (MAX_PAYLOAD + 1u);
}

static void echo_fill(uint8_t *p, uint32_t seq)
{
	size_t len = echo_len(seq);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 31u + i * 7u);
	if (len >= 4)
		memcpy(p, &seq, 4);
}

/* --- tests -------------------------------------------------------------------- */

static int t_ctrl(unsigned rounds)
{
	long dst = wait_service("rpmsg-client-sample", 0, NULL, 0);
	double t0 = now_s();

	for (unsigned r = 0; r < rounds; r++) {
		struct ept e;
		char msg[128], back[600];
		size_t n;

		ept_open(&e, "rpmsg-client-sample", (uint32_t)dst, 0);
		snprintf(msg, sizeof(msg), "hello %u from %s", r, e.dev);
		write_msg(e.fd, msg, strlen(msg));
		n = read_msg(e.fd, back, sizeof(back));
		if (n != strlen(msg) || memcmp(back, msg, n))
			fail("round %u: echo mismatch (%zu bytes)", r, n);
		ept_destroy(&e);
	}
	printf("RESULT ctrl_rounds=%u seconds=%.2f\n", rounds, now_s() - t0);
	return 0;
}

/* Pipelined echo through one endpoint; returns seconds taken. */
static double echo_run(int fd, uint32_t count, bool all_sizes, unsigned window)
{
	uint8_t out[MAX_PAYLOAD], in[MAX_PAYLOAD + 16];
	uint32_t sent = 0, got = 0;
	double t0 = now_s();

	while (got < count) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		bool can_send = sent < count && sent - got < window;
		int r;

		/* poll() for input only: the kernel reports no POLLOUT for
		 * rpmsg endpoints (virtio_rpmsg_bus has no poll op), a
		 * non-blocking write says EAGAIN when no tx buffer is free */
		r = poll(&p, 1, can_send ? 0 : IO_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (r == 0 && !can_send))
			fail("echo stalled: sent %u, received %u", sent, got);
		if (r > 0 && (p.revents & POLLIN)) {
			ssize_t n = read(fd, in, sizeof(in));
			size_t want = all_sizes ? echo_len(got) : MAX_PAYLOAD;

			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n < 0)
				fail("read: %s", strerror(errno));
			if (all_sizes)
				echo_fill(out, got);
			else {
				memset(out, 0x5a, sizeof(out));
				memcpy(out, &got, 4);
			}
			if ((size_t)n != want || memcmp(in, out, want))
				fail("echo %u: %zd bytes, want %zu%s", got, n,
				     want, (size_t)n == want ? " (content)" : "");
			got++;
		}
		if (can_send) {
			size_t len = all_sizes ? echo_len(sent) : MAX_PAYLOAD;
			ssize_t n;

			if (all_sizes)
				echo_fill(out, sent);
			else {
				memset(out, 0x5a, sizeof(out));
				memcpy(out, &sent, 4);
			}
			n = write(fd, out, len);
			if (n < 0 && errno == EAGAIN) {
				struct pollfd q = { .fd = fd, .events = POLLIN };

				poll(&q, 1, 1);
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n != (ssize_t)len)
				fail("write %u: %zd (%s)", sent, n,
				     strerror(errno));
			sent++;
		}
	}
	return now_s() - t0;
}

static int t_echo(uint32_t count)
{
	long dst = wait_service("rpmsg-client-sample", 0, NULL, 0);
	struct ept e;
	double s;

	ept_open(&e, "rpmsg-client-sample", (uint32_t)dst, O_NONBLOCK);
	s = echo_run(e.fd, count, true, 32);
	ept_destroy(&e);
	printf("RESULT echo_msgs=%u sizes=0..%u seconds=%.2f msgs_per_s=%.0f\n",
	       count, MAX_PAYLOAD, s, count / s);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int t_bench(void)
{
	long dst = wait_service("rpmsg-client-sample", 0, NULL, 0);
	const unsigned iters = 5000, tput = 20000;
	unsigned slow = 0;
	double *rtt = calloc(iters, sizeof(double));
	struct utsname u;
	struct ept e;
	uint8_t msg[16] = "0123456789abcde", back[600];
	double s;

	if (!rtt)
		fail("out of memory");
	uname(&u);
	ept_open(&e, "rpmsg-client-sample", (uint32_t)dst, 0);
	for (unsigned i = 0; i < 200 + iters; i++) {
		double t0 = now_s();
		size_t n;

		write_msg(e.fd, msg, sizeof(msg));
		n = read_msg(e.fd, back, sizeof(back));
		if (n != sizeof(msg) || memcmp(back, msg, n))
			fail("latency round %u: bad echo", i);
		if (i >= 200) /* the first rounds warm up */
			rtt[i - 200] = (now_s() - t0) * 1e6;
	}
	qsort(rtt, iters, sizeof(double), cmp_double);
	for (unsigned i = 0; i < iters; i++)
		slow += rtt[i] > 1000.0;
	printf("RESULT kernel=%s latency16_us_median=%.1f p90=%.1f p99=%.1f "
	       "min=%.1f max=%.1f over_1ms=%u rounds=%u\n",
	       u.release, rtt[iters / 2], rtt[iters * 90 / 100],
	       rtt[iters * 99 / 100], rtt[0], rtt[iters - 1], slow, iters);
	ept_destroy(&e);
	free(rtt);

	/* messages in flight: the best window depends on how the guest
	 * kernel batches its work, so report a few */
	for (unsigned w = 8; w <= 128; w *= 4) {
		ept_open(&e, "rpmsg-client-sample", (uint32_t)dst, O_NONBLOCK);
		s = echo_run(e.fd, tput, false, w);
		ept_destroy(&e);
		printf("RESULT throughput496 window=%u msgs=%u seconds=%.2f "
		       "msgs_per_s=%.0f MB_per_s_each_way=%.2f\n",
		       w, tput, s, tput / s,
		       tput * (double)MAX_PAYLOAD / s / 1e6);
	}
	return 0;
}

static int tty_raw_open(const char *path)
{
	struct termios t;
	int fd;

	if (!wait_path(path, true, 5000))
		fail("%s never appeared", path);
	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		fail("open %s: %s", path, strerror(errno));
	if (tcgetattr(fd, &t) < 0)
		fail("tcgetattr %s: %s", path, strerror(errno));
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		fail("tcsetattr %s: %s", path, strerror(errno));
	return fd;
}

static uint8_t stream_byte(uint64_t i)
{
	uint64_t x = (i >> 3) * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;

	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 32;
	return (uint8_t)(x >> (8 * (i & 7)));
}

static int t_tty(unsigned mib)
{
	const uint64_t total = (uint64_t)mib << 20;
	const uint64_t window = 16384; /* well below the TTY's flip buffers */
	uint64_t sent = 0, got = 0;
	struct sha256 hs, hr;
	char ds[65], dr[65];
	uint8_t buf[4096];
	double t0;
	int fd;

	sha256_init(&hs);
	sha256_update(&hs, "abc", 3);
	sha256_hex(&hs, ds);
	if (strcmp(ds, "ba7816bf8f01cfea414140de5dae2223"
		       "b00361a396177a9cb410ff61f20015ad"))
		fail("SHA-256 self-test");
	wait_service("rpmsg-tty", 0, NULL, 0);
	fd = tty_raw_open("/dev/ttyRPMSG0");
	sha256_init(&hs);
	sha256_init(&hr);
	t0 = now_s();
	while (got < total) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		bool can_send = sent < total && sent - got < window;
		int r;

		/* rpmsg_tty always says "writable" and fails a write with
		 * ENOMEM while the ring is full: poll briefly instead */
		r = poll(&p, 1, can_send ? 0 : IO_TIMEOUT_MS);
		if (r < 0 && errno != EINTR)
			fail("poll: %s", strerror(errno));
		if (r == 0 && !can_send)
			fail("tty stalled: sent %llu, received %llu",
			     (unsigned long long)sent, (unsigned long long)got);
		if (r > 0 && (p.revents & POLLIN)) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n < 0 && errno != EAGAIN && errno != EINTR)
				fail("read: %s", strerror(errno));
			for (ssize_t i = 0; i < n; i++)
				if (buf[i] != stream_byte(got + (uint64_t)i))
					fail("tty byte %llu differs",
					     (unsigned long long)(got + i));
			if (n > 0) {
				sha256_update(&hr, buf, (size_t)n);
				got += (uint64_t)n;
			}
		}
		if (can_send) {
			size_t len = sizeof(buf);
			ssize_t n;

			if (len > total - sent)
				len = (size_t)(total - sent);
			if (len > window - (sent - got))
				len = (size_t)(window - (sent - got));
			for (size_t i = 0; i < len; i++)
				buf[i] = stream_byte(sent + i);
			n = write(fd, buf, len);
			if (n < 0 && errno != EAGAIN && errno != EINTR &&
			    errno != ENOMEM)
				fail("write: %s", strerror(errno));
			if (n > 0) {
				sha256_update(&hs, buf, (size_t)n);
				sent += (uint64_t)n;
			} else {
				struct pollfd q = { .fd = fd, .events = POLLIN };

				poll(&q, 1, 1);
			}
		}
	}
	sha256_hex(&hs, ds);
	sha256_hex(&hr, dr);
	close(fd);
	printf("RESULT tty_bytes=%llu seconds=%.2f MB_per_s=%.2f sha256_sent=%s "
	       "sha256_received=%s\n",
	       (unsigned long long)total, now_s() - t0,
	       total / (now_s() - t0) / 1e6, ds, dr);
	if (strcmp(ds, dr))
		fail("SHA-256 of what came back differs from what was sent");
	return 0;
}

/* The tty of rpmsg channel @devname, from sysfs. */
static void channel_tty(const char *devname, char *out, size_t size)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), BUS_DIR "/%s/tty", devname);
	for (int t = 0; t < 500; t++) {
		d = opendir(path);
		if (d) {
			while ((de = readdir(d))) {
				if (!strncmp(de->d_name, "ttyRPMSG", 8)) {
					snprintf(out, size, "/dev/%s",
						 de->d_name);
					closedir(d);
					return;
				}
			}
			closedir(d);
		}
		sleep_ms(10);
	}
	fail("no tty under %s", path);
}

static int t_vanish(void)
{
	char dev0[256], dev1[256], tty0[300], tty1[300], path[512], back[64];
	size_t got = 0;
	int fd;

	wait_service("rpmsg-tty", 1, dev1, sizeof(dev1));
	wait_service("rpmsg-tty", 0, dev0, sizeof(dev0));
	channel_tty(dev0, tty0, sizeof(tty0));
	channel_tty(dev1, tty1, sizeof(tty1));
	printf("channels: %s (%s) and %s (%s)\n", dev0, tty0, dev1, tty1);
	fd = tty_raw_open(tty1);
	write_msg(fd, "bye", 3);
	close(fd);
	snprintf(path, sizeof(path), BUS_DIR "/%s", dev1);
	if (!wait_path(path, false, 5000))
		fail("%s still on the bus after the remote withdrew it", dev1);
	if (!wait_path(tty1, false, 5000))
		fail("%s still there after the remote withdrew its service",
		     tty1);
	if (find_service("rpmsg-tty", 1, NULL, 0) >= 0)
		fail("a second rpmsg-tty channel is still listed");
	/* the other channel is untouched */
	fd = tty_raw_open(tty0);
	write_msg(fd, "still here", 10);
	while (got < 10)
		got += read_msg(fd, back + got, sizeof(back) - got);
	if (memcmp(back, "still here", 10))
		fail("%s: echo mismatch after the other channel went", tty0);
	close(fd);
	printf("RESULT vanish=ok removed=%s kept=%s\n", tty1, tty0);
	return 0;
}

static int t_burst(uint32_t count)
{
	long dst = wait_service("hipc-burst", 0, NULL, 0);
	uint8_t buf[600], want[MAX_PAYLOAD];
	unsigned long done = 0, waits = 0;
	char cmd[32];
	struct ept e;
	double t0;
	size_t n;

	ept_open(&e, "hipc-burst", (uint32_t)dst, 0);
	snprintf(cmd, sizeof(cmd), "burst %u", count);
	t0 = now_s();
	write_msg(e.fd, cmd, strlen(cmd));
	/* do not read for a while: the remote keeps sending */
	sleep_ms(500);
	for (uint32_t seq = 0; seq < count; seq++) {
		n = read_msg(e.fd, buf, sizeof(buf));
		memcpy(want, &seq, 4);
		for (uint32_t i = 4; i < MAX_PAYLOAD; i++)
			want[i] = (uint8_t)(seq + i);
		if (n != MAX_PAYLOAD || memcmp(buf, want, MAX_PAYLOAD))
			fail("burst message %u: %zu bytes%s", seq, n,
			     n == MAX_PAYLOAD ? ", wrong content" : "");
	}
	n = read_msg(e.fd, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	if (sscanf((char *)buf, "done %lu waits %lu", &done, &waits) != 2 ||
	    done != count)
		fail("burst summary: '%s'", buf);
	ept_destroy(&e);
	printf("RESULT burst_msgs=%u seconds=%.2f sender_waits=%lu\n", count,
	       now_s() - t0, waits);
	if (waits == 0)
		fail("the remote never had to wait: Linux's rx buffers were "
		     "never all in use");
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long arg = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		goto usage;
	if (!strcmp(argv[1], "ctrl"))
		return t_ctrl(arg ? (unsigned)arg : 20);
	if (!strcmp(argv[1], "echo"))
		return t_echo(arg ? (uint32_t)arg : 100000);
	if (!strcmp(argv[1], "tty"))
		return t_tty(arg ? (unsigned)arg : 10);
	if (!strcmp(argv[1], "vanish"))
		return t_vanish();
	if (!strcmp(argv[1], "burst"))
		return t_burst(arg ? (uint32_t)arg : 20000);
	if (!strcmp(argv[1], "bench"))
		return t_bench();
usage:
	fprintf(stderr,
		"usage: %s ctrl [ROUNDS] | echo [N] | tty [MIB] | vanish | "
		"burst [N] | bench\n",
		argv[0]);
	return 2;
}
