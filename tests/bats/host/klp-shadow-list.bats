#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# klp-shadow list: one row per patch, object and type, as a table or JSON,
# selected by PATCH[/OBJECT[/ID]], from fixture trees.

load ../test_helper/common
load ../test_helper/klp-shadow

setup() {
	ks_setup
	ROOT=$DEMO
}

@test "list prints a header and one aligned row per patch, object and type" {
	run ks list
	assert_success
	assert_output "PATCH                  OBJECT                ID  NAME     REFCOUNT  LIVE  BYTES  OWNERS
livepatch_shadow_fix1  livepatch_shadow_mod  1   leak     2         13    104    livepatch_shadow_fix1/livepatch_shadow_mod,livepatch_shadow_fix2/livepatch_shadow_mod
livepatch_shadow_fix2  livepatch_shadow_mod  1   leak     2         13    104    livepatch_shadow_fix1/livepatch_shadow_mod,livepatch_shadow_fix2/livepatch_shadow_mod
livepatch_shadow_fix2  livepatch_shadow_mod  2   counter  1         12    48     livepatch_shadow_fix2/livepatch_shadow_mod"
}

@test "list -j prints an array of objects with exactly the documented keys and types" {
	run ks -j list
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	run jq -c '[.[] | keys_unsorted] | unique' <<< "$output"
	assert_output '[["patch","object","id","name","refcount","live","bytes","owners"]]'
	run jq -r '.[] | [(.id|type), (.refcount|type), (.live|type), (.bytes|type), (.owners|type), (.name|type)] | join(" ")' <<< "$("$KS" --sysfs-root "$ROOT" -j list)"
	assert_output "number number number number array string
number number number number array string
number number number number array string"
}

@test "list -j values match the files of the tree" {
	run ks -j list
	assert_success
	run jq -c '.[2]' <<< "$output"
	assert_output '{"patch":"livepatch_shadow_fix2","object":"livepatch_shadow_mod","id":2,"name":"counter","refcount":1,"live":12,"bytes":48,"owners":["livepatch_shadow_fix2/livepatch_shadow_mod"]}'
}

@test "list -p prints the same document indented" {
	run ks -p list
	assert_success
	[ "${#lines[@]}" -gt 10 ]
	assert_line --index 1 '  {'
	assert_line --index 2 '    "patch": "livepatch_shadow_fix1",'
	[ "$(jq -c . <<< "$output")" = "$("$KS" --sysfs-root "$ROOT" -j list)" ]
}

@test "-o json is the same as -j" {
	[ "$(ks -o json list)" = "$(ks -j list)" ]
}

@test "list PATCH, PATCH/OBJECT and PATCH/OBJECT/ID select rows" {
	run ks -j list livepatch_shadow_fix2
	assert_success
	[ "$(jq length <<< "$output")" = 2 ]
	run ks -j list livepatch_shadow_fix2/livepatch_shadow_mod
	[ "$(jq length <<< "$output")" = 2 ]
	run ks -j list livepatch_shadow_fix2/livepatch_shadow_mod/2
	assert_success
	[ "$(jq -c '[.[] | [.patch, .id]]' <<< "$output")" = '[["livepatch_shadow_fix2",2]]' ]
}

@test "list of a patch, object or id that does not exist exits 66" {
	run ks list nosuchpatch
	assert_equal "$status" 66
	assert_output --partial "klp-shadow: error: nosuchpatch: not found"
	run ks list livepatch_shadow_fix1/vmlinux
	assert_equal "$status" 66
	run ks list livepatch_shadow_fix1/livepatch_shadow_mod/2
	assert_equal "$status" 66
}

@test "list of a patch that exists but lists no type is empty and exits 0" {
	copy_demo
	mkdir -p "$ROOT/kernel/livepatch/plain/vmlinux/cmdline_proc_show,1"
	run ks -j list plain
	assert_success
	assert_output "[]"
}

@test "a selector may end in one slash, as a shell completes a directory" {
	[ "$(ks -j list livepatch_shadow_fix2/)" = "$(ks -j list livepatch_shadow_fix2)" ]
	run ks -j list livepatch_shadow_fix2/livepatch_shadow_mod/
	assert_success
	[ "$(jq length <<< "$output")" = 2 ]
	run ks -j list livepatch_shadow_fix2/livepatch_shadow_mod/2/
	assert_success
	[ "$(jq length <<< "$output")" = 1 ]
}

