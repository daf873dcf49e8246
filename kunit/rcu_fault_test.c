// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_rcu: kmag_free_rcu() frees only after a grace period, wherever the
 * rcu_head lies; SLAB_TYPESAFE_BY_RCU keeps an emptied span's pages out of
 * other caches' reach until a grace period has passed; destroying a cache
 * waits for pending RCU frees.
 * kmag_fail: fault injection (fail/ knobs): times, interval, cache-filter,
 * ignore-gfp-wait, __GFP_NOFAIL, and the counters.
 *
 * "Before a grace period" is made certain by holding rcu_read_lock()
 * across the calls and checks (no grace period can end meanwhile), so
 * nothing in there may sleep.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "kmag_test.h"

/* An rcu_head away from the object's start, as in most real structs. */
struct kmag_test_rcu {
	u64 head[3];
	struct rcu_head rcu;
	u8 tail[40];
};

/* A large object whose rcu_head lies ten pages in. */
struct kmag_test_rcu_large {
	u8 head[10 * 4096 + 24];
	struct rcu_head rcu;
	u8 tail[100];
};

/* Whether @p is an object kmag has handed out and not taken back. */
static bool kmag_test_live(const void *p)
{
	struct kmag_cache *c;
	struct kmag_span *s;
	bool live = false;
	long idx;

	rcu_read_lock();
	s = kmag_span_of(p);
	c = s ? kmag_span_cache(s) : NULL;
	if (s && kmag_span_state(s) == KMAG_SPAN_LARGE) {
		live = READ_ONCE(s->base) == (unsigned long)p;
	} else if (c) {
		idx = kmag_obj_index(c, s, p);
		live = idx >= 0 && kmag_inuse_test(c, s, idx);
	}
	rcu_read_unlock();
	return live;
}

/* Objects of @c handed out and not freed; no lock taken. */
static long kmag_test_cache_live(struct kmag_cache *c)
{
	struct kmag_class_stats cs;

	kmag_cache_stats(c, &cs);
	return cs.live_objects;
}

/*
 * kmag_free_rcu() of @p (from cache @c, or large if @c is NULL): before a
 * grace period the object is live, counted, and untouched but for its
 * rcu_head; after rcu_barrier() it is free, counted once.
 */
static void kmag_test_free_rcu_one(struct kunit *test, struct kmag_cache *c,
				   void *p, size_t size, struct rcu_head *head)
{
	size_t off = (void *)head - p, after_head = off + sizeof(*head);
	bool queued, was_live, intact;
	struct kmag_stats before, after;
	long live, live_then;

	memset(p, 0x5a, size);
	kmag_stats_read(&before);
	live = c ? kmag_test_cache_live(c) : 0;
	/* No KUNIT_EXPECT in here: a failed one allocates with GFP_KERNEL. */
	rcu_read_lock();
	queued = kmag_free_rcu_head(head);
	was_live = kmag_test_live(p);
	live_then = c ? kmag_test_cache_live(c) : 0;
	intact = !memchr_inv(p, 0x5a, off) &&
		 !memchr_inv(p + after_head, 0x5a, size - after_head);
	rcu_read_unlock();
	KUNIT_EXPECT_TRUE(test, queued);
	KUNIT_EXPECT_TRUE(test, was_live);
	KUNIT_EXPECT_EQ(test, live_then, live);
	KUNIT_EXPECT_TRUE(test, intact);
	rcu_barrier();
	KUNIT_EXPECT_FALSE(test, kmag_test_live(p));
	if (c)
		KUNIT_EXPECT_EQ(test, kmag_test_cache_live(c), live - 1);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.frees - before.frees, 1);
	KUNIT_EXPECT_EQ(test, after.large_frees - before.large_frees, c ? 0 : 1);
	KUNIT_EXPECT_EQ(test, after.invalid_frees, before.invalid_frees);
	KUNIT_EXPECT_EQ(test, after.double_frees, before.double_frees);
}

/* A size-class object: freed after, and only after, a grace period. */
static void kmag_rcu_free_small(struct kunit *test)
{
	struct kmag_test_rcu *p = kmag_alloc(sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_test_free_rcu_one(test, kmag_classes[kmag_size_class(sizeof(*p))],
			       p, sizeof(*p), &p->rcu);
}

/* The same through a named cache, with an rcu_head in every object. */
static void kmag_rcu_free_cache(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_test_rcu", sizeof(struct kmag_test_rcu),
						 0, 0, NULL);
	struct kmag_test_rcu *p;

	KUNIT_ASSERT_NOT_NULL(test, c);
	p = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_test_free_rcu_one(test, c, p, sizeof(*p), &p->rcu);
	kmag_cache_destroy(c);
}

