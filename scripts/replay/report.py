#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""usage: scripts/replay/report.py DIR [TRACE-NAME]

Read DIR/results.txt (kmag_replay.ko's results, scripts/replay.sh) and write
DIR/summary.md (medians of the rounds, ratios kmag/slub, the goals) and
DIR/held.png (held memory over the replay, both allocators, with gnuplot);
print the summary.
"""
import os
import subprocess
import sys


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write(__doc__.split("\n\n")[0] + "\n")
        return 2
    d = sys.argv[1]
    name = sys.argv[2] if len(sys.argv) == 3 else "?"
    kv, rounds, med, series = {}, [], {}, {"kmag": [], "slub": []}
    extra = {}
    with open(os.path.join(d, "results.txt")) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "round":
                rounds.append((int(w[1]), w[2], int(w[4]), int(w[6])))
            elif w[0] == "median":
                med[w[1]] = (int(w[3]) / 1000.0, int(w[5]))
            elif w[0] in ("kmag_peak", "tiny_peak"):
                extra.setdefault(w[0], []).append((int(w[3]), int(w[7])))
            elif w[0] == "series":
                series[w[1]].append((int(w[2]), int(w[3])))
            elif w[0] in ("ops", "peak", "waste", "dup_small", "file"):
                s = 0 if w[0] in ("ops", "file") else 1
                kv[w[0]] = dict(zip(w[s::2], w[s + 1::2]))
    if "kmag" not in med or "slub" not in med:
        sys.stderr.write(f"report: no medians in {d}/results.txt\n")
        return 1
    ops, waste, dup = kv["ops"], kv["waste"], kv["dup_small"]
    peak = kv["peak"]
    tk, ts = med["kmag"][0], med["slub"][0]
    hk, hs = med["kmag"][1], med["slub"][1]
    wk, ws = int(waste["kmag"]), int(waste["slub"])
    r_t, r_h = tk / ts, hk / hs if hs > 0 else float("inf")
    r_w = wk / ws if ws else float("inf")
    mib = lambda b: f"{b / 1048576:.2f} MiB"
    out = [
        f"# Trace replay: kmag vs SLUB",
        "",
        f"Trace: {name}: {ops['ops']} ops ({ops['allocs']} allocs, {ops['frees']} frees, "
        f"{ops['kmalloc_allocs']} of them kmalloc-type), {ops['caches']} caches, "
        f"{ops['slots']} slots; live peak at op {peak['op']}: {peak['live_objects']} objects, "
        f"{mib(int(peak['live_bytes']))} requested.",
        f"{len(rounds) // 2} rounds per allocator, interleaved, one boot (TCG, 2 vCPUs): "
        "medians; only the ratios mean something.",
        "",
        "| figure | kmag | slub | kmag/slub | goal | met |",
        "|---|---|---|---|---|---|",
        f"| time per op (ns) | {tk:.1f} | {ts:.1f} | {r_t:.2f} | <= 0.85 | {'yes' if r_t <= 0.85 else 'no'} |",
        f"| kmalloc round-up waste (bytes) | {wk} | {ws} | {r_w:.3f} | <= 0.10 | {'yes' if r_w <= 0.10 else 'no'} |",
        f"| held at the live peak | {mib(hk)} | {mib(hs)} | {r_h:.2f} | <= 1.10 | {'yes' if r_h <= 1.10 else 'no'} |",
        "",
        f"kmalloc-type bytes requested: {waste['requested']}. Dup-flagged (kstrdup, kstrndup, "
        f"kmemdup...) requests of 1-15 bytes: {dup['count']}, {dup['bytes']} bytes "
        f"(kmag round-up waste on them: {dup['kmag_waste']} bytes).",
        "",
        "Held: kmag's sys_bytes + metadata_bytes, SLUB's slab pages (vmstat), each minus its value "
        "before the round (kmag drained, the kmalloc caches shrunk first).",
        "",
    ]
    if "kmag_peak" in extra:
        ip = sorted(v[0] for v in extra["kmag_peak"])[len(extra["kmag_peak"]) // 2]
        out += [
            f"kmag at the same op, spans in use + metadata (held less the free pages of its "
            f"2 MiB chunks not given back yet): {mib(ip)}, "
            f"{ip / hs if hs > 0 else float('inf'):.2f}x SLUB's held.",
            "",
        ]
    if "tiny_peak" in extra:
        tp = extra["tiny_peak"][0]
        out += [
            f"With tiny=1 (dup-flagged 1-15 byte requests through kmag_alloc_tiny()), "
            f"kmag once: tiny_saved_bytes at the peak {tp[1]}; spans in use + metadata "
            f"{mib(tp[0])}.",
            "",
        ]
    out += [
        "| round | allocator | ns/op | held at peak |",
        "|---|---|---|---|",
    ]
    for r, a, ps, held in rounds:
        out.append(f"| {r} | {a} | {ps / 1000:.1f} | {mib(held)} |")
    text = "\n".join(out) + "\n"
    with open(os.path.join(d, "summary.md"), "w") as f:
        f.write(text)
    with open(os.path.join(d, "held.dat"), "w") as f:
        for a in ("kmag", "slub"):
            f.write(f"# {a}: op held_bytes\n")
            for op, held in series[a]:
                f.write(f"{op} {held}\n")
            f.write("\n\n")
    gp = f"""set terminal png size 900,500
set output '{d}/held.png'
set title 'Held memory over the replay (last round of each)'
set xlabel 'op'
set ylabel 'MiB held (minus before the round)'
set key top left
set arrow from {peak['op']}, graph 0 to {peak['op']}, graph 1 nohead dt 2
plot '{d}/held.dat' index 0 using 1:($2/1048576) with lines lw 2 title 'kmag', \\
     '' index 1 using 1:($2/1048576) with lines lw 2 title 'slub'
"""
    try:
        subprocess.run(["gnuplot"], input=gp, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        sys.stderr.write(f"report: gnuplot failed ({e}): no held.png (run 'make deps')\n")
        return 1
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
