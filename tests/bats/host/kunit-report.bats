#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# tests/kunit/report.sh: KUnit's boot-time KTAP to one TAP line per case.

load ../test_helper/common

report() {
	"$KLP_TOP/tests/kunit/report.sh" klp_shadow "$BATS_TEST_DIRNAME/../fixtures/kunit/$1"
}

@test "each passing KUnit case becomes an ok line" {
	run report pass.log

	assert_success
	assert_output "ok 1 kunit: klp_shadow: klp_shadow_test_id_api_counts
ok 2 kunit: klp_shadow: klp_shadow_test_refcount_and_owners"
}

@test "a failing KUnit case is not ok with its diagnostics below it" {
	run report fail.log

	assert_failure
	assert_line --index 1 "not ok 2 kunit: klp_shadow: klp_shadow_test_refcount_and_owners"
	assert_line --index 2 "# klp_shadow_test_refcount_and_owners: EXPECTATION FAILED at kernel/livepatch/shadow_kunit.c:120"
}

@test "a suite that never finished is a failure" {
	run report crashed.log

	assert_failure
	assert_line "not ok 2 kunit: klp_shadow: the suite did not finish"
}

@test "a suite that did not run at all is a failure" {
	run "$KLP_TOP/tests/kunit/report.sh" no_such_suite "$BATS_TEST_DIRNAME/../fixtures/kunit/pass.log"

	assert_failure
	assert_output "not ok 1 kunit: no_such_suite: the suite did not run"
}

@test "a long kernel log after the suite does not fail the report" {
	local log="$BATS_TEST_TMPDIR/long.log" i

	cp "$BATS_TEST_DIRNAME/../fixtures/kunit/pass.log" "$log"
	# Far more than a pipe holds, as on the debug kernel after boot.
	for ((i = 0; i < 4000; i++)); do
		printf '[ %d.000000] livepatch: a message after the suite, number %d\n' "$i" "$i"
	done >> "$log"
	run "$KLP_TOP/tests/kunit/report.sh" klp_shadow "$log"

	assert_success
	assert_output "ok 1 kunit: klp_shadow: klp_shadow_test_id_api_counts
ok 2 kunit: klp_shadow: klp_shadow_test_refcount_and_owners"
}
