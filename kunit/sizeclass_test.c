// SPDX-License-Identifier: GPL-2.0
/*
 * kmag_sizeclass: the generated class table and the size -> class map.
 */
#include <kunit/test.h>
#include <linux/log2.h>

#include "kmag_test.h"
#include "sizeclasses.h"

/* Sizes grow, are multiples of 8, spans hold what the table says. */
static void kmag_sizeclass_table_invariants(struct kunit *test)
{
	unsigned int i, size, bytes, prev = 0;

	KUNIT_ASSERT_GT(test, KMAG_NUM_CLASSES, 0);
	KUNIT_EXPECT_EQ(test, kmag_class_size[0], 8);
	KUNIT_EXPECT_EQ(test, kmag_class_size[KMAG_NUM_CLASSES - 1], KMAG_MAX_SMALL);
	for (i = 0; i < KMAG_NUM_CLASSES; i++) {
		size = kmag_class_size[i];
		bytes = kmag_class_npages[i] * PAGE_SIZE;
		KUNIT_EXPECT_GT_MSG(test, size, prev, "class %u", i);
		KUNIT_EXPECT_EQ_MSG(test, size % 8, 0, "class %u", i);
		KUNIT_EXPECT_EQ_MSG(test, kmag_class_objs[i], bytes / size, "class %u", i);
		KUNIT_EXPECT_LE_MSG(test, kmag_class_objs[i], KMAG_MAX_SPAN_OBJS, "class %u", i);
		/* Span tail waste at most 1/8 of the span. */
		KUNIT_EXPECT_LE_MSG(test, bytes % size, bytes / 8, "class %u", i);
		/* Round-up waste at most 12.5% from 128 bytes. */
		if (size >= 128)
			KUNIT_EXPECT_LE_MSG(test, (size - prev - 1) * 8, size, "class %u", i);
		prev = size;
	}
}

/* Every power of two from 8 B to 32 KiB is a class of its own. */
static void kmag_sizeclass_powers_of_two(struct kunit *test)
{
	unsigned int size;

	for (size = 8; size <= KMAG_MAX_SMALL; size *= 2)
		KUNIT_EXPECT_EQ_MSG(test, kmag_class_size[kmag_size_class(size)], size,
				    "size %u", size);
}

/* Each size 1..32768 maps to the smallest class that holds it. */
static void kmag_sizeclass_map_every_size(struct kunit *test)
{
	unsigned int size;
	int c;

	for (size = 1; size <= KMAG_MAX_SMALL; size++) {
		c = kmag_size_class(size);
		KUNIT_ASSERT_GE(test, c, 0);
		KUNIT_ASSERT_LT(test, c, KMAG_NUM_CLASSES);
		KUNIT_ASSERT_GE_MSG(test, kmag_class_size[c], size, "size %u", size);
		if (c > 0)
			KUNIT_ASSERT_LT_MSG(test, kmag_class_size[c - 1], size, "size %u", size);
	}
}

/* The reciprocal gives the exact index of every object, and rejects the rest. */
static void kmag_sizeclass_divmagic(struct kunit *test)
{
	struct kmag_span span = { .base = 0x100000 };
	struct kmag_cache c = {};
	unsigned int i, idx;

	for (i = 0; i < KMAG_NUM_CLASSES; i++) {
		c.size = kmag_class_size[i];
		c.divmagic = kmag_class_divmagic[i];
		c.objs_per_span = kmag_class_objs[i];
		for (idx = 0; idx < c.objs_per_span; idx++) {
			void *p = (void *)(span.base + idx * c.size);

			KUNIT_ASSERT_EQ(test, kmag_obj_index(&c, &span, p), idx);
			KUNIT_ASSERT_EQ(test, kmag_obj_index(&c, &span, p + 4), -1);
		}
		/* One past the last object is not an object either. */
		KUNIT_EXPECT_EQ(test, kmag_obj_index(&c, &span,
				(void *)(span.base + c.objs_per_span * c.size)), -1);
	}
}

static struct kunit_case kmag_sizeclass_cases[] = {
	KUNIT_CASE(kmag_sizeclass_table_invariants),
	KUNIT_CASE(kmag_sizeclass_powers_of_two),
	KUNIT_CASE(kmag_sizeclass_map_every_size),
	KUNIT_CASE(kmag_sizeclass_divmagic),
	{}
};

static struct kunit_suite kmag_sizeclass_suite = {
	.name = "kmag_sizeclass",
	.suite_init = kmag_test_suite_init,
	.suite_exit = kmag_test_suite_exit,
	.test_cases = kmag_sizeclass_cases,
};

kunit_test_suite(kmag_sizeclass_suite);

MODULE_IMPORT_NS(KMAG_INTERNAL);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmag KUnit suites");
