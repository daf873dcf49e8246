# Guest script (busybox sh) for `make replay`: load kmag, replay the op file
# /work/trace.ops through kmag and SLUB (kmag_replay.ko, parameters in
# /work/replay-params), print the results.
insmod /modules/kmag.ko || { echo "insmod kmag.ko failed"; exit 1; }
# kmag as make bench's "kmag" column has it: the heap profile off (make
# bench's kmag_prof measures what sampling costs).
echo 0 >/sys/kernel/debug/kmag/heap_profile_rate || exit 1
insmod /modules/kmag_replay.ko path=/work/trace.ops $(cat /work/replay-params) ||
	{ echo "kmag_replay failed"; dmesg | grep kmag_replay; exit 1; }
cat /sys/kernel/debug/kmag_replay/results
rmmod kmag_replay || exit 1
# Once more through kmag only, kstrdup()-style requests as tiny objects.
insmod /modules/kmag_replay.ko path=/work/trace.ops mode=kmag tiny=1 ||
	{ echo "kmag_replay tiny=1 failed"; dmesg | grep kmag_replay; exit 1; }
sed -n 's/^kmag_peak /tiny_peak /p' /sys/kernel/debug/kmag_replay/results
rmmod kmag_replay || exit 1
rmmod kmag || exit 1
