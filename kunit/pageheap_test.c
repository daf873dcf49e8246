// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_pageheap: spans from the page heap, the pointer -> span map,
 * splitting, coalescing, reuse and release to the buddy allocator.
 *
 * Each test starts from kmag_drain(): with nothing live, the heap then holds
 * no memory at all, so chunk layouts are predictable.
 */
#include <kunit/test.h>
#include <linux/vmalloc.h>

#include "kmag_test.h"

#define PG(n) ((unsigned long)(n) << PAGE_SHIFT)

static int kmag_pageheap_init(struct kunit *test)
{
	struct kmag_stats st;

	kmag_drain();
	kmag_stats_read(&st);
	/* Expecting an empty heap: no test leaves anything live. */
	KUNIT_ASSERT_EQ(test, st.sys_bytes, 0);
	return 0;
}

/*
 * Every page of a small-object span maps to it, only the first page of a
 * large object does; memory kmag does not own never does; pages kmag took
 * back map to KMAG_MAP_GONE.
 */
static void kmag_pageheap_span_map(struct kunit *test)
{
	struct kmag_span *s = kmag_heap_alloc(NUMA_NO_NODE, 3, 1, GFP_KERNEL, kmag_classes[0]);
	struct kmag_span *l = kmag_heap_alloc(NUMA_NO_NODE, 3, 1, GFP_KERNEL, NULL);
	unsigned long i, base;
	int x;

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_NOT_NULL(test, l);
	KUNIT_EXPECT_EQ(test, s->npages, 3);
	KUNIT_EXPECT_EQ(test, kmag_span_state(s), KMAG_SPAN_SMALL);
	KUNIT_EXPECT_EQ(test, kmag_span_state(l), KMAG_SPAN_LARGE);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(s->base, PAGE_SIZE));
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_PTR_EQ(test, kmag_span_of((void *)(s->base + PG(i))), s);
		KUNIT_EXPECT_PTR_EQ(test, kmag_span_of((void *)(s->base + PG(i) + 123)), s);
	}
	KUNIT_EXPECT_PTR_EQ(test, kmag_span_of((void *)(l->base + 123)), l);
	KUNIT_EXPECT_NULL(test, kmag_span_of((void *)(l->base + PG(1))));
	KUNIT_EXPECT_NULL(test, kmag_span_of((void *)(l->base + PG(2))));
	/* Small-object pages also lead to their span through page->private. */
	KUNIT_EXPECT_PTR_EQ(test, kmag_obj_span((void *)(s->base + PG(2))), s);
	KUNIT_EXPECT_EQ(test, page_private(virt_to_page((void *)l->base)), 0);
	base = s->base;
	kmag_heap_free(s);
	KUNIT_EXPECT_EQ(test, page_private(virt_to_page((void *)base)), 0);
	KUNIT_EXPECT_PTR_EQ(test, kmag_map_entry((void *)(base + PG(1))), KMAG_MAP_GONE);
	kmag_heap_free(l);
	KUNIT_EXPECT_NULL(test, kmag_span_of(&x));
	KUNIT_EXPECT_NULL(test, kmag_span_of(test));
	KUNIT_EXPECT_NULL(test, kmag_span_of(NULL));
	KUNIT_EXPECT_NULL(test, kmag_span_of((void *)-1UL));
}

