// SPDX-License-Identifier: GPL-2.0
/*
 * Giving memory back: policies over the depots, the magazines and the page
 * heap (Go's background scavenger and Bonwick's reaping), and the shrinker.
 *
 * The reclaimer is one deferred work. Each run, for every cache: the depot
 * gives back the magazines its working set did not need during the last
 * interval (kmag_depot_reap()), a cache that did not use its central lists
 * gives back its empty spans, and CPUs that did not touch the cache have
 * their magazines flushed (kmag_magazines_reap_idle()); a CPU that did
 * not use the large span it keeps (large.c) gives that back. Then each node's
 * page heap gives back, page by page, free spans that have been free for
 * kmag_scavenge_delay, keeping a headroom of 1/8 of its in-use pages
 * (Go keeps 10% over its heap goal; kmag keeps 12.5% of what is in use, so
 * that a working set that churns does not give back what it asks for
 * again). The work runs every delay/2 (at least 100 ms, at most 1 s) while
 * anything is cached or idle, and stops re-arming itself when nothing is;
 * the slow paths that cache memory (a magazine installed or retired to the
 * depot, a span back to the page heap) arm it again. An idle system thus
 * has no periodic work.
 *
 * The shrinker reports, per node, the free pages of the page heap (plus,
 * on the first node with memory, what depots, magazines and the CPUs'
 * large span slots cache), and
 * gives it all back when asked, whatever the delay: memory pressure and
 * drop_caches (2) reach it.
 *
 * Magazine capacity follows the same two signals (Bonwick's magazine
 * resizing): a depot found locked 8 times or more in an interval doubles
 * the capacity of the cache's new magazines (up to 256 KiB of objects and
 * KMAG_MAG_MAX_ROUNDS), and each shrinker scan halves it (down to a
 * quarter of the initial capacity).
 */
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/kstrtox.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/shrinker.h>
#include <linux/workqueue.h>

#include "kmag_internal.h"

/* Free spans are given back once free for this long (debugfs knob, ms). */
static unsigned int kmag_scavenge_delay_ms = 1000;
unsigned long kmag_scavenge_delay;	/* the same, in jiffies */
#define KMAG_SCAVENGE_DELAY_MAX_MS 60000

static void kmag_reclaim_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(kmag_reclaim_work, kmag_reclaim_fn);
static bool kmag_reclaim_armed;
static bool kmag_reclaim_stopped = true;
static atomic_t kmag_reclaim_paused;

static unsigned long kmag_reclaim_interval(void)
{
	return clamp_t(unsigned long, kmag_scavenge_delay / 2, HZ / 10, HZ);
}

/**
 * kmag_reclaim_kick() - make sure the reclaimer will run
 *
 * Called where memory becomes cached or idle. Costs a load when the
 * reclaimer is already armed.
 *
 * Context: any context.
 */
void kmag_reclaim_kick(void)
{
	/* What the caller cached is visible before armed is looked at. */
	smp_mb();
	if (READ_ONCE(kmag_reclaim_armed) || READ_ONCE(kmag_reclaim_stopped))
		return;
	WRITE_ONCE(kmag_reclaim_armed, true);
	queue_delayed_work(system_unbound_wq, &kmag_reclaim_work,
			   kmag_reclaim_interval());
}
EXPORT_SYMBOL_NS_GPL(kmag_reclaim_kick, KMAG_INTERNAL);

/**
 * kmag_reclaim_pause() - stop the reclaimer, for tests that need exact state
 * @pause: true to stop it (nests), false to let it run again
 *
 * Context: process context; may sleep.
 */
void kmag_reclaim_pause(bool pause)
{
	if (pause) {
		atomic_inc(&kmag_reclaim_paused);
		cancel_delayed_work_sync(&kmag_reclaim_work);
		WRITE_ONCE(kmag_reclaim_armed, false);
	} else if (atomic_dec_and_test(&kmag_reclaim_paused)) {
		kmag_reclaim_kick();
	}
}
EXPORT_SYMBOL_NS_GPL(kmag_reclaim_pause, KMAG_INTERNAL);

/* Headroom kept in a node's heap: 1/8 of its in-use pages. */
static unsigned long kmag_headroom(int nid)
{
	return kmag_heap_inuse_pages(nid) / 8;
}

