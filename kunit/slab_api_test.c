// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_slab_api: the rest of include/linux/slab.h (6.1) with kmag names, as
 * include/kmag.h promises it: the node, array and dup helpers,
 * kmag_size_roundup(), kvmalloc, kmag_owns() and kmag_dump_obj(), the cache
 * helpers, which SLAB_ flags are accepted or refused, and the pages kmag
 * counts in /proc/meminfo (SUnreclaim, SReclaimable).
 */
#include <kunit/test.h>
#include <linux/cache.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#include "kmag_test.h"
#include "sizeclasses.h"

/* Each case's reports are printed whole, whatever came before. */
static int kmag_slab_test_init(struct kunit *test)
{
	kmag_report_ratelimit_reset();
	return 0;
}

static unsigned long kmag_slab_seq(void)
{
	return READ_ONCE(kmag_last_report.seq);
}

static int kmag_slab_nid(const void *p)
{
	return page_to_nid(virt_to_page(p));
}

/* The node helpers: zeroed where promised, on the node, NULL for bad ids. */
static void kmag_slab_node_helpers(struct kunit *test)
{
	static const size_t sizes[] = { 24, 200, 3000, 100000 };
	u8 *p;
	int nid, i;

	for_each_node_state(nid, N_MEMORY) {
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			/* Dirty memory of that size first: the next one may reuse it. */
			p = kmag_alloc_node(sizes[i], GFP_KERNEL, nid);
			KUNIT_ASSERT_NOT_NULL(test, p);
			memset(p, 0xa5, kmag_size(p));
			kmag_free(p);
			p = kmag_zalloc_node(sizes[i], GFP_KERNEL, nid);
			KUNIT_ASSERT_NOT_NULL(test, p);
			KUNIT_EXPECT_EQ_MSG(test, kmag_slab_nid(p), nid, "size %zu", sizes[i]);
			KUNIT_EXPECT_TRUE_MSG(test, kmag_test_zero(p, kmag_size(p)),
					      "size %zu", sizes[i]);
			memset(p, 0xa5, kmag_size(p));
			kmag_free(p);
			p = kmag_calloc_node(sizes[i] / 8, 8, GFP_KERNEL, nid);
			KUNIT_ASSERT_NOT_NULL(test, p);
			KUNIT_EXPECT_EQ(test, kmag_slab_nid(p), nid);
			KUNIT_EXPECT_TRUE(test, kmag_test_zero(p, sizes[i] / 8 * 8));
			kmag_free(p);
			p = kmag_alloc_array_node(sizes[i] / 8, 8, GFP_KERNEL, nid);
			KUNIT_ASSERT_NOT_NULL(test, p);
			KUNIT_EXPECT_EQ(test, kmag_slab_nid(p), nid);
			KUNIT_EXPECT_GE(test, kmag_size(p), sizes[i] / 8 * 8);
			kmag_free(p);
		}
	}

	/* NUMA_NO_NODE is any node. */
	p = kmag_zalloc_node(500, GFP_KERNEL, NUMA_NO_NODE);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p, 500));
	kmag_free(p);
	p = kmag_calloc_node(10, 50, GFP_KERNEL, NUMA_NO_NODE);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p, 500));
	kmag_free(p);
	p = kmag_alloc_array_node(10, 50, GFP_KERNEL, NUMA_NO_NODE);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_GE(test, kmag_size(p), 500);
	kmag_free(p);
	KUNIT_EXPECT_PTR_EQ(test, kmag_zalloc_node(0, GFP_KERNEL, NUMA_NO_NODE), ZERO_SIZE_PTR);
	KUNIT_EXPECT_PTR_EQ(test, kmag_calloc_node(0, 8, GFP_KERNEL, NUMA_NO_NODE), ZERO_SIZE_PTR);

	/* n * size overflows: NULL, whatever the node. */
	KUNIT_EXPECT_NULL(test, kmag_calloc_node(SIZE_MAX / 2, 4, GFP_KERNEL, NUMA_NO_NODE));
	KUNIT_EXPECT_NULL(test, kmag_calloc_node(4, SIZE_MAX / 2, GFP_KERNEL, 0));
	KUNIT_EXPECT_NULL(test, kmag_alloc_array_node(SIZE_MAX, 2, GFP_KERNEL, NUMA_NO_NODE));
	KUNIT_EXPECT_NULL(test, kmag_alloc_array_node(2, SIZE_MAX, GFP_KERNEL, 0));

	/* Node ids that cannot exist. */
	KUNIT_EXPECT_NULL(test, kmag_zalloc_node(64, GFP_KERNEL | __GFP_NOWARN, nr_node_ids));
	KUNIT_EXPECT_NULL(test, kmag_zalloc_node(64, GFP_KERNEL, -2));
	KUNIT_EXPECT_NULL(test, kmag_calloc_node(8, 8, GFP_KERNEL | __GFP_NOWARN,
						 MAX_NUMNODES + 5));
	KUNIT_EXPECT_NULL(test, kmag_alloc_array_node(8, 8, GFP_KERNEL | __GFP_NOWARN, -7));
	KUNIT_EXPECT_NULL(test, kmag_alloc_array_node(1, 100000, GFP_KERNEL | __GFP_NOWARN,
						      nr_node_ids));
}

/*
 * krealloc_array: growth keeps the contents; an overflowing n * size gives
 * NULL and leaves the object as it was, still the caller's.
 */
