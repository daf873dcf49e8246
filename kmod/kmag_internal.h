/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmag internals: one header shared by the files of kmag.ko and by its KUnit
 * suites (which import the KMAG_INTERNAL symbol namespace).
 *
 * Big theory statement
 * ====================
 *
 * 1. Overview. kmag is a slab-style allocator shaped like Go's runtime
 *    allocator (mcache -> mcentral -> mheap), with Bonwick magazines in the
 *    role of the mcache. Every object size is served by a "cache": one cache
 *    per size class (kmag_alloc) and one per kmag_cache_create() call. The
 *    layers, each in its own file:
 *
 *      sizeclasses.h  the class table (generated): 8 B .. 32 KiB, <= 12.5%
 *                     round-up waste from 128 B, span tails <= 1/8 of a span.
 *      magazine.c     per-CPU magazines (mcache role).
 *      central.c      per-cache central lists of spans + magazine depot
 *                     (mcentral role).
 *      pageheap.c     the page heap over the buddy allocator (mheap role),
 *                     and the pointer -> span map.
 *      large.c        objects above 32 KiB, straight from the page heap.
 *      cache.c        cache lifecycle (class caches, named caches).
 *      api.c          the exported API and its fast paths.
 *      stats.c        statistics and the debugfs files.
 *      debug.c        reports of invalid and double frees.
 *
 * 2. Vocabulary.
 *    class      one row of the size-class table: object size, span pages,
 *               objects per span.
 *    span       a run of contiguous pages owned by one user: a cache (its
 *               objects, tracked by an out-of-band free bitmap), one large
 *               object, or nobody (free, in the page heap's free lists).
 *    chunk      a block of pages the page heap got from alloc_pages()
 *               (2 MiB when the buddy allocator has one, smaller otherwise;
 *               a large object above 2 MiB gets a dedicated chunk). Spans
 *               are carved from chunks and coalesce only inside their chunk,
 *               so a chunk that is entirely free can be given back whole.
 *    magazine   an array of up to "capacity" object pointers; "rounds" is
 *               how many it holds. Each CPU holds a "loaded" and a
 *               "previous" magazine per cache; previous is always full or
 *               empty.
 *    depot      per cache, stacks of full and of empty magazines.
 *
 * 3. Allocation. kmag_alloc(size) maps size to a class with one table
 *    lookup (Go's size_to_class8 / size_to_class128), then
 *      a. fast path (api.c): with this CPU's magazine lock held (local IRQs
 *         off), pop a round from the loaded magazine. Cost: the lookup,
 *         irq save/restore, one load of the magazine pointer, one pop, two
 *         per-CPU counter increments. No atomics, no shared cache lines.
 *      b. loaded empty, previous full: swap them and pop.
 *      c. both empty: under the central lock, trade the empty previous for
 *         a full magazine from the depot.
 *      d. depot has none: fill the loaded magazine from partial spans
 *         (local node first).
 *      e. no partial span: drop the magazine lock (IRQs back on if they
 *         were), ask the page heap for a span with the caller's gfp (it
 *         sleeps only if gfpflags_allow_blocking()), run the ctor on its
 *         objects, add it to the central lists and retry from a.
 *    Sizes above 32 KiB skip all that: the page heap hands out a span of
 *    whole pages (large.c).
 *
 * 4. Free. kmag_free(p) finds p's span through the pointer -> span map (two
 *    loads, no access to memory kmag does not own), checks that p is the
 *    start of an object, then symmetrically: push on loaded; if full and
 *    previous empty, swap; else under the central lock retire previous to
 *    the depot and load an empty magazine. When the depot already holds
 *    enough full magazines, a retired magazine's rounds go back to their
 *    spans instead. A span whose objects are all free goes back to the page
 *    heap (one empty span per node and cache is kept), which coalesces it
 *    with free neighbours; a chunk that becomes entirely free is released to
 *    the buddy allocator, keeping one per node.
 *
 * 5. Why IRQs off on the fast path. kmag must work from hard IRQ context
 *    with GFP_ATOMIC, and an interrupt on the same CPU may call into the
 *    same cache. Disabling local interrupts (local_lock_irqsave, which on
 *    !PREEMPT_RT is local_irq_save plus a lockdep annotation) protects the
 *    magazines against preemption, migration and interrupts at the price of
 *    a flags save/restore, the same protection the "ideal" per-CPU array of
 *    the benchmark uses. A cmpxchg-based lockless scheme would need a
 *    double-word cmpxchg per operation, which costs more than that.
 *
 * 6. Lock order (outermost first):
 *      a. cpus_read_lock()          cache create/destroy, drain.
 *      b. kmag_caches_mutex         the list of caches (process context).
 *      c. kmag_cpu.lock (local)     this CPU's magazines of one cache.
 *      d. kmag_central.lock         a cache's spans, depot and counters;
 *                                   taken with IRQs off.
 *      e. kmag_heap.lock            one node's page heap and the map
 *                                   entries of its chunks; IRQs off.
 *    Nothing sleeps with c, d or e held. Memory for metadata (span structs,
 *    magazines, map leaves) comes from the kernel's slab allocator, outside
 *    d and e, or with GFP_NOWAIT when only c is held.
 *
 * 7. Statistics. Counters are per CPU (kmag_cpu.stat for each cache,
 *    kmag_pcpu_stat for the rest), incremented with IRQs off or with
 *    this_cpu ops, and summed when debugfs is read. Page-heap gauges are
 *    updated under the heap lock and read without it.
 */
