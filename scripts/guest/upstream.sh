# Guest script (busybox sh): the kernel's own test modules through kmag
# (kmag_upstream.sh), with the kernel's kselftest runner (TAP on stdout).
# test_meminit has no exit function: once loaded, it stays, and so does the
# kmag.ko its kmag build uses. kmag is therefore not unloaded here, and
# this test runs in a boot of its own.
insmod /modules/kmag.ko || { echo "insmod kmag.ko failed"; exit 1; }
BASE_DIR=/selftests
export BASE_DIR
cd /selftests/kmag || exit 1
. /selftests/kselftest/runner.sh
run_many ./kmag_upstream.sh
