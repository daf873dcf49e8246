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
 *
 * PREEMPT_RT: "any context" below means what it means for kmalloc there:
 * not hard IRQ, NMI, nor with preemption or IRQs disabled or a raw spinlock
 * held, where kmag's (sleeping) locks may not be taken. kmag refuses such
 * calls (an allocation returns NULL, a free leaves the object allocated),
 * counts them (debugfs stats: context_errors) and reports them. Those
 * marked "including hard IRQ" are, there, "including softirq, threaded IRQ
 * and spinlock_t sections"; kmag_free_rcu(), kmag_size() and kmag_owns()
 * work in any context there too.
 */
#ifndef _KMAG_H
#define _KMAG_H

#include <linux/gfp.h>
#include <linux/numa.h>
#include <linux/overflow.h>
#include <linux/stddef.h>
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
 * kmag_cache_create() - create a cache of fixed-size objects, like
 *                       kmem_cache_create()
 * @name: name used in reports and in debugfs caches/<name>/ (copied; 1 to
 *        63 characters, else refused)
 * @size: object size, 1 .. 32768 bytes
 * @align: alignment, 0 or a power of two up to PAGE_SIZE (at least 8 is
 *         always given)
 * @flags: every flag kmem_cache_create() accepts in Linux 6.1, with SLUB's
 *         meaning or a documented no-op (README, "The slab API"):
 *         SLAB_HWCACHE_ALIGN, SLAB_TYPESAFE_BY_RCU (a freed object's memory
 *         stays an object of this cache until a grace period has passed;
 *         objects are not zeroed on free, nor on allocation without
 *         __GFP_ZERO), the debug flags SLAB_RED_ZONE, SLAB_POISON,
 *         SLAB_STORE_USER, SLAB_CONSISTENCY_CHECKS, SLAB_TRACE, and
 *         SLAB_PANIC, SLAB_NOLEAKTRACE, SLAB_RECLAIM_ACCOUNT
 *         (SLAB_TEMPORARY), SLAB_NO_USER_FLAGS, SLAB_ACCOUNT (nothing is
 *         charged), SLAB_MEM_SPREAD and SLAB_DEBUG_OBJECTS (no-ops).
 *         SLAB_CACHE_DMA, SLAB_CACHE_DMA32 and unknown bits are refused,
 *         the bits named in the error.
 * @ctor: constructor run once on each object when its span is created (not
 *        on every allocation), or NULL
 *
 * Context: process context; may sleep.
 * Return: the cache, or NULL for invalid arguments (reported) or no memory;
 * with SLAB_PANIC, panics instead of returning NULL.
 */
struct kmag_cache *kmag_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned long flags,
				     void (*ctor)(void *));

/**
 * kmag_cache_create_usercopy() - create a cache with a usercopy window,
 *                                like kmem_cache_create_usercopy()
 * @name: as for kmag_cache_create()
 * @size: as for kmag_cache_create()
 * @align: as for kmag_cache_create()
 * @flags: as for kmag_cache_create()
 * @useroffset: start of the region that may be copied to or from user space
 * @usersize: its size; 0 for none
 * @ctor: as for kmag_cache_create()
 *
 * The window is checked (it must lie inside the object; a window outside it
 * is refused, where SLUB warns and drops it) and recorded. Hardened
 * usercopy cannot enforce it: kmag's pages are not slab pages, so
 * copy_to_user() checks on kmag objects see only page boundaries.
 *
 * Context: process context; may sleep.
 * Return: the cache, or NULL (reported); SLAB_PANIC panics instead.
 */
struct kmag_cache *kmag_cache_create_usercopy(const char *name,
					      unsigned int size,
					      unsigned int align,
					      unsigned long flags,
					      unsigned int useroffset,
					      unsigned int usersize,
					      void (*ctor)(void *));

/**
 * KMAG_CACHE() - create a cache for a struct, like KMEM_CACHE()
 * @__struct: the struct's name (also the cache's name)
 * @__flags: as for kmag_cache_create()
 */
#define KMAG_CACHE(__struct, __flags)					\
	kmag_cache_create(#__struct, sizeof(struct __struct),		\
			  __alignof__(struct __struct), (__flags), NULL)

/**
 * KMAG_CACHE_USERCOPY() - KMAG_CACHE() with one field copied to user space
 * @__struct: the struct's name
 * @__flags: as for kmag_cache_create()
 * @__field: the member that may be copied to or from user space
 */
#define KMAG_CACHE_USERCOPY(__struct, __flags, __field)			\
	kmag_cache_create_usercopy(#__struct, sizeof(struct __struct),	\
				   __alignof__(struct __struct), (__flags), \
				   offsetof(struct __struct, __field),	\
				   sizeof_field(struct __struct, __field), NULL)

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

