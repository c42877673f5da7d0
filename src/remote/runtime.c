/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The firmware runtime's entry point: pick a transport (transport.h) from
 * the command line or the environment and hand the firmware to it; and
 * the firmware's trace output.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hipc/remote.h"
#include "transport.h"

static struct {
	void (*write)(void *ctx, const char *s, size_t n);
	void *ctx;
} sink;

void hipc__remote_trace_sink(void (*write)(void *ctx, const char *s, size_t n),
			     void *ctx)
{
	sink.write = write;
	sink.ctx = ctx;
}

static int to_stderr = -1;

void hipc_remote_trace(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	/* HIPC_TRACE_STDERR=0: the trace ring only (hipcctl trace), for a
	 * host whose own stderr is for its user (hipc-bench). */
	if (to_stderr < 0) {
		const char *e = getenv("HIPC_TRACE_STDERR");

		to_stderr = !(e && !strcmp(e, "0"));
	}
	if (to_stderr)
		fprintf(stderr, "%s", buf);
	if (sink.write)
		sink.write(sink.ctx, buf, (size_t)n);
}

static void usage(const char *prog, const struct hipc_firmware *fw)
{
	const struct hipc_remote_transport *const *t;
	bool first = true;

	printf("usage: %s", prog);
	for (t = hipc__transports; *t; t++) {
		if (!(*t)->option)
			continue;
		printf("%s%s %s", first ? " [" : " | ", (*t)->option,
		       (*t)->arg_name);
		first = false;
	}
	printf("%s\nSimulated remote processor '%s'.\n", first ? "" : "]",
	       fw->name);
	for (t = hipc__transports; *t; t++)
		if ((*t)->usage)
			fputs((*t)->usage, stdout);
}

int hipc_remote_main(const struct hipc_firmware *fw, int argc, char **argv)
{
	const struct hipc_remote_transport *const *t;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(argv[0], fw);
			return 0;
		}
		for (t = hipc__transports; *t; t++)
			if ((*t)->option && !strcmp(argv[i], (*t)->option) &&
			    i + 1 < argc)
				return (*t)->run(fw, argv[i + 1]);
	}
	for (t = hipc__transports; *t; t++)
		if ((*t)->from_env && (*t)->from_env())
			return (*t)->run(fw, NULL);
	return hipc__transports[0]->run(fw, NULL);
}
