// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_sanitize: kselftest module (kselftest_module.h), loaded once per case
 * by scripts/selftests/kmag/kmag_sanitize.sh with case=N. Each case is a
 * client bug on a kmag object that the kernel's own sanitizers must catch,
 * bracketed by "kmag-expect: begin WHAT" and "kmag-expect: end WHAT" lines;
 * the script checks that exactly the report wanted came between them:
 *   1  kasan-uaf            a read of a freed 40-byte object, after 64 more
 *                           allocations of its size, none of which may
 *                           return it (the quarantine keeps it poisoned):
 *                           "use-after-free in sanitize_read";
 *   2  kasan-oob-small      a write one byte past 40 bytes asked for (size
 *                           class 48), after one to the last byte:
 *                           "slab-out-of-bounds in sanitize_write";
 *      kasan-oob-partial    the same past 37 bytes (a partial granule);
 *   3  kasan-oob-large      the same past 40000 bytes (a 10-page object);
 *      kasan-uaf-large      a read of it once freed: "use-after-free";
 *   4  kmemleak-leak        an object whose only pointer is hidden (XOR) in
 *                           module data: kmemleak must report it with
 *                           sanitize_leak in its backtrace. The script closes
 *                           the window; the object is freed at unload.
 * After each window the whole usable size is used, after kmag_size(), and
 * must not be reported (any report outside a window fails the run).
 * A case the kernel cannot check (no KASAN, no kmemleak) is skipped; the
 * read-only parameters kasan and kmemleak tell the script which it has.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>

#include <kmag.h>

#include "kselftest_module.h"

KSTM_MODULE_GLOBALS();

static unsigned int test_case;
module_param_named(case, test_case, uint, 0444);
MODULE_PARM_DESC(case, "case to run, 1 to 4; 0 runs none");

static bool kasan = IS_ENABLED(CONFIG_KASAN_GENERIC);
module_param(kasan, bool, 0444);
MODULE_PARM_DESC(kasan, "the kernel has generic KASAN (read-only)");

static bool kmemleak = IS_ENABLED(CONFIG_DEBUG_KMEMLEAK);
module_param(kmemleak, bool, 0444);
MODULE_PARM_DESC(kmemleak, "the kernel has kmemleak (read-only)");

#define SMALL		40
#define PARTIAL		37
#define LARGE		40000
#define LEAK_SIZE	424		/* a size class of its own: 448 */
#define REUSE_TRIES	64
#define LEAK_KEY	0x5a5a5a5a5a5a5a5aUL

/* The leaked object, hidden from kmemleak's scan of module data. */
static unsigned long leak_hidden;
static u8 sink;

/*
 * Accesses in functions of their own, which the reports must name (whole:
 * a read whose value went unused would be a clone, sanitize_read.isra.0).
 */
static noinline void sanitize_read(const u8 *p)
{
	WRITE_ONCE(sink, READ_ONCE(*p));
}

static noinline void sanitize_write(u8 *p)
{
	WRITE_ONCE(*p, 0x42);
}

/* A window of the kernel log where a report is expected (vm-run.sh). */
static void mark(const char *what, bool begin)
{
	pr_info("kmag-expect: %s %s\n", begin ? "begin" : "end", what);
}

static unsigned int case_uaf(void)
{
	u8 *p, *q[REUSE_TRIES];
	unsigned int i, problems = 0;

	p = kmag_alloc(SMALL, GFP_KERNEL);
	if (!p)
		return 1;
	memset(p, 0x11, SMALL);
	kmag_free(p);
	for (i = 0; i < REUSE_TRIES; i++) {
		q[i] = kmag_alloc(SMALL, GFP_KERNEL);
		if (q[i] == p) {
			pr_err("the object just freed was handed out again (allocation %u)\n",
			       i + 1);
			problems++;
		}
	}
	mark("kasan-uaf", true);
	sanitize_read(p);
	mark("kasan-uaf", false);
	for (i = 0; i < REUSE_TRIES; i++)
		kmag_free(q[i]);
	return problems;
}