#ifndef KMAG_INTERNAL_H
#define KMAG_INTERNAL_H

#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/local_lock.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "../include/kmag.h"

/* Largest object: KMALLOC_MAX_SIZE on x86-64. */
#define KMAG_MAX_SIZE		(4UL << 20)
#define KMAG_MAX_SMALL		32768U
#define KMAG_MAX_SPAN_OBJS	512U

/* Page heap chunks: 2 MiB, one map leaf each. */
#define KMAG_CHUNK_ORDER	9
#define KMAG_CHUNK_PAGES	(1U << KMAG_CHUNK_ORDER)
#define KMAG_MAP_LEAF_SHIFT	9
#define KMAG_MAP_LEAF_PAGES	(1UL << KMAG_MAP_LEAF_SHIFT)

#define KMAG_NAME_LEN		32

/* Per-CPU counters: one list, summed on read (stats.c). */
enum kmag_stat_item {
	KMAG_ALLOC,		/* objects handed out */
	KMAG_FREE,		/* objects taken back */
	KMAG_REQ_BYTES,		/* bytes callers asked for, since load */
	KMAG_MAG_MISS,		/* ops the loaded magazine could not serve */
	KMAG_LARGE_ALLOC,	/* large objects handed out */
	KMAG_LARGE_FREE,	/* large objects taken back */
	KMAG_LARGE_BYTES,	/* +pages on alloc, -pages on free (bytes) */
	KMAG_INVALID_FREE,	/* frees of pointers kmag did not hand out */
	KMAG_DOUBLE_FREE,	/* frees of objects already free */
	KMAG_ALLOC_FAIL,	/* allocations that returned NULL */
	KMAG_NR_STATS
};

enum kmag_span_state {
	KMAG_SPAN_FREE,		/* in a page heap free list */
	KMAG_SPAN_SMALL,	/* objects of one cache */
	KMAG_SPAN_LARGE,	/* one large object */
};

/* Which central list a small span is on. */
enum kmag_span_list {
	KMAG_LIST_PARTIAL,
	KMAG_LIST_FULL,		/* no free object */
	KMAG_LIST_EMPTY,	/* every object free */
	KMAG_NR_LISTS
};

struct kmag_chunk {
	struct list_head list;		/* kmag_heap.chunks */
	unsigned long base;		/* direct-map address */
	unsigned int npages;
	unsigned int order;
	int nid;
	bool dedicated;			/* one large object, never split */
};

