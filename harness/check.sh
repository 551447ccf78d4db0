#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: install what is missing, build the kernel and the test modules,
# then run every test and print one summary line, "N passed, N failed".
#
# Stages, each writing TAP to build/results/<stage>.tap:
#   lint   static checks (harness/lint.sh)
#   host   host-side bats files (tests/bats/host)
#   fuzz   the tool's tree reading under libFuzzer with ASan and UBSan for
#          KLP_FUZZ_SECONDS (60), and the tool's host bats files again
#          against its ASan/UBSan build (tests/fuzz/run.sh)
#   guest  the VM: upstream livepatch selftests and in-guest bats
#          (tests/guest-suite.sh), plus the kernel log check of that run
#   nodebug  the kernel without CONFIG_LIVEPATCH_SHADOW_DEBUG, in the VM:
#          its KUnit cases, the debugfs selftest's skip and tests/bats/nodebug
#          (tests/nodebug-suite.sh), plus the kernel log check of that run
#   debug  the debug kernel (also alone: make check-debug): the same
#          fragments plus debug.config (KASAN, kmemleak, lockdep,
#          debugobjects, list debugging, failslab); in two VMs at once,
#          KUnit, our selftests (fewer cycles), shadow-interface.bats and
#          the fail-nth sweep in one of one vCPU, the stress test (3 rounds)
#          in the other, of two, each ending with a kmemleak scan that
#          must find nothing (tests/debug-suite.sh)
#   series the patch series (make series-check): each patch applied to the
#          pristine tree builds and is checkpatch --strict clean; after the
#          last kernel is built, as it rewrites build/src for a while, beside
#          the debug stage's VM
#
# check.sh runs them all (make check); check.sh STAGE... runs those named
# (make check-debug: debug). The summary names the stages that ran and fails
# for each stage owed that did not run, and for each skip not listed in
# tests/expected-skips. Nothing in the environment can drop a stage.

set -uo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RESULTS="$BUILD/results"

# stage NAME CMD...: run CMD with its TAP output shown and saved. A stage
# that fails without saying which test failed (a crash, a bats file that
# does not parse) counts as one failure of its own.
# Its time goes to build/results/times.
stage() {
	local name=$1 tap="$RESULTS/$1.tap" rc start=$SECONDS

	shift
	msg "$name"
	"$@" 2>&1 | tee "$tap"
	rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ] && ! grep -q '^not ok ' "$tap"; then
		echo "not ok - $name: exited with status $rc without a failed test" | tee -a "$tap"
	elif ! awk '/^ok / && tolower($0) !~ /# skip/ { found = 1; exit }
		   END { exit !found }' "$tap"; then
		echo "not ok - $name: no test results but skips" | tee -a "$tap"
	fi
	echo "$name $((SECONDS - start))" >> "$RESULTS/times"
}

# vm_suite NAME CMD...: run CMD in the VM booted with the kernel of $OBJ.
# Its TAP comes from the guest's own output file, not from the console,
# where kernel messages may interleave.
vm_suite() {
	local name=$1 out="$RESULTS/$1-vm" rc=0 reports status

	shift
	"$HARNESS/vm.sh" --out "$out" -- "$@" >"$out.log" 2>&1 || rc=$?
	[ -f "$out/output" ] && cat "$out/output"
	status=$(cat "$out/status" 2>/dev/null)
	if [ "$status" = 0 ]; then
		echo "ok - $name: guest suite ran to the end"
	elif [ -z "$status" ]; then
		echo "not ok - $name: guest suite did not finish (exit $rc)"
		tail -n 40 "$out.log" | sed 's/^/# /'
	elif ! grep -q '^not ok ' "$out/output" 2>/dev/null; then
		echo "not ok - $name: guest suite ended with status $status without a failed test"
	else
		echo "# $name: guest suite ended with status $status"
	fi
	reports=$("$HARNESS/scan-log.sh" "$out/console" "$out/dmesg")
	case $? in
	0) echo "ok - $name: kernel log has no oops, BUG, WARNING, lockdep, KASAN or kmemleak report" ;;
	1) echo "not ok - $name: kernel log has reports"
	   echo "$reports" | head -n 40 | sed 's/^/# /' ;;
	*) echo "not ok - $name: kernel log could not be checked"
	   echo "$reports" | head -n 40 | sed 's/^/# /' ;;
	esac
	[ "$status" = 0 ]
}

