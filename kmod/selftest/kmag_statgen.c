// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_statgen: kselftest module (kselftest_module.h), loaded by
 * scripts/selftests/kmag/kmag_stats.sh to put a known state into kmag's
 * statistics and keep it there until it is unloaded:
 *
 *   STATGEN_SMALL objects of kmag_alloc(STATGEN_SMALL_SIZE);
 *   a cache "kmag_stat_cache" of STATGEN_CACHE_SIZE-byte objects with
 *   STATGEN_CACHE live objects, and STATGEN_ROUNDS more allocated and
 *   freed again on the same CPU (so that CPU's magazines of the cache hold
 *   STATGEN_ROUNDS objects).
 *
 * The background reclaimer is paused meanwhile (it would flush those
 * magazines), and resumed at unload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/smp.h>

#include <kmag.h>
#include "kmag_internal.h"

#include "kselftest_module.h"

KSTM_MODULE_GLOBALS();

#define STATGEN_SMALL		1000
#define STATGEN_SMALL_SIZE	100
#define STATGEN_CACHE		500
#define STATGEN_CACHE_SIZE	200
#define STATGEN_ROUNDS		8

static void *small[STATGEN_SMALL];
static void *objs[STATGEN_CACHE];
static struct kmag_cache *cache;

static int kmag_statgen_run(void)
{
	void *extra[STATGEN_ROUNDS];
	int i, nulls = 0, cpu;

	kmag_reclaim_pause(true);
	cache = kmag_cache_create("kmag_stat_cache", STATGEN_CACHE_SIZE, 0, 0, NULL);
	if (!cache)
		return 1;
	for (i = 0; i < STATGEN_SMALL; i++) {
		small[i] = kmag_alloc(STATGEN_SMALL_SIZE, GFP_KERNEL);
		nulls += !small[i];
	}
	/* One CPU for the cache's objects: its magazines keep the rounds. */
	migrate_disable();
	cpu = smp_processor_id();
	for (i = 0; i < STATGEN_CACHE; i++) {
		objs[i] = kmag_cache_alloc(cache, GFP_KERNEL);
		nulls += !objs[i];
	}
	for (i = 0; i < STATGEN_ROUNDS; i++) {
		extra[i] = kmag_cache_alloc(cache, GFP_KERNEL);
		nulls += !extra[i];
	}
	for (i = 0; i < STATGEN_ROUNDS; i++)
		kmag_cache_free(cache, extra[i]);
	migrate_enable();
	pr_info("objects on cpu %d\n", cpu);
	return nulls;
}

static void __init selftest(void)
{
	KSTM_CHECK_ZERO(kmag_statgen_run());
}

static void kmag_statgen_free(void)
{
	int i;

	for (i = 0; i < STATGEN_SMALL; i++)
		kmag_free(small[i]);
	for (i = 0; i < STATGEN_CACHE; i++)
		kmag_cache_free(cache, objs[i]);
	kmag_cache_destroy(cache);
	kmag_reclaim_pause(false);
}

static int __init kmag_statgen_init(void)
{
	int ret;

	pr_info("loaded.\n");
	add_taint(TAINT_TEST, LOCKDEP_STILL_OK);
	selftest();
	ret = kstm_report(total_tests, failed_tests, skipped_tests);
	if (ret)
		kmag_statgen_free();
	return ret;
}

static void __exit kmag_statgen_exit(void)
{
	kmag_statgen_free();
	pr_info("unloaded.\n");
}

module_init(kmag_statgen_init);
module_exit(kmag_statgen_exit);
MODULE_IMPORT_NS(KMAG_INTERNAL);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmag statistics selftest module: a known state, held");
