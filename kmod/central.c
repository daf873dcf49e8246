// SPDX-License-Identifier: GPL-2.0
/*
 * Central lists and depot (mcentral role): per cache, the spans that hold
 * its objects, on per-node partial / full / empty lists, and per node a
 * depot of full and empty magazines (§17). Everything here runs under the
 * cache's central
 * lock (kmag_central.lock, IRQs off), except kmag_central_grow() which
 * talks to the page heap first and takes the lock to publish the span.
 */
#include <linux/slab.h>

#include "kmag_internal.h"

/* Each cache keeps this many entirely free spans per node. */
#define KMAG_EMPTY_KEEP 1
/* Depot magazines, or empty spans, handled per hold of the central lock. */
#define KMAG_FLUSH_BATCH 16
/* Contended depot exchanges per reap interval that make magazines grow. */
#define KMAG_CONTENDED_GROW 8

static void kmag_span_move(struct kmag_cache *c, struct kmag_span *s,
			   enum kmag_span_list to)
{
	struct kmag_cnode *cn = &c->central.node[s->nid];

	cn->nr[s->list_id]--;
	list_move(&s->list, &cn->lists[to]);
	cn->nr[to]++;
	s->list_id = to;
}

static void kmag_span_unlink(struct kmag_cache *c, struct kmag_span *s)
{
	struct kmag_cnode *cn = &c->central.node[s->nid];

	cn->nr[s->list_id]--;
	list_del(&s->list);
	c->central.nr_spans--;
	c->central.nr_free_objs -= s->nfree;
}

/* Take up to @n objects from @s into @objs. Central lock held. */
static unsigned int kmag_span_take(struct kmag_cache *c, struct kmag_span *s,
				   void **objs, unsigned int n)
{
	unsigned int got = 0;
	unsigned long i;

	for_each_set_bit(i, s->freemap, c->objs_per_span) {
		if (got == n)
			break;
		__clear_bit(i, s->freemap);
		objs[got++] = (void *)(s->base + i * c->size);
	}
	s->nfree -= got;
	c->central.nr_free_objs -= got;
	kmag_span_move(c, s, s->nfree ? KMAG_LIST_PARTIAL : KMAG_LIST_FULL);
	return got;
}

static unsigned int kmag_node_get(struct kmag_cache *c, void **objs,
				  unsigned int n, int nid)
{
	struct kmag_cnode *cn = &c->central.node[nid];
	unsigned int got = 0;
	struct kmag_span *s;

	while (got < n) {
		s = list_first_entry_or_null(&cn->lists[KMAG_LIST_PARTIAL],
					     struct kmag_span, list);
		if (!s)
			s = list_first_entry_or_null(&cn->lists[KMAG_LIST_EMPTY],
						     struct kmag_span, list);
		if (!s)
			break;
		got += kmag_span_take(c, s, objs + got, n - got);
	}
	return got;
}

/**
 * kmag_central_get() - take objects from the cache's spans
 * @c: the cache
 * @objs: where to store the object pointers
 * @n: how many at most
 * @nid: node the objects must come from, or NUMA_NO_NODE for this CPU's
 *       home node first, then any
 *
 * Context: central lock held, IRQs off.
 * Return: the number of objects stored (0 when the cache must grow).
 */
unsigned int kmag_central_get(struct kmag_cache *c, void **objs,
			      unsigned int n, int nid)
{
	unsigned int got;
	int i;

	lockdep_assert_held(&c->central.lock);
	c->central.gets++;
	if (nid != NUMA_NO_NODE)
		return kmag_node_get(c, objs, n, nid);
	nid = kmag_home_node();
	got = kmag_node_get(c, objs, n, nid);
	for_each_node(i) {
		if (got == n)
			break;
		if (i != nid)
			got += kmag_node_get(c, objs + got, n - got, i);
	}
	return got;
}
EXPORT_SYMBOL_NS_GPL(kmag_central_get, KMAG_INTERNAL);

