#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""usage: scripts/replay/trace2ops.py TRACE.txt[.gz] OUT.ops[.gz]

Convert an ftrace text trace (/sys/kernel/tracing/trace) of the kernel's
kmem:kmalloc, kmem:kfree, kmem:kmem_cache_alloc and kmem:kmem_cache_free
events into kmag's replay op file (README, "Trace replay"), read by
kmag_replay.ko. Pointers must be unhashed (boot with no_hash_pointers):
allocations and frees pair up by pointer into slots.

- An allocation of a pointer that is still live frees the old slot first
  (its free was not traced: kfree_bulk, lost events); a free of a pointer
  with no traced allocation is dropped; allocations never freed stay live.
- kmem_cache_alloc events become allocations from a cache of the same
  object size (bytes_req); the name comes from the kmem_cache_free of the
  object (6.1's kmem_cache_alloc has no name), an object never freed goes to
  the most used cache of its sizes, or to an unnamed "obj<size>" one.
- A kmalloc whose pointer a kstrdup/kstrndup/kmemdup/kmemdup_nul kretprobe
  event (any event named dup_*, with a ptr=0x... field) returned, or whose
  call_site is in one of those functions or kstrdup_const, is flagged "dup".
- Size 0 and NULL pointers are skipped; kmallocs above 4 MiB (kmag's
  limit) and caches above 32 KiB are dropped (counted).
Lines that are not events, comments or ftrace's markers are an error
naming the line. Writes gzip when OUT ends in .gz. Prints counts on stderr.
"""
import collections
import gzip
import re
import struct
import sys

MAGIC = b"KMAGOPS\0"
VERSION = 1
OP_ALLOC, OP_FREE = 1, 2
FLAG_DUP = 1
KMALLOC = 0xFFFF
MAX_KMALLOC = 4 << 20
MAX_CACHE = 32768
NAME_LEN = 32
DUP_FUNCS = {"kstrdup", "kstrndup", "kmemdup", "kmemdup_nul", "kstrdup_const"}

LINE = re.compile(r"^\s*(?P<task>.*?)-(?P<pid>\d+)\s+(?:\(\s*[-\d]+\)\s+)?"
                  r"\[(?P<cpu>\d+)\]\s+(?:\S{4,5}\s+)?(?P<ts>\d+\.\d+):\s+"
                  r"(?P<event>\w+):\s+(?P<rest>.*)$")
FIELD = re.compile(r"(\w+)=(\S*)")
# ftrace's own markers: lost events, buffer starts.
MARKER = re.compile(r"^(CPU:\d+ \[LOST \d+ EVENTS\]|#+ CPU \d+ buffer started #+)$")


class TraceError(Exception):
    pass


def clean_name(name):
    name = re.sub(r"[^A-Za-z0-9_.:-]", "_", name)[:NAME_LEN - 1]
    return name or "anon"


def align_of(obj, alloc):
    """SLAB_HWCACHE_ALIGN shows as a slot rounded to 64 that 8 would not explain."""
    up8 = (obj + 7) & ~7
    if alloc % 64 == 0 and alloc == (obj + 63) & ~63 and alloc != up8:
        return 64
    return 8


class Converter:
    def __init__(self):
        self.ops = []          # [type, slot, size, cachekey or None, flags]
        self.live = {}         # ptr -> (slot, op index)
        self.free_slots = []
        self.nr_slots = 0
        self.names = {}        # op index -> cache name (from its free)
        self.count = collections.Counter()

    def field(self, fields, key, where, hexa=False):
        if key not in fields:
            raise TraceError(f"{where}: no {key}= field")
        try:
            return int(fields[key], 16) if hexa else int(fields[key])
        except ValueError:
            raise TraceError(f"{where}: bad {key}={fields[key]!r}") from None

    def free(self, ptr):
        slot, _ = self.live.pop(ptr)
        self.ops.append([OP_FREE, slot, 0, None, 0])
        self.free_slots.append(slot)

    def alloc(self, ptr, size, key, flags):
        if ptr in self.live:
            self.count["implicit frees (alloc of a live pointer)"] += 1
            self.free(ptr)
        if self.free_slots:
            slot = self.free_slots.pop()
        else:
            slot = self.nr_slots
            self.nr_slots += 1
        self.live[ptr] = (slot, len(self.ops))
        self.ops.append([OP_ALLOC, slot, size, key, flags])

    def event(self, ev, rest, where):
        fields = dict(FIELD.findall(rest))
        if ev.startswith("dup_"):
            ptr = self.field(fields, "ptr", where, hexa=True)
            if ptr in self.live:
                op = self.ops[self.live[ptr][1]]
                if op[3] is None:
                    op[4] |= FLAG_DUP
            return
        if ev not in ("kmalloc", "kmem_cache_alloc", "kfree", "kmem_cache_free"):
            self.count["other events (ignored)"] += 1
            return
        ptr = self.field(fields, "ptr", where, hexa=True)
        if ev in ("kfree", "kmem_cache_free"):
            if ptr == 0:
                return
            if ptr not in self.live:
                self.count["frees without a traced alloc (dropped)"] += 1
                return
            if ev == "kmem_cache_free" and "name" in fields:
                self.names[self.live[ptr][1]] = fields["name"]
            self.free(ptr)
            return
        req = self.field(fields, "bytes_req", where)
        alloc = self.field(fields, "bytes_alloc", where)
        if ptr == 0 or req == 0:
            return
        site = fields.get("call_site", "").split("+")[0]
        if ev == "kmalloc":
            if req > MAX_KMALLOC:
                self.count["kmallocs above 4 MiB (dropped)"] += 1
                return
            self.alloc(ptr, req, None, FLAG_DUP if site in DUP_FUNCS else 0)
        else:
            if req > MAX_CACHE:
                self.count["cache objects above 32 KiB (dropped)"] += 1
                return
            self.alloc(ptr, req, (req, max(alloc, req)), 0)

    def read(self, lines, fname):
        n = 0
        for n, line in enumerate(lines, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if MARKER.match(line.strip()):
                self.count["ftrace markers (lost events?)"] += 1
                continue
            m = LINE.match(line)
            if not m:
                raise TraceError(f"{fname}:{n}: not a trace event line: {line[:80]!r}")
            self.count["events"] += 1
            self.event(m["event"], m["rest"], f"{fname}:{n}: {m['event']}")
        if not self.ops:
            raise TraceError(f"{fname}: no kmem allocation events in {n} lines")

    def caches(self):
        """Cache table: (name, size) of every cache alloc, unnamed ones placed."""
        used = collections.Counter()
        for i, op in enumerate(self.ops):
            if op[0] == OP_ALLOC and op[3] is not None and i in self.names:
                used[(clean_name(self.names[i]),) + op[3]] += 1
        best = {}
        for (name, obj, alloc), n in used.most_common():
            best.setdefault((obj, alloc), name)
        table, ids = [], {}
        for i, op in enumerate(self.ops):
            if op[0] != OP_ALLOC or op[3] is None:
                continue
            obj, alloc = op[3]
            name = clean_name(self.names[i]) if i in self.names else \
                best.get(op[3], f"obj{obj}")
            key = (name, obj, alloc)
            if key not in ids:
                ids[key] = len(table)
                table.append((name, obj, align_of(obj, alloc)))
            op[3] = ids[key]
        return table

    def write(self, out):
        table = self.caches()
        if len(table) >= KMALLOC:
            raise TraceError(f"{len(table)} caches: at most {KMALLOC - 1}")
        b = bytearray(MAGIC)
        b += struct.pack("<IIIIII", VERSION, len(table), self.nr_slots, len(self.ops), 0, 0)
        seen = collections.Counter()
        for i, (name, size, align) in enumerate(table):
            seen[name] += 1
            if seen[name] > 1:	# same name, other size: keep names unique
                name = f"{name[:NAME_LEN - 5]}.{seen[name]}"
            b += struct.pack("<III", i, size, align) + name.encode().ljust(NAME_LEN, b"\0")
        for t, slot, size, cache, flags in self.ops:
            if t == OP_ALLOC:
                self.count["allocs"] += 1
                self.count["dup-flagged allocs"] += bool(flags & FLAG_DUP)
                b += struct.pack("<BBHII", t, flags, KMALLOC if cache is None else cache, slot, size)
            else:
                self.count["frees"] += 1
                b += struct.pack("<BBHI", t, 0, 0, slot)
        self.count["caches"] = len(table)
        self.count["slots"] = self.nr_slots
        self.count["live at the end"] = len(self.live)
        data = bytes(b)
        if out.endswith(".gz"):
            data = gzip.compress(data, 9, mtime=0)
        with open(out, "wb") as f:
            f.write(data)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__.split("\n\n")[0] + "\n")
        return 2
    src, out = sys.argv[1:]
    conv = Converter()
    try:
        opener = gzip.open if src.endswith(".gz") else open
        with opener(src, "rt", errors="replace") as f:
            conv.read(f, src)
        conv.write(out)
    except (TraceError, OSError) as e:
        sys.stderr.write(f"trace2ops: {e}\n")
        return 1
    for k, v in sorted(conv.count.items()):
        sys.stderr.write(f"trace2ops: {k}: {v}\n")
    sys.stderr.write(f"trace2ops: {len(conv.ops)} ops written to {out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
