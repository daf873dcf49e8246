// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for debugging of clients (debug.c): each kind of bug is
 * provoked on purpose and must give exactly one report of the right kind,
 * at the right offset, naming the owner; object and cache stay usable.
 * In the style of lib/slub_kunit.c. The provocations are bracketed by
 * "kmag-expect:" lines, so that the VM runner accepts their reports.
 */
#include <linux/kallsyms.h>
#include <linux/kasan.h>
#include <linux/slab.h>

#include "kmag_test.h"

#define KMAG_EXPECT_BEGIN(what)	pr_info("kmag-expect: begin %s\n", what)
#define KMAG_EXPECT_END(what)	pr_info("kmag-expect: end %s\n", what)

/* A write a client should not make: KASAN must not stop it here. */
static noinline void kmag_test_poke(void *p, long off, u8 val)
{
#if defined(CONFIG_KASAN_GENERIC) || defined(CONFIG_KASAN_SW_TAGS)
	kasan_disable_current();
#endif
	((u8 *)p)[off] = val;
#if defined(CONFIG_KASAN_GENERIC) || defined(CONFIG_KASAN_SW_TAGS)
	kasan_enable_current();
#endif
}

static unsigned long kmag_test_seq(void)
{
	return READ_ONCE(kmag_last_report.seq);
}

/* Exactly one report since @seq, of @kind about @obj at @offset. */
static void kmag_expect_one(struct kunit *test, unsigned long seq,
			    enum kmag_report_kind kind, struct kmag_cache *c,
			    const void *obj, long offset)
{
	KUNIT_EXPECT_EQ(test, kmag_test_seq(), seq + 1);
	KUNIT_EXPECT_EQ(test, kmag_last_report.kind, kind);
	KUNIT_EXPECT_PTR_EQ(test, kmag_last_report.cache, c);
	KUNIT_EXPECT_PTR_EQ(test, kmag_last_report.object, obj);
	KUNIT_EXPECT_EQ(test, kmag_last_report.offset, offset);
}

/* The track's caller is @fn (by name: the call site is inside it). */
static void kmag_expect_owner(struct kunit *test, struct kmag_cache *c,
			      const void *p, bool free, const char *fn)
{
	char buf[KSYM_SYMBOL_LEN];

	snprintf(buf, sizeof(buf), "%ps", (void *)kmag_debug_track_addr(c, p, free));
	/* "fn [kmag_kunit]": the suites are a module. */
	KUNIT_EXPECT_EQ(test, strncmp(buf, fn, strlen(fn)), 0);
	KUNIT_EXPECT_TRUE(test, buf[strlen(fn)] == '\0' || buf[strlen(fn)] == ' ');
}

/* Each case's reports are printed whole, whatever came before. */
static int kmag_debug_test_init(struct kunit *test)
{
	kmag_report_ratelimit_reset();
	return 0;
}

static struct kmag_cache *kmag_test_cache(struct kunit *test, unsigned int size,
					  unsigned long flags)
{
	struct kmag_cache *c = kmag_cache_create("kmag_debug_test", size, 0, flags, NULL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	return c;
}

/* The cache still hands out and takes back objects without reports. */
static void kmag_expect_usable(struct kunit *test, struct kmag_cache *c)
{
	unsigned long seq = kmag_test_seq();
	void *p[8];
	int i;

	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = kmag_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		memset(p[i], 0x5a, c->obj_size);
	}
	for (i = 0; i < ARRAY_SIZE(p); i++)
		kmag_cache_free(c, p[i]);
	KUNIT_EXPECT_EQ(test, kmag_validate(c, NULL), 0UL);
	KUNIT_EXPECT_EQ(test, kmag_test_seq(), seq);
}

