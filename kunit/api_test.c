// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_api: the semantics promised by include/kmag.h, one test per promise.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/kasan.h>
#include <linux/log2.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kmag_test.h"

/*
 * Size 0 gives ZERO_SIZE_PTR; NULL and ZERO_SIZE_PTR are fine to free:
 * nothing reported, nothing counted.
 */
static void kmag_api_zero_size(struct kunit *test)
{
	struct kmag_stats before, after;

	KUNIT_EXPECT_PTR_EQ(test, kmag_alloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_PTR_EQ(test, kmag_zalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_EQ(test, kmag_size(NULL), 0);
	KUNIT_EXPECT_EQ(test, kmag_size(ZERO_SIZE_PTR), 0);
	kmag_stats_read(&before);
	kmag_free(NULL);
	kmag_free(ZERO_SIZE_PTR);
	kmag_free_sensitive(NULL);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.invalid_frees, before.invalid_frees);
	KUNIT_EXPECT_EQ(test, after.double_frees, before.double_frees);
	KUNIT_EXPECT_EQ(test, after.frees, before.frees);
}

/*
 * 8-byte alignment always; every power-of-two size naturally aligned, up to
 * 4 MiB, as kmalloc guarantees (several objects each: one may be aligned by
 * chance).
 */
static void kmag_api_alignment(struct kunit *test)
{
	static const size_t sizes[] = { 1, 7, 8, 12, 24, 40, 100, 200, 1000,
					3000, 5000, 20000, 40000, 100000 };
	void *objs[8];
	size_t size;
	void *p;
	int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = kmag_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p, 8), "size %zu", sizes[i]);
		KUNIT_EXPECT_GE(test, kmag_size(p), sizes[i]);
		kmag_free(p);
	}
	for (size = 8; size <= KMAG_MAX_ALLOC; size *= 2) {
		for (i = 0; i < ARRAY_SIZE(objs); i++) {
			objs[i] = kmag_alloc(size, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, objs[i]);
			KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)objs[i], size),
					      "size %zu: off by %lu", size,
					      (unsigned long)objs[i] & (size - 1));
			KUNIT_EXPECT_EQ(test, kmag_size(objs[i]), size);
		}
		for (i = 0; i < ARRAY_SIZE(objs); i++)
			kmag_free(objs[i]);
	}
}

/* Usable size is the class size (small) or whole pages (large). */
static void kmag_api_usable_size(struct kunit *test)
{
	size_t size;
	u8 *p;

	for (size = 1; size <= 70000; size += size / 3 + 1) {
		p = kmag_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		if (size <= KMAG_MAX_SMALL)
			KUNIT_EXPECT_EQ(test, kmag_size(p),
					kmag_classes[kmag_size_class(size)]->size);
		else
			KUNIT_EXPECT_EQ(test, kmag_size(p), PAGE_ALIGN(size));
		/* All of it is usable: fill and check it. */
		kmag_test_fill(p, kmag_size(p));
		KUNIT_EXPECT_TRUE(test, kmag_test_intact(p, kmag_size(p)));
		kmag_free(p);
	}
}

/* __GFP_ZERO (and init_on_alloc where on) give zeroed objects, small and large. */
static void kmag_api_zeroing(struct kunit *test)
{
	static const size_t sizes[] = { 16, 256, 4096, 32768, 65536 };
	u8 *p, *q;
	int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = kmag_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		memset(p, 0xaa, kmag_size(p));
		kmag_free(p);
		q = kmag_zalloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		KUNIT_EXPECT_TRUE_MSG(test, kmag_test_zero(q, kmag_size(q)), "size %zu", sizes[i]);
		memset(q, 0xaa, kmag_size(q));
		kmag_free(q);
		q = kmag_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		if (want_init_on_alloc(GFP_KERNEL))
			KUNIT_EXPECT_TRUE_MSG(test, kmag_test_zero(q, kmag_size(q)),
					      "init_on_alloc, size %zu", sizes[i]);
		kmag_free(q);
	}
}

