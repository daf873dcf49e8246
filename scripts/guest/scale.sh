# Guest script (busybox sh): the kselftests that exercise many CPUs and
# nodes (stress, CPU hot-unplug under stress, NUMA locality where the
# helper module exists), with the kernel's kselftest runner (TAP on
# stdout). Booted with 8 CPUs on 4 nodes by check.sh's scale step.
# Oversubscribed under TCG (8 vCPUs on few host cores, KASAN and lockdep
# on), the stress runs 5000 operations per CPU (20000 under hotplug), not a
# million, and the NUMA module 5000, not 100000.
insmod /modules/kmag.ko || { echo "insmod kmag.ko failed"; exit 1; }
echo "# $(grep -c ^processor /proc/cpuinfo) CPUs, $(ls -d /sys/devices/system/node/node* | wc -l) nodes"
BASE_DIR=/selftests
export BASE_DIR
cd /selftests/kmag || exit 1
. /selftests/kselftest/runner.sh
KMAG_STRESS_OPS=${KMAG_STRESS_OPS:-5000}
KMAG_HOTPLUG_OPS=${KMAG_HOTPLUG_OPS:-20000}
KMAG_NUMA_OPS=${KMAG_NUMA_OPS:-5000}
export KMAG_STRESS_OPS KMAG_HOTPLUG_OPS KMAG_NUMA_OPS
tests="./kmag_stress.sh ./kmag_hotplug.sh"
[ ! -e ./kmag_numa.sh ] || tests="$tests ./kmag_numa.sh"
run_many $tests
rmmod kmag || { echo "rmmod kmag failed"; exit 1; }
