#!/usr/bin/env bash
# usage: scripts/build-modules.sh KDIR OUTDIR
# Build every kmag module against the kernel tree KDIR in OUTDIR (a copy of
# the sources, so that builds for several kernels do not clobber each other).
# Fails on any compiler warning in kmag's code. Prints the .ko paths. Also
# builds kmagstat into build/kmagstat/ (scripts/kmagstat/Makefile).
set -euo pipefail

[ $# -eq 2 ] || { sed -n '2p' "$0" | sed 's/^# //' >&2; exit 2; }
kdir=$1
mkdir -p "$2"
out=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
[ -d "$kdir" ] || { echo "build-modules: no kernel tree at $kdir (run 'make deps')" >&2; exit 1; }
# The kernel's own test modules and kselftest helpers come from the source
# of the same series as KDIR (6.1, 6.12).
series=$(KDIR=$kdir "$here/kdir.sh" --series)
ksrc=$("$here/kernel-source.sh" "${series:-6.1}")

mkdir -p "$out"
(cd "$top" && find Kbuild include kmod kunit -type f \( -name '*.c' -o -name '*.h' -o -name Kbuild -o -name sources \)) |
	while read -r f; do
		mkdir -p "$out/$(dirname "$f")"
		cmp -s "$top/$f" "$out/$f" || cp "$top/$f" "$out/$f"
	done
# The kernel's own test modules (kmod/upstream/sources): as they are, and
# with include/kmag_slab.h added after their last #include line.
while read -r f; do
	case $f in '#'* | '') continue ;; esac
	[ -f "$ksrc/$f" ] || { echo "build-modules: $ksrc/$f missing" >&2; exit 1; }
	name=$(basename "$f")
	cmp -s "$ksrc/$f" "$out/kmod/upstream/slub_$name" ||
		cp "$ksrc/$f" "$out/kmod/upstream/slub_$name"
	last=$(grep -n '^#include' "$ksrc/$f" | tail -n 1 | cut -d: -f1)
	[ -n "$last" ] || { echo "build-modules: no #include in $f" >&2; exit 1; }
	sed "${last}a #include <kmag_slab.h>" "$ksrc/$f" >"$out/kmod/upstream/kmag_$name.new"
	if cmp -s "$out/kmod/upstream/kmag_$name.new" "$out/kmod/upstream/kmag_$name"; then
		rm "$out/kmod/upstream/kmag_$name.new"
	else
		mv "$out/kmod/upstream/kmag_$name.new" "$out/kmod/upstream/kmag_$name"
	fi
done <"$top/kmod/upstream/sources"
log=$out/build.log
# Relinking is cheap; a stale .ko (a module no longer built) must not linger.
find "$out" -name '*.ko' -delete
if ! make -C "$kdir" M="$out" KSELFTEST_DIR="$ksrc/tools/testing/selftests" \
	-j"$(nproc)" modules >"$log" 2>&1; then
	echo "build-modules: build against $kdir failed:" >&2
	grep -E 'error|warning' "$log" >&2 || tail -20 "$log" >&2
	exit 1
fi
if grep -E 'warning:' "$log" >&2; then
	echo "build-modules: warnings building against $kdir" >&2
	exit 1
fi
# kmagstat (user space, static, the same for every kernel): build/kmagstat/.
if ! make -s -C "$top/scripts/kmagstat" >"$out/kmagstat.log" 2>&1; then
	echo "build-modules: kmagstat failed to build:" >&2
	cat "$out/kmagstat.log" >&2
	exit 1
fi
find "$out" -name '*.ko' | sort
