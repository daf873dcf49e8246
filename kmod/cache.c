// SPDX-License-Identifier: GPL-2.0
/*
 * Cache lifecycle: the caches of the size classes (made at load) and named
 * caches (kmag_cache_create / kmag_cache_destroy). A cache is one object
 * size with its per-CPU magazines and its central lists.
 */
#include <linux/cpu.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kmag_internal.h"
#include "sizeclasses.h"

struct kmag_cache *kmag_classes[KMAG_NUM_CLASSES];
EXPORT_SYMBOL_NS_GPL(kmag_classes, KMAG_INTERNAL);

/* Every cache, class and named, including those destroyed with live objects. */
LIST_HEAD(kmag_caches);
EXPORT_SYMBOL_NS_GPL(kmag_caches, KMAG_INTERNAL);
DEFINE_MUTEX(kmag_caches_mutex);
EXPORT_SYMBOL_NS_GPL(kmag_caches_mutex, KMAG_INTERNAL);
/* Frees caches destroyed with live objects once the last one is freed. */
struct workqueue_struct *kmag_wq;
EXPORT_SYMBOL_NS_GPL(kmag_wq, KMAG_INTERNAL);

/**
 * kmag_size_class() - size class of a small request
 * @size: 1 .. KMAG_MAX_SMALL
 *
 * Context: any context.
 * Return: the class index.
 */
int kmag_size_class(size_t size)
{
	return kmag_class_of(size);
}
EXPORT_SYMBOL_NS_GPL(kmag_size_class, KMAG_INTERNAL);

/* Magazine rounds: about 64 KiB of objects, 4 .. KMAG_MAG_MAX_ROUNDS. */
static unsigned int kmag_mag_capacity(unsigned int size)
{
	return clamp_t(unsigned int, SZ_64K / size, 4, KMAG_MAG_MAX_ROUNDS);
}

/*
 * Full magazines the depot keeps: about 256 KiB of objects at the initial
 * capacity (a working set of a few thousand small objects moves between
 * CPUs without touching the spans), at least 4, at most 128. Not scaled
 * with the CPUs: a depot holds at most depot_max * mag_max objects however
 * many CPUs feed it (stats: depot_worst_bytes).
 */
static unsigned int kmag_depot_max(unsigned int size, unsigned int capacity)
{
	return clamp_t(unsigned int, SZ_256K / (size * capacity), 4, 128);
}

/*
 * Pages per span for slots of @slot bytes: the smallest span with at most
 * 1/8 tail waste (as the size classes), up to 16 pages, and at least one
 * slot.
 */
static unsigned int kmag_span_pages(unsigned int slot)
{
	unsigned int npages;

	for (npages = 1; npages < 16; npages++) {
		unsigned long bytes = (unsigned long)npages << PAGE_SHIFT;

		if (bytes / slot > KMAG_MAX_SPAN_OBJS || bytes % slot <= bytes / 8)
			break;
	}
	while (((unsigned long)npages << PAGE_SHIFT) < slot)
		npages++;
	return npages;
}

/**
 * kmag_cache_new() - make a cache and add it to kmag_caches
 * @name: name for reports (truncated to KMAG_NAME_LEN - 1)
 * @size: usable object size, at most KMAG_MAX_SMALL
 * @align: object alignment, a power of two from 8 to PAGE_SIZE; a size
 *         class passes 8 (its power-of-two sizes are aligned by its spans)
 * @npages: pages per span, or 0 to choose
 * @ctor: constructor or NULL
 * @class_idx: size class index, or -1 for a named cache
 * @flags: SLAB_* flags; debug flags (KMAG_DEBUG_FLAGS) change the layout
 *         of slots (debug.c) and @npages is then chosen here
 *
 * Context: process context; may sleep.
 * Return: the cache, or NULL.
 */
