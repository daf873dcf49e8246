// SPDX-License-Identifier: GPL-2.0
/*
 * The sampled heap profile (§19), as Go's MemProfileRate and TCMalloc's
 * sampling: about one allocation per heap_profile_rate bytes allocated
 * records its stack; the live samples, scaled by the probability of being
 * sampled, estimate the live heap by stack.
 *
 * Sampling: each CPU keeps, per cache, a countdown of bytes (kmag_cpu.
 * prof_left) that every allocation decrements under the magazine lock the
 * fast path holds anyway; when it goes below zero the allocation is sampled
 * and the countdown starts again from a random exponential interval of
 * mean heap_profile_rate. Large objects have one countdown per CPU. Every
 * countdown is then a Poisson process over the bytes allocated, and so is
 * their union: an object of s bytes is sampled with probability
 * p = 1 - exp(-s / rate), and stands for 1/p objects and s/p bytes. With
 * heap_profile_rate 0 the small objects' countdowns start from LONG_MAX
 * and never run out (the decrement stays: a static key around it cost
 * more with the profile on, 20-30% of an alloc/free pair under the
 * emulator, than the decrement costs off); a static key leaves the large
 * objects' path untouched.
 *
 * A sample: the object (its address hidden from kmemleak, so that a
 * leaked object is still reported as a leak), its span, its cache, its
 * estimate, and its bucket, one per stack (stack depot handle), which adds
 * up the live estimates and those of every allocation sampled since load,
 * as Go's heap profile buckets do. Buckets live until unload.
 *
 * Free: a span counts its live samples (kmag_span.sampled, on the cache
 * line the free path reads anyway); only when that is not zero does a free
 * look its object up here (kmag_prof_free()). Samples also die when their
 * cache is destroyed and at unload.
 *
 * Locking: kmag_prof_lock (a spinlock, IRQs off on !PREEMPT_RT: frees come
 * from any context kmag serves) protects both hash tables, the buckets and
 * every span's sampled count. It is taken with or without the magazine
 * lock held, and nests no lock: memory is allocated (GFP_NOWAIT, never
 * sleeping) and stacks saved before it is taken. Readers of heap_profile
 * copy one hash chain per hold.
 */
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/math64.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/sort.h>
#include <linux/stackdepot.h>
#include <linux/stacktrace.h>
#include <linux/vmalloc.h>

#include "kmag_internal.h"

#define KMAG_PROF_DEPTH		32
#define KMAG_PROF_SAMPLE_BITS	12	/* hash chains for samples */
#define KMAG_PROF_BUCKET_BITS	10	/* hash chains for stacks */

DEFINE_STATIC_KEY_FALSE(kmag_prof_key);
/* Bytes between samples on average; 0: off. Written under kmag_prof_mutex. */
static unsigned long kmag_prof_rate = KMAG_PROF_RATE_DEFAULT;
static DEFINE_MUTEX(kmag_prof_mutex);
static DEFINE_SPINLOCK(kmag_prof_lock);
static struct hlist_head *kmag_prof_samples;	/* by object address */
static struct hlist_head *kmag_prof_buckets;	/* by stack */
static unsigned long kmag_prof_nr_samples;	/* live samples */
static unsigned long kmag_prof_nr_buckets;
/* Countdown for large objects, per CPU (small ones: kmag_cpu.prof_left). */
static DEFINE_PER_CPU(long, kmag_prof_large_left);

/* Estimates are in Q16 objects and in bytes. */
struct kmag_prof_bucket {
	struct hlist_node node;
	depot_stack_handle_t handle;
	u64 inuse_objs, inuse_bytes;	/* live samples, scaled */
	u64 alloc_objs, alloc_bytes;	/* every sample since load, scaled */
};

struct kmag_prof_sample {
	struct hlist_node node;
	/*
	 * ~address of the object: kmemleak scans this struct, and must not
	 * take it for a reference that keeps a leaked object alive.
	 */
	unsigned long hidden;
	struct kmag_span *span;
	struct kmag_cache *cache;	/* NULL: a large object */
	struct kmag_prof_bucket *bucket;
	u64 objs, bytes;		/* this sample's estimate */
};

