/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A test harness small enough to run on the host and on a Cortex-M4 under
 * QEMU semihosting: cases are functions, a table at the end of each file
 * lists them, CMake registers one CTest entry per case by scanning for
 * HIPC_TEST(name).  A failed CHECK prints where and exits non-zero.
 *
 *   HIPC_TEST(ring_wraps) { CHECK_EQ(f(1), 2); }
 *   HIPC_TEST_MAIN(HIPC_CASE(ring_wraps))
 *
 * Run: ./test-x            every case
 *      ./test-x NAME       one case
 */
#ifndef HIPC_TEST_H
#define HIPC_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct hipc_test_case {
	const char *name;
	void (*fn)(void);
};

#define HIPC_TEST(name) static void hipc_test_##name(void)
#define HIPC_CASE(name) { #name, hipc_test_##name }

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			printf("%s:%d: CHECK failed: %s\n", __FILE__,        \
			       __LINE__, #cond);                              \
			fflush(stdout);                                      \
			exit(1);                                             \
		}                                                            \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		long long hipc__a = (long long)(a);                          \
		long long hipc__b = (long long)(b);                          \
		if (hipc__a != hipc__b) {                                    \
			printf("%s:%d: CHECK_EQ failed: %s == %s "           \
			       "(%lld vs %lld)\n",                           \
			       __FILE__, __LINE__, #a, #b, hipc__a, hipc__b); \
			fflush(stdout);                                      \
			exit(1);                                             \
		}                                                            \
	} while (0)

#ifdef HIPC_COVERAGE
void __gcov_dump(void);
#endif

/*
 * The end of a forked child that must not run its parent's exit work:
 * _exit(), after a coverage build has written the child's counters (which
 * _exit() alone would lose).
 */
static inline __attribute__((noreturn)) void hipc_test_child_exit(int code)
{
#ifdef HIPC_COVERAGE
	__gcov_dump();
#endif
	_exit(code);
}

/*
 * Runs the shell command @cmd with its stderr joined to stdout; that output
 * in @out (NUL-terminated, cut to @len - 1 bytes, the rest read and
 * dropped); its exit status (-1 when
 * it did not exit).  For tests that drive the tools as a user would.
 */
static inline int hipc_test_capture(const char *cmd, char *out, size_t len)
{
	char full[1024];
	FILE *p;
	size_t n;
	int st;

	CHECK((size_t)snprintf(full, sizeof(full), "%s 2>&1", cmd) <
	      sizeof(full));
	fflush(stdout);
	p = popen(full, "r");
	CHECK(p != NULL);
	n = fread(out, 1, len - 1, p);
	out[n] = 0;
	/* The rest is read and dropped: a command with more to say than
	 * @len must not be left blocked on a full pipe while pclose()
	 * waits for it. */
	while (fread(full, 1, sizeof(full), p) > 0)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}


static inline int hipc_test_run(const struct hipc_test_case *cases,
				size_t n, int argc, char **argv)
{
	size_t ran = 0;

	for (size_t i = 0; i < n; i++) {
		if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
			continue;
		printf("[ RUN  ] %s\n", cases[i].name);
		fflush(stdout);
		cases[i].fn();
		printf("[  OK  ] %s\n", cases[i].name);
		fflush(stdout);
		ran++;
	}
	if (ran == 0) {
		printf("no test case named %s\n", argc > 1 ? argv[1] : "(any)");
		return 1;
	}
	printf("%lu passed, 0 failed\n", (unsigned long)ran);
	return 0;
}

#define HIPC_TEST_MAIN(...)                                                  \
	int main(int argc, char **argv)                                      \
	{                                                                    \
		static const struct hipc_test_case hipc__cases[] = { __VA_ARGS__ }; \
		return hipc_test_run(hipc__cases, sizeof(hipc__cases) / sizeof(hipc__cases[0]), \
				     argc, argv);                            \
	}

#endif
