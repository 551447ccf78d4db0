#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# What make install gives an operator beside the tool: a systemd service and
# timer that keep node_exporter's textfile collector file current, and
# Prometheus alerting rules with their unit tests.

load ../test_helper/common
load ../test_helper/klp-shadow

TOOL=$KLP_TOP/tools/klp-shadow

# One installation for the whole file (building takes a while).
setup_file() {
	make -s -C "$TOOL" O="$BATS_FILE_TMPDIR/obj" PREFIX="$BATS_FILE_TMPDIR/prefix" \
		TEXTFILE_DIR="$BATS_FILE_TMPDIR/textfile" install > /dev/null
}

setup() {
	ks_setup
	PREFIX=$BATS_FILE_TMPDIR/prefix
	TEXTFILE=$BATS_TEST_TMPDIR/textfile
	rm -rf "$BATS_FILE_TMPDIR/textfile"
	mkdir -p "$TEXTFILE"
	ln -s "$TEXTFILE" "$BATS_FILE_TMPDIR/textfile"
	UNITS=$PREFIX/lib/systemd/system
	RULES=$PREFIX/share/klp-shadow
}

@test "make install puts a service and a timer that systemd-analyze verify accepts" {
	[ -f "$UNITS/klp-shadow.service" ]
	[ -f "$UNITS/klp-shadow.timer" ]
	# the Documentation= man page is the one just installed
	MANPATH=$PREFIX/share/man run systemd-analyze verify "$UNITS/klp-shadow.service" "$UNITS/klp-shadow.timer"
	assert_success
	refute_output --partial klp-shadow
	run grep '^ExecStart=' "$UNITS/klp-shadow.service"
	assert_output "ExecStart=$PREFIX/sbin/klp-shadow --output=prometheus --write=$BATS_FILE_TMPDIR/textfile/klp_shadow.prom list"
	run grep -E '^(OnUnitActiveSec|WantedBy)=' "$UNITS/klp-shadow.timer"
	assert_output "OnUnitActiveSec=15s
WantedBy=timers.target"
}

@test "the service's command writes a textfile collector file promtool accepts" {
	local cmd

	cmd=$(sed -n 's/^ExecStart=//p' "$UNITS/klp-shadow.service")
	# shellcheck disable=SC2086 # the unit's command line, split as systemd does
	KLP_SHADOW_SYSFS=$DEMO run $cmd
	assert_success
	assert_output ""
	run promtool check metrics < "$TEXTFILE/klp_shadow.prom"
	assert_success
	grep -qx 'klp_shadow_up 1' "$TEXTFILE/klp_shadow.prom"
	[ "$(ls -A "$TEXTFILE")" = klp_shadow.prom ]
}

@test "make install puts alerting rules that promtool checks, and their unit tests pass" {
	run promtool check rules "$RULES/klp-shadow.rules.yml"
	assert_success
	assert_output --partial "SUCCESS: 6 rules found"
	cd "$RULES"
	run promtool test rules klp-shadow.rules.test.yml
	assert_success
}

@test "every alert of the rules has a unit test that fires it" {
	local alert

	while read -r alert; do
		grep -A 2 "alertname: $alert\$" "$RULES/klp-shadow.rules.test.yml" |
			grep -q 'exp_alerts:$' || fail "no test fires $alert"
	done < <(sed -n 's/^ *- alert: //p' "$RULES/klp-shadow.rules.yml")
}

@test "the rules use only metrics klp-shadow prints" {
	local metric printed

	printed=$("$KS" --sysfs-root "$DEMO" -o prometheus list | sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p')
	while read -r metric; do
		grep -qx "$metric" <<< "$printed" || fail "$metric is not printed"
	done < <(grep -o 'klp_shadow_[a-z_]*' "$RULES/klp-shadow.rules.yml" | sort -u)
}

@test "the man page's example queries are valid PromQL (promtool check rules)" {
	local rules=$BATS_TEST_TMPDIR/examples.yml n=0 expr

	printf 'groups:\n  - name: examples\n    rules:\n' > "$rules"
	while read -r expr; do
		n=$((n + 1))
		printf '      - record: klp_shadow_example_%d\n        expr: %s\n' "$n" "'$expr'" >> "$rules"
	done < <(sed -n '/Example queries:$/,/^\.fi/p' "$TOOL/klp-shadow.8" |
		sed '1,/^\.nf/d; /^\.fi/d; /^#/d; s/\\-/-/g' |
		awk '/^    / { sub(/^ +/, " "); last = last $0; next } { if (last != "") print last; last = $0 } END { print last }')
	[ "$n" -ge 6 ]
	run promtool check rules "$rules"
	assert_success
	assert_output --partial "SUCCESS: $n rules found"
}

@test "a missing textfile directory does not stop the service from starting: the tool reports it" {
	local cmd

	# ProtectSystem=strict fails namespace setup on a missing
	# ReadWritePaths= directory unless it is marked optional with "-".
	run grep '^ReadWritePaths=' "$UNITS/klp-shadow.service"
	assert_output "ReadWritePaths=-$BATS_FILE_TMPDIR/textfile"
	rm "$BATS_FILE_TMPDIR/textfile"
	cmd=$(sed -n 's/^ExecStart=//p' "$UNITS/klp-shadow.service")
	# shellcheck disable=SC2086 # the unit's command line, split as systemd does
	KLP_SHADOW_SYSFS=$DEMO run $cmd
	assert_equal "$status" 1
	assert_output "klp-shadow: error: $BATS_FILE_TMPDIR/textfile/klp_shadow.prom: cannot create the temporary file that replaces it in $BATS_FILE_TMPDIR/textfile: No such file or directory"
}