static void kmag_debug_redzone_right(struct kunit *test)
{
	struct kmag_cache *c = kmag_test_cache(test, 60, SLAB_RED_ZONE | SLAB_STORE_USER);
	struct kmag_stats before, after;
	unsigned long seq;
	u8 *p;

	p = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, (unsigned long)p % 8, 0UL);
	kmag_expect_owner(test, c, p, false, "kmag_debug_redzone_right");
	memset(p, 0x11, 60);		/* the whole object is the client's */
	kmag_stats_read(&before);
	seq = kmag_test_seq();
	KMAG_EXPECT_BEGIN("right red zone");
	kmag_test_poke(p, 60, 0x41);
	kmag_cache_free(c, p);
	KMAG_EXPECT_END("right red zone");
	kmag_expect_one(test, seq, KMAG_REPORT_REDZONE, c, p, 60);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.redzone_errors - before.redzone_errors, 1L);
	/* Reported, restored, and freed all the same. */
	KUNIT_EXPECT_EQ(test, after.frees - before.frees, 1L);
	kmag_expect_owner(test, c, p, true, "kmag_debug_redzone_right");
	kmag_expect_usable(test, c);
	kmag_cache_destroy(c);
}

static void kmag_debug_redzone_left(struct kunit *test)
{
	struct kmag_cache *c = kmag_test_cache(test, 64, SLAB_RED_ZONE);
	unsigned long seq;
	u8 *p;

	p = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	seq = kmag_test_seq();
	KMAG_EXPECT_BEGIN("left red zone");
	kmag_test_poke(p, -3, 0x41);
	kmag_cache_free(c, p);
	KMAG_EXPECT_END("left red zone");
	kmag_expect_one(test, seq, KMAG_REPORT_REDZONE, c, p, -3);
	kmag_expect_usable(test, c);
	kmag_cache_destroy(c);
}

/* A write after free is found by validate, and when handed out again. */
static void kmag_debug_poison(struct kunit *test)
{
	struct kmag_cache *c = kmag_test_cache(test, 128, SLAB_POISON | SLAB_STORE_USER);
	struct kmag_stats before, after;
	unsigned long seq;
	u8 *p, *q = NULL;
	void *held[64];
	int i, n = 0;

	p = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_cache_free(c, p);
	kmag_stats_read(&before);
	seq = kmag_test_seq();
	KMAG_EXPECT_BEGIN("poison, validate");
	kmag_test_poke(p, 100, 0x41);
	KUNIT_EXPECT_EQ(test, kmag_validate(c, NULL), 1UL);
	KMAG_EXPECT_END("poison, validate");
	kmag_expect_one(test, seq, KMAG_REPORT_POISON, c, p, 100);
	kmag_expect_owner(test, c, p, true, "kmag_debug_poison");
	/* Restored by validate: handing it out finds nothing more. */
	KMAG_EXPECT_BEGIN("poison, alloc");
	kmag_test_poke(p, 7, 0x42);
	seq = kmag_test_seq();
	while (n < ARRAY_SIZE(held) && q != p) {
		q = kmag_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		held[n++] = q;
	}
	KMAG_EXPECT_END("poison, alloc");
	KUNIT_ASSERT_PTR_EQ(test, q, p);
	kmag_expect_one(test, seq, KMAG_REPORT_POISON, c, p, 7);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.poison_errors - before.poison_errors, 2L);
	for (i = 0; i < n; i++)
		kmag_cache_free(c, held[i]);
	kmag_expect_usable(test, c);
	kmag_cache_destroy(c);
}

/* The poison is there to be seen: 0x6b, last byte 0xa5, red zones 0xbb. */
static void kmag_debug_poison_pattern(struct kunit *test)
{
	struct kmag_cache *c = kmag_test_cache(test, 40, SLAB_POISON | SLAB_RED_ZONE);
	u8 *p, buf[48 + 8];
	int i;

	p = kmag_cache_alloc(c, __GFP_ZERO | GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p, 40));
	kmag_cache_free(c, p);
#if defined(CONFIG_KASAN_GENERIC) || defined(CONFIG_KASAN_SW_TAGS)
	kasan_disable_current();
#endif
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = p[i - 8];
#if defined(CONFIG_KASAN_GENERIC) || defined(CONFIG_KASAN_SW_TAGS)
	kasan_enable_current();
#endif
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, buf[i], 0xbb);
	for (i = 0; i < 39; i++)
		KUNIT_EXPECT_EQ(test, buf[8 + i], 0x6b);
	KUNIT_EXPECT_EQ(test, buf[8 + 39], 0xa5);
	for (i = 48; i < sizeof(buf); i++)
		KUNIT_EXPECT_EQ(test, buf[i], 0xbb);
	kmag_cache_destroy(c);
}

