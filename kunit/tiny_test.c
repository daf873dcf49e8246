// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: kmag_tiny, the tiny allocator (theory statement §18). Objects below
 * 16 bytes share blocks; a block goes back when its last object is freed;
 * double and interior frees are reported and change nothing. In kernels
 * with KASAN or kmemleak (the debug kernel) the tiny path is off by design:
 * each test turns kmag_tiny_force on, so that the path itself is tested
 * there, and kmag_tiny_fallback checks that it is off without the switch.
 */
#include <linux/hrtimer.h>
#include <linux/workqueue.h>

#include "kmag_test.h"

/* Is @p in a span of kmag-tiny? */
static bool kmag_tiny_test_is(const void *p)
{
	struct kmag_span *s;
	bool tiny;

	rcu_read_lock();
	s = kmag_span_of(p);
	tiny = s && (READ_ONCE(s->owner) & KMAG_OWNER_KIND) ==
		    (KMAG_OWNER_SMALL | KMAG_OWNER_TINY);
	rcu_read_unlock();
	return tiny;
}

static unsigned long kmag_tiny_block_addr(const void *p)
{
	return (unsigned long)p & ~(unsigned long)(KMAG_TINY_BLOCK - 1);
}

/* Each test starts with no current block anywhere (and ends that way). */
static int kmag_tiny_test_init(struct kunit *test)
{
	WRITE_ONCE(kmag_tiny_force, true);
	kmag_drain();
	return 0;
}

static void kmag_tiny_test_exit(struct kunit *test)
{
	struct kmag_stats st;

	kmag_drain();
	WRITE_ONCE(kmag_tiny_force, false);
	kmag_stats_read(&st);
	KUNIT_EXPECT_EQ(test, st.tiny_blocks, 0);
	kmag_test_exit(test);
}

/* Three 3-byte objects share one block, back to back; one block held. */
static void kmag_tiny_packing(struct kunit *test)
{
	struct kmag_stats before, mid, after;
	u8 *p[3];
	int i;

	kmag_stats_read(&before);
	migrate_disable();	/* one CPU's current block */
	for (i = 0; i < 3; i++)
		p[i] = kmag_alloc_tiny(3, 1, GFP_KERNEL);
	migrate_enable();
	for (i = 0; i < 3; i++) {
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		KUNIT_EXPECT_TRUE(test, kmag_tiny_test_is(p[i]));
		kmag_test_fill(p[i], 3);
	}
	KUNIT_EXPECT_EQ(test, kmag_tiny_block_addr(p[0]), kmag_tiny_block_addr(p[2]));
	KUNIT_EXPECT_PTR_EQ(test, p[1], p[0] + 3);
	KUNIT_EXPECT_PTR_EQ(test, p[2], p[0] + 6);
	kmag_stats_read(&mid);
	KUNIT_EXPECT_EQ(test, mid.tiny_allocs - before.tiny_allocs, 3);
	KUNIT_EXPECT_EQ(test, mid.tiny_blocks, 1);
	/* Three 8-byte class slots, one block and its word. */
	KUNIT_EXPECT_EQ(test, mid.tiny_saved_bytes, 3 * 8 - 20);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_TRUE(test, kmag_test_intact(p[i], 3));
		kmag_free(p[i]);
	}
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.invalid_frees, before.invalid_frees);
	KUNIT_EXPECT_EQ(test, after.double_frees, before.double_frees);
	/* The current block stays until it is retired. */
	KUNIT_EXPECT_EQ(test, after.tiny_blocks, 1);
	KUNIT_EXPECT_EQ(test, after.tiny_saved_bytes, -20);
}