struct kmag_span {
	struct list_head list;		/* heap free list or central list */
	unsigned long base;
	unsigned int npages;
	u8 state;			/* enum kmag_span_state */
	u8 list_id;			/* enum kmag_span_list */
	int nid;
	struct kmag_chunk *chunk;
	struct kmag_cache *cache;	/* KMAG_SPAN_SMALL */
	unsigned int nfree;		/* free objects (bits set in freemap) */
	DECLARE_BITMAP(freemap, KMAG_MAX_SPAN_OBJS);
};

struct kmag_mag {
	struct kmag_mag *next;		/* depot stack */
	u16 rounds;
	u16 capacity;
	void *objs[];
};

/* Magazines of at most 2 KiB: header plus this many rounds. */
#define KMAG_MAG_MAX_ROUNDS ((2048 - sizeof(struct kmag_mag)) / sizeof(void *))

struct kmag_cpu {
	local_lock_t lock;
	struct kmag_mag *loaded;
	struct kmag_mag *previous;
	unsigned long stat[KMAG_NR_STATS];
};

struct kmag_cnode {
	struct list_head lists[KMAG_NR_LISTS];
	unsigned long nr[KMAG_NR_LISTS];
};

struct kmag_central {
	spinlock_t lock;
	struct kmag_mag *depot_full;
	struct kmag_mag *depot_empty;
	unsigned int nr_depot_full;
	unsigned int nr_depot_empty;
	unsigned long nr_spans;
	unsigned long nr_free_objs;	/* free objects in spans */
	struct kmag_cnode *node;	/* [nr_node_ids] */
};

struct kmag_cache {
	struct kmag_cpu __percpu *cpu;
	unsigned int size;		/* slot size */
	unsigned int obj_size;		/* usable size reported by kmag_size() */
	u32 divmagic;			/* offset * divmagic >> 32 == index */
	unsigned int objs_per_span;
	unsigned int npages;		/* span size */
	unsigned int mag_capacity;
	unsigned int depot_max;		/* full (and empty) magazines kept */
	void (*ctor)(void *obj);
	int class_idx;			/* -1: a named cache */
	bool dead;			/* destroyed with live objects */
	struct kmag_central central;
	struct list_head list;		/* kmag_caches */
	char name[KMAG_NAME_LEN];
};

/* pageheap.c */
extern struct kmag_span ***kmag_map;
extern unsigned long kmag_map_leaves;

int kmag_heap_init(void);
void kmag_heap_exit(void);
struct kmag_span *kmag_heap_alloc(int nid, unsigned int npages, gfp_t gfp,
				  struct kmag_cache *c);
void kmag_heap_free(struct kmag_span *span);
void kmag_heap_release(unsigned int keep);
void kmag_heap_sizes(unsigned long *sys, unsigned long *inuse,
		     unsigned long *released);

/**
 * kmag_span_of() - find the span holding an address
 * @p: any address
 *
 * Reads only kmag's map, never the memory at @p.
 *
 * Context: any context.
 * Return: the span, or NULL if kmag does not own the page of @p.
 */
static __always_inline struct kmag_span *kmag_span_of(const void *p)
{
	unsigned long pfn = ((unsigned long)p - PAGE_OFFSET) >> PAGE_SHIFT;
	struct kmag_span **leaf;

	if (unlikely((pfn >> KMAG_MAP_LEAF_SHIFT) >= kmag_map_leaves))
		return NULL;
	leaf = READ_ONCE(kmag_map[pfn >> KMAG_MAP_LEAF_SHIFT]);
	if (unlikely(!leaf))
		return NULL;
	return READ_ONCE(leaf[pfn & (KMAG_MAP_LEAF_PAGES - 1)]);
}

/* Index of the object at @p in @span, or -1 if @p is not an object start. */
static __always_inline long kmag_obj_index(const struct kmag_cache *c,
					   const struct kmag_span *span,
					   const void *p)
{
	unsigned long off = (unsigned long)p - span->base;
	unsigned long idx = (off * c->divmagic) >> 32;

	if (unlikely(idx * c->size != off || idx >= c->objs_per_span))
		return -1;
	return idx;
}

