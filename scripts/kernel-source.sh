#!/usr/bin/env bash
# usage: scripts/kernel-source.sh
# Unpack Debian's linux-source-6.1 tarball once under $KMAG_CACHE (default
# ~/.cache/kmag) and print the path of the source tree. kunit.py, checkpatch.pl
# and the kselftest helpers come from there; so does the debug kernel.
set -euo pipefail

cache=${KMAG_CACHE:-$HOME/.cache/kmag}
tarball=/usr/src/linux-source-6.1.tar.xz
if [ ! -f "$tarball" ]; then
	echo "kernel-source: $tarball missing; run 'make deps'" >&2
	exit 1
fi
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
src=$cache/src-$ver/linux-source-6.1
if [ ! -f "$src/.kmag-unpacked" ]; then
	echo "kernel-source: unpacking linux-source-6.1 $ver into $cache (once)" >&2
	rm -rf "$cache/src-$ver"
	mkdir -p "$cache/src-$ver"
	tar -C "$cache/src-$ver" -xJf "$tarball"
	touch "$src/.kmag-unpacked"
fi
echo "$src"