/* Each size lands aligned as it needs; no two objects overlap. */
static void kmag_tiny_alignment(struct kunit *test)
{
	static const unsigned int need[16] = {
		0, 1, 2, 1, 4, 1, 2, 1, 8, 1, 2, 1, 4, 1, 2, 1
	};
	u8 *p[4 * 15];
	unsigned int size, i, j, n = 0;

	for (i = 0; i < 4; i++) {
		for (size = 1; size < 16; size++) {
			p[n] = kmag_alloc_tiny(size, 1, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p[n]);
			KUNIT_EXPECT_TRUE(test, kmag_tiny_test_is(p[n]));
			KUNIT_EXPECT_EQ(test, (unsigned long)p[n] % need[size], 0);
			KUNIT_EXPECT_EQ(test, kmag_size(p[n]), size);
			memset(p[n], n, size);
			n++;
		}
	}
	for (i = 0; i < n; i++) {
		size = i % 15 + 1;
		for (j = 0; j < size; j++)
			KUNIT_EXPECT_EQ(test, p[i][j], (u8)i);
		kmag_free(p[i]);
	}
	/* Asking for the alignment the size needs: still tiny. */
	p[0] = kmag_alloc_tiny(12, 4, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p[0]);
	KUNIT_EXPECT_TRUE(test, kmag_tiny_test_is(p[0]));
	kmag_free(p[0]);
}

/* Requests that do not qualify go to kmag_alloc(); a bad align fails. */
static void kmag_tiny_not_tiny(struct kunit *test)
{
	struct kmag_stats before, after;
	void *p;

	p = kmag_alloc_tiny(3, 4, GFP_KERNEL);	/* more than 3 bytes need */
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_FALSE(test, kmag_tiny_test_is(p));
	KUNIT_EXPECT_EQ(test, (unsigned long)p % 4, 0);
	kmag_free(p);
	p = kmag_alloc_tiny(16, 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_FALSE(test, kmag_tiny_test_is(p));
	kmag_free(p);
	p = kmag_alloc_tiny(24, 64, GFP_KERNEL);	/* 64 aligned via kmag_alloc(64) */
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, (unsigned long)p % 64, 0);
	kmag_free(p);
	KUNIT_EXPECT_PTR_EQ(test, kmag_alloc_tiny(0, 1, GFP_KERNEL), ZERO_SIZE_PTR);
	kmag_stats_read(&before);
	/* Expecting one rate-limited warning. */
	KUNIT_EXPECT_NULL(test, kmag_alloc_tiny(3, 3, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, kmag_alloc_tiny(3, 0, GFP_KERNEL | __GFP_NOWARN));
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.alloc_failures - before.alloc_failures, 2);
}

/* Without the test switch, KASAN and kmemleak kernels route to kmag_alloc(). */
static void kmag_tiny_fallback(struct kunit *test)
{
	void *p;

	if (!IS_ENABLED(CONFIG_KASAN) && !IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
		kunit_skip(test, "tiny objects are packed in this kernel");
	WRITE_ONCE(kmag_tiny_force, false);
	p = kmag_alloc_tiny(3, 1, GFP_KERNEL);
	WRITE_ONCE(kmag_tiny_force, true);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_FALSE(test, kmag_tiny_test_is(p));
	KUNIT_EXPECT_EQ(test, kmag_size(p), 8);
	kmag_free(p);
}

/* Blocks filled and emptied go back: tiny_blocks returns to 0 on drain. */
static void kmag_tiny_blocks_back(struct kunit *test)
{
	struct kmag_stats before, mid, after;
	void *p[40];
	int i;

	kmag_stats_read(&before);
	KUNIT_EXPECT_EQ(test, before.tiny_blocks, 0);
	migrate_disable();
	for (i = 0; i < ARRAY_SIZE(p); i++)
		p[i] = kmag_alloc_tiny(5, 1, GFP_KERNEL);	/* 3 per block */
	migrate_enable();
	for (i = 0; i < ARRAY_SIZE(p); i++)
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	kmag_stats_read(&mid);
	KUNIT_EXPECT_EQ(test, mid.tiny_blocks, DIV_ROUND_UP(ARRAY_SIZE(p), 3));
	KUNIT_EXPECT_EQ(test, mid.live_objects - before.live_objects,
			DIV_ROUND_UP(ARRAY_SIZE(p), 3));
	/* Freed in reverse: blocks go back as their last object does. */
	for (i = ARRAY_SIZE(p) - 1; i >= 0; i--)
		kmag_free(p[i]);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.tiny_blocks, 1);	/* the current one */
	kmag_drain();
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.tiny_blocks, 0);
	KUNIT_EXPECT_EQ(test, after.tiny_saved_bytes, 0);
	KUNIT_EXPECT_EQ(test, after.live_objects, before.live_objects);
}

