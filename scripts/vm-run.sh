#!/usr/bin/env bash
# usage: scripts/vm-run.sh -k BZIMAGE -s SCRIPT [-m MODULE.ko]... [-f SRC:DEST]...
#                          [-c CPUS] [-M MEM_MB] [-n NODES] [-t SECONDS]
#                          [-a "KERNEL ARGS"] [-l CONSOLE_LOG] [-o OUTPUT]
#
# Boot BZIMAGE in QEMU (TCG, multi-threaded) with a busybox initramfs that
# holds the modules (-m, installed for modprobe), extra files (-f, copied to
# DEST inside the guest) and SCRIPT (run with sh as /work/test.sh, in /work).
# The script's output comes out through a second serial port and is printed
# here (and saved to OUTPUT if given); the kernel console goes to CONSOLE_LOG
# (default: build/vm/console.log in the source tree).
#
# Exit status: the script's, unless the kernel log shows a splat (BUG,
# WARNING, Oops, KASAN, lockdep, sleeping in atomic context, kmemleak leak,
# panic, soft lockup, RCU stall...; a kmemleak scan is forced where kmemleak
# is on), the time limit (-t, default 600 s) is hit, or the guest never
# reported: then 1. A guest that stalls or locks up is stopped 20 s after
# the kernel reports it. One stall is the emulator's, not the code's (see
# emulator_stall()): that run is made once more, and the first console is
# kept as CONSOLE_LOG.stalled.
#
# Expected reports: a test that provokes a report on purpose (a KASAN
# use-after-free, a red zone kmag must find) brackets it with kernel log
# lines "kmag-expect: begin WHAT" and "kmag-expect: end WHAT" (from a module
# with pr_info, from a script with echo >/dev/kmsg). Splats between the two
# are not failures; the test itself checks that the report it wanted came,
# and only that one. A window left open fails the run.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kernel="" script="" cpus=2 mem=1024 nodes=1 limit=600 append="" log="" out=""
modules=() files=()
while getopts "k:s:m:f:c:M:n:t:a:l:o:h" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	s) script=$OPTARG ;;
	m) modules+=("$OPTARG") ;;
	f) files+=("$OPTARG") ;;
	c) cpus=$OPTARG ;;
	M) mem=$OPTARG ;;
	n) nodes=$OPTARG ;;
	t) limit=$OPTARG ;;
	a) append=$OPTARG ;;
	l) log=$OPTARG ;;
	o) out=$OPTARG ;;
	*) sed -n '2,5s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
if [ -z "$kernel" ] || [ -z "$script" ]; then
	sed -n '2,5s/^# \{0,1\}//p' "$0" >&2
	exit 2
fi
for f in "$kernel" "$script" "${modules[@]}"; do
	[ -f "$f" ] || { echo "vm-run: $f not found" >&2; exit 2; }
done
busybox=/bin/busybox	# busybox-static
[ -x "$busybox" ] || { echo "vm-run: $busybox missing: run 'make deps'" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "vm-run: qemu missing: run 'make deps'" >&2; exit 2; }

work=$(mktemp -d /tmp/kmag-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
log=${log:-$(dirname "$here")/build/vm/console.log}
mkdir -p "$(dirname "$log")"
root=$work/root
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,work,modules,lib/modules}
cp "$busybox" "$root/bin/busybox"
for app in $("$root/bin/busybox" --list); do
	# No timeout applet in /usr/bin: runner.sh expects GNU timeout there.
	[ -e "$root/bin/$app" ] || ln -s busybox "$root/bin/$app"
done
# kmod's modprobe (kselftest's module.sh needs modprobe -n) and dash as
# /bin/sh (busybox's shell would run its own modprobe applet), with their
# libraries.
kmod=$(command -v kmod || true)
dash=$(command -v dash || true)
[ -x "$kmod" ] && [ -x "$dash" ] || { echo "vm-run: kmod or dash missing: run 'make deps'" >&2; exit 2; }
for f in "$kmod" "$dash" $( (ldd "$kmod"; ldd "$dash") | grep -o '/[^ ]*' | sort -u); do
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
done
for app in modprobe depmod insmod rmmod lsmod modinfo; do
	rm -f "$root/bin/$app"
	ln -sf "$kmod" "$root/sbin/$app"
done
rm -f "$root/bin/sh"
ln -sf "$dash" "$root/bin/sh"
for m in "${modules[@]}"; do
	cp "$m" "$root/modules/"
