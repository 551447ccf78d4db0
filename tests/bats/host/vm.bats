#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# harness/vm.sh: exit status, timeout and kernel report handling.
# These boot the built kernel, so they run after the build in make check.

load ../test_helper/common

vm() {
	"$KLP_TOP/harness/vm.sh" --out "$BATS_TEST_TMPDIR/run" "$@"
}

@test "the guest command's output and exit status come back to the host" {
	# shellcheck disable=SC2016 # expanded in the guest
	run vm -- bash -c 'echo "hello from $(uname -r)"; exit 3'

	assert_failure 3
	assert_line --regexp 'hello from 6\.12\.'
	run cat "$BATS_TEST_TMPDIR/run/output"
	assert_output --regexp '^hello from 6\.12\.[0-9]+$'
}

@test "the guest runs on two CPUs" {
	run vm -- bash -c 'nproc; cat /sys/devices/system/cpu/online'

	assert_success
	run cat "$BATS_TEST_TMPDIR/run/output"
	assert_output $'2\n0-1'
}

@test "a guest clocked by its instructions counts one ns per instruction" {
	# Its TSC, calibrated against the PIT on the same clock, runs at
	# 1 GHz (2^0 ns per instruction); under TCG's wall clock it runs at
	# the host's rate.
	KLP_VM_ICOUNT=0 KLP_VM_SMP=1 run vm -- bash -c \
		"dmesg | sed -n 's/.*tsc: Detected \\([0-9.]*\\) MHz processor.*/\\1/p'"

	assert_success
	run cat "$BATS_TEST_TMPDIR/run/output"
	assert_output --regexp '^[0-9.]+$'
	awk -v mhz="$output" 'BEGIN { exit !(mhz > 990 && mhz < 1010) }'
}

@test "a guest clocked by its instructions needs TCG" {
	KLP_VM_ICOUNT=0 KLP_VM_ACCEL=kvm run vm -- true

	assert_failure 1
	assert_output "error: KLP_VM_ICOUNT needs TCG, not KLP_VM_ACCEL=kvm"
}

@test "a WARN_ON in a module fails the run even though the command succeeded" {
	# shellcheck disable=SC2016 # expanded in the guest
	run vm -- bash -c 'insmod "$KLP_STAGE/modules/klp_test_warn.ko" && rmmod klp_test_warn'

	assert_failure 1
	assert_line "error: kernel reports in the VM's log:"
	assert_output --partial 'WARNING: CPU:'
	assert_output --partial 'klp_test_warn_init'
}

@test "a guest that runs past the timeout is stopped with a clear message" {
	run vm --timeout 20 -- sleep 600

	assert_failure 1
	assert_line --partial "error: VM timed out after 20 s"
}

# suite CMD...: make check's vm_suite on CMD, results in the test's directory.
suite() {
	(
		# shellcheck source=harness/check.sh
		. "$KLP_TOP/harness/check.sh"
		RESULTS=$BATS_TEST_TMPDIR
		vm_suite test "$@"
	)
}

@test "a VM stage whose guest suite failed without a failed test is not ok" {
	run suite bash -c 'echo "ok 1 - fine"; exit 3'

	assert_failure
	assert_line "ok 1 - fine"
	assert_line "not ok - test: guest suite ended with status 3 without a failed test"
	refute_line --partial "ran to the end"
	assert_line --partial "ok - test: kernel log has no oops"
}

@test "a VM stage whose guest suite passed ran to the end" {
	run suite bash -c 'echo "ok 1 - fine"'

	assert_success
	assert_line "ok - test: guest suite ran to the end"
}