/* kmag_size, kmag_realloc, kmag_free_sensitive, kmag_kvfree, kmag_owns. */
static void kmag_tiny_api(struct kunit *test)
{
	u8 *p, *q, *r;

	p = kmag_alloc_tiny(5, 1, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p, 5));
	KUNIT_EXPECT_EQ(test, kmag_size(p), 5);
	KUNIT_EXPECT_TRUE(test, kmag_owns(p));
	memcpy(p, "abcde", 5);
	KUNIT_EXPECT_PTR_EQ(test, kmag_realloc(p, 4, GFP_KERNEL), p);
	q = kmag_realloc(p, 40, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_FALSE(test, kmag_tiny_test_is(q));
	KUNIT_EXPECT_EQ(test, memcmp(q, "abcde", 5), 0);
	kmag_free(q);
	r = kmag_alloc_tiny(7, 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	memset(r, 0xa5, 7);
	kmag_free_sensitive(r);
	r = kmag_alloc_tiny(9, 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	kmag_kvfree(r);
	r = kmag_realloc(NULL, 6, GFP_KERNEL);	/* kmag_alloc, not tiny */
	KUNIT_ASSERT_NOT_NULL(test, r);
	kmag_free(r);
}

/* A second free, and a free inside a live object: reported, harmless. */
static void kmag_tiny_bad_free(struct kunit *test)
{
	struct kmag_stats before, after;
	unsigned long seq;
	u8 *a, *b, *c;

	migrate_disable();
	a = kmag_alloc_tiny(4, 1, GFP_KERNEL);
	b = kmag_alloc_tiny(4, 1, GFP_KERNEL);
	c = kmag_alloc_tiny(8, 1, GFP_KERNEL);
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, kmag_tiny_block_addr(a), kmag_tiny_block_addr(c));
	kmag_test_fill(b, 4);
	kmag_test_fill(c, 8);
	kmag_stats_read(&before);
	seq = READ_ONCE(kmag_last_report.seq);
	kmag_free(a);
	/* Expecting a double-free report, then an invalid-free report. */
	kmag_free(a);
	KUNIT_EXPECT_EQ(test, READ_ONCE(kmag_last_report.seq), seq + 1);
	KUNIT_EXPECT_EQ(test, kmag_last_report.kind, KMAG_REPORT_DOUBLE);
	KUNIT_EXPECT_PTR_EQ(test, kmag_last_report.object, (const void *)a);
	kmag_free(c + 3);
	KUNIT_EXPECT_EQ(test, READ_ONCE(kmag_last_report.seq), seq + 2);
	KUNIT_EXPECT_EQ(test, kmag_last_report.kind, KMAG_REPORT_INVALID);
	/* Expecting an invalid-free report: kmag_size() inside c. */
	KUNIT_EXPECT_EQ(test, kmag_size(c + 1), 0);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.double_frees - before.double_frees, 1);
	KUNIT_EXPECT_EQ(test, after.invalid_frees - before.invalid_frees, 2);
	/* Nothing changed: b and c intact and live. */
	KUNIT_EXPECT_EQ(test, kmag_size(b), 4);
	KUNIT_EXPECT_EQ(test, kmag_size(c), 8);
	KUNIT_EXPECT_TRUE(test, kmag_test_intact(b, 4));
	KUNIT_EXPECT_TRUE(test, kmag_test_intact(c, 8));
	kmag_free(b);
	kmag_free(c);
	/* The block is gone once retired: a late free is still a double. */
	kmag_drain();
	kmag_stats_read(&before);
	kmag_free(b);	/* expecting a double-free report */
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.double_frees - before.double_frees, 1);
	KUNIT_EXPECT_EQ(test, after.tiny_blocks, 0);
}

struct kmag_tiny_work {
	struct work_struct work;
	void **objs;
	int n;
	bool alloc;
	int failed;
};

