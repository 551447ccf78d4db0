#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The in-guest test suite, run by harness/check.sh inside the VM: the
# upstream livepatch selftests, then the in-guest bats files. Prints TAP.

set -uo pipefail

top=${KLP_TOP:?run inside the VM from harness/check.sh}
rc=0

echo "# == KUnit suites run at boot =="
"$top/tests/kunit/report.sh" klp_shadow || rc=1

echo "# == livepatch selftests (upstream and ours) =="
"$top/tests/selftests/run.sh" "$KLP_STAGE/selftests" || rc=1

echo "# == in-guest bats =="
bats --tap "$top/tests/bats/guest" || rc=1

exit $rc
