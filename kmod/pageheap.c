// SPDX-License-Identifier: GPL-2.0
/*
 * The page heap (mheap role): spans of pages carved from chunks that come
 * from the buddy allocator, one heap per NUMA node, plus the pointer -> span
 * map.
 *
 * Free spans sit in free[npages] (exact size; all free spans are at most one
 * chunk), with a bitmap of the non-empty lists so that the best fit is one
 * find_next_bit(); an aligned request takes the first fit with room for an
 * aligned run. Allocation splits the free span (the head and tail stay
 * free); freeing coalesces with the free neighbours inside the same chunk.
 * A chunk that is entirely free is released to the buddy allocator, except
 * that each heap keeps kmag_heap_keep of them for the next request.
 *
 * Where pages come from (kmag_heap_alloc): the preferred node's free
 * spans; new pages on that node without reclaim; the other nodes' free
 * spans; new pages with the caller's gfp, wherever the buddy allocator finds
 * them. The 2 MiB chunk is always an opportunistic try (no reclaim, no
 * retry, no reserves), as SLUB's higher-order slab tries are.
 *
 * The map: kmag_map[pfn >> 9] points to a leaf of 512 span pointers, one per
 * page. Every page of a small-object span points to it, the first page of a
 * large object does (the only address it can be freed by); a free span is recorded
 * at its first and last page (what coalescing needs); other pages kmag holds
 * are KMAG_MAP_GONE, pages it gave back NULL. Entries change under the
 * owning heap's lock and are read locklessly. Pages of small-object spans
 * also point to their span through page->private (cleared before the pages
 * go back). Leaves are allocated on demand and freed at module exit.
 *
 * Every page kmag holds is counted where the kernel's tools look, as
 * kmalloc's large pages are: /proc/meminfo's Slab, as SUnreclaim
 * (NR_SLAB_UNRECLAIMABLE_B of its node) from the moment the buddy allocator
 * hands it over until it goes back; pages in use by spans of a
 * SLAB_RECLAIM_ACCOUNT cache move to SReclaimable (NR_SLAB_RECLAIMABLE_B)
 * while the span is in use. Free spans stay SUnreclaim: kmag gives them back
 * on its own (scavenger, shrinker), nobody else can reclaim them.
 */
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/vmstat.h>

#include "kmag_internal.h"

struct kmag_heap {
	spinlock_t lock;
	int nid;
	struct list_head free[KMAG_CHUNK_PAGES + 1];
	DECLARE_BITMAP(nonempty, KMAG_CHUNK_PAGES + 1);
	struct list_head chunks;
	unsigned int nr_free_chunks;	/* chunks that are one free span */
	struct list_head lru;		/* free spans, oldest first */
	unsigned long sys_pages;	/* held from the buddy allocator */
	unsigned long inuse_pages;	/* in in-use spans */
	unsigned long released_pages;	/* given back since load */
	unsigned long hole_pages;	/* given back from chunks still held */
	unsigned long scavenged_pages;	/* given back by kmag_heap_scavenge() */
	unsigned long reacquired_pages;	/* given back, then soon taken again */
	unsigned long last_scavenge;	/* jiffies */
	unsigned long recent_scavenged;	/* pages given back since then */
	struct list_head spare;		/* unused span structs, for reuse */
	unsigned int nr_spare;
};

/* Span structs each heap keeps for reuse, sparing the slab allocator. */
#define KMAG_SPARE_MAX 64
/* Span structs one allocation may need: taken span, split tail, new chunk. */
#define KMAG_SPARES 3
/* Free spans looked at per list when searching for an aligned run. */
#define KMAG_ALIGN_SCAN 8
/* Free spans (and about this many pages) scavenged per hold of a heap lock. */
#define KMAG_SCAVENGE_SPANS 16
#define KMAG_SCAVENGE_PAGES KMAG_CHUNK_PAGES

struct kmag_span ***kmag_map;
EXPORT_SYMBOL_NS_GPL(kmag_map, KMAG_INTERNAL);
unsigned long kmag_map_leaves;
EXPORT_SYMBOL_NS_GPL(kmag_map_leaves, KMAG_INTERNAL);

/* Tests set this to make every span allocation fail. */
bool kmag_fail_heap_alloc;
EXPORT_SYMBOL_NS_GPL(kmag_fail_heap_alloc, KMAG_INTERNAL);

static struct kmag_heap **kmag_heaps;
static struct kmem_cache *kmag_span_slab;
/* Metadata counts, for the statistics (slow paths only). */
static atomic_long_t kmag_nr_spans, kmag_nr_chunks, kmag_nr_leaves;
static unsigned int kmag_heap_keep = 1;
/* Bytes counted in NR_SLAB_UNRECLAIMABLE_B / NR_SLAB_RECLAIMABLE_B. */
static atomic_long_t kmag_acct_bytes[2];

