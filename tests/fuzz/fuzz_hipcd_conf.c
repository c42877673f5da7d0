/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for hipcd's configuration file (tools/hipcd/conf.c):
 * the input is the file.  Besides "no crash" (ASan, UBSan), asserted: the
 * parser counts an error for every line it refuses and never accepts more
 * remotes than it has room for; every remote it accepts has a name of the
 * allowed characters, NUL-terminated, values inside their documented
 * ranges, and no two remotes share a name; same_remote() agrees with
 * itself; summary() prints what was accepted.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hipcd.h"

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "fuzz_hipcd_conf:%d: %s\n", __LINE__, \
				#c);                                          \
			abort();                                              \
		}                                                             \
	} while (0)

bool plain_log;

/* conf.c reports through the daemon's log: counted, not printed. */
static unsigned logged;

void logf_(const char *fmt, ...)
{
	(void)fmt;
	logged++;
}

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf c;
	FILE *f = fmemopen((void *)data, size, "r");

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (!f)
		return 0;
	memset(&c, 0, sizeof(c));
	snprintf(c.path, sizeof(c.path), "fuzz.conf");
	snprintf(c.dir, sizeof(c.dir), "/nonexistent");
	logged = 0;
	parse_config_stream(f, &c);
	fclose(f);
	CHECK(c.errors == logged);
	CHECK(c.n <= MAX_REMOTES);
	for (unsigned i = 0; i < c.n; i++) {
		const struct rconf *r = &c.r[i];
		size_t len = strnlen(r->name, sizeof(r->name));

		CHECK(len > 0 && len < sizeof(r->name) && r->name[0] != '.' &&
		      r->name[0] != '-');
		for (size_t k = 0; k < len; k++)
			CHECK(isalnum((unsigned char)r->name[k]) ||
			      strchr("-_.", r->name[k]));
		CHECK(strnlen(r->firmware, sizeof(r->firmware)) <
		      sizeof(r->firmware));
		CHECK(strnlen(r->args, sizeof(r->args)) < sizeof(r->args));
		CHECK(r->mode <= 1 && r->policy <= 1 && r->autostart <= 1);
		CHECK(r->watchdog_ms <= 3600000u && r->backoff_ms <= 3600000u &&
		      r->stall_ms <= 3600000u);
		CHECK(r->queue_kb <= 1048576u);
		CHECK(!(r->socket_mode & ~0666u) && (r->socket_mode & 0600u));
		CHECK(same_remote(r, r));
		for (unsigned j = 0; j < i; j++)
			CHECK(strcmp(c.r[j].name, r->name));
	}
	if (!c.errors)
		summary(&c, devnull);
	return 0;
}
