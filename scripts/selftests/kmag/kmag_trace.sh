#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: kmag's tracepoints (kmod/kmag_trace.h). With events/kmag/
# enabled, kmag_tracegen.ko makes 5 kmag_alloc(100), 3 kmag_alloc(40000)
# and 4 kmag_cache_alloc() from "kmag_trace_cache" (200-byte objects), and
# frees them all; the trace must hold exactly: 8 kmag_alloc (100 -> 112
# bytes, 40000 -> 40960), 3 kmag_large_alloc each right after the
# kmag_alloc of the same object, 4 kmag_cache_alloc (200/200, the cache's
# name), 8 kmag_free and 4 kmag_cache_free of the same pointers, each with
# call_site in kmag_tracegen_run(), gfp_flags=GFP_KERNEL and node=-1, and
# every event's format must list kmem's fields. With the events disabled,
# the same run must record nothing. Needs tracefs (mounted here if it is
# not): without it, SKIP. The trace is read twice: pointers with
# options/hash-ptr off (early in a boot, hashed pointers all print as
# "(____ptrval____)"), the rest with it on (6.1's output with it off loses
# the %s fields that follow a %p).
kmag=/sys/kernel/debug/kmag
stats=$kmag/stats
mod=kmag_tracegen

[ -r "$stats" ] || { echo "no $stats: is kmag.ko loaded? [FAIL]"; exit 1; }
if ! /sbin/modprobe -q -n $mod; then
	echo "kmag trace: module $mod is not found [FAIL]"
	exit 1
fi
t=/sys/kernel/tracing
[ -e $t/trace ] || mount -t tracefs nodev $t 2>/dev/null
[ -e $t/trace ] || t=/sys/kernel/debug/tracing
if [ ! -e $t/trace ]; then
	echo "kmag trace: no tracefs (mount -t tracefs nodev /sys/kernel/tracing failed) [SKIP]"
	exit 4
fi
ev=$t/events/kmag
[ -d $ev ] || { echo "kmag trace: no $ev: kmag.ko has no tracepoints [FAIL]"; exit 1; }
exec 3<"$stats"	# keep kmag.ko loaded (see kmag_stress.sh)
failed=0
fail_msg() {
	echo "kmag trace: $* [FAIL]"
	failed=$((failed + 1))
}

# Each event's fields, as kmem:kmalloc, kmem:kfree, kmem:kmem_cache_free.
alloc_fields="call_site ptr bytes_req bytes_alloc gfp_flags node"
for e in kmag_alloc kmag_large_alloc kmag_cache_alloc kmag_free kmag_cache_free; do
	case $e in
	kmag_alloc | kmag_large_alloc) fields=$alloc_fields ;;
	kmag_cache_alloc) fields="$alloc_fields name" ;;
	kmag_free) fields="call_site ptr" ;;
	kmag_cache_free) fields="call_site ptr name" ;;
	esac
	if [ ! -r $ev/$e/format ]; then
		fail_msg "no event kmag:$e"
		continue
	fi
	for f in $fields; do
		grep -q "field:.*[ *]$f;" $ev/$e/format ||
			fail_msg "kmag:$e has no field $f"
	done
done

# State to put back at the end.
was_on=$(cat $t/tracing_on)
was_hash=$(cat $t/options/hash-ptr 2>/dev/null)
was_enabled=""
for e in "$ev"/*/enable; do
	was_enabled="$was_enabled $e=$(cat "$e")"
done

# gen: load kmag_tracegen (its run is in init), set recs to the kmag
# events in the trace, one per line, "event site module ptr bytes_req
# bytes_alloc gfp_flags node name" ('-' where the event has no such field),
# and unload it (call_site names it only while it is loaded).
gen() {
	: >$t/trace
	if ! /sbin/modprobe -q $mod; then
		dmesg | grep "$mod: " | tail -n 3
		fail_msg "$mod failed"
	fi
	echo 0 >$t/tracing_on	# the buffer holds still while read twice
	raw=$(grep ': kmag_' $t/trace)
	ptrs=""
	if [ -n "$was_hash" ]; then
		echo 0 >$t/options/hash-ptr
		ptrs=$(grep ': kmag_' $t/trace | sed 's/.* ptr=\([^ ]*\).*/\1/')
		echo 1 >$t/options/hash-ptr
	fi
	recs=$(echo "$raw" | awk -v ptrs="$ptrs" '
	BEGIN { np = split(ptrs, ptr, "\n") }
	{
		for (i = 1; i <= NF; i++)
			if ($i ~ /^kmag_[a-z_]+:$/)
				break;
		if (i > NF)
			next;
		e = substr($i, 1, length($i) - 1);
		split("call_site ptr bytes_req bytes_alloc gfp_flags node name", k, " ");
		for (n in k)
			v[k[n]] = "-";
		m = "-";
		for (j = i + 1; j <= NF; j++) {
			if ($j ~ /^\[.*\]$/) {
				m = substr($j, 2, length($j) - 2);
				continue;
			}
			p = index($j, "=");
			if (p)
				v[substr($j, 1, p - 1)] = substr($j, p + 1);
		}
		if (np)
			v["ptr"] = ptr[++r];
		site = v["call_site"];
		sub(/\+.*/, "", site);
		print e, site, m, v["ptr"], v["bytes_req"], v["bytes_alloc"],
		      v["gfp_flags"], v["node"], v["name"];
	}')
	echo 1 >$t/tracing_on
	/sbin/modprobe -q -r $mod || fail_msg "rmmod $mod"
}

