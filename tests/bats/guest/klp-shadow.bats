#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# klp-shadow against the running kernel, during the registry's scenarios:
# what it prints agrees with what sysfs says directly.

load ../test_helper/common
load ../test_helper/klp-shadow

MODS=$KLP_STAGE/selftests/test_modules
LP_DIR=/sys/kernel/livepatch

setup() {
	ks_setup
	LOADED=()
}

teardown() {
	local mod i

	for ((i = ${#LOADED[@]} - 1; i >= 0; i--)); do
		mod=${LOADED[i]}
		if [ -e "$LP_DIR/$mod" ]; then
			echo 0 > "$LP_DIR/$mod/enabled"
			while [ -e "$LP_DIR/$mod" ]; do sleep 0.1; done
		fi
		[ ! -e "/sys/module/$mod" ] || rmmod "$mod"
	done
}

load_mod() {
	insmod "$MODS/$1.ko"
	LOADED+=("$1")
	if [ -e "$LP_DIR/$1" ]; then
		while [ "$(cat "$LP_DIR/$1/transition")" != 0 ]; do sleep 0.1; done
	fi
}

disable_lp() {
	echo 0 > "$LP_DIR/$1/enabled"
	while [ -e "$LP_DIR/$1" ]; do sleep 0.1; done
}

# sysfs_rows: what klp-shadow -j list must say, read from sysfs with the
# shell: one compact JSON object per patch, object and type, sorted.
sysfs_rows() {
	local dir patch object id owners

	for dir in "$LP_DIR"/*/*/shadow_types/*; do
		[ -d "$dir" ] || continue
		id=${dir##*/}
		object=${dir%/shadow_types/*}
		patch=${object%/*}
		object=${object##*/}
		patch=${patch##*/}
		owners=$(jq -R . < "$dir/owners" | jq -s -c .)
		jq -n -c --arg p "$patch" --arg o "$object" --argjson id "$id" \
			--arg n "$(cat "$dir/name")" --argjson r "$(cat "$dir/refcount")" \
			--argjson l "$(cat "$dir/live")" --argjson b "$(cat "$dir/bytes")" \
			--argjson w "$owners" \
			'{patch: $p, object: $o, id: $id, name: $n, refcount: $r, live: $l, bytes: $b, owners: $w}'
	done | jq -s -c 'sort_by(.patch, .object, .id)'
}

@test "klp-shadow list on a kernel without patches prints an empty list" {
	run "$KS" -j list
	assert_success
	assert_output "[]"
}

@test "list agrees with sysfs while two patches share a type" {
	load_mod test_klp_shadow_a
	load_mod test_klp_shadow_d
	run "$KS" -j list
	assert_success
	assert_equal "$output" "$(sysfs_rows)"
	[ "$(jq -c '[.[] | [.patch, .refcount, .live, .bytes, (.owners | length)]]' <<< "$output")" = \
	  '[["test_klp_shadow_a",2,3,12,2],["test_klp_shadow_d",2,3,12,2]]' ]

	disable_lp test_klp_shadow_a
	run "$KS" -j list
	assert_equal "$output" "$(sysfs_rows)"
	[ "$(jq -c '[.[] | [.patch, .refcount, .owners]]' <<< "$output")" = \
	  '[["test_klp_shadow_d",1,["test_klp_shadow_d/vmlinux"]]]' ]
}

@test "stat reports the livepatch module live and vmlinux loaded, through libkmod" {
	load_mod test_klp_shadow_a
	run "$KS" -j stat 90
	assert_success
	[ "$(jq -c '.[0] | [.refcount, .live, .bytes, .listed_by]' <<< "$output")" = \
	  '[1,3,12,["test_klp_shadow_a/vmlinux"]]' ]
	[ "$(jq -c '.[0].owners[0].patch' <<< "$output")" = \
	  "{\"name\":\"test_klp_shadow_a\",\"loaded\":true,\"initstate\":\"live\",\"refcount\":$(cat /sys/module/test_klp_shadow_a/refcnt)}" ]
	[ "$(jq -c '.[0].owners[0].target' <<< "$output")" = '{"name":"vmlinux","loaded":true}' ]
	[ "$(jq -r '.[0].owners[0].kind' <<< "$output")" = livepatch ]
}

@test "list and stat follow a target module coming and going" {
	load_mod test_klp_shadow_f
	run "$KS" -j list test_klp_shadow_f
	assert_equal "$output" "$(sysfs_rows)"
	[ "$(jq -c '.[0] | [.object, .refcount, .live, .owners]' <<< "$output")" = '["test_klp_shadow_mod",0,0,[]]' ]

	load_mod test_klp_shadow_mod
	run "$KS" -j list
	assert_equal "$output" "$(sysfs_rows)"
	[ "$(jq -c '.[0] | [.refcount, .live, .bytes]' <<< "$output")" = '[1,3,12]' ]
	run "$KS" -j stat 91
	[ "$(jq -c '.[0].owners[0].target' <<< "$output")" = '{"name":"test_klp_shadow_mod","loaded":true}' ]

	rmmod test_klp_shadow_mod
	run "$KS" -j list
	assert_equal "$output" "$(sysfs_rows)"
	[ "$(jq -c '.[0] | [.refcount, .live]' <<< "$output")" = '[0,0]' ]
}

@test "gc ID collects the id's variables and says how many" {
	load_mod test_klp_shadow_a
	run "$KS" gc 90
	assert_success
	assert_output "gc 90: 3 variables collected"
	[ "$(cat "$LP_DIR/test_klp_shadow_a/vmlinux/shadow_types/90/live")" = 0 ]
	[ "$(cat "$LP_DIR/test_klp_shadow_a/vmlinux/shadow_types/90/refcount")" = 1 ]
	run "$KS" -j list
	assert_equal "$output" "$(sysfs_rows)"
}

@test "gc orphans collects only the variables nobody references" {
	load_mod test_klp_shadow_a
	load_mod test_klp_shadow_orphans
	run "$KS" -j gc orphans
	assert_success
	assert_output '{"gc":"orphans","collected":3}'
	[ "$(cat "$LP_DIR/test_klp_shadow_a/vmlinux/shadow_types/90/live")" = 3 ]
	run grep -E '^9[67] ' /sys/kernel/debug/livepatch/shadow/types
	assert_failure 1
}

@test "gc of an id the registry does not know exits 66" {
	run "$KS" gc 12345
	assert_equal "$status" 66
	assert_output "klp-shadow: error: id 12345: not found"
}

@test "gc by an unprivileged user exits 77" {
	load_mod test_klp_shadow_a
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$KS" gc 90
	assert_equal "$status" 77
	[ "$(cat "$LP_DIR/test_klp_shadow_a/vmlinux/shadow_types/90/live")" = 3 ]
}

@test "the Prometheus output of the running kernel passes promtool" {
	load_mod test_klp_shadow_a
	run "$KS" -o prometheus list
	assert_success
	assert_line 'klp_shadow_live_variables{id="90",name="counter"} 3'
	assert_line 'klp_shadow_type_info{id="90",name="counter",object="vmlinux",patch="test_klp_shadow_a"} 1'
	assert_line 'klp_shadow_owner_target_loaded{id="90",object="vmlinux",owner="test_klp_shadow_a/vmlinux",patch="test_klp_shadow_a"} 1'
	assert_line 'klp_shadow_up 1'
	run promtool check metrics <<< "$output"
	assert_success
}

@test "with two patches sharing a type, the metrics sum to the registry's totals in debugfs types" {
	local sums totals

	load_mod test_klp_shadow_a
	load_mod test_klp_shadow_d
	run "$KS" -o prometheus list
	assert_success
	[ "$(grep -c '^klp_shadow_type_info{id="90"' <<< "$output")" = 2 ]
	[ "$(grep -c '^klp_shadow_live_variables{id="90"' <<< "$output")" = 1 ]
	sums=$(awk '!/^#/ { n = $1; sub(/\{.*/, "", n); s[n] += $2 }
		END { printf "%d %d %d %d", s["klp_shadow_types"], s["klp_shadow_refcount"],
			s["klp_shadow_live_variables"], s["klp_shadow_bytes"] }' <<< "$output")
	# The registry's lines of the ids sysfs shows: an earlier test may
	# leave an id that no patch object lists (a reference kept by a
	# forced transition), which debugfs alone shows.
	totals=$(awk 'NR == FNR { if (match($0, /id="[0-9]+"/)) shown[substr($0, RSTART + 4, RLENGTH - 5)] = 1; next }
		FNR > 1 && ($1 in shown) { ids++; r += $3; l += $4; b += $5 }
		END { printf "%d %d %d %d", ids, r, l, b }' - /sys/kernel/debug/livepatch/shadow/types <<< "$output")
	assert_equal "$sums" "$totals"
}