struct kmag_cache *kmag_cache_new(const char *name, unsigned int size,
				  unsigned int align, unsigned int npages,
				  void (*ctor)(void *), int class_idx,
				  unsigned long flags)
{
	unsigned int slot = ALIGN(size, align), oalign = align;
	struct kmag_cache *c;
	int cpu;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	strscpy(c->name, name, sizeof(c->name));
	c->flags = flags;
	if (flags & KMAG_DEBUG_FLAGS) {
		/* A size class keeps its natural alignment with red zones too. */
		if (class_idx >= 0 && is_power_of_2(size))
			oalign = size;
		if ((flags & SLAB_STORE_USER) && kmag_debug_need_tracks())
			goto fail_free;
		slot = kmag_debug_layout(c, size, oalign);
		npages = 0;
	}
	if (!npages)
		npages = kmag_span_pages(slot);
	c->size = slot;
	c->obj_size = size;
	c->npages = npages;
	/* Power-of-two objects are naturally aligned: so must their spans be. */
	if (flags & KMAG_DEBUG_FLAGS)
		c->span_align = oalign > PAGE_SIZE ? oalign >> PAGE_SHIFT : 1;
	else
		c->span_align = is_power_of_2(slot) && slot > PAGE_SIZE ? slot >> PAGE_SHIFT : 1;
	c->objs_per_span = min((npages << PAGE_SHIFT) / slot, KMAG_MAX_SPAN_OBJS);
	c->divmagic = (u32)(0xffffffffU / slot) + 1;
	c->inuse_bytes = c->objs_per_span <= KMAG_INUSE_BYTES;
	c->mag_capacity = kmag_mag_capacity(slot);
	/*
	 * Dynamic: smaller under memory pressure, up to about 128 KiB of
	 * objects if contended. A CPU is charged for mag_max (twice) against
	 * its budget when it takes magazines of this cache.
	 */
	c->mag_min = max(c->mag_capacity / 4, 4U);
	c->mag_max = clamp_t(unsigned int, SZ_128K / slot, c->mag_capacity,
			     KMAG_MAG_MAX_ROUNDS);
	c->depot_max = kmag_depot_max(slot, c->mag_capacity);
	c->ctor = ctor;
	/* Constructed and RCU-typesafe objects keep their contents. */
	c->no_init = ctor || (flags & SLAB_TYPESAFE_BY_RCU);
	c->class_idx = class_idx;
	INIT_WORK(&c->free_work, kmag_cache_free_work);
	if (kmag_central_init(c))
		goto fail;
	c->cpu = alloc_percpu(struct kmag_cpu);
	if (!c->cpu)
		goto fail;
	for_each_possible_cpu(cpu) {
		per_cpu_ptr(c->cpu, cpu)->loaded = &kmag_no_mag;
		per_cpu_ptr(c->cpu, cpu)->previous = &kmag_no_mag;
	}
	kmag_prof_cache_init(c);
	kmag_debug_cache_added(c);
	mutex_lock(&kmag_caches_mutex);
	list_add_tail(&c->list, &kmag_caches);
	kmag_cache_debugfs_add(c);
	mutex_unlock(&kmag_caches_mutex);
	return c;
fail:
	kmag_central_exit(c);
fail_free:
	kfree(c);
	return NULL;
}
EXPORT_SYMBOL_NS_GPL(kmag_cache_new, KMAG_INTERNAL);

/* Free a cache that is off kmag_caches and has no span left. */
static void kmag_cache_free_now(struct kmag_cache *c)
{
	kmag_debug_cache_gone(c);
	/* Lockless readers (a stale free) may still hold a pointer to it. */
	synchronize_rcu();
	kmag_central_exit(c);
	/*
	 * Spans of a SLAB_TYPESAFE_BY_RCU cache still name it as their owner
	 * until their grace period ends: a stale free would read it.
	 */
	if (c->flags & SLAB_TYPESAFE_BY_RCU)
		rcu_barrier();
	free_percpu(c->cpu);
	kfree(c);
}

