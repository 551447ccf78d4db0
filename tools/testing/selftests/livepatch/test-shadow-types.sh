#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifetime of shadow variables whose types livepatch objects list in
# klp_object.shadow_types: the livepatch core references each type while
# the object is patched, and collects its variables, through the type's
# destructor, when the last reference goes. At every step, the registry
# shows the same in sysfs (and in debugfs with CONFIG_LIVEPATCH_SHADOW_DEBUG).

# shellcheck source=/dev/null # upstream helpers, staged beside this script
. "$(dirname "$0")/functions.sh"
# shellcheck source=tools/testing/selftests/livepatch/shadow_functions.sh
. "$(dirname "$0")/shadow_functions.sh"

MOD_A=test_klp_shadow_a			# vmlinux, type "counter"
MOD_B=test_klp_shadow_b			# replace, keeps "counter"
MOD_C=test_klp_shadow_c			# replace, no type
MOD_D=test_klp_shadow_d			# second patch sharing "counter"
MOD_E=test_klp_shadow_e			# "fresh", then "counter"'s id as "other"
MOD_F=test_klp_shadow_f			# module target, type "per-module"
MOD_G=test_klp_shadow_g			# busy module target, type "busy"
MOD_H=test_klp_shadow_h			# registers "counter" from callbacks
MOD_TARGET=test_klp_shadow_mod
MOD_TARGET_BUSY=test_klp_callbacks_busy
MOD_NOREF=test_klp_shadow_noref

# Replace cycles of the last test; fewer on slow (debug) kernels.
CYCLES=${KLP_SHADOW_CYCLES:-20}

setup_config


# - enable a patch listing a type: the reference is taken before the
#   callbacks run, its post_patch callback allocates three variables
# - disable it: once unpatched, the reference goes and every variable is
#   destroyed, once each

start_test "variables of a type live while its patch is enabled"

load_lp $MOD_A
check_shadow_type $MOD_A vmlinux 90 counter 1 3 12 $MOD_A/vmlinux
check_shadow_registry 90 "90 counter 1 3 12"
disable_lp $MOD_A
check_shadow_registry 90
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


# - a patch that cannot list its types registers them for its object from
#   pre_patch and unregisters them from post_unpatch: same lifetime, same
#   sysfs directory and owner name as a listed type

start_test "explicit registration from callbacks"

load_lp $MOD_H
check_shadow_type $MOD_H vmlinux 90 counter 1 3 12 $MOD_H/vmlinux
check_shadow_registry 90 "90 counter 1 3 12"
disable_lp $MOD_H
check_shadow_registry 90
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


# - a pre_patch callback that registers a type, allocates and unregisters
#   it at once: the variables are not collected in the callback but after
#   the transition started, by the end of the enable (outside klp_mutex:
#   on a lockdep kernel, klp_shadow_release_finish() asserts it)

start_test "an unregister from pre_patch is collected by the end of the enable"

load_lp $MOD_H unregister_in_pre=1
[[ ! -e "$KLP_SYSFS_DIR/$MOD_H/vmlinux/shadow_types/90" ]] ||
	die "shadow type 90 still shown under $MOD_H/vmlinux"
check_shadow_registry 90

check_result_completed_last "% insmod test_modules/$MOD_H.ko unregister_in_pre=1
livepatch: enabling patch '$MOD_H'
livepatch: '$MOD_H': initializing patching transition
livepatch: shadow id 90 ('counter'): referenced by $MOD_H/vmlinux, refcount 1
$MOD_H: pre_patch: <0> allocated value 81
$MOD_H: pre_patch: <1> allocated value 82
$MOD_H: pre_patch: <2> allocated value 83
livepatch: shadow id 90 ('counter'): released by $MOD_H/vmlinux, refcount 0
$MOD_H: pre_patch: unregistered
livepatch: '$MOD_H': starting patching transition
$MOD_H: dtor <2> value 83
$MOD_H: dtor <1> value 82
$MOD_H: dtor <0> value 81
livepatch: shadow id 90 ('counter'): 3 variables freed
livepatch: '$MOD_H': completing patching transition
livepatch: '$MOD_H': patching complete"

disable_lp $MOD_H
unload_lp $MOD_H


# - a patch on a module that is not loaded holds no reference
# - loading the module references the type and allocates its variables
# - unloading it destroys them; loading it again finds none of the old ones

start_test "a target module takes its types with it"

