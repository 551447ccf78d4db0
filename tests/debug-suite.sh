#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The in-guest suite on the debug kernel (KASAN, kmemleak, lockdep, ...),
# run by harness/check.sh's debug stage in two VMs at once, one per part:
#
#   tests   KUnit, our selftests, with 3 replace cycles in
#           test-shadow-types.sh (KLP_SHADOW_CYCLES, not 20) and a
#           population of 1,000 in test-shadow-sysfs.sh (KLP_SHADOW_BULK,
#           not 1,000,000: kmemleak tracks each variable), of the in-guest
#           bats files shadow-interface.bats only (tests/guest-suite.sh),
#           then the fail-nth sweep (tests/bats/debug/failslab.bats); in a
#           guest of one vCPU
#   stress  the stress (tests/bats/debug/stress.bats), in a guest of two
#           vCPUs, as every other stage's
#
# The tests part runs its steps one at a time, and what the debug kernel
# adds (KASAN, kmemleak, lockdep, debugobjects, list debugging, failslab)
# checks them the same on one CPU. What one CPU loses: the kernel is not
# preemptible, so no RCU reader runs while a variable is unlinked and
# freed, and no task runs on another CPU while a transition goes; on the
# debug kernel only the stress covers those (the guest stage runs the
# same selftests on two). With two vCPUs each step took two to three
# times as long, measured both ways with both parts at once on 2 cores:
# test-shadow-debugfs.sh 244 s against 90 s, -sysfs 238 against 75,
# -types 706 against 355, -unwind 416 against 171, -lifetime 437 against
# 157, the fail-nth sweep 433 against 148. The stress is what needs CPUs
# that interleave (its threads, its registrar and the livepatch
# transitions race each other): it keeps two (538 to 889 s for its 3
# rounds; 300 s with one vCPU).
#
# Each part first has kmemleak forget what boot left and ends with
# kmemleak scans that must find no leak. Prints TAP, each line of a part
# named "debug:" or "debug-stress:"; the host fails the run on any report
# in the kernel log.
#
# The rest runs in the guest stage only. Here each module load and
# transition takes seconds: upstream's test-callbacks.sh alone takes about
# 9 minutes, and its "busy target module" case fails once a transition is
# slow enough for the core to signal the remaining tasks (a log line its
# expected output does not have); klp-shadow.bats, the tool's, 7 minutes.

set -uo pipefail

top=${KLP_TOP:?run inside the VM from harness/check.sh}
part=${1:?usage: debug-suite.sh tests|stress}
kmemleak=/sys/kernel/debug/kmemleak
rc=0

case $part in
tests) name=debug ;;
stress) name=debug-stress ;;
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
	KLP_SELFTESTS=$ours KLP_GUEST_BATS=guest/shadow-interface.bats \
		KLP_SHADOW_CYCLES=${KLP_SHADOW_CYCLES:-3} KLP_SHADOW_BULK=${KLP_SHADOW_BULK:-1000} \
		"$top/tests/guest-suite.sh" || rc=1
	echo "# $name: the in-guest suite took $((SECONDS - start)) s"
	start=$SECONDS
	echo "# == debug kernel only: fault injection =="
	debug_bats failslab.bats || rc=1
	echo "# $name: the sweep took $((SECONDS - start)) s"
else
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
