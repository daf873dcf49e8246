// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_api: the semantics promised by include/kmag.h, one test per promise.
 */
#include <kunit/test.h>
#include <linux/log2.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "kmag_test.h"

/* Size 0 gives ZERO_SIZE_PTR; NULL and ZERO_SIZE_PTR are fine to free. */
static void kmag_api_zero_size(struct kunit *test)
{
	KUNIT_EXPECT_PTR_EQ(test, kmag_alloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_PTR_EQ(test, kmag_zalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_EQ(test, kmag_size(NULL), 0);
	KUNIT_EXPECT_EQ(test, kmag_size(ZERO_SIZE_PTR), 0);
	kmag_free(NULL);
	kmag_free(ZERO_SIZE_PTR);
	kmag_free_sensitive(NULL);
}

/* 8-byte alignment always; powers of two naturally (page-aligned above). */
static void kmag_api_alignment(struct kunit *test)
{
	static const size_t sizes[] = { 1, 7, 8, 12, 24, 40, 100, 200, 1000,
					3000, 5000, 20000, 40000, 100000 };
	unsigned long align;
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
		p = kmag_alloc(size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		align = min_t(size_t, size, PAGE_SIZE);
		KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p, align), "size %zu", size);
		KUNIT_EXPECT_EQ(test, kmag_size(p), size);
		kmag_free(p);
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

/* kmag_alloc_node() gives memory of the node asked for. */
static void kmag_api_node(struct kunit *test)
{
	static const size_t sizes[] = { 64, 2048, 100000 };
	int nid, i;
	void *p;

	for_each_online_node(nid) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			p = kmag_alloc_node(sizes[i], GFP_KERNEL, nid);
			KUNIT_ASSERT_NOT_NULL(test, p);
			KUNIT_EXPECT_EQ_MSG(test, page_to_nid(virt_to_page(p)), nid,
					    "size %zu", sizes[i]);
			kmag_free(p);
		}
	}
	KUNIT_EXPECT_NULL(test, kmag_alloc_node(64, GFP_KERNEL, MAX_NUMNODES + 5));
	KUNIT_EXPECT_NULL(test, kmag_alloc(64, GFP_KERNEL | GFP_DMA));
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
						  SLAB_TYPESAFE_BY_RCU, NULL));
	KUNIT_EXPECT_NULL(test, kmag_cache_create("kmag_test_bad", 40000, 0, 0, NULL));
	c = kmag_cache_create("kmag_test_hw", 100, 0, SLAB_HWCACHE_ALIGN, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	objs[0] = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)objs[0], cache_line_size()));
	kmag_cache_free(c, objs[0]);
	kmag_cache_destroy(c);
}

/* Destroying a cache with live objects reports and keeps it usable. */
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
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_TRUE(test, kmag_test_intact(p[i], 128));
		kmag_cache_free(c, p[i]);
	}
	KUNIT_EXPECT_EQ(test, kmag_central_live(c), 0);
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
	/* kmag keeps free lists out of band: the freed bytes are still readable. */
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p, size));
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
	KUNIT_CASE(kmag_api_node),
	KUNIT_CASE(kmag_api_cache),
	KUNIT_CASE(kmag_api_destroy_live),
	KUNIT_CASE(kmag_api_invalid_free),
	KUNIT_CASE(kmag_api_free_sensitive),
	{}
};

static struct kunit_suite kmag_api_suite = {
	.name = "kmag_api",
	.exit = kmag_test_exit,
	.test_cases = kmag_api_cases,
};

kunit_test_suite(kmag_api_suite);
