#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# klp-shadow's command line: help, usage and version, command prefixes,
# usage errors, installation, and the help, the man page and the bash
# completion naming the same commands and options.
# shellcheck disable=SC2154 # $stderr comes from bats' run --separate-stderr

load ../test_helper/common
load ../test_helper/klp-shadow

MAN=$KLP_TOP/tools/klp-shadow/klp-shadow.8
COMPLETION=$KLP_TOP/tools/klp-shadow/bash-completion/klp-shadow

setup() {
	ks_setup
	ROOT=$DEMO
}

@test "--help, -h, -? and help print the help and exit 0" {
	run "$KS" --help
	assert_success
	assert_line --index 0 "Usage: klp-shadow [OPTION...] COMMAND [ARG...]"
	assert_line "  list [SELECTOR]   one row per patch, object and shadow type"
	[ "$("$KS" -h)" = "$output" ]
	[ "$("$KS" -?)" = "$output" ]
	[ "$("$KS" help)" = "$output" ]
}

@test "COMMAND help, COMMAND --help and help COMMAND print that command's usage" {
	run "$KS" list help
	assert_success
	assert_line --index 0 "Usage: klp-shadow [OPTION...] list [SELECTOR]"
	[ "$("$KS" help list)" = "$output" ]
	[ "$("$KS" list --help)" = "$output" ]
	[ "$("$KS" --help li)" = "$output" ]
	run "$KS" gc help
	assert_success
	assert_line --index 0 "Usage: klp-shadow [OPTION...] gc ID|orphans"
	[ "$("$KS" gc -h)" = "$output" ]
	run "$KS" frob --help
	assert_equal "$status" 64
	run "$KS" -j stat help
	assert_success
	jq -e '.help | startswith("Usage: klp-shadow [OPTION...] stat [ID...]")' <<< "$output"
	run "$KS" help frob
	assert_equal "$status" 64
	run "$KS" version help
	assert_success
	assert_line --index 0 "Usage: klp-shadow version"
	[ "$("$KS" help version)" = "$output" ]
}

@test "--help wins over an option that needs another: --count 2 list --help" {
	run "$KS" --count 2 list --help
	assert_success
	assert_line --index 0 "Usage: klp-shadow [OPTION...] list [SELECTOR]"
	run "$KS" --count 2 --help
	assert_success
	assert_line --partial "Commands"
	run "$KS" --count 2 list
	assert_equal "$status" 64
}

@test "the last of -j, -p and -o names the format; -p indents JSON wherever it stands" {
	run ks -j -o table list
	assert_line --index 0 --regexp '^PATCH +OBJECT +ID'
	run ks -o table -j list
	jq -e 'length == 3' <<< "$output"
	assert_equal "${#lines[@]}" 1
	run ks -p -o table list
	assert_line --index 0 --regexp '^PATCH +OBJECT +ID'
	run ks -p -o json list
	assert_line --index 0 "["
	assert_line --index 1 "  {"
	run ks -o prometheus -j list
	jq -e 'length == 3' <<< "$output"
	# A refused command line too: JSON only if the last of them asks.
	run --separate-stderr ks -o table -j --frobnicate list
	jq -e '.error' <<< "$output"
	run --separate-stderr ks -j -o table --frobnicate list
	assert_output ""
	run --separate-stderr ks -p -ojson --frobnicate list
	jq -e '.error' <<< "$output"
	"$KS" --help | tr -s ' \n' ' ' | grep -qF 'the last of -j, -p and -o wins'
	grep -qF 'The last of \fB\-j\fR, \fB\-p\fR and \fB\-o\fR names the format' \
		"$KLP_TOP/tools/klp-shadow/klp-shadow.8"
}

@test "-j version, -j help and -j --usage print JSON" {
	run "$KS" -j version
	assert_success
	assert_output '{"version":"0.1"}'
	[ "$("$KS" --version -j)" = "$output" ]
	run "$KS" -j help
	assert_success
	[ "$(jq -r .help <<< "$output")" = "$("$KS" --help)" ]
	run "$KS" -j --usage
	assert_success
	jq -e '.usage | startswith("Usage: klp-shadow")' <<< "$output"
}

@test "--usage prints a short usage and exits 0" {
	run "$KS" --usage
	assert_success
	assert_line --index 0 --partial "Usage: klp-shadow [-jphV] [-o FORMAT]"
}

@test "--version, -V and version print the version" {
	run "$KS" --version
	assert_success
	assert_output "klp-shadow 0.1"
	[ "$("$KS" -V)" = "klp-shadow 0.1" ]
	[ "$("$KS" version)" = "klp-shadow 0.1" ]
}

