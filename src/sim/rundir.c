/* SPDX-License-Identifier: BSD-3-Clause */
/* The run directory: where standalone remotes and hipcd publish sockets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/sim.h"
#include "port_linux_internal.h"

int hipc_sim_run_dir(char *buf, size_t len, int create)
{
	const char *env = getenv("HIPC_RUN_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/hipc", xdg);
	else
		n = snprintf(buf, len, "/tmp/hipc-%u", (unsigned)getuid());
	if (n < 0 || (size_t)n >= len)
		return -HIPC_ENAMETOOLONG;
	if (create && mkdir(buf, 0700) < 0 && errno != EEXIST)
		return hipc__from_errno(errno);
	if (stat(buf, &st) < 0)
		return hipc__from_errno(errno);
	/* Sockets in here hand out shared memory: nobody else may even list
	 * or create entries.  Passing through (x, 0711) is allowed: hipcd
	 * lets a configured group reach RUN_DIR/REMOTE/, which is that
	 * group's and nobody else's. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 0066))
		return -HIPC_EPERM;
	return 0;
}