/**
 * kmag_central_put() - give objects back to their spans
 * @c: the cache the objects belong to
 * @objs: object pointers, each the start of an object of @c
 * @n: how many
 *
 * A span whose objects are all free is kept on the empty list
 * (KMAG_EMPTY_KEEP per node) or given back to the page heap (after a grace
 * period for SLAB_TYPESAFE_BY_RCU, see kmag_span_retire()). An object that
 * is already free is reported as a double free and skipped.
 *
 * Context: central lock held, IRQs off.
 */
void kmag_central_put(struct kmag_cache *c, void **objs, unsigned int n)
{
	struct kmag_central *ct = &c->central;
	struct kmag_span *s;
	unsigned int i;
	long idx;

	lockdep_assert_held(&ct->lock);
	for (i = 0; i < n; i++) {
		s = kmag_span_of(objs[i]);
		idx = kmag_obj_index(c, s, objs[i]);
		if (__test_and_set_bit(idx, s->freemap)) {
			kmag_report_double(c, objs[i] + c->red_left, 0);
			continue;
		}
		s->nfree++;
		ct->nr_free_objs++;
		if (s->nfree < c->objs_per_span) {
			if (s->list_id == KMAG_LIST_FULL)
				kmag_span_move(c, s, KMAG_LIST_PARTIAL);
			continue;
		}
		if (!c->dead && ct->node[s->nid].nr[KMAG_LIST_EMPTY] < KMAG_EMPTY_KEEP) {
			kmag_span_move(c, s, KMAG_LIST_EMPTY);
			continue;
		}
		kmag_span_unlink(c, s);
		kmag_span_retire(c, s);
	}
	/* A destroyed cache whose last object came back can go now (once). */
	if (unlikely(c->orphan) && !ct->nr_spans) {
		c->orphan = false;
		queue_work(kmag_wq, &c->free_work);
	}
}
EXPORT_SYMBOL_NS_GPL(kmag_central_put, KMAG_INTERNAL);

/**
 * kmag_central_grow() - add a new span to a cache
 * @c: the cache
 * @gfp: allocation flags; may sleep only if they allow it
 * @nid: preferred node, or NUMA_NO_NODE
 *
 * Gets a span from the page heap (see kmag_heap_alloc() for how @nid and
 * __GFP_THISNODE are honoured), runs the cache's constructor on every
 * object, and puts the span on the empty list of the node its memory is on.
 *
 * Context: no kmag lock held; may sleep if @gfp allows.
 * Return: the node of the new span, or -ENOMEM.
 */
int kmag_central_grow(struct kmag_cache *c, gfp_t gfp, int nid)
{
	struct kmag_central *ct = &c->central;
	struct kmag_span *s;
	unsigned long flags;
	unsigned int i;

	s = kmag_heap_alloc(nid, c->npages, c->span_align, gfp, c);
	if (!s)
		return -ENOMEM;
	bitmap_zero(s->freemap, KMAG_MAX_SPAN_OBJS);
	bitmap_set(s->freemap, 0, c->objs_per_span);
	s->nfree = c->objs_per_span;
	/* Another user's data, where the page allocator would have zeroed. */
	if (kmag_span_want_clear(c, gfp))
		kmag_pages_clear((void *)s->base, s->npages);
	if (unlikely(c->flags & KMAG_DEBUG_FLAGS))
		kmag_debug_init_span(c, s);
	if (c->ctor) {
		/* A freed object may have left the memory poisoned (KASAN). */
		kmag_san_unpoison((void *)s->base, (size_t)s->npages << PAGE_SHIFT);
		for (i = 0; i < c->objs_per_span; i++)
			c->ctor((void *)(s->base + i * c->size + c->red_left));
	}
	kmag_san_new_span(c, s);
	nid = s->nid;	/* s may be used up and gone once the lock drops */
	spin_lock_irqsave(&ct->lock, flags);
	s->list_id = KMAG_LIST_EMPTY;
	list_add(&s->list, &ct->node[nid].lists[KMAG_LIST_EMPTY]);
	ct->node[nid].nr[KMAG_LIST_EMPTY]++;
	ct->nr_spans++;
	ct->nr_free_objs += s->nfree;
	spin_unlock_irqrestore(&ct->lock, flags);
	return nid;
}
EXPORT_SYMBOL_NS_GPL(kmag_central_grow, KMAG_INTERNAL);

