#!/usr/bin/env bash
# usage: scripts/bench-ab.sh [-s SCENARIOS] [-a "KERNEL ARGS"] [-r ROUNDS] REV_A REV_B
#
# `make bench-ab A=REV B=REV`: kmag at two git revisions (REV "." is the
# working tree as it is) measured in one boot of the Debian kernel (KVER:
# see scripts/kdir.sh), 2 CPUs under QEMU. Each revision's kmag.ko and
# kmag_bench.ko (built against it) are loaded in turn, ROUNDS times each
# (default 6), A then B in odd rounds and B then A in even ones, so that
# neither always runs on the heels of the other; each load runs kmag_bench
# with quick=1 reps=3 scenarios=SCENARIOS (default P1,P2). Prints, per
# scenario and variant, the medians of kmag (ns per operation, or P4's
# speedup) at A and at B, B/A, and kmag/ideal_call and kmag/slub at each:
# ratios from the same load are what to compare (under the emulator the
# same build moves by 10-15% between loads). Raw lines in
# build/ab/raw.csv.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
scenarios=P1,P2 append="" rounds=6
while getopts "s:a:r:" o; do
	case $o in
	s) scenarios=$OPTARG ;;
	a) append=$OPTARG ;;
	r) rounds=$OPTARG ;;
	*) sed -n '2p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || { sed -n '2p' "$0" >&2; exit 2; }
case $rounds in '' | *[!0-9]* | 0) echo "bench-ab: ROUNDS must be a number above 0" >&2; exit 2 ;; esac
kernel=$("$here/kdir.sh" --image)
[ -n "$kernel" ] || { echo "bench-ab: no Debian kernel ${KVER:-6.1} with headers installed: run 'make deps'" >&2; exit 1; }
kdir=$("$here/kdir.sh")
out=$top/build/ab
rm -rf "$out"
mkdir -p "$out"

for rev in "$@"; do
	[ "$rev" = . ] || git -C "$top" rev-parse --verify -q "$rev^{commit}" >/dev/null ||
		{ echo "bench-ab: $rev is not a revision" >&2; exit 2; }
done
files=()
for v in A B; do
	rev=$1
	shift
	src=$out/src-$v
	mkdir -p "$src"
	if [ "$rev" = . ]; then
		# The working tree, uncommitted changes included.
		(cd "$top" && git ls-files -co --exclude-standard -z |
			while IFS= read -r -d '' f; do [ ! -e "$f" ] || printf '%s\0' "$f"; done |
			xargs -0 cp --parents -t "$src")
	else
		git -C "$top" archive "$rev" | tar -x -C "$src"
	fi
	if [ "$rev" = . ]; then
		desc="the working tree, on $(git -C "$top" rev-parse --short HEAD)"
	else
		desc=$(git -C "$top" rev-parse --short "$rev^{commit}")
	fi
	echo "bench-ab: $v = $rev ($desc)"
	"$src/scripts/build-modules.sh" "$kdir" "$out/mods-$v" >/dev/null ||
		{ echo "bench-ab: build of $v ($rev) failed" >&2; exit 1; }
	files+=(-f "$out/mods-$v/kmod/kmag.ko:/work/$v/kmag.ko"
		-f "$out/mods-$v/kmod/bench/kmag_bench.ko:/work/$v/kmag_bench.ko")
done
echo "quick=1 reps=3 scenarios=$scenarios" >"$out/bench-params"
echo "$rounds" >"$out/rounds"
echo "bench-ab: booting $(basename "$kernel")${append:+ ($append)}, $rounds rounds of A and B, kmag_bench $(cat "$out/bench-params")"
"$here/vm-run.sh" -k "$kernel" -s "$here/guest/bench-ab.sh" -t 3000 -a "$append" -c 2 \
	"${files[@]}" -f "$out/bench-params:/work/bench-params" -f "$out/rounds:/work/rounds" \
	-l "$out/console.log" -o "$out/raw.csv" >/dev/null
python3 - "$out/raw.csv" <<'PY'
import collections, statistics, sys

runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.strip().split(",")
    # v,rep,scenario,variant,allocator,ns_per_op,...
    if len(f) < 6 or f[0] not in ("A", "B") or not f[1].isdigit():
        continue
    runs[(f[0], f[2], f[3], f[4])].append(float(f[5]))
if not runs:
    sys.exit("bench-ab: no results")
med = {k: statistics.median(v) for k, v in runs.items()}
rows = sorted({(s, v) for _, s, v, _ in med})


def fmt(x, d=1):
    return "-" if x is None else f"{x:.{d}f}"


def ratio(v, s, var, a):
    k, o = med.get((v, s, var, "kmag")), med.get((v, s, var, a))
    return k / o if k and o else None


print("| scenario | variant | kmag A | kmag B | B/A | A kmag/ideal_call | B kmag/ideal_call "
      "| A kmag/slub | B kmag/slub |")
print("|---|---|---|---|---|---|---|---|---|")
for s, var in rows:
    a, b = med.get(("A", s, var, "kmag")), med.get(("B", s, var, "kmag"))
    print(f"| {s} | {var} | {fmt(a, 3 if s == 'P4' else 1)} | {fmt(b, 3 if s == 'P4' else 1)} "
          f"| {fmt(b / a if a and b else None, 3)} "
          f"| {fmt(ratio('A', s, var, 'ideal_call'), 3)} | {fmt(ratio('B', s, var, 'ideal_call'), 3)} "
          f"| {fmt(ratio('A', s, var, 'slub'), 3)} | {fmt(ratio('B', s, var, 'slub'), 3)} |")
PY