/* The rest of include/linux/slab.h (6.1), with kmag names. */

/**
 * kmag_zalloc_node() - zeroed memory on a node, like kzalloc_node()
 * @size: as for kmag_alloc()
 * @gfp: as for kmag_alloc()
 * @node: as for kmag_alloc_node()
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the zeroed object, ZERO_SIZE_PTR, or NULL.
 */
void *kmag_zalloc_node(size_t size, gfp_t gfp, int node);

/**
 * kmag_alloc_array_node() - an array on a node, like kmalloc_array_node()
 * @n: number of elements
 * @size: bytes per element
 * @gfp: as for kmag_alloc()
 * @node: as for kmag_alloc_node()
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the array, ZERO_SIZE_PTR, or NULL (also when @n * @size overflows).
 */
void *kmag_alloc_array_node(size_t n, size_t size, gfp_t gfp, int node);

/**
 * kmag_calloc_node() - a zeroed array on a node, like kcalloc_node()
 * @n: number of elements
 * @size: bytes per element
 * @gfp: as for kmag_alloc()
 * @node: as for kmag_alloc_node()
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the zeroed array, ZERO_SIZE_PTR, or NULL (also on overflow).
 */
void *kmag_calloc_node(size_t n, size_t size, gfp_t gfp, int node);

/**
 * __kmag_alloc_track_caller() - kmag_alloc_node() that names another caller
 * @size: as for kmag_alloc()
 * @gfp: as for kmag_alloc()
 * @node: as for kmag_alloc_node()
 * @caller: the address owner tracks record (SLAB_STORE_USER, debug=U)
 *
 * Use kmag_alloc_track_caller() or kmag_alloc_node_track_caller().
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: as for kmag_alloc_node().
 */
void *__kmag_alloc_track_caller(size_t size, gfp_t gfp, int node,
				unsigned long caller);

/**
 * kmag_alloc_track_caller() - like kmalloc_track_caller()
 * @size: as for kmag_alloc()
 * @gfp: as for kmag_alloc()
 *
 * For helpers that allocate on behalf of their caller: the owner track
 * names the function that called the helper.
 */
#define kmag_alloc_track_caller(size, gfp)				\
	__kmag_alloc_track_caller(size, gfp, NUMA_NO_NODE, _RET_IP_)

/**
 * kmag_alloc_node_track_caller() - like kmalloc_node_track_caller()
 * @size: as for kmag_alloc()
 * @gfp: as for kmag_alloc()
 * @node: as for kmag_alloc_node()
 */
#define kmag_alloc_node_track_caller(size, gfp, node)			\
	__kmag_alloc_track_caller(size, gfp, node, _RET_IP_)

/**
 * kmag_krealloc_array() - resize an array, like krealloc_array()
 * @p: as for kmag_realloc()
 * @n: number of elements
 * @size: bytes per element
 * @gfp: as for kmag_alloc()
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: as for kmag_realloc(); NULL when @n * @size overflows (@p is
 * then untouched).
 */
void *kmag_krealloc_array(const void *p, size_t n, size_t size, gfp_t gfp);

/**
 * kmag_size_roundup() - usable size kmag_alloc(@size) would give, like
 *                       kmalloc_size_roundup()
 * @size: bytes
 *
 * Context: any context.
 * Return: the size class of @size up to 32 KiB, PAGE_ALIGN(@size) up to
 * KMAG_MAX_ALLOC; 0 for 0; @size itself above KMAG_MAX_ALLOC (no such
 * allocation can succeed). kmag_size() of kmag_alloc(@size) is this value.
 */
size_t kmag_size_roundup(size_t size);

/**
 * kmag_free_bulk() - free several objects, like kfree_bulk()
 * @n: how many
 * @p: the objects (each as for kmag_free())
 *
 * Context: any context, including hard IRQ. Never sleeps.
 */
void kmag_free_bulk(size_t n, void **p);

/**
 * kmag_alloc_tiny() - allocate a tiny object, packed with others
 * @size: bytes; 0 gives ZERO_SIZE_PTR
 * @align: alignment the object needs, a power of two (1: none)
 * @gfp: as for kmag_alloc() (__GFP_ZERO honoured)
 *
 * An object of 1 to 15 bytes with @align no larger than its size needs (8
 * for a multiple of 8, 4 for a multiple of 4, 2 for an even size, else 1)
 * shares a 16-byte block with other such objects of this CPU, and is
 * aligned as its size needs. Any other request is served by kmag_alloc()
 * (with @align above 8: of a power-of-two size, naturally aligned), as it
 * is in kernels with KASAN or kmemleak and while a debug cache exists.
 * Free the object with kmag_free() (or kmag_kvfree(), kmag_free_sensitive());
 * kmag_size() gives its @size, kmag_realloc() and kmag_owns() take it. A
 * tiny object is too small for kmag_free_rcu(). Its block goes back when
 * all its objects are freed.
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the object, ZERO_SIZE_PTR, or NULL on failure or if @align is
 * not a power of two (reported, rate-limited, unless __GFP_NOWARN).
 */