/* log2(1 + i/64) in Q16, i = 0..64. */
static const u32 kmag_log2_tab[65] = {
	0, 1466, 2909, 4331, 5732, 7112, 8473, 9814, 11136, 12440, 13727,
	14996, 16248, 17484, 18704, 19909, 21098, 22272, 23433, 24579, 25711,
	26830, 27936, 29029, 30109, 31178, 32234, 33279, 34312, 35334, 36346,
	37346, 38336, 39316, 40286, 41246, 42196, 43137, 44068, 44990, 45904,
	46809, 47705, 48593, 49472, 50344, 51207, 52063, 52911, 53751, 54584,
	55410, 56229, 57040, 57845, 58643, 59434, 60219, 60997, 61769, 62534,
	63294, 64047, 64794, 65536,
};

/* 2^(-i/64) in Q31, i = 0..64. */
static const u32 kmag_exp2_tab[65] = {
	2147483648, 2124350982, 2101467502, 2078830522, 2056437387, 2034285470,
	2012372174, 1990694927, 1969251188, 1948038440, 1927054196, 1906295993,
	1885761398, 1865448001, 1845353420, 1825475297, 1805811301, 1786359126,
	1767116489, 1748081133, 1729250827, 1710623359, 1692196547, 1673968228,
	1655936265, 1638098541, 1620452965, 1602997467, 1585730000, 1568648537,
	1551751076, 1535035634, 1518500250, 1502142985, 1485961921, 1469955159,
	1454120821, 1438457051, 1422962010, 1407633882, 1392470869, 1377471191,
	1362633090, 1347954824, 1333434672, 1319070932, 1304861917, 1290805962,
	1276901417, 1263146652, 1249540052, 1236080024, 1222764986, 1209593378,
	1196563654, 1183674286, 1170923762, 1158310587, 1145833280, 1133490379,
	1121280436, 1109202018, 1097253708, 1085434106, 1073741824,
};

#define KMAG_LOG2E_Q16	94548	/* log2(e) */
#define KMAG_LN2_Q16	45426	/* ln(2) */

/* log2(@x) in Q16, @x >= 1: exponent and a table of the mantissa, as fastlog2. */
static u64 kmag_log2_q16(u64 x)
{
	unsigned int e = fls64(x) - 1;
	u32 t = (e >= 16 ? x >> (e - 16) : x << (16 - e)) & 0xffff;
	u32 i = t >> 10, rem = t & 0x3ff;

	return ((u64)e << 16) + kmag_log2_tab[i] +
	       (((kmag_log2_tab[i + 1] - kmag_log2_tab[i]) * rem) >> 10);
}

/**
 * kmag_prof_interval() - bytes until the next sample
 *
 * A random exponential interval of mean heap_profile_rate: -ln(u) * rate
 * for u uniform in (0, 1], in integer arithmetic (-ln(u) is at most about
 * 22 here).
 *
 * Context: any context kmag serves.
 * Return: the interval, LONG_MAX while the profile is off.
 */
long kmag_prof_interval(void)
{
	unsigned long rate = READ_ONCE(kmag_prof_rate);
	u64 nlog;

	if (!rate)
		return LONG_MAX;
	/* -log2(u), u = (r + 1) / 2^32 */
	nlog = (32ULL << 16) - kmag_log2_q16((u64)get_random_u32() + 1);
	return (((u64)rate * nlog) >> 16) * KMAG_LN2_Q16 >> 16;
}

/**
 * kmag_prof_restart() - a countdown ran out: restart it
 * @cc: this CPU's part of the cache whose countdown it is
 *
 * Context: as kmag_prof_count(), whose slow side it is.
 * Return: true if the allocation is to be sampled (the profile is on).
 */
bool kmag_prof_restart(struct kmag_cpu *cc)
{
	cc->prof_left = kmag_prof_interval();
	return cc->prof_left != LONG_MAX;
}
EXPORT_SYMBOL_NS_GPL(kmag_prof_restart, KMAG_INTERNAL);

/*
 * p = 1 - exp(-@size / @rate), the probability that an object of @size
 * bytes is sampled, in Q32 (never 0). Small x by its series, else
 * exp(-x) = 2^(-x log2 e) from a table.
 */
