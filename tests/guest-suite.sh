#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The in-guest test suite, run by harness/check.sh inside the VM: the
# KUnit results of boot, the livepatch selftests (upstream's and ours, or
# those named in KLP_SELFTESTS), then the in-guest bats files (or those
# named in KLP_GUEST_BATS). Prints TAP.

set -uo pipefail

top=${KLP_TOP:?run inside the VM from harness/check.sh}
rc=0

clock=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
if [ "$clock" = tsc ]; then
	echo "# clocksource: tsc"
else
	echo "# clocksource: $clock, not tsc: no usable clock for the figures of this run"
fi

echo "# up $(cut -d ' ' -f 1 /proc/uptime) s after boot, KUnit included"
echo "# == KUnit suites run at boot =="
"$top/tests/kunit/report.sh" klp_shadow || rc=1

echo "# == livepatch selftests: ${KLP_SELFTESTS:-upstream and ours} =="
read -ra selftests <<< "${KLP_SELFTESTS:-}"
"$top/tests/selftests/run.sh" "$KLP_STAGE/selftests" "${selftests[@]}" || rc=1

echo "# == in-guest bats: ${KLP_GUEST_BATS:-guest} =="
read -ra files <<< "${KLP_GUEST_BATS:-guest}"
bats --tap "${files[@]/#/$top/tests/bats/}" || rc=1

exit $rc
