#!/usr/bin/env bash
# usage: scripts/deps.sh
# Install (with apt-get) every Debian 12 package kmag needs to build, boot and test.
# Idempotent: checks what is installed first and says nothing when all is there.
set -euo pipefail

pkgs=(
	build-essential bc flex bison libelf-dev libssl-dev dwarves python3
	qemu-system-x86 busybox-static cpio kmod xz-utils
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64 linux-source-6.12
	gnuplot-nox dkms golang-go graphviz
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run 'make deps' as root" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
