// SPDX-License-Identifier: GPL-2.0
/*
 * The tiny allocator (theory statement §18): Go's tiny allocator, made safe
 * for explicit free. Objects below 16 bytes share 16-byte blocks of the
 * kmag-tiny cache; each block has a 32-bit word in the tail of its span's
 * page:
 *
 *   bits  0..15  a live object starts at byte i of the block
 *   bits 16..30  a live object ends at byte i - 16 (an end at 15 is implicit)
 *   bit  31      the block is some CPU's current block
 *
 * Alloc: under this CPU's magazine lock, place the object at the cursor of
 * the current block (aligned as its size needs) and set its bits with
 * atomic_or(); a block too full is retired (bit 31 cleared) and a new one
 * taken. Free (from kmag_free_other(), magazine lock held): one cmpxchg
 * clears the object's bits if its start bit is set, else it is a double or
 * an interior free, reported. The word at 0 sends the block back.
 *
 * Not instrumented by KASAN (Kbuild): the words are kmag's metadata in
 * pages KASAN sees as a red zone, and kmag's own accesses are not checked
 * (as the kernel's slab allocators are not).
 */
#include <linux/cpu.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/mutex.h>

#include "kmag_internal.h"
#include "kmag_trace.h"
#include "sizeclasses.h"

#define KMAG_TINY_STARTS	0xffffU
#define KMAG_TINY_ENDS		0x7fff0000U
#define KMAG_TINY_CURRENT	0x80000000U

struct kmag_cache *kmag_tiny_cache;
EXPORT_SYMBOL_NS_GPL(kmag_tiny_cache, KMAG_INTERNAL);

/*
 * Tests only: keep the tiny path on in kernels with KASAN or kmemleak,
 * where kmag_alloc_tiny() is otherwise kmag_alloc().
 */
bool kmag_tiny_force;
EXPORT_SYMBOL_NS_GPL(kmag_tiny_force, KMAG_INTERNAL);

static struct kmag_tiny_cpu __percpu *kmag_tiny_pcpu;
/* Serializes kmag_tiny_drain() (its use of kmag_tiny_cpu.retired). */
static DEFINE_MUTEX(kmag_tiny_mutex);

/* The word of block @b: in the tail of its one-page span. */
static __always_inline atomic_t *kmag_tiny_word(const void *b)
{
	unsigned long a = (unsigned long)b;

	return (atomic_t *)((a & PAGE_MASK) + KMAG_TINY_WORDS) +
	       (a & ~PAGE_MASK) / KMAG_TINY_BLOCK;
}

/* Alignment an object of @size bytes needs (Go's tiny allocator's rule). */
static __always_inline unsigned int kmag_tiny_align(size_t size)
{
	if (!(size & 7))
		return 8;
	if (!(size & 3))
		return 4;
	return size & 1 ? 1 : 2;
}

/* The start and end bits of an object of @size bytes at byte @off. */
static __always_inline u32 kmag_tiny_bits(unsigned int off, unsigned int size)
{
	unsigned int end = off + size - 1;

	return BIT(off) | (end < 15 ? BIT(16 + end) : 0);
}

/* Size of the object that starts at byte @i, from word @w. */
static unsigned int kmag_tiny_objsize(u32 w, unsigned int i)
{
	u32 ends = ((w & KMAG_TINY_ENDS) >> 16) & ~(BIT(i) - 1);

	return (ends ? __ffs(ends) : 15) - i + 1;
}

/* Is byte @i inside a live object that starts before it? */
static bool kmag_tiny_inside(u32 w, unsigned int i)
{
	u32 starts = w & KMAG_TINY_STARTS & (BIT(i) - 1);
	unsigned int j;

	if (!starts)
		return false;
	j = __fls(starts);
	return j + kmag_tiny_objsize(w, j) > i;
}

/* Bytes the same object would take in its size class. */
static __always_inline long kmag_tiny_class_bytes(unsigned int size)
{
	return kmag_class_size[kmag_class_of(size)];
}

