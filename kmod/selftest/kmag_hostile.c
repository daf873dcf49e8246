// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_hostile: kselftest module (kselftest_module.h), loaded once per case
 * by scripts/selftests/kmag/kmag_hostile.sh with case=N. Each case plays a
 * hostile client through the public API only: double frees (in any order,
 * on one CPU, on two CPUs, racing on two CPUs; small objects, named caches
 * and large objects) and frees of pointers kmag never handed out. kmag must
 * report each exactly once and ignore it: the script checks the
 * double_frees, invalid_frees and live_objects deltas in debugfs. This
 * module checks that nothing is handed out twice afterwards: it allocates
 * many objects of the same kind on both CPUs, all held at once, checks that
 * they are distinct, that none overlaps an object still held and that each
 * keeps the pattern written into it, and frees them.
 *
 * Every object the module legitimately owns is freed before init returns,
 * so that live_objects is back where it was. case=0 (the default) only
 * lists the cases. The expected counts must match the script's table.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#include <kmag.h>

#include "kselftest_module.h"
#include "kmag_selftest.h"

KSTM_MODULE_GLOBALS();

static unsigned int test_case;
module_param_named(case, test_case, uint, 0444);
MODULE_PARM_DESC(case, "case to run, from 1; 0 lists the cases");

#define SMALL		200		/* kmag_alloc and named caches */
#define TINY		64		/* for the interior pointer */
#define LARGE		(100 << 10)	/* carved from a 2 MiB chunk */
#define HUGE		(3 << 20)	/* a chunk of its own */
#define RACE_TIMEOUT	(2 * HZ)	/* longest wait at a race barrier */
#define HELD_SEED	0xfffffffUL	/* pattern of an object kept live */
#define PAGE_WORDS	(PAGE_SIZE / sizeof(u64))

/* The two CPUs the cases use (twice the same if only one is online). */
static int cpu[2];
static int nr_cpus;

/* What is allocated: kmag_alloc(size), or an object of a named cache. */
struct kind {
	size_t size;
	struct kmag_cache *cache;
};

static void *kind_alloc(const struct kind *k)
{
	if (k->cache)
		return kmag_cache_alloc(k->cache, GFP_KERNEL);
	return kmag_alloc(k->size, GFP_KERNEL);
}

static void kind_free(const struct kind *k, void *p)
{
	if (k->cache)
		kmag_cache_free(k->cache, p);
	else
		kmag_free(p);
}

/*
 * Patterns: word i of the object with seed s. Objects up to a page get all
 * their words written; larger ones the first and last 8 words of each page.
 */
static u64 pattern(unsigned long seed, size_t i)
{
	return ((u64)seed << 32 | i) ^ 0x686f7374696c6521ULL;
}

static size_t next_word(size_t i, size_t n)
{
	if (n > PAGE_WORDS && i % PAGE_WORDS == 7)
		return i + PAGE_WORDS - 15;
	return i + 1;
}

static void fill(void *p, size_t len, unsigned long seed)
{
	size_t i, n = len / sizeof(u64);
	u64 *w = p;

	for (i = 0; i < n; i = next_word(i, n))
		w[i] = pattern(seed, i);
}

static bool intact(const void *p, size_t len, unsigned long seed)
{
	size_t i, n = len / sizeof(u64);
	const u64 *w = p;

	for (i = 0; i < n; i = next_word(i, n))
		if (w[i] != pattern(seed, i))
			return false;
	return true;
}

/* Functions run on given CPUs, each in a kthread bound there. */

struct job {
	long (*fn)(void *arg);
	void *arg;
	int cpu;
	long ret;
	struct completion done;
};

static int job_thread(void *data)
{
	struct job *j = data;

	j->ret = j->fn(j->arg);
	complete(&j->done);
	return kmag_selftest_wait_stop();
}