/* calloc and alloc_array: overflow gives NULL; calloc zeroes. */
static void kmag_api_calloc_overflow(struct kunit *test)
{
	u8 *p;

	KUNIT_EXPECT_NULL(test, kmag_calloc(SIZE_MAX / 2, 4, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, kmag_alloc_array(SIZE_MAX, 2, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, kmag_alloc_array(2, SIZE_MAX, GFP_KERNEL));
	p = kmag_alloc_array(10, 10, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_GE(test, kmag_size(p), 100);
	memset(p, 0xff, 100);
	kmag_free(p);
	p = kmag_calloc(25, 4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p, 100));
	kmag_free(p);
}

/* Above 4 MiB: NULL (and a rate-limited warning unless __GFP_NOWARN). */
static void kmag_api_oversize(struct kunit *test)
{
	struct kmag_stats before, after;
	void *p;

	kmag_stats_read(&before);
	KUNIT_EXPECT_NULL(test, kmag_alloc(KMAG_MAX_ALLOC + 1, GFP_KERNEL | __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, kmag_alloc(SIZE_MAX, GFP_KERNEL));	/* one warning */
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.alloc_failures - before.alloc_failures, 2);
	p = kmag_alloc(KMAG_MAX_ALLOC, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, kmag_size(p), KMAG_MAX_ALLOC);
	kmag_free(p);
}

/* realloc: NULL, 0, in place, grow keeps contents, failure keeps the old. */
static void kmag_api_realloc(struct kunit *test)
{
	u8 *p, *q;

	p = kmag_realloc(NULL, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_test_fill(p, 100);
	q = kmag_realloc(p, 110, GFP_KERNEL);	/* class 112: in place */
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	q = kmag_realloc(p, 50, GFP_KERNEL);	/* shrink: in place */
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_TRUE(test, kmag_test_intact(p, 100));
	q = kmag_realloc(p, 5000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	/* The pattern moved with the data: compare against the old address. */
	for (int i = 0; i < 100; i++)
		KUNIT_ASSERT_EQ(test, q[i], kmag_test_pattern(p, i));
	kmag_test_fill(q, 5000);
	p = kmag_realloc(q, 100000, GFP_KERNEL);	/* small -> large */
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (int i = 0; i < 5000; i++)
		KUNIT_ASSERT_EQ(test, p[i], kmag_test_pattern(q, i));
	/* Failure: NULL, and the old object is intact and still ours. */
	kmag_test_fill(p, 100000);
	q = kmag_realloc(p, KMAG_MAX_ALLOC + 1, GFP_KERNEL | __GFP_NOWARN);
	KUNIT_EXPECT_NULL(test, q);
	KUNIT_EXPECT_EQ(test, kmag_size(p), PAGE_ALIGN(100000));
	KUNIT_EXPECT_TRUE(test, kmag_test_intact(p, 100000));
	q = kmag_realloc(p, 0, GFP_KERNEL);	/* frees */
	KUNIT_EXPECT_PTR_EQ(test, q, ZERO_SIZE_PTR);
	q = kmag_realloc(ZERO_SIZE_PTR, 8, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	kmag_free(q);
}

/* Large objects: page heap, counted, any size up to the limit. */
static void kmag_api_large(struct kunit *test)
{
	static const size_t sizes[] = { 32769, 65536, 262144, 1 << 20, 3 << 20 };
	struct kmag_stats before, after;
	void *p[ARRAY_SIZE(sizes)];
	int i;

	kmag_stats_read(&before);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p[i] = kmag_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		KUNIT_EXPECT_TRUE(test, PAGE_ALIGNED(p[i]));
		kmag_test_fill(p[i], sizes[i]);
	}
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.large_allocs - before.large_allocs, ARRAY_SIZE(sizes));
	KUNIT_EXPECT_GE(test, after.inuse_bytes - before.inuse_bytes, 4 << 20);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		KUNIT_EXPECT_TRUE(test, kmag_test_intact(p[i], sizes[i]));
		kmag_free(p[i]);
	}
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.large_frees - before.large_frees, ARRAY_SIZE(sizes));
}

/*
 * Above 2 MiB, an object holds exactly its pages: kmag_size(), the
 * counters and the zeroing all agree on PAGE_ALIGN(size).
 */
static void kmag_api_large_exact(struct kunit *test)
{
	const size_t size = (3 << 20) + 1, bytes = PAGE_ALIGN(size);
	struct kmag_stats before, mid, after;
	u8 *p;

	kmag_stats_read(&before);
	p = kmag_alloc(size, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_stats_read(&mid);
	KUNIT_EXPECT_EQ(test, kmag_size(p), bytes);
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p, kmag_size(p)));
	KUNIT_EXPECT_EQ(test, mid.alloc_bytes - before.alloc_bytes, bytes);
	KUNIT_EXPECT_EQ(test, mid.inuse_bytes - before.inuse_bytes, bytes);
	KUNIT_EXPECT_EQ(test, mid.sys_bytes - before.sys_bytes, bytes);
	kmag_free(p);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.alloc_bytes, before.alloc_bytes);
	KUNIT_EXPECT_EQ(test, after.sys_bytes, before.sys_bytes);
}

