#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: kmag's sampled heap profile (debugfs heap_profile and
# heap_profile_rate, §19 of the theory statement).
#  1. Bad writes to heap_profile_rate (not a number, negative, above 2^30,
#     empty, trailing garbage) fail and change nothing; 0 and 2^30 are taken.
#  2. At rate 2048, kmag_profile.ko allocates 20 MiB from kmag_profile_big(),
#     2 MiB from kmag_profile_small() (1 KiB objects) and 4 MiB from
#     kmag_profile_large() (64 KiB objects), and 1 MiB of 512-byte objects
#     of a cache of its own from kmag_profile_cached(); each function's
#     estimated live bytes in heap_profile must be within 25% of that, and
#     big:small within 25% of 10:1. Unloading it frees everything:
#     heap_profile_samples (stats) must come back to its value before the
#     load.
#     With destroy=1 the module destroys its cache, objects still live,
#     right after allocating them: their samples die with it (the cache's
#     estimate is 0, the others as before).
#     Odds of a false failure: an object of s bytes is sampled with
#     probability p = 1 - exp(-s/2048), independently of the others (the
#     interval restarts after each sample, and is memoryless), so the
#     estimate of n objects, k/p, has a relative standard deviation of
#     sqrt((1 - p) / (n p)): 0.87% for big's 20480 1 KiB objects (p =
#     0.3935), 2.75% for small's 2048, 4.15% for the cache's 2048 512-byte
#     objects (p = 0.2212). 25% off is 6.0 sd for the cache (two-sided
#     odds 2e-9), 9 sd for small; the ratio, with a relative sd of about
#     2.9%, leaves 7.5 .. 12.5 when small's estimate is 20% low or 33%
#     high: 6.9 sd or more (below 1e-11). About 2e-9 per run in all. Large
#     objects (p = 1 - exp(-32)) are all sampled.
#  3. At rate 0 the same load adds no sample.
#  4. At the default rate (512 KiB) the same figures are printed, not
#     checked (about 40 and 4 samples).
# The rate is put back at the end.
kmag=/sys/kernel/debug/kmag
knob=$kmag/heap_profile_rate
prof=$kmag/heap_profile
mod=kmag_profile
[ -w "$knob" ] || { echo "no $knob: is kmag.ko loaded? [FAIL]"; exit 1; }
if ! /sbin/modprobe -q -n $mod; then
	echo "kmag profile: module $mod is not found [FAIL]"
	exit 1
fi
exec 3<"$kmag/stats"	# keep kmag.ko loaded (see kmag_stress.sh)
failed=0
orig=$(cat "$knob")
fail_msg() {
	echo "kmag profile: $* [FAIL]"
	failed=$((failed + 1))
}
stat() {
	awk -v k="$1" '$1 == k { print $2 }' "$kmag/stats"
}

# 1. Bad input.
for v in abc -1 1073741825 99999999999999999999 "" 12abc; do
	was=$(cat "$knob")
	if echo "$v" >"$knob" 2>/dev/null; then
		fail_msg "'$v' > heap_profile_rate was accepted"
	elif [ "$(cat "$knob")" != "$was" ]; then
		fail_msg "'$v' > heap_profile_rate changed it to $(cat "$knob")"
	else
		echo "kmag profile: '$v' > heap_profile_rate refused, value unchanged"
	fi
done
for v in 0 1073741824 "$orig"; do
	{ echo "$v" >"$knob" && [ "$(cat "$knob")" = "$v" ]; } ||
		fail_msg "$v > heap_profile_rate not taken"
done

# sums: estimated live bytes of the stacks naming kmag_profile_big,
# kmag_profile_small, kmag_profile_large and kmag_profile_cached.
sums() {
	awk '
	function flush(f) {
		for (f in seen)
			sum[f] += bytes;
		delete seen;
		bytes = 0;
	}
	/^heap profile:/ { next }
	$1 ~ /^[0-9]+:$/ && $5 == "@" { flush(); bytes = $2; next }
	/^#/ && match($0, /kmag_profile_(big|small|large|cached)\+/) {
		seen[substr($0, RSTART + 13, RLENGTH - 14)] = 1
	}
	END {
		flush()
		printf "%.0f %.0f %.0f %.0f\n", sum["big"], sum["small"], sum["large"], sum["cached"]
	}' "$prof"
}

# within NAME GOT WANT: GOT is within 25% of WANT
within() {
	if awk -v g="$2" -v w="$3" 'BEGIN { exit !(g >= 0.75 * w && g <= 1.25 * w) }'; then
		echo "kmag profile: $1: $2, truth $3 [ok]"
	else
		fail_msg "$1: $2 is not within 25% of $3"
	fi
}

# run RATE CHECK [MODULE ARGS]: load the client at RATE, read the
# profile, unload.
run() {
	echo "$1" >"$knob" || fail_msg "$1 > heap_profile_rate"
	n0=$(stat heap_profile_samples)
	d0=$(stat heap_profile_dropped)
	args=$3
	if ! /sbin/modprobe -q $mod $args; then
		dmesg | grep "$mod: " | tail -n 3
		fail_msg "$mod failed to load"
		return
	fi
	n1=$(stat heap_profile_samples)
	set -- "$1" "$2" $(sums)	# rate, check, big, small, large, cached
	/sbin/modprobe -q -r $mod || fail_msg "rmmod $mod"
	n2=$(stat heap_profile_samples)
	echo "kmag profile: rate $1${args:+ $args}: estimated big $3, small $4, large $5, cached $6 bytes;" \
		"samples $n0 -> $n1 -> $n2 after unload, $(($(stat heap_profile_dropped) - d0)) dropped;" \
		"ratio $(awk -v b="$3" -v s="$4" 'BEGIN { if (s) printf "%.2f", b / s; else print "-" }')"
	case $2 in
	check)
		within "kmag_profile_big() at rate $1" "$3" $((20 << 20))
		within "kmag_profile_small() at rate $1" "$4" $((2 << 20))
		within "kmag_profile_large() at rate $1" "$5" $((4 << 20))
		within "kmag_profile_cached() at rate $1" "$6" $((1 << 20))
		within "big:small at rate $1 (x1000)" $(($3 * 1000 / ($4 + 1))) 10000
		[ "$n2" -eq "$n0" ] ||
			fail_msg "rate $1: $n2 samples after unload, $n0 before"
		;;
	off)
		[ "$n1" -eq "$n0" ] && [ "$3$4$5$6" = "0000" ] ||
			fail_msg "rate 0: samples $n0 -> $n1, estimates $3 $4 $5 $6"
		;;
	destroyed)
		[ "$6" = 0 ] || fail_msg "destroyed cache: $6 bytes of its samples live"
		within "kmag_profile_big() with the cache destroyed" "$3" $((20 << 20))
		[ "$n2" -eq "$n0" ] ||
			fail_msg "destroyed cache: $n2 samples after unload, $n0 before"
		;;
	esac
}

run 2048 check
run 2048 destroyed destroy=1
run 0 off
run 524288 report
echo "$orig" >"$knob"
exec 3<&-
[ $failed -eq 0 ] || { echo "kmag profile: $failed checks failed [FAIL]"; exit 1; }
echo "kmag profile: ok"
