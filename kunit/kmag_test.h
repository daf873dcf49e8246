/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the kmag KUnit suites. */
#ifndef KMAG_TEST_H
#define KMAG_TEST_H

#include <kunit/test.h>

#include "kmag_internal.h"

/* Byte i of an object at p: depends on both, so swapped objects show. */
static inline u8 kmag_test_pattern(const void *p, size_t i)
{
	return (u8)(((unsigned long)p >> 4) ^ (i * 13));
}

static inline void kmag_test_fill(void *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		((u8 *)p)[i] = kmag_test_pattern(p, i);
}

static inline bool kmag_test_intact(const void *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((const u8 *)p)[i] != kmag_test_pattern(p, i))
			return false;
	return true;
}

static inline bool kmag_test_zero(const void *p, size_t n)
{
	return !memchr_inv(p, 0, n);
}

/*
 * The reclaimer (reaping depots, flushing idle magazines, scavenging free
 * pages) would change the exact state the suites check: it is paused for
 * each suite.
 */
static inline int kmag_test_suite_init(struct kunit_suite *suite)
{
	kmag_reclaim_pause(true);
	return 0;
}

static inline void kmag_test_suite_exit(struct kunit_suite *suite)
{
	kmag_reclaim_pause(false);
}

/*
 * Suites that check where each freed object goes (the loaded magazine, last
 * in, first out) also turn off KASAN's quarantine, which delays reuse on
 * purpose; the other suites run with it.
 */
static inline int kmag_test_suite_init_lifo(struct kunit_suite *suite)
{
	kmag_quarantine_pause(true);
	return kmag_test_suite_init(suite);
}

static inline void kmag_test_suite_exit_lifo(struct kunit_suite *suite)
{
	kmag_test_suite_exit(suite);
	kmag_quarantine_pause(false);
}

/*
 * @n objects of @c allocated into @objs, then all freed, in order: what is
 * not in the spans afterwards sits in magazines and the depot.
 */
static inline void kmag_test_cache_cycle(struct kunit *test, struct kmag_cache *c,
					 void **objs, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		objs[i] = kmag_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 0; i < n; i++)
		kmag_cache_free(c, objs[i]);
}

/* Is @c on kmag_caches (not yet freed)? */
static inline bool kmag_test_cache_listed(struct kmag_cache *c)
{
	struct kmag_cache *x;
	bool found = false;

	mutex_lock(&kmag_caches_mutex);
	list_for_each_entry(x, &kmag_caches, list)
		found |= x == c;
	mutex_unlock(&kmag_caches_mutex);
	return found;
}

/* Every suite ends each test with balanced statistics and nothing live. */
static inline void kmag_test_exit(struct kunit *test)
{
	struct kmag_stats st;

	kmag_stats_read(&st);
	KUNIT_EXPECT_EQ(test, st.mallocs - st.frees, st.live_objects);
	KUNIT_EXPECT_EQ(test, st.live_objects, 0);
}

#endif /* KMAG_TEST_H */