static u64 kmag_prof_prob(u64 size, u64 rate)
{
	u64 x = div64_u64(size << 32, rate), x2, y, t;
	u32 i, rem;

	if (x >= 32ULL << 32)
		return 1ULL << 32;
	if (x < 1ULL << 28) {		/* x < 1/16: x - x^2/2 + x^3/6 */
		x2 = (x * x) >> 32;
		return max(x - x2 / 2 + ((x2 * x) >> 32) / 6, 1ULL);
	}
	y = ((x >> 16) * KMAG_LOG2E_Q16) >> 16;		/* Q16 */
	i = (y & 0xffff) >> 10;
	rem = y & 0x3ff;
	t = kmag_exp2_tab[i] -
	    ((((u64)kmag_exp2_tab[i] - kmag_exp2_tab[i + 1]) * rem) >> 10);
	return (1ULL << 32) - ((t << 1) >> (y >> 16));
}

static struct kmag_prof_bucket *kmag_prof_bucket_find(depot_stack_handle_t h)
{
	struct kmag_prof_bucket *b;

	lockdep_assert_held(&kmag_prof_lock);
	hlist_for_each_entry(b, &kmag_prof_buckets[hash_32(h, KMAG_PROF_BUCKET_BITS)], node)
		if (b->handle == h)
			return b;
	return NULL;
}

/**
 * kmag_prof_alloc() - record a sampled allocation
 * @c: its cache, NULL for a large object
 * @p: the object, handed out but not yet returned to the caller
 * @size: its usable size
 *
 * Saves the stack (without this function) in the stack depot and adds a
 * sample. Whatever cannot be had without sleeping (stack depot space,
 * memory for the sample or its bucket) drops the sample, counted in
 * heap_profile_dropped.
 *
 * Context: any context kmag serves; no kmag lock held. Never sleeps.
 */
void kmag_prof_alloc(struct kmag_cache *c, void *p, size_t size)
{
	unsigned long entries[KMAG_PROF_DEPTH], flags, rate;
	struct kmag_prof_bucket *b, *spare = NULL;
	struct kmag_prof_sample *smp;
	depot_stack_handle_t h;
	unsigned int nr;
	u64 prob;

	rate = READ_ONCE(kmag_prof_rate);
	if (!rate)
		return;		/* turned off meanwhile */
	nr = stack_trace_save(entries, ARRAY_SIZE(entries), 1);
	h = stack_depot_save(entries, nr, GFP_NOWAIT | __GFP_NOWARN);
	if (!h)
		goto drop;
	smp = kmalloc(sizeof(*smp), GFP_NOWAIT | __GFP_NOWARN);
	if (!smp)
		goto drop;
	prob = kmag_prof_prob(size, rate);
	smp->hidden = ~(unsigned long)p;
	smp->span = c ? kmag_obj_span(p) : kmag_span_of(p);
	smp->cache = c;
	smp->objs = div64_u64(1ULL << 48, prob);
	smp->bytes = div64_u64((u64)size << 32, prob);
	spin_lock_irqsave(&kmag_prof_lock, flags);
	b = kmag_prof_bucket_find(h);
	if (!b) {
		/* A new stack: its bucket is allocated with the lock dropped. */
		spin_unlock_irqrestore(&kmag_prof_lock, flags);
		spare = kzalloc(sizeof(*spare), GFP_NOWAIT | __GFP_NOWARN);
		if (!spare) {
			kfree(smp);
			goto drop;
		}
		spin_lock_irqsave(&kmag_prof_lock, flags);
		b = kmag_prof_bucket_find(h);
		if (!b) {
			b = spare;
			spare = NULL;
			b->handle = h;
			hlist_add_head(&b->node, &kmag_prof_buckets[hash_32(h,
					KMAG_PROF_BUCKET_BITS)]);
			kmag_prof_nr_buckets++;
		}
	}
	smp->bucket = b;
	b->inuse_objs += smp->objs;
	b->inuse_bytes += smp->bytes;
	b->alloc_objs += smp->objs;
	b->alloc_bytes += smp->bytes;
	hlist_add_head(&smp->node, &kmag_prof_samples[hash_ptr(p, KMAG_PROF_SAMPLE_BITS)]);
	WRITE_ONCE(smp->span->sampled, smp->span->sampled + 1);
	kmag_prof_nr_samples++;
	spin_unlock_irqrestore(&kmag_prof_lock, flags);
	kfree(spare);
	return;
drop:
	this_cpu_inc(kmag_pcpu_stat[KMAG_PROF_DROPPED]);
}

/*
 * Take @smp out (lock held): its bucket's live estimate, and its span's
 * count unless the spans are going away (@span false: module unload).
 */
