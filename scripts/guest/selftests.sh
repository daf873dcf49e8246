# Guest script (busybox sh): run the kmag kselftests with the kernel's
# kselftest runner (TAP on stdout). kmag.ko is loaded first so that its
# debugfs files outlive each test module.
insmod /modules/kmag.ko || { echo "insmod kmag.ko failed"; exit 1; }
BASE_DIR=/selftests
export BASE_DIR
cd /selftests/kmag || exit 1
. /selftests/kselftest/runner.sh
# kmag_upstream.sh leaves kmag pinned: it has boots of its own (upstream.sh).
run_many $(ls ./*.sh | grep -v '/kmag_upstream\.sh$')
rmmod kmag || { echo "rmmod kmag failed"; exit 1; }
