// SPDX-License-Identifier: GPL-2.0
/*
 * The exported API (include/kmag.h) and its fast paths.
 *
 * Fast path, alloc: size -> class by one table lookup, IRQs off on this CPU
 * (local_lock_irqsave), pop the loaded magazine, count, IRQs back. Only if
 * the loaded magazine is empty does kmag_alloc_refill() (magazine.c) run.
 * Fast path, free: pointer -> span by two map loads, object-start check by a
 * multiply, IRQs off, push on the loaded magazine, count, IRQs back; only a
 * full magazine goes to kmag_free_slow(). Zeroing (init_on_alloc, __GFP_ZERO,
 * init_on_free) is done with IRQs on.
 */
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kmag_internal.h"
#include "sizeclasses.h"

static bool kmag_bad_request(size_t size, gfp_t gfp, int node)
{
	if (unlikely(size > KMAG_MAX_SIZE)) {
		if (!(gfp & __GFP_NOWARN))
			pr_warn_ratelimited("kmag: %zu bytes requested, above the %lu limit\n",
					    size, KMAG_MAX_SIZE);
		return true;
	}
	if (unlikely(gfp & (__GFP_DMA | __GFP_DMA32))) {
		pr_err_ratelimited("kmag: GFP_DMA/GFP_DMA32 are not supported (gfp %#x)\n",
				   (__force unsigned int)gfp);
		return true;
	}
	if (unlikely(node != NUMA_NO_NODE &&
		     (node < 0 || node >= nr_node_ids || !node_online(node)))) {
		pr_err_ratelimited("kmag: allocation on invalid node %d\n", node);
		return true;
	}
	return false;
}

static __always_inline bool kmag_want_zero(struct kmag_cache *c, gfp_t gfp)
{
	/* As SLUB: constructed objects are only zeroed on explicit request. */
	return want_init_on_alloc(gfp) && (!c->ctor || (gfp & __GFP_ZERO));
}

/* Count an object handed out, drop the magazine lock, zero it if asked. */
static __always_inline void *kmag_alloc_done(struct kmag_cache *c,
					     struct kmag_cpu *cc, void *p, gfp_t gfp,
					     size_t req, unsigned long flags)
{
	cc->stat[KMAG_ALLOC]++;
	cc->stat[KMAG_REQ_BYTES] += req;
	local_unlock_irqrestore(&c->cpu->lock, flags);
	if (kmag_want_zero(c, gfp))
		memset(p, 0, c->obj_size);
	return p;
}

/* The loaded magazine was empty: everything else, out of line. */
static noinline void *kmag_alloc_slow(struct kmag_cache *c, gfp_t gfp, size_t req)
{
	struct kmag_cpu *cc;
	unsigned long flags;
	void *p;

	local_lock_irqsave(&c->cpu->lock, flags);
	p = kmag_alloc_refill(c, gfp, &flags);
	cc = this_cpu_ptr(c->cpu);
	if (unlikely(!p)) {
		cc->stat[KMAG_ALLOC_FAIL]++;
		local_unlock_irqrestore(&c->cpu->lock, flags);
		return NULL;
	}
	return kmag_alloc_done(c, cc, p, gfp, req, flags);
}

static __always_inline void *kmag_cache_alloc_fast(struct kmag_cache *c,
						   gfp_t gfp, size_t req)
{
	struct kmag_cpu *cc;
	struct kmag_mag *m;
	unsigned long flags;
	void *p;

	local_lock_irqsave(&c->cpu->lock, flags);
	cc = this_cpu_ptr(c->cpu);
	m = cc->loaded;
	if (unlikely(!m->rounds)) {
		local_unlock_irqrestore(&c->cpu->lock, flags);
		return kmag_alloc_slow(c, gfp, req);
	}
	p = m->objs[--m->rounds];
	return kmag_alloc_done(c, cc, p, gfp, req, flags);
}

static __always_inline void kmag_cache_free_fast(struct kmag_cache *c, void *p,
						 unsigned long ip)
{
	struct kmag_cpu *cc;
	struct kmag_mag *m;
	unsigned long flags;

	if (want_init_on_free() && !c->ctor)
		memset(p, 0, c->obj_size);
	local_lock_irqsave(&c->cpu->lock, flags);
	cc = this_cpu_ptr(c->cpu);
	m = cc->loaded;
	if (unlikely(m->rounds && m->objs[m->rounds - 1] == p)) {
		local_unlock_irqrestore(&c->cpu->lock, flags);
		kmag_report_double(c, p, ip);
		return;
	}
	if (likely(m->rounds < m->capacity))
		m->objs[m->rounds++] = p;
	else
		kmag_free_slow(c, p);
	cc->stat[KMAG_FREE]++;
	local_unlock_irqrestore(&c->cpu->lock, flags);
}

