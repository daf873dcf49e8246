// SPDX-License-Identifier: GPL-2.0
/*
 * Debugging kmag's clients, after SLUB's slub_debug, and every report.
 *
 * A cache with a debug flag (SLAB_CONSISTENCY_CHECKS "F", SLAB_RED_ZONE
 * "Z", SLAB_POISON "P", SLAB_STORE_USER "U"; from kmag_cache_create() or
 * the debug= module parameter) takes the debug path for every allocation
 * and free: no magazines, one object at a time from and to its spans under
 * the central lock, with the checks below. Other caches are untouched: the
 * fast paths test a static key that is on only while a debug cache exists.
 *
 * Slot layout of a debug cache (c->size bytes, a multiple of its alignment):
 *
 *   | left red zone | object (obj_size) | right red zone | alloc, free track |
 *   0               red_left            obj end          track_off
 *
 * The left red zone is 8 bytes rounded up to the alignment (so objects
 * stay aligned, power-of-two classes naturally), the right one pads the
 * object to 8 bytes plus 8. Red zones hold 0xbb while the object is free,
 * 0xcc while it is handed out; a free object holds 0x6b with a last byte of
 * 0xa5 (poison; not with a constructor or SLAB_TYPESAFE_BY_RCU). Both are
 * checked when the object is handed out and freed and by validate; a
 * damaged one is reported with the offset and bytes found, then restored so
 * that the object and the allocator stay usable.
 *
 * Reports have one format for every kind (invalid free, double free, red
 * zone, poison, inconsistency), modelled on SLUB's:
 *
 *   BUG <cache>: <what>
 *   <details: address range, offset, bytes found>
 *   Allocated in <caller> age=<ms> cpu=<n> pid=<n>   (with U, and a stack)
 *   Freed in <caller> ...
 *   <hex dump of the red zones and the object>
 *   <stack of the report, debug caches only>
 *   FIX <cache>: <what was restored>
 *
 * They are rate limited (10 per 5 s); the counters in stats are not.
 *
 * This file reads free (poisoned) objects: it is built without KASAN
 * instrumentation, and copies bytes to the stack before printing them.
 */
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/stackdepot.h>
#include <linux/stacktrace.h>
#include <linux/string.h>

#include "kmag_internal.h"
#include "sizeclasses.h"

#define KMAG_RED_INACTIVE	0xbb
#define KMAG_RED_ACTIVE		0xcc
#define KMAG_POISON_FREE	0x6b
#define KMAG_POISON_END		0xa5
#define KMAG_TRACK_DEPTH	16

DEFINE_STATIC_KEY_FALSE(kmag_debug_key);
EXPORT_SYMBOL_NS_GPL(kmag_debug_key, KMAG_INTERNAL);

/* Owner track of an object (U): who allocated it, who freed it last. */
struct kmag_track {
	unsigned long addr;		/* caller of the API, 0: never */
#ifdef CONFIG_STACKDEPOT
	depot_stack_handle_t handle;
#endif
	int cpu;
	int pid;
	unsigned long when;		/* jiffies */
	unsigned long check;		/* kmag_track_check(): not overwritten */
};

enum { KMAG_TRACK_ALLOC, KMAG_TRACK_FREE };

/* The last report, for the KUnit suites: kind, cache, object, offset. */
struct kmag_report_info kmag_last_report;
EXPORT_SYMBOL_NS_GPL(kmag_last_report, KMAG_INTERNAL);
/* Raw: reports come from any context, PREEMPT_RT's hard IRQs included. */
static DEFINE_RAW_SPINLOCK(kmag_report_lock);
static DEFINE_RATELIMIT_STATE(kmag_report_rs, 5 * HZ, 10);

/* debug= */

static char *debug;
module_param(debug, charp, 0444);
MODULE_PARM_DESC(debug,
		 "slub_debug syntax: FLAGS[,CACHE...][;FLAGS,CACHE...]; FLAGS from F Z P U T (none: F Z P U, '-': off); CACHE a size class cache (kmag-64) or a NAME* prefix");

#define KMAG_MAX_RULES 16

static struct kmag_debug_rule {
	unsigned long flags;
	char name[KMAG_NAME_LEN];	/* "" for every cache */
	bool prefix;
} kmag_rules[KMAG_MAX_RULES];
static int kmag_nr_rules;

static bool kmag_is_class_name(const char *name)
{
	char buf[KMAG_NAME_LEN];
	int i;

	for (i = 0; i < KMAG_NUM_CLASSES; i++) {
		snprintf(buf, sizeof(buf), KMAG_CLASS_NAME, kmag_class_size[i]);
		if (!strcmp(buf, name))
			return true;
	}
	return false;
}

static int kmag_add_rule(unsigned long flags, const char *name, size_t len)
{
	struct kmag_debug_rule *r;

	if (kmag_nr_rules == KMAG_MAX_RULES) {
		pr_err("kmag: debug=: more than %d cache rules\n", KMAG_MAX_RULES);
		return -EINVAL;
	}
	if (len >= KMAG_NAME_LEN) {
		pr_err("kmag: debug=: bad cache name '%.*s'\n", (int)len, name);
		return -EINVAL;
	}
	r = &kmag_rules[kmag_nr_rules];
	r->flags = flags;
	memcpy(r->name, name, len);
	r->name[len] = '\0';
	if (len && name[len - 1] == '*') {
		r->prefix = true;
		r->name[len - 1] = '\0';
	} else if (len && !kmag_is_class_name(r->name)) {
		pr_err("kmag: debug=: no cache named '%s' (size class caches are kmag-8 .. kmag-%u; use NAME* for caches made later)\n",
		       r->name, KMAG_MAX_SMALL);
		return -EINVAL;
	}
	kmag_nr_rules++;
	return 0;
}

