// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU magazines (mcache role), after Bonwick & Adams, "Magazines and
 * Vmem" (USENIX 2001). The fast paths live in api.c; this file has what runs
 * when the loaded magazine cannot serve: swap with previous, exchange with
 * the depot, refill from the central lists, grow from the page heap. It also
 * drains magazines (debugfs drain, cache destroy, CPU hot-unplug).
 *
 * Until a CPU first misses on a cache, its loaded and previous magazines
 * point to kmag_no_mag, which has no capacity: the fast paths then always
 * miss, and the miss installs two real magazines. This keeps the fast paths
 * free of a NULL check.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/smp.h>

#include "kmag_internal.h"

struct kmag_mag kmag_no_mag;
EXPORT_SYMBOL_NS_GPL(kmag_no_mag, KMAG_INTERNAL);

DEFINE_PER_CPU(local_lock_t, kmag_lock) = INIT_LOCAL_LOCK(kmag_lock);
DEFINE_PER_CPU(int, kmag_busy);
EXPORT_PER_CPU_SYMBOL_GPL(kmag_busy);	/* KUnit sets it as a nested call finds it */

/*
 * The per-CPU cache budget: KMAG_CPU_BUDGET_TOTAL shared by the possible
 * CPUs, within [KMAG_CPU_BUDGET_MIN, KMAG_CPU_BUDGET_MAX] per CPU, as
 * TCMalloc scales its per-CPU caches down on machines with many CPUs. The
 * charge of a CPU is changed only by that CPU under its magazine lock, or
 * for a CPU that is offline (drain, CPU hot-unplug).
 */
unsigned long kmag_cpu_budget;
EXPORT_SYMBOL_NS_GPL(kmag_cpu_budget, KMAG_INTERNAL);

/* Load-time override of the budget, in KiB (0: the default above). */
static unsigned int cpu_cache_budget_kb;
module_param(cpu_cache_budget_kb, uint, 0444);
MODULE_PARM_DESC(cpu_cache_budget_kb,
		 "per-CPU magazine budget in KiB, 256 .. 1048576 (default: 64 MiB / CPUs, within 2 .. 8 MiB)");
DEFINE_PER_CPU(unsigned long, kmag_cpu_charged);

/**
 * kmag_cpu_charged_bytes() - what a CPU's magazines are charged now
 * @cpu: the CPU
 *
 * Context: any context; a snapshot.
 * Return: bytes charged against @cpu's budget (kmag_cpu_budget).
 */
unsigned long kmag_cpu_charged_bytes(int cpu)
{
	return READ_ONCE(*per_cpu_ptr(&kmag_cpu_charged, cpu));
}
EXPORT_SYMBOL_NS_GPL(kmag_cpu_charged_bytes, KMAG_INTERNAL);

/* Can this CPU take the magazines of @c? Magazine lock held. */
static bool kmag_cpu_budget_ok(struct kmag_cache *c)
{
	if (this_cpu_read(kmag_cpu_charged) + kmag_cpu_charge(c) <=
	    READ_ONCE(kmag_cpu_budget))
		return true;
	this_cpu_inc(kmag_pcpu_stat[KMAG_BUDGET_REFUSED]);
	kmag_reclaim_kick();	/* idle magazines get flushed */
	return false;
}

/* Bytes of magazines allocated, for the statistics (slow paths only). */
atomic_long_t kmag_mag_bytes;
EXPORT_SYMBOL_NS_GPL(kmag_mag_bytes, KMAG_INTERNAL);

/* Tests set this to make every magazine allocation fail. */
bool kmag_fail_mag_alloc;
EXPORT_SYMBOL_NS_GPL(kmag_fail_mag_alloc, KMAG_INTERNAL);

static enum cpuhp_state kmag_cpuhp_state;

/**
 * kmag_mag_alloc() - allocate an empty magazine for a cache
 * @c: the cache (gives the capacity)
 * @gfp: allocation flags (a magazine is never worth __GFP_NOFAIL or retries)
 *
 * Context: any context if @gfp does not allow blocking.
 * Return: the magazine, or NULL.
 */
struct kmag_mag *kmag_mag_alloc(struct kmag_cache *c, gfp_t gfp)
{
	unsigned int capacity = READ_ONCE(c->mag_capacity);
	struct kmag_mag *m;

