#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# klp-shadow stat: one block per id across all patches, with the state of
# each owner's modules, from fixture trees.

load ../test_helper/common
load ../test_helper/klp-shadow

setup() {
	ks_setup
	ROOT=$DEMO
}

@test "stat prints one block per id with its owners' module state" {
	run ks stat
	assert_success
	assert_output "id 1
	name leak
	refcount 2
	live 13
	bytes 104
	listed by livepatch_shadow_fix1/livepatch_shadow_mod, livepatch_shadow_fix2/livepatch_shadow_mod
	owner livepatch_shadow_fix1/livepatch_shadow_mod: livepatch livepatch_shadow_fix1 live, refcount 1; target livepatch_shadow_mod loaded
	owner livepatch_shadow_fix2/livepatch_shadow_mod: livepatch livepatch_shadow_fix2 live, refcount 1; target livepatch_shadow_mod loaded

id 2
	name counter
	refcount 1
	live 12
	bytes 48
	listed by livepatch_shadow_fix2/livepatch_shadow_mod
	owner livepatch_shadow_fix2/livepatch_shadow_mod: livepatch livepatch_shadow_fix2 live, refcount 1; target livepatch_shadow_mod loaded"
}

@test "stat -j prints one object per id" {
	run ks -j stat
	assert_success
	[ "$(jq -c '[.[] | .id]' <<< "$output")" = "[1,2]" ]
	[ "$(jq -c '.[1] | del(.owners)' <<< "$output")" = '{"id":2,"name":"counter","refcount":1,"live":12,"bytes":48,"listed_by":["livepatch_shadow_fix2/livepatch_shadow_mod"]}' ]
	[ "$(jq -c '.[1].owners' <<< "$output")" = '[{"owner":"livepatch_shadow_fix2/livepatch_shadow_mod","patch":{"name":"livepatch_shadow_fix2","loaded":true,"initstate":"live","refcount":1},"target":{"name":"livepatch_shadow_mod","loaded":true}}]' ]
}

@test "stat ID prints only that id; an id nobody lists exits 66" {
	run ks -j stat 2
	assert_success
	[ "$(jq -c '[.[] | .id]' <<< "$output")" = "[2]" ]
	run ks stat 3
	assert_equal "$status" 66
	assert_output "klp-shadow: error: id 3: not found"
}

@test "stat of a bad id is a usage error" {
	run ks stat x
	assert_equal "$status" 64
	run ks stat -- -1
	assert_equal "$status" 64
}

@test "an owner whose target module is not loaded says so; vmlinux always is" {
	empty_tree
	fixture_type "$ROOT" lp mod 91 per-module 1 0 0 lp/mod
	fixture_type "$ROOT" lp vmlinux 90 counter 1 3 12 lp/vmlinux
	mkdir -p "$ROOT/module/lp"
	echo live > "$ROOT/module/lp/initstate"
	echo 1 > "$ROOT/module/lp/refcnt"
	run ks -j stat
	assert_success
	[ "$(jq -c '[.[] | .owners[0].target]' <<< "$output")" = '[{"name":"vmlinux","loaded":true},{"name":"mod","loaded":false}]' ]
	[ "$(jq -c '.[0].owners[0].patch' <<< "$output")" = '{"name":"lp","loaded":true,"initstate":"live","refcount":1}' ]
	run ks stat 91
	assert_line "	owner lp/mod: livepatch lp live, refcount 1; target mod not loaded"
}

@test "an owner whose livepatch module is gone is not loaded, with null state" {
	empty_tree
	fixture_type "$ROOT" lp vmlinux 90 counter 1 3 12 gone/vmlinux
	run ks -j stat
	[ "$(jq -c '.[0].owners[0].patch' <<< "$output")" = '{"name":"gone","loaded":false,"initstate":null,"refcount":null}' ]
	run ks stat
	assert_line "	owner gone/vmlinux: livepatch gone not loaded; target vmlinux loaded"
}

@test "stat on a tree without patches prints nothing, or [] in JSON" {
	empty_tree
	run ks stat
	assert_success
	assert_output ""
	run ks -j stat
	assert_output "[]"
}

@test "stat with -o prometheus is a usage error" {
	run ks -o prometheus stat
	assert_equal "$status" 64
}
