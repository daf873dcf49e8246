// SPDX-License-Identifier: GPL-2.0
/*
 * kmag objects under KASAN and kmemleak, and KASAN's quarantine. Built only
 * into kernels with generic KASAN or kmemleak; elsewhere the hooks are empty
 * inlines (kmag_internal.h) and the fast paths do not change.
 *
 * KASAN (generic: one shadow byte per 8-byte granule). The kernel's slab
 * allocators tell KASAN which bytes of their pages are live objects; kmag
 * does the same for its objects, with the shadow values of
 * mm/kasan/kasan.h, so that a bad access to a kmag object is reported the
 * way one to a kmalloc object is:
 *   new span     every byte KASAN_SLAB_REDZONE ("slab-out-of-bounds"),
 *                after the constructor ran on accessible memory;
 *   handed out   the bytes asked for accessible (a partial last granule
 *                holds how many of its bytes are), the rest of the usable
 *                size KASAN_SLAB_REDZONE: one byte past the request is
 *                reported even where the size class has room for it;
 *   taken back   the usable size KASAN_SLAB_FREE ("use-after-free");
 *   large        the same with KASAN_PAGE_REDZONE and KASAN_PAGE_FREE.
 * kmag never reads or writes a free object, except to zero it while it
 * owns it (kmag_obj_zero(), not checked); a debug check that reads red
 * zones or free objects must not be checked either (kasan_disable_current()
 * around it, or kmag_san_unpoison() first). kmag_size() makes the whole
 * usable size of a live object accessible, as ksize() does, so that the
 * callers that use it (kmag_realloc(), kmag_free_sensitive()) and clients
 * may touch it. Objects of SLAB_TYPESAFE_BY_RCU caches are not poisoned on
 * free: their readers may look at an object after it was freed.
 *
 * Quarantine. A use after free is only reported while the object is still
 * poisoned, and the magazines hand the last freed object out first. So a
 * freed object (small, of a live cache, not SLAB_TYPESAFE_BY_RCU) waits in
 * a FIFO of at most KMAG_QUARANTINE_SLOTS objects and KMAG_QUARANTINE_BYTES
 * bytes before it goes back to its cache's magazines, as the free would
 * have put it. It is a free already: counted in "frees", its in-use state
 * clear (a second free of it is reported as a double free), unknown to
 * kmemleak. A free evicts at most KMAG_QUARANTINE_EVICT of the oldest
 * objects; if that does not make room, the object skips the quarantine.
 * The quarantine is flushed by kmag_drain(), the shrinker and module exit
 * (all of it), by the reclaimer once no free came for a whole interval, and
 * for one cache by kmag_magazines_drain() (cache destruction, CPU-less
 * drains); objects of a destroyed cache skip it. Large objects skip it too: they are poisoned,
 * and their pages go back to the page heap at once, or stay poisoned in
 * their CPU's slot until the next large object of that size (large.c).
 * Lock: kmag_quarantine.lock, taken with the magazine lock held,
 * innermost but for nothing: objects leave the quarantine with it dropped.
 *
 * kmemleak. Every object handed out is registered (min_count 1, so that a
 * client that loses its last pointer to one gets a report naming the
 * allocating stack) and unregistered when it is taken back. Free objects,
 * in magazines, spans, the depot or the quarantine, are not registered,
 * and kmag's pages are not either, so free memory is neither reported nor
 * scanned. kmag's metadata that holds object addresses without owning the
 * objects (magazines, span and chunk structs) is not scanned: a stale round
 * in a magazine, or the base of a span, would otherwise make a leaked
 * object look referenced.
 */
#include <linux/kasan.h>
#include <linux/kmemleak.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "kmag_internal.h"

#ifdef CONFIG_KASAN_GENERIC
/* Exported by mm/kasan/shadow.c; declared only in mm/kasan/kasan.h. */
void kasan_poison(const void *addr, size_t size, u8 value, bool init);

/* Shadow values of mm/kasan/kasan.h, which report.c names. */
#define KMAG_KASAN_PAGE_FREE	0xFF	/* "use-after-free" */
#define KMAG_KASAN_PAGE_REDZONE	0xFE	/* "slab-out-of-bounds" */
#define KMAG_KASAN_SLAB_REDZONE	0xFC	/* "slab-out-of-bounds" */
#define KMAG_KASAN_SLAB_FREE	0xFB	/* "use-after-free" */
#define KMAG_KASAN_GRANULE	8UL
#endif

/* The quarantine's bounds: objects, bytes, slots emptied per free. */
#define KMAG_QUARANTINE_SLOTS	1024	/* a power of two */
#define KMAG_QUARANTINE_BYTES	(4UL << 20)
#define KMAG_QUARANTINE_EVICT	8
/* A flush looks at this many slots, and releases this many objects, per hold. */
#define KMAG_QUARANTINE_SCAN	256
#define KMAG_QUARANTINE_BATCH	32

