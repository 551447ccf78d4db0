#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# klp-shadow gc: writes the debugfs knob of CONFIG_LIVEPATCH_SHADOW_DEBUG;
# in a fixture tree the knob is a plain file, so writes land in it (the
# guest tests check what the real knob collects).

load ../test_helper/common
load ../test_helper/klp-shadow

GC=kernel/debug/livepatch/shadow/gc

setup() {
	ks_setup
	copy_demo
}

@test "gc ID writes the id and a newline to the knob" {
	run ks gc 2
	assert_success
	assert_output "gc 2: 0 variables collected"
	[ "$(cat "$ROOT/$GC")" = 2 ]
}

@test "gc orphans writes orphans; -j prints a JSON document" {
	run ks -j gc orphans
	assert_success
	assert_output '{"gc":"orphans","collected":0}'
	[ "$(cat "$ROOT/$GC")" = orphans ]
}

@test "gc on a kernel without CONFIG_LIVEPATCH_SHADOW_DEBUG exits 69 and says so" {
	rm -r "$ROOT/kernel/debug/livepatch"
	run ks gc 1
	assert_equal "$status" 69
	assert_output "klp-shadow: error: $ROOT/$GC: not found: the kernel lacks CONFIG_LIVEPATCH_SHADOW_DEBUG (or debugfs is not mounted)"
	run --separate-stderr ks -j gc 1
	assert_equal "$status" 69
	[ "$(jq -r .error <<< "$output")" = "$ROOT/$GC: not found: the kernel lacks CONFIG_LIVEPATCH_SHADOW_DEBUG (or debugfs is not mounted)" ]
}

@test "gc without an argument, with two or with junk is a usage error" {
	for args in "" "1 2" "abc" "-1" "0x5a" "orphan" "1a"; do
		# shellcheck disable=SC2086 # split on purpose
		run ks gc -- $args
		assert_equal "$status" 64
	done
	[ ! -s "$ROOT/$GC" ]
}

@test "gc by a user who may not write the knob exits 77" {
	local dir

	dir=$(mktemp -d /tmp/klp-shadow-nobody.XXXXXX)
	chmod 755 "$dir"
	cp -r "$DEMO" "$dir/sys"
	chmod -R a+rX "$dir"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$KS" --sysfs-root "$dir/sys" gc 1
	rm -rf "$dir"
	assert_equal "$status" 77
	assert_output --partial "Permission denied"
}
