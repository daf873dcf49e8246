// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_numa: NUMA locality (§17). Per-node depots, remote frees back to
 * their spans, kmag_alloc_node() to nodes without memory, and the counters
 * of debugfs "nodes". Work runs on chosen CPUs through work_on_cpu() (bound
 * workers): each test needs online CPUs of two home nodes, else it is
 * skipped. Each uses its own named cache of 256-byte objects.
 */
#include <kunit/test.h>
#include <linux/cpumask.h>
#include <linux/nodemask.h>
#include <linux/workqueue.h>

#include "kmag_test.h"

#define KMAG_NUMA_OBJS	2048

/* What a CPU is asked to do with a cache's objects. */
struct kmag_numa_job {
	struct kmag_cache *c;
	void **objs;
	unsigned int n;
	bool alloc;		/* else free */
	unsigned int got;	/* allocated */
	unsigned int remote;	/* allocated, not on the CPU's home node */
	int home;		/* the CPU's home node */
};

static long kmag_numa_job_fn(void *arg)
{
	struct kmag_numa_job *j = arg;
	unsigned int i;

	j->home = kmag_cpu_home(raw_smp_processor_id());
	for (i = 0; i < j->n; i++) {
		if (!j->alloc) {
			kmag_cache_free(j->c, j->objs[i]);
			continue;
		}
		j->objs[i] = kmag_cache_alloc(j->c, GFP_KERNEL);
		if (!j->objs[i])
			break;
		j->got++;
		j->remote += page_to_nid(virt_to_page(j->objs[i])) != j->home;
	}
	return 0;
}

/* Allocate (or free) @n objects of @c into (from) @objs on @cpu. */
static struct kmag_numa_job kmag_numa_run(struct kmag_cache *c, int cpu, void **objs,
					  unsigned int n, bool alloc)
{
	struct kmag_numa_job j = { .c = c, .objs = objs, .n = n, .alloc = alloc };

	work_on_cpu(cpu, kmag_numa_job_fn, &j);
	return j;
}

/* Two online CPUs with different home nodes, or skip the test. */
static void kmag_numa_cpus(struct kunit *test, int *a, int *b)
{
	int cpu;

	*a = cpumask_first(cpu_online_mask);
	*b = -1;
	for_each_online_cpu(cpu) {
		if (kmag_cpu_home(cpu) != kmag_cpu_home(*a)) {
			*b = cpu;
			break;
		}
	}
	if (*b < 0)
		kunit_skip(test, "needs online CPUs of two nodes with memory");
	KUNIT_ASSERT_TRUE(test, kmag_numa());
}

static struct kmag_cache *kmag_numa_cache(struct kunit *test, const char *name,
					  void ***objs)
{
	struct kmag_cache *c = kmag_cache_create(name, 256, 0, 0, NULL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	*objs = kunit_kcalloc(test, KMAG_NUMA_OBJS, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, *objs);
	return c;
}

/*
 * Full magazines that CPU a retired stay in a's node's depot: CPU b, of
 * another node, never gets them, nor a's partial spans while its own node
 * has memory. Its objects are all of its home node.
 */
static void kmag_numa_depot_isolation(struct kunit *test)
{
	struct kmag_numa_job ja, jb;
	unsigned int full_a, cap, i, remote = 0;
	struct kmag_cache *c;
	void **objs, **objs_b;
	unsigned long flags;
	struct kmag_mag *m;
	int a, b, na, nb, home;

	kmag_numa_cpus(test, &a, &b);
	na = kmag_cpu_home(a);
	nb = kmag_cpu_home(b);
	c = kmag_numa_cache(test, "kmag_test_numa_depot", &objs);
	objs_b = kunit_kcalloc(test, KMAG_NUMA_OBJS, sizeof(void *), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs_b);
	cap = c->mag_capacity;
	KUNIT_ASSERT_LE(test, 6 * cap, KMAG_NUMA_OBJS);
	/* Two magazines stay on CPU a, the other four go to a's depot. */
	ja = kmag_numa_run(c, a, objs, 6 * cap, true);
	KUNIT_ASSERT_EQ(test, ja.got, 6 * cap);
	KUNIT_EXPECT_EQ(test, ja.remote, 0);
	kmag_numa_run(c, a, objs, 6 * cap, false);
	full_a = READ_ONCE(c->central.node[na].nr_full);
	kunit_info(test, "cpu %d (node %d): %u full magazines in its depot\n", a, na, full_a);
	KUNIT_EXPECT_GE(test, full_a, 3);
	KUNIT_EXPECT_EQ(test, c->central.node[nb].nr_full, 0);

	jb = kmag_numa_run(c, b, objs_b, 4 * cap, true);
	kunit_info(test, "cpu %d (node %d): %u objects, %u not of node %d\n",
		   b, nb, jb.got, jb.remote, nb);
	KUNIT_EXPECT_EQ(test, jb.got, 4 * cap);
	KUNIT_EXPECT_EQ(test, jb.remote, 0);
	KUNIT_EXPECT_EQ(test, c->central.node[na].nr_full, full_a);
	kmag_numa_run(c, b, objs_b, jb.got, false);

	/* The depot calls themselves: this CPU's node's depot only. */
	migrate_disable();
	home = kmag_cpu_home(smp_processor_id());
	spin_lock_irqsave(&c->central.lock, flags);
	m = kmag_depot_get(c, true);
	for (i = 0; m && i < m->rounds; i++)
		remote += page_to_nid(virt_to_page(m->objs[i])) != home;
	if (m)
		kmag_depot_put(c, m);
	spin_unlock_irqrestore(&c->central.lock, flags);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, remote, 0);
	if (home == na)
		KUNIT_EXPECT_NOT_NULL(test, m);
	kmag_cache_destroy(c);
}

