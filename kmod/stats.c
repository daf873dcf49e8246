// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics: per-CPU counters (enum kmag_stat_item) summed on read, page
 * heap gauges, and the debugfs files under /sys/kernel/debug/kmag/:
 *
 *   stats    one "name value" line per item of KMAG_STATS, in that order;
 *   classes  a header line, then one row per size class;
 *   slabinfo a header line, then one row per cache (classes and named);
 *   percpu   a header line, then per online CPU what its magazines hold;
 *   nodes    a header line, then one row per node with memory (§17);
 *   drain    write 1: flush all magazines and give free memory back;
 *   caches/<name>/  one directory per cache: a file per counter, "stats"
 *            with all of them, and its debugging files;
 *   fail/    fault injection knobs (fail.c).
 *
 * Reading takes kmag_caches_mutex (for the list of caches) but no lock that
 * the alloc and free paths take.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kstrtox.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/seq_file.h>

#include "kmag_internal.h"
#include "sizeclasses.h"

DEFINE_PER_CPU(unsigned long [KMAG_NR_STATS], kmag_pcpu_stat);

struct dentry *kmag_debugfs_dir;

/* Per-CPU counters (a cache's or the global ones), summed. */
static void kmag_cpu_sum(unsigned long __percpu *stat, long sum[KMAG_NR_STATS])
{
	int cpu, i;

	memset(sum, 0, KMAG_NR_STATS * sizeof(long));
	for_each_possible_cpu(cpu)
		for (i = 0; i < KMAG_NR_STATS; i++)
			sum[i] += READ_ONCE(per_cpu_ptr(stat, cpu)[i]);
}

/*
 * Bytes asked for by the live objects of a cache. kmag does not keep each
 * object's request: this assumes the live objects asked for the cache's
 * mean request since load (exact for a named cache, whose objects all ask
 * for its object size).
 */
static long kmag_live_requested(const long *sum)
{
	long live = sum[KMAG_ALLOC] - sum[KMAG_FREE];

	if (live <= 0 || sum[KMAG_ALLOC] <= 0 || sum[KMAG_REQ_BYTES] <= 0)
		return 0;
	return mul_u64_u64_div_u64(sum[KMAG_REQ_BYTES], live, sum[KMAG_ALLOC]);
}

/**
 * kmag_cache_stats() - counters of one cache
 * @c: the cache
 * @cs: filled in
 *
 * Objects in the depot and in magazines come from counters only (no other
 * CPU's magazine is looked at): everything not free in the spans is live,
 * in the depot, or in a magazine.
 *
 * Context: any context; takes no lock.
 */
void kmag_cache_stats(struct kmag_cache *c, struct kmag_class_stats *cs)
{
	long sum[KMAG_NR_STATS], depot;

	kmag_cpu_sum(&c->cpu->stat[0], sum);
	depot = READ_ONCE(c->central.depot_rounds);
	cs->mallocs = sum[KMAG_ALLOC];
	cs->frees = sum[KMAG_FREE];
	cs->live_objects = cs->mallocs - cs->frees;
	cs->spans = READ_ONCE(c->central.nr_spans);
	cs->free_objects = cs->spans * c->objs_per_span - cs->live_objects;
	cs->requested_bytes = sum[KMAG_REQ_BYTES];
	cs->live_requested_bytes = kmag_live_requested(sum);
	cs->magazine_misses = sum[KMAG_MAG_MISS];
	cs->alloc_failures = sum[KMAG_ALLOC_FAIL];
	cs->span_bytes = (cs->spans * c->npages) << PAGE_SHIFT;
	cs->inuse_bytes = cs->live_objects * c->size;
	/* Counters and span count are read apart: never below zero. */
	cs->idle_bytes = max(0L, cs->span_bytes - cs->inuse_bytes);
	cs->depot_bytes = depot * c->size;
	cs->magazine_bytes = max(0L, (long)kmag_central_live(c) - cs->live_objects -
				 depot) * c->size;
}
EXPORT_SYMBOL_NS_GPL(kmag_cache_stats, KMAG_INTERNAL);