/* One ';'-separated block: FLAGS[,NAME[,NAME...]]. */
static int kmag_parse_block(const char *b, size_t len)
{
	unsigned long flags = 0;
	bool none = false, any = false;
	const char *end = b + len, *n;
	int ret;

	for (; b < end && *b != ','; b++) {
		switch (*b) {
		case 'f': case 'F':
			flags |= SLAB_CONSISTENCY_CHECKS;
			break;
		case 'z': case 'Z':
			flags |= SLAB_RED_ZONE;
			break;
		case 'p': case 'P':
			flags |= SLAB_POISON;
			break;
		case 'u': case 'U':
			flags |= SLAB_STORE_USER;
			break;
		case 't': case 'T':
			flags |= SLAB_TRACE;
			break;
		case '-':
			none = true;
			break;
		default:
			pr_err("kmag: debug=: unknown flag '%c' (known: F Z P U T -)\n", *b);
			return -EINVAL;
		}
		any = true;
	}
	if (none && flags) {
		pr_err("kmag: debug=: '-' cannot be combined with flags\n");
		return -EINVAL;
	}
	if (!any)
		flags = KMAG_DEBUG_DEFAULT;
	if (b == end)
		return kmag_add_rule(flags, "", 0);
	while (b < end) {
		b++;	/* the ',' */
		n = memchr(b, ',', end - b) ?: end;
		if (n == b) {
			pr_err("kmag: debug=: empty cache name\n");
			return -EINVAL;
		}
		ret = kmag_add_rule(flags, b, n - b);
		if (ret)
			return ret;
		b = n;
	}
	return 0;
}

/**
 * kmag_debug_init() - parse debug= and prepare owner tracking
 *
 * Called first at load: a bad debug= fails the load before anything
 * exists.
 *
 * Context: process context.
 * Return: 0, or -EINVAL for a bad debug= (reported).
 */
int kmag_debug_init(void)
{
	const char *s = debug, *e;
	int ret, i;

	kmag_nr_rules = 0;
	if (!s || !*s)
		return 0;
	while (*s) {
		e = strchrnul(s, ';');
		if (e == s) {
			pr_err("kmag: debug=: empty block\n");
			return -EINVAL;
		}
		ret = kmag_parse_block(s, e - s);
		if (ret) {
			kmag_nr_rules = 0;
			return ret;
		}
		s = *e ? e + 1 : e;
	}
	for (i = 0; i < kmag_nr_rules; i++)
		if (kmag_rules[i].flags & SLAB_STORE_USER)
			return kmag_debug_need_tracks();
	return 0;
}

/**
 * kmag_debug_flags_for() - debug flags debug= gives a cache
 * @name: the cache's name
 *
 * As slub_debug: a rule naming the cache (exactly or by prefix) wins over
 * one for every cache; among equals, the last one.
 *
 * Context: any context.
 * Return: SLAB_* debug flags, or 0.
 */
unsigned long kmag_debug_flags_for(const char *name)
{
	unsigned long all = 0, named = 0;
	const struct kmag_debug_rule *r;
	bool found = false;
	int i;

	for (i = 0; i < kmag_nr_rules; i++) {
		r = &kmag_rules[i];
		if (!r->name[0] && !r->prefix) {
			all = r->flags;
		} else if (r->prefix ? !strncmp(name, r->name, strlen(r->name)) :
			   !strcmp(name, r->name)) {
			named = r->flags;
			found = true;
		}
	}
	return found ? named : all;
}

/**
 * kmag_debug_need_tracks() - get the stack depot ready for owner tracks
 *
 * Context: process context; may sleep.
 * Return: 0, or -ENOMEM.
 */
int kmag_debug_need_tracks(void)
{
	return stack_depot_init();
}

/* Layout */

/**
 * kmag_debug_layout() - lay a debug cache's slot out
 * @c: the cache, with c->flags set
 * @obj_size: usable size
 * @align: alignment of objects (a power of two, at least 8)
 *
 * Sets c->red_left and c->track_off.
 *
 * Context: any context.
 * Return: the slot size.
 */
unsigned int kmag_debug_layout(struct kmag_cache *c, unsigned int obj_size,
			       unsigned int align)
{
	unsigned int end;

	c->red_left = c->flags & SLAB_RED_ZONE ? ALIGN(8, align) : 0;
	if (c->flags & SLAB_RED_ZONE)
		end = c->red_left + ALIGN(obj_size + 8, 8);
	else
		end = ALIGN(obj_size, 8);
	c->track_off = end;
	if (c->flags & SLAB_STORE_USER)
		end += 2 * sizeof(struct kmag_track);
	return ALIGN(end, align);
}

static inline bool kmag_poisons(const struct kmag_cache *c)
{
	return (c->flags & SLAB_POISON) && !c->ctor &&
	       !(c->flags & SLAB_TYPESAFE_BY_RCU);
}

static inline struct kmag_track *kmag_tracks(const struct kmag_cache *c, void *slot)
{
	return slot + c->track_off;
}

/* Plain byte loops: memchr_inv() and friends would be KASAN-checked. */
static void *kmag_find_not(const u8 *p, u8 val, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (p[i] != val)
			return (void *)(p + i);
	return NULL;
}

static void kmag_fill(void *p, u8 val, unsigned int n)
{
	u8 *b = p;
	unsigned int i;

	for (i = 0; i < n; i++)
		b[i] = val;
}

static void kmag_set_redzones(struct kmag_cache *c, void *slot, u8 val)
{
	if (!(c->flags & SLAB_RED_ZONE))
		return;
	kmag_fill(slot, val, c->red_left);
	kmag_fill(slot + c->red_left + c->obj_size, val,
		  c->track_off - c->red_left - c->obj_size);
}

static void kmag_poison(struct kmag_cache *c, void *slot)
{
	kmag_fill(slot + c->red_left, KMAG_POISON_FREE, c->obj_size - 1);
	((u8 *)slot)[c->red_left + c->obj_size - 1] = KMAG_POISON_END;
}