static void kmag_tiny_work_fn(struct work_struct *work)
{
	struct kmag_tiny_work *w = container_of(work, struct kmag_tiny_work, work);
	int i;

	for (i = 0; i < w->n; i++) {
		if (w->alloc) {
			w->objs[i] = kmag_alloc_tiny(i % 15 + 1, 1, GFP_KERNEL);
			if (w->objs[i])
				kmag_test_fill(w->objs[i], i % 15 + 1);
			else
				w->failed++;
		} else {
			if (!kmag_test_intact(w->objs[i], i % 15 + 1))
				w->failed++;
			kmag_free(w->objs[i]);
		}
	}
}

/* Allocated on one CPU, freed on another: no report, every block back. */
static void kmag_tiny_cross_cpu(struct kunit *test)
{
	struct kmag_tiny_work w = { .n = 300 };
	struct kmag_stats before, after;
	int from, to;

	from = cpumask_first(cpu_online_mask);
	to = cpumask_next(from, cpu_online_mask);
	if (to >= nr_cpu_ids)
		kunit_skip(test, "needs two online CPUs");
	w.objs = kunit_kcalloc(test, w.n, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w.objs);
	kmag_stats_read(&before);
	INIT_WORK_ONSTACK(&w.work, kmag_tiny_work_fn);
	w.alloc = true;
	queue_work_on(from, system_wq, &w.work);
	flush_work(&w.work);
	w.alloc = false;
	queue_work_on(to, system_wq, &w.work);
	flush_work(&w.work);
	destroy_work_on_stack(&w.work);
	kmag_drain();
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, w.failed, 0);
	KUNIT_EXPECT_EQ(test, after.tiny_allocs - before.tiny_allocs, w.n);
	KUNIT_EXPECT_EQ(test, after.invalid_frees, before.invalid_frees);
	KUNIT_EXPECT_EQ(test, after.double_frees, before.double_frees);
	KUNIT_EXPECT_EQ(test, after.tiny_blocks, 0);
}

/* As in kmag_concurrency: hard IRQ, but a soft hrtimer on PREEMPT_RT (§16). */
#define KMAG_TINY_IRQ_MODE (IS_ENABLED(CONFIG_PREEMPT_RT) ? HRTIMER_MODE_REL_SOFT : \
			    HRTIMER_MODE_REL_HARD)
#define KMAG_TINY_IRQ_OBJS 400

struct kmag_tiny_irq {
	struct hrtimer timer;
	void *objs[KMAG_TINY_IRQ_OBJS];	/* allocated by the thread, freed here */
	int next;
	unsigned long fired, corrupt, failed;
};

static enum hrtimer_restart kmag_tiny_irq_fn(struct hrtimer *t)
{
	struct kmag_tiny_irq *s = container_of(t, struct kmag_tiny_irq, timer);
	u8 *p;

