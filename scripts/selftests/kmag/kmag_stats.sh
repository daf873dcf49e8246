#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: kmag's statistics files agree with each other and with a
# known state. kmag_statgen.ko holds 1000 kmag_alloc(100) objects and 500
# objects of a cache "kmag_stat_cache" (200 bytes), with 8 more of that
# cache freed into one CPU's magazines, until it is unloaded. Checked:
#   stats    the Go MemStats names are there and add up (heap_sys =
#            heap_inuse + heap_idle, heap_objects = live_objects, ...),
#            internal_frag_permille = live_roundup_bytes * 1000 /
#            live_requested_bytes;
#   classes  inuse_bytes = live_objects * size, idle_bytes = span bytes -
#            inuse_bytes, on every row;
#   slabinfo its header; a row per cache (every class and the named one),
#            the named cache's values (500 live, 200-byte objects), the
#            same arithmetic; classes' live objects as in classes;
#   caches/kmag_stat_cache/  one file per counter, equal to its "stats"
#            file and to slabinfo;
#   percpu   the module's CPU holds at least the 8 rounds of the cache, a
#            "*" line per online CPU, hit_pct between 0 and 100, and
#            (no KASAN quarantine) the rounds add up to magazine_bytes.
kmag=/sys/kernel/debug/kmag
mod=kmag_statgen
cname=kmag_stat_cache

[ -r "$kmag/stats" ] || { echo "no $kmag/stats: is kmag.ko loaded? [FAIL]"; exit 1; }
if ! /sbin/modprobe -q -n $mod; then
	echo "kmag stats: module $mod is not found [FAIL]"
	exit 1
fi
exec 3<"$kmag/stats"	# keep kmag.ko loaded (see kmag_stress.sh)
failed=0
fail_msg() {
	echo "kmag stats: $* [FAIL]"
	failed=$((failed + 1))
}
val() {	# val NAME [FILE]: a value of a "name value" file
	awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print "missing" }' \
		"${2:-$tmp/stats}"
}

echo 1 >$kmag/drain
/sbin/modprobe $mod || { echo "kmag stats: modprobe $mod failed [FAIL]"; exit 1; }
tmp=/tmp/kmag_stats.$$
mkdir -p $tmp
cat $kmag/stats >$tmp/stats
cat $kmag/classes >$tmp/classes
cat $kmag/slabinfo >$tmp/slabinfo
cat $kmag/percpu >$tmp/percpu
cdir=$kmag/caches/$cname

# stats: the MemStats names, each equal to what it mirrors.
for pair in heap_objects:live_objects heap_alloc:alloc_bytes \
	    heap_inuse:inuse_bytes heap_released:heap_released_bytes; do
	a=$(val "${pair%%:*}") b=$(val "${pair##*:}")
	[ "$a" = "$b" ] && [ "$a" != missing ] ||
		fail_msg "stats ${pair%%:*} $a != ${pair##*:} $b"
done
sys=$(val heap_sys) inuse=$(val heap_inuse) idle=$(val heap_idle)
[ "$sys" = $((inuse + idle)) ] || fail_msg "heap_sys $sys != heap_inuse $inuse + heap_idle $idle"
[ "$idle" = $(($(val free_span_bytes) + $(val heap_released_bytes))) ] ||
	fail_msg "heap_idle $idle != free_span_bytes + heap_released_bytes"
req=$(val live_requested_bytes) ru=$(val live_roundup_bytes) pm=$(val internal_frag_permille)
# At least the held objects: 1000 x 100 bytes (112-byte class) and 500 x
# 200. The class's share is estimated from its mean request since load,
# which other tests' loads move: only its sign is certain.
[ "$req" -ge 200000 ] || fail_msg "live_requested_bytes $req < 200000"
[ "$ru" -gt 0 ] || fail_msg "live_roundup_bytes $ru <= 0 (1000 x 100 in 112)"
[ "$pm" = $((ru * 1000 / req)) ] || fail_msg "internal_frag_permille $pm != $ru * 1000 / $req"

# classes: the two new columns, on every row.
head -1 $tmp/classes | grep -q ' frees inuse_bytes idle_bytes$' ||
	fail_msg "classes header: $(head -1 $tmp/classes)"
bad=$(awk 'NR > 1 && ($10 != $6 * $2 || $11 != $5 * $3 * 4096 - $10) { print }' $tmp/classes)
[ -z "$bad" ] || fail_msg "classes rows do not add up: $bad"

# slabinfo: header, one row per cache, the named cache's values.
hdr="name size object_size span_pages objs_per_span spans live_objects total_objects mallocs frees inuse_bytes idle_bytes span_bytes"
[ "$(head -1 $tmp/slabinfo)" = "$hdr" ] || fail_msg "slabinfo header: $(head -1 $tmp/slabinfo)"
bad=$(awk 'NR > 1 && (NF != 13 || $13 != $6 * $4 * 4096 || $11 != $7 * $2 ||
	    $12 != $13 - $11 || $8 != $6 * $5) { print }' $tmp/slabinfo)
