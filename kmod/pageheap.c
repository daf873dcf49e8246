// SPDX-License-Identifier: GPL-2.0
/*
 * The page heap (mheap role): spans of pages carved from chunks that come
 * from the buddy allocator, one heap per NUMA node, plus the pointer -> span
 * map.
 *
 * Free spans sit in free[npages] (exact size; all free spans are at most one
 * chunk), with a bitmap of the non-empty lists so that the best fit is one
 * find_next_bit(). Allocation takes the best fit and splits it; freeing
 * coalesces with the free neighbours inside the same chunk. A chunk that is
 * entirely free is released to the buddy allocator, except that each heap
 * keeps kmag_heap_keep of them for the next request.
 *
 * The map: kmag_map[pfn >> 9] points to a leaf of 512 span pointers, one per
 * page. Every page of a small-object span points to it, a large object's
 * first page points to its span, a free span is recorded at its first and
 * last page (what coalescing needs); all other entries are NULL. Entries
 * change under the owning heap's lock and are read locklessly.
 * Leaves are allocated on demand and freed at module exit.
 */
#include <linux/kmemleak.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/slab.h>

#include "kmag_internal.h"

struct kmag_heap {
	spinlock_t lock;
	int nid;
	struct list_head free[KMAG_CHUNK_PAGES + 1];
	DECLARE_BITMAP(nonempty, KMAG_CHUNK_PAGES + 1);
	struct list_head chunks;
	unsigned int nr_free_chunks;	/* chunks that are one free span */
	unsigned long sys_pages;	/* held from the buddy allocator */
	unsigned long inuse_pages;	/* in in-use spans */
	unsigned long released_pages;	/* given back since load */
	struct list_head spare;		/* unused span structs, for reuse */
	unsigned int nr_spare;
};

/* Span structs each heap keeps for reuse, sparing the slab allocator. */
#define KMAG_SPARE_MAX 64

struct kmag_span ***kmag_map;
EXPORT_SYMBOL_NS_GPL(kmag_map, KMAG_INTERNAL);
unsigned long kmag_map_leaves;
EXPORT_SYMBOL_NS_GPL(kmag_map_leaves, KMAG_INTERNAL);

static struct kmag_heap **kmag_heaps;
static struct kmem_cache *kmag_span_cache;
static unsigned int kmag_heap_keep = 1;

static struct kmag_heap *kmag_heap_of(int nid)
{
	return kmag_heaps[nid];
}

static void kmag_map_set(unsigned long addr, struct kmag_span *span)
{
	unsigned long pfn = (addr - PAGE_OFFSET) >> PAGE_SHIFT;

	WRITE_ONCE(kmag_map[pfn >> KMAG_MAP_LEAF_SHIFT][pfn & (KMAG_MAP_LEAF_PAGES - 1)],
		   span);
}

/*
 * Map an in-use span's pages to @val: every page of a small-object span
 * (objects lie on all of them), only the first page of a large object (the
 * only address that may be freed; a pointer inside it finds no span and is
 * reported like any pointer kmag did not hand out).
 */
static void kmag_map_inuse(struct kmag_span *span, struct kmag_span *val)
{
	unsigned long i, n = span->state == KMAG_SPAN_SMALL ? span->npages : 1;

	for (i = 0; i < n; i++)
		kmag_map_set(span->base + (i << PAGE_SHIFT), val);
}

/* Ensure map leaves exist for [addr, addr + npages). No lock held. */
static int kmag_map_prepare(unsigned long addr, unsigned int npages, gfp_t gfp)
{
	unsigned long pfn = (addr - PAGE_OFFSET) >> PAGE_SHIFT;
	unsigned long i, last = (pfn + npages - 1) >> KMAG_MAP_LEAF_SHIFT;
	struct kmag_span **leaf;

	if (last >= kmag_map_leaves) {
		pr_err_once("kmag: memory at pfn %lu lies beyond the map (hotplugged?); not used\n",
			    pfn);
		return -ERANGE;
	}
	for (i = pfn >> KMAG_MAP_LEAF_SHIFT; i <= last; i++) {
		if (READ_ONCE(kmag_map[i]))
			continue;
		leaf = kcalloc(KMAG_MAP_LEAF_PAGES, sizeof(*leaf), kmag_meta_gfp(gfp));
		if (!leaf)
			return -ENOMEM;
		if (cmpxchg_release(&kmag_map[i], NULL, leaf))
			kfree(leaf);
	}
	return 0;
}