/**
 * kmag_debug_init_span() - prepare the objects of a new span of a debug cache
 * @c: the cache
 * @s: the span (not yet on a central list)
 *
 * Every object free: inactive red zones, poison, no owner.
 *
 * Context: any context.
 */
void kmag_debug_init_span(struct kmag_cache *c, struct kmag_span *s)
{
	unsigned int i;
	void *slot;

	for (i = 0; i < c->objs_per_span; i++) {
		slot = (void *)(s->base + i * c->size);
		kmag_set_redzones(c, slot, KMAG_RED_INACTIVE);
		if (kmag_poisons(c))
			kmag_poison(c, slot);
		if (c->flags & SLAB_STORE_USER)
			memset(kmag_tracks(c, slot), 0, 2 * sizeof(struct kmag_track));
	}
}

/* Tracks */

/* A track an overflow ran over must not be believed (stack handle, cpu). */
static unsigned long kmag_track_check(const struct kmag_track *t)
{
	unsigned long h = 0;

#ifdef CONFIG_STACKDEPOT
	h = t->handle;
#endif
	return (t->addr ^ (h << 17) ^ ((unsigned long)t->cpu << 40) ^
		((unsigned long)t->pid << 8) ^ t->when) * 0x9e3779b97f4a7c15UL;
}

static bool kmag_track_ok(const struct kmag_track *t)
{
	return t->addr && t->check == kmag_track_check(t) &&
	       (unsigned int)t->cpu < nr_cpu_ids;
}

static void kmag_set_track(struct kmag_cache *c, void *slot, int which,
			   unsigned long addr)
{
	struct kmag_track *t;
#ifdef CONFIG_STACKDEPOT
	unsigned long entries[KMAG_TRACK_DEPTH];
	unsigned int nr;
#endif

	if (!(c->flags & SLAB_STORE_USER))
		return;
	t = kmag_tracks(c, slot) + which;
#ifdef CONFIG_STACKDEPOT
	nr = stack_trace_save(entries, ARRAY_SIZE(entries), 2);
	t->handle = stack_depot_save(entries, nr, GFP_NOWAIT | __GFP_NOWARN);
#endif
	t->addr = addr;
	t->cpu = raw_smp_processor_id();
	t->pid = current->pid;
	t->when = jiffies;
	t->check = kmag_track_check(t);
}

static void kmag_print_track(const char *s, const struct kmag_track *t)
{
#ifdef CONFIG_STACKDEPOT
	unsigned long *entries;
	unsigned int nr;
#endif

	if (!t->addr)
		return;
	if (!kmag_track_ok(t)) {
		pr_err("%s: track overwritten\n", s);
		return;
	}
	pr_err("%s in %pS age=%u cpu=%d pid=%d\n", s, (void *)t->addr,
	       jiffies_to_msecs(jiffies - t->when), t->cpu, t->pid);
#ifdef CONFIG_STACKDEPOT
	if (t->handle) {
		nr = stack_depot_fetch(t->handle, &entries);
		stack_trace_print(entries, nr, 1);
	}
#endif
}

/* Reports */

/* Print @len bytes at @p (any state), labelled by offset from @obj. */
static void kmag_dump(const char *text, const u8 *p, unsigned int len,
		      const u8 *obj)
{
	u8 line[16];
	unsigned int i, n;

	for (i = 0; i < len; i += 16) {
		n = min(16U, len - i);
		memcpy(line, p + i, n);	/* to the stack, unchecked */
		pr_err("%-8s%+6ld: %*ph\n", text, (long)(p + i - obj), n, line);
	}
}

static void kmag_dump_object(struct kmag_cache *c, u8 *slot, long err_off)
{
	unsigned int rz_l = min(c->red_left, 16U), shown;
	u8 *obj = slot + c->red_left;

	if (c->flags & SLAB_RED_ZONE)
		kmag_dump("Redzone", obj - rz_l, rz_l, obj);
	shown = min(c->obj_size, 128U);
	kmag_dump("Object", obj, shown, obj);
	/* An error further in: the 64 bytes around it as well. */
	if (err_off >= (long)(c->red_left + shown) &&
	    err_off < (long)(c->red_left + c->obj_size)) {
		unsigned int from = max_t(long, c->red_left + shown,
					  round_down(err_off - 32, 16));

		kmag_dump("Object", slot + from,
			  min(64U, c->red_left + c->obj_size - from), obj);
	}
	if (c->flags & SLAB_RED_ZONE)
		kmag_dump("Redzone", obj + c->obj_size,
			  c->track_off - c->red_left - c->obj_size, obj);
}

static void kmag_note(enum kmag_report_kind kind, struct kmag_cache *c,
		      const void *obj, long offset)
{
	static const enum kmag_stat_item stat[] = {
		[KMAG_REPORT_INVALID] = KMAG_INVALID_FREE,
		[KMAG_REPORT_DOUBLE] = KMAG_DOUBLE_FREE,
		[KMAG_REPORT_REDZONE] = KMAG_REDZONE_ERR,
		[KMAG_REPORT_POISON] = KMAG_POISON_ERR,
		[KMAG_REPORT_CORRUPT] = KMAG_DOUBLE_FREE,
		[KMAG_REPORT_VALIDATE] = KMAG_VALIDATE_ERR,
	};
	unsigned long flags;

	this_cpu_inc(kmag_pcpu_stat[stat[kind]]);
	raw_spin_lock_irqsave(&kmag_report_lock, flags);
	kmag_last_report.kind = kind;
	kmag_last_report.cache = c;
	kmag_last_report.object = obj;
	kmag_last_report.offset = offset;
	kmag_last_report.seq++;
	raw_spin_unlock_irqrestore(&kmag_report_lock, flags);
}

/**
 * kmag_report_ratelimit_reset() - let the next reports through
 *
 * For tests that look at whole reports.
 *
 * Context: any context.
 */
