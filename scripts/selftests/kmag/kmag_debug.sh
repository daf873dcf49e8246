#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: kmag's debug= parameter and its debugging files.
#  - A bad debug= (unknown flag, unknown cache, empty parts, '-' with
#    flags) makes the load fail with a clear message and leaves nothing.
#  - debug=FZPU puts every cache on the debug path: the stress module runs
#    clean (no red zone, poison, invalid or double free reports), validate
#    checks objects and finds 0 errors.
#  - Owner tracks: alloc_traces of the example client's cache count the
#    objects it holds at one call site (its __init function: printed as an
#    address, its name is gone once init memory is freed); free_traces
#    count the 200 it freed.
# kmag is loaded again without parameters at the end, for the other tests.
kmag=/sys/kernel/debug/kmag
failed=0

fail() {
	echo "kmag debug: $* [FAIL]"
	failed=$((failed + 1))
}

stat() {
	awk -v k="$1" '$1 == k { print $2 }' "$kmag/stats"
}

reload() {	# reload ARGS...: kmag loaded again with ARGS
	rmmod kmag 2>/dev/null
	insmod /modules/kmag.ko "$@"
}

rmmod kmag || { echo "kmag debug: cannot unload kmag [FAIL]"; exit 1; }
for arg in debug=FX debug=Z,nosuch "debug=F,kmag-64,,kmag-8" "debug=;" debug=-Z; do
	dmesg -c >/dev/null	# busybox: no -C
	if insmod /modules/kmag.ko "$arg" 2>/dev/null; then
		fail "$arg was accepted"
		rmmod kmag
		continue
	fi
	[ -e "$kmag" ] && fail "$arg left $kmag behind"
	msg=$(dmesg | grep 'kmag: debug=' | tail -n 1)
	[ -n "$msg" ] || fail "$arg: no message"
	echo "kmag debug: $arg refused: ${msg#*] }"
done

reload debug=FZPU || fail "debug=FZPU refused"
if modprobe kmag_stress ops_per_cpu=20000; then
	rmmod kmag_stress
	dmesg | grep 'kmag_stress: .* operations' | tail -n 1
else
	fail "stress with debug=FZPU"
fi
for k in redzone_errors poison_errors invalid_frees double_frees live_objects; do
	[ "$(stat $k)" = 0 ] || fail "$k is $(stat $k) after the stress"
done
[ "$(stat mallocs)" -gt 0 ] || fail "the stress allocated nothing"
# Every small operation took the debug path, none a magazine.
[ "$(stat magazine_hits)" = 0 ] || fail "magazine_hits $(stat magazine_hits) with every cache debugged"
[ -e "$kmag/caches/kmag-64/alloc_traces" ] || fail "kmag-64 has no alloc_traces"
echo 1 >"$kmag/validate" || fail "validate write"
summary=$(cat "$kmag/validate")
echo "kmag debug: validate: $summary"
case $summary in
*" 0 errors") ;;
*) fail "validate found errors" ;;
esac
echo 0 >"$kmag/validate" 2>/dev/null && fail "validate took 0"

# Owner tracks of a client's live objects, by call site.
if modprobe kmag_example nr_msgs=400; then
	traces=$kmag/caches/kmag_example_msg/alloc_traces
	cat "$traces"
	grep -q '^ *200 ' "$traces" || fail "alloc_traces: no line for the 200 objects held"
	cat "$kmag/caches/kmag_example_msg/free_traces"
	grep -q '^ *200 ' "$kmag/caches/kmag_example_msg/free_traces" ||
		fail "free_traces: no line for the 200 objects freed"
	echo 1 >"$kmag/caches/kmag_example_msg/validate" || fail "per-cache validate"
	summary=$(cat "$kmag/validate")
	echo "kmag debug: validate: $summary"
	case $summary in
	*" 200 in use"*" 0 errors") ;;
	*) fail "validate of the client's cache: want 200 in use, 0 errors" ;;
	esac
	rmmod kmag_example
else
	fail "example client with debug=FZPU"
fi
# Only the caches named: the others keep their magazines. A named rule
# wins over one for every cache, as in slub_debug.
reload "debug=U,kmag-64;Z,kmag-1*" || fail "debug=U,kmag-64;Z,kmag-1* refused"
[ -e "$kmag/caches/kmag-64/alloc_traces" ] || fail "kmag-64 has no alloc_traces"
[ -e "$kmag/caches/kmag-32/alloc_traces" ] && fail "kmag-32 has alloc_traces"
reload "debug=U,kmag-64;Z" || fail "debug=U,kmag-64;Z refused"
[ -e "$kmag/caches/kmag-64/alloc_traces" ] || fail "kmag-64 lost U to the global rule"
[ -e "$kmag/caches/kmag-32/alloc_traces" ] && fail "kmag-32 has alloc_traces under Z"
# The per-CPU budget parameter: out of range refused, in range reported.
for arg in cpu_cache_budget_kb=1 cpu_cache_budget_kb=2000000 cpu_cache_budget_kb=x; do
	rmmod kmag 2>/dev/null
	if insmod /modules/kmag.ko "$arg" 2>/dev/null; then
		fail "$arg was accepted"
	else
		echo "kmag debug: $arg refused"
	fi
done
reload cpu_cache_budget_kb=512 || fail "cpu_cache_budget_kb=512 refused"
b=$(awk '$1 == "cpu_cache_budget_bytes" { print $2 }' "$kmag/stats")
[ "$b" = 524288 ] || fail "cpu_cache_budget_kb=512 gave cpu_cache_budget_bytes $b"
reload || { fail "plain reload"; exit 1; }
[ $failed -eq 0 ] || { echo "kmag debug: $failed failures [FAIL]"; exit 1; }
echo "kmag debug: ok"
