#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: hostile clients. Loads the kmag_hostile module once per case
# (double frees in any order, on one or two CPUs, racing; frees of pointers
# kmag never handed out) and checks kmag's debugfs stats around each load:
# double_frees and invalid_frees must grow by exactly the expected counts
# and live_objects must come back to where it was. kmag is drained before
# each case (magazines start empty) and after it, when no further report
# may appear. The module itself checks that no object is handed out twice.
# The last cases (racing large frees) come last because a kmag that gets
# them wrong may crash.
dir=$(dirname "$0")
kmag=/sys/kernel/debug/kmag
stats=$kmag/stats

stat() {
	awk -v k="$1" '$1 == k { print $2 }' "$stats"
}

[ -r "$stats" ] || { echo "no $stats: is kmag.ko loaded?"; exit 1; }
if ! /sbin/modprobe -q -n kmag_hostile; then
	echo "kmag hostile: module kmag_hostile is not found [SKIP]"
	exit 4
fi
# An open debugfs file pins kmag.ko (see kmag_stress.sh).
exec 3<"$stats"

total=0
failed=0

# Arguments, if any: the only cases to run (e.g. "kmag_hostile.sh 2 7").
only=" $* "

# run_case N DOUBLE_FREES INVALID_FREES DESCRIPTION
# INVALID_FREES "*": DOUBLE_FREES reports in all, of either kind.
run_case() {
	n=$1 want_df=$2 want_inv=$3 what=$4
	case $only in
	"  "|*" $n "*) ;;
	*) return ;;
	esac
	total=$((total + 1))
	echo 1 >"$kmag/drain" || exit 1
	df0=$(stat double_frees) inv0=$(stat invalid_frees) live0=$(stat live_objects)
	lines=$(dmesg | wc -l)
	mod=ok
	"$dir"/../kselftest/module.sh "kmag hostile case $n" kmag_hostile case="$n" \
		>/dev/null 2>&1 || mod=FAIL
	df1=$(stat double_frees) inv1=$(stat invalid_frees) live1=$(stat live_objects)
	echo 1 >"$kmag/drain" || exit 1
	df2=$(stat double_frees) inv2=$(stat invalid_frees) live2=$(stat live_objects)

	df=$((df1 - df0))
	inv=$((inv1 - inv0))
	live=$((live1 - live0))
	late=$((df2 - df1 + inv2 - inv1))
	verdict=ok
	if [ "$want_inv" = "*" ]; then
		counts=$((df + inv == want_df))
	else
		counts=$((df == want_df && inv == want_inv))
	fi
	if [ "$mod" != ok ] || [ $counts -ne 1 ] || [ $live -ne 0 ] ||
	   [ "$live2" != "$live0" ] || [ $late -ne 0 ]; then
		verdict=FAIL
		failed=$((failed + 1))
	fi
	line=$(printf 'case %2d %-42s double_frees +%d (want +%s), invalid_frees +%d (want +%s), live_objects %+d, reports at drain %d, module %s [%s]' \
		"$n" "($what)" $df "$want_df" $inv "$want_inv" $live $late $mod $verdict)
	echo "$line"
	# Also in the kernel log, which survives a crash in a later case.
	echo "kmag_hostile.sh: $line" >/dev/kmsg 2>/dev/null
	if [ $verdict = FAIL ]; then
		dmesg | sed "1,${lines}d" | grep 'kmag' | head -n 12 | sed 's/^/    /'
	fi
}

#        case  double_frees  invalid_frees ("*": either kind, this many in all)
run_case  1    1    0 "a,a"
run_case  2    1    0 "a,b,a"
run_case  3    1    0 "a,b,c,a"
run_case  4    2    0 "a,a,a"
run_case  5    1    0 "named cache a,a"
run_case  6    1    0 "named cache a,b,a"
run_case  7    1    0 "a freed on one CPU, then on the other"
run_case  8  200    0 "200 racing double frees"
run_case  9    1    0 "100 KiB a,a"
run_case 10    1    0 "100 KiB a,b,a"
run_case 11    1    0 "100 KiB a,b,b"
run_case 12    0    1 "3 MiB a,a"
run_case 13    0    1 "cache A object freed to cache B"
run_case 14    0    1 "vmalloc memory"
run_case 15    0    1 "stack address"
run_case 16    0    1 "kmalloc memory"
run_case 17    0    1 "p + 8 of a 64 B object"
run_case 18    0    1 "p + PAGE_SIZE of a 100 KiB object"
run_case 19   50  "*" "50 racing 100 KiB double frees"
run_case 20   12  "*" "12 racing 3 MiB double frees"

exec 3<&-
if [ $failed -ne 0 ]; then
	echo "kmag hostile: $failed of $total cases failed [FAIL]"
	exit 1
fi
echo "kmag hostile: all $total cases passed"
