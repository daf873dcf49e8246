// SPDX-License-Identifier: GPL-2.0
/*
 * The exported API (include/kmag.h) and its fast paths.
 *
 * Fast path, alloc: size -> class by one table lookup; in a section with
 * preemption off that holds this CPU's magazines by a per-CPU flag (§5; on
 * PREEMPT_RT the magazine lock, §16), pop the loaded magazine and count;
 * then, the section over, set the object's in-use state (span from
 * page->private). Only if the loaded magazine is empty does
 * kmag_alloc_refill() (magazine.c) run, under the magazine lock (IRQs off).
 * Fast path, free: pointer -> span through the map, object-start check by
 * a multiply, the object's in-use state cleared atomically (a double free,
 * in any order and from any CPU, finds it clear), then in such a section
 * push on the loaded magazine and count; only a full magazine goes to
 * kmag_free_slow(), under the magazine lock. Where more than one node has
 * memory, an object of another node than the freeing CPU's home goes back
 * to its span instead (kmag_free_remote(), §17). Large objects, tiny
 * objects (§18; their spans fail the same owner-word test as large ones)
 * and bad frees go to kmag_free_other(). Zeroing (init_on_alloc,
 * __GFP_ZERO, init_on_free) is done outside the sections.
 * Tracepoints (kmag_trace.h, §15): one event per call that succeeded or free
 * that kmag accepted, emitted here at the API level; off, each is a no-op
 * jump (a static key) and its arguments are not even computed.
 */
#include <linux/cpu.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kmag_internal.h"
#include "kmag_trace.h"
#include "sizeclasses.h"

/*
 * Requests kmag refuses: too large, DMA zones, a node that cannot exist.
 * Reported (unless __GFP_NOWARN), counted, NULL returned.
 */
static noinline bool kmag_bad_request(size_t size, gfp_t gfp, int node)
{
	const char *why;

	if (kmag_node_impossible(node))
		why = "no such node";
	else if (size > KMAG_MAX_SIZE)
		why = "above the size limit";
	else if (gfp & (__GFP_DMA | __GFP_DMA32))
		why = "GFP_DMA/GFP_DMA32 are not supported";
	else
		return false;
	if (!(gfp & __GFP_NOWARN))
		pr_warn_ratelimited("kmag: allocation of %zu bytes (gfp %#x, node %d) refused: %s\n",
				    size, (__force unsigned int)gfp, node, why);
	this_cpu_inc(kmag_pcpu_stat[KMAG_ALLOC_FAIL]);
	return true;
}

/**
 * kmag_context_refuse() - count and report a call kmag cannot serve (§16)
 * @what: the operation ("allocation", "free")
 * @ip: the API's caller
 *
 * On PREEMPT_RT, from hard IRQ or with IRQs or preemption disabled, kmag's
 * locks (sleeping locks there) may not be taken: an allocation returns
 * NULL, a free leaves the object allocated (it may be freed again from a
 * valid context). Nothing of kmag's state is touched but two counters.
 *
 * Context: any context.
 */
static noinline void kmag_context_refuse(const char *what, unsigned long ip)
{
	this_cpu_inc(kmag_pcpu_stat[KMAG_CONTEXT_ERR]);
	pr_err_ratelimited("kmag: %s refused: %s on PREEMPT_RT (caller %pS)\n", what,
			   in_nmi() ? "NMI" : in_hardirq() ? "hard IRQ" :
			   irqs_disabled() ? "IRQs disabled" : "preemption disabled",
			   (void *)ip);
}

/* An allocation refused by kmag_context_refuse(): also a failure. */
static noinline void *kmag_context_refuse_alloc(unsigned long ip)
{
	kmag_context_refuse("allocation", ip);
	this_cpu_inc(kmag_pcpu_stat[KMAG_ALLOC_FAIL]);
	return NULL;
}

/*
 * Count an object handed out to this CPU, with this_cpu ops (§5): a fast
 * path's section may be interrupted by a nested one that counts too. The
 * heap profile's countdown only where the magazines are ours (@cc).
 * Return: whether to sample it (§19).
 */
static __always_inline void kmag_alloc_count(struct kmag_cache *c, size_t req)
{
	this_cpu_inc(c->cpu->stat[KMAG_ALLOC]);
	this_cpu_add(c->cpu->stat[KMAG_REQ_BYTES], req);
}

static __always_inline bool kmag_alloc_count_mine(struct kmag_cache *c,
						  struct kmag_cpu *cc, size_t req)
{
	kmag_alloc_count(c, req);
	return kmag_prof_count(c, cc);
}

/*
 * An object handed out, no kmag lock held: mark it, zero it, record it in
 * the heap profile if its countdown said so (§19).
 */
static __always_inline void *kmag_alloc_finish(struct kmag_cache *c, void *p,
					       gfp_t gfp, size_t req, bool sample)
{
	kmag_obj_mark(c, p);
	if (kmag_numa())
		kmag_numa_alloc_count(p);
	if (kmag_want_zero(c, gfp))
		kmag_slot_zero(p, c->obj_size);
	kmag_san_alloc(c, p, req, c->obj_size, gfp);
	if (unlikely(sample))
		kmag_prof_alloc(c, p, c->obj_size);
	return p;
}

