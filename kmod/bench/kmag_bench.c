// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_bench: kmag against SLUB and against an ideal per-CPU array, in one
 * boot, in the style of the kernel community's time_bench: a whole loop is
 * timed and the cost per operation is interval / count, minus an empty-loop
 * calibration; a compiler barrier keeps every object alive between its
 * allocation and its free.
 *
 * Allocators (one specialised loop each, no indirect calls in timed code):
 *   kmag        kmag_alloc / kmag_free
 *   kmag_cache  kmag_cache_alloc / kmag_cache_free, a cache of that size
 *   slub        kmalloc / kfree
 *   slub_cache  kmem_cache_alloc / kmem_cache_free, a cache of that size
 *   ideal       a preallocated per-CPU array of pointers popped and pushed
 *               under local_irq_save (the usual protection of per-CPU data
 *               that IRQs use too; kmag's fast path disables only
 *               preemption, with a per-CPU busy flag), with the same
 *               init_on_alloc zeroing (memset()).
 *               It is inlined into the timed loop.
 *   ideal_call  the same behind two out-of-line functions, as any allocator
 *               called through an exported API is: under TCG a call and its
 *               return cost as much as many plain instructions.
 *   kmag_prof   kmag_alloc / kmag_free with the heap profile on at its
 *               default rate (P1 and P2 only); every other kmag run has it
 *               off (heap_profile_rate 0), and the rate kmag had is put back
 *               at the end.
 *
 * Scenarios (see scripts/bench.sh): P1 alloc+free pairs; P2 alloc N then
 * free N in LIFO, FIFO and shuffled order; P3 CPU 0 allocates, CPU 1 frees
 * through a ring; P4 P1 and P2 on every CPU at once against one CPU; P6
 * large objects. Each runs "reps" times, allocators interleaved. P7 (once):
 * a burst of mixed objects allocated and freed, then the memory still held
 * sampled every 100 ms, in MiB in the ns_per_op column (variant t=<ms>;
 * allocator kmag_sys is kmag's own sys_bytes).
 *
 * Loading runs everything (it takes a while) and returns; the results are
 * CSV lines in /sys/kernel/debug/kmag_bench/results:
 *   rep,scenario,variant,allocator,ns_per_op,mag_hit_rate,sys_bytes
 * (mag_hit_rate and sys_bytes are kmag's, -1 for the other allocators).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <kmag.h>

#include "kmag_internal.h"

static bool quick;
module_param(quick, bool, 0444);
MODULE_PARM_DESC(quick, "fewer sizes, fewer repetitions, shorter loops");
static unsigned int reps = 5;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "repetitions of every measurement");
static unsigned int loops = 100000;
module_param(loops, uint, 0444);
MODULE_PARM_DESC(loops, "operations per measurement (small objects)");
static char *scenarios = "P1,P2,P3,P4,P6,P7";
module_param(scenarios, charp, 0444);
MODULE_PARM_DESC(scenarios, "which scenarios to run, e.g. P1,P2 (default: all)");

enum bench_alloc {
	B_KMAG, B_KMAG_CACHE, B_SLUB, B_SLUB_CACHE, B_IDEAL, B_IDEAL_CALL,
	B_KMAG_PROF, B_NR
};
static const char * const bench_alloc_name[B_NR] = {
	"kmag", "kmag_cache", "slub", "slub_cache", "ideal", "ideal_call", "kmag_prof",
};

static unsigned long prof_rate_was, prof_rate_now;

struct bench_ctx {
	size_t size;
	struct kmag_cache *kc;
	struct kmem_cache *sc;
	bool zero;		/* ideal: zero like init_on_alloc */
};

struct ideal_cpu {
	unsigned int n;
	void **objs;
};

static struct ideal_cpu __percpu *ideal;
static char *out;
static size_t out_len, out_size;
static struct dentry *bench_dir;

static __printf(1, 2) void emit(const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = vsnprintf(out + out_len, out_size - out_len, fmt, args);
	va_end(args);
	if (n > 0 && out_len + n < out_size)
		out_len += n;
}

static __always_inline void *ideal_pop(struct bench_ctx *b)
{
	struct ideal_cpu *ic;
	unsigned long flags;
	void *p;

	local_irq_save(flags);
	ic = this_cpu_ptr(ideal);
	p = ic->objs[--ic->n];
	local_irq_restore(flags);
	if (b->zero)
		memset(p, 0, b->size);
	return p;
}

static __always_inline void ideal_push(void *p)
{
	struct ideal_cpu *ic;
	unsigned long flags;

	local_irq_save(flags);
	ic = this_cpu_ptr(ideal);
	ic->objs[ic->n++] = p;
	local_irq_restore(flags);
}

static noinline void *ideal_pop_call(struct bench_ctx *b)
{
	return ideal_pop(b);
}

static noinline void ideal_push_call(void *p)
{
	ideal_push(p);
}

static __always_inline void *b_alloc(int a, struct bench_ctx *b)
{
	switch (a) {
	case B_KMAG:
	case B_KMAG_PROF:
		return kmag_alloc(b->size, GFP_KERNEL);
	case B_KMAG_CACHE:
		return kmag_cache_alloc(b->kc, GFP_KERNEL);
	case B_SLUB:
		return kmalloc(b->size, GFP_KERNEL);
	case B_SLUB_CACHE:
		return kmem_cache_alloc(b->sc, GFP_KERNEL);
	case B_IDEAL_CALL:
		return ideal_pop_call(b);
	default:
		return ideal_pop(b);
	}
}

static __always_inline void b_free(int a, struct bench_ctx *b, void *p)
{
	switch (a) {
	case B_KMAG:
	case B_KMAG_PROF:
		kmag_free(p);
		break;
	case B_KMAG_CACHE:
		kmag_cache_free(b->kc, p);
		break;
	case B_SLUB:
		kfree(p);
		break;
	case B_SLUB_CACHE:
		kmem_cache_free(b->sc, p);
		break;
	case B_IDEAL_CALL:
		ideal_push_call(p);
		break;
	default:
		ideal_push(p);
	}
}

/* Timed loops, one copy per allocator. Return: nanoseconds. */
static __always_inline u64 pair_loop(int a, struct bench_ctx *b, unsigned long n)
{
	unsigned long i;
	u64 t0;
	void *p;

	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		p = b_alloc(a, b);
		barrier_data(p);
		b_free(a, b, p);
	}
	return ktime_get_ns() - t0;
}