static void kmag_slab_krealloc_array(struct kunit *test)
{
	struct kmag_stats before, after;
	u64 *p, *q;
	size_t i;

	p = kmag_krealloc_array(NULL, 10, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < 10; i++)
		p[i] = 0x1234567800000000ULL + i;

	kmag_stats_read(&before);
	KUNIT_EXPECT_NULL(test, kmag_krealloc_array(p, SIZE_MAX / 4, sizeof(*p), GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, kmag_krealloc_array(p, 3, SIZE_MAX / 2, GFP_KERNEL));
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.frees, before.frees);
	KUNIT_EXPECT_EQ(test, after.mallocs, before.mallocs);
	KUNIT_EXPECT_EQ(test, after.invalid_frees + after.double_frees,
			before.invalid_frees + before.double_frees);
	/* Still live (kmag_size of a free object would report it) and intact. */
	KUNIT_EXPECT_EQ(test, kmag_size(p), kmag_size_roundup(80));
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test, p[i], 0x1234567800000000ULL + i);

	/* Within the usable size: in place. */
	q = kmag_krealloc_array(p, 5, sizeof(*p), GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, q, p);

	/* Small -> small, then small -> large: the contents move along. */
	q = kmag_krealloc_array(p, 1000, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, q, p);
	KUNIT_EXPECT_GE(test, kmag_size(q), 8000);
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test, q[i], 0x1234567800000000ULL + i);
	for (i = 10; i < 1000; i++)
		q[i] = i * 3;
	p = kmag_krealloc_array(q, 50000, sizeof(*p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, kmag_size(p), PAGE_ALIGN(400000));
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_EQ(test, p[i], 0x1234567800000000ULL + i);
	for (i = 10; i < 1000; i++)
		KUNIT_ASSERT_EQ(test, p[i], i * 3);
	KUNIT_EXPECT_PTR_EQ(test, kmag_krealloc_array(p, 0, 8, GFP_KERNEL), ZERO_SIZE_PTR);
}