static int __kmag_stats_read(struct kmag_stats *st, bool try)
{
	long sum[KMAG_NR_STATS], small_ops, meta = 0;
	struct kmag_class_stats cs;
	int cpu;
	struct kmag_heap_stats hs;
	struct kmag_cache *c;

	memset(st, 0, sizeof(*st));
	if (!try)
		mutex_lock(&kmag_caches_mutex);
	else if (!mutex_trylock(&kmag_caches_mutex))
		return -EBUSY;
	list_for_each_entry(c, &kmag_caches, list) {
		kmag_cache_stats(c, &cs);
		st->mallocs += cs.mallocs;
		st->frees += cs.frees;
		st->alloc_bytes += cs.inuse_bytes;
		st->requested_bytes += cs.requested_bytes;
		st->magazine_misses += cs.magazine_misses;
		st->alloc_failures += cs.alloc_failures;
		st->depot_bytes += cs.depot_bytes;
		st->magazine_bytes += cs.magazine_bytes;
		st->live_requested_bytes += cs.live_requested_bytes;
		st->live_roundup_bytes += cs.inuse_bytes - cs.live_requested_bytes;
		/* depot_max bounds each node's depot (§17). */
		st->depot_worst_bytes += (long)c->depot_max * c->mag_max * c->size *
					 (kmag_numa() ? num_node_state(N_MEMORY) : 1);
		meta += sizeof(*c) + num_possible_cpus() * sizeof(struct kmag_cpu) +
			nr_node_ids * sizeof(struct kmag_cnode);
		if (c->tiny) {
			/* §18: blocks held, and their words in each span's tail. */
			st->tiny_blocks = cs.live_objects;
			meta += cs.spans * KMAG_TINY_BLOCKS *
				sizeof(u32) +
				num_possible_cpus() * sizeof(struct kmag_tiny_cpu);
		}
	}
	/* Large objects, reports, and the counters of destroyed caches. */
	kmag_cpu_sum(&kmag_pcpu_stat[0], sum);
	mutex_unlock(&kmag_caches_mutex);
	st->mallocs += sum[KMAG_ALLOC];
	st->frees += sum[KMAG_FREE];
	st->magazine_misses += sum[KMAG_MAG_MISS];
	small_ops = st->mallocs + st->frees;
	st->magazine_hits = small_ops - st->magazine_misses;

	st->large_allocs = sum[KMAG_LARGE_ALLOC];
	st->large_frees = sum[KMAG_LARGE_FREE];
	st->mallocs += st->large_allocs;
	st->frees += st->large_frees;
	st->alloc_bytes += sum[KMAG_LARGE_BYTES];
	st->requested_bytes += sum[KMAG_REQ_BYTES];
	st->invalid_frees = sum[KMAG_INVALID_FREE];
	st->double_frees = sum[KMAG_DOUBLE_FREE];
	st->alloc_failures += sum[KMAG_ALLOC_FAIL];
	st->live_objects = st->mallocs - st->frees;
	st->scavenger_runs = sum[KMAG_SCAV_RUNS];
	st->scavenged_bytes = sum[KMAG_SCAVENGED] << PAGE_SHIFT;
	st->reaped_magazines = sum[KMAG_REAPED_MAGS];
	st->shrinker_scans = sum[KMAG_SHRINK_SCANS];
	st->shrinker_freed_bytes = sum[KMAG_SHRINK_FREED] << PAGE_SHIFT;
	st->redzone_errors = sum[KMAG_REDZONE_ERR];
	st->poison_errors = sum[KMAG_POISON_ERR];
	st->injected_failures = sum[KMAG_FAIL_INJECTED];
	st->validate_errors = sum[KMAG_VALIDATE_ERR];
	st->context_errors = sum[KMAG_CONTEXT_ERR];
	st->cpu_cache_refusals = sum[KMAG_BUDGET_REFUSED];
	st->tiny_allocs = sum[KMAG_TINY_ALLOC];
	st->tiny_saved_bytes = sum[KMAG_TINY_CLASS_BYTES] -
			       st->tiny_blocks * (long)(KMAG_TINY_BLOCK + sizeof(u32));
	st->heap_profile_samples = kmag_prof_live();
	st->heap_profile_dropped = sum[KMAG_PROF_DROPPED];
	st->nested_ops = sum[KMAG_NESTED];
	st->cpu_cache_budget_bytes = READ_ONCE(kmag_cpu_budget);
	st->cpu_cache_worst_bytes = st->cpu_cache_budget_bytes * num_possible_cpus();
	for_each_possible_cpu(cpu)
		st->cpu_cache_charged_bytes += kmag_cpu_charged_bytes(cpu);

	kmag_heap_stats(&hs);
	st->sys_bytes = hs.sys << PAGE_SHIFT;
	/* The CPUs' kept large spans are free memory, not in use (large.c). */
	hs.inuse = kmag_large_unkept(hs.inuse, NUMA_NO_NODE);
	st->inuse_bytes = hs.inuse << PAGE_SHIFT;
	st->released_bytes = hs.released << PAGE_SHIFT;
	st->heap_released_bytes = hs.holes << PAGE_SHIFT;
	st->reacquired_bytes = hs.reacquired << PAGE_SHIFT;
	kmag_heap_acct(&st->slab_unreclaimable_bytes, &st->slab_reclaimable_bytes);
	/* Gauges read without the heap locks: never below zero. */
	st->free_span_bytes = hs.sys > hs.inuse ? (hs.sys - hs.inuse) << PAGE_SHIFT : 0;
	st->idle_bytes = st->magazine_bytes + st->depot_bytes + st->free_span_bytes;
	st->metadata_bytes = meta + hs.spans * sizeof(struct kmag_span) +
			     hs.chunks * sizeof(struct kmag_chunk) +
			     hs.leaves * KMAG_MAP_LEAF_PAGES * sizeof(void *) +
			     atomic_long_read(&kmag_mag_bytes);

	st->heap_objects = st->live_objects;
	st->heap_alloc = st->alloc_bytes;
	st->heap_inuse = st->inuse_bytes;
	st->heap_released = st->heap_released_bytes;
	st->heap_idle = st->free_span_bytes + st->heap_released_bytes;
	st->heap_sys = st->heap_inuse + st->heap_idle;
	if (st->live_requested_bytes > 0)
		st->internal_frag_permille = div64_s64(st->live_roundup_bytes * 1000LL,
						       st->live_requested_bytes);
	return 0;
}