/* Fill the empty slots of @spare from the heap's pool. Heap lock held. */
static void kmag_spares_take(struct kmag_heap *h, struct kmag_span **spare)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (spare[i] || list_empty(&h->spare))
			continue;
		spare[i] = list_first_entry(&h->spare, struct kmag_span, list);
		list_del(&spare[i]->list);
		h->nr_spare--;
	}
}

/*
 * Keep @s for reuse. Heap lock held.
 * Return: false if the pool is full and the caller must free @s.
 */
static bool kmag_spare_put(struct kmag_heap *h, struct kmag_span *s)
{
	if (!s)
		return true;
	if (h->nr_spare >= KMAG_SPARE_MAX)
		return false;
	list_add(&s->list, &h->spare);
	h->nr_spare++;
	return true;
}

static void kmag_free_insert(struct kmag_heap *h, struct kmag_span *s)
{
	s->state = KMAG_SPAN_FREE;
	list_add(&s->list, &h->free[s->npages]);
	__set_bit(s->npages, h->nonempty);
	kmag_map_set(s->base, s);
	kmag_map_set(s->base + ((unsigned long)(s->npages - 1) << PAGE_SHIFT), s);
	if (s->npages == s->chunk->npages)
		h->nr_free_chunks++;
}

static void kmag_free_remove(struct kmag_heap *h, struct kmag_span *s)
{
	list_del(&s->list);
	if (list_empty(&h->free[s->npages]))
		__clear_bit(s->npages, h->nonempty);
	kmag_map_set(s->base, NULL);
	kmag_map_set(s->base + ((unsigned long)(s->npages - 1) << PAGE_SHIFT), NULL);
	if (s->npages == s->chunk->npages)
		h->nr_free_chunks--;
}

/* Give a chunk back to the buddy allocator. Heap lock held. */
static void kmag_chunk_release(struct kmag_heap *h, struct kmag_chunk *ch)
{
	list_del(&ch->list);
	h->sys_pages -= ch->npages;
	h->released_pages += ch->npages;
	kmemleak_free((void *)ch->base);
	free_pages(ch->base, ch->order);
	kfree(ch);
}

/*
 * Take @npages from the best-fitting free span, using @spare for the span
 * handed out when the free span has to be split. Heap lock held.
 * Return: the span (state still FREE, not on a list), or NULL.
 */
static struct kmag_span *kmag_free_take(struct kmag_heap *h, unsigned int npages,
					struct kmag_span **spare)
{
	unsigned long idx = find_next_bit(h->nonempty, KMAG_CHUNK_PAGES + 1, npages);
	struct kmag_span *fs, *s;

	lockdep_assert_held(&h->lock);
	if (idx > KMAG_CHUNK_PAGES)
		return NULL;
	fs = list_first_entry(&h->free[idx], struct kmag_span, list);
	kmag_free_remove(h, fs);
	if (fs->npages == npages)
		return fs;
	/* Split: hand out the front, keep the tail free. */
	s = *spare;
	*spare = NULL;
	s->base = fs->base;
	s->npages = npages;
	s->chunk = fs->chunk;
	s->nid = fs->nid;
	fs->base += (unsigned long)npages << PAGE_SHIFT;
	fs->npages -= npages;
	kmag_free_insert(h, fs);
	return s;
}

static struct kmag_chunk *kmag_chunk_alloc(int nid, unsigned int npages, gfp_t gfp)
{
	gfp_t pgfp = gfp & ~(__GFP_ZERO | __GFP_COMP | __GFP_ACCOUNT | __GFP_DMA |
			     __GFP_DMA32 | __GFP_HIGHMEM | __GFP_MOVABLE);
	unsigned int order = get_order((unsigned long)npages << PAGE_SHIFT);
	struct kmag_chunk *ch;
	struct page *page = NULL;

