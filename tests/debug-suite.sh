#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The in-guest suite on the debug kernel (KASAN, kmemleak, lockdep, ...),
# run by harness/check.sh's debug stage in two VMs at once, one per part:
#
#   tests   KUnit, our selftests but test-shadow-lifetime.sh, with 3
#           replace cycles in test-shadow-types.sh (KLP_SHADOW_CYCLES, not
#           20) and a population of 1,000 in test-shadow-sysfs.sh
#           (KLP_SHADOW_BULK, not 1,000,000: kmemleak tracks each
#           variable), of the in-guest bats files shadow-interface.bats
#           only (tests/guest-suite.sh)
#   faults  test-shadow-lifetime.sh, the fail-nth sweep
#           (tests/bats/debug/failslab.bats), then the stress
#           (tests/bats/debug/stress.bats)
#
# The parts are balanced by what they took, measured with both at once on
# 2 cores and two vCPUs per guest: boot with KUnit and the first kmemleak
# scan 217 s, test-shadow-debugfs.sh 244 s, test-shadow-lifetime.sh 437 s,
# test-shadow-sysfs.sh 238 s, test-shadow-types.sh 706 s, test-shadow-unwind.sh
# 416 s (2500 s in all); the sweep 433 s, the stress 889 s (538 s in an
# earlier run: it takes 3 livepatch rounds, however long they take).
#
# Each part first has kmemleak forget what boot left and ends with
# kmemleak scans that must find no leak. Prints TAP, each line of a part
# named "debug:" or "debug-faults:"; the host fails the run on any report
# in the kernel log.
#
# The rest runs in the guest stage only. Here each module load and
# transition takes seconds: upstream's test-callbacks.sh alone takes about
# 9 minutes, and its "busy target module" case fails once a transition is
# slow enough for the core to signal the remaining tasks (a log line its
# expected output does not have); klp-shadow.bats, the tool's, 7 minutes.

set -uo pipefail

top=${KLP_TOP:?run inside the VM from harness/check.sh}
part=${1:?usage: debug-suite.sh tests|faults}
kmemleak=/sys/kernel/debug/kmemleak
# Our selftest that runs in the faults part, to balance the two.
FAULTS_SELFTEST=test-shadow-lifetime.sh
rc=0

case $part in
tests) name=debug ;;
faults) name=debug-faults ;;
*) echo "not ok - debug: no part '$part' of the debug suite"; exit 1 ;;
esac

# debug_bats FILE: a bats file of tests/bats/debug, its lines named.
debug_bats() {
	bats --tap "$top/tests/bats/debug/$1" |
		sed -E "s/^(ok|not ok) [0-9]+ /\\1 - $name: /"
}

if [ -w "$kmemleak" ]; then
	# Suspects of boot are not ours: mark every object seen so far.
	echo scan > "$kmemleak"
	echo clear > "$kmemleak"
	echo "ok - $name: kmemleak is on, suspects of boot cleared"
else
	echo "not ok - $name: no $kmemleak in the debug kernel"
	rc=1
fi

start=$SECONDS
if [ "$part" = tests ]; then
	ours=$(cd "$top/tools/testing/selftests/livepatch" && echo test-*.sh)
	ours=${ours/$FAULTS_SELFTEST/}
	KLP_SELFTESTS=$ours KLP_GUEST_BATS=guest/shadow-interface.bats \
		KLP_SHADOW_CYCLES=${KLP_SHADOW_CYCLES:-3} KLP_SHADOW_BULK=${KLP_SHADOW_BULK:-1000} \
		"$top/tests/guest-suite.sh" || rc=1
	echo "# $name: the in-guest suite took $((SECONDS - start)) s"
else
	echo "# == livepatch selftests: $FAULTS_SELFTEST =="
	"$top/tests/selftests/run.sh" "$KLP_STAGE/selftests" "$FAULTS_SELFTEST" |
		sed -E "s/^(ok|not ok) [0-9]+ /\\1 - $name: /" || rc=1
	echo "# == debug kernel only: fault injection =="
	debug_bats failslab.bats || rc=1
	echo "# $name: the sweep took $((SECONDS - start)) s"
	start=$SECONDS
	echo "# == debug kernel only: stress =="
	debug_bats stress.bats || rc=1
	echo "# $name: the stress took $((SECONDS - start)) s"
fi

if [ -w "$kmemleak" ]; then
	# An object must be older than 5 s to be reported; two scans, as
	# Documentation/dev-tools/kmemleak.rst advises.
	sleep 6
	echo scan > "$kmemleak"
	sleep 6
	echo scan > "$kmemleak"
	leaks=$(grep -c '^unreferenced object' "$kmemleak")
	if [ "$leaks" = 0 ]; then
		echo "ok - $name: kmemleak finds no leak after the suite"
	else
		echo "not ok - $name: kmemleak finds $leaks leaks after the suite"
		head -n 60 "$kmemleak" | sed 's/^/# /'
		rc=1
	fi
fi
exit $rc
