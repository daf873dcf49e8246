// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_tracegen: kselftest module (kselftest_module.h), loaded by
 * scripts/selftests/kmag/kmag_trace.sh to produce a known set of kmag
 * tracepoint events (kmod/kmag_trace.h). kmag_tracegen_run() makes, in
 * this order, TRACEGEN_SMALL kmag_alloc(100), TRACEGEN_LARGE
 * kmag_alloc(40000) (large objects) and TRACEGEN_CACHE kmag_cache_alloc()
 * from a cache "kmag_trace_cache" of 200-byte objects, then frees them all
 * (kmag_free, kmag_cache_free). Every event's call_site is in
 * kmag_tracegen_run(), which is not __init: the script reads the trace
 * (call_site=kmag_tracegen_run+...) with the module still loaded, and
 * unloads it after.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/string.h>

#include <kmag.h>

#include "kselftest_module.h"

KSTM_MODULE_GLOBALS();

#define TRACEGEN_SMALL		5
#define TRACEGEN_LARGE		3
#define TRACEGEN_CACHE		4
#define TRACEGEN_SMALL_SIZE	100
#define TRACEGEN_LARGE_SIZE	40000
#define TRACEGEN_CACHE_SIZE	200

/* Not __init (its name must outlive init in the trace). Return: NULLs. */
static noinline int kmag_tracegen_run(void)
{
	void *small[TRACEGEN_SMALL], *large[TRACEGEN_LARGE];
	void *objs[TRACEGEN_CACHE];
	struct kmag_cache *c;
	int i, nulls = 0;

	c = kmag_cache_create("kmag_trace_cache", TRACEGEN_CACHE_SIZE, 0, 0, NULL);
	if (!c)
		return 1;
	for (i = 0; i < TRACEGEN_SMALL; i++) {
		small[i] = kmag_alloc(TRACEGEN_SMALL_SIZE, GFP_KERNEL);
		nulls += !small[i];
	}
	for (i = 0; i < TRACEGEN_LARGE; i++) {
		large[i] = kmag_alloc(TRACEGEN_LARGE_SIZE, GFP_KERNEL);
		nulls += !large[i];
	}
	for (i = 0; i < TRACEGEN_CACHE; i++) {
		objs[i] = kmag_cache_alloc(c, GFP_KERNEL);
		nulls += !objs[i];
	}
	for (i = 0; i < TRACEGEN_SMALL; i++)
		kmag_free(small[i]);
	for (i = 0; i < TRACEGEN_LARGE; i++)
		kmag_free(large[i]);
	for (i = 0; i < TRACEGEN_CACHE; i++)
		kmag_cache_free(c, objs[i]);
	kmag_cache_destroy(c);
	return nulls;
}

static void __init selftest(void)
{
	KSTM_CHECK_ZERO(kmag_tracegen_run());
}

KSTM_MODULE_LOADERS(kmag_tracegen);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmag tracepoint selftest module: a known set of events");
