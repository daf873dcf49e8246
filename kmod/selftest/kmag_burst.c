// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_burst: kselftest module (kselftest_module.h), loaded by
 * scripts/selftests/kmag/kmag_burst.sh. Does an allocator give memory back
 * to the kernel after a burst? Measured with the kernel's own count of free
 * pages, for kmag or for SLUB (kmalloc/kfree of the same sizes).
 *
 * phase=burst: two kthreads, one per CPU, each allocate mb/2 MiB of objects
 * of 8 B .. 256 KiB (a power-of-two bucket picked uniformly, then a size in
 * it: small objects are numerous, large ones hold most of the bytes), with a
 * pattern in their first and last bytes. Then each thread frees half of its
 * own objects and half of the other thread's (cross-CPU frees), checking the
 * pattern first. Free pages are recorded before the burst, at its peak (all
 * allocated) and right after the last free.
 *
 * phase=pressure: the same burst, then at once take_mb MiB of pages from the
 * buddy allocator, as large blocks as it has with __GFP_NORETRY, single
 * pages with __GFP_RETRY_MAYFAIL (reclaim, shrinkers included, retried while
 * it makes progress; never the OOM killer): loading fails if they cannot be
 * had, which is what happens when the allocator keeps the memory of the
 * burst and gives none of it back under pressure. (With __GFP_NORETRY for
 * single pages too, one reclaim pass sometimes came 10 to 30 MiB short under
 * TCG, for SLUB as for kmag.) The pages are freed before init returns.
 *
 * Every object is freed before init returns. Loading fails on an allocation
 * failure during the burst or a corrupted pattern.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include <kmag.h>

#include "kselftest_module.h"
#include "kmag_selftest.h"

KSTM_MODULE_GLOBALS();

static char *allocator = "kmag";
module_param(allocator, charp, 0444);
MODULE_PARM_DESC(allocator, "kmag (kmag_alloc/kmag_free) or slub (kmalloc/kfree)");

static unsigned int mb = 256;
module_param(mb, uint, 0444);
MODULE_PARM_DESC(mb, "size of the burst in MiB, split between two CPUs");

static char *phase = "burst";
module_param(phase, charp, 0444);
MODULE_PARM_DESC(phase, "burst, or pressure (burst, then take take_mb MiB of pages)");

static unsigned int take_mb;
module_param(take_mb, uint, 0444);
MODULE_PARM_DESC(take_mb, "MiB of pages to take after the burst (phase=pressure); 0: free memory before the burst minus 64 MiB");

#define NR_THREADS	2
#define MIN_SHIFT	3	/* 8 B */
#define MAX_SHIFT	18	/* 256 KiB */
#define EDGE		16	/* bytes of pattern at each end of an object */
#define FIRST_CAP	4096	/* objects; the array doubles when full */
#define TAKE_ORDER	9	/* pressure: largest block taken at once */
#define TAKE_SLACK_MB	64UL	/* take_mb=0: what is left to the kernel */

struct obj {
	void *p;
	u32 size;
};

struct burst_thread {
	struct task_struct *task;
	int cpu;
	struct rnd_state rnd;
	struct obj *objs;
	unsigned long nr, cap;
	size_t bytes;
	unsigned long failed, corrupt, freed;
	struct burst_thread *other;
};

static struct burst_thread threads[NR_THREADS];
static bool use_kmag;
static atomic_t pending;
static DECLARE_COMPLETION(allocated);
static DECLARE_COMPLETION(may_free);
static DECLARE_COMPLETION(all_freed);

static void *burst_alloc(size_t size)
{
	return use_kmag ? kmag_alloc(size, GFP_KERNEL) : kmalloc(size, GFP_KERNEL);
}

static void burst_free(void *p)
{
	if (use_kmag)
		kmag_free(p);
	else
		kfree(p);
}

static u8 pattern(const void *p, u32 i)
{
	return (u8)(((unsigned long)p >> 3) + i * 7);
}

