/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmag_slab.h: route a module's slab API calls to kmag with one include.
 *
 * Include it after every other header of a source file (or pass it with
 * -include, as it includes what it overrides first). From then on, in that
 * file, kmalloc()/kfree()/kmem_cache_*() and the rest of
 * include/linux/slab.h (6.1) are kmag's: struct kmem_cache is struct
 * kmag_cache, KMEM_CACHE() is KMAG_CACHE(), and so on. See README, "The slab
 * API", for the list.
 *
 * Limits, which the converted module must respect:
 * - Objects the module allocates are kmag's: code outside the module must
 *   not kfree() them (the kernel's kfree() does not know kmag's pages).
 *   Hand objects to other code only if it gives them back to the module.
 * - The other way round works: memory the kernel allocated with kmalloc()
 *   (kasprintf(), kstrdup() in kernel code, ...) and the module frees with
 *   kfree(), kvfree(), kfree_sensitive(), ksize() or krealloc() goes to the
 *   kernel's function: these wrappers ask kmag_owns() first. kmag's own
 *   checks (double and invalid frees) thus cover kmag's pages only; a bad
 *   pointer outside them meets the kernel's kfree(), as it would have.
 * - kmem_cache_alloc_lru() ignores its list_lru (kmag does no memcg
 *   accounting); SLAB_ACCOUNT charges nothing.
 * - Memory for DMA (GFP_DMA, SLAB_CACHE_DMA) is refused: NULL.
 * - Macros replace names, not function pointers taken before this header.
 */
#ifndef _KMAG_SLAB_H
#define _KMAG_SLAB_H

#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <kmag.h>

/* Memory of either origin: kmag's goes to kmag, the rest to the kernel. */
static inline void kmag_slab_kfree(const void *p)
{
	if (kmag_owns(p))
		kmag_free(p);
	else
		kfree(p);
}

static inline void kmag_slab_kfree_sensitive(const void *p)
{
	if (kmag_owns(p))
		kmag_free_sensitive(p);
	else
		kfree_sensitive(p);
}

static inline void kmag_slab_kvfree(const void *p)
{
	if (kmag_owns(p))
		kmag_free(p);
	else
		kvfree(p);
}

static inline void kmag_slab_kvfree_sensitive(const void *p, size_t len)
{
	if (kmag_owns(p))
		kmag_kvfree_sensitive(p, len);
	else
		kvfree_sensitive(p, len);
}

static inline size_t kmag_slab_ksize(const void *p)
{
	return kmag_owns(p) ? kmag_size(p) : ksize(p);
}

static inline void *kmag_slab_krealloc(const void *p, size_t n, gfp_t gfp)
{
	if (!ZERO_OR_NULL_PTR(p) && !kmag_owns(p))
		return krealloc(p, n, gfp);
	return kmag_realloc(p, n, gfp);
}

static inline void *kmag_slab_krealloc_array(const void *p, size_t n,
					     size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(check_mul_overflow(n, size, &bytes)))
		return NULL;
	return kmag_slab_krealloc(p, bytes, gfp);
}

static inline void *kmag_slab_kvrealloc(const void *p, size_t oldsize,
					size_t newsize, gfp_t gfp)
{
	void *n;

	if (oldsize >= newsize)
		return (void *)p;
	n = kmag_kvmalloc(newsize, gfp);
	if (!n)
		return NULL;
	if (p)
		memcpy(n, p, oldsize);
	kmag_slab_kvfree(p);
	return n;
}

static inline void kmag_slab_kfree_bulk(size_t n, void **p)
{
	size_t i;

	for (i = 0; i < n; i++)
		kmag_slab_kfree(p[i]);
}

/*
 * Each name is #undef'd first: some are macros in the kernel's headers
 * (kfree_rcu, KMEM_CACHE, ...; most of them from 6.10 on).
 */
/* kmalloc and friends */
#undef kmalloc
#define kmalloc(size, gfp)		kmag_alloc(size, gfp)
#undef kmalloc_node
#define kmalloc_node(size, gfp, node)	kmag_alloc_node(size, gfp, node)
#undef kzalloc
#define kzalloc(size, gfp)		kmag_zalloc(size, gfp)
#undef kzalloc_node
#define kzalloc_node(size, gfp, node)	kmag_zalloc_node(size, gfp, node)
#undef kcalloc
#define kcalloc(n, size, gfp)		kmag_calloc(n, size, gfp)
#undef kcalloc_node
#define kcalloc_node(n, size, gfp, node) kmag_calloc_node(n, size, gfp, node)
#undef kmalloc_array
#define kmalloc_array(n, size, gfp)	kmag_alloc_array(n, size, gfp)
#undef kmalloc_array_node
#define kmalloc_array_node(n, size, gfp, node) \
	kmag_alloc_array_node(n, size, gfp, node)
