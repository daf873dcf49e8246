// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_central: refilling from spans, span states, giving spans back to the
 * page heap, the magazine depot, constructors and double frees found there.
 * Each test uses its own named cache of 256-byte objects (16 per span).
 */
#include <kunit/test.h>
#include <linux/atomic.h>

#include "kmag_test.h"

static struct kmag_cache *kmag_central_cache(struct kunit *test, const char *name,
					     void (*ctor)(void *))
{
	struct kmag_cache *c = kmag_cache_create(name, 256, 0, 0, ctor);

	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, c->objs_per_span, 16);
	return c;
}

static unsigned int kmag_get(struct kmag_cache *c, void **objs, unsigned int n)
{
	unsigned long flags;
	unsigned int got;

	spin_lock_irqsave(&c->central.lock, flags);
	got = kmag_central_get(c, objs, n, NUMA_NO_NODE);
	spin_unlock_irqrestore(&c->central.lock, flags);
	return got;
}

static void kmag_put(struct kmag_cache *c, void **objs, unsigned int n)
{
	unsigned long flags;

	spin_lock_irqsave(&c->central.lock, flags);
	kmag_central_put(c, objs, n);
	spin_unlock_irqrestore(&c->central.lock, flags);
}

/* Objects come from partial spans; spans move partial -> full -> empty. */
static void kmag_central_refill(struct kunit *test)
{
	struct kmag_cache *c = kmag_central_cache(test, "kmag_test_refill", NULL);
	struct kmag_span *s;
	void *objs[32];
	int nid, i;

	KUNIT_EXPECT_EQ(test, kmag_get(c, objs, 8), 0);	/* no span yet */
	nid = kmag_central_grow(c, GFP_KERNEL, NUMA_NO_NODE);
	KUNIT_ASSERT_GE(test, nid, 0);
	KUNIT_EXPECT_EQ(test, c->central.nr_spans, 1);
	KUNIT_ASSERT_EQ(test, kmag_get(c, objs, 8), 8);
	s = kmag_span_of(objs[0]);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, s->list_id, KMAG_LIST_PARTIAL);
	KUNIT_EXPECT_EQ(test, s->nfree, 8);
	for (i = 0; i < 8; i++) {
		KUNIT_EXPECT_PTR_EQ(test, kmag_span_of(objs[i]), s);
		KUNIT_EXPECT_EQ(test, kmag_obj_index(c, s, objs[i]), i);
	}
	/* Asking for more than there is returns what there is. */
	KUNIT_EXPECT_EQ(test, kmag_get(c, objs + 8, 24), 8);
	KUNIT_EXPECT_EQ(test, s->list_id, KMAG_LIST_FULL);
	KUNIT_EXPECT_EQ(test, kmag_central_live(c), 16);

	kmag_put(c, objs + 4, 1);
	KUNIT_EXPECT_EQ(test, s->list_id, KMAG_LIST_PARTIAL);
	kmag_put(c, objs, 4);
	kmag_put(c, objs + 5, 11);
	/* Entirely free: kept as the node's one empty span. */
	KUNIT_EXPECT_EQ(test, s->list_id, KMAG_LIST_EMPTY);
	KUNIT_EXPECT_EQ(test, c->central.node[nid].nr[KMAG_LIST_EMPTY], 1);
	KUNIT_EXPECT_EQ(test, kmag_central_live(c), 0);
	kmag_cache_destroy(c);
}

/* A second entirely free span goes back to the page heap. */
static void kmag_central_span_release(struct kunit *test)
{
	struct kmag_cache *c = kmag_central_cache(test, "kmag_test_release", NULL);
	unsigned long sys, inuse, released;
	void *objs[32];

	KUNIT_ASSERT_GE(test, kmag_central_grow(c, GFP_KERNEL, NUMA_NO_NODE), 0);
	KUNIT_ASSERT_GE(test, kmag_central_grow(c, GFP_KERNEL, NUMA_NO_NODE), 0);
	KUNIT_ASSERT_EQ(test, kmag_get(c, objs, 32), 32);
	KUNIT_EXPECT_EQ(test, c->central.nr_spans, 2);
	kmag_heap_sizes(&sys, &inuse, &released);
	KUNIT_EXPECT_GE(test, inuse, 2 * PAGE_SIZE);
	kmag_put(c, objs, 32);
	KUNIT_EXPECT_EQ(test, c->central.nr_spans, 1);
	kmag_central_flush(c);
	KUNIT_EXPECT_EQ(test, c->central.nr_spans, 0);
	kmag_cache_destroy(c);
}

