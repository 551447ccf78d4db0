#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# What monitoring agents use: Prometheus text format checked by promtool and
# scraped by a real node_exporter, files written atomically, repeated runs.

load ../test_helper/common
load ../test_helper/klp-shadow

setup() {
	ks_setup
	ROOT=$DEMO
}

teardown() {
	stop_exporter
}

@test "-o prometheus prints gauges sorted by family with HELP and TYPE that promtool accepts" {
	run ks -o prometheus list
	assert_success
	assert_line '# TYPE klp_shadow_live_variables gauge'
	assert_line 'klp_shadow_live_variables{id="2",name="counter"} 12'
	assert_line 'klp_shadow_refcount{id="1",name="leak"} 2'
	assert_line 'klp_shadow_types 2'
	assert_line 'klp_shadow_read_errors 0'
	assert_line 'klp_shadow_up 1'
	assert_line --regexp '^klp_shadow_last_success_timestamp_seconds [1-9][0-9]{9}\.[0-9]{3}$'
	[ "$(grep -c '^# HELP ' <<< "$output")" = "$(grep -c '^# TYPE ' <<< "$output")" ]
	[ "$(grep '^# TYPE' <<< "$output" | LC_ALL=C sort)" = "$(grep '^# TYPE' <<< "$output")" ]
	# every series follows the TYPE line of its family
	[ -z "$(awk '/^# TYPE/ { fam = $3; next } /^#/ { next } { n = $0; sub(/[{ ].*/, "", n); if (n != fam) print }' <<< "$output")" ]
	run promtool check metrics <<< "$output"
	assert_success
}

@test "registry-wide numbers are one series per id; listings are klp_shadow_type_info" {
	run ks -o prometheus list
	assert_success
	run grep -E '^klp_shadow_(bytes|live_variables|owners|refcount|type_info)' <<< "$output"
	assert_output 'klp_shadow_bytes{id="1",name="leak"} 104
klp_shadow_bytes{id="2",name="counter"} 48
klp_shadow_live_variables{id="1",name="leak"} 13
klp_shadow_live_variables{id="2",name="counter"} 12
klp_shadow_owners{id="1",name="leak"} 2
klp_shadow_owners{id="2",name="counter"} 1
klp_shadow_refcount{id="1",name="leak"} 2
klp_shadow_refcount{id="2",name="counter"} 1
klp_shadow_type_info{id="1",name="leak",object="livepatch_shadow_mod",patch="livepatch_shadow_fix1"} 1
klp_shadow_type_info{id="1",name="leak",object="livepatch_shadow_mod",patch="livepatch_shadow_fix2"} 1
klp_shadow_type_info{id="2",name="counter",object="livepatch_shadow_mod",patch="livepatch_shadow_fix2"} 1'
}

@test "on every fixture, each metric summed over its series is the registry's total in debugfs types" {
	local tree sums totals n=0

	for tree in "$KLP_TOP"/tests/bats/fixtures/sysfs/*/sys; do
		run "$KS" --sysfs-root "$tree" -o prometheus list
		assert_success
		sums=$(awk '!/^#/ { n = $1; sub(/\{.*/, "", n); s[n] += $2 }
			END { printf "%d %d %d %d", s["klp_shadow_types"], s["klp_shadow_refcount"],
				s["klp_shadow_live_variables"], s["klp_shadow_bytes"] }' <<< "$output")
		totals=$(awk 'NR > 1 { ids++; r += $3; l += $4; b += $5 }
			END { printf "%d %d %d %d", ids, r, l, b }' \
			"$tree/kernel/debug/livepatch/shadow/types")
		assert_equal "$sums" "$totals"
		# owners: one per distinct owner line of each id
		[ "$(awk '/^klp_shadow_owners/ { s += $2 } END { print s + 0 }' <<< "$output")" = \
		  "$(for d in "$tree"/kernel/livepatch/*/*/shadow_types/*/; do
			printf '%s %s\n' "$(basename "$d")" "$(tr '\n' ' ' < "$d/owners")"; done |
			sort -u | awk 'NF > 1 { n += NF - 1 } END { print n + 0 }')" ]
		n=$((n + 1))
	done
	[ "$n" -ge 2 ]
}