/* kmag_size(kmag_alloc(n)) == kmag_size_roundup(n) >= n. */
static void kmag_slab_roundup_one(struct kunit *test, size_t n)
{
	size_t want = kmag_size_roundup(n);
	void *p = kmag_alloc(n, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL_MSG(test, p, "size %zu", n);
	KUNIT_EXPECT_EQ_MSG(test, kmag_size(p), want, "size %zu", n);
	KUNIT_EXPECT_GE_MSG(test, want, n, "size %zu", n);
	kmag_free(p);
}

static void kmag_slab_size_roundup(struct kunit *test)
{
	static const size_t large[] = { KMAG_MAX_SMALL + 1, 40000, 65536, 65537,
					1 << 20, (2 << 20) + 1, KMAG_MAX_ALLOC };
	size_t n;
	int i;

	for (n = 1; n <= 1024; n++)
		kmag_slab_roundup_one(test, n);
	for (n = 1025; n <= KMAG_MAX_SMALL; n += 7)
		kmag_slab_roundup_one(test, n);
	/* Every class boundary: its size and one more. */
	for (i = 0; i < KMAG_NUM_CLASSES; i++) {
		kmag_slab_roundup_one(test, kmag_classes[i]->obj_size);
		if (kmag_classes[i]->obj_size < KMAG_MAX_SMALL)
			kmag_slab_roundup_one(test, kmag_classes[i]->obj_size + 1);
		/* The class size is its own round-up. */
		KUNIT_EXPECT_EQ(test, kmag_size_roundup(kmag_classes[i]->obj_size),
				kmag_classes[i]->obj_size);
	}
	for (i = 0; i < ARRAY_SIZE(large); i++) {
		size_t pages = PAGE_ALIGN(large[i]);

		kmag_slab_roundup_one(test, large[i]);
		KUNIT_EXPECT_EQ(test, kmag_size_roundup(large[i]), pages);
	}
	KUNIT_EXPECT_EQ(test, kmag_size_roundup(0), 0);
	KUNIT_EXPECT_EQ(test, kmag_size_roundup(KMAG_MAX_ALLOC + 1), KMAG_MAX_ALLOC + 1);
	KUNIT_EXPECT_EQ(test, kmag_size_roundup(SIZE_MAX), SIZE_MAX);
}

/* memdup, strdup, strndup: the bytes, the NUL, NULL in, NULL out. */
static void kmag_slab_dup(struct kunit *test)
{
	static const char s[] = "kmag: a magazine-based slab allocator";
	u8 buf[300];
	char *d;
	u8 *m;
	int i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i * 7 + 1;
	m = kmag_memdup(buf, sizeof(buf), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_TRUE(test, kmag_owns(m));
	KUNIT_EXPECT_GE(test, kmag_size(m), sizeof(buf));
	KUNIT_EXPECT_EQ(test, memcmp(m, buf, sizeof(buf)), 0);
	kmag_free(m);
	KUNIT_EXPECT_PTR_EQ(test, kmag_memdup(buf, 0, GFP_KERNEL), ZERO_SIZE_PTR);
	KUNIT_EXPECT_NULL(test, kmag_memdup(buf, KMAG_MAX_ALLOC + 1, GFP_KERNEL | __GFP_NOWARN));

	d = kmag_strdup(s, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_EXPECT_TRUE(test, kmag_owns(d));
	KUNIT_EXPECT_STREQ(test, d, s);
	KUNIT_EXPECT_GE(test, kmag_size(d), sizeof(s));
	kmag_free(d);
	d = kmag_strdup("", GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_EXPECT_EQ(test, d[0], '\0');
	kmag_free(d);
	KUNIT_EXPECT_NULL(test, kmag_strdup(NULL, GFP_KERNEL));

	d = kmag_strndup(s, 4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_EXPECT_STREQ(test, d, "kmag");
	kmag_free(d);
	d = kmag_strndup(s, 1000, GFP_KERNEL);	/* shorter than max: all of it */
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_EXPECT_STREQ(test, d, s);
	kmag_free(d);
	d = kmag_strndup(s, 0, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_EXPECT_EQ(test, d[0], '\0');
	kmag_free(d);
	/* Not NUL-terminated within max: never read past it (KASAN would see). */
	m = kmag_alloc(16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	memset(m, 'x', 16);
	d = kmag_strndup((char *)m, 16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_EXPECT_EQ(test, strlen(d), 16);
	kmag_free(d);
	kmag_free(m);
	KUNIT_EXPECT_NULL(test, kmag_strndup(NULL, 10, GFP_KERNEL));
}

/* kmag_free_bulk frees each object once and ignores NULL / ZERO_SIZE_PTR. */
static void kmag_slab_free_bulk(struct kunit *test)
{
	static const size_t sizes[] = { 8, 16, 100, 256, 1000, 4096, 10000, 32768,
					40000, 100000, 7, 9 };
	void *objs[ARRAY_SIZE(sizes) + 2];
	struct kmag_stats before, mid, after;
	int i;

	kmag_stats_read(&before);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		objs[i] = kmag_alloc(sizes[i], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	objs[i++] = NULL;
	objs[i++] = ZERO_SIZE_PTR;
	kmag_stats_read(&mid);
	KUNIT_EXPECT_EQ(test, mid.live_objects - before.live_objects, ARRAY_SIZE(sizes));
	kmag_free_bulk(ARRAY_SIZE(objs), objs);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.live_objects, before.live_objects);
	KUNIT_EXPECT_EQ(test, after.frees - mid.frees, ARRAY_SIZE(sizes));
	KUNIT_EXPECT_EQ(test, after.large_frees - mid.large_frees, 2);
	KUNIT_EXPECT_EQ(test, after.alloc_bytes, before.alloc_bytes);
	KUNIT_EXPECT_EQ(test, after.invalid_frees, before.invalid_frees);
	KUNIT_EXPECT_EQ(test, after.double_frees, before.double_frees);
	kmag_free_bulk(0, NULL);
}

/*
 * kvmalloc: kmag memory up to a page, vmalloc above KMAG_MAX_ALLOC (and
 * kmag is not even asked), NULL for flags that must not sleep there;
 * zeroing, overflow, realloc, and kvfree of both kinds.
 */
static void kmag_slab_kvmalloc(struct kunit *test)
{
	static const gfp_t blocking[] = { GFP_NOFS, GFP_NOIO };
	const size_t big = 8UL << 20;
	struct kmag_stats before, after;
	u8 *p, *q, *v;
	size_t i;

	p = kmag_kvmalloc(100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, kmag_owns(p));
	KUNIT_EXPECT_FALSE(test, is_vmalloc_addr(p));
	KUNIT_EXPECT_GE(test, kmag_size(p), 100);
	kmag_kvfree(p);
	p = kmag_kvmalloc(PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, kmag_owns(p));
	KUNIT_EXPECT_FALSE(test, is_vmalloc_addr(p));
	kmag_kvfree(p);
	p = kmag_kvmalloc(200, GFP_ATOMIC);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, kmag_owns(p));
	kmag_kvfree(p);
	/* Above a page: kmag if it can without trying hard, else vmalloc. */
	p = kmag_kvmalloc(65536, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NE(test, kmag_owns(p), is_vmalloc_addr(p));
	kmag_kvfree(p);
	KUNIT_EXPECT_PTR_EQ(test, kmag_kvmalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);

	kmag_stats_read(&before);
	v = kmag_kvmalloc(big, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(v));
	KUNIT_EXPECT_FALSE(test, kmag_owns(v));
	v[0] = 1;
	v[big - 1] = 2;
	kmag_kvfree(v);
	/* Not ATOMIC-compatible with vmalloc: NULL, counted as kmag's failure. */
	KUNIT_EXPECT_NULL(test, kmag_kvmalloc(big, GFP_ATOMIC | __GFP_NOWARN));
	KUNIT_EXPECT_NULL(test, kmag_kvmalloc(big, GFP_NOWAIT | __GFP_NOWARN));
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.mallocs, before.mallocs);
	KUNIT_EXPECT_EQ(test, after.frees, before.frees);
	KUNIT_EXPECT_EQ(test, after.invalid_frees, before.invalid_frees);
	KUNIT_EXPECT_EQ(test, after.alloc_failures - before.alloc_failures, 2);
	/* GFP_NOFS and GFP_NOIO may block: vmalloc serves them, as in 6.1. */
	for (i = 0; i < ARRAY_SIZE(blocking); i++) {
		v = kmag_kvmalloc(big, blocking[i]);
		KUNIT_ASSERT_NOT_NULL(test, v);
		KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(v));
		kmag_kvfree(v);
	}

	/* Zeroed, both kinds; overflow gives NULL. */
	p = kmag_kvzalloc(300, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p, 300));
	kmag_kvfree(p);
	v = kmag_kvzalloc(big, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(v));
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(v, big));
	kmag_kvfree(v);
	p = kmag_kvcalloc(100, 8, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, kmag_owns(p));
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p, 800));
	kmag_kvfree(p);
	v = kmag_kvcalloc(big / 16, 16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(v));
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(v, big));
	kmag_kvfree(v);
	KUNIT_EXPECT_NULL(test, kmag_kvcalloc(SIZE_MAX / 2, 4, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, kmag_kvcalloc(4, SIZE_MAX / 2, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, kmag_kvmalloc_array(SIZE_MAX, 2, GFP_KERNEL));

	/* kvrealloc: in place when not growing; kmag -> vmalloc -> vmalloc. */
	p = kmag_kvrealloc(NULL, 0, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, kmag_owns(p));
	kmag_test_fill(p, 100);
	KUNIT_EXPECT_PTR_EQ(test, kmag_kvrealloc(p, 100, 60, GFP_KERNEL), (void *)p);
	kmag_stats_read(&before);
	v = kmag_kvrealloc(p, 100, big, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(v));
	for (i = 0; i < 100; i++)
		KUNIT_ASSERT_EQ(test, v[i], kmag_test_pattern(p, i));
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.live_objects - before.live_objects, -1);	/* p freed */
	for (i = 0; i < 5000; i++)
		v[i] = (u8)(i * 11);
	q = kmag_kvrealloc(v, 5000, big + PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(q));
	for (i = 0; i < 5000; i++)
		KUNIT_ASSERT_EQ(test, q[i], (u8)(i * 11));
	kmag_kvfree(q);
	/* kmag -> kmag. */
	p = kmag_kvmalloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_test_fill(p, 64);
	q = kmag_kvrealloc(p, 64, 2000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, kmag_owns(q));
	for (i = 0; i < 64; i++)
		KUNIT_ASSERT_EQ(test, q[i], kmag_test_pattern(p, i));
	kmag_kvfree(q);

	kmag_kvfree(NULL);
	kmag_kvfree(ZERO_SIZE_PTR);
	kmag_kvfree_sensitive(NULL, 10);
}

/*
 * kmag_kvmalloc_node(): vmalloc memory on the node asked for, and NULL for
 * a node id that cannot exist, whichever of kmag and vmalloc would serve
 * the size.
 */
static void kmag_slab_kvmalloc_node(struct kunit *test)
{
	static const size_t sizes[] = { 100, 8192, 8UL << 20 };
	const int bad[] = { nr_node_ids, MAX_NUMNODES + 5, -2 };
	u8 *v;
	int nid, i, j;

	for_each_node_state(nid, N_MEMORY) {
		v = kmag_kvmalloc_node(8UL << 20, GFP_KERNEL, nid);
		KUNIT_ASSERT_NOT_NULL(test, v);
		KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(v));
		KUNIT_EXPECT_EQ(test, page_to_nid(vmalloc_to_page(v)), nid);
		kmag_kvfree(v);
		v = kmag_kvzalloc_node(8UL << 20, GFP_KERNEL, nid);
		KUNIT_ASSERT_NOT_NULL(test, v);
		KUNIT_EXPECT_EQ(test, page_to_nid(vmalloc_to_page(v)), nid);
		KUNIT_EXPECT_TRUE(test, kmag_test_zero(v, PAGE_SIZE));
		kmag_kvfree(v);
		v = kmag_kvmalloc_node(3000, GFP_KERNEL, nid);
		KUNIT_ASSERT_NOT_NULL(test, v);
		KUNIT_EXPECT_TRUE(test, kmag_owns(v));
		KUNIT_EXPECT_EQ(test, kmag_slab_nid(v), nid);
		kmag_kvfree(v);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		for (j = 0; j < ARRAY_SIZE(bad); j++)
			KUNIT_EXPECT_NULL_MSG(test, kmag_kvmalloc_node(sizes[i], GFP_KERNEL |
								       __GFP_NOWARN, bad[j]),
					      "size %zu node %d", sizes[i], bad[j]);
}

/*
 * kmag_kvfree() of kmalloc memory: reported, counted in invalid_frees, not
 * freed (the report is a plain pr_err, with no stack dump).
 */
static void kmag_slab_kvfree_kmalloc(struct kunit *test)
{
	struct kmag_stats before, after;
	unsigned long seq;
	u8 *km = kmalloc(128, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, km);
	memset(km, 0x3c, 128);
	KUNIT_EXPECT_FALSE(test, kmag_owns(km));
	kmag_stats_read(&before);
	seq = kmag_slab_seq();
	kmag_kvfree(km);	/* expecting one invalid-free report */
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.invalid_frees - before.invalid_frees, 1);
	KUNIT_EXPECT_EQ(test, after.frees, before.frees);
	KUNIT_EXPECT_EQ(test, kmag_slab_seq(), seq + 1);
	KUNIT_EXPECT_EQ(test, kmag_last_report.kind, KMAG_REPORT_INVALID);
	KUNIT_EXPECT_PTR_EQ(test, kmag_last_report.object, (const void *)km);
	/* Untouched and still kmalloc's: KASAN would catch a use after free. */
	KUNIT_EXPECT_TRUE(test, !memchr_inv(km, 0x3c, 128));
	kfree(km);
}

/* kmag_owns(): pages kmag holds, and nothing else. */
static void kmag_slab_owns(struct kunit *test)
{
	u8 *small = kmag_alloc(100, GFP_KERNEL);
	u8 *large = kmag_alloc(10 * PAGE_SIZE, GFP_KERNEL);	/* above 32 KiB */
	u8 *km = kmalloc(100, GFP_KERNEL);
	void *vm = vmalloc(PAGE_SIZE);
	u64 on_stack = 0;

	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_ASSERT_NOT_NULL(test, large);
	KUNIT_ASSERT_NOT_NULL(test, km);
	KUNIT_ASSERT_NOT_NULL(test, vm);
	KUNIT_EXPECT_TRUE(test, kmag_owns(small));
	KUNIT_EXPECT_TRUE(test, kmag_owns(small + 50));
	KUNIT_EXPECT_TRUE(test, kmag_owns(large));
	KUNIT_EXPECT_TRUE(test, kmag_owns(large + 3 * PAGE_SIZE + 7));	/* not the mapped page */
	KUNIT_EXPECT_FALSE(test, kmag_owns(km));
	KUNIT_EXPECT_FALSE(test, kmag_owns(vm));
	KUNIT_EXPECT_FALSE(test, kmag_owns(&on_stack));
	KUNIT_EXPECT_FALSE(test, kmag_owns(NULL));
	KUNIT_EXPECT_FALSE(test, kmag_owns(ZERO_SIZE_PTR));
	kmag_free(small);
	kmag_free(large);
	kfree(km);
	vfree(vm);
}

/* kmag_dump_obj(): true (and a dump) for kmag memory, false otherwise. */
static void kmag_slab_dump_obj(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_slab_dump", 96, 0, SLAB_STORE_USER, NULL);
	u8 *small = kmag_alloc(200, GFP_KERNEL);
	u8 *large = kmag_alloc(9 * PAGE_SIZE + 100, GFP_KERNEL);	/* above 32 KiB */
	u8 *km = kmalloc(100, GFP_KERNEL);
	u8 *obj;
	u64 on_stack = 0;

	KUNIT_ASSERT_NOT_NULL(test, c);
	obj = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	KUNIT_ASSERT_NOT_NULL(test, small);
	KUNIT_ASSERT_NOT_NULL(test, large);
	KUNIT_ASSERT_NOT_NULL(test, km);
	KUNIT_EXPECT_TRUE(test, kmag_dump_obj(small));
	KUNIT_EXPECT_TRUE(test, kmag_dump_obj(small + 123));	/* interior */
	KUNIT_EXPECT_TRUE(test, kmag_dump_obj(obj + 10));	/* with owner tracks */
	KUNIT_EXPECT_TRUE(test, kmag_dump_obj(large));
	KUNIT_EXPECT_TRUE(test, kmag_dump_obj(large + 17));
	KUNIT_EXPECT_TRUE(test, kmag_dump_obj(large + 2 * PAGE_SIZE + 5));	/* a later page */
	KUNIT_EXPECT_FALSE(test, kmag_dump_obj(km));
	KUNIT_EXPECT_FALSE(test, kmag_dump_obj(&on_stack));
	KUNIT_EXPECT_FALSE(test, kmag_dump_obj(NULL));
	KUNIT_EXPECT_FALSE(test, kmag_dump_obj(ZERO_SIZE_PTR));
	kmag_cache_free(c, obj);
	kmag_cache_destroy(c);
	kmag_free(small);
	kmag_free(large);
	kfree(km);
}

#define KMAG_SLAB_CTOR_BYTE 0xc7

static void kmag_slab_ctor(void *p)
{
	memset(p, KMAG_SLAB_CTOR_BYTE, 72);
}

/*
 * Cache helpers: zalloc zeroes even constructed objects (which a plain
 * alloc leaves constructed, init_on_alloc or not); alloc_node gives the
 * node; kmag_cache_size() is the size given.
 */
static void kmag_slab_cache_helpers(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_slab_ctor", 72, 0, 0, kmag_slab_ctor);
	struct kmag_cache *dbg;
	u8 *p, *q;
	int nid;

	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_EQ(test, kmag_cache_size(c), 72);
	KUNIT_EXPECT_EQ(test, kmag_cache_size(NULL), 0);
	p = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(p, KMAG_SLAB_CTOR_BYTE, 72));
	KUNIT_EXPECT_EQ(test, kmag_size(p), 72);
	q = kmag_cache_zalloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(q, 72));
	kmag_cache_free(c, q);
	kmag_cache_free(c, p);

	for_each_node_state(nid, N_MEMORY) {
		p = kmag_cache_alloc_node(c, GFP_KERNEL, nid);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_EQ(test, kmag_slab_nid(p), nid);
		q = kmag_cache_alloc_node(c, GFP_KERNEL | __GFP_ZERO, nid);
		KUNIT_ASSERT_NOT_NULL(test, q);
		KUNIT_EXPECT_EQ(test, kmag_slab_nid(q), nid);
		KUNIT_EXPECT_TRUE(test, kmag_test_zero(q, 72));
		kmag_cache_free(c, q);
		kmag_cache_free(c, p);
	}
	p = kmag_cache_alloc_node(c, GFP_KERNEL, NUMA_NO_NODE);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_cache_free(c, p);
	KUNIT_EXPECT_NULL(test, kmag_cache_alloc_node(c, GFP_KERNEL | __GFP_NOWARN, nr_node_ids));
	KUNIT_EXPECT_NULL(test, kmag_cache_alloc_node(c, GFP_KERNEL | __GFP_NOWARN, -2));
	KUNIT_EXPECT_NULL(test, kmag_cache_alloc_node(c, GFP_KERNEL | __GFP_NOWARN,
						      MAX_NUMNODES + 5));
	kmag_cache_destroy(c);

	/* A debug cache: the slot is larger, the size is still the size given. */
	dbg = kmag_cache_create("kmag_slab_dbgsize", 100, 0, SLAB_RED_ZONE | SLAB_POISON, NULL);
	KUNIT_ASSERT_NOT_NULL(test, dbg);
	KUNIT_EXPECT_GT(test, dbg->size, 100);
	KUNIT_EXPECT_EQ(test, kmag_cache_size(dbg), 100);
	p = kmag_cache_zalloc(dbg, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p, 100));
	KUNIT_EXPECT_EQ(test, kmag_size(p), 100);
	kmag_cache_free(dbg, p);
	kmag_cache_destroy(dbg);
}