/* Start the @n (at most 2) jobs together and wait until all are done. */
static int run_jobs(struct job *jobs, int n)
{
	struct task_struct *t[2];
	int i, err = 0;

	for (i = 0; i < n; i++) {
		init_completion(&jobs[i].done);
		t[i] = kthread_create_on_cpu(job_thread, &jobs[i], jobs[i].cpu,
					     "kmag_hostile/%u");
		if (IS_ERR(t[i])) {
			pr_err("cannot start a thread on CPU %d\n", jobs[i].cpu);
			err = PTR_ERR(t[i]);
			n = i;
			break;
		}
	}
	for (i = 0; i < n && !err; i++)
		wake_up_process(t[i]);
	for (i = 0; i < n; i++) {
		/* A thread never woken stops without running its function. */
		if (!err)
			wait_for_completion(&jobs[i].done);
		kthread_stop(t[i]);
	}
	return err;
}

/* Run @fn(@arg) on cpu[@c]. Return: what @fn returned, or an error. */
static long run_on(int c, long (*fn)(void *arg), void *arg)
{
	struct job j = { .fn = fn, .arg = arg, .cpu = cpu[c] };
	int err;

	err = run_jobs(&j, 1);
	return err ? err : j.ret;
}

/* Nothing handed out twice. */

struct reuse_part {
	const struct kind *k;
	void **p;
	unsigned int n, got;
};

static long reuse_alloc(void *arg)
{
	struct reuse_part *r = arg;

	for (r->got = 0; r->got < r->n; r->got++) {
		r->p[r->got] = kind_alloc(r->k);
		if (!r->p[r->got])
			break;
		if (!(r->got & 63))
			cond_resched();
	}
	return 0;
}

