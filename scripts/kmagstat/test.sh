#!/usr/bin/env bash
# usage: scripts/kmagstat/test.sh KMAGSTAT
# kmagstat against fake debugfs files (-D): totals, rows, both sorts, ops/s
# from two reads, columns found by name, missing values, exit statuses.
set -euo pipefail

[ $# -eq 1 ] || { sed -n '2p' "$0" | sed 's/^# //' >&2; exit 2; }
ks=$1
d=$(mktemp -d /tmp/kmagstat-test.XXXXXX)
trap 'rm -rf "$d"' EXIT
fails=0
check() {	# check WHAT CONDITION...
	local what=$1
	shift
	if "$@"; then
		echo "ok   $what"
	else
		echo "FAIL $what"
		fails=$((fails + 1))
	fi
}

cat >"$d/stats" <<'END'
mallocs 1000
frees 400
live_objects 600
alloc_bytes 40960
sys_bytes 2097152
inuse_bytes 65536
idle_bytes 2031616
heap_released_bytes 0
magazine_bytes 4096
depot_bytes 8192
free_span_bytes 2019328
metadata_bytes 12345
magazine_hits 990
magazine_misses 10
a_name_from_the_future 7
END
slabinfo() {	# slabinfo KMAG8_MALLOCS
	cat <<END
name size object_size span_pages objs_per_span spans live_objects total_objects mallocs frees inuse_bytes idle_bytes span_bytes
kmag-8 8 8 1 512 1 100 512 $1 200 800 3296 4096
kmag-64 64 64 1 64 4 200 256 400 200 12800 3584 16384
my_objs 200 192 2 40 5 50 200 300 0 10000 30960 40960
END
}
slabinfo 300 >"$d/slabinfo"

out=$("$ks" -D "$d" -o -d 0 -b)
echo "$out" | sed 's/^/    /'
check "live objects from stats" [ "$(echo "$out" | awk '/^Objects:/ { print $2 }')" = 600 ]
check "heap sys in raw bytes" [ "$(echo "$out" | awk '/^Heap:/ { print $4 }')" = 2097152 ]
check "three cache rows" [ "$(echo "$out" | sed '1,/^NAME /d' | wc -l)" = 3 ]
check "sorted by memory" [ "$(echo "$out" | sed '1,/^NAME /d' | awk '{ printf "%s ", $1 }')" = "my_objs kmag-64 kmag-8 " ]
check "ops/s unknown with -d 0" [ "$(echo "$out" | awk '$1 == "kmag-8" { print $NF }')" = - ]
check "-n 1 shows one row" [ "$("$ks" -D "$d" -o -d 0 -n 1 | sed '1,/^NAME /d' | wc -l)" = 1 ]
check "human units" [ "$("$ks" -D "$d" -o -d 0 | awk '$1 == "my_objs" { print $8 }')" = 40.0KiB ]

# Two reads 1 s apart; kmag-8 does 1000 mallocs in between.
"$ks" -D "$d" -o -d 1 -s o >"$d/out" &
sleep 0.4
slabinfo 1300 >"$d/slabinfo"
wait $!
sed 's/^/    /' "$d/out"
check "sort by ops/s puts the busy cache first" \
	[ "$(sed '1,/^NAME /d' "$d/out" | head -n 1 | awk '{ print $1 }')" = kmag-8 ]
ops=$(awk '$1 == "kmag-8" { print $NF }' "$d/out")
check "ops/s about 1000 ($ops)" [ "$ops" -ge 900 -a "$ops" -le 1000 ]
check "idle cache 0 ops/s" [ "$(awk '$1 == "kmag-64" { print $NF }' "$d/out")" = 0 ]
check "sort by memory is the default" \
	[ "$("$ks" -D "$d" -o -d 0 | sed '1,/^NAME /d' | head -n 1 | awk '{ print $1 }')" = my_objs ]

# Columns found by name: another order, an unknown column; stats missing names.
awk '{ print $13, $2, $1, "new_column", $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 }' \
	"$d/slabinfo" >"$d/slabinfo.new"
mv "$d/slabinfo.new" "$d/slabinfo"
grep -v '^sys_bytes\|^alloc_bytes' "$d/stats" >"$d/stats.new"
mv "$d/stats.new" "$d/stats"
out2=$("$ks" -D "$d" -o -d 0 -b)
check "columns by header name" [ "$(echo "$out2" | sed '1,/^NAME /d')" = "$(echo "$out" | sed '1,/^NAME /d')" ]
check "a missing stat is '-'" [ "$(echo "$out2" | awk '/^Heap:/ { print $2, $4 }')" = "- -" ]

# Exit statuses.
rc=0
err=$("$ks" -D "$d/none" -o 2>&1 >/dev/null) || rc=$?
check "missing directory: exit 1 ($rc)" [ $rc = 1 ]
check "missing directory: one line" [ "$(echo "$err" | wc -l)" = 1 ]
check "missing directory: says why ($err)" \
	[ "$err" = "kmagstat: $d/none/stats: No such file or directory (is debugfs mounted and kmag loaded?)" ]
for bad in "-x" "-s x" "-d -1" "-d abc" "-n x" "extra"; do
	rc=0
	# shellcheck disable=SC2086 # split on purpose
	"$ks" -D "$d" -o $bad >/dev/null 2>"$d/err" || rc=$?
	check "bad option '$bad': exit 2 ($rc)" [ $rc = 2 ]
	check "bad option '$bad': usage" grep -q '^usage: kmagstat' "$d/err"
done
[ $fails -eq 0 ] || { echo "kmagstat host test: $fails failed" >&2; exit 1; }
echo "kmagstat host test: all passed"