@test "unique prefixes of commands work" {
	[ "$(ks l)" = "$(ks list)" ]
	[ "$(ks -j st 2)" = "$(ks -j stat 2)" ]
	[ "$(ks v)" = "klp-shadow 0.1" ]
}

@test "an empty command word is refused as such, 64" {
	run ks ""
	assert_equal "$status" 64
	assert_output "klp-shadow: error: empty command (see --help)"
}

@test "an unknown command, a missing command or a bad option exits 64" {
	run ks frobnicate
	assert_equal "$status" 64
	assert_output "klp-shadow: error: unknown command 'frobnicate' (see --help)"
	run ks
	assert_equal "$status" 64
	run ks --frobnicate list
	assert_equal "$status" 64
	run ks -o xml list
	assert_equal "$status" 64
	run ks --interval 0 list
	assert_equal "$status" 64
	run ks --count 2 list
	assert_equal "$status" 64
	run ks list a b
	assert_equal "$status" 64
}

@test "a refused command line is one error line naming the reason" {
	run --separate-stderr ks --frobnicate list
	assert_equal "$status" 64
	assert_equal "$stderr" "klp-shadow: error: unrecognized option '--frobnicate' (see --help)"
	assert_output ""
	run --separate-stderr ks list --write
	assert_equal "$status" 64
	assert_equal "$stderr" "klp-shadow: error: option '--write' needs an argument FILE (see --help)"
	run --separate-stderr ks list --sysfs
	assert_equal "$stderr" "klp-shadow: error: option '--sysfs-root' needs an argument DIR (see --help)"
	run --separate-stderr ks --json=1 list
	assert_equal "$stderr" "klp-shadow: error: option '--json' takes no argument (see --help)"
	run --separate-stderr ks -o xml list
	assert_equal "$stderr" "klp-shadow: error: unknown output format 'xml' (table, json or prometheus) (see --help)"
	run --separate-stderr ks --count 2 list
	assert_equal "$stderr" "klp-shadow: error: --count needs --interval (see --help)"
	run --separate-stderr ks -jx list
	assert_equal "$status" 64
	assert_equal "$stderr" "klp-shadow: error: unrecognized option '-x' (see --help)"
	run --separate-stderr ks list -po
	assert_equal "$stderr" "klp-shadow: error: option '-o' needs an argument (see --help)"
}

@test "the refused word is named, in a group of short options or after options too" {
	run --separate-stderr ks -xy list
	assert_equal "$status" 64
	assert_equal "$stderr" "klp-shadow: error: unrecognized option '-x' (see --help)"
	run --separate-stderr ks --sysfs-root="$ROOT" -jz list
	assert_equal "$status" 64
	assert_equal "$stderr" "klp-shadow: error: unrecognized option '-z' (see --help)"
	run --separate-stderr ks stat 90 -93
	assert_equal "$status" 64
	assert_equal "$stderr" "klp-shadow: error: unrecognized option '-93': ids are never negative (see --help)"
	run --separate-stderr ks -j -12 list
	assert_equal "$status" 64
	assert_output '{"error":"unrecognized option '"'-12'"': ids are never negative (see --help)"}'
	run --separate-stderr ks stat -0
	assert_equal "$status" 64
	assert_equal "$stderr" "klp-shadow: error: unrecognized option '-0' (see --help)"
	# Byte 0xff reads as -1: argp took it for -?, and printed the help.
	run --separate-stderr ks $'-\xff' list
	assert_equal "$status" 64
	assert_equal "$stderr" "klp-shadow: error: unrecognized option '-\\xff' (see --help)"
	run ks -?
	assert_success
	assert_line --index 0 --partial "Usage: klp-shadow"
}

@test "in JSON mode a refused option keeps its reason, wherever -j is" {
	run --separate-stderr ks -j --frobnicate list
	assert_equal "$status" 64
	[ "$(jq -r .error <<< "$output")" = "unrecognized option '--frobnicate' (see --help)" ]
	assert_equal "$stderr" "klp-shadow: error: unrecognized option '--frobnicate' (see --help)"
	run --separate-stderr ks --frobnicate list -j
	assert_equal "$status" 64
	[ "$(jq -r .error <<< "$output")" = "unrecognized option '--frobnicate' (see --help)" ]
	run --separate-stderr ks --interval 1e-9 -o json list
	assert_equal "$status" 64
	[ "$(jq -r .error <<< "$output")" = "invalid interval '1e-9': seconds in plain decimals, from 0.1 to 86400 (see --help)" ]
}