@test "label values with quotes, backslashes and newlines are escaped" {
	empty_tree
	fixture_type "$ROOT" p vmlinux 7 'a"b\c' 1 1 8 p/vmlinux
	run ks -o prometheus list
	assert_success
	assert_line 'klp_shadow_bytes{id="7",name="a\"b\\c"} 8'
	assert_line 'klp_shadow_type_info{id="7",name="a\"b\\c",object="vmlinux",patch="p"} 1'
	run promtool check metrics <<< "$output"
	assert_success
}

@test "malformed values are left out of the metrics and counted in read_errors" {
	copy_demo
	echo bad > "$ROOT/kernel/livepatch/livepatch_shadow_fix1/livepatch_shadow_mod/shadow_types/1/live"
	run --separate-stderr ks -o prometheus list
	assert_equal "$status" 1
	assert_line 'klp_shadow_read_errors 1'
	# id 1's registry-wide value comes from the other patch that lists it
	assert_line 'klp_shadow_live_variables{id="1",name="leak"} 13'
	assert_line 'klp_shadow_up 1'
	run promtool check metrics <<< "$output"
	assert_success
	# an id whose every listing is malformed has no series
	echo bad > "$ROOT/kernel/livepatch/livepatch_shadow_fix2/livepatch_shadow_mod/shadow_types/2/bytes"
	run --separate-stderr ks -o prometheus list
	assert_equal "$status" 1
	refute_line --partial 'klp_shadow_bytes{id="2"'
	assert_line 'klp_shadow_live_variables{id="2",name="counter"} 12'
}

@test "an empty tree still gives valid metrics" {
	empty_tree
	run ks -o prometheus list
	assert_success
	assert_line 'klp_shadow_types 0'
	assert_line 'klp_shadow_up 1'
	run promtool check metrics <<< "$output"
	assert_success
}

@test "--write replaces the file through a temporary file that does not end in .prom" {
	local dir=$BATS_TEST_TMPDIR/textfile

	mkdir "$dir"
	echo old > "$dir/klp.prom"
	# (LeakSanitizer, in the ASan build's run, cannot work under ptrace.)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		run strace -f -e trace=openat,rename,renameat,renameat2,fsync -o "$BATS_TEST_TMPDIR/trace" \
		"$KS" --sysfs-root "$ROOT" -o prometheus --write "$dir/klp.prom" list
	assert_success
	assert_output ""
	[ "$(no_stamp < "$dir/klp.prom")" = "$(ks -o prometheus list | no_stamp)" ]
	[ "$(ls -A "$dir")" = "klp.prom" ]
	run grep -E 'rename|fsync|O_CREAT' "$BATS_TEST_TMPDIR/trace"
	assert_line --regexp "openat\(.*\"$dir/\.klp-shadow\.[A-Za-z0-9]{6}\", O_RDWR\|O_CREAT\|O_EXCL"
	assert_line --regexp "rename(at2?)?\(.*\"$dir/\.klp-shadow\.[A-Za-z0-9]{6}\".*\"$dir/klp.prom\""
	[ "$(grep -c fsync "$BATS_TEST_TMPDIR/trace")" -ge 1 ]
	# the file's fsync comes before the rename
	[ "$(grep -nE 'fsync|rename' "$BATS_TEST_TMPDIR/trace" | head -n 1 | grep -c fsync)" = 1 ]
}

@test "--write to a directory that does not exist fails and leaves nothing" {
	run ks --write "$BATS_TEST_TMPDIR/nodir/x.prom" -o prometheus list
	assert_equal "$status" 1
	assert_output --partial "$BATS_TEST_TMPDIR/nodir/x.prom: cannot create the temporary file that replaces it in $BATS_TEST_TMPDIR/nodir:"
}

@test "--interval with --count repeats; in JSON mode one document per line" {
	run ks -p --interval 0.1 --count 3 list
	assert_success
	[ "${#lines[@]}" = 3 ]
	for line in "${lines[@]}"; do
		[ "$(jq length <<< "$line")" = 3 ]
	done
}

