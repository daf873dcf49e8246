#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: does kmag give memory back to the kernel after a burst? Measured
# with the kernel's MemFree (/proc/meminfo), not only kmag's counters, and
# side by side with SLUB (kmalloc/kfree of the same sizes) in the same boot.
#
# For slub, then kmag, the kmag_burst module allocates a burst of objects of
# 8 B .. 256 KiB on two CPUs and frees them all (half of them cross-CPU); it
# prints the free pages before the burst, at its peak and after the last free.
# This script then samples the free memory every second for 10 s and once
# more after "echo 2 >/proc/sys/vm/drop_caches": "held" is free memory before
# the load minus free memory now, against the peak deficit (MemFree before
# minus MemFree at the peak, from the module). Free memory is MemFree plus the
# pages on the page allocator's per-CPU free lists (the "count:" lines of
# /proc/zoneinfo): those are free pages too, but MemFree leaves them out, and
# they hold 10 to 30 MiB in a 1 GiB VM, more after a burst of large frees
# than before it; both figures are printed. Then, for each allocator, the
# pressure phase: the same burst, and at once the module takes MemFree
# (before the burst) minus 64 MiB of pages (large blocks with __GFP_NORETRY,
# single pages with __GFP_RETRY_MAYFAIL: reclaim retried, no OOM killer);
# that only works if the memory of the burst comes back under pressure.
#
# kmag passes if it holds at most 5% of the peak deficit at one of the idle
# samples, at most 2% after drop_caches (sampled again for up to 3 s when
# over: see recheck()), and the pressure phase succeeds.
# Two more runs show that the shrinker alone gives the memory back: with
# kmag's scavenge_delay_ms at 60000 (no background release), drop_caches
# right after a burst must leave at most 2%, and the pressure phase runs
# with that delay too. That run also checks /proc/meminfo: kmag's pages
# are slab memory there (SUnreclaim), and SUnreclaim must drop by what the
# shrinker gave back, within the slack.
# Free memory also moves for reasons of its own (the kernel's own slab and
# page cache, kmag's metadata, KASAN's quarantine in a debug kernel): each
# baseline is taken right before each load, and every limit gets a fixed
# 4 MiB of slack for that noise (16 MiB in a kernel with KASAN or kmemleak);
# after drop_caches, kmag's own sys_bytes must also be within it, with no slack.
# SLUB's figures are for comparison; it must
# only pass the pressure phase. kmag is drained before each load, never
# between a load and the samples that follow it.
#
# KMAG_BURST_MB sets the burst size; by default 256 MiB, 128 MiB in a kernel
# with KASAN or kmemleak, at most a third of MemFree.
dir=$(dirname "$0")
kmag=/sys/kernel/debug/kmag
stats=$kmag/stats
SAMPLES=10		# seconds of idle sampling
IDLE_PCT=5		# most of the peak held at the best idle sample
DROP_PCT=2		# most of the peak held after drop_caches=2
SLACK_KB=4096		# kernel noise allowed on top of each limit
TAKE_SLACK_MB=64	# pressure: what the module leaves to the kernel

stat() {
	awk -v k="$1" '$1 == k { print $2 }' "$stats"
}

meminfo() {	# meminfo FIELD: kB
	awk -v k="$1" '$1 == k { print $2 }' /proc/meminfo
}

memfree() {	# kB
	meminfo MemFree:
}

pcpfree() {	# kB on the per-CPU free lists, 4 KiB pages
	awk '$1 == "count:" { n += $2 } END { print n * 4 }' /proc/zoneinfo
}

# freemem: sets free (MemFree, kB) and pcp (per-CPU free lists, kB) from
# one consistent look. The kernel drains the per-CPU lists into MemFree on
# its own (drop_caches, vmstat's decay of the lists, another CPU's drain):
# a drain between the two reads would count its pages twice or not at all
# (once 26 MiB, a false "held"). So the lists are read before and after
# MemFree, and the three reads taken only when the lists did not move by
# more than 1 MiB, retried up to 20 times.
freemem() {
	n=0
	while :; do
		p0=$(pcpfree)
		free=$(memfree)
		pcp=$(pcpfree)
		d=$((pcp - p0))
		[ $d -lt 0 ] && d=$((-d))
		[ $d -le 1024 ] && return
		n=$((n + 1))
		[ $n -lt 20 ] || return
		sleep 0.1
	done
}