/**
 * kmag_cache_release() - drain a cache and free it if nothing is live
 * @c: the cache
 *
 * Live objects keep the cache (and their spans) alive: the cache stays on
 * kmag_caches as an orphan, so that frees of those objects still work; the
 * free of the last one schedules kmag_cache_free_work(). Objects queued by
 * kmag_free_rcu() are freed first.
 *
 * Context: process context; may sleep.
 */
void kmag_cache_release(struct kmag_cache *c)
{
	unsigned long live, flags;

	rcu_barrier();
	cpus_read_lock();
	mutex_lock(&kmag_caches_mutex);
	/* From now on, frees bypass the magazines and allocations fail. */
	WRITE_ONCE(c->dead, true);
	kmag_magazines_drain(c);
	/*
	 * Every CPU sees @c dead now, and its frees go to the spans. A free
	 * that saw it alive may have quarantined an object during the drain
	 * (KASAN): drain again.
	 */
	if (IS_ENABLED(CONFIG_KASAN_GENERIC))
		kmag_magazines_drain(c);
	spin_lock_irqsave(&c->central.lock, flags);
	live = kmag_central_live(c);
	c->orphan = live;
	spin_unlock_irqrestore(&c->central.lock, flags);
	if (live) {
		pr_err("kmag: cache %s destroyed with %lu live objects; freed with the last one\n",
		       c->name, live);
		kmag_prof_cache_gone(c);
	} else {
		list_del(&c->list);
		kmag_cache_debugfs_remove(c);
		kmag_stats_retire(c);
	}
	mutex_unlock(&kmag_caches_mutex);
	cpus_read_unlock();
	if (!live)
		kmag_cache_free_now(c);
}
EXPORT_SYMBOL_NS_GPL(kmag_cache_release, KMAG_INTERNAL);

/**
 * kmag_cache_free_work() - free an orphaned cache whose last object is back
 * @work: the cache's free_work
 *
 * Context: process context (kmag_wq).
 */
void kmag_cache_free_work(struct work_struct *work)
{
	struct kmag_cache *c = container_of(work, struct kmag_cache, free_work);

	/* The CPU that queued this may still be counting its last free. */
	synchronize_rcu();
	mutex_lock(&kmag_caches_mutex);
	list_del(&c->list);
	kmag_cache_debugfs_remove(c);
	kmag_stats_retire(c);
	mutex_unlock(&kmag_caches_mutex);
	kmag_cache_free_now(c);
}

/**
 * kmag_drain() - flush every magazine and give free memory back
 *
 * Every CPU's current tiny block is retired (§18); all caches' magazines
 * and depots go back to their spans, the CPUs' kept large spans to the
 * page heap, free spans go
 * back to the page heap and every free page to the buddy allocator.
 *
 * Context: process context; may sleep.
 */
void kmag_drain(void)
{
	struct kmag_cache *c;
	int nid;

	kmag_quarantine_flush(NULL);	/* into the magazines drained next */
	cpus_read_lock();
	kmag_tiny_drain(false);		/* current blocks back, if empty (§18) */
	mutex_lock(&kmag_caches_mutex);
	list_for_each_entry(c, &kmag_caches, list)
		kmag_magazines_drain(c);
	kmag_large_drain();		/* the CPUs' kept large spans */
	mutex_unlock(&kmag_caches_mutex);
	cpus_read_unlock();
	for_each_node(nid)
		kmag_heap_scavenge(nid, 0, 0, ULONG_MAX);
}
EXPORT_SYMBOL_NS_GPL(kmag_drain, KMAG_INTERNAL);

