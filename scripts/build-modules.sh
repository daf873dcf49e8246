#!/usr/bin/env bash
# usage: scripts/build-modules.sh KDIR OUTDIR
# Build every kmag module against the kernel tree KDIR in OUTDIR (a copy of
# the sources, so that builds for several kernels do not clobber each other).
# Fails on any compiler warning in kmag's code. Prints the .ko paths.
set -euo pipefail

[ $# -eq 2 ] || { sed -n '2p' "$0" | sed 's/^# //' >&2; exit 2; }
kdir=$1
mkdir -p "$2"
out=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
[ -d "$kdir" ] || { echo "build-modules: no kernel tree at $kdir (run 'make deps')" >&2; exit 1; }
ksrc=$("$here/kernel-source.sh")

mkdir -p "$out"
(cd "$top" && find Kbuild include kmod kunit -type f \( -name '*.c' -o -name '*.h' -o -name Kbuild \)) |
	while read -r f; do
		mkdir -p "$out/$(dirname "$f")"
		cmp -s "$top/$f" "$out/$f" || cp "$top/$f" "$out/$f"
	done
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
find "$out" -name '*.ko' | sort
