// SPDX-License-Identifier: GPL-2.0
/*
 * Large objects: requests above 32 KiB (up to KMAG_MAX_SIZE) get a span of
 * whole pages straight from the page heap, node-local unless told otherwise.
 * Up to 2 MiB they are carved from the heap's chunks (and share them with
 * the small classes); above, each gets a dedicated chunk of exactly its
 * pages. A power-of-two size is naturally aligned, as kmalloc's are.
 *
 * Each CPU keeps the span of the last large object it freed, up to
 * KMAG_LARGE_CPU_PAGES pages, for the next large allocation of the same
 * pages on that CPU (the buddy allocator's per-CPU lists do the same for
 * small orders): an alloc/free pair then takes no heap lock and does no
 * split or coalescing. The span stays mapped with its owner at
 * KMAG_OWNER_FREEING, so a second free of the object is a double free as
 * before. The slot is looked at only by its CPU under its magazine lock
 * (or for an offline CPU). It is not charged to the CPU's cache budget,
 * which it would take from the magazines: it is bounded on its own, at
 * KMAG_LARGE_CPU_PAGES per CPU. kmag_drain(), the shrinker and CPU
 * hot-unplug flush the slots, and the reclaimer flushes those that were
 * not used during an interval. The statistics count a kept span as free
 * memory (free_span_bytes, idle), not in use.
 */
#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/string.h>

#include "kmag_internal.h"

/* Largest span a CPU keeps: 256 KiB. */
#define KMAG_LARGE_CPU_PAGES	(SZ_256K >> PAGE_SHIFT)

struct kmag_large_cpu {
	struct kmag_span *span;		/* kept, owner KMAG_OWNER_FREEING */
	unsigned int npages;		/* its pages; 0 when empty */
	int nid;			/* its node */
	unsigned long ops;		/* spans kept or taken */
	unsigned long reap_ops;		/* ops at the reclaimer's last look */
};

static DEFINE_PER_CPU(struct kmag_large_cpu, kmag_large_cpu);

/*
 * Take this CPU's kept span if it is @npages pages on @nid (NUMA_NO_NODE:
 * the home node), aligned to @align pages.
 * Return: the span, owner still KMAG_OWNER_FREEING, or NULL.
 */
static struct kmag_span *kmag_large_cpu_take(unsigned int npages,
					     unsigned int align, int nid)
{
	struct kmag_large_cpu *lc;
	struct kmag_span *s = NULL;
	unsigned long flags;

	local_lock_irqsave(&kmag_lock, flags);
	lc = this_cpu_ptr(&kmag_large_cpu);
	if (lc->npages == npages &&
	    lc->nid == (nid == NUMA_NO_NODE ? kmag_home_node() : nid) &&
	    IS_ALIGNED(lc->span->base, (unsigned long)align << PAGE_SHIFT)) {
		s = lc->span;
		lc->span = NULL;
		lc->npages = 0;
		lc->ops++;
	}
	local_unlock_irqrestore(&kmag_lock, flags);
	return s;
}

/*
 * Keep @s (a freed large object's span, owner KMAG_OWNER_FREEING) on this
 * CPU if it is small enough and on the home node.
 * Return: the span the caller must give to the page heap (@s, the one it
 * replaced, or NULL).
 */
static struct kmag_span *kmag_large_cpu_keep(struct kmag_span *s)
{
	struct kmag_large_cpu *lc;
	struct kmag_span *old;
	unsigned long flags;

	if (s->npages > KMAG_LARGE_CPU_PAGES)
		return s;
	local_lock_irqsave(&kmag_lock, flags);
	if (s->nid != kmag_home_node()) {
		local_unlock_irqrestore(&kmag_lock, flags);
		return s;
	}
	lc = this_cpu_ptr(&kmag_large_cpu);
	old = lc->span;
	/* The newest stays: the next request is likelier to be its size. */
	lc->span = s;
	lc->npages = s->npages;
	lc->nid = s->nid;
	lc->ops++;
	local_unlock_irqrestore(&kmag_lock, flags);
	if (!old)
		kmag_reclaim_kick();	/* an unused slot gets flushed */
	return old;
}

/*
 * Empty @cpu's slot: this CPU under its magazine lock, or an offline one
 * with kmag_caches_mutex held (no two drains at once).
 */
static void kmag_large_cpu_flush(int cpu)
{
	struct kmag_large_cpu *lc = per_cpu_ptr(&kmag_large_cpu, cpu);
	struct kmag_span *s = lc->span;

	if (!s)
		return;
	lc->span = NULL;
	lc->npages = 0;
	kmag_heap_free(s);
}

