#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# harness/scan-log.sh: which kernel log lines fail a VM run.

load ../test_helper/common

scan() {
	"$KLP_TOP/harness/scan-log.sh" "$@"
}

logs="$BATS_TEST_DIRNAME/../fixtures/logs"

@test "a clean kernel log passes with no output" {
	run scan "$logs/clean.log"

	assert_success
	assert_output ""
}

@test "a WARN splat is reported with its file and line" {
	run scan "$logs/clean.log" "$logs/warn.log"

	assert_failure
	assert_line --partial "warn.log:1:"
	assert_line --partial "warn.log:2:[    4.100001] WARNING: CPU: 1 PID: 97"
}

@test "a lockdep report is reported" {
	run scan "$logs/lockdep.log"

	assert_failure
	assert_output --partial "possible circular locking dependency"
}

@test "a KASAN report is reported" {
	run scan "$logs/kasan.log"

	assert_failure
	assert_output --partial "BUG: KASAN: slab-use-after-free"
}

@test "a kmemleak report is reported" {
	run scan "$logs/kmemleak.log"

	assert_failure
	assert_output --partial "2 new suspected memory leaks"
}

@test "an oops is reported" {
	run scan "$logs/oops.log"

	assert_failure
	assert_output --partial "NULL pointer dereference"
}

@test "a log file that does not exist fails the check, not passes it" {
	run scan "$logs/clean.log" "$BATS_TEST_TMPDIR/none"

	assert_failure 2
	assert_output --partial "no log in $BATS_TEST_TMPDIR/none"
}

@test "an empty log fails the check, not passes it" {
	: > "$BATS_TEST_TMPDIR/empty"
	run scan "$BATS_TEST_TMPDIR/empty"

	assert_failure 2
}

@test "no log at all fails the check" {
	run scan

	assert_failure 2
}

@test "a log grep cannot read fails the check" {
	mkdir "$BATS_TEST_TMPDIR/dir"
	cp "$logs/clean.log" "$BATS_TEST_TMPDIR/dir/log"
	run scan "$BATS_TEST_TMPDIR/dir"

	assert_failure 2
}
