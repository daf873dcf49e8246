# SPDX-License-Identifier: GPL-2.0
# kmag: see README.md. `make help` lists the targets.

# Kernel to build against: the running kernel's build tree if it has one,
# else the newest Debian linux-headers-*-amd64 tree. KDIR=... wins.
KDIR ?= $(shell scripts/kdir.sh)
# kselftest_module.h for the stress module, from the unpacked kernel source.
KSELFTEST_DIR ?= $(shell scripts/kernel-source.sh)/tools/testing/selftests

.PHONY: all modules clean deps run check bench sizeclasses checkpatch help

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no kernel build tree: run 'make deps' or pass KDIR="; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) KSELFTEST_DIR=$(KSELFTEST_DIR) modules

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf build

deps:
	@scripts/deps.sh

run: deps
	@scripts/run.sh

check: deps
	@scripts/check.sh

bench: deps
	@scripts/bench.sh $(if $(QUICK),--quick)

sizeclasses:
	scripts/gen-sizeclasses.py > kmod/sizeclasses.h

checkpatch:
	@scripts/checkpatch.sh

help:
	@echo "kmag targets:"
	@echo "  make             build kmag.ko and the example, selftest, bench (and KUnit) modules against KDIR"
	@echo "  make deps        install the Debian packages kmag needs (apt-get; quiet when present)"
	@echo "  make run         boot the Debian kernel in QEMU, load kmag and the example client, show stats"
	@echo "  make check       all tests: KUnit (debug kernel), selftests (distro + debug), warning-free build"
	@echo "  make bench       kmag vs SLUB vs ideal in one boot (QUICK=1: under 2 minutes); results/"
	@echo "  make sizeclasses regenerate kmod/sizeclasses.h with scripts/gen-sizeclasses.py"
	@echo "  make checkpatch  run the kernel's checkpatch.pl on kmod/, kunit/ and include/"
	@echo "  make clean       remove build products"
	@echo "variables: KDIR=<kernel build tree>"
