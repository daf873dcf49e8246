// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_reclaim: giving memory back. Free spans go back to the buddy
 * allocator page by page (holes in chunks that stay), after their delay and
 * above the headroom; the depot gives back exactly what its working set did
 * not use; idle CPUs' magazines are flushed; the shrinker's count and scan
 * agree with what is given back. The reclaimer itself is paused: each test
 * drives one pass by hand.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/nodemask.h>
#include <linux/sched.h>

#include "kmag_test.h"

#define PG(n) ((unsigned long)(n) << PAGE_SHIFT)

static int kmag_reclaim_test_init(struct kunit *test)
{
	struct kmag_stats st;

	kmag_drain();
	kmag_stats_read(&st);
	KUNIT_ASSERT_EQ(test, st.sys_bytes, 0);
	return 0;
}

static unsigned long kmag_scavenge_all(unsigned long delay, unsigned long keep)
{
	unsigned long n = 0;
	int nid;

	for_each_node(nid)
		n += kmag_heap_scavenge(nid, delay, keep, ULONG_MAX);
	return n;
}

/*
 * A free span in the middle of a chunk still in use goes back to the buddy
 * allocator on its own: its pages leave the map (a free there is reported
 * as invalid, not followed), the chunk keeps a hole, and the chunk goes
 * once nothing of it is held.
 */
static void kmag_reclaim_hole(struct kunit *test)
{
	const size_t size = 400000;	/* 98 pages, no alignment */
	unsigned long npages = PAGE_ALIGN(size) >> PAGE_SHIFT, i;
	struct kmag_stats before, after;
	void *a, *b, *c;

	migrate_disable();	/* one node's heap: one CPU per node here */
	a = kmag_alloc(size, GFP_KERNEL);
	b = kmag_alloc(size, GFP_KERNEL);
	c = kmag_alloc(size, GFP_KERNEL);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_PTR_EQ(test, b, a + PG(npages));
	KUNIT_ASSERT_PTR_EQ(test, c, b + PG(npages));
	kmag_free(b);
	kmag_stats_read(&before);
	/* Expecting b's pages and the chunk's free tail to go back. */
	KUNIT_EXPECT_EQ(test, kmag_scavenge_all(0, 0), KMAG_CHUNK_PAGES - 2 * npages);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, before.sys_bytes - after.sys_bytes,
			PG(KMAG_CHUNK_PAGES - 2 * npages));
	KUNIT_EXPECT_EQ(test, after.heap_released_bytes, PG(KMAG_CHUNK_PAGES - 2 * npages));
	KUNIT_EXPECT_EQ(test, after.free_span_bytes, 0);
	for (i = 0; i < npages; i++)
		KUNIT_EXPECT_NULL(test, kmag_map_entry(b + PG(i)));
	/* Expecting one invalid-free report: the pages are not kmag's now. */
	kmag_free(b);
	kmag_stats_read(&before);
	KUNIT_EXPECT_EQ(test, before.invalid_frees - after.invalid_frees, 1);
	KUNIT_EXPECT_EQ(test, before.frees, after.frees);
	/* a and c cannot coalesce across the hole; both go, then the chunk. */
	kmag_free(a);
	kmag_free(c);
	KUNIT_EXPECT_EQ(test, kmag_scavenge_all(0, 0), 2 * npages);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.sys_bytes, 0);
	KUNIT_EXPECT_EQ(test, after.heap_released_bytes, 0);
	KUNIT_EXPECT_NULL(test, kmag_map_entry(a));
}

/*
 * Spans free for less than the delay, or within the headroom, stay. The
 * object is above 256 KiB: a CPU keeps no span that large for itself.
 */
static void kmag_reclaim_delay_headroom(struct kunit *test)
{
	void *p = kmag_alloc(300000, GFP_KERNEL);
	struct kmag_stats st;

	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_free(p);
	kmag_stats_read(&st);
	KUNIT_ASSERT_GT(test, st.free_span_bytes, 0);
	KUNIT_EXPECT_EQ(test, kmag_scavenge_all(60 * HZ, 0), 0);
	KUNIT_EXPECT_EQ(test, kmag_scavenge_all(0, st.free_span_bytes >> PAGE_SHIFT), 0);
	KUNIT_EXPECT_EQ(test, kmag_scavenge_all(0, 0), st.free_span_bytes >> PAGE_SHIFT);
}

/* A full magazine of real objects of @c. */
static struct kmag_mag *kmag_full_mag(struct kunit *test, struct kmag_cache *c)
{
	struct kmag_mag *m = kmag_mag_alloc(c, GFP_KERNEL);
	unsigned long flags;
	unsigned int n;