/* The depot keeps full and empty magazines, up to depot_max. */
static void kmag_central_depot(struct kunit *test)
{
	struct kmag_cache *c = kmag_central_cache(test, "kmag_test_depot", NULL);
	struct kmag_mag *m, *e;
	unsigned long flags;
	unsigned int n;

	m = kmag_mag_alloc(c, GFP_KERNEL);
	e = kmag_mag_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_NOT_NULL(test, e);
	while ((n = kmag_get(c, m->objs + m->rounds, m->capacity - m->rounds)) ||
	       m->rounds < m->capacity) {
		m->rounds += n;
		if (!n)
			KUNIT_ASSERT_GE(test, kmag_central_grow(c, GFP_KERNEL, NUMA_NO_NODE), 0);
	}

	spin_lock_irqsave(&c->central.lock, flags);
	kmag_depot_put(c, m);
	kmag_depot_put(c, e);
	KUNIT_EXPECT_EQ(test, c->central.nr_depot_full, 1);
	KUNIT_EXPECT_EQ(test, c->central.nr_depot_empty, 1);
	KUNIT_EXPECT_PTR_EQ(test, kmag_depot_get(c, true), m);
	KUNIT_EXPECT_NULL(test, kmag_depot_get(c, true));
	KUNIT_EXPECT_PTR_EQ(test, kmag_depot_get(c, false), e);
	/* Over the limit, a full magazine's rounds go back to their spans. */
	c->depot_max = 0;
	kmag_depot_put(c, m);
	kmag_depot_put(c, e);
	KUNIT_EXPECT_EQ(test, c->central.nr_depot_full, 0);
	KUNIT_EXPECT_EQ(test, c->central.nr_depot_empty, 0);
	spin_unlock_irqrestore(&c->central.lock, flags);
	KUNIT_EXPECT_EQ(test, kmag_central_live(c), 0);
	kmag_cache_destroy(c);
}

static atomic_t kmag_test_ctor_calls;

static void kmag_test_ctor(void *obj)
{
	atomic_inc(&kmag_test_ctor_calls);
	memset(obj, 0xc7, 256);
}

/* The constructor runs once per object, when its span is made. */
static void kmag_central_ctor_once(struct kunit *test)
{
	struct kmag_cache *c;
	u8 *p;
	int i;

	atomic_set(&kmag_test_ctor_calls, 0);
	c = kmag_central_cache(test, "kmag_test_ctor", kmag_test_ctor);
	p = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	/* Constructed state, not zeroed by init_on_alloc. */
	KUNIT_EXPECT_EQ(test, p[0], 0xc7);
	KUNIT_EXPECT_EQ(test, p[255], 0xc7);
	KUNIT_EXPECT_EQ(test, atomic_read(&kmag_test_ctor_calls) % 16, 0);
	i = atomic_read(&kmag_test_ctor_calls);
	KUNIT_EXPECT_GT(test, i, 0);
	kmag_cache_free(c, p);
	for (i = 0; i < 100; i++) {
		p = kmag_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		kmag_cache_free(c, p);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&kmag_test_ctor_calls) % 16, 0);
	KUNIT_EXPECT_LE(test, atomic_read(&kmag_test_ctor_calls), 16 * num_possible_cpus());
	kmag_cache_destroy(c);
}

/* An object given back twice is reported once and not counted free twice. */
static void kmag_central_double_put(struct kunit *test)
{
	struct kmag_cache *c = kmag_central_cache(test, "kmag_test_dblput", NULL);
	struct kmag_stats before, after;
	struct kmag_span *s;
	void *p;

	KUNIT_ASSERT_GE(test, kmag_central_grow(c, GFP_KERNEL, NUMA_NO_NODE), 0);
	KUNIT_ASSERT_EQ(test, kmag_get(c, &p, 1), 1);
	s = kmag_span_of(p);
	kmag_put(c, &p, 1);
	kmag_stats_read(&before);
	kmag_put(c, &p, 1);	/* expecting one double-free report */
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.double_frees - before.double_frees, 1);
	KUNIT_EXPECT_EQ(test, s->nfree, 16);
	kmag_cache_destroy(c);
}

/*
 * Flushing a depot of 20 magazines takes the central lock twice (16, then
 * 4): never one long hold. (No span: no hold for the empty lists.) 32-byte
 * objects: their depot keeps 32 magazines.
 */
static void kmag_central_flush_batches(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_test_batches", 32, 0, 0, NULL);
	struct kmag_mag *m;
	unsigned long flags;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_GE(test, c->depot_max, 20);
	for (i = 0; i < 20; i++) {
		m = kmag_mag_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, m);
		spin_lock_irqsave(&c->central.lock, flags);
		kmag_depot_put(c, m);
		spin_unlock_irqrestore(&c->central.lock, flags);
	}
	KUNIT_EXPECT_EQ(test, c->central.nr_depot_empty, 20);
	KUNIT_EXPECT_EQ(test, kmag_central_flush(c), 2);
	KUNIT_EXPECT_EQ(test, c->central.nr_depot_empty, 0);
	kmag_cache_destroy(c);
}

static struct kunit_case kmag_central_cases[] = {
	KUNIT_CASE(kmag_central_refill),
	KUNIT_CASE(kmag_central_span_release),
	KUNIT_CASE(kmag_central_depot),
	KUNIT_CASE(kmag_central_flush_batches),
	KUNIT_CASE(kmag_central_ctor_once),
	KUNIT_CASE(kmag_central_double_put),
	{}
};

static struct kunit_suite kmag_central_suite = {
	.name = "kmag_central",
	.suite_init = kmag_test_suite_init_lifo,
	.suite_exit = kmag_test_suite_exit_lifo,
	.exit = kmag_test_exit,
	.test_cases = kmag_central_cases,
};

kunit_test_suite(kmag_central_suite);
