#!/usr/bin/env bash
# usage: [KVER=6.1|6.12|6.12-rt] scripts/check.sh [build] [dkms] [convert] [kunit]
#            [selftest-distro] [selftest-debug] [upstream] [scale] [kernels]
#
# kmag's test suite (make check), for the kernel KVER names (Debian's 6.1 by
# default; see scripts/kdir.sh): its Debian image and headers, and a debug
# kernel of the same series (scripts/debug-kernel.sh). With no arguments,
# all of it for 6.1; for another KVER, build kunit selftest-distro
# selftest-debug.
#   build            kmag and its modules built against the Debian headers,
#                    no warnings (-Werror, and the build log is checked);
#                    kmagstat built and tested on the host with fake files;
#   dkms             dkms add + build of kmag.ko for every kernel with headers
#                    (a scratch DKMS tree), and a client module against it;
#   convert          the trace converter (scripts/replay/trace2ops.py) on a
#                    hand-written trace, host side;
#   kunit            the KUnit suites in the debug kernel (KASAN, lockdep,
#                    kmemleak...), results parsed with the kernel's kunit.py;
#   selftest-distro  the kselftests in the Debian kernel;
#   selftest-debug   the kselftests in the debug kernel;
#   upstream         the kernel's own lib/test_meminit.c and lib/test_memcat_p.c
#                    built as they are and through include/kmag_slab.h, in
#                    Debian's kernel (default boot, and init_on_alloc=0
#                    init_on_free=1) and in the debug kernel;
#   scale            the debug kernel with 8 CPUs on 4 NUMA nodes: the
#                    KUnit concurrency and magazine suites, the stress and
#                    NUMA selftests, CPUs unplugged and plugged back while
#                    stress runs;
#   kernels          Debian's 6.12 and 6.12-rt: build (no warnings) and the
#                    kselftests in their images (each a nested check.sh run
#                    with KVER set). Their debug kernels (KUnit, lockdep on
#                    RT's sleeping locks) run with KVER=6.12 / KVER=6.12-rt.
# Any kernel splat in a VM fails the step that booted it. Logs and raw
# results go to build/check/. Ends with "N passed, M failed, K skipped".
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
kver=${KVER:-6.1}
out=$top/build/check/$kver
mkdir -p "$out"
steps=("$@")
if [ ${#steps[@]} -eq 0 ]; then
	if [ "$kver" = 6.1 ]; then
		steps=(build dkms convert kunit selftest-distro selftest-debug upstream scale kernels)
	else
		steps=(build kunit selftest-distro selftest-debug)
	fi
fi

passed=0 failed=0 skipped=0
result() {	# result PASS|FAIL|SKIP "what"
	printf '%-5s %s\n' "$1" "$2"
	case $1 in
	PASS) passed=$((passed + 1)) ;;
	FAIL) failed=$((failed + 1)) ;;
	SKIP) skipped=$((skipped + 1)) ;;
	esac
}

ksrc=$("$here/kernel-source.sh")
# The kernel chosen by scripts/kdir.sh (KVER/KDIR; Debian's 6.1 by default).
distro_kernel=$("$here/kdir.sh" --image)
distro_kdir=$("$here/kdir.sh")
distro_mods=$top/build/distro-$("$here/kdir.sh" --release)
debug_kdir=""

# KASAN prints only its first report unless told otherwise; tests that
# provoke reports on purpose need every one of them.
debug_args=kasan_multi_shot
debug_kernel() {
	if [ -z "$debug_kdir" ]; then
		debug_kdir=$("$here/debug-kernel.sh") || return 1
	fi
}

# One build directory per kernel: a build for one never leaks into another.
debug_mods=$top/build/debug-$kver
build_for() {	# build_for NAME KDIR
	local dir=$debug_mods

	[ "$1" = debug ] || dir=$distro_mods
	"$here/build-modules.sh" "$2" "$dir" >"$out/modules-$1.txt"
}

step_build() {
	if build_for distro "$distro_kdir"; then
		result PASS "build against $distro_kdir, no warnings"
	else
		result FAIL "build against $distro_kdir"
	fi
	if make -s -C "$here/kmagstat" check >"$out/kmagstat-host.txt" 2>&1; then
		result PASS "kmagstat on fake debugfs files (host)"
	else
		grep -E '^FAIL|error' "$out/kmagstat-host.txt" | sed 's/^/    /' || true
		result FAIL "kmagstat on fake debugfs files (see $out/kmagstat-host.txt)"
	fi
}

