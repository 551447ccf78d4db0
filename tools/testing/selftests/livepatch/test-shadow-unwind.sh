#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shadow type references on the paths that undo or refuse a patching: a
# reversed transition, both ways, keeps what the patch it returns to
# holds; a target module refused by a pre_patch callback, and a patch
# failing at its first or its second object, give back every reference
# they took; an object listing one type twice is refused before anything
# is taken.

# shellcheck source=/dev/null # upstream helpers, staged beside this script
. "$(dirname "$0")/functions.sh"
# shellcheck source=tools/testing/selftests/livepatch/shadow_functions.sh
. "$(dirname "$0")/shadow_functions.sh"

MOD_C=test_klp_shadow_c			# replace, no type
MOD_M=test_klp_shadow_m			# sleeps in its code holding "dozer"
MOD_L=test_klp_shadow_l			# vmlinux and module objects, a type each
MOD_DUP=test_klp_shadow_dup		# lists one type twice
MOD_TARGET=test_klp_shadow_mod
MOD_TARGET_SLEEP=test_klp_shadow_sleep

PARAM_HOLD=/sys/module/$MOD_M/parameters/hold
SLEEPER_DIR="$KLP_SYSFS_DIR/$MOD_M/$MOD_TARGET_SLEEP/shadow_types/103"

# logged_since(count, text) - the kernel log has text past its first
# count lines (called through loop_until)
# shellcheck disable=SC2317
function logged_since() {
	dmesg | tail -n "+$(($1 + 1))" | grep -- "$2" > /dev/null
}

# hold_sleeper() - the kthread of test_klp_shadow_sleep sleeps in
# test_klp_shadow_m's code holding its variable
function hold_sleeper() {
	local lines

	lines=$(dmesg | wc -l)
	log "% echo 1 > $PARAM_HOLD"
	echo 1 > "$PARAM_HOLD"
	loop_until "[[ \$(cat '$SLEEPER_DIR/live') == 1 ]]" ||
		die "the variable was not allocated"
	loop_until "logged_since $lines '$MOD_M: holding <0>'" ||
		die "the kthread does not hold its variable"
}

# release_sleeper() - the kthread leaves test_klp_shadow_m's code
function release_sleeper() {
	local lines

	lines=$(dmesg | wc -l)
	log "% echo 0 > $PARAM_HOLD"
	echo 0 > "$PARAM_HOLD"
	loop_until "logged_since $lines '$MOD_M: released <0>'" ||
		die "the kthread did not release its variable"
}

# wait_stalled(mod) - the transition of livepatch mod is stuck on a task
function wait_stalled() {
	loop_until "grep -q '^1\$' $KLP_SYSFS_DIR/$1/transition" ||
		die "failed to stall the transition of $1"
}

setup_config


# - a task sleeps in M's code: disabling K stalls, and M is enabled again
#   before the task leaves: the transition reverses to patching
# - M keeps its reference and its variable; nothing is released or freed
#   until M is disabled for good

start_test "a reversed unpatching keeps the patch's references"

load_mod $MOD_TARGET_SLEEP
load_lp $MOD_M
hold_sleeper
log "% echo 0 > $KLP_SYSFS_DIR/$MOD_M/enabled"
echo 0 > "$KLP_SYSFS_DIR/$MOD_M/enabled"
wait_stalled $MOD_M
log "% echo 1 > $KLP_SYSFS_DIR/$MOD_M/enabled"
echo 1 > "$KLP_SYSFS_DIR/$MOD_M/enabled"
loop_until "grep -q '^0\$' $KLP_SYSFS_DIR/$MOD_M/transition" ||
	die "the reversed transition did not complete"
check_shadow_type $MOD_M $MOD_TARGET_SLEEP 103 dozer 1 1 4 $MOD_M/$MOD_TARGET_SLEEP
check_shadow_registry 103 "103 dozer 1 1 4"
release_sleeper
check_shadow_type $MOD_M $MOD_TARGET_SLEEP 103 dozer 1 1 4 $MOD_M/$MOD_TARGET_SLEEP
disable_lp $MOD_M
unload_lp $MOD_M
unload_mod $MOD_TARGET_SLEEP
check_shadow_registry 103