/*
 * A CPU keeps the span of the last large object it freed (up to 256 KiB)
 * for its next one of the same pages: the same memory comes back, counted
 * meanwhile as free memory; a second free of it is a double free; an
 * aligned request never gets an unaligned span; and kmag_drain() gives it
 * back.
 */
static void kmag_api_large_cpu(struct kunit *test)
{
	struct kmag_stats before, kept, after;
	void *p, *q, *x[8], *y[8];
	int i, n;

	kmag_drain();
	migrate_disable();	/* one CPU's slot; the reclaimer is paused */
	kmag_stats_read(&before);
	p = kmag_alloc(SZ_64K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_free(p);
	kmag_stats_read(&kept);
	KUNIT_EXPECT_EQ(test, kept.inuse_bytes, before.inuse_bytes);
	KUNIT_EXPECT_GE(test, kept.free_span_bytes - before.free_span_bytes, SZ_64K);
	kmag_free(p);		/* expecting a double-free report */
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.double_frees - kept.double_frees, 1);
	KUNIT_EXPECT_EQ(test, after.large_frees - kept.large_frees, 0);
	q = kmag_alloc(SZ_64K, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(q, SZ_64K));
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.inuse_bytes - before.inuse_bytes, SZ_64K);
	kmag_free(q);

	/*
	 * A 16-page span that is not 64 KiB aligned (9-page objects before
	 * it shift where it lands), kept last, then not used for 64 KiB.
	 */
	for (i = 0; i < ARRAY_SIZE(x); i++) {
		x[i] = kmag_alloc(9 * PAGE_SIZE, GFP_KERNEL);
		y[i] = kmag_alloc(SZ_64K - 100, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, x[i]);
		KUNIT_ASSERT_NOT_NULL(test, y[i]);
		if (!IS_ALIGNED((unsigned long)y[i], SZ_64K))
			break;
	}
	KUNIT_ASSERT_LT(test, i, ARRAY_SIZE(x));
	n = i + 1;
	for (i = 0; i < n; i++) {
		kmag_free(x[i]);
		if (i < n - 1)
			kmag_free(y[i]);
	}
	kmag_free(y[n - 1]);
	q = kmag_alloc(SZ_64K, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)q, SZ_64K));
	KUNIT_EXPECT_PTR_NE(test, q, y[n - 1]);
	kmag_free(q);
	migrate_enable();

	kmag_drain();
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.sys_bytes, before.sys_bytes);
	KUNIT_EXPECT_EQ(test, after.free_span_bytes, before.free_span_bytes);
	KUNIT_EXPECT_EQ(test, after.large_allocs - before.large_allocs, 3 + 2 * n);
	KUNIT_EXPECT_EQ(test, after.large_frees - before.large_frees, 3 + 2 * n);
}

