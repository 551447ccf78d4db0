#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# On the debug kernel (failslab): every slab allocation the livepatch core
# makes while enabling a livepatch that lists a shadow type fails in turn,
# through the task's fail-nth and failslab's stack trace filter. Each time,
# either the load fails and leaves nothing (no module, no sysfs directory,
# the registry as before), or the patch copes, holds its type as a load
# without failure would, and unloads cleanly. A loader that dies fails.
#
# Load N+1 is the retry of load N: it goes through allocation N without
# injection, so state left behind by failure N that breaks a load makes
# it fail before reaching allocation N+1, which the sweep reports. The
# last load, past the last allocation, injects nothing and must work.
# kmemleak's scan at the end of tests/debug-suite.sh finds what leaked.

load ../test_helper/common
load ../test_helper/livepatch

MOD=test_klp_shadow_a		# vmlinux, type 90 "counter", 3 variables
FAILSLAB=/sys/kernel/debug/failslab
TYPES=/sys/kernel/debug/livepatch/shadow/types
LOADER_PL="$BATS_TEST_DIRNAME/../test_helper/fail-nth-load.pl"

setup() {
	in_guest || skip "runs in the VM of the debug stage"
	[ -d "$FAILSLAB" ] || fail "no $FAILSLAB: kernel without CONFIG_FAILSLAB"
	KO="$LP_MODULES/$MOD.ko"
	lp_read SAVED_WAIT "$FAILSLAB/ignore-gfp-wait"
	lp_read SAVED_VERBOSE "$FAILSLAB/verbose"
	# Fail GFP_KERNEL allocations too; no stack dump per injected fault.
	echo N > "$FAILSLAB/ignore-gfp-wait"
	echo 0 > "$FAILSLAB/verbose"
	# Count only allocations with the livepatch core on the stack: the
	# enable path (kobjects and sysfs directories, shadow type
	# registration), not the module loader's own.
	read -r CORE_START CORE_END < <("$LOADER_PL" range "$KDIR/kernel/livepatch/built-in.a")
	[ -n "$CORE_END" ] || fail "cannot find the livepatch core's text"
	echo "$CORE_START" > "$FAILSLAB/require-start"
	echo "$CORE_END" > "$FAILSLAB/require-end"
	# But not under vmalloc (ftrace's trampolines, KASAN's shadow of
	# module memory): each of its failures prints a stack dump
	# (warn_alloc), which fails the run as a kernel report.
	read -r VMALLOC_START VMALLOC_END < <("$LOADER_PL" span __vmalloc_node_range_noprof)
	[ -n "$VMALLOC_END" ] || fail "cannot find vmalloc's text"
	echo "$VMALLOC_START" > "$FAILSLAB/reject-start"
	echo "$VMALLOC_END" > "$FAILSLAB/reject-end"
	coproc LOADER { exec "$LOADER_PL" serve 3>&-; }
	# shellcheck disable=SC2153 # set by coproc, as LOADER is
	LOADER_PROC=$LOADER_PID
}

teardown() {
	# The loader ends at the end of its input (bash unsets LOADER and
	# LOADER_PID once it has ended).
	if [ -n "${LOADER[1]:-}" ]; then
		eval "exec ${LOADER[1]}>&-"
	fi
	[ -z "${LOADER_PROC:-}" ] || wait "$LOADER_PROC" 2>/dev/null || true
	[ -d "$FAILSLAB" ] || return 0
	echo "$SAVED_WAIT" > "$FAILSLAB/ignore-gfp-wait"
	echo "$SAVED_VERBOSE" > "$FAILSLAB/verbose"
	echo 0 > "$FAILSLAB/require-start"
	echo 18446744073709551615 > "$FAILSLAB/require-end"
	echo 0 > "$FAILSLAB/reject-start"
	echo 0 > "$FAILSLAB/reject-end"
}

# loader COMMAND...: have the loader coprocess run COMMAND; its answer
# goes to REPLY.
loader() {
	if ! echo "$*" >&"${LOADER[1]}" || ! read -r -u "${LOADER[0]}"; then
		fail "the loader died at '$*'"
		return 1
	fi
}

# sweep_unload: disable the patch, wait until it is gone, unload it.
# Called in a condition, where errexit is off: each check returns.
sweep_unload() {
	lp_disabled "$MOD" || return 1
	loader unload "$MOD" || return 1
	[ "$REPLY" = 0 ] || { echo "cannot unload $MOD: errno $REPLY" >&2; return 1; }
}

# coped_holds_type N: the load that coped with failing allocation N gave
# a patch that is enabled and holds its type, as a load without failure.
# Called in a condition, where errexit is off: each check returns.
coped_holds_type() {
	local dir="$LP_SYSFS/$MOD/vmlinux/shadow_types/90" what enabled name refcount owners

	what="allocation $1 failed, the load worked"
	lp_wait_transition "$MOD" ||
		{ fail "allocation $1 failed: the patch stays in transition"; return 1; }
	lp_read enabled "$LP_SYSFS/$MOD/enabled" || return 1
	[ "$enabled" = 1 ] || { fail "$what: the patch is not enabled"; return 1; }
	lp_read name "$dir/name" || return 1
	lp_read refcount "$dir/refcount" || return 1
	lp_slurp owners "$dir/owners" || return 1
	if [ "$name $refcount" != "counter 1" ] || [ "$owners" != "$MOD/vmlinux"$'\n' ]; then
		fail "$what: the patch does not hold type 90: $name $refcount $owners"
		return 1
	fi
	lp_slurp types "$TYPES" || return 1
	[[ $'\n'"$types" == *$'\n90 counter 1 '* ]] ||
		{ fail "$what: the registry has no reference on 90: $types"; return 1; }
}

@test "every allocation of loading and enabling a livepatch failed in turn leaves nothing" {
	local baseline types n err injected sites=0 failed_loads=0

	lp_gone "$MOD"
	lp_slurp baseline "$TYPES"
	for ((n = 1; ; n++)); do
		[ "$n" -le 1000 ] || fail "more than 1000 allocations: is fail-nth counting down?"
		loader load "$n" "$KO"
		[[ "$REPLY" =~ ^[0-9]+\ [01]$ ]] || fail "load $n: the loader answered '$REPLY'"
		read -r err injected <<< "$REPLY"
		if [ "$injected" = 0 ]; then
			# Past the last allocation: nothing was injected, and
			# the load must work.
			[ "$err" = 0 ] ||
				fail "load $n, after failing allocation $((n - 1)), failed with nothing injected: errno $err"
			sweep_unload || fail "cannot unload after the sweep"
			break
		fi
		sites=$((sites + 1))
		if [ "$err" != 0 ]; then
			failed_loads=$((failed_loads + 1))
			[ ! -d "/sys/kernel/livepatch/$MOD" ] ||
				fail "allocation $n failed, errno $err: the patch stayed in sysfs"
			! lp_module_loaded "$MOD" ||
				fail "allocation $n failed, errno $err: the module stayed"
		else
			coped_holds_type "$n" || return 1
			sweep_unload || fail "allocation $n failed: the patch does not unload"
		fi
		lp_slurp types "$TYPES"
		[ "$types" = "$baseline" ] ||
			fail "allocation $n failed, errno $err: the registry changed: $types"
	done
	echo "# fail-nth: $sites allocation sites failed in turn: $failed_loads loads failed cleanly, $((sites - failed_loads)) coped and unloaded" >&3
	[ "$sites" -ge 5 ] || fail "only $sites allocations: is failslab counting?"
}
