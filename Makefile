# SPDX-License-Identifier: GPL-2.0
# kmag: see README.md. `make help` lists the targets.

# Kernel to build for and boot, chosen explicitly (scripts/kdir.sh): Debian's
# 6.1 (what 'make deps' installs) unless KVER=<6.12|6.12-rt|release> or
# KDIR=<build tree> says otherwise. Never "the newest headers installed".
# ($(shell) does not see exported variables before GNU make 4.4: pass them.)
export KVER
KDIR ?= $(shell KVER='$(KVER)' scripts/kdir.sh)
export KDIR
RELEASE := $(shell KDIR='$(KDIR)' scripts/kdir.sh --release)

.PHONY: all modules kmagstat clean deps run check bench bench-ab trace replay sizeclasses checkpatch help \
	dkms-install dkms-remove

all: modules kmagstat

# One build directory per kernel release: builds never mix.
modules:
	@test -n "$(KDIR)" || { echo "no kernel build tree for KVER=$(or $(KVER),6.1): run 'make deps' or pass KDIR="; exit 1; }
	scripts/build-modules.sh $(KDIR) build/distro-$(RELEASE)

# The user-space viewer (scripts/kmagstat/), static: build/kmagstat/kmagstat.
kmagstat:
	$(MAKE) -C scripts/kmagstat

clean:
	rm -rf build

deps:
	@scripts/deps.sh

run: deps
	@scripts/run.sh

check: deps
	@scripts/check.sh

bench: deps
	@scripts/bench.sh $(if $(QUICK),--quick)

# Two revisions of kmag in one boot, e.g. make bench-ab A=HEAD~1 B=. (the
# working tree); SCENARIOS (default P1,P2), APPEND (kernel arguments).
bench-ab: deps
	@test -n "$(A)" -a -n "$(B)" || { echo "usage: make bench-ab A=REV B=REV [SCENARIOS=P1,P4] [APPEND=init_on_alloc=0]"; exit 2; }
	@scripts/bench-ab.sh $(if $(SCENARIOS),-s $(SCENARIOS)) $(if $(APPEND),-a "$(APPEND)") $(A) $(B)

# Capture the kernel's own allocations (build/trace/); replay a trace (the
# shipped one by default) through kmag and SLUB (results/replay-<date>/).
trace: deps
	@scripts/trace.sh $(ITERS)

replay: deps
	@scripts/replay.sh $(TRACE)

# kmag.ko through DKMS (dkms.conf), for every kernel with headers.
dkms-install: deps
	@scripts/dkms.sh install

dkms-remove:
	@scripts/dkms.sh remove

sizeclasses:
	scripts/gen-sizeclasses.py > kmod/sizeclasses.h

checkpatch:
	@scripts/checkpatch.sh

help:
	@echo "kmag targets:"
	@echo "  make             build kmag.ko and the example, selftest, bench (and KUnit) modules in build/distro-<release>, and kmagstat"
	@echo "  make kmagstat    build only build/kmagstat/kmagstat, slabtop for kmag (static; also part of make)"
	@echo "  make deps        install the Debian packages kmag needs (apt-get; quiet when present)"
	@echo "  make run         boot the Debian kernel in QEMU, load kmag and the example client, show stats"
	@echo "  make check       all tests: KUnit (debug kernel), selftests (distro + debug), warning-free build"
	@echo "  make bench       kmag vs SLUB vs ideal in one boot (QUICK=1: under 2 minutes); results/"
	@echo "  make bench-ab A=REV B=REV  two revisions of kmag (. = the working tree) in one boot, interleaved"
	@echo "  make trace       record the kernel's kmem events under a busybox workload into build/trace/trace.ops.gz (ITERS=30)"
	@echo "  make replay      replay a trace (TRACE=path; default the shipped one) through kmag and SLUB; results/replay-<date>/"
	@echo "  make dkms-install  kmag.ko through DKMS for every kernel with headers (/usr/src/kmag-<version>)"
	@echo "  make dkms-remove   undo it"
	@echo "  make sizeclasses regenerate kmod/sizeclasses.h with scripts/gen-sizeclasses.py"
	@echo "  make checkpatch  run the kernel's checkpatch.pl on kmod/, kunit/ and include/"
	@echo "  make clean       remove build products"
	@echo "variables: KVER=<6.1 (default) | 6.12 | 6.12-rt | exact release>, KDIR=<kernel build tree>"