enum { ORDER_LIFO, ORDER_FIFO, ORDER_SHUFFLED };
static const char * const order_name[] = { "lifo", "fifo", "shuffled" };

static __always_inline u64 batch_loop(int a, struct bench_ctx *b, void **ptrs,
				      const u32 *perm, unsigned int n,
				      unsigned int rounds, int order)
{
	unsigned int r, i;
	u64 t0;

	t0 = ktime_get_ns();
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++) {
			ptrs[i] = b_alloc(a, b);
			barrier_data(ptrs[i]);
		}
		if (order == ORDER_LIFO)
			for (i = n; i-- > 0;)
				b_free(a, b, ptrs[i]);
		else if (order == ORDER_FIFO)
			for (i = 0; i < n; i++)
				b_free(a, b, ptrs[i]);
		else
			for (i = 0; i < n; i++)
				b_free(a, b, ptrs[perm[i]]);
	}
	return ktime_get_ns() - t0;
}

#define FOR_ALLOC(a, call)				\
	({						\
		u64 __t;				\
		switch (a) {				\
		case B_KMAG:				\
		case B_KMAG_PROF:			\
			__t = call(B_KMAG);		\
			break;				\
		case B_KMAG_CACHE:			\
			__t = call(B_KMAG_CACHE);	\
			break;				\
		case B_SLUB:				\
			__t = call(B_SLUB);		\
			break;				\
		case B_SLUB_CACHE:			\
			__t = call(B_SLUB_CACHE);	\
			break;				\
		case B_IDEAL_CALL:			\
			__t = call(B_IDEAL_CALL);	\
			break;				\
		default:				\
			__t = call(B_IDEAL);		\
			break;				\
		}					\
		__t;					\
	})

/* Callers keep the thread on one CPU (the ideal arrays are per CPU). */
static u64 run_pairs(int a, struct bench_ctx *b, unsigned long n)
{
#define PAIR(x) pair_loop(x, b, n)
	return FOR_ALLOC(a, PAIR);
#undef PAIR
}