/* @size bytes asked for: the last is fine, the next one is reported. */
static unsigned int oob(const char *what, size_t size)
{
	size_t usable;
	u8 *p;

	p = kmag_alloc(size, GFP_KERNEL);
	if (!p)
		return 1;
	mark(what, true);
	sanitize_write(p + size - 1);
	sanitize_write(p + size);
	mark(what, false);
	/* As with ksize(): what kmag_size() returns is the caller's. */
	usable = kmag_size(p);
	sanitize_write(p + usable - 1);
	kmag_free(p);
	return 0;
}

static unsigned int case_oob_small(void)
{
	return oob("kasan-oob-small", SMALL) + oob("kasan-oob-partial", PARTIAL);
}

static unsigned int case_oob_large(void)
{
	unsigned int problems = oob("kasan-oob-large", LARGE);
	u8 *p;

	p = kmag_alloc(LARGE, GFP_KERNEL);
	if (!p)
		return problems + 1;
	kmag_free(p);
	mark("kasan-uaf-large", true);
	sanitize_read(p + LARGE / 2);
	mark("kasan-uaf-large", false);
	return problems;
}

static noinline void sanitize_leak(void)
{
	void *p = kmag_zalloc(LEAK_SIZE, GFP_KERNEL);

	WRITE_ONCE(leak_hidden, (unsigned long)p ^ LEAK_KEY);
}

/*
 * Overwrite the stack below this frame, where the calls that handed out
 * the leaked object may have left its address: kmemleak scans stacks too.
 */
static noinline void scrub_stack(unsigned int depth)
{
	u8 buf[256];

	memzero_explicit(buf, sizeof(buf));
	if (depth)
		scrub_stack(depth - 1);
	barrier_data(buf);
}

static unsigned int case_leak(void)
{
	mark("kmemleak-leak", true);	/* the script closes it */
	sanitize_leak();
	scrub_stack(16);
	if (READ_ONCE(leak_hidden) == LEAK_KEY) {
		pr_err("kmag_zalloc(%u) failed\n", LEAK_SIZE);
		return 1;
	}
	pr_info("leaked an object of %u bytes\n", LEAK_SIZE);
	return 0;
}

struct san_test {
	unsigned int (*run)(void);
	bool kasan;		/* needs KASAN, else kmemleak */
};

static const struct san_test tests[] = {
	{ case_uaf, true },
	{ case_oob_small, true },
	{ case_oob_large, true },
	{ case_leak, false },
};

static void __init selftest(void)
{
	const struct san_test *t;

	if (!test_case)
		return;
	if (test_case > ARRAY_SIZE(tests)) {
		pr_err("no case %u: cases are 1 to %zu\n", test_case, ARRAY_SIZE(tests));
		KSTM_CHECK_ZERO(1);
		return;
	}
	t = &tests[test_case - 1];
	if (!(t->kasan ? kasan : kmemleak)) {
		pr_info("case %u: no %s in this kernel [SKIP]\n", test_case,
			t->kasan ? "KASAN" : "kmemleak");
		skipped_tests++;
		return;
	}
	KSTM_CHECK_ZERO(t->run());
}

/* As KSTM_MODULE_LOADERS(), with an exit that frees the leaked object. */
static int __init kmag_sanitize_init(void)
{
	pr_info("loaded.\n");
	add_taint(TAINT_TEST, LOCKDEP_STILL_OK);
	selftest();
	return kstm_report(total_tests, failed_tests, skipped_tests);
}

static void __exit kmag_sanitize_exit(void)
{
	if (leak_hidden)
		kmag_free((void *)(leak_hidden ^ LEAK_KEY));
	pr_info("unloaded.\n");
}

module_init(kmag_sanitize_init);
module_exit(kmag_sanitize_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmag selftest module: KASAN and kmemleak on kmag objects");
