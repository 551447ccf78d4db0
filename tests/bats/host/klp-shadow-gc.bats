#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# klp-shadow gc: writes the debugfs knob of CONFIG_LIVEPATCH_SHADOW_DEBUG;
# in a fixture tree the knob is a plain file, so writes land in it (the
# guest tests check what the real knob collects).
# shellcheck disable=SC2154 # $stderr comes from bats' run --separate-stderr

load ../test_helper/common
load ../test_helper/klp-shadow

GC=kernel/debug/livepatch/shadow/gc

setup() {
	ks_setup
	copy_demo
}

TYPES=kernel/debug/livepatch/shadow/types

@test "gc ID writes the id and a newline to the knob" {
	run ks gc 2
	assert_success
	assert_output "gc 2: 0 variables collected"
	[ "$(cat "$ROOT/$GC")" = 2 ]
}

@test "gc writes and reports the id as sysfs spells it: gc 01 is gc 1" {
	run ks -j gc 01
	assert_success
	assert_output '{"gc":"1","collected":0}'
	[ "$(cat "$ROOT/$GC")" = 1 ]
}

@test "gc does not write through a knob that is a symbolic link" {
	echo keep > "$BATS_TEST_TMPDIR/victim"
	rm "$ROOT/$GC"
	ln -s "$BATS_TEST_TMPDIR/victim" "$ROOT/$GC"
	run ks gc 2
	assert_equal "$status" 1
	assert_output --partial "Too many levels of symbolic links"
	[ "$(cat "$BATS_TEST_TMPDIR/victim")" = keep ]
}

@test "gc, which frees variables, is refused by a prefix: 64, nothing written" {
	run --separate-stderr ks g 2
	assert_equal "$status" 64
	assert_equal "$stderr" "klp-shadow: error: command 'g': gc frees variables, give its whole name"
	[ ! -s "$ROOT/$GC" ]
	# Its help frees nothing.
	run ks help g
	assert_success
	assert_line --partial "gc ID|orphans"
	run ks g help
	assert_success
	assert_line --partial "gc ID|orphans"
}

@test "gc in a captured tree replaces the knob's content: no stale bytes after a shorter request" {
	printf 'orphans\n' > "$ROOT/$GC"
	run ks gc 2
	assert_success
	[ "$(od -c "$ROOT/$GC" | head -n 1)" = "$(printf '2\n' | od -c | head -n 1)" ]
}

@test "gc of an id the registry does not know exits 66 and writes nothing" {
	run --separate-stderr ks gc 99
	assert_equal "$status" 66
	assert_equal "$stderr" "klp-shadow: error: id 99: not found"
	[ ! -s "$ROOT/$GC" ]
	run --separate-stderr ks -j gc 99
	assert_equal "$status" 66
	[ "$(jq -r .error <<< "$output")" = "id 99: not found" ]
}

@test "gc never counts from a missing or malformed types file: exit 1, nothing written" {
	rm "$ROOT/$TYPES"
	run ks gc 1
	assert_equal "$status" 1
	assert_output "klp-shadow: error: $ROOT/$TYPES: No such file or directory"
	[ ! -s "$ROOT/$GC" ]
	for bad in "" "garbage" $'id name refcount live bytes\n1 leak 2 x 104' \
		   $'id name refcount live bytes\n1 leak 2 13' $'id name refcount live bytes\n1 leak 2 13 104 5' \
		   $'id name refcount live bytes\n-1 leak 2 13 104'; do
		printf '%s\n' "$bad" > "$ROOT/$TYPES"
		run ks gc 1
		assert_equal "$status" 1
		[ ! -s "$ROOT/$GC" ]
	done
	printf 'id name refcount live bytes\n1 leak 2 13 104\n1 leak 2 13 104 junk\n' > "$ROOT/$TYPES"
	run ks gc orphans
	assert_equal "$status" 1
	assert_output "klp-shadow: error: $ROOT/$TYPES:3: malformed line"
}

@test "gc counts orphans from the ids without a reference in types" {
	ROOT_REG=$BATS_TEST_TMPDIR/reg
	cp -r "$KLP_TOP/tests/bats/fixtures/sysfs/registered/sys" "$ROOT_REG"
	# the knob of a fixture collects nothing: the count before and after is the same
	run "$KS" --sysfs-root "$ROOT_REG" -j gc orphans
	assert_success
	assert_output '{"gc":"orphans","collected":0}'
	[ "$(cat "$ROOT_REG/$GC")" = orphans ]
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

@test "gc of a word that is no id calls it an invalid id, as stat does" {
	run --separate-stderr ks gc abc
	assert_equal "$status" 64
	assert_equal "$stderr" "klp-shadow: error: invalid id 'abc': gc takes one ID or 'orphans'"
	run --separate-stderr ks stat abc
	assert_equal "$status" 64
	assert_equal "$stderr" "klp-shadow: error: invalid id 'abc'"
	run --separate-stderr ks gc 1 2
	assert_equal "$stderr" "klp-shadow: error: gc takes one ID or 'orphans'"
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