	ch = kmalloc(sizeof(*ch), kmag_meta_gfp(gfp));
	if (!ch)
		return NULL;
	ch->dedicated = npages > KMAG_CHUNK_PAGES;
	if (!ch->dedicated) {
		/* A whole chunk if the buddy allocator has one to spare. */
		page = alloc_pages_node(nid, (pgfp | __GFP_NORETRY | __GFP_NOWARN) &
					~__GFP_NOFAIL, KMAG_CHUNK_ORDER);
		if (page)
			order = KMAG_CHUNK_ORDER;
	}
	if (!page)
		page = alloc_pages_node(nid, pgfp, order);
	if (!page) {
		kfree(ch);
		return NULL;
	}
	ch->base = (unsigned long)page_address(page);
	ch->order = order;
	ch->npages = 1U << order;
	ch->nid = page_to_nid(page);
	if (kmag_map_prepare(ch->base, ch->npages, gfp)) {
		__free_pages(page, order);
		kfree(ch);
		return NULL;
	}
	/* Scanned for pointers, never reported: objects are tracked by users. */
	kmemleak_alloc((void *)ch->base, (size_t)ch->npages << PAGE_SHIFT, 0,
		       kmag_meta_gfp(gfp));
	return ch;
}

/**
 * kmag_heap_alloc() - allocate a span of pages
 * @nid: preferred node, or NUMA_NO_NODE for the local one
 * @npages: span size, 1 .. KMAG_MAX_SIZE / PAGE_SIZE
 * @gfp: may sleep only if gfpflags_allow_blocking(@gfp)
 * @c: the cache the span is for (KMAG_SPAN_SMALL), or NULL for a large
 *     object (KMAG_SPAN_LARGE)
 *
 * The span's pages all map to it once it is returned. Its memory is not
 * zeroed.
 *
 * Context: any context; no kmag lock held.
 * Return: the span, or NULL when memory (or metadata) is short.
 */
struct kmag_span *kmag_heap_alloc(int nid, unsigned int npages, gfp_t gfp,
				  struct kmag_cache *c)
{
	struct kmag_span *spare[2] = { NULL, NULL }, *s = NULL;
	struct kmag_chunk *ch = NULL;
	struct kmag_heap *h;
	unsigned long flags;
	int i;

	if (nid == NUMA_NO_NODE)
		nid = numa_mem_id();
	for (;;) {
		h = kmag_heap_of(nid);
		spin_lock_irqsave(&h->lock, flags);
		/* Two span structs at hand: one to hand out, one for a split. */
		kmag_spares_take(h, spare);
		if (!spare[0] || !spare[1]) {
			spin_unlock_irqrestore(&h->lock, flags);
			for (i = 0; i < 2; i++)
				spare[i] = spare[i] ?: kmem_cache_alloc(kmag_span_cache,
									kmag_meta_gfp(gfp));
			if (!spare[0] || !spare[1])
				goto out;
			continue;
		}
		if (ch) {
			/* Our new chunk becomes one free span of this heap. */
			struct kmag_span *fs = spare[1];

			spare[1] = NULL;
			fs->base = ch->base;
			fs->npages = ch->npages;
			fs->chunk = ch;
			fs->nid = ch->nid;
			list_add(&ch->list, &h->chunks);
			h->sys_pages += ch->npages;
			if (ch->dedicated) {
				s = fs;
			} else {
				kmag_free_insert(h, fs);
				ch = NULL;
			}
		}
		if (!s && npages <= KMAG_CHUNK_PAGES)
			s = kmag_free_take(h, npages, &spare[0]);
		if (s) {
			s->state = c ? KMAG_SPAN_SMALL : KMAG_SPAN_LARGE;
			s->cache = c;
			kmag_map_inuse(s, s);
			h->inuse_pages += s->npages;
			for (i = 0; i < 2; i++)
				if (kmag_spare_put(h, spare[i]))
					spare[i] = NULL;
			spin_unlock_irqrestore(&h->lock, flags);
			break;
		}
		spin_unlock_irqrestore(&h->lock, flags);
		ch = kmag_chunk_alloc(nid, npages, gfp);
		if (!ch)
			break;
		nid = ch->nid;
	}
out:
	for (i = 0; i < 2; i++)
		if (spare[i])
			kmem_cache_free(kmag_span_cache, spare[i]);
	return s;
}
EXPORT_SYMBOL_NS_GPL(kmag_heap_alloc, KMAG_INTERNAL);

