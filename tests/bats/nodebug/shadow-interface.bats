#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Run in a VM booted with the kernel built without
# CONFIG_LIVEPATCH_SHADOW_DEBUG (harness/check.sh, stage nodebug): the
# sysfs interface is there, the debugfs one is not.

load ../test_helper/common

LP=test_klp_shadow_a
TYPE_DIR=/sys/kernel/livepatch/$LP/vmlinux/shadow_types/90

teardown() {
	if [ -e "/sys/kernel/livepatch/$LP" ]; then
		echo 0 > "/sys/kernel/livepatch/$LP/enabled"
		while [ -e "/sys/kernel/livepatch/$LP" ]; do sleep 0.1; done
	fi
	if [ -e "/sys/module/$LP" ]; then
		rmmod "$LP"
	fi
}

@test "a kernel without CONFIG_LIVEPATCH_SHADOW_DEBUG has no debugfs files of the registry" {
	run grep -x '# CONFIG_LIVEPATCH_SHADOW_DEBUG is not set' "$KLP_OBJ/.config"
	assert_success
	assert [ -d /sys/kernel/debug/dynamic_debug ]
	refute [ -e /sys/kernel/debug/livepatch ]
}

@test "a kernel without CONFIG_LIVEPATCH_SHADOW_DEBUG still shows shadow_types in sysfs" {
	insmod "$KLP_STAGE/selftests/test_modules/$LP.ko"
	while [ "$(cat "/sys/kernel/livepatch/$LP/transition")" != 0 ]; do sleep 0.1; done

	run cat "$TYPE_DIR/name" "$TYPE_DIR/refcount" "$TYPE_DIR/live" \
		"$TYPE_DIR/bytes" "$TYPE_DIR/owners"
	assert_success
	assert_output "counter
1
3
12
$LP/vmlinux"
}
