#!/usr/bin/env bash
# usage: scripts/dkms.sh install [RELEASE...] | remove | check
# kmag as a DKMS package (dkms.conf): only kmag.ko, built for each kernel.
#   install  copy the sources to /usr/src/kmag-<version>, then dkms add,
#            build and install for RELEASE (default: every kernel with
#            headers installed); the public headers stay in
#            /usr/src/kmag-<version>/include, and each build's
#            Module.symvers is copied to
#            /usr/src/kmag-<version>/symvers/<release>/ for client modules
#            (KBUILD_EXTRA_SYMBOLS);
#   remove   dkms remove for every kernel, and the sources;
#   check    (make check) dkms add and build, in a scratch DKMS tree that
#            leaves the system's alone, for every kernel with headers
#            installed; each kmag.ko must carry that kernel's vermagic, and
#            the example client must build against the header and the
#            Module.symvers of that kernel's kmag, as install lays them out.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
[ -n "$ver" ] || { echo "dkms: no PACKAGE_VERSION in dkms.conf" >&2; exit 1; }
command -v dkms >/dev/null || { echo "dkms: dkms is not installed (make deps)" >&2; exit 1; }

# Kernels with headers: every /usr/src/linux-headers-<release> with a
# Makefile (the -common trees have no .config of their own).
releases() {
	local h
	for h in /usr/src/linux-headers-*; do
		[ -f "$h/.config" ] && [ -f "$h/Makefile" ] && echo "${h#/usr/src/linux-headers-}"
	done
}

copy_sources() {	# copy_sources DEST
	rm -rf "$1"
	mkdir -p "$1"
	(cd "$top" && cp -r --parents dkms.conf Kbuild include kmod/Kbuild kmod/*.c kmod/*.h "$1")
	return 0
}

case ${1:-} in
install)
	shift
	[ "$(id -u)" -eq 0 ] || { echo "dkms: run as root" >&2; exit 1; }
	src=/usr/src/kmag-$ver
	dkms remove -m kmag -v "$ver" --all >/dev/null 2>&1 || true
	copy_sources "$src"
	dkms add -m kmag -v "$ver"
	[ $# -gt 0 ] || set -- $(releases)
	for r in "$@"; do
		dkms build -m kmag -v "$ver" -k "$r"
		dkms install -m kmag -v "$ver" -k "$r"
		# DKMS keeps no build tree: the same sources built once more
		# give client modules the symbol versions of this kmag.ko.
		rm -rf "$src/symvers/$r"
		copy_sources "$src/symvers/$r/tree"
		make -s -C "/usr/src/linux-headers-$r" M="$src/symvers/$r/tree/kmod" \
			KMAG_ONLY=1 modules >/dev/null
		cp "$src/symvers/$r/tree/kmod/Module.symvers" "$src/symvers/$r/"
		rm -rf "$src/symvers/$r/tree"
	done
	dkms status -m kmag
	;;
remove)
	[ "$(id -u)" -eq 0 ] || { echo "dkms: run as root" >&2; exit 1; }
	dkms remove -m kmag -v "$ver" --all || true
	rm -rf "/usr/src/kmag-$ver"
	;;
check)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	copy_sources "$tmp/src/kmag-$ver"
	mkdir -p "$tmp/tree"
	opts=(--dkmstree "$tmp/tree" --sourcetree "$tmp/src")
	dkms add "${opts[@]}" -m kmag -v "$ver" >"$tmp/log" 2>&1 ||
		{ cat "$tmp/log" >&2; exit 1; }
	n=0
	for r in $(releases); do
		if ! dkms build "${opts[@]}" -m kmag -v "$ver" -k "$r" >"$tmp/log" 2>&1; then
			cat "$tmp/log" "$tmp/tree/kmag/$ver/build/make.log" 2>/dev/null >&2
			echo "dkms: build for $r failed" >&2
			exit 1
		fi
		ko=$(find "$tmp/tree/kmag/$ver/$r" -name 'kmag.ko*' | head -n 1)
		magic=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
		if [ "$magic" != "$r" ]; then
			echo "dkms: kmag.ko for $r has vermagic '$magic'" >&2
			exit 1
		fi
		# A client module finds the header and the symbol versions
		# where install puts them (built here the same way).
		copy_sources "$tmp/sym/$r"
		make -s -C "/usr/src/linux-headers-$r" M="$tmp/sym/$r/kmod" KMAG_ONLY=1 \
			modules >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
		mkdir -p "$tmp/client/$r"
		cp "$top/kmod/example/kmag_example.c" "$tmp/client/$r/"
		printf 'obj-m := kmag_example.o\nccflags-y := -I%s -Werror\n' \
			"$tmp/src/kmag-$ver/include" >"$tmp/client/$r/Kbuild"
		if ! make -C "/usr/src/linux-headers-$r" M="$tmp/client/$r" \
			KBUILD_EXTRA_SYMBOLS="$tmp/sym/$r/kmod/Module.symvers" modules \
			>"$tmp/log" 2>&1 || grep -q 'undefined!' "$tmp/log"; then
			cat "$tmp/log" >&2
			echo "dkms: a client module does not build against kmag for $r" >&2
			exit 1
		fi
		echo "dkms: kmag $ver built for $r; a client module builds against it"
		n=$((n + 1))
	done
	[ $n -gt 0 ] || { echo "dkms: no kernel headers installed" >&2; exit 1; }
	;;
*)
	sed -n '2p' "$0" | sed 's/^# //' >&2
	exit 2
	;;
esac
