# Guest script (busybox sh) for `make bench-ab`: kmag A and B (each with
# its kmag_bench) loaded in turn, /work/rounds times; A first in odd
# rounds, B first in even ones. Prints kmag_bench's CSV, each line
# prefixed with the build's letter.
n=$(cat /work/rounds)
r=1
while [ "$r" -le "$n" ]; do
	if [ $((r % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
	for v in $order; do
		insmod /work/$v/kmag.ko || { echo "insmod kmag.ko ($v) failed"; exit 1; }
		insmod /work/$v/kmag_bench.ko $(cat /work/bench-params) ||
			{ echo "kmag_bench ($v) failed"; exit 1; }
		sed "s/^/$v,/" /sys/kernel/debug/kmag_bench/results
		rmmod kmag_bench || exit 1
		rmmod kmag || exit 1
	done
	r=$((r + 1))
done
