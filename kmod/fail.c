// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection for clients: kmag's failslab. Allocations fail on
 * purpose (NULL, counted in injected_failures and alloc_failures) as the
 * knobs in /sys/kernel/debug/kmag/fail/ say, with failslab's names and
 * meaning (Documentation/fault-injection/fault-injection.rst):
 *
 *   probability, interval, times   the kernel's fault_attr files (with
 *       space, verbose, task-filter, ...) where the kernel has
 *       CONFIG_FAULT_INJECTION_DEBUG_FS; otherwise kmag's own three:
 *       probability 0 .. 100 (percent), interval >= 1 (only every
 *       interval-th call that passes the other tests may fail), times
 *       -1 .. INT_MAX (failures left, -1: no limit; 1 at load);
 *   ignore-gfp-wait   Y (default): allocations that may reclaim never fail;
 *   cache-filter      Y: only caches whose caches/<name>/failslab is Y fail
 *                     (large objects belong to no cache: never).
 *
 * __GFP_NOFAIL allocations never fail. kmag's own files refuse bad input
 * (-EINVAL, nothing changed); the kernel's fault_attr files parse as the
 * kernel does.
 *
 * The alloc paths test kmag_fail_key first (kmag_fail_should()). With
 * kmag's own knobs the key is on only while probability > 0 and times != 0,
 * so unarmed the paths are unchanged (one no-op jump); once times runs out
 * the key stays on until the next write to a knob. The kernel's fault_attr
 * files are written behind kmag's back (and a task's fail-nth counts too),
 * so where they are used the key is on while kmag is loaded.
 */
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/fs.h>
#include <linux/kstrtox.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/uaccess.h>

#include "kmag_internal.h"

DEFINE_STATIC_KEY_FALSE(kmag_fail_key);

#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
#define KMAG_FAULT_ATTR 1	/* the kernel's struct fault_attr */
static DECLARE_FAULT_ATTR(kmag_fail_attr);
#else
#define KMAG_FAULT_ATTR 0
/* The part of struct fault_attr that failslab users set. */
static struct {
	unsigned long probability;
	unsigned long interval;
	atomic_t times;
	atomic_long_t count;		/* calls seen, for interval */
} kmag_fail_attr = {
	.interval = 1,
	.times = ATOMIC_INIT(1),
};
#endif

static bool kmag_fail_ignore_gfp_wait = true;
static bool kmag_fail_cache_filter;
/* Serializes knob writes and the key switches that follow them. */
static DEFINE_MUTEX(kmag_fail_mutex);

#if !KMAG_FAULT_ATTR
/*
 * should_fail() for kernels without fault injection, in the same order of
 * tests. times is taken down with a cmpxchg, so that racing calls never
 * inject more than times failures.
 */
static bool kmag_should_fail(void)
{
	unsigned long interval = READ_ONCE(kmag_fail_attr.interval);
	int times;

	if (!READ_ONCE(kmag_fail_attr.probability) ||
	    !atomic_read(&kmag_fail_attr.times))
		return false;
	if (interval > 1 &&
	    atomic_long_inc_return(&kmag_fail_attr.count) % interval)
		return false;
	if (READ_ONCE(kmag_fail_attr.probability) <= get_random_u32_below(100))
		return false;
	times = atomic_read(&kmag_fail_attr.times);
	do {
		if (!times)
			return false;
		if (times == -1)
			return true;
	} while (!atomic_try_cmpxchg(&kmag_fail_attr.times, &times, times - 1));
	return true;
}
#endif

/**
 * kmag_fail_alloc() - whether an allocation fails on purpose
 * @c: the cache it is served from, or NULL (kmag_alloc*: found from @size)
 * @size: bytes asked for
 * @gfp: the caller's flags
 *
 * Called only while kmag_fail_key is on. Counts the failure it decides.
 *
 * Context: any context.
 * Return: true if the caller must return NULL.
 */
bool kmag_fail_alloc(struct kmag_cache *c, size_t size, gfp_t gfp)
{
	/* Requests kmag refuses anyway fail for their own reason. */
	if ((gfp & __GFP_NOFAIL) || size > KMAG_MAX_SIZE)
		return false;
	if (READ_ONCE(kmag_fail_ignore_gfp_wait) && (gfp & __GFP_DIRECT_RECLAIM))
		return false;
	if (!c && size <= KMAG_MAX_SMALL)
		c = kmag_classes[kmag_size_class(size)];
	if (READ_ONCE(kmag_fail_cache_filter) && !(c && READ_ONCE(c->fail_filter)))
		return false;
#if KMAG_FAULT_ATTR
	if (!should_fail(&kmag_fail_attr, size))
		return false;
#else
	if (!kmag_should_fail())
		return false;
#endif
	this_cpu_inc(kmag_pcpu_stat[KMAG_FAIL_INJECTED]);
	this_cpu_inc(kmag_pcpu_stat[KMAG_ALLOC_FAIL]);
	return true;
}