void kmag_report_ratelimit_reset(void)
{
	ratelimit_state_init(&kmag_report_rs, 5 * HZ, 10);
}
EXPORT_SYMBOL_NS_GPL(kmag_report_ratelimit_reset, KMAG_INTERNAL);

static void kmag_report_head(const char *cache, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("=============================================================================\n");
	pr_err("BUG %s: %pV\n", cache, &vaf);
	pr_err("-----------------------------------------------------------------------------\n");
	va_end(args);
}

/* The tail of a report about object @slot of debug or plain cache @c. */
static void kmag_report_object(struct kmag_cache *c, void *slot, long err_off)
{
	struct kmag_span *s = kmag_span_of(slot);

	pr_err("Object 0x%p of %s (size %u, slot %u) in span 0x%p (%u pages)\n",
	       slot + c->red_left, c->name, c->obj_size, c->size,
	       s ? (void *)READ_ONCE(s->base) : NULL, s ? READ_ONCE(s->npages) : 0);
	if (c->flags & SLAB_STORE_USER) {
		kmag_print_track("Allocated", kmag_tracks(c, slot) + KMAG_TRACK_ALLOC);
		kmag_print_track("Freed", kmag_tracks(c, slot) + KMAG_TRACK_FREE);
	}
	if (c->flags & KMAG_DEBUG_FLAGS) {
		kmag_dump_object(c, slot, err_off);
		dump_stack();
	}
}

/**
 * kmag_report_invalid() - count and report a free kmag must ignore
 * @p: the pointer
 * @why: what is wrong with it
 * @ip: the caller
 *
 * Context: any context.
 */
void kmag_report_invalid(const void *p, const char *why, unsigned long ip)
{
	kmag_note(KMAG_REPORT_INVALID, NULL, p, 0);
	if (!__ratelimit(&kmag_report_rs))
		return;
	kmag_report_head("kmag", "Invalid free: %s", why);
	pr_err("Pointer %p freed by %pS\n", p, (void *)ip);
}
EXPORT_SYMBOL_NS_GPL(kmag_report_invalid, KMAG_INTERNAL);

/**
 * kmag_report_double() - count and report a double free
 * @c: the cache of the object, NULL for a large object
 * @p: the object
 * @ip: the caller, or 0 when found while flushing a magazine
 *
 * Context: any context; @c must stay valid (IRQs off or RCU reader).
 */
void kmag_report_double(struct kmag_cache *c, const void *p, unsigned long ip)
{
	kmag_note(KMAG_REPORT_DOUBLE, c, p, 0);
	if (!__ratelimit(&kmag_report_rs))
		return;
	kmag_report_head(c ? c->name : "kmag-large", "Object already free");
	if (ip)
		pr_err("Object %p freed again by %pS\n", p, (void *)ip);
	else
		pr_err("Object %p found free when its magazine was flushed\n", p);
	if (c && (c->flags & KMAG_DEBUG_FLAGS))
		kmag_report_object(c, (void *)p - c->red_left, -1);
}
EXPORT_SYMBOL_NS_GPL(kmag_report_double, KMAG_INTERNAL);

/**
 * kmag_report_corrupt() - kmag found its own state inconsistent
 * @c: the cache
 * @p: the object concerned
 * @why: what is wrong
 *
 * Never expected from kmag's own code: memory corruption, or a client
 * racing the free of an object with its reallocation. Counted as a double
 * free; warns once with a stack trace.
 *
 * Context: any context.
 */
void kmag_report_corrupt(struct kmag_cache *c, const void *p, const char *why)
{
	kmag_note(KMAG_REPORT_CORRUPT, c, p, 0);
	if (__ratelimit(&kmag_report_rs)) {
		kmag_report_head(c->name, "Inconsistent state: %s", why);
		pr_err("Object %p\n", p);
	}
	WARN_ONCE(1, "kmag: object %p of %s %s\n", p, c->name, why);
}
EXPORT_SYMBOL_NS_GPL(kmag_report_corrupt, KMAG_INTERNAL);

/*
 * Check @len bytes at offset @off of @slot for @val; report and restore a
 * mismatch. Return: true if intact.
 */
static bool kmag_check_bytes(struct kmag_cache *c, u8 *slot, unsigned int off,
			     unsigned int len, u8 val, enum kmag_report_kind kind,
			     const char *what)
{
	u8 *bad = kmag_find_not(slot + off, val, len), *last;

	if (!bad)
		return true;
	for (last = slot + off + len - 1; last > bad && *last == val; last--)
		;
	kmag_note(kind, c, slot + c->red_left, bad - slot - (long)c->red_left);
	if (__ratelimit(&kmag_report_rs)) {
		kmag_report_head(c->name, "%s overwritten", what);
		pr_err("0x%p-0x%p @offset=%ld (%ld bytes). First byte %#x instead of %#x\n",
		       bad, last, (long)(bad - slot) - (long)c->red_left,
		       (long)(last - bad + 1), *bad, val);
		kmag_report_object(c, slot, bad - slot);
		pr_err("FIX %s: Restoring %s %p-%p=%#x\n", c->name, what, bad, last, val);
	}
	kmag_fill(bad, val, last - bad + 1);
	return false;
}

static bool kmag_check_redzones(struct kmag_cache *c, u8 *slot, u8 val)
{
	bool ok;

	if (!(c->flags & SLAB_RED_ZONE))
		return true;
	ok = kmag_check_bytes(c, slot, 0, c->red_left, val, KMAG_REPORT_REDZONE,
			      "Left Redzone");
	return kmag_check_bytes(c, slot, c->red_left + c->obj_size,
				c->track_off - c->red_left - c->obj_size, val,
				KMAG_REPORT_REDZONE, "Right Redzone") && ok;
}

