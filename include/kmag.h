/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmag: a magazine-based slab allocator with a kmalloc-like API.
 *
 * Memory from kmag must only be freed with kmag_free() / kmag_cache_free():
 * never pass a kmag object to kfree(), and never pass kmalloc() memory to
 * kmag_free() (kmag detects and ignores the latter with an error report, but
 * the kernel's kfree() does not detect the former).
 *
 * Semantics follow kmalloc()/kmem_cache_*() where they exist: size 0 gives
 * ZERO_SIZE_PTR, objects are at least 8-byte aligned, every power-of-two size
 * up to KMAG_MAX_ALLOC is naturally aligned (large objects are page aligned),
 * __GFP_ZERO and the
 * init_on_alloc / init_on_free boot policies are honoured, and GFP_ATOMIC /
 * GFP_NOWAIT never sleep, in any context including hard IRQ.
 * GFP_DMA / GFP_DMA32 are not supported (NULL is returned).
 */
#ifndef _KMAG_H
#define _KMAG_H

#include <linux/gfp.h>
#include <linux/types.h>

/** KMAG_MAX_ALLOC - largest request kmag serves (KMALLOC_MAX_SIZE on x86-64) */
#define KMAG_MAX_ALLOC (4UL << 20)

struct kmag_cache;

/**
 * kmag_alloc() - allocate memory, like kmalloc()
 * @size: bytes; 0 gives ZERO_SIZE_PTR; above KMAG_MAX_ALLOC gives NULL (with
 *        a rate-limited warning unless @gfp has __GFP_NOWARN)
 * @gfp: GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT, ... (__GFP_ZERO honoured)
 *
 * Sizes up to 32 KiB come from per-CPU magazines of size classes; larger
 * ones are whole pages from kmag's page heap.
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the object (8-byte aligned; aligned to @size if @size is a power
 * of two; page aligned above 32 KiB), ZERO_SIZE_PTR, or NULL on failure.
 */
void *kmag_alloc(size_t size, gfp_t gfp);

/**
 * kmag_alloc_node() - allocate memory on a NUMA node, like kmalloc_node()
 * @size: as for kmag_alloc()
 * @gfp: as for kmag_alloc()
 * @node: a node id, or NUMA_NO_NODE (then same as kmag_alloc())
 *
 * The memory comes from @node when it has some. As with kmalloc_node(),
 * that is a preference unless @gfp has __GFP_THISNODE: a node that is out of
 * memory, memoryless or offline gives memory of another node. The per-CPU
 * magazines serve the request when the object on top lies on @node (the
 * kmalloc_node(..., cpu_to_node(cpu)) pattern); otherwise it takes a slower
 * path through the central lists.
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the object, ZERO_SIZE_PTR, or NULL (also for a node id that
 * cannot exist: negative other than NUMA_NO_NODE, or >= nr_node_ids).
 */
void *kmag_alloc_node(size_t size, gfp_t gfp, int node);

/**
 * kmag_zalloc() - allocate zeroed memory, like kzalloc()
 * @size: as for kmag_alloc()
 * @gfp: as for kmag_alloc()
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the zeroed object, ZERO_SIZE_PTR, or NULL.
 */
void *kmag_zalloc(size_t size, gfp_t gfp);

/**
 * kmag_calloc() - allocate a zeroed array, like kcalloc()
 * @n: number of elements
 * @size: bytes per element
 * @gfp: as for kmag_alloc()
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the zeroed array, ZERO_SIZE_PTR, or NULL (also when @n * @size
 * overflows).
 */
void *kmag_calloc(size_t n, size_t size, gfp_t gfp);

/**
 * kmag_alloc_array() - allocate an array, like kmalloc_array()
 * @n: number of elements
 * @size: bytes per element
 * @gfp: as for kmag_alloc()
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the array, ZERO_SIZE_PTR, or NULL (also when @n * @size overflows).
 */
void *kmag_alloc_array(size_t n, size_t size, gfp_t gfp);

/**
 * kmag_realloc() - resize an object, like krealloc()
 * @p: object from kmag, or NULL / ZERO_SIZE_PTR (then like kmag_alloc())
 * @new_size: new size; 0 frees @p and returns ZERO_SIZE_PTR
 * @gfp: as for kmag_alloc()
 *
 * The object stays in place when @new_size fits its usable size; otherwise
 * the contents move to a new object (up to the smaller size) and @p is freed.
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the object, ZERO_SIZE_PTR, or NULL on failure, in which case @p
 * is untouched and still owned by the caller.
 */
void *kmag_realloc(const void *p, size_t new_size, gfp_t gfp);

/**
 * kmag_free() - free memory from kmag, like kfree()
 * @p: object from kmag_alloc() and friends or kmag_cache_alloc(); NULL and
 *     ZERO_SIZE_PTR are ignored
 *
 * A pointer kmag did not hand out (kmalloc memory, stack, vmalloc, inside
 * an object) is reported (rate-limited), counted in invalid_frees and
 * ignored. A free of an object that is already free is reported, counted
 * in double_frees and ignored, whatever happened in between and on
 * whichever CPU: kmag keeps an allocated bit per object, and of two frees
 * racing on two CPUs exactly one wins. (A double free of a large object
 * whose pages kmag already gave back to the page allocator is counted as an
 * invalid free: kmag cannot tell them from pages it never had.)
 *
 * Context: any context, including hard IRQ. Never sleeps.
 */
void kmag_free(const void *p);

/**
 * kmag_free_rcu_head() - free the object holding @head after a grace period
 * @head: an rcu_head embedded in an object from kmag, at any offset; NULL
 *        is ignored
 *
 * What kmag_free_rcu() calls; use that. A @head that lies in no object
 * kmag handed out is reported, counted in invalid_frees and not queued; one
 * in an object already free, in double_frees.
 *
 * Context: any context, including hard IRQ. Never sleeps.
 * Return: true if the object will be freed after a grace period, false if
 * nothing was queued.
 */
bool kmag_free_rcu_head(struct rcu_head *head);

/**
 * kmag_free_rcu() - free an object after an RCU grace period, like kfree_rcu()
 * @obj: pointer to an object from kmag (kmag_alloc() and friends, or
 *       kmag_cache_alloc()); NULL is ignored
 * @rhf: the name of the struct rcu_head member of *@obj (at any offset)
 *
 * The object is freed once every RCU read-side critical section running
 * at the call has ended (call_rcu() on @obj->@rhf). Until then it stays
 * live and untouched, except for the rcu_head. kmag_cache_destroy() and
 * unloading kmag wait for pending frees, so the client module need not
 * call rcu_barrier() for them.
 *
 * Context: any context, including hard IRQ. Never sleeps.
 */
#define kmag_free_rcu(obj, rhf)						\
	do {								\
		typeof(obj) ___kmag_obj = (obj);			\
									\
		if (___kmag_obj)					\
			kmag_free_rcu_head(&___kmag_obj->rhf);		\
	} while (0)

/**
 * kmag_free_sensitive() - wipe and free, like kfree_sensitive()
 * @p: as for kmag_free()
 *
 * Context: any context, including hard IRQ. Never sleeps.
 */
void kmag_free_sensitive(const void *p);

/**
 * kmag_size() - usable size of an object, like ksize()
 * @p: object from kmag, or NULL / ZERO_SIZE_PTR
 *
 * Context: any context.
 * Return: bytes the caller may use (the class size, the object size of a
 * named cache, or PAGE_ALIGN() of the request for large objects); 0 for
 * NULL, ZERO_SIZE_PTR or a pointer kmag did not hand out (reported).
 */
size_t kmag_size(const void *p);

/**
 * kmag_cache_create() - create a cache of fixed-size objects
 * @name: name used in reports (copied; at most 31 characters kept)
 * @size: object size, 1 .. 32768 bytes
 * @align: alignment, 0 or a power of two up to PAGE_SIZE (at least 8 is
 *         always given)
 * @flags: 0 or a combination of SLAB_HWCACHE_ALIGN (objects aligned to a
 *         cache line, or to a fraction of one for small objects),
 *         SLAB_TYPESAFE_BY_RCU (as for kmem_cache_create(): a freed object's
 *         memory stays an object of this cache until a grace period has
 *         passed, so RCU readers may look at freed objects and must
 *         revalidate them; objects are not zeroed on free, nor on
 *         allocation without __GFP_ZERO) and the debug flags SLAB_RED_ZONE,
 *         SLAB_POISON, SLAB_STORE_USER, SLAB_CONSISTENCY_CHECKS (as SLUB's:
 *         see README); other flags are refused
 * @ctor: constructor run once on each object when its span is created (not
 *        on every allocation), or NULL
 *
 * Context: process context; may sleep.
 * Return: the cache, or NULL for invalid arguments (reported) or no memory.
 */
struct kmag_cache *kmag_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned long flags,
				     void (*ctor)(void *));