done
for f in "${files[@]}"; do
	src=${f%%:*}
	dst=$root/${f#*:}
	mkdir -p "$(dirname "$dst")"
	cp -r "$src" "$dst"
done
cp "$script" "$root/work/test.sh"
cat >"$root/init" <<'EOF'
#!/bin/sh
export PATH=/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
ln -s /proc/self/fd /dev/fd 2>/dev/null
ln -s /proc/self/fd/0 /dev/stdin 2>/dev/null
ln -s /proc/self/fd/1 /dev/stdout 2>/dev/null
ln -s /proc/self/fd/2 /dev/stderr 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmp /tmp
kver=$(uname -r)
mkdir -p /lib/modules/$kver/extra
cp /modules/*.ko /lib/modules/$kver/extra/ 2>/dev/null
touch /lib/modules/$kver/modules.order /lib/modules/$kver/modules.builtin \
	/lib/modules/$kver/modules.builtin.modinfo
depmod 2>/dev/null
stty -F /dev/ttyS1 raw -echo 2>/dev/null
echo "@@KMAG-START@@" >/dev/ttyS1
cd /work
/bin/sh /work/test.sh >/dev/ttyS1 2>&1
rc=$?
if [ -e /sys/kernel/debug/kmemleak ]; then
	# kmemleak reports only objects older than 5 s.
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >/dev/console
fi
echo "@@KMAG-EXIT@@ $rc" >/dev/ttyS1
sync
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"

numa=() smp=$cpus
if [ "$nodes" -gt 1 ]; then
	# One socket per node, its CPUs together: the CPUs sharing a last-level
	# cache are on one node (else the kernel warns, topology_sane()).
	if [ $((cpus % nodes)) -ne 0 ]; then
		echo "vm-run: $cpus CPUs do not split evenly over $nodes nodes" >&2
		exit 2
	fi
	per=$((cpus / nodes))
	smp="$cpus,sockets=$nodes,cores=$per,threads=1"
	for ((i = 0; i < nodes; i++)); do
		numa+=(-object "memory-backend-ram,id=m$i,size=$((mem / nodes))M"
		       -numa "node,nodeid=$i,cpus=$((i * per))-$((i * per + per - 1)),memdev=m$i")
	done
fi
rawout=$work/serial1.out
rcu_stall='self-detected stall|detected stalls on CPUs'
stall="$rcu_stall|soft lockup|hard LOCKUP|blocked for more than"
splat='BUG:|WARNING:|Oops|KASAN|general protection fault|Kernel panic|'
splat+='possible recursive locking|possible circular locking|circular locking dependency|'
splat+='inconsistent lock state|possible irq lock inversion|DEBUG_LOCKS_WARN_ON|'
splat+='sleeping function called from invalid context|suspected memory leak|'
splat+="unreferenced object|UBSAN|Call Trace:|$stall"

# Boot once: sets rc (the script's status) and fail (1 on any failure).
run_once() {
	local qpid wpid
	: >"$log"
	: >"$rawout"
	set +e
	timeout --foreground "$limit" qemu-system-x86_64 \
		-accel tcg,thread=multi -smp "$smp" -m "${mem}M" "${numa[@]}" \
		-kernel "$kernel" -initrd "$work/initrd.gz" \
		-append "console=ttyS0 loglevel=7 oops=panic panic=-1 $append" \
		-display none -monitor none -no-reboot \
		-serial "file:$log" -serial "file:$rawout" </dev/null &
	qpid=$!
	# A stalled or locked-up guest does not come back: stop it once the
	# kernel has printed its report, not at the time limit.
	(
		while sleep 5; do
			grep -qE "$stall" "$log" 2>/dev/null || continue
			sleep 20
			echo "vm-run: the guest stalled (console: $log); stopping it" >&2
			kill "$qpid" 2>/dev/null
			exit 0
		done
	) &
	wpid=$!
	wait "$qpid"
	qrc=$?
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	set -e

	tr -d '\r' <"$rawout" | sed -n '/@@KMAG-START@@/,$p' | sed '1d' |
		grep -v '^@@KMAG-EXIT@@' >"$work/output" || true

	fail=0
	if [ $qrc -eq 124 ]; then
		echo "vm-run: TIME LIMIT: the guest ran longer than $limit s (console: $log)" >&2
		fail=1
	fi
	rc=$(tr -d '\r' <"$rawout" | sed -n 's/^@@KMAG-EXIT@@ \([0-9]*\).*/\1/p' | tail -n 1)
	if [ -z "$rc" ]; then
		echo "vm-run: the guest did not finish its script (console: $log)" >&2
		fail=1
	fi
	# Drop the expected-report windows (begin/end lines must pair up).
	tr -d '\r' <"$log" | awk -v out="$work/unexpected" '
		/kmag-expect: begin / { if (open) { print "vm-run: nested kmag-expect window at line " NR; bad = 1 }
					open = 1; next }
		/kmag-expect: end / { if (!open) { print "vm-run: kmag-expect end without begin at line " NR; bad = 1 }
				      open = 0; next }
		!open { print NR ":" $0 > out }
		END { if (open) { print "vm-run: kmag-expect window never closed"; bad = 1 }
		      close(out); exit bad }' >&2 || fail=1
	touch "$work/unexpected"
	if grep -E "$splat" "$work/unexpected" >"$work/splats"; then
		echo "vm-run: kernel splat in $log:" >&2
		head -n 20 "$work/splats" >&2
		fail=1
	fi
}

# The one failure that is the emulator's: with two vCPUs under TCG, the
# kernel's text patching (int3 breakpoints, tracepoint and static key
# switches) once left a vCPU looping in exc_int3 while the other waited
# for it (an RCU stall, no kmag code on either stack). Such a run is made
# once more, and says so; anything else fails at once.
emulator_stall() {
	local first

	tr -d '\r' <"$log" >"$work/console"
	first=$(grep -nE "$rcu_stall" "$work/console" | head -n 1 | cut -d: -f1)
	[ -n "$first" ] || return 1
	# Nothing wrong before it, ...
	awk -F: -v l="$first" '$1 < l { bad = 1 } END { exit !bad }' "$work/splats" &&
		return 1
	# ... the int3 loop in its report, no kmag code anywhere in it.
	tail -n "+$first" "$work/console" >"$work/stall"
	grep -q 'RIP: 0010:exc_int3' "$work/stall" &&
		! grep -qE '\[kmag[a-z_]*\]' "$work/stall"
}

run_once
if [ $fail -ne 0 ] && emulator_stall; then
	cp "$log" "$log.stalled"
	echo "vm-run: the guest stalled in the kernel's text patching (exc_int3), an emulator fault, not kmag's (console kept in $log.stalled); running it once more" >&2
	run_once
fi
cat "$work/output"
[ -n "$out" ] && cp "$work/output" "$out"
[ $fail -eq 0 ] || exit 1
exit "$rc"