static void kmag_prof_unlink(struct kmag_prof_sample *smp, bool span)
{
	lockdep_assert_held(&kmag_prof_lock);
	hlist_del(&smp->node);
	smp->bucket->inuse_objs -= smp->objs;
	smp->bucket->inuse_bytes -= smp->bytes;
	if (span)
		WRITE_ONCE(smp->span->sampled, smp->span->sampled - 1);
	kmag_prof_nr_samples--;
}

/**
 * kmag_prof_free() - forget the sample of an object being freed, if any
 * @s: its span, whose sampled count was not zero
 * @p: the object, whose free kmag accepted
 *
 * Context: any context kmag serves; the magazine lock may be held.
 */
void kmag_prof_free(struct kmag_span *s, const void *p)
{
	struct kmag_prof_sample *smp, *found = NULL;
	unsigned long flags;

	spin_lock_irqsave(&kmag_prof_lock, flags);
	hlist_for_each_entry(smp, &kmag_prof_samples[hash_ptr(p, KMAG_PROF_SAMPLE_BITS)],
			     node) {
		if (smp->hidden == ~(unsigned long)p) {
			found = smp;
			kmag_prof_unlink(smp, true);
			break;
		}
	}
	spin_unlock_irqrestore(&kmag_prof_lock, flags);
	kfree(found);
}

/*
 * Forget the samples of cache @c, or all of them (@all: at unload, spans
 * not touched); one hash chain per hold of the lock.
 */
static void kmag_prof_forget(struct kmag_cache *c, bool all)
{
	struct kmag_prof_sample *smp;
	struct hlist_node *tmp;
	unsigned long flags;
	HLIST_HEAD(gone);
	unsigned int i;

	for (i = 0; i < 1U << KMAG_PROF_SAMPLE_BITS; i++) {
		spin_lock_irqsave(&kmag_prof_lock, flags);
		hlist_for_each_entry_safe(smp, tmp, &kmag_prof_samples[i], node) {
			if (all || smp->cache == c) {
				kmag_prof_unlink(smp, !all);
				hlist_add_head(&smp->node, &gone);
			}
		}
		spin_unlock_irqrestore(&kmag_prof_lock, flags);
		hlist_for_each_entry_safe(smp, tmp, &gone, node)
			kfree(smp);
		INIT_HLIST_HEAD(&gone);
	}
}

/**
 * kmag_prof_cache_gone() - forget the samples of a cache being destroyed
 * @c: the cache (it may stay, orphaned, until its last object is freed)
 *
 * Context: process context.
 */
void kmag_prof_cache_gone(struct kmag_cache *c)
{
	kmag_prof_forget(c, false);
}

/*
 * Restart @cpu's countdowns from the current rate: this CPU under its
 * magazine lock (kmag_on_cpus()), or an offline CPU. kmag_prof_set_rate()
 * holds kmag_caches_mutex meanwhile (the work items run in other threads).
 */
static void kmag_prof_reset_cpu(int cpu)
{
	struct kmag_cache *c;

	list_for_each_entry(c, &kmag_caches, list)
		per_cpu_ptr(c->cpu, cpu)->prof_left = kmag_prof_interval();
	per_cpu(kmag_prof_large_left, cpu) = kmag_prof_interval();
}

static void kmag_prof_reset_this_cpu(void *arg)
{
	kmag_prof_reset_cpu(smp_processor_id());
}

/**
 * kmag_prof_cache_init() - start a new cache's countdowns
 * @c: the cache, not yet on kmag_caches
 *
 * Context: process context.
 */
void kmag_prof_cache_init(struct kmag_cache *c)
{
	int cpu;

	for_each_possible_cpu(cpu)
		per_cpu_ptr(c->cpu, cpu)->prof_left = kmag_prof_interval();
}

/**
 * kmag_prof_large_count() - count a large allocation, say if it is sampled
 * @size: its usable size (whole pages)
 *
 * The per-CPU countdown is updated with this_cpu operations: a task
 * preempted between them may make one interval longer or shorter, which
 * does not bias the estimates.
 *
 * Context: any context kmag serves.
 * Return: true if the allocation is to be recorded.
 */
bool kmag_prof_large_count(size_t size)
{
	if (this_cpu_sub_return(kmag_prof_large_left, size) >= 0)
		return false;
	this_cpu_write(kmag_prof_large_left, kmag_prof_interval());
	return true;
}

/**
 * kmag_prof_live() - live samples
 *
 * Context: any context.
 * Return: how many samples are live.
 */
