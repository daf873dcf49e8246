#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: the kernel's sanitizers on kmag objects. Loads kmag_sanitize
# once per case; each case makes a client bug on a kmag object between
# "kmag-expect: begin WHAT" and "kmag-expect: end WHAT" kernel log lines
# (vm-run.sh then ignores the reports there), and this script checks that
# exactly the report wanted came, naming the function that made the bad
# access:
#   kasan-uaf          BUG: KASAN: use-after-free in sanitize_read
#                      (and the freed object was not handed out again by
#                      the 64 allocations of its size that followed)
#   kasan-oob-small    BUG: KASAN: slab-out-of-bounds in sanitize_write
#   kasan-oob-partial  the same, 37 bytes asked for
#   kasan-oob-large    the same, 40000 bytes asked for
#   kasan-uaf-large    BUG: KASAN: use-after-free in sanitize_read
#   kmemleak-leak      one "unreferenced object" whose backtrace names
#                      sanitize_leak, after "echo scan"; then "echo clear"
#                      and the module's unload frees the object. No other
#                      reported leak may have been allocated by kmag.
# The KASAN cases need generic KASAN and kasan_multi_shot (KASAN reports
# only once per boot otherwise), the last one kmemleak: each case the kernel
# lacks is skipped, and the whole test if it lacks both (Debian's kernel).
mod=kmag_sanitize

[ -w /sys/kernel/debug/kmag/drain ] || { echo "kmag.ko is not loaded [FAIL]"; exit 1; }
if ! /sbin/modprobe -q -n $mod; then
	echo "kmag sanitize: module $mod is not found [SKIP]"
	exit 4
fi
/sbin/modprobe $mod || { echo "kmag sanitize: modprobe $mod failed [FAIL]"; exit 1; }
kasan=$(cat /sys/module/$mod/parameters/kasan)
kmemleak=$(cat /sys/module/$mod/parameters/kmemleak)
rmmod $mod
[ -e /sys/kernel/debug/kmemleak ] || kmemleak=N
if [ "$kasan" != Y ] && [ "$kmemleak" != Y ]; then
	echo "kmag sanitize: no KASAN and no kmemleak in this kernel [SKIP]"
	exit 4
fi
if [ "$kasan" = Y ] && ! grep -qw kasan_multi_shot /proc/cmdline; then
	echo "kmag sanitize: KASAN without kasan_multi_shot reports only once [FAIL]"
	exit 1
fi

failed=0
total=0
skipped=0

verdict() {	# verdict ok|FAIL LINE
	total=$((total + 1))
	[ "$1" = ok ] || failed=$((failed + 1))
	echo "$2 [$1]"
	# Only the check's name: the report's own words would look like one.
	echo "kmag_sanitize.sh: ${2%%:*} [$1]" >/dev/kmsg 2>/dev/null
}

# window WHAT: the kernel log between the last begin and end lines of WHAT.
window() {
	dmesg | awk -v what="$1" '
		$0 ~ "kmag-expect: begin " what "$" { n = 0; delete l; open = 1; next }
		$0 ~ "kmag-expect: end " what "$" { open = 0; for (i = 0; i < n; i++) print l[i]; exit }
		open { l[n++] = $0 }'
}

# check_kasan WHAT TYPE FUNCTION: one KASAN report, of TYPE, in FUNCTION.
# Since 6.4 a slab object's use-after-free is "slab-use-after-free".
check_kasan() {
	w=$(window "$1")
	n=$(echo "$w" | grep -c 'BUG: KASAN:')
	first=$(echo "$w" | grep -m1 -o 'BUG: KASAN: .*' | sed 's/+0x[0-9a-f/x]*//')
	if [ "$n" -eq 1 ] && echo "$w" | grep -qE "BUG: KASAN: (slab-)?$2 in $3\+"; then
		verdict ok "$1: $first"
	else
		verdict FAIL "$1: $n reports (want 1: $2 in $3)${first:+, first: $first}"
		echo "$w" | grep -E 'BUG:|kmag' | head -n 8 | sed 's/^/    /'
	fi
}

# run_case N: load kmag_sanitize case=N; 1 if the module found a problem.
run_case() {
	echo 1 >/sys/kernel/debug/kmag/drain
	if ! /sbin/modprobe $mod case="$1"; then
		dmesg | grep "$mod: " | tail -n 5 | sed 's/^/    /'
		return 1
	fi
	return 0
}

if [ "$kasan" = Y ]; then
	mod_ok=ok
	run_case 1 || mod_ok=FAIL
	rmmod $mod 2>/dev/null
	verdict $mod_ok "kasan-quarantine: freed object kept from reuse by 64 allocations"
	check_kasan kasan-uaf use-after-free sanitize_read
	run_case 2 || verdict FAIL "kmag_sanitize case 2"
	rmmod $mod 2>/dev/null
	check_kasan kasan-oob-small slab-out-of-bounds sanitize_write
	check_kasan kasan-oob-partial slab-out-of-bounds sanitize_write
	run_case 3 || verdict FAIL "kmag_sanitize case 3"
	rmmod $mod 2>/dev/null
	check_kasan kasan-oob-large slab-out-of-bounds sanitize_write
	check_kasan kasan-uaf-large use-after-free sanitize_read
else
	echo "kasan cases: no KASAN in this kernel [SKIP]"
	skipped=$((skipped + 1))
fi

if [ "$kmemleak" = Y ]; then
	leaks=/sys/kernel/debug/kmemleak
	if run_case 4; then
		# kmemleak reports only objects older than 5 s.
		sleep 6
		found=0
		for try in 1 2 3; do
			echo scan >$leaks
			cat $leaks >/tmp/kmemleak.txt
			# One record per "unreferenced object" line.
			found=$(awk '/^unreferenced object/ { n++ } /sanitize_leak/ { hit[n] = 1 }
				END { c = 0; for (i in hit) c++; print c }' /tmp/kmemleak.txt)
			[ "$found" -ge 1 ] && break
		done
		others=$(awk '/^unreferenced object/ { n++ } /\[kmag\]/ { k[n] = 1 }
			/sanitize_leak/ { s[n] = 1 }
			END { c = 0; for (i in k) if (!(i in s)) c++; print c }' /tmp/kmemleak.txt)
		echo clear >$leaks
		rmmod $mod
		echo "kmag-expect: end kmemleak-leak" >/dev/kmsg
		if [ "$found" -eq 1 ] && [ "$others" -eq 0 ]; then
			verdict ok "kmemleak-leak: reported once, allocated by sanitize_leak"
		else
			verdict FAIL "kmemleak-leak: $found reports naming sanitize_leak (want 1), $others other leaks allocated through kmag (want 0)"
			head -n 40 /tmp/kmemleak.txt | sed 's/^/    /'
		fi
	else
		rmmod $mod 2>/dev/null
		echo "kmag-expect: end kmemleak-leak" >/dev/kmsg
		verdict FAIL "kmag_sanitize case 4"
	fi
else
	echo "kmemleak case: no kmemleak in this kernel [SKIP]"
	skipped=$((skipped + 1))
fi

if [ $failed -ne 0 ]; then
	echo "kmag sanitize: $failed of $total checks failed [FAIL]"
	exit 1
fi
echo "kmag sanitize: all $total checks passed, $skipped groups of checks skipped"