check_result_stalled "% insmod test_modules/$MOD_TARGET_SLEEP.ko
% insmod test_modules/$MOD_M.ko
livepatch: enabling patch '$MOD_M'
livepatch: '$MOD_M': initializing patching transition
livepatch: shadow id 103 ('dozer'): referenced by $MOD_M/$MOD_TARGET_SLEEP, refcount 1
livepatch: '$MOD_M': starting patching transition
livepatch: '$MOD_M': completing patching transition
livepatch: '$MOD_M': patching complete
% echo 1 > $PARAM_HOLD
$MOD_M: holding <0> value 42
% echo 0 > $KLP_SYSFS_DIR/$MOD_M/enabled
livepatch: '$MOD_M': initializing unpatching transition
livepatch: '$MOD_M': starting unpatching transition
% echo 1 > $KLP_SYSFS_DIR/$MOD_M/enabled
livepatch: '$MOD_M': reversing transition from unpatching to patching
livepatch: '$MOD_M': starting patching transition
livepatch: '$MOD_M': completing patching transition
livepatch: '$MOD_M': patching complete
% echo 0 > $PARAM_HOLD
$MOD_M: released <0> value 43
% echo 0 > $KLP_SYSFS_DIR/$MOD_M/enabled
livepatch: '$MOD_M': initializing unpatching transition
livepatch: '$MOD_M': starting unpatching transition
livepatch: '$MOD_M': completing unpatching transition
livepatch: shadow id 103 ('dozer'): released by $MOD_M/$MOD_TARGET_SLEEP, refcount 0
livepatch: '$MOD_M': unpatching complete
$MOD_M: dtor <0> value 43
livepatch: shadow id 103 ('dozer'): 1 variables freed
% rmmod $MOD_M
% rmmod $MOD_TARGET_SLEEP"


# - a task sleeps in M's code: the atomic replace by C stalls, and C is
#   disabled before the task leaves: the transition reverses, M stays
# - M keeps its reference and its variable; C's reference-free objects
#   change nothing

start_test "a reversed atomic replace keeps the replaced patch's references"

load_mod $MOD_TARGET_SLEEP
load_lp $MOD_M
hold_sleeper
load_lp_nowait $MOD_C
wait_stalled $MOD_C
log "% echo 0 > $KLP_SYSFS_DIR/$MOD_C/enabled"
echo 0 > "$KLP_SYSFS_DIR/$MOD_C/enabled"
loop_until "[[ ! -e $KLP_SYSFS_DIR/$MOD_C ]]" ||
	die "the reversed replace did not complete"
check_shadow_type $MOD_M $MOD_TARGET_SLEEP 103 dozer 1 1 4 $MOD_M/$MOD_TARGET_SLEEP
check_shadow_registry 103 "103 dozer 1 1 4"
release_sleeper
unload_lp $MOD_C
disable_lp $MOD_M
unload_lp $MOD_M
unload_mod $MOD_TARGET_SLEEP
check_shadow_registry 103

check_result_stalled "% insmod test_modules/$MOD_TARGET_SLEEP.ko
% insmod test_modules/$MOD_M.ko
livepatch: enabling patch '$MOD_M'
livepatch: '$MOD_M': initializing patching transition
livepatch: shadow id 103 ('dozer'): referenced by $MOD_M/$MOD_TARGET_SLEEP, refcount 1
livepatch: '$MOD_M': starting patching transition
livepatch: '$MOD_M': completing patching transition
livepatch: '$MOD_M': patching complete
% echo 1 > $PARAM_HOLD
$MOD_M: holding <0> value 42
% insmod test_modules/$MOD_C.ko
livepatch: enabling patch '$MOD_C'
livepatch: '$MOD_C': initializing patching transition
livepatch: '$MOD_C': starting patching transition
% echo 0 > $KLP_SYSFS_DIR/$MOD_C/enabled
livepatch: '$MOD_C': reversing transition from patching to unpatching
livepatch: '$MOD_C': starting unpatching transition
livepatch: '$MOD_C': completing unpatching transition
livepatch: '$MOD_C': unpatching complete
% echo 0 > $PARAM_HOLD
$MOD_M: released <0> value 43
% rmmod $MOD_C
% echo 0 > $KLP_SYSFS_DIR/$MOD_M/enabled
livepatch: '$MOD_M': initializing unpatching transition
livepatch: '$MOD_M': starting unpatching transition
livepatch: '$MOD_M': completing unpatching transition
livepatch: shadow id 103 ('dozer'): released by $MOD_M/$MOD_TARGET_SLEEP, refcount 0
livepatch: '$MOD_M': unpatching complete
$MOD_M: dtor <0> value 43
livepatch: shadow id 103 ('dozer'): 1 variables freed
% rmmod $MOD_M
% rmmod $MOD_TARGET_SLEEP"