/**
 * kmag_heap_free() - give a span back to its page heap
 * @span: an in-use span from kmag_heap_alloc()
 *
 * Coalesces with free neighbours in the same chunk; a chunk that becomes
 * entirely free is released to the buddy allocator unless the heap keeps it.
 *
 * Context: any context; may be called with a central lock held.
 */
void kmag_heap_free(struct kmag_span *span)
{
	struct kmag_chunk *ch = span->chunk;
	struct kmag_heap *h = kmag_heap_of(ch->nid);
	struct kmag_span *nb, *dead[2] = { NULL, NULL };
	unsigned long flags, end;
	int i;

	spin_lock_irqsave(&h->lock, flags);
	h->inuse_pages -= span->npages;
	kmag_map_inuse(span, NULL);
	if (ch->dedicated) {
		kmag_chunk_release(h, ch);
		if (kmag_spare_put(h, span))
			span = NULL;
		spin_unlock_irqrestore(&h->lock, flags);
		if (span)
			kmem_cache_free(kmag_span_cache, span);
		return;
	}
	span->cache = NULL;
	/* Left neighbour: a free span ending just before us. */
	if (span->base > ch->base) {
		nb = kmag_span_of((void *)(span->base - PAGE_SIZE));
		if (nb && nb->state == KMAG_SPAN_FREE && nb->chunk == ch) {
			kmag_free_remove(h, nb);
			span->base = nb->base;
			span->npages += nb->npages;
			dead[0] = nb;
		}
	}
	end = span->base + ((unsigned long)span->npages << PAGE_SHIFT);
	if (end < ch->base + ((unsigned long)ch->npages << PAGE_SHIFT)) {
		nb = kmag_span_of((void *)end);
		if (nb && nb->state == KMAG_SPAN_FREE && nb->chunk == ch) {
			kmag_free_remove(h, nb);
			span->npages += nb->npages;
			dead[1] = nb;
		}
	}
	if (span->npages == ch->npages && h->nr_free_chunks >= kmag_heap_keep) {
		kmag_chunk_release(h, ch);
		if (kmag_spare_put(h, span))
			span = NULL;
	} else {
		kmag_free_insert(h, span);
		span = NULL;
	}
	for (i = 0; i < 2; i++)
		if (kmag_spare_put(h, dead[i]))
			dead[i] = NULL;
	spin_unlock_irqrestore(&h->lock, flags);
	if (span)
		kmem_cache_free(kmag_span_cache, span);
	if (dead[0])
		kmem_cache_free(kmag_span_cache, dead[0]);
	if (dead[1])
		kmem_cache_free(kmag_span_cache, dead[1]);
}
EXPORT_SYMBOL_NS_GPL(kmag_heap_free, KMAG_INTERNAL);

/**
 * kmag_heap_release() - release entirely free chunks to the buddy allocator
 * @keep: how many free chunks each node's heap may keep
 *
 * Context: any context; no heap lock held.
 */
void kmag_heap_release(unsigned int keep)
{
	struct kmag_chunk *ch, *tmp;
	struct kmag_span *s, *stmp;
	struct kmag_heap *h;
	unsigned long flags;
	LIST_HEAD(dead);
	int nid;

	for_each_node(nid) {
		h = kmag_heap_of(nid);
		if (!h)
			continue;
		spin_lock_irqsave(&h->lock, flags);
		list_for_each_entry_safe(ch, tmp, &h->chunks, list) {
			if (h->nr_free_chunks <= keep)
				break;
			s = kmag_span_of((void *)ch->base);
			if (s->state != KMAG_SPAN_FREE || s->npages != ch->npages)
				continue;
			kmag_free_remove(h, s);
			kmag_chunk_release(h, ch);
			list_add(&s->list, &dead);
		}
		spin_unlock_irqrestore(&h->lock, flags);
	}
	list_for_each_entry_safe(s, stmp, &dead, list)
		kmem_cache_free(kmag_span_cache, s);
}
EXPORT_SYMBOL_NS_GPL(kmag_heap_release, KMAG_INTERNAL);