/* A large object, rcu_head pages away from its start (only page 0 maps). */
static void kmag_rcu_free_large(struct kunit *test)
{
	struct kmag_test_rcu_large *p = kmag_alloc(sizeof(*p), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_test_free_rcu_one(test, NULL, p, sizeof(*p), &p->rcu);
}

/*
 * NULL is ignored; a pointer kmag does not own is reported at the call
 * and left alone; an object already free is a double free, not queued.
 */
static void kmag_rcu_free_invalid(struct kunit *test)
{
	struct kmag_test_rcu *km = kmalloc(sizeof(*km), GFP_KERNEL);
	struct kmag_test_rcu *p = kmag_alloc(sizeof(*p), GFP_KERNEL);
	struct kmag_test_rcu *none = NULL;
	struct kmag_stats before, after;

	KUNIT_ASSERT_NOT_NULL(test, km);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(km, 0x5a, sizeof(*km));
	kmag_free(p);
	kmag_stats_read(&before);
	kmag_free_rcu(none, rcu);
	/* Expecting one invalid-free and one double-free report. */
	KUNIT_EXPECT_FALSE(test, kmag_free_rcu_head(&km->rcu));
	KUNIT_EXPECT_FALSE(test, kmag_free_rcu_head(&p->rcu));
	rcu_barrier();
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.invalid_frees - before.invalid_frees, 1);
	KUNIT_EXPECT_EQ(test, after.double_frees - before.double_frees, 1);
	KUNIT_EXPECT_EQ(test, after.frees, before.frees);
	/* Not queued: the kmalloc object is as it was. */
	KUNIT_EXPECT_TRUE(test, !memchr_inv(km, 0x5a, sizeof(*km)));
	kfree(km);
}

/*
 * kmag_cache_destroy() right after kmag_free_rcu() of the last object:
 * the pending free is waited for, so the cache has nothing live and goes
 * at once (no "destroyed with live objects", no orphan left behind).
 */
static void kmag_rcu_destroy_waits(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_test_rcu_destroy",
						 sizeof(struct kmag_test_rcu), 0,
						 SLAB_TYPESAFE_BY_RCU, NULL);
	struct kmag_test_rcu *p[4];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = kmag_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	for (i = 0; i < ARRAY_SIZE(p); i++)
		kmag_free_rcu(p[i], rcu);
	kmag_cache_destroy(c);
	/* c is gone if destroy waited: only its absence may be looked at. */
	KUNIT_EXPECT_FALSE(test, kmag_test_cache_listed(c));
	rcu_barrier();
	flush_workqueue(kmag_wq);
}

/*
 * Empty a span of @c through the free path (no magazines: frees go
 * straight to the spans), inside one RCU read-side section, and look at
 * its pages before the section ends. The first span emptied stays on
 * the cache's empty list; the second goes back to the page heap: at once
 * for a plain cache, after a grace period for SLAB_TYPESAFE_BY_RCU.
 * Return: whether the second span's pages were still @c's in the section
 * (and, for a typesafe cache, no object of @other landed on them).
 */
static bool kmag_test_span_kept(struct kunit *test, struct kmag_cache *c,
				struct kmag_cache *other)
{
	unsigned long base, end, owner = (unsigned long)c | KMAG_OWNER_SMALL;
	unsigned int n = c->objs_per_span, i;
	struct kmag_span *a, *b;
	void **objs, **others;
	bool kept, reused = false;