	if (unlikely(READ_ONCE(kmag_fail_mag_alloc)))
		return NULL;
	m = kmalloc(struct_size(m, objs, capacity), kmag_mag_gfp(gfp));
	if (m) {
		kmag_san_meta(m);	/* stale rounds are no references */
		m->next = NULL;
		m->rounds = 0;
		m->capacity = capacity;
		atomic_long_add(struct_size(m, objs, capacity), &kmag_mag_bytes);
	}
	return m;
}
EXPORT_SYMBOL_NS_GPL(kmag_mag_alloc, KMAG_INTERNAL);

void kmag_mag_free(struct kmag_mag *m)
{
	if (m)
		atomic_long_sub(struct_size(m, objs, m->capacity), &kmag_mag_bytes);
	kfree(m);
}
EXPORT_SYMBOL_NS_GPL(kmag_mag_free, KMAG_INTERNAL);

/*
 * The depot exchanges of the slow paths: a lock found taken counts as
 * contention, which makes the cache's magazines grow (kmag_mag_resize()).
 */
static void kmag_depot_lock(struct kmag_central *ct)
{
	if (likely(spin_trylock(&ct->lock)))
		return;
	spin_lock(&ct->lock);
	ct->contended++;
}

/**
 * kmag_mag_resize() - change the capacity of a cache's new magazines
 * @c: the cache
 * @grow: double it (the depot was contended), else halve it (memory is short)
 *
 * Within [mag_min, mag_max]; magazines already made keep their capacity.
 * Per CPU and cache, at most two magazines of mag_max rounds are cached
 * (mag_max is at most 128 KiB of objects and KMAG_MAG_MAX_ROUNDS), and the
 * sum over caches is bounded by the CPU's budget.
 *
 * Context: any context.
 */
void kmag_mag_resize(struct kmag_cache *c, bool grow)
{
	unsigned int cap = READ_ONCE(c->mag_capacity);

	cap = grow ? min(cap * 2, c->mag_max) : max(cap / 2, c->mag_min);
	WRITE_ONCE(c->mag_capacity, cap);
}
EXPORT_SYMBOL_NS_GPL(kmag_mag_resize, KMAG_INTERNAL);

/*
 * Give this CPU its two magazines: empty ones from the depot, else new ones.
 * Called with the magazine lock held and @flags its saved IRQ state; drops
 * it around a blocking allocation.
 * Return: true if this CPU (possibly another one than on entry) has real
 * magazines when it returns.
 */
static bool kmag_cpu_install(struct kmag_cache *c, gfp_t gfp, unsigned long *flags)
{
	bool blocking = gfpflags_allow_blocking(gfp);
	struct kmag_mag *m[2];
	struct kmag_cpu *cc;
	int i;

	if (!kmag_cpu_budget_ok(c))
		return false;
	spin_lock(&c->central.lock);
	m[0] = kmag_depot_get(c, false);
	m[1] = kmag_depot_get(c, false);
	spin_unlock(&c->central.lock);
	if (!m[0] || !m[1]) {
		if (blocking)
			local_unlock_irqrestore(&kmag_lock, *flags);
		else
			gfp = GFP_NOWAIT;
		for (i = 0; i < 2; i++)
			m[i] = m[i] ?: kmag_mag_alloc(c, gfp);
		if (blocking)
			local_lock_irqsave(&kmag_lock, *flags);
	}
	cc = this_cpu_ptr(c->cpu);
	/* Possibly another CPU than above: its budget is checked again. */
	if (m[0] && m[1] && !cc->loaded->capacity && kmag_cpu_budget_ok(c)) {
		cc->loaded = m[0];
		cc->previous = m[1];
		this_cpu_add(kmag_cpu_charged, kmag_cpu_charge(c));
		kmag_reclaim_kick();	/* idle magazines get flushed */
		return true;
	}
	kmag_mag_free(m[0]);
	kmag_mag_free(m[1]);
	return cc->loaded->capacity;
}

/*
 * No magazines to be had: one object straight from the spans, or from a
 * full magazine of the depot (whose other rounds go back to their spans),
 * growing the cache if need be. Same locking as kmag_alloc_refill().
 */
static void *kmag_alloc_unbuffered(struct kmag_cache *c, gfp_t gfp,
				   unsigned long *flags)
{
	struct kmag_central *ct = &c->central;
	struct kmag_mag *m;
	void *p = NULL;
	int nid;

	for (;;) {
		spin_lock(&ct->lock);
		if (!kmag_central_get(c, &p, 1, NUMA_NO_NODE)) {
			m = kmag_depot_get(c, true);
			if (m) {
				p = m->objs[--m->rounds];
				kmag_central_put(c, m->objs, m->rounds);
				m->rounds = 0;
				kmag_depot_put(c, m);
			}
		}
		spin_unlock(&ct->lock);
		if (p)
			return p;
		local_unlock_irqrestore(&kmag_lock, *flags);
		nid = kmag_central_grow(c, gfp, NUMA_NO_NODE);
		local_lock_irqsave(&kmag_lock, *flags);
		if (nid < 0)
			return NULL;
	}
}