/*
 * Count @npages pages from @addr (one node: a chunk's) as slab memory,
 * reclaimable or not; negative @npages to uncount them.
 */
static void kmag_pages_acct(unsigned long addr, long npages, bool reclaimable)
{
	long bytes = npages << PAGE_SHIFT;

	mod_lruvec_page_state(virt_to_page(addr), reclaimable ?
			      NR_SLAB_RECLAIMABLE_B : NR_SLAB_UNRECLAIMABLE_B,
			      bytes);
	atomic_long_add(bytes, &kmag_acct_bytes[reclaimable]);
}

/**
 * kmag_heap_acct() - what kmag counts in /proc/meminfo
 * @unreclaimable: set to the bytes in SUnreclaim
 * @reclaimable: set to the bytes in SReclaimable
 *
 * Context: any context.
 */
void kmag_heap_acct(long *unreclaimable, long *reclaimable)
{
	*unreclaimable = atomic_long_read(&kmag_acct_bytes[0]);
	*reclaimable = atomic_long_read(&kmag_acct_bytes[1]);
}

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

static void kmag_map_range(unsigned long addr, unsigned int npages,
			   struct kmag_span *val)
{
	unsigned int i;

	for (i = 0; i < npages; i++)
		kmag_map_set(addr + ((unsigned long)i << PAGE_SHIFT), val);
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
		else
			atomic_long_inc(&kmag_nr_leaves);
	}
	return 0;
}

static struct kmag_span *kmag_span_new(gfp_t gfp)
{
	struct kmag_span *s = kmem_cache_alloc(kmag_span_slab, kmag_meta_gfp(gfp));

	if (s) {
		s->reclaimable = false;
		kmag_san_meta(s);	/* its base is no reference to an object */
		atomic_long_inc(&kmag_nr_spans);
	}
	return s;
}

