#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# klp-shadow on broken, partial and changing trees: every exit code, error
# messages naming the path and the reason, and the rest still printed.
# shellcheck disable=SC2154 # $stderr comes from bats' run --separate-stderr

load ../test_helper/common
load ../test_helper/klp-shadow

TYPE1=kernel/livepatch/livepatch_shadow_fix1/livepatch_shadow_mod/shadow_types/1

setup() {
	ks_setup
	copy_demo
}

# as_nobody ARGS...: run klp-shadow as an unprivileged user on a copy of
# the tree that user may read.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$KS" --sysfs-root "$ROOT" "$@"
}

nobody_tree() {
	local dir

	dir=$(mktemp -d /tmp/klp-shadow-nobody.XXXXXX)
	chmod 755 "$dir"
	cp -r "$DEMO" "$dir/sys"
	chmod -R a+rX "$dir"
	ROOT=$dir/sys
	NOBODY_DIR=$dir
}

# ks_root DIR ARGS...: run klp-shadow on DIR.
ks_root() {
	"$KS" --sysfs-root "$@"
}

# ks_root_eq ARGS...: the --sysfs-root=DIR form with an empty DIR.
ks_root_eq() {
	"$KS" --sysfs-root= "$@"
}

teardown() {
	[ -z "${NOBODY_DIR:-}" ] || rm -rf "$NOBODY_DIR"
}

@test "no kernel/livepatch directory exits 69 naming the path" {
	missing_tree
	run ks list
	assert_equal "$status" 69
	assert_output "klp-shadow: error: $ROOT/kernel/livepatch: no such directory: kernel without livepatch"
}

@test "a kernel/livepatch that is no directory is not a sysfs tree, 66, not a kernel without livepatch" {
	missing_tree
	touch "$ROOT/kernel/livepatch"
	run ks list
	assert_equal "$status" 66
	assert_output "klp-shadow: error: $ROOT/kernel/livepatch: not a sysfs tree (not a directory)"
}

@test "a kernel without shadow_types support (kallsyms beside the tree) exits 69" {
	mkdir -p "$BATS_TEST_TMPDIR/proc"
	printf 'ffffffff81000000 T _stext\nffffffff81000100 T klp_enable_patch\n' > "$BATS_TEST_TMPDIR/proc/kallsyms"
	run ks list
	assert_equal "$status" 69
	assert_output --partial "kernel without shadow_types support"
	printf 'ffffffff81000200 T klp_shadow_register\n' >> "$BATS_TEST_TMPDIR/proc/kallsyms"
	run ks list
	assert_success
}

@test "in JSON mode a fatal error is also a JSON document on stdout" {
	missing_tree
	run --separate-stderr ks -j list
	assert_equal "$status" 69
	[ "$(jq -r .error <<< "$output")" = "$ROOT/kernel/livepatch: no such directory: kernel without livepatch" ]
	assert_equal "$stderr" "klp-shadow: error: $ROOT/kernel/livepatch: no such directory: kernel without livepatch"
}

@test "a malformed number is reported with its path, the rest is printed, exit 1" {
	echo "lots" > "$ROOT/$TYPE1/live"
	run --separate-stderr ks -j list
	assert_equal "$status" 1
	assert_equal "$stderr" "klp-shadow: error: $ROOT/$TYPE1/live: malformed value 'lots'"
	[ "$(jq -c '[.[] | .live]' <<< "$output")" = "[null,13,12]" ]
	run --separate-stderr ks list
	assert_equal "$status" 1
	assert_line --index 1 --regexp '^livepatch_shadow_fix1 .* 2 +\? +104 '
}

@test "truncated values (no newline, empty, half a line) are malformed, exit 1" {
	printf '13' > "$ROOT/$TYPE1/live"
	: > "$ROOT/$TYPE1/bytes"
	printf 'le' > "$ROOT/$TYPE1/name"
	printf 'livepatch_shadow_fix1/livepatch_shadow_mod\nlivepatch_sh' > "$ROOT/$TYPE1/owners"
	run --separate-stderr ks -j list
	assert_equal "$status" 1
	[ "$(jq -c '.[0] | [.name, .live, .bytes, .owners]' <<< "$output")" = "[null,null,null,null]" ]
	[ "$(jq -c '.[1].live' <<< "$output")" = 13 ]
	[ "$(grep -c "malformed" <<< "$stderr")" = 4 ]
}

@test "a number with junk around it or too big is malformed" {
	for bad in " 2" "2 " "+2" "0x2" "-1" "99999999999999999999999" "2"$'\n'"3"; do
		printf '%s\n' "$bad" > "$ROOT/$TYPE1/refcount"
		run ks -j list
		assert_equal "$status" 1
	done
}

