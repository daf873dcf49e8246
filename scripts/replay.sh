#!/usr/bin/env bash
# usage: scripts/replay.sh [TRACE]
# `make replay [TRACE=path]`: replay an allocation trace through kmag and
# SLUB in one boot of the Debian kernel (KVER: see scripts/kdir.sh), 2 CPUs,
# with kmag_replay.ko: rounds interleaved (kmag, slub, kmag, slub, ...;
# REPLAY_ROUNDS per allocator, default 3). TRACE is an op file (.ops, or
# .ops.gz) or an ftrace text trace of the kmem events (plain or .gz, made
# into an op file by scripts/replay/trace2ops.py); default: the shipped
# trace, scripts/selftests/kmag/kmag_replay.ops.gz. Writes
# results/replay-<date>/: trace.ops, results.txt (the module's), summary.md
# (time/op, round-up waste, held at the live peak, dup requests) and
# held.png (held memory over the replay); prints the summary.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
trace=${1:-$here/selftests/kmag/kmag_replay.ops.gz}
rounds=${REPLAY_ROUNDS:-3}
[ -r "$trace" ] || { echo "replay: cannot read $trace" >&2; exit 1; }
kernel=$("$here/kdir.sh" --image)
[ -n "$kernel" ] || { echo "replay: no Debian kernel ${KVER:-6.1} with headers installed: run 'make deps'" >&2; exit 1; }
out=$top/results/replay-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
# Decompressed once (gzip -f passes a plain file through); an op file
# starts with its magic, anything else is converted as an ftrace trace.
gzip -cdf "$trace" >"$out/trace.ops" 2>/dev/null || true
if [ "$(head -c 7 "$out/trace.ops")" != KMAGOPS ]; then
	echo "replay: $trace is not an op file: converting it as an ftrace text trace"
	python3 "$here/replay/trace2ops.py" "$trace" "$out/trace.ops"
fi
mods=$top/build/distro-$("$here/kdir.sh" --release)
"$here/build-modules.sh" "$("$here/kdir.sh")" "$mods" >/dev/null
echo "rounds=$rounds" >"$out/replay-params"
echo "replay: booting $(basename "$kernel"), replaying $trace ($rounds rounds each, interleaved)"
"$here/vm-run.sh" -k "$kernel" -s "$here/guest/replay.sh" -t 900 \
	-m "$mods/kmod/kmag.ko" -m "$mods/kmod/replay/kmag_replay.ko" \
	-f "$out/trace.ops:/work/trace.ops" -f "$out/replay-params:/work/replay-params" \
	-l "$out/console.log" -o "$out/results.txt" >/dev/null ||
	{ echo "replay: the VM run failed (see $out/console.log, $out/results.txt)" >&2; exit 1; }
python3 "$here/replay/report.py" "$out" "$trace"
echo
echo "replay: results in $out"