@test "a malformed selector is a usage error, 64" {
	for sel in / // a// a/b// a/b/c/d a/b/x a/b/-1 ../x "" . ./ ./x x/. x/./1; do
		run ks list "$sel"
		assert_equal "$status" 64
	done
}

@test "list on a tree without patches prints the header, or [] in JSON, and exits 0" {
	empty_tree
	run ks list
	assert_success
	assert_output "PATCH  OBJECT  ID  NAME  REFCOUNT  LIVE  BYTES  OWNERS"
	run ks -j list
	assert_success
	assert_output "[]"
}

@test "objects without shadow_types and function directories are not rows" {
	run ks -j list
	assert_success
	run jq -r '.[].object' <<< "$output"
	assert_success
	assert_output "livepatch_shadow_mod
livepatch_shadow_mod
livepatch_shadow_mod"
}

@test "a selector naming a file or a function directory, not a patch or object, exits 66" {
	run --separate-stderr ks -j list livepatch_shadow_fix1/enabled
	assert_equal "$status" 66
	[ "$(jq -r .error <<< "$output")" = "livepatch_shadow_fix1/enabled: not found: not a livepatch object directory" ]
	run ks list livepatch_shadow_fix1/livepatch_shadow_mod/patched
	assert_equal "$status" 64
	run ks list "livepatch_shadow_fix1/livepatch_shadow_mod/dummy_alloc,1"
	assert_equal "$status" 64
	run ks list "livepatch_shadow_fix1/dummy_alloc,1"
	assert_equal "$status" 66
	copy_demo
	echo x > "$ROOT/kernel/livepatch/afile"
	run ks list afile
	assert_equal "$status" 66
	assert_output "klp-shadow: error: afile: not found: not a livepatch directory"
}

@test "ids and numbers above 2^53 are exact JSON integers" {
	empty_tree
	fixture_type "$ROOT" p vmlinux 18446744073709551615 big 1 9007199254740993 18446744073709551615 p/vmlinux
	run ks -j list
	assert_success
	python3 -c 'import json, sys
r = json.load(sys.stdin)[0]
assert r["id"] == 18446744073709551615, r
assert r["live"] == 9007199254740993, r
assert r["bytes"] == 18446744073709551615, r' <<< "$output"
	run ks -o prometheus list
	assert_line 'klp_shadow_live_variables{id="18446744073709551615",name="big"} 9007199254740993'
}

@test "a type without a name has an empty name, shown as - in the table" {
	empty_tree
	fixture_type "$ROOT" p vmlinux 95 "" 1 10 80 p/vmlinux
	run ks -j list
	assert_success
	[ "$(jq -c '.[0] | [.name, .owners]' <<< "$output")" = '["",["p/vmlinux"]]' ]
	run ks list
	assert_line --index 1 "p      vmlinux  95  -     1         10    80     p/vmlinux"
}

@test "a type nobody references has empty owners: [] in JSON, - in the table" {
	empty_tree
	fixture_type "$ROOT" p mod 91 per-module 0 0 0
	run ks -j list
	assert_success
	[ "$(jq -c '.[0] | [.refcount, .owners]' <<< "$output")" = '[0,[]]' ]
	run ks list
	assert_line --index 1 --regexp '  -$'
}

@test "list reads 1000 types, in patch, object and numeric id order" {
	empty_tree
	for p in 0 1 2 3; do
		for id in $(seq 1 250); do
			fixture_type "$ROOT" "patch$p" vmlinux "$id" "type$id" 1 "$id" "$((id * 8))" "patch$p/vmlinux"
		done
	done
	run ks -j list
	assert_success
	[ "$(jq length <<< "$output")" = 1000 ]
	[ "$(jq '[.[].live] | add' <<< "$output")" = $((4 * 250 * 251 / 2)) ]
	[ "$(jq -c '[.[0:3][] | .id]' <<< "$output")" = "[1,2,3]" ]
	run ks list
	assert_success
	[ "${#lines[@]}" = 1001 ]
}

@test "KLP_SHADOW_SYSFS names the tree like --sysfs-root" {
	run env KLP_SHADOW_SYSFS="$DEMO" "$KS" -j list
	assert_success
	[ "$(jq length <<< "$output")" = 3 ]
}