/**
 * kmag_fail_get() - the current fail/ knobs
 * @k: filled in (verbose is 0 where kmag has its own knobs)
 *
 * Context: any context.
 */
void kmag_fail_get(struct kmag_fail_knobs *k)
{
	k->probability = READ_ONCE(kmag_fail_attr.probability);
	k->interval = READ_ONCE(kmag_fail_attr.interval);
	k->times = atomic_read(&kmag_fail_attr.times);
#if KMAG_FAULT_ATTR
	k->verbose = READ_ONCE(kmag_fail_attr.verbose);
#else
	k->verbose = 0;
#endif
	k->ignore_gfp_wait = READ_ONCE(kmag_fail_ignore_gfp_wait);
	k->cache_filter = READ_ONCE(kmag_fail_cache_filter);
}
EXPORT_SYMBOL_NS_GPL(kmag_fail_get, KMAG_INTERNAL);

/* Set every knob; kmag_fail_mutex held. */
static int __kmag_fail_set(const struct kmag_fail_knobs *k)
{
	lockdep_assert_held(&kmag_fail_mutex);
	if (k->probability > 100 || !k->interval || k->times < -1)
		return -EINVAL;
	WRITE_ONCE(kmag_fail_attr.probability, k->probability);
	WRITE_ONCE(kmag_fail_attr.interval, k->interval);
	atomic_set(&kmag_fail_attr.times, k->times);
#if KMAG_FAULT_ATTR
	WRITE_ONCE(kmag_fail_attr.verbose, k->verbose);
#endif
	WRITE_ONCE(kmag_fail_ignore_gfp_wait, k->ignore_gfp_wait);
	WRITE_ONCE(kmag_fail_cache_filter, k->cache_filter);
	/* Armed: the alloc paths look; else they jump over the test. */
	if (KMAG_FAULT_ATTR || (k->probability && k->times))
		static_branch_enable(&kmag_fail_key);
	else
		static_branch_disable(&kmag_fail_key);
	return 0;
}

/**
 * kmag_fail_set() - set every fail/ knob at once
 * @k: the values (verbose is ignored where kmag has its own knobs)
 *
 * Context: process context; may sleep (switches a static key).
 * Return: 0, or -EINVAL for a value out of range (nothing changed).
 */
int kmag_fail_set(const struct kmag_fail_knobs *k)
{
	int ret;

	mutex_lock(&kmag_fail_mutex);
	ret = __kmag_fail_set(k);
	mutex_unlock(&kmag_fail_mutex);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(kmag_fail_set, KMAG_INTERNAL);

/* kmag's own files in fail/, one per knob: which one is the file's data. */
enum kmag_fail_knob {
	KMAG_KNOB_PROBABILITY,
	KMAG_KNOB_INTERVAL,
	KMAG_KNOB_TIMES,
	KMAG_KNOB_IGNORE_GFP_WAIT,
	KMAG_KNOB_CACHE_FILTER,
};

static ssize_t kmag_knob_read(struct file *file, char __user *buf,
			      size_t count, loff_t *ppos)
{
	enum kmag_fail_knob knob = (uintptr_t)file->private_data;
	struct kmag_fail_knobs k;
	char val[24];
	int n;

	kmag_fail_get(&k);
	switch (knob) {
	case KMAG_KNOB_PROBABILITY:
		n = scnprintf(val, sizeof(val), "%lu\n", k.probability);
		break;
	case KMAG_KNOB_INTERVAL:
		n = scnprintf(val, sizeof(val), "%lu\n", k.interval);
		break;
	case KMAG_KNOB_TIMES:
		n = scnprintf(val, sizeof(val), "%d\n", k.times);
		break;
	case KMAG_KNOB_IGNORE_GFP_WAIT:
		n = scnprintf(val, sizeof(val), "%c\n", k.ignore_gfp_wait ? 'Y' : 'N');
		break;
	default:
		n = scnprintf(val, sizeof(val), "%c\n", k.cache_filter ? 'Y' : 'N');
		break;
	}
	return simple_read_from_buffer(buf, count, ppos, val, n);
}

/*
 * Parse, then set through __kmag_fail_set(), which checks the ranges: any
 * bad input is -EINVAL (kstrto*'s -ERANGE included) and changes nothing.
 */
static ssize_t kmag_knob_write(struct file *file, const char __user *buf,
			       size_t count, loff_t *ppos)
{
	enum kmag_fail_knob knob = (uintptr_t)file->private_data;
	struct kmag_fail_knobs k;
	unsigned long ul = 0;
	bool b = false;
	int ret, i = 0;

	switch (knob) {
	case KMAG_KNOB_PROBABILITY:
	case KMAG_KNOB_INTERVAL:
		ret = kstrtoul_from_user(buf, count, 0, &ul);
		break;
	case KMAG_KNOB_TIMES:
		ret = kstrtoint_from_user(buf, count, 0, &i);
		break;
	default:
		ret = kstrtobool_from_user(buf, count, &b);
		break;
	}
	if (ret)
		return -EINVAL;
	mutex_lock(&kmag_fail_mutex);
	kmag_fail_get(&k);
	switch (knob) {
	case KMAG_KNOB_PROBABILITY:
		k.probability = ul;
		break;
	case KMAG_KNOB_INTERVAL:
		k.interval = ul;
		break;
	case KMAG_KNOB_TIMES:
		k.times = i;
		break;
	case KMAG_KNOB_IGNORE_GFP_WAIT:
		k.ignore_gfp_wait = b;
		break;
	case KMAG_KNOB_CACHE_FILTER:
		k.cache_filter = b;
		break;
	}
	ret = __kmag_fail_set(&k);
	mutex_unlock(&kmag_fail_mutex);
	return ret ?: count;
}

static const struct file_operations kmag_knob_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = kmag_knob_read,
	.write = kmag_knob_write,
	.llseek = default_llseek,
};