# step_kunit [TAG CPUS NODES MEM_MB]: the KUnit suites in the debug kernel.
step_kunit() {
	local tag=${1:-kunit} cpus=${2:-2} nodes=${3:-2} mem=${4:-1024}
	local mods=$debug_mods vmrc=0 suite f line n p fl s c
	if ! debug_kernel || ! build_for debug "$debug_kdir"; then
		result FAIL "$tag: debug kernel or module build"
		return
	fi
	echo "$tag: booting the $kver debug kernel (KASAN, lockdep, kmemleak), $cpus CPUs, $nodes NUMA nodes"
	"$here/vm-run.sh" -k "$debug_kdir/arch/x86/boot/bzImage" -s "$here/guest/kunit.sh" \
		-m "$mods/kmod/kmag.ko" -m "$mods/kunit/kmag_kunit.ko" -c "$cpus" -n "$nodes" \
		-M "$mem" -t 1800 -a "$debug_args" \
		-l "$out/$tag-console.log" -o "$out/$tag.out" >/dev/null || vmrc=$?
	rm -f "$out/$tag"-*.ktap
	awk -v dir="$out" -v tag="$tag" '/^@@KUNIT .*@@$/ { f = dir "/" tag "-" substr($2, 1, length($2) - 2) ".ktap"; next }
		/^@@END@@$/ { f = ""; next }
		f { print > f }' "$out/$tag.out"
	n=0
	for f in "$out/$tag"-*.ktap; do
		[ -e "$f" ] || break
		n=$((n + 1))
		suite=$(basename "$f" .ktap)
		suite=${suite#"$tag"-}
		python3 "$ksrc/tools/testing/kunit/kunit.py" parse "$f" >"${f%.ktap}.parsed" 2>&1 || true
		line=$(grep -o 'Ran [0-9]* tests.*' "${f%.ktap}.parsed" | tail -n 1)
		p=$(echo "$line" | grep -o 'passed: [0-9]*' | grep -o '[0-9]*' || echo 0)
		fl=$(echo "$line" | grep -o 'failed: [0-9]*' | grep -o '[0-9]*' || echo 0)
		s=$(echo "$line" | grep -o 'skipped: [0-9]*' | grep -o '[0-9]*' || echo 0)
		c=$(echo "$line" | grep -o 'crashed: [0-9]*' | grep -o '[0-9]*' || echo 0)
		echo "$tag: $suite: ${line:-no result}"
		passed=$((passed + p))
		failed=$((failed + fl + c))
		skipped=$((skipped + s))
		if [ "$fl" != 0 ] || [ "$c" != 0 ] || [ -z "$line" ]; then
			[ -n "$line" ] || failed=$((failed + 1))
			grep -E '\[FAILED\]|\[CRASHED\]|EXPECTATION|ASSERTION|Expected|ERROR' \
				"${f%.ktap}.parsed" | head -n 20 || true
		fi
	done
	[ $n -gt 0 ] || result FAIL "$tag: no suite reported (see $out/$tag.out)"
	if [ $vmrc -ne 0 ]; then
		result FAIL "$tag: VM run failed or kernel splat (see $out/$tag-console.log)"
	fi
}

# step_selftest NAME BZIMAGE MODDIR [KERNEL ARGS] [GUEST SCRIPT]
# (VM size: $vm_cpus CPUs, $vm_nodes NUMA nodes, $vm_mem MiB)
vm_cpus=2 vm_nodes=1 vm_mem=1024
step_selftest() {
	local vmrc=0 ok nok sk m guest=${5:-selftests} mods=()
	echo "selftest: booting the $kver ${1%%-*} kernel, $vm_cpus CPUs${4:+, $4}"
	if [ "$guest" = upstream ]; then
		for m in "$3"/kmod/kmag.ko "$3"/kmod/upstream/*.ko; do
			mods+=(-m "$m")
		done
	else
		# kmag_faults.ko exists only where the kernel has fault injection.
		for m in "$3"/kmod/kmag.ko "$3"/kmod/selftest/*.ko "$3"/kmod/example/kmag_example.ko \
			"$3"/kmod/replay/kmag_replay.ko; do
			mods+=(-m "$m")
		done
	fi
	"$here/vm-run.sh" -k "$2" -s "$here/guest/$guest.sh" "${mods[@]}" -a "${4:-}" \
		-c "$vm_cpus" -n "$vm_nodes" -M "$vm_mem" \
		-f "$ksrc/tools/testing/selftests/kselftest:/selftests/kselftest" \
		-f "$here/selftests/kmag:/selftests/kmag" -t 1800 \
		-f "$top/build/kmagstat/kmagstat:/bin/kmagstat" \
		-l "$out/selftest-$1-console.log" -o "$out/selftest-$1.tap" >/dev/null || vmrc=$?
	sed 's/^/    /' "$out/selftest-$1.tap"
	ok=$(grep -cE '^ok [0-9]+ .*' "$out/selftest-$1.tap" | tr -d ' ' || true)
	sk=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out/selftest-$1.tap" || true)
	nok=$(grep -cE '^not ok [0-9]+' "$out/selftest-$1.tap" || true)
	passed=$((passed + ok - sk))
	skipped=$((skipped + sk))
	failed=$((failed + nok))
	[ $((ok + nok)) -gt 0 ] || result FAIL "selftest ($1): no test ran"
	if [ $vmrc -ne 0 ]; then
		result FAIL "selftest ($1): VM run failed or kernel splat (see $out/selftest-$1-console.log)"
	fi
}

start=$SECONDS
for step in "${steps[@]}"; do
	case $step in
	build) step_build ;;
	convert)
		if "$here/replay/test-trace2ops.sh" >"$out/convert.txt" 2>&1; then
			result PASS "convert: trace2ops.py on a hand-written trace, malformed lines refused"
		else
			result FAIL "convert: trace2ops.py (see $out/convert.txt)"
			grep FAIL "$out/convert.txt" | head -n 10 || true
		fi
		;;
	kunit) step_kunit ;;
	selftest-distro)
		if [ -z "$distro_kernel" ]; then
			result FAIL "selftest (distro): no /boot/vmlinuz-*-amd64 (run 'make deps')"
		elif build_for distro "$distro_kdir"; then
			step_selftest distro "$distro_kernel" "$distro_mods"
		else
			result FAIL "selftest (distro): module build"
		fi
		;;
	selftest-debug)
		if debug_kernel && build_for debug "$debug_kdir"; then
			step_selftest debug "$debug_kdir/arch/x86/boot/bzImage" "$debug_mods" \
				"$debug_args"
		else
			result FAIL "selftest (debug): debug kernel or module build"
		fi
		;;
	upstream)
		# The kernel's test modules through include/kmag_slab.h: Debian's
		# kernel as it boots (init_on_alloc), with init_on_free only,
		# and the debug kernel. One boot each: they leave kmag pinned.
		if [ -z "$distro_kernel" ]; then
			result FAIL "upstream (distro): no /boot/vmlinuz-*-amd64 (run 'make deps')"
		elif build_for distro "$distro_kdir"; then
			step_selftest distro-upstream "$distro_kernel" "$distro_mods" "" upstream
			step_selftest distro-upstream-init_on_free "$distro_kernel" "$distro_mods" \
				"init_on_alloc=0 init_on_free=1" upstream
		else
			result FAIL "upstream (distro): module build"
		fi
		if debug_kernel && build_for debug "$debug_kdir"; then
			step_selftest debug-upstream "$debug_kdir/arch/x86/boot/bzImage" "$debug_mods" \
				"$debug_args" upstream
		else
			result FAIL "upstream (debug): debug kernel or module build"
		fi
		;;
	scale)
		# 8 CPUs on 4 nodes, 2 GiB: oversubscribed on a small host (TCG).
		step_kunit scale-kunit 8 4 2048
		if debug_kernel && build_for debug "$debug_kdir"; then
			vm_cpus=8 vm_nodes=4 vm_mem=2048
			step_selftest debug-scale "$debug_kdir/arch/x86/boot/bzImage" "$debug_mods" \
				"$debug_args" scale
			vm_cpus=2 vm_nodes=1 vm_mem=1024
		else
			result FAIL "scale: debug kernel or module build"
		fi
		;;
	kernels)
		# Each a check.sh run of its own; its totals are added here.
		for k in 6.12 6.12-rt; do
			if [ -z "$(env -u KDIR KVER=$k "$here/kdir.sh")" ]; then
				result FAIL "kernels: no Debian $k image and headers (run 'make deps')"
				continue
			fi
			ksteps=(build selftest-distro)
			echo "kernels: KVER=$k check.sh ${ksteps[*]}"
			env -u KDIR KVER=$k "$0" "${ksteps[@]}" >"$out/kernels-$k.txt" 2>&1 || true
			grep -E '^(PASS|FAIL|SKIP) |^kunit: .*: Ran|^check: done' "$out/kernels-$k.txt" |
				sed "s/^/    $k: /"
			line=$(tail -n 1 "$out/kernels-$k.txt")
			if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
				passed=$((passed + BASH_REMATCH[1]))
				failed=$((failed + BASH_REMATCH[2]))
				skipped=$((skipped + BASH_REMATCH[3]))
				[ "${BASH_REMATCH[2]}" = 0 ] ||
					sed 's/^/    /' "$out/kernels-$k.txt" | grep -E 'FAIL|not ok|Expected|FAILED' | head -n 20
			else
				result FAIL "kernels: KVER=$k check.sh did not finish (see $out/kernels-$k.txt)"
			fi
		done
		;;
	dkms)
		if "$here/dkms.sh" check >"$out/dkms.txt" 2>&1; then
			while read -r line; do
				result PASS "$line"
			done <"$out/dkms.txt"
		else
			sed 's/^/    /' "$out/dkms.txt" | tail -n 30
			result FAIL "dkms build (see $out/dkms.txt)"
		fi
		;;
	*) echo "check: unknown step $step" >&2; exit 2 ;;
	esac
done
echo "check: done in $((SECONDS - start)) s; logs in $out"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
