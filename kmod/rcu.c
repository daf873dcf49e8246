// SPDX-License-Identifier: GPL-2.0
/*
 * RCU: frees after a grace period.
 *
 * kmag_free_rcu(obj, rhf), like kfree_rcu(), queues call_rcu() on the
 * rcu_head embedded in the object. The callback gets only the rcu_head's
 * address: the object's start comes from kmag's map, as for any free
 * (small objects: span -> cache -> slot index by division; large objects:
 * the span's base). The object is live until the callback frees it, so
 * its span cannot change hands in between.
 *
 * SLAB_TYPESAFE_BY_RCU caches: a span whose objects all came back goes to
 * the page heap only after a grace period (kmag_span_retire()), so memory
 * read under rcu_read_lock() stays an object of the same cache.
 */
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "kmag_internal.h"

/* What kmag_rcu_object() says of an object that is not handed out. */
static const char kmag_rcu_twice[] = "already free";

/*
 * Find the live object that holds the rcu_head at @head: its start in
 * @start and its cache (NULL for a large object) in @cache.
 * rcu_read_lock() held: the span may be reused meanwhile, which the second
 * look at its owner and base catches.
 * Return: NULL, or what is wrong (kmag_rcu_twice: a double free).
 */
static const char *kmag_rcu_object(const struct rcu_head *head, void **start,
				   struct kmag_cache **cache)
{
	unsigned long addr = (unsigned long)head, owner, base, end, idx, obj;
	struct kmag_cache *c = NULL;
	struct kmag_span *s;

	s = kmag_span_covering(head);
	if (!s)
		return "not allocated by kmag";
	owner = READ_ONCE(s->owner);
	base = READ_ONCE(s->base);
	end = base + ((unsigned long)READ_ONCE(s->npages) << PAGE_SHIFT);
	if (addr < base || addr + sizeof(*head) > end)
		return "not inside a live object";
	switch (kmag_owner_state(owner)) {
	case KMAG_SPAN_SMALL:
		/* Below 16 bytes, a tiny object cannot hold an rcu_head (§18). */
		if (owner & KMAG_OWNER_TINY)
			return "inside a tiny object, too small for an rcu_head";
		c = kmag_owner_cache(owner);
		/* Object slots: [red zone] object [red zone, owner tracks]. */
		idx = (addr - base) / c->size;
		obj = base + idx * c->size + c->red_left;
		if (idx >= c->objs_per_span || addr < obj ||
		    addr + sizeof(*head) > obj + c->obj_size)
			return "not inside an object";
		if (!kmag_inuse_test(c, s, idx)) {
			*start = (void *)obj;
			*cache = c;
			return kmag_rcu_twice;
		}
		break;
	case KMAG_SPAN_LARGE:
		obj = base;
		break;
	default:
		return "not inside a live object";
	}
	if (READ_ONCE(s->owner) != owner || READ_ONCE(s->base) != base)
		return "not inside a live object";
	*start = (void *)obj;
	*cache = c;
	return NULL;
}

/*
 * The live object holding @head, or NULL if there is none (reported as an
 * invalid or a double free, from @ip).
 */
static void *kmag_rcu_find(struct rcu_head *head, unsigned long ip)
{
	struct kmag_cache *c = NULL;
	const char *why;
	void *p = NULL;

	rcu_read_lock();
	why = kmag_rcu_object(head, &p, &c);
	if (why == kmag_rcu_twice)
		kmag_report_double(c, p, ip);	/* c cannot go away: RCU reader */
	rcu_read_unlock();
	if (!why)
		return p;
	if (why != kmag_rcu_twice)
		kmag_report_invalid(head, why, ip);
	return NULL;
}

/* The grace period is over: free the object as kmag_free() would. */
static void kmag_free_rcu_cb(struct rcu_head *head)
{
	/* NULL if the client freed it meanwhile: reported there. */
	void *p = kmag_rcu_find(head, _RET_IP_);

	if (p)
		kmag_free(p);
}

/**
 * kmag_free_rcu_head() - free the object holding an rcu_head after a grace period
 * @head: an rcu_head inside an object from kmag (at any offset); NULL is
 *        ignored
 *
 * The implementation of kmag_free_rcu(), which clients use instead. The
 * object is freed, as by kmag_free() or kmag_cache_free(), once every RCU
 * read-side critical section that was running when this was called has
 * ended. A @head that does not lie inside an object kmag handed out is
 * reported and counted as an invalid free, one inside an object that is
 * already free as a double free; neither is queued.
 *
 * Context: any context, including hard IRQ. Never sleeps.
 * Return: true if the object will be freed, false if nothing was queued.
 */
bool kmag_free_rcu_head(struct rcu_head *head)
{
	if (!head || !kmag_rcu_find(head, _RET_IP_))
		return false;
	call_rcu(head, kmag_free_rcu_cb);
	return true;
}
EXPORT_SYMBOL_GPL(kmag_free_rcu_head);

static void kmag_span_retire_cb(struct rcu_head *head)
{
	kmag_heap_free(container_of(head, struct kmag_span, rcu));
}

/**
 * kmag_span_retire() - give a span whose objects are all free to the heap
 * @c: its cache
 * @s: the span, off the cache's central lists
 *
 * For a SLAB_TYPESAFE_BY_RCU cache, only after a grace period: until then
 * its pages stay its cache's (a stale free there is a double free).
 *
 * Context: any context; may be called with the central lock held.
 */
void kmag_span_retire(struct kmag_cache *c, struct kmag_span *s)
{
	if (c->flags & SLAB_TYPESAFE_BY_RCU)
		call_rcu(&s->rcu, kmag_span_retire_cb);
	else
		kmag_heap_free(s);
}