/* kmag_cache_shrink(): the cache's magazines and depot go back to its spans. */
static void kmag_slab_cache_shrink(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_slab_shrink", 256, 0, 0, NULL);
	struct kmag_stats before, after;
	long cached;
	void **objs;
	int n, cpu;

	KUNIT_ASSERT_NOT_NULL(test, c);
	n = 4 * c->mag_capacity + 8;
	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	kmag_test_cache_cycle(test, c, objs, n);
	/* Nothing live: what the spans miss sits in magazines or the depot. */
	cached = kmag_central_live(c);
	KUNIT_EXPECT_GT(test, cached, 0);
	KUNIT_EXPECT_GT(test, c->central.nr_spans, 0);
	kmag_stats_read(&before);
	KUNIT_EXPECT_EQ(test, kmag_cache_shrink(c), 0);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, kmag_central_live(c), 0);
	KUNIT_EXPECT_EQ(test, c->central.depot_rounds, 0);
	KUNIT_EXPECT_EQ(test, c->central.nr_depot_full, 0);
	KUNIT_EXPECT_EQ(test, c->central.nr_depot_empty, 0);
	KUNIT_EXPECT_EQ(test, c->central.nr_spans, 0);
	for_each_possible_cpu(cpu) {
		KUNIT_EXPECT_PTR_EQ(test, per_cpu_ptr(c->cpu, cpu)->loaded, &kmag_no_mag);
		KUNIT_EXPECT_PTR_EQ(test, per_cpu_ptr(c->cpu, cpu)->previous, &kmag_no_mag);
	}
	/* The statistics saw exactly this cache's objects leave. */
	KUNIT_EXPECT_EQ(test, (before.magazine_bytes + before.depot_bytes) -
			(after.magazine_bytes + after.depot_bytes), cached * c->size);
	/* Still usable. */
	objs[0] = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_EXPECT_NOT_NULL(test, objs[0]);
	kmag_cache_free(c, objs[0]);
	KUNIT_EXPECT_EQ(test, kmag_cache_shrink(NULL), 0);
	kmag_cache_destroy(c);
}

