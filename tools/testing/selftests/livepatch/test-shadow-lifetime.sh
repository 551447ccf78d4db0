#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifetime rules of shadow types on the paths generated and cumulative
# patches take: a type registered explicitly for an object belongs to that
# object like a listed one and goes when a cumulative patch replaces it;
# conflicting or invalid listed declarations are refused when a patch is
# enabled, never when a target module loads; a collection leaves the
# id-based API's variables of its id; a forced transition keeps the
# variables of what it retires, since old code may still use them.

# shellcheck source=/dev/null # upstream helpers, staged beside this script
. "$(dirname "$0")/functions.sh"
# shellcheck source=tools/testing/selftests/livepatch/shadow_functions.sh
. "$(dirname "$0")/shadow_functions.sh"

MOD_A=test_klp_shadow_a			# vmlinux, type "counter"
MOD_C=test_klp_shadow_c			# replace, no type
MOD_F=test_klp_shadow_f			# module target, type "per-module"
MOD_H=test_klp_shadow_h			# registers "counter" from callbacks
MOD_I=test_klp_shadow_i			# vmlinux, "per-module"'s id as "other"
MOD_J=test_klp_shadow_j			# a type named "two\nlines"
MOD_K=test_klp_shadow_k			# sleeps in its code holding "sleeper"
MOD_N=test_klp_shadow_n			# a type with the reserved id
MOD_IDAPI=test_klp_shadow_idapi		# id-based user of "counter"'s id
MOD_TARGET=test_klp_shadow_mod
MOD_TARGET_SLEEP=test_klp_shadow_sleep

setup_config


# - a patch registers its type from pre_patch, as generated patches must
# - a cumulative patch without the type replaces it: the replaced patch's
#   callbacks never run, yet its reference goes when the transition
#   completes and its variables are destroyed
# - the replaced patch unloads, and loads again

start_test "explicit registration is released by an atomic replace"

load_lp $MOD_H
check_shadow_type $MOD_H vmlinux 90 counter 1 3 12 $MOD_H/vmlinux
check_shadow_registry 90 "90 counter 1 3 12"
load_lp $MOD_C
wait_freed $MOD_H
check_shadow_registry 90
unload_lp $MOD_H
disable_lp $MOD_C
unload_lp $MOD_C
load_lp $MOD_H
check_shadow_registry 90 "90 counter 1 3 12"
disable_lp $MOD_H
unload_lp $MOD_H

check_result "% insmod test_modules/$MOD_H.ko
livepatch: enabling patch '$MOD_H'
livepatch: '$MOD_H': initializing patching transition
livepatch: shadow id 90 ('counter'): referenced by $MOD_H/vmlinux, refcount 1
livepatch: '$MOD_H': starting patching transition
livepatch: '$MOD_H': completing patching transition
$MOD_H: post_patch: <0> allocated value 81
$MOD_H: post_patch: <1> allocated value 82
$MOD_H: post_patch: <2> allocated value 83
livepatch: '$MOD_H': patching complete
% insmod test_modules/$MOD_C.ko
livepatch: enabling patch '$MOD_C'
livepatch: '$MOD_C': initializing patching transition
livepatch: '$MOD_C': starting patching transition
livepatch: '$MOD_C': completing patching transition
livepatch: shadow id 90 ('counter'): released by $MOD_H/vmlinux, refcount 0
livepatch: '$MOD_C': patching complete
$MOD_H: dtor <2> value 83
$MOD_H: dtor <1> value 82
$MOD_H: dtor <0> value 81
livepatch: shadow id 90 ('counter'): 3 variables freed
% rmmod $MOD_H
% echo 0 > /sys/kernel/livepatch/$MOD_C/enabled
livepatch: '$MOD_C': initializing unpatching transition
livepatch: '$MOD_C': starting unpatching transition
livepatch: '$MOD_C': completing unpatching transition
livepatch: '$MOD_C': unpatching complete
% rmmod $MOD_C
% insmod test_modules/$MOD_H.ko
livepatch: enabling patch '$MOD_H'
livepatch: '$MOD_H': initializing patching transition
livepatch: shadow id 90 ('counter'): referenced by $MOD_H/vmlinux, refcount 1
livepatch: '$MOD_H': starting patching transition
livepatch: '$MOD_H': completing patching transition
$MOD_H: post_patch: <0> allocated value 81
$MOD_H: post_patch: <1> allocated value 82
$MOD_H: post_patch: <2> allocated value 83
livepatch: '$MOD_H': patching complete
% echo 0 > /sys/kernel/livepatch/$MOD_H/enabled
livepatch: '$MOD_H': initializing unpatching transition
livepatch: '$MOD_H': starting unpatching transition
livepatch: '$MOD_H': completing unpatching transition
livepatch: shadow id 90 ('counter'): released by $MOD_H/vmlinux, refcount 0
livepatch: '$MOD_H': unpatching complete
$MOD_H: dtor <2> value 83
$MOD_H: dtor <1> value 82
$MOD_H: dtor <0> value 81
livepatch: shadow id 90 ('counter'): 3 variables freed
% rmmod $MOD_H"