static struct kmag_mag *kmag_cnode_depot_get(struct kmag_central *ct,
					     struct kmag_cnode *cn, bool full)
{
	struct kmag_mag **top = full ? &cn->depot_full : &cn->depot_empty;
	struct kmag_mag *m = *top;

	if (!m)
		return NULL;
	*top = m->next;
	if (full) {
		cn->nr_full--;
		ct->nr_depot_full--;
		cn->depot_rounds -= m->rounds;
		ct->depot_rounds -= m->rounds;
		cn->min_full = min(cn->min_full, cn->nr_full);
	} else {
		cn->nr_empty--;
		ct->nr_depot_empty--;
		cn->min_empty = min(cn->min_empty, cn->nr_empty);
	}
	return m;
}

/**
 * kmag_depot_get() - take a magazine from this CPU's node's depot
 * @c: the cache
 * @full: true for a full magazine, false for an empty one
 *
 * Only the depot of the caller's home node is looked at: a CPU never gets
 * a full magazine that another node's CPUs filled (§17).
 *
 * Context: central lock held, IRQs off.
 * Return: the magazine, or NULL if that depot has none of that kind.
 */
struct kmag_mag *kmag_depot_get(struct kmag_cache *c, bool full)
{
	struct kmag_central *ct = &c->central;

	lockdep_assert_held(&ct->lock);
	return kmag_cnode_depot_get(ct, &ct->node[kmag_home_node()], full);
}
EXPORT_SYMBOL_NS_GPL(kmag_depot_get, KMAG_INTERNAL);

/**
 * kmag_depot_put() - give a full or empty magazine to this CPU's node's depot
 * @c: the cache
 * @m: a magazine with 0 or capacity rounds
 *
 * Beyond depot_max full magazines in that depot, the rounds go back to
 * their spans and the magazine is kept as an empty one; beyond depot_max
 * empty ones, it is freed.
 *
 * Context: central lock held, IRQs off.
 */
void kmag_depot_put(struct kmag_cache *c, struct kmag_mag *m)
{
	struct kmag_central *ct = &c->central;
	struct kmag_cnode *cn;

	lockdep_assert_held(&ct->lock);
	cn = &ct->node[kmag_home_node()];
	if (m->rounds && cn->nr_full < c->depot_max) {
		m->next = cn->depot_full;
		cn->depot_full = m;
		cn->nr_full++;
		ct->nr_depot_full++;
		cn->depot_rounds += m->rounds;
		ct->depot_rounds += m->rounds;
		return;
	}
	if (m->rounds) {
		kmag_central_put(c, m->objs, m->rounds);
		m->rounds = 0;
	}
	if (cn->nr_empty >= c->depot_max) {
		kmag_mag_free(m);
		return;
	}
	m->next = cn->depot_empty;
	cn->depot_empty = m;
	cn->nr_empty++;
	ct->nr_depot_empty++;
}
EXPORT_SYMBOL_NS_GPL(kmag_depot_put, KMAG_INTERNAL);

/*
 * Give up to @left empty spans of node @nid back, KMAG_FLUSH_BATCH per hold
 * of the central lock. Return: the holds.
 */