int kmag_classes_init(void)
{
	char name[KMAG_NAME_LEN];
	int i;

	/* Per CPU (kmag_on_cpus()); the shrinker waits for it. */
	kmag_flush_wq = alloc_workqueue("kmag_flush", WQ_MEM_RECLAIM, 0);
	if (!kmag_flush_wq)
		return -ENOMEM;
	kmag_wq = alloc_workqueue("kmag", WQ_UNBOUND, 0);
	if (!kmag_wq)
		return -ENOMEM;
	for (i = 0; i < KMAG_NUM_CLASSES; i++) {
		snprintf(name, sizeof(name), KMAG_CLASS_NAME, kmag_class_size[i]);
		kmag_classes[i] = kmag_cache_new(name, kmag_class_size[i],
						 8, kmag_class_npages[i], NULL, i,
						 kmag_debug_flags_for(name));
		if (!kmag_classes[i])
			return -ENOMEM;
	}
	return 0;
}

/*
 * Module exit: every cache left (classes, and named caches that clients
 * destroyed with live objects or never destroyed) gives all its memory back.
 */
void kmag_classes_exit(void)
{
	struct kmag_cache *c, *tmp;
	unsigned long live;

	/*
	 * No client is left to free objects: pending cache frees finish, and
	 * no more are queued (an orphan's live objects stay live).
	 */
	if (kmag_wq)
		flush_workqueue(kmag_wq);
	kmag_drain();
	mutex_lock(&kmag_caches_mutex);
	list_for_each_entry_safe(c, tmp, &kmag_caches, list) {
		live = kmag_central_live(c);
		if (live)
			pr_err("kmag: unloading with %lu live objects in cache %s\n",
			       live, c->name);
		if (c->class_idx < 0 && !c->dead)
			pr_err("kmag: cache %s was never destroyed\n", c->name);
		list_del(&c->list);
		kmag_central_exit(c);
		free_percpu(c->cpu);
		kfree(c);
	}
	mutex_unlock(&kmag_caches_mutex);
	if (kmag_wq)
		destroy_workqueue(kmag_wq);
	kmag_wq = NULL;
	if (kmag_flush_wq)
		destroy_workqueue(kmag_flush_wq);
	kmag_flush_wq = NULL;
	memset(kmag_classes, 0, sizeof(kmag_classes));
}

/*
 * What kmem_cache_create() accepts in 6.1 (SLAB_FLAGS_PERMITTED), and what
 * kmag does with it:
 *   SLAB_HWCACHE_ALIGN       objects aligned to a cache line (or a fraction);
 *   SLAB_TYPESAFE_BY_RCU     rcu.c: spans freed after a grace period;
 *   SLAB_RED_ZONE, SLAB_POISON, SLAB_STORE_USER, SLAB_CONSISTENCY_CHECKS,
 *   SLAB_TRACE               debug.c: a debug cache;
 *   SLAB_PANIC               panic if the cache cannot be created;
 *   SLAB_NOLEAKTRACE         objects not registered with kmemleak;
 *   SLAB_RECLAIM_ACCOUNT (= SLAB_TEMPORARY)
 *                            span pages counted in SReclaimable, not
 *                            SUnreclaim (pageheap.c);
 *   SLAB_NO_USER_FLAGS       debug= does not apply to the cache;
 *   SLAB_ACCOUNT             accepted, nothing charged: kmag's pages hold
 *                            objects of many cgroups, and per-object
 *                            charging (obj_cgroup) is not exported;
 *   SLAB_MEM_SPREAD          no-op, as in SLUB (cpuset page spreading);
 *   SLAB_DEBUG_OBJECTS       no-op: kmag runs no debugobjects check on free,
 *                            which is all the flag turns off.
 * SLAB_CACHE_DMA and SLAB_CACHE_DMA32 are refused (kmag has no DMA zone
 * memory); so is anything else, as kmem_cache_create() refuses it.
 */
/*
 * An unsigned long, as the flags argument: the SLAB_ flags are 32-bit, and
 * ~ of a 32-bit mask would let every bit above 31 through.
 */
