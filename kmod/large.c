// SPDX-License-Identifier: GPL-2.0
/*
 * Large objects: requests above 32 KiB (up to KMAG_MAX_SIZE) get a span of
 * whole pages straight from the page heap, node-local unless told otherwise.
 * Up to 2 MiB they are carved from the heap's chunks (and share them with
 * the small classes); above, each gets a dedicated chunk.
 */
#include <linux/mm.h>
#include <linux/string.h>

#include "kmag_internal.h"

/* Zero whole pages the way the page allocator does (clear_page). */
static void kmag_clear_pages(void *p, unsigned int npages)
{
	unsigned int i;

	for (i = 0; i < npages; i++)
		clear_page(p + ((unsigned long)i << PAGE_SHIFT));
}

/**
 * kmag_large_alloc() - allocate a large object
 * @size: KMAG_MAX_SMALL < size <= KMAG_MAX_SIZE
 * @gfp: allocation flags (may sleep only if they allow it)
 * @nid: node, or NUMA_NO_NODE
 *
 * Context: any context compatible with @gfp.
 * Return: a page-aligned object of PAGE_ALIGN(@size) usable bytes, or NULL.
 */
void *kmag_large_alloc(size_t size, gfp_t gfp, int nid)
{
	unsigned int npages = PAGE_ALIGN(size) >> PAGE_SHIFT;
	struct kmag_span *s;
	void *p;

	s = kmag_heap_alloc(nid, npages, gfp, NULL);
	if (!s)
		return NULL;
	p = (void *)s->base;
	if (want_init_on_alloc(gfp))
		kmag_clear_pages(p, npages);
	this_cpu_inc(kmag_pcpu_stat[KMAG_LARGE_ALLOC]);
	this_cpu_add(kmag_pcpu_stat[KMAG_LARGE_BYTES], (size_t)npages << PAGE_SHIFT);
	this_cpu_add(kmag_pcpu_stat[KMAG_REQ_BYTES], size);
	return p;
}

/**
 * kmag_large_free() - free a large object
 * @span: the span @p lies in (not a small-object span)
 * @p: the pointer being freed
 * @ip: caller, for reports
 *
 * Reports and ignores @p unless it is the start of an in-use large span.
 *
 * Context: any context.
 */
void kmag_large_free(struct kmag_span *span, const void *p, unsigned long ip)
{
	size_t bytes = (size_t)span->npages << PAGE_SHIFT;

	if (unlikely(READ_ONCE(span->state) != KMAG_SPAN_LARGE)) {
		kmag_report_double(NULL, p, ip);
		return;
	}
	if (unlikely((unsigned long)p != span->base)) {
		kmag_report_invalid(p, "not the start of a large object", ip);
		return;
	}
	if (want_init_on_free())
		kmag_clear_pages((void *)p, span->npages);
	this_cpu_inc(kmag_pcpu_stat[KMAG_LARGE_FREE]);
	this_cpu_sub(kmag_pcpu_stat[KMAG_LARGE_BYTES], bytes);
	kmag_heap_free(span);
}
