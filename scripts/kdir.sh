#!/usr/bin/env bash
# usage: scripts/kdir.sh [--image | --release | --series | --rt]
# Which Debian kernel kmag builds for and boots, chosen explicitly, never
# "the newest installed":
#   KDIR set       that build tree; its release (UTS_RELEASE) names the image;
#   KVER unset     the Linux 6.1 kernel that Debian 12's linux-image-amd64
#                  installs ('make deps'): the highest 6.1.*-amd64 release that
#                  has both /boot/vmlinuz-<release> and headers;
#   KVER=6.12      the highest 6.12.*-amd64 release installed, generic
#                  flavour (not -cloud-, not -rt-; KVER=6.12-rt for *-rt-amd64);
#   KVER=<release> exactly that release (e.g. 6.1.0-56-amd64).
# Prints the build tree (/usr/src/linux-headers-<release>), or with --image
# the kernel image, with --release the release, with --series its Linux
# series (6.1, 6.12: which linux-source its debug kernel and test modules come
# from), with --rt "rt" for a PREEMPT_RT kernel and nothing otherwise; prints
# nothing if there is no such kernel (an image and its headers both installed).
set -euo pipefail

want=${KVER:-6.1}

release_of_kdir() {
	local r
	r=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
		"$1/include/generated/utsrelease.h" 2>/dev/null || true)
	[ -n "$r" ] || r=$(basename "$1" | sed 's/^linux-headers-//')
	echo "$r"
}

if [ -n "${KDIR:-}" ]; then
	kdir=$KDIR
	release=$(release_of_kdir "$kdir")
else
	case $want in
	*-amd64) pattern=$want ;;
	*-rt) pattern="${want%-rt}.*-rt-amd64" ;;
	*) pattern="$want.*-amd64" ;;
	esac
	release=""
	for h in $(ls -d /usr/src/linux-headers-* 2>/dev/null | sort -V); do
		r=${h#/usr/src/linux-headers-}
		# $pattern is a glob (6.1.*-amd64 does not match 6.10.*).
		# shellcheck disable=SC2254
		case $r in
		*-common | *-common-rt) continue ;;
		$pattern) ;;
		*) continue ;;
		esac
		# A series means Debian's generic flavour: no -cloud-, no -rt-
		# unless asked for (KVER=6.12-rt, or an exact release).
		case $want in
		*-amd64) ;;
		*-rt) case $r in *-cloud-*) continue ;; esac ;;
		*) case $r in *-rt-amd64 | *-cloud-amd64) continue ;; esac ;;
		esac
		[ -e "/boot/vmlinuz-$r" ] || continue
		release=$r
	done
	[ -n "$release" ] || exit 0
	kdir=/usr/src/linux-headers-$release
fi

case ${1:-} in
--image)
	[ ! -e "/boot/vmlinuz-$release" ] || echo "/boot/vmlinuz-$release"
	;;
--release) echo "$release" ;;
--series) echo "$release" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p' ;;
--rt)
	if [ -f "$kdir/.config" ]; then
		! grep -q '^CONFIG_PREEMPT_RT=y' "$kdir/.config" || echo rt
	else
		case $release in *-rt-amd64 | *-rt) echo rt ;; esac
	fi
	;;
*)
	[ ! -d "$kdir" ] || echo "$kdir"
	;;
esac