# - L patches vmlinux and test_klp_shadow_mod, a type each; the pre_patch
#   callback of its module object fails when the module comes
# - the module is refused, and the reference its object took is given
#   back; the vmlinux object keeps its own
# - the module loads once the callback no longer fails

start_test "a target module refused by a pre_patch callback gives back its references"

PARAM_FAIL=/sys/module/$MOD_L/parameters/fail_pre_patch

load_lp $MOD_L
log "% echo $MOD_TARGET > $PARAM_FAIL"
echo $MOD_TARGET > "$PARAM_FAIL"
load_failing_mod $MOD_TARGET
check_shadow_type $MOD_L $MOD_TARGET 101 multi-mod 0 0 0
check_shadow_registry 100 "100 multi-vmlinux 1 0 0"
check_shadow_registry 101
log "% echo > $PARAM_FAIL"
echo > "$PARAM_FAIL"
load_mod $MOD_TARGET
check_shadow_type $MOD_L $MOD_TARGET 101 multi-mod 1 0 0 $MOD_L/$MOD_TARGET
unload_mod $MOD_TARGET
disable_lp $MOD_L
unload_lp $MOD_L
check_shadow_registry 100
check_shadow_registry 101

check_result "% insmod test_modules/$MOD_L.ko
livepatch: enabling patch '$MOD_L'
livepatch: '$MOD_L': initializing patching transition
livepatch: shadow id 100 ('multi-vmlinux'): referenced by $MOD_L/vmlinux, refcount 1
livepatch: '$MOD_L': starting patching transition
livepatch: '$MOD_L': completing patching transition
livepatch: '$MOD_L': patching complete
% echo $MOD_TARGET > $PARAM_FAIL
% insmod test_modules/$MOD_TARGET.ko
livepatch: applying patch '$MOD_L' to loading module '$MOD_TARGET'
livepatch: shadow id 101 ('multi-mod'): referenced by $MOD_L/$MOD_TARGET, refcount 1
$MOD_L: pre_patch of $MOD_TARGET fails
livepatch: pre-patch callback failed for object '$MOD_TARGET'
livepatch: patch '$MOD_L' failed for module '$MOD_TARGET', refusing to load module '$MOD_TARGET'
livepatch: shadow id 101 ('multi-mod'): released by $MOD_L/$MOD_TARGET, refcount 0
livepatch: shadow id 101 ('multi-mod'): 0 variables freed
insmod: ERROR: could not insert module test_modules/$MOD_TARGET.ko: No such device
% echo > $PARAM_FAIL
% insmod test_modules/$MOD_TARGET.ko
livepatch: applying patch '$MOD_L' to loading module '$MOD_TARGET'
livepatch: shadow id 101 ('multi-mod'): referenced by $MOD_L/$MOD_TARGET, refcount 1
$MOD_L: patched work function ran
% rmmod $MOD_TARGET
livepatch: reverting patch '$MOD_L' on unloading module '$MOD_TARGET'
livepatch: shadow id 101 ('multi-mod'): released by $MOD_L/$MOD_TARGET, refcount 0
livepatch: shadow id 101 ('multi-mod'): 0 variables freed
% echo 0 > $KLP_SYSFS_DIR/$MOD_L/enabled
livepatch: '$MOD_L': initializing unpatching transition
livepatch: '$MOD_L': starting unpatching transition
livepatch: '$MOD_L': completing unpatching transition
livepatch: shadow id 100 ('multi-vmlinux'): released by $MOD_L/vmlinux, refcount 0
livepatch: '$MOD_L': unpatching complete
livepatch: shadow id 100 ('multi-vmlinux'): 0 variables freed
% rmmod $MOD_L"