load_lp $MOD_F
check_shadow_type $MOD_F $MOD_TARGET 91 per-module 0 0 0
check_shadow_registry 91
load_mod $MOD_TARGET
check_shadow_type $MOD_F $MOD_TARGET 91 per-module 1 3 12 $MOD_F/$MOD_TARGET
unload_mod $MOD_TARGET
check_shadow_type $MOD_F $MOD_TARGET 91 per-module 0 0 0
check_shadow_registry 91
load_mod $MOD_TARGET
check_shadow_type $MOD_F $MOD_TARGET 91 per-module 1 3 12 $MOD_F/$MOD_TARGET
unload_mod $MOD_TARGET
check_shadow_type $MOD_F $MOD_TARGET 91 per-module 0 0 0
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
% rmmod $MOD_TARGET
livepatch: reverting patch '$MOD_F' on unloading module '$MOD_TARGET'
livepatch: shadow id 91 ('per-module'): released by $MOD_F/$MOD_TARGET, refcount 0
$MOD_F: dtor <2> value 63
$MOD_F: dtor <1> value 62
$MOD_F: dtor <0> value 61
livepatch: shadow id 91 ('per-module'): 3 variables freed
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


# - atomic replace by a patch listing the same type: both hold a reference
#   during the transition, so nothing is destroyed and the new patch finds
#   the old patch's values

start_test "atomic replace hands over a type both patches list"

load_lp $MOD_A
check_shadow_type $MOD_A vmlinux 90 counter 1 3 12 $MOD_A/vmlinux
load_lp $MOD_B
check_shadow_type $MOD_B vmlinux 90 counter 1 3 12 $MOD_B/vmlinux
unload_lp $MOD_A
disable_lp $MOD_B
check_shadow_registry 90
unload_lp $MOD_B

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
% insmod test_modules/$MOD_B.ko
livepatch: enabling patch '$MOD_B'
livepatch: '$MOD_B': initializing patching transition
livepatch: shadow id 90 ('counter'): referenced by $MOD_B/vmlinux, refcount 2
livepatch: '$MOD_B': starting patching transition
livepatch: '$MOD_B': completing patching transition
livepatch: shadow id 90 ('counter'): released by $MOD_A/vmlinux, refcount 1
$MOD_B: post_patch: <0> found value 11
$MOD_B: post_patch: <1> found value 12
$MOD_B: post_patch: <2> found value 13
livepatch: '$MOD_B': patching complete
% rmmod $MOD_A
% echo 0 > /sys/kernel/livepatch/$MOD_B/enabled
livepatch: '$MOD_B': initializing unpatching transition
livepatch: '$MOD_B': starting unpatching transition
livepatch: '$MOD_B': completing unpatching transition
livepatch: shadow id 90 ('counter'): released by $MOD_B/vmlinux, refcount 0
livepatch: '$MOD_B': unpatching complete
$MOD_B: dtor <2> value 13
$MOD_B: dtor <1> value 12
$MOD_B: dtor <0> value 11
livepatch: shadow id 90 ('counter'): 3 variables freed
% rmmod $MOD_B"


# - atomic replace by a patch that lists no type (a downgrade): the
#   replaced patch's reference goes when the transition completes and its
#   variables are destroyed with its own destructor

start_test "atomic replace dropping a type destroys its variables"

load_lp $MOD_A
check_shadow_type $MOD_A vmlinux 90 counter 1 3 12 $MOD_A/vmlinux
load_lp $MOD_C
wait_freed $MOD_A
check_no_shadow_types $MOD_C vmlinux
check_shadow_registry 90
unload_lp $MOD_A
disable_lp $MOD_C
unload_lp $MOD_C

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
% insmod test_modules/$MOD_C.ko
livepatch: enabling patch '$MOD_C'
livepatch: '$MOD_C': initializing patching transition
livepatch: '$MOD_C': starting patching transition
livepatch: '$MOD_C': completing patching transition
livepatch: shadow id 90 ('counter'): released by $MOD_A/vmlinux, refcount 0
livepatch: '$MOD_C': patching complete
$MOD_A: dtor <2> value 13
$MOD_A: dtor <1> value 12
$MOD_A: dtor <0> value 11
livepatch: shadow id 90 ('counter'): 3 variables freed
% rmmod $MOD_A
% echo 0 > /sys/kernel/livepatch/$MOD_C/enabled
livepatch: '$MOD_C': initializing unpatching transition
livepatch: '$MOD_C': starting unpatching transition
livepatch: '$MOD_C': completing unpatching transition
livepatch: '$MOD_C': unpatching complete
% rmmod $MOD_C"


# - a transition that cannot finish (a busy target) is reversed: the
#   reference the enable took goes when the reversal completes, and the
#   variables pre_patch allocated are destroyed

start_test "a reversed transition gives back what the enable took"

load_mod $MOD_TARGET_BUSY block_transition=Y
load_lp_nowait $MOD_G

loop_until 'grep -q '^1$' /sys/kernel/livepatch/$MOD_G/transition' ||
	die "failed to stall transition"
