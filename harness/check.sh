#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: install what is missing, build the kernel and the test modules,
# then run every test and print one summary line, "N passed, N failed".
#
# Stages, each writing TAP to build/results/<stage>.tap:
#   lint   static checks (harness/lint.sh)
#   host   host-side bats files (tests/bats/host)
#   guest  the VM: upstream livepatch selftests and in-guest bats
#          (tests/guest-suite.sh), plus the kernel log check of that run

set -uo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

RESULTS="$BUILD/results"

# stage NAME CMD...: run CMD with its TAP output shown and saved. A stage
# that fails without saying which test failed (a crash, a bats file that
# does not parse) counts as one failure of its own.
stage() {
	local name=$1 tap="$RESULTS/$1.tap" rc

	shift
	msg "$name"
	"$@" 2>&1 | tee "$tap"
	rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ] && ! grep -q '^not ok ' "$tap"; then
		echo "not ok - $name: exited with status $rc without a failed test" | tee -a "$tap"
	elif ! grep -qE '^ok ' "$tap"; then
		echo "not ok - $name: no test results" | tee -a "$tap"
	fi
}

# The VM stage: its TAP comes from the guest's own output file, not from the
# console, where kernel messages may interleave.
guest() {
	local out="$RESULTS/vm" rc=0 reports

	"$HARNESS/vm.sh" --out "$out" -- "$TOP/tests/guest-suite.sh" >"$RESULTS/vm.log" 2>&1 || rc=$?
	[ -f "$out/output" ] && cat "$out/output"
	if [ -f "$out/status" ]; then
		echo "ok - vm: guest suite ran to the end"
	else
		echo "not ok - vm: guest suite did not finish (exit $rc)"
		tail -n 40 "$RESULTS/vm.log" | sed 's/^/# /'
	fi
	if reports=$("$HARNESS/scan-log.sh" "$out/console" "$out/dmesg"); then
		echo "ok - vm: kernel log has no oops, BUG, WARNING, lockdep, KASAN or kmemleak report"
	else
		echo "not ok - vm: kernel log has reports"
		echo "$reports" | head -n 40 | sed 's/^/# /'
	fi
	return "$(cat "$out/status" 2>/dev/null || echo 1)"
}

# KLP_CHECK_STAGES="lint guest" runs only those stages (for development).
want() {
	[[ " ${KLP_CHECK_STAGES:-lint host guest} " == *" $1 "* ]]
}

main() {
	local start=$SECONDS

	"$HARNESS/deps.sh" || exit 1
	"$HARNESS/ksrc.sh" || exit 1
	"$HARNESS/kbuild.sh" || exit 1
	msg "testing kernel $(kernel_release)"
	rm -rf "$RESULTS"
	mkdir -p "$RESULTS"

	want lint && stage lint "$HARNESS/lint.sh"
	want host && stage host bats --tap "$TOP/tests/bats/host"
	want guest && stage guest guest

	msg "done in $((SECONDS - start)) s; results in $RESULTS"
	"$HARNESS/tap-summary.sh" "$RESULTS"/*.tap
}

main
