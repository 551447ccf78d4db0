#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# harness/lint.sh's checkers fail when the tool they run fails or is
# missing, not only when it prints a warning. Needs the prepared tree
# (build/src), as make check's host stage has it.

load ../test_helper/common

setup() {
	# shellcheck source=harness/lint.sh
	. "$KLP_TOP/harness/lint.sh"
	[ -f "$SRC/scripts/checkpatch.pl" ] || fail "no $SRC: run make kernel"
}

@test "checkpatch of a file that does not exist fails" {
	run checkpatch -f kernel/livepatch/no-such-file.c

	assert_failure
	assert_output --partial "no file"
}

@test "checkpatch of a clean file passes" {
	run checkpatch -f kernel/livepatch/shadow.c

	assert_success
}

@test "checkpatch that fails without a word fails the check" {
	SRC=$BATS_TEST_TMPDIR/src
	mkdir -p "$SRC/scripts" "$SRC/kernel"
	echo 'exit 3;' > "$SRC/scripts/checkpatch.pl"
	touch "$SRC/kernel/x.c"
	run checkpatch -f kernel/x.c

	assert_failure
	assert_line "checkpatch.pl exited with status 3"
}

@test "sparse missing from PATH fails the sparse check" {
	PATH=/nonexistent run sparse_w1

	assert_failure
	assert_output "sparse: not found"
}

@test "kernel-doc that fails fails the check" {
	run kerneldoc no-such-file.c

	assert_failure
}