/* The loaded magazine was empty: everything else, out of line. */
static noinline void *kmag_alloc_slow(struct kmag_cache *c, gfp_t gfp, size_t req)
{
	unsigned long flags;
	bool sample;
	void *p;

	local_lock_irqsave(&kmag_lock, flags);
	p = kmag_alloc_refill(c, gfp, &flags);
	if (unlikely(!p)) {
		this_cpu_ptr(c->cpu)->stat[KMAG_ALLOC_FAIL]++;
		local_unlock_irqrestore(&kmag_lock, flags);
		return NULL;
	}
	sample = kmag_alloc_count_mine(c, this_cpu_ptr(c->cpu), req);
	local_unlock_irqrestore(&kmag_lock, flags);
	return kmag_alloc_finish(c, p, gfp, req, sample);
}

/* One object from the spans of node @nid (or of any node), no magazine. */
static void *kmag_node_get(struct kmag_cache *c, int nid)
{
	unsigned long flags;
	void *p = NULL;

	spin_lock_irqsave(&c->central.lock, flags);
	kmag_central_get(c, &p, 1, nid);
	spin_unlock_irqrestore(&c->central.lock, flags);
	return p;
}

/*
 * An object on node @nid that the loaded magazine could not give: from the
 * node's spans; else a new span on @nid if that needs no reclaim; else
 * (unless __GFP_THISNODE) from any node's spans, as kmalloc_node() falls
 * back; else a new span with the caller's @gfp. A node out of memory thus
 * never makes kmag grow while other nodes hold free objects. Also, with
 * @nested, the allocation of a section that interrupted a fast path's
 * (§5), which may not touch this CPU's magazines, nor sample (§19).
 */
static noinline void *kmag_alloc_on_node(struct kmag_cache *c, gfp_t gfp,
					 int nid, size_t req, bool nested)
{
	bool strict = gfp & __GFP_THISNODE, sample = false;
	unsigned long flags;
	int got;
	void *p;

	/* A span grown here may be emptied by other CPUs first: loop. */
	while (!(p = kmag_node_get(c, nid))) {
		if (nid == NUMA_NO_NODE ||
		    kmag_central_grow(c, strict ? gfp : kmag_chunk_try_gfp(gfp) |
				      __GFP_THISNODE, nid) < 0)
			break;
	}
	while (!p && !strict) {
		p = kmag_node_get(c, NUMA_NO_NODE);
		if (p)
			break;
		got = kmag_central_grow(c, gfp, nid);
		if (got < 0)
			break;
		p = kmag_node_get(c, got);
	}
	if (!p) {
		this_cpu_inc(c->cpu->stat[KMAG_ALLOC_FAIL]);
		return NULL;
	}
	this_cpu_inc(c->cpu->stat[KMAG_MAG_MISS]);
	if (nested) {
		kmag_alloc_count(c, req);
	} else {
		local_lock_irqsave(&kmag_lock, flags);
		sample = kmag_alloc_count_mine(c, this_cpu_ptr(c->cpu), req);
		local_unlock_irqrestore(&kmag_lock, flags);
	}
	return kmag_alloc_finish(c, p, gfp, req, sample);
}

/* A fast path interrupted this CPU's (§5): from the spans. */
static noinline void *kmag_alloc_nested(struct kmag_cache *c, gfp_t gfp,
					int nid, size_t req)
{
	this_cpu_inc(kmag_pcpu_stat[KMAG_NESTED]);
	return kmag_alloc_on_node(c, gfp, nid, req, true);
}

/*
 * The alloc fast path: pop the loaded magazine (§5). With a node (@nid not
 * NUMA_NO_NODE, known at compile time in every caller), only if the object
 * on top lies there: kmalloc_node(size, gfp, cpu_to_node(cpu)) is common.
 */
static __always_inline void *kmag_cache_alloc_fast(struct kmag_cache *c,
						   gfp_t gfp, int nid, size_t req,
						   unsigned long ip)
{
	struct kmag_cpu *cc;
	struct kmag_mag *m;
	bool sample;
	void *p;

	/* Off unless a debug cache exists: then only those take it. */
	if (static_branch_unlikely(&kmag_debug_key) &&
	    unlikely(c->flags & KMAG_DEBUG_FLAGS))
		return kmag_debug_alloc(c, gfp, nid, req, ip);
	kmag_fast_begin();
	if (unlikely(!kmag_mags_get())) {
		kmag_fast_end();
		return kmag_alloc_nested(c, gfp, nid, req);
	}
	cc = this_cpu_ptr(c->cpu);
	m = cc->loaded;
	if (unlikely(!m->rounds) ||
	    (nid != NUMA_NO_NODE &&
	     page_to_nid(virt_to_page(m->objs[m->rounds - 1])) != nid)) {
		kmag_mags_put();
		kmag_fast_end();
		if (nid != NUMA_NO_NODE)
			return kmag_alloc_on_node(c, gfp, nid, req, false);
		return kmag_alloc_slow(c, gfp, req);
	}
	p = m->objs[--m->rounds];
	sample = kmag_alloc_count_mine(c, cc, req);
	kmag_mags_put();
	kmag_fast_end();
	return kmag_alloc_finish(c, p, gfp, req, sample);
}

