#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifetime rules of shadow types on the paths generated and cumulative
# patches take: a type registered explicitly for an object belongs to that
# object like a listed one and goes when a cumulative patch replaces it;
# conflicting or invalid declarations are refused when a patch is enabled,
# never when a target module loads.

# shellcheck source=/dev/null # upstream helpers, staged beside this script
. "$(dirname "$0")/functions.sh"
# shellcheck source=tools/testing/selftests/livepatch/shadow_functions.sh
. "$(dirname "$0")/shadow_functions.sh"

MOD_C=test_klp_shadow_c			# replace, no type
MOD_F=test_klp_shadow_f			# module target, type "per-module"
MOD_H=test_klp_shadow_h			# registers "counter" from callbacks
MOD_I=test_klp_shadow_i			# vmlinux, "per-module"'s id as "other"
MOD_J=test_klp_shadow_j			# a type named "two\nlines"
MOD_TARGET=test_klp_shadow_mod

setup_config


# - a patch registers its type from pre_patch, as generated patches must
# - a cumulative patch without the type replaces it: the replaced patch's
#   callbacks never run, yet its reference goes when the transition
#   completes and its variables are destroyed
# - the replaced patch unloads, and loads again

start_test "explicit registration is released by an atomic replace"

load_lp $MOD_H
check_shadow_registry 90 "90 counter 1 3 12"
load_lp $MOD_C
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
$MOD_H: dtor <2> value 83
$MOD_H: dtor <1> value 82
$MOD_H: dtor <0> value 81
livepatch: shadow id 90 ('counter'): 3 variables freed
livepatch: '$MOD_C': patching complete
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
$MOD_H: dtor <2> value 83
$MOD_H: dtor <1> value 82
$MOD_H: dtor <0> value 81
livepatch: shadow id 90 ('counter'): 3 variables freed
livepatch: '$MOD_H': unpatching complete
% rmmod $MOD_H"


# - a patch lists "per-module" under a module object that is not loaded
# - a second patch lists the same id as "other" under vmlinux: refused at
#   its enable, the message naming both
# - the module then loads, and the first patch applies to it

start_test "a conflict with an unloaded module's type is refused at enable"

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
livepatch: shadow id 91: name 'other' of $MOD_I/vmlinux conflicts with 'per-module' of $MOD_F/$MOD_TARGET
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


# - a type whose name holds a newline would forge lines in sysfs: the
#   patch is refused at enable with -EINVAL

start_test "a type name with a newline is refused"

load_failing_mod $MOD_J
check_shadow_registry 98

check_result "% insmod test_modules/$MOD_J.ko
livepatch: shadow id 98 of $MOD_J/vmlinux: invalid name
insmod: ERROR: could not insert module test_modules/$MOD_J.ko: Invalid parameters"

exit 0
