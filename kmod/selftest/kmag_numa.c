// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_numa: kselftest module (kselftest_module.h), loaded by
 * scripts/selftests/kmag/kmag_numa.sh. Measures NUMA locality (§17 of the
 * theory statement) where more than one node has memory; with one node it
 * only reports the test skipped.
 *
 * Phase 1: one kthread bound to every online CPU keeps up to live_per_cpu
 * objects (kmag_alloc of 16 B .. 4 KiB, and a named cache) and replaces
 * random ones, ops_per_cpu times, freeing everything on the CPU that
 * allocated it. An object is local when page_to_nid(virt_to_page(p)) ==
 * cpu_to_node(cpu) of the allocating CPU. Fails below 99% local.
 * Phase 2: for each node A with CPUs and the next such node B: A's CPUs
 * allocate, B's CPUs free those objects (remote frees), then B's CPUs
 * allocate again (and free): those must still be >= 99% local.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/workqueue.h>

#include <kmag.h>

#include "kselftest_module.h"
#include "kmag_selftest.h"

KSTM_MODULE_GLOBALS();

static unsigned int ops_per_cpu = 100000;
module_param(ops_per_cpu, uint, 0444);
MODULE_PARM_DESC(ops_per_cpu, "phase 1: operations each CPU's thread performs");

static unsigned int live_per_cpu = 1024;
module_param(live_per_cpu, uint, 0444);
MODULE_PARM_DESC(live_per_cpu, "phase 1: objects each CPU keeps live at most");

static unsigned int phase2_objs = 512;
module_param(phase2_objs, uint, 0444);
MODULE_PARM_DESC(phase2_objs, "phase 2: objects per CPU and round");

#define CACHE_OBJ	200
#define PHASE2_ROUNDS	4

struct obj_ref {
	void *p;
	u32 size;	/* 0: object of the named cache */
};

struct worker {
	struct task_struct *task;
	int cpu;
	struct rnd_state rnd;
	struct obj_ref *slot;
	unsigned long allocs, local, failed;
};

static struct kmag_cache *numa_cache;
static atomic_t running;
static DECLARE_COMPLETION(all_done);

static u32 pick_size(struct rnd_state *rnd)
{
	u32 r = prandom_u32_state(rnd);

	switch (r % 8) {
	case 0:
		return 0;			/* named cache */
	case 1: case 2:
		return 16U << ((r >> 8) % 9);	/* 16 B .. 4 KiB, powers of two */
	default:
		return 16 + (r >> 8) % 4081;	/* 16 B .. 4 KiB */
	}
}

static void *obj_alloc(u32 size)
{
	void *p = size ? kmag_alloc(size, GFP_KERNEL) : kmag_cache_alloc(numa_cache, GFP_KERNEL);

	if (p)
		*(u8 *)p = 0x5a;	/* touch it */
	return p;
}

static void obj_free(struct obj_ref *o)
{
	if (o->size)
		kmag_free(o->p);
	else
		kmag_cache_free(numa_cache, o->p);
	o->p = NULL;
}

static bool obj_local(const void *p, int cpu)
{
	return page_to_nid(virt_to_page(p)) == cpu_to_node(cpu);
}

static int phase1_fn(void *arg)
{
	struct worker *w = arg;
	struct obj_ref *o;
	unsigned long i;

	for (i = 0; i < ops_per_cpu; i++) {
		o = &w->slot[prandom_u32_state(&w->rnd) % live_per_cpu];
		if (o->p) {
			obj_free(o);
		} else {
			o->size = pick_size(&w->rnd);
			o->p = obj_alloc(o->size);
			if (!o->p) {
				w->failed++;
				continue;
			}
			w->allocs++;
			w->local += obj_local(o->p, w->cpu);
		}
		if ((i & 255) == 0)
			cond_resched();
	}
	for (i = 0; i < live_per_cpu; i++)
		if (w->slot[i].p)
			obj_free(&w->slot[i]);
	if (atomic_dec_and_test(&running))
		complete(&all_done);
	return kmag_selftest_wait_stop();
}

static void percent(unsigned long part, unsigned long whole, unsigned long *ip,
		    unsigned long *fp)
{
	unsigned long x = whole ? part * 10000 / whole : 0;

	*ip = x / 100;
	*fp = x % 100;
}