/* kmag_alloc_node() gives memory of the node asked for (if it has memory). */
static void kmag_api_node(struct kunit *test)
{
	static const size_t sizes[] = { 64, 2048, 100000 };
	int nid, i;
	void *p;

	for_each_node_state(nid, N_MEMORY) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			p = kmag_alloc_node(sizes[i], GFP_KERNEL, nid);
			KUNIT_ASSERT_NOT_NULL(test, p);
			KUNIT_EXPECT_EQ_MSG(test, page_to_nid(virt_to_page(p)), nid,
					    "size %zu", sizes[i]);
			kmag_free(p);
		}
	}
	KUNIT_EXPECT_NULL(test, kmag_alloc_node(64, GFP_KERNEL, MAX_NUMNODES + 5));
	KUNIT_EXPECT_NULL(test, kmag_alloc_node(64, GFP_KERNEL, -2));
	KUNIT_EXPECT_NULL(test, kmag_alloc(64, GFP_KERNEL | GFP_DMA));
}

static unsigned long kmag_test_misses(struct kmag_cache *c)
{
	unsigned long n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu_ptr(c->cpu, cpu)->stat[KMAG_MAG_MISS];
	return n;
}

/*
 * kmalloc_node(size, gfp, this node), the common pattern, is served by the
 * loaded magazine when it holds objects of this node: no slow path.
 */
static void kmag_api_node_local(struct kunit *test)
{
	struct kmag_cache *c = kmag_classes[kmag_size_class(96)];
	unsigned long miss;
	void *objs[16];
	int nid, i, hits = 0;

	migrate_disable();
	nid = kmag_cpu_home(smp_processor_id());	/* has memory */
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		objs[i] = kmag_alloc(96, GFP_KERNEL);
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		hits += page_to_nid(virt_to_page(objs[i])) == nid;
		kmag_free(objs[i]);
	}
	/* Freed on this CPU: on top of its loaded magazine now. */
	miss = kmag_test_misses(c);
	for (i = 0; i < hits; i++) {
		objs[i] = kmag_alloc_node(96, GFP_KERNEL, nid);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		KUNIT_EXPECT_EQ(test, page_to_nid(virt_to_page(objs[i])), nid);
	}
	KUNIT_EXPECT_EQ(test, kmag_test_misses(c), miss);
	migrate_enable();
	KUNIT_EXPECT_GT(test, hits, 0);
	for (i = 0; i < hits; i++)
		kmag_free(objs[i]);
}

/* Pages of one node taken away from everybody, to be given back. */
struct kmag_hoard {
	struct page *pages;	/* linked through page->lru */
	unsigned long nr;
};

static void kmag_hoard_node(struct kmag_hoard *h, int nid)
{
	struct page *page;
	int order;

	h->pages = NULL;
	h->nr = 0;
	for (order = KMAG_NR_PAGE_ORDERS - 1; order >= 0; order--) {
		while ((page = alloc_pages_node(nid, GFP_NOWAIT | __GFP_THISNODE |
						__GFP_NOWARN, order))) {
			page->private = order;
			page->lru.next = (void *)h->pages;
			h->pages = page;
			h->nr += 1UL << order;
			cond_resched();
		}
	}
}

static void kmag_hoard_free(struct kmag_hoard *h)
{
	struct page *page;

	while ((page = h->pages)) {
		h->pages = (void *)page->lru.next;
		__free_pages(page, page->private);
	}
}

/*
 * A node out of memory: kmag_alloc_node() to it falls back to the other
 * nodes (as kmalloc_node does) without growing on every call, and with
 * __GFP_THISNODE fails cleanly.
 */
