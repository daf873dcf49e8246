#!/usr/bin/env bash
# usage: scripts/kdir.sh [--image]
# Print the default kernel build tree: /lib/modules/$(uname -r)/build if it
# exists, else the newest Debian linux-headers-*-amd64 tree. With --image,
# print the newest Debian kernel image, /boot/vmlinuz-*-amd64, instead.
# Prints nothing if there is none.
set -euo pipefail

if [ "${1:-}" = "--image" ]; then
	ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n 1 || true
	exit 0
fi
run=/lib/modules/$(uname -r)/build
if [ -d "$run" ]; then
	echo "$run"
	exit 0
fi
newest=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
[ -n "$newest" ] && echo "$newest"
exit 0