static void kmag_knob_create(const char *name, struct dentry *dir,
			     enum kmag_fail_knob knob)
{
	debugfs_create_file(name, 0600, dir, (void *)(uintptr_t)knob, &kmag_knob_fops);
}

/* caches/<name>/failslab: the cache is the file's data. */
static ssize_t kmag_failslab_read(struct file *file, char __user *buf,
				  size_t count, loff_t *ppos)
{
	struct kmag_cache *c = file->private_data;
	char val[2] = { READ_ONCE(c->fail_filter) ? 'Y' : 'N', '\n' };

	return simple_read_from_buffer(buf, count, ppos, val, sizeof(val));
}

static ssize_t kmag_failslab_write(struct file *file, const char __user *buf,
				   size_t count, loff_t *ppos)
{
	struct kmag_cache *c = file->private_data;
	bool b;

	if (kstrtobool_from_user(buf, count, &b))
		return -EINVAL;
	WRITE_ONCE(c->fail_filter, b);
	return count;
}

static const struct file_operations kmag_failslab_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = kmag_failslab_read,
	.write = kmag_failslab_write,
	.llseek = default_llseek,
};

/**
 * kmag_fail_cache_debugfs() - make caches/<name>/failslab for a cache
 * @c: the cache, with its debugfs directory made
 *
 * Its handlers use @c without kmag_caches_mutex: removing the directory
 * waits for them (kmag_cache_debugfs_remove()).
 *
 * Context: process context, kmag_caches_mutex held.
 */
void kmag_fail_cache_debugfs(struct kmag_cache *c)
{
	debugfs_create_file("failslab", 0600, c->dir, c, &kmag_failslab_fops);
}

/**
 * kmag_fail_init() - make debugfs fail/ and arm the key where needed
 * @dir: kmag's debugfs directory
 *
 * Context: process context (module load).
 */
void kmag_fail_init(struct dentry *dir)
{
	struct dentry *fail;

#if KMAG_FAULT_ATTR
	fail = fault_create_debugfs_attr("fail", dir, &kmag_fail_attr);
	if (IS_ERR(fail)) {
		pr_warn("kmag: no debugfs fail/ (%ld)\n", PTR_ERR(fail));
		return;
	}
	static_branch_enable(&kmag_fail_key);
#else
	fail = debugfs_create_dir("fail", dir);
	kmag_knob_create("probability", fail, KMAG_KNOB_PROBABILITY);
	kmag_knob_create("interval", fail, KMAG_KNOB_INTERVAL);
	kmag_knob_create("times", fail, KMAG_KNOB_TIMES);
#endif
	kmag_knob_create("ignore-gfp-wait", fail, KMAG_KNOB_IGNORE_GFP_WAIT);
	kmag_knob_create("cache-filter", fail, KMAG_KNOB_CACHE_FILTER);
}

/**
 * kmag_fail_exit() - module exit, once kmag's debugfs files are gone
 *
 * Context: process context.
 */
void kmag_fail_exit(void)
{
#if KMAG_FAULT_ATTR && defined(KMAG_FAULT_ATTR_DENTRY)
	/* fault_create_debugfs_attr() kept a reference to fail/. */
	dput(kmag_fail_attr.dname);
	kmag_fail_attr.dname = NULL;
#endif
	static_branch_disable(&kmag_fail_key);
}