/* What __kmag_alloc() sends out of line: sizes 0 and large, a node, DMA. */
static noinline void *kmag_alloc_unusual(size_t size, gfp_t gfp, int node,
					 unsigned long ip)
{
	const int req_node = node;
	struct kmag_cache *c;
	void *p;

	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	if (kmag_context_bad())
		return kmag_context_refuse_alloc(ip);
	if (kmag_fail_should(NULL, size, gfp) || kmag_bad_request(size, gfp, node))
		return NULL;
	/* An offline or memoryless node: fall back as kmalloc does. */
	if (node != NUMA_NO_NODE && !(gfp & __GFP_THISNODE) &&
	    !node_state(node, N_MEMORY))
		node = NUMA_NO_NODE;
	if (size > KMAG_MAX_SMALL) {
		p = kmag_large_alloc(size, gfp, node);
		if (!p) {
			this_cpu_inc(kmag_pcpu_stat[KMAG_ALLOC_FAIL]);
			return NULL;
		}
		if (static_branch_unlikely(&kmag_prof_key) &&
		    kmag_prof_large_count(PAGE_ALIGN(size)))
			kmag_prof_alloc(NULL, p, PAGE_ALIGN(size));
		trace_kmag_alloc(ip, p, size, PAGE_ALIGN(size), gfp, req_node);
		trace_kmag_large_alloc(ip, p, size, PAGE_ALIGN(size), gfp,
				       req_node);
		return p;
	}
	c = kmag_classes[kmag_class_of(size)];
	if (node != NUMA_NO_NODE)
		p = kmag_cache_alloc_fast(c, gfp, node, size, ip);
	else
		p = kmag_cache_alloc_fast(c, gfp, NUMA_NO_NODE, size, ip);
	trace_kmag_alloc(ip, p, size, c->obj_size, gfp, req_node);
	return p;
}

/*
 * might_sleep_if(gfpflags_allow_blocking(@gfp)) without its voluntary
 * preemption point: the check of DEBUG_ATOMIC_SLEEP kernels stays, the
 * call to __cond_resched() on every allocation goes (the fast path never
 * sleeps; the slow paths that block reach the page allocator's).
 */
static __always_inline void kmag_might_sleep(gfp_t gfp)
{
#ifdef CONFIG_DEBUG_ATOMIC_SLEEP
	if (gfpflags_allow_blocking(gfp))
		__might_sleep(__FILE__, __LINE__);
#endif
}

/*
 * @ip: the API's caller, for owner tracks (debug caches) and tracepoints;
 * the events get the @node asked for, before any fallback (§15). One test
 * sends 0 bytes, large sizes, a node and DMA zones out of line.
 */
static __always_inline void *__kmag_alloc(size_t size, gfp_t gfp, int node,
					 unsigned long ip)
{
	struct kmag_cache *c;
	void *p;

	kmag_might_sleep(gfp);
	if (unlikely(kmag_any((size - 1 >= KMAG_MAX_SMALL) | (node != NUMA_NO_NODE) |
			      (gfp & (__GFP_DMA | __GFP_DMA32)))))
		return kmag_alloc_unusual(size, gfp, node, ip);
	if (kmag_context_bad())
		return kmag_context_refuse_alloc(ip);
	if (kmag_fail_should(NULL, size, gfp))
		return NULL;
	c = kmag_classes[kmag_class_of(size)];
	p = kmag_cache_alloc_fast(c, gfp, NUMA_NO_NODE, size, ip);
	trace_kmag_alloc(ip, p, size, c->obj_size, gfp, NUMA_NO_NODE);
	return p;
}

