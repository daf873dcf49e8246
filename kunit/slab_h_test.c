// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite kmag_slab_h: include/kmag_slab.h, the one-include switch.
 * This file is written against the slab API and includes kmag_slab.h last:
 * every kmalloc/kfree/kmem_cache_* name below must reach kmag, and memory
 * the kernel allocated (kasprintf, vmalloc) must go back to the kernel.
 */
#include <kunit/test.h>
#include <linux/fs.h>
#include <linux/rcupdate.h>
#include <linux/vmalloc.h>

#include "kmag_test.h"

#include <kmag_slab.h>

static long kmag_slab_h_stat(size_t offset)
{
	struct kmag_stats st;

	kmag_stats_read(&st);
	return *(long *)((char *)&st + offset);
}

#define LIVE()		kmag_slab_h_stat(offsetof(struct kmag_stats, live_objects))
#define INVALID()	kmag_slab_h_stat(offsetof(struct kmag_stats, invalid_frees))
#define DOUBLE()	kmag_slab_h_stat(offsetof(struct kmag_stats, double_frees))

/* Every allocating name gives kmag memory; kfree/kvfree give it back. */
static void kmag_slab_h_alloc_names(struct kunit *test)
{
	long live = LIVE(), inv = INVALID();
	void *p[17];
	int i, n = 0;

	p[n++] = kmalloc(40, GFP_KERNEL);
	p[n++] = kmalloc_node(40, GFP_KERNEL, NUMA_NO_NODE);
	p[n++] = kzalloc(300, GFP_KERNEL);
	p[n++] = kzalloc_node(300, GFP_KERNEL, first_online_node);
	p[n++] = kcalloc(10, 30, GFP_KERNEL);
	p[n++] = kcalloc_node(10, 30, GFP_KERNEL, NUMA_NO_NODE);
	p[n++] = kmalloc_array(10, 30, GFP_KERNEL);
	p[n++] = kmalloc_array_node(10, 30, GFP_KERNEL, NUMA_NO_NODE);
	p[n++] = kmalloc_track_caller(64, GFP_KERNEL);
	p[n++] = kmalloc_node_track_caller(64, GFP_KERNEL, NUMA_NO_NODE);
	p[n++] = kmemdup("kmag", 5, GFP_KERNEL);
	p[n++] = kstrdup("kmag_slab", GFP_KERNEL);
	p[n++] = kstrndup("kmag_slab", 4, GFP_KERNEL);
	p[n++] = kvmalloc(5000, GFP_KERNEL);
	p[n++] = kvzalloc(70000, GFP_KERNEL);
	p[n++] = kvmalloc_array(3, 1000, GFP_KERNEL);
	p[n++] = kvcalloc(3, 1000, GFP_KERNEL);
	for (i = 0; i < n; i++) {
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p[i]);
		KUNIT_EXPECT_TRUE_MSG(test, kmag_owns(p[i]), "allocation %d", i);
		KUNIT_EXPECT_FALSE(test, is_vmalloc_addr(p[i]));
	}
	KUNIT_EXPECT_EQ(test, LIVE(), live + n);
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p[2], 300));
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p[3], 300));
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p[4], 300));
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p[5], 300));
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p[14], 70000));
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(p[16], 3000));
	KUNIT_EXPECT_STREQ(test, (char *)p[10], "kmag");
	KUNIT_EXPECT_STREQ(test, (char *)p[11], "kmag_slab");
	KUNIT_EXPECT_STREQ(test, (char *)p[12], "kmag");
	KUNIT_EXPECT_EQ(test, ksize(p[0]), kmag_size(p[0]));
	KUNIT_EXPECT_EQ(test, ksize(p[0]), kmalloc_size_roundup(40));
	/* Overflow: NULL, as the kernel's. */
	KUNIT_EXPECT_NULL(test, kmalloc_array(SIZE_MAX / 2, 4, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, kcalloc(SIZE_MAX / 2, 4, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, kvmalloc_array(SIZE_MAX / 2, 4, GFP_KERNEL));

	kfree(p[0]);
	kfree_sensitive(p[1]);
	kfree_bulk(11, &p[2]);
	for (i = 13; i < n; i++)
		kvfree(p[i]);
	KUNIT_EXPECT_EQ(test, LIVE(), live);
	KUNIT_EXPECT_EQ(test, INVALID(), inv);
}

/* krealloc, krealloc_array, kvrealloc on kmag memory stay in kmag. */
static void kmag_slab_h_realloc(struct kunit *test)
{
	long live = LIVE();
	char *p, *q;

	p = kmalloc(16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memcpy(p, "0123456789abcde", 16);
	q = krealloc(p, 5000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, kmag_owns(q));
	KUNIT_EXPECT_STREQ(test, q, "0123456789abcde");
	p = krealloc_array(q, 100, 100, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_STREQ(test, p, "0123456789abcde");
	KUNIT_EXPECT_NULL(test, krealloc_array(p, SIZE_MAX / 2, 4, GFP_KERNEL));
#ifdef KMAG_KVREALLOC_HAS_OLDSIZE
	q = kvrealloc(p, 10000, 20000, GFP_KERNEL);
#else
	q = kvrealloc(p, 20000, GFP_KERNEL);
#endif
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, kmag_owns(q));
	KUNIT_EXPECT_STREQ(test, q, "0123456789abcde");
	kvfree(q);
	KUNIT_EXPECT_EQ(test, LIVE(), live);
}

/*
 * Memory the kernel allocated goes back to the kernel: kasprintf() is
 * kmalloc memory, a large kvmalloc() is vmalloc memory. kmag sees none of
 * it (no invalid free), and kmemleak and KASAN would see a leak or a bad
 * free if it went to the wrong place.
 */
static void kmag_slab_h_foreign(struct kunit *test)
{
	long live = LIVE(), inv = INVALID(), dbl = DOUBLE();
	char *s, *t;
	void *v;

	s = kasprintf(GFP_KERNEL, "kmag %d", 13);
	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_EXPECT_FALSE(test, kmag_owns(s));
	KUNIT_EXPECT_FALSE(test, kmem_valid_obj(s));
	KUNIT_EXPECT_GE(test, ksize(s), (size_t)8);
	t = krealloc(s, 200, GFP_KERNEL);	/* the kernel's krealloc */
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_EXPECT_FALSE(test, kmag_owns(t));
	KUNIT_EXPECT_STREQ(test, t, "kmag 13");
	kfree(t);

	s = kasprintf(GFP_KERNEL, "secret");
	KUNIT_ASSERT_NOT_NULL(test, s);
	kfree_sensitive(s);
	s = kasprintf(GFP_KERNEL, "kv");
	KUNIT_ASSERT_NOT_NULL(test, s);
	kvfree(s);

	/* Above what kmag serves: vmalloc, freed by kvfree. */
	v = kvmalloc(KMAG_MAX_ALLOC + PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(v));
	KUNIT_EXPECT_FALSE(test, kmag_owns(v));
	kvfree_sensitive(v, PAGE_SIZE);

	KUNIT_EXPECT_EQ(test, LIVE(), live);
	KUNIT_EXPECT_EQ(test, INVALID(), inv);
	KUNIT_EXPECT_EQ(test, DOUBLE(), dbl);
}

struct kmag_slab_h_obj {
	u64 a;
	char name[20];
	struct rcu_head rcu;
} __aligned(32);

/* The kmem_cache names: a kmag cache behind struct kmem_cache. */
static void kmag_slab_h_cache(struct kunit *test)
{
	long live = LIVE();
	struct kmem_cache *c;
	struct kmag_slab_h_obj *o, *z, *n;
	void *bulk[8];

	c = KMEM_CACHE(kmag_slab_h_obj, SLAB_HWCACHE_ALIGN | SLAB_RECLAIM_ACCOUNT);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_TRUE(test, kmag_test_cache_listed(c));
	KUNIT_EXPECT_STREQ(test, c->name, "kmag_slab_h_obj");
	KUNIT_EXPECT_EQ(test, kmem_cache_size(c), (unsigned int)sizeof(*o));
	o = kmem_cache_alloc(c, GFP_KERNEL);
	z = kmem_cache_zalloc(c, GFP_KERNEL);
	n = kmem_cache_alloc_node(c, GFP_KERNEL, first_online_node);
	KUNIT_ASSERT_NOT_NULL(test, o);
	KUNIT_ASSERT_NOT_NULL(test, z);
	KUNIT_ASSERT_NOT_NULL(test, n);
	KUNIT_EXPECT_EQ(test, (unsigned long)o % 32, 0UL);
	KUNIT_EXPECT_TRUE(test, kmag_test_zero(z, sizeof(*z)));
	KUNIT_EXPECT_EQ(test, page_to_nid(virt_to_page(n)), first_online_node);
	KUNIT_EXPECT_TRUE(test, kmem_valid_obj(o));
	kmem_dump_obj(o);
	KUNIT_EXPECT_EQ(test, kmem_cache_alloc_bulk(c, GFP_KERNEL, 8, bulk), 8);
	kmem_cache_free_bulk(c, 8, bulk);
	kmem_cache_free(c, o);
	kmem_cache_free(c, z);
	kfree_rcu(n, rcu);
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, kmem_cache_shrink(c), 0);
	kmem_cache_destroy(c);
	KUNIT_EXPECT_FALSE(test, kmag_test_cache_listed(c));
	KUNIT_EXPECT_EQ(test, LIVE(), live);
}

struct kmag_slab_h_rcu {
	struct rcu_head rcu;
	char pad[40];
};

static void kmag_slab_h_scope(struct kunit *test, long *live)
{
	char *p __free(kfree) = kmalloc(100, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, kmag_owns(p));
	KUNIT_EXPECT_EQ(test, LIVE(), *live + 1);
}

/*
 * The other ways kfree is reached: kfree_rcu with one or two arguments (on
 * kmag and on kernel memory), a function pointer taken after the include,
 * __free(kfree) at the end of a scope, and fs.h's names cache.
 */
static void kmag_slab_h_indirect(struct kunit *test)
{
	long live = LIVE(), inv = INVALID(), dbl = DOUBLE();
	void (*free_fn)(const void *) = kfree;
	struct kmag_slab_h_rcu *r;
	char *name;
	void *p;

	r = kmalloc(sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	kfree_rcu(r, rcu);
	p = kmalloc(48, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kfree_rcu(p);			/* one argument: may sleep */
	p = kmalloc(48, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	kvfree_rcu_mightsleep(p);
	/* Kernel memory (kasprintf is kmalloc) with an rcu_head in it. */
	r = (struct kmag_slab_h_rcu *)kasprintf(GFP_KERNEL, "%63s", "");
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_FALSE(test, kmag_owns(r));
	kfree_rcu(r, rcu);
	name = kasprintf(GFP_KERNEL, "kernel");
	KUNIT_ASSERT_NOT_NULL(test, name);
	kfree_rcu_mightsleep(name);
	rcu_barrier();

	p = kmalloc(32, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	free_fn(p);
	p = kasprintf(GFP_KERNEL, "kernel");
	KUNIT_ASSERT_NOT_NULL(test, p);
	free_fn(p);

	kmag_slab_h_scope(test, &live);

	name = __getname();
	KUNIT_ASSERT_NOT_NULL(test, name);
	KUNIT_EXPECT_FALSE(test, kmag_owns(name));
	__putname(name);

	KUNIT_EXPECT_EQ(test, LIVE(), live);
	KUNIT_EXPECT_EQ(test, INVALID(), inv);
	KUNIT_EXPECT_EQ(test, DOUBLE(), dbl);
}

static struct kunit_case kmag_slab_h_cases[] = {
	KUNIT_CASE(kmag_slab_h_indirect),
	KUNIT_CASE(kmag_slab_h_alloc_names),
	KUNIT_CASE(kmag_slab_h_realloc),
	KUNIT_CASE(kmag_slab_h_foreign),
	KUNIT_CASE(kmag_slab_h_cache),
	{}
};

static struct kunit_suite kmag_slab_h_suite = {
	.name = "kmag_slab_h",
	.suite_init = kmag_test_suite_init,
	.suite_exit = kmag_test_suite_exit,
	.test_cases = kmag_slab_h_cases,
};
kunit_test_suite(kmag_slab_h_suite);