	objs = kunit_kcalloc(test, n + 1, sizeof(*objs), GFP_KERNEL);
	others = kunit_kcalloc(test, 4 * n, sizeof(*others), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	KUNIT_ASSERT_NOT_NULL(test, others);
	cpus_read_lock();
	kmag_magazines_drain(c);
	cpus_read_unlock();
	KUNIT_ASSERT_EQ(test, c->central.nr_spans, 0);
	WRITE_ONCE(kmag_fail_mag_alloc, true);
	for (i = 0; i <= n; i++) {
		objs[i] = kmag_cache_alloc(c, GFP_KERNEL);
		if (!objs[i])
			break;
	}
	if (i <= n) {
		WRITE_ONCE(kmag_fail_mag_alloc, false);
		while (i--)
			kmag_cache_free(c, objs[i]);
		KUNIT_FAIL(test, "allocation failed");
		return false;
	}
	/* n objects fill span a; the last one is alone in span b. */
	a = kmag_span_of(objs[0]);
	b = kmag_span_of(objs[n]);
	KUNIT_EXPECT_PTR_NE(test, a, b);
	KUNIT_EXPECT_EQ(test, a->nid, b->nid);	/* one empty span kept per node */
	base = a->base;
	end = base + PAGE_SIZE * a->npages;

	rcu_read_lock();
	kmag_cache_free(c, objs[n]);		/* b: kept on the empty list */
	for (i = 0; i < n; i++)
		kmag_cache_free(c, objs[i]);	/* a: given back */
	kept = kmag_map_entry((void *)base) == a && READ_ONCE(a->owner) == owner;
	for (i = 0; kept && i < 4 * n; i++) {
		others[i] = kmag_cache_alloc(other, GFP_NOWAIT);
		reused |= others[i] && (unsigned long)others[i] >= base &&
			  (unsigned long)others[i] < end;
	}
	rcu_read_unlock();
	WRITE_ONCE(kmag_fail_mag_alloc, false);
	KUNIT_EXPECT_FALSE_MSG(test, reused, "%s reused a span of %s before a grace period",
			       other->name, c->name);

	rcu_barrier();
	/* After the grace period, the span is the page heap's again. */
	KUNIT_EXPECT_FALSE(test, kmag_map_entry((void *)base) == a &&
			   READ_ONCE(a->owner) == owner);
	for (i = 0; i < 4 * n; i++)
		kmag_cache_free(other, others[i]);
	return kept;
}

/*
 * kmag_test_span_kept() on a 256-byte cache @name with @flags and a plain
 * cache @other_name beside it: @kept is what it must find.
 */
static void kmag_rcu_span_case(struct kunit *test, const char *name,
			       const char *other_name, unsigned long flags,
			       bool kept)
{
	struct kmag_cache *c = kmag_cache_create(name, 256, 0, flags, NULL);
	struct kmag_cache *other = kmag_cache_create(other_name, 256, 0, 0, NULL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_NOT_NULL(test, other);
	KUNIT_EXPECT_EQ(test, kmag_test_span_kept(test, c, other), kept);
	kmag_cache_destroy(other);
	kmag_cache_destroy(c);
}

/* SLAB_TYPESAFE_BY_RCU: an emptied span waits for a grace period. */
static void kmag_rcu_typesafe_span(struct kunit *test)
{
	kmag_rcu_span_case(test, "kmag_test_typesafe", "kmag_test_typesafe_other",
			   SLAB_TYPESAFE_BY_RCU, true);
}

/* The control: a plain cache gives the span back at once (the check sees it). */
static void kmag_rcu_plain_span(struct kunit *test)
{
	kmag_rcu_span_case(test, "kmag_test_plain", "kmag_test_plain_other", 0, false);
}

/*
 * Objects of a SLAB_TYPESAFE_BY_RCU cache keep their contents across free
 * and reallocation (RCU readers may still look at them): no init_on_free,
 * no init_on_alloc; __GFP_ZERO still zeroes.
 */
static void kmag_rcu_typesafe_contents(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_test_typesafe_init", 128, 0,
						 SLAB_TYPESAFE_BY_RCU, NULL);
	u8 *p, *q;

	KUNIT_ASSERT_NOT_NULL(test, c);
	migrate_disable();	/* the freed object is on top of this CPU's magazine */
	p = kmag_cache_alloc(c, GFP_KERNEL);
	if (p) {
		memset(p, 0xa5, 128);
		kmag_cache_free(c, p);
		KUNIT_EXPECT_TRUE(test, !memchr_inv(p, 0xa5, 128));
		q = kmag_cache_alloc(c, GFP_KERNEL);
		KUNIT_EXPECT_PTR_EQ(test, q, p);
		if (q)
			KUNIT_EXPECT_TRUE(test, !memchr_inv(q, 0xa5, 128));
		kmag_cache_free(c, q);
	}
	q = kmag_cache_alloc(c, GFP_KERNEL | __GFP_ZERO);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(q, 128));
	kmag_cache_free(c, q);
	kmag_cache_destroy(c);
}

static struct kunit_case kmag_rcu_cases[] = {
	KUNIT_CASE(kmag_rcu_free_small),
	KUNIT_CASE(kmag_rcu_free_cache),
	KUNIT_CASE(kmag_rcu_free_large),
	KUNIT_CASE(kmag_rcu_free_invalid),
	KUNIT_CASE(kmag_rcu_destroy_waits),
	KUNIT_CASE(kmag_rcu_typesafe_span),
	KUNIT_CASE(kmag_rcu_plain_span),
	KUNIT_CASE(kmag_rcu_typesafe_contents),
	{}
};