# recheck LABEL: kmag's sample after drop_caches, when over the limit, is
# taken again up to 3 times a second apart and the best one counts (each is
# printed): the kernel's free memory moves on its own, and once 26 MiB left
# the per-CPU lists without showing in MemFree in the same look. What kmag
# holds does not go away by waiting (its own sys_bytes is printed, and the
# shrinker-only run has no background release). Uses and updates dropped.
recheck() {
	k=1
	while ! within $dropped $deficit $DROP_PCT && [ $k -le 3 ]; do
		sleep 1
		freemem
		d=$((base + pcp0 - free - pcp))
		echo "kmag_burst: kmag: $1, $k s later: MemFree $(mib "$free") MiB, per-CPU free lists $(mib "$pcp") MiB, held $(mib $d) MiB ($(pct $d $deficit)%), kmag sys_bytes $(($(stat sys_bytes) >> 20)) MiB"
		[ $d -lt $dropped ] && dropped=$d
		k=$((k + 1))
	done
}

mib() {		# kB -> MiB, rounded
	awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'
}

pct() {		# pct HELD_KB DEFICIT_KB
	awk -v h="$1" -v d="$2" 'BEGIN { printf "%.0f", (d > 0 ? 100 * h / d : 0) }'
}

within() {	# within HELD_KB DEFICIT_KB PERCENT: held <= PERCENT% + slack?
	[ $(($1 * 100)) -le $(($2 * $3 + SLACK_KB * 100)) ]
}

drain() {
	echo 1 >"$kmag/drain" || { echo "kmag_burst: drain failed [FAIL]"; exit 1; }
}

# load ALLOCATOR PHASE [ARGS]: drain kmag, take the baseline, load the module;
# sets base (MemFree, kB), pcp0 (per-CPU free lists, kB), mod (ok/FAIL) and
# log (the module's new kernel messages).
load() {
	drain
	lines=$(dmesg | wc -l)
	freemem
	base=$free
	pcp0=$pcp
	mod=ok
	"$dir"/../kselftest/module.sh "kmag burst ($1, $2)" kmag_burst \
		allocator="$1" mb="$mb" phase="$2" ${3:+"$3"} >/dev/null 2>&1 || mod=FAIL
	log=$(dmesg | sed "1,${lines}d" | grep 'kmag_burst: ')
}

show_log() {
	echo "$log" | sed 's/^/    /'
}

failed=0
fail() {
	echo "kmag_burst: $* [FAIL]"
	failed=$((failed + 1))
}

