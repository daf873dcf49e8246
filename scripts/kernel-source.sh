#!/usr/bin/env bash
# usage: scripts/kernel-source.sh [SERIES]
# Unpack Debian's linux-source-SERIES tarball (SERIES 6.1 by default, or 6.12)
# once under $KMAG_CACHE (default ~/.cache/kmag) and print the path of the
# source tree. kunit.py, checkpatch.pl and the kselftest helpers come from the
# 6.1 tree; each debug kernel and the kernel's own test modules built for a
# kernel come from the tree of its series.
set -euo pipefail

series=${1:-6.1}
cache=${KMAG_CACHE:-$HOME/.cache/kmag}
tarball=/usr/src/linux-source-$series.tar.xz
if [ ! -f "$tarball" ]; then
	echo "kernel-source: $tarball missing; run 'make deps'" >&2
	exit 1
fi
ver=$(dpkg-query -W -f='${Version}' "linux-source-$series")
src=$cache/src-$ver/linux-source-$series
if [ ! -f "$src/.kmag-unpacked" ]; then
	echo "kernel-source: unpacking linux-source-$series $ver into $cache (once)" >&2
	rm -rf "$cache/src-$ver"
	mkdir -p "$cache/src-$ver"
	tar -C "$cache/src-$ver" -xJf "$tarball"
	touch "$src/.kmag-unpacked"
fi
echo "$src"
