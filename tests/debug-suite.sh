#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The in-guest suite on the debug kernel (KASAN, kmemleak, lockdep, ...),
# run by harness/check.sh's debug stage: kmemleak forgets what boot left,
# tests/guest-suite.sh runs whole, then kmemleak scans and must find no
# leak. Prints TAP; the host fails the run on any report in the kernel log.

set -uo pipefail

top=${KLP_TOP:?run inside the VM from harness/check.sh}
kmemleak=/sys/kernel/debug/kmemleak
rc=0

if [ -w "$kmemleak" ]; then
	# Suspects of boot are not ours: mark every object seen so far.
	echo scan > "$kmemleak"
	echo clear > "$kmemleak"
	echo "ok - debug: kmemleak is on, suspects of boot cleared"
else
	echo "not ok - debug: no $kmemleak in the debug kernel"
	rc=1
fi

"$top/tests/guest-suite.sh" || rc=1

echo "# == debug kernel only: fault injection =="
bats --tap "$top/tests/bats/debug" | sed -E 's/^(ok|not ok) [0-9]+ /\1 - debug: /' || rc=1

if [ -w "$kmemleak" ]; then
	# An object must be older than 5 s to be reported; two scans, as
	# Documentation/dev-tools/kmemleak.rst advises.
	sleep 6
	echo scan > "$kmemleak"
	sleep 6
	echo scan > "$kmemleak"
	leaks=$(grep -c '^unreferenced object' "$kmemleak")
	if [ "$leaks" = 0 ]; then
		echo "ok - debug: kmemleak finds no leak after the suite"
	else
		echo "not ok - debug: kmemleak finds $leaks leaks after the suite"
		head -n 60 "$kmemleak" | sed 's/^/# /'
		rc=1
	fi
fi
exit $rc