/* Offset of the i-th patterned byte: the first and last EDGE bytes. */
static u32 edge_offset(u32 size, u32 i)
{
	return size <= 2 * EDGE || i < EDGE ? i : size - 2 * EDGE + i;
}

static void fill(void *p, u32 size)
{
	u8 *b = p;
	u32 i, off;

	for (i = 0; i < min_t(u32, size, 2 * EDGE); i++) {
		off = edge_offset(size, i);
		b[off] = pattern(p, off);
	}
}

static bool check(const void *p, u32 size)
{
	const u8 *b = p;
	u32 i, off;

	for (i = 0; i < min_t(u32, size, 2 * EDGE); i++) {
		off = edge_offset(size, i);
		if (b[off] != pattern(p, off))
			return false;
	}
	return true;
}

/* 8 B .. 256 KiB: bucket [2^k, 2^(k+1)) picked uniformly, the last closed. */
static u32 pick_size(struct burst_thread *t)
{
	u32 k = MIN_SHIFT + prandom_u32_state(&t->rnd) % (MAX_SHIFT - MIN_SHIFT);
	u32 span = (1U << k) + (k == MAX_SHIFT - 1);

	return (1U << k) + prandom_u32_state(&t->rnd) % span;
}

static bool grow(struct burst_thread *t)
{
	unsigned long cap = t->cap ? 2 * t->cap : FIRST_CAP;
	struct obj *objs = vmalloc(array_size(cap, sizeof(*objs)));

	if (!objs)
		return false;
	if (t->nr)
		memcpy(objs, t->objs, t->nr * sizeof(*objs));
	vfree(t->objs);
	t->objs = objs;
	t->cap = cap;
	return true;
}

static void release(struct burst_thread *t, struct obj *o)
{
	if (!check(o->p, o->size))
		t->corrupt++;
	burst_free(o->p);
	o->p = NULL;
	t->freed++;
}

static int burst_fn(void *arg)
{
	struct burst_thread *t = arg;
	size_t target = (size_t)mb << 19;	/* half the burst, in bytes */
	struct obj *o;
	unsigned long i;

	while (t->bytes < target) {
		if (t->nr == t->cap && !grow(t)) {
			t->failed++;
			break;
		}
		o = &t->objs[t->nr];
		o->size = pick_size(t);
		o->p = burst_alloc(o->size);
		if (!o->p) {
			t->failed++;
			break;
		}
		fill(o->p, o->size);
		t->bytes += o->size;
		t->nr++;
		if ((t->nr & 63) == 0)
			cond_resched();
	}
	if (atomic_dec_and_test(&pending))
		complete(&allocated);

	wait_for_completion(&may_free);
	for (i = 0; i < t->nr; i += 2) {
		release(t, &t->objs[i]);
		if ((i & 127) == 0)
			cond_resched();
	}
	for (i = 1; i < t->other->nr; i += 2) {
		release(t, &t->other->objs[i]);
		if ((i & 127) == 1)
			cond_resched();
	}
	if (atomic_dec_and_test(&pending))
		complete(&all_freed);

	return kmag_selftest_wait_stop();
}

static unsigned long __init free_pages_now(void)
{
	struct sysinfo si;

	si_meminfo(&si);
	return si.freeram;
}