struct kmag_qslot {
	void *p;			/* NULL: empty (flushed out of order) */
	struct kmag_cache *c;
	unsigned int size;
};

/*
 * Slots [tail, head) (free-running indices) hold the quarantined objects in
 * the order they were freed; a flush of one cache leaves holes there.
 */
static struct {
	spinlock_t lock;
	unsigned long head;
	unsigned long tail;
	unsigned long bytes;		/* sizes of the objects held */
	struct kmag_qslot slot[KMAG_QUARANTINE_SLOTS];
} kmag_quarantine = {
	.lock = __SPIN_LOCK_UNLOCKED(kmag_quarantine.lock),
};

/* Tests that check exactly where freed objects go turn the quarantine off. */
static atomic_t kmag_quarantine_paused;

static struct kmag_qslot *kmag_qslot(unsigned long i)
{
	return &kmag_quarantine.slot[i & (KMAG_QUARANTINE_SLOTS - 1)];
}

/* Move the object of slot @s to @out. Quarantine lock held. */
static void kmag_qslot_take(struct kmag_qslot *s, struct kmag_qslot *out)
{
	*out = *s;
	kmag_quarantine.bytes -= s->size;
	/* No stale address for kmemleak to find in module data. */
	s->p = NULL;
}

/*
 * An object leaves the quarantine: on this CPU's loaded magazine of its
 * cache, as kmag_free_push() would have put it (its free was counted then);
 * an object of another node than this CPU's home back to its span, as
 * kmag_free_remote() would have (§17). Magazine lock held.
 */
static void kmag_quarantine_release(struct kmag_cache *c, void *p)
{
	struct kmag_mag *m = this_cpu_ptr(c->cpu)->loaded;

	/* Not on magazines a fast path's section holds (§5). */
	if (kmag_nested() ||
	    (kmag_numa() && kmag_obj_span(p)->nid != kmag_home_node())) {
		kmag_central_put_one(c, p);
	} else if (m->rounds < m->capacity) {
		m->objs[m->rounds++] = p;
	} else {
		kmag_free_slow(c, p);
	}
}

#ifdef CONFIG_KASAN_GENERIC
/*
 * Put object @p of @c (@size usable bytes, already poisoned) in the
 * quarantine, evicting the oldest objects to make room. Magazine lock held.
 * Return: false if there was no room (@p is the caller's to push).
 */
static bool kmag_quarantine_put(struct kmag_cache *c, void *p, unsigned int size)
{
	struct kmag_qslot out[KMAG_QUARANTINE_EVICT], *s;
	unsigned int n = 0, i;
	bool taken = false, first;

	spin_lock(&kmag_quarantine.lock);
	first = kmag_quarantine.head == kmag_quarantine.tail;
	for (i = 0; i < KMAG_QUARANTINE_EVICT &&
	     kmag_quarantine.tail != kmag_quarantine.head &&
	     (kmag_quarantine.head - kmag_quarantine.tail == KMAG_QUARANTINE_SLOTS ||
	      kmag_quarantine.bytes + size > KMAG_QUARANTINE_BYTES); i++) {
		s = kmag_qslot(kmag_quarantine.tail++);
		if (s->p)
			kmag_qslot_take(s, &out[n++]);
	}
	if (kmag_quarantine.head - kmag_quarantine.tail < KMAG_QUARANTINE_SLOTS &&
	    kmag_quarantine.bytes + size <= KMAG_QUARANTINE_BYTES) {
		s = kmag_qslot(kmag_quarantine.head++);
		s->p = p;
		s->c = c;
		s->size = size;
		kmag_quarantine.bytes += size;
		taken = true;
	}
	spin_unlock(&kmag_quarantine.lock);
	for (i = 0; i < n; i++)
		kmag_quarantine_release(out[i].c, out[i].p);
	if (first && taken)
		kmag_reclaim_kick();	/* flushed once frees stop */
	return taken;
}
#endif

/**
 * kmag_quarantine_flush() - send quarantined objects back to their caches
 * @c: only the objects of this cache, or NULL for all of them
 *
 * What the quarantine holds when called goes back to this CPU's magazines
 * (or, for a destroyed cache, to the spans), KMAG_QUARANTINE_BATCH objects
 * per hold of the magazine and quarantine locks. An object another CPU
 * evicted just before may still be on its way to that CPU's magazines (it
 * gets there under that CPU's magazine lock): kmag_magazines_drain()
 * flushes first, then has every CPU flush its magazines under that lock,
 * and so finds it there.
 *
 * Context: process context, no kmag lock held.
 */