/**
 * kmag_heap_sizes() - page heap gauges, summed over nodes
 * @sys: bytes held from the buddy allocator
 * @inuse: bytes in in-use spans
 * @released: bytes given back to the buddy allocator since load
 *
 * Context: any context; takes no lock (values may be slightly stale).
 */
void kmag_heap_sizes(unsigned long *sys, unsigned long *inuse,
		     unsigned long *released)
{
	struct kmag_heap *h;
	int nid;

	*sys = *inuse = *released = 0;
	for_each_node(nid) {
		h = kmag_heap_of(nid);
		if (!h)
			continue;
		*sys += READ_ONCE(h->sys_pages) << PAGE_SHIFT;
		*inuse += READ_ONCE(h->inuse_pages) << PAGE_SHIFT;
		*released += READ_ONCE(h->released_pages) << PAGE_SHIFT;
	}
}
EXPORT_SYMBOL_NS_GPL(kmag_heap_sizes, KMAG_INTERNAL);

int kmag_heap_init(void)
{
	unsigned long end_pfn = 0;
	struct kmag_heap *h;
	int nid, i;

	for_each_online_node(nid)
		end_pfn = max(end_pfn, pgdat_end_pfn(NODE_DATA(nid)));
	kmag_map_leaves = DIV_ROUND_UP(end_pfn, KMAG_MAP_LEAF_PAGES);
	kmag_map = kvcalloc(kmag_map_leaves, sizeof(*kmag_map), GFP_KERNEL);
	if (!kmag_map)
		return -ENOMEM;
	kmag_heaps = kcalloc(nr_node_ids, sizeof(*kmag_heaps), GFP_KERNEL);
	if (!kmag_heaps)
		goto fail;
	for_each_node(nid) {
		h = kzalloc_node(sizeof(*h), GFP_KERNEL, nid);
		if (!h)
			goto fail;
		spin_lock_init(&h->lock);
		h->nid = nid;
		for (i = 0; i <= KMAG_CHUNK_PAGES; i++)
			INIT_LIST_HEAD(&h->free[i]);
		INIT_LIST_HEAD(&h->chunks);
		INIT_LIST_HEAD(&h->spare);
		kmag_heaps[nid] = h;
	}
	kmag_span_cache = KMEM_CACHE(kmag_span, 0);
	if (!kmag_span_cache)
		goto fail;
	return 0;
fail:
	kmag_heap_exit();
	return -ENOMEM;
}

/*
 * Called at module exit, after every cache has given its spans back: what is
 * still in use is leaked by users and is released all the same.
 */
void kmag_heap_exit(void)
{
	struct kmag_chunk *ch, *tmp;
	struct kmag_span *s, *stmp;
	unsigned long addr, end;
	struct kmag_heap *h;
	unsigned long i;
	int nid;

	for (nid = 0; kmag_heaps && nid < nr_node_ids; nid++) {
		h = kmag_heaps[nid];
		if (!h)
			continue;
		if (h->inuse_pages)
			pr_err("kmag: node %d: %lu pages still in use at exit; releasing them\n",
			       nid, h->inuse_pages);
		list_for_each_entry_safe(ch, tmp, &h->chunks, list) {
			/* Spans tile their chunk: walk them by their starts. */
			end = ch->base + ((unsigned long)ch->npages << PAGE_SHIFT);
			for (addr = ch->base; addr < end;) {
				s = kmag_span_of((void *)addr);
				if (WARN_ON_ONCE(!s || s->base != addr))
					break;
				addr += (unsigned long)s->npages << PAGE_SHIFT;
				if (s->state == KMAG_SPAN_FREE)
					kmag_free_remove(h, s);
				else
					kmag_map_inuse(s, NULL);
				kmem_cache_free(kmag_span_cache, s);
			}
			kmag_chunk_release(h, ch);
		}
		list_for_each_entry_safe(s, stmp, &h->spare, list)
			kmem_cache_free(kmag_span_cache, s);
		kfree(h);
	}
	kfree(kmag_heaps);
	kmag_heaps = NULL;
	for (i = 0; kmag_map && i < kmag_map_leaves; i++)
		kfree(kmag_map[i]);
	kvfree(kmag_map);
	kmag_map = NULL;
	kmem_cache_destroy(kmag_span_cache);
	kmag_span_cache = NULL;
}
