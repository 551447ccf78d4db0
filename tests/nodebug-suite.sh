#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The in-guest suite on the kernel without CONFIG_LIVEPATCH_SHADOW_DEBUG,
# run by harness/check.sh's nodebug stage: the KUnit cases of boot (those
# of the debugfs knob are not built), test-shadow-debugfs.sh, which must
# skip (tests/expected-skips), and tests/bats/nodebug. Prints TAP.

set -uo pipefail

top=${KLP_TOP:?run inside the VM from harness/check.sh}
rc=0

echo "# == KUnit suites run at boot =="
"$top/tests/kunit/report.sh" klp_shadow || rc=1

echo "# == livepatch selftests: test-shadow-debugfs.sh =="
"$top/tests/selftests/run.sh" "$KLP_STAGE/selftests" test-shadow-debugfs.sh || rc=1

echo "# == in-guest bats: nodebug =="
bats --tap "$top/tests/bats/nodebug" || rc=1

exit $rc