/* Below 99% local, or nothing allocated: a failure. */
static bool too_remote(unsigned long local, unsigned long allocs)
{
	return !allocs || local * 100 < allocs * 99;
}

static void phase1(void)
{
	unsigned long allocs = 0, local = 0, failed = 0, ip, fp;
	struct worker *workers;
	unsigned int n = 0, i;
	int cpu;
	u64 start;

	workers = kvcalloc(num_online_cpus(), sizeof(*workers), GFP_KERNEL);
	KSTM_CHECK_ZERO(!workers);
	if (!workers)
		return;
	for_each_online_cpu(cpu) {
		struct worker *w = &workers[n];

		w->cpu = cpu;
		prandom_seed_state(&w->rnd, 0x6e756d61ULL + cpu);
		w->slot = kvcalloc(live_per_cpu, sizeof(*w->slot), GFP_KERNEL);
		if (w->slot)
			w->task = kthread_create_on_cpu(phase1_fn, w, cpu, "kmag_numa/%u");
		if (!w->slot || IS_ERR(w->task)) {
			KSTM_CHECK_ZERO(1);
			kvfree(w->slot);
			goto out;
		}
		n++;
	}
	atomic_set(&running, n);
	start = ktime_get_ns();
	for (i = 0; i < n; i++)
		wake_up_process(workers[i].task);
	wait_for_completion(&all_done);
	for (i = 0; i < n; i++) {
		allocs += workers[i].allocs;
		local += workers[i].local;
		failed += workers[i].failed;
	}
	percent(local, allocs, &ip, &fp);
	pr_info("phase 1: %lu of %lu objects local (%lu.%02lu%%) on %u CPUs, %u nodes with memory, in %llu ms; %lu failed allocations\n",
		local, allocs, ip, fp, n, num_node_state(N_MEMORY),
		div_u64(ktime_get_ns() - start, NSEC_PER_MSEC), failed);
	for (i = 0; i < n; i++) {
		percent(workers[i].local, workers[i].allocs, &ip, &fp);
		pr_info("phase 1: cpu %d (node %d): %lu of %lu local (%lu.%02lu%%)\n",
			workers[i].cpu, cpu_to_node(workers[i].cpu), workers[i].local,
			workers[i].allocs, ip, fp);
	}
	KSTM_CHECK_ZERO(failed);
	KSTM_CHECK_ZERO(too_remote(local, allocs));
out:
	/* Done and waiting for this, or never woken. */
	for (i = 0; i < n; i++) {
		kthread_stop(workers[i].task);
		kvfree(workers[i].slot);
	}
	kvfree(workers);
}

/* Phase 2: one CPU's share of a round, run there by work_on_cpu(). */
struct job {
	struct obj_ref *objs;
	unsigned int n;
	int op;			/* JOB_ALLOC, JOB_FREE, JOB_CYCLE */
	unsigned long allocs, local, failed;
	struct rnd_state rnd;
};

enum { JOB_ALLOC, JOB_FREE, JOB_CYCLE };

static long job_fn(void *arg)
{
	struct job *j = arg;
	int cpu = raw_smp_processor_id();	/* a bound worker */
	unsigned int i;

	for (i = 0; i < j->n; i++) {
		struct obj_ref *o = &j->objs[i];

		if (j->op == JOB_FREE) {
			if (o->p)
				obj_free(o);
			continue;
		}
		o->size = pick_size(&j->rnd);
		o->p = obj_alloc(o->size);
		if (!o->p) {
			j->failed++;
			continue;
		}
		j->allocs++;
		j->local += obj_local(o->p, cpu);
	}
	if (j->op == JOB_CYCLE)
		for (i = 0; i < j->n; i++)
			if (j->objs[i].p)
				obj_free(&j->objs[i]);
	return 0;
}

static void run_job(int cpu, struct job *j, struct obj_ref *objs, int op)
{
	j->objs = objs;
	j->n = phase2_objs;
	j->op = op;
	work_on_cpu(cpu, job_fn, j);
}

/* The next node after @nid (cyclically) with online CPUs and memory. */
static int next_cpu_node(int nid)
{
	int n = nid;

	do {
		n = next_node_in(n, node_states[N_MEMORY]);
	} while (n != nid && !cpumask_intersects(cpumask_of_node(n), cpu_online_mask));
	return n;
}