static void kmag_debug_double_free(struct kunit *test)
{
	struct kmag_cache *c = kmag_test_cache(test, 64, KMAG_DEBUG_DEFAULT);
	struct kmag_stats before, after;
	unsigned long seq;
	void *p;

	p = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_cache_free(c, p);
	kmag_stats_read(&before);
	seq = kmag_test_seq();
	KMAG_EXPECT_BEGIN("double free");
	kmag_cache_free(c, p);
	KMAG_EXPECT_END("double free");
	kmag_expect_one(test, seq, KMAG_REPORT_DOUBLE, c, p, 0);
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.double_frees - before.double_frees, 1L);
	KUNIT_EXPECT_EQ(test, after.frees, before.frees);
	/* The first free's track is kept: it names who freed it. */
	kmag_expect_owner(test, c, p, true, "kmag_debug_double_free");
	kmag_expect_usable(test, c);
	kmag_cache_destroy(c);
}

static void kmag_debug_invalid_free(struct kunit *test)
{
	struct kmag_cache *c = kmag_test_cache(test, 64, SLAB_RED_ZONE | SLAB_POISON);
	unsigned long seq;
	u8 *p;

	p = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	seq = kmag_test_seq();
	KMAG_EXPECT_BEGIN("invalid free");
	kmag_cache_free(c, p + 8);
	KMAG_EXPECT_END("invalid free");
	kmag_expect_one(test, seq, KMAG_REPORT_INVALID, NULL, p + 8, 0);
	seq = kmag_test_seq();
	KMAG_EXPECT_BEGIN("free into the red zone");
	kmag_free(p - 8);
	KMAG_EXPECT_END("free into the red zone");
	kmag_expect_one(test, seq, KMAG_REPORT_INVALID, NULL, p - 8, 0);
	/* Still live and intact. */
	KUNIT_EXPECT_EQ(test, kmag_size(p), 64UL);
	kmag_cache_free(c, p);
	kmag_expect_usable(test, c);
	kmag_cache_destroy(c);
}

/* Alignment is kept with red zones: asked for, and power-of-two classes. */
static void kmag_debug_alignment(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_debug_test", 100, 256,
						 KMAG_DEBUG_DEFAULT, NULL);
	void *p[4];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = kmag_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		KUNIT_EXPECT_EQ(test, (unsigned long)p[i] % 256, 0UL);
		KUNIT_EXPECT_EQ(test, kmag_size(p[i]), 100UL);
	}
	for (i = 0; i < ARRAY_SIZE(p); i++)
		kmag_cache_free(c, p[i]);
	kmag_cache_destroy(c);
}

/* Size classes keep natural alignment with red zones and tracks. */
static void kmag_debug_class_alignment(struct kunit *test)
{
	static const unsigned int sizes[] = { 64, 4096, 8192, 32768 };
	struct kmag_cache *c;
	unsigned int i, j;
	void *p[3];

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		c = kmag_cache_new("kmag_debug_class", sizes[i], 8, 0, NULL,
				   kmag_size_class(sizes[i]), KMAG_DEBUG_DEFAULT);
		KUNIT_ASSERT_NOT_NULL(test, c);
		for (j = 0; j < ARRAY_SIZE(p); j++) {
			p[j] = kmag_cache_alloc(c, GFP_KERNEL);
			KUNIT_EXPECT_NOT_NULL(test, p[j]);
			if (p[j])
				KUNIT_EXPECT_EQ(test, (unsigned long)p[j] % sizes[i], 0UL);
		}
		for (j = 0; j < ARRAY_SIZE(p); j++)
			kmag_cache_free(c, p[j]);
		KUNIT_EXPECT_EQ(test, kmag_validate(c, NULL), 0UL);
		kmag_cache_release(c);
	}
}

/* Constructed objects keep their constructed state: no poison. */
static int kmag_debug_ctor_calls;

static void kmag_debug_ctor(void *p)
{
	memset(p, 0x77, 32);
	kmag_debug_ctor_calls++;
}