/**
 * kmag_reclaim_run() - one pass of the reclaimer
 * @delay: scavenge free spans free for at least this long (jiffies)
 *
 * Context: process context; may sleep. Takes cpus_read_lock() and
 * kmag_caches_mutex.
 * Return: true if anything is still cached or idle afterwards.
 */
bool kmag_reclaim_run(unsigned long delay)
{
	unsigned long pages = 0, keep;
	struct kmag_cache *c;
	unsigned int reaped = 0;
	bool busy = false;
	int nid;

	busy = kmag_quarantine_reap();	/* into the magazines reaped next */
	cpus_read_lock();
	mutex_lock(&kmag_caches_mutex);
	list_for_each_entry(c, &kmag_caches, list) {
		if (c->dead)
			continue;	/* no magazines, frees go to the spans */
		reaped += kmag_depot_reap(c, &busy);
		kmag_magazines_reap_idle(c, &busy);
		cond_resched();
	}
	kmag_large_reap_idle(&busy);
	mutex_unlock(&kmag_caches_mutex);
	cpus_read_unlock();
	for_each_node_state(nid, N_MEMORY) {
		keep = kmag_headroom(nid);
		pages += kmag_heap_scavenge(nid, delay, keep, ULONG_MAX);
		busy |= kmag_heap_free_pages(nid) > keep;
	}
	this_cpu_inc(kmag_pcpu_stat[KMAG_SCAV_RUNS]);
	this_cpu_add(kmag_pcpu_stat[KMAG_SCAVENGED], pages);
	this_cpu_add(kmag_pcpu_stat[KMAG_REAPED_MAGS], reaped);
	return busy;
}
EXPORT_SYMBOL_NS_GPL(kmag_reclaim_run, KMAG_INTERNAL);

static void kmag_reclaim_fn(struct work_struct *work)
{
	/* Before looking: a slow path that caches memory from now on re-arms. */
	WRITE_ONCE(kmag_reclaim_armed, false);
	smp_mb();	/* armed cleared before anything is looked at */
	if (atomic_read(&kmag_reclaim_paused))
		return;
	if (kmag_reclaim_run(kmag_scavenge_delay))
		kmag_reclaim_kick();
}

/*
 * What the depots, magazines and the CPUs' large span slots cache, in
 * bytes; only the slots if the list of caches is busy (reclaim must not
 * wait for kmag's own locks).
 */
static unsigned long kmag_cached_bytes(void)
{
	unsigned long kept = kmag_large_kept_pages(NUMA_NO_NODE) << PAGE_SHIFT;
	struct kmag_stats st;

	if (kmag_stats_read_try(&st))
		return kept;
	return st.magazine_bytes + st.depot_bytes + kept;
}

/* Last time the shrinker drained magazines and depots (jiffies). */
static unsigned long kmag_shrink_drained;

static int kmag_first_node(void)
{
	return first_node(node_states[N_MEMORY]);
}

static unsigned long kmag_shrink_count(struct shrinker *sh,
				       struct shrink_control *sc)
{
	unsigned long n = kmag_heap_free_pages(sc->nid);

	if (sc->nid == kmag_first_node())
		n += kmag_cached_bytes() >> PAGE_SHIFT;
	return n ?: SHRINK_EMPTY;
}

static unsigned long kmag_shrink_scan(struct shrinker *sh,
				      struct shrink_control *sc)
{
	struct kmag_heap_stats before, after;
	struct kmag_cache *c;
	unsigned long freed;

	kmag_heap_stats(&before);
	/*
	 * Depots and magazines first (their objects go back to spans, spans
	 * to the heap), unless reclaim came from under our own locks.
	 */
	/* Once per 100 ms at most: scans come in batches. */
	if (sc->nid == kmag_first_node() &&
	    time_after(jiffies, READ_ONCE(kmag_shrink_drained) + HZ / 10) &&
	    cpus_read_trylock()) {
		WRITE_ONCE(kmag_shrink_drained, jiffies);
		kmag_quarantine_flush(NULL);	/* into the magazines */
		kmag_tiny_drain(true);		/* current tiny blocks (§18) */
		if (mutex_trylock(&kmag_caches_mutex)) {
			list_for_each_entry(c, &kmag_caches, list) {
				if (c->dead)
					continue;
				kmag_mag_resize(c, false);	/* memory is short */
				kmag_magazines_drain(c);
			}
			kmag_large_drain();	/* the CPUs' kept large spans */
			mutex_unlock(&kmag_caches_mutex);
		}
		cpus_read_unlock();
	}
	kmag_heap_scavenge(sc->nid, 0, 0, sc->nr_to_scan);
	/* Also what went back on the way (entirely free chunks, any node). */
	kmag_heap_stats(&after);
	freed = after.released - before.released;
	this_cpu_inc(kmag_pcpu_stat[KMAG_SHRINK_SCANS]);
	this_cpu_add(kmag_pcpu_stat[KMAG_SHRINK_FREED], freed);
	sc->nr_scanned = freed;
	return freed ?: SHRINK_STOP;
}

