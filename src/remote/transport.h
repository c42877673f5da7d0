/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How the firmware runtime reaches its host.  A transport brings a
 * firmware's rpmsg device up over some shared memory and doorbells and
 * runs it until shutdown; the runtime (runtime.c) only picks one, from the
 * command line or the environment, and knows nothing else about it.
 *
 * Adding a transport (a real SoC's UIO or remoteproc memory and mailbox,
 * say) is a file that defines one of these and a line in transports.c.
 */
#ifndef HIPC_REMOTE_TRANSPORT_H
#define HIPC_REMOTE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "hipc/firmware.h"

struct hipc_remote_transport {
	const char *name;
	/* the option that selects it, taking one argument (NULL: none) */
	const char *option;
	const char *arg_name; /* the argument's name in --help */
	/* its lines in --help, each ending in a newline (may be NULL) */
	const char *usage;
	/* nothing on the command line: does the environment select it?
	 * (NULL: never) */
	bool (*from_env)(void);
	/* run @fw; @arg: the option's argument, NULL when chosen by the
	 * environment.  Returns the process exit status. */
	int (*run)(const struct hipc_firmware *fw, const char *arg);
};

/* The transports this build has, in the order the environment is asked;
 * the first is the default when nothing selects one. */
extern const struct hipc_remote_transport *const hipc__transports[];

extern const struct hipc_remote_transport hipc__transport_sim;
extern const struct hipc_remote_transport hipc__transport_vhost_user;

/*
 * Where hipc_remote_trace() copies its text besides stderr (a trace buffer
 * in shared memory, say).  @write NULL: stderr only.
 */
void hipc__remote_trace_sink(void (*write)(void *ctx, const char *s, size_t n),
			     void *ctx);

#endif
