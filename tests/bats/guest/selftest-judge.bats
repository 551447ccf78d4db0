#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The selftest runner must report a broken upstream selftest as "not ok",
# judging by the kernel log the test expected, not only by exit status.

load ../test_helper/common

setup() {
	cp -r "$KLP_STAGE/selftests" "$BATS_TEST_TMPDIR/st"
}

@test "a selftest whose expected kernel log differs is reported not ok" {
	sed -i '0,/completing patching transition/s//completing WRONG transition/' \
		"$BATS_TEST_TMPDIR/st/test-livepatch.sh"

	run "$KLP_TOP/tests/selftests/run.sh" "$BATS_TEST_TMPDIR/st" test-livepatch.sh

	assert_failure
	assert_line "not ok 1 selftests: livepatch: test-livepatch.sh # exit status 1"
	assert_line "# +livepatch: 'test_klp_livepatch': completing patching transition"
	refute [ -e /sys/kernel/livepatch/test_klp_livepatch ]
}
