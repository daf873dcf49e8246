# Guest script (busybox sh) for `make bench`: load kmag with the parameters
# in /work/kmag-params, run kmag_bench with those in /work/bench-params,
# print its CSV.
insmod /modules/kmag.ko $(cat /work/kmag-params) || { echo "insmod kmag.ko failed"; exit 1; }
insmod /modules/kmag_bench.ko $(cat /work/bench-params) || { echo "kmag_bench failed"; exit 1; }
cat /sys/kernel/debug/kmag_bench/results
rmmod kmag_bench || exit 1
rmmod kmag || exit 1
