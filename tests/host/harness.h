/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unit-test harness of tests/host: EXPECT macros, a table of tests,
 * one "PASS name" / "FAIL name -- why" line per test (tests/host/check.sh
 * records them), and the library's test hooks (the library is built in
 * with -DPVXHV_TEST_HOOKS).
 */
#ifndef PVX_TESTS_HARNESS_H
#define PVX_TESTS_HARNESS_H

#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *cur_test;
static char cur_fail[512];

#define FAILF(...) do {								\
	if (!cur_fail[0])							\
		snprintf(cur_fail, sizeof(cur_fail), __VA_ARGS__);		\
} while (0)
#define EXPECT_EQ(a, b) do {							\
	long long a_ = (long long)(a), b_ = (long long)(b);			\
	if (a_ != b_)								\
		FAILF("line %d: %s = %lld, expected %s = %lld",			\
		      __LINE__, #a, a_, #b, b_);				\
} while (0)
#define EXPECT(c)	EXPECT_EQ(!!(c), 1)

/*
 * Hooks: a test may set test_point_fn (test_point_at()) to run code at
 * one test point between protocol steps, and test_store_fn to see every
 * store the library makes to guest memory through a host address.
 */
static void (*test_point_fn)(int point, uint32_t vcpu);
static int test_point_which;
static void (*test_store_fn)(uint64_t gpa, const void *src, size_t len);

static inline void test_point_at(int point, void (*fn)(int point, uint32_t vcpu))
{
	test_point_which = point;
	test_point_fn = fn;
}

void pvxhv_test_fetch(void *opaque, uint64_t gpa, const void *copy, size_t len)
{
	(void)opaque; (void)gpa; (void)copy; (void)len;
}

void pvxhv_test_store(void *opaque, uint64_t gpa, const void *src, size_t len)
{
	(void)opaque;
	if (test_store_fn)
		test_store_fn(gpa, src, len);
}

void pvxhv_test_dispatch(void *opaque, uint64_t nr)
{
	(void)opaque; (void)nr;
}

void pvxhv_test_point(void *opaque, int point, uint32_t vcpu)
{
	void (*fn)(int, uint32_t) = test_point_fn;

	(void)opaque;
	if (fn && point == test_point_which) {
		test_point_fn = NULL;	/* once: the test's code may run the library again */
		fn(point, vcpu);
	}
}

struct test { const char *name; void (*fn)(void); };
#define T(name)	{ #name, test_##name }

/* Run every test (or the one named in argv[1]); prefix names the suite. */
static int run_tests(const struct test *tests, size_t n, const char *prefix,
		     int argc, char **argv, void (*after)(void))
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		if (argc > 1 && strcmp(argv[1], tests[i].name))
			continue;
		cur_test = tests[i].name;
		cur_fail[0] = 0;
		test_point_fn = NULL;
		test_store_fn = NULL;
		tests[i].fn();
		if (after)
			after();
		printf("%s %s.%s%s%s\n", cur_fail[0] ? "FAIL" : "PASS", prefix, cur_test,
		       cur_fail[0] ? " -- " : "", cur_fail);
		fflush(stdout);
		failed += !!cur_fail[0];
	}
	return failed ? 1 : 0;
}

#endif /* PVX_TESTS_HARNESS_H */