# - L's pre_patch callback of vmlinux, its first object, fails at enable:
#   the reference that object took is given back; the module object,
#   whose module is not loaded, took none

start_test "a patch failing at its first object gives back its reference"

load_failing_mod $MOD_L fail_pre_patch=vmlinux
[[ ! -e "$KLP_SYSFS_DIR/$MOD_L" ]] || die "$MOD_L stayed in sysfs"
check_shadow_registry 100
check_shadow_registry 101

check_result "% insmod test_modules/$MOD_L.ko fail_pre_patch=vmlinux
livepatch: enabling patch '$MOD_L'
livepatch: '$MOD_L': initializing patching transition
livepatch: shadow id 100 ('multi-vmlinux'): referenced by $MOD_L/vmlinux, refcount 1
$MOD_L: pre_patch of vmlinux fails
livepatch: pre-patch callback failed for object 'vmlinux'
livepatch: failed to enable patch '$MOD_L'
livepatch: '$MOD_L': canceling patching transition, going to unpatch
livepatch: '$MOD_L': completing unpatching transition
livepatch: shadow id 100 ('multi-vmlinux'): released by $MOD_L/vmlinux, refcount 0
livepatch: '$MOD_L': unpatching complete
livepatch: shadow id 100 ('multi-vmlinux'): 0 variables freed
insmod: ERROR: could not insert module test_modules/$MOD_L.ko: No such device"


# - test_klp_shadow_mod is loaded; L's pre_patch callback of it fails
#   while L is enabled: L is refused after its vmlinux object took its
#   reference, which is given back with the module object's

start_test "a patch failing at its second object gives back the first's references"

load_mod $MOD_TARGET
load_failing_mod $MOD_L fail_pre_patch=$MOD_TARGET
[[ ! -e "$KLP_SYSFS_DIR/$MOD_L" ]] || die "$MOD_L stayed in sysfs"
check_shadow_registry 100
check_shadow_registry 101
unload_mod $MOD_TARGET

check_result "% insmod test_modules/$MOD_TARGET.ko
$MOD_TARGET: unpatched work function ran
% insmod test_modules/$MOD_L.ko fail_pre_patch=$MOD_TARGET
livepatch: enabling patch '$MOD_L'
livepatch: '$MOD_L': initializing patching transition
livepatch: shadow id 100 ('multi-vmlinux'): referenced by $MOD_L/vmlinux, refcount 1
livepatch: shadow id 101 ('multi-mod'): referenced by $MOD_L/$MOD_TARGET, refcount 1
$MOD_L: pre_patch of $MOD_TARGET fails
livepatch: pre-patch callback failed for object '$MOD_TARGET'
livepatch: failed to enable patch '$MOD_L'
livepatch: '$MOD_L': canceling patching transition, going to unpatch
livepatch: '$MOD_L': completing unpatching transition
livepatch: shadow id 100 ('multi-vmlinux'): released by $MOD_L/vmlinux, refcount 0
livepatch: shadow id 101 ('multi-mod'): released by $MOD_L/$MOD_TARGET, refcount 0
livepatch: '$MOD_L': unpatching complete
livepatch: shadow id 100 ('multi-vmlinux'): 0 variables freed
livepatch: shadow id 101 ('multi-mod'): 0 variables freed
insmod: ERROR: could not insert module test_modules/$MOD_L.ko: No such device
% rmmod $MOD_TARGET"


# - one object lists the same type twice: the patch is refused with
#   -EEXIST before it takes any reference or adds a shadow_types
#   directory

start_test "an object listing a type twice is refused"

load_failing_mod $MOD_DUP
[[ ! -e "$KLP_SYSFS_DIR/$MOD_DUP" ]] || die "$MOD_DUP stayed in sysfs"
check_shadow_registry 102

check_result "% insmod test_modules/$MOD_DUP.ko
livepatch: shadow id 102 listed twice by object 'vmlinux'
insmod: ERROR: could not insert module test_modules/$MOD_DUP.ko: File exists"

exit 0