struct kmag_slab_test_obj {
	u32 a;
	char user[24];
	u64 b;
} __aligned(64);

struct kmag_slab_small_obj {
	u16 x;
	u8 y;
};

/* KMAG_CACHE(), KMAG_CACHE_USERCOPY(), and usercopy windows. */
static void kmag_slab_cache_macros(struct kunit *test)
{
	static const struct {
		unsigned int off, size;
	} bad[] = { { 60, 8 }, { 0, 65 }, { 64, 1 }, { 8, 0 }, { UINT_MAX, 2 } };
	struct kmag_cache *c;
	void *objs[16];
	int i;

	c = KMAG_CACHE(kmag_slab_test_obj, 0);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_STREQ(test, c->name, "kmag_slab_test_obj");
	KUNIT_EXPECT_EQ(test, kmag_cache_size(c), sizeof(struct kmag_slab_test_obj));
	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		objs[i] = kmag_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)objs[i],
						   __alignof__(struct kmag_slab_test_obj)));
	}
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		kmag_cache_free(c, objs[i]);
	kmag_cache_destroy(c);

	c = KMAG_CACHE(kmag_slab_small_obj, SLAB_HWCACHE_ALIGN);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_STREQ(test, c->name, "kmag_slab_small_obj");
	KUNIT_EXPECT_EQ(test, kmag_cache_size(c), sizeof(struct kmag_slab_small_obj));
	objs[0] = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs[0]);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)objs[0], 8));
	kmag_cache_free(c, objs[0]);
	kmag_cache_destroy(c);

	c = KMAG_CACHE_USERCOPY(kmag_slab_test_obj, 0, user);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_EQ(test, c->useroffset, offsetof(struct kmag_slab_test_obj, user));
	KUNIT_EXPECT_EQ(test, c->usersize, sizeof_field(struct kmag_slab_test_obj, user));
	objs[0] = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs[0]);
	kmag_cache_free(c, objs[0]);
	kmag_cache_destroy(c);

	/* Windows that fit, up to the whole object. */
	c = kmag_cache_create_usercopy("kmag_slab_uc", 64, 0, 0, 56, 8, NULL);
	KUNIT_EXPECT_NOT_NULL(test, c);
	kmag_cache_destroy(c);
	c = kmag_cache_create_usercopy("kmag_slab_uc", 64, 0, 0, 0, 64, NULL);
	KUNIT_EXPECT_NOT_NULL(test, c);
	kmag_cache_destroy(c);
	c = kmag_cache_create_usercopy("kmag_slab_uc", 64, 0, 0, 0, 0, NULL);
	KUNIT_EXPECT_NOT_NULL(test, c);
	kmag_cache_destroy(c);
	/* Windows outside the object: refused. */
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		c = kmag_cache_create_usercopy("kmag_slab_uc", 64, 0, 0, bad[i].off,
					       bad[i].size, NULL);
		KUNIT_EXPECT_NULL_MSG(test, c, "window %u+%u", bad[i].off, bad[i].size);
		kmag_cache_destroy(c);	/* one made by mistake must not stay */
	}
}