void *kmag_alloc_tiny(size_t size, size_t align, gfp_t gfp);

/**
 * kmag_memdup() - duplicate memory, like kmemdup()
 * @src: what to copy
 * @len: its length; 0 gives ZERO_SIZE_PTR
 * @gfp: as for kmag_alloc()
 *
 * A copy below 16 bytes is a tiny object (kmag_alloc_tiny() with align 1:
 * aligned as its size needs).
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the copy (free with kmag_free()), ZERO_SIZE_PTR, or NULL.
 */
void *kmag_memdup(const void *src, size_t len, gfp_t gfp);

/**
 * kmag_strdup() - duplicate a string, like kstrdup()
 * @s: the string, or NULL
 * @gfp: as for kmag_alloc()
 *
 * A copy below 16 bytes is a tiny object (see kmag_alloc_tiny()).
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the copy (free with kmag_free()), or NULL (also for a NULL @s).
 */
char *kmag_strdup(const char *s, gfp_t gfp);

/**
 * kmag_strndup() - duplicate at most @max characters, like kstrndup()
 * @s: the string, or NULL
 * @max: most characters copied (a NUL is always added)
 * @gfp: as for kmag_alloc()
 *
 * A copy below 16 bytes is a tiny object (see kmag_alloc_tiny()).
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the copy (free with kmag_free()), or NULL (also for a NULL @s).
 */
char *kmag_strndup(const char *s, size_t max, gfp_t gfp);

/**
 * kmag_kvmalloc_node() - kmag memory, else vmalloc, like kvmalloc_node()
 * @size: bytes
 * @gfp: flags; only those that allow blocking (GFP_KERNEL, GFP_NOFS,
 *       GFP_NOIO...) may fall back to vmalloc; GFP_ATOMIC or GFP_NOWAIT give
 *       kmag memory or NULL
 * @node: as for kmag_alloc_node(); for vmalloc only with GFP_KERNEL
 *        (optionally __GFP_ZERO, __GFP_NOWARN), as the exported vmalloc
 *        interfaces allow
 *
 * As kvmalloc_node() in 6.1: above a page, kmag is tried without hard
 * retries or a warning, then vmalloc; requests above KMAG_MAX_ALLOC go to
 * vmalloc directly. Free with kmag_kvfree().
 *
 * Context: process context if the fallback may be used; otherwise as for
 * kmag_alloc().
 * Return: the memory, ZERO_SIZE_PTR, or NULL.
 */
void *kmag_kvmalloc_node(size_t size, gfp_t gfp, int node);

/**
 * kmag_kvmalloc() - like kvmalloc()
 * @size: bytes
 * @gfp: as for kmag_kvmalloc_node()
 *
 * Context: as for kmag_kvmalloc_node().
 * Return: the memory, ZERO_SIZE_PTR, or NULL.
 */
static inline void *kmag_kvmalloc(size_t size, gfp_t gfp)
{
	return kmag_kvmalloc_node(size, gfp, NUMA_NO_NODE);
}

/**
 * kmag_kvzalloc() - like kvzalloc()
 * @size: bytes
 * @gfp: as for kmag_kvmalloc_node()
 *
 * Context: as for kmag_kvmalloc_node().
 * Return: the zeroed memory, ZERO_SIZE_PTR, or NULL.
 */
static inline void *kmag_kvzalloc(size_t size, gfp_t gfp)
{
	return kmag_kvmalloc_node(size, gfp | __GFP_ZERO, NUMA_NO_NODE);
}

/**
 * kmag_kvzalloc_node() - like kvzalloc_node()
 * @size: bytes
 * @gfp: as for kmag_kvmalloc_node()
 * @node: as for kmag_kvmalloc_node()
 *
 * Context: as for kmag_kvmalloc_node().
 * Return: the zeroed memory, ZERO_SIZE_PTR, or NULL.
 */
static inline void *kmag_kvzalloc_node(size_t size, gfp_t gfp, int node)
{
	return kmag_kvmalloc_node(size, gfp | __GFP_ZERO, node);
}

/**
 * kmag_kvmalloc_array() - like kvmalloc_array()
 * @n: number of elements
 * @size: bytes per element
 * @gfp: as for kmag_kvmalloc_node()
 *
 * Context: as for kmag_kvmalloc_node().
 * Return: the array, ZERO_SIZE_PTR, or NULL (also when @n * @size overflows).
 */