static void kmag_debug_ctor_kept(struct kunit *test)
{
	struct kmag_cache *c = kmag_cache_create("kmag_debug_test", 32, 0,
						 KMAG_DEBUG_DEFAULT, kmag_debug_ctor);
	u8 *p;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	p = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_GT(test, kmag_debug_ctor_calls, 0);
	for (i = 0; i < 32; i++)
		KUNIT_EXPECT_EQ(test, p[i], 0x77);
	kmag_cache_free(c, p);
	KUNIT_EXPECT_EQ(test, kmag_validate(c, NULL), 0UL);
	kmag_cache_destroy(c);
}

/* validate: nothing to check is 0 objects and 0 errors; then counts. */
static void kmag_debug_validate_counts(struct kunit *test)
{
	struct kmag_cache *c = kmag_test_cache(test, 256, SLAB_CONSISTENCY_CHECKS);
	struct kmag_cache *plain = kmag_cache_create("kmag_debug_plain", 256, 0, 0, NULL);
	struct kmag_validate_sum sum;
	void *p[5], *q[5];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, plain);
	KUNIT_EXPECT_EQ(test, kmag_validate(c, NULL), 0UL);
	for (i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = kmag_cache_alloc(c, GFP_KERNEL);
		q[i] = kmag_cache_alloc(plain, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		KUNIT_ASSERT_NOT_NULL(test, q[i]);
	}
	KUNIT_EXPECT_EQ(test, kmag_validate(c, &sum), 0UL);
	KUNIT_EXPECT_EQ(test, sum.caches, 1UL);
	KUNIT_EXPECT_EQ(test, sum.spans, 1UL);
	KUNIT_EXPECT_EQ(test, sum.objects, (unsigned long)c->objs_per_span);
	KUNIT_EXPECT_EQ(test, sum.inuse, 5UL);
	KUNIT_EXPECT_EQ(test, sum.free, (unsigned long)c->objs_per_span - 5);
	KUNIT_EXPECT_EQ(test, sum.cached, 0UL);
	/* Plain caches: the freed objects wait in this CPU's magazine. */
	migrate_disable();
	for (i = 0; i < ARRAY_SIZE(q); i++)
		kmag_cache_free(plain, q[i]);
	KUNIT_EXPECT_EQ(test, kmag_validate(plain, &sum), 0UL);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, sum.inuse, 0UL);
	KUNIT_EXPECT_GE(test, sum.cached, 5UL);
	KUNIT_EXPECT_EQ(test, sum.rounds, sum.cached);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		kmag_cache_free(c, p[i]);
	KUNIT_EXPECT_EQ(test, kmag_validate(NULL, NULL), 0UL);
	kmag_cache_destroy(c);
	kmag_cache_destroy(plain);
}

/* validate catches a magazine round that its span calls free. */
static void kmag_debug_validate_magazine(struct kunit *test)
{
	struct kmag_cache *plain = kmag_cache_create("kmag_debug_plain", 64, 0, 0, NULL);
	struct kmag_span *s;
	unsigned long seq, flags;
	long idx;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, plain);
	p = kmag_cache_alloc(plain, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	/* Into this CPU's magazine; then its free bit set behind kmag's back. */
	migrate_disable();
	kmag_cache_free(plain, p);
	s = kmag_span_of(p);
	idx = kmag_obj_index(plain, s, p);
	/* Span and free map agree: only the magazine check can see it. */
	spin_lock_irqsave(&plain->central.lock, flags);
	__set_bit(idx, s->freemap);
	s->nfree++;
	spin_unlock_irqrestore(&plain->central.lock, flags);
	seq = kmag_test_seq();
	KMAG_EXPECT_BEGIN("validate magazine");
	KUNIT_EXPECT_EQ(test, kmag_validate(plain, NULL), 1UL);
	KMAG_EXPECT_END("validate magazine");
	kmag_expect_one(test, seq, KMAG_REPORT_VALIDATE, plain, p, 0);
	spin_lock_irqsave(&plain->central.lock, flags);
	__clear_bit(idx, s->freemap);
	s->nfree--;
	spin_unlock_irqrestore(&plain->central.lock, flags);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, kmag_validate(plain, NULL), 0UL);
	kmag_cache_destroy(plain);
}

