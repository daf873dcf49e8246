#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kselftest: code nobody here wrote, through kmag. The kernel's own test
# modules lib/test_meminit.c (kmalloc and kmem_cache semantics under
# init_on_alloc/init_on_free: zeroing, constructors, SLAB_TYPESAFE_BY_RCU,
# bulk calls) and lib/test_memcat_p.c (kcalloc'd arrays of kmalloc'd
# elements, and an array the kernel allocates and the module kfree()s) are
# built twice from linux-source-6.1 (kmod/upstream/): slub_<name> as they
# are, kmag_<name> with "#include <kmag_slab.h>" added after their
# includes. Each is loaded once; its init returns an error if one of its
# checks failed, and it prints its verdict. Both builds must pass, and the
# kmag build must really use kmag: its mallocs and frees are counted, no
# invalid or double free is reported, and every object is freed by the end.
kmag=/sys/kernel/debug/kmag
stats=$kmag/stats

stat() {
	awk -v k="$1" '$1 == k { print $2 }' "$stats"
}

[ -r "$stats" ] || { echo "no $stats: is kmag.ko loaded? [FAIL]"; exit 1; }
for m in slub_test_meminit kmag_test_meminit slub_test_memcat_p kmag_test_memcat_p; do
	if ! /sbin/modprobe -q -n $m; then
		echo "kmag upstream: module $m is not found [FAIL]"
		exit 1
	fi
done
exec 3<"$stats"	# keep kmag.ko loaded (see kmag_stress.sh)

failed=0
fail_msg() {
	echo "kmag upstream: $* [FAIL]"
	failed=$((failed + 1))
}

auto=$(dmesg | grep -o 'mem auto-init: .*' | head -n 1)
echo "kmag upstream: boot: $(cat /proc/cmdline | grep -oE 'init_on_(alloc|free)=[01]' | tr '\n' ' ')${auto:-"(no mem auto-init line)"}"

# run MODULE PASS_REGEX: load, verdict from the exit status and the log.
run() {
	lines=$(dmesg | wc -l)
	rc=0
	/sbin/modprobe "$1" >/dev/null 2>&1 || rc=$?
	/sbin/rmmod "$1" 2>/dev/null
	log=$(dmesg | sed "1,${lines}d" | grep "$1: ")
	verdict=FAIL
	[ $rc -eq 0 ] && echo "$log" | grep -qE "$2" && verdict=ok
	summary=$(echo "$log" | grep -E "$2|fail" | sed 's/^\[[^]]*\] //' | tail -n 3 | tr '\n' ';')
	echo "kmag upstream: $1: init returned $rc; $summary [$verdict]"
	if [ $verdict != ok ]; then
		echo "$log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
}

for t in test_meminit:'all [0-9]+ tests passed' test_memcat_p:'test passed'; do
	name=${t%%:*}
	pass=${t#*:}
	run slub_$name "$pass"
	echo 1 >"$kmag/drain"
	m0=$(stat mallocs) f0=$(stat frees) live0=$(stat live_objects)
	inv0=$(stat invalid_frees) dbl0=$(stat double_frees)
	run kmag_$name "$pass"
	echo 1 >"$kmag/drain"
	mallocs=$(($(stat mallocs) - m0))
	frees=$(($(stat frees) - f0))
	echo "kmag upstream: kmag_$name: $mallocs objects from kmag, $frees freed"
	[ $mallocs -gt 0 ] || fail_msg "kmag_$name allocated nothing from kmag"
	[ "$(stat live_objects)" = "$live0" ] ||
		fail_msg "kmag_$name left $(($(stat live_objects) - live0)) objects live"
	[ "$(stat invalid_frees)" = "$inv0" ] ||
		fail_msg "kmag_$name: $(($(stat invalid_frees) - inv0)) invalid frees"
	[ "$(stat double_frees)" = "$dbl0" ] ||
		fail_msg "kmag_$name: $(($(stat double_frees) - dbl0)) double frees"
done

exec 3<&-
if [ $failed -ne 0 ]; then
	echo "kmag upstream: $failed checks failed [FAIL]"
	exit 1
fi
echo "kmag upstream: the kernel's test_meminit and test_memcat_p pass through kmag as through SLUB"