static void kmag_api_node_exhausted(struct kunit *test)
{
	struct kmag_cache *c = kmag_classes[kmag_size_class(256)];
	struct kmag_stats before, after;
	struct kmag_hoard hoard;
	const int n = 200;
	void **objs, *p;
	int nid, i;

	if (num_node_state(N_MEMORY) < 2)
		kunit_skip(test, "needs two nodes with memory");
	nid = first_node(node_states[N_MEMORY]);
	if (nid == numa_mem_id())
		nid = next_node(nid, node_states[N_MEMORY]);
	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	kmag_drain();
	kmag_hoard_node(&hoard, nid);
	kunit_info(test, "node %d: %lu pages taken\n", nid, hoard.nr);
	kmag_stats_read(&before);
	for (i = 0; i < n; i++) {
		objs[i] = kmag_alloc_node(256, GFP_KERNEL, nid);
		if (!objs[i])
			break;
	}
	kmag_stats_read(&after);
	/* Strict: from that node or nothing (pages freed meanwhile may be there). */
	p = kmag_alloc_node(1024, GFP_NOWAIT | __GFP_THISNODE | __GFP_NOWARN, nid);
	if (p) {
		KUNIT_EXPECT_EQ(test, page_to_nid(virt_to_page(p)), nid);
		kmag_free(p);
	}
	kmag_hoard_free(&hoard);
	KUNIT_EXPECT_EQ(test, i, n);
	/*
	 * 200 objects of 256 bytes: the spans they need, in one chunk of
	 * another node, plus at most one chunk of node-local pages that the
	 * fallback's reclaim (GFP_KERNEL) freed meanwhile. Growing on every
	 * call is what nr_spans below rules out.
	 */
	KUNIT_EXPECT_LE(test, after.sys_bytes - before.sys_bytes,
			(long)SZ_4M + DIV_ROUND_UP(n, c->objs_per_span) * PAGE_SIZE);
	KUNIT_EXPECT_LE(test, c->central.nr_spans, DIV_ROUND_UP(n, c->objs_per_span) + 1);
	while (i--)
		kmag_free(objs[i]);
}

/* Named caches: alignment, usable size, bulk all-or-nothing. */
static void kmag_api_cache(struct kunit *test)
{
	struct kmag_cache *c;
	void *objs[64];
	int i, j;

	c = kmag_cache_create("kmag_test_align", 40, 64, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = kmag_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)objs[i], 64));
		KUNIT_EXPECT_EQ(test, kmag_size(objs[i]), 40);
		if (want_init_on_alloc(GFP_KERNEL))
			KUNIT_EXPECT_TRUE(test, kmag_test_zero(objs[i], 40));
		memset(objs[i], i, 40);
	}
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		for (j = 0; j < 40; j++)
			KUNIT_ASSERT_EQ(test, ((u8 *)objs[i])[j], (u8)i);
		kmag_cache_free(c, objs[i]);
	}

	KUNIT_EXPECT_EQ(test, kmag_cache_alloc_bulk(c, GFP_KERNEL, 64, objs), 64);
	for (i = 1; i < 64; i++)
		KUNIT_EXPECT_PTR_NE(test, objs[i], objs[i - 1]);
	kmag_cache_free_bulk(c, 64, objs);
	/* Failing allocation: nothing is handed out. */
	memset(objs, 0, sizeof(objs));
	KUNIT_EXPECT_EQ(test, kmag_cache_alloc_bulk(c, GFP_KERNEL | GFP_DMA, 64, objs), 0);
	kmag_cache_destroy(c);

	KUNIT_EXPECT_NULL(test, kmag_cache_create("kmag_test_bad", 0, 0, 0, NULL));
	KUNIT_EXPECT_NULL(test, kmag_cache_create("kmag_test_bad", 64, 3, 0, NULL));
	KUNIT_EXPECT_NULL(test, kmag_cache_create("kmag_test_bad", 64, 0,
						  SLAB_CACHE_DMA, NULL));
	KUNIT_EXPECT_NULL(test, kmag_cache_create("kmag_test_bad", 40000, 0, 0, NULL));
	c = kmag_cache_create("kmag_test_hw", 100, 0, SLAB_HWCACHE_ALIGN, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	objs[0] = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)objs[0], cache_line_size()));
	kmag_cache_free(c, objs[0]);
	kmag_cache_destroy(c);
}

/*
 * Destroying a cache with live objects reports and keeps it usable for
 * frees; the free of its last object frees the cache.
 */