/* Runs the burst; false if it could not start. */
static bool __init run_burst(unsigned long *before)
{
	unsigned long peak, after, objs = 0, failed = 0, corrupt = 0, freed = 0;
	size_t bytes = 0;
	unsigned int i;
	int cpu[NR_THREADS];

	/* Two CPUs, or twice the same one if only one is online. */
	cpu[0] = cpumask_first(cpu_online_mask);
	cpu[1] = cpumask_next(cpu[0], cpu_online_mask);
	if (cpu[1] >= nr_cpu_ids)
		cpu[1] = cpu[0];
	for (i = 0; i < NR_THREADS; i++) {
		threads[i].cpu = cpu[i];
		threads[i].other = &threads[(i + 1) % NR_THREADS];
		prandom_seed_state(&threads[i].rnd, 0x6b627273ULL + i);
		threads[i].task = kthread_create_on_cpu(burst_fn, &threads[i],
							cpu[i], "kmag_burst/%u");
		KSTM_CHECK_ZERO(IS_ERR(threads[i].task));
		if (IS_ERR(threads[i].task)) {
			while (i--)
				kthread_stop(threads[i].task);
			return false;
		}
	}

	atomic_set(&pending, NR_THREADS);
	*before = free_pages_now();
	for (i = 0; i < NR_THREADS; i++)
		wake_up_process(threads[i].task);
	wait_for_completion(&allocated);
	peak = free_pages_now();
	atomic_set(&pending, NR_THREADS);
	complete_all(&may_free);
	wait_for_completion(&all_freed);
	after = free_pages_now();

	for (i = 0; i < NR_THREADS; i++) {
		kthread_stop(threads[i].task);
		objs += threads[i].nr;
		bytes += threads[i].bytes;
		failed += threads[i].failed;
		corrupt += threads[i].corrupt;
		freed += threads[i].freed;
	}
	for (i = 0; i < NR_THREADS; i++)
		vfree(threads[i].objs);

	pr_info("%s burst of %zu MiB in %lu objects, on CPUs %d and %d\n",
		allocator, bytes >> 20, objs, cpu[0], cpu[1]);
	pr_info("free pages before %lu peak %lu after %lu\n", *before, peak, after);
	if (failed || corrupt)
		pr_warn("%lu failed allocations, %lu corrupted objects\n",
			failed, corrupt);
	KSTM_CHECK_ZERO(failed);
	KSTM_CHECK_ZERO(corrupt);
	KSTM_CHECK_ZERO(freed != objs);
	return true;
}

/* Take @want pages (largest blocks first) and give them back: how many? */
static unsigned long __init take_pages(unsigned long want)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	unsigned int order = TAKE_ORDER;
	unsigned long got = 0;
	struct page *page, *tmp;
	LIST_HEAD(taken);

	while (got < want) {
		while (order && (1UL << order) > want - got)
			order--;
		page = alloc_pages(gfp | (order ? __GFP_NORETRY : __GFP_RETRY_MAYFAIL),
				   order);
		if (!page) {
			if (!order)
				break;
			order--;
			continue;
		}
		set_page_private(page, order);
		list_add(&page->lru, &taken);
		got += 1UL << order;
		cond_resched();
	}
	list_for_each_entry_safe(page, tmp, &taken, lru) {
		order = page_private(page);
		list_del(&page->lru);
		set_page_private(page, 0);
		__free_pages(page, order);
	}
	return got;
}

static void __init selftest(void)
{
	unsigned long before, want, got;
	bool pressure;
	u64 start;

	use_kmag = sysfs_streq(allocator, "kmag");
	pressure = sysfs_streq(phase, "pressure");
	KSTM_CHECK_ZERO(!use_kmag && !sysfs_streq(allocator, "slub"));
	KSTM_CHECK_ZERO(!pressure && !sysfs_streq(phase, "burst"));
	KSTM_CHECK_ZERO(mb < 2);
	if (failed_tests)
		return;

	if (!run_burst(&before) || !pressure)
		return;

	/* At once: the allocator gets no idle time to give memory back. */
	if (take_mb)
		want = (unsigned long)take_mb << (20 - PAGE_SHIFT);
	else
		want = before - min(before, TAKE_SLACK_MB << (20 - PAGE_SHIFT));
	start = ktime_get_ns();
	got = take_pages(want);
	pr_info("%s took %lu MiB of %lu MiB asked right after the burst, in %llu ms\n",
		allocator, got >> (20 - PAGE_SHIFT), want >> (20 - PAGE_SHIFT),
		div_u64(ktime_get_ns() - start, NSEC_PER_MSEC));
	KSTM_CHECK_ZERO(got < want);
}

KSTM_MODULE_LOADERS(kmag_burst);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmag selftest: memory given back after a burst");
