// SPDX-License-Identifier: GPL-2.0
/*
 * The rest of include/linux/slab.h (6.1) on top of the core API (api.c):
 * size rounding, bulk free, duplicating memory and strings, the kvmalloc
 * family with its vmalloc fallback, and what kmag knows about a pointer
 * (kmag_owns, kmag_dump_obj). None of it is a fast path; each entry passes
 * its caller's address on, for reports and owner tracks.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "kmag_internal.h"
#include "sizeclasses.h"

size_t kmag_size_roundup(size_t size)
{
	if (!size || size > KMAG_MAX_SIZE)
		return size;
	if (size > KMAG_MAX_SMALL)
		return PAGE_ALIGN(size);
	return kmag_classes[kmag_class_of(size)]->obj_size;
}
EXPORT_SYMBOL_GPL(kmag_size_roundup);

void kmag_free_bulk(size_t n, void **p)
{
	size_t i;

	for (i = 0; i < n; i++)
		kmag_free_caller(p[i], _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_free_bulk);

/* Results below 16 bytes are tiny objects where kmag packs them (§18). */
void *kmag_memdup(const void *src, size_t len, gfp_t gfp)
{
	void *p = kmag_alloc_tiny_caller(len, 1, gfp, _RET_IP_);

	if (p && len)
		memcpy(p, src, len);
	return p;
}
EXPORT_SYMBOL_GPL(kmag_memdup);

char *kmag_strdup(const char *s, gfp_t gfp)
{
	size_t len;
	char *p;

	if (!s)
		return NULL;
	len = strlen(s) + 1;
	p = kmag_alloc_tiny_caller(len, 1, gfp, _RET_IP_);
	if (p)
		memcpy(p, s, len);
	return p;
}
EXPORT_SYMBOL_GPL(kmag_strdup);