/**
 * kmag_cache_alloc() - allocate an object from a cache
 * @c: the cache
 * @gfp: as for kmag_alloc()
 *
 * Objects of a cache with a constructor are not zeroed unless @gfp has
 * __GFP_ZERO; others follow init_on_alloc.
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the object, or NULL (also for a NULL or destroyed cache).
 */
void *kmag_cache_alloc(struct kmag_cache *c, gfp_t gfp);

/**
 * kmag_cache_free() - free an object to its cache
 * @c: the cache the object was allocated from
 * @p: the object; NULL is ignored
 *
 * An object of another cache, or a pointer kmag did not hand out, is
 * reported, counted in invalid_frees and ignored; a double free is
 * reported, counted in double_frees and ignored, as for kmag_free().
 *
 * Context: any context, including hard IRQ. Never sleeps.
 */
void kmag_cache_free(struct kmag_cache *c, void *p);

/**
 * kmag_cache_alloc_bulk() - allocate several objects, all or nothing
 * @c: the cache
 * @gfp: as for kmag_alloc()
 * @n: how many
 * @p: array of @n pointers to fill
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: @n on success; 0 on failure, with nothing allocated.
 */
int kmag_cache_alloc_bulk(struct kmag_cache *c, gfp_t gfp, size_t n, void **p);

/**
 * kmag_cache_free_bulk() - free several objects to their cache
 * @c: the cache
 * @n: how many
 * @p: the objects
 *
 * Context: any context, including hard IRQ. Never sleeps.
 */
void kmag_cache_free_bulk(struct kmag_cache *c, size_t n, void **p);

/**
 * kmag_cache_destroy() - destroy a cache
 * @c: the cache, or NULL
 *
 * Every object should have been freed. If some are still live, their number
 * and the cache name are reported, the cache keeps the memory those objects
 * use (they can still be freed; allocations from it fail), and the call
 * returns; the free of the last of them frees the cache. Size-class caches
 * cannot be destroyed. Frees queued by kmag_free_rcu() are waited for
 * first (rcu_barrier()).
 *
 * Context: process context; may sleep.
 */
void kmag_cache_destroy(struct kmag_cache *c);

#endif /* _KMAG_H */