@test "--interval re-reads the tree every time" {
	local file

	copy_demo
	file=$ROOT/kernel/livepatch/livepatch_shadow_fix2/livepatch_shadow_mod/shadow_types/2/live
	# the value changes after the first run, before the last
	(sleep 1; echo 99 > "$file") &
	run ks -j --interval 0.5 --count 5 list livepatch_shadow_fix2/livepatch_shadow_mod/2
	wait
	assert_success
	[ "${#lines[@]}" = 5 ]
	[ "$(jq -c '.[0].live' <<< "${lines[0]}")" = 12 ]
	[ "$(jq -c '.[0].live' <<< "${lines[4]}")" = 99 ]
}

@test "a real node_exporter serves our series from the file --write put in its textfile directory" {
	local metrics

	serve_list
	run grep '^klp_shadow_' <<< "$metrics"
	assert_line 'klp_shadow_live_variables{id="1",name="leak"} 13'
	assert_line 'klp_shadow_bytes{id="2",name="counter"} 48'
	assert_line 'klp_shadow_type_info{id="1",name="leak",object="livepatch_shadow_mod",patch="livepatch_shadow_fix2"} 1'
	assert_line 'klp_shadow_types 2'
	run grep 'node_textfile_scrape_error' <<< "$metrics"
	assert_line 'node_textfile_scrape_error 0'
}

@test "repeated owner lines give one klp_shadow_owner_target_loaded series, which promtool and node_exporter accept" {
	local dir=$BATS_TEST_TMPDIR/textfile metrics owners

	copy_demo
	owners=$ROOT/kernel/livepatch/livepatch_shadow_fix1/livepatch_shadow_mod/shadow_types/1/owners
	printf '%s\n' livepatch_shadow_fix1/livepatch_shadow_mod kpatch-helper \
		livepatch_shadow_fix1/livepatch_shadow_mod kpatch-helper > "$owners"
	mkdir "$dir"
	run ks -o prometheus --write "$dir/klp_shadow.prom" list
	assert_success
	run grep -c '^klp_shadow_owner_target_loaded{id="1",object="livepatch_shadow_mod",owner="livepatch_shadow_fix1/livepatch_shadow_mod"' "$dir/klp_shadow.prom"
	assert_output 1
	run promtool check metrics < "$dir/klp_shadow.prom"
	assert_success
	[ "$(grep -v '^#' "$dir/klp_shadow.prom" | sed 's/ [^ ]*$//' | sort | uniq -d)" = "" ]
	start_exporter "$dir"
	scrape
	run grep 'node_textfile_scrape_error' <<< "$metrics"
	assert_line 'node_textfile_scrape_error 0'
	run grep -c '^klp_shadow_owner_target_loaded{id="1",' <<< "$metrics"
	assert_output 1
}

@test "an id only debugfs types lists (the id-based API) has no series; the man page and the orphan alert say the sums cover listed ids only" {
	local man=$KLP_TOP/tools/klp-shadow/klp-shadow.8
	local rules=$KLP_TOP/tools/klp-shadow/deploy/klp-shadow.rules.yml

	copy_demo
	echo '7 <none> 0 5 40' >> "$ROOT/kernel/debug/livepatch/shadow/types"
	run ks -o prometheus list
	assert_success
	refute_output --partial 'id="7"'
	run grep -c "summing a family over its series gives the registry's total" "$man"
	assert_output 0
	grep -q 'id-based API' "$man"
	grep -A 12 'alert: KlpShadowOrphanVariables' "$rules" | grep -q 'id-based API'
}

@test "klp_shadow_up's HELP names the series a failed run still prints" {
	run ks -o prometheus list
	assert_success
	assert_line '# HELP klp_shadow_up 1 if klp-shadow'"'"'s last run read the registry, 0 if it failed (then only klp_shadow_up, klp_shadow_read_errors and klp_shadow_last_success_timestamp_seconds are printed).'
}