static int cmp_ptr(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static unsigned int count_of(void **sorted, unsigned int n, const void *p)
{
	unsigned int i, count = 0;

	for (i = 0; i < n; i++)
		count += sorted[i] == p;
	return count;
}

/* How many objects of @k each CPU allocates: more than its magazines hold. */
static unsigned int reuse_count(const struct kind *k)
{
	if (k->size > (1 << 20))
		return 3;
	if (k->size > PAGE_SIZE)
		return 16;
	return 2048;
}

/**
 * check_reuse() - check that kmag hands out no object twice
 * @k: the kind of object
 * @freed: objects that were freed (at least once), or NULL
 * @nfreed: how many
 * @held: an object still live (or memory kmag must never hand out), filled
 *        with the HELD_SEED pattern by the caller, or NULL
 * @held_len: its size
 *
 * Allocates reuse_count() objects of @k on each CPU, all held at once, then
 * fills each with its own pattern and checks them all: no pointer may be
 * returned twice, each of @freed at most once, @held never, and no object
 * may overwrite another or @held. Frees them (each distinct pointer once,
 * @held never).
 *
 * Return: the number of problems found.
 */
static unsigned int check_reuse(const struct kind *k, void **freed,
				unsigned int nfreed, void *held, size_t held_len)
{
	unsigned int i, n = reuse_count(k), total = 0, failed = 0;
	unsigned int twice = 0, corrupt = 0, again = 0;
	struct reuse_part part;
	void **p;
	int c;

	p = kvmalloc_array(nr_cpus * n, sizeof(*p), GFP_KERNEL);
	if (!p)
		return 1;
	for (c = 0; c < nr_cpus; c++) {
		part = (struct reuse_part){ .k = k, .p = p + total, .n = n };
		if (run_on(c, reuse_alloc, &part))
			part.got = 0;
		total += part.got;
		failed += n - part.got;
	}
	for (i = 0; i < total; i++)
		fill(p[i], k->size, i + 1);
	for (i = 0; i < total; i++)
		corrupt += !intact(p[i], k->size, i + 1);
	if (held && !intact(held, held_len, HELD_SEED)) {
		pr_err("the object kept live was overwritten\n");
		corrupt++;
	}

	sort(p, total, sizeof(*p), cmp_ptr, NULL);
	for (i = 1; i < total; i++)
		twice += p[i] == p[i - 1];
	for (i = 0; i < nfreed; i++) {
		unsigned int times = count_of(p, total, freed[i]);

		if (times > 1 && again++ < 4)
			pr_err("double-freed object %u of %u handed out %u times\n",
			       i + 1, nfreed, times);
	}
	if (again > 4)
		pr_err("... %u double-freed objects handed out more than once\n",
		       again);
	if (held && count_of(p, total, held)) {
		pr_err("the object kept live (or memory not kmag's) was handed out\n");
		again++;
	}
	for (i = 0; i < total; i++)
		if ((!i || p[i] != p[i - 1]) && p[i] != held)
			kind_free(k, p[i]);
	kvfree(p);

	if (twice || corrupt || failed || again)
		pr_err("%u objects of %zu bytes allocated on %d CPU(s): %u handed out twice, %u overwritten, %u allocations failed [FAIL]\n",
		       total, k->size, nr_cpus, twice, corrupt, failed);
	else
		pr_info("%u objects of %zu bytes allocated on %d CPU(s): all distinct and intact\n",
			total, k->size, nr_cpus);
	return twice + corrupt + failed + again;
}

/* The cases. */

struct hostile_case {
	const char *name;
	unsigned int double_frees;
	unsigned int invalid_frees;
	unsigned int (*run)(const struct hostile_case *hc);
	const char *order;	/* case_sequence(): frees of objects a, b, ... */
	size_t size;
	bool named;		/* objects of a named cache of @size */
	unsigned int rounds;	/* case_race() */
};

#define MAX_SEQ_OBJS 4

struct seq {
	const struct kind *k;
	const char *order;
	void *obj[MAX_SEQ_OBJS];
	unsigned int nobj;
};

static long seq_run(void *arg)
{
	struct seq *s = arg;
	const char *c;
	unsigned int i;

	for (i = 0; i < s->nobj; i++) {
		s->obj[i] = kind_alloc(s->k);
		if (!s->obj[i]) {
			while (i--)
				kind_free(s->k, s->obj[i]);
			return -ENOMEM;
		}
	}
	for (c = s->order; *c; c++)
		kind_free(s->k, s->obj[*c - 'a']);
	return 0;
}

/* On one CPU: allocate objects a, b, ... and free them in hc->order. */
static unsigned int case_sequence(const struct hostile_case *hc)
{
	struct kind k = { .size = hc->size };
	struct seq s = { .k = &k, .order = hc->order };
	unsigned int problems = 0;
	const char *c;

	for (c = hc->order; *c; c++)
		s.nobj = max_t(unsigned int, s.nobj, *c - 'a' + 1);
	if (s.nobj > MAX_SEQ_OBJS)
		return 1;
	if (hc->named) {
		k.cache = kmag_cache_create("kmag_hostile", hc->size, 0, 0, NULL);
		if (!k.cache)
			return 1;
	}
	if (run_on(0, seq_run, &s)) {
		pr_err("could not allocate the objects\n");
		problems++;
	} else {
		problems += check_reuse(&k, s.obj, s.nobj, NULL, 0);
	}
	kmag_cache_destroy(k.cache);
	return problems;
}

static long alloc_free(void *arg)
{
	void **a = arg;

	*a = kmag_alloc(SMALL, GFP_KERNEL);
	if (!*a)
		return -ENOMEM;
	kmag_free(*a);
	return 0;
}

static long free_again(void *arg)
{
	kmag_free(arg);
	return 0;
}

/* Allocate and free a on one CPU, free it again on the other. */
static unsigned int case_cross_cpu(const struct hostile_case *hc)
{
	struct kind k = { .size = SMALL };
	void *a;

	if (run_on(0, alloc_free, &a))
		return 1;
	run_on(1, free_again, a);
	return check_reuse(&k, &a, 1, NULL, 0);
}

struct race {
	const struct kind *k;
	void **obj;
	unsigned int rounds;
	atomic_t arrived;
	bool timed_out;
};

struct racer {
	struct race *r;
	unsigned int freed;
};

/* Wait until both racers have arrived @target / 2 times, bounded in time. */
static bool race_barrier(struct race *r, int target)
{
	unsigned long end = jiffies + RACE_TIMEOUT;
	unsigned int spins = 0;

	atomic_inc(&r->arrived);
	while (atomic_read(&r->arrived) < target) {
		if (READ_ONCE(r->timed_out) || time_after(jiffies, end)) {
			WRITE_ONCE(r->timed_out, true);
			return false;
		}
		cpu_relax();
		/* Lets the other racer in if both share a CPU. */
		if (!(++spins & 4095))
			cond_resched();
	}
	return true;
}

static long race_free(void *arg)
{
	struct racer *me = arg;
	struct race *r = me->r;

	for (me->freed = 0; me->freed < r->rounds; me->freed++) {
		if (!race_barrier(r, 2 * (me->freed + 1)))
			return -ETIMEDOUT;
		kind_free(r->k, r->obj[me->freed]);
	}
	return 0;
}

/* Rounds of two threads, one per CPU, freeing the same object at once. */
static unsigned int case_race(const struct hostile_case *hc)
{
	struct kind k = { .size = hc->size };
	struct race r = { .k = &k, .rounds = hc->rounds };
	struct racer racer[2] = { { .r = &r }, { .r = &r } };
	struct job jobs[2];
	unsigned int i, problems = 0;

	r.obj = kvcalloc(hc->rounds, sizeof(*r.obj), GFP_KERNEL);
	if (!r.obj)
		return 1;
	for (i = 0; i < hc->rounds; i++) {
		r.obj[i] = kind_alloc(&k);
		if (!r.obj[i]) {
			while (i--)
				kind_free(&k, r.obj[i]);
			kvfree(r.obj);
			return 1;
		}
	}
	atomic_set(&r.arrived, 0);
	for (i = 0; i < 2; i++)
		jobs[i] = (struct job){ .fn = race_free, .arg = &racer[i], .cpu = cpu[i] };
	if (run_jobs(jobs, 2))
		problems++;
	if (r.timed_out) {
		pr_err("racers timed out after %u and %u rounds\n",
		       racer[0].freed, racer[1].freed);
		problems++;
	}
	/* Objects neither racer reached are still ours. */
	for (i = max(racer[0].freed, racer[1].freed); i < hc->rounds; i++)
		kind_free(&k, r.obj[i]);
	pr_info("%u rounds of racing frees on CPUs %d and %d\n",
		min(racer[0].freed, racer[1].freed), cpu[0], cpu[1]);
	problems += check_reuse(&k, r.obj, hc->rounds, NULL, 0);
	kvfree(r.obj);
	return problems;
}

/* An object of cache A freed with kmag_cache_free(B, p). */
static unsigned int case_wrong_cache(const struct hostile_case *hc)
{
	struct kmag_cache *a, *b;
	unsigned int problems = 1;
	struct kind kb;
	void *p;

	a = kmag_cache_create("kmag_hostile_a", SMALL, 0, 0, NULL);
	b = kmag_cache_create("kmag_hostile_b", SMALL, 0, 0, NULL);
	kb = (struct kind){ .size = SMALL, .cache = b };
	p = a ? kmag_cache_alloc(a, GFP_KERNEL) : NULL;
	if (p && b) {
		fill(p, SMALL, HELD_SEED);
		kmag_cache_free(b, p);
		problems = check_reuse(&kb, NULL, 0, p, SMALL);
	}
	if (p)
		kmag_cache_free(a, p);
	kmag_cache_destroy(b);
	kmag_cache_destroy(a);
	return problems;
}

/* Memory kmag never handed out, freed with kmag_free(). */
static unsigned int free_foreign(void *p)
{
	struct kind k = { .size = SMALL };

	fill(p, SMALL, HELD_SEED);
	kmag_free(p);
	return check_reuse(&k, NULL, 0, p, SMALL);
}

static unsigned int case_vmalloc(const struct hostile_case *hc)
{
	unsigned int problems;
	void *p = vmalloc(SMALL);

	if (!p)
		return 1;
	problems = free_foreign(p);
	vfree(p);
	return problems;
}

static unsigned int case_stack(const struct hostile_case *hc)
{
	u64 buf[SMALL / sizeof(u64)];

	return free_foreign(buf);
}

static unsigned int case_kmalloc(const struct hostile_case *hc)
{
	unsigned int problems;
	void *p = kmalloc(SMALL, GFP_KERNEL);

	if (!p)
		return 1;
	problems = free_foreign(p);
	kfree(p);
	return problems;
}

/* Inside a live object: p + 8 of a small one, p + PAGE_SIZE of a large one. */
static unsigned int case_interior(const struct hostile_case *hc)
{
	struct kind k = { .size = hc->size };
	size_t off = hc->size > PAGE_SIZE ? PAGE_SIZE : 8;
	unsigned int problems;
	void *p;

	p = kmag_alloc(hc->size, GFP_KERNEL);
	if (!p)
		return 1;
	fill(p, hc->size, HELD_SEED);
	kmag_free(p + off);
	problems = check_reuse(&k, NULL, 0, p, hc->size);
	kmag_free(p);
	return problems;
}

/*
 * Cases that may crash a kmag that mishandles them (racing large frees)
 * come last, so that a run of all cases in order reports the others first.
 * A second free of memory kmag already gave back to the page allocator is
 * an invalid free (kmag cannot tell it from memory it never had): always
 * so for a 3 MiB object, whose dedicated chunk goes back on its free; for
 * racing large frees either kind may be counted, one per round.
 */
static const struct hostile_case cases[] = {
	{ "a,a", 1, 0, case_sequence, "aa", SMALL },
	{ "a,b,a", 1, 0, case_sequence, "aba", SMALL },
	{ "a,b,c,a", 1, 0, case_sequence, "abca", SMALL },
	{ "a,a,a", 2, 0, case_sequence, "aaa", SMALL },
	{ "named cache a,a", 1, 0, case_sequence, "aa", SMALL, true },
	{ "named cache a,b,a", 1, 0, case_sequence, "aba", SMALL, true },
	{ "a freed on one CPU, then on the other", 1, 0, case_cross_cpu },
	{ "200 racing double frees on two CPUs", 200, 0, case_race, NULL, SMALL, false, 200 },
	{ "100 KiB a,a", 1, 0, case_sequence, "aa", LARGE },
	{ "100 KiB a,b,a", 1, 0, case_sequence, "aba", LARGE },
	{ "100 KiB a,b,b", 1, 0, case_sequence, "abb", LARGE },
	{ "3 MiB a,a", 0, 1, case_sequence, "aa", HUGE },
	{ "object of cache A freed to cache B", 0, 1, case_wrong_cache },
	{ "vmalloc memory", 0, 1, case_vmalloc },
	{ "stack address", 0, 1, case_stack },
	{ "kmalloc memory", 0, 1, case_kmalloc },
	{ "p + 8 of a 64 B object", 0, 1, case_interior, NULL, TINY },
	{ "p + PAGE_SIZE of a 100 KiB object", 0, 1, case_interior, NULL, LARGE },
	{ "50 racing double frees of 100 KiB objects", 50, 0, case_race, NULL, LARGE, false, 50 },
	{ "12 racing double frees of 3 MiB objects", 12, 0, case_race, NULL, HUGE, false, 12 },
};

static void __init announce(unsigned int n)
{
	const struct hostile_case *hc = &cases[n - 1];

	pr_info("case %u (%s): expect double_frees +%u invalid_frees +%u\n",
		n, hc->name, hc->double_frees, hc->invalid_frees);
}

static void __init selftest(void)
{
	unsigned int n, problems;

	cpu[0] = cpumask_first(cpu_online_mask);
	cpu[1] = cpumask_next(cpu[0], cpu_online_mask);
	nr_cpus = 2;
	if (cpu[1] >= nr_cpu_ids) {
		cpu[1] = cpu[0];
		nr_cpus = 1;
	}
	if (!test_case) {
		for (n = 1; n <= ARRAY_SIZE(cases); n++)
			announce(n);
		return;
	}
	if (test_case > ARRAY_SIZE(cases)) {
		pr_err("no case %u: cases are 1 to %zu\n", test_case,
		       ARRAY_SIZE(cases));
		KSTM_CHECK_ZERO(1);
		return;
	}
	announce(test_case);
	problems = cases[test_case - 1].run(&cases[test_case - 1]);
	if (problems)
		pr_err("case %u: %u problem(s) [FAIL]\n", test_case, problems);
	KSTM_CHECK_ZERO(problems);
}

KSTM_MODULE_LOADERS(kmag_hostile);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmag selftest module: double and invalid frees");
