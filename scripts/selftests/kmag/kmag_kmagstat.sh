#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: kmagstat (scripts/kmagstat/) against the real debugfs files.
# With kmag_example.ko's objects live: -o shows the totals and one row per
# slabinfo cache, its live objects agree with stats, the rows are sorted by
# span_bytes. While kmag_stress.ko runs (about 6 s, calibrated by a short
# load first): -s o puts first the cache whose mallocs + frees grew most
# over a window around kmagstat's two reads (counted here from slabinfo).
# A directory that does not exist: exit 1, one line; a bad option: exit 2.
kmag=/sys/kernel/debug/kmag
failed=0

command -v kmagstat >/dev/null || { echo "kmagstat not in PATH: skip"; exit 4; }
[ -r "$kmag/stats" ] || { echo "no $kmag/stats: is kmag.ko loaded? [FAIL]"; exit 1; }
[ -r "$kmag/slabinfo" ] || { echo "no $kmag/slabinfo [FAIL]"; exit 1; }
# An open debugfs file pins kmag.ko (module.sh-style unloads elsewhere).
exec 3<"$kmag/stats"

fail() {
	echo "kmagstat: $* [FAIL]"
	failed=$((failed + 1))
}

stat() {
	awk -v k="$1" '$1 == k { print $2 }' "$kmag/stats"
}

# slabinfo_col COLUMN...: "name value" per cache, value the sum of the
# columns, found by header name.
slabinfo_col() {
	awk -v cols="$*" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; n = split(cols, want); next }
		{ v = 0; for (i = 1; i <= n; i++) v += $(c[want[i]]); printf "%s %.0f\n", $(c["name"]), v }' \
		"$kmag/slabinfo"
}

# rows FILE: the cache rows of a kmagstat screen (after the NAME header).
rows() {
	sed '1,/^NAME /d' "$1"
}

modprobe kmag_example || { echo "modprobe kmag_example failed [FAIL]"; exit 1; }

# 1. Totals and rows, live objects as stats has them (two identical stats
# reads around kmagstat's one read; up to 5 tries, the reclaimer runs).
ok=0
for try in 1 2 3 4 5; do
	live0=$(stat live_objects)
	kmagstat -o -d 0 -b >/tmp/ks.out || fail "kmagstat -o exit $?"
	names=$(slabinfo_col span_bytes | sort)
	live1=$(stat live_objects)
	[ "$live0" = "$live1" ] || continue
	if [ "$(awk '/^Objects:/ { print $2 }' /tmp/ks.out)" = "$live0" ] &&
	   [ "$(rows /tmp/ks.out | awk '{ print $1, $8 }' | sort)" = "$names" ]; then
		ok=1
		break
	fi
done
cat /tmp/ks.out
[ $ok = 1 ] || fail "live objects ($live0) or cache rows differ from stats/slabinfo"
for t in Objects: Heap: Cached:; do
	grep -q "^$t" /tmp/ks.out || fail "no '$t' line in the totals"
done
[ "$(awk '$1 == "kmag-8"' /tmp/ks.out)" ] || fail "no kmag-8 row"
[ "$(awk '$1 == "kmag_example_msg"' /tmp/ks.out)" ] || fail "no row for the example's named cache"
rows /tmp/ks.out | awk 'NR > 1 && $8 > prev { exit 1 } { prev = $8 }' ||
	fail "-o is not sorted by span_bytes"
echo "kmagstat: -o totals, $(rows /tmp/ks.out | wc -l) cache rows, live objects $live0, sorted by memory: ok"
rmmod kmag_example || fail "rmmod kmag_example"

# 2. Sort by ops/s under load. Calibrate: how long 20000 operations per
# CPU take here (TCG, KASAN), then a load of about 6 s.
insmod /modules/kmag_stress.ko ops_per_cpu=20000 || fail "calibration load of kmag_stress"
ms=$(dmesg | sed -n 's/.*kmag_stress: [0-9]* operations on [0-9]* CPUs in \([0-9]*\) ms.*/\1/p' | tail -n 1)
rmmod kmag_stress
ops=$((20000 * 6000 / (${ms:-1000} + 1)))
[ $ops -ge 20000 ] || ops=20000
[ $ops -le 5000000 ] || ops=5000000
echo "kmagstat: 20000 operations per CPU took ${ms:-?} ms; loading kmag_stress with ops_per_cpu=$ops"
insmod /modules/kmag_stress.ko ops_per_cpu=$ops &
load=$!
i=0
while ! grep -q '^kmag_stress ' "$kmag/slabinfo" && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.5
slabinfo_col mallocs frees >/tmp/ks.before
kmagstat -o -s o -d 1 -b >/tmp/ks.ops || fail "kmagstat -o -s o exit $?"
slabinfo_col mallocs frees >/tmp/ks.after
wait $load || fail "kmag_stress load failed"
rmmod kmag_stress
cat /tmp/ks.ops
busiest=$(awk 'NR == FNR { b[$1] = $2; next } ($1 in b) && $2 - b[$1] > max { max = $2 - b[$1]; n = $1 }
	END { print n }' /tmp/ks.before /tmp/ks.after)
first=$(rows /tmp/ks.ops | awk 'NR == 1 { print $1, $NF }')
echo "kmagstat: busiest cache over the window: $busiest; first by ops/s: $first"
[ -n "$busiest" ] || fail "no cache was busy while kmag_stress ran"
[ "${first% *}" = "$busiest" ] || fail "-s o does not put the busiest cache ($busiest) first"
[ "${first#* }" -gt 0 ] 2>/dev/null || fail "the first cache's ops/s is not positive"
rows /tmp/ks.ops | awk 'NR > 1 && $NF > prev { exit 1 } { prev = $NF }' ||
	fail "-s o is not sorted by ops/s"
[ "$(awk '/^Objects:/ { print $4 }' /tmp/ks.ops)" -gt 0 ] 2>/dev/null ||
	fail "mallocs/s not positive under load"

# 3. Bad input.
rc=0
kmagstat -o -D /nonexistent/kmag >/dev/null 2>/tmp/ks.err || rc=$?
cat /tmp/ks.err
[ $rc = 1 ] || fail "missing directory: exit $rc, not 1"
[ "$(wc -l </tmp/ks.err)" = 1 ] || fail "missing directory: not one line"
grep -q '^kmagstat: /nonexistent/kmag/stats: No such file or directory' /tmp/ks.err ||
	fail "missing directory: the line does not say which file and why"
rc=0
kmagstat -s x >/dev/null 2>/tmp/ks.err || rc=$?
[ $rc = 2 ] || fail "bad option: exit $rc, not 2"
grep -q '^usage: kmagstat' /tmp/ks.err || fail "bad option: no usage"

exec 3<&-
[ $failed = 0 ] || exit 1
echo "kmagstat: all checks passed"