static void kmag_api_destroy_live(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_test_live", 128, 0, 0, NULL);
	void *p[3];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < 3; i++) {
		p[i] = kmag_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		kmag_test_fill(p[i], 128);
	}
	kmag_cache_destroy(c);	/* expecting "destroyed with 3 live objects" */
	KUNIT_EXPECT_TRUE(test, c->dead);
	KUNIT_EXPECT_EQ(test, kmag_central_live(c), 3);
	KUNIT_EXPECT_NULL(test, kmag_cache_alloc(c, GFP_KERNEL));
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_TRUE(test, kmag_test_intact(p[i], 128));
		kmag_cache_free(c, p[i]);
	}
	KUNIT_EXPECT_EQ(test, kmag_central_live(c), 1);
	flush_workqueue(kmag_wq);
	KUNIT_EXPECT_TRUE(test, kmag_test_cache_listed(c));
	KUNIT_EXPECT_TRUE(test, kmag_test_intact(p[2], 128));
	kmag_cache_free(c, p[2]);
	flush_workqueue(kmag_wq);
	/* c is gone now: only its absence may be looked at. */
	KUNIT_EXPECT_FALSE(test, kmag_test_cache_listed(c));
}

/*
 * The free of an orphan's last object queues its release once: a drain
 * that flushes the orphan while the release waits for the caches mutex
 * must not queue it again (KASAN would see the second kfree).
 */
static void kmag_api_orphan_drain(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_test_orphan", 128, 0, 0, NULL);
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, c);
	p = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_cache_destroy(c);	/* expecting "destroyed with 1 live objects" */
	cpus_read_lock();
	mutex_lock(&kmag_caches_mutex);
	kmag_cache_free(c, p);	/* queues the release, which waits for us */
	msleep(200);
	kmag_magazines_drain(c);
	mutex_unlock(&kmag_caches_mutex);
	cpus_read_unlock();
	flush_workqueue(kmag_wq);
	KUNIT_EXPECT_FALSE(test, kmag_test_cache_listed(c));
}

/*
 * The fast paths' fields share no cache line with the central lock, which
 * every CPU's slow path writes.
 */
static void kmag_api_layout(struct kunit *test)
{
	struct kmag_cache *c = kmag_classes[0];

	KUNIT_EXPECT_LE(test, offsetofend(struct kmag_cache, span_align), L1_CACHE_BYTES);
	KUNIT_EXPECT_GE(test, offsetof(struct kmag_cache, central.lock), L1_CACHE_BYTES);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)c, L1_CACHE_BYTES));
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)&c->central.lock, L1_CACHE_BYTES));
	/* The span's in-use bits live apart from what lookups read. */
	KUNIT_EXPECT_GE(test, offsetof(struct kmag_span, inuse), L1_CACHE_BYTES);
	KUNIT_EXPECT_LE(test, offsetofend(struct kmag_span, chunk), L1_CACHE_BYTES);
}

/* All different: a double free handed nothing out twice. */
static void kmag_test_unique(struct kunit *test, void **objs, int n)
{
	int i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			KUNIT_ASSERT_PTR_NE_MSG(test, objs[i], objs[j], "handed out twice");
}

/*
 * Double frees in any order are reported exactly once each, not counted
 * as frees, and never hand an object out twice.
 */
static void kmag_api_double_free(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_test_twice", 200, 0, 0, NULL);
	struct kmag_stats before, after;
	void *a, *b, *x, **objs;
	int i, n;

	KUNIT_ASSERT_NOT_NULL(test, c);
	n = 3 * c->mag_capacity + 8;
	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	a = kmag_cache_alloc(c, GFP_KERNEL);
	b = kmag_cache_alloc(c, GFP_KERNEL);
	x = kmag_alloc(200, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, x);
	kmag_stats_read(&before);
	/* Expecting four double-free reports. */
	kmag_cache_free(c, a);
	kmag_cache_free(c, b);
	kmag_cache_free(c, a);		/* a, b, a */
	kmag_free(b);			/* b again, through kmag_free */
	kmag_free(x);
	kmag_free(x);			/* x, x */
	kmag_free(x);			/* x, x, x */
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.double_frees - before.double_frees, 4);
	KUNIT_EXPECT_EQ(test, after.invalid_frees, before.invalid_frees);
	KUNIT_EXPECT_EQ(test, after.frees - before.frees, 3);
	KUNIT_EXPECT_EQ(test, after.live_objects - before.live_objects, -3);
	for (i = 0; i < n; i++) {
		objs[i] = kmag_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	kmag_test_unique(test, objs, n);
	for (i = 0; i < n; i++)
		kmag_cache_free(c, objs[i]);
	kmag_cache_destroy(c);
}