/**
 * kmag_stats_read() - a snapshot of every statistic
 * @st: filled in
 *
 * idle_bytes is by definition magazine_bytes + depot_bytes +
 * free_span_bytes: memory kmag holds that no live object uses and that it
 * can give back.
 *
 * Context: process context (takes kmag_caches_mutex).
 */
void kmag_stats_read(struct kmag_stats *st)
{
	__kmag_stats_read(st, false);
}
EXPORT_SYMBOL_NS_GPL(kmag_stats_read, KMAG_INTERNAL);

/**
 * kmag_stats_read_try() - kmag_stats_read(), unless kmag_caches_mutex is busy
 * @st: filled in
 *
 * Context: process context; never waits for the mutex.
 * Return: 0, or -EBUSY (@st then holds nothing useful).
 */
int kmag_stats_read_try(struct kmag_stats *st)
{
	return __kmag_stats_read(st, true);
}

/**
 * kmag_stats_retire() - keep a cache's counters when the cache goes away
 * @c: a cache about to be freed, with no live object
 *
 * Its totals are added to this CPU's global counters so that the monotonic
 * statistics (mallocs, frees, ...) never go backwards.
 *
 * Context: process context; @c is no longer on kmag_caches.
 */
void kmag_stats_retire(struct kmag_cache *c)
{
	static const enum kmag_stat_item keep[] = {
		KMAG_ALLOC, KMAG_FREE, KMAG_REQ_BYTES, KMAG_MAG_MISS, KMAG_ALLOC_FAIL,
	};	/* the others are counted in kmag_pcpu_stat only */
	long sum[KMAG_NR_STATS];
	int i;

	kmag_cpu_sum(&c->cpu->stat[0], sum);
	for (i = 0; i < ARRAY_SIZE(keep); i++)
		this_cpu_add(kmag_pcpu_stat[keep[i]], sum[keep[i]]);
}

#define KMAG_STAT(name) { #name, offsetof(struct kmag_stats, name) }