/*
 * One object from node @nid, bypassing the magazines (which mix nodes): an
 * explicit node is always honoured, at slow-path cost.
 */
static noinline void *kmag_alloc_on_node(struct kmag_cache *c, gfp_t gfp,
					 int nid, size_t req)
{
	unsigned long flags;
	unsigned int got;
	void *p;

	for (;;) {
		spin_lock_irqsave(&c->central.lock, flags);
		got = kmag_central_get(c, &p, 1, nid);
		spin_unlock_irqrestore(&c->central.lock, flags);
		if (got)
			break;
		nid = kmag_central_grow(c, gfp, nid);
		if (nid < 0) {
			this_cpu_inc(c->cpu->stat[KMAG_ALLOC_FAIL]);
			return NULL;
		}
	}
	this_cpu_inc(c->cpu->stat[KMAG_MAG_MISS]);
	this_cpu_inc(c->cpu->stat[KMAG_ALLOC]);
	this_cpu_add(c->cpu->stat[KMAG_REQ_BYTES], req);
	if (kmag_want_zero(c, gfp))
		memset(p, 0, c->obj_size);
	return p;
}

static __always_inline void *__kmag_alloc(size_t size, gfp_t gfp, int node)
{
	struct kmag_cache *c;
	void *p;

	might_sleep_if(gfpflags_allow_blocking(gfp));
	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	if (unlikely(size > KMAG_MAX_SMALL || node != NUMA_NO_NODE ||
		     (gfp & (__GFP_DMA | __GFP_DMA32)))) {
		if (kmag_bad_request(size, gfp, node)) {
			this_cpu_inc(kmag_pcpu_stat[KMAG_ALLOC_FAIL]);
			return NULL;
		}
		if (size > KMAG_MAX_SMALL) {
			p = kmag_large_alloc(size, gfp, node);
			if (!p)
				this_cpu_inc(kmag_pcpu_stat[KMAG_ALLOC_FAIL]);
			return p;
		}
		if (node != NUMA_NO_NODE)
			return kmag_alloc_on_node(kmag_classes[kmag_class_of(size)],
						  gfp, node, size);
	}
	c = kmag_classes[kmag_class_of(size)];
	return kmag_cache_alloc_fast(c, gfp, size);
}

void *kmag_alloc(size_t size, gfp_t gfp)
{
	return __kmag_alloc(size, gfp, NUMA_NO_NODE);
}
EXPORT_SYMBOL_GPL(kmag_alloc);

void *kmag_alloc_node(size_t size, gfp_t gfp, int node)
{
	return __kmag_alloc(size, gfp, node);
}
EXPORT_SYMBOL_GPL(kmag_alloc_node);

void *kmag_zalloc(size_t size, gfp_t gfp)
{
	return __kmag_alloc(size, gfp | __GFP_ZERO, NUMA_NO_NODE);
}
EXPORT_SYMBOL_GPL(kmag_zalloc);

void *kmag_alloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return __kmag_alloc(bytes, gfp, NUMA_NO_NODE);
}
EXPORT_SYMBOL_GPL(kmag_alloc_array);

void *kmag_calloc(size_t n, size_t size, gfp_t gfp)
{
	return kmag_alloc_array(n, size, gfp | __GFP_ZERO);
}
EXPORT_SYMBOL_GPL(kmag_calloc);

/*
 * Look @p up. A span in KMAG_SPAN_SMALL state is returned only if @p is the
 * start of one of its objects; any other span (large or free) is returned
 * for the caller to judge. Return: the span, or NULL when @p is not kmag's
 * (reported).
 */
static __always_inline struct kmag_span *kmag_lookup(const void *p,
						     unsigned long ip)
{
	struct kmag_span *s = kmag_span_of(p);

	if (unlikely(!s)) {
		kmag_report_invalid(p, "not allocated by kmag", ip);
		return NULL;
	}
	if (likely(s->state == KMAG_SPAN_SMALL) &&
	    unlikely(kmag_obj_index(s->cache, s, p) < 0)) {
		kmag_report_invalid(p, "not the start of an object", ip);
		return NULL;
	}
	return s;
}

static __always_inline void __kmag_free(const void *p, unsigned long ip)
{
	struct kmag_span *span;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	span = kmag_lookup(p, ip);
	if (unlikely(!span))
		return;
	if (likely(span->state == KMAG_SPAN_SMALL))
		kmag_cache_free_fast(span->cache, (void *)p, ip);
	else
		kmag_large_free(span, p, ip);
}