# burst ALLOCATOR: the burst, then idle samples and drop_caches.
burst() {
	a=$1
	load "$a" burst
	echo "$log" | grep -E 'burst of|free pages' | sed 's/^\[[^]]*\] //'
	if [ $mod != ok ]; then
		show_log
		fail "$a: module kmag_burst phase=burst"
		return
	fi
	peak=$(echo "$log" | sed -n 's/.*free pages before [0-9]* peak \([0-9]*\) after.*/\1/p' | tail -n 1)
	deficit=$((base - peak * 4))	# 4 KiB pages
	echo "kmag_burst: $a: before: MemFree $(mib "$base") MiB, per-CPU free lists $(mib "$pcp0") MiB; peak deficit $(mib $deficit) MiB"
	line="kmag_burst: $a: peak deficit $(mib $deficit) MiB; held"
	best=""
	i=1
	while [ $i -le $SAMPLES ]; do
		sleep 1
		freemem
		held=$((base + pcp0 - free - pcp))
		[ -z "$best" ] || [ $held -lt "$best" ] && best=$held
		echo "kmag_burst: $a: after $i s: MemFree $(mib "$free") MiB, per-CPU free lists $(mib "$pcp") MiB, held $(mib $held) MiB ($(pct $held $deficit)%; MemFree alone $(mib $((base - free))) MiB), kmag sys_bytes $(($(stat sys_bytes) >> 20)) MiB"
		[ $i -gt 1 ] && line="$line,"
		line="$line after $i s $(mib $held) MiB ($(pct $held $deficit)%)"
		i=$((i + 1))
	done
	echo 2 >/proc/sys/vm/drop_caches
	freemem
	dropped=$((base + pcp0 - free - pcp))
	echo "kmag_burst: $a: after drop_caches=2: MemFree $(mib "$free") MiB, per-CPU free lists $(mib "$pcp") MiB, held $(mib $dropped) MiB ($(pct $dropped $deficit)%; MemFree alone $(mib $((base - free))) MiB), kmag sys_bytes $(($(stat sys_bytes) >> 20)) MiB"
	echo "$line; after drop_caches=2: $(mib $dropped) MiB ($(pct $dropped $deficit)%)"

	[ "$a" = kmag ] || return
	if [ $((deficit * 4)) -lt $((mb * 1024 * 3)) ]; then
		fail "kmag: the burst of $mb MiB shows as $(mib $deficit) MiB in MemFree"
		return
	fi
	verdict=ok
	within $best $deficit $IDLE_PCT || verdict=FAIL
	echo "kmag_burst: kmag: held at best $(mib $best) MiB ($(pct $best $deficit)%) within $SAMPLES s idle, limit $IDLE_PCT% + $((SLACK_KB / 1024)) MiB [$verdict]"
	[ $verdict = ok ] || failed=$((failed + 1))
	recheck "after drop_caches=2"
	verdict=ok
	within $dropped $deficit $DROP_PCT || verdict=FAIL
	echo "kmag_burst: kmag: held $(mib $dropped) MiB ($(pct $dropped $deficit)%) after drop_caches=2, limit $DROP_PCT% + $((SLACK_KB / 1024)) MiB [$verdict]"
	[ $verdict = ok ] || failed=$((failed + 1))
}

# shrink_now: a kmag burst with no background release, then drop_caches at
# once: only the shrinker can give the memory back.
shrink_now() {
	echo 60000 >"$kmag/scavenge_delay_ms" || { fail "scavenge_delay_ms"; return; }
	load kmag burst
	# /proc/meminfo counts kmag's pages as slab (SUnreclaim here): what
	# the shrinker gives back must leave SUnreclaim as it leaves kmag.
	# kmag's three from one read of stats: the kernel's reclaim may call
	# the shrinker at any time (kswapd after the burst).
	snap=$(cat "$stats")
	su0=$(meminfo SUnreclaim:)
	ku0=$(($(echo "$snap" | awk '$1 == "slab_unreclaimable_bytes" { print $2 }') / 1024))
	kr0=$(($(echo "$snap" | awk '$1 == "slab_reclaimable_bytes" { print $2 }') / 1024))
	sys0=$(($(echo "$snap" | awk '$1 == "sys_bytes" { print $2 }') / 1024))
	echo 2 >/proc/sys/vm/drop_caches
	freemem
	sys_kb=$(($(stat sys_bytes) / 1024))
	su1=$(meminfo SUnreclaim:)
	ku1=$(($(stat slab_unreclaimable_bytes) / 1024))
	echo 1000 >"$kmag/scavenge_delay_ms"
	if [ $mod != ok ]; then
		show_log
		fail "kmag: module kmag_burst phase=burst (shrinker)"
		return
	fi
	peak=$(echo "$log" | sed -n 's/.*free pages before [0-9]* peak \([0-9]*\) after.*/\1/p' | tail -n 1)
	deficit=$((base - peak * 4))
	dropped=$((base + pcp0 - free - pcp))
	recheck "after drop_caches=2 right after the burst"
	verdict=ok
	within $dropped $deficit $DROP_PCT || verdict=FAIL
	# kmag's own view, without the kernel's noise: no slack.
	[ $((sys_kb * 100)) -le $((deficit * DROP_PCT)) ] || verdict=FAIL
	echo "kmag_burst: kmag: held $(mib $dropped) MiB ($(pct $dropped $deficit)%) of a $(mib $deficit) MiB peak after drop_caches=2 right after the burst, scavenger off, shrinker scans $(stat shrinker_scans), kmag sys_bytes $(mib $sys_kb) MiB (per-CPU free lists $(mib "$pcp0") -> $(mib "$pcp") MiB), limit $DROP_PCT% + $((SLACK_KB / 1024)) MiB [$verdict]"
	[ $verdict = ok ] || failed=$((failed + 1))

	# Counted exactly by kmag (unreclaimable + reclaimable = sys_bytes),
	# and the kernel's SUnreclaim moved by what kmag gave back, give or
	# take the slack (other slab users, drop_caches itself).
	verdict=ok
	[ $((ku0 + kr0)) -eq "$sys0" ] || verdict=FAIL
	[ $((ku0 - ku1)) -ge $((mb * 1024 * 3 / 4)) ] || verdict=FAIL
	d=$(((su0 - su1) - (ku0 - ku1)))
	[ $d -le "$SLACK_KB" ] && [ $d -ge $((-SLACK_KB)) ] || verdict=FAIL
	echo "kmag_burst: kmag: /proc/meminfo: SUnreclaim $(mib "$su0") -> $(mib "$su1") MiB while kmag's slab_unreclaimable_bytes went $(mib $ku0) -> $(mib $ku1) MiB (+ reclaimable $(mib $kr0) = sys_bytes $(mib "$sys0") MiB), difference $(mib $d) MiB, limit $((SLACK_KB / 1024)) MiB [$verdict]"
	[ $verdict = ok ] || failed=$((failed + 1))
}

