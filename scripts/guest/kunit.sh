# Guest script (busybox sh): load kmag and the KUnit suites, then print each
# suite's KTAP results between "@@KUNIT <suite>@@" and "@@END@@" lines.
insmod /modules/kmag.ko || { echo "insmod kmag.ko failed"; exit 1; }
insmod /modules/kmag_kunit.ko || { echo "insmod kmag_kunit.ko failed"; exit 1; }
for d in /sys/kernel/debug/kunit/kmag_*; do
	echo "@@KUNIT ${d##*/}@@"
	cat "$d/results"
	echo "@@END@@"
done
rmmod kmag_kunit || exit 1
rmmod kmag || exit 1