/* A new block's word is 0 (a constructor zeroes it when its span is made). */
static void kmag_tiny_ctor(void *b)
{
	atomic_set(kmag_tiny_word(b), 0);
}

/*
 * Retire block @b from being a current block: with no live object left, it
 * goes back to kmag-tiny. No kmag lock held.
 */
static void kmag_tiny_retire(void *b)
{
	if ((u32)atomic_fetch_andnot((int)KMAG_TINY_CURRENT, kmag_tiny_word(b)) ==
	    KMAG_TINY_CURRENT)
		kmag_tiny_block_put(b);
}

/*
 * An object of @size bytes at the cursor of this CPU's current block, or
 * NULL if there is none or it is too full. Magazine lock held.
 */
static __always_inline void *kmag_tiny_carve(struct kmag_tiny_cpu *t,
					     unsigned int size, unsigned int align)
{
	unsigned int off;

	if (unlikely(!t->block))
		return NULL;
	off = ALIGN(t->cursor, align);
	if (unlikely(off + size > KMAG_TINY_BLOCK))
		return NULL;
	atomic_or((int)kmag_tiny_bits(off, size), kmag_tiny_word(t->block));
	t->cursor = off + size;
	return t->block + off;
}

/*
 * The current block could not take the object: a new block (the magazine
 * lock dropped to get it), unless an interrupt or a task on this CPU
 * installed one meanwhile that can. The one replaced is retired.
 */
static noinline void *kmag_tiny_alloc_slow(unsigned int size, unsigned int align,
					   gfp_t gfp, unsigned long *flags)
{
	void *nb, *old = NULL, *p;
	struct kmag_tiny_cpu *t;
	atomic_t *w;

	local_unlock_irqrestore(&kmag_lock, *flags);
	nb = kmag_tiny_block_get(gfp);
	if (!nb)
		return NULL;
	w = kmag_tiny_word(nb);
	if (unlikely(atomic_cmpxchg(w, 0, (int)KMAG_TINY_CURRENT))) {
		kmag_report_corrupt(kmag_tiny_cache, nb, "tiny block handed out with live objects");
		return NULL;	/* the block is left as it is */
	}
	local_lock_irqsave(&kmag_lock, *flags);
	t = this_cpu_ptr(kmag_tiny_pcpu);
	p = kmag_tiny_carve(t, size, align);
	if (!p) {
		old = t->block;
		t->block = nb;
		t->cursor = 0;
		nb = NULL;
		p = kmag_tiny_carve(t, size, align);
	}
	if (old || nb) {
		/* Retiring may give a block back, which takes the lock. */
		local_unlock_irqrestore(&kmag_lock, *flags);
		kmag_tiny_retire(old ?: nb);
		local_lock_irqsave(&kmag_lock, *flags);
	}
	return p;
}

/* A request that qualifies: an object of @size (1..15) bytes in a block. */
static __always_inline void *kmag_tiny_alloc(unsigned int size, gfp_t gfp,
					     unsigned long ip)
{
	unsigned int align = kmag_tiny_align(size);
	unsigned long flags;
	void *p;

	local_lock_irqsave(&kmag_lock, flags);
	p = kmag_tiny_carve(this_cpu_ptr(kmag_tiny_pcpu), size, align);
	if (unlikely(!p)) {
		p = kmag_tiny_alloc_slow(size, align, gfp, &flags);
		if (!p)
			return NULL;	/* counted by kmag-tiny */
	}
	__this_cpu_inc(kmag_pcpu_stat[KMAG_TINY_ALLOC]);
	__this_cpu_add(kmag_pcpu_stat[KMAG_TINY_CLASS_BYTES], kmag_tiny_class_bytes(size));
	local_unlock_irqrestore(&kmag_lock, flags);
	if (want_init_on_alloc(gfp))
		kmag_obj_zero(p, size);
	trace_kmag_alloc(ip, p, size, size, gfp, NUMA_NO_NODE);
	return p;
}