static bool kmag_check_poison(struct kmag_cache *c, u8 *slot)
{
	bool ok;

	if (!kmag_poisons(c))
		return true;
	ok = kmag_check_bytes(c, slot, c->red_left, c->obj_size - 1,
			      KMAG_POISON_FREE, KMAG_REPORT_POISON, "Poison");
	return kmag_check_bytes(c, slot, c->red_left + c->obj_size - 1, 1,
				KMAG_POISON_END, KMAG_REPORT_POISON, "Poison") && ok;
}

/* The debug paths */

/*
 * Take one free object of @c (from node @nid's spans, or any) and hand it
 * out: checked, red zones active, alloc track, in use. Under the central
 * lock, so that validate and the traces walks, which hold it, see each
 * object either free, handed out, or on its way (neither): never half done.
 */
static void *kmag_debug_take(struct kmag_cache *c, int nid, unsigned long ip)
{
	unsigned long flags;
	u8 *slot = NULL;

	spin_lock_irqsave(&c->central.lock, flags);
	if (kmag_central_get(c, (void **)&slot, 1, nid)) {
		kmag_check_redzones(c, slot, KMAG_RED_INACTIVE);
		kmag_check_poison(c, slot);
		kmag_set_redzones(c, slot, KMAG_RED_ACTIVE);
		kmag_set_track(c, slot, KMAG_TRACK_ALLOC, ip);
		kmag_obj_mark(c, slot);
	}
	spin_unlock_irqrestore(&c->central.lock, flags);
	return slot;
}

/*
 * SLAB_TRACE (debug= letter T): one line per alloc and free, as SLUB's
 * trace() prints, with the caller in place of a stack dump.
 */
static void kmag_trace(struct kmag_cache *c, const char *what, const void *p,
		       unsigned long ip)
{
	if (c->flags & SLAB_TRACE)
		pr_info("TRACE %s %s 0x%p caller %pS\n", c->name, what, p, (void *)ip);
}

/**
 * kmag_debug_alloc() - hand out an object of a debug cache
 * @c: the cache (c->flags has a debug flag)
 * @gfp: allocation flags
 * @nid: node, or NUMA_NO_NODE
 * @req: bytes asked for (statistics)
 * @ip: caller of the API
 *
 * The object's red zones and poison are checked, its red zones marked
 * active and its alloc track stored before it is handed out.
 *
 * Context: any context; may sleep only if @gfp allows.
 * Return: the object, or NULL.
 */
void *kmag_debug_alloc(struct kmag_cache *c, gfp_t gfp, int nid, size_t req,
		       unsigned long ip)
{
	int from = nid, got;
	u8 *slot;

	while (!(slot = kmag_debug_take(c, from, ip))) {
		got = kmag_central_grow(c, gfp, nid);
		if (got < 0) {
			this_cpu_inc(c->cpu->stat[KMAG_ALLOC_FAIL]);
			return NULL;
		}
		from = nid == NUMA_NO_NODE ? NUMA_NO_NODE : got;
	}
	this_cpu_inc(c->cpu->stat[KMAG_ALLOC]);
	this_cpu_add(c->cpu->stat[KMAG_REQ_BYTES], req);
	this_cpu_inc(c->cpu->stat[KMAG_MAG_MISS]);
	if (kmag_numa())
		kmag_numa_alloc_count(slot);
	kmag_trace(c, "alloc", slot + c->red_left, ip);
	if (kmag_want_zero(c, gfp))
		memset(slot + c->red_left, 0, c->obj_size);
	/* KASAN: the @req bytes accessible, red zones and tail not. */
	kmag_san_alloc(c, slot + c->red_left, req, c->obj_size, gfp);
	return slot + c->red_left;
}

/**
 * kmag_debug_free() - take an object of a debug cache back
 * @c: the cache (c->flags has a debug flag)
 * @s: the span @p maps to
 * @owner: @s's owner word as read (small span of @c)
 * @p: the pointer freed
 * @ip: caller of the API
 *
 * Bad frees are reported (with the object's owner tracks) and ignored; a
 * valid one checks the red zones, stores the free track, poisons the
 * object and gives it back to its span, all under the central lock (see
 * kmag_debug_take()).
 *
 * Context: magazine lock held (IRQs off).
 * Return: true if the free was accepted, false if it was reported.
 */
bool kmag_debug_free(struct kmag_cache *c, struct kmag_span *s,
		     unsigned long owner, const void *p, unsigned long ip)
{
	u8 *slot = (u8 *)p - c->red_left;
	unsigned long flags;

	spin_lock_irqsave(&c->central.lock, flags);
	switch (kmag_obj_take(s, owner, slot)) {
	case KMAG_NOT_START:
		spin_unlock_irqrestore(&c->central.lock, flags);
		kmag_report_invalid(p, "not the start of an object", ip);
		return false;
	case KMAG_NOT_OUT:
		/* Reported under the lock: the span cannot go meanwhile. */
		kmag_report_double(c, p, ip);
		spin_unlock_irqrestore(&c->central.lock, flags);
		return false;
	case KMAG_STALE:
		spin_unlock_irqrestore(&c->central.lock, flags);
		kmag_report_invalid(p, "a stale pointer", ip);
		return false;
	case KMAG_TAKEN:
		break;
	}
	kmag_trace(c, "free", p, ip);
	kmag_check_redzones(c, slot, KMAG_RED_ACTIVE);
	kmag_set_track(c, slot, KMAG_TRACK_FREE, ip);
	/* kmemleak forgets it, KASAN poisons it (never quarantined here). */
	kmag_san_free(c, slot + c->red_left, c->obj_size);
	if (kmag_poisons(c))
		kmag_poison(c, slot);
	else if (kmag_want_zero_on_free(c))
		memset(slot + c->red_left, 0, c->obj_size);
	kmag_set_redzones(c, slot, KMAG_RED_INACTIVE);
	/* Counted first: the put may let an orphaned cache go. */
	this_cpu_inc(c->cpu->stat[KMAG_FREE]);
	this_cpu_inc(c->cpu->stat[KMAG_MAG_MISS]);
	if (kmag_numa() && s->nid != kmag_home_node())
		kmag_numa_free_count(s->nid);
	kmag_central_put(c, (void **)&slot, 1);
	spin_unlock_irqrestore(&c->central.lock, flags);
	return true;
}

