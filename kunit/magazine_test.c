// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_magazine: per-CPU loaded/previous magazines, the swap, the depot
 * exchange, double frees caught before they reach a magazine, and draining. The test thread stays
 * on one CPU (migrate_disable) and uses a private cache that nothing else
 * touches, so this CPU's magazine state is exactly predictable.
 */
#include <kunit/test.h>
#include <linux/cpu.h>
#include <linux/sched.h>

#include "kmag_test.h"

static struct kmag_cache *kmag_mag_cache(struct kunit *test, const char *name)
{
	struct kmag_cache *c = kmag_cache_create(name, 64, 0, 0, NULL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	return c;
}

static void kmag_test_drain(struct kmag_cache *c)
{
	cpus_read_lock();
	kmag_magazines_drain(c);
	cpus_read_unlock();
}

static void kmag_magazine_swap_and_depot(struct kunit *test)
{
	struct kmag_cache *c = kmag_mag_cache(test, "kmag_test_swap");
	unsigned int C = c->mag_capacity, i;
	unsigned long miss0;
	struct kmag_cpu *cc;
	void **objs;

	objs = kunit_kcalloc(test, 2 * C + 1, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	migrate_disable();
	for (i = 0; i < 2 * C + 1; i++) {
		objs[i] = kmag_cache_alloc(c, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	/* Start from no magazines at all on any CPU, and an empty depot. */
	kmag_test_drain(c);
	cc = this_cpu_ptr(c->cpu);
	KUNIT_EXPECT_PTR_EQ(test, cc->loaded, &kmag_no_mag);
	miss0 = cc->stat[KMAG_MAG_MISS];

	kmag_cache_free(c, objs[0]);		/* miss: magazines installed */
	KUNIT_EXPECT_EQ(test, cc->loaded->capacity, C);
	KUNIT_EXPECT_EQ(test, cc->loaded->rounds, 1);
	KUNIT_EXPECT_EQ(test, cc->previous->rounds, 0);
	for (i = 1; i < C; i++)
		kmag_cache_free(c, objs[i]);
	KUNIT_EXPECT_EQ(test, cc->loaded->rounds, C);
	kmag_cache_free(c, objs[C]);		/* miss: swap with empty previous */
	KUNIT_EXPECT_EQ(test, cc->loaded->rounds, 1);
	KUNIT_EXPECT_EQ(test, cc->previous->rounds, C);
	for (i = C + 1; i < 2 * C; i++)
		kmag_cache_free(c, objs[i]);
	kmag_cache_free(c, objs[2 * C]);	/* miss: previous to the depot */
	KUNIT_EXPECT_EQ(test, c->central.nr_depot_full, 1);
	KUNIT_EXPECT_EQ(test, cc->loaded->rounds, 1);
	KUNIT_EXPECT_EQ(test, cc->previous->rounds, C);
	KUNIT_EXPECT_EQ(test, cc->stat[KMAG_MAG_MISS] - miss0, 3);

	/* Allocation pops in LIFO order, then walks back the same way. */
	KUNIT_EXPECT_PTR_EQ(test, kmag_cache_alloc(c, GFP_KERNEL), objs[2 * C]);
	KUNIT_EXPECT_PTR_EQ(test, kmag_cache_alloc(c, GFP_KERNEL), objs[2 * C - 1]);
	KUNIT_EXPECT_EQ(test, cc->loaded->rounds, C - 1);	/* swapped */
	KUNIT_EXPECT_EQ(test, cc->previous->rounds, 0);
	for (i = 2 * C - 1; i-- > C;)
		KUNIT_EXPECT_PTR_EQ(test, kmag_cache_alloc(c, GFP_KERNEL), objs[i]);
	KUNIT_EXPECT_EQ(test, cc->loaded->rounds, 0);
	/* Both empty: a full magazine from the depot. */
	KUNIT_EXPECT_PTR_EQ(test, kmag_cache_alloc(c, GFP_KERNEL), objs[C - 1]);
	KUNIT_EXPECT_EQ(test, c->central.nr_depot_full, 0);
	KUNIT_EXPECT_EQ(test, cc->loaded->rounds, C - 1);
	KUNIT_EXPECT_EQ(test, cc->stat[KMAG_MAG_MISS] - miss0, 5);
	migrate_enable();

	for (i = C - 1; i < 2 * C + 1; i++)
		kmag_cache_free(c, objs[i]);
	kmag_cache_destroy(c);
}

/* Freeing the object just freed is reported and leaves the magazine alone. */
static void kmag_magazine_double_free(struct kunit *test)
{
	struct kmag_cache *c = kmag_mag_cache(test, "kmag_test_dbl");
	struct kmag_stats before, after;
	struct kmag_cpu *cc;
	unsigned int rounds;
	void *p;

	migrate_disable();
	p = kmag_cache_alloc(c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kmag_cache_free(c, p);
	cc = this_cpu_ptr(c->cpu);
	rounds = cc->loaded->rounds;
	kmag_stats_read(&before);
	kmag_free(p);		/* expecting one double-free report */
	kmag_stats_read(&after);
	KUNIT_EXPECT_EQ(test, cc->loaded->rounds, rounds);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, after.double_frees - before.double_frees, 1);
	KUNIT_EXPECT_EQ(test, after.frees, before.frees);
	kmag_cache_destroy(c);
}

/* Draining empties every CPU's magazines and the depot into the spans. */
static void kmag_magazine_drain(struct kunit *test)
{
	struct kmag_cache *c = kmag_mag_cache(test, "kmag_test_drain");
	const int n = 300;
	void **objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	int cpu;

	KUNIT_ASSERT_NOT_NULL(test, objs);
	kmag_test_cache_cycle(test, c, objs, n);
	KUNIT_EXPECT_GT(test, kmag_central_live(c), 0);	/* held in magazines */
	kmag_test_drain(c);
	for_each_possible_cpu(cpu) {
		KUNIT_EXPECT_PTR_EQ(test, per_cpu_ptr(c->cpu, cpu)->loaded, &kmag_no_mag);
		KUNIT_EXPECT_PTR_EQ(test, per_cpu_ptr(c->cpu, cpu)->previous, &kmag_no_mag);
	}
	KUNIT_EXPECT_EQ(test, c->central.nr_depot_full, 0);
	KUNIT_EXPECT_EQ(test, kmag_central_live(c), 0);
	KUNIT_EXPECT_EQ(test, c->central.nr_spans, 0);
	kmag_cache_destroy(c);
}

/*
 * The per-CPU budget: with room for one cache's magazines, a second cache
 * runs without magazines on this CPU (its objects still come and go, from
 * and to the spans) until the first gives its charge back.
 */
static void kmag_magazine_budget(struct kunit *test)
{
	struct kmag_cache *a = kmag_mag_cache(test, "kmag_test_budget_a");
	struct kmag_cache *b = kmag_mag_cache(test, "kmag_test_budget_b");
	unsigned long saved = READ_ONCE(kmag_cpu_budget), base;
	struct kmag_stats s0, s1;
	int cpu;
	void *p, *q;

	KUNIT_ASSERT_EQ(test, kmag_cpu_charge(a), kmag_cpu_charge(b));
	KUNIT_EXPECT_EQ(test, kmag_cpu_charge(a), 2UL * a->mag_max * a->size);
	migrate_disable();
	cpu = smp_processor_id();
	kmag_test_drain(a);
	kmag_test_drain(b);
	base = kmag_cpu_charged_bytes(cpu);
	WRITE_ONCE(kmag_cpu_budget, base + kmag_cpu_charge(a));
	kmag_stats_read(&s0);

	p = kmag_cache_alloc(a, GFP_KERNEL);	/* a's magazines: charged */
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_NE(test, this_cpu_ptr(a->cpu)->loaded, &kmag_no_mag);
	KUNIT_EXPECT_EQ(test, kmag_cpu_charged_bytes(cpu), base + kmag_cpu_charge(a));

	q = kmag_cache_alloc(b, GFP_KERNEL);	/* over budget: no magazines */
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_EQ(test, this_cpu_ptr(b->cpu)->loaded, &kmag_no_mag);
	kmag_cache_free(b, q);			/* straight back to its span */
	KUNIT_EXPECT_PTR_EQ(test, this_cpu_ptr(b->cpu)->loaded, &kmag_no_mag);
	KUNIT_EXPECT_EQ(test, kmag_central_live(b), 0);
	kmag_stats_read(&s1);
	KUNIT_EXPECT_GE(test, s1.cpu_cache_refusals - s0.cpu_cache_refusals, 2);
	KUNIT_EXPECT_EQ(test, kmag_cpu_charged_bytes(cpu), base + kmag_cpu_charge(a));

	kmag_test_drain(a);			/* charge given back */
	KUNIT_EXPECT_EQ(test, kmag_cpu_charged_bytes(cpu), base);
	q = kmag_cache_alloc(b, GFP_KERNEL);	/* now b fits */
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_PTR_NE(test, this_cpu_ptr(b->cpu)->loaded, &kmag_no_mag);
	KUNIT_EXPECT_EQ(test, kmag_cpu_charged_bytes(cpu), base + kmag_cpu_charge(b));
	WRITE_ONCE(kmag_cpu_budget, saved);
	migrate_enable();

	kmag_stats_read(&s1);
	KUNIT_EXPECT_EQ(test, s1.cpu_cache_budget_bytes, saved);
	KUNIT_EXPECT_EQ(test, s1.cpu_cache_worst_bytes, saved * num_possible_cpus());
	KUNIT_EXPECT_GE(test, s1.cpu_cache_charged_bytes, kmag_cpu_charge(b));
	KUNIT_EXPECT_LE(test, saved, KMAG_CPU_BUDGET_MAX);
	KUNIT_EXPECT_GE(test, saved, KMAG_CPU_BUDGET_MIN);
	kmag_cache_free(a, p);
	kmag_cache_free(b, q);
	kmag_cache_destroy(a);
	kmag_cache_destroy(b);
}

static struct kunit_case kmag_magazine_cases[] = {
	KUNIT_CASE(kmag_magazine_swap_and_depot),
	KUNIT_CASE(kmag_magazine_double_free),
	KUNIT_CASE(kmag_magazine_drain),
	KUNIT_CASE(kmag_magazine_budget),
	{}
};

static struct kunit_suite kmag_magazine_suite = {
	.name = "kmag_magazine",
	.suite_init = kmag_test_suite_init_lifo,
	.suite_exit = kmag_test_suite_exit_lifo,
	.exit = kmag_test_exit,
	.test_cases = kmag_magazine_cases,
};

kunit_test_suite(kmag_magazine_suite);
