#!/usr/bin/env bash
# usage: scripts/checkpatch.sh
# Run the kernel's checkpatch.pl (from the unpacked linux-source) over
# kmag's C sources and headers. Exits non-zero on any error or warning.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
ksrc=$("$here/kernel-source.sh")
cd "$top"
files=$(find kmod kunit include -name '*.[ch]' ! -name sizeclasses.h ! -name kmag_compat.h \
	! -name '*.mod.c' | sort)
# sizeclasses.h is generated: its tables are laid out by the generator.
rc=0
"$ksrc/scripts/checkpatch.pl" --no-tree --quiet --show-types -f $files || rc=1
# kmag_compat.h is the one place that tests LINUX_VERSION_CODE (out of tree,
# kmag builds for several kernels): only that is allowed there.
"$ksrc/scripts/checkpatch.pl" --no-tree --quiet --show-types \
	--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f include/kmag_compat.h || rc=1
exit $rc