void kmag_quarantine_flush(struct kmag_cache *c)
{
	struct kmag_qslot out[KMAG_QUARANTINE_BATCH], *s;
	unsigned long flags, i, end;
	unsigned int n, scanned;

	spin_lock_irqsave(&kmag_quarantine.lock, flags);
	i = kmag_quarantine.tail;
	end = kmag_quarantine.head;
	spin_unlock_irqrestore(&kmag_quarantine.lock, flags);
	/* Up to what was there on entry: frees that keep coming do not count. */
	while ((long)(end - i) > 0) {
		local_lock_irqsave(&kmag_lock, flags);
		spin_lock(&kmag_quarantine.lock);
		if ((long)(kmag_quarantine.tail - i) > 0)
			i = kmag_quarantine.tail;	/* evicted meanwhile */
		for (n = 0, scanned = 0; (long)(end - i) > 0 &&
		     n < KMAG_QUARANTINE_BATCH && scanned < KMAG_QUARANTINE_SCAN;
		     i++, scanned++) {
			s = kmag_qslot(i);
			if (s->p && (!c || s->c == c))
				kmag_qslot_take(s, &out[n++]);
		}
		/* Holes at the front are free slots again. */
		while (kmag_quarantine.tail != kmag_quarantine.head &&
		       !kmag_qslot(kmag_quarantine.tail)->p)
			kmag_quarantine.tail++;
		spin_unlock(&kmag_quarantine.lock);
		while (n--)
			kmag_quarantine_release(out[n].c, out[n].p);
		local_unlock_irqrestore(&kmag_lock, flags);
	}
}
EXPORT_SYMBOL_NS_GPL(kmag_quarantine_flush, KMAG_INTERNAL);

/* kmag_quarantine.head at the reclaimer's last look. */
static unsigned long kmag_quarantine_reaped;

/**
 * kmag_quarantine_reap() - flush the quarantine once frees have stopped
 *
 * The reclaimer's policy: objects stay quarantined while frees keep coming
 * (they push the oldest out); when no object entered the quarantine for a
 * whole reclaim interval, what it holds goes back to the magazines, to be
 * reaped with them.
 *
 * Context: process context (the reclaimer), no kmag lock held.
 * Return: true if the quarantine still holds objects.
 */
bool kmag_quarantine_reap(void)
{
	unsigned long head, tail, flags;

	spin_lock_irqsave(&kmag_quarantine.lock, flags);
	head = kmag_quarantine.head;
	tail = kmag_quarantine.tail;
	spin_unlock_irqrestore(&kmag_quarantine.lock, flags);
	if (head == tail)
		return false;
	if (head != kmag_quarantine_reaped) {
		kmag_quarantine_reaped = head;
		return true;
	}
	kmag_quarantine_flush(NULL);
	return false;
}
EXPORT_SYMBOL_NS_GPL(kmag_quarantine_reap, KMAG_INTERNAL);

/**
 * kmag_quarantine_pause() - frees skip the quarantine, for tests
 * @pause: true to flush it and let frees skip it (nests), false to undo
 *
 * For tests that check where a freed object goes (the loaded magazine,
 * last in, first out): KASAN still poisons it.
 *
 * Context: process context; may sleep.
 */
void kmag_quarantine_pause(bool pause)
{
	if (pause) {
		atomic_inc(&kmag_quarantine_paused);
		kmag_quarantine_flush(NULL);
	} else {
		atomic_dec(&kmag_quarantine_paused);
	}
}
EXPORT_SYMBOL_NS_GPL(kmag_quarantine_pause, KMAG_INTERNAL);

/**
 * kmag_san_alloc() - an object is handed out
 * @c: its cache, or NULL for a large object
 * @p: the object, 8-byte aligned
 * @req: bytes the caller asked for
 * @usable: bytes it may use after kmag_size() (@req <= @usable)
 * @gfp: the caller's allocation flags
 *
 * Called after kmag initialised the object (constructor, zeroing), before
 * the caller sees it: KASAN lets the caller touch @req bytes (the rest of
 * @usable becomes a red zone), kmemleak tracks it from here on.
 *
 * Context: the caller's context, IRQs as the caller had them, no kmag lock
 * held (kmemleak allocates with @gfp).
 */