/* Bulk calls record their caller, not themselves. */
static void kmag_debug_bulk_owner(struct kunit *test)
{
	struct kmag_cache *c = kmag_test_cache(test, 48, SLAB_STORE_USER);
	void *p[4];
	int i;

	KUNIT_ASSERT_EQ(test, kmag_cache_alloc_bulk(c, GFP_KERNEL, ARRAY_SIZE(p), p),
			(int)ARRAY_SIZE(p));
	for (i = 0; i < ARRAY_SIZE(p); i++)
		kmag_expect_owner(test, c, p[i], false, "kmag_debug_bulk_owner");
	kmag_cache_free_bulk(c, ARRAY_SIZE(p), p);
	for (i = 0; i < ARRAY_SIZE(p); i++)
		kmag_expect_owner(test, c, p[i], true, "kmag_debug_bulk_owner");
	kmag_cache_destroy(c);
}

static noinline void *kmag_debug_tc_helper(size_t size)
{
	return kmag_alloc_track_caller(size, GFP_KERNEL);
}

/*
 * kmag_alloc_track_caller() in a helper: the owner track names the
 * helper's caller. A debug copy of the size class stands in for the class
 * while the helper allocates (nothing else allocates from kmag here).
 */
static void kmag_debug_track_caller(struct kunit *test)
{
	int idx = kmag_size_class(200);
	struct kmag_cache *orig = kmag_classes[idx], *c;
	void *p;

	c = kmag_cache_new("kmag_debug_tc", orig->obj_size, 8, 0, NULL, idx,
			   SLAB_STORE_USER);
	KUNIT_ASSERT_NOT_NULL(test, c);
	WRITE_ONCE(kmag_classes[idx], c);
	p = kmag_debug_tc_helper(200);
	WRITE_ONCE(kmag_classes[idx], orig);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_expect_owner(test, c, p, false, "kmag_debug_track_caller");
	kmag_free(p);
	kmag_expect_owner(test, c, p, true, "kmag_debug_track_caller");
	kmag_cache_release(c);
}

/* A debug cache destroyed with a live object goes with its last free. */
static void kmag_debug_orphan(struct kunit *test)
{
	int keys = static_key_count(&kmag_debug_key.key);
	struct kmag_cache *c;
	void *p;

	c = kmag_test_cache(test, 96, KMAG_DEBUG_DEFAULT);
	KUNIT_EXPECT_EQ(test, static_key_count(&kmag_debug_key.key), keys + 1);
	p = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_cache_destroy(c);
	KUNIT_EXPECT_EQ(test, static_key_count(&kmag_debug_key.key), keys + 1);
	KUNIT_EXPECT_EQ(test, kmag_size(p), 96UL);
	kmag_cache_free(c, p);
	flush_workqueue(kmag_wq);
	KUNIT_EXPECT_EQ(test, static_key_count(&kmag_debug_key.key), keys);
}

static struct kunit_case kmag_debug_cases[] = {
	KUNIT_CASE(kmag_debug_redzone_right),
	KUNIT_CASE(kmag_debug_redzone_left),
	KUNIT_CASE(kmag_debug_poison),
	KUNIT_CASE(kmag_debug_poison_pattern),
	KUNIT_CASE(kmag_debug_double_free),
	KUNIT_CASE(kmag_debug_invalid_free),
	KUNIT_CASE(kmag_debug_alignment),
	KUNIT_CASE(kmag_debug_class_alignment),
	KUNIT_CASE(kmag_debug_ctor_kept),
	KUNIT_CASE(kmag_debug_validate_counts),
	KUNIT_CASE(kmag_debug_validate_magazine),
	KUNIT_CASE(kmag_debug_bulk_owner),
	KUNIT_CASE(kmag_debug_track_caller),
	KUNIT_CASE(kmag_debug_orphan),
	{}
};

static struct kunit_suite kmag_debug_suite = {
	.name = "kmag_debug",
	.suite_init = kmag_test_suite_init_lifo,
	.suite_exit = kmag_test_suite_exit_lifo,
	.init = kmag_debug_test_init,
	.exit = kmag_test_exit,
	.test_cases = kmag_debug_cases,
};
kunit_test_suite(kmag_debug_suite);
