#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh DIR [TEST...]: run the upstream livepatch selftests staged in DIR
# (scripts, test_modules/*.ko, test_klp-call_getpid) and print one TAP line
# each: "ok N selftests: livepatch: test-NAME.sh" or "not ok ...".
#
# The selftests exit 0 even when a helper they need is missing, so a test
# passes only if it exits 0, prints at least one "TEST: ... ok" line, and
# prints no "not ok", SKIP or ERROR line. A test that exits 4 (kselftest's
# skip) after a "SKIP: reason" line is "ok N ... # SKIP reason", as
# kselftest's runner prints it; harness/tap-summary.sh fails every skip
# that tests/expected-skips does not list.
# The output of a failing test follows its TAP line as "# " diagnostics; of
# a passing test, only the lines it prints as "# " diagnostics (figures).
# Each test's TAP lines end with "# test-NAME.sh took N s", which is what
# the debug stage's two VMs are balanced by.

set -uo pipefail

dir=$1
shift
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	for t in "$dir"/test-*.sh; do
		tests+=("$(basename "$t")")
	done
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
n=0 failed=0 reason=""
for t in "${tests[@]}"; do
	n=$((n + 1))
	start=$SECONDS
	(cd "$dir" && bash "./$t") > "$log" 2>&1
	rc=$?
	reason=$(sed -n 's/^SKIP: //p' "$log" | head -n 1)
	if [ $rc -eq 0 ] && grep -q '^TEST: .* \.\.\. ok$' "$log" &&
	   ! grep -q -e 'not ok' -e 'SKIP' -e 'ERROR' "$log"; then
		echo "ok $n selftests: livepatch: $t"
		grep '^# ' "$log"
	elif [ $rc -eq 4 ] && [ -n "$reason" ] &&
	     ! grep -q -e 'not ok' -e 'ERROR' "$log"; then
		echo "ok $n selftests: livepatch: $t # SKIP $reason"
	else
		echo "not ok $n selftests: livepatch: $t # exit status $rc"
		sed 's/^/# /' "$log"
		failed=$((failed + 1))
	fi
	echo "# $t took $((SECONDS - start)) s"
done
[ $failed -eq 0 ]
