#!/usr/bin/env bash
# usage: scripts/replay/test-trace2ops.sh
# Host test of trace2ops.py (make check, step "convert"): a small
# hand-written trace must give the expected counts and op file (header,
# cache table named from the kmem_cache_free, a dup flag from a kretprobe
# event, a dropped free, an implicit free, an object left live), and
# malformed lines must fail with an error naming the file and line.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/kmag-trace2ops.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "trace2ops test: $* [FAIL]"; failed=$((failed + 1)); }

cat >"$tmp/good.txt" <<'T'
# tracer: nop
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
              sh-1       [000] .....     1.000001: kmalloc: call_site=foo+0x1/0x2 ptr=ffff888000001000 bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL node=-1 accounted=false
              sh-1       [000] .....     1.000002: kmalloc: call_site=bar+0x1/0x2 ptr=ffff888000002000 bytes_req=7 bytes_alloc=8 gfp_flags=GFP_KERNEL node=-1 accounted=false
              sh-1       [000] .....     1.000003: dup_kstrdup: (bar+0x5/0x10 <- kstrdup) ptr=0xffff888000002000
              sh-1       [001] .....     1.000004: kmem_cache_alloc: call_site=baz+0x1/0x2 ptr=ffff888000003000 bytes_req=200 bytes_alloc=256 gfp_flags=GFP_KERNEL node=-1 accounted=false
              sh-1       [001] .....     1.000005: kmem_cache_free: call_site=baz+0x9/0x20 ptr=ffff888000003000 name=my_cache
              sh-1       [001] .....     1.000006: kfree: call_site=qux+0x1/0x2 ptr=ffff888000009000
              sh-1       [001] .....     1.000007: kfree: call_site=qux+0x1/0x2 ptr=ffff888000001000
              sh-1       [000] .....     1.000008: kmalloc: call_site=foo+0x1/0x2 ptr=ffff888000002000 bytes_req=64 bytes_alloc=64 gfp_flags=GFP_KERNEL node=-1 accounted=false
CPU:1 [LOST 3 EVENTS]
T
if ! python3 "$here/trace2ops.py" "$tmp/good.txt" "$tmp/good.ops" 2>"$tmp/good.err"; then
	fail "the good trace was refused: $(cat "$tmp/good.err")"
fi
for want in "allocs: 4" "frees: 3" "dup-flagged allocs: 1" "caches: 1" \
	"frees without a traced alloc (dropped): 1" \
	"implicit frees (alloc of a live pointer): 1" "live at the end: 1" "7 ops written"; do
	grep -qF "trace2ops: $want" "$tmp/good.err" || fail "expected '$want' in: $(tr '\n' ';' <"$tmp/good.err")"
done
# The file itself: header, cache 0 "my_cache" of 200 bytes (a 256-byte
# slot: aligned to 64), the ops.
python3 - "$tmp/good.ops" <<'P' || fail "op file contents"
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"KMAGOPS\0", b[:8]
assert struct.unpack_from("<6I", b, 8) == (1, 1, 3, 7, 0, 0), struct.unpack_from("<6I", b, 8)
i, size, align = struct.unpack_from("<3I", b, 32)
assert (i, size, align) == (0, 200, 64) and b[44:53] == b"my_cache\0", b[32:76]
ops, off = [], 76
while off < len(b):
    if b[off] == 1:
        ops.append(struct.unpack_from("<BBHII", b, off)); off += 12
    else:
        ops.append(struct.unpack_from("<BBHI", b, off)); off += 8
want = [(1, 0, 0xffff, 0, 100), (1, 1, 0xffff, 1, 7), (1, 0, 0, 2, 200), (2, 0, 0, 2),
        (2, 0, 0, 0), (2, 0, 0, 1), (1, 0, 0xffff, 1, 64)]
assert ops == want, ops
P

bad() {	# bad LINE... -- EXPECTED: the converter fails naming line 2 and EXPECTED
	local exp=${*: -1}
	printf '# tracer: nop\n' >"$tmp/bad.txt"
	printf '%s\n' "${@:1:$#-1}" >>"$tmp/bad.txt"
	if python3 "$here/trace2ops.py" "$tmp/bad.txt" "$tmp/bad.ops" 2>"$tmp/bad.err"; then
		fail "accepted: ${*:1:$#-1}"
	elif ! grep -qF "$tmp/bad.txt:2: " "$tmp/bad.err" || ! grep -qF "$exp" "$tmp/bad.err"; then
		fail "expected '$tmp/bad.txt:2: ... $exp', got: $(cat "$tmp/bad.err")"
	else
		echo "trace2ops test: refused as expected: $(cat "$tmp/bad.err")"
	fi
}
bad "this is not a trace line" "not a trace event line"
bad "  sh-1 [000] ..... 1.0: kmalloc: call_site=f+0x1/0x2 ptr=zz00 bytes_req=8 bytes_alloc=8" "bad ptr='zz00'"
bad "  sh-1 [000] ..... 1.0: kmalloc: call_site=f+0x1/0x2 ptr=ffff888000001000 bytes_alloc=8" "no bytes_req= field"
bad "  sh-1 [000] ..... 1.0: kfree: call_site=f+0x1/0x2" "no ptr= field"

[ $failed -eq 0 ] || { echo "trace2ops test: $failed failed"; exit 1; }
echo "trace2ops test: PASS"