static inline void *kmag_kvmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return kmag_kvmalloc_node(bytes, gfp, NUMA_NO_NODE);
}

/**
 * kmag_kvcalloc() - like kvcalloc()
 * @n: number of elements
 * @size: bytes per element
 * @gfp: as for kmag_kvmalloc_node()
 *
 * Context: as for kmag_kvmalloc_node().
 * Return: the zeroed array, ZERO_SIZE_PTR, or NULL (also on overflow).
 */
static inline void *kmag_kvcalloc(size_t n, size_t size, gfp_t gfp)
{
	return kmag_kvmalloc_array(n, size, gfp | __GFP_ZERO);
}

/**
 * kmag_kvrealloc() - like kvrealloc() (6.1)
 * @p: memory from kmag_kvmalloc() and friends, or NULL
 * @oldsize: bytes of @p in use
 * @newsize: bytes wanted
 * @gfp: as for kmag_kvmalloc_node()
 *
 * Context: as for kmag_kvmalloc_node().
 * Return: @p if @newsize <= @oldsize; else new memory holding the first
 * @oldsize bytes of @p, which is freed; NULL on failure (@p untouched).
 */
void *kmag_kvrealloc(const void *p, size_t oldsize, size_t newsize, gfp_t gfp);

/**
 * kmag_kvfree() - free kmag_kvmalloc() memory, like kvfree()
 * @p: memory from kmag_kvmalloc() and friends (kmag or vmalloc), NULL or
 *     ZERO_SIZE_PTR
 *
 * Memory from kmalloc() is not kmag's: it is reported, counted in
 * invalid_frees and not freed.
 *
 * Context: process context for vmalloc memory (as vfree()); otherwise any.
 */
void kmag_kvfree(const void *p);

/**
 * kmag_kvfree_sensitive() - wipe @len bytes and free, like kvfree_sensitive()
 * @p: as for kmag_kvfree()
 * @len: bytes to wipe
 *
 * Context: as for kmag_kvfree().
 */
void kmag_kvfree_sensitive(const void *p, size_t len);

/**
 * kmag_owns() - is @p in memory kmag holds? (like kmem_valid_obj())
 * @p: any pointer
 *
 * True for any address inside a page kmag holds, live object or not: what
 * decides between kmag_free() and kfree() for memory of unknown origin
 * (include/kmag_slab.h).
 *
 * Context: any context.
 * Return: true if kmag holds the page of @p.
 */
bool kmag_owns(const void *p);

/**
 * kmag_dump_obj() - print what kmag knows about @p, like kmem_dump_obj()
 * @p: any pointer
 *
 * For a pointer into a kmag object: its cache, object start and size,
 * offset, allocated or free, span and node, and for SLAB_STORE_USER caches
 * who allocated and freed it last. The object must not be freed meanwhile.
 *
 * Context: any context.
 * Return: true if kmag holds @p's page (something was printed), else false.
 */
bool kmag_dump_obj(const void *p);

/**
 * kmag_cache_zalloc() - a zeroed object, like kmem_cache_zalloc()
 * @c: the cache
 * @gfp: as for kmag_alloc()
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the zeroed object, or NULL.
 */
void *kmag_cache_zalloc(struct kmag_cache *c, gfp_t gfp);

/**
 * kmag_cache_alloc_node() - an object on a node, like kmem_cache_alloc_node()
 * @c: the cache
 * @gfp: as for kmag_alloc()
 * @node: as for kmag_alloc_node()
 *
 * Context: any context; may sleep only if @gfp allows blocking.
 * Return: the object, or NULL (also for a node id that cannot exist).
 */
void *kmag_cache_alloc_node(struct kmag_cache *c, gfp_t gfp, int node);

/**
 * kmag_cache_shrink() - give back what @c caches, like kmem_cache_shrink()
 * @c: the cache, or NULL
 *
 * Every CPU's magazines and the depot of @c go back to their spans, and
 * free spans to the page heap (which gives pages back on its schedule).
 *
 * Context: process context; may sleep.
 * Return: 0.
 */
int kmag_cache_shrink(struct kmag_cache *c);

/**
 * kmag_cache_size() - object size of @c, like kmem_cache_size()
 * @c: the cache, or NULL
 *
 * Context: any context.
 * Return: the size given at creation (what kmag_size() reports for its
 * objects), or 0 for NULL.
 */
unsigned int kmag_cache_size(struct kmag_cache *c);

#if defined(__has_include)
#if __has_include("linux/cleanup.h")
#include <linux/cleanup.h>
/* void *p __free(kmag_free) = kmag_alloc(...): freed at the end of scope. */
DEFINE_FREE(kmag_free, void *, if (!IS_ERR_OR_NULL(_T)) kmag_free(_T))
#endif
#endif

#endif /* _KMAG_H */