# - a patch lists "per-module" under a module object that is not loaded
# - a second patch lists the same id as "other" under vmlinux: refused at
#   its enable, the message naming both
# - the module then loads, and the first patch applies to it

start_test "a conflict with an unloaded module's type is refused at enable"

CONFLICT="conflicts with 'per-module' of $MOD_F/$MOD_TARGET"

load_lp $MOD_F
load_failing_mod $MOD_I
check_shadow_registry 91
load_mod $MOD_TARGET
check_shadow_type $MOD_F $MOD_TARGET 91 per-module 1 3 12 $MOD_F/$MOD_TARGET
unload_mod $MOD_TARGET
disable_lp $MOD_F
unload_lp $MOD_F

check_result "% insmod test_modules/$MOD_F.ko
livepatch: enabling patch '$MOD_F'
livepatch: '$MOD_F': initializing patching transition
livepatch: '$MOD_F': starting patching transition
livepatch: '$MOD_F': completing patching transition
livepatch: '$MOD_F': patching complete
% insmod test_modules/$MOD_I.ko
livepatch: shadow id 91: name 'other' of $MOD_I/vmlinux $CONFLICT
insmod: ERROR: could not insert module test_modules/$MOD_I.ko: Invalid parameters
% insmod test_modules/$MOD_TARGET.ko
livepatch: applying patch '$MOD_F' to loading module '$MOD_TARGET'
livepatch: shadow id 91 ('per-module'): referenced by $MOD_F/$MOD_TARGET, refcount 1
$MOD_F: post_patch: <0> allocated value 61
$MOD_F: post_patch: <1> allocated value 62
$MOD_F: post_patch: <2> allocated value 63
$MOD_F: patched work function ran
% rmmod $MOD_TARGET
livepatch: reverting patch '$MOD_F' on unloading module '$MOD_TARGET'
livepatch: shadow id 91 ('per-module'): released by $MOD_F/$MOD_TARGET, refcount 0
$MOD_F: dtor <2> value 63
$MOD_F: dtor <1> value 62
$MOD_F: dtor <0> value 61
livepatch: shadow id 91 ('per-module'): 3 variables freed
% echo 0 > /sys/kernel/livepatch/$MOD_F/enabled
livepatch: '$MOD_F': initializing unpatching transition
livepatch: '$MOD_F': starting unpatching transition
livepatch: '$MOD_F': completing unpatching transition
livepatch: '$MOD_F': unpatching complete
% rmmod $MOD_F"


# - a target module goes while a patch's type has variables on it: the
#   collection (its grace period, the destructors) runs once the core
#   dropped klp_mutex, before the module's memory goes
# - while a destructor waits, another livepatch operation takes klp_mutex:
#   a write to the patch's force file, refused (no transition), returns

start_test "a going module's collection runs outside klp_mutex"

PARAM_DTOR_HOLD=/sys/module/$MOD_F/parameters/dtor_hold

load_lp $MOD_F
load_mod $MOD_TARGET
log "% echo 1 > $PARAM_DTOR_HOLD"
echo 1 > "$PARAM_DTOR_HOLD"
log "% rmmod $MOD_TARGET"
rmmod "$MOD_TARGET" &
RMMOD_PID=$!
loop_until "[[ \$(cat '$PARAM_DTOR_HOLD') == 2 ]]" ||
	die "the destructor did not run"
# The destructor waits: let it go before any failure, or every later
# module load waits for it.
function die_released() {
	echo 0 > "$PARAM_DTOR_HOLD"
	die "$@"
}
if ! kill -0 "$RMMOD_PID" 2>/dev/null || [[ ! -d /sys/module/$MOD_TARGET ]]; then
	die_released "the destructor runs after $MOD_TARGET went"
