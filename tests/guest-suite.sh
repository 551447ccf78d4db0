#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The in-guest test suite, run by harness/check.sh inside the VM: the
# upstream livepatch selftests, then the in-guest bats files. Prints TAP.

set -uo pipefail

top=${KLP_TOP:?run inside the VM from harness/check.sh}
rc=0

echo "# == upstream livepatch selftests =="
"$top/tests/selftests/run.sh" "$KLP_STAGE/selftests" || rc=1

echo "# == in-guest bats =="
bats --tap "$top/tests/bats/guest" || rc=1

exit $rc
