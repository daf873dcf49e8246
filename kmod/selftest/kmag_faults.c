// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_faults: kselftest module (kselftest_module.h), loaded by
 * scripts/selftests/kmag/kmag_faults.sh once it has set up the kernel's
 * fail_page_alloc fault injection for tasks that ask for it (task-filter).
 * The module asks for it (current->make_it_fail) around a set of
 * allocations that then cannot get pages from the buddy allocator, and
 * checks that each fails cleanly: NULL (or 0 for bulk), nothing leaked, an
 * object being resized left intact, alloc_failures counted; then that
 * everything works again once the faults stop.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/sched.h>
#include <linux/string.h>

#include <kmag.h>

#include "kmag_internal.h"
#include "kselftest_module.h"

KSTM_MODULE_GLOBALS();

#define NOWARN (GFP_KERNEL | __GFP_NOWARN)

static void __init selftest(void)
{
	struct kmag_stats before, after;
	struct kmag_cache *c;
	void *bulk[16], *p;
	u8 *keep;

	c = kmag_cache_create("kmag_faults", 512, 0, 0, NULL);
	/* A whole 2 MiB chunk: kmag is left with no free pages at all. */
	keep = kmag_alloc(2 << 20, GFP_KERNEL);
	KSTM_CHECK_ZERO(!c || !keep);
	if (!c || !keep)
		goto out;
	memset(keep, 0x3c, 100);
	/* The script drained kmag: every allocation below needs new pages. */
	kmag_stats_read(&before);

	current->make_it_fail = 1;
	p = kmag_cache_alloc(c, NOWARN);
	KSTM_CHECK_ZERO(p != NULL);
	KSTM_CHECK_ZERO(kmag_cache_alloc_bulk(c, NOWARN, ARRAY_SIZE(bulk), bulk) != 0);
	p = kmag_alloc(100000, NOWARN);
	KSTM_CHECK_ZERO(p != NULL);
	p = kmag_alloc(3000, GFP_ATOMIC | __GFP_NOWARN);
	KSTM_CHECK_ZERO(p != NULL);
	p = kmag_realloc(keep, 3 << 20, NOWARN);
	KSTM_CHECK_ZERO(p != NULL);
	current->make_it_fail = 0;

	kmag_stats_read(&after);
	pr_info("%ld allocations failed cleanly under fault injection\n",
		after.alloc_failures - before.alloc_failures);
	KSTM_CHECK_ZERO(after.alloc_failures - before.alloc_failures < 4);
	KSTM_CHECK_ZERO(after.live_objects != before.live_objects);
	KSTM_CHECK_ZERO(memchr_inv(keep, 0x3c, 100) != NULL);

	/* Without faults, the same calls succeed. */
	p = kmag_cache_alloc(c, GFP_KERNEL);
	KSTM_CHECK_ZERO(!p);
	kmag_cache_free(c, p);
	KSTM_CHECK_ZERO(kmag_cache_alloc_bulk(c, GFP_KERNEL, ARRAY_SIZE(bulk), bulk) !=
			ARRAY_SIZE(bulk));
	kmag_cache_free_bulk(c, ARRAY_SIZE(bulk), bulk);
	p = kmag_realloc(keep, 3 << 20, GFP_KERNEL);
	KSTM_CHECK_ZERO(!p);
	if (p) {
		KSTM_CHECK_ZERO(memchr_inv(p, 0x3c, 100) != NULL);
		keep = p;
	}
out:
	current->make_it_fail = 0;
	kmag_free(keep);
	kmag_cache_destroy(c);
}

KSTM_MODULE_LOADERS(kmag_faults);
MODULE_IMPORT_NS(KMAG_INTERNAL);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmag allocation-failure selftest module");