#define KMAG_CACHE_FLAGS ((__force unsigned long)(SLAB_HWCACHE_ALIGN | \
			  SLAB_TYPESAFE_BY_RCU | KMAG_DEBUG_FLAGS | SLAB_PANIC | \
			  SLAB_NOLEAKTRACE | SLAB_RECLAIM_ACCOUNT | \
			  SLAB_NO_USER_FLAGS | SLAB_ACCOUNT | SLAB_MEM_SPREAD | \
			  SLAB_DEBUG_OBJECTS))

/* Why a cache cannot be made from these arguments, or NULL. */
static const char *kmag_cache_args_bad(const char *name, unsigned int size,
				       unsigned int align, unsigned long flags,
				       unsigned int useroffset,
				       unsigned int usersize)
{
	if (!name)
		return "no name";
	if (!*name || strnlen(name, KMAG_NAME_LEN) >= KMAG_NAME_LEN)
		return "name empty or longer than 63 characters";
	if (!size || size > KMAG_MAX_SMALL)
		return "size not in 1..32768";
	if (align && (!is_power_of_2(align) || align > PAGE_SIZE))
		return "align not a power of two up to PAGE_SIZE";
	if (flags & (SLAB_CACHE_DMA | SLAB_CACHE_DMA32))
		return "SLAB_CACHE_DMA/SLAB_CACHE_DMA32: kmag has no DMA memory";
	if (flags & ~KMAG_CACHE_FLAGS)
		return "unknown flags";
	if ((!usersize && useroffset) || usersize > size ||
	    useroffset > size - usersize)
		return "usercopy window outside the object";
	return NULL;
}

struct kmag_cache *kmag_cache_create_usercopy(const char *name,
					      unsigned int size,
					      unsigned int align,
					      unsigned long flags,
					      unsigned int useroffset,
					      unsigned int usersize,
					      void (*ctor)(void *))
{
	unsigned long unknown = flags & ~KMAG_CACHE_FLAGS;
	struct kmag_cache *c = NULL;
	const char *why, *shown;
	unsigned int ralign;

	might_sleep();
	why = kmag_cache_args_bad(name, size, align, flags, useroffset, usersize);
	if (why) {
		shown = name ? (strnlen(name, KMAG_NAME_LEN) < KMAG_NAME_LEN ?
				name : "(name too long)") : "(null)";
		if (unknown)
			pr_err("kmag: cache_create(%s, size %u, align %u, flags %#lx): %s: bits %#lx\n",
			       shown, size, align, flags, why, unknown);
		else
			pr_err("kmag: cache_create(%s, size %u, align %u, flags %#lx): %s\n",
			       shown, size, align, flags, why);
		goto out;
	}
	align = max(align, 8U);
	if (flags & SLAB_HWCACHE_ALIGN) {
		ralign = cache_line_size();
		while (size <= ralign / 2)
			ralign /= 2;
		align = max(align, ralign);
	}
	if (ALIGN(size, align) > KMAG_MAX_SMALL) {
		pr_err("kmag: cache_create(%s): %u bytes aligned to %u is too large\n",
		       name, size, align);
		goto out;
	}
	/* debug= adds to the flags the client asked for, unless told not to. */
	if (!(flags & SLAB_NO_USER_FLAGS))
		flags |= kmag_debug_flags_for(name);
	c = kmag_cache_new(name, size, align, 0, ctor, -1, flags);
	if (c) {
		c->useroffset = useroffset;
		c->usersize = usersize;
	}
out:
	if (!c && (flags & SLAB_PANIC))
		panic("kmag: cannot create cache %s\n", name ?: "(null)");
	return c;
}
EXPORT_SYMBOL_GPL(kmag_cache_create_usercopy);

struct kmag_cache *kmag_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned long flags,
				     void (*ctor)(void *))
{
	return kmag_cache_create_usercopy(name, size, align, flags, 0, 0, ctor);
}
EXPORT_SYMBOL_GPL(kmag_cache_create);