/**
 * kmag_alloc_refill() - alloc slow path: the loaded magazine is empty
 * @c: the cache
 * @gfp: allocation flags
 * @flags: IRQ state saved by local_lock_irqsave() of the magazine lock
 *
 * Swaps with previous, else trades with its node's depot, else fills the
 * loaded magazine from the central lists, else grows the cache from the
 * page heap (dropping the magazine lock meanwhile) and tries again. Where
 * more than one node has memory, the central lists are first asked for
 * objects of this CPU's home node only, and the cache grows there if that
 * needs no reclaim, before other nodes' objects are taken (§17). Without
 * magazines (no memory for them), serves one object from the central lists.
 *
 * Context: magazine lock held on entry and on return (possibly on another
 * CPU than on entry).
 * Return: an object, or NULL.
 */
void *kmag_alloc_refill(struct kmag_cache *c, gfp_t gfp, unsigned long *flags)
{
	struct kmag_central *ct = &c->central;
	bool any_node = !kmag_numa();
	struct kmag_mag *full;
	struct kmag_cpu *cc;
	unsigned int n;
	void *p;

	for (;;) {
		cc = this_cpu_ptr(c->cpu);
		if (cc->loaded->rounds)
			break;
		if (unlikely(!cc->loaded->capacity)) {
			if (kmag_cpu_install(c, gfp, flags))
				continue;
			p = kmag_alloc_unbuffered(c, gfp, flags);
			if (p)
				this_cpu_ptr(c->cpu)->stat[KMAG_MAG_MISS]++;
			return p;
		}
		if (cc->previous->rounds) {
			swap(cc->loaded, cc->previous);
			break;
		}
		kmag_depot_lock(ct);
		full = kmag_depot_get(c, true);
		if (full) {
			kmag_depot_put(c, cc->previous);
			cc->previous = cc->loaded;
			cc->loaded = full;
			spin_unlock(&ct->lock);
			break;
		}
		n = kmag_central_get(c, cc->loaded->objs, cc->loaded->capacity,
				     any_node ? NUMA_NO_NODE : kmag_home_node());
		spin_unlock(&ct->lock);
		if (n) {
			cc->loaded->rounds = n;
			break;
		}
		/* Nothing cached: grow, with IRQs as the caller had them. */
		local_unlock_irqrestore(&kmag_lock, *flags);
		if (!any_node) {
			/*
			 * Nothing on the home node: a new span there if the
			 * buddy allocator has one without reclaim, else other
			 * nodes' objects before a span with @gfp (§17).
			 */
			any_node = kmag_central_grow(c, kmag_chunk_try_gfp(gfp) |
						     __GFP_THISNODE,
						     kmag_home_node()) < 0;
			n = 1;
		} else {
			n = kmag_central_grow(c, gfp, NUMA_NO_NODE) >= 0;
		}
		local_lock_irqsave(&kmag_lock, *flags);
		if (!n)
			return NULL;
	}
	/* Counted only for an operation that completes: hits = ops - misses. */
	cc->stat[KMAG_MAG_MISS]++;
	return cc->loaded->objs[--cc->loaded->rounds];
}
EXPORT_SYMBOL_NS_GPL(kmag_alloc_refill, KMAG_INTERNAL);

/**
 * kmag_free_slow() - free slow path: the loaded magazine is full
 * @c: the cache @p belongs to
 * @p: the object
 *
 * Swaps with an empty previous, else retires previous to the depot and
 * loads an empty magazine. Without memory for a magazine, or if @c was
 * destroyed with live objects, @p goes straight back to its span.
 *
 * Context: magazine lock held (IRQs off); never sleeps.
 */
