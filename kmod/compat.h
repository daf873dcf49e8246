/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernel versions kmag builds for, in one place.
 */
#ifndef KMAG_COMPAT_H
#define KMAG_COMPAT_H

#include <linux/gfp.h>

/* __GFP_ATOMIC went away in 6.3 (__GFP_HIGH alone now grants reserves). */
#ifndef __GFP_ATOMIC
#define __GFP_ATOMIC	0
#endif

#endif /* KMAG_COMPAT_H */
