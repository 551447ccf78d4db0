#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: build the kernel, boot it, load livepatch modules and show the
# livepatch sysfs tree of the running VM.

set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

"$HARNESS/deps.sh"
"$HARNESS/ksrc.sh"
"$HARNESS/kbuild.sh"
exec "$HARNESS/vm.sh" --timeout 300 -- "$HARNESS/guest/demo.sh"
