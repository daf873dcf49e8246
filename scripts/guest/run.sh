# Guest script (busybox sh) for `make run`: load kmag, show its stats, run
# the example client, show the stats again, unload everything cleanly.
show() {
	echo "--- /sys/kernel/debug/kmag/stats ($1)"
	cat /sys/kernel/debug/kmag/stats
}
echo "\$ insmod kmag.ko"
insmod /modules/kmag.ko || exit 1
dmesg | grep 'kmag:' | tail -n 1
show "after insmod kmag"
echo
echo "\$ insmod kmag_example.ko   # a client module: a message queue on kmag"
insmod /modules/kmag_example.ko || exit 1
dmesg | grep 'kmag_example:' | tail -n 1
show "with the example's 1000 queued messages"
echo
echo "--- /sys/kernel/debug/kmag/classes (classes in use)"
awk 'NR == 1 || $5 != 0' /sys/kernel/debug/kmag/classes
echo
echo "\$ kmagstat -o -n 10   # slabtop for kmag: totals, top caches by memory"
kmagstat -o -n 10 || exit 1
echo
echo "\$ rmmod kmag_example"
rmmod kmag_example || exit 1
dmesg | grep 'kmag_example:' | tail -n 1
echo "\$ echo 1 > /sys/kernel/debug/kmag/drain"
echo 1 >/sys/kernel/debug/kmag/drain
show "after the example unloaded and a drain"
echo
echo "\$ rmmod kmag"
rmmod kmag || exit 1
dmesg | grep 'kmag:' | tail -n 1