#undef kmalloc_track_caller
#define kmalloc_track_caller(size, gfp)	kmag_alloc_track_caller(size, gfp)
#undef kmalloc_node_track_caller
#define kmalloc_node_track_caller(size, gfp, node) \
	kmag_alloc_node_track_caller(size, gfp, node)
#undef krealloc
#define krealloc(p, size, gfp)		kmag_slab_krealloc(p, size, gfp)
#undef krealloc_array
#define krealloc_array(p, n, size, gfp)	kmag_slab_krealloc_array(p, n, size, gfp)
#undef kfree
#define kfree(p)			kmag_slab_kfree(p)
#undef kfree_sensitive
#define kfree_sensitive(p)		kmag_slab_kfree_sensitive(p)
#undef kfree_bulk
#define kfree_bulk(n, p)		kmag_slab_kfree_bulk(n, p)
#undef ksize
#define ksize(p)			kmag_slab_ksize(p)
#undef kmalloc_size_roundup
#define kmalloc_size_roundup(size)	kmag_size_roundup(size)
#undef kmemdup
#define kmemdup(src, len, gfp)		kmag_memdup(src, len, gfp)
#undef kstrdup
#define kstrdup(s, gfp)			kmag_strdup(s, gfp)
#undef kstrndup
#define kstrndup(s, max, gfp)		kmag_strndup(s, max, gfp)
#undef kfree_rcu
#define kfree_rcu(obj, rhf)		kmag_free_rcu(obj, rhf)
#undef kmem_valid_obj
#define kmem_valid_obj(p)		kmag_owns(p)
#undef kmem_dump_obj
#define kmem_dump_obj(p)		((void)kmag_dump_obj(p))

/* kvmalloc and friends */
#undef kvmalloc
#define kvmalloc(size, gfp)		kmag_kvmalloc(size, gfp)
#undef kvmalloc_node
#define kvmalloc_node(size, gfp, node)	kmag_kvmalloc_node(size, gfp, node)
#undef kvzalloc
#define kvzalloc(size, gfp)		kmag_kvzalloc(size, gfp)
#undef kvzalloc_node
#define kvzalloc_node(size, gfp, node)	kmag_kvzalloc_node(size, gfp, node)
#undef kvmalloc_array
#define kvmalloc_array(n, size, gfp)	kmag_kvmalloc_array(n, size, gfp)
#undef kvcalloc
#define kvcalloc(n, size, gfp)		kmag_kvcalloc(n, size, gfp)
#undef kvrealloc
#define kvrealloc(p, oldsize, newsize, gfp) \
	kmag_slab_kvrealloc(p, oldsize, newsize, gfp)
#undef kvfree
#define kvfree(p)			kmag_slab_kvfree(p)
#undef kvfree_sensitive
#define kvfree_sensitive(p, len)	kmag_slab_kvfree_sensitive(p, len)

/* kmem_cache */
#undef kmem_cache
#define kmem_cache			kmag_cache
#undef kmem_cache_create
#define kmem_cache_create(name, size, align, flags, ctor) \
	kmag_cache_create(name, size, align, flags, ctor)
#undef kmem_cache_create_usercopy
#define kmem_cache_create_usercopy(name, size, align, flags, off, usize, ctor) \
	kmag_cache_create_usercopy(name, size, align, flags, off, usize, ctor)
#undef KMEM_CACHE
#define KMEM_CACHE(s, flags)		KMAG_CACHE(s, flags)
#undef KMEM_CACHE_USERCOPY
#define KMEM_CACHE_USERCOPY(s, flags, field) KMAG_CACHE_USERCOPY(s, flags, field)
#undef kmem_cache_alloc
#define kmem_cache_alloc(c, gfp)	kmag_cache_alloc(c, gfp)
#undef kmem_cache_zalloc
#define kmem_cache_zalloc(c, gfp)	kmag_cache_zalloc(c, gfp)
#undef kmem_cache_alloc_node
#define kmem_cache_alloc_node(c, gfp, node) kmag_cache_alloc_node(c, gfp, node)
#undef kmem_cache_alloc_lru
#define kmem_cache_alloc_lru(c, lru, gfp) kmag_cache_alloc(c, gfp)
#undef kmem_cache_free
#define kmem_cache_free(c, p)		kmag_cache_free(c, p)
#undef kmem_cache_alloc_bulk
#define kmem_cache_alloc_bulk(c, gfp, n, p) kmag_cache_alloc_bulk(c, gfp, n, p)
#undef kmem_cache_free_bulk
#define kmem_cache_free_bulk(c, n, p)	kmag_cache_free_bulk(c, n, p)
#undef kmem_cache_destroy
#define kmem_cache_destroy(c)		kmag_cache_destroy(c)
#undef kmem_cache_shrink
#define kmem_cache_shrink(c)		kmag_cache_shrink(c)
#undef kmem_cache_size
#define kmem_cache_size(c)		kmag_cache_size(c)

#endif /* _KMAG_SLAB_H */
