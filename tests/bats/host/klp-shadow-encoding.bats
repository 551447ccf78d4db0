#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# Whatever bytes a tree holds (invalid UTF-8, control bytes, quotes,
# backslashes), every output stays valid: JSON that jq and Python parse,
# Prometheus text that promtool and node_exporter accept, a table that
# cannot drive a terminal.
# shellcheck disable=SC2154 # $stderr comes from bats' run --separate-stderr

load ../test_helper/common
load ../test_helper/klp-shadow

setup() {
	ks_setup
	empty_tree
	# a name, an object and owners with bytes the kernel never writes
	fixture_type "$ROOT" p vmlinux 7 $'bad\xff\xfe utf8' 1 1 8 p/vmlinux
	fixture_type "$ROOT" p $'obj\x01\x1b[31m' 8 $'q"uo\te\\' 1 2 16 $'own\xc3\x28er' $'x\x7fy'
	fixture_type "$ROOT" p vmlinux 9 $'caf\xc3\xa9 \xe2\x82\xac \xed\xa0\x80 \xf0\x9f\x98\x80 \xc0\xaf' 0 0 0
}

teardown() {
	stop_exporter
}

@test "JSON is valid UTF-8 that jq and Python parse; bad bytes read \\xHH, valid ones stay" {
	local cmd

	for cmd in list stat; do
		run ks -j "$cmd"
		assert_success
		iconv -f UTF-8 -t UTF-8 <<< "$output" > /dev/null
		jq -e . <<< "$output" > /dev/null
		python3 -c 'import json, sys; json.loads(sys.stdin.buffer.read().decode("utf-8", "strict"))' <<< "$output"
	done
	run ks -j list
	[ "$(jq -r '.[] | select(.id == 7) | .name' <<< "$output")" = 'bad\xff\xfe utf8' ]
	[ "$(jq -r '.[] | select(.id == 8) | .object' <<< "$output")" = $'obj\x01\x1b[31m' ]
	[ "$(jq -r '.[] | select(.id == 8) | .name' <<< "$output")" = $'q"uo\te\\' ]
	[ "$(jq -c '.[] | select(.id == 8) | .owners' <<< "$output")" = '["own\\xc3(er","x\u007fy"]' ]
	[ "$(jq -r '.[] | select(.id == 9) | .name' <<< "$output")" = 'café € \xed\xa0\x80 😀 \xc0\xaf' ]
}

@test "a JSON error about a path with bad bytes is valid JSON too" {
	run --separate-stderr ks -j list $'p\xff'
	assert_equal "$status" 66
	jq -e .error <<< "$output"
}

@test "Prometheus label values are valid UTF-8 that promtool accepts" {
	run ks -o prometheus list
	assert_success
	iconv -f UTF-8 -t UTF-8 <<< "$output" > /dev/null
	assert_line 'klp_shadow_bytes{id="7",name="bad\\xff\\xfe utf8"} 8'
	assert_line 'klp_shadow_type_info{id="8",name="q\"uo\\x09e\\",object="obj\\x01\\x1b[31m",patch="p"} 1'
	run promtool check metrics <<< "$output"
	assert_success
}

@test "node_exporter serves the file of such a tree without a scrape error" {
	local metrics

	serve_list
	run grep 'node_textfile_scrape_error' <<< "$metrics"
	assert_line 'node_textfile_scrape_error 0'
	run grep '^klp_shadow_bytes' <<< "$metrics"
	assert_line 'klp_shadow_bytes{id="7",name="bad\\xff\\xfe utf8"} 8'
	assert_line --partial 'klp_shadow_bytes{id="9",name="café € \\xed\\xa0\\x80 😀 \\xc0\\xaf"} 0'
}

@test "the table shows control and invalid bytes as \\xHH" {
	run ks list
	assert_success
	assert_line --regexp '^p +obj\\x01\\x1b\[31m +8 +q"uo\\x09e\\ +1 +2 +16 +own\\xc3\(er,x\\x7fy$'
	refute_output --partial $'\x1b'
	iconv -f UTF-8 -t UTF-8 <<< "$output" > /dev/null
	run ks stat 7
	assert_line '	name bad\xff\xfe utf8'
}

@test "error lines on stderr show control characters and invalid bytes of names as \\xHH" {
	local types

	copy_demo
	types=$ROOT/kernel/livepatch/livepatch_shadow_fix1/livepatch_shadow_mod/shadow_types
	mkdir "$types/"$'x\x1b[2J\xff'
	run --separate-stderr ks list
	assert_equal "$status" 1
	assert_equal "$stderr" "klp-shadow: error: $types/x\\x1b[2J\\xff: not a shadow type id"
}
