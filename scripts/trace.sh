#!/usr/bin/env bash
# usage: scripts/trace.sh [ITERATIONS]
# `make trace`: boot the Debian kernel (KVER: see scripts/kdir.sh) with
# no_hash_pointers, record the kernel's kmem:kmalloc, kmem:kfree,
# kmem:kmem_cache_alloc and kmem:kmem_cache_free events (and kretprobes on
# the dup functions) during a busybox workload of ITERATIONS rounds
# (default 30; scripts/guest/trace.sh), and convert them into an op file
# (scripts/replay/trace2ops.py). Writes build/trace/: trace.txt.gz (the
# ftrace text), formats.txt (the events' formats in that kernel),
# trace.ops.gz (the op file), convert.txt (the converter's counts).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
iters=${1:-30}
case $iters in '' | *[!0-9]*) echo "trace: ITERATIONS must be a number" >&2; exit 2 ;; esac
kernel=$("$here/kdir.sh" --image)
[ -n "$kernel" ] || { echo "trace: no Debian kernel ${KVER:-6.1} with headers installed: run 'make deps'" >&2; exit 1; }
out=$top/build/trace
mkdir -p "$out"
mods=$top/build/distro-$("$here/kdir.sh" --release)
"$here/build-modules.sh" "$("$here/kdir.sh")" "$mods" >/dev/null
echo "$iters" >"$out/iters"
echo "trace: booting $(basename "$kernel") with no_hash_pointers, $iters workload rounds"
"$here/vm-run.sh" -k "$kernel" -s "$here/guest/trace.sh" -t 600 -a no_hash_pointers \
	-m "$mods/kmod/kmag.ko" -f "$out/iters:/work/trace-iters" \
	-l "$out/console.log" -o "$out/guest.out" >/dev/null ||
	{ echo "trace: the VM run failed (see $out/console.log, $out/guest.out)" >&2; exit 1; }
sed -n '1,/^@@STATS@@$/p' "$out/guest.out" | grep -v '^@@STATS@@$' >"$out/formats.txt"
sed -n '/^@@STATS@@$/,/^@@TRACE@@$/p' "$out/guest.out" | sed '1d;$d'
grep '^trace:' "$out/guest.out" >&2 || true
sed -n '/^@@TRACE@@$/,/^@@END@@$/p' "$out/guest.out" | sed '1d;$d' | base64 -d >"$out/trace.txt.gz" ||
	{ echo "trace: the trace did not come out whole (see $out/guest.out)" >&2; exit 1; }
if grep -q 'overrun: [1-9]' "$out/guest.out"; then
	echo "trace: the trace buffer overran: events were lost (fewer ITERATIONS)" >&2
	exit 1
fi
python3 "$here/replay/trace2ops.py" "$out/trace.txt.gz" "$out/trace.ops.gz" 2>"$out/convert.txt" ||
	{ cat "$out/convert.txt" >&2; exit 1; }
cat "$out/convert.txt"
echo "trace: $out/trace.ops.gz ($(stat -c %s "$out/trace.ops.gz") bytes)"