/**
 * kmag_debug_cache_added() - a cache with debug flags now exists
 * @c: the cache
 *
 * Context: process context; may sleep; no kmag lock held.
 */
void kmag_debug_cache_added(struct kmag_cache *c)
{
	if (c->flags & KMAG_DEBUG_FLAGS)
		static_branch_inc(&kmag_debug_key);
}

/**
 * kmag_debug_cache_gone() - a cache with debug flags is being freed
 * @c: the cache
 *
 * Context: process context; may sleep; no kmag lock held.
 */
void kmag_debug_cache_gone(struct kmag_cache *c)
{
	if (c->flags & KMAG_DEBUG_FLAGS)
		static_branch_dec(&kmag_debug_key);
}

/* Walking a cache's spans: validate and the traces files */

static DEFINE_MUTEX(kmag_walk_mutex);
static unsigned int kmag_walk_gen;

/*
 * Call @fn on every span of @c's central lists, each under the central
 * lock, one span per hold (IRQs are off for one span's work at a time).
 * A visited span is stamped and moved to the tail of its list, so the
 * next unvisited one is always first; the lists may change between holds:
 * a span that moves to a list already walked may be missed, one that comes
 * in meanwhile may be visited. Return: spans visited.
 * Context: process context, kmag_walk_mutex held; may sleep.
 */
static unsigned long kmag_walk(struct kmag_cache *c,
			       void (*fn)(struct kmag_cache *c, struct kmag_span *s, void *arg),
			       void *arg)
{
	struct list_head *head;
	unsigned long flags, n = 0;
	struct kmag_span *s;
	unsigned int gen;
	int nid, l;

	lockdep_assert_held(&kmag_walk_mutex);
	gen = ++kmag_walk_gen;
	for_each_node(nid) {
		for (l = 0; l < KMAG_NR_LISTS; l++) {
			head = &c->central.node[nid].lists[l];
			do {
				spin_lock_irqsave(&c->central.lock, flags);
				s = list_first_entry_or_null(head, struct kmag_span, list);
				if (s && s->walk_gen != gen) {
					s->walk_gen = gen;
					list_move_tail(&s->list, head);
					fn(c, s, arg);
					n++;
				} else {
					s = NULL;
				}
				spin_unlock_irqrestore(&c->central.lock, flags);
				cond_resched();
			} while (s);
		}
	}
	return n;
}

static __printf(4, 5) void kmag_validate_error(struct kmag_validate_sum *v,
						 struct kmag_cache *c,
						 const void *p, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	v->errors++;
	kmag_note(KMAG_REPORT_VALIDATE, c, p, 0);
	if (!__ratelimit(&kmag_report_rs))
		return;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	kmag_report_head(c->name, "Validate: inconsistent state");
	pr_err("At %p: %pV\n", p, &vaf);
	va_end(args);
}

/* Central lock held. */
static void kmag_validate_span(struct kmag_cache *c, struct kmag_span *s, void *arg)
{
	struct kmag_validate_sum *v = arg;
	unsigned int i, nfree;
	bool free, used;
	u8 *slot;

	v->spans++;
	nfree = bitmap_weight(s->freemap, c->objs_per_span);
	if (nfree != s->nfree)
		kmag_validate_error(v, c, (void *)s->base,
				    "span counts %u free objects, its free map %u",
				    s->nfree, nfree);
	for (i = 0; i < c->objs_per_span; i++) {
		slot = (u8 *)s->base + i * c->size;
		free = test_bit(i, s->freemap);
		used = kmag_inuse_test(c, s, i);
		v->objects++;
		if (free && used) {
			kmag_validate_error(v, c, slot + c->red_left,
					    "object %u of %u free in its span and in use",
					    i, c->objs_per_span);
			continue;
		}
		if (free)
			v->free++;
		else if (used)
			v->inuse++;
		else
			v->cached++;
		if (!(c->flags & KMAG_DEBUG_FLAGS) || (!free && !used))
			continue;
		if (!kmag_check_redzones(c, slot, free ? KMAG_RED_INACTIVE : KMAG_RED_ACTIVE))
			v->errors++;
		if (free && !kmag_check_poison(c, slot))
			v->errors++;
	}
}

/* One magazine's rounds: objects of @c, neither free in their span nor out. */
static void kmag_validate_mag(struct kmag_cache *c, struct kmag_mag *m,
			      struct kmag_validate_sum *v)
{
	struct kmag_span *s;
	unsigned int i;
	long idx;

	for (i = 0; i < m->rounds; i++) {
		s = kmag_span_of(m->objs[i]);
		if (!s || READ_ONCE(s->owner) != kmag_cache_owner(c)) {
			kmag_validate_error(v, c, m->objs[i],
					    "magazine round %u of %u not in a span of the cache",
					    i, m->rounds);
			continue;
		}
		idx = kmag_obj_index(c, s, m->objs[i]);
		if (idx < 0) {
			kmag_validate_error(v, c, m->objs[i],
					    "magazine round %u of %u not an object start",
					    i, m->rounds);
			continue;
		}
		v->rounds++;
		if (test_bit(idx, s->freemap) || kmag_inuse_test(c, s, idx))
			kmag_validate_error(v, c, m->objs[i],
					    "magazine round %u of %u is %s", i, m->rounds,
					    test_bit(idx, s->freemap) ?
					    "free in its span" : "in use");
	}
}

struct kmag_validate_cpus {
	struct kmag_cache *c;
	struct kmag_validate_sum v;
};

