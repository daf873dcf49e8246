// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_concurrency: all CPUs at once with cross-CPU frees, allocation and
 * free from hard IRQ (hrtimer) interrupting the same CPU's fast path, and CPU
 * hot-unplug flushing the dead CPU's magazines. Payloads are pattern-checked.
 * On PREEMPT_RT, where kmag may not be called from hard IRQ (§16), the
 * timer is a soft one (the ktimers thread preempts the fast path, inside
 * its sleeping locks), and a hard IRQ's calls are checked to be refused.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/prandom.h>
#include <linux/sched.h>

#include "kmag_test.h"

#define KMAG_CT_SLOTS	256
#define KMAG_CT_RING	128
#define KMAG_CT_OPS	20000

struct kmag_ct_obj {
	u8 *p;
	u32 size;
};

struct kmag_ct_worker {
	struct task_struct *task;
	struct rnd_state rnd;
	struct kmag_ct_obj slot[KMAG_CT_SLOTS];
	spinlock_t lock;		/* ring */
	struct kmag_ct_obj ring[KMAG_CT_RING];
	unsigned int head, tail;
	struct kmag_ct_worker *next;
	unsigned int ops;
	unsigned long remote, corrupt, failed;
	struct completion done;
};

static u32 kmag_ct_size(struct rnd_state *rnd)
{
	u32 r = prandom_u32_state(rnd);

	if (r % 32 == 0)
		return 32769 + (r >> 8) % 100000;
	return 1 + (r >> 8) % ((r & 1) ? 256 : 8192);
}

static void kmag_ct_release(struct kmag_ct_worker *w, struct kmag_ct_obj *o)
{
	if (!kmag_test_intact(o->p, min_t(u32, o->size, 512)))
		w->corrupt++;
	kmag_free(o->p);
	o->p = NULL;
}

static void kmag_ct_drain_ring(struct kmag_ct_worker *w)
{
	struct kmag_ct_obj o;

	for (;;) {
		spin_lock(&w->lock);
		if (w->head == w->tail) {
			spin_unlock(&w->lock);
			return;
		}
		o = w->ring[w->tail++ % KMAG_CT_RING];
		spin_unlock(&w->lock);
		kmag_ct_release(w, &o);
		w->remote++;
	}
}

static bool kmag_ct_pass(struct kmag_ct_worker *w, struct kmag_ct_obj *o)
{
	struct kmag_ct_worker *n = w->next;
	bool ok = false;

	spin_lock(&n->lock);
	if (n->head - n->tail < KMAG_CT_RING) {
		n->ring[n->head++ % KMAG_CT_RING] = *o;
		o->p = NULL;
		ok = true;
	}
	spin_unlock(&n->lock);
	return ok;
}