# The kernel of build/obj: KUnit, the selftests, the in-guest bats. About
# 7 minutes here; the timeout only ends a VM that hangs, with room for a
# slower machine.
guest() {
	KLP_VM_TIMEOUT=${KLP_GUEST_TIMEOUT:-${KLP_VM_TIMEOUT:-1800}} \
		vm_suite guest "$TOP/tests/guest-suite.sh"
}

# variant NAME WHAT FRAGMENT... -- CMD...: build the kernel of FRAGMENTs in
# build/obj-NAME (seeded from build/obj, so that only what they change is
# rebuilt), then run CMD, which boots it (vm_suite); and the function
# named in BESIDE_VM, if any, in the background meanwhile (or, if the
# build failed, alone).
variant() {
	local name=$1 what=$2 log="$RESULTS/$1-build.log" fragments=() beside="" rc=0

	shift 2
	while [ "$1" != -- ]; do
		fragments+=("$1")
		shift
	done
	shift
	export OBJ="$BUILD/obj-$name"
	# shellcheck source=harness/lib.sh # again, for the paths under $OBJ
	. "$HARNESS/lib.sh"
	if ! "$HARNESS/kbuild.sh" "${fragments[@]}" >"$log" 2>&1; then
		echo "not ok - $name: kernel build failed"
		tail -n 40 "$log" | sed 's/^/# /'
		[ -z "${BESIDE_VM:-}" ] || "$BESIDE_VM"
		return 1
	fi
	echo "ok - $name: kernel built $what"
	[ -z "${BESIDE_VM:-}" ] || { "$BESIDE_VM" & beside=$!; }
	"$@" || rc=1
	[ -z "$beside" ] || wait "$beside"
	return $rc
}

NODEBUG_FRAGMENTS="base.config livepatch.config nodebug.config"
DEBUG_FRAGMENTS="base.config livepatch.config debug.config"
PREBUILD=""

