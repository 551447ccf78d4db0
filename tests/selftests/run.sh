#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh DIR [TEST...]: run the upstream livepatch selftests staged in DIR
# (scripts, test_modules/*.ko, test_klp-call_getpid) and print one TAP line
# each: "ok N selftests: livepatch: test-NAME.sh" or "not ok ...".
#
# The selftests exit 0 even when a helper they need is missing, and 4 when
# they skip, so a test passes only if it exits 0, prints at least one
# "TEST: ... ok" line, and prints no "not ok", SKIP or ERROR line.
# The output of a failing test follows its TAP line as "# " diagnostics; of
# a passing test, only the lines it prints as "# " diagnostics (figures).

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
n=0 failed=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	(cd "$dir" && bash "./$t") > "$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q '^TEST: .* \.\.\. ok$' "$log" &&
	   ! grep -q -e 'not ok' -e 'SKIP' -e 'ERROR' "$log"; then
		echo "ok $n selftests: livepatch: $t"
		grep '^# ' "$log"
	else
		echo "not ok $n selftests: livepatch: $t # exit status $rc"
		sed 's/^/# /' "$log"
		failed=$((failed + 1))
	fi
done
[ $failed -eq 0 ]
