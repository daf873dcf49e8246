// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_stress: kselftest module (kselftest_module.h), loaded by
 * scripts/selftests/kmag_stress.sh. One kthread per online CPU runs
 * ops_per_cpu random operations: allocate (kmag_alloc of 1 B .. 64 KiB,
 * mostly small, or an object of a shared named cache), fill with a pattern
 * derived from the pointer and size, and later check and free it, on the
 * same CPU or, through a ring, on the next CPU. Loading fails if any payload
 * was corrupted, an allocation failed, or kmag reported an invalid free.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <kmag.h>

#include "kselftest_module.h"

KSTM_MODULE_GLOBALS();

static unsigned int ops_per_cpu = 1000000;
module_param(ops_per_cpu, uint, 0444);
MODULE_PARM_DESC(ops_per_cpu, "operations each CPU's thread performs");

#define SLOTS		512
#define RING		256
#define CACHE_OBJ	200

struct obj_ref {
	void *p;
	u32 size;	/* 0: object of the named cache */
};

struct worker {
	struct task_struct *task;
	int cpu;
	struct rnd_state rnd;
	struct obj_ref slot[SLOTS];
	/* Objects handed to this worker by the previous CPU's worker. */
	spinlock_t lock;
	struct obj_ref ring[RING];
	unsigned int head, tail;
	unsigned long ops, allocs, remote_frees, corrupt, failed;
	struct worker *next;
};

static struct kmag_cache *stress_cache;
static struct worker *workers;
static unsigned int nr_workers;
static atomic_t running;
static DECLARE_COMPLETION(all_done);
static DECLARE_COMPLETION(go);

static u8 pattern(const void *p, u32 i)
{
	return (u8)(((unsigned long)p >> 3) + i * 7);
}

static void fill(void *p, u32 size)
{
	u8 *b = p;
	u32 i;

	for (i = 0; i < size; i++) {
		b[i] = pattern(p, i);
		if (i == 63 && size > 256)
			i = size - 65;	/* large: head and tail only */
	}
}

static bool check(const void *p, u32 size)
{
	const u8 *b = p;
	u32 i;

	for (i = 0; i < size; i++) {
		if (b[i] != pattern(p, i))
			return false;
		if (i == 63 && size > 256)
			i = size - 65;
	}
	return true;
}

static u32 pick_size(struct worker *w)
{
	u32 r = prandom_u32_state(&w->rnd);

	switch (r % 16) {
	case 0:
		return 0;				/* named cache */
	case 1:
		return 32769 + (r >> 8) % 32768;	/* large */
	case 2: case 3:
		return 1025 + (r >> 8) % 7168;		/* small, > 1 KiB */
	default:
		return 1 + (r >> 8) % 512;		/* tiny/small */
	}
}

static void release(struct worker *w, struct obj_ref *o)
{
	u32 len = o->size ? o->size : CACHE_OBJ;

	if (!check(o->p, len))
		w->corrupt++;
	if (o->size)
		kmag_free(o->p);
	else
		kmag_cache_free(stress_cache, o->p);
	o->p = NULL;
}

/* Hand @o to the next CPU's worker; false if its ring is full. */
static bool pass_on(struct worker *w, struct obj_ref *o)
{
	struct worker *n = w->next;
	bool ok = false;

	spin_lock(&n->lock);
	if (n->head - n->tail < RING) {
		n->ring[n->head++ % RING] = *o;
		ok = true;
	}
	spin_unlock(&n->lock);
	if (ok)
		o->p = NULL;
	return ok;
}

static void drain_ring(struct worker *w)
{
	struct obj_ref o;

	for (;;) {
		spin_lock(&w->lock);
		if (w->head == w->tail) {
			spin_unlock(&w->lock);
			return;
		}
		o = w->ring[w->tail++ % RING];
		spin_unlock(&w->lock);
		release(w, &o);
		w->remote_frees++;
	}
}

static int worker_fn(void *arg)
{
	struct worker *w = arg;
	struct obj_ref *o;
	unsigned long i;

	wait_for_completion(&go);
	for (i = 0; i < ops_per_cpu; i++) {
		o = &w->slot[prandom_u32_state(&w->rnd) % SLOTS];
		if (o->p) {
			if ((i & 3) || nr_workers == 1 || !pass_on(w, o))
				release(w, o);
		} else {
			o->size = pick_size(w);
			o->p = o->size ? kmag_alloc(o->size, GFP_KERNEL) :
				kmag_cache_alloc(stress_cache, GFP_KERNEL);
			if (!o->p) {
				w->failed++;
				continue;
			}
			fill(o->p, o->size ? o->size : CACHE_OBJ);
			w->allocs++;
		}
		if ((i & 255) == 0) {
			drain_ring(w);
			cond_resched();
		}
	}
	w->ops = i;
	for (i = 0; i < SLOTS; i++)
		if (w->slot[i].p)
			release(w, &w->slot[i]);
	if (atomic_dec_and_test(&running))
		complete(&all_done);
	return 0;
}

static void __init selftest(void)
{
	unsigned long ops = 0, corrupt = 0, failed = 0, remote = 0;
	unsigned int i, cpu;
	u64 start;

	stress_cache = kmag_cache_create("kmag_stress", CACHE_OBJ, 0, 0, NULL);
	KSTM_CHECK_ZERO(!stress_cache);
	if (!stress_cache)
		return;
	nr_workers = num_online_cpus();
	workers = kvcalloc(nr_workers, sizeof(*workers), GFP_KERNEL);
	KSTM_CHECK_ZERO(!workers);
	if (!workers)
		goto out_cache;

	i = 0;
	for_each_online_cpu(cpu) {
		struct worker *w = &workers[i];

		w->cpu = cpu;
		spin_lock_init(&w->lock);
		prandom_seed_state(&w->rnd, 0x6b6d6167ULL + cpu);
		w->next = &workers[(i + 1) % nr_workers];
		w->task = kthread_create_on_cpu(worker_fn, w, cpu, "kmag_stress/%u");
		KSTM_CHECK_ZERO(IS_ERR(w->task));
		if (IS_ERR(w->task))
			goto out_workers;
		i++;
	}
	atomic_set(&running, nr_workers);
	start = ktime_get_ns();
	for (i = 0; i < nr_workers; i++)
		wake_up_process(workers[i].task);
	complete_all(&go);
	wait_for_completion(&all_done);
	/* Objects still in rings were passed on after their owner finished. */
	for (i = 0; i < nr_workers; i++)
		drain_ring(&workers[i]);

	for (i = 0; i < nr_workers; i++) {
		ops += workers[i].ops;
		corrupt += workers[i].corrupt;
		failed += workers[i].failed;
		remote += workers[i].remote_frees;
	}
	pr_info("%lu operations on %u CPUs in %llu ms: %lu remote frees, %lu corrupt, %lu failed allocations\n",
		ops, nr_workers, div_u64(ktime_get_ns() - start, NSEC_PER_MSEC),
		remote, corrupt, failed);
	KSTM_CHECK_ZERO(ops != (unsigned long)ops_per_cpu * nr_workers);
	KSTM_CHECK_ZERO(corrupt);
	KSTM_CHECK_ZERO(failed);
	KSTM_CHECK_ZERO(nr_workers > 1 && !remote);
	kvfree(workers);
	goto out_cache;

out_workers:
	while (i--)
		kthread_stop(workers[i].task);
	kvfree(workers);
out_cache:
	kmag_cache_destroy(stress_cache);
}

KSTM_MODULE_LOADERS(kmag_stress);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmag stress selftest module");