unsigned long kmag_prof_live(void)
{
	return READ_ONCE(kmag_prof_nr_samples);
}

/**
 * kmag_prof_set_rate() - set heap_profile_rate
 * @rate: mean bytes between samples, 0 (off) .. KMAG_PROF_RATE_MAX
 *
 * Every countdown restarts from an interval of the new rate. Samples taken
 * so far stay until their objects are freed, whatever the rate.
 *
 * Context: process context; may sleep.
 * Return: 0, or -EINVAL (nothing changed).
 */
int kmag_prof_set_rate(unsigned long rate)
{
	int cpu;

	if (rate > KMAG_PROF_RATE_MAX)
		return -EINVAL;
	mutex_lock(&kmag_prof_mutex);
	WRITE_ONCE(kmag_prof_rate, rate);
	if (rate) {
		cpus_read_lock();
		mutex_lock(&kmag_caches_mutex);
		kmag_on_cpus(cpu_online_mask, kmag_prof_reset_this_cpu, NULL);
		for_each_possible_cpu(cpu)
			if (!cpu_online(cpu))
				kmag_prof_reset_cpu(cpu);
		mutex_unlock(&kmag_caches_mutex);
		cpus_read_unlock();
		static_branch_enable(&kmag_prof_key);
	} else {
		static_branch_disable(&kmag_prof_key);
	}
	mutex_unlock(&kmag_prof_mutex);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(kmag_prof_set_rate, KMAG_INTERNAL);

/**
 * kmag_prof_get_rate() - heap_profile_rate
 *
 * Context: any context.
 * Return: mean bytes between samples, 0 when off.
 */
unsigned long kmag_prof_get_rate(void)
{
	return READ_ONCE(kmag_prof_rate);
}
EXPORT_SYMBOL_NS_GPL(kmag_prof_get_rate, KMAG_INTERNAL);

static int kmag_prof_rate_get(void *data, u64 *val)
{
	*val = kmag_prof_get_rate();
	return 0;
}

static int kmag_prof_rate_set(void *data, u64 val)
{
	return val > KMAG_PROF_RATE_MAX ? -EINVAL : kmag_prof_set_rate(val);
}
DEFINE_DEBUGFS_ATTRIBUTE(kmag_prof_rate_fops, kmag_prof_rate_get, kmag_prof_rate_set,
			 "%llu\n");

/* One bucket, copied out for heap_profile. */
struct kmag_prof_row {
	depot_stack_handle_t handle;
	u64 inuse_objs, inuse_bytes, alloc_objs, alloc_bytes;
};

/* Most live bytes first, then most bytes allocated. */
static int kmag_prof_row_cmp(const void *a, const void *b)
{
	const struct kmag_prof_row *x = a, *y = b;

	if (x->inuse_bytes != y->inuse_bytes)
		return x->inuse_bytes < y->inuse_bytes ? 1 : -1;
	if (x->alloc_bytes != y->alloc_bytes)
		return x->alloc_bytes < y->alloc_bytes ? 1 : -1;
	return 0;
}

/* Q16 objects, rounded. */
static u64 kmag_prof_objs(u64 q16)
{
	return (q16 + (1 << 15)) >> 16;
}

/*
 * heap_profile: Go's legacy heap profile text. First line
 * "heap profile: <inuse objs>: <inuse bytes> [<alloc objs>: <alloc bytes>]
 * @ heap/<rate>", then per stack, most live bytes first, the same four
 * numbers "@" the return addresses, innermost first, and a
 * "#\t<address>\t<function+off/len [module]>" line per frame. Counts are
 * estimates: samples scaled by 1/p.
 */
static int kmag_prof_show(struct seq_file *m, void *v)
{
	struct kmag_prof_row *rows, tot = {};
	struct kmag_prof_bucket *b;
	unsigned long flags, *entries;
	size_t n = 0, cap, i;
	unsigned int nr, j;

	mutex_lock(&kmag_prof_mutex);
	cap = READ_ONCE(kmag_prof_nr_buckets) + 64;
	rows = kvmalloc_array(cap, sizeof(*rows), GFP_KERNEL);
	if (!rows) {
		mutex_unlock(&kmag_prof_mutex);
		return -ENOMEM;
	}
	for (i = 0; i < 1U << KMAG_PROF_BUCKET_BITS; i++) {
		spin_lock_irqsave(&kmag_prof_lock, flags);
		hlist_for_each_entry(b, &kmag_prof_buckets[i], node) {
			if (n == cap)
				break;	/* new since: left for the next read */
			rows[n].handle = b->handle;
			rows[n].inuse_objs = b->inuse_objs;
			rows[n].inuse_bytes = b->inuse_bytes;
			rows[n].alloc_objs = b->alloc_objs;
			rows[n].alloc_bytes = b->alloc_bytes;
			n++;
		}
		spin_unlock_irqrestore(&kmag_prof_lock, flags);
	}
	sort(rows, n, sizeof(*rows), kmag_prof_row_cmp, NULL);
	for (i = 0; i < n; i++) {
		tot.inuse_objs += rows[i].inuse_objs;
		tot.inuse_bytes += rows[i].inuse_bytes;
		tot.alloc_objs += rows[i].alloc_objs;
		tot.alloc_bytes += rows[i].alloc_bytes;
	}
	seq_printf(m, "heap profile: %llu: %llu [%llu: %llu] @ heap/%lu\n",
		   kmag_prof_objs(tot.inuse_objs), tot.inuse_bytes,
		   kmag_prof_objs(tot.alloc_objs), tot.alloc_bytes,
		   READ_ONCE(kmag_prof_rate));
	for (i = 0; i < n; i++) {
		seq_printf(m, "%llu: %llu [%llu: %llu] @",
			   kmag_prof_objs(rows[i].inuse_objs), rows[i].inuse_bytes,
			   kmag_prof_objs(rows[i].alloc_objs), rows[i].alloc_bytes);
		nr = stack_depot_fetch(rows[i].handle, &entries);
		for (j = 0; j < nr; j++)
			seq_printf(m, " %#lx", entries[j]);
		seq_putc(m, '\n');
		for (j = 0; j < nr; j++)
			seq_printf(m, "#\t%#lx\t%pS\n", entries[j], (void *)entries[j]);
		seq_putc(m, '\n');
	}
	mutex_unlock(&kmag_prof_mutex);
	kvfree(rows);
	return 0;
}

static int kmag_prof_open(struct inode *inode, struct file *file)
{
	/* Room for a few hundred stacks from the start: fewer retries. */
	return single_open_size(file, kmag_prof_show, NULL, 256 * 1024);
}

static const struct file_operations kmag_prof_fops = {
	.owner = THIS_MODULE,
	.open = kmag_prof_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

/**
 * kmag_prof_init() - get the heap profile ready, at the default rate
 * @dir: kmag's debugfs directory
 *
 * Context: process context (module load), before any client can allocate.
 * Return: 0 or -ENOMEM.
 */
int kmag_prof_init(struct dentry *dir)
{
	int cpu;

	if (stack_depot_init())
		return -ENOMEM;
	kmag_prof_samples = kvcalloc(1U << KMAG_PROF_SAMPLE_BITS,
				     sizeof(*kmag_prof_samples), GFP_KERNEL);
	kmag_prof_buckets = kvcalloc(1U << KMAG_PROF_BUCKET_BITS,
				     sizeof(*kmag_prof_buckets), GFP_KERNEL);
	if (!kmag_prof_samples || !kmag_prof_buckets) {
		kvfree(kmag_prof_samples);
		kvfree(kmag_prof_buckets);
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu)
		per_cpu(kmag_prof_large_left, cpu) = kmag_prof_interval();
	if (kmag_prof_rate)
		static_branch_enable(&kmag_prof_key);
	debugfs_create_file_unsafe("heap_profile_rate", 0644, dir, NULL,
				   &kmag_prof_rate_fops);
	debugfs_create_file("heap_profile", 0400, dir, NULL, &kmag_prof_fops);
	return 0;
}

/**
 * kmag_prof_exit() - free every sample and bucket
 *
 * Context: process context (module unload), once no object can be
 * allocated or freed any more and heap_profile is gone.
 */
void kmag_prof_exit(void)
{
	struct kmag_prof_bucket *b;
	struct hlist_node *tmp;
	unsigned int i;

	static_branch_disable(&kmag_prof_key);
	kmag_prof_forget(NULL, true);
	for (i = 0; i < 1U << KMAG_PROF_BUCKET_BITS; i++)
		hlist_for_each_entry_safe(b, tmp, &kmag_prof_buckets[i], node)
			kfree(b);
	kvfree(kmag_prof_samples);
	kvfree(kmag_prof_buckets);
}