/* gfp for kmag's own metadata: the caller's reclaim rules, no zones. */
static inline gfp_t kmag_meta_gfp(gfp_t gfp)
{
	return (gfp & (__GFP_RECLAIM | __GFP_HIGH | __GFP_ATOMIC | __GFP_IO |
		       __GFP_FS | __GFP_MEMALLOC | __GFP_NOMEMALLOC)) |
	       __GFP_NOWARN;
}

/* central.c */
int kmag_central_init(struct kmag_cache *c);
void kmag_central_exit(struct kmag_cache *c);
unsigned int kmag_central_get(struct kmag_cache *c, void **objs,
			      unsigned int n, int nid);
void kmag_central_put(struct kmag_cache *c, void **objs, unsigned int n);
int kmag_central_grow(struct kmag_cache *c, gfp_t gfp, int nid);
struct kmag_mag *kmag_depot_get(struct kmag_cache *c, bool full);
void kmag_depot_put(struct kmag_cache *c, struct kmag_mag *m);
void kmag_central_flush(struct kmag_cache *c);
unsigned long kmag_central_live(struct kmag_cache *c);

/* magazine.c */
extern struct kmag_mag kmag_no_mag;
struct kmag_mag *kmag_mag_alloc(struct kmag_cache *c, gfp_t gfp);
void kmag_mag_free(struct kmag_mag *m);
void *kmag_alloc_refill(struct kmag_cache *c, gfp_t gfp, unsigned long *flags);
void kmag_free_slow(struct kmag_cache *c, void *p);
void kmag_magazines_drain(struct kmag_cache *c);
int kmag_magazine_init(void);
void kmag_magazine_exit(void);

/* cache.c */
extern struct kmag_cache *kmag_classes[];
extern struct list_head kmag_caches;
extern struct mutex kmag_caches_mutex;
int kmag_size_class(size_t size);
struct kmag_cache *kmag_cache_new(const char *name, unsigned int size,
				  unsigned int align, unsigned int npages,
				  void (*ctor)(void *), int class_idx);
void kmag_cache_release(struct kmag_cache *c);
int kmag_classes_init(void);
void kmag_classes_exit(void);
void kmag_drain(void);

/* large.c */
void *kmag_large_alloc(size_t size, gfp_t gfp, int nid);
void kmag_large_free(struct kmag_span *span, const void *p, unsigned long ip);

/* stats.c */
DECLARE_PER_CPU(unsigned long [KMAG_NR_STATS], kmag_pcpu_stat);

/*
 * The statistics, in the order of debugfs "stats"; stats.c names them (a
 * build-time check keeps its table in step with this struct).
 */
struct kmag_stats {
	long mallocs;		/* objects handed out, since load */
	long frees;		/* objects taken back, since load */
	long live_objects;	/* mallocs - frees */
	long alloc_bytes;	/* bytes in live objects (class size, pages) */
	long requested_bytes;	/* bytes asked for, since load */
	long sys_bytes;		/* held from the buddy allocator */
	long inuse_bytes;	/* in in-use spans */
	long idle_bytes;	/* sys_bytes - inuse_bytes */
	long released_bytes;	/* given back to the buddy allocator, since load */
	long large_allocs;	/* large objects handed out, since load */
	long large_frees;	/* large objects taken back, since load */
	long magazine_hits;	/* small ops served by the loaded magazine */
	long magazine_misses;	/* small ops that took a slow path */
	long invalid_frees;	/* frees of pointers kmag did not hand out */
	long double_frees;	/* frees of objects already free */
	long alloc_failures;	/* allocations that returned NULL */
};

struct kmag_class_stats {
	long spans;
	long live_objects;
	long free_objects;
	long mallocs;
	long frees;
};

void kmag_stats_read(struct kmag_stats *st);
void kmag_cache_stats(struct kmag_cache *c, struct kmag_class_stats *cs);
void kmag_stats_retire(struct kmag_cache *c);
int kmag_debugfs_init(void);
void kmag_debugfs_exit(void);

/* debug.c */
void kmag_report_invalid(const void *p, const char *why, unsigned long ip);
void kmag_report_double(struct kmag_cache *c, const void *p, unsigned long ip);

#endif /* KMAG_INTERNAL_H */