@test "--interval below 0.1 s or above a day, or not in plain decimals, is refused; 0.1 is accepted" {
	for bad in 1e-9 0.09 0 -1 86401 nan inf x "" 0x1 1e1 +1 " 1" "1 " . 1..2 1.2.3 15s; do
		run ks --interval "$bad" list
		assert_equal "$status" 64
	done
	for good in 0.1 .5 1. 15 86400; do
		run ks -j --interval "$good" --count 1 list
		assert_success
	done
}

@test "gc refuses --interval and --count: it runs once" {
	run ks --interval 1 gc 1
	assert_equal "$status" 64
	assert_output "klp-shadow: error: gc runs once: --interval and --count are for list and stat"
	run ks --interval 1 --count 2 gc orphans
	assert_equal "$status" 64
}

@test "options may follow the command" {
	[ "$(ks list -j)" = "$(ks -j list)" ]
}

@test "in JSON mode a usage error is a JSON document on stdout" {
	run --separate-stderr ks -j frobnicate
	assert_equal "$status" 64
	[ "$(jq -r .error <<< "$output")" = "unknown command 'frobnicate' (see --help)" ]
}

@test "make install puts the binary, man page, completion, units and rules under DESTDIR and PREFIX" {
	make -s -C "$KLP_TOP/tools/klp-shadow" O="$BATS_TEST_TMPDIR/obj" \
		DESTDIR="$BATS_TEST_TMPDIR/dest" PREFIX=/opt/ks install
	run bash -c "find '$BATS_TEST_TMPDIR/dest' -type f -printf '%m %P\n' | sort"
	assert_output "$(printf '%s\n' '755 opt/ks/sbin/klp-shadow' \
		'644 opt/ks/share/man/man8/klp-shadow.8' \
		'644 opt/ks/share/bash-completion/completions/klp-shadow' \
		'644 opt/ks/lib/systemd/system/klp-shadow.service' \
		'644 opt/ks/lib/systemd/system/klp-shadow.timer' \
		'644 opt/ks/share/klp-shadow/klp-shadow.rules.yml' \
		'644 opt/ks/share/klp-shadow/klp-shadow.rules.test.yml' | sort)"
	[ "$("$BATS_TEST_TMPDIR/dest/opt/ks/sbin/klp-shadow" version)" = "klp-shadow 0.1" ]
}

@test "building without libkmod or pkg-config says to install libkmod-dev" {
	run make -C "$KLP_TOP/tools/klp-shadow" O="$BATS_TEST_TMPDIR/obj" PKG_CONFIG=false
	assert_failure
	assert_output --partial "klp-shadow needs libkmod and pkg-config: install libkmod-dev and pkg-config"
	[ ! -e "$BATS_TEST_TMPDIR/obj/klp-shadow" ]
}

# The commands and the long options each source names, sorted.
help_words() {
	"$KS" --help | sed -n '/^Commands/,/^$/p' | awk '/^  [a-z]/ { print $1 }'
	"$KS" --help | grep -oE -- '--[a-z][a-z-]+' | grep -v -- '--help.$'
}

man_words() {
	sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$MAN" |
		sed 's/\\-/-/g; s/\\f[BIR]//g; s/^\.B //' |
		grep -oE -- '--[a-z][a-z-]+|^klp-shadow [a-z]+|^[a-z]+$' |
		sed 's/^klp-shadow //'
}

completion_words() {
	# shellcheck source=tools/klp-shadow/bash-completion/klp-shadow
	. "$COMPLETION"
	local -a words

	# shellcheck disable=SC2154 # set by the completion file
	read -ra words <<< "$_klp_shadow_commands $_klp_shadow_options"
	printf '%s\n' "${words[@]}"
}

@test "the man page renders without warnings and has the sections an operator looks for" {
	run groff -man -ww -z "$MAN"
	assert_success
	assert_output ""
	for section in SYNOPSIS DESCRIPTION COMMANDS OPTIONS OUTPUT OWNERS "AGENT MODE" \
		       ENVIRONMENT FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -qx "\.SH $section" "$MAN" || fail "no $section section"
	done
	run sed -n '/^\.SH SEE ALSO/,$p' "$MAN"
	assert_line ".BR bpftool (8),"
	assert_line ".BR kpatch (1),"
	assert_line --partial "node_exporter"
	grep -q KLP_SHADOW_SYSFS "$MAN"
	grep -q 'klp-shadow.service' "$MAN"
	grep -q 'klp-shadow.rules.yml' "$MAN"
}

