/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hipcd and hipcctl end to end: the daemon boots what its configuration
 * names (one remote booted, one attached), hipcctl lists, inspects, stops,
 * starts and reads traces, a killed remote comes back, and SIGTERM stops
 * the booted remote, leaves the attached one running, and removes the
 * control socket.
 */
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "lc_util.h"

#define HIPCD HIPC_BUILD_DIR "/tools/hipcd/hipcd"
#define HIPCCTL HIPC_BUILD_DIR "/tools/hipcctl/hipcctl"

static char dir[64];
static char run[96];

/* Run hipcctl with @args; its stdout in @out; its exit status. */
static int ctl(const char *args, char *out, size_t len)
{
	char cmd[512];
	FILE *p;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "HIPC_RUN_DIR=%s %s %s 2>&1", run, HIPCCTL,
		 args);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	n = fread(out, 1, len - 1, p);
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static pid_t field_pid(const char *status)
{
	const char *p = strstr(status, "\npid ");

	return p ? (pid_t)atoi(p + 5) : -1;
}

static bool wait_for(const char *args, const char *needle, int ms)
{
	char out[4096];

	for (int i = 0; i < ms; i += 5) {
		if (ctl(args, out, sizeof(out)) == 0 && strstr(out, needle))
			return true;
		usleep(5000);
	}
	printf("never saw '%s' in: %s\n", needle, out);
	return false;
}

/* hipcd on @conf, dying with us. */
static pid_t spawn_hipcd(const char *conf)
{
	pid_t d = fork();

	CHECK(d >= 0);
	if (d == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(HIPCD, HIPCD, "-c", conf, (char *)NULL);
		_exit(127);
	}
	return d;
}

HIPC_TEST(daemon_end_to_end)
{
	char conf[128], sock[160], out[8192];
	pid_t d, island, m4_pid, m4_new;
	struct stat st;
	FILE *f;
	int status;

	snprintf(dir, sizeof(dir), "/tmp/hipc-hipcd-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(run, sizeof(run), "%s/run", dir);
	CHECK_EQ(mkdir(run, 0700), 0);
	CHECK_EQ(setenv("HIPC_RUN_DIR", run, 1), 0);

	/* A safety island that booted on its own. */
	snprintf(sock, sizeof(sock), "%s/island.sock", run);
	island = fork();
	CHECK(island >= 0);
	if (island == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(LC_FW, LC_FW, "--standalone", "island", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 5000 && stat(sock, &st) < 0; i++)
		usleep(1000);

	snprintf(conf, sizeof(conf), "%s/hipcd.conf", dir);
	f = fopen(conf, "w");
	CHECK(f != NULL);
	fprintf(f, "# two remotes\n[m4]\nfirmware = %s\npolicy = restart\n"
		   "watchdog_ms = 20\nbackoff_ms = 5\n\n"
		   "[island]\nmode = attach\npolicy = stay\n", LC_FW);
	fclose(f);

	d = spawn_hipcd(conf);
	CHECK(wait_for("list", "island           attached", 5000));
	CHECK(wait_for("list", "m4               running", 5000));

	CHECK_EQ(ctl("status m4", out, sizeof(out)), 0);
	CHECK(strstr(out, "vdev0vring0") && strstr(out, "vdev0vring1") &&
	      strstr(out, "vdev0buffer") && strstr(out, "trace0"));
	m4_pid = field_pid(out);
	CHECK(m4_pid > 0);
	CHECK_EQ(ctl("trace m4", out, sizeof(out)), 0);
	CHECK(strstr(out, "lifecycle: start #1") != NULL);
	CHECK_EQ(ctl("status nosuch", out, sizeof(out)), 1);
	CHECK_EQ(ctl("frobnicate m4", out, sizeof(out)), 2);

	/* Killed: crashed, restarted, counted. */
	CHECK_EQ(kill(m4_pid, SIGKILL), 0);
	CHECK(wait_for("status m4", "restarts    1", 5000));
	CHECK(wait_for("status m4", "state       running", 5000));
	CHECK_EQ(ctl("status m4", out, sizeof(out)), 0);
	CHECK(strstr(out, "killed by signal 9") != NULL);
	m4_new = field_pid(out);
	CHECK(m4_new > 0 && m4_new != m4_pid);

	/* stop, start. */
	CHECK_EQ(ctl("stop m4", out, sizeof(out)), 0);
	CHECK(wait_for("list", "m4               offline", 1000));
	CHECK(kill(m4_new, 0) < 0 && errno == ESRCH);
	CHECK_EQ(ctl("start m4", out, sizeof(out)), 0);
	CHECK(wait_for("list", "m4               running", 5000));
	CHECK_EQ(ctl("status m4", out, sizeof(out)), 0);
	m4_pid = field_pid(out);

	/* SIGTERM: clean exit, booted remote stopped, attached one left
	 * running, socket gone. */
	CHECK_EQ(kill(d, SIGTERM), 0);
	CHECK_EQ(waitpid(d, &status, 0), d);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(kill(m4_pid, 0) < 0 && errno == ESRCH);
	CHECK_EQ(kill(island, 0), 0);
	snprintf(sock, sizeof(sock), "%s/hipcd.sock", run);
	CHECK(stat(sock, &st) < 0);
	CHECK_EQ(ctl("list", out, sizeof(out)), 1);

	CHECK_EQ(kill(island, SIGTERM), 0);
	CHECK_EQ(waitpid(island, &status, 0), island);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(lc_no_children());
	rmdir(run);
	unlink(conf);
	rmdir(dir);
}

/* A configuration it cannot use is refused up front. */
HIPC_TEST(bad_config_refused)
{
	char conf[] = "/tmp/hipc-conf-XXXXXX";
	int fd = mkstemp(conf), status;
	pid_t d;

	CHECK(fd >= 0);
	CHECK(write(fd, "[x]\nmode = sideways\n", 20) == 20);
	close(fd);
	d = spawn_hipcd(conf);
	CHECK_EQ(waitpid(d, &status, 0), d);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	unlink(conf);
}

HIPC_TEST_MAIN(HIPC_CASE(daemon_end_to_end), HIPC_CASE(bad_config_refused))