/* Is @p in @cpu's magazines of @c? (Nothing else uses @c meanwhile.) */
static bool kmag_numa_in_mags(struct kmag_cache *c, int cpu, void *p)
{
	struct kmag_cpu *cc = per_cpu_ptr(c->cpu, cpu);
	struct kmag_mag *m[2] = { READ_ONCE(cc->loaded), READ_ONCE(cc->previous) };
	unsigned int i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < m[k]->rounds; i++)
			if (m[k]->objs[i] == p)
				return true;
	return false;
}

/*
 * Objects of node A freed on a CPU of node B go back to their spans (free
 * bit set), not to B's magazines; B's next allocations are of node B. Only
 * every other object is freed there, so that no span becomes free and
 * leaves the cache.
 */
static void kmag_numa_remote_free(struct kunit *test)
{
	struct kmag_node_stat before, after;
	struct kmag_numa_job ja, jb;
	void **objs, *odd[32];
	unsigned long flags;
	struct kmag_cache *c;
	struct kmag_span *s;
	int a, b, na, i;
	bool back;
	long idx;

	kmag_numa_cpus(test, &a, &b);
	na = kmag_cpu_home(a);
	c = kmag_numa_cache(test, "kmag_test_numa_free", &objs);
	ja = kmag_numa_run(c, a, objs, 64, true);
	KUNIT_ASSERT_EQ(test, ja.got, 64);
	KUNIT_EXPECT_EQ(test, ja.remote, 0);
	for (i = 0; i < 32; i++) {
		odd[i] = objs[2 * i + 1];
		objs[i] = objs[2 * i];
	}
	kmag_node_stat_sum(na, &before);
	kmag_numa_run(c, b, odd, 32, false);
	kmag_node_stat_sum(na, &after);
	KUNIT_EXPECT_EQ(test, after.remote_frees - before.remote_frees, 32);
	for (i = 0; i < 32; i++) {
		s = kmag_span_of(odd[i]);
		KUNIT_ASSERT_NOT_NULL(test, s);
		KUNIT_EXPECT_EQ(test, s->nid, na);
		spin_lock_irqsave(&c->central.lock, flags);
		idx = kmag_obj_index(c, s, odd[i]);
		back = idx >= 0 && test_bit(idx, s->freemap);
		spin_unlock_irqrestore(&c->central.lock, flags);
		/* Not under the lock: a failed expectation allocates. */
		KUNIT_EXPECT_TRUE_MSG(test, back, "object %d not back in its span", i);
		KUNIT_EXPECT_FALSE(test, kmag_numa_in_mags(c, b, odd[i]));
	}
	kmag_numa_run(c, a, objs, 32, false);
	jb = kmag_numa_run(c, b, objs, 64, true);
	KUNIT_ASSERT_EQ(test, jb.got, 64);
	KUNIT_EXPECT_EQ(test, jb.remote, 0);
	kmag_numa_run(c, b, objs, 64, false);
	kmag_cache_destroy(c);
}

/*
 * kmag_alloc_node() and kmag_cache_alloc_node() to a node without memory
 * (memoryless or offline) fall back to a node with memory, as kmalloc_node()
 * does; with __GFP_THISNODE (tried on online nodes only) they fail.
 */