/*
 * The heap profile on (kmag_prof) or off (any other allocator) for the
 * run of @a that follows, @b the contexts of the scenario: switched only
 * when it changes. Switching patches kmag's code (a static key), which an
 * emulator translates again the next time it runs: a few untimed rounds
 * of kmag and kmag_cache pay for that, whichever kmag run comes next.
 */
static void prof_for(int a, struct bench_ctx *b)
{
	unsigned long rate = a == B_KMAG_PROF ? KMAG_PROF_RATE_DEFAULT : 0;

	if (rate == prof_rate_now || kmag_prof_set_rate(rate))
		return;
	prof_rate_now = rate;
	if (!b)
		return;
	migrate_disable();
	pair_loop(B_KMAG, &b[B_KMAG], 1000);
	if (b[B_KMAG_CACHE].kc)
		pair_loop(B_KMAG_CACHE, &b[B_KMAG_CACHE], 1000);
	migrate_enable();
}

static u64 run_pairs_pinned(int a, struct bench_ctx *b, unsigned long n)
{
	u64 ns;

	migrate_disable();
	ns = run_pairs(a, b, n);
	migrate_enable();
	return ns;
}

static u64 run_batch(int a, struct bench_ctx *b, void **ptrs, const u32 *perm,
		     unsigned int n, unsigned int rounds, int order)
{
#define BATCH(x) batch_loop(x, b, ptrs, perm, n, rounds, order)
	return FOR_ALLOC(a, BATCH);
#undef BATCH
}

static u64 calib_ns_per_kop;	/* empty loop, ns per 1000 iterations */

static void calibrate(void)
{
	unsigned long i, n = loops;
	u64 t0 = ktime_get_ns();

	for (i = 0; i < n; i++)
		barrier();
	calib_ns_per_kop = div_u64((ktime_get_ns() - t0) * 1000, n);
}

/* ns per op in thousandths, calibrated. */
static u64 per_op_milli(u64 ns, unsigned long ops)
{
	u64 m = div_u64(ns * 1000, ops);

	return m > calib_ns_per_kop ? m - calib_ns_per_kop : 0;
}

/* Fill every online CPU's ideal array with @n objects of @size. */
static int ideal_fill(size_t size, unsigned int n)
{
	struct ideal_cpu *ic;
	int cpu;

	for_each_online_cpu(cpu) {
		ic = per_cpu_ptr(ideal, cpu);
		ic->objs = kvmalloc_array(n, sizeof(void *), GFP_KERNEL);
		if (!ic->objs)
			return -ENOMEM;
		for (ic->n = 0; ic->n < n; ic->n++) {
			ic->objs[ic->n] = kmalloc(size, GFP_KERNEL);
			if (!ic->objs[ic->n])
				return -ENOMEM;
		}
	}
	return 0;
}

static void ideal_empty(void)
{
	struct ideal_cpu *ic;
	int cpu;

	for_each_online_cpu(cpu) {
		ic = per_cpu_ptr(ideal, cpu);
		while (ic->objs && ic->n)
			kfree(ic->objs[--ic->n]);
		kvfree(ic->objs);
		ic->objs = NULL;
	}
}

static int ctx_init(struct bench_ctx *b, int a, size_t size, unsigned int ideal_n)
{
	memset(b, 0, sizeof(*b));
	b->size = size;
	b->zero = want_init_on_alloc(GFP_KERNEL);
	if (a == B_KMAG_CACHE)
		b->kc = kmag_cache_create("kmag_bench", size, 0, 0, NULL);
	if (a == B_SLUB_CACHE)
		b->sc = kmem_cache_create("kmag_bench", size, 0, 0, NULL);
	if ((a == B_KMAG_CACHE && !b->kc) || (a == B_SLUB_CACHE && !b->sc))
		return -ENOMEM;
	if (a == B_IDEAL)	/* ideal_call uses the same arrays */
		return ideal_fill(size, ideal_n);
	return 0;
}

static void ctx_exit(struct bench_ctx *b, int a)
{
	if (a == B_KMAG_CACHE)
		kmag_cache_destroy(b->kc);
	if (a == B_SLUB_CACHE)
		kmem_cache_destroy(b->sc);
	if (a == B_IDEAL)
		ideal_empty();
}