/*
 * Without memory for magazines, allocation and free go straight to the
 * spans; and a miss is counted only for an operation that completes.
 */
static void kmag_api_no_magazines(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_test_nomag", 64, 0, 0, NULL);
	unsigned long miss;
	void *p, *q, *live;

	KUNIT_ASSERT_NOT_NULL(test, c);
	live = kmag_cache_alloc(c, GFP_KERNEL);	/* keeps its span */
	KUNIT_ASSERT_NOT_NULL(test, live);
	cpus_read_lock();
	kmag_magazines_drain(c);		/* no CPU has magazines now */
	cpus_read_unlock();
	KUNIT_ASSERT_EQ(test, c->central.nr_spans, 1);

	WRITE_ONCE(kmag_fail_mag_alloc, true);
	p = kmag_cache_alloc(c, GFP_KERNEL);
	q = kmag_cache_alloc(c, GFP_ATOMIC);
	WRITE_ONCE(kmag_fail_mag_alloc, false);
	KUNIT_EXPECT_NOT_NULL(test, p);
	KUNIT_EXPECT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, p, q);
	kmag_cache_free(c, p);
	kmag_cache_free(c, q);
	kmag_cache_free(c, live);

	cpus_read_lock();
	kmag_magazines_drain(c);
	cpus_read_unlock();
	KUNIT_ASSERT_EQ(test, c->central.nr_spans, 0);
	miss = kmag_test_misses(c);
	WRITE_ONCE(kmag_fail_heap_alloc, true);
	p = kmag_cache_alloc(c, GFP_KERNEL);	/* no span can be had */
	WRITE_ONCE(kmag_fail_heap_alloc, false);
	KUNIT_EXPECT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, kmag_test_misses(c), miss);
	p = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, kmag_test_misses(c), miss + 1);
	kmag_cache_free(c, p);
	kmag_cache_destroy(c);
}

/* Frees of memory kmag did not hand out are reported, counted, ignored. */
static void kmag_api_invalid_free(struct kunit *test)
{
	struct kmag_stats before, after;
	void *km, *vm, *p, *big;
	u64 on_stack = 0;
	struct kmag_cache *c;

	km = kmalloc(64, GFP_KERNEL);
	vm = vmalloc(PAGE_SIZE);
	p = kmag_alloc(64, GFP_KERNEL);
	big = kmag_alloc(100000, GFP_KERNEL);
	c = kmag_cache_create("kmag_test_other", 64, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, km);
	KUNIT_ASSERT_NOT_NULL(test, vm);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_NOT_NULL(test, c);
	memset(km, 0x5a, 64);

	kmag_stats_read(&before);
	/* Expecting seven invalid-free reports. */
	kmag_free(km);
	kmag_free(vm);
	kmag_free(&on_stack);
	kmag_free(p + 8);
	kmag_free(big + PAGE_SIZE);
	kmag_cache_free(c, p);		/* object of another cache */
	KUNIT_EXPECT_EQ(test, kmag_size(p + 16), 0);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.invalid_frees - before.invalid_frees, 7);
	KUNIT_EXPECT_EQ(test, after.frees, before.frees);
	/* Nothing was touched: the kmalloc object is intact and kfree-able. */
	KUNIT_EXPECT_TRUE(test, !memchr_inv(km, 0x5a, 64));
	kfree(km);
	vfree(vm);
	kmag_free(p);
	kmag_free(big);
	kmag_stats_read(&before);
	kmag_free(big);		/* expecting a double-free or invalid-free report */
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.invalid_frees + after.double_frees -
			before.invalid_frees - before.double_frees, 1);
	KUNIT_EXPECT_EQ(test, after.frees, before.frees);
	kmag_cache_destroy(c);
}