void *kmag_alloc(size_t size, gfp_t gfp)
{
	return __kmag_alloc(size, gfp, NUMA_NO_NODE, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_alloc);

void *kmag_alloc_node(size_t size, gfp_t gfp, int node)
{
	return __kmag_alloc(size, gfp, node, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_alloc_node);

void *kmag_zalloc(size_t size, gfp_t gfp)
{
	return __kmag_alloc(size, gfp | __GFP_ZERO, NUMA_NO_NODE, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_zalloc);

/* @n objects of @size bytes: NULL if that overflows. */
static __always_inline void *__kmag_alloc_array(size_t n, size_t size, gfp_t gfp,
						int node, unsigned long ip)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return __kmag_alloc(bytes, gfp, node, ip);
}

void *kmag_alloc_array(size_t n, size_t size, gfp_t gfp)
{
	return __kmag_alloc_array(n, size, gfp, NUMA_NO_NODE, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_alloc_array);

void *kmag_calloc(size_t n, size_t size, gfp_t gfp)
{
	return __kmag_alloc_array(n, size, gfp | __GFP_ZERO, NUMA_NO_NODE, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_calloc);

/*
 * init_on_free: the object is ours alone now, zero it with the magazine lock
 * dropped (IRQs on) and taken again (@flags: its saved state).
 */
static __always_inline void kmag_free_zero(struct kmag_cache *c, void *p,
					   unsigned long *flags)
{
	if (kmag_want_zero_on_free(c)) {
		local_unlock_irqrestore(&kmag_lock, *flags);
		kmag_obj_zero(p, c->obj_size);
		local_lock_irqsave(&kmag_lock, *flags);
	}
}

/*
 * Push a freed object on this CPU's loaded magazine, or, in a section that
 * interrupted a fast path's (§5), back on its span. Magazine lock held
 * (taken with @flags); dropped on return.
 */
static __always_inline void kmag_free_push(struct kmag_cache *c, void *p,
					   unsigned long flags)
{
	struct kmag_cpu *cc;
	struct kmag_mag *m;

	kmag_free_zero(c, p, &flags);
	cc = this_cpu_ptr(c->cpu);
	/* Counted first: the slow path may let an orphaned cache go. */
	cc->stat[KMAG_FREE]++;
	if (kmag_san_free(c, p, c->obj_size)) {
		local_unlock_irqrestore(&kmag_lock, flags);
		return;		/* quarantined (KASAN) */
	}
	if (kmag_nested()) {
		cc->stat[KMAG_MAG_MISS]++;
		__this_cpu_inc(kmag_pcpu_stat[KMAG_NESTED]);
		kmag_central_put_one(c, p);
		local_unlock_irqrestore(&kmag_lock, flags);
		return;
	}
	m = cc->loaded;
	if (likely(m->rounds < m->capacity))
		m->objs[m->rounds++] = p;
	else
		kmag_free_slow(c, p);
	local_unlock_irqrestore(&kmag_lock, flags);
}

/* The event of a free kmag accepted: kmag_cache_free if @want, else kmag_free. */
static __always_inline void kmag_trace_free(const void *p, struct kmag_cache *want,
					    unsigned long ip)
{
	if (want)
		trace_kmag_cache_free(ip, p, want);
	else
		trace_kmag_free(ip, p);
}

/*
 * kmag_free_push() of an object kmag accepted (its in-use bit cleared by
 * this free), with its event (§15): kmag_free once IRQs are back on;
 * kmag_cache_free before the push, while the magazine lock keeps @want
 * (and its name) alive: the push of a destroyed cache's last object lets
 * the cache go.
 */
static __always_inline void kmag_free_push_traced(struct kmag_cache *c,
						  const void *p,
						  struct kmag_cache *want,
						  unsigned long flags,
						  unsigned long ip)
{
	if (want)
		trace_kmag_cache_free(ip, p, want);
	kmag_free_push(c, (void *)p, flags);
	if (!want)
		trace_kmag_free(ip, p);
}

/*
 * A free on a CPU whose home node is not @s's (§17): the object goes back
 * to its span under the central lock, not on this CPU's magazine, from
 * which it would be handed out here as remote memory. As
 * kmag_free_push_traced() otherwise: event, init_on_free zeroing, counted,
 * KASAN's quarantine first. Magazine lock held (taken with @flags); dropped
 * on return.
 */
static noinline void kmag_free_remote(struct kmag_cache *c, struct kmag_span *s,
				      void *p, struct kmag_cache *want,
				      unsigned long flags, unsigned long ip)
{
	struct kmag_cpu *cc;
	int nid = s->nid;

	if (want)
		trace_kmag_cache_free(ip, p, want);
	kmag_free_zero(c, p, &flags);
	cc = this_cpu_ptr(c->cpu);
	cc->stat[KMAG_FREE]++;
	cc->stat[KMAG_MAG_MISS]++;
	if (kmag_nested())
		__this_cpu_inc(kmag_pcpu_stat[KMAG_NESTED]);
	kmag_numa_free_count(nid);
	/* Out of the quarantine, it goes to its span too (sanitize.c). */
	if (!kmag_san_free(c, p, c->obj_size))
		kmag_central_put_one(c, p);	/* may let an orphaned @c go */
	local_unlock_irqrestore(&kmag_lock, flags);
	if (!want)
		trace_kmag_free(ip, p);
}

/*
 * A free kmag accepted (the in-use bit of @p, in @s, cleared by it, its
 * heap profile sample forgotten), magazine lock held: on this CPU's
 * magazine, unless the object lies on another node than this CPU's home
 * (only tested where more than one node has memory).
 */
static __always_inline void kmag_free_locked(struct kmag_cache *c,
					     struct kmag_span *s, const void *p,
					     struct kmag_cache *want,
					     unsigned long flags, unsigned long ip)
{
	if (kmag_numa() && unlikely(s->nid != kmag_home_node())) {
		kmag_free_remote(c, s, (void *)p, want, flags, ip);
		return;
	}
	kmag_free_push_traced(c, p, want, flags, ip);
}

static __always_inline void kmag_free_accepted(struct kmag_cache *c,
					       struct kmag_span *s, const void *p,
					       struct kmag_cache *want,
					       unsigned long flags, unsigned long ip)
{
	kmag_prof_forget_obj(s, p);
	kmag_free_locked(c, s, p, want, flags, ip);
}

/*
 * A free the fast path accepted but does not finish: KASAN's quarantine or
 * kmemleak (kmag_san_free()), init_on_free, a remote object, or a section
 * that interrupted a fast path's (§5). In a fast path's section
 * (kmag_fast_begin()).
 */
static noinline void kmag_free_taken(struct kmag_cache *c, struct kmag_span *s,
				     const void *p, struct kmag_cache *want,
				     unsigned long ip)
{
	unsigned long flags;

	local_lock_irqsave(&kmag_lock, flags);
	kmag_free_locked(c, s, p, want, flags, ip);
}

/* The fast path found the loaded magazine full: the magazine lock's way. */
static noinline void kmag_free_full(struct kmag_cache *c, void *p)
{
	unsigned long flags;

	local_lock_irqsave(&kmag_lock, flags);
	kmag_free_slow(c, p);
	local_unlock_irqrestore(&kmag_lock, flags);
}

/* What the free fast path leaves to kmag_free_taken(). */
static __always_inline bool kmag_free_unusual(struct kmag_cache *c,
					      struct kmag_span *s)
{
	return IS_ENABLED(CONFIG_KASAN_GENERIC) || IS_ENABLED(CONFIG_DEBUG_KMEMLEAK) ||
	       kmag_want_zero_on_free(c) ||
	       (kmag_numa() && unlikely(s->nid != kmag_home_node()));
}

/*
 * @p maps to no span although kmag holds its page: memory kmag took back
 * (a double free), or a page inside a live large object, which maps only
 * its first page (an invalid free). Find out from the nearest mapped page
 * below. Magazine lock held.
 */
static bool kmag_inside_large(const void *p)
{
	struct kmag_span *s = kmag_span_covering(p);

	return s && kmag_span_state(s) == KMAG_SPAN_LARGE &&
	       (unsigned long)p < READ_ONCE(s->base) +
				  ((unsigned long)READ_ONCE(s->npages) << PAGE_SHIFT);
}

/*
 * Everything the free fast path did not take: large objects, and every
 * kind of bad free, looked at again and reported. @want: the cache the
 * caller named (kmag_cache_free), or NULL.
 */
static noinline void kmag_free_other(const void *p, struct kmag_cache *want,
				     unsigned long ip)
{
	struct kmag_cache *c = NULL;
	unsigned long flags, owner, base;
	struct kmag_span *s;
	const char *why;

	local_lock_irqsave(&kmag_lock, flags);
	s = kmag_map_entry(p);
	if (!s) {
		why = "not allocated by kmag";
		goto invalid;
	}
	if (s == KMAG_MAP_GONE) {
		if (!kmag_inside_large(p))
			goto twice;
		why = "not the start of a large object";
		goto invalid;
	}
	owner = READ_ONCE(s->owner);
	base = READ_ONCE(s->base);
	switch (kmag_owner_state(owner)) {
	case KMAG_SPAN_SMALL:
		if (want && kmag_owner_cache(owner) != want) {
			why = "object of another cache";
			goto invalid;
		}
		c = kmag_owner_cache(owner);
		if (owner & KMAG_OWNER_TINY) {
			/* A tiny object (§18): tiny.c drops the lock. */
			kmag_tiny_free(s, owner, base, p, flags, ip);
			return;
		}
		if (unlikely(c->flags & KMAG_DEBUG_FLAGS)) {
			/* Still IRQs off: @want cannot go away (§15). */
			if (kmag_debug_free(c, s, owner, p, ip))
				kmag_trace_free(p, want, ip);
			local_unlock_irqrestore(&kmag_lock, flags);
			return;
		}
		switch (kmag_obj_take(s, owner, p)) {
		case KMAG_NOT_START:
			why = "not the start of an object";
			goto invalid;
		case KMAG_NOT_OUT:
			goto twice;
		case KMAG_STALE:
			why = "a stale pointer";
			goto invalid;
		case KMAG_TAKEN:
			break;
		}
		kmag_free_accepted(c, s, p, want, flags, ip);
		return;
	case KMAG_SPAN_LARGE:
		if (want) {
			why = "a large object, not a cache object";
			goto invalid;
		}
		if ((unsigned long)p != base) {
			why = "not the start of a large object";
			goto invalid;
		}
		/*
		 * Of two CPUs freeing it, one wins; the base in the owner word
		 * keeps a stale free off a span reused for another object.
		 */
		if (cmpxchg(&s->owner, (unsigned long)p | KMAG_OWNER_LARGE,
			    KMAG_OWNER_FREEING) != ((unsigned long)p | KMAG_OWNER_LARGE))
			goto twice;
		local_unlock_irqrestore(&kmag_lock, flags);
		trace_kmag_free(ip, p);
		kmag_large_free(s);
		return;
	default:
		goto twice;
	}
invalid:
	local_unlock_irqrestore(&kmag_lock, flags);
	kmag_report_invalid(p, why, ip);
	return;
twice:
	/* Still an RCU reader: c (validated above, or NULL) cannot go away. */
	kmag_report_double(c, p, ip);
	local_unlock_irqrestore(&kmag_lock, flags);
}

/*
 * The free fast path: pointer -> span through the map, in a fast path's
 * section (preemption off: the span and cache structs cannot be freed
 * under us, §7); the object's in-use bit cleared atomically (exactly one
 * free of an allocation wins); pushed on the loaded magazine once the
 * section holds the magazines (§5). Anything unusual goes to
 * kmag_free_other(). @want: the cache the caller named, or NULL.
 */
static __always_inline void __kmag_free(const void *p, struct kmag_cache *want,
					unsigned long ip)
{
	unsigned long owner;
	struct kmag_cache *c;
	struct kmag_span *s;
	struct kmag_mag *m;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	if (kmag_context_bad()) {
		kmag_context_refuse("free", ip);
		return;
	}
	/* With a debug cache around, every free has a second look. */
	if (static_branch_unlikely(&kmag_debug_key)) {
		kmag_free_other(p, want, ip);
		return;
	}
	kmag_fast_begin();
	s = kmag_map_entry(p);
	if (unlikely((unsigned long)s <= (unsigned long)KMAG_MAP_GONE))
		goto other;
	owner = READ_ONCE(s->owner);
	if (want) {
		if (unlikely(owner != ((unsigned long)want | KMAG_OWNER_SMALL)))
			goto other;
	} else if (unlikely((owner & KMAG_OWNER_KIND) != KMAG_OWNER_SMALL)) {
		/*
		 * A large object, freed by its start: one cmpxchg wins. A tiny
		 * object's span (SMALL | TINY) fails the first test: other.
		 */
		if (owner != ((unsigned long)p | KMAG_OWNER_LARGE) ||
		    cmpxchg(&s->owner, owner, KMAG_OWNER_FREEING) != owner)
			goto other;
		kmag_fast_end();
		trace_kmag_free(ip, p);
		kmag_large_free(s);
		return;
	}
	if (unlikely(kmag_obj_take(s, owner, p) != KMAG_TAKEN))
		goto other;	/* reported there, after a second look */
	c = kmag_owner_cache(owner);
	kmag_prof_forget_obj(s, p);
	if (unlikely(kmag_free_unusual(c, s)) || unlikely(!kmag_mags_get())) {
		kmag_free_taken(c, s, p, want, ip);
		kmag_fast_end();
		return;
	}
	/* Before the push: the last object of a destroyed @want lets it go. */
	if (want)
		trace_kmag_cache_free(ip, p, want);
	this_cpu_inc(c->cpu->stat[KMAG_FREE]);
	m = this_cpu_ptr(c->cpu)->loaded;
	if (likely(m->rounds < m->capacity)) {
		m->objs[m->rounds++] = (void *)p;
		kmag_mags_put();
	} else {
		kmag_mags_put();
		kmag_free_full(c, (void *)p);
	}
	kmag_fast_end();
	if (!want)
		trace_kmag_free(ip, p);
	return;
other:
	kmag_fast_end();
	kmag_free_other(p, want, ip);
}

void kmag_free(const void *p)
{
	__kmag_free(p, NULL, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_free);

/**
 * kmag_free_caller() - kmag_free() on behalf of @ip (slab_api.c)
 * @p: as for kmag_free()
 * @ip: the API's caller, for reports and owner tracks
 *
 * Context: any context, including hard IRQ (not on PREEMPT_RT, §16).
 */
void kmag_free_caller(const void *p, unsigned long ip)
{
	__kmag_free(p, NULL, ip);
}

/*
 * Usable size of @p, 0 (reported) if it is not an object kmag handed out;
 * with @live, also if it is one that was freed.
 */
static size_t __kmag_size(const void *p, bool live, unsigned long ip)
{
	const char *why = "not allocated by kmag";
	unsigned long owner, base;
	struct kmag_span *s;
	size_t size = 0;
	bool out = false;	/* handed out: its whole usable size may be used */
	long idx;

	if (ZERO_OR_NULL_PTR(p))
		return 0;
	rcu_read_lock();
	s = kmag_map_entry(p);
	if (s == KMAG_MAP_GONE) {
		why = "not a live object";
	} else if (s) {
		owner = READ_ONCE(s->owner);
		base = READ_ONCE(s->base);
		switch (kmag_owner_state(owner)) {
		case KMAG_SPAN_SMALL:
			if (owner & KMAG_OWNER_TINY) {
				/*
				 * Only a live tiny object has a size (§18); its
				 * block is all usable to KASAN already.
				 */
				size = kmag_tiny_size(s, owner, base, p, &why);
				break;
			}
			idx = kmag_obj_index(kmag_owner_cache(owner), s,
					     p - kmag_owner_cache(owner)->red_left);
			if (idx < 0) {
				why = "not the start of an object";
				break;
			}
			out = kmag_inuse_test(kmag_owner_cache(owner), s, idx);
			if (live && !out)
				why = "not a live object";
			else
				size = kmag_owner_cache(owner)->obj_size;
			break;
		case KMAG_SPAN_LARGE:
			if ((unsigned long)p == base)
				size = (size_t)READ_ONCE(s->npages) << PAGE_SHIFT;
			else
				why = "not the start of a large object";
			out = true;
			break;
		default:
			why = "not a live object";
		}
		/* A span reused meanwhile: what was read may not belong together. */
		if (size && (READ_ONCE(s->owner) != owner || READ_ONCE(s->base) != base)) {
			size = 0;
			why = "not a live object";
		}
	}
	rcu_read_unlock();
	if (!size)
		kmag_report_invalid(p, why, ip);
	else if (out)
		kmag_san_unpoison(p, size);	/* as ksize(): all of it usable */
	return size;
}

size_t kmag_size(const void *p)
{
	return __kmag_size(p, false, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_size);

void kmag_free_sensitive(const void *p)
{
	size_t size = __kmag_size(p, true, _RET_IP_);

	if (!size)
		return;
	memzero_explicit((void *)p, size);
	__kmag_free(p, NULL, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_free_sensitive);

static void *__kmag_realloc(const void *p, size_t new_size, gfp_t gfp,
			    unsigned long ip)
{
	size_t old;
	void *n;

	if (ZERO_OR_NULL_PTR(p))
		return __kmag_alloc(new_size, gfp, NUMA_NO_NODE, ip);
	if (!new_size) {
		__kmag_free(p, NULL, ip);
		return ZERO_SIZE_PTR;
	}
	old = __kmag_size(p, true, ip);
	if (!old)
		return NULL;
	if (new_size <= old)
		return (void *)p;
	n = __kmag_alloc(new_size, gfp, NUMA_NO_NODE, ip);
	if (!n)
		return NULL;
	memcpy(n, p, old);
	__kmag_free(p, NULL, ip);
	return n;
}

void *kmag_realloc(const void *p, size_t new_size, gfp_t gfp)
{
	return __kmag_realloc(p, new_size, gfp, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_realloc);

void *kmag_krealloc_array(const void *p, size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return __kmag_realloc(p, bytes, gfp, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_krealloc_array);

void *kmag_zalloc_node(size_t size, gfp_t gfp, int node)
{
	return __kmag_alloc(size, gfp | __GFP_ZERO, node, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_zalloc_node);

void *kmag_alloc_array_node(size_t n, size_t size, gfp_t gfp, int node)
{
	return __kmag_alloc_array(n, size, gfp, node, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_alloc_array_node);

void *kmag_calloc_node(size_t n, size_t size, gfp_t gfp, int node)
{
	return __kmag_alloc_array(n, size, gfp | __GFP_ZERO, node, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_calloc_node);

void *__kmag_alloc_track_caller(size_t size, gfp_t gfp, int node,
				unsigned long caller)
{
	return __kmag_alloc(size, gfp, node, caller);
}
EXPORT_SYMBOL_GPL(__kmag_alloc_track_caller);

/* Named caches (created in cache.c). */

/* @ip: the API's caller (bulk calls pass theirs, not their own address). */
static __always_inline void *__kmag_cache_alloc(struct kmag_cache *c, gfp_t gfp,
						unsigned long ip)
{
	void *p;

	kmag_might_sleep(gfp);
	if (kmag_context_bad())
		return kmag_context_refuse_alloc(ip);
	if (unlikely(!c || c->dead || (gfp & (__GFP_DMA | __GFP_DMA32)))) {
		pr_err_ratelimited("kmag: cache_alloc from %s cache\n",
				   !c ? "a NULL" : c->dead ? "a destroyed" : "(DMA gfp)");
		return NULL;
	}
	if (kmag_fail_should(c, c->obj_size, gfp))
		return NULL;
	p = kmag_cache_alloc_fast(c, gfp, NUMA_NO_NODE, c->obj_size, ip);
	trace_kmag_cache_alloc(ip, p, c, gfp, NUMA_NO_NODE);
	return p;
}

static __always_inline void __kmag_cache_free(struct kmag_cache *c, void *p,
					      unsigned long ip)
{
	if (unlikely(!c)) {
		if (!ZERO_OR_NULL_PTR(p))
			kmag_report_invalid(p, "freed to a NULL cache", ip);
		return;
	}
	__kmag_free(p, c, ip);
}

void *kmag_cache_alloc(struct kmag_cache *c, gfp_t gfp)
{
	return __kmag_cache_alloc(c, gfp, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_cache_alloc);

void kmag_cache_free(struct kmag_cache *c, void *p)
{
	__kmag_cache_free(c, p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_cache_free);

int kmag_cache_alloc_bulk(struct kmag_cache *c, gfp_t gfp, size_t n, void **p)
{
	size_t i;

	for (i = 0; i < n; i++) {
		p[i] = __kmag_cache_alloc(c, gfp, _RET_IP_);
		if (unlikely(!p[i])) {
			while (i--)
				__kmag_cache_free(c, p[i], _RET_IP_);
			return 0;
		}
	}
	return n;
}
EXPORT_SYMBOL_GPL(kmag_cache_alloc_bulk);

void kmag_cache_free_bulk(struct kmag_cache *c, size_t n, void **p)
{
	size_t i;

	for (i = 0; i < n; i++)
		__kmag_cache_free(c, p[i], _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_cache_free_bulk);

void kmag_cache_destroy(struct kmag_cache *c)
{
	might_sleep();
	if (!c)
		return;
	if (c->class_idx >= 0) {
		pr_err("kmag: cache_destroy of size class cache %s refused\n", c->name);
		return;
	}
	kmag_cache_release(c);
}
EXPORT_SYMBOL_GPL(kmag_cache_destroy);

void *kmag_cache_zalloc(struct kmag_cache *c, gfp_t gfp)
{
	return __kmag_cache_alloc(c, gfp | __GFP_ZERO, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_cache_zalloc);

void *kmag_cache_alloc_node(struct kmag_cache *c, gfp_t gfp, int node)
{
	void *p;

	if (node == NUMA_NO_NODE)
		return __kmag_cache_alloc(c, gfp, _RET_IP_);
	might_sleep_if(gfpflags_allow_blocking(gfp));
	if (kmag_context_bad())
		return kmag_context_refuse_alloc(_RET_IP_);
	if (unlikely(!c || c->dead)) {
		pr_err_ratelimited("kmag: cache_alloc_node from %s cache\n",
				   !c ? "a NULL" : "a destroyed");
		return NULL;
	}
	if (kmag_bad_request(c->obj_size, gfp, node) ||
	    kmag_fail_should(c, c->obj_size, gfp))
		return NULL;
	/* An offline or memoryless node: fall back as kmem_cache_alloc_node(). */
	if (!(gfp & __GFP_THISNODE) && !node_state(node, N_MEMORY))
		p = kmag_cache_alloc_fast(c, gfp, NUMA_NO_NODE, c->obj_size, _RET_IP_);
	else
		p = kmag_cache_alloc_fast(c, gfp, node, c->obj_size, _RET_IP_);
	trace_kmag_cache_alloc(_RET_IP_, p, c, gfp, node);
	return p;
}
EXPORT_SYMBOL_GPL(kmag_cache_alloc_node);

int kmag_cache_shrink(struct kmag_cache *c)
{
	might_sleep();
	if (!c || c->dead)
		return 0;
	cpus_read_lock();
	kmag_magazines_drain(c);
	cpus_read_unlock();
	return 0;
}
EXPORT_SYMBOL_GPL(kmag_cache_shrink);

unsigned int kmag_cache_size(struct kmag_cache *c)
{
	return c ? c->obj_size : 0;
}
EXPORT_SYMBOL_GPL(kmag_cache_size);

/**
 * kmag_tiny_block_get() - a block of kmag-tiny for the tiny allocator (§18)
 * @gfp: the caller's
 *
 * The block is handed out as any object of its cache (its in-use bit set),
 * without an event: the tiny object that lands in it has its own.
 *
 * Context: as kmag_alloc(); no kmag lock held.
 * Return: the block, or NULL.
 */
void *kmag_tiny_block_get(gfp_t gfp)
{
	return kmag_cache_alloc_fast(kmag_tiny_cache, gfp & ~__GFP_ZERO,
				     NUMA_NO_NODE, KMAG_TINY_BLOCK, _RET_IP_);
}

/**
 * kmag_tiny_block_put() - a block whose word became 0 goes back (§18)
 * @b: the block, handed out by kmag_tiny_block_get()
 *
 * Onto this CPU's magazine, as kmag_free() would put it, without an event.
 *
 * Context: any context, including hard IRQ (not on PREEMPT_RT, §16); no
 * kmag lock held.
 */
void kmag_tiny_block_put(void *b)
{
	struct kmag_span *s = kmag_obj_span(b);
	unsigned long flags, owner;

	local_lock_irqsave(&kmag_lock, flags);
	owner = READ_ONCE(s->owner);
	if (unlikely(kmag_obj_take(s, owner, b) != KMAG_TAKEN)) {
		local_unlock_irqrestore(&kmag_lock, flags);
		kmag_report_corrupt(kmag_tiny_cache, b, "tiny block not handed out");
		return;
	}
	/* A block is an object of kmag-tiny: the heap profile may hold it. */
	kmag_prof_forget_obj(s, b);
	kmag_free_push(kmag_owner_cache(owner), b, flags);
}
