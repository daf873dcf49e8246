# Guest script (busybox sh) for `make trace`: record the kernel's own
# kmem:kmalloc, kmem:kfree, kmem:kmem_cache_alloc and kmem:kmem_cache_free
# events (boot with no_hash_pointers so that pointers pair up), plus
# kretprobes on kstrdup, kstrndup, kmemdup and kmemdup_nul (the pointers they
# return mark "dup" requests: their kmalloc call_site is their caller's),
# during a few seconds of busybox workload: file churn in a tmpfs, pipes,
# HTTP over loopback, insmod/rmmod of a module. Prints the events' formats,
# then the trace gzipped and base64-encoded between @@TRACE@@ and @@END@@.
t=/sys/kernel/tracing
[ -e $t/trace ] || mount -t tracefs nodev $t 2>/dev/null
[ -e $t/trace ] || t=/sys/kernel/debug/tracing
[ -e $t/trace ] || { echo "trace: no tracefs"; exit 1; }
iters=$(cat /work/trace-iters 2>/dev/null || echo 40)

echo 0 >$t/tracing_on
echo 65536 >$t/buffer_size_kb || exit 1
for f in kstrdup kstrndup kmemdup kmemdup_nul; do
	echo "r:kmagdup/dup_$f $f ptr=\$retval:x64" >>$t/kprobe_events 2>/dev/null ||
		echo "trace: no kretprobe on $f: $(grep -w "$f" /proc/kallsyms | head -n 3 | tr '\n' ' ')"
done
for e in kmalloc kfree kmem_cache_alloc kmem_cache_free; do
	echo "@@FORMAT $e@@"
	cat $t/events/kmem/$e/format
	echo 1 >$t/events/kmem/$e/enable || exit 1
done
[ -d $t/events/kmagdup ] && echo 1 >$t/events/kmagdup/enable
echo >$t/trace

# Workload.
ip link set lo up
mkdir -p /mnt/t
mount -t tmpfs churn /mnt/t || exit 1
mkdir -p /mnt/t/www
dd if=/dev/urandom of=/mnt/t/www/blob bs=1k count=48 2>/dev/null
echo hello >/mnt/t/www/index.html
httpd -p 127.0.0.1:8080 -h /mnt/t/www
nc -l -p 9000 -e cat >/dev/null 2>&1 &
echo 1 >$t/tracing_on
i=0
while [ $i -lt "$iters" ]; do
	d=/mnt/t/d$i
	mkdir -p $d/a/b
	for j in 1 2 3 4 5 6 7 8; do
		echo "file $i $j" >$d/a/f$j
		ln -s f$j $d/a/l$j
	done
	cp -r $d/a $d/c
	mv $d/c $d/e
	ls -lR $d >/dev/null
	dd if=/dev/zero bs=4k count=16 2>/dev/null | cat | md5sum >$d/sum
	seq 1 200 | sort -r | uniq | wc -l >/dev/null
	wget -q -O /dev/null http://127.0.0.1:8080/blob
	wget -q -O /dev/null http://127.0.0.1:8080/index.html
	echo "ping $i" | nc 127.0.0.1 9000 >/dev/null 2>&1
	[ $((i % 10)) -eq 0 ] && { insmod /modules/kmag.ko && rmmod kmag; }
	[ $((i % 2)) -eq 1 ] && rm -rf /mnt/t/d$((i - 1))
	i=$((i + 1))
done
echo 0 >$t/tracing_on
echo "@@STATS@@"
cat $t/per_cpu/cpu*/stats | grep -E 'entries|overrun'
echo "@@TRACE@@"
gzip -1 <$t/trace | base64
echo "@@END@@"
