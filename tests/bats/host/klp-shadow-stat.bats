#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# klp-shadow stat: one block per id across all patches, with the state of
# each owner's modules, from fixture trees.
# shellcheck disable=SC2154 # $stderr comes from bats' run --separate-stderr

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
	[ "$(jq -c '.[1].owners' <<< "$output")" = '[{"owner":"livepatch_shadow_fix2/livepatch_shadow_mod","kind":"livepatch","patch":{"name":"livepatch_shadow_fix2","loaded":true,"initstate":"live","refcount":1},"target":{"name":"livepatch_shadow_mod","loaded":true}}]' ]
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

@test "stat -1 is refused, saying that ids are never negative" {
	run --separate-stderr ks stat -1
	assert_equal "$status" 64
	assert_equal "$stderr" "klp-shadow: error: unrecognized option '-1': ids are never negative (see --help)"
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

@test "an owner with no patch directory and no patch module is no livepatch object: kind other, no module state" {
	empty_tree
	fixture_type "$ROOT" lp vmlinux 90 counter 1 3 12 gone/vmlinux
	run ks -j stat
	assert_success
	[ "$(jq -c '.[0].owners[0]' <<< "$output")" = '{"owner":"gone/vmlinux","kind":"other","patch":null,"target":null}' ]
	run ks stat
	assert_line "	owner gone/vmlinux: not a livepatch object (a debug registration)"
}

@test "any owner the kernel accepts parses: no slash, several slashes, <module>/explicit, odd bytes" {
	empty_tree
	fixture_type "$ROOT" lp vmlinux 90 counter 5 3 12 "a/b/c" "kpatch-helper" "lp/explicit" "lp/vmlinux" $'x\x01y z'
	mkdir -p "$ROOT/module/lp"
	echo live > "$ROOT/module/lp/initstate"
	echo 1 > "$ROOT/module/lp/refcnt"
	echo OEK > "$ROOT/module/lp/taint"
	run --separate-stderr ks -j stat
	assert_success
	assert_equal "$stderr" ""
	[ "$(jq -c '[.[0].owners[] | [.owner, .kind]]' <<< "$output")" = '[["a/b/c","other"],["kpatch-helper","other"],["lp/explicit","other"],["lp/vmlinux","livepatch"],["x\u0001y z","other"]]' ]
	run ks stat
	assert_success
	assert_line "	owner a/b/c: not a livepatch object (a debug registration)"
	assert_line "	owner kpatch-helper: not a livepatch object (a debug registration)"
	assert_line "	owner lp/explicit: not a livepatch object (a debug registration)"
	refute_output --partial "target explicit"
	assert_line '	owner x\x01y z: not a livepatch object (a debug registration)'
	run ks -j list
	assert_success
	[ "$(jq -c '.[0].owners | length' <<< "$output")" = 5 ]
}

@test "a debug owner shaped like <module>/<name> whose module is loaded but no livepatch is other" {
	empty_tree
	fixture_type "$ROOT" lp vmlinux 90 counter 2 3 12 "klp_shadow_stress/registrar" "lp/vmlinux"
	mkdir -p "$ROOT/module/klp_shadow_stress"
	echo live > "$ROOT/module/klp_shadow_stress/initstate"
	echo 0 > "$ROOT/module/klp_shadow_stress/refcnt"
	echo OE > "$ROOT/module/klp_shadow_stress/taint"
	run ks -j stat
	assert_success
	[ "$(jq -c '[.[0].owners[] | [.owner, .kind]]' <<< "$output")" = '[["klp_shadow_stress/registrar","other"],["lp/vmlinux","livepatch"]]' ]
	echo OEK > "$ROOT/module/klp_shadow_stress/taint"
	run ks -j stat
	[ "$(jq -r '.[0].owners[0].kind' <<< "$output")" = retired ]
}

@test "the registered fixture: listed, explicit, debug and retired owners" {
	run "$KS" --sysfs-root "$KLP_TOP/tests/bats/fixtures/sysfs/registered/sys" -j stat
	assert_success
	[ "$(jq -c '[.[] | [.id, [.owners[] | .kind]]]' <<< "$output")" = '[[90,["other","livepatch"]],[91,[]],[92,["livepatch"]],[93,["retired"]]]' ]
	[ "$(jq -c '.[3].owners[0].target' <<< "$output")" = '{"name":"xfs","loaded":false}' ]
}

@test "an unreadable or malformed module refcnt is an error, refcount null, exit 1" {
	copy_demo
	echo -1 > "$ROOT/module/livepatch_shadow_fix2/refcnt"
	run --separate-stderr ks -j stat 2
	assert_equal "$status" 1
	assert_equal "$stderr" "klp-shadow: error: $ROOT/module/livepatch_shadow_fix2/refcnt: malformed value '-1'"
	[ "$(jq -c '.[0].owners[0].patch' <<< "$output")" = '{"name":"livepatch_shadow_fix2","loaded":true,"initstate":"live","refcount":null}' ]
	run ks stat 2
	assert_equal "$status" 1
	assert_line "	owner livepatch_shadow_fix2/livepatch_shadow_mod: livepatch livepatch_shadow_fix2 live, refcount ?; target livepatch_shadow_mod loaded"
	rm "$ROOT/module/livepatch_shadow_fix2/refcnt"
	run --separate-stderr ks -j stat 2
	assert_equal "$status" 1
	assert_equal "$stderr" "klp-shadow: error: $ROOT/module/livepatch_shadow_fix2/refcnt: No such file or directory"
}

@test "a module directory without initstate is an unknown state, not 'not loaded', exit 1" {
	copy_demo
	rm "$ROOT/module/livepatch_shadow_mod/initstate"
	run --separate-stderr ks -j stat 2
	assert_equal "$status" 1
	assert_equal "$stderr" "klp-shadow: error: $ROOT/module/livepatch_shadow_mod/initstate: No such file or directory"
	[ "$(jq -c '.[0].owners[0].target' <<< "$output")" = '{"name":"livepatch_shadow_mod","loaded":null}' ]
	run ks stat 2
	assert_line "	owner livepatch_shadow_fix2/livepatch_shadow_mod: livepatch livepatch_shadow_fix2 live, refcount 1; target livepatch_shadow_mod state unknown"
	echo lively > "$ROOT/module/livepatch_shadow_mod/initstate"
	run ks stat 2
	assert_equal "$status" 1
}

@test "a module state that cannot be read is reported and counted once per run, however many owners name it" {
	copy_demo
	rm "$ROOT/module/livepatch_shadow_mod/initstate"
	# Three owner lines name livepatch_shadow_mod as their target.
	run --separate-stderr ks stat
	assert_equal "$status" 1
	assert_equal "$stderr" "klp-shadow: error: $ROOT/module/livepatch_shadow_mod/initstate: No such file or directory"
	[ "$(grep -c 'target livepatch_shadow_mod state unknown$' <<< "$output")" = 3 ]
	run --separate-stderr ks -o prometheus list
	assert_equal "$status" 1
	assert_equal "$stderr" "klp-shadow: error: $ROOT/module/livepatch_shadow_mod/initstate: No such file or directory"
	assert_line 'klp_shadow_read_errors 1'
	# Each run reads the state again, and counts its own error once.
	run --separate-stderr ks -o prometheus --interval 0.1 --count 2 list
	[ "$(grep -c '^klp_shadow_read_errors 1$' <<< "$output")" = 2 ]
	refute_line --regexp '^klp_shadow_read_errors [^1]'
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

@test "a retired owner whose module initstate cannot be read stays retired with its state unknown" {
	local reg=$BATS_TEST_TMPDIR/registered patch

	cp -r "$KLP_TOP/tests/bats/fixtures/sysfs/registered" "$reg"
	ROOT=$reg/sys
	patch=$(jq -r '.[3].owners[0].patch.name' <<< "$(ks -j stat)")
	rm "$ROOT/module/$patch/initstate"
	run --separate-stderr ks -j stat 93
	assert_equal "$status" 1
	assert_equal "$stderr" "klp-shadow: error: $ROOT/module/$patch/initstate: No such file or directory"
	[ "$(jq -r '.[0].owners[0].kind' <<< "$output")" = retired ]
	[ "$(jq -c '.[0].owners[0].patch | [.loaded, .initstate, .refcount]' <<< "$output")" = '[null,null,null]' ]
	run --separate-stderr ks -o prometheus list
	assert_line --partial "klp_shadow_owner_target_loaded{id=\"93\","
	assert_line 'klp_shadow_read_errors 1'
}
