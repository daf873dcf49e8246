#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: kmag's fault injection for clients (debugfs fail/ and
# caches/<name>/failslab), in a kernel with fault injection (fail/ is the
# kernel's fault_attr) and in one without (kmag's own probability,
# interval and times). For each setting of the knobs, kmag_failslab.ko
# makes five allocations of each kind (kmag_alloc(64), kmag_alloc(128), a
# named cache, a large object, __GFP_NOFAIL) and checks how many failed
# against the expected counts; this script checks that injected_failures
# and alloc_failures grew by as many, and that times counts down. Then bad
# input: every knob must refuse garbage (and kmag's own knobs out-of-range
# values) and keep its value. The knobs are put back as they were at load.
dir=$(dirname "$0")
kmag=/sys/kernel/debug/kmag
fail=$kmag/fail
stats=$kmag/stats
cls=$kmag/caches/kmag-128/failslab

stat() {
	awk -v k="$1" '$1 == k { print $2 }' "$stats"
}

[ -r "$stats" ] || { echo "no $stats: is kmag.ko loaded? [FAIL]"; exit 1; }
for f in probability interval times ignore-gfp-wait cache-filter; do
	[ -w "$fail/$f" ] || { echo "kmag failslab: no $fail/$f [FAIL]"; exit 1; }
done
[ -w "$cls" ] || { echo "kmag failslab: no $cls [FAIL]"; exit 1; }
if ! /sbin/modprobe -q -n kmag_failslab; then
	echo "kmag failslab: module kmag_failslab is not found [FAIL]"
	exit 1
fi
exec 3<"$stats"	# keep kmag.ko loaded (see kmag_stress.sh)
# The kernel's fault_attr has verbose (a stack dump per failure by default).
kernel_attr=no
if [ -e "$fail/verbose" ]; then
	kernel_attr=yes
	verbose=$(cat "$fail/verbose")
	echo 0 >"$fail/verbose"
fi
echo "kmag failslab: fail/ is $([ $kernel_attr = yes ] && echo "the kernel's fault_attr" || echo "kmag's own")"
failed=0
fail_msg() {
	echo "kmag failslab: $* [FAIL]"
	failed=$((failed + 1))
}

expect() {	# expect FILE VALUE
	v=$(cat "$1")
	[ "$v" = "$2" ] || fail_msg "${1#"$kmag"/} is '$v', expected '$2'"
}

# Defaults, as failslab's.
expect "$fail/probability" 0
expect "$fail/interval" 1
expect "$fail/times" 1
expect "$fail/ignore-gfp-wait" Y
expect "$fail/cache-filter" N
expect "$cls" N

# set PROBABILITY INTERVAL TIMES IGNORE_GFP_WAIT CACHE_FILTER KMAG_128_FAILSLAB
set_knobs() {
	echo "$1" >"$fail/probability" && echo "$2" >"$fail/interval" &&
		echo "$3" >"$fail/times" && echo "$4" >"$fail/ignore-gfp-wait" &&
		echo "$5" >"$fail/cache-filter" && echo "$6" >"$cls" ||
		fail_msg "setting the knobs to $*"
}

# run WHAT INJECTED ARGS...: load the module with ARGS; INJECTED is the
# growth expected in injected_failures (and alloc_failures).
run() {
	what=$1 inj=$2
	shift 2
	i0=$(stat injected_failures)
	a0=$(stat alloc_failures)
	if ! "$dir"/../kselftest/module.sh "kmag failslab ($what)" kmag_failslab "$@" >/dev/null 2>&1; then
		dmesg | grep 'kmag_failslab: ' | tail -n 3
		fail_msg "$what: kmag_failslab $*"
	fi
	di=$(($(stat injected_failures) - i0))
	da=$(($(stat alloc_failures) - a0))
	if [ $di -ne "$inj" ] || [ $da -ne "$inj" ]; then
		fail_msg "$what: injected_failures +$di, alloc_failures +$da, expected +$inj"
	else
		echo "kmag failslab: $what: $inj injected, counted [ok]"
	fi
}

#         probability interval times ignore-gfp-wait cache-filter kmag-128
set_knobs 0 1 -1 N N N
run "unarmed" 0 want=0,0,0,0,0
set_knobs 100 1 3 N N N
run "times=3" 3 want=3,0,0,0,0
expect "$fail/times" 0
run "times ran out" 0 want=0,0,0,0,0
set_knobs 100 1 -1 N N N
run "probability 100" 20 want=5,5,5,5,0
set_knobs 100 1 -1 Y N N
run "ignore-gfp-wait, GFP_KERNEL" 0 want=0,0,0,0,0
run "ignore-gfp-wait, GFP_ATOMIC" 20 want=5,5,5,5,0 atomic=1
set_knobs 100 1 -1 N Y Y
run "cache-filter, kmag-128 marked" 5 want=0,5,0,0,0
set_knobs 100 1 -1 N Y N
run "cache-filter, none marked" 0 want=0,0,0,0,0
set_knobs 100 2 -1 N N N
run "interval 2" 10

# Bad input: refused, value unchanged.
bad() {		# bad FILE VALUE
	was=$(cat "$1")
	if echo "$2" >"$1" 2>/dev/null; then
		fail_msg "'$2' > ${1#"$kmag"/} was accepted"
	elif [ "$(cat "$1")" != "$was" ]; then
		fail_msg "'$2' > ${1#"$kmag"/} changed it to $(cat "$1")"
	fi
}

set_knobs 50 3 7 N N N
for v in abc 12abc "" -1 0x; do
	bad "$fail/probability" "$v"
	bad "$fail/interval" "$v"
done
for v in abc 12abc "" 1.5; do
	bad "$fail/times" "$v"
done
for f in "$fail/ignore-gfp-wait" "$fail/cache-filter" "$cls"; do
	for v in maybe 2 "" -1; do
		bad "$f" "$v"
	done
done
if [ $kernel_attr = no ]; then
	# Out of range for kmag's own knobs (the kernel's take any number).
	for v in 101 1000 99999999999999999999; do
		bad "$fail/probability" "$v"
	done
	for v in 0 99999999999999999999; do
		bad "$fail/interval" "$v"
	done
	for v in -2 2147483648 99999999999999999999; do
		bad "$fail/times" "$v"
	done
fi
expect "$fail/probability" 50
expect "$fail/interval" 3
expect "$fail/times" 7
expect "$fail/ignore-gfp-wait" N
expect "$fail/cache-filter" N
expect "$cls" N
echo "kmag failslab: bad input refused, values kept"

set_knobs 0 1 1 Y N N
[ $kernel_attr = yes ] && echo "$verbose" >"$fail/verbose"
exec 3<&-
[ $failed -eq 0 ] || { echo "kmag failslab: $failed checks failed [FAIL]"; exit 1; }
echo "kmag failslab: ok"