	s->fired++;
	/* One of the thread's objects, and one of our own, both freed here. */
	if (s->next < KMAG_TINY_IRQ_OBJS) {
		if (!kmag_test_intact(s->objs[s->next], 6))
			s->corrupt++;
		kmag_free(s->objs[s->next++]);
	}
	p = kmag_alloc_tiny(3, 1, GFP_ATOMIC);
	if (p) {
		kmag_test_fill(p, 3);
		if (!kmag_test_intact(p, 3))
			s->corrupt++;
		kmag_free(p);
	} else {
		s->failed++;
	}
	if (s->next >= KMAG_TINY_IRQ_OBJS)
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(50 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/*
 * Frees and GFP_ATOMIC allocations from hard IRQ while this CPU's thread
 * allocates and frees tiny objects: the IRQ lands inside the tiny path.
 */
static void kmag_tiny_hardirq(struct kunit *test)
{
	struct kmag_tiny_irq *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	unsigned long deadline = jiffies + 10 * HZ, loops = 0, corrupt = 0;
	struct kmag_stats before, after;
	u8 *p;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	for (i = 0; i < KMAG_TINY_IRQ_OBJS; i++) {
		s->objs[i] = kmag_alloc_tiny(6, 1, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, s->objs[i]);
		kmag_test_fill(s->objs[i], 6);
	}
	kmag_stats_read(&before);
	migrate_disable();
	hrtimer_init(&s->timer, CLOCK_MONOTONIC, KMAG_TINY_IRQ_MODE);
	s->timer.function = kmag_tiny_irq_fn;
	hrtimer_start(&s->timer, ns_to_ktime(50 * NSEC_PER_USEC), KMAG_TINY_IRQ_MODE);
	while (READ_ONCE(s->next) < KMAG_TINY_IRQ_OBJS && time_before(jiffies, deadline)) {
		p = kmag_alloc_tiny(loops % 15 + 1, 1, GFP_KERNEL);
		if (p) {
			kmag_test_fill(p, loops % 15 + 1);
			if (!kmag_test_intact(p, loops % 15 + 1))
				corrupt++;
			kmag_free(p);
		}
		if (!(++loops & 63))
			cond_resched();
	}
	hrtimer_cancel(&s->timer);
	migrate_enable();
	for (i = s->next; i < KMAG_TINY_IRQ_OBJS; i++)
		kmag_free(s->objs[i]);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, s->next, KMAG_TINY_IRQ_OBJS);
	KUNIT_EXPECT_EQ(test, s->corrupt, 0);
	KUNIT_EXPECT_EQ(test, s->failed, 0);
	KUNIT_EXPECT_EQ(test, corrupt, 0);
	KUNIT_EXPECT_EQ(test, after.invalid_frees, before.invalid_frees);
	KUNIT_EXPECT_EQ(test, after.double_frees, before.double_frees);
}

/* kmag_strdup, kmag_strndup, kmag_memdup of 1..15-byte results: tiny. */
static void kmag_tiny_strdup(struct kunit *test)
{
	static const char src[] = "abcdefghijklmnopqrstuvwxyz";
	char buf[16], *p[15], *q;
	int len;

	for (len = 0; len < 15; len++) {
		memcpy(buf, src, len);
		buf[len] = '\0';
		p[len] = kmag_strdup(buf, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[len]);
		KUNIT_EXPECT_TRUE(test, kmag_tiny_test_is(p[len]));
		KUNIT_EXPECT_EQ(test, kmag_size(p[len]), len + 1);
	}
	for (len = 0; len < 15; len++) {
		memcpy(buf, src, len);
		buf[len] = '\0';
		KUNIT_EXPECT_STREQ(test, p[len], buf);
		kmag_free(p[len]);
	}
	q = kmag_strndup(src, 9, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, kmag_tiny_test_is(q));
	KUNIT_EXPECT_STREQ(test, q, "abcdefghi");
	kmag_free(q);
	q = kmag_memdup(src, 15, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, kmag_tiny_test_is(q));
	KUNIT_EXPECT_EQ(test, memcmp(q, src, 15), 0);
	kmag_free(q);
	q = kmag_strdup(src, GFP_KERNEL);	/* 27 bytes: a size class */
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_FALSE(test, kmag_tiny_test_is(q));
	kmag_free(q);
}

static struct kunit_case kmag_tiny_cases[] = {
	KUNIT_CASE(kmag_tiny_packing),
	KUNIT_CASE(kmag_tiny_alignment),
	KUNIT_CASE(kmag_tiny_not_tiny),
	KUNIT_CASE(kmag_tiny_fallback),
	KUNIT_CASE(kmag_tiny_blocks_back),
	KUNIT_CASE(kmag_tiny_api),
	KUNIT_CASE(kmag_tiny_bad_free),
	KUNIT_CASE(kmag_tiny_cross_cpu),
	KUNIT_CASE(kmag_tiny_hardirq),
	KUNIT_CASE(kmag_tiny_strdup),
	{}
};

static struct kunit_suite kmag_tiny_suite = {
	.name = "kmag_tiny",
	.suite_init = kmag_test_suite_init,
	.suite_exit = kmag_test_suite_exit,
	.init = kmag_tiny_test_init,
	.exit = kmag_tiny_test_exit,
	.test_cases = kmag_tiny_cases,
};

kunit_test_suite(kmag_tiny_suite);