	KUNIT_ASSERT_NOT_NULL(test, m);
	while (m->rounds < m->capacity) {
		spin_lock_irqsave(&c->central.lock, flags);
		n = kmag_central_get(c, m->objs + m->rounds, m->capacity - m->rounds,
				     NUMA_NO_NODE);
		spin_unlock_irqrestore(&c->central.lock, flags);
		m->rounds += n;
		if (!n)
			KUNIT_ASSERT_GE(test, kmag_central_grow(c, GFP_KERNEL, NUMA_NO_NODE), 0);
	}
	return m;
}

static void kmag_depot_move(struct kmag_cache *c, struct kmag_mag **m, int n, bool put)
{
	unsigned long flags;
	int i;

	spin_lock_irqsave(&c->central.lock, flags);
	for (i = 0; i < n; i++) {
		if (put)
			kmag_depot_put(c, m[i]);
		else
			m[i] = kmag_depot_get(c, true);
	}
	spin_unlock_irqrestore(&c->central.lock, flags);
}

/*
 * The reaper frees exactly the full magazines the depot did not need
 * during the interval: its lowest level since the last reap.
 */
static void kmag_reclaim_depot_working_set(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_test_reap", 64, 0, 0, NULL);
	struct kmag_mag *m[5];
	bool busy = false;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < 5; i++)
		m[i] = kmag_full_mag(test, c);
	migrate_disable();	/* one node's depot (§16) */
	kmag_depot_reap(c, &busy);		/* an interval starts: level 0 */
	kmag_depot_move(c, m, 5, true);		/* level 5, lowest 0 */
	KUNIT_EXPECT_EQ(test, kmag_depot_reap(c, &busy), 0);
	KUNIT_EXPECT_TRUE(test, busy);
	kmag_depot_move(c, m, 2, false);	/* lowest 3 */
	KUNIT_ASSERT_NOT_NULL(test, m[0]);
	KUNIT_ASSERT_NOT_NULL(test, m[1]);
	kmag_depot_move(c, m, 2, true);		/* back to 5 */
	KUNIT_EXPECT_EQ(test, c->central.nr_depot_full, 5);
	KUNIT_EXPECT_EQ(test, kmag_depot_reap(c, &busy), 3);
	KUNIT_EXPECT_EQ(test, c->central.nr_depot_full, 2);
	/* Untouched for a whole interval: the rest goes too. */
	busy = false;
	KUNIT_EXPECT_EQ(test, kmag_depot_reap(c, &busy), 2);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, c->central.nr_depot_full, 0);
	KUNIT_EXPECT_FALSE(test, busy);
	KUNIT_EXPECT_EQ(test, kmag_central_live(c), 0);
	kmag_cache_destroy(c);
}

/* A CPU that stopped using a cache has its magazines flushed. */
static void kmag_reclaim_idle_magazines(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_test_idle", 96, 0, 0, NULL);
	struct kmag_cpu *cc;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, c);
	migrate_disable();
	p = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_cache_free(c, p);
	cc = this_cpu_ptr(c->cpu);
	KUNIT_EXPECT_NE(test, cc->loaded->rounds, 0);
	kmag_reclaim_run(60 * HZ);		/* the CPU was active: kept */
	KUNIT_EXPECT_PTR_NE(test, cc->loaded, &kmag_no_mag);
	kmag_reclaim_run(60 * HZ);		/* idle since: flushed */
	KUNIT_EXPECT_PTR_EQ(test, cc->loaded, &kmag_no_mag);
	KUNIT_EXPECT_PTR_EQ(test, cc->previous, &kmag_no_mag);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, kmag_central_live(c), 0);
	kmag_cache_destroy(c);
}

/*
 * The shrinker reports what it can give back and gives exactly that back:
 * objects cached in magazines and the depot, and free pages; afterwards
 * nothing is idle and every gauge is back to 0.
 */