static const struct {
	unsigned long flag;
	const char *name;
} kmag_slab_flags_ok[] = {
	{ SLAB_HWCACHE_ALIGN, "SLAB_HWCACHE_ALIGN" },
	{ SLAB_TYPESAFE_BY_RCU, "SLAB_TYPESAFE_BY_RCU" },
	{ SLAB_RED_ZONE, "SLAB_RED_ZONE" },
	{ SLAB_POISON, "SLAB_POISON" },
	{ SLAB_STORE_USER, "SLAB_STORE_USER" },
	{ SLAB_CONSISTENCY_CHECKS, "SLAB_CONSISTENCY_CHECKS" },
	{ SLAB_TRACE, "SLAB_TRACE" },	/* prints TRACE lines */
	{ SLAB_PANIC, "SLAB_PANIC" },	/* valid arguments: no panic */
	{ SLAB_NOLEAKTRACE, "SLAB_NOLEAKTRACE" },
	{ SLAB_RECLAIM_ACCOUNT, "SLAB_RECLAIM_ACCOUNT" },
	{ SLAB_TEMPORARY, "SLAB_TEMPORARY" },
	{ SLAB_ACCOUNT, "SLAB_ACCOUNT" },		/* 0 without CONFIG_MEMCG_KMEM */
	{ SLAB_MEM_SPREAD, "SLAB_MEM_SPREAD" },
	{ SLAB_DEBUG_OBJECTS, "SLAB_DEBUG_OBJECTS" },	/* 0 without CONFIG_DEBUG_OBJECTS_FREE */
	{ SLAB_NO_USER_FLAGS, "SLAB_NO_USER_FLAGS" },
	{ SLAB_HWCACHE_ALIGN | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER |
	  SLAB_RECLAIM_ACCOUNT | SLAB_NO_USER_FLAGS, "a mix" },
};

/* Create, allocate, free, destroy with @flags: all fine, nothing reported. */
static void kmag_slab_flags_one(struct kunit *test, unsigned long flags, const char *what)
{
	struct kmag_stats before, mid, after;
	struct kmag_cache *c;
	unsigned long seq;
	u8 *p;

	kmag_stats_read(&before);
	seq = kmag_slab_seq();
	c = kmag_cache_create("kmag_slab_flags", 100, 0, flags, NULL);
	KUNIT_ASSERT_NOT_NULL_MSG(test, c, "%s", what);
	KUNIT_EXPECT_EQ_MSG(test, c->flags & flags, flags, "%s", what);
	p = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL_MSG(test, p, "%s", what);
	KUNIT_EXPECT_EQ_MSG(test, kmag_size(p), 100, "%s", what);
	KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p, 8), "%s", what);
	if (flags & SLAB_HWCACHE_ALIGN)
		KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p, cache_line_size()),
				      "%s", what);
	if (flags & KMAG_DEBUG_FLAGS)
		KUNIT_EXPECT_TRUE_MSG(test, static_key_enabled(&kmag_debug_key), "%s", what);
	if (flags & SLAB_STORE_USER)
		KUNIT_EXPECT_NE_MSG(test, kmag_debug_track_addr(c, p, false), 0, "%s", what);
	if (flags & SLAB_TYPESAFE_BY_RCU)
		KUNIT_EXPECT_TRUE_MSG(test, c->no_init, "%s", what);
	kmag_stats_read(&mid);
	if (flags & SLAB_RECLAIM_ACCOUNT)
		KUNIT_EXPECT_GE_MSG(test, mid.slab_reclaimable_bytes - before.slab_reclaimable_bytes,
				    (long)c->npages << PAGE_SHIFT, "%s", what);
	else
		KUNIT_EXPECT_EQ_MSG(test, mid.slab_reclaimable_bytes,
				    before.slab_reclaimable_bytes, "%s", what);
	memset(p, 0x5a, 100);
	kmag_cache_free(c, p);
	kmag_cache_destroy(c);
	KUNIT_EXPECT_FALSE_MSG(test, kmag_test_cache_listed(c), "%s", what);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ_MSG(test, after.frees - before.frees, 1, "%s", what);
	KUNIT_EXPECT_EQ_MSG(test, after.live_objects, before.live_objects, "%s", what);
	KUNIT_EXPECT_EQ_MSG(test, after.slab_reclaimable_bytes, before.slab_reclaimable_bytes,
			    "%s", what);
	KUNIT_EXPECT_EQ_MSG(test, kmag_slab_seq(), seq, "%s: reported", what);
}