# count REGEX: records matching it.
count() {
	echo "$recs" | grep -cE "$1"
}

# expect_count N WHAT REGEX
expect_count() {
	n=$(count "$3")
	[ "$n" -eq "$1" ] || fail_msg "$2: $n events, expected $1"
}

# ptrs EVENT [BYTES_REQ]: the pointers of EVENT's records, sorted.
ptrs() {
	echo "$recs" | awk -v e="$1" -v r="${2:-}" \
		'$1 == e && (r == "" || $5 == r) { print $4 }' | sort
}

echo 1 >$t/tracing_on
echo 1 >$ev/enable
gen
echo 0 >$ev/enable
site="kmag_tracegen_run $mod"
any=" [^ ]+ "
expect_count 5 "kmag_alloc(100)" "^kmag_alloc $site${any}100 112 GFP_KERNEL -1 -$"
expect_count 3 "kmag_alloc(40000)" "^kmag_alloc $site${any}40000 40960 GFP_KERNEL -1 -$"
expect_count 3 "kmag_large_alloc" "^kmag_large_alloc $site${any}40000 40960 GFP_KERNEL -1 -$"
expect_count 4 "kmag_cache_alloc" "^kmag_cache_alloc $site${any}200 200 GFP_KERNEL -1 kmag_trace_cache$"
expect_count 8 "kmag_free" "^kmag_free $site${any}- - - - -$"
expect_count 4 "kmag_cache_free" "^kmag_cache_free $site${any}- - - - kmag_trace_cache$"
expect_count 27 "all from $mod" "^kmag_[a-z_]+ [^ ]+ $mod "
[ "$(ptrs kmag_alloc | uniq | wc -l | tr -d ' ')" -eq 8 ] ||
	fail_msg "kmag_alloc: not 8 different pointers: $(ptrs kmag_alloc | tr '\n' ' ')"
[ "$(ptrs kmag_alloc)" = "$(ptrs kmag_free)" ] ||
	fail_msg "kmag_free pointers are not kmag_alloc's"
[ "$(ptrs kmag_alloc 40000)" = "$(ptrs kmag_large_alloc)" ] ||
	fail_msg "kmag_large_alloc pointers are not those of kmag_alloc(40000)"
[ "$(ptrs kmag_cache_alloc | uniq | wc -l | tr -d ' ')" -eq 4 ] ||
	fail_msg "kmag_cache_alloc: not 4 different pointers"
[ "$(ptrs kmag_cache_alloc)" = "$(ptrs kmag_cache_free)" ] ||
	fail_msg "kmag_cache_free pointers are not kmag_cache_alloc's"
# Each kmag_large_alloc right after the kmag_alloc of its object.
bad=$(echo "$recs" | awk '$1 == "kmag_large_alloc" && !(pe == "kmag_alloc" && pp == $4) { n++ }
	{ pe = $1; pp = $4 } END { print n + 0 }')
[ "$bad" -eq 0 ] || fail_msg "$bad kmag_large_alloc not right after their kmag_alloc"
if [ -n "$was_hash" ]; then
	for p in $(ptrs kmag_large_alloc); do
		case $p in
		*000) ;;
		*) fail_msg "large object $p is not page-aligned" ;;
		esac
	done
fi
if [ $failed -eq 0 ]; then
	echo "kmag trace: enabled: the 27 events expected [ok]"
else
	echo "$recs" | sed 's/^/    /'
fi

# Disabled: nothing.
before=$failed
gen
if [ -n "$recs" ]; then
	fail_msg "disabled: kmag events recorded"
	echo "$raw" | sed 's/^/    /'
fi
[ $failed -eq "$before" ] && echo "kmag trace: disabled: no events [ok]"

for e in $was_enabled; do
	echo "${e##*=}" >"${e%=*}"
done
[ -n "$was_hash" ] && echo "$was_hash" >$t/options/hash-ptr
echo "$was_on" >$t/tracing_on
exec 3<&-
[ $failed -eq 0 ] || { echo "kmag trace: $failed checks failed [FAIL]"; exit 1; }
echo "kmag trace: ok"
