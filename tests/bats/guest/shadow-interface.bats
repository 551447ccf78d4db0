#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The kernel make check tests with is a debug build of the interface: it has
# the debugfs files that tests/bats/nodebug proves a production build lacks.

load ../test_helper/common

@test "a kernel with CONFIG_LIVEPATCH_SHADOW_DEBUG has the debugfs types and gc files" {
	run grep -x CONFIG_LIVEPATCH_SHADOW_DEBUG=y "$KLP_OBJ/.config"
	assert_success
	run stat --format '%A %n' /sys/kernel/debug/livepatch/shadow/types \
		/sys/kernel/debug/livepatch/shadow/gc
	assert_success
	assert_output "-r-------- /sys/kernel/debug/livepatch/shadow/types
--w------- /sys/kernel/debug/livepatch/shadow/gc"
}

# The registry's KUnit cases share static state: a run from debugfs beside
# the boot's, or beside live patches, would break both.
@test "the registry's KUnit suite has its boot results in debugfs and no run file" {
	run grep -x CONFIG_KUNIT_DEBUGFS=y "$KLP_OBJ/.config"
	assert_success
	run ls /sys/kernel/debug/kunit/klp_shadow
	assert_success
	assert_output "results"
}