/* kmag_free_sensitive() wipes the object before freeing it. */
static void kmag_api_free_sensitive(struct kunit *test)
{
	u8 *p = kmag_alloc(200, GFP_KERNEL);
	size_t size;

	KUNIT_ASSERT_NOT_NULL(test, p);
	size = kmag_size(p);
	memset(p, 0x42, size);
	kmag_free_sensitive(p);
	/*
	 * kmag keeps free lists out of band: the freed bytes are still
	 * readable. A use after free on purpose: not one for KASAN to report.
	 */
	kasan_disable_current();
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p, size));
	kasan_enable_current();
}

/*
 * The small objects' heap profile countdowns run with the profile off too
 * (§19): one left short when the profile went off runs out once, restarts
 * from LONG_MAX and samples nothing.
 */
static void kmag_api_profile_off(struct kunit *test)
{
	struct kmag_cache *c = kmag_classes[kmag_size_class(64)];
	unsigned long rate = kmag_prof_get_rate();
	struct kmag_stats before, after;
	long left = 0;
	void *p[16];
	int i;

	migrate_disable();	/* this CPU's countdown */
	KUNIT_EXPECT_EQ(test, kmag_prof_set_rate(1), 0);	/* every allocation */
	p[0] = kmag_alloc(64, GFP_KERNEL);
	KUNIT_EXPECT_LT(test, this_cpu_ptr(c->cpu)->prof_left, 64L);
	kmag_free(p[0]);
	KUNIT_EXPECT_EQ(test, kmag_prof_set_rate(0), 0);
	kmag_stats_read(&before);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		p[i] = kmag_alloc(64, GFP_KERNEL);
	left = this_cpu_ptr(c->cpu)->prof_left;
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.heap_profile_samples, before.heap_profile_samples);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		kmag_free(p[i]);
	migrate_enable();
	KUNIT_EXPECT_GE(test, left, LONG_MAX - 16 * 64L);
	KUNIT_EXPECT_EQ(test, kmag_prof_set_rate(rate), 0);
}

static struct kunit_case kmag_api_cases[] = {
	KUNIT_CASE(kmag_api_zero_size),
	KUNIT_CASE(kmag_api_alignment),
	KUNIT_CASE(kmag_api_usable_size),
	KUNIT_CASE(kmag_api_zeroing),
	KUNIT_CASE(kmag_api_calloc_overflow),
	KUNIT_CASE(kmag_api_oversize),
	KUNIT_CASE(kmag_api_realloc),
	KUNIT_CASE(kmag_api_large),
	KUNIT_CASE(kmag_api_large_exact),
	KUNIT_CASE(kmag_api_large_cpu),
	KUNIT_CASE(kmag_api_node),
	KUNIT_CASE(kmag_api_node_local),
	KUNIT_CASE(kmag_api_node_exhausted),
	KUNIT_CASE(kmag_api_cache),
	KUNIT_CASE(kmag_api_destroy_live),
	KUNIT_CASE(kmag_api_orphan_drain),
	KUNIT_CASE(kmag_api_layout),
	KUNIT_CASE(kmag_api_double_free),
	KUNIT_CASE(kmag_api_no_magazines),
	KUNIT_CASE(kmag_api_invalid_free),
	KUNIT_CASE(kmag_api_free_sensitive),
	KUNIT_CASE(kmag_api_profile_off),
	{}
};

static struct kunit_suite kmag_api_suite = {
	.name = "kmag_api",
	.suite_init = kmag_test_suite_init,
	.suite_exit = kmag_test_suite_exit,
	.exit = kmag_test_exit,
	.test_cases = kmag_api_cases,
};

kunit_test_suite(kmag_api_suite);
