#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: CPUs go offline and come back while kmag_stress runs (payloads
# checked by the module): every other CPU but CPU 0 is unplugged, then
# plugged back, over and over. Afterwards every CPU is online, nothing is
# live, and a drain gives every page and every per-CPU charge back: the
# magazines of CPUs that went away did not keep objects or charges.
dir=$(dirname "$0")
stats=/sys/kernel/debug/kmag/stats
ksft_skip=4

stat() {
	awk -v k="$1" '$1 == k { print $2 }' "$stats"
}

[ -r "$stats" ] || { echo "no $stats: is kmag.ko loaded?"; exit 1; }
cpus=""
for d in /sys/devices/system/cpu/cpu[1-9]*; do
	n=${d##*/cpu}
	[ -w "$d/online" ] && [ $((n % 2)) = 1 ] && cpus="$cpus $n"
done
[ -n "$cpus" ] || { echo "no CPU can go offline here [SKIP]"; exit $ksft_skip; }
echo "unplugging CPUs$cpus while the stress runs"
exec 3<"$stats"
"$dir"/../kselftest/module.sh "kmag stress under CPU hotplug" kmag_stress \
	ops_per_cpu="${KMAG_HOTPLUG_OPS:-200000}" >/tmp/kmag_hotplug.out 2>&1 &
pid=$!
rounds=0 bad=0
while kill -0 $pid 2>/dev/null; do
	for c in $cpus; do
		echo 0 >/sys/devices/system/cpu/cpu$c/online || bad=1
	done
	sleep 1
	for c in $cpus; do
		echo 1 >/sys/devices/system/cpu/cpu$c/online || bad=1
	done
	rounds=$((rounds + 1))
	sleep 1
done
wait $pid
rc=$?
cat /tmp/kmag_hotplug.out
dmesg | grep 'kmag_stress: .* operations' | tail -n 1
echo "hot-unplug rounds during the stress: $rounds"
[ $rc = 0 ] || { echo "stress under hotplug failed [FAIL]"; exit 1; }
[ $bad = 0 ] || { echo "a CPU did not go offline or come back [FAIL]"; exit 1; }
[ $rounds -gt 0 ] || { echo "no CPU went offline during the stress [FAIL]"; exit 1; }
for c in $cpus; do
	[ "$(cat /sys/devices/system/cpu/cpu$c/online)" = 1 ] ||
		{ echo "CPU $c still offline [FAIL]"; exit 1; }
done
live=$(stat live_objects)
echo "live_objects after the stress: $live"
[ "$live" = 0 ] || { echo "live_objects should be 0 [FAIL]"; exit 1; }
echo 1 >/sys/kernel/debug/kmag/drain || exit 1
echo "after drain: sys_bytes $(stat sys_bytes), cpu_cache_charged_bytes $(stat cpu_cache_charged_bytes)"
[ "$(stat sys_bytes)" = 0 ] || { echo "memory held with nothing live [FAIL]"; exit 1; }
[ "$(stat cpu_cache_charged_bytes)" = 0 ] || { echo "per-CPU charges left [FAIL]"; exit 1; }
exec 3<&-
echo "kmag hotplug checks: ok"