/* Contexts for every allocator in @mask at once. */
static int ctxs_init(struct bench_ctx *b, unsigned int mask, size_t size,
		     unsigned int ideal_n)
{
	int a, ret = 0;

	memset(b, 0, B_NR * sizeof(*b));
	for (a = 0; a < B_NR && !ret; a++)
		if (mask & BIT(a))
			ret = ctx_init(&b[a], a, size, ideal_n);
	return ret;
}

static void ctxs_exit(struct bench_ctx *b, unsigned int mask)
{
	int a;

	for (a = 0; a < B_NR; a++)
		if (mask & BIT(a))
			ctx_exit(&b[a], a);
}

/* Record one measurement, with kmag's hit rate over it. */
static void record(unsigned int rep, const char *scen, const char *variant, int a,
		   u64 milli, const struct kmag_stats *s0)
{
	struct kmag_stats s1;
	long hits, misses;

	if (a == B_KMAG || a == B_KMAG_CACHE || a == B_KMAG_PROF) {
		kmag_stats_read(&s1);
		hits = s1.magazine_hits - s0->magazine_hits;
		misses = s1.magazine_misses - s0->magazine_misses;
		emit("%u,%s,%s,%s,%llu.%03llu,%ld.%03ld,%ld\n", rep, scen, variant,
		     bench_alloc_name[a], milli / 1000, milli % 1000,
		     hits + misses ? hits * 1000 / (hits + misses) / 1000 : 0,
		     hits + misses ? hits * 1000 / (hits + misses) % 1000 : 0,
		     s1.sys_bytes);
	} else {
		emit("%u,%s,%s,%s,%llu.%03llu,-1,-1\n", rep, scen, variant,
		     bench_alloc_name[a], milli / 1000, milli % 1000);
	}
}

static const size_t p1_sizes[] = { 8, 64, 256, 1024, 4096 };
static const unsigned int p2_counts[] = { 1, 16, 256, 4096, 65536 };

/*
 * The machine is shared and emulated: rather than one long loop per
 * allocator, the loop is cut into CHUNKS pieces and the allocators take
 * turns, so that a slow stretch of the host hits all of them alike.
 */
#define CHUNKS 10
#define ALL_SMALL (BIT(B_NR) - 1)

static void bench_p1(unsigned int rep)
{
	struct bench_ctx b[B_NR] = {};
	unsigned long n = loops / CHUNKS;
	struct kmag_stats s0;
	u64 ns[B_NR] = {};
	char variant[32];
	int i, k, a, ch;

	for (i = 0; i < ARRAY_SIZE(p1_sizes); i++) {
		if (quick && p1_sizes[i] != 64 && p1_sizes[i] != 256)
			continue;
		snprintf(variant, sizeof(variant), "size=%zu", p1_sizes[i]);
		if (ctxs_init(b, ALL_SMALL, p1_sizes[i], 64))
			goto next;
		memset(ns, 0, sizeof(ns));
		for (a = 0; a < B_NR; a++) {
			prof_for(a, b);
			run_pairs_pinned(a, &b[a], 1000);	/* warm up */
		}
		kmag_stats_read(&s0);
		for (ch = 0; ch < CHUNKS; ch++) {
			for (k = 0; k < B_NR; k++) {
				a = (k + ch + rep) % B_NR;
				prof_for(a, b);
				ns[a] += run_pairs_pinned(a, &b[a], n);
			}
			cond_resched();
		}
		for (a = 0; a < B_NR; a++)
			record(rep, "P1", variant, a, per_op_milli(ns[a], n * CHUNKS), &s0);
next:
		ctxs_exit(b, ALL_SMALL);
	}
}

