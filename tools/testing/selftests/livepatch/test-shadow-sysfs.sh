#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The shadow_types directories of livepatch objects in sysfs: their modes,
# that they are read-only, their format, and that reading them does not
# depend on how many variables live.

# shellcheck source=/dev/null # upstream helpers, staged beside this script
. "$(dirname "$0")/functions.sh"
# shellcheck source=tools/testing/selftests/livepatch/shadow_functions.sh
. "$(dirname "$0")/shadow_functions.sh"

MOD_A=test_klp_shadow_a			# vmlinux, type 90 "counter"
MOD_BULK=test_klp_shadow_bulk		# vmlinux, type 95 "bulk"

SHADOW_FILES="name refcount owners live bytes"

# read_ns(path, count) - average nanoseconds of one read of path, over
# count reads with the shell's builtin read (no process per read)
function read_ns() {
	local path="$1"
	local count="$2"
	local i value start end

	start="${EPOCHREALTIME/./}"
	for ((i = 0; i < count; i++)); do
		read -r value < "$path" || die "cannot read $path"
	done
	end="${EPOCHREALTIME/./}"
	echo $(((end - start) * 1000 / count))
}

# best_read_ns(path) - the fastest of five rounds of read_ns(path, 1000)
function best_read_ns() {
	local best=""
	local ns

	for _ in 1 2 3 4 5; do
		ns=$(read_ns "$1" 1000)
		if [[ -z "$best" ]] || ((ns < best)); then
			best=$ns
		fi
	done
	echo "$best"
}

# Variables of the large population; fewer on slow (debug) kernels.
BULK=${KLP_SHADOW_BULK:-1000000}
BYTES=$((BULK * 8))

setup_config


# - shadow_types and <id> directories are drwxr-xr-x, their files
#   -r--r--r--, as the ABI says
# - writing any of the files fails, even as root, and changes nothing
# - no entry of shadow_types has a comma, unlike function directories

start_test "shadow_types files are read-only with the documented modes"

load_lp $MOD_A

check_sysfs_rights $MOD_A vmlinux/shadow_types "drwxr-xr-x"
check_sysfs_rights $MOD_A vmlinux/shadow_types/90 "drwxr-xr-x"
for file in $SHADOW_FILES; do
	check_sysfs_rights $MOD_A "vmlinux/shadow_types/90/$file" "-r--r--r--"
	path="$KLP_SYSFS_DIR/$MOD_A/vmlinux/shadow_types/90/$file"
	if (echo 7 > "$path") 2>/dev/null; then
		die "writing $path succeeded"
	fi
done
check_shadow_type $MOD_A vmlinux 90 counter 1 3 12 $MOD_A/vmlinux
for entry in "$KLP_SYSFS_DIR/$MOD_A/vmlinux/shadow_types"/*; do
	[[ "${entry##*/}" != *,* ]] || die "a comma in $entry"
done
[[ -d "$KLP_SYSFS_DIR/$MOD_A/vmlinux/cmdline_proc_show,1" ]] ||
	die "no function directory cmdline_proc_show,1"

disable_lp $MOD_A
unload_lp $MOD_A

check_result "% insmod test_modules/$MOD_A.ko
livepatch: enabling patch '$MOD_A'
livepatch: '$MOD_A': initializing patching transition
livepatch: shadow id 90 ('counter'): referenced by $MOD_A/vmlinux, refcount 1
livepatch: '$MOD_A': starting patching transition
livepatch: '$MOD_A': completing patching transition
$MOD_A: post_patch: <0> allocated value 11
$MOD_A: post_patch: <1> allocated value 12
$MOD_A: post_patch: <2> allocated value 13
livepatch: '$MOD_A': patching complete
% echo 0 > /sys/kernel/livepatch/$MOD_A/enabled
livepatch: '$MOD_A': initializing unpatching transition
livepatch: '$MOD_A': starting unpatching transition
livepatch: '$MOD_A': completing unpatching transition
livepatch: shadow id 90 ('counter'): released by $MOD_A/vmlinux, refcount 0
$MOD_A: dtor <2> value 13
$MOD_A: dtor <1> value 12
$MOD_A: dtor <0> value 11
livepatch: shadow id 90 ('counter'): 3 variables freed
livepatch: '$MOD_A': unpatching complete
% rmmod $MOD_A"


# - reading "live" with $BULK (1000000) variables costs what it costs with 10:
#   the fastest of five rounds of 1000 reads each, at most 1.5 times

start_test "reading live costs the same at 10 and at $BULK variables"

LIVE="$KLP_SYSFS_DIR/$MOD_BULK/vmlinux/shadow_types/95/live"

load_lp $MOD_BULK nr_vars=10
check_shadow_type $MOD_BULK vmlinux 95 bulk 1 10 80 $MOD_BULK/vmlinux
ns_10=$(best_read_ns "$LIVE")
disable_lp $MOD_BULK
unload_lp $MOD_BULK

load_lp $MOD_BULK nr_vars="$BULK"
check_shadow_type $MOD_BULK vmlinux 95 bulk 1 "$BULK" "$BYTES" $MOD_BULK/vmlinux
ns_1m=$(best_read_ns "$LIVE")
disable_lp $MOD_BULK
unload_lp $MOD_BULK

check_result "% insmod test_modules/$MOD_BULK.ko nr_vars=10
livepatch: enabling patch '$MOD_BULK'
livepatch: '$MOD_BULK': initializing patching transition
livepatch: shadow id 95 ('bulk'): referenced by $MOD_BULK/vmlinux, refcount 1
livepatch: '$MOD_BULK': starting patching transition
livepatch: '$MOD_BULK': completing patching transition
$MOD_BULK: post_patch: 10 of 10 variables allocated
livepatch: '$MOD_BULK': patching complete
% echo 0 > /sys/kernel/livepatch/$MOD_BULK/enabled
livepatch: '$MOD_BULK': initializing unpatching transition
livepatch: '$MOD_BULK': starting unpatching transition
livepatch: '$MOD_BULK': completing unpatching transition
livepatch: shadow id 95 ('bulk'): released by $MOD_BULK/vmlinux, refcount 0
livepatch: shadow id 95 ('bulk'): 10 variables freed
livepatch: '$MOD_BULK': unpatching complete
% rmmod $MOD_BULK
% insmod test_modules/$MOD_BULK.ko nr_vars=$BULK
livepatch: enabling patch '$MOD_BULK'
livepatch: '$MOD_BULK': initializing patching transition
livepatch: shadow id 95 ('bulk'): referenced by $MOD_BULK/vmlinux, refcount 1
livepatch: '$MOD_BULK': starting patching transition
livepatch: '$MOD_BULK': completing patching transition
$MOD_BULK: post_patch: $BULK of $BULK variables allocated
livepatch: '$MOD_BULK': patching complete
% echo 0 > /sys/kernel/livepatch/$MOD_BULK/enabled
livepatch: '$MOD_BULK': initializing unpatching transition
livepatch: '$MOD_BULK': starting unpatching transition
livepatch: '$MOD_BULK': completing unpatching transition
livepatch: shadow id 95 ('bulk'): released by $MOD_BULK/vmlinux, refcount 0
livepatch: shadow id 95 ('bulk'): $BULK variables freed
livepatch: '$MOD_BULK': unpatching complete
% rmmod $MOD_BULK"

# after the TEST line is complete: figures as TAP diagnostics
echo "# reading live: $ns_10 ns with 10 variables, $ns_1m ns with $BULK"
if ((ns_1m * 2 > ns_10 * 3)); then
	die "reading live with $BULK variables took $ns_1m ns, with 10 $ns_10 ns"
fi

exit 0