# prebuild: build the kernels of the nodebug and debug stages in the
# background, at the lowest priority, while lint, host, fuzz and guest run
# (none of them keeps both cores busy; on a cold start the debug kernel
# alone takes minutes). Their build directories are seeded from build/obj
# first, before lint rebuilds part of it. Their stages start once it is
# done (prebuilt, in main: a stage runs in a subshell, which cannot wait
# for it), then build again, which finds little or nothing to do and
# reports any failure. A kill of make check ends it too.
prebuild() {
	local name jobs=()

	want nodebug && jobs+=(nodebug)
	want debug && jobs+=(debug)
	[ ${#jobs[@]} -gt 0 ] || return 0
	for name in "${jobs[@]}"; do
		# shellcheck disable=SC2016 # expanded by that shell
		OBJ="$BUILD/obj-$name" bash -c '. "$1/lib.sh" && seed_obj' seed "$HARNESS" || return 1
	done
	# shellcheck disable=SC2016 # expanded by that shell
	setsid nice -n 19 bash -c '
		for name; do
			[ "$name" = nodebug ] && frags=$NODEBUG_FRAGMENTS || frags=$DEBUG_FRAGMENTS
			# shellcheck disable=SC2086 # one word per fragment
			OBJ="$BUILD/obj-$name" "$HARNESS/kbuild.sh" $frags
		done' prebuild "${jobs[@]}" > "$RESULTS/prebuild.log" 2>&1 &
	PREBUILD=$!
	trap 'kill -- -"$PREBUILD" 2>/dev/null' EXIT
}

# prebuilt: prebuild is done.
prebuilt() {
	[ -z "$PREBUILD" ] || wait "$PREBUILD" 2>/dev/null
	PREBUILD=""
}

# The kernel without CONFIG_LIVEPATCH_SHADOW_DEBUG: sysfs without debugfs.
nodebug() {
	# shellcheck disable=SC2086 # one word per fragment
	variant nodebug "without CONFIG_LIVEPATCH_SHADOW_DEBUG" \
		$NODEBUG_FRAGMENTS -- vm_suite nodebug "$TOP/tests/nodebug-suite.sh"
}

# debug_vms: the two parts of the debug suite, each in a VM of its own,
# at once (under TCG a VM keeps about one core busy): the tests, one step
# at a time, with one vCPU, and the stress with two (tests/debug-suite.sh
# says why). The stress part's TAP follows the other's.
debug_vms() {
	local rc=0 stress out="$RESULTS/debug-stress.out"

	# KUnit runs at boot in the other VM; here it would only cost time.
	KLP_VM_APPEND="${KLP_VM_APPEND:-} kunit.enable=0" \
		vm_suite debug-stress "$TOP/tests/debug-suite.sh" stress > "$out" 2>&1 &
	stress=$!
	KLP_VM_SMP=1 vm_suite debug "$TOP/tests/debug-suite.sh" tests || rc=1
	wait "$stress" || rc=1
	cat "$out"
	return $rc
}

# The debug kernel (KASAN rebuilds nearly everything the first time): TCG
# and the checkers make the suite several times slower, hence the memory
# and the timeout of each VM.
# shellcheck disable=SC2086 # one word per fragment
debug() {
	KLP_VM_MEM=${KLP_DEBUG_VM_MEM:-4G} \
	KLP_VM_TIMEOUT=${KLP_DEBUG_TIMEOUT:-${KLP_VM_TIMEOUT:-3600}} \
		variant debug "with KASAN, kmemleak, lockdep, debugobjects, list debugging and failslab" \
		$DEBUG_FRAGMENTS -- debug_vms
}

STAGES="lint host fuzz guest nodebug debug series"

# series_beside: the series stage, beside the debug stage's VMs, at the
# lowest priority so that they keep the CPU they want; nothing in them
# reads build/src, which the series rewrites. Its output is shown after the
# debug stage's.
series_beside() {
	stage series nice -n 19 "$HARNESS/series-check.sh" > "$RESULTS/series.log" 2>&1
}

# want STAGE: STAGE is one of those this run owes.
want() {
	[[ " $OWED " == *" $1 "* ]]
}

main() {
	local start=$SECONDS s taps times

	OWED=${*:-$STAGES}
	for s in $OWED; do
		[[ " $STAGES " == *" $s "* ]] || die "no stage $s (stages: $STAGES)"
	done
	lock_tree

	"$HARNESS/deps.sh" || exit 1
	"$HARNESS/ksrc.sh" || exit 1
	"$HARNESS/kbuild.sh" || exit 1
	msg "building tools/klp-shadow"
	make -s -C "$TOP/tools/klp-shadow" O="$BUILD/klp-shadow" WERROR=1 || exit 1
	msg "testing kernel $(kernel_release)"
	rm -rf "$RESULTS"
	mkdir -p "$RESULTS"
	export NODEBUG_FRAGMENTS DEBUG_FRAGMENTS HARNESS BUILD
	prebuild

	want lint && stage lint "$HARNESS/lint.sh"
	want host && stage host bats --tap "$TOP/tests/bats/host"
	want fuzz && stage fuzz "$TOP/tests/fuzz/run.sh"
	want guest && stage guest guest
	prebuilt
	want nodebug && stage nodebug nodebug
	if want debug && want series; then
		BESIDE_VM=series_beside stage debug debug
		cat "$RESULTS/series.log"
	else
		want debug && stage debug debug
		want series && stage series "$HARNESS/series-check.sh"
	fi
	times=$(tr '\n' ' ' < "$RESULTS/times" 2>/dev/null)

	msg "done in $((SECONDS - start)) s (stage seconds: ${times% }); results in $RESULTS"
	shopt -s nullglob
	taps=("$RESULTS"/*.tap)
	"$HARNESS/tap-summary.sh" -o "$OWED" -s "$TOP/tests/expected-skips" "${taps[@]}"
}

# Sourced by tests/bats/host/vm.bats for vm_suite; run, it checks.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
