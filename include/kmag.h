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
 * ZERO_SIZE_PTR, objects are at least 8-byte aligned, power-of-two sizes up
 * to PAGE_SIZE are naturally aligned (page aligned above), __GFP_ZERO and the
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

void *kmag_alloc(size_t size, gfp_t gfp);
void *kmag_alloc_node(size_t size, gfp_t gfp, int node);
void *kmag_zalloc(size_t size, gfp_t gfp);
void *kmag_calloc(size_t n, size_t size, gfp_t gfp);
void *kmag_alloc_array(size_t n, size_t size, gfp_t gfp);
void *kmag_realloc(const void *p, size_t new_size, gfp_t gfp);
void kmag_free(const void *p);
void kmag_free_sensitive(const void *p);
size_t kmag_size(const void *p);

struct kmag_cache *kmag_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned long flags,
				     void (*ctor)(void *));
void *kmag_cache_alloc(struct kmag_cache *c, gfp_t gfp);
void kmag_cache_free(struct kmag_cache *c, void *p);
int kmag_cache_alloc_bulk(struct kmag_cache *c, gfp_t gfp, size_t n, void **p);
void kmag_cache_free_bulk(struct kmag_cache *c, size_t n, void **p);
void kmag_cache_destroy(struct kmag_cache *c);

#endif /* _KMAG_H */