static void bench_p2(unsigned int rep)
{
	unsigned int i, j, n, rounds, chunks;
	struct bench_ctx b[B_NR] = {};
	struct kmag_stats s0;
	struct rnd_state rnd;
	char variant[48];
	u64 ns[B_NR];
	int o, k, a, ch;
	void **ptrs;
	u32 *perm;

	ptrs = kvmalloc_array(65536, sizeof(*ptrs), GFP_KERNEL);
	perm = kvmalloc_array(65536, sizeof(*perm), GFP_KERNEL);
	if (!ptrs || !perm)
		goto out;
	prandom_seed_state(&rnd, 1234 + rep);
	for (i = 0; i < ARRAY_SIZE(p2_counts); i++) {
		n = p2_counts[i];
		if (quick && n > 4096)
			continue;
		rounds = max(1U, loops / n);
		chunks = min_t(unsigned int, rounds, CHUNKS);
		rounds /= chunks;
		/* Fisher-Yates over 0..n-1 */
		for (j = 0; j < n; j++)
			perm[j] = j;
		for (j = n - 1; j > 0; j--) {
			u32 r = prandom_u32_state(&rnd) % (j + 1);

			swap(perm[j], perm[r]);
		}
		if (ctxs_init(b, ALL_SMALL, 64, n))
			goto next;
		for (o = ORDER_LIFO; o <= ORDER_SHUFFLED; o++) {
			snprintf(variant, sizeof(variant), "N=%u %s", n, order_name[o]);
			memset(ns, 0, sizeof(ns));
			kmag_stats_read(&s0);
			for (ch = 0; ch < chunks; ch++) {
				for (k = 0; k < B_NR; k++) {
					a = (k + ch + rep) % B_NR;
					prof_for(a, b);
					migrate_disable();
					ns[a] += run_batch(a, &b[a], ptrs, perm, n, rounds, o);
					migrate_enable();
				}
				cond_resched();
			}
			for (a = 0; a < B_NR; a++)
				record(rep, "P2", variant, a,
				       per_op_milli(ns[a], (unsigned long)n * rounds * chunks),
				       &s0);
		}
next:
		ctxs_exit(b, ALL_SMALL);
	}
out:
	kvfree(ptrs);
	kvfree(perm);
}

/* Multi-CPU runs: one pinned kthread per CPU, released together. */
struct mc_job {
	int kind;		/* 0: pairs, 1: batch LIFO N=256, 2: ring producer, 3: ring consumer */
	int a;
	struct bench_ctx *b;
	unsigned long n;
	u64 ns;
	void **ptrs;		/* kind 1: 256 slots */
	struct completion done;
	struct mc_shared *sh;
};

#define RING 1024
struct mc_shared {
	struct completion go;
	void *ring[RING];
	unsigned long head;	/* written by the producer */
	unsigned long tail;	/* written by the consumer */
};

/* Spin politely: a voluntary-preemption kernel needs the cond_resched(). */
static void ring_wait(unsigned long *spins)
{
	cpu_relax();
	if (!(++*spins & 1023))
		cond_resched();
}

/*
 * Single producer, single consumer ring. The release of head publishes the
 * slot written before it to the consumer's acquire; the release of tail
 * tells the producer, through its acquire, that the slot was read.
 */
static __always_inline void ring_produce(int a, struct mc_job *j)
{
	struct mc_shared *sh = j->sh;
	unsigned long i, head = 0, spins = 0;

	for (i = 0; i < j->n; i++) {
		/* acquire: pairs with the consumer's release of tail */
		while (head - smp_load_acquire(&sh->tail) >= RING)
			ring_wait(&spins);
		sh->ring[head % RING] = b_alloc(a, j->b);
		/* release: publishes the slot to the consumer */
		smp_store_release(&sh->head, ++head);
	}
}

static __always_inline void ring_consume(int a, struct mc_job *j)
{
	struct mc_shared *sh = j->sh;
	unsigned long tail = 0, spins = 0;

	while (tail < j->n) {
		/* acquire: pairs with the producer's release of head */
		while (smp_load_acquire(&sh->head) == tail)
			ring_wait(&spins);
		b_free(a, j->b, sh->ring[tail % RING]);
		/* release: the slot may be reused by the producer */
		smp_store_release(&sh->tail, ++tail);
	}
}

