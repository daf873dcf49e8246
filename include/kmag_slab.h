/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmag_slab.h: route a module's slab API calls to kmag with one include.
 *
 * Include it after every other header of a source file. From then on, in
 * that file, kmalloc()/kfree()/kmem_cache_*() and the rest of
 * include/linux/slab.h (6.1) are kmag's: struct kmem_cache is struct
 * kmag_cache, KMEM_CACHE() is KMAG_CACHE(), and so on. See README, "The slab
 * API", for the list. Not with -include: kernel headers read after it would
 * be rewritten too (a struct kmem_cache * parameter of a kernel function
 * would become a struct kmag_cache *).
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
 * - kfree_rcu() and kvfree_rcu() (one or two arguments) and their
 *   _mightsleep forms, and __free(kfree) (cleanup.h), sort kmag and kernel
 *   memory out the same way.
 * - kmem_cache_alloc_lru() ignores its list_lru (kmag does no memcg
 *   accounting); SLAB_ACCOUNT charges nothing. kmem_valid_obj() is true
 *   for kmag memory only (the kernel's is not exported).
 * - Memory for DMA (GFP_DMA, SLAB_CACHE_DMA) is refused: NULL.
 * - The names are object-like macros where the signatures allow, so that
 *   a function pointer taken after this header (.free = kfree) is kmag's
 *   too; pointers taken before it are the kernel's.
 */
#ifndef _KMAG_SLAB_H
#define _KMAG_SLAB_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <kmag.h>
#include <kmag_compat.h>

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
	if (!ZERO_OR_NULL_PTR(p) && !kmag_owns(p))
		return krealloc_array((void *)p, n, size, gfp);
	return kmag_krealloc_array(p, n, size, gfp);
}

#ifdef KMAG_KVREALLOC_HAS_OLDSIZE
static inline void *kmag_slab_kvrealloc(const void *p, size_t oldsize,
					size_t newsize, gfp_t gfp)
{
	if (!ZERO_OR_NULL_PTR(p) && !kmag_owns(p) && !is_vmalloc_addr(p))
		return kvrealloc(p, oldsize, newsize, gfp);
	return kmag_kvrealloc(p, oldsize, newsize, gfp);
}
#else
/* 6.11+: no old size; vmalloc memory is the kernel's vrealloc()'s. */
static inline void *kmag_slab_kvrealloc(const void *p, size_t newsize,
					gfp_t gfp)
{
	if (!ZERO_OR_NULL_PTR(p) && !kmag_owns(p))
		return kvrealloc(p, newsize, gfp);
	return kmag_kvrealloc(p, ZERO_OR_NULL_PTR(p) ? 0 : kmag_size(p),
			      newsize, gfp);
}
#endif

static inline void kmag_slab_kfree_bulk(size_t n, void **p)
{
	size_t i;

	for (i = 0; i < n; i++)
		kmag_slab_kfree(p[i]);
}

struct list_lru;

static inline void *kmag_slab_cache_alloc_lru(struct kmag_cache *c,
					      struct list_lru *lru, gfp_t gfp)
{
	return kmag_cache_alloc(c, gfp);
}

static inline bool kmag_slab_kmem_dump_obj(void *p)
{
	return kmag_owns(p) ? kmag_dump_obj(p) : kmem_dump_obj(p);
}

/* fs.h's names cache is the kernel's cache, not one of kmag's. */
static inline char *kmag_slab_getname(void)
{
	return __getname();
}

static inline void kmag_slab_putname(const char *name)
{
	__putname(name);
}

/*
 * kfree_rcu(p, rhf): kmag's objects through kmag_free_rcu(), others as the
 * kernel's kvfree_rcu() does. kfree_rcu(p) (one argument, may sleep):
 * after a grace period, either way.
 */
#define kmag_slab_kvfree_rcu_2(ptr, rhf)					\
	do {									\
		typeof(ptr) ___kp = (ptr);					\
										\
		if (!___kp)							\
			break;							\
		if (kmag_owns(___kp))						\
			kmag_free_rcu_head(&___kp->rhf);			\
		else								\
			kmag_kvfree_call_rcu(&___kp->rhf, ___kp,		\
					     offsetof(typeof(*(ptr)), rhf));	\
	} while (0)

#define kmag_slab_kvfree_rcu_1(ptr)						\
	do {									\
		typeof(ptr) ___kp = (ptr);					\
										\
		if (!___kp)							\
			break;							\
		if (kmag_owns(___kp)) {						\
			synchronize_rcu();					\
			kmag_free(___kp);					\
		} else {							\
			kmag_kvfree_call_rcu(NULL, ___kp, ___kp);		\
		}								\
	} while (0)

#define KMAG_SLAB_PICK(_1, _2, name, ...) name

/*
 * Each name is #undef'd first: some are macros in the kernel's headers
 * (kfree_rcu, KMEM_CACHE, ...; most of them from 6.10 on).
 */