check_shadow_type $MOD_G $MOD_TARGET_BUSY 93 busy 1 3 12 $MOD_G/$MOD_TARGET_BUSY
check_shadow_registry 93 "93 busy 1 3 12"

disable_lp $MOD_G
check_shadow_registry 93
unload_lp $MOD_G
unload_mod $MOD_TARGET_BUSY

check_result_stalled "% insmod test_modules/$MOD_TARGET_BUSY.ko block_transition=Y
$MOD_TARGET_BUSY: ${MOD_TARGET_BUSY}_init
$MOD_TARGET_BUSY: busymod_work_func enter
% insmod test_modules/$MOD_G.ko
livepatch: enabling patch '$MOD_G'
livepatch: '$MOD_G': initializing patching transition
livepatch: shadow id 93 ('busy'): referenced by $MOD_G/$MOD_TARGET_BUSY, refcount 1
$MOD_G: pre_patch: <0> allocated value 71
$MOD_G: pre_patch: <1> allocated value 72
$MOD_G: pre_patch: <2> allocated value 73
livepatch: '$MOD_G': starting patching transition
% echo 0 > /sys/kernel/livepatch/$MOD_G/enabled
livepatch: '$MOD_G': reversing transition from patching to unpatching
livepatch: '$MOD_G': starting unpatching transition
livepatch: '$MOD_G': completing unpatching transition
livepatch: shadow id 93 ('busy'): released by $MOD_G/$MOD_TARGET_BUSY, refcount 0
livepatch: '$MOD_G': unpatching complete
$MOD_G: dtor <2> value 73
$MOD_G: dtor <1> value 72
$MOD_G: dtor <0> value 71
livepatch: shadow id 93 ('busy'): 3 variables freed
% rmmod $MOD_G
% rmmod $MOD_TARGET_BUSY
$MOD_TARGET_BUSY: busymod_work_func exit
$MOD_TARGET_BUSY: ${MOD_TARGET_BUSY}_exit"


# - two patches without replace list the same type: refcount 2, the
#   second finds the first one's values, and nothing is destroyed until
#   both are gone

start_test "a type two patches share is collected only after both go"

load_lp $MOD_A
check_shadow_type $MOD_A vmlinux 90 counter 1 3 12 $MOD_A/vmlinux
load_lp $MOD_D
check_shadow_type $MOD_A vmlinux 90 counter 2 3 12 $MOD_A/vmlinux $MOD_D/vmlinux
check_shadow_type $MOD_D vmlinux 90 counter 2 3 12 $MOD_A/vmlinux $MOD_D/vmlinux
disable_lp $MOD_A
check_shadow_type $MOD_D vmlinux 90 counter 1 3 12 $MOD_D/vmlinux
disable_lp $MOD_D
check_shadow_registry 90
unload_lp $MOD_A
unload_lp $MOD_D

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
% insmod test_modules/$MOD_D.ko
livepatch: enabling patch '$MOD_D'
livepatch: '$MOD_D': initializing patching transition
livepatch: shadow id 90 ('counter'): referenced by $MOD_D/vmlinux, refcount 2
livepatch: '$MOD_D': starting patching transition
livepatch: '$MOD_D': completing patching transition
$MOD_D: post_patch: <0> found value 11
$MOD_D: post_patch: <1> found value 12
$MOD_D: post_patch: <2> found value 13
livepatch: '$MOD_D': patching complete
% echo 0 > /sys/kernel/livepatch/$MOD_A/enabled
livepatch: '$MOD_A': initializing unpatching transition
livepatch: '$MOD_A': starting unpatching transition
livepatch: '$MOD_A': completing unpatching transition
livepatch: shadow id 90 ('counter'): released by $MOD_A/vmlinux, refcount 1
livepatch: '$MOD_A': unpatching complete
% echo 0 > /sys/kernel/livepatch/$MOD_D/enabled
livepatch: '$MOD_D': initializing unpatching transition
livepatch: '$MOD_D': starting unpatching transition
livepatch: '$MOD_D': completing unpatching transition
livepatch: shadow id 90 ('counter'): released by $MOD_D/vmlinux, refcount 0
livepatch: '$MOD_D': unpatching complete
$MOD_D: dtor <2> value 13
$MOD_D: dtor <1> value 12
$MOD_D: dtor <0> value 11
livepatch: shadow id 90 ('counter'): 3 variables freed
% rmmod $MOD_A
% rmmod $MOD_D"


# - a patch that lists the id of a listed type under another name is
#   refused with -EINVAL when it is enabled, before it takes any reference,
#   the message naming both owners; the holder of the conflicting type
#   keeps its variables

start_test "the same id under another name is refused"

