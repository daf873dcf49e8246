/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by kmag's kselftest modules. */
#ifndef KMAG_SELFTEST_H
#define KMAG_SELFTEST_H

#include <linux/kthread.h>
#include <linux/sched.h>

/*
 * The end of a worker thread that its module stops with kthread_stop():
 * sleep until then, so that the module's text outlives the thread.
 */
static inline int kmag_selftest_wait_stop(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

#endif /* KMAG_SELFTEST_H */
