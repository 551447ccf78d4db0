#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: build the kernel and klp-shadow, boot the kernel, load livepatch
# modules and show the registry: sysfs, debugfs and klp-shadow.

set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"
lock_tree

"$HARNESS/deps.sh"
"$HARNESS/ksrc.sh"
"$HARNESS/kbuild.sh"
make -s -C "$TOP/tools/klp-shadow" O="$BUILD/klp-shadow" WERROR=1
exec "$HARNESS/vm.sh" --timeout 300 -- "$HARNESS/guest/demo.sh"