/* Every flag kmem_cache_create() of 6.1 permits, but DMA, is accepted. */
static void kmag_slab_flags_accepted(struct kunit *test)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(kmag_slab_flags_ok); i++)
		kmag_slab_flags_one(test, kmag_slab_flags_ok[i].flag, kmag_slab_flags_ok[i].name);
}

static void kmag_slab_expect_refused(struct kunit *test, const char *name, unsigned int size,
				     unsigned int align, unsigned long flags)
{
	struct kmag_cache *c = kmag_cache_create(name, size, align, flags, NULL);

	KUNIT_EXPECT_NULL_MSG(test, c, "name %s size %u align %u flags %#lx",
			      name ?: "(null)", size, align, flags);
	kmag_cache_destroy(c);	/* one made by mistake must not stay */
}

/*
 * DMA caches, flags kmem_cache_create() would not take (SLAB_KMALLOC and
 * the other internal bits, and unused ones: every bit of the word that no
 * accepted flag has, whatever the flags' values in this kernel; 6.9
 * renumbered them, and some are 0 in some configurations), and bad sizes,
 * alignments and names are refused.
 */
static void kmag_slab_flags_refused(struct kunit *test)
{
	static const unsigned long bad[] = {
		SLAB_CACHE_DMA, SLAB_CACHE_DMA32, SLAB_CACHE_DMA | SLAB_HWCACHE_ALIGN,
		1UL << 32, 1UL << 63, SLAB_HWCACHE_ALIGN | (1UL << 40),
	};
	char name[KMAG_NAME_LEN + 1];
	unsigned long ok = 0, f;
	struct kmag_cache *c;
	int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		kmag_slab_expect_refused(test, "kmag_slab_bad", 100, 0, bad[i]);
	for (i = 0; i < ARRAY_SIZE(kmag_slab_flags_ok); i++)
		ok |= kmag_slab_flags_ok[i].flag;
	for (i = 0; i < BITS_PER_LONG; i++) {
		f = 1UL << i;
		if (f & ok)
			continue;
		kmag_slab_expect_refused(test, "kmag_slab_bad", 100, 0, f);
		kmag_slab_expect_refused(test, "kmag_slab_bad", 100, 0, f | SLAB_HWCACHE_ALIGN);
	}
	kmag_slab_expect_refused(test, "kmag_slab_bad", 0, 0, 0);
	kmag_slab_expect_refused(test, "kmag_slab_bad", KMAG_MAX_SMALL + 1, 0, 0);
	kmag_slab_expect_refused(test, "kmag_slab_bad", 100, 3, 0);
	kmag_slab_expect_refused(test, "kmag_slab_bad", 100, 24, 0);
	kmag_slab_expect_refused(test, "kmag_slab_bad", 100, 2 * PAGE_SIZE, 0);
	kmag_slab_expect_refused(test, NULL, 100, 0, 0);
	kmag_slab_expect_refused(test, "", 100, 0, 0);
	/* KMAG_NAME_LEN (64) characters: one too many. */
	memset(name, 'n', KMAG_NAME_LEN);
	name[KMAG_NAME_LEN] = '\0';
	kmag_slab_expect_refused(test, name, 100, 0, 0);
	/* KMAG_NAME_LEN - 1: fine, and kept whole. */
	name[KMAG_NAME_LEN - 1] = '\0';
	c = kmag_cache_create(name, 100, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_STREQ(test, c->name, name);
	kmag_cache_destroy(c);
	/* The limits themselves are fine. */
	c = kmag_cache_create("kmag_slab_max", KMAG_MAX_SMALL, PAGE_SIZE, 0, NULL);
	KUNIT_EXPECT_NOT_NULL(test, c);
	kmag_cache_destroy(c);
	c = kmag_cache_create("kmag_slab_min", 1, 0, 0, NULL);
	KUNIT_EXPECT_NOT_NULL(test, c);
	kmag_cache_destroy(c);
}

/*
 * Pages the kernel's per-CPU vmstat deltas may not have folded into the
 * global counters yet: at most 125 per CPU and node.
 */
static long kmag_slab_vmstat_slack(void)
{
	return (long)num_possible_cpus() * num_online_nodes() * 125;
}

/* At rest, every page kmag holds is counted once: SUnreclaim or SReclaimable. */
static void kmag_slab_expect_acct(struct kunit *test, const char *when)
{
	struct kmag_stats st;

	kmag_stats_read(&st);
	KUNIT_EXPECT_EQ_MSG(test, st.slab_unreclaimable_bytes + st.slab_reclaimable_bytes,
			    st.sys_bytes, "%s", when);
	KUNIT_EXPECT_GE_MSG(test, st.slab_unreclaimable_bytes, 0, "%s", when);
	KUNIT_EXPECT_GE_MSG(test, st.slab_reclaimable_bytes, 0, "%s", when);
}

/*
 * /proc/meminfo: kmag's pages are Slab. A SLAB_RECLAIM_ACCOUNT cache's
 * spans in use are SReclaimable, exactly, and go back to SUnreclaim (then
 * out of Slab) when freed; large objects are SUnreclaim. The kernel's
 * global counters move by as much, within the per-CPU slack.
 */
static void kmag_slab_meminfo(struct kunit *test)
{
	const size_t size = 3000, total = 24 << 20, n = total / size;
	long rec0, unrec0, rec1, unrec1, rec2, unrec2, span_bytes, slack;
	struct kmag_stats before, mid, after;
	struct kmag_cache *c;
	void **objs, *big[2];
	size_t i;

	slack = kmag_slab_vmstat_slack();
	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	kmag_drain();
	kmag_slab_expect_acct(test, "drained");
	kmag_stats_read(&before);
	KUNIT_EXPECT_EQ(test, before.slab_reclaimable_bytes, 0);	/* no such cache yet */

	c = kmag_cache_create("kmag_slab_reclaim", size, 0, SLAB_RECLAIM_ACCOUNT, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	rec0 = global_node_page_state_pages(NR_SLAB_RECLAIMABLE_B);
	unrec0 = global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B);
	for (i = 0; i < n; i++) {
		objs[i] = kmag_cache_alloc(c, GFP_KERNEL);
		if (!objs[i])
			break;
	}
	kmag_stats_read(&mid);
	rec1 = global_node_page_state_pages(NR_SLAB_RECLAIMABLE_B);
	KUNIT_EXPECT_EQ(test, i, n);
	span_bytes = (long)(c->central.nr_spans * c->npages) << PAGE_SHIFT;
	KUNIT_EXPECT_GE(test, span_bytes, (long)total);
	/* Exactly the cache's spans moved to SReclaimable. */
	KUNIT_EXPECT_EQ(test, mid.slab_reclaimable_bytes - before.slab_reclaimable_bytes,
			span_bytes);
	KUNIT_EXPECT_EQ(test, mid.slab_unreclaimable_bytes + mid.slab_reclaimable_bytes,
			mid.sys_bytes);
	KUNIT_EXPECT_GE(test, rec1 - rec0, (span_bytes >> PAGE_SHIFT) - slack);

	/* Large objects: SUnreclaim, page for page. */
	big[0] = kmag_alloc(KMAG_MAX_ALLOC, GFP_KERNEL);
	big[1] = kmag_alloc(KMAG_MAX_ALLOC, GFP_KERNEL);
	kmag_stats_read(&after);
	unrec1 = global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B);
	KUNIT_EXPECT_NOT_NULL(test, big[0]);
	KUNIT_EXPECT_NOT_NULL(test, big[1]);
	KUNIT_EXPECT_EQ(test, after.slab_unreclaimable_bytes - mid.slab_unreclaimable_bytes,
			2 * (long)KMAG_MAX_ALLOC);
	KUNIT_EXPECT_EQ(test, after.slab_reclaimable_bytes, mid.slab_reclaimable_bytes);
	KUNIT_EXPECT_GE(test, unrec1 - unrec0, 2 * (long)(KMAG_MAX_ALLOC >> PAGE_SHIFT) - slack);
	kmag_slab_expect_acct(test, "live");

	/* Freed and drained: all of it leaves Slab. */
	for (i = 0; i < n && objs[i]; i++)
		kmag_cache_free(c, objs[i]);
	kmag_free(big[0]);
	kmag_free(big[1]);
	kmag_slab_expect_acct(test, "freed");
	kmag_cache_destroy(c);
	kmag_drain();
	kmag_slab_expect_acct(test, "destroyed and drained");
	kmag_stats_read(&after);
	rec2 = global_node_page_state_pages(NR_SLAB_RECLAIMABLE_B);
	unrec2 = global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B);
	KUNIT_EXPECT_EQ(test, after.slab_reclaimable_bytes, before.slab_reclaimable_bytes);
	KUNIT_EXPECT_EQ(test, after.slab_unreclaimable_bytes, before.slab_unreclaimable_bytes);
	KUNIT_EXPECT_EQ(test, after.sys_bytes, before.sys_bytes);
	KUNIT_EXPECT_GE(test, rec1 - rec2, (span_bytes >> PAGE_SHIFT) - slack);
	KUNIT_EXPECT_GE(test, unrec1 - unrec2, 2 * (long)(KMAG_MAX_ALLOC >> PAGE_SHIFT) - slack);
}