/* Magazine lock held (kmag_on_cpus()); one CPU at a time adds to vi->v. */
static void kmag_validate_cpu(void *arg)
{
	struct kmag_validate_cpus *vi = arg;
	struct kmag_cpu *cc = this_cpu_ptr(vi->c->cpu);

	kmag_validate_mag(vi->c, cc->loaded, &vi->v);
	kmag_validate_mag(vi->c, cc->previous, &vi->v);
}

/* Validate @c; its summary added to @v. kmag_walk_mutex held. */
static void kmag_validate_cache(struct kmag_cache *c, struct kmag_validate_sum *v)
{
	struct kmag_validate_cpus vi = { .c = c };
	unsigned int i, done;
	struct kmag_mag *m;
	unsigned long flags;
	bool more;
	int nid;

	kmag_walk(c, kmag_validate_span, &vi.v);
	/*
	 * Each online CPU checks its own magazines (they are its alone). No
	 * cpus_read_lock(): a CPU going offline meanwhile is skipped.
	 */
	kmag_on_cpus(cpu_online_mask, kmag_validate_cpu, &vi);
	/*
	 * Each node's depot's full magazines, 16 per hold; by position in the
	 * stack, which may change between holds (approximate, like the span
	 * walk).
	 */
	for_each_node(nid) {
		for (done = 0, more = true; more; done += 16) {
			spin_lock_irqsave(&c->central.lock, flags);
			for (i = 0, m = c->central.node[nid].depot_full; m && i < done; i++)
				m = m->next;
			for (i = 0; m && i < 16; i++, m = m->next)
				kmag_validate_mag(c, m, &vi.v);
			more = m;
			spin_unlock_irqrestore(&c->central.lock, flags);
			cond_resched();
		}
	}
	v->spans += vi.v.spans;
	v->objects += vi.v.objects;
	v->free += vi.v.free;
	v->inuse += vi.v.inuse;
	v->cached += vi.v.cached;
	v->rounds += vi.v.rounds;
	v->errors += vi.v.errors;
	v->caches++;
}

static char kmag_validate_last[192] = "never run\n";

/*
 * Validate @c, or every cache if NULL: print and keep the summary.
 * Context: process context; may sleep.
 */
static void kmag_validate_run(struct kmag_cache *c, struct kmag_validate_sum *v)
{
	struct kmag_cache *it;

	memset(v, 0, sizeof(*v));
	if (c) {
		mutex_lock(&kmag_walk_mutex);
		kmag_validate_cache(c, v);
	} else {
		/*
		 * kmag_caches_mutex before kmag_walk_mutex, never held while
		 * waiting for it: a cache's files are removed under
		 * kmag_caches_mutex, waiting for their handlers, which take
		 * kmag_walk_mutex alone.
		 */
		mutex_lock(&kmag_caches_mutex);
		list_for_each_entry(it, &kmag_caches, list) {
			mutex_lock(&kmag_walk_mutex);
			kmag_validate_cache(it, v);
			mutex_unlock(&kmag_walk_mutex);
		}
		mutex_unlock(&kmag_caches_mutex);
		mutex_lock(&kmag_walk_mutex);
	}
	snprintf(kmag_validate_last, sizeof(kmag_validate_last),
		 "%s: %lu caches, %lu spans, %lu objects (%lu free, %lu in use, %lu cached), %lu magazine rounds, %lu errors\n",
		 c ? c->name : "all", v->caches, v->spans, v->objects, v->free,
		 v->inuse, v->cached, v->rounds, v->errors);
	pr_info("kmag: validate %s", kmag_validate_last);
	mutex_unlock(&kmag_walk_mutex);
}

/**
 * kmag_validate() - check a cache's (or every cache's) objects
 * @c: the cache, or NULL for all
 * @sum: filled with the counts, or NULL
 *
 * Walks every span (free maps against in-use state; for debug caches the
 * red zones and poison of every object) and every magazine (each round an
 * object of the cache, neither free in its span nor handed out), then
 * prints a summary. One span or one magazine per IRQ-off section.
 *
 * Context: process context; may sleep; @c must not be destroyed meanwhile.
 * Return: the number of errors found.
 */
unsigned long kmag_validate(struct kmag_cache *c, struct kmag_validate_sum *sum)
{
	struct kmag_validate_sum v;

	kmag_validate_run(c, &v);
	if (sum)
		*sum = v;
	return v.errors;
}
EXPORT_SYMBOL_NS_GPL(kmag_validate, KMAG_INTERNAL);

static ssize_t kmag_validate_write(struct file *file, const char __user *buf,
				   size_t count, loff_t *ppos)
{
	struct kmag_validate_sum v;
	int ret = kmag_debugfs_trigger(buf, count);

	if (ret)
		return ret;
	kmag_validate_run(file->f_inode->i_private, &v);
	return count;
}

static ssize_t kmag_validate_read(struct file *file, char __user *buf,
				  size_t count, loff_t *ppos)
{
	char line[sizeof(kmag_validate_last)];

	mutex_lock(&kmag_walk_mutex);
	strscpy(line, kmag_validate_last, sizeof(line));
	mutex_unlock(&kmag_walk_mutex);
	return simple_read_from_buffer(buf, count, ppos, line, strlen(line));
}

static const struct file_operations kmag_validate_fops = {
	.owner = THIS_MODULE,
	.read = kmag_validate_read,
	.write = kmag_validate_write,
	.llseek = default_llseek,
};

/* alloc_traces and free_traces: objects aggregated by call site. */

#define KMAG_MAX_LOCS 256

struct kmag_loc {
	unsigned long addr, count, min_age, max_age, sum_age;
	int min_pid, max_pid;
	u64 cpus;			/* CPUs 0..63 */
	bool more_cpus;			/* and higher ones */
};

