#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# kernel/livepatch/shadow_kunit.c: what keeps one failed case from
# breaking the cases after it.

load ../test_helper/common

KUNIT_C=$KLP_TOP/kernel/livepatch/shadow_kunit.c

# A case that fails an assertion ends there, its references still held:
# the registry then points to its types, which must outlive it.
@test "no KUnit case keeps a shadow type on its stack" {
	run grep -nE '^[[:space:]]+struct klp_shadow_type [[:alnum:]_]+( =|;)' "$KUNIT_C"

	assert_failure 1
	assert_output ""
}

@test "the KUnit suite drops the references a failed case left" {
	run grep -cE '^[[:space:]]+\.exit = kt_exit,$' "$KUNIT_C"
	assert_output 1
	run grep -c 'klp_shadow_test_drop_owners("kunit_", &collection);' "$KUNIT_C"
	assert_output 1
}