static const struct {
	const char *name;
	size_t offset;
} kmag_stat_names[] = {
	KMAG_STAT(mallocs),
	KMAG_STAT(frees),
	KMAG_STAT(live_objects),
	KMAG_STAT(alloc_bytes),
	KMAG_STAT(requested_bytes),
	KMAG_STAT(sys_bytes),
	KMAG_STAT(inuse_bytes),
	KMAG_STAT(idle_bytes),
	KMAG_STAT(released_bytes),
	KMAG_STAT(large_allocs),
	KMAG_STAT(large_frees),
	KMAG_STAT(magazine_hits),
	KMAG_STAT(magazine_misses),
	KMAG_STAT(invalid_frees),
	KMAG_STAT(double_frees),
	KMAG_STAT(alloc_failures),
	KMAG_STAT(heap_released_bytes),
	KMAG_STAT(magazine_bytes),
	KMAG_STAT(depot_bytes),
	KMAG_STAT(free_span_bytes),
	KMAG_STAT(metadata_bytes),
	KMAG_STAT(scavenger_runs),
	KMAG_STAT(scavenged_bytes),
	KMAG_STAT(reacquired_bytes),
	KMAG_STAT(shrinker_scans),
	KMAG_STAT(shrinker_freed_bytes),
	KMAG_STAT(reaped_magazines),
	KMAG_STAT(redzone_errors),
	KMAG_STAT(poison_errors),
	KMAG_STAT(injected_failures),
	KMAG_STAT(validate_errors),
	KMAG_STAT(context_errors),
	KMAG_STAT(slab_unreclaimable_bytes),
	KMAG_STAT(slab_reclaimable_bytes),
	KMAG_STAT(cpu_cache_budget_bytes),
	KMAG_STAT(cpu_cache_charged_bytes),
	KMAG_STAT(cpu_cache_worst_bytes),
	KMAG_STAT(depot_worst_bytes),
	KMAG_STAT(cpu_cache_refusals),
	KMAG_STAT(heap_objects),
	KMAG_STAT(heap_alloc),
	KMAG_STAT(heap_sys),
	KMAG_STAT(heap_idle),
	KMAG_STAT(heap_inuse),
	KMAG_STAT(heap_released),
	KMAG_STAT(live_requested_bytes),
	KMAG_STAT(live_roundup_bytes),
	KMAG_STAT(internal_frag_permille),
	KMAG_STAT(tiny_allocs),
	KMAG_STAT(tiny_blocks),
	KMAG_STAT(tiny_saved_bytes),
	KMAG_STAT(heap_profile_samples),
	KMAG_STAT(heap_profile_dropped),
	KMAG_STAT(nested_ops),
};
static_assert(ARRAY_SIZE(kmag_stat_names) * sizeof(long) == sizeof(struct kmag_stats));

static int kmag_stats_show(struct seq_file *m, void *v)
{
	struct kmag_stats st;
	int i;

	kmag_stats_read(&st);
	for (i = 0; i < ARRAY_SIZE(kmag_stat_names); i++)
		seq_printf(m, "%s %ld\n", kmag_stat_names[i].name,
			   *(long *)((char *)&st + kmag_stat_names[i].offset));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kmag_stats);