/* kmalloc and friends */
#undef kmalloc
#define kmalloc				kmag_alloc
#undef kmalloc_node
#define kmalloc_node			kmag_alloc_node
#undef kzalloc
#define kzalloc				kmag_zalloc
#undef kzalloc_node
#define kzalloc_node			kmag_zalloc_node
#undef kcalloc
#define kcalloc				kmag_calloc
#undef kcalloc_node
#define kcalloc_node			kmag_calloc_node
#undef kmalloc_array
#define kmalloc_array			kmag_alloc_array
#undef kmalloc_array_node
#define kmalloc_array_node		kmag_alloc_array_node
#undef kmalloc_track_caller
#define kmalloc_track_caller(size, gfp)	kmag_alloc_track_caller(size, gfp)
#undef kmalloc_node_track_caller
#define kmalloc_node_track_caller(size, gfp, node) \
	kmag_alloc_node_track_caller(size, gfp, node)
#undef krealloc
#define krealloc			kmag_slab_krealloc
#undef krealloc_array
#define krealloc_array			kmag_slab_krealloc_array
#undef kfree
#define kfree				kmag_slab_kfree
#undef kfree_sensitive
#define kfree_sensitive			kmag_slab_kfree_sensitive
#undef kfree_bulk
#define kfree_bulk			kmag_slab_kfree_bulk
#undef ksize
#define ksize				kmag_slab_ksize
#undef kmalloc_size_roundup
#define kmalloc_size_roundup		kmag_size_roundup
#undef kmemdup
#define kmemdup				kmag_memdup
#undef kstrdup
#define kstrdup				kmag_strdup
#undef kstrndup
#define kstrndup			kmag_strndup
#undef kvfree_rcu
#define kvfree_rcu(...)							\
	KMAG_SLAB_PICK(__VA_ARGS__, kmag_slab_kvfree_rcu_2,		\
		       kmag_slab_kvfree_rcu_1)(__VA_ARGS__)
#undef kfree_rcu
#define kfree_rcu(ptr, rhf...)		kvfree_rcu(ptr, ## rhf)
#undef kvfree_rcu_mightsleep
#define kvfree_rcu_mightsleep(ptr)	kmag_slab_kvfree_rcu_1(ptr)
#undef kfree_rcu_mightsleep
#define kfree_rcu_mightsleep(ptr)	kmag_slab_kvfree_rcu_1(ptr)
#undef kmem_valid_obj
#define kmem_valid_obj			kmag_owns
#undef kmem_dump_obj
#define kmem_dump_obj			kmag_slab_kmem_dump_obj

/* kvmalloc and friends */
#undef kvmalloc
#define kvmalloc			kmag_kvmalloc
#undef kvmalloc_node
#define kvmalloc_node			kmag_kvmalloc_node
#undef kvzalloc
#define kvzalloc			kmag_kvzalloc
#undef kvzalloc_node
#define kvzalloc_node			kmag_kvzalloc_node
#undef kvmalloc_array
#define kvmalloc_array			kmag_kvmalloc_array
#undef kvcalloc
#define kvcalloc			kmag_kvcalloc
#undef kvrealloc
#define kvrealloc			kmag_slab_kvrealloc
#undef kvfree
#define kvfree				kmag_slab_kvfree
#undef kvfree_sensitive
#define kvfree_sensitive		kmag_slab_kvfree_sensitive

/* kmem_cache */
#undef kmem_cache
#define kmem_cache			kmag_cache
#undef kmem_cache_create
#define kmem_cache_create		kmag_cache_create
#undef kmem_cache_create_usercopy
#define kmem_cache_create_usercopy	kmag_cache_create_usercopy
#undef KMEM_CACHE
#define KMEM_CACHE(s, flags)		KMAG_CACHE(s, flags)
#undef KMEM_CACHE_USERCOPY
#define KMEM_CACHE_USERCOPY(s, flags, field) KMAG_CACHE_USERCOPY(s, flags, field)
#undef kmem_cache_alloc
#define kmem_cache_alloc		kmag_cache_alloc
#undef kmem_cache_zalloc
#define kmem_cache_zalloc		kmag_cache_zalloc
#undef kmem_cache_alloc_node
#define kmem_cache_alloc_node		kmag_cache_alloc_node
#undef kmem_cache_alloc_lru
#define kmem_cache_alloc_lru		kmag_slab_cache_alloc_lru
#undef kmem_cache_free
#define kmem_cache_free			kmag_cache_free
#undef kmem_cache_alloc_bulk
#define kmem_cache_alloc_bulk		kmag_cache_alloc_bulk
#undef kmem_cache_free_bulk
#define kmem_cache_free_bulk		kmag_cache_free_bulk
#undef kmem_cache_destroy
#define kmem_cache_destroy		kmag_cache_destroy
#undef kmem_cache_shrink
#define kmem_cache_shrink		kmag_cache_shrink
#undef kmem_cache_size
#define kmem_cache_size			kmag_cache_size

/* fs.h: the kernel's names cache stays the kernel's. */
#undef __getname
#define __getname()			kmag_slab_getname()
#undef __putname
#define __putname(name)			kmag_slab_putname(name)

/* cleanup.h: __free(kfree) frees as kfree() above does. */
#ifdef DEFINE_FREE
DEFINE_FREE(kmag_slab_kfree, void *, if (!IS_ERR_OR_NULL(_T)) kmag_slab_kfree(_T))
#define __free_kfree			__free_kmag_slab_kfree
#endif

#endif /* _KMAG_SLAB_H */
