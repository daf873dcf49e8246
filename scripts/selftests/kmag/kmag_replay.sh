#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: kmag_replay.ko (README, "Trace replay"). The shipped trace
# (kmag_replay.ops.gz, next to this script) replayed through kmag: the load
# succeeds (every allocation did), and kmag's live objects are back to
# their value before. Then malformed op files, each of which the load must
# refuse with EINVAL, a kernel log line naming the byte offset and the
# problem, kmag's live objects unchanged and the module not left loaded:
# the shipped file truncated at several offsets (header, cache table, ops)
# and with a bad magic; hand-made files with a free of a slot never
# allocated, a double free, a slot out of range, an unknown op type, a
# size too large, trailing bytes; the same hand-made file unbroken must
# load.
dir=$(cd "$(dirname "$0")" && pwd)
stats=/sys/kernel/debug/kmag/stats
mod=kmag_replay
tmp=/tmp/kmag_replay.$$
failed=0

stat() {
	awk -v k="$1" '$1 == k { print $2 }' "$stats"
}
fail() {
	echo "kmag replay: $* [FAIL]"
	failed=$((failed + 1))
}

[ -r "$stats" ] || { echo "no $stats: is kmag.ko loaded? [FAIL]"; exit 1; }
/sbin/modprobe -q -n $mod || { echo "kmag replay: module $mod is not found [FAIL]"; exit 1; }
exec 3<"$stats"	# keep kmag.ko loaded (see kmag_stress.sh)
mkdir -p $tmp || exit 1
trap 'rm -rf $tmp' EXIT
zcat "$dir/kmag_replay.ops.gz" >$tmp/trace.ops || { echo "kmag replay: no shipped trace [FAIL]"; exit 1; }
size=$(wc -c <$tmp/trace.ops)

# The shipped trace through kmag.
live0=$(stat live_objects)
if /sbin/modprobe $mod path=$tmp/trace.ops mode=kmag; then
	dmesg | grep "$mod: $tmp/trace.ops: .* ops replayed" | tail -n 1
	/sbin/modprobe -r $mod || fail "unload after the replay"
else
	fail "the shipped trace did not replay: $(dmesg | grep "$mod:" | tail -n 2)"
fi
[ "$(stat live_objects)" = "$live0" ] ||
	fail "live_objects $live0 before the replay, $(stat live_objects) after"

# refused FILE MIN MAX WHAT: the load fails with EINVAL, the log names an
# offset in MIN .. MAX and WHAT, nothing stays allocated.
refused() {
	live=$(stat live_objects)
	if /sbin/modprobe $mod path="$1" mode=kmag 2>$tmp/err; then
		fail "$1 ($4) was accepted"
		/sbin/modprobe -r $mod
		return
	fi
	grep -q 'Invalid argument' $tmp/err || fail "$1: not EINVAL: $(cat $tmp/err)"
	line=$(dmesg | grep "$mod: $1: offset " | tail -n 1)
	off=$(echo "$line" | sed -n 's/.*: offset \([0-9]*\): .*/\1/p')
	if [ -z "$off" ] || [ "$off" -lt "$2" ] || [ "$off" -gt "$3" ]; then
		fail "$1 ($4): expected an offset in $2 .. $3 in the log, got: ${line:-nothing}"
	fi
	echo "$line" | grep -q "$4" || fail "$1: expected '$4' in: $line"
	[ "$(stat live_objects)" = "$live" ] || fail "$1: live_objects $live -> $(stat live_objects)"
	grep -q "^$mod " /proc/modules && fail "$1: $mod stayed loaded"
	echo "kmag replay: refused as expected: ${line#*] }"
}

# Truncated: in the header, in the cache table, in the ops.
n=0
for cut in 0 20 $((32 + 44 + 10)) $((size / 2)) $((size - 3)); do
	n=$((n + 1))
	head -c $cut $tmp/trace.ops >$tmp/cut$n.ops
	if [ $cut -lt 32 ]; then
		refused $tmp/cut$n.ops $cut $cut "truncated header\\|empty file"
	elif [ $cut -lt 120 ]; then
		refused $tmp/cut$n.ops 76 76 "truncated cache entry 1"
	else
		# The record cut in two starts at most 11 bytes before the cut.
		refused $tmp/cut$n.ops $((cut - 11)) $cut "truncated"
	fi
done
cp $tmp/trace.ops $tmp/magic.ops
printf 'XMAG' | dd of=$tmp/magic.ops conv=notrunc 2>/dev/null
refused $tmp/magic.ops 0 0 "bad magic"

# Hand-made files: one kmalloc-type slot and one 64-byte cache.
u32() {	# u32 N...: little-endian 32-bit words
	for v in "$@"; do
		printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((v & 255)) $((v >> 8 & 255)) \
			$((v >> 16 & 255)) $((v >> 24 & 255)))"
	done
}
head_() {	# head_ NR_OPS: header, 2 slots, cache 0 "t" of 64 bytes
	printf 'KMAGOPS\000'
	u32 1 1 2 "$1" 0 0
	u32 0 64 8
	printf 't'
	head -c 31 /dev/zero
}
alloc() {	# alloc SLOT SIZE [CACHE]: kmalloc-type unless CACHE
	printf '\001\000'
	if [ -n "${3:-}" ]; then printf '\000\000'; else printf '\377\377'; fi
	u32 "$1" "$2"
}
free_() {	# free_ SLOT
	printf '\002\000\000\000'
	u32 "$1"
}
ops=$((32 + 44))	# offset of the first op
{ head_ 4; alloc 0 100; alloc 1 64 c; free_ 0; free_ 1; } >$tmp/good.ops
if /sbin/modprobe $mod path=$tmp/good.ops mode=kmag; then
	/sbin/modprobe -r $mod
else
	fail "the hand-made file was refused: $(dmesg | grep "$mod:" | tail -n 1)"
fi
{ head_ 2; alloc 0 100; free_ 1; } >$tmp/unknown.ops
refused $tmp/unknown.ops $((ops + 12 + 4)) $((ops + 12 + 4)) "free of slot 1, never allocated or already freed"
{ head_ 3; alloc 0 100; free_ 0; free_ 0; } >$tmp/double.ops
refused $tmp/double.ops $((ops + 20 + 4)) $((ops + 20 + 4)) "free of slot 0, never allocated or already freed"
{ head_ 2; alloc 0 100; free_ 7; } >$tmp/range.ops
refused $tmp/range.ops $((ops + 12 + 4)) $((ops + 12 + 4)) "slot 7 out of range"
{ head_ 2; alloc 0 100; printf '\011\000\000\000'; u32 0; } >$tmp/type.ops
refused $tmp/type.ops $((ops + 12)) $((ops + 12)) "unknown op type 9"
{ head_ 1; alloc 0 $((5 << 20)); } >$tmp/size.ops
refused $tmp/size.ops $((ops + 8)) $((ops + 8)) "size 5242880"
{ head_ 1; alloc 0 100; printf 'xy'; } >$tmp/trailing.ops
refused $tmp/trailing.ops $((ops + 12)) $((ops + 12)) "2 trailing bytes"

[ "$(stat live_objects)" = "$live0" ] ||
	fail "live_objects $live0 at the start, $(stat live_objects) at the end"
if [ $failed -ne 0 ]; then
	echo "kmag replay: $failed checks failed [FAIL]"
	exit 1
fi
echo "kmag replay: shipped trace replayed, malformed files refused [PASS]"
exit 0