static unsigned int kmag_empty_release(struct kmag_cache *c, int nid,
				       unsigned long left)
{
	struct kmag_central *ct = &c->central;
	unsigned int n, holds = 0;
	struct kmag_span *s;
	unsigned long flags;

	while (left) {
		spin_lock_irqsave(&ct->lock, flags);
		holds++;
		for (n = 0; n < KMAG_FLUSH_BATCH && left; n++, left--) {
			s = list_first_entry_or_null(&ct->node[nid].lists[KMAG_LIST_EMPTY],
						     struct kmag_span, list);
			if (!s) {
				left = 0;
				break;
			}
			kmag_span_unlink(c, s);
			kmag_span_retire(c, s);
		}
		spin_unlock_irqrestore(&ct->lock, flags);
	}
	return holds;
}

/*
 * Free magazines of every node's depot (full ones' rounds back to their
 * spans): with @working_set, as many full and empty ones as the node's
 * lowest levels since the last reap, else all there are when the walk
 * reaches the node. KMAG_FLUSH_BATCH magazines per hold of the central
 * lock, counted in @holds; no hold for depots that are empty.
 * Return: the magazines freed.
 */
static unsigned int kmag_depot_release(struct kmag_cache *c, bool working_set,
				       unsigned int *holds)
{
	struct kmag_central *ct = &c->central;
	struct kmag_mag *dead = NULL, *m;
	unsigned int full, empty, n = 0, freed = 0;
	bool locked = false;
	struct kmag_cnode *cn;
	unsigned long flags;
	int nid;

	for_each_node(nid) {
		cn = &ct->node[nid];
		if (!READ_ONCE(cn->nr_full) && !READ_ONCE(cn->nr_empty))
			continue;
		if (!locked) {
			spin_lock_irqsave(&ct->lock, flags);
			(*holds)++;
			locked = true;
		}
		full = working_set ? min(cn->min_full, cn->nr_full) : cn->nr_full;
		empty = working_set ? min(cn->min_empty, cn->nr_empty) : cn->nr_empty;
		while (full + empty) {
			if (n == KMAG_FLUSH_BATCH) {
				spin_unlock_irqrestore(&ct->lock, flags);
				while ((m = dead)) {
					dead = m->next;
					kmag_mag_free(m);
				}
				spin_lock_irqsave(&ct->lock, flags);
				(*holds)++;
				n = 0;
			}
			m = kmag_cnode_depot_get(ct, cn, full != 0);
			if (!m) {
				/* Taken meanwhile: none of that kind is left. */
				if (full)
					full = 0;
				else
					empty = 0;
				continue;
			}
			if (m->rounds) {
				full--;
				kmag_central_put(c, m->objs, m->rounds);
			} else {
				empty--;
			}
			m->next = dead;
			dead = m;
			freed++;
			n++;
		}
	}
	if (locked)
		spin_unlock_irqrestore(&ct->lock, flags);
	while ((m = dead)) {
		dead = m->next;
		kmag_mag_free(m);
	}
	return freed;
}

/**
 * kmag_central_flush() - empty the depot and give free spans back
 * @c: the cache
 *
 * Rounds of the depot's full magazines go back to their spans, every
 * magazine of the depot is freed, and every entirely free span goes back to
 * the page heap. The central lock is held for at most KMAG_FLUSH_BATCH
 * magazines (each at most KMAG_MAG_MAX_ROUNDS objects) or empty spans at a
 * time; only the empty lists are walked (a partial or full span is never
 * entirely free).
 *
 * Context: process or IRQ context; takes the central lock.
 * Return: how many times it took the central lock.
 */
unsigned int kmag_central_flush(struct kmag_cache *c)
{
	struct kmag_central *ct = &c->central;
	unsigned int holds = 0;
	int nid;

	/*
	 * What is there now, not what busy CPUs keep adding: the walk ends.
	 * Depot magazines first, then each node's empty spans.
	 */
	kmag_depot_release(c, false, &holds);
	for_each_node(nid)
		holds += kmag_empty_release(c, nid, READ_ONCE(ct->node[nid].nr[KMAG_LIST_EMPTY]));
	return holds;
}
EXPORT_SYMBOL_NS_GPL(kmag_central_flush, KMAG_INTERNAL);