static int kmag_classes_show(struct seq_file *m, void *v)
{
	struct kmag_class_stats cs;
	struct kmag_cache *c;
	int i;

	seq_puts(m, "class size span_pages objs_per_span spans live_objects free_objects mallocs frees inuse_bytes idle_bytes\n");
	for (i = 0; i < KMAG_NUM_CLASSES; i++) {
		c = kmag_classes[i];
		kmag_cache_stats(c, &cs);
		seq_printf(m, "%d %u %u %u %ld %ld %ld %ld %ld %ld %ld\n", i, c->size,
			   c->npages, c->objs_per_span, cs.spans, cs.live_objects,
			   cs.free_objects, cs.mallocs, cs.frees, cs.inuse_bytes,
			   cs.idle_bytes);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kmag_classes);

/* slabinfo: every cache, size classes first, as /proc/slabinfo lists them. */
static int kmag_slabinfo_show(struct seq_file *m, void *v)
{
	struct kmag_class_stats cs;
	struct kmag_cache *c;

	seq_puts(m, "name size object_size span_pages objs_per_span spans live_objects total_objects mallocs frees inuse_bytes idle_bytes span_bytes\n");
	mutex_lock(&kmag_caches_mutex);
	list_for_each_entry(c, &kmag_caches, list) {
		kmag_cache_stats(c, &cs);
		seq_escape(m, c->name, " \t\n\\");
		seq_printf(m, " %u %u %u %u %ld %ld %ld %ld %ld %ld %ld %ld\n",
			   c->size, c->obj_size, c->npages,
			   c->objs_per_span, cs.spans, cs.live_objects,
			   cs.spans * c->objs_per_span, cs.mallocs, cs.frees,
			   cs.inuse_bytes, cs.idle_bytes, cs.span_bytes);
	}
	mutex_unlock(&kmag_caches_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kmag_slabinfo);

/* What one CPU's magazines of each cache hold (percpu). */
struct kmag_percpu_walk {
	unsigned int ncaches;
	u16 *rounds;		/* [cpu][cache][2]: loaded, previous */
};

/*
 * On each online CPU, under its magazine lock (kmag_on_cpus()): its own
 * magazines cannot change or be freed meanwhile. kmag_caches_mutex is held
 * by the reader, so the list is stable.
 */
static void kmag_percpu_cpu(void *arg)
{
	struct kmag_percpu_walk *w = arg;
	u16 *r = w->rounds + 2 * w->ncaches * smp_processor_id();
	struct kmag_cache *c;
	struct kmag_cpu *cc;
	unsigned int i = 0;

	list_for_each_entry(c, &kmag_caches, list) {
		if (i == w->ncaches)
			break;
		cc = this_cpu_ptr(c->cpu);
		r[2 * i] = cc->loaded ? cc->loaded->rounds : 0;
		r[2 * i + 1] = cc->previous ? cc->previous->rounds : 0;
		i++;
	}
}

/* One line of percpu: a cache's, or a CPU's totals ("*"). */
struct kmag_percpu_row {
	unsigned long rounds, bytes, allocs, frees, misses;
};

static void kmag_percpu_print(struct seq_file *m, int cpu, const char *name,
			      const struct kmag_percpu_row *row)
{
	unsigned long ops = row->allocs + row->frees;
	unsigned long pm = ops ? div64_u64((u64)(ops - row->misses) * 1000, ops) : 0;

	seq_printf(m, "%d ", cpu);
	seq_escape(m, name, " \t\n\\");
	seq_printf(m, " %lu %lu %lu %lu %lu %lu.%lu\n", row->rounds, row->bytes,
		   row->allocs, row->frees, row->misses, pm / 10, pm % 10);
}

/*
 * percpu: per online CPU, a line per cache whose magazines hold objects,
 * then a "*" line with that CPU's totals over every cache. Hits are
 * operations served by the loaded or previous magazine.
 */
static int kmag_percpu_show(struct seq_file *m, void *v)
{
	struct kmag_percpu_walk w = { };
	struct kmag_percpu_row row, total;
	unsigned long *st;
	struct kmag_cache *c;
	unsigned int i;
	u16 *r;
	int cpu;

	seq_puts(m, "cpu cache rounds bytes allocs frees misses hit_pct\n");
	mutex_lock(&kmag_caches_mutex);
	list_for_each_entry(c, &kmag_caches, list)
		w.ncaches++;
	w.rounds = kvcalloc(array3_size(nr_cpu_ids, w.ncaches, 2), sizeof(u16),
			    GFP_KERNEL);
	if (!w.rounds) {
		mutex_unlock(&kmag_caches_mutex);
		return -ENOMEM;
	}
	kmag_on_cpus(cpu_online_mask, kmag_percpu_cpu, &w);
	for_each_online_cpu(cpu) {
		memset(&total, 0, sizeof(total));
		r = w.rounds + 2 * w.ncaches * cpu;
		i = 0;
		list_for_each_entry(c, &kmag_caches, list) {
			if (i == w.ncaches)
				break;
			/* Each counter read once: the line adds up. */
			st = per_cpu_ptr(c->cpu, cpu)->stat;
			row.rounds = r[2 * i] + r[2 * i + 1];
			row.bytes = row.rounds * c->size;
			row.allocs = READ_ONCE(st[KMAG_ALLOC]);
			row.frees = READ_ONCE(st[KMAG_FREE]);
			row.misses = min(row.allocs + row.frees,
					 READ_ONCE(st[KMAG_MAG_MISS]));
			total.rounds += row.rounds;
			total.bytes += row.bytes;
			total.allocs += row.allocs;
			total.frees += row.frees;
			total.misses += row.misses;
			if (row.rounds)
				kmag_percpu_print(m, cpu, c->name, &row);
			i++;
		}
		kmag_percpu_print(m, cpu, "*", &total);
	}
	mutex_unlock(&kmag_caches_mutex);
	kvfree(w.rounds);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kmag_percpu);

/**
 * kmag_node_info() - one line of debugfs "nodes"
 * @nid: a node
 * @ni: filled in
 *
 * While kmag_numa() is off (one node has memory) the locality counters are
 * not kept: every small object handed out is local, so the home node's
 * local_allocs is mallocs - large_allocs.
 *
 * Context: process context (takes kmag_caches_mutex).
 */
void kmag_node_info(int nid, struct kmag_node_info *ni)
{
	struct kmag_node_stat ns;
	struct kmag_stats st;
	struct kmag_cache *c;
	int cpu;

	memset(ni, 0, sizeof(*ni));
	for_each_online_cpu(cpu)
		ni->cpus += kmag_cpu_home(cpu) == nid;
	ni->sys_bytes = kmag_heap_sys_pages(nid) << PAGE_SHIFT;
	ni->inuse_bytes = kmag_large_unkept(kmag_heap_inuse_pages(nid), nid) << PAGE_SHIFT;
	mutex_lock(&kmag_caches_mutex);
	list_for_each_entry(c, &kmag_caches, list)
		ni->depot_bytes += READ_ONCE(c->central.node[nid].depot_rounds) * c->size;
	mutex_unlock(&kmag_caches_mutex);
	kmag_node_stat_sum(nid, &ns);
	ni->local_allocs = ns.local_allocs;
	ni->remote_allocs = ns.remote_allocs;
	ni->remote_frees = ns.remote_frees;
	if (!kmag_numa() && nid == kmag_cpu_home(cpumask_first(cpu_possible_mask))) {
		kmag_stats_read(&st);
		ni->local_allocs = st.mallocs - st.large_allocs;
	}
}
EXPORT_SYMBOL_NS_GPL(kmag_node_info, KMAG_INTERNAL);

/* nodes: per node with memory, where its pages are and who got its objects. */
static int kmag_nodes_show(struct seq_file *m, void *v)
{
	struct kmag_node_info ni;
	int nid;

	seq_puts(m, "node cpus sys_bytes inuse_bytes depot_bytes local_allocs remote_allocs remote_frees\n");
	for_each_node_state(nid, N_MEMORY) {
		kmag_node_info(nid, &ni);
		seq_printf(m, "%d %u %lu %lu %lu %lu %lu %lu\n", nid, ni.cpus,
			   ni.sys_bytes, ni.inuse_bytes, ni.depot_bytes,
			   ni.local_allocs, ni.remote_allocs, ni.remote_frees);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kmag_nodes);

/**
 * kmag_debugfs_trigger() - parse a write to an action file (drain, validate)
 * @buf: user buffer
 * @count: its length
 *
 * Context: process context.
 * Return: 0 for a true boolean ("1", "y"...), -EINVAL for a false one, or
 * the parse error: the action runs only on 0.
 */
int kmag_debugfs_trigger(const char __user *buf, size_t count)
{
	bool val;
	int ret;

	ret = kstrtobool_from_user(buf, count, &val);
	if (ret)
		return ret;
	return val ? 0 : -EINVAL;
}

static ssize_t kmag_drain_write(struct file *file, const char __user *buf,
				size_t count, loff_t *ppos)
{
	int ret = kmag_debugfs_trigger(buf, count);

	if (ret)
		return ret;
	kmag_drain();
	return count;
}

static const struct file_operations kmag_drain_fops = {
	.owner = THIS_MODULE,
	.write = kmag_drain_write,
	.llseek = noop_llseek,
};

static struct dentry *kmag_caches_dir;

/*
 * caches/<name>/: one value per file, as /sys/kernel/slab/<cache>/ has,
 * and "stats" with all of them as "name value" lines.
 */
enum kmag_cfield {
	KMAG_CF_SIZE, KMAG_CF_OBJECT_SIZE, KMAG_CF_SPAN_PAGES,
	KMAG_CF_OBJS_PER_SPAN, KMAG_CF_SPANS, KMAG_CF_OBJECTS,
	KMAG_CF_TOTAL_OBJECTS, KMAG_CF_MALLOCS, KMAG_CF_FREES,
	KMAG_CF_MAG_MISSES, KMAG_CF_ALLOC_FAILURES, KMAG_CF_REQUESTED,
	KMAG_CF_LIVE_REQUESTED, KMAG_CF_SPAN_BYTES, KMAG_CF_INUSE_BYTES,
	KMAG_CF_IDLE_BYTES, KMAG_CF_DEPOT_BYTES, KMAG_CF_MAGAZINE_BYTES,
	KMAG_CF_MAGAZINE_SIZE, KMAG_CF_MAGAZINE_MAX, KMAG_CF_DEPOT_MAX,
	KMAG_CF_FLAGS, KMAG_NR_CFIELDS
};

static const char *const kmag_cfield_names[KMAG_NR_CFIELDS] = {
	[KMAG_CF_SIZE] = "size",
	[KMAG_CF_OBJECT_SIZE] = "object_size",
	[KMAG_CF_SPAN_PAGES] = "span_pages",
	[KMAG_CF_OBJS_PER_SPAN] = "objs_per_span",
	[KMAG_CF_SPANS] = "spans",
	[KMAG_CF_OBJECTS] = "objects",
	[KMAG_CF_TOTAL_OBJECTS] = "total_objects",
	[KMAG_CF_MALLOCS] = "mallocs",
	[KMAG_CF_FREES] = "frees",
	[KMAG_CF_MAG_MISSES] = "magazine_misses",
	[KMAG_CF_ALLOC_FAILURES] = "alloc_failures",
	[KMAG_CF_REQUESTED] = "requested_bytes",
	[KMAG_CF_LIVE_REQUESTED] = "live_requested_bytes",
	[KMAG_CF_SPAN_BYTES] = "span_bytes",
	[KMAG_CF_INUSE_BYTES] = "inuse_bytes",
	[KMAG_CF_IDLE_BYTES] = "idle_bytes",
	[KMAG_CF_DEPOT_BYTES] = "depot_bytes",
	[KMAG_CF_MAGAZINE_BYTES] = "magazine_bytes",
	[KMAG_CF_MAGAZINE_SIZE] = "magazine_size",
	[KMAG_CF_MAGAZINE_MAX] = "magazine_max",
	[KMAG_CF_DEPOT_MAX] = "depot_max",
	[KMAG_CF_FLAGS] = "flags",
};

static long kmag_cfield(struct kmag_cache *c, const struct kmag_class_stats *cs,
			enum kmag_cfield f)
{
	switch (f) {
	case KMAG_CF_SIZE:		return c->size;
	case KMAG_CF_OBJECT_SIZE:	return c->obj_size;
	case KMAG_CF_SPAN_PAGES:	return c->npages;
	case KMAG_CF_OBJS_PER_SPAN:	return c->objs_per_span;
	case KMAG_CF_SPANS:		return cs->spans;
	case KMAG_CF_OBJECTS:		return cs->live_objects;
	case KMAG_CF_TOTAL_OBJECTS:	return cs->spans * c->objs_per_span;
	case KMAG_CF_MALLOCS:		return cs->mallocs;
	case KMAG_CF_FREES:		return cs->frees;
	case KMAG_CF_MAG_MISSES:	return cs->magazine_misses;
	case KMAG_CF_ALLOC_FAILURES:	return cs->alloc_failures;
	case KMAG_CF_REQUESTED:		return cs->requested_bytes;
	case KMAG_CF_LIVE_REQUESTED:	return cs->live_requested_bytes;
	case KMAG_CF_SPAN_BYTES:	return cs->span_bytes;
	case KMAG_CF_INUSE_BYTES:	return cs->inuse_bytes;
	case KMAG_CF_IDLE_BYTES:	return cs->idle_bytes;
	case KMAG_CF_DEPOT_BYTES:	return cs->depot_bytes;
	case KMAG_CF_MAGAZINE_BYTES:	return cs->magazine_bytes;
	case KMAG_CF_MAGAZINE_SIZE:	return READ_ONCE(c->mag_capacity);
	case KMAG_CF_MAGAZINE_MAX:	return c->mag_max;
	case KMAG_CF_DEPOT_MAX:		return c->depot_max;
	case KMAG_CF_FLAGS:		return c->flags;
	default:			return 0;
	}
}

/* The file's name says which field it shows; "stats" shows them all. */
static int kmag_cfile_show(struct seq_file *m, void *v)
{
	const char *name = file_dentry(m->file)->d_name.name;
	struct kmag_cache *c = m->private;
	struct kmag_class_stats cs;
	int f;

	kmag_cache_stats(c, &cs);
	for (f = 0; f < KMAG_NR_CFIELDS; f++) {
		if (!strcmp(name, kmag_cfield_names[f])) {
			seq_printf(m, f == KMAG_CF_FLAGS ? "0x%lx\n" : "%ld\n",
				   kmag_cfield(c, &cs, f));
			return 0;
		}
	}
	for (f = 0; f < KMAG_NR_CFIELDS; f++)
		seq_printf(m, f == KMAG_CF_FLAGS ? "%s 0x%lx\n" : "%s %ld\n",
			   kmag_cfield_names[f], kmag_cfield(c, &cs, f));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kmag_cfile);

/**
 * kmag_cache_debugfs_add() - make caches/<name>/ for a cache
 * @c: the cache
 *
 * Each debugging feature adds its files there. A cache whose name is
 * already taken by another one gets no directory (reported).
 *
 * Context: process context, kmag_caches_mutex held.
 */
void kmag_cache_debugfs_add(struct kmag_cache *c)
{
	struct dentry *d;
	int f;

	lockdep_assert_held(&kmag_caches_mutex);
	if (!kmag_caches_dir || c->dir)
		return;
	d = debugfs_create_dir(c->name, kmag_caches_dir);
	if (IS_ERR(d)) {
		pr_warn("kmag: no debugfs directory for cache %s (%ld)\n",
			c->name, PTR_ERR(d));
		return;
	}
	c->dir = d;
	debugfs_create_file("stats", 0444, d, c, &kmag_cfile_fops);
	for (f = 0; f < KMAG_NR_CFIELDS; f++)
		debugfs_create_file(kmag_cfield_names[f], 0444, d, c, &kmag_cfile_fops);
	kmag_debug_debugfs_cache(c);
	kmag_fail_cache_debugfs(c);
}

/**
 * kmag_cache_debugfs_remove() - remove caches/<name>/ of a cache
 * @c: the cache, being taken off kmag_caches
 *
 * Waits for users of its files to finish: so the handlers of per-cache
 * files may use their cache without further ado, and must never take
 * kmag_caches_mutex.
 *
 * Context: process context, kmag_caches_mutex held.
 */
void kmag_cache_debugfs_remove(struct kmag_cache *c)
{
	lockdep_assert_held(&kmag_caches_mutex);
	debugfs_remove_recursive(c->dir);
	c->dir = NULL;
}

int kmag_debugfs_init(void)
{
	struct kmag_cache *c;

	kmag_debugfs_dir = debugfs_create_dir("kmag", NULL);
	debugfs_create_file("stats", 0444, kmag_debugfs_dir, NULL, &kmag_stats_fops);
	debugfs_create_file("classes", 0444, kmag_debugfs_dir, NULL, &kmag_classes_fops);
	debugfs_create_file("nodes", 0444, kmag_debugfs_dir, NULL, &kmag_nodes_fops);
	debugfs_create_file("slabinfo", 0444, kmag_debugfs_dir, NULL, &kmag_slabinfo_fops);
	debugfs_create_file("percpu", 0444, kmag_debugfs_dir, NULL, &kmag_percpu_fops);
	debugfs_create_file("drain", 0200, kmag_debugfs_dir, NULL, &kmag_drain_fops);
	kmag_debug_debugfs(kmag_debugfs_dir);
	kmag_caches_dir = debugfs_create_dir("caches", kmag_debugfs_dir);
	mutex_lock(&kmag_caches_mutex);
	list_for_each_entry(c, &kmag_caches, list)
		kmag_cache_debugfs_add(c);
	mutex_unlock(&kmag_caches_mutex);
	return 0;
}

void kmag_debugfs_exit(void)
{
	struct kmag_cache *c;

	/* Caches freed from now on have no directory to remove. */
	mutex_lock(&kmag_caches_mutex);
	kmag_caches_dir = NULL;
	list_for_each_entry(c, &kmag_caches, list)
		c->dir = NULL;
	mutex_unlock(&kmag_caches_mutex);
	debugfs_remove_recursive(kmag_debugfs_dir);
}