void kmag_free(const void *p)
{
	__kmag_free(p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_free);

static size_t __kmag_size(const void *p, unsigned long ip)
{
	struct kmag_span *span;

	if (ZERO_OR_NULL_PTR(p))
		return 0;
	span = kmag_lookup(p, ip);
	if (!span)
		return 0;
	if (span->state == KMAG_SPAN_SMALL)
		return span->cache->obj_size;
	if (span->state != KMAG_SPAN_LARGE ||
	    (unsigned long)p != span->base) {
		kmag_report_invalid(p, "not a live large object", ip);
		return 0;
	}
	return (size_t)span->npages << PAGE_SHIFT;
}

size_t kmag_size(const void *p)
{
	return __kmag_size(p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_size);

void kmag_free_sensitive(const void *p)
{
	size_t size = __kmag_size(p, _RET_IP_);

	if (!size)
		return;
	memzero_explicit((void *)p, size);
	__kmag_free(p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_free_sensitive);

void *kmag_realloc(const void *p, size_t new_size, gfp_t gfp)
{
	size_t old;
	void *n;

	if (ZERO_OR_NULL_PTR(p))
		return __kmag_alloc(new_size, gfp, NUMA_NO_NODE);
	if (!new_size) {
		__kmag_free(p, _RET_IP_);
		return ZERO_SIZE_PTR;
	}
	old = __kmag_size(p, _RET_IP_);
	if (!old)
		return NULL;
	if (new_size <= old)
		return (void *)p;
	n = __kmag_alloc(new_size, gfp, NUMA_NO_NODE);
	if (!n)
		return NULL;
	memcpy(n, p, old);
	__kmag_free(p, _RET_IP_);
	return n;
}
EXPORT_SYMBOL_GPL(kmag_realloc);

/* Named caches. */

#define KMAG_CACHE_FLAGS (SLAB_HWCACHE_ALIGN)

struct kmag_cache *kmag_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned long flags,
				     void (*ctor)(void *))
{
	unsigned int slot, npages, ralign;
	struct kmag_cache *c;

	might_sleep();
	if (!name || !size || size > KMAG_MAX_SMALL ||
	    (align && (!is_power_of_2(align) || align > PAGE_SIZE)) ||
	    (flags & ~KMAG_CACHE_FLAGS)) {
		pr_err("kmag: cache_create(%s, size %u, align %u, flags %#lx): invalid arguments\n",
		       name ?: "(null)", size, align, flags);
		return NULL;
	}
	align = max(align, 8U);
	if (flags & SLAB_HWCACHE_ALIGN) {
		ralign = cache_line_size();
		while (size <= ralign / 2)
			ralign /= 2;
		align = max(align, ralign);
	}
	slot = ALIGN(size, align);
	if (slot > KMAG_MAX_SMALL) {
		pr_err("kmag: cache_create(%s): %u bytes aligned to %u is too large\n",
		       name, size, align);
		return NULL;
	}
	/* Smallest span with at most 1/8 tail waste, as the size classes. */
	for (npages = 1; npages < 16; npages++) {
		unsigned long bytes = (unsigned long)npages << PAGE_SHIFT;

		if (bytes / slot > KMAG_MAX_SPAN_OBJS || bytes % slot <= bytes / 8)
			break;
	}
	while (((unsigned long)npages << PAGE_SHIFT) < slot)
		npages++;
	c = kmag_cache_new(name, slot, align, npages, ctor, -1);
	if (c)
		c->obj_size = size;
	return c;
}
EXPORT_SYMBOL_GPL(kmag_cache_create);

void *kmag_cache_alloc(struct kmag_cache *c, gfp_t gfp)
{
	might_sleep_if(gfpflags_allow_blocking(gfp));
	if (unlikely(!c || c->dead || (gfp & (__GFP_DMA | __GFP_DMA32)))) {
		pr_err_ratelimited("kmag: cache_alloc from %s cache\n",
				   !c ? "a NULL" : c->dead ? "a destroyed" : "(DMA gfp)");
		return NULL;
	}
	return kmag_cache_alloc_fast(c, gfp, c->obj_size);
}
EXPORT_SYMBOL_GPL(kmag_cache_alloc);

void kmag_cache_free(struct kmag_cache *c, void *p)
{
	struct kmag_span *span;

	if (unlikely(ZERO_OR_NULL_PTR(p)))
		return;
	span = kmag_lookup(p, _RET_IP_);
	if (unlikely(!span))
		return;
	if (unlikely(span->state != KMAG_SPAN_SMALL || span->cache != c)) {
		kmag_report_invalid(p, "object of another cache", _RET_IP_);
		return;
	}
	kmag_cache_free_fast(c, p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_cache_free);

int kmag_cache_alloc_bulk(struct kmag_cache *c, gfp_t gfp, size_t n, void **p)
{
	size_t i;

	for (i = 0; i < n; i++) {
		p[i] = kmag_cache_alloc(c, gfp);
		if (unlikely(!p[i])) {
			kmag_cache_free_bulk(c, i, p);
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
		kmag_cache_free(c, p[i]);
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