[ -z "$bad" ] || fail_msg "slabinfo rows do not add up: $bad"
nclasses=$(($(wc -l <$tmp/classes) - 1))
n=$(awk 'NR > 1 && $1 ~ /^kmag-[0-9]+$/' $tmp/slabinfo | wc -l)
[ "$n" = "$nclasses" ] || fail_msg "slabinfo has $n class rows, classes $nclasses"
# Each class's live objects as classes has them (same read order: the
# module holds its objects, nothing else runs).
bad=$(awk 'FNR == 1 { next } NR == FNR { live["kmag-" $2] = $6; next }
	   $1 in live && live[$1] != $7 { print $1, live[$1], $7 }' $tmp/classes $tmp/slabinfo)
[ -z "$bad" ] || fail_msg "slabinfo and classes differ: $bad"
row=$(awk -v n=$cname '$1 == n' $tmp/slabinfo)
set -- $row
[ "$1" = $cname ] || fail_msg "no slabinfo row for $cname"
[ "$3" = 200 ] && [ "$7" = 500 ] ||
	fail_msg "slabinfo $cname: object_size $3 live $7, want 200 and 500"
[ "$9" -ge 508 ] && [ "${10}" -ge 8 ] ||
	fail_msg "slabinfo $cname: mallocs $9 frees ${10}, want >= 508 and >= 8"
slab_spans=$6 slab_size=$2

# caches/<name>/: a file per counter, equal to its stats file.
[ -d "$cdir" ] || fail_msg "no $cdir"
cat "$cdir/stats" >$tmp/cstats 2>/dev/null
for f in size object_size span_pages objs_per_span spans objects total_objects \
	 mallocs frees magazine_misses alloc_failures requested_bytes \
	 live_requested_bytes span_bytes inuse_bytes idle_bytes depot_bytes \
	 magazine_bytes magazine_size magazine_max depot_max flags; do
	v=$(cat "$cdir/$f" 2>/dev/null)
	[ -n "$v" ] && [ "$v" = "$(val $f $tmp/cstats)" ] ||
		fail_msg "caches/$cname/$f '$v' != stats '$(val $f $tmp/cstats)'"
done
# The values themselves (each file was just seen equal to its stats line).
objects=$(val objects $tmp/cstats) live_req=$(val live_requested_bytes $tmp/cstats)
[ "$objects" = 500 ] || fail_msg "caches/$cname/objects $objects != 500"
[ "$(val spans $tmp/cstats)" = "$slab_spans" ] || fail_msg "caches/$cname/spans != slabinfo"
[ "$(val requested_bytes $tmp/cstats)" = $(( $(val mallocs $tmp/cstats) * 200 )) ] ||
	fail_msg "caches/$cname/requested_bytes != mallocs x 200"
[ "$live_req" = 100000 ] || fail_msg "caches/$cname/live_requested_bytes $live_req != 100000"

# percpu: the module's CPU holds the 8 rounds; a total line per CPU.
cpu=$(dmesg | awk '/kmag_statgen: objects on cpu/ { c = $NF } END { print c }')
head -1 $tmp/percpu | grep -qx 'cpu cache rounds bytes allocs frees misses hit_pct' ||
	fail_msg "percpu header: $(head -1 $tmp/percpu)"
row=$(awk -v c="$cpu" -v n=$cname '$1 == c && $2 == n' $tmp/percpu)
set -- $row
# The 8 freed, and what is left of the last refill.
[ "${3:-0}" -ge 8 ] && [ "$4" = $(($3 * slab_size)) ] ||
	fail_msg "percpu: cpu $cpu $cname rounds '$3' bytes '$4', want >= 8 and rounds x $slab_size"
ncpu=$(grep -c '^processor' /proc/cpuinfo)
n=$(awk '$2 == "*"' $tmp/percpu | wc -l)
[ "$n" = "$ncpu" ] || fail_msg "percpu: $n total lines for $ncpu online CPUs"
bad=$(awk 'NR > 1 && (NF != 8 || $8 + 0 < 0 || $8 + 0 > 100)' $tmp/percpu)
[ -z "$bad" ] || fail_msg "percpu rows malformed: $bad"
# Outside KASAN kernels (whose quarantine also holds freed objects), the
# magazines hold what stats says they do. KASAN is seen in kallsyms, not in
# the kernel log, which earlier tests may have wrapped.
if ! grep -q ' __asan_load8$' /proc/kallsyms; then
	sum=$(awk '$2 == "*" { s += $4 } END { print s + 0 }' $tmp/percpu)
	mb=$(val magazine_bytes)
	[ "$sum" = "$mb" ] || fail_msg "percpu bytes $sum != stats magazine_bytes $mb"
	sum=$(awk -v n=$cname '$2 == n { s += $4 } END { print s + 0 }' $tmp/percpu)
	mb=$(val magazine_bytes $tmp/cstats)
	[ "$sum" = "$mb" ] || fail_msg "percpu $cname bytes $sum != caches/$cname magazine_bytes $mb"
fi

/sbin/modprobe -r $mod || fail_msg "modprobe -r $mod failed"
[ -d "$cdir" ] && fail_msg "$cdir left after the cache was destroyed"
rm -rf $tmp
[ $failed -eq 0 ] || { echo "kmag stats: $failed checks failed [FAIL]"; exit 1; }
echo "kmag stats: ok"