static void kmag_reclaim_shrinker(struct kunit *test)
{
	struct kmag_stats before, after;
	unsigned long count, freed = 0, counted = 0, free_pages = 0, left = 0;
	const int n = 2000;
	void **objs;
	int i, nid;

	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < n; i++) {
		objs[i] = kmag_alloc(i % 3 ? 200 : 5000, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 0; i < n; i++)
		kmag_free(objs[i]);
	kmag_stats_read(&before);
	KUNIT_EXPECT_GT(test, before.idle_bytes, 0);
	KUNIT_EXPECT_EQ(test, before.idle_bytes, before.magazine_bytes +
			before.depot_bytes + before.free_span_bytes);
	for_each_node_state(nid, N_MEMORY)
		free_pages += kmag_heap_free_pages(nid);
	msleep(110);	/* the scan drains at most once per 100 ms */
	for_each_node_state(nid, N_MEMORY) {
		freed += kmag_shrink(nid, &count, ULONG_MAX);
		counted += count;
	}
	kmag_stats_read(&after);
	kunit_info(test, "counted %lu pages, gave back %lu\n", counted, freed);
	KUNIT_EXPECT_GT(test, counted, 0);
	KUNIT_EXPECT_EQ(test, before.sys_bytes - after.sys_bytes, PG(freed));
	KUNIT_EXPECT_EQ(test, after.shrinker_freed_bytes - before.shrinker_freed_bytes,
			PG(freed));
	/* Free pages counted before are given back; cached objects' spans too. */
	KUNIT_EXPECT_GT(test, freed, free_pages);
	for_each_node_state(nid, N_MEMORY) {
		kmag_shrink(nid, &count, ULONG_MAX);
		left += count;
	}
	KUNIT_EXPECT_EQ(test, left, 0);
	KUNIT_EXPECT_EQ(test, after.sys_bytes, 0);
	KUNIT_EXPECT_EQ(test, after.idle_bytes, 0);
	KUNIT_EXPECT_EQ(test, after.magazine_bytes, 0);
	KUNIT_EXPECT_EQ(test, after.depot_bytes, 0);
	KUNIT_EXPECT_EQ(test, after.heap_released_bytes, 0);
}

/*
 * A depot found locked often during an interval makes the cache's new
 * magazines twice larger, up to mag_max; memory pressure (the shrinker)
 * halves them, down to mag_min. Magazines of both sizes work together.
 */
static void kmag_reclaim_magazine_capacity(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_test_cap", 1024, 0, 0, NULL);
	unsigned int cap0, count_unused;
	unsigned long flags, count;
	const int n = 600;
	struct kmag_mag *m;
	bool busy = false;
	void **objs;
	int i, nid;

	KUNIT_ASSERT_NOT_NULL(test, c);
	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	cap0 = c->mag_capacity;
	KUNIT_ASSERT_LT(test, cap0, c->mag_max);
	for (i = 0; i < n; i++) {	/* magazines of cap0 */
		objs[i] = kmag_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 0; i < 3; i++) {
		spin_lock_irqsave(&c->central.lock, flags);
		c->central.contended = 8;	/* as many as the slow paths count */
		spin_unlock_irqrestore(&c->central.lock, flags);
		kmag_depot_reap(c, &busy);
	}
	KUNIT_EXPECT_EQ(test, c->mag_capacity, c->mag_max);
	KUNIT_EXPECT_LE(test, c->mag_max, KMAG_MAG_MAX_ROUNDS);
	KUNIT_EXPECT_LE(test, (unsigned long)c->mag_max * c->size, SZ_256K);
	m = kmag_mag_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, m->capacity, c->mag_max);
	kmag_mag_free(m);
	/* Fewer than 8 contended exchanges: no growth, and the count restarts. */
	spin_lock_irqsave(&c->central.lock, flags);
	c->central.contended = 7;
	spin_unlock_irqrestore(&c->central.lock, flags);
	kmag_depot_reap(c, &busy);
	KUNIT_EXPECT_EQ(test, c->central.contended, 0);
	/* Old and new magazines together: free, then allocate again. */
	for (i = 0; i < n; i++)
		kmag_cache_free(c, objs[i]);
	for (i = 0; i < n; i++) {
		objs[i] = kmag_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 0; i < n; i++)
		kmag_cache_free(c, objs[i]);
	/* Scans drain and halve at most once per 100 ms: space them. */
	for (i = 0; i < 6; i++) {
		msleep(110);
		for_each_node_state(nid, N_MEMORY)
			kmag_shrink(nid, &count, ULONG_MAX);
	}
	KUNIT_EXPECT_EQ(test, c->mag_capacity, c->mag_min);
	KUNIT_EXPECT_EQ(test, c->mag_min, max(cap0 / 4, 4U));
	count_unused = c->central.depot_rounds;
	KUNIT_EXPECT_EQ(test, count_unused, 0);
	KUNIT_EXPECT_EQ(test, kmag_central_live(c), 0);
	kmag_cache_destroy(c);
}

static struct kunit_case kmag_reclaim_cases[] = {
	KUNIT_CASE(kmag_reclaim_hole),
	KUNIT_CASE(kmag_reclaim_delay_headroom),
	KUNIT_CASE(kmag_reclaim_depot_working_set),
	KUNIT_CASE(kmag_reclaim_idle_magazines),
	KUNIT_CASE(kmag_reclaim_shrinker),
	KUNIT_CASE(kmag_reclaim_magazine_capacity),
	{}
};

static struct kunit_suite kmag_reclaim_suite = {
	.name = "kmag_reclaim",
	.suite_init = kmag_test_suite_init,
	.suite_exit = kmag_test_suite_exit,
	.init = kmag_reclaim_test_init,
	.exit = kmag_test_exit,
	.test_cases = kmag_reclaim_cases,
};

kunit_test_suite(kmag_reclaim_suite);