# pressure ALLOCATOR: the burst, then at once MemFree - 64 MiB of pages
# (kmag with no background release: the shrinker must do it).
pressure() {
	a=$1
	drain
	[ "$a" = kmag ] && echo 60000 >"$kmag/scavenge_delay_ms"
	take=$(($(memfree) / 1024 - TAKE_SLACK_MB))
	load "$a" pressure "take_mb=$take"
	[ "$a" = kmag ] && echo 1000 >"$kmag/scavenge_delay_ms"
	took=$(echo "$log" | sed -n 's/.*took \([0-9]*\) MiB of.*/\1/p' | tail -n 1)
	if [ -z "$took" ]; then
		show_log
		fail "$a: pressure: module kmag_burst phase=pressure"
		return
	fi
	verdict=ok
	[ $mod = ok ] || verdict=FAIL
	echo "kmag_burst: $a: pressure: took $took of $take MiB (MemFree $(mib "$base") MiB before a burst of $mb MiB) right after the burst [$verdict]"
	if [ $verdict != ok ]; then
		show_log
		failed=$((failed + 1))
	fi
}

[ -r "$stats" ] || { echo "no $stats: is kmag.ko loaded?"; exit 1; }
if ! /sbin/modprobe -q -n kmag_burst; then
	echo "kmag burst: module kmag_burst is not found [SKIP]"
	exit 4
fi
# An open debugfs file pins kmag.ko (see kmag_stress.sh).
exec 3<"$stats"

debug=0
if [ -e /sys/kernel/debug/kmemleak ] || grep -qw kasan_report /proc/kallsyms; then
	debug=1
	# KASAN's quarantine and kmemleak's metadata (freed after an RCU grace
	# period) come back late and take MemFree with them: more slack.
	SLACK_KB=16384
fi
if [ -n "$KMAG_BURST_MB" ]; then
	mb=$KMAG_BURST_MB
elif [ $debug = 1 ]; then
	mb=128		# debug kernel: everything is slower
else
	mb=256
fi
max=$(($(memfree) / 1024 / 3))
[ "$mb" -le "$max" ] || mb=$max

start=$(date +%s)
for a in slub kmag; do
	burst $a
done
shrink_now
for a in slub kmag; do
	pressure $a
done
drain
exec 3<&-
echo "kmag_burst: done in $(($(date +%s) - start)) s"
if [ $failed -ne 0 ]; then
	echo "kmag burst: $failed checks failed [FAIL]"
	exit 1
fi
echo "kmag burst: kmag gave the memory of a $mb MiB burst back"
