/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault injection for the Linux port (a debug feature, docs/faults.md):
 * doorbells dropped, duplicated or delayed on their way to the peer, and
 * allocation and mmap failures, decided by a seeded generator.  Off unless
 * the process starts with HIPC_FAULTS set; then read once, at the first
 * link, region or allocation that asks.
 *
 * When off, the only cost is in the rare paths (a link's creation, a
 * region's mapping): a link created without faults keeps the plain port
 * ops, so no send or wait looks at any of this.
 *
 *   HIPC_FAULTS="seed=7,drop=0.02,dup=0.02,delay=0.05,delay_us=2000,
 *                alloc=0.01,mmap=0.01,drop_nth=3"
 *
 * Rates are probabilities per event (a doorbell, an allocation, a map);
 * drop_nth drops exactly the Nth doorbell this process rings (1 = the
 * first); boot=N (added by a host to what it passes on to a firmware,
 * HIPC_FAULTS_REMOTE) gives each boot of a remote draws of its own.  Every
 * fault is counted (hipc_faults_get()).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hipc/linux.h"
#include "port_linux_internal.h"

#define PPM 1000000u

struct fault_cfg {
	uint64_t rng;
	uint32_t drop, dup, delay, alloc, map; /* per million */
	uint32_t delay_us;
	uint64_t drop_nth;
	uint64_t rung;
};

static struct fault_cfg cfg;
static bool active;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct hipc_fault_stats st;

static uint32_t rate(const char *v)
{
	double x = strtod(v, NULL);

	if (!(x > 0))
		return 0;
	if (x >= 1)
		return PPM;
	return (uint32_t)(x * PPM + 0.5);
}

static void parse(void)
{
	const char *spec = getenv("HIPC_FAULTS");
	char buf[512], *save = NULL, *tok;
	uint64_t boot = 0;

	if (!spec || !*spec)
		return;
	snprintf(buf, sizeof(buf), "%s", spec);
	cfg.rng = 1;
	cfg.delay_us = 2000;
	for (tok = strtok_r(buf, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		char *eq = strchr(tok, '=');
		const char *v;

		if (!eq) {
			fprintf(stderr, "HIPC_FAULTS: '%s' is not key=value\n",
				tok);
			continue;
		}
		*eq = 0;
		v = eq + 1;
		if (!strcmp(tok, "seed"))
			cfg.rng = strtoull(v, NULL, 0);
		else if (!strcmp(tok, "drop"))
			cfg.drop = rate(v);
		else if (!strcmp(tok, "dup"))
			cfg.dup = rate(v);
		else if (!strcmp(tok, "delay"))
			cfg.delay = rate(v);
		else if (!strcmp(tok, "delay_us"))
			cfg.delay_us = (uint32_t)strtoul(v, NULL, 0);
		else if (!strcmp(tok, "alloc"))
			cfg.alloc = rate(v);
		else if (!strcmp(tok, "mmap"))
			cfg.map = rate(v);
		else if (!strcmp(tok, "boot"))
			boot = strtoull(v, NULL, 0);
		else if (!strcmp(tok, "drop_nth"))
			cfg.drop_nth = strtoull(v, NULL, 0);
		else
			fprintf(stderr, "HIPC_FAULTS: unknown key '%s'\n", tok);
	}
	/* splitmix64 of the seed: seeds 1, 2, 3... start far apart, and
	 * the xorshift state is never 0 */
	cfg.rng += 0x9e3779b97f4a7c15ull * (boot + 1);
	cfg.rng = (cfg.rng ^ (cfg.rng >> 30)) * 0xbf58476d1ce4e5b9ull;
	cfg.rng = (cfg.rng ^ (cfg.rng >> 27)) * 0x94d049bb133111ebull;
	cfg.rng ^= cfg.rng >> 31;
	if (!cfg.rng)
		cfg.rng = 1;
	active = true;
}

bool hipc__faults_on(void)
{
	pthread_once(&once, parse);
	return active;
}

/* Under the lock: the next draw (xorshift64*), reproducible for a given
 * seed and order of events. */
static uint32_t draw_ppm(void)
{
	uint64_t x = cfg.rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	cfg.rng = x;
	return (uint32_t)(((x * 0x2545f4914f6cdd1dull) >> 32) % PPM);
}

static void count(uint64_t *c)
{
	__atomic_fetch_add(c, 1u, __ATOMIC_RELAXED);
}

enum hipc__fault_doorbell hipc__faults_doorbell(uint32_t *delay_us)
{
	enum hipc__fault_doorbell f = HIPC__FAULT_NONE;
	uint32_t d;

	pthread_mutex_lock(&lock);
	cfg.rung++;
	d = draw_ppm();
	if ((cfg.drop_nth && cfg.rung == cfg.drop_nth) || d < cfg.drop) {
		f = HIPC__FAULT_DROP;
		count(&st.doorbells_dropped);
	} else if (d < cfg.drop + cfg.dup) {
		f = HIPC__FAULT_DUP;
		count(&st.doorbells_duplicated);
	} else if (d < cfg.drop + cfg.dup + cfg.delay) {
		f = HIPC__FAULT_DELAY;
		*delay_us = cfg.delay_us ? draw_ppm() % cfg.delay_us : 0;
		count(&st.doorbells_delayed);
	}
	pthread_mutex_unlock(&lock);
	return f;
}

static bool fail_one(const uint32_t *r, uint64_t *c)
{
	bool hit;

	if (!hipc__faults_on() || !*r)
		return false;
	pthread_mutex_lock(&lock);
	hit = draw_ppm() < *r;
	pthread_mutex_unlock(&lock);
	if (hit)
		count(c);
	return hit;
}

bool hipc__fault_alloc(void)
{
	return fail_one(&cfg.alloc, &st.allocs_failed);
}

bool hipc__fault_mmap(void)
{
	return fail_one(&cfg.map, &st.mmaps_failed);
}

void hipc__fault_sleep_us(uint32_t us)
{
	struct timespec ts = { .tv_sec = us / 1000000u,
			       .tv_nsec = (long)(us % 1000000u) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

bool hipc_faults_get(struct hipc_fault_stats *out)
{
	out->doorbells_dropped =
		__atomic_load_n(&st.doorbells_dropped, __ATOMIC_RELAXED);
	out->doorbells_duplicated =
		__atomic_load_n(&st.doorbells_duplicated, __ATOMIC_RELAXED);
	out->doorbells_delayed =
		__atomic_load_n(&st.doorbells_delayed, __ATOMIC_RELAXED);
	out->allocs_failed = __atomic_load_n(&st.allocs_failed, __ATOMIC_RELAXED);
	out->mmaps_failed = __atomic_load_n(&st.mmaps_failed, __ATOMIC_RELAXED);
	return hipc__faults_on();
}