static void phase2(void)
{
	unsigned long t_allocs = 0, t_local = 0, a_allocs, a_local, b_allocs, b_local;
	unsigned long failed = 0, ip, fp, ip2, fp2;
	unsigned int round, na, i, k;
	struct obj_ref *objs;
	struct job j = {};
	int a, b, cpu;

	prandom_seed_state(&j.rnd, 0x7068617365ULL);
	for_each_node_state(a, N_MEMORY) {
		if (!cpumask_intersects(cpumask_of_node(a), cpu_online_mask))
			continue;
		b = next_cpu_node(a);
		if (b == a)
			break;
		na = cpumask_weight_and(cpumask_of_node(a), cpu_online_mask);
		objs = kvcalloc((size_t)na * phase2_objs, sizeof(*objs), GFP_KERNEL);
		KSTM_CHECK_ZERO(!objs);
		if (!objs)
			return;
		a_allocs = a_local = b_allocs = b_local = 0;
		for (round = 0; round < PHASE2_ROUNDS; round++) {
			/* A's CPUs allocate ... */
			i = 0;
			for_each_cpu_and(cpu, cpumask_of_node(a), cpu_online_mask) {
				j.allocs = j.local = 0;
				run_job(cpu, &j, objs + (size_t)i++ * phase2_objs, JOB_ALLOC);
				a_allocs += j.allocs;
				a_local += j.local;
				failed += j.failed;
				j.failed = 0;
			}
			/* ... B's CPUs free them, in turn ... */
			k = 0;
			while (k < na) {
				for_each_cpu_and(cpu, cpumask_of_node(b), cpu_online_mask) {
					if (k == na)
						break;
					run_job(cpu, &j, objs + (size_t)k++ * phase2_objs,
						JOB_FREE);
				}
			}
			/* ... and allocate (and free) again. */
			for_each_cpu_and(cpu, cpumask_of_node(b), cpu_online_mask) {
				j.allocs = j.local = 0;
				run_job(cpu, &j, objs, JOB_CYCLE);
				b_allocs += j.allocs;
				b_local += j.local;
				failed += j.failed;
				j.failed = 0;
			}
			cond_resched();
		}
		kvfree(objs);
		percent(a_local, a_allocs, &ip, &fp);
		percent(b_local, b_allocs, &ip2, &fp2);
		pr_info("phase 2: node %d allocated %lu (%lu.%02lu%% local), node %d freed them, then allocated %lu: %lu local (%lu.%02lu%%)\n",
			a, a_allocs, ip, fp, b, b_allocs, b_local, ip2, fp2);
		t_allocs += b_allocs;
		t_local += b_local;
		KSTM_CHECK_ZERO(too_remote(b_local, b_allocs));
	}
	percent(t_local, t_allocs, &ip, &fp);
	pr_info("phase 2: after remote frees, %lu of %lu objects local (%lu.%02lu%%); %lu failed allocations\n",
		t_local, t_allocs, ip, fp, failed);
	KSTM_CHECK_ZERO(failed);
	KSTM_CHECK_ZERO(!t_allocs);
}

/* Nodes with memory and online CPUs. */
static unsigned int cpu_nodes(void)
{
	unsigned int n = 0;
	int nid;

	for_each_node_state(nid, N_MEMORY)
		n += cpumask_intersects(cpumask_of_node(nid), cpu_online_mask);
	return n;
}

static void __init selftest(void)
{
	if (num_node_state(N_MEMORY) < 2) {
		pr_info("one node with memory: nothing to measure (skipped)\n");
		skipped_tests++;
		return;
	}
	numa_cache = kmag_cache_create("kmag_numa", CACHE_OBJ, 0, 0, NULL);
	KSTM_CHECK_ZERO(!numa_cache);
	if (!numa_cache)
		return;
	phase1();
	if (cpu_nodes() >= 2) {
		phase2();
	} else {
		pr_info("phase 2: online CPUs on one node only (skipped)\n");
		skipped_tests++;
	}
	kmag_cache_destroy(numa_cache);
}

KSTM_MODULE_LOADERS(kmag_numa);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmag NUMA locality selftest module");