#ifdef KMAG_HAVE_SHRINKER_ALLOC
static struct shrinker *kmag_shrinker;

static int kmag_shrinker_register(void)
{
	kmag_shrinker = shrinker_alloc(SHRINKER_NUMA_AWARE, "kmag");
	if (!kmag_shrinker)
		return -ENOMEM;
	kmag_shrinker->count_objects = kmag_shrink_count;
	kmag_shrinker->scan_objects = kmag_shrink_scan;
	kmag_shrinker->seeks = DEFAULT_SEEKS;
	shrinker_register(kmag_shrinker);
	return 0;
}

static void kmag_shrinker_unregister(void)
{
	shrinker_free(kmag_shrinker);
}
#else
static struct shrinker kmag_shrinker_struct = {
	.count_objects = kmag_shrink_count,
	.scan_objects = kmag_shrink_scan,
	.seeks = DEFAULT_SEEKS,
	.flags = SHRINKER_NUMA_AWARE,
};

static int kmag_shrinker_register(void)
{
	return register_shrinker(&kmag_shrinker_struct, "kmag");
}

static void kmag_shrinker_unregister(void)
{
	unregister_shrinker(&kmag_shrinker_struct);
}
#endif

/**
 * kmag_shrink() - what the shrinker does, for tests
 * @nid: node
 * @count: set to what count_objects reports
 * @nr: pages to ask for
 *
 * Context: process context; may sleep.
 * Return: what scan_objects gave back.
 */
unsigned long kmag_shrink(int nid, unsigned long *count, unsigned long nr)
{
	struct shrink_control sc = {
		.gfp_mask = GFP_KERNEL,
		.nid = nid,
		.nr_to_scan = nr,
	};

	*count = kmag_shrink_count(NULL, &sc);
	if (*count == SHRINK_EMPTY)
		*count = 0;
	nr = kmag_shrink_scan(NULL, &sc);
	return nr == SHRINK_STOP ? 0 : nr;
}
EXPORT_SYMBOL_NS_GPL(kmag_shrink, KMAG_INTERNAL);

static int kmag_delay_get(void *data, u64 *val)
{
	*val = READ_ONCE(kmag_scavenge_delay_ms);
	return 0;
}

static int kmag_delay_set(void *data, u64 val)
{
	if (val > KMAG_SCAVENGE_DELAY_MAX_MS)
		return -EINVAL;
	WRITE_ONCE(kmag_scavenge_delay_ms, val);
	WRITE_ONCE(kmag_scavenge_delay, msecs_to_jiffies(val));
	kmag_reclaim_kick();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(kmag_delay_fops, kmag_delay_get, kmag_delay_set, "%llu\n");

/**
 * kmag_reclaim_init() - start the reclaimer, register the shrinker
 * @dir: kmag's debugfs directory (for the scavenge_delay_ms knob)
 *
 * Context: process context (module load).
 * Return: 0 or a negative errno.
 */
int kmag_reclaim_init(struct dentry *dir)
{
	int ret;

	kmag_scavenge_delay = msecs_to_jiffies(kmag_scavenge_delay_ms);
	ret = kmag_shrinker_register();
	if (ret)
		return ret;
	debugfs_create_file_unsafe("scavenge_delay_ms", 0644, dir, NULL, &kmag_delay_fops);
	WRITE_ONCE(kmag_reclaim_stopped, false);
	kmag_reclaim_kick();
	return 0;
}

/*
 * Module exit, after the debugfs files are gone: no client, knob or drain
 * is left to kick the reclaimer. The shrinker goes first (a scan kicks it
 * too), then no kick may queue the work, then it is cancelled, with its
 * own re-arming.
 */
void kmag_reclaim_exit(void)
{
	kmag_shrinker_unregister();
	WRITE_ONCE(kmag_reclaim_stopped, true);
	cancel_delayed_work_sync(&kmag_reclaim_work);
}
