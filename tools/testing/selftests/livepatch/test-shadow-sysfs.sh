#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The shadow_types directories of livepatch objects in sysfs: their modes,
# that they are read-only, their format, and that reading them does not
# walk the variables.

# shellcheck source=/dev/null # upstream helpers, staged beside this script
. "$(dirname "$0")/functions.sh"
# shellcheck source=tools/testing/selftests/livepatch/shadow_functions.sh
. "$(dirname "$0")/shadow_functions.sh"

MOD_A=test_klp_shadow_a			# vmlinux, type 90 "counter"
MOD_BULK=test_klp_shadow_bulk		# vmlinux, type 95 "bulk"

SHADOW_FILES="name refcount owners live bytes"

TRACING=/sys/kernel/tracing

# read_calls(path) - how many functions of the registry and of its hash
# tables (klp_*) one read of path calls, counted by the
# function_graph tracer from the sysfs show routine down; the fewest of
# three reads. A read that walked the variables would make more calls with
# more variables.
function read_calls() {
	local show="${1##*/}_show"
	local best=""
	local n

	echo 0 > "$TRACING/tracing_on"
	echo 0 > "$TRACING/options/funcgraph-irqs"
	echo "$show klp_*" > "$TRACING/set_ftrace_filter"
	echo "$show" > "$TRACING/set_graph_function"
	echo function_graph > "$TRACING/current_tracer"
	for _ in 1 2 3; do
		echo > "$TRACING/trace"
		echo 1 > "$TRACING/tracing_on"
		cat "$1" > /dev/null
		echo 0 > "$TRACING/tracing_on"
		n=$(grep -c -E '[[:alnum:]_.]+\(\)' "$TRACING/trace")
		if [[ -z "$best" ]] || ((n < best)); then
			best=$n
		fi
	done
	echo nop > "$TRACING/current_tracer"
	echo > "$TRACING/set_graph_function"
	echo > "$TRACING/set_ftrace_filter"
	echo 1 > "$TRACING/options/funcgraph-irqs"
	echo 1 > "$TRACING/tracing_on"
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
livepatch: '$MOD_A': unpatching complete
$MOD_A: dtor <2> value 13
$MOD_A: dtor <1> value 12
$MOD_A: dtor <0> value 11
livepatch: shadow id 90 ('counter'): 3 variables freed
% rmmod $MOD_A"


# - reading "live" with $BULK (1000000) variables costs what it costs with 10:
#   the fastest of five rounds of 1000 reads each, at most 1.5 times

start_test "reading live makes the same calls at 10 and at $BULK variables"

LIVE="$KLP_SYSFS_DIR/$MOD_BULK/vmlinux/shadow_types/95/live"

load_lp $MOD_BULK nr_vars=10
check_shadow_type $MOD_BULK vmlinux 95 bulk 1 10 80 $MOD_BULK/vmlinux
calls_10=$(read_calls "$LIVE")
disable_lp $MOD_BULK
unload_lp $MOD_BULK

load_lp $MOD_BULK nr_vars="$BULK"
check_shadow_type $MOD_BULK vmlinux 95 bulk 1 "$BULK" "$BYTES" $MOD_BULK/vmlinux
calls_bulk=$(read_calls "$LIVE")
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
livepatch: '$MOD_BULK': unpatching complete
livepatch: shadow id 95 ('bulk'): 10 variables freed
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
livepatch: '$MOD_BULK': unpatching complete
livepatch: shadow id 95 ('bulk'): $BULK variables freed
% rmmod $MOD_BULK"

# after the TEST line is complete: figures as TAP diagnostics. How long a
# read takes is measured by make bench; here, what is deterministic.
echo "# reading live: $calls_10 calls with 10 variables, $calls_bulk with $BULK"
if ((calls_10 == 0)) || ((calls_bulk != calls_10)); then
	die "reading live made $calls_bulk calls with $BULK variables, $calls_10 with 10"
fi

exit 0