static struct kunit_suite kmag_rcu_suite = {
	.name = "kmag_rcu",
	.suite_init = kmag_test_suite_init_lifo,
	.suite_exit = kmag_test_suite_exit_lifo,
	.exit = kmag_test_exit,
	.test_cases = kmag_rcu_cases,
};

/* The knobs as the suite found them, put back after each test. */
static struct kmag_fail_knobs kmag_fail_saved;

static int kmag_fail_suite_init(struct kunit_suite *suite)
{
	kmag_fail_get(&kmag_fail_saved);
	return kmag_test_suite_init(suite);
}

static void kmag_fail_test_exit(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kmag_fail_set(&kmag_fail_saved), 0);
	kmag_test_exit(test);
}

/* Arm: probability 100%, no stack dumps (verbose 0). */
static void kmag_fail_arm(struct kunit *test, unsigned long interval, int times,
			  bool ignore_gfp_wait, bool cache_filter)
{
	struct kmag_fail_knobs k = {
		.probability = 100,
		.interval = interval,
		.times = times,
		.verbose = 0,
		.ignore_gfp_wait = ignore_gfp_wait,
		.cache_filter = cache_filter,
	};

	KUNIT_ASSERT_EQ(test, kmag_fail_set(&k), 0);
}

/* Allocate @n objects of @size (a large one above 32 KiB), or from @c. */
static int kmag_test_fails(struct kunit *test, struct kmag_cache *c, size_t size,
			   gfp_t gfp, int n)
{
	int i, failed = 0;
	void *p;

	for (i = 0; i < n; i++) {
		p = c ? kmag_cache_alloc(c, gfp) : kmag_alloc(size, gfp);
		if (!p)
			failed++;
		if (c)
			kmag_cache_free(c, p);
		else
			kmag_free(p);
	}
	return failed;
}

/*
 * times=N, probability 100: exactly N allocations fail, the first N, for
 * size classes, named caches and large objects alike; each is counted in
 * injected_failures and alloc_failures; times is then 0.
 */
static void kmag_fail_times(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_test_fail", 96, 0, 0, NULL);
	struct kmag_stats before, after;
	struct kmag_fail_knobs k;
	void *bulk[8];

	KUNIT_ASSERT_NOT_NULL(test, c);
	kmag_stats_read(&before);
	kmag_fail_arm(test, 1, 3, false, false);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, NULL, 64, GFP_KERNEL, 10), 3);
	kmag_fail_get(&k);
	KUNIT_EXPECT_EQ(test, k.times, 0);
	kmag_fail_arm(test, 1, 2, false, false);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, c, 0, GFP_KERNEL, 10), 2);
	kmag_fail_arm(test, 1, 1, false, false);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, NULL, 100000, GFP_KERNEL, 3), 1);
	/* Bulk: all or nothing; zalloc, realloc go through the same check. */
	kmag_fail_arm(test, 1, 1, false, false);
	KUNIT_EXPECT_EQ(test, kmag_cache_alloc_bulk(c, GFP_KERNEL, ARRAY_SIZE(bulk), bulk), 0);
	kmag_fail_arm(test, 1, 2, false, false);
	KUNIT_EXPECT_NULL(test, kmag_zalloc(200, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, kmag_realloc(NULL, 200, GFP_KERNEL));
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.injected_failures - before.injected_failures, 9);
	KUNIT_EXPECT_EQ(test, after.alloc_failures - before.alloc_failures, 9);
	/* times is 0: nothing fails any more. */
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, NULL, 64, GFP_KERNEL, 10), 0);
	kmag_cache_destroy(c);
}

/* interval=3, times -1: of 9 calls in a row, exactly 3 fail. */
static void kmag_fail_interval(struct kunit *test)
{
	kmag_fail_arm(test, 3, -1, false, false);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, NULL, 64, GFP_KERNEL, 9), 3);
}

/*
 * cache-filter: only caches with failslab set fail; a size class can be
 * marked too; large objects (no cache) never fail.
 */
