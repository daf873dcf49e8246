#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: allocation failures. Sets up fail_page_alloc (every page
# allocation of a task that asks for it fails, silently), drains kmag so
# that it holds no memory, and loads kmag_faults, which asks for the faults
# around its allocations and checks that each fails cleanly. Skipped where
# the kernel has no CONFIG_FAIL_PAGE_ALLOC (the Debian kernel).
dir=$(dirname "$0")
fail=/sys/kernel/debug/fail_page_alloc

if [ ! -d "$fail" ]; then
	echo "kmag faults: no $fail (CONFIG_FAIL_PAGE_ALLOC) [SKIP]"
	exit 4
fi
[ -w /sys/kernel/debug/kmag/drain ] || { echo "kmag.ko is not loaded [FAIL]"; exit 1; }
exec 3</sys/kernel/debug/kmag/stats	# keep kmag.ko loaded (see kmag_stress.sh)
echo 1 >/sys/kernel/debug/kmag/drain
echo 0 >"$fail/verbose"
echo Y >"$fail/task-filter"
echo N >"$fail/ignore-gfp-wait"
echo 0 >"$fail/min-order"
echo -1 >"$fail/times"
echo 1 >"$fail/interval"
echo 100 >"$fail/probability"
rc=0
"$dir"/../kselftest/module.sh "kmag faults" kmag_faults || rc=$?
echo 0 >"$fail/probability"
dmesg | grep 'kmag_faults: .* failed cleanly' | tail -n 1
exec 3<&-
exit $rc
