/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kmag's code needs from a kernel that does not have it. Version tests
 * are in include/kmag_compat.h; this file only fills gaps by name.
 */
#ifndef KMAG_COMPAT_H
#define KMAG_COMPAT_H

#include <linux/gfp.h>
#include <linux/slab.h>
#include <kmag_compat.h>

/* __GFP_ATOMIC went away in 6.3 (__GFP_HIGH alone now grants reserves). */
#ifndef __GFP_ATOMIC
#define __GFP_ATOMIC	0
#endif

/* SLAB_MEM_SPREAD went away in 6.8 (it had been a no-op for SLUB). */
#ifndef SLAB_MEM_SPREAD
#define SLAB_MEM_SPREAD	0
#endif

#endif /* KMAG_COMPAT_H */