static void kmag_large_flush_this_cpu(void *arg)
{
	kmag_large_cpu_flush(smp_processor_id());
}

/**
 * kmag_large_drain() - give every CPU's kept large span to the page heap
 *
 * Context: process context, cpus_read_lock() and kmag_caches_mutex held;
 * may sleep. No magazine, central or heap lock held.
 */
void kmag_large_drain(void)
{
	int cpu;

	lockdep_assert_held(&kmag_caches_mutex);
	if (!kmag_flush_wq)	/* a load that failed early: nothing kept */
		return;
	kmag_on_cpus(cpu_online_mask, kmag_large_flush_this_cpu, NULL);
	for_each_possible_cpu(cpu)
		if (!cpu_online(cpu))
			kmag_large_cpu_flush(cpu);
}

/**
 * kmag_large_reap_idle() - flush the kept spans that were not used
 * @busy: set to true if a CPU still keeps a span afterwards
 *
 * A CPU whose slot neither took nor kept a span since the last reap has
 * its span flushed (by that CPU, kmag_on_cpus()).
 *
 * Context: process context, cpus_read_lock() and kmag_caches_mutex held
 * (which protects the mask of CPUs to flush); may sleep.
 */
void kmag_large_reap_idle(bool *busy)
{
	static struct cpumask idle;
	struct kmag_large_cpu *lc;
	int cpu;

	lockdep_assert_held(&kmag_caches_mutex);
	cpumask_clear(&idle);
	for_each_online_cpu(cpu) {
		lc = per_cpu_ptr(&kmag_large_cpu, cpu);
		if (kmag_reap_cpu_idle(READ_ONCE(lc->span), READ_ONCE(lc->ops),
				       &lc->reap_ops, busy))
			cpumask_set_cpu(cpu, &idle);
	}
	if (!cpumask_empty(&idle))
		kmag_on_cpus(&idle, kmag_large_flush_this_cpu, NULL);
}

/**
 * kmag_large_cpu_dead() - a CPU went away: its kept span goes to the heap
 * @cpu: the dead CPU
 *
 * Context: process context (CPU hotplug callback).
 */
void kmag_large_cpu_dead(int cpu)
{
	kmag_large_cpu_flush(cpu);
}

/**
 * kmag_large_kept_pages() - pages the CPUs keep in their slots
 * @nid: only those on this node, or NUMA_NO_NODE for all
 *
 * Context: any context; a snapshot.
 * Return: the pages.
 */
unsigned long kmag_large_kept_pages(int nid)
{
	struct kmag_large_cpu *lc;
	unsigned long n = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		lc = per_cpu_ptr(&kmag_large_cpu, cpu);
		if (nid == NUMA_NO_NODE || READ_ONCE(lc->nid) == nid)
			n += READ_ONCE(lc->npages);
	}
	return n;
}

/**
 * kmag_large_unkept() - in-use pages of the page heap, less the kept spans
 * @inuse: the heap's in-use pages (of @nid, or all)
 * @nid: the node, or NUMA_NO_NODE for all
 *
 * Context: any context; a snapshot, never below zero.
 * Return: the pages in use by caches and live large objects.
 */
unsigned long kmag_large_unkept(unsigned long inuse, int nid)
{
	unsigned long kept = kmag_large_kept_pages(nid);

	return inuse > kept ? inuse - kept : 0;
}

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
	struct kmag_span *s = NULL;
	bool kept = false;
	void *p;

	/* Dedicated chunks are buddy blocks: aligned to their order already. */
	if (is_power_of_2(size) && npages <= KMAG_CHUNK_PAGES)
		align = npages;
	if (npages <= KMAG_LARGE_CPU_PAGES && !READ_ONCE(kmag_fail_heap_alloc))
		s = kmag_large_cpu_take(npages, align, nid);
	if (s) {
		/* Mapped to it all along: the owner makes it live again. */
		WRITE_ONCE(s->owner, s->base | KMAG_OWNER_LARGE);
		kept = true;
	} else {
		s = kmag_heap_alloc(nid, npages, align, gfp, NULL);
		if (!s)
			return NULL;
	}
	p = (void *)s->base;
	/*
	 * init_on_free: the pages may have been another user's (a span); a
	 * kept span was this object's, cleared by its free.
	 */
	if (want_init_on_alloc(gfp) || (want_init_on_free() && !kept))
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
	span = kmag_large_cpu_keep(span);
	if (span)
		kmag_heap_free(span);
}
