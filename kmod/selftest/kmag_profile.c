// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_profile: a client for scripts/selftests/kmag/kmag_profile.sh, which
 * reads kmag's heap profile (debugfs heap_profile, §19 of the theory
 * statement) while this module is loaded. At load it allocates, and keeps
 * until unload:
 *   kmag_profile_big()    PROFILE_BIG_MB MiB in kmag_alloc(1024) objects;
 *   kmag_profile_small()  PROFILE_SMALL_MB MiB in the same objects;
 *   kmag_profile_large()  PROFILE_LARGE_MB MiB in kmag_alloc(65536) objects
 *                         (large objects, above 32 KiB);
 *   kmag_profile_cached() PROFILE_CACHE_MB MiB of 512-byte objects of a
 *                         cache "kmag_profile"; with destroy=1 the cache is
 *                         destroyed right after, its objects still live
 *                         (they are freed at unload, as kmag allows).
 * Each function is noinline and not __init, so that it names its
 * allocations' stacks in the profile while the module is loaded. The
 * pointer arrays come from the kernel's allocator, not from kmag.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>

#include <kmag.h>

#define PROFILE_BIG_MB		20
#define PROFILE_SMALL_MB	2
#define PROFILE_LARGE_MB	4
#define PROFILE_OBJ		1024
#define PROFILE_LARGE_OBJ	65536
#define PROFILE_CACHE_MB	1
#define PROFILE_CACHE_OBJ	512
#define PROFILE_NR(mb, obj)	((mb) * (1UL << 20) / (obj))
#define NR_BIG			PROFILE_NR(PROFILE_BIG_MB, PROFILE_OBJ)
#define NR_SMALL		PROFILE_NR(PROFILE_SMALL_MB, PROFILE_OBJ)
#define NR_LARGE		PROFILE_NR(PROFILE_LARGE_MB, PROFILE_LARGE_OBJ)
#define NR_CACHED		PROFILE_NR(PROFILE_CACHE_MB, PROFILE_CACHE_OBJ)

static void **big, **small, **large, **cached;
static struct kmag_cache *cache;

static bool destroy;
module_param(destroy, bool, 0444);
MODULE_PARM_DESC(destroy, "destroy the cache while its objects are live");

/*
 * @n objects into @objs: of cache @c, or (@c NULL) kmag_alloc(@size).
 * Inlined into each caller, whose name the profile's stacks show.
 * Return: 0 or -ENOMEM.
 */
static __always_inline int kmag_profile_fill(struct kmag_cache *c, void **objs,
					     unsigned long n, size_t size)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		objs[i] = c ? kmag_cache_alloc(c, GFP_KERNEL) : kmag_alloc(size, GFP_KERNEL);
		if (!objs[i])
			return -ENOMEM;
	}
	return 0;
}

static noinline int kmag_profile_big(void)
{
	return kmag_profile_fill(NULL, big, NR_BIG, PROFILE_OBJ);
}

static noinline int kmag_profile_small(void)
{
	return kmag_profile_fill(NULL, small, NR_SMALL, PROFILE_OBJ);
}

static noinline int kmag_profile_large(void)
{
	return kmag_profile_fill(NULL, large, NR_LARGE, PROFILE_LARGE_OBJ);
}

static noinline int kmag_profile_cached(void)
{
	return kmag_profile_fill(cache, cached, NR_CACHED, PROFILE_CACHE_OBJ);
}

/* Free what kmag_profile_fill(@c, @objs, @n) made (NULL past a failure). */
static void kmag_profile_free(struct kmag_cache *c, void **objs, unsigned long n)
{
	unsigned long i;

	if (!objs)
		return;
	for (i = 0; i < n; i++)
		if (c)
			kmag_cache_free(c, objs[i]);
		else
			kmag_free(objs[i]);
	kvfree(objs);
}

static void kmag_profile_free_all(void)
{
	kmag_profile_free(NULL, big, NR_BIG);
	kmag_profile_free(NULL, small, NR_SMALL);
	kmag_profile_free(NULL, large, NR_LARGE);
	kmag_profile_free(cache, cached, NR_CACHED);
	if (!destroy)
		kmag_cache_destroy(cache);	/* else done at load */
}

static int __init kmag_profile_init(void)
{
	big = kvcalloc(NR_BIG, sizeof(void *), GFP_KERNEL);
	small = kvcalloc(NR_SMALL, sizeof(void *), GFP_KERNEL);
	large = kvcalloc(NR_LARGE, sizeof(void *), GFP_KERNEL);
	cached = kvcalloc(NR_CACHED, sizeof(void *), GFP_KERNEL);
	cache = kmag_cache_create("kmag_profile", PROFILE_CACHE_OBJ, 0, 0, NULL);
	if (!big || !small || !large || !cached || !cache || kmag_profile_big() ||
	    kmag_profile_small() || kmag_profile_large() || kmag_profile_cached()) {
		pr_err("allocation failed\n");
		destroy = false;
		kmag_profile_free_all();
		return -ENOMEM;
	}
	if (destroy)
		kmag_cache_destroy(cache);
	pr_info("%d MiB, %d MiB, %d MiB and %d MiB allocated\n", PROFILE_BIG_MB,
		PROFILE_SMALL_MB, PROFILE_LARGE_MB, PROFILE_CACHE_MB);
	return 0;
}

static void __exit kmag_profile_exit(void)
{
	kmag_profile_free_all();
}

module_init(kmag_profile_init);
module_exit(kmag_profile_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmag heap profile selftest client: 20 MiB, 2 MiB and 4 MiB from three functions");