void kmag_free_slow(struct kmag_cache *c, void *p)
{
	struct kmag_central *ct = &c->central;
	struct kmag_cpu *cc = this_cpu_ptr(c->cpu);
	struct kmag_mag *empty;

	cc->stat[KMAG_MAG_MISS]++;
	/* A destroyed cache's magazines were drained: keep them empty. */
	if (unlikely(c->dead))
		goto to_span;
	if (unlikely(!cc->loaded->capacity) &&
	    !kmag_cpu_install(c, GFP_NOWAIT, NULL))
		goto to_span;
	if (cc->loaded->rounds < cc->loaded->capacity)
		goto push;
	if (!cc->previous->rounds) {
		swap(cc->loaded, cc->previous);
		goto push;
	}
	kmag_depot_lock(ct);
	empty = kmag_depot_get(c, false);
	spin_unlock(&ct->lock);
	if (!empty)
		empty = kmag_mag_alloc(c, GFP_NOWAIT);
	if (!empty)
		goto to_span;
	kmag_depot_lock(ct);
	kmag_depot_put(c, cc->previous);
	spin_unlock(&ct->lock);
	cc->previous = cc->loaded;
	cc->loaded = empty;
	kmag_reclaim_kick();	/* the depot's working set gets reaped */
push:
	cc->loaded->objs[cc->loaded->rounds++] = p;
	return;
to_span:
	kmag_central_put_one(c, p);
}
EXPORT_SYMBOL_NS_GPL(kmag_free_slow, KMAG_INTERNAL);

/*
 * Empty the magazines of @c on @cpu (this CPU under its magazine lock, or an
 * offline one) into the central lists, free them and give back the charge.
 */
static void kmag_cpu_flush(struct kmag_cache *c, int cpu)
{
	struct kmag_cpu *cc = per_cpu_ptr(c->cpu, cpu);
	struct kmag_mag *m[2] = { cc->loaded, cc->previous };
	unsigned long flags;
	int i;

	if (cc->loaded->capacity)
		*per_cpu_ptr(&kmag_cpu_charged, cpu) -= kmag_cpu_charge(c);
	cc->loaded = &kmag_no_mag;
	cc->previous = &kmag_no_mag;
	spin_lock_irqsave(&c->central.lock, flags);
	for (i = 0; i < 2; i++)
		kmag_central_put(c, m[i]->objs, m[i]->rounds);
	spin_unlock_irqrestore(&c->central.lock, flags);
	for (i = 0; i < 2; i++)
		if (m[i]->capacity)
			kmag_mag_free(m[i]);
}

/*
 * Running something on other CPUs (§16): a CPU's magazines are looked at
 * only by that CPU, under its magazine lock, which sleeps on PREEMPT_RT.
 * So not from an IPI (hard IRQ) but from a work item on each CPU, in
 * process context, as SLUB's flush_all() does. The work items are shared
 * by every caller: kmag_cpu_work_mutex serializes them.
 */
struct kmag_cpu_work {
	struct work_struct work;
	void (*fn)(void *arg);
	void *arg;
	int cpu;
	bool queued;
};

static DEFINE_PER_CPU(struct kmag_cpu_work, kmag_cpu_work);
static DEFINE_MUTEX(kmag_cpu_work_mutex);
struct workqueue_struct *kmag_flush_wq;

static void kmag_cpu_work_fn(struct work_struct *work)
{
	struct kmag_cpu_work *w = container_of(work, struct kmag_cpu_work, work);
	unsigned long flags;

	local_lock_irqsave(&kmag_lock, flags);
	/* Its CPU went offline before the work ran (kmag_cpu_dead() flushes). */
	if (smp_processor_id() == w->cpu)
		w->fn(w->arg);
	local_unlock_irqrestore(&kmag_lock, flags);
}

/**
 * kmag_on_cpus() - call @fn(@arg) on each CPU of @mask, under its magazine lock
 * @mask: CPUs; an offline one (or one that goes offline meanwhile) is skipped
 * @fn: what to run; it must not sleep (IRQs are off on !PREEMPT_RT)
 * @arg: its argument
 *
 * Context: process context; may sleep. No magazine lock held; the locks
 * @fn takes must not be held.
 */
void kmag_on_cpus(const struct cpumask *mask, void (*fn)(void *arg), void *arg)
{
	struct kmag_cpu_work *w;
	int cpu;

	mutex_lock(&kmag_cpu_work_mutex);
	for_each_cpu(cpu, mask) {
		w = per_cpu_ptr(&kmag_cpu_work, cpu);
		INIT_WORK(&w->work, kmag_cpu_work_fn);
		w->fn = fn;
		w->arg = arg;
		w->cpu = cpu;
		w->queued = true;
		queue_work_on(cpu, kmag_flush_wq, &w->work);
	}
	/* Every work queued, whatever @mask (cpu_online_mask) became. */
	for_each_possible_cpu(cpu) {
		w = per_cpu_ptr(&kmag_cpu_work, cpu);
		if (w->queued) {
			flush_work(&w->work);
			w->queued = false;
		}
	}
	mutex_unlock(&kmag_cpu_work_mutex);
}
EXPORT_SYMBOL_NS_GPL(kmag_on_cpus, KMAG_INTERNAL);

