// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_failslab: kselftest module (kselftest_module.h), loaded by
 * scripts/selftests/kmag/kmag_failslab.sh after it has set kmag's fault
 * injection knobs (/sys/kernel/debug/kmag/fail/). It makes five
 * allocations of each kind, in this order: kmag_alloc(64),
 * kmag_alloc(128), a named cache's object, a large object, and
 * kmag_alloc(64, ... | __GFP_NOFAIL); it prints how many of each failed
 * and checks that against want= (five counts, if given). Every failure
 * must be a clean NULL, and the allocations that succeed usable; all is
 * freed before init returns. gfp is GFP_KERNEL, GFP_ATOMIC with atomic=1.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/string.h>

#include <kmag.h>

#include "kselftest_module.h"

KSTM_MODULE_GLOBALS();

#define PER_KIND	5
#define NR_KINDS	5

static int want[NR_KINDS];
static int nr_want;
module_param_array(want, int, &nr_want, 0444);
MODULE_PARM_DESC(want, "failures expected per kind: 64,128,cache,large,nofail");
static bool atomic;
module_param(atomic, bool, 0444);
MODULE_PARM_DESC(atomic, "allocate with GFP_ATOMIC instead of GFP_KERNEL");

static const char *const kind_name[NR_KINDS] = {
	"kmag_alloc(64)", "kmag_alloc(128)", "cache", "large", "nofail"
};
static const size_t kind_size[NR_KINDS] = { 64, 128, 96, 100000, 64 };

static void __init selftest(void)
{
	gfp_t gfp = (atomic ? GFP_ATOMIC : GFP_KERNEL) | __GFP_NOWARN;
	void *objs[NR_KINDS][PER_KIND] = {};
	int failed[NR_KINDS] = {};
	struct kmag_cache *c;
	int k, i;

	c = kmag_cache_create("kmag_failslab", kind_size[2], 0, 0, NULL);
	KSTM_CHECK_ZERO(!c);
	if (!c)
		return;
	for (k = 0; k < NR_KINDS; k++) {
		for (i = 0; i < PER_KIND; i++) {
			if (k == 2)
				objs[k][i] = kmag_cache_alloc(c, gfp);
			else
				objs[k][i] = kmag_alloc(kind_size[k], k == 4 ?
							gfp | __GFP_NOFAIL : gfp);
			if (!objs[k][i])
				failed[k]++;
			else
				memset(objs[k][i], 0x6b, kind_size[k]);
		}
	}
	pr_info("failed: %d %d %d %d %d (%s)\n", failed[0], failed[1], failed[2],
		failed[3], failed[4], atomic ? "GFP_ATOMIC" : "GFP_KERNEL");
	for (k = 0; k < NR_KINDS; k++) {
		if (k < nr_want && failed[k] != want[k])
			pr_warn("%s: %d failed, expected %d\n", kind_name[k],
				failed[k], want[k]);
		if (k < nr_want)
			KSTM_CHECK_ZERO(failed[k] != want[k]);
		for (i = 0; i < PER_KIND; i++) {
			if (objs[k][i])
				KSTM_CHECK_ZERO(memchr_inv(objs[k][i], 0x6b, kind_size[k]));
			if (k == 2)
				kmag_cache_free(c, objs[k][i]);
			else
				kmag_free(objs[k][i]);
		}
	}
	kmag_cache_destroy(c);
}

KSTM_MODULE_LOADERS(kmag_failslab);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmag fault injection (fail/) selftest module");