void kmag_san_alloc(struct kmag_cache *c, void *p, size_t req, size_t usable,
		    gfp_t gfp)
{
#ifdef CONFIG_KASAN_GENERIC
	size_t full = round_down(req, KMAG_KASAN_GRANULE);
	size_t end = round_up(req, KMAG_KASAN_GRANULE);
	size_t zone = round_up(usable, KMAG_KASAN_GRANULE);

	kasan_poison(p, full, 0, false);
	if (end != full)	/* shadow: how many bytes of the granule are valid */
		kasan_poison(p + full, KMAG_KASAN_GRANULE, req - full, false);
	if (zone > end)
		kasan_poison(p + end, zone - end,
			     c ? KMAG_KASAN_SLAB_REDZONE : KMAG_KASAN_PAGE_REDZONE, false);
#endif
	/* SLAB_NOLEAKTRACE: kmemleak never hears of the cache's objects. */
	if (!c || !(c->flags & SLAB_NOLEAKTRACE))
		kmemleak_alloc(p, usable, 1, gfp);
}
EXPORT_SYMBOL_NS_GPL(kmag_san_alloc, KMAG_INTERNAL);

/**
 * kmag_san_free() - an object is taken back
 * @c: its cache, or NULL for a large object
 * @p: the object, 8-byte aligned; its in-use state already cleared, any
 *     zeroing (init_on_free) already done
 * @usable: its usable size
 *
 * kmemleak forgets @p; KASAN poisons its usable size (not for a
 * SLAB_TYPESAFE_BY_RCU cache); then a small object of a live cache goes to
 * the quarantine, which may send older objects back to their magazines.
 *
 * Context: magazine lock held for a small object; any context kmag may be
 * called from (§16) for a large one.
 * Return: true if the quarantine took @p (the caller must not touch it
 * again); false if the caller must put it back as usual (always for a
 * large object).
 */
bool kmag_san_free(struct kmag_cache *c, void *p, size_t usable)
{
	if (!c || !(c->flags & SLAB_NOLEAKTRACE))
		kmemleak_free(p);
#ifdef CONFIG_KASAN_GENERIC
	if (c && (c->flags & SLAB_TYPESAFE_BY_RCU))
		return false;
	kasan_poison(p, round_up(usable, KMAG_KASAN_GRANULE),
		     c ? KMAG_KASAN_SLAB_FREE : KMAG_KASAN_PAGE_FREE, false);
	/* Debug caches have no magazines to come back to (debug.c). */
	if (!c || READ_ONCE(c->dead) || (c->flags & KMAG_DEBUG_FLAGS) ||
	    atomic_read(&kmag_quarantine_paused))
		return false;
	lockdep_assert_held(this_cpu_ptr(&kmag_lock));
	return kmag_quarantine_put(c, p, usable);
#else
	return false;
#endif
}
EXPORT_SYMBOL_NS_GPL(kmag_san_free, KMAG_INTERNAL);

/**
 * kmag_san_unpoison() - let KASAN allow access to bytes kmag owns or hands out
 * @p: start, 8-byte aligned
 * @size: bytes; a partial last granule is accessible up to @size
 *
 * Used before a constructor runs on a new span, and by kmag_size() for the
 * whole usable size of a live object (as ksize() does).
 *
 * Context: any context.
 */
void kmag_san_unpoison(const void *p, size_t size)
{
#ifdef CONFIG_KASAN_GENERIC
	size_t full = round_down(size, KMAG_KASAN_GRANULE);

	kasan_poison(p, full, 0, false);
	if (size != full)
		kasan_poison(p + full, KMAG_KASAN_GRANULE, size - full, false);
#endif
}
EXPORT_SYMBOL_NS_GPL(kmag_san_unpoison, KMAG_INTERNAL);

/**
 * kmag_san_new_span() - a new span of @c is ready, all its objects free
 * @c: the cache
 * @s: the span, constructed but not yet on the central lists
 *
 * Until an object is handed out, every byte of the span is a red zone.
 *
 * Context: any context.
 */
void kmag_san_new_span(struct kmag_cache *c, struct kmag_span *s)
{
#ifdef CONFIG_KASAN_GENERIC
	kasan_poison((void *)s->base, (size_t)s->npages << PAGE_SHIFT,
		     KMAG_KASAN_SLAB_REDZONE, false);
#endif
}
EXPORT_SYMBOL_NS_GPL(kmag_san_new_span, KMAG_INTERNAL);

/**
 * kmag_san_meta() - kmag metadata that holds object addresses it does not own
 * @meta: a kmalloc or kmem_cache object (a magazine, a span or chunk struct)
 *
 * kmemleak neither scans nor reports @meta: the addresses of objects it
 * holds (stale rounds, span bases) must not make a leaked object look
 * referenced, and nothing is reachable only through it.
 *
 * Context: any context.
 */
void kmag_san_meta(const void *meta)
{
	kmemleak_ignore(meta);
}
EXPORT_SYMBOL_NS_GPL(kmag_san_meta, KMAG_INTERNAL);
