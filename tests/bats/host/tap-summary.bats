#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# harness/tap-summary.sh: make check's last lines. A skip passes only if it
# is expected, and a stage owed that did not run is a failure.

load ../test_helper/common

setup() {
	R=$BATS_TEST_TMPDIR/results
	mkdir -p "$R"
	printf 'nodebug\tnodebug: expected one # SKIP why\n' > "$BATS_TEST_TMPDIR/skips"
}

summary() {
	"$KLP_TOP/harness/tap-summary.sh" -s "$BATS_TEST_TMPDIR/skips" "$@"
}

@test "the summary counts ok and not ok lines of every stage and names the stages" {
	printf 'ok 1 a\nnot ok 2 b\n' > "$R/lint.tap"
	printf 'ok - guest: c\n# ok 3 not a result\n' > "$R/guest.tap"
	run summary "$R/guest.tap" "$R/lint.tap"

	assert_failure
	assert_line --index 0 "stages: guest lint"
	assert_line --index 1 "2 passed, 1 failed"
}

@test "an expected skip is counted as skipped" {
	printf 'ok 1 a\nok 2 nodebug: expected one # SKIP why\n' > "$R/nodebug.tap"
	run summary -o nodebug "$R/nodebug.tap"

	assert_success
	assert_output "stages: nodebug
1 passed, 0 failed, 1 skipped"
}

@test "a skip that is not expected fails the summary" {
	printf 'ok 1 a\nok 2 kunit: case # SKIP no hardware\n' > "$R/lint.tap"
	run summary "$R/lint.tap"

	assert_failure
	assert_line "not ok - lint: a skip that is not expected: kunit: case # SKIP no hardware"
	assert_line "1 passed, 1 failed"
}

@test "an expected skip of one stage is not expected in another" {
	printf 'ok 1 a\nok 2 nodebug: expected one # SKIP why\n' > "$R/guest.tap"
	run summary "$R/guest.tap"

	assert_failure
	assert_line "1 passed, 1 failed"
}

@test "a bats skip fails unless listed" {
	printf 'ok 1 stress # skip runs in the VM of the debug stage\n' > "$R/debug.tap"
	run summary "$R/debug.tap"

	assert_failure
	assert_line "0 passed, 1 failed"
}

@test "a stage owed that has no file is a failure" {
	printf 'ok 1 a\n' > "$R/lint.tap"
	run summary -o "lint host" "$R/lint.tap"

	assert_failure
	assert_line "not ok - host: did not run"
	assert_line "stages: lint"
	assert_line "1 passed, 1 failed"
}

@test "a stage owed with nothing but skips did not run" {
	printf 'ok 1 nodebug: expected one # SKIP why\n' > "$R/nodebug.tap"
	run summary -o nodebug "$R/nodebug.tap"

	assert_failure
	assert_line "not ok - nodebug: did not run"
}

@test "no result at all fails" {
	: > "$R/lint.tap"
	run summary "$R/lint.tap"

	assert_failure
	assert_output "stages: lint
0 passed, 0 failed"
}

@test "make check refuses a stage it does not know" {
	run "$KLP_TOP/harness/check.sh" nosuchstage

	assert_failure
	assert_output --partial "no stage nosuchstage"
}

@test "an expected skip that did not happen in a stage that ran fails" {
	printf 'ok 1 a\nok 2 nodebug: expected one\n' > "$R/nodebug.tap"
	run summary "$R/nodebug.tap"

	assert_failure
	assert_line "not ok - nodebug: an expected skip did not happen: nodebug: expected one # SKIP why"
}

@test "the expected skip of a stage that did not run is not owed" {
	printf 'ok 1 a\n' > "$R/guest.tap"
	run summary "$R/guest.tap"

	assert_success
	assert_output "stages: guest
1 passed, 0 failed"
}