/*
 * Whether tiny objects are packed: not where whole-object checks are on
 * (KASAN, kmemleak: unless a test forces it; a debug cache exists).
 */
static __always_inline bool kmag_tiny_on(void)
{
	if (static_branch_unlikely(&kmag_debug_key))
		return false;
	if (IS_ENABLED(CONFIG_KASAN) || IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
		return READ_ONCE(kmag_tiny_force);
	return true;
}

static noinline void kmag_tiny_bad_align(size_t size, size_t align, gfp_t gfp,
					 unsigned long ip)
{
	if (!(gfp & __GFP_NOWARN))
		pr_warn_ratelimited("kmag: tiny allocation of %zu bytes refused: align %zu is not a power of 2 (caller %pS)\n",
				    size, align, (void *)ip);
	this_cpu_inc(kmag_pcpu_stat[KMAG_ALLOC_FAIL]);
}

/**
 * kmag_alloc_tiny_caller() - kmag_alloc_tiny() on behalf of @ip
 * @size: as for kmag_alloc_tiny()
 * @align: as for kmag_alloc_tiny()
 * @gfp: as for kmag_alloc_tiny()
 * @ip: the API's caller, for events and owner tracks
 *
 * Context: as kmag_alloc_tiny().
 * Return: as kmag_alloc_tiny().
 */
void *kmag_alloc_tiny_caller(size_t size, size_t align, gfp_t gfp,
			     unsigned long ip)
{
	might_sleep_if(gfpflags_allow_blocking(gfp));
	if (unlikely(!is_power_of_2(align))) {
		kmag_tiny_bad_align(size, align, gfp, ip);
		return NULL;
	}
	if (size && size < KMAG_TINY_BLOCK && align <= kmag_tiny_align(size) &&
	    !(gfp & (__GFP_DMA | __GFP_DMA32)) && kmag_tiny_on() &&
	    !kmag_context_bad()) {
		if (kmag_fail_should(NULL, size, gfp))
			return NULL;
		return kmag_tiny_alloc(size, gfp, ip);
	}
	/* kmag_alloc() aligns to 8, and power-of-two sizes to their size. */
	if (align > 8 && size && size <= KMAG_MAX_SIZE)
		size = roundup_pow_of_two(max(size, align));
	return __kmag_alloc_track_caller(size, gfp, NUMA_NO_NODE, ip);
}
EXPORT_SYMBOL_NS_GPL(kmag_alloc_tiny_caller, KMAG_INTERNAL);

void *kmag_alloc_tiny(size_t size, size_t align, gfp_t gfp)
{
	return kmag_alloc_tiny_caller(size, align, gfp, _RET_IP_);
}
EXPORT_SYMBOL_GPL(kmag_alloc_tiny);

/*
 * The block of @p in span @s (read with @owner and @base), once it is safe
 * to touch its word: the block handed out (in-use bit), seen before the
 * owner and base were found unchanged. As an RCU reader (magazine lock or
 * rcu_read_lock()), the page then stays kmag-tiny's (SLAB_TYPESAFE_BY_RCU)
 * until the reader is done. @why: what is wrong, if NULL is returned.
 */
static void *kmag_tiny_block_of(struct kmag_span *s, unsigned long owner,
				unsigned long base, const void *p,
				const char **why, bool *twice)
{
	struct kmag_cache *c = kmag_owner_cache(owner);
	unsigned long off = (unsigned long)p - base;

	*twice = false;
	if (off >= KMAG_TINY_WORDS) {
		*why = "not the start of an object";
		return NULL;
	}
	if (!kmag_inuse_test(c, s, off / KMAG_TINY_BLOCK)) {
		*why = "not a live object";
		*twice = true;
		return NULL;
	}
	smp_rmb();	/* in-use bit before the second look at the owner */
	if (READ_ONCE(s->owner) != owner || READ_ONCE(s->base) != base) {
		*why = "a stale pointer";
		return NULL;
	}
	return (void *)(base + (off & ~(unsigned long)(KMAG_TINY_BLOCK - 1)));
}

/**
 * kmag_tiny_free() - free a tiny object (from kmag_free_other())
 * @s: the span of @p, found through the map
 * @owner: its owner word as read (a kmag-tiny span)
 * @base: its base as read
 * @p: the pointer freed
 * @flags: the saved state of the magazine lock, held on entry
 * @ip: the caller
 *
 * Exactly one of racing frees of an object clears its start bit; a pointer
 * without one is reported (invalid inside a live object, else a double
 * free) and nothing is written. Under init_on_free the object's bytes are
 * zeroed first. The lock is dropped on return.
 *
 * Context: any context where kmag_free() may be called.
 */
void kmag_tiny_free(struct kmag_span *s, unsigned long owner, unsigned long base,
		    const void *p, unsigned long flags, unsigned long ip)
{
	unsigned int i = (unsigned long)p & (KMAG_TINY_BLOCK - 1), size;
	const char *why;
	bool twice;
	atomic_t *w;
	void *b;
	int old;
	u32 new;

	b = kmag_tiny_block_of(s, owner, base, p, &why, &twice);
	if (!b) {
		if (twice)
			goto twice;
		goto invalid;
	}
	w = kmag_tiny_word(b);
	old = atomic_read(w);
	do {
		if (!((u32)old & BIT(i))) {
			if (!kmag_tiny_inside(old, i))
				goto twice;
			why = "not the start of an object";
			goto invalid;
		}
		size = kmag_tiny_objsize(old, i);
		/* Before its bits go: the block may then be reused at once. */
		if (want_init_on_free())
			kmag_obj_zero((void *)p, size);
		new = (u32)old & ~kmag_tiny_bits(i, size);
	} while (!atomic_try_cmpxchg(w, &old, (int)new));
	__this_cpu_sub(kmag_pcpu_stat[KMAG_TINY_CLASS_BYTES], kmag_tiny_class_bytes(size));
	local_unlock_irqrestore(&kmag_lock, flags);
	trace_kmag_free(ip, p);
	if (!new)
		kmag_tiny_block_put(b);
	return;
invalid:
	local_unlock_irqrestore(&kmag_lock, flags);
	kmag_report_invalid(p, why, ip);
	return;
twice:
	kmag_report_double(kmag_owner_cache(owner), p, ip);
	local_unlock_irqrestore(&kmag_lock, flags);
}

/**
 * kmag_tiny_size() - size of a live tiny object (from kmag_size())
 * @s: the span of @p, found through the map
 * @owner: its owner word as read (a kmag-tiny span)
 * @base: its base as read
 * @p: the pointer
 * @why: set to what is wrong when 0 is returned
 *
 * Context: RCU reader (rcu_read_lock() or the magazine lock).
 * Return: the size it was allocated with, or 0.
 */
size_t kmag_tiny_size(struct kmag_span *s, unsigned long owner,
		      unsigned long base, const void *p, const char **why)
{
	unsigned int i = (unsigned long)p & (KMAG_TINY_BLOCK - 1);
	bool twice;
	void *b;
	u32 w;

	b = kmag_tiny_block_of(s, owner, base, p, why, &twice);
	if (!b)
		return 0;
	w = (u32)atomic_read(kmag_tiny_word(b));
	if (w & BIT(i))
		return kmag_tiny_objsize(w, i);
	*why = kmag_tiny_inside(w, i) ? "not the start of an object" : "not a live object";
	return 0;
}

/* kmag_on_cpus(): this CPU's current block to be retired by the caller. */
static void kmag_tiny_detach(void *arg)
{
	struct kmag_tiny_cpu *t = this_cpu_ptr(kmag_tiny_pcpu);

	t->retired = t->block;
	t->block = NULL;
}

/**
 * kmag_tiny_drain() - retire every CPU's current block
 * @try: give up if another drain is running (the shrinker)
 *
 * Blocks with no live object go back to kmag-tiny; the others when their
 * last object is freed.
 *
 * Context: process context, cpus_read_lock() held; may sleep.
 */
void kmag_tiny_drain(bool try)
{
	struct kmag_tiny_cpu *t;
	int cpu;

	if (!kmag_tiny_pcpu)
		return;
	if (!try)
		mutex_lock(&kmag_tiny_mutex);
	else if (!mutex_trylock(&kmag_tiny_mutex))
		return;
	kmag_on_cpus(cpu_online_mask, kmag_tiny_detach, NULL);
	for_each_possible_cpu(cpu) {
		t = per_cpu_ptr(kmag_tiny_pcpu, cpu);
		if (!cpu_online(cpu) && t->block) {
			t->retired = t->block;
			t->block = NULL;
		}
		if (t->retired) {
			kmag_tiny_retire(t->retired);
			t->retired = NULL;
		}
	}
	mutex_unlock(&kmag_tiny_mutex);
}

/**
 * kmag_tiny_cpu_dead() - a CPU went away: retire its current block
 * @cpu: the dead CPU
 *
 * Context: CPU hotplug teardown callback (magazine.c), process context.
 */
void kmag_tiny_cpu_dead(unsigned int cpu)
{
	struct kmag_tiny_cpu *t;
	void *b;

	if (!kmag_tiny_pcpu)
		return;
	t = per_cpu_ptr(kmag_tiny_pcpu, cpu);
	b = t->block;
	t->block = NULL;
	if (b)
		kmag_tiny_retire(b);
}

/**
 * kmag_tiny_init() - make kmag-tiny and the per-CPU tiny state
 *
 * Context: module load, after the size classes and magazines.
 * Return: 0 or -ENOMEM.
 */
int kmag_tiny_init(void)
{
	struct kmag_cache *c;

	BUILD_BUG_ON(KMAG_TINY_WORDS + KMAG_TINY_BLOCKS * sizeof(u32) > PAGE_SIZE);
	kmag_tiny_pcpu = alloc_percpu(struct kmag_tiny_cpu);
	if (!kmag_tiny_pcpu)
		return -ENOMEM;
	c = kmag_cache_new("kmag-tiny", KMAG_TINY_BLOCK, KMAG_TINY_BLOCK, 1,
			   kmag_tiny_ctor, -1, SLAB_TYPESAFE_BY_RCU);
	if (!c) {
		free_percpu(kmag_tiny_pcpu);
		kmag_tiny_pcpu = NULL;
		return -ENOMEM;
	}
	/* Before its first span: the page's tail holds the words. */
	c->objs_per_span = KMAG_TINY_BLOCKS;
	c->tiny = true;
	kmag_tiny_cache = c;
	return 0;
}

/**
 * kmag_tiny_exit() - retire every block and destroy kmag-tiny
 *
 * Blocks that still hold live tiny objects keep kmag-tiny as an orphan
 * (reported, as any cache destroyed with live objects).
 *
 * Context: module unload, before the magazines and caches go.
 */
void kmag_tiny_exit(void)
{
	struct kmag_tiny_cpu __percpu *pcpu = kmag_tiny_pcpu;
	struct kmag_tiny_cpu *t;
	int cpu;

	if (!pcpu)
		return;
	cpus_read_lock();
	kmag_tiny_pcpu = NULL;	/* no CPU hotplug callback uses it now */
	cpus_read_unlock();
	for_each_possible_cpu(cpu) {
		t = per_cpu_ptr(pcpu, cpu);
		if (t->block)
			kmag_tiny_retire(t->block);
	}
	free_percpu(pcpu);
	kmag_cache_release(kmag_tiny_cache);
	kmag_tiny_cache = NULL;
}