@test "the man page documents every metric family and every exit status the tool uses" {
	local family status

	while read -r family; do
		grep -q "^\.BR\? $family\( \|$\)" "$MAN" || fail "$family is not documented"
	done < <("$KS" --sysfs-root "$ROOT" -o prometheus list | sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p')
	for status in 0 1 64 66 69 77; do
		sed -n '/^\.SH EXIT STATUS/,/^\.SH/p' "$MAN" | grep -qx "\.B $status" ||
			fail "exit status $status is not documented"
	done
}

@test "--help, the man page synopsis and the completion name the same commands and options" {
	local help man comp

	help=$(help_words | sort -u)
	man=$(man_words | sort -u)
	comp=$(completion_words | sort -u)
	[ -n "$help" ]
	assert_equal "$man" "$help"
	assert_equal "$comp" "$help"
	run echo "$help"
	assert_line list
	assert_line --sysfs-root
}

@test "the completion completes commands, options and, from -j list, selectors and ids" {
	# shellcheck source=tools/klp-shadow/bash-completion/klp-shadow
	. "$COMPLETION"
	complete_words() {
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMPREPLY=()
		_klp_shadow
		echo "${COMPREPLY[*]}"
	}
	[ "$(complete_words "$KS" s)" = "stat" ]
	[ "$(complete_words "$KS" --pre)" = "--pretty" ]
	[ "$(complete_words "$KS" --sysfs-root "$ROOT" list livepatch_shadow_fix2/)" = \
	  "livepatch_shadow_fix2/livepatch_shadow_mod livepatch_shadow_fix2/livepatch_shadow_mod/1 livepatch_shadow_fix2/livepatch_shadow_mod/2" ]
	[ "$(complete_words "$KS" --sysfs-root "$ROOT" stat "")" = "1 2" ]
	[ "$(complete_words "$KS" --sysfs-root "$ROOT" gc o)" = "orphans" ]
	# gc only by its whole name, as the tool takes it.
	[ -z "$(complete_words "$KS" --sysfs-root "$ROOT" g o)" ]
}

# complete_line [--bash-completion] LINE: what completing at the end of LINE
# offers, in an interactive-like bash with (or without) the bash-completion
# package, COMP_WORDS split the way bash splits them (at spaces and at '=').
complete_line() {
	local bc=""

	if [ "$1" = --bash-completion ]; then
		bc=/usr/share/bash-completion/bash_completion
		shift
	fi
	bash -c '
		[ -z "$1" ] || . "$1"
		. "$2"
		line=$3
		COMP_LINE=$line
		COMP_POINT=${#line}
		read -ra COMP_WORDS <<< "$(sed "s/=/ = /g" <<< "$line")"
		[ "${line: -1}" != " " ] || COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_klp_shadow
		printf "%s\n" "${COMPREPLY[@]}" | sort | paste -sd " "
	' complete_line "$bc" "$COMPLETION" "$1"
}

@test "the bash-completion package is installed for the completion tests" {
	[ -r /usr/share/bash-completion/bash_completion ] ||
		fail "install bash-completion (harness/deps.sh)"
}

@test "the completion completes --opt=VAL forms, with and without bash-completion" {
	local bc dir=$BATS_TEST_TMPDIR/roots

	mkdir -p "$dir/sysfs-a" "$dir/sysfs-b"
	touch "$dir/sysfs-file"
	for bc in "" --bash-completion; do
		# shellcheck disable=SC2086 # no word when empty
		[ "$(complete_line $bc "$KS --output=pro")" = prometheus ]
		# shellcheck disable=SC2086
		[ "$(complete_line $bc "$KS --output=")" = "json prometheus table" ]
		# shellcheck disable=SC2086
		[ "$(complete_line $bc "$KS -o j")" = json ]
		# shellcheck disable=SC2086
		[ "$(complete_line $bc "$KS --sysfs-root=$dir/sys")" = "$dir/sysfs-a $dir/sysfs-b" ]
		# shellcheck disable=SC2086
		[ "$(complete_line $bc "$KS --write=$dir/sysfs-f")" = "$dir/sysfs-file" ]
		# shellcheck disable=SC2086
		[ "$(complete_line $bc "$KS --sysfs-root=$ROOT list livepatch_shadow_fix2/")" = \
		  "livepatch_shadow_fix2/livepatch_shadow_mod livepatch_shadow_fix2/livepatch_shadow_mod/1 livepatch_shadow_fix2/livepatch_shadow_mod/2" ]
		# shellcheck disable=SC2086
		[ "$(complete_line $bc "$KS --output=json --sysfs-root=$ROOT stat ")" = "1 2" ]
		# shellcheck disable=SC2086
		[ "$(complete_line $bc "$KS --sysfs-root $ROOT s")" = stat ]
	done
}