struct kmag_locs {
	int which;			/* KMAG_TRACK_ALLOC or _FREE */
	unsigned int nr;
	unsigned long other;		/* objects beyond KMAG_MAX_LOCS sites */
	struct kmag_loc loc[KMAG_MAX_LOCS];
};

static void kmag_add_loc(struct kmag_locs *l, const struct kmag_track *t)
{
	unsigned long age = jiffies - t->when;
	struct kmag_loc *loc = NULL;
	unsigned int i;

	for (i = 0; i < l->nr; i++) {
		if (l->loc[i].addr == t->addr) {
			loc = &l->loc[i];
			break;
		}
	}
	if (!loc) {
		if (l->nr == KMAG_MAX_LOCS) {
			l->other++;
			return;
		}
		loc = &l->loc[l->nr++];
		loc->addr = t->addr;
		loc->min_age = age;
		loc->min_pid = t->pid;
		loc->max_pid = t->pid;
	}
	loc->count++;
	loc->sum_age += age;
	loc->min_age = min(loc->min_age, age);
	loc->max_age = max(loc->max_age, age);
	loc->min_pid = min(loc->min_pid, t->pid);
	loc->max_pid = max(loc->max_pid, t->pid);
	if (t->cpu < 64)
		loc->cpus |= 1ULL << t->cpu;
	else
		loc->more_cpus = true;
}

/* Central lock held: live objects (alloc) or free objects (free). */
static void kmag_locs_span(struct kmag_cache *c, struct kmag_span *s, void *arg)
{
	struct kmag_locs *l = arg;
	struct kmag_track *t;
	unsigned int i;

	for (i = 0; i < c->objs_per_span; i++) {
		if (l->which == KMAG_TRACK_ALLOC ? !kmag_inuse_test(c, s, i) :
		    !test_bit(i, s->freemap))
			continue;
		t = kmag_tracks(c, (void *)(s->base + i * c->size)) + l->which;
		if (kmag_track_ok(t))
			kmag_add_loc(l, t);
	}
}

static int kmag_loc_cmp(const void *a, const void *b)
{
	const struct kmag_loc *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

static int kmag_traces_show(struct seq_file *m, void *v)
{
	unsigned long priv = (unsigned long)m->private;
	struct kmag_cache *c = (struct kmag_cache *)(priv & ~1UL);
	int which = priv & 1;
	struct kmag_locs *l;
	struct kmag_loc *loc;
	unsigned int i;

	l = kvzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	l->which = which;
	mutex_lock(&kmag_walk_mutex);
	kmag_walk(c, kmag_locs_span, l);
	mutex_unlock(&kmag_walk_mutex);
	sort(l->loc, l->nr, sizeof(l->loc[0]), kmag_loc_cmp, NULL);
	for (i = 0; i < l->nr; i++) {
		loc = &l->loc[i];
		seq_printf(m, "%7lu %pS age=%u/%u/%u pid=%d-%d cpus=%*pbl%s\n",
			   loc->count, (void *)loc->addr,
			   jiffies_to_msecs(loc->min_age),
			   jiffies_to_msecs(loc->sum_age / loc->count),
			   jiffies_to_msecs(loc->max_age), loc->min_pid,
			   loc->max_pid, 64, (unsigned long *)&loc->cpus,
			   loc->more_cpus ? ",64+" : "");
	}
	if (l->other)
		seq_printf(m, "%7lu (other call sites)\n", l->other);
	if (!l->nr && !l->other)
		seq_puts(m, "No data\n");
	kvfree(l);
	return 0;
}

static int kmag_traces_open(struct inode *inode, struct file *file)
{
	return single_open(file, kmag_traces_show, inode->i_private);
}

static const struct file_operations kmag_traces_fops = {
	.owner = THIS_MODULE,
	.open = kmag_traces_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

/**
 * kmag_debug_debugfs_cache() - the debugging files of caches/<name>/
 * @c: the cache, c->dir made
 *
 * validate for every cache; alloc_traces and free_traces for caches with
 * owner tracking (U), as SLUB's.
 *
 * Context: process context.
 */
void kmag_debug_debugfs_cache(struct kmag_cache *c)
{
	debugfs_create_file("validate", 0600, c->dir, c, &kmag_validate_fops);
	if (!(c->flags & SLAB_STORE_USER))
		return;
	/* Cache structs are 8-byte aligned: bit 0 says which track. */
	debugfs_create_file("alloc_traces", 0400, c->dir,
			    (void *)((unsigned long)c | KMAG_TRACK_ALLOC), &kmag_traces_fops);
	debugfs_create_file("free_traces", 0400, c->dir,
			    (void *)((unsigned long)c | KMAG_TRACK_FREE), &kmag_traces_fops);
}

/**
 * kmag_debug_debugfs() - the global validate file
 * @dir: kmag's debugfs directory
 *
 * Context: process context.
 */
void kmag_debug_debugfs(struct dentry *dir)
{
	debugfs_create_file("validate", 0600, dir, NULL, &kmag_validate_fops);
}

/**
 * kmag_debug_track_addr() - caller recorded in an object's owner track
 * @c: a cache with SLAB_STORE_USER
 * @p: an object of @c (live or free)
 * @free: the free track rather than the alloc track
 *
 * Context: any context; @p's span must not go away meanwhile.
 * Return: the caller's address, or 0 if none was recorded.
 */
unsigned long kmag_debug_track_addr(struct kmag_cache *c, const void *p, bool free)
{
	const struct kmag_track *t;

	if (!(c->flags & SLAB_STORE_USER))
		return 0;
	t = kmag_tracks(c, (void *)p - c->red_left) + (free ? KMAG_TRACK_FREE :
							KMAG_TRACK_ALLOC);
	return kmag_track_ok(t) ? t->addr : 0;
}
EXPORT_SYMBOL_NS_GPL(kmag_debug_track_addr, KMAG_INTERNAL);
