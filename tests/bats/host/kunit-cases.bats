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

# kt_exit() drops the references left on the lists it knows: every list
# a case takes references on must be one of them.
@test "every list the KUnit cases take references on is one kt_exit() drains" {
	local taken drained

	taken=$(grep -oE 'klp_shadow_ref\(&[[:alnum:]_.]+' "$KUNIT_C" |
		sed 's/.*(&//' | sort -u)
	drained=$(sed -n '/^static void kt_exit(/,/^}/p' "$KUNIT_C" |
		grep -oE 'klp_shadow_test_drop_refs\(&[[:alnum:]_.]+' |
		sed 's/.*(&//' | sort -u)
	[ -n "$taken" ]
	run comm -23 <(echo "$taken") <(echo "$drained")
	assert_output ""
	run grep -cE '^[[:space:]]+\.exit = kt_exit,$' "$KUNIT_C"
	assert_output 1
}