static void kmag_span_delete(struct kmag_span *s)
{
	atomic_long_dec(&kmag_nr_spans);
	kmem_cache_free(kmag_span_slab, s);
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

/*
 * Lock @h with KMAG_SPARES span structs in @spare, from its pool or the
 * slab allocator (allocated with the lock dropped).
 * Return: 0 with the lock held, or -ENOMEM without it.
 */
static __always_inline int kmag_heap_lock(struct kmag_heap *h,
					  struct kmag_span **spare,
					  gfp_t gfp, unsigned long *flags)
{
	int i, missing;

	for (;;) {
		spin_lock_irqsave(&h->lock, *flags);
		for (i = missing = 0; i < KMAG_SPARES; i++) {
			if (!spare[i] && !list_empty(&h->spare)) {
				spare[i] = list_first_entry(&h->spare, struct kmag_span, list);
				list_del(&spare[i]->list);
				h->nr_spare--;
			}
			missing += !spare[i];
		}
		if (!missing)
			return 0;
		spin_unlock_irqrestore(&h->lock, *flags);
		for (i = 0; i < KMAG_SPARES; i++)
			if (!spare[i])
				spare[i] = kmag_span_new(gfp);
		for (i = 0; i < KMAG_SPARES; i++)
			if (!spare[i])
				break;
		if (i < KMAG_SPARES) {
			for (i = 0; i < KMAG_SPARES; i++) {
				if (spare[i])
					kmag_span_delete(spare[i]);
				spare[i] = NULL;
			}
			return -ENOMEM;
		}
	}
}

/* Unlock @h, giving the unused span structs of @spare back. */
static __always_inline void kmag_heap_unlock(struct kmag_heap *h,
					     struct kmag_span **spare,
					     unsigned long flags)
{
	int i;

	for (i = 0; i < KMAG_SPARES; i++)
		if (kmag_spare_put(h, spare[i]))
			spare[i] = NULL;
	spin_unlock_irqrestore(&h->lock, flags);
	for (i = 0; i < KMAG_SPARES; i++) {
		if (spare[i])
			kmag_span_delete(spare[i]);
		spare[i] = NULL;
	}
}

static struct kmag_span *kmag_spare_take(struct kmag_span **spare)
{
	struct kmag_span *s;
	int i;

	for (i = 0; i < KMAG_SPARES; i++) {
		if (spare[i]) {
			s = spare[i];
			spare[i] = NULL;
			return s;
		}
	}
	return NULL;	/* callers take at most KMAG_SPARES */
}

static void kmag_free_insert(struct kmag_heap *h, struct kmag_span *s)
{
	WRITE_ONCE(s->owner, KMAG_OWNER_FREE);
	s->idle_since = jiffies;
	list_add_tail(&s->lru, &h->lru);
	list_add(&s->list, &h->free[s->npages]);
	__set_bit(s->npages, h->nonempty);
	kmag_map_set(s->base, s);
	kmag_map_set(s->base + ((unsigned long)(s->npages - 1) << PAGE_SHIFT), s);
	if (s->npages == s->chunk->npages)
		h->nr_free_chunks++;
}

static void kmag_free_remove(struct kmag_heap *h, struct kmag_span *s)
{
	list_del(&s->lru);
	list_del(&s->list);
	if (list_empty(&h->free[s->npages]))
		__clear_bit(s->npages, h->nonempty);
	kmag_map_set(s->base, KMAG_MAP_GONE);
	kmag_map_set(s->base + ((unsigned long)(s->npages - 1) << PAGE_SHIFT),
		     KMAG_MAP_GONE);
	if (s->npages == s->chunk->npages)
		h->nr_free_chunks--;
}

/* A span kmag may coalesce with: in a free list of this heap. */
static bool kmag_span_is_free(struct kmag_span *s, struct kmag_chunk *ch)
{
	return s && READ_ONCE(s->owner) == KMAG_OWNER_FREE && s->chunk == ch;
}

/* Give @npages pages from @addr back to the buddy allocator, one by one. */
static void kmag_pages_free(unsigned long addr, unsigned int npages)
{
	unsigned long p;
	unsigned int i;

	kmag_pages_acct(addr, -(long)npages, false);
	for (i = 0; i < npages; i++) {
		p = addr + ((unsigned long)i << PAGE_SHIFT);
		__free_page(virt_to_page(p));
	}
}

/* Every page of @ch, untouched by holes, back to the buddy allocator. */
static void kmag_chunk_free_pages(struct kmag_chunk *ch)
{
	if (ch->split) {
		kmag_pages_free(ch->base, ch->npages);
		return;
	}
	kmag_pages_acct(ch->base, -(long)ch->npages, false);
	free_pages(ch->base, ch->order);
}

/* A chunk that never joined a heap: pages and struct go. */
static void kmag_chunk_free(struct kmag_chunk *ch)
{
	kmag_chunk_free_pages(ch);
	kfree(ch);
	atomic_long_dec(&kmag_nr_chunks);
}

/*
 * Give the pages of @s (free, off every list, or in use by nobody any more)
 * back to the buddy allocator: their map entries go to NULL first, so no
 * lookup ever leads to a page kmag no longer owns. The chunk keeps a hole,
 * and goes when nothing of it is held. Heap lock held.
 * Return: the pages given back.
 */
static unsigned int kmag_span_release(struct kmag_heap *h, struct kmag_span *s)
{
	struct kmag_chunk *ch = s->chunk;
	unsigned int n = s->npages;

	kmag_map_range(s->base, n, NULL);
	if (n == ch->npages) {
		kmag_chunk_free_pages(ch);	/* whole: one block if it still is */
	} else {
		if (!ch->split) {
			split_page(virt_to_page(ch->base), ch->order);
			ch->split = true;
		}
		kmag_pages_free(s->base, n);
	}
	ch->held -= n;
	h->sys_pages -= n;
	h->released_pages += n;
	h->hole_pages += n;
	if (!ch->held) {
		h->hole_pages -= ch->npages;
		list_del(&ch->list);
		kfree(ch);
		atomic_long_dec(&kmag_nr_chunks);
	}
	return n;
}

/*
 * Take @npages at an @align-page boundary from a free span, keeping what is
 * left over on either side free. Uses structs from @spare. Heap lock held.
 * Return: the span (not on a list, not in the map), or NULL.
 */
static struct kmag_span *kmag_free_take(struct kmag_heap *h, unsigned int npages,
					unsigned int align, struct kmag_span **spare)
{
	unsigned long idx, start, end, abytes = (unsigned long)align << PAGE_SHIFT;
	struct kmag_span *fs, *s;
	unsigned int n;

	lockdep_assert_held(&h->lock);
	for (idx = find_next_bit(h->nonempty, KMAG_CHUNK_PAGES + 1, npages);
	     idx <= KMAG_CHUNK_PAGES;
	     idx = find_next_bit(h->nonempty, KMAG_CHUNK_PAGES + 1, idx + 1)) {
		/*
		 * Any span of npages + align - 1 pages holds an aligned run:
		 * of the first few, take the one in the fullest chunk, so
		 * that sparse chunks empty and go back whole.
		 */
		if (idx >= npages + align - 1) {
			fs = NULL;
			n = 0;
			list_for_each_entry(s, &h->free[idx], list) {
				if (!fs || s->chunk->used > fs->chunk->used)
					fs = s;
				if (++n == KMAG_ALIGN_SCAN)
					break;
			}
			goto found;
		}
		n = 0;
		list_for_each_entry(fs, &h->free[idx], list) {
			if (ALIGN(fs->base, abytes) + ((unsigned long)npages << PAGE_SHIFT) <=
			    fs->base + ((unsigned long)fs->npages << PAGE_SHIFT))
				goto found;
			if (++n == KMAG_ALIGN_SCAN)
				break;
		}
	}
	return NULL;
found:
	kmag_free_remove(h, fs);
	start = ALIGN(fs->base, abytes);
	end = fs->base + ((unsigned long)fs->npages << PAGE_SHIFT);
	if (start == fs->base) {
		s = fs;
	} else {
		/* fs keeps the head, free. */
		s = kmag_spare_take(spare);
		s->chunk = fs->chunk;
		s->nid = fs->nid;
		fs->npages = (start - fs->base) >> PAGE_SHIFT;
		kmag_free_insert(h, fs);
	}
	s->base = start;
	s->npages = npages;
	start += (unsigned long)npages << PAGE_SHIFT;
	if (start < end) {
		fs = kmag_spare_take(spare);
		fs->base = start;
		fs->npages = (end - start) >> PAGE_SHIFT;
		fs->chunk = s->chunk;
		fs->nid = s->nid;
		kmag_free_insert(h, fs);
	}
	return s;
}

/*
 * Hand @s out to @c (a small-object span) or to a large object (@c NULL):
 * owner first, then the map, so that a lockless reader that finds @s in the
 * map sees its owner. Heap lock held.
 */
static void kmag_span_use(struct kmag_heap *h, struct kmag_span *s,
			  struct kmag_cache *c)
{
	unsigned int i;

	if (c) {
		bitmap_zero(s->inuse, KMAG_MAX_SPAN_OBJS);
		for (i = 0; i < s->npages; i++)
			set_page_private(virt_to_page(s->base + ((unsigned long)i << PAGE_SHIFT)),
					 (unsigned long)s);
		WRITE_ONCE(s->owner, kmag_cache_owner(c));
		if (c->flags & SLAB_RECLAIM_ACCOUNT) {
			s->reclaimable = true;
			kmag_pages_acct(s->base, -(long)s->npages, false);
			kmag_pages_acct(s->base, s->npages, true);
		}
	} else {
		WRITE_ONCE(s->owner, s->base | KMAG_OWNER_LARGE);
	}
	smp_wmb();	/* owner before map: pairs with the map readers */
	/* A large object is only ever freed by its first page. */
	kmag_map_range(s->base, c ? s->npages : 1, s);
	h->inuse_pages += s->npages;
	s->chunk->used += s->npages;
}

/* Undo kmag_span_use(): the span's pages map to KMAG_MAP_GONE. Heap lock held. */
static void kmag_span_unuse(struct kmag_span *s)
{
	bool small = kmag_owner_state(s->owner) == KMAG_SPAN_SMALL;
	unsigned int i;

	if (small)
		for (i = 0; i < s->npages; i++)
			set_page_private(virt_to_page(s->base + ((unsigned long)i << PAGE_SHIFT)),
					 0);
	kmag_map_range(s->base, small ? s->npages : 1, KMAG_MAP_GONE);
	WRITE_ONCE(s->owner, KMAG_OWNER_FREEING);
	if (s->reclaimable) {
		s->reclaimable = false;
		kmag_pages_acct(s->base, -(long)s->npages, true);
		kmag_pages_acct(s->base, s->npages, false);
	}
	s->chunk->used -= s->npages;
}

/**
 * kmag_chunk_try_gfp() - gfp for an opportunistic allocation of pages
 * @gfp: the caller's flags
 *
 * A chunk of 2 MiB, or a span's pages on the preferred node before other
 * nodes' free spans are considered, is worth having but not worth reclaim,
 * compaction, retries, a warning, or the reserves of atomic allocations.
 *
 * Context: any context.
 * Return: the flags to use.
 */
gfp_t kmag_chunk_try_gfp(gfp_t gfp)
{
	return (gfp & ~(__GFP_RECLAIM | __GFP_NOFAIL | __GFP_RETRY_MAYFAIL |
			__GFP_HIGH | __GFP_ATOMIC | __GFP_MEMALLOC)) |
	       __GFP_NORETRY | __GFP_NOWARN | __GFP_NOMEMALLOC;
}
EXPORT_SYMBOL_NS_GPL(kmag_chunk_try_gfp, KMAG_INTERNAL);

/*
 * Pages for a new chunk that can hold a span of @npages: a whole 2 MiB
 * chunk if the buddy allocator has one to spare (never reclaiming for it),
 * else just enough pages, with @gfp. A dedicated chunk (above 2 MiB) gets
 * exactly @npages: the tail of the power-of-two block is given back.
 * __GFP_THISNODE in @gfp keeps the pages on @nid.
 */
static struct kmag_chunk *kmag_chunk_alloc(int nid, unsigned int npages, gfp_t gfp)
{
	gfp_t pgfp = gfp & ~(__GFP_ZERO | __GFP_COMP | __GFP_ACCOUNT | __GFP_DMA |
			     __GFP_DMA32 | __GFP_HIGHMEM | __GFP_MOVABLE);
	unsigned int i, order = get_order((unsigned long)npages << PAGE_SHIFT);
	struct kmag_chunk *ch;
	struct page *page = NULL;

	ch = kzalloc(sizeof(*ch), kmag_meta_gfp(gfp));
	if (!ch)
		return NULL;
	kmag_san_meta(ch);
	ch->dedicated = npages > KMAG_CHUNK_PAGES;
	if (!ch->dedicated) {
		page = alloc_pages_node(nid, kmag_chunk_try_gfp(pgfp), KMAG_CHUNK_ORDER);
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
	ch->npages = 1U << order;
	ch->order = order;
	ch->nid = page_to_nid(page);
	if (ch->dedicated && npages < ch->npages) {
		split_page(page, order);
		ch->split = true;
		for (i = npages; i < ch->npages; i++)
			__free_page(page + i);
		ch->npages = npages;
	}
	ch->held = ch->npages;
	kmag_pages_acct(ch->base, ch->npages, false);
	if (kmag_map_prepare(ch->base, ch->npages, gfp)) {
		kmag_chunk_free_pages(ch);
		kfree(ch);
		return NULL;
	}
	atomic_long_inc(&kmag_nr_chunks);
	return ch;
}

/*
 * Take a span from @h's free spans; @peek: first look without the lock
 * whether @h has any free span that could fit (for other nodes' heaps).
 * Return: the in-use span, or NULL.
 */
static struct kmag_span *kmag_heap_take(struct kmag_heap *h, unsigned int npages,
					unsigned int align, gfp_t gfp,
					struct kmag_cache *c, bool peek)
{
	struct kmag_span *spare[KMAG_SPARES] = { NULL }, *s;
	unsigned long flags;

	if (peek && find_next_bit(h->nonempty, KMAG_CHUNK_PAGES + 1, npages) >
		    KMAG_CHUNK_PAGES)
		return NULL;
	if (kmag_heap_lock(h, spare, gfp, &flags))
		return NULL;
	s = kmag_free_take(h, npages, align, spare);
	if (s)
		kmag_span_use(h, s, c);
	kmag_heap_unlock(h, spare, flags);
	return s;
}

/* Make @ch part of its node's heap and take the span from it. */
static struct kmag_span *kmag_heap_add(struct kmag_chunk *ch, unsigned int npages,
				       unsigned int align, gfp_t gfp,
				       struct kmag_cache *c)
{
	struct kmag_span *spare[KMAG_SPARES] = { NULL }, *fs, *s;
	struct kmag_heap *h = kmag_heap_of(ch->nid);
	unsigned long flags, n;

	if (kmag_heap_lock(h, spare, gfp, &flags)) {
		kmag_chunk_free(ch);
		return NULL;
	}
	fs = kmag_spare_take(spare);
	fs->base = ch->base;
	fs->npages = ch->npages;
	fs->chunk = ch;
	fs->nid = ch->nid;
	list_add(&ch->list, &h->chunks);
	h->sys_pages += ch->npages;
	/* Asked again for what a scavenge just gave back: count that much. */
	if (time_before(jiffies, h->last_scavenge + max(kmag_scavenge_delay, HZ))) {
		n = min_t(unsigned long, ch->npages, h->recent_scavenged);
		h->reacquired_pages += n;
		h->recent_scavenged -= n;
	}
	if (ch->dedicated) {
		s = fs;
	} else {
		/* kmag holds every page now: none maps to nothing. */
		kmag_map_range(ch->base, ch->npages, KMAG_MAP_GONE);
		kmag_free_insert(h, fs);
		s = kmag_free_take(h, npages, align, spare);
	}
	if (s)
		kmag_span_use(h, s, c);
	kmag_heap_unlock(h, spare, flags);
	return s;
}

/**
 * kmag_heap_alloc() - allocate a span of pages
 * @nid: preferred node, or NUMA_NO_NODE for this CPU's home node
 * @npages: span size, 1 .. KMAG_MAX_SIZE / PAGE_SIZE
 * @align: alignment of the span, in pages (a power of two, at most
 *         KMAG_CHUNK_PAGES)
 * @gfp: may sleep only if gfpflags_allow_blocking(@gfp); __GFP_THISNODE
 *       makes @nid strict
 * @c: the cache the span is for (KMAG_SPAN_SMALL), or NULL for a large
 *     object (KMAG_SPAN_LARGE)
 *
 * In order: free spans of @nid's heap; new pages on @nid without reclaim;
 * free spans of the other nodes' heaps; new pages with @gfp, wherever the
 * buddy allocator finds them. So a node that is out of memory does not make
 * kmag grow on every call while other nodes have free spans, and no
 * allocation reclaims while kmag holds free memory somewhere.
 * The span's pages all map to it once it is returned; its memory is not
 * zeroed.
 *
 * Context: any context; no kmag lock held.
 * Return: the span, or NULL when memory (or metadata) is short.
 */
struct kmag_span *kmag_heap_alloc(int nid, unsigned int npages,
				  unsigned int align, gfp_t gfp,
				  struct kmag_cache *c)
{
	bool strict = gfp & __GFP_THISNODE;
	bool dedicated = npages > KMAG_CHUNK_PAGES;
	struct kmag_chunk *ch;
	struct kmag_span *s;
	int n;

	if (unlikely(READ_ONCE(kmag_fail_heap_alloc)))
		return NULL;
	if (nid == NUMA_NO_NODE || !node_state(nid, N_MEMORY))
		nid = strict && nid != NUMA_NO_NODE ? nid : kmag_home_node();
	if (!dedicated) {
		s = kmag_heap_take(kmag_heap_of(nid), npages, align, gfp, c, false);
		if (s)
			return s;
	}
	if (strict) {
		ch = kmag_chunk_alloc(nid, npages, gfp);
	} else {
		ch = kmag_chunk_alloc(nid, npages, kmag_chunk_try_gfp(gfp) | __GFP_THISNODE);
		for_each_node_state(n, N_MEMORY) {
			if (ch || dedicated)
				break;
			if (n == nid)
				continue;
			s = kmag_heap_take(kmag_heap_of(n), npages, align, gfp, c, true);
			if (s)
				return s;
		}
		if (!ch)
			ch = kmag_chunk_alloc(nid, npages, gfp);
	}
	if (!ch)
		return NULL;
	return kmag_heap_add(ch, npages, align, gfp, c);
}
EXPORT_SYMBOL_NS_GPL(kmag_heap_alloc, KMAG_INTERNAL);

/**
 * kmag_heap_free() - give a span back to its page heap
 * @span: an in-use span from kmag_heap_alloc()
 *
 * Its pages map to KMAG_MAP_GONE (a later free there is a double free). It
 * coalesces with free neighbours in the same chunk; a chunk that becomes
 * entirely free is released to the buddy allocator unless the heap keeps it.
 *
 * Context: any context; may be called with a central lock held.
 */
void kmag_heap_free(struct kmag_span *span)
{
	struct kmag_chunk *ch = span->chunk;
	struct kmag_heap *h = kmag_heap_of(ch->nid);
	struct kmag_span *nb, *dead[3] = { NULL, NULL, NULL };
	unsigned long flags, end;
	unsigned int i;

	spin_lock_irqsave(&h->lock, flags);
	h->inuse_pages -= span->npages;
	kmag_span_unuse(span);
	if (ch->dedicated) {
		kmag_span_release(h, span);
		dead[0] = span;
		goto out;
	}
	/* Left neighbour: a free span ending just before us. */
	if (span->base > ch->base) {
		nb = kmag_span_of((void *)(span->base - PAGE_SIZE));
		if (kmag_span_is_free(nb, ch)) {
			kmag_free_remove(h, nb);
			span->base = nb->base;
			span->npages += nb->npages;
			dead[0] = nb;
		}
	}
	end = span->base + ((unsigned long)span->npages << PAGE_SHIFT);
	if (end < ch->base + ((unsigned long)ch->npages << PAGE_SHIFT)) {
		nb = kmag_span_of((void *)end);
		if (kmag_span_is_free(nb, ch)) {
			kmag_free_remove(h, nb);
			span->npages += nb->npages;
			dead[1] = nb;
		}
	}
	if (span->npages == ch->npages && h->nr_free_chunks >= kmag_heap_keep) {
		kmag_span_release(h, span);
		dead[2] = span;
	} else {
		kmag_free_insert(h, span);
	}
out:
	for (i = 0; i < ARRAY_SIZE(dead); i++)
		if (kmag_spare_put(h, dead[i]))
			dead[i] = NULL;
	spin_unlock_irqrestore(&h->lock, flags);
	for (i = 0; i < ARRAY_SIZE(dead); i++)
		if (dead[i])
			kmag_span_delete(dead[i]);
	kmag_reclaim_kick();	/* free pages get scavenged */
}
EXPORT_SYMBOL_NS_GPL(kmag_heap_free, KMAG_INTERNAL);

/**
 * kmag_heap_scavenge() - give idle free spans of a node back, page by page
 * @nid: the node
 * @delay: only spans free for at least this long (jiffies; 0: any)
 * @keep: keep this many free pages in the heap
 * @max: give back at most about this many pages (may exceed by one span)
 *
 * Oldest free spans first. The heap lock is held for at most
 * KMAG_SCAVENGE_SPANS spans and about KMAG_SCAVENGE_PAGES pages at a time.
 *
 * Context: any context; no heap lock held.
 * Return: the pages given back.
 */
unsigned long kmag_heap_scavenge(int nid, unsigned long delay,
				 unsigned long keep, unsigned long max)
{
	struct kmag_heap *h = kmag_heap_of(nid);
	unsigned long flags, done = 0, hold;
	struct kmag_span *s, *tmp;
	LIST_HEAD(dead);
	unsigned int n;
	bool more;

	if (!h)
		return 0;
	do {
		more = false;
		spin_lock_irqsave(&h->lock, flags);
		for (n = hold = 0; ; n++) {
			if (n == KMAG_SCAVENGE_SPANS || hold >= KMAG_SCAVENGE_PAGES) {
				more = true;	/* this hold is long enough */
				break;
			}
			s = list_first_entry_or_null(&h->lru, struct kmag_span, lru);
			if (!s || done + hold >= max || h->sys_pages - h->inuse_pages <= keep ||
			    (delay && time_before(jiffies, s->idle_since + delay)))
				break;
			kmag_free_remove(h, s);
			hold += kmag_span_release(h, s);
			if (!kmag_spare_put(h, s))
				list_add(&s->list, &dead);
		}
		done += hold;
		h->scavenged_pages += hold;
		if (hold) {
			if (time_after(jiffies, h->last_scavenge +
				       max(kmag_scavenge_delay, HZ)))
				h->recent_scavenged = 0;
			h->recent_scavenged += hold;
			h->last_scavenge = jiffies;
		}
		spin_unlock_irqrestore(&h->lock, flags);
		list_for_each_entry_safe(s, tmp, &dead, list)
			kmag_span_delete(s);
		INIT_LIST_HEAD(&dead);
	} while (more);
	return done;
}
EXPORT_SYMBOL_NS_GPL(kmag_heap_scavenge, KMAG_INTERNAL);

/**
 * kmag_heap_free_pages() - free pages a node's heap holds
 * @nid: the node
 *
 * Context: any context; takes no lock (the value may be stale).
 * Return: pages in free spans, not given back.
 */
unsigned long kmag_heap_free_pages(int nid)
{
	struct kmag_heap *h = kmag_heap_of(nid);
	unsigned long sys, inuse;

	if (!h)
		return 0;
	/* Read without the lock: the two may disagree for a moment. */
	sys = READ_ONCE(h->sys_pages);
	inuse = READ_ONCE(h->inuse_pages);
	return sys > inuse ? sys - inuse : 0;
}
EXPORT_SYMBOL_NS_GPL(kmag_heap_free_pages, KMAG_INTERNAL);

/**
 * kmag_heap_inuse_pages() - pages of a node's heap in in-use spans
 * @nid: the node
 *
 * Context: any context; takes no lock (the value may be stale).
 * Return: the pages.
 */
unsigned long kmag_heap_inuse_pages(int nid)
{
	struct kmag_heap *h = kmag_heap_of(nid);

	return h ? READ_ONCE(h->inuse_pages) : 0;
}
EXPORT_SYMBOL_NS_GPL(kmag_heap_inuse_pages, KMAG_INTERNAL);

/**
 * kmag_heap_sys_pages() - pages a node's heap holds from the buddy allocator
 * @nid: the node
 *
 * Context: any context; takes no lock (the value may be stale).
 * Return: the pages.
 */
unsigned long kmag_heap_sys_pages(int nid)
{
	struct kmag_heap *h = kmag_heap_of(nid);

	return h ? READ_ONCE(h->sys_pages) : 0;
}
EXPORT_SYMBOL_NS_GPL(kmag_heap_sys_pages, KMAG_INTERNAL);

/**
 * kmag_heap_stats() - page heap gauges and counters, summed over nodes
 * @hs: filled in, in pages (metadata in structs)
 *
 * Context: any context; takes no lock (values may be slightly stale).
 */
void kmag_heap_stats(struct kmag_heap_stats *hs)
{
	struct kmag_heap *h;
	int nid;

	memset(hs, 0, sizeof(*hs));
	for_each_node(nid) {
		h = kmag_heap_of(nid);
		if (!h)
			continue;
		hs->sys += READ_ONCE(h->sys_pages);
		hs->inuse += READ_ONCE(h->inuse_pages);
		hs->released += READ_ONCE(h->released_pages);
		hs->holes += READ_ONCE(h->hole_pages);
		hs->scavenged += READ_ONCE(h->scavenged_pages);
		hs->reacquired += READ_ONCE(h->reacquired_pages);
	}
	hs->spans = atomic_long_read(&kmag_nr_spans);
	hs->chunks = atomic_long_read(&kmag_nr_chunks);
	hs->leaves = atomic_long_read(&kmag_nr_leaves);
}
EXPORT_SYMBOL_NS_GPL(kmag_heap_stats, KMAG_INTERNAL);

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
	struct kmag_heap_stats hs;

	kmag_heap_stats(&hs);
	*sys = hs.sys << PAGE_SHIFT;
	*inuse = hs.inuse << PAGE_SHIFT;
	*released = hs.released << PAGE_SHIFT;
}
EXPORT_SYMBOL_NS_GPL(kmag_heap_sizes, KMAG_INTERNAL);

/* Once per struct: no bit of inuse is ever set while a span is not small. */
static void kmag_span_ctor(void *p)
{
	memset(p, 0, sizeof(struct kmag_span));
}

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
		INIT_LIST_HEAD(&h->lru);
		INIT_LIST_HEAD(&h->spare);
		kmag_heaps[nid] = h;
	}
	/* Lockless readers may see a span struct reused, never freed. */
	kmag_span_slab = kmem_cache_create("kmag_span", sizeof(struct kmag_span),
					    __alignof__(struct kmag_span),
					    SLAB_TYPESAFE_BY_RCU | SLAB_HWCACHE_ALIGN,
					    kmag_span_ctor);
	if (!kmag_span_slab)
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
			/*
			 * Spans and holes tile their chunk: walk the spans by
			 * their starts, a hole page by page. The chunk goes
			 * with its last span.
			 */
			end = ch->base + ((unsigned long)ch->npages << PAGE_SHIFT);
			for (addr = ch->base; addr < end;) {
				if (!kmag_map_entry((void *)addr)) {
					addr += PAGE_SIZE;
					continue;
				}
				s = kmag_span_of((void *)addr);
				if (WARN_ON_ONCE(!s || s->base != addr))
					break;
				addr += (unsigned long)s->npages << PAGE_SHIFT;
				if (s->owner == KMAG_OWNER_FREE) {
					kmag_free_remove(h, s);
				} else {
					h->inuse_pages -= s->npages;
					kmag_span_unuse(s);
				}
				kmag_span_release(h, s);
				kmag_span_delete(s);
			}
		}
		list_for_each_entry_safe(s, stmp, &h->spare, list)
			kmag_span_delete(s);
		kfree(h);
	}
	kfree(kmag_heaps);
	kmag_heaps = NULL;
	for (i = 0; kmag_map && i < kmag_map_leaves; i++)
		kfree(kmag_map[i]);
	kvfree(kmag_map);
	kmag_map = NULL;
	kmem_cache_destroy(kmag_span_slab);
	kmag_span_slab = NULL;
}

/**
 * kmag_span_covering() - the span whose pages hold an address
 * @p: any address
 *
 * Only the first page of a large object maps to its span: for a page that
 * maps to KMAG_MAP_GONE, the nearest mapped page below (at most a largest
 * object's pages down) tells.
 *
 * Context: magazine lock held (IRQs off) or rcu_read_lock(); the span may
 * be reused meanwhile (validate it).
 * Return: the span of @p's page or of the nearest mapped page below, or
 * NULL.
 */
struct kmag_span *kmag_span_covering(const void *p)
{
	unsigned long addr = (unsigned long)p & PAGE_MASK;
	struct kmag_span *s = kmag_map_entry(p);
	unsigned int i;

	for (i = 1; s == KMAG_MAP_GONE && i < KMAG_MAX_SIZE >> PAGE_SHIFT &&
	     addr - PAGE_OFFSET >= PAGE_SIZE; i++) {
		addr -= PAGE_SIZE;
		s = kmag_map_entry((void *)addr);
	}
	return s == KMAG_MAP_GONE ? NULL : s;
}