@test "a shadow_types entry that is not an id is reported and skipped" {
	mkdir "$ROOT/kernel/livepatch/livepatch_shadow_fix1/livepatch_shadow_mod/shadow_types/x1"
	run --separate-stderr ks -j list
	assert_equal "$status" 1
	assert_equal "$stderr" "klp-shadow: error: $ROOT/kernel/livepatch/livepatch_shadow_fix1/livepatch_shadow_mod/shadow_types/x1: not a shadow type id"
	[ "$(jq length <<< "$output")" = 3 ]
}

@test "an unreadable file exits 77 naming it, and the rest is printed" {
	nobody_tree
	chmod 000 "$ROOT/$TYPE1/owners"
	run --separate-stderr as_nobody -j list
	assert_equal "$status" 77
	assert_equal "$stderr" "klp-shadow: error: $ROOT/$TYPE1/owners: Permission denied"
	[ "$(jq -c '[.[] | .owners | length]' <<< "$output")" = "[0,2,1]" ]
	[ "$(jq -c '.[0].owners' <<< "$output")" = null ]
}

@test "an unreadable livepatch directory exits 77 and counts in read_errors" {
	nobody_tree
	chmod 700 "$ROOT/kernel/livepatch"
	run as_nobody list
	assert_equal "$status" 77
	assert_output "klp-shadow: error: $ROOT/kernel/livepatch: Permission denied"
	run --separate-stderr as_nobody -o prometheus list
	assert_equal "$status" 77
	assert_line 'klp_shadow_up 0'
	assert_line 'klp_shadow_read_errors 1'
}

@test "permission errors win over malformed values: exit 77" {
	nobody_tree
	echo "x" > "$ROOT/$TYPE1/live"
	chmod 000 "$ROOT/$TYPE1/bytes"
	run as_nobody list
	assert_equal "$status" 77
}

@test "a patch that vanished between listing and reading is skipped without an error" {
	mv "$ROOT/kernel/livepatch/livepatch_shadow_fix1" "$BATS_TEST_TMPDIR/gone"
	ln -s "$BATS_TEST_TMPDIR/gone-for-good" "$ROOT/kernel/livepatch/livepatch_shadow_fix1"
	run --separate-stderr ks -j list
	assert_success
	assert_equal "$stderr" ""
	[ "$(jq -c '[.[] | .patch]' <<< "$output")" = '["livepatch_shadow_fix2","livepatch_shadow_fix2"]' ]
}

@test "a file missing from a type directory is an error naming it, the patch stays listed, exit 1" {
	rm "$ROOT/$TYPE1/live" "$ROOT/$TYPE1/bytes"
	run --separate-stderr ks -j list
	assert_equal "$status" 1
	assert_equal "$stderr" "klp-shadow: error: $ROOT/$TYPE1/live: No such file or directory
klp-shadow: error: $ROOT/$TYPE1/bytes: No such file or directory"
	[ "$(jq -c '[.[] | [.patch, .live, .bytes]]' <<< "$output")" = '[["livepatch_shadow_fix1",null,null],["livepatch_shadow_fix2",13,104],["livepatch_shadow_fix2",12,48]]' ]
	run ks -o prometheus list
	assert_equal "$status" 1
	assert_line 'klp_shadow_read_errors 2'
	assert_line 'klp_shadow_type_info{id="1",name="leak",object="livepatch_shadow_mod",patch="livepatch_shadow_fix1"} 1'
}

@test "a type whose directory vanished mid-walk is left out without an error" {
	ln -s "$BATS_TEST_TMPDIR/gone" "$ROOT/kernel/livepatch/livepatch_shadow_fix1/livepatch_shadow_mod/shadow_types/3"
	run --separate-stderr ks -j list
	assert_success
	assert_equal "$stderr" ""
	[ "$(jq -c '[.[] | [.patch, .id]]' <<< "$output")" = '[["livepatch_shadow_fix1",1],["livepatch_shadow_fix2",1],["livepatch_shadow_fix2",2]]' ]
}

@test "a --sysfs-root that is not a sysfs tree is told apart from a kernel without livepatch, 66" {
	run ks_root /tmp list
	assert_equal "$status" 66
	assert_output "klp-shadow: error: /tmp: not a sysfs tree (no kernel/ directory in it)"
	run ks_root "$BATS_TEST_TMPDIR/nowhere" list
	assert_equal "$status" 66
	assert_output "klp-shadow: error: $BATS_TEST_TMPDIR/nowhere: no such directory"
	touch "$BATS_TEST_TMPDIR/afile"
	run ks_root "$BATS_TEST_TMPDIR/afile" list
	assert_equal "$status" 66
	assert_output "klp-shadow: error: $BATS_TEST_TMPDIR/afile: not a sysfs tree (not a directory)"
	run ks_root /tmp gc 1
	assert_equal "$status" 66
	run --separate-stderr ks_root /tmp -j stat
	assert_equal "$status" 66
	[ "$(jq -r .error <<< "$output")" = "/tmp: not a sysfs tree (no kernel/ directory in it)" ]
}