char *kmag_strndup(const char *s, size_t max, gfp_t gfp)
{
	size_t len;
	char *p;

	if (!s)
		return NULL;
	len = strnlen(s, max);
	p = kmag_alloc_tiny_caller(len + 1, 1, gfp, _RET_IP_);
	if (p) {
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}
EXPORT_SYMBOL_GPL(kmag_strndup);

/*
 * kvmalloc: kmag first, vmalloc when that fails and @gfp allows blocking,
 * with kvmalloc_node()'s rules (6.1): above a page the kmag try neither
 * retries hard nor warns, and only blocking flags may fall back (__vmalloc
 * honours GFP_NOFS and GFP_NOIO). Requests kmag never serves (above
 * KMAG_MAX_ALLOC) go to vmalloc at once.
 */
void *kmag_kvmalloc_node(size_t size, gfp_t gfp, int node)
{
	gfp_t kgfp = gfp;
	void *p;

	/*
	 * A node that cannot exist gets what kmag_alloc_node() gives (NULL,
	 * reported and counted): vmalloc_node() would use it as an index.
	 */
	if (kmag_node_impossible(node))
		return __kmag_alloc_track_caller(size, gfp, node, _RET_IP_);
	if (size > PAGE_SIZE) {
		kgfp |= __GFP_NOWARN;
		if (!(kgfp & __GFP_RETRY_MAYFAIL))
			kgfp |= __GFP_NORETRY;
		kgfp &= ~__GFP_NOFAIL;	/* vmalloc gives that */
	}
	/* As kvmalloc_node() tries kmalloc first: refused sizes count too. */
	if (size <= KMAG_MAX_SIZE || !gfpflags_allow_blocking(gfp)) {
		p = __kmag_alloc_track_caller(size, kgfp, node, _RET_IP_);
		if (p || size <= PAGE_SIZE)
			return p;
	}
	/* vmalloc cannot serve what must not sleep (GFP_NOFS/NOIO it can). */
	if (!gfpflags_allow_blocking(gfp))
		return NULL;
	if (size > INT_MAX) {
		if (!(gfp & __GFP_NOWARN))
			pr_warn_ratelimited("kmag: kvmalloc of %zu bytes refused: above INT_MAX\n",
					    size);
		return NULL;
	}
	/*
	 * __vmalloc_node() is not exported: vmalloc_node() and vzalloc_node()
	 * take GFP_KERNEL only, so other flags keep their meaning and lose
	 * the node preference. A node without memory (possibly without a
	 * pgdat) is no preference, as for kmag_alloc_node().
	 */
	if (node != NUMA_NO_NODE && !node_state(node, N_MEMORY))
		node = NUMA_NO_NODE;
	if (node != NUMA_NO_NODE &&
	    !(gfp & ~(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN)))
		return gfp & __GFP_ZERO ? vzalloc_node(size, node) :
					  vmalloc_node(size, node);
	return __vmalloc(size, gfp);
}
EXPORT_SYMBOL_GPL(kmag_kvmalloc_node);

/* kvfree() on behalf of @ip: vmalloc memory to vfree, the rest to kmag. */
static void kmag_kvfree_caller(const void *p, unsigned long ip)
{
	if (is_vmalloc_addr(p))
		vfree(p);
	else
		kmag_free_caller(p, ip);
}

void kmag_kvfree(const void *p)
{
	kmag_kvfree_caller(p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_kvfree);

void kmag_kvfree_sensitive(const void *p, size_t len)
{
	if (ZERO_OR_NULL_PTR(p))
		return;
	memzero_explicit((void *)p, len);
	kmag_kvfree_caller(p, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_kvfree_sensitive);

void *kmag_kvrealloc(const void *p, size_t oldsize, size_t newsize, gfp_t gfp)
{
	void *n;

	if (oldsize >= newsize)
		return (void *)p;
	n = kmag_kvmalloc_node(newsize, gfp, NUMA_NO_NODE);
	if (!n)
		return NULL;
	if (p)
		memcpy(n, p, oldsize);
	kmag_kvfree_caller(p, _RET_IP_);
	return n;
}
EXPORT_SYMBOL_GPL(kmag_kvrealloc);

bool kmag_owns(const void *p)
{
	bool owned;

	if (ZERO_OR_NULL_PTR(p) || !virt_addr_valid(p))
		return false;
	rcu_read_lock();
	owned = kmag_map_entry(p);
	rcu_read_unlock();
	return owned;
}
EXPORT_SYMBOL_GPL(kmag_owns);

bool kmag_dump_obj(const void *p)
{
	unsigned long owner, base, track, obj;
	struct kmag_cache *c;
	struct kmag_span *s;
	bool live;
	long idx;

	if (ZERO_OR_NULL_PTR(p) || !virt_addr_valid(p))
		return false;
	rcu_read_lock();
	s = kmag_map_entry(p);
	if (!s) {
		rcu_read_unlock();
		return false;
	}
	/* Past the first page of a large object, or memory kmag took back. */
	if (s == KMAG_MAP_GONE) {
		s = kmag_span_covering(p);
		if (!s || kmag_span_state(s) != KMAG_SPAN_LARGE ||
		    (unsigned long)p >= READ_ONCE(s->base) +
					((unsigned long)READ_ONCE(s->npages) << PAGE_SHIFT)) {
			rcu_read_unlock();
			pr_info("kmag: %p: in a page kmag holds, in no object (freed)\n", p);
			return true;
		}
	}
	owner = READ_ONCE(s->owner);
	base = READ_ONCE(s->base);
	switch (kmag_owner_state(owner)) {
	case KMAG_SPAN_SMALL:
		c = kmag_owner_cache(owner);
		/* The slot holding @p, wherever in it @p points. */
		idx = ((unsigned long)p - base) / c->size;
		if ((unsigned long)p < base ||
		    (unsigned long)p >= base + ((unsigned long)READ_ONCE(s->npages) << PAGE_SHIFT) ||
		    idx >= c->objs_per_span) {
			pr_info("kmag: %p: cache %s, in span %p but in no slot (span tail)\n",
				p, c->name, (void *)base);
			break;
		}
		obj = base + idx * c->size + c->red_left;
		live = kmag_inuse_test(c, s, idx);
		pr_info("kmag: %p: cache %s (object size %u, slot %u) object %p offset %ld, %s, span %p node %d\n",
			p, c->name, c->obj_size, c->size, (void *)obj,
			(long)((unsigned long)p - obj), live ? "allocated" : "free",
			(void *)base, s->nid);
		track = kmag_debug_track_addr(c, (void *)obj, false);
		if (track)
			pr_info("kmag:   last allocated by %pS\n", (void *)track);
		track = kmag_debug_track_addr(c, (void *)obj, true);
		if (track)
			pr_info("kmag:   last freed by %pS\n", (void *)track);
		break;
	case KMAG_SPAN_LARGE:
		pr_info("kmag: %p: large object %p of %u pages, offset %lu, node %d\n",
			p, (void *)base, READ_ONCE(s->npages),
			(unsigned long)p - base, s->nid);
		break;
	default:
		pr_info("kmag: %p: in a free span of kmag's page heap\n", p);
	}
	rcu_read_unlock();
	return true;
}
EXPORT_SYMBOL_GPL(kmag_dump_obj);