static int mc_thread(void *arg)
{
	struct mc_job *j = arg;
	u64 t0;

	wait_for_completion(&j->sh->go);
	t0 = ktime_get_ns();
	switch (j->kind) {
	case 0:
		run_pairs(j->a, j->b, j->n);
		break;
	case 1:
		run_batch(j->a, j->b, j->ptrs, NULL, 256, j->n / 256, ORDER_LIFO);
		break;
	case 2:
		if (j->a == B_KMAG)
			ring_produce(B_KMAG, j);
		else
			ring_produce(B_SLUB, j);
		break;
	default:
		if (j->a == B_KMAG)
			ring_consume(B_KMAG, j);
		else
			ring_consume(B_SLUB, j);
	}
	j->ns = ktime_get_ns() - t0;
	complete(&j->done);
	return 0;
}

/* Run jobs[i] on CPU cpus[i], all at once; wall time in ns, or 0. */
static u64 run_on_cpus(struct mc_job *jobs, const int *cpus, int nr, struct mc_shared *sh)
{
	struct task_struct *t;
	u64 wall = 0;
	int i;

	init_completion(&sh->go);
	for (i = 0; i < nr; i++) {
		jobs[i].sh = sh;
		init_completion(&jobs[i].done);
		t = kthread_create_on_cpu(mc_thread, &jobs[i], cpus[i], "kmag_bench/%u");
		if (IS_ERR(t))
			return 0;
		wake_up_process(t);
	}
	complete_all(&sh->go);
	for (i = 0; i < nr; i++) {
		wait_for_completion(&jobs[i].done);
		wall = max(wall, jobs[i].ns);
	}
	return wall;
}

static void bench_p3(unsigned int rep, struct mc_shared *sh)
{
	static const int cpus[2] = { 0, 1 };
	const unsigned int mask = BIT(B_KMAG) | BIT(B_SLUB);
	unsigned long n = loops / (CHUNKS / 2);
	struct bench_ctx b[B_NR] = {};
	struct mc_job jobs[2];
	struct kmag_stats s0;
	u64 ns[B_NR] = {};
	int k, a, ch;

	if (num_online_cpus() < 2 || !cpu_online(1) || ctxs_init(b, mask, 64, 0))
		goto out;
	kmag_stats_read(&s0);
	for (ch = 0; ch < CHUNKS / 2; ch++) {
		for (k = 0; k < 2; k++) {
			a = (k + ch + rep) % 2 ? B_SLUB : B_KMAG;
			jobs[0] = (struct mc_job){ .kind = 2, .a = a, .b = &b[a], .n = n };
			jobs[1] = (struct mc_job){ .kind = 3, .a = a, .b = &b[a], .n = n };
			sh->head = 0;
			sh->tail = 0;
			ns[a] += run_on_cpus(jobs, cpus, 2, sh);
		}
	}
	record(rep, "P3", "size=64 cpu0->cpu1", B_KMAG,
	       per_op_milli(ns[B_KMAG], n * (CHUNKS / 2)), &s0);
	record(rep, "P3", "size=64 cpu0->cpu1", B_SLUB,
	       per_op_milli(ns[B_SLUB], n * (CHUNKS / 2)), &s0);
out:
	ctxs_exit(b, mask);
}

/*
 * Throughput of all CPUs at once over one CPU, x1000. One-CPU and all-CPU
 * runs alternate, and every allocator takes its turn in each round.
 */