@test "an empty --sysfs-root is a usage error, not /" {
	run ks_root "" list
	assert_equal "$status" 64
	assert_output "klp-shadow: error: --sysfs-root: empty directory name (see --help)"
	run ks_root_eq list
	assert_equal "$status" 64
}

@test "a value longer than a sysfs page is malformed" {
	head -c 5000 /dev/zero | tr '\0' 7 > "$ROOT/$TYPE1/live"
	run --separate-stderr ks -j list
	assert_equal "$status" 1
	assert_equal "$stderr" "klp-shadow: error: $ROOT/$TYPE1/live: longer than 4096 bytes"
}

@test "an empty livepatch directory in a real-looking tree is fine" {
	empty_tree
	run ks stat
	assert_success
	assert_output ""
}

@test "an object directory that cannot be read exits 77 naming it and counts in read_errors" {
	local obj=kernel/livepatch/livepatch_shadow_fix1/livepatch_shadow_mod

	nobody_tree
	chmod 000 "$ROOT/$obj"
	run --separate-stderr as_nobody list
	assert_equal "$status" 77
	assert_equal "$stderr" "klp-shadow: error: $ROOT/$obj/shadow_types: Permission denied"
	run --separate-stderr as_nobody -o prometheus list
	assert_equal "$status" 77
	assert_line 'klp_shadow_read_errors 1'
}

@test "a shadow_types directory that cannot be read exits 77 naming it" {
	local types=kernel/livepatch/livepatch_shadow_fix1/livepatch_shadow_mod/shadow_types

	nobody_tree
	chmod 000 "$ROOT/$types"
	run --separate-stderr as_nobody -j list
	assert_equal "$status" 77
	assert_equal "$stderr" "klp-shadow: error: $ROOT/$types: Permission denied"
	[ "$(jq -c '[.[] | .patch]' <<< "$output")" = '["livepatch_shadow_fix2","livepatch_shadow_fix2"]' ]
}

@test "a selected object that cannot be read exits 77, not an empty result" {
	local obj=kernel/livepatch/livepatch_shadow_fix1/livepatch_shadow_mod

	nobody_tree
	chmod 000 "$ROOT/$obj"
	run --separate-stderr as_nobody list livepatch_shadow_fix1/livepatch_shadow_mod
	assert_equal "$status" 77
	assert_equal "$stderr" "klp-shadow: error: $ROOT/$obj/shadow_types: Permission denied"
	run --separate-stderr as_nobody -o prometheus list livepatch_shadow_fix1/livepatch_shadow_mod
	assert_equal "$status" 77
	assert_line 'klp_shadow_up 0'
}

@test "stat of an id in a directory that cannot be read exits 77, not 66" {
	local obj=kernel/livepatch/livepatch_shadow_fix2/livepatch_shadow_mod

	nobody_tree
	chmod 000 "$ROOT/$obj"
	run --separate-stderr as_nobody stat 2
	assert_equal "$status" 77
	assert_equal "$stderr" "klp-shadow: error: $ROOT/$obj/shadow_types: Permission denied
klp-shadow: error: id 2: not found where the tree could be read"
}

@test "a selected patch that cannot be read prints klp_shadow_up 0 and exits 77" {
	nobody_tree
	chmod 000 "$ROOT/kernel/livepatch/livepatch_shadow_fix1"
	run --separate-stderr as_nobody -o prometheus list livepatch_shadow_fix1
	assert_equal "$status" 77
	assert_equal "$stderr" "klp-shadow: error: $ROOT/kernel/livepatch/livepatch_shadow_fix1: Permission denied"
	assert_line 'klp_shadow_up 0'
	run grep -c '^klp_shadow_types' <<< "$output"
	assert_output 0
}

@test "list PATCH/OBJECT reads only the selected object: errors elsewhere are not reported" {
	echo x > "$ROOT/kernel/livepatch/livepatch_shadow_fix2/livepatch_shadow_mod/shadow_types/1/live"
	run --separate-stderr ks -o prometheus list livepatch_shadow_fix1/livepatch_shadow_mod
	assert_success
	assert_equal "$stderr" ""
	assert_line 'klp_shadow_read_errors 0'
	run --separate-stderr ks list livepatch_shadow_fix1
	assert_success
	assert_equal "$stderr" ""
}

@test "stat ID reads only the type directories of that id" {
	echo x > "$ROOT/kernel/livepatch/livepatch_shadow_fix2/livepatch_shadow_mod/shadow_types/2/live"
	run --separate-stderr ks stat 1
	assert_success
	assert_equal "$stderr" ""
	run --separate-stderr ks stat 2
	assert_equal "$status" 1
}
