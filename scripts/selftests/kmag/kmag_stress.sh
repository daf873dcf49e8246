#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: load the kmag_stress module (10^6 mixed operations on each
# CPUs, payloads checked), then check kmag's debugfs: no live objects left,
# and a drain gives every page back to the buddy allocator.
dir=$(dirname "$0")
stats=/sys/kernel/debug/kmag/stats

stat() {
	awk -v k="$1" '$1 == k { print $2 }' "$stats"
}

[ -r "$stats" ] || { echo "no $stats: is kmag.ko loaded?"; exit 1; }
# An open debugfs file pins kmag.ko: module.sh's "modprobe -r kmag_stress"
# would otherwise unload kmag with it.
exec 3<"$stats"
scav0=$(stat scavenged_bytes) reacq0=$(stat reacquired_bytes) reaped0=$(stat reaped_magazines)
"$dir"/../kselftest/module.sh "kmag stress" kmag_stress ops_per_cpu="${KMAG_STRESS_OPS:-1000000}" || exit $?
dmesg | grep 'kmag_stress: .* operations' | tail -n 1

live=$(stat live_objects)
echo "live_objects after the stress: $live"
# Memory given back during the churn, and taken again soon after.
echo "during the stress: scavenged_bytes +$(($(stat scavenged_bytes) - scav0)), reacquired_bytes +$(($(stat reacquired_bytes) - reacq0)), reaped_magazines +$(($(stat reaped_magazines) - reaped0))"
[ "$live" = 0 ] || { echo "live_objects should be 0 [FAIL]"; exit 1; }
# What the caches hold right after, within their bounds; then what the
# reclaimer leaves after a few idle seconds (no drain).
mags=$(stat magazine_bytes) depot=$(stat depot_bytes)
echo "after the stress: magazine_bytes $mags (cpu_cache_worst_bytes $(stat cpu_cache_worst_bytes), charged $(stat cpu_cache_charged_bytes), refusals $(stat cpu_cache_refusals)), depot_bytes $depot (depot_worst_bytes $(stat depot_worst_bytes)), idle_bytes $(stat idle_bytes), sys_bytes $(stat sys_bytes)"
[ "$mags" -le "$(stat cpu_cache_worst_bytes)" ] || { echo "magazines above their bound [FAIL]"; exit 1; }
[ "$depot" -le "$(stat depot_worst_bytes)" ] || { echo "depots above their bound [FAIL]"; exit 1; }
sleep 5
echo "5 s later: magazine_bytes $(stat magazine_bytes), depot_bytes $(stat depot_bytes), idle_bytes $(stat idle_bytes), sys_bytes $(stat sys_bytes)"
before=$(stat sys_bytes)
echo 1 >/sys/kernel/debug/kmag/drain || exit 1
after=$(stat sys_bytes)
echo "sys_bytes before drain: $before, after: $after"
# The reclaimer may have given everything back already (above).
[ "$before" = 0 ] || [ "$after" -lt "$before" ] ||
	{ echo "drain did not release memory [FAIL]"; exit 1; }
[ "$after" = 0 ] || { echo "memory held with nothing live [FAIL]"; exit 1; }
exec 3<&-
echo "kmag stress debugfs checks: ok"
