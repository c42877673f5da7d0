/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The endpoint-device library (src/client/rpmsg_char.c) against a daemon
 * that answers its rpmsg_ctrl requests wrongly: an answer of the wrong
 * size, a status above 0 or below -4095 is -HIPC_EPROTO, a hang-up
 * -HIPC_ECONNRESET; a good answer's status is passed on as its code.  The
 * "daemon" is a child of the test listening where hipcd would.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/rpmsg_char.h"
#include "hipc_test.h"

static char dir[64];
static pid_t fake = -1;

static void cleanup(void)
{
	char p[160];

	if (fake > 0) {
		kill(fake, SIGKILL);
		waitpid(fake, NULL, 0);
	}
	snprintf(p, sizeof(p), "%s/m4/rpmsg_ctrl", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/m4", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/hipcd.sock", dir);
	unlink(p);
	rmdir(dir);
}

static int listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	CHECK_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(listen(fd, 8), 0);
	return fd;
}

enum answer {
	ANS_SHORT,    /* 19 bytes */
	ANS_POSITIVE, /* status 1 */
	ANS_TOO_LOW,  /* status -4096 */
	ANS_HANGUP,   /* the connection closed, no answer */
	ANS_ENOENT,   /* a good answer: status -ENOENT */
};

/* The fake daemon: a run directory with hipcd.sock (so the library takes
 * it for hipcd's) and m4/rpmsg_ctrl answering every request with @a. */
static void start_fake(enum answer a)
{
	char p[160];
	int ctl, hs;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/hipc-clientproto-XXXXXX");
		CHECK(mkdtemp(dir) != NULL);
		atexit(cleanup);
	}
	if (fake > 0) {
		kill(fake, SIGKILL);
		waitpid(fake, NULL, 0);
		fake = -1;
	}
	snprintf(p, sizeof(p), "%s/hipcd.sock", dir);
	unlink(p);
	hs = listen_at(p);
	snprintf(p, sizeof(p), "%s/m4", dir);
	if (mkdir(p, 0700) < 0)
		CHECK_EQ(errno, EEXIST);
	snprintf(p, sizeof(p), "%s/m4/rpmsg_ctrl", dir);
	unlink(p);
	ctl = listen_at(p);
	fflush(stdout);
	fake = fork();
	CHECK(fake >= 0);
	if (fake == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			struct hipc_ctrl_req q;
			uint8_t rsp[sizeof(struct hipc_ctrl_rsp)];
			int32_t st;
			size_t n = sizeof(struct hipc_ctrl_rsp);
			int c = accept(ctl, NULL, NULL);

			if (c < 0)
				continue;
			while (recv(c, &q, sizeof(q), 0) > 0) {
				memset(rsp, 0, sizeof(rsp));
				st = a == ANS_POSITIVE  ? 1
				     : a == ANS_TOO_LOW ? -4096
				     : a == ANS_ENOENT  ? -ENOENT
							: 0;
				memcpy(rsp, &st, sizeof(st));
				if (a == ANS_SHORT)
					n = sizeof(struct hipc_ctrl_rsp) - 1;
				if (a == ANS_HANGUP)
					break;
				if (send(c, rsp, n, MSG_NOSIGNAL) < 0)
					break;
			}
			close(c);
		}
	}
	close(ctl);
	close(hs);
}

static int open_through_fake(enum answer a)
{
	struct hipc_rpmsg_char_dev *d = NULL;
	int ret;

	start_fake(a);
	hipc_rpmsg_char_exit();
	CHECK_EQ(hipc_rpmsg_char_init(dir), 0);
	ret = hipc_rpmsg_char_open(&d, "m4", "svc", HIPC_CTRL_ADDR_ANY,
				   HIPC_CTRL_ADDR_ANY, NULL, 0);
	CHECK(d == NULL || ret == 0);
	if (d)
		hipc_rpmsg_char_close(d);
	return ret;
}

HIPC_TEST(malformed_answers_are_protocol_errors)
{
	CHECK_EQ(open_through_fake(ANS_SHORT), -HIPC_EPROTO);
	CHECK_EQ(open_through_fake(ANS_POSITIVE), -HIPC_EPROTO);
	CHECK_EQ(open_through_fake(ANS_TOO_LOW), -HIPC_EPROTO);
	CHECK_EQ(open_through_fake(ANS_HANGUP), -HIPC_ECONNRESET);
	/* the control case: a well-formed refusal is passed on */
	CHECK_EQ(open_through_fake(ANS_ENOENT), -HIPC_ENOENT);
}

HIPC_TEST_MAIN(HIPC_CASE(malformed_answers_are_protocol_errors))
