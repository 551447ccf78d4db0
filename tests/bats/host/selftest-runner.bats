#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# tests/selftests/run.sh judges upstream selftests by their output, since
# they exit 0 when a helper is missing and 4 when they skip.

load ../test_helper/common

st() {
	"$KLP_TOP/tests/selftests/run.sh" "$BATS_TEST_DIRNAME/../fixtures/selftests" "$@"
}

@test "a selftest printing only ok lines and exiting 0 passes" {
	run st test-pass.sh

	assert_success
	assert_line --index 0 "ok 1 selftests: livepatch: test-pass.sh"
	assert_line --index 1 --regexp '^# test-pass\.sh took [0-9]+ s$'
	assert_equal "${#lines[@]}" 2
}

@test "a selftest printing not ok fails and its output follows as diagnostics" {
	run st test-mismatch.sh

	assert_failure
	assert_line "not ok 1 selftests: livepatch: test-mismatch.sh # exit status 1"
	assert_line "# ERROR: livepatch kselftest(s) failed"
}

@test "a selftest exiting 4 after SKIP is a TAP skip with its reason" {
	run st test-skip.sh

	assert_success
	assert_line --index 0 "ok 1 selftests: livepatch: test-skip.sh # SKIP failed to set kernel.ftrace_enabled = 1"
	assert_line --index 1 --regexp '^# test-skip\.sh took [0-9]+ s$'
	assert_equal "${#lines[@]}" 2
}

@test "a selftest exiting 4 without saying why fails" {
	printf '#!/bin/bash\nexit 4\n' > "$BATS_TEST_TMPDIR/test-mute.sh"
	run "$KLP_TOP/tests/selftests/run.sh" "$BATS_TEST_TMPDIR" test-mute.sh

	assert_failure
	assert_line "not ok 1 selftests: livepatch: test-mute.sh # exit status 4"
}

@test "a selftest printing SKIP but exiting 0 fails" {
	run st test-silent-skip.sh

	assert_failure
	assert_line "not ok 1 selftests: livepatch: test-silent-skip.sh # exit status 0"
}

@test "a selftest printing no ok line fails" {
	run st test-nothing.sh

	assert_failure
	assert_line "not ok 1 selftests: livepatch: test-nothing.sh # exit status 0"
}

@test "tests are numbered in the order they ran" {
	run st test-pass.sh test-nothing.sh test-pass.sh

	assert_failure
	run grep -E '^(not )?ok ' <<< "$output"
	assert_output - <<-EOF
	ok 1 selftests: livepatch: test-pass.sh
	not ok 2 selftests: livepatch: test-nothing.sh # exit status 0
	ok 3 selftests: livepatch: test-pass.sh
	EOF
}
