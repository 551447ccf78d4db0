#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The shadow variable samples (samples/livepatch/livepatch-shadow-*), as
# converted to shadow types, loaded and used as make demo shows them: fix1
# lists "leak" (id 1), fix2 "leak" and "counter" (id 2). Disabling fix2
# collects the counters, disabling fix1 then the leaks, each through its
# destructor.

load ../test_helper/common
load ../test_helper/livepatch

TYPES=/sys/kernel/debug/livepatch/shadow/types
FIX1=livepatch_shadow_fix1
FIX2=livepatch_shadow_fix2
MOD=livepatch_shadow_mod

DYNDBG=/sys/kernel/debug/dynamic_debug/control

# The registry's reference and collection messages are pr_debug().
setup() {
	echo 'file kernel/livepatch/shadow.c +p' > "$DYNDBG"
}

teardown() {
	echo 'file kernel/livepatch/shadow.c -p' > "$DYNDBG"
	lp_gone "$FIX2"
	lp_gone "$FIX1"
	if grep -q "^$MOD " /proc/modules; then
		rmmod "$MOD"
	fi
}

sample() {
	modprobe -d "$KLP_MODROOT" "$1"
}

# live ID: the registry's live variables of ID, 0 if it has no line.
live() {
	awk -v id="$1" 'NR > 1 && $1 == id { print $4; found = 1 } END { if (!found) print 0 }' "$TYPES"
}

# freed_since MARK ID: the variables of ID the registry said it freed since MARK.
freed_since() {
	dmesg | sed -n "/klp-samples: $1\$/,\$p" |
		sed -n "s/.*shadow id $2 ('[a-z]*'): \\([0-9]*\\) variables freed/\\1/p"
}

@test "the samples' fixes hold their types while enabled and their variables go through the destructor" {
	local i leaks dtors

	sample livepatch-shadow-mod
	sample livepatch-shadow-fix1
	lp_wait_transition "$FIX1"
	sample livepatch-shadow-fix2
	lp_wait_transition "$FIX2"
	# The module allocates a dummy a second, fix1 a leak variable for
	# each, fix2 a counter on each check (every 3 s).
	for ((i = 0; i < 300; i++)); do
		[ "$(live 1)" -gt 0 ] && [ "$(live 2)" -gt 0 ] && break
		sleep 0.1
	done
	[ "$(live 1)" -gt 0 ] || fail "no leak variable: $(cat "$TYPES")"
	[ "$(live 2)" -gt 0 ] || fail "no counter variable: $(cat "$TYPES")"

	run cat "$LP_SYSFS/$FIX1/$MOD/shadow_types/1/name" "$LP_SYSFS/$FIX1/$MOD/shadow_types/1/refcount" \
		"$LP_SYSFS/$FIX1/$MOD/shadow_types/1/owners"
	assert_output "leak
2
$FIX1/$MOD
$FIX2/$MOD"
	run cat "$LP_SYSFS/$FIX2/$MOD/shadow_types/2/name" "$LP_SYSFS/$FIX2/$MOD/shadow_types/2/refcount" \
		"$LP_SYSFS/$FIX2/$MOD/shadow_types/2/owners"
	assert_output "counter
1
$FIX2/$MOD"

	echo "klp-samples: fix2" > /dev/kmsg
	lp_gone "$FIX2"
	run freed_since fix2 2
	assert_output --regexp '^[1-9][0-9]*$'
	[ "$(live 2)" = 0 ] || fail "counters left after fix2: $(cat "$TYPES")"
	[ "$(cat "$LP_SYSFS/$FIX1/$MOD/shadow_types/1/refcount")" = 1 ]
	[ "$(live 1)" -gt 0 ] || fail "fix1's leaks went with fix2: $(cat "$TYPES")"

	echo "klp-samples: fix1" > /dev/kmsg
	lp_gone "$FIX1"
	leaks=$(freed_since fix1 1)
	[ -n "$leaks" ] && [ "$leaks" -gt 0 ] || fail "no leak variable freed after fix1"
	# Every variable the collection freed went through the destructor:
	# its calls come between the release of the last reference, after
	# every task left fix1's code, and the count of variables freed.
	dtors=$(dmesg | sed -n '/klp-samples: fix1$/,$p' |
		sed -n "/shadow id 1 ('leak'): released by $FIX1\/$MOD, refcount 0/,/shadow id 1 ('leak'): [0-9]* variables freed/p" |
		grep -c 'prevented leak')
	assert_equal "$dtors" "$leaks"
	[ "$(live 1)" = 0 ] || fail "leaks left after fix1: $(cat "$TYPES")"
	rmmod "$MOD"
}
