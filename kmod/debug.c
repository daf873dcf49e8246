// SPDX-License-Identifier: GPL-2.0
/*
 * Reports of misuse: frees of pointers kmag did not hand out (kmalloc
 * memory, stack, vmalloc, interior pointers) and double frees (found by the
 * objects' in-use bits, see api.c). Each is counted per CPU and reported
 * with a rate-limited pr_err; the free is then ignored, so the allocator's
 * state stays intact.
 */
#include <linux/kernel.h>
#include <linux/printk.h>

#include "kmag_internal.h"

/**
 * kmag_report_invalid() - count and report a free kmag must ignore
 * @p: the pointer
 * @why: what is wrong with it
 * @ip: the caller
 *
 * Context: any context.
 */
void kmag_report_invalid(const void *p, const char *why, unsigned long ip)
{
	this_cpu_inc(kmag_pcpu_stat[KMAG_INVALID_FREE]);
	pr_err_ratelimited("kmag: invalid free of %p (%s) from %pS\n",
			   p, why, (void *)ip);
}
EXPORT_SYMBOL_NS_GPL(kmag_report_invalid, KMAG_INTERNAL);

/**
 * kmag_report_double() - count and report a double free
 * @c: the cache of the object, NULL for a large object
 * @p: the object
 * @ip: the caller, or 0 when found while flushing a magazine
 *
 * Context: any context.
 */
void kmag_report_double(struct kmag_cache *c, const void *p, unsigned long ip)
{
	this_cpu_inc(kmag_pcpu_stat[KMAG_DOUBLE_FREE]);
	if (ip)
		pr_err_ratelimited("kmag: double free of %p in %s from %pS\n",
				   p, c ? c->name : "large objects", (void *)ip);
	else
		pr_err_ratelimited("kmag: double free of %p in %s (found when its magazine was flushed)\n",
				   p, c ? c->name : "large objects");
}
EXPORT_SYMBOL_NS_GPL(kmag_report_double, KMAG_INTERNAL);

/**
 * kmag_report_corrupt() - kmag found its own state inconsistent
 * @c: the cache
 * @p: the object concerned
 * @why: what is wrong
 *
 * Never expected: a bug in kmag (or memory corruption). Warns once, with a
 * stack trace, and counts a double free (the only way a client can cause it
 * is by racing a free of an object with its own reallocation).
 *
 * Context: any context.
 */
void kmag_report_corrupt(struct kmag_cache *c, const void *p, const char *why)
{
	this_cpu_inc(kmag_pcpu_stat[KMAG_DOUBLE_FREE]);
	WARN_ONCE(1, "kmag: object %p of %s %s\n", p, c->name, why);
}
EXPORT_SYMBOL_NS_GPL(kmag_report_corrupt, KMAG_INTERNAL);