load_lp $MOD_A
load_failing_mod $MOD_E
check_shadow_type $MOD_A vmlinux 90 counter 1 3 12 $MOD_A/vmlinux
check_shadow_registry 90 "90 counter 1 3 12"
check_shadow_registry 94
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
% insmod test_modules/$MOD_E.ko
livepatch: shadow id 90: name 'other' of $MOD_E/vmlinux conflicts with 'counter' of $MOD_A/vmlinux
insmod: ERROR: could not insert module test_modules/$MOD_E.ko: Invalid parameters
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


# - $CYCLES (20) cycles of: enable A, replace it by B (hand-over), replace B by C
#   (downgrade: B's destructor frees A's values), disable and unload all
# - afterwards the id holds nothing: A allocates afresh, refcount 1

start_test "$CYCLES load, replace and unload cycles leave nothing behind"

cycle_log() {
	echo "% insmod test_modules/$MOD_A.ko
livepatch: enabling patch '$MOD_A'
livepatch: '$MOD_A': initializing patching transition
livepatch: shadow id 90 ('counter'): referenced by $MOD_A/vmlinux, refcount 1
livepatch: '$MOD_A': starting patching transition
livepatch: '$MOD_A': completing patching transition
$MOD_A: post_patch: <0> allocated value 11
$MOD_A: post_patch: <1> allocated value 12
$MOD_A: post_patch: <2> allocated value 13
livepatch: '$MOD_A': patching complete
% insmod test_modules/$MOD_B.ko
livepatch: enabling patch '$MOD_B'
livepatch: '$MOD_B': initializing patching transition
livepatch: shadow id 90 ('counter'): referenced by $MOD_B/vmlinux, refcount 2
livepatch: '$MOD_B': starting patching transition
livepatch: '$MOD_B': completing patching transition
livepatch: shadow id 90 ('counter'): released by $MOD_A/vmlinux, refcount 1
$MOD_B: post_patch: <0> found value 11
$MOD_B: post_patch: <1> found value 12
$MOD_B: post_patch: <2> found value 13
livepatch: '$MOD_B': patching complete
% rmmod $MOD_A
% insmod test_modules/$MOD_C.ko
livepatch: enabling patch '$MOD_C'
livepatch: '$MOD_C': initializing patching transition
livepatch: '$MOD_C': starting patching transition
livepatch: '$MOD_C': completing patching transition
livepatch: shadow id 90 ('counter'): released by $MOD_B/vmlinux, refcount 0
livepatch: '$MOD_C': patching complete
$MOD_B: dtor <2> value 13
$MOD_B: dtor <1> value 12
$MOD_B: dtor <0> value 11
livepatch: shadow id 90 ('counter'): 3 variables freed
% rmmod $MOD_B
% echo 0 > /sys/kernel/livepatch/$MOD_C/enabled
livepatch: '$MOD_C': initializing unpatching transition
livepatch: '$MOD_C': starting unpatching transition
livepatch: '$MOD_C': completing unpatching transition
livepatch: '$MOD_C': unpatching complete
% rmmod $MOD_C"
}

expect=""
for _ in $(seq "$CYCLES"); do
	load_lp $MOD_A
	load_lp $MOD_B
	unload_lp $MOD_A
	load_lp $MOD_C
	unload_lp $MOD_B
	disable_lp $MOD_C
	unload_lp $MOD_C
	expect+="$(cycle_log)"$'\n'
done
check_shadow_registry 90

load_lp $MOD_A
check_shadow_type $MOD_A vmlinux 90 counter 1 3 12 $MOD_A/vmlinux
disable_lp $MOD_A
unload_lp $MOD_A

check_result "$expect% insmod test_modules/$MOD_A.ko
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


# - typed access to a type nobody references fails and allocates
#   nothing; the get finds nothing even where the id-based API made a
#   variable of the type's id, and does not warn; the first typed
#   allocation warns, once for the type; get_or_alloc does not return
#   the id-based variable; the typed free frees nothing

start_test "typed access without a reference fails, with one warning for the type"

load_mod $MOD_NOREF
check_shadow_registry 92
unload_mod $MOD_NOREF

NOREF_HINT="list it in klp_object.shadow_types or call klp_shadow_register()"
check_result "% insmod test_modules/$MOD_NOREF.ko
$MOD_NOREF: typed get failed
livepatch: shadow id 92 ('unreferenced') used without a reference: $NOREF_HINT
$MOD_NOREF: typed alloc on a parent of its own failed
$MOD_NOREF: typed get_or_alloc on a parent of its own failed
$MOD_NOREF: typed get_or_alloc beside the id-based variable failed
$MOD_NOREF: id-based get finds its own variable after the typed free
% rmmod $MOD_NOREF"

exit 0