static void bench_p4(unsigned int rep, struct mc_shared *sh)
{
	static const int allocs[] = { B_KMAG, B_SLUB, B_IDEAL };
	const unsigned int mask = BIT(B_KMAG) | BIT(B_SLUB) | BIT(B_IDEAL);
	int *cpus, nr = 0, cpu, kind, k, a, i, ch;
	u64 one[B_NR], all[B_NR];
	struct bench_ctx b[B_NR] = {};
	struct mc_job *jobs;
	struct kmag_stats s0;
	unsigned long n = loops / (CHUNKS / 2);
	void **ptrs;

	if (num_online_cpus() < 2)
		return;
	cpus = kcalloc(nr_cpu_ids, sizeof(*cpus), GFP_KERNEL);
	jobs = kcalloc(nr_cpu_ids, sizeof(*jobs), GFP_KERNEL);
	ptrs = kcalloc(nr_cpu_ids * 256, sizeof(*ptrs), GFP_KERNEL);
	if (!cpus || !jobs || !ptrs || ctxs_init(b, mask, 64, 256))
		goto out;
	for_each_online_cpu(cpu)
		cpus[nr++] = cpu;
	for (kind = 0; kind < 2; kind++) {
		memset(one, 0, sizeof(one));
		memset(all, 0, sizeof(all));
		kmag_stats_read(&s0);
		for (ch = 0; ch < CHUNKS / 2; ch++) {
			for (k = 0; k < ARRAY_SIZE(allocs); k++) {
				a = allocs[(k + ch + rep) % ARRAY_SIZE(allocs)];
				for (i = 0; i < nr; i++)
					jobs[i] = (struct mc_job){ .kind = kind, .a = a,
						.b = &b[a], .n = n, .ptrs = ptrs + i * 256 };
				one[a] += run_on_cpus(jobs, cpus, 1, sh);
				all[a] += run_on_cpus(jobs, cpus, nr, sh);
			}
		}
		/* Reported in the ns_per_op column: the throughput ratio. */
		for (k = 0; k < ARRAY_SIZE(allocs); k++) {
			a = allocs[k];
			record(rep, "P4", kind ? "N=256 lifo speedup" : "size=64 pair speedup",
			       a, all[a] ? div64_u64(one[a] * nr * 1000, all[a]) : 0, &s0);
		}
	}
out:
	ctxs_exit(b, mask);
	kfree(ptrs);
	kfree(jobs);
	kfree(cpus);
}

static void bench_p6(unsigned int rep)
{
	static const size_t sizes[] = { 65536, 262144, 1 << 20 };
	const unsigned int mask = BIT(B_KMAG) | BIT(B_SLUB);
	struct bench_ctx b[B_NR] = {};
	struct kmag_stats s0;
	char variant[32];
	u64 ns[B_NR];
	unsigned long n;
	int i, k, a, ch;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		/* Zeroing 1 MiB dominates: fewer ops for the larger sizes. */
		n = max(20UL, loops / 5 / (sizes[i] >> 16) / CHUNKS);
		if (quick)
			n = max(4UL, n / 10);
		snprintf(variant, sizeof(variant), "size=%zu", sizes[i]);
		if (ctxs_init(b, mask, sizes[i], 0))
			goto next;
		memset(ns, 0, sizeof(ns));
		run_pairs_pinned(B_KMAG, &b[B_KMAG], 10);
		run_pairs_pinned(B_SLUB, &b[B_SLUB], 10);
		kmag_stats_read(&s0);
		for (ch = 0; ch < CHUNKS; ch++) {
			for (k = 0; k < 2; k++) {
				a = (k + ch + rep) % 2 ? B_SLUB : B_KMAG;
				ns[a] += run_pairs_pinned(a, &b[a], n);
			}
			cond_resched();
		}
		record(rep, "P6", variant, B_KMAG, per_op_milli(ns[B_KMAG], n * CHUNKS), &s0);
		record(rep, "P6", variant, B_SLUB, per_op_milli(ns[B_SLUB], n * CHUNKS), &s0);
next:
		ctxs_exit(b, mask);
	}
}

/* P7: memory held after a burst, sampled over time. */
#define P7_STEP_MS	100

static unsigned long p7_free_pages(void)
{
	struct sysinfo si;

	si_meminfo(&si);
	return si.freeram;
}

static size_t p7_size(struct rnd_state *rnd)
{
	/* A power-of-two bucket of 8 B .. 256 KiB, then a size inside it. */
	unsigned int b = 3 + prandom_u32_state(rnd) % 16;
	size_t lo = 1UL << b;

	return lo + prandom_u32_state(rnd) % lo;
}

/*
 * Allocate @mb MiB of mixed objects with @a (kmag or slub), free them all,
 * then record every P7_STEP_MS how much memory is still missing from the
 * kernel's free pages (and, for kmag, its own sys_bytes), in MiB, in the
 * ns_per_op column: variant t=<ms>, and "peak".
 */
