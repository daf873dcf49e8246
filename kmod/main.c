// SPDX-License-Identifier: GPL-2.0
/*
 * kmag module load and unload. See kmag_internal.h for the design.
 */
#include <linux/module.h>

#include "kmag_internal.h"

static int __init kmag_init(void)
{
	int ret;

	ret = kmag_debug_init();	/* a bad debug= fails before anything exists */
	if (ret)
		return ret;
	ret = kmag_numa_init();		/* home nodes before any allocation */
	if (ret)
		return ret;
	ret = kmag_heap_init();
	if (ret)
		goto fail_heap;
	ret = kmag_classes_init();
	if (ret)
		goto fail_classes;
	ret = kmag_magazine_init();
	if (ret)
		goto fail_classes;
	ret = kmag_tiny_init();
	if (ret)
		goto fail_tiny;
	kmag_debugfs_init();
	kmag_fail_init(kmag_debugfs_dir);
	ret = kmag_prof_init(kmag_debugfs_dir);
	if (ret)
		goto fail_prof;
	ret = kmag_reclaim_init(kmag_debugfs_dir);
	if (ret)
		goto fail_reclaim;
	pr_info("kmag: loaded\n");
	return 0;
fail_reclaim:
	kmag_debugfs_exit();
	kmag_prof_exit();
	goto fail_debugfs;
fail_prof:
	kmag_debugfs_exit();
fail_debugfs:
	kmag_fail_exit();
	kmag_tiny_exit();
fail_tiny:
	kmag_magazine_exit();
fail_classes:
	kmag_classes_exit();
	kmag_heap_exit();
fail_heap:
	kmag_numa_exit();
	return ret;
}

static void __exit kmag_exit(void)
{
	unsigned long sys, inuse, released;

	/* Objects queued by kmag_free_rcu() go back while kmag is whole. */
	rcu_barrier();
	kmag_debugfs_exit();	/* no knob or drain write is in flight after */
	kmag_fail_exit();
	kmag_reclaim_exit();
	kmag_tiny_exit();	/* before CPU hotplug callbacks and caches go */
	kmag_magazine_exit();
	kmag_classes_exit();
	kmag_prof_exit();	/* samples of objects never freed */
	/* Spans of SLAB_TYPESAFE_BY_RCU caches reach the page heap. */
	rcu_barrier();
	kmag_heap_sizes(&sys, &inuse, &released);
	if (inuse)
		pr_err("kmag: %lu bytes of large objects still live at unload\n", inuse);
	kmag_heap_exit();
	kmag_numa_exit();
	pr_info("kmag: unloaded\n");
}

module_init(kmag_init);
module_exit(kmag_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmag: magazine slab allocator with size classes and a page heap");