static void kmag_numa_alloc_node_fallback(struct kunit *test)
{
	static const size_t sizes[] = { 64, 2048, 100000 };
	struct kmag_cache *c;
	int nid, tried = 0, i;
	void *p;

	c = kmag_cache_create("kmag_test_numa_fallback", 256, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	for_each_node(nid) {
		if (node_state(nid, N_MEMORY))
			continue;
		tried++;
		kunit_info(test, "node %d: %s, no memory\n", nid,
			   node_online(nid) ? "online" : "offline");
		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			p = kmag_alloc_node(sizes[i], GFP_KERNEL, nid);
			KUNIT_EXPECT_NOT_NULL_MSG(test, p, "size %zu", sizes[i]);
			if (p)
				KUNIT_EXPECT_TRUE(test, node_state(page_to_nid(virt_to_page(p)),
								   N_MEMORY));
			kmag_free(p);
			/* The page allocator warns of offline nodes. */
			if (!node_online(nid))
				continue;
			p = kmag_alloc_node(sizes[i], GFP_KERNEL | __GFP_THISNODE | __GFP_NOWARN,
					    nid);
			KUNIT_EXPECT_NULL(test, p);
			kmag_free(p);
		}
		p = kmag_cache_alloc_node(c, GFP_KERNEL, nid);
		KUNIT_EXPECT_NOT_NULL(test, p);
		kmag_cache_free(c, p);
	}
	/* NUMA_NO_NODE: any node (the home node first). */
	p = kmag_alloc_node(64, GFP_KERNEL, NUMA_NO_NODE);
	KUNIT_EXPECT_NOT_NULL(test, p);
	kmag_free(p);
	kmag_cache_destroy(c);
	if (!tried)
		kunit_skip(test, "every possible node has memory (%d nodes)", nr_node_ids);
}

/*
 * The lines of debugfs "nodes" add up to "stats": sys_bytes, inuse_bytes,
 * and local_allocs + remote_allocs to mallocs - large_allocs. With two
 * home nodes, allocations and remote frees are counted where they happen.
 */
static void kmag_numa_counters(struct kunit *test)
{
	struct kmag_node_info ni, a0, a1, b0, b1;
	unsigned long sys = 0, inuse = 0, allocs = 0, cpus = 0;
	struct kmag_cache *c;
	struct kmag_stats st;
	int nid, a, b, na, nb;
	void **objs;

	kmag_stats_read(&st);
	for_each_node_state(nid, N_MEMORY) {
		kmag_node_info(nid, &ni);
		sys += ni.sys_bytes;
		inuse += ni.inuse_bytes;
		allocs += ni.local_allocs + ni.remote_allocs;
		cpus += ni.cpus;
	}
	KUNIT_EXPECT_EQ(test, sys, st.sys_bytes);
	KUNIT_EXPECT_EQ(test, inuse, st.inuse_bytes);
	KUNIT_EXPECT_EQ(test, allocs, st.mallocs - st.large_allocs);
	KUNIT_EXPECT_EQ(test, cpus, num_online_cpus());

	kmag_numa_cpus(test, &a, &b);
	na = kmag_cpu_home(a);
	nb = kmag_cpu_home(b);
	c = kmag_numa_cache(test, "kmag_test_numa_counters", &objs);
	kmag_node_info(na, &a0);
	kmag_node_info(nb, &b0);
	KUNIT_ASSERT_EQ(test, kmag_numa_run(c, a, objs, 100, true).got, 100);
	kmag_numa_run(c, b, objs, 100, false);
	kmag_node_info(na, &a1);
	kmag_node_info(nb, &b1);
	KUNIT_EXPECT_EQ(test, a1.local_allocs - a0.local_allocs, 100);
	KUNIT_EXPECT_EQ(test, a1.remote_allocs - a0.remote_allocs, 0);
	KUNIT_EXPECT_EQ(test, a1.remote_frees - a0.remote_frees, 100);
	KUNIT_EXPECT_EQ(test, b1.remote_frees - b0.remote_frees, 0);
	/* An object of node b handed out anywhere: counted once, for b. */
	kmag_node_info(nb, &b0);
	objs[0] = kmag_cache_alloc_node(c, GFP_KERNEL, nb);
	KUNIT_ASSERT_NOT_NULL(test, objs[0]);
	kmag_cache_free(c, objs[0]);
	kmag_node_info(nb, &b1);
	KUNIT_EXPECT_EQ(test, b1.local_allocs + b1.remote_allocs -
			b0.local_allocs - b0.remote_allocs, 1);
	kmag_cache_destroy(c);
}

static struct kunit_case kmag_numa_cases[] = {
	KUNIT_CASE(kmag_numa_depot_isolation),
	KUNIT_CASE(kmag_numa_remote_free),
	KUNIT_CASE(kmag_numa_alloc_node_fallback),
	KUNIT_CASE(kmag_numa_counters),
	{}
};

static struct kunit_suite kmag_numa_suite = {
	.name = "kmag_numa",
	.suite_init = kmag_test_suite_init_lifo,
	.suite_exit = kmag_test_suite_exit_lifo,
	.exit = kmag_test_exit,
	.test_cases = kmag_numa_cases,
};

kunit_test_suite(kmag_numa_suite);