static void p7_run(unsigned int rep, int a, unsigned int mb, unsigned int ms)
{
	unsigned long before, peak, n = 0, max = (unsigned long)mb << 10;
	size_t bytes = 0, size;
	struct kmag_stats st;
	struct rnd_state rnd;
	char variant[32];
	unsigned int t;
	void **objs;

	objs = vmalloc(max * sizeof(*objs));
	if (!objs)
		return;
	prandom_seed_state(&rnd, 77);
	before = p7_free_pages();
	while (bytes < ((size_t)mb << 20) && n < max) {
		size = p7_size(&rnd);
		objs[n] = a == B_KMAG ? kmag_alloc(size, GFP_KERNEL) : kmalloc(size, GFP_KERNEL);
		if (!objs[n])
			break;
		bytes += size;
		n++;
		if (!(n & 255))
			cond_resched();
	}
	peak = p7_free_pages();
	emit("%u,P7,peak,%s,%lu,-1,-1\n", rep, bench_alloc_name[a],
	     (before - min(before, peak)) >> (20 - PAGE_SHIFT));
	while (n--) {
		if (a == B_KMAG)
			kmag_free(objs[n]);
		else
			kfree(objs[n]);
	}
	vfree(objs);
	for (t = 0; t <= ms; t += P7_STEP_MS) {
		snprintf(variant, sizeof(variant), "t=%u", t);
		emit("%u,P7,%s,%s,%ld,-1,-1\n", rep, variant, bench_alloc_name[a],
		     ((long)before - (long)p7_free_pages()) >> (20 - PAGE_SHIFT));
		if (a == B_KMAG) {
			kmag_stats_read(&st);
			emit("%u,P7,%s,kmag_sys,%ld,-1,-1\n", rep, variant,
			     st.sys_bytes >> 20);
		}
		msleep(P7_STEP_MS);
	}
}

static void bench_p7(unsigned int rep)
{
	unsigned int mb = quick ? 64 : 128, ms = quick ? 2000 : 3000;

	kmag_drain();
	p7_run(rep, B_SLUB, mb, ms);
	kmag_drain();
	p7_run(rep, B_KMAG, mb, ms);
}

static int results_show(struct seq_file *m, void *v)
{
	seq_write(m, out, out_len);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(results);

static int __init bench_init(void)
{
	struct mc_shared *sh;
	unsigned int rep;

	if (quick) {
		reps = min(reps, 3U);
		loops = min(loops, 20000U);
	}
	out_size = 1 << 20;
	out = kvzalloc(out_size, GFP_KERNEL);
	ideal = alloc_percpu(struct ideal_cpu);
	sh = kzalloc(sizeof(*sh), GFP_KERNEL);
	if (!out || !ideal || !sh) {
		kvfree(out);
		free_percpu(ideal);
		kfree(sh);
		return -ENOMEM;
	}
	calibrate();
	prof_rate_was = kmag_prof_get_rate();
	prof_rate_now = prof_rate_was;
	prof_for(B_KMAG, NULL);
	pr_info("%u reps of %u ops, init_on_alloc=%d, empty loop %llu.%03llu ns/op\n",
		reps, loops, want_init_on_alloc(GFP_KERNEL), calib_ns_per_kop / 1000,
		calib_ns_per_kop % 1000);
	emit("rep,scenario,variant,allocator,ns_per_op,mag_hit_rate,sys_bytes\n");
	for (rep = 0; rep < reps; rep++) {
		if (strstr(scenarios, "P1"))
			bench_p1(rep);
		if (strstr(scenarios, "P2"))
			bench_p2(rep);
		prof_for(B_KMAG, NULL);	/* off for the rest */
		if (strstr(scenarios, "P3"))
			bench_p3(rep, sh);
		if (strstr(scenarios, "P4"))
			bench_p4(rep, sh);
		if (strstr(scenarios, "P6"))
			bench_p6(rep);
		if (strstr(scenarios, "P7") && !rep)
			bench_p7(rep);
		pr_info("rep %u done\n", rep);
	}
	if (kmag_prof_set_rate(prof_rate_was))
		pr_err("heap_profile_rate %lu not put back\n", prof_rate_was);
	kfree(sh);
	bench_dir = debugfs_create_dir("kmag_bench", NULL);
	debugfs_create_file("results", 0444, bench_dir, NULL, &results_fops);
	return 0;
}

static void __exit bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
	free_percpu(ideal);
	kvfree(out);
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_IMPORT_NS(KMAG_INTERNAL);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmag benchmark: kmag vs SLUB vs an ideal per-CPU array");
