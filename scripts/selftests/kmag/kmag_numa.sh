#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: NUMA locality. First debugfs "nodes": a header, one line per
# node with memory, its lines adding up to "stats" (sys_bytes, inuse_bytes,
# local_allocs + remote_allocs = mallocs - large_allocs). Then, where more
# than one node has memory, the kmag_numa module: phase 1, every online
# CPU allocates and frees locally (16 B .. 4 KiB and a named cache), at
# least 99% of the objects must lie on the CPU's node; phase 2, one node's
# CPUs free another node's objects, and their next allocations must still
# be at least 99% local. With one node with memory the module is skipped.
# KMAG_NUMA_OPS sets phase 1's operations per CPU (default 100000).
dir=$(dirname "$0")
dbg=/sys/kernel/debug/kmag
stats=$dbg/stats
nodes=$dbg/nodes

stat() {
	awk -v k="$1" '$1 == k { print $2 }' "$stats"
}

# Sum of a column of "nodes", by header name.
col_sum() {
	awk -v k="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) c = i; next }
		{ s += $c } END { print s + 0 }' "$nodes"
}

# Nodes in a list such as 0-3,5.
list_count() {
	echo "$1" | tr ',' '\n' | awk -F- 'NF == 1 && $1 != "" { n++ } NF == 2 { n += $2 - $1 + 1 } END { print n + 0 }'
}

[ -r "$nodes" ] || { echo "no $nodes: is kmag.ko loaded?"; exit 1; }
exec 3<"$stats"	# pins kmag.ko, as kmag_stress.sh explains
header="node cpus sys_bytes inuse_bytes depot_bytes local_allocs remote_allocs remote_frees"
[ "$(head -n 1 "$nodes")" = "$header" ] || { echo "nodes: unexpected header [FAIL]"; cat "$nodes"; exit 1; }
mem_nodes=$(list_count "$(cat /sys/devices/system/node/has_memory 2>/dev/null || echo 0)")
lines=$(($(wc -l <"$nodes") - 1))
echo "nodes with memory: $mem_nodes, lines in $nodes: $lines"
[ "$lines" = "$mem_nodes" ] || { echo "one line per node with memory [FAIL]"; exit 1; }

# Nothing allocates meanwhile, but the reclaimer may give pages back
# between two reads: the lines must add up exactly once a read of "nodes"
# falls between two identical reads of "stats" (tried for up to 10 s).
check_sums() {
	tries=0
	while :; do
		before=$(cat "$stats")
		nsys=$(col_sum sys_bytes) ninuse=$(col_sum inuse_bytes)
		nallocs=$(($(col_sum local_allocs) + $(col_sum remote_allocs)))
		sys=$(stat sys_bytes) inuse=$(stat inuse_bytes)
		small=$(($(stat mallocs) - $(stat large_allocs)))
		if [ "$before" = "$(cat "$stats")" ]; then
			[ "$sys" = "$nsys" ] && [ "$inuse" = "$ninuse" ] &&
				[ "$small" = "$nallocs" ] && break
		fi
		tries=$((tries + 1))
		if [ $tries -ge 10 ]; then
			echo "$1: sys_bytes $sys = $nsys, inuse_bytes $inuse = $ninuse, small mallocs $small = $nallocs"
			echo "nodes does not add up to stats [FAIL]"
			cat "$nodes"
			exit 1
		fi
		sleep 1
	done
	echo "$1: sys_bytes $sys = $nsys, inuse_bytes $inuse = $ninuse, small mallocs $small = $nallocs"
}
check_sums "before"
cat "$nodes"

if [ "$mem_nodes" -lt 2 ]; then
	echo "kmag numa: one node with memory, no locality to measure [SKIP]"
	exec 3<&-
	exit 4
fi
"$dir"/../kselftest/module.sh "kmag numa" kmag_numa ops_per_cpu="${KMAG_NUMA_OPS:-100000}"
rc=$?
dmesg | grep 'kmag_numa: phase' | grep -v ': cpu '
cat "$nodes"
check_sums "after"
exec 3<&-
exit $rc