/**
 * kmag_depot_reap() - give back what the depot did not need (Bonwick)
 * @c: the cache
 * @busy: set to true if @c still caches anything afterwards
 *
 * The lowest levels of full and of empty magazines seen since the last
 * reap are magazines nobody needed during that interval: that many are
 * freed from each node's depot (the rounds of full ones back to their
 * spans). A cache whose
 * central lists were not used during the interval also gives its empty
 * spans back. The central lock is held for KMAG_FLUSH_BATCH magazines or
 * spans at a time. A depot that was found locked often enough during the
 * interval makes the cache's new magazines larger (fewer exchanges).
 *
 * Context: process context (no lock held).
 * Return: the magazines freed.
 */
unsigned int kmag_depot_reap(struct kmag_cache *c, bool *busy)
{
	struct kmag_central *ct = &c->central;
	unsigned int reaped, holds = 0;
	struct kmag_cnode *cn;
	unsigned long flags;
	bool idle;
	int nid;

	spin_lock_irqsave(&ct->lock, flags);
	idle = ct->gets == ct->reap_gets;
	spin_unlock_irqrestore(&ct->lock, flags);
	reaped = kmag_depot_release(c, true, &holds);
	if (idle)
		for_each_node(nid)
			kmag_empty_release(c, nid, ULONG_MAX);
	spin_lock_irqsave(&ct->lock, flags);
	if (ct->contended >= KMAG_CONTENDED_GROW)
		kmag_mag_resize(c, true);
	ct->contended = 0;
	/* A new interval starts from the levels as they are now. */
	for_each_node(nid) {
		cn = &ct->node[nid];
		cn->min_full = cn->nr_full;
		cn->min_empty = cn->nr_empty;
		*busy |= cn->nr[KMAG_LIST_EMPTY] != 0;
	}
	ct->reap_gets = ct->gets;
	*busy |= ct->nr_depot_full || ct->nr_depot_empty;
	spin_unlock_irqrestore(&ct->lock, flags);
	return reaped;
}
EXPORT_SYMBOL_NS_GPL(kmag_depot_reap, KMAG_INTERNAL);

/**
 * kmag_central_live() - objects of a cache that are not free in its spans
 * @c: the cache
 *
 * Objects held in magazines count as live here.
 *
 * Context: any context; takes no lock (the value may be stale).
 * Return: the number of such objects.
 */
unsigned long kmag_central_live(struct kmag_cache *c)
{
	return READ_ONCE(c->central.nr_spans) * c->objs_per_span -
	       READ_ONCE(c->central.nr_free_objs);
}
EXPORT_SYMBOL_NS_GPL(kmag_central_live, KMAG_INTERNAL);

int kmag_central_init(struct kmag_cache *c)
{
	struct kmag_central *ct = &c->central;
	int nid, i;

	spin_lock_init(&ct->lock);
	ct->node = kcalloc(nr_node_ids, sizeof(*ct->node), GFP_KERNEL);
	if (!ct->node)
		return -ENOMEM;
	for (nid = 0; nid < nr_node_ids; nid++)
		for (i = 0; i < KMAG_NR_LISTS; i++)
			INIT_LIST_HEAD(&ct->node[nid].lists[i]);
	return 0;
}

/* Give every span back to the page heap, live objects or not. */
void kmag_central_exit(struct kmag_cache *c)
{
	struct kmag_central *ct = &c->central;
	struct kmag_span *s, *tmp;
	int nid, i;

	if (!ct->node)
		return;
	kmag_central_flush(c);
	for (nid = 0; nid < nr_node_ids; nid++) {
		for (i = 0; i < KMAG_NR_LISTS; i++) {
			list_for_each_entry_safe(s, tmp, &ct->node[nid].lists[i], list) {
				kmag_span_unlink(c, s);
				kmag_span_retire(c, s);
			}
		}
	}
	kfree(ct->node);
	ct->node = NULL;
}
