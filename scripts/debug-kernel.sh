#!/usr/bin/env bash
# usage: scripts/debug-kernel.sh [--dir]
# Build (once) the kmag debug kernel: x86_64 tinyconfig + scripts/debug-kernel.config
# from Debian's linux-source of the series KVER names (6.1 by default; KVER=6.12,
# or KVER=6.12-rt for PREEMPT_RT, which adds scripts/debug-kernel-rt.config), in
# $KMAG_CACHE (default ~/.cache/kmag), keyed by a hash of the fragments and the
# source version. Prints the build directory (usable as KDIR; bzImage at
# arch/x86/boot/bzImage). --dir prints it without building.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${KMAG_CACHE:-$HOME/.cache/kmag}
want=${KVER:-6.1}
series=$(echo "$want" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
[ -n "$series" ] || { echo "debug-kernel: KVER=$want names no Linux series" >&2; exit 2; }
frags=("$here/debug-kernel.config")
case $want in
*-rt | *-rt-amd64) frags+=("$here/debug-kernel-rt.config") ;;
esac
ver=$(dpkg-query -W -f='${Version}' "linux-source-$series" 2>/dev/null || echo none)
key=$( (cat "${frags[@]}" "$0"; echo "$ver") | sha256sum | cut -c1-16)
out=$cache/kernel-$key

if [ "${1:-}" = "--dir" ]; then
	echo "$out"
	exit 0
fi
if [ -f "$out/.kmag-built" ]; then
	echo "$out"
	exit 0
fi

src=$("$here/kernel-source.sh" "$series")
echo "debug-kernel: building $series${frags[1]:+ PREEMPT_RT} kernel $key (fragment or source changed; takes several minutes)" >&2
log=$cache/kernel-$key.log
rm -rf "$out"
mkdir -p "$out"
start=$SECONDS
{
	make -C "$src" O="$out" ARCH=x86_64 tinyconfig
	KCONFIG_CONFIG="$out/.config" "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" "${frags[@]}"
	make -C "$src" O="$out" ARCH=x86_64 olddefconfig
} >"$log" 2>&1 || { echo "debug-kernel: configuration failed, see $log" >&2; exit 1; }

# Every option of the fragments (the last line naming it wins) must have
# survived olddefconfig.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" "$out/.config" || { echo "debug-kernel: not applied: $line" >&2; bad=1; }
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" "$out/.config" || { echo "debug-kernel: not unset: $opt" >&2; bad=1; }
		;;
	esac
done < <(cat "${frags[@]}" | awk '
	/^CONFIG_[A-Za-z0-9_]*=/ { o = $0; sub(/=.*/, "", o) }
	/^# CONFIG_[A-Za-z0-9_]* is not set$/ { o = $2 }
	o != "" { if (!(o in v)) order[n++] = o; v[o] = $0; o = "" }
	END { for (i = 0; i < n; i++) print v[order[i]] }')
[ $bad -eq 0 ] || { echo "debug-kernel: fix ${frags[*]} (dependencies missing?)" >&2; exit 1; }

make -C "$src" O="$out" ARCH=x86_64 -j"$(nproc)" bzImage modules >>"$log" 2>&1 ||
	{ echo "debug-kernel: build failed, last lines of $log:" >&2; tail -20 "$log" >&2; exit 1; }
touch "$out/.kmag-built"
echo "debug-kernel: built in $((SECONDS - start)) s" >&2
echo "$out"
