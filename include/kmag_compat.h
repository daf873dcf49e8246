/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmag_compat.h - the kernel versions kmag builds for, in one place
 *
 * kmag builds for Debian 12's Linux 6.1 and 6.12 (and 6.12 PREEMPT_RT). Every
 * test of LINUX_VERSION_CODE in kmag is in this file; the rest of kmag tests
 * the KMAG_HAVE_ and KMAG_ macros it defines. Public because
 * include/kmag_slab.h needs one of them; nothing here is API.
 */
#ifndef _KMAG_COMPAT_H
#define _KMAG_COMPAT_H

#include <linux/version.h>

/*
 * 6.7: shrinker_alloc()/shrinker_register()/shrinker_free() replace
 * register_shrinker()/unregister_shrinker() on a caller's struct.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#define KMAG_HAVE_SHRINKER_ALLOC	1
#endif

/*
 * 6.10: __assign_str() takes only the field; the source is the one
 * __string() named.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define kmag_assign_str(dst, src)	__assign_str(dst)
#else
#define kmag_assign_str(dst, src)	__assign_str(dst, src)
#endif

/* 6.11: kvrealloc(p, size, gfp) lost its old-size argument. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
#define KMAG_KVREALLOC_HAS_OLDSIZE	1
#endif

/*
 * 6.8: MAX_ORDER (the orders below it, in 6.1) became MAX_PAGE_ORDER (the
 * largest order); NR_PAGE_ORDERS counts the orders.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define KMAG_NR_PAGE_ORDERS	NR_PAGE_ORDERS
#else
#define KMAG_NR_PAGE_ORDERS	MAX_ORDER
#endif

/*
 * In 6.1 struct fault_attr holds the dentry fault_create_debugfs_attr()
 * made, with a reference its creator drops; in 6.12 it holds only the name
 * (a char array). The change lies between the two kernels kmag builds for;
 * 6.6 only has to tell those two apart.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
#define KMAG_FAULT_ATTR_DENTRY	1
#endif

/*
 * 6.3: kvfree_call_rcu() takes the object's address; before, the offset of
 * the rcu_head in it (or, with no rcu_head, the object), as an
 * rcu_callback_t. @obj is the object, @off the offset (the object too when
 * @head is NULL).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define kmag_kvfree_call_rcu(head, obj, off)	kvfree_call_rcu(head, (void *)(obj))
#else
#define kmag_kvfree_call_rcu(head, obj, off)	\
	kvfree_call_rcu(head, (rcu_callback_t)(unsigned long)(off))
#endif

#endif /* _KMAG_COMPAT_H */