/* Spans split from one chunk coalesce back into it, then leave. */
static void kmag_pageheap_split_coalesce(struct kunit *test)
{
	unsigned long sys, inuse, released, released0;
	struct kmag_span *a, *b, *c, *f;
	unsigned long base;
	int nid;

	kmag_heap_sizes(&sys, &inuse, &released0);
	a = kmag_heap_alloc(NUMA_NO_NODE, 100, 1, GFP_KERNEL, NULL);
	b = kmag_heap_alloc(NUMA_NO_NODE, 100, 1, GFP_KERNEL, NULL);
	c = kmag_heap_alloc(NUMA_NO_NODE, 100, 1, GFP_KERNEL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, c);
	kmag_heap_sizes(&sys, &inuse, &released);
	KUNIT_EXPECT_EQ(test, inuse, PG(300));
	KUNIT_ASSERT_EQ_MSG(test, sys, PG(KMAG_CHUNK_PAGES), "no 2 MiB chunk");
	/* Carved from the front of one chunk, in order. */
	base = a->base;
	KUNIT_EXPECT_EQ(test, b->base, base + PG(100));
	KUNIT_EXPECT_EQ(test, c->base, base + PG(200));
	f = kmag_span_of((void *)(base + PG(300)));
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, kmag_span_state(f), KMAG_SPAN_FREE);
	KUNIT_EXPECT_EQ(test, f->npages, KMAG_CHUNK_PAGES - 300);

	kmag_heap_free(b);
	f = kmag_span_of((void *)(base + PG(100)));
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, kmag_span_state(f), KMAG_SPAN_FREE);
	KUNIT_EXPECT_EQ(test, f->npages, 100);

	kmag_heap_free(a);	/* coalesces with b's pages */
	f = kmag_span_of((void *)base);
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, kmag_span_state(f), KMAG_SPAN_FREE);
	KUNIT_EXPECT_EQ(test, f->npages, 200);
	KUNIT_EXPECT_NULL(test, kmag_span_of((void *)(base + PG(100))));

	kmag_heap_free(c);	/* and now the whole chunk is one free span */
	f = kmag_span_of((void *)base);
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, f->npages, KMAG_CHUNK_PAGES);
	kmag_heap_sizes(&sys, &inuse, &released);
	KUNIT_EXPECT_EQ(test, inuse, 0);
	KUNIT_EXPECT_EQ(test, sys, PG(KMAG_CHUNK_PAGES));	/* one chunk kept */

	for_each_node(nid)
		kmag_heap_scavenge(nid, 0, 0, ULONG_MAX);
	kmag_heap_sizes(&sys, &inuse, &released);
	KUNIT_EXPECT_EQ(test, sys, 0);
	KUNIT_EXPECT_EQ(test, released - released0, PG(KMAG_CHUNK_PAGES));
	KUNIT_EXPECT_NULL(test, kmag_span_of((void *)base));
}

