#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shell functions of the shadow type tests: what the registry shows in
# sysfs and, with CONFIG_LIVEPATCH_SHADOW_DEBUG, in debugfs. Source it
# after functions.sh.

SHADOW_DEBUGFS="/sys/kernel/debug/livepatch/shadow"

# The helpers read files with the shell's own read, no process each: on a
# debug kernel under emulation every process started costs seconds.

# shadow_file_is(path, expected) - path holds exactly expected, newlines
# included
function shadow_file_is() {
	local path="$1"
	local expected="$2"
	local value=""

	# read stops at the end of the file with status 1
	{ IFS= read -r -d '' value || true; } < "$path" || die "cannot read $path"
	if [[ "$value" != "$expected" ]]; then
		die "Unexpected value in $path: $(printf %q "$expected") vs. $(printf %q "$value")"
	fi
}

# check_shadow_type(mod, obj, id, name, refcount, live, bytes, owner...) -
# the files of shadow_types/<id> of object obj of livepatch mod
function check_shadow_type() {
	local dir="$KLP_SYSFS_DIR/$1/$2/shadow_types/$3"
	local owners=""
	local owner

	for owner in "${@:8}"; do
		owners+="$owner"$'\n'
	done
	shadow_file_is "$dir/name" "$4"$'\n'
	shadow_file_is "$dir/refcount" "$5"$'\n'
	shadow_file_is "$dir/live" "$6"$'\n'
	shadow_file_is "$dir/bytes" "$7"$'\n'
	shadow_file_is "$dir/owners" "$owners"
}

# check_no_shadow_types(mod, obj) - object obj of livepatch mod lists no type
function check_no_shadow_types() {
	local dir="$KLP_SYSFS_DIR/$1/$2"

	[[ -d "$dir" ]] || die "no directory $dir"
	[[ ! -e "$dir/shadow_types" ]] || die "unexpected $dir/shadow_types"
}

# has_shadow_debugfs() - the kernel has CONFIG_LIVEPATCH_SHADOW_DEBUG
function has_shadow_debugfs() {
	[[ -e "$SHADOW_DEBUGFS/types" ]]
}

# check_shadow_registry(id, [line]) - the debugfs "types" line of id is
# line ("id name refcount live bytes"), or there is none if line is
# omitted; nothing to check on a kernel without the debugfs files
function check_shadow_registry() {
	local id="$1"
	local expected="${2:-}"
	local line lines=""

	has_shadow_debugfs || return 0
	# Every line of the id, as the file has it: a second one is a bug.
	{
		read -r _ || die "no header in $SHADOW_DEBUGFS/types"
		while IFS= read -r line; do
			[[ "${line%% *}" == "$id" ]] || continue
			lines+="${lines:+$'\n'}$line"
		done
	} < "$SHADOW_DEBUGFS/types" || die "cannot read $SHADOW_DEBUGFS/types"
	if [[ "$lines" != "$expected" ]]; then
		die "Unexpected registry line of id $id: '$expected' vs. '$lines'"
	fi
}

# wait_freed(mod) - wait until the core freed livepatch mod, disabled or
# replaced: what its transition released is collected by then (the core
# collects it outside klp_mutex, when it frees the patch)
function wait_freed() {
	local mod="$1"

	loop_until "[[ ! -e $KLP_SYSFS_DIR/$mod ]]" ||
		die "livepatch $mod was not freed"
}

# check_result_stalled(expect) - check_result, for a test that stalls a
# transition on purpose: the core's "signaling remaining tasks" lines are
# left out of the kernel log first. The core logs one when a transition
# has waited for 15 seconds, which a slow machine (a debug kernel under
# emulation) takes to get from the stall to the test's next step.
function check_result_stalled() {
	(
		# shellcheck disable=SC2317 # called by check_result
		function dmesg() {
			command dmesg | grep -v '\] livepatch: signaling remaining tasks$'
		}
		check_result "$@"
	) || exit 1
}

# check_result_completed_last(expect) - check_result, for a test whose
# enable collects variables at its end, outside klp_mutex, while the
# patching transition may complete before or after that: the lines of the
# transition's completion are moved to the end of the test's kernel log
# first, and the core's "signaling remaining tasks" left out (see
# check_result_stalled()).
function check_result_completed_last() {
	(
		# shellcheck disable=SC2317 # called by check_result
		function dmesg() {
			local done="': (completing patching transition|patching complete)$"

			# shellcheck disable=SC2016 # the program is awk's
			command dmesg | awk -v last="$LAST_DMESG" -v done="$done" '
				/\] livepatch: signaling remaining tasks$/ { next }
				p && $0 ~ done {
					held = held $0 "\n"
					next
				}
				{ print }
				$0 == last { p = 1 }
				END { printf "%s", held }'
		}
		check_result "$@"
	) || exit 1
}