static void kmag_flush_this_cpu(void *arg)
{
	struct kmag_cache *c = arg;

	kmag_cpu_flush(c, smp_processor_id());
}

/**
 * kmag_magazines_drain() - empty every CPU's magazines and the depot of @c
 * @c: the cache
 *
 * Objects of @c in KASAN's quarantine go to the magazines first. Online CPUs
 * flush their own magazines (kmag_on_cpus()); magazines of offline CPUs are
 * flushed from here. Then the depot is emptied and free spans go back to
 * the page heap.
 *
 * Context: process context, cpus_read_lock() held; may sleep.
 */
void kmag_magazines_drain(struct kmag_cache *c)
{
	int cpu;

	kmag_quarantine_flush(c);
	kmag_on_cpus(cpu_online_mask, kmag_flush_this_cpu, c);
	for_each_possible_cpu(cpu)
		if (!cpu_online(cpu))
			kmag_cpu_flush(c, cpu);
	kmag_central_flush(c);
}
EXPORT_SYMBOL_NS_GPL(kmag_magazines_drain, KMAG_INTERNAL);

/**
 * kmag_magazines_reap_idle() - flush the magazines of CPUs that left @c alone
 * @c: the cache
 * @busy: set to true if some CPU still has magazines of @c afterwards
 *
 * A CPU whose operation counters for @c did not move since the last reap
 * has its magazines flushed back to the spans and freed, by that CPU
 * (kmag_on_cpus()). The fast paths do nothing for this: the counters are
 * the ones they keep anyway, and the magazines are looked at only by their
 * owner.
 *
 * Context: process context, cpus_read_lock() and kmag_caches_mutex held
 * (which protects the mask of CPUs to flush); may sleep.
 * Return: the CPUs flushed.
 */
unsigned int kmag_magazines_reap_idle(struct kmag_cache *c, bool *busy)
{
	static struct cpumask idle;
	unsigned int flushed = 0;
	struct kmag_cpu *cc;
	unsigned long ops;
	int cpu;

	lockdep_assert_held(&kmag_caches_mutex);
	cpumask_clear(&idle);
	for_each_online_cpu(cpu) {
		cc = per_cpu_ptr(c->cpu, cpu);
		ops = READ_ONCE(cc->stat[KMAG_ALLOC]) + READ_ONCE(cc->stat[KMAG_FREE]);
		if (!kmag_reap_cpu_idle(READ_ONCE(cc->loaded) != &kmag_no_mag, ops,
					&cc->reap_ops, busy))
			continue;
		cpumask_set_cpu(cpu, &idle);
		flushed++;
	}
	if (flushed)
		kmag_on_cpus(&idle, kmag_flush_this_cpu, c);
	return flushed;
}
EXPORT_SYMBOL_NS_GPL(kmag_magazines_reap_idle, KMAG_INTERNAL);

/* A CPU went away: its magazines must not hold objects hostage. */
static int kmag_cpu_dead(unsigned int cpu)
{
	struct kmag_cache *c;

	kmag_tiny_cpu_dead(cpu);	/* its block may go to this CPU's magazine */
	mutex_lock(&kmag_caches_mutex);
	list_for_each_entry(c, &kmag_caches, list)
		kmag_cpu_flush(c, cpu);
	mutex_unlock(&kmag_caches_mutex);
	kmag_large_cpu_dead(cpu);
	return 0;
}

int kmag_magazine_init(void)
{
	int ret;

	kmag_cpu_budget = clamp(KMAG_CPU_BUDGET_TOTAL / num_possible_cpus(),
				KMAG_CPU_BUDGET_MIN, KMAG_CPU_BUDGET_MAX);
	if (cpu_cache_budget_kb) {
		if (cpu_cache_budget_kb < 256 || cpu_cache_budget_kb > SZ_1M) {
			pr_err("kmag: cpu_cache_budget_kb=%u: not within 256 .. 1048576\n",
			       cpu_cache_budget_kb);
			return -EINVAL;
		}
		kmag_cpu_budget = (unsigned long)cpu_cache_budget_kb << 10;
	}

	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "kmag:dead",
					NULL, kmag_cpu_dead);
	if (ret < 0)
		return ret;
	kmag_cpuhp_state = ret;
	return 0;
}

void kmag_magazine_exit(void)
{
	cpuhp_remove_state_nocalls(kmag_cpuhp_state);
}
