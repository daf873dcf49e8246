// SPDX-License-Identifier: GPL-2.0
/*
 * Large objects: requests above 32 KiB (up to KMAG_MAX_SIZE) get a span of
 * whole pages straight from the page heap, node-local unless told otherwise.
 * Up to 2 MiB they are carved from the heap's chunks (and share them with
 * the small classes); above, each gets a dedicated chunk of exactly its
 * pages. A power-of-two size is naturally aligned, as kmalloc's are.
 */
#include <linux/mm.h>
#include <linux/string.h>

#include "kmag_internal.h"

/**
 * kmag_large_alloc() - allocate a large object
 * @size: KMAG_MAX_SMALL < size <= KMAG_MAX_SIZE
 * @gfp: allocation flags (may sleep only if they allow it)
 * @nid: node, or NUMA_NO_NODE
 *
 * Context: any context compatible with @gfp.
 * Return: a page-aligned object of PAGE_ALIGN(@size) usable bytes (aligned
 * to @size if it is a power of two), or NULL.
 */
void *kmag_large_alloc(size_t size, gfp_t gfp, int nid)
{
	unsigned int npages = PAGE_ALIGN(size) >> PAGE_SHIFT;
	unsigned int align = 1;
	struct kmag_span *s;
	void *p;

	/* Dedicated chunks are buddy blocks: aligned to their order already. */
	if (is_power_of_2(size) && npages <= KMAG_CHUNK_PAGES)
		align = npages;
	s = kmag_heap_alloc(nid, npages, align, gfp, NULL);
	if (!s)
		return NULL;
	p = (void *)s->base;
	/* init_on_free: the pages may have been another user's (a span). */
	if (want_init_on_alloc(gfp) || want_init_on_free())
		kmag_pages_clear(p, npages);
	kmag_san_alloc(NULL, p, size, (size_t)npages << PAGE_SHIFT, gfp);
	this_cpu_inc(kmag_pcpu_stat[KMAG_LARGE_ALLOC]);
	this_cpu_add(kmag_pcpu_stat[KMAG_LARGE_BYTES], (size_t)npages << PAGE_SHIFT);
	this_cpu_add(kmag_pcpu_stat[KMAG_REQ_BYTES], size);
	return p;
}

/**
 * kmag_large_free() - free a large object
 * @span: its span, which the caller moved from KMAG_OWNER_LARGE | base to
 *        KMAG_OWNER_FREEING (so no other free of it can proceed)
 *
 * Context: any context.
 */
void kmag_large_free(struct kmag_span *span)
{
	kmag_prof_forget_obj(span, (void *)span->base);
	kmag_san_free(NULL, (void *)span->base, (size_t)span->npages << PAGE_SHIFT);
	if (want_init_on_free())
		kmag_pages_clear((void *)span->base, span->npages);
	this_cpu_inc(kmag_pcpu_stat[KMAG_LARGE_FREE]);
	this_cpu_sub(kmag_pcpu_stat[KMAG_LARGE_BYTES],
		     (size_t)span->npages << PAGE_SHIFT);
	kmag_heap_free(span);
}
