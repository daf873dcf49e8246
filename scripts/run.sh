#!/usr/bin/env bash
# usage: scripts/run.sh
# `make run`: build kmag and the example client against the Debian headers,
# boot the Debian kernel in QEMU (2 CPUs), load kmag and the client, print
# the debugfs stats before and after and one screen of kmagstat, and unload
# everything.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
kernel=$("$here/kdir.sh" --image)
[ -n "$kernel" ] || { echo "run: no Debian kernel ${KVER:-6.1} with headers installed: run 'make deps'" >&2; exit 1; }
kdir=$("$here/kdir.sh")
mods=$top/build/distro-$("$here/kdir.sh" --release)
log=$top/build/run/console.log
mkdir -p "$(dirname "$log")"

echo "run: building kmag against $kdir"
"$here/build-modules.sh" "$kdir" "$mods" >/dev/null
echo "run: booting $(basename "$kernel") in QEMU (TCG, 2 CPUs)..."
echo
rc=0
"$here/vm-run.sh" -k "$kernel" -s "$here/guest/run.sh" -t 300 -l "$log" \
	-m "$mods/kmod/kmag.ko" -m "$mods/kmod/example/kmag_example.ko" \
	-f "$top/build/kmagstat/kmagstat:/bin/kmagstat" || rc=$?
echo
echo "run: kernel console log: $log"
[ $rc -eq 0 ] && echo "run: clean: no kernel warnings, everything unloaded" ||
	echo "run: FAILED (exit $rc)"
exit $rc