fi
log "% echo 1 > $KLP_SYSFS_DIR/$MOD_F/force"
if echo 1 2>/dev/null > "$KLP_SYSFS_DIR/$MOD_F/force"; then
	die_released "force was accepted without a transition"
fi
DTOR_HOLD=$(cat "$PARAM_DTOR_HOLD")
[[ "$DTOR_HOLD" == 2 ]] ||
	die_released "klp_mutex was held while the destructor ran: it ended first ($DTOR_HOLD)"
log "% echo 0 > $PARAM_DTOR_HOLD"
echo 0 > "$PARAM_DTOR_HOLD"
wait "$RMMOD_PID" || die "rmmod $MOD_TARGET failed"
check_shadow_registry 91
disable_lp $MOD_F
unload_lp $MOD_F

check_result "% insmod test_modules/$MOD_F.ko
livepatch: enabling patch '$MOD_F'
livepatch: '$MOD_F': initializing patching transition
livepatch: '$MOD_F': starting patching transition
livepatch: '$MOD_F': completing patching transition
livepatch: '$MOD_F': patching complete
% insmod test_modules/$MOD_TARGET.ko
livepatch: applying patch '$MOD_F' to loading module '$MOD_TARGET'
livepatch: shadow id 91 ('per-module'): referenced by $MOD_F/$MOD_TARGET, refcount 1
$MOD_F: post_patch: <0> allocated value 61
$MOD_F: post_patch: <1> allocated value 62
$MOD_F: post_patch: <2> allocated value 63
$MOD_F: patched work function ran
% echo 1 > $PARAM_DTOR_HOLD
% rmmod $MOD_TARGET
livepatch: reverting patch '$MOD_F' on unloading module '$MOD_TARGET'
livepatch: shadow id 91 ('per-module'): released by $MOD_F/$MOD_TARGET, refcount 0
$MOD_F: dtor holding
% echo 1 > $KLP_SYSFS_DIR/$MOD_F/force
% echo 0 > $PARAM_DTOR_HOLD
$MOD_F: dtor <2> value 63
$MOD_F: dtor <1> value 62
$MOD_F: dtor <0> value 61
livepatch: shadow id 91 ('per-module'): 3 variables freed
% echo 0 > $KLP_SYSFS_DIR/$MOD_F/enabled
livepatch: '$MOD_F': initializing unpatching transition
livepatch: '$MOD_F': starting unpatching transition
livepatch: '$MOD_F': completing unpatching transition
livepatch: '$MOD_F': unpatching complete
% rmmod $MOD_F"

# - a type whose name holds a newline would forge lines in sysfs: the
#   patch is refused at enable with -EINVAL

start_test "a type name with a newline is refused"

load_failing_mod $MOD_J
check_shadow_registry 98

check_result "% insmod test_modules/$MOD_J.ko
livepatch: shadow id 98 of $MOD_J/vmlinux: invalid name
insmod: ERROR: could not insert module test_modules/$MOD_J.ko: Invalid parameters"

# - a type with the reserved id, ULONG_MAX, whose key is that of a type
#   without a reference: the patch is refused at enable with -EINVAL

start_test "a type with the reserved id is refused"

RESERVED_ID=$(getconf ULONG_MAX)
load_failing_mod $MOD_N
[[ ! -e "$KLP_SYSFS_DIR/$MOD_N" ]] || die "$MOD_N stayed in sysfs"
check_shadow_registry "$RESERVED_ID"

check_result "% insmod test_modules/$MOD_N.ko
livepatch: shadow id $RESERVED_ID of $MOD_N/vmlinux: the id is reserved
insmod: ERROR: could not insert module test_modules/$MOD_N.ko: Invalid parameters"


# - a patch holds "counter" and allocates three variables through it; a
#   module allocates one of the same id with the id-based API
# - the patch goes: its destructor gets its three variables only; the
#   id-based one stays until its module frees it with its own destructor

start_test "a collection leaves the id-based API's variables of its id"