static int kmag_ct_thread(void *arg)
{
	struct kmag_ct_worker *w = arg;
	struct kmag_ct_obj *o;
	int i;

	for (i = 0; i < w->ops; i++) {
		o = &w->slot[prandom_u32_state(&w->rnd) % KMAG_CT_SLOTS];
		if (o->p) {
			if (!(i & 1) || w->next == w || !kmag_ct_pass(w, o))
				kmag_ct_release(w, o);
		} else {
			o->size = kmag_ct_size(&w->rnd);
			o->p = kmag_alloc(o->size, GFP_KERNEL);
			if (!o->p) {
				w->failed++;
				continue;
			}
			kmag_test_fill(o->p, min_t(u32, o->size, 512));
		}
		if (!(i & 127)) {
			kmag_ct_drain_ring(w);
			cond_resched();
		}
	}
	for (i = 0; i < KMAG_CT_SLOTS; i++)
		if (w->slot[i].p)
			kmag_ct_release(w, &w->slot[i]);
	complete(&w->done);
	/* Stay until stopped so kthread_stop() has a live task to stop. */
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

/*
 * One thread per online CPU, random sizes, a quarter of frees remote. The
 * operations are shared out (at least 2500 a thread): with more vCPUs than
 * host cores under TCG, each costs more as the vCPUs grow.
 */
static void kmag_concurrency_threads(struct kunit *test)
{
	unsigned int n = num_online_cpus(), i = 0, cpu;
	unsigned long remote = 0, corrupt = 0, failed = 0;
	struct kmag_ct_worker *w;

	w = kunit_kcalloc(test, n, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	for_each_online_cpu(cpu) {
		spin_lock_init(&w[i].lock);
		init_completion(&w[i].done);
		prandom_seed_state(&w[i].rnd, 42 + cpu);
		w[i].next = &w[(i + 1) % n];
		w[i].ops = max(2 * KMAG_CT_OPS / n, 2500U);
		w[i].task = kthread_create_on_cpu(kmag_ct_thread, &w[i], cpu, "kmag_ct/%u");
		KUNIT_ASSERT_FALSE(test, IS_ERR(w[i].task));
		i++;
	}
	for (i = 0; i < n; i++)
		wake_up_process(w[i].task);
	for (i = 0; i < n; i++)
		wait_for_completion(&w[i].done);
	for (i = 0; i < n; i++) {
		kthread_stop(w[i].task);
		kmag_ct_drain_ring(&w[i]);
		remote += w[i].remote;
		corrupt += w[i].corrupt;
		failed += w[i].failed;
	}
	KUNIT_EXPECT_EQ(test, corrupt, 0);
	KUNIT_EXPECT_EQ(test, failed, 0);
	if (n > 1)
		KUNIT_EXPECT_GT(test, remote, 0);
}

/*
 * The interrupting context: hard IRQ, but on PREEMPT_RT a soft hrtimer, run
 * by the ktimers thread (SCHED_FIFO), which preempts the test thread.
 */
#define KMAG_IRQ_MODE	(IS_ENABLED(CONFIG_PREEMPT_RT) ? HRTIMER_MODE_REL_SOFT : \
			 HRTIMER_MODE_REL_HARD)

struct kmag_irq_state {
	struct hrtimer timer;
	struct kmag_ct_obj held;
	struct rnd_state rnd;
	unsigned long fired, wrong_context, corrupt, failed;
	bool stop;
};

static enum hrtimer_restart kmag_irq_fn(struct hrtimer *t)
{
	struct kmag_irq_state *s = container_of(t, struct kmag_irq_state, timer);

	if (!!in_hardirq() == IS_ENABLED(CONFIG_PREEMPT_RT))
		s->wrong_context++;
	if (s->held.p) {
		if (!kmag_test_intact(s->held.p, min_t(u32, s->held.size, 512)))
			s->corrupt++;
		kmag_free(s->held.p);
		s->held.p = NULL;
	}
	s->fired++;
	if (s->stop)
		return HRTIMER_NORESTART;
	s->held.size = kmag_ct_size(&s->rnd);
	s->held.p = kmag_alloc(s->held.size, GFP_ATOMIC);
	if (s->held.p)
		kmag_test_fill(s->held.p, min_t(u32, s->held.size, 512));
	else
		s->failed++;
	hrtimer_forward_now(t, ns_to_ktime(50 * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

/*
 * GFP_ATOMIC alloc/free in hard IRQ (soft hrtimer on PREEMPT_RT) while this
 * CPU's thread hammers the same size classes: the IRQ lands inside the fast
 * path (on PREEMPT_RT the timer thread preempts it and waits for the lock).
 */
static void kmag_concurrency_hardirq(struct kunit *test)
{
	struct kmag_irq_state *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct rnd_state rnd;
	unsigned long loops = 0, corrupt = 0;
	unsigned long deadline = jiffies + 10 * HZ;
	u32 size;
	u8 *p;

	KUNIT_ASSERT_NOT_NULL(test, s);
	prandom_seed_state(&s->rnd, 7);
	prandom_seed_state(&rnd, 8);
	migrate_disable();
	hrtimer_init(&s->timer, CLOCK_MONOTONIC, KMAG_IRQ_MODE);
	s->timer.function = kmag_irq_fn;
	hrtimer_start(&s->timer, ns_to_ktime(50 * NSEC_PER_USEC), KMAG_IRQ_MODE);
	while (READ_ONCE(s->fired) < 500 && time_before(jiffies, deadline)) {
		size = kmag_ct_size(&rnd);
		p = kmag_alloc(size, GFP_KERNEL);
		if (p) {
			kmag_test_fill(p, min_t(u32, size, 512));
			if (!kmag_test_intact(p, min_t(u32, size, 512)))
				corrupt++;
			kmag_free(p);
		}
		if (!(++loops & 63))
			cond_resched();
	}
	WRITE_ONCE(s->stop, true);
	hrtimer_cancel(&s->timer);
	migrate_enable();
	if (s->held.p)
		kmag_free(s->held.p);
	KUNIT_EXPECT_GE(test, s->fired, 100);
	KUNIT_EXPECT_EQ(test, s->wrong_context, 0);
	KUNIT_EXPECT_EQ(test, s->corrupt, 0);
	KUNIT_EXPECT_EQ(test, s->failed, 0);
	KUNIT_EXPECT_EQ(test, corrupt, 0);
}

/*
 * What an interrupt finds when it lands inside this CPU's fast path (§5):
 * the busy flag set. Set here by hand around calls made as such an
 * interrupt makes them (GFP_ATOMIC, preemption off): the objects must come
 * from the spans and go back there, this CPU's magazines untouched, and
 * every call counted in nested_ops (interrupts may add more). KASAN's
 * quarantine is paused, so that the frees reach the test of the flag in
 * KASAN kernels too. The state is read with the flag set (nothing else
 * touches the magazines then) and checked once preemption is back on.
 */
static void kmag_concurrency_nested(struct kunit *test)
{
	struct kmag_cache *c = kmag_classes[kmag_size_class(64)];
	struct kmag_mag *loaded, *loaded_after;
	unsigned int rounds, rounds_after;
	struct kmag_stats *st0, *st1;
	int i, got = 0;
	void *p[16];

	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "PREEMPT_RT: a fast path holds the magazine lock");
	st0 = kunit_kzalloc(test, sizeof(*st0), GFP_KERNEL);
	st1 = kunit_kzalloc(test, sizeof(*st1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st0);
	KUNIT_ASSERT_NOT_NULL(test, st1);
	kmag_quarantine_pause(true);
	migrate_disable();
	for (i = 0; i < 16; i++)
		p[i] = kmag_alloc(64, GFP_KERNEL);
	for (i = 0; i < 16; i++)
		kmag_free(p[i]);
	kmag_stats_read(st0);
	preempt_disable();
	__this_cpu_write(kmag_busy, 1);
	loaded = this_cpu_ptr(c->cpu)->loaded;
	rounds = loaded->rounds;
	for (i = 0; i < 16; i++) {
		p[i] = kmag_alloc(64, GFP_ATOMIC);
		if (p[i]) {
			memset(p[i], 0xa5, 64);
			got++;
		}
	}
	for (i = 0; i < 16; i++)
		kmag_free(p[i]);
	loaded_after = this_cpu_ptr(c->cpu)->loaded;
	rounds_after = loaded_after->rounds;
	__this_cpu_write(kmag_busy, 0);
	preempt_enable();
	kmag_stats_read(st1);
	migrate_enable();
	kmag_quarantine_pause(false);
	KUNIT_EXPECT_PTR_EQ(test, loaded_after, loaded);
	KUNIT_EXPECT_EQ(test, rounds_after, rounds);
	KUNIT_EXPECT_EQ(test, got, 16);
	KUNIT_EXPECT_GE(test, st1->nested_ops - st0->nested_ops, 32);
	KUNIT_EXPECT_EQ(test, st1->double_frees, st0->double_frees);
	KUNIT_EXPECT_EQ(test, st1->invalid_frees, st0->invalid_frees);
}

struct kmag_rt_refuse {
	struct hrtimer timer;
	void *obj;		/* freed from hard IRQ: must stay allocated */
	void *got;		/* allocated from hard IRQ: must be NULL */
	bool hardirq;
	struct completion done;
};

static enum hrtimer_restart kmag_rt_refuse_fn(struct hrtimer *t)
{
	struct kmag_rt_refuse *r = container_of(t, struct kmag_rt_refuse, timer);

	r->hardirq = in_hardirq();
	r->got = kmag_alloc(64, GFP_ATOMIC);
	kmag_free(r->obj);
	complete(&r->done);
	return HRTIMER_NORESTART;
}

/*
 * PREEMPT_RT: kmag's locks sleep, so kmag refuses calls from hard IRQ
 * (§16): the allocation returns NULL, the free leaves the object allocated
 * and intact, both are counted; the object can then be freed normally.
 */
static void kmag_concurrency_rt_hardirq(struct kunit *test)
{
	struct kmag_rt_refuse *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct kmag_stats before, after;
	unsigned long seq;

	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		kunit_skip(test, "PREEMPT_RT only: hard IRQ is a valid context here (kmag_concurrency_hardirq)");
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->obj = kmag_alloc(64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->obj);
	kmag_test_fill(r->obj, 64);
	init_completion(&r->done);
	kmag_stats_read(&before);
	hrtimer_init(&r->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	r->timer.function = kmag_rt_refuse_fn;
	hrtimer_start(&r->timer, ns_to_ktime(10 * NSEC_PER_USEC), HRTIMER_MODE_REL_HARD);
	wait_for_completion(&r->done);
	hrtimer_cancel(&r->timer);
	kmag_stats_read(&after);
	KUNIT_EXPECT_TRUE(test, r->hardirq);
	KUNIT_EXPECT_NULL(test, r->got);
	KUNIT_EXPECT_EQ(test, after.context_errors - before.context_errors, 2);
	KUNIT_EXPECT_EQ(test, after.alloc_failures - before.alloc_failures, 1);
	KUNIT_EXPECT_EQ(test, after.frees, before.frees);
	/* Still allocated and intact: this free is no double free. */
	KUNIT_EXPECT_EQ(test, kmag_size(r->obj), 64);
	KUNIT_EXPECT_TRUE(test, kmag_test_intact(r->obj, 64));
	seq = kmag_last_report.seq;
	kmag_free(r->obj);
	KUNIT_EXPECT_EQ(test, kmag_last_report.seq, seq);
	if (r->got)
		kmag_free(r->got);
}

struct kmag_hp_arg {
	struct kmag_cache *c;
	struct completion done;
};

static int kmag_hp_thread(void *arg)
{
	struct kmag_hp_arg *a = arg;
	void *objs[32];
	int i;

	for (i = 0; i < ARRAY_SIZE(objs); i++)
		objs[i] = kmag_cache_alloc(a->c, GFP_KERNEL);
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		kmag_cache_free(a->c, objs[i]);
	complete(&a->done);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

/* Taking a CPU offline flushes its magazines back to the spans. */
static void kmag_concurrency_hotplug(struct kunit *test)
{
	struct kmag_hp_arg a;
	struct task_struct *t;
	unsigned int cpu;
	int ret;

	cpu = cpumask_last(cpu_online_mask);
	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU) || cpu == 0)
		kunit_skip(test, "needs a second CPU that can go offline");
	a.c = kmag_cache_create("kmag_test_hotplug", 96, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, a.c);
	/* The frees must reach that CPU's magazines, not KASAN's quarantine. */
	kmag_quarantine_pause(true);
	init_completion(&a.done);
	t = kthread_create_on_cpu(kmag_hp_thread, &a, cpu, "kmag_hp/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wake_up_process(t);
	wait_for_completion(&a.done);
	kthread_stop(t);
	/* The objects sit in that CPU's magazines. */
	KUNIT_EXPECT_EQ(test, kmag_central_live(a.c), a.c->objs_per_span);
	KUNIT_EXPECT_GT(test, per_cpu_ptr(a.c->cpu, cpu)->loaded->rounds, 0);
	ret = remove_cpu(cpu);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, kmag_central_live(a.c), 0);
	KUNIT_EXPECT_PTR_EQ(test, per_cpu_ptr(a.c->cpu, cpu)->loaded, &kmag_no_mag);
	KUNIT_EXPECT_EQ(test, add_cpu(cpu), 0);
	kmag_quarantine_pause(false);
	kmag_cache_destroy(a.c);
}

/* Wait until @a reaches @target, without hogging the CPU for long. */
static void kmag_ct_barrier(atomic_t *a, int target)
{
	unsigned long spins;

	for (spins = 1; atomic_read(a) < target; spins++) {
		cpu_relax();
		if (!(spins & 0xfff))
			cond_resched();
	}
}

#define KMAG_RACE_ROUNDS 200

struct kmag_race {
	void *objs[KMAG_RACE_ROUNDS];
	atomic_t arrived;
	struct completion done[2];
};

struct kmag_race_arg {
	struct kmag_race *r;
	int id;
};

/* Both threads free objs[i] at the same moment, round after round. */
static int kmag_race_thread(void *arg)
{
	struct kmag_race_arg *a = arg;
	struct kmag_race *r = a->r;
	int i;

	for (i = 0; i < KMAG_RACE_ROUNDS; i++) {
		atomic_inc(&r->arrived);
		kmag_ct_barrier(&r->arrived, 2 * (i + 1));
		kmag_free(r->objs[i]);
	}
	complete(&r->done[a->id]);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

/*
 * Two CPUs free the same object at once, small and large alike: one free
 * wins, the other is reported; nothing is handed out twice afterwards.
 */
static void kmag_concurrency_racing_free(struct kunit *test)
{
	static const size_t sizes[] = { 200, 64, 100000, 200, 5000 };
	struct kmag_race_arg args[2];
	struct kmag_stats before, after;
	struct task_struct *t[2];
	struct kmag_race *r;
	const int n = 600;
	void **objs;
	int i, cpu[2];

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	cpu[0] = cpumask_first(cpu_online_mask);
	cpu[1] = cpumask_next(cpu[0], cpu_online_mask);
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	objs = kunit_kcalloc(test, n, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	for (i = 0; i < KMAG_RACE_ROUNDS; i++) {
		/* Now and then a large object with a dedicated chunk. */
		r->objs[i] = kmag_alloc(i % 50 == 49 ? (3 << 20) + 1 :
					sizes[i % ARRAY_SIZE(sizes)], GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, r->objs[i]);
	}
	kmag_stats_read(&before);
	for (i = 0; i < 2; i++) {
		init_completion(&r->done[i]);
		args[i].r = r;
		args[i].id = i;
		t[i] = kthread_create_on_cpu(kmag_race_thread, &args[i], cpu[i], "kmag_race/%u");
		KUNIT_ASSERT_FALSE(test, IS_ERR(t[i]));
	}
	for (i = 0; i < 2; i++)
		wake_up_process(t[i]);
	for (i = 0; i < 2; i++) {
		wait_for_completion(&r->done[i]);
		kthread_stop(t[i]);
	}
	kmag_stats_read(&after);
	/* Expecting one report per round. */
	KUNIT_EXPECT_EQ(test, after.frees - before.frees, KMAG_RACE_ROUNDS);
	KUNIT_EXPECT_EQ(test, after.double_frees + after.invalid_frees -
			before.double_frees - before.invalid_frees, KMAG_RACE_ROUNDS);
	KUNIT_EXPECT_EQ(test, after.live_objects - before.live_objects, -KMAG_RACE_ROUNDS);
	for (i = 0; i < n; i++) {
		objs[i] = kmag_alloc(i & 1 ? 64 : 200, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
	}
	for (i = 0; i < n; i++) {
		int j;

		for (j = i + 1; j < n; j++)
			KUNIT_ASSERT_PTR_NE_MSG(test, objs[i], objs[j], "handed out twice");
	}
	for (i = 0; i < n; i++)
		kmag_free(objs[i]);
}

#define KMAG_STALE 48

struct kmag_stale {
	struct kmag_cache *s, *t;
	void *stale[KMAG_STALE];
	atomic_t stop;
	unsigned long frees, corrupt, failed;
	struct completion done[2];
};

/* Flush @c and give every free page back to the buddy allocator. */
static void kmag_stale_drain(struct kmag_cache *c)
{
	int nid;

	cpus_read_lock();
	kmag_magazines_drain(c);
	cpus_read_unlock();
	for_each_node(nid)
		kmag_heap_scavenge(nid, 0, 0, ULONG_MAX);
}

/* Allocate, check and free cache t, and give its spans back, over and over. */
static int kmag_stale_churn(void *arg)
{
	struct kmag_stale *st = arg;
	void *objs[32];
	int round, i;

	for (round = 0; round < 150; round++) {
		for (i = 0; i < ARRAY_SIZE(objs); i++) {
			objs[i] = kmag_cache_alloc(st->t, GFP_KERNEL);
			if (!objs[i]) {
				st->failed++;
				continue;
			}
			kmag_test_fill(objs[i], 1000);
		}
		for (i = 0; i < ARRAY_SIZE(objs); i++) {
			if (!objs[i])
				continue;
			st->corrupt += !kmag_test_intact(objs[i], 1000);
			kmag_cache_free(st->t, objs[i]);
		}
		kmag_stale_drain(st->t);
		cond_resched();
	}
	atomic_set(&st->stop, 1);
	complete(&st->done[0]);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

/* Free pointers to objects of cache s, long gone, over and over. */
static int kmag_stale_free(void *arg)
{
	struct kmag_stale *st = arg;
	int i;

	while (!atomic_read(&st->stop)) {
		for (i = 0; i < KMAG_STALE; i++) {
			kmag_free(st->stale[i]);
			st->frees++;
		}
		cond_resched();
	}
	complete(&st->done[1]);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

/*
 * Frees of stale pointers race with their span going back to the page heap,
 * its pages going back to the buddy allocator, and pages and span struct
 * being reused by another cache: each is reported, none is taken (KASAN
 * watches the span structs and the pages).
 */
static void kmag_concurrency_stale_free(struct kunit *test)
{
	struct kmag_stats before, after;
	struct task_struct *t[2];
	struct kmag_stale *st;
	void **objs;
	int i, n = 0, cpu[2];

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	cpu[0] = cpumask_first(cpu_online_mask);
	cpu[1] = cpumask_next(cpu[0], cpu_online_mask);
	st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	objs = kunit_kcalloc(test, 64, sizeof(*objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	/* 1024-byte objects not at a page start are never 1000-byte ones. */
	st->s = kmag_cache_create("kmag_test_stale_s", 1024, 0, 0, NULL);
	st->t = kmag_cache_create("kmag_test_stale_t", 1000, 0, 0, NULL);
	KUNIT_ASSERT_NOT_NULL(test, st->s);
	KUNIT_ASSERT_NOT_NULL(test, st->t);
	for (i = 0; i < 64; i++) {
		objs[i] = kmag_cache_alloc(st->s, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, objs[i]);
		if (offset_in_page(objs[i]) && n < KMAG_STALE)
			st->stale[n++] = objs[i];
	}
	KUNIT_ASSERT_EQ(test, n, KMAG_STALE);
	for (i = 0; i < 64; i++)
		kmag_cache_free(st->s, objs[i]);
	kmag_stale_drain(st->s);
	KUNIT_ASSERT_EQ(test, st->s->central.nr_spans, 0);

	kmag_stats_read(&before);
	t[0] = kthread_create_on_cpu(kmag_stale_churn, st, cpu[0], "kmag_churn/%u");
	t[1] = kthread_create_on_cpu(kmag_stale_free, st, cpu[1], "kmag_stale/%u");
	for (i = 0; i < 2; i++) {
		KUNIT_ASSERT_FALSE(test, IS_ERR(t[i]));
		init_completion(&st->done[i]);
	}
	for (i = 0; i < 2; i++)
		wake_up_process(t[i]);
	for (i = 0; i < 2; i++) {
		wait_for_completion(&st->done[i]);
		kthread_stop(t[i]);
	}
	kmag_stats_read(&after);
	kunit_info(test, "%lu stale frees\n", st->frees);
	/* Expecting one report per stale free, and the churn intact. */
	KUNIT_EXPECT_EQ(test, after.double_frees + after.invalid_frees -
			before.double_frees - before.invalid_frees, st->frees);
	KUNIT_EXPECT_EQ(test, st->corrupt, 0);
	KUNIT_EXPECT_EQ(test, st->failed, 0);
	KUNIT_EXPECT_EQ(test, after.live_objects, before.live_objects);
	kmag_cache_destroy(st->s);
	kmag_cache_destroy(st->t);
}

static struct kunit_case kmag_concurrency_cases[] = {
	KUNIT_CASE(kmag_concurrency_threads),
	KUNIT_CASE(kmag_concurrency_hardirq),
	KUNIT_CASE(kmag_concurrency_nested),
	KUNIT_CASE(kmag_concurrency_rt_hardirq),
	KUNIT_CASE(kmag_concurrency_hotplug),
	KUNIT_CASE(kmag_concurrency_racing_free),
	KUNIT_CASE(kmag_concurrency_stale_free),
	{}
};

static struct kunit_suite kmag_concurrency_suite = {
	.name = "kmag_concurrency",
	.suite_init = kmag_test_suite_init,
	.suite_exit = kmag_test_suite_exit,
	.exit = kmag_test_exit,
	.test_cases = kmag_concurrency_cases,
};

kunit_test_suite(kmag_concurrency_suite);