static struct kunit_case kmag_slab_api_cases[] = {
	KUNIT_CASE(kmag_slab_node_helpers),
	KUNIT_CASE(kmag_slab_krealloc_array),
	KUNIT_CASE(kmag_slab_size_roundup),
	KUNIT_CASE(kmag_slab_dup),
	KUNIT_CASE(kmag_slab_free_bulk),
	KUNIT_CASE(kmag_slab_kvmalloc),
	KUNIT_CASE(kmag_slab_kvmalloc_node),
	KUNIT_CASE(kmag_slab_kvfree_kmalloc),
	KUNIT_CASE(kmag_slab_owns),
	KUNIT_CASE(kmag_slab_dump_obj),
	KUNIT_CASE(kmag_slab_cache_helpers),
	KUNIT_CASE(kmag_slab_cache_shrink),
	KUNIT_CASE(kmag_slab_cache_macros),
	KUNIT_CASE(kmag_slab_flags_accepted),
	KUNIT_CASE(kmag_slab_flags_refused),
	KUNIT_CASE(kmag_slab_meminfo),
	{}
};

static struct kunit_suite kmag_slab_api_suite = {
	.name = "kmag_slab_api",
	.suite_init = kmag_test_suite_init,
	.suite_exit = kmag_test_suite_exit,
	.init = kmag_slab_test_init,
	.exit = kmag_test_exit,
	.test_cases = kmag_slab_api_cases,
};

kunit_test_suite(kmag_slab_api_suite);
