#!/usr/bin/env bash
# usage: scripts/bench.sh [--quick]
# `make bench`: kmag vs SLUB vs an ideal per-CPU array, in the Debian kernel
# (KVER: see scripts/kdir.sh) under QEMU (2 CPUs), booted three times:
# default (init_on_alloc on), with init_on_alloc=0, and "debug": SLUB booted
# with slub_debug=FZPU and kmag loaded with debug=FZPU (P1 and P2 only: the
# cost of debugging, side by side; no goals); then twice more for scaling,
# P4 only, with 4 and with 8 vCPUs (boots cpus=4, cpus=8). Every scenario runs 5 times (3 with --quick, which also
# shortens the loops and drops some sizes: a few minutes). Writes
# results/<date>/: raw.csv, summary.md (medians, ratios, goals), *.png; prints
# the summary.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
params="reps=5"
[ "${1:-}" = "--quick" ] && params="quick=1"
kernel=$("$here/kdir.sh" --image)
[ -n "$kernel" ] || { echo "bench: no Debian kernel ${KVER:-6.1} with headers installed: run 'make deps'" >&2; exit 1; }
out=$top/results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
mods=$top/build/distro-$("$here/kdir.sh" --release)
"$here/build-modules.sh" "$("$here/kdir.sh")" "$mods" >/dev/null
echo "$params" >"$out/bench-params"

echo "boot,rep,scenario,variant,allocator,ns_per_op,mag_hit_rate,sys_bytes" >"$out/raw.csv"
for boot in default init_on_alloc=0 debug=FZPU cpus=4 cpus=8; do
	append="" kparams="" bparams=$params cpus=2
	case $boot in
	default) ;;
	debug=*)
		append="slub_debug=${boot#debug=}" kparams=$boot
		bparams="$params scenarios=P1,P2" ;;
	cpus=*)
		# Scaling: P4 (all CPUs vs one) with more vCPUs than host cores.
		cpus=${boot#cpus=} bparams="$params scenarios=P4" ;;
	*) append=$boot ;;
	esac
	echo "$kparams" >"$out/kmag-params-$boot"
	echo "$bparams" >"$out/bench-params-$boot"
	echo "bench: booting $(basename "$kernel") ($boot${append:+, $append}, $cpus CPUs), kmag $kparams, kmag_bench $bparams"
	"$here/vm-run.sh" -k "$kernel" -s "$here/guest/bench.sh" -t 1800 -a "$append" -c "$cpus" \
		-m "$mods/kmod/kmag.ko" -m "$mods/kmod/bench/kmag_bench.ko" \
		-f "$out/bench-params-$boot:/work/bench-params" \
		-f "$out/kmag-params-$boot:/work/kmag-params" \
		-l "$out/console-$boot.log" -o "$out/raw-$boot.csv" >/dev/null
	grep -E '^[0-9]+,' "$out/raw-$boot.csv" | sed "s/^/$boot,/" >>"$out/raw.csv"
done
python3 "$here/bench-report.py" "$out"
echo
echo "bench: results in $out"