/* Freed pages are reused, by a later span of any user. */
static void kmag_pageheap_reuse(struct kunit *test)
{
	struct kmag_span *s, *t;
	unsigned long base;

	s = kmag_heap_alloc(NUMA_NO_NODE, 8, 1, GFP_KERNEL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	base = s->base;
	kmag_heap_free(s);
	t = kmag_heap_alloc(NUMA_NO_NODE, 8, 1, GFP_KERNEL, kmag_classes[0]);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_EQ(test, t->base, base);
	KUNIT_EXPECT_EQ(test, kmag_span_state(t), KMAG_SPAN_SMALL);
	KUNIT_EXPECT_PTR_EQ(test, kmag_span_cache(t), kmag_classes[0]);
	kmag_heap_free(t);
}

/* A span above 2 MiB gets a dedicated chunk, released on free. */
static void kmag_pageheap_dedicated(struct kunit *test)
{
	unsigned int npages = KMAG_MAX_SIZE >> PAGE_SHIFT;
	unsigned long sys, inuse, released;
	struct kmag_span *s;

	s = kmag_heap_alloc(NUMA_NO_NODE, npages, 1, GFP_KERNEL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, s->npages, npages);
	KUNIT_EXPECT_TRUE(test, s->chunk->dedicated);
	KUNIT_EXPECT_PTR_EQ(test, kmag_span_of((void *)s->base), s);
	kmag_heap_free(s);
	kmag_heap_sizes(&sys, &inuse, &released);
	KUNIT_EXPECT_EQ(test, sys, 0);
}

/* A span above 2 MiB that is not a power of two holds just its pages. */
static void kmag_pageheap_dedicated_exact(struct kunit *test)
{
	unsigned long sys, inuse, released;
	struct kmag_span *s;

	s = kmag_heap_alloc(NUMA_NO_NODE, 600, 1, GFP_KERNEL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_EQ(test, s->npages, 600);
	KUNIT_EXPECT_EQ(test, s->chunk->npages, 600);
	kmag_heap_sizes(&sys, &inuse, &released);
	KUNIT_EXPECT_EQ(test, sys, PG(600));
	KUNIT_EXPECT_EQ(test, inuse, PG(600));
	kmag_heap_free(s);
	kmag_heap_sizes(&sys, &inuse, &released);
	KUNIT_EXPECT_EQ(test, sys, 0);
}

/*
 * An aligned span is carved at the first aligned page of a free span; the
 * pages before it stay free, and everything coalesces back on free.
 */
static void kmag_pageheap_aligned(struct kunit *test)
{
	struct kmag_span *a, *b, *f;
	unsigned long sys, inuse, released;

	a = kmag_heap_alloc(NUMA_NO_NODE, 3, 1, GFP_KERNEL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	b = kmag_heap_alloc(NUMA_NO_NODE, 16, 16, GFP_KERNEL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(b->base, PG(16)));
	KUNIT_EXPECT_EQ(test, b->npages, 16);
	KUNIT_EXPECT_PTR_EQ(test, b->chunk, a->chunk);
	/* The 13 pages between a and b are one free span. */
	f = kmag_span_of((void *)(a->base + PG(3)));
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, kmag_span_state(f), KMAG_SPAN_FREE);
	KUNIT_EXPECT_EQ(test, f->base + PG(f->npages), b->base);
	KUNIT_EXPECT_PTR_EQ(test, kmag_span_of((void *)(b->base - PAGE_SIZE)), f);
	kmag_heap_free(a);
	kmag_heap_free(b);
	f = kmag_span_of((void *)a->chunk->base);
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_EXPECT_EQ(test, f->npages, f->chunk->npages);
	kmag_heap_sizes(&sys, &inuse, &released);
	KUNIT_EXPECT_EQ(test, inuse, 0);
}

/*
 * The optimistic 2 MiB chunk (and a node-local try before other nodes'
 * spans) never reclaims, retries, warns or dips into reserves; metadata
 * kmag needs keeps the caller's __GFP_NOFAIL / __GFP_NORETRY.
 */
static void kmag_pageheap_gfp(struct kunit *test)
{
	gfp_t g;

	g = kmag_chunk_try_gfp(GFP_KERNEL);
	KUNIT_EXPECT_FALSE(test, g & __GFP_RECLAIM);
	KUNIT_EXPECT_TRUE(test, (g & (__GFP_NORETRY | __GFP_NOWARN | __GFP_NOMEMALLOC)) ==
			  (__GFP_NORETRY | __GFP_NOWARN | __GFP_NOMEMALLOC));
	g = kmag_chunk_try_gfp(GFP_ATOMIC | __GFP_NOFAIL);
	KUNIT_EXPECT_FALSE(test, g & (__GFP_HIGH | __GFP_ATOMIC | __GFP_RECLAIM |
				      __GFP_NOFAIL | __GFP_MEMALLOC));
	g = kmag_chunk_try_gfp(GFP_KERNEL | __GFP_MEMALLOC);
	KUNIT_EXPECT_FALSE(test, g & __GFP_MEMALLOC);

	KUNIT_EXPECT_TRUE(test, kmag_meta_gfp(GFP_KERNEL | __GFP_NOFAIL) & __GFP_NOFAIL);
	KUNIT_EXPECT_TRUE(test, kmag_meta_gfp(GFP_KERNEL | __GFP_NORETRY) & __GFP_NORETRY);
	KUNIT_EXPECT_TRUE(test, kmag_meta_gfp(GFP_KERNEL | __GFP_RETRY_MAYFAIL) &
			  __GFP_RETRY_MAYFAIL);
	KUNIT_EXPECT_TRUE(test, kmag_meta_gfp(GFP_ATOMIC) & __GFP_HIGH);
	KUNIT_EXPECT_FALSE(test, kmag_meta_gfp(GFP_KERNEL | __GFP_ZERO | __GFP_DMA32) &
			   (__GFP_ZERO | __GFP_DMA32));
	/* Magazines are optional: never __GFP_NOFAIL. */
	KUNIT_EXPECT_FALSE(test, kmag_mag_gfp(GFP_KERNEL | __GFP_NOFAIL) & __GFP_NOFAIL);
}

/*
 * Of free spans that fit equally well, the one in the fullest chunk is
 * taken, so that sparse chunks empty and go back whole.
 */
static void kmag_pageheap_fullest_chunk(struct kunit *test)
{
	struct kmag_span *x, *y, *z, *w;

	x = kmag_heap_alloc(NUMA_NO_NODE, 412, 1, GFP_KERNEL, NULL);	/* A: 100 free */
	KUNIT_ASSERT_NOT_NULL(test, x);
	y = kmag_heap_alloc(NUMA_NO_NODE, 300, 1, GFP_KERNEL, NULL);	/* B */
	KUNIT_ASSERT_NOT_NULL(test, y);
	KUNIT_ASSERT_PTR_NE(test, y->chunk, x->chunk);
	z = kmag_heap_alloc(NUMA_NO_NODE, 112, 1, GFP_KERNEL, NULL);	/* B: 100 free */
	KUNIT_ASSERT_NOT_NULL(test, z);
	KUNIT_ASSERT_PTR_EQ(test, z->chunk, y->chunk);
	kmag_heap_free(y);	/* B: 112 of 512 used, A: 412 */
	w = kmag_heap_alloc(NUMA_NO_NODE, 100, 1, GFP_KERNEL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_EXPECT_PTR_EQ(test, w->chunk, x->chunk);
	KUNIT_EXPECT_EQ(test, x->chunk->used, KMAG_CHUNK_PAGES);
	kmag_heap_free(w);
	kmag_heap_free(x);
	kmag_heap_free(z);
}

/*
 * GFP_ATOMIC under a spinlock with IRQs off (on PREEMPT_RT a sleeping lock
 * and IRQs on: the atomic context kmag serves there, §16): no sleeping
 * (DEBUG_ATOMIC_SLEEP watches).
 */
static void kmag_pageheap_atomic(struct kunit *test)
{
	static DEFINE_SPINLOCK(lock);
	struct kmag_span *s;
	unsigned long flags;

	spin_lock_irqsave(&lock, flags);
	s = kmag_heap_alloc(NUMA_NO_NODE, 16, 1, GFP_ATOMIC, NULL);
	if (s)
		kmag_heap_free(s);
	spin_unlock_irqrestore(&lock, flags);
	KUNIT_EXPECT_NOT_NULL(test, s);
}

static struct kunit_case kmag_pageheap_cases[] = {
	KUNIT_CASE(kmag_pageheap_span_map),
	KUNIT_CASE(kmag_pageheap_split_coalesce),
	KUNIT_CASE(kmag_pageheap_reuse),
	KUNIT_CASE(kmag_pageheap_dedicated),
	KUNIT_CASE(kmag_pageheap_dedicated_exact),
	KUNIT_CASE(kmag_pageheap_aligned),
	KUNIT_CASE(kmag_pageheap_fullest_chunk),
	KUNIT_CASE(kmag_pageheap_gfp),
	KUNIT_CASE(kmag_pageheap_atomic),
	{}
};

static struct kunit_suite kmag_pageheap_suite = {
	.name = "kmag_pageheap",
	.suite_init = kmag_test_suite_init,
	.suite_exit = kmag_test_suite_exit,
	.init = kmag_pageheap_init,
	.exit = kmag_test_exit,
	.test_cases = kmag_pageheap_cases,
};

kunit_test_suite(kmag_pageheap_suite);