load_lp $MOD_A
load_mod $MOD_IDAPI
check_shadow_type $MOD_A vmlinux 90 counter 1 4 16 $MOD_A/vmlinux
disable_lp $MOD_A
check_shadow_registry 90 "90 counter 0 1 4"
unload_lp $MOD_A
unload_mod $MOD_IDAPI
check_shadow_registry 90

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
% insmod test_modules/$MOD_IDAPI.ko
$MOD_IDAPI: allocated <10> value 1000
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
% rmmod $MOD_A
% rmmod $MOD_IDAPI
$MOD_IDAPI: own dtor <10> value 1000"


# - a kthread sleeps inside a patch's function with a typed variable in
#   hand; a cumulative patch without the type replaces the patch, and the
#   stalled transition is forced
# - the replaced patch's reference is kept and logged, nothing is freed:
#   the kthread wakes and uses its variable (KASAN sees any use after free)
# - the registry keeps the id for good, as the core keeps the module;
#   the replacing patch still disables and unloads
# This case leaves $MOD_K loaded for the rest of the boot: keep it last.

start_test "a forced replace keeps the variables old code may still use"

PARAM_HOLD=/sys/module/$MOD_K/parameters/hold
KEPT_WHY="its transition was forced, old code may still use the variables"
SLEEPER_DIR="$KLP_SYSFS_DIR/$MOD_K/$MOD_TARGET_SLEEP/shadow_types/99"

load_mod $MOD_TARGET_SLEEP
load_lp $MOD_K
log "% echo 1 > $PARAM_HOLD"
echo 1 > "$PARAM_HOLD"
loop_until "[[ \$(cat '$SLEEPER_DIR/live') == 1 ]]" ||
	die "the variable was not allocated"
loop_until "dmesg | grep -q '$MOD_K: holding <0>'" ||
	die "the kthread does not hold its variable"
check_shadow_registry 99 "99 sleeper 1 1 4"

load_lp_nowait $MOD_C
loop_until "grep -q '^1\$' $KLP_SYSFS_DIR/$MOD_C/transition" ||
	die "failed to stall transition"
log "% echo 1 > $KLP_SYSFS_DIR/$MOD_C/force"
echo 1 > "$KLP_SYSFS_DIR/$MOD_C/force"
loop_until "grep -q '^0\$' $KLP_SYSFS_DIR/$MOD_C/transition" ||
	die "the forced transition did not complete"
check_shadow_registry 99 "99 sleeper 1 1 4"

log "% echo 0 > $PARAM_HOLD"
echo 0 > "$PARAM_HOLD"
loop_until "dmesg | grep -q '$MOD_K: released <0>'" ||
	die "the kthread did not release its variable"
check_shadow_registry 99 "99 sleeper 1 1 4"
disable_lp $MOD_C
unload_lp $MOD_C
unload_mod $MOD_TARGET_SLEEP
check_shadow_registry 99 "99 sleeper 1 1 4"

check_result_stalled "% insmod test_modules/$MOD_TARGET_SLEEP.ko
% insmod test_modules/$MOD_K.ko
livepatch: enabling patch '$MOD_K'
livepatch: '$MOD_K': initializing patching transition
livepatch: shadow id 99 ('sleeper'): referenced by $MOD_K/$MOD_TARGET_SLEEP, refcount 1
livepatch: '$MOD_K': starting patching transition
livepatch: '$MOD_K': completing patching transition
livepatch: '$MOD_K': patching complete
% echo 1 > $PARAM_HOLD
$MOD_K: holding <0> value 42
% insmod test_modules/$MOD_C.ko
livepatch: enabling patch '$MOD_C'
livepatch: '$MOD_C': initializing patching transition
livepatch: '$MOD_C': starting patching transition
% echo 1 > $KLP_SYSFS_DIR/$MOD_C/force
livepatch: forcing remaining tasks to the patched state
livepatch: '$MOD_C': completing patching transition
livepatch: shadow id 99 ('sleeper'): kept for $MOD_K/$MOD_TARGET_SLEEP: $KEPT_WHY
livepatch: '$MOD_C': patching complete
% echo 0 > $PARAM_HOLD
$MOD_K: released <0> value 43
% echo 0 > $KLP_SYSFS_DIR/$MOD_C/enabled
livepatch: '$MOD_C': initializing unpatching transition
livepatch: '$MOD_C': starting unpatching transition
livepatch: '$MOD_C': completing unpatching transition
livepatch: '$MOD_C': unpatching complete
% rmmod $MOD_C
% rmmod $MOD_TARGET_SLEEP"

exit 0