static void kmag_fail_cache_filter(struct kunit *test)
{
	struct kmag_cache *a = kmag_cache_create("kmag_test_fail_a", 96, 0, 0, NULL);
	struct kmag_cache *b = kmag_cache_create("kmag_test_fail_b", 96, 0, 0, NULL);
	struct kmag_cache *cls = kmag_classes[kmag_size_class(64)];
	struct kmag_stats before, after;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	WRITE_ONCE(a->fail_filter, true);
	kmag_stats_read(&before);
	kmag_fail_arm(test, 1, -1, false, true);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, a, 0, GFP_KERNEL, 5), 5);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, b, 0, GFP_KERNEL, 5), 0);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, NULL, 64, GFP_KERNEL, 5), 0);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, NULL, 100000, GFP_KERNEL, 2), 0);
	WRITE_ONCE(cls->fail_filter, true);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, NULL, 64, GFP_KERNEL, 5), 5);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, NULL, 128, GFP_KERNEL, 5), 0);
	WRITE_ONCE(cls->fail_filter, false);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.injected_failures - before.injected_failures, 10);
	/* Without the filter, every cache fails. */
	kmag_fail_arm(test, 1, -1, false, false);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, b, 0, GFP_KERNEL, 5), 5);
	kmag_cache_destroy(a);
	kmag_cache_destroy(b);
}

/* __GFP_NOFAIL never fails (nor counts); ignore-gfp-wait spares GFP_KERNEL. */
static void kmag_fail_gfp(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_test_fail_gfp", 96, 0, 0, NULL);
	struct kmag_stats before, after;

	KUNIT_ASSERT_NOT_NULL(test, c);
	kmag_fail_arm(test, 1, -1, false, false);
	kmag_stats_read(&before);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, NULL, 64, GFP_KERNEL | __GFP_NOFAIL, 5), 0);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, c, 0, GFP_KERNEL | __GFP_NOFAIL, 5), 0);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, NULL, 100000,
					      GFP_KERNEL | __GFP_NOFAIL, 2), 0);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.injected_failures, before.injected_failures);
	/* Armed all along: without __GFP_NOFAIL they fail. */
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, NULL, 64, GFP_KERNEL, 5), 5);

	kmag_fail_arm(test, 1, -1, true, false);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, NULL, 64, GFP_KERNEL, 5), 0);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, c, 0, GFP_KERNEL, 5), 0);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, NULL, 64, GFP_ATOMIC, 5), 5);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, c, 0, GFP_NOWAIT, 5), 5);
	kmag_cache_destroy(c);
}

/* Out-of-range knobs are refused and change nothing; unarmed, nothing fails. */
static void kmag_fail_knobs(struct kunit *test)
{
	struct kmag_fail_knobs k, was, now;

	kmag_fail_get(&was);
	k = was;
	k.probability = 101;
	KUNIT_EXPECT_EQ(test, kmag_fail_set(&k), -EINVAL);
	k = was;
	k.interval = 0;
	KUNIT_EXPECT_EQ(test, kmag_fail_set(&k), -EINVAL);
	k = was;
	k.times = -2;
	KUNIT_EXPECT_EQ(test, kmag_fail_set(&k), -EINVAL);
	kmag_fail_get(&now);
	KUNIT_EXPECT_EQ(test, now.probability, was.probability);
	KUNIT_EXPECT_EQ(test, now.interval, was.interval);
	KUNIT_EXPECT_EQ(test, now.times, was.times);
	KUNIT_EXPECT_EQ(test, now.ignore_gfp_wait, was.ignore_gfp_wait);
	KUNIT_EXPECT_EQ(test, now.cache_filter, was.cache_filter);

	kmag_fail_arm(test, 1, -1, false, false);
	kmag_fail_get(&k);
	k.probability = 0;
	KUNIT_EXPECT_EQ(test, kmag_fail_set(&k), 0);
	KUNIT_EXPECT_EQ(test, kmag_test_fails(test, NULL, 64, GFP_ATOMIC, 10), 0);
}

static struct kunit_case kmag_fail_cases[] = {
	KUNIT_CASE(kmag_fail_times),
	KUNIT_CASE(kmag_fail_interval),
	KUNIT_CASE(kmag_fail_cache_filter),
	KUNIT_CASE(kmag_fail_gfp),
	KUNIT_CASE(kmag_fail_knobs),
	{}
};

static struct kunit_suite kmag_fail_suite = {
	.name = "kmag_fail",
	.suite_init = kmag_fail_suite_init,
	.suite_exit = kmag_test_suite_exit,
	.exit = kmag_fail_test_exit,
	.test_cases = kmag_fail_cases,
};

kunit_test_suites(&kmag_rcu_suite, &kmag_fail_suite);
