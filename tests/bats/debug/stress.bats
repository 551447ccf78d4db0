#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# On the debug kernel, for KLP_STRESS_SECONDS (60): klp_shadow_stress's
# threads get, allocate and free shadow variables by id and by type on
# 1024 parents while its registrar takes and drops the only reference on
# its type, and this loop enables, atomically replaces (hand-over, then
# downgrade), disables and unloads the test livepatches and loads and
# unloads the target module of another. At the end nothing is left: no
# live variable, no reference, every typed variable constructed was
# destroyed; the debug stage fails on any kernel report.

load ../test_helper/common
load ../test_helper/livepatch

STRESS="$KLP_STAGE/modules/klp_shadow_stress.ko"
TYPES=/sys/kernel/debug/livepatch/shadow/types

setup() {
	in_guest || skip "runs in the VM of the debug stage"
}

# One round: hand-over a -> b, downgrade b -> c, c disabled; f patching
# test_klp_shadow_mod while it comes and goes twice.
lp_round() {
	lp_load test_klp_shadow_a &&
	lp_load test_klp_shadow_b && lp_gone test_klp_shadow_a &&
	lp_load test_klp_shadow_c && lp_gone test_klp_shadow_b &&
	lp_gone test_klp_shadow_c &&
	lp_load test_klp_shadow_f &&
	insmod "$LP_MODULES/test_klp_shadow_mod.ko" && rmmod test_klp_shadow_mod &&
	insmod "$LP_MODULES/test_klp_shadow_mod.ko" && rmmod test_klp_shadow_mod &&
	lp_gone test_klp_shadow_f
}

@test "shadow variables used from threads while livepatches come and go leave nothing behind" {
	local seconds=${KLP_STRESS_SECONDS:-60} rounds=0 start line ops cycles made gone baseline

	baseline=$(cat "$TYPES")
	insmod "$STRESS" || fail "cannot load $STRESS"
	start=$SECONDS
	while [ $((SECONDS - start)) -lt "$seconds" ]; do
		lp_round || fail "livepatch round $((rounds + 1)) failed"
		rounds=$((rounds + 1))
	done
	rmmod klp_shadow_stress || fail "cannot unload klp_shadow_stress"

	line=$(dmesg | grep -o 'klp_shadow_stress: [0-9]* operations.*' | tail -n 1)
	[ -n "$line" ] || fail "no counts from klp_shadow_stress"
	read -r ops cycles made gone < <(echo "$line" |
		sed -E 's/.*: ([0-9]+) operations, ([0-9]+) register cycles; typed variables constructed ([0-9]+), destroyed ([0-9]+)/\1 \2 \3 \4/')
	echo "# stress: $ops operations, $cycles register cycles, $rounds livepatch rounds in $((SECONDS - start)) s; typed variables constructed $made, destroyed $gone" >&3
	[ "$made" = "$gone" ] || fail "typed variables constructed $made, destroyed $gone"
	[ "$ops" -gt 0 ] && [ "$cycles" -gt 0 ] && [ "$rounds" -gt 0 ] ||
		fail "nothing happened: $line, $rounds rounds"
	# Nothing is left in the registry: the ids of the patches (90, 91)
	# and of klp_shadow_stress (95) are gone, the rest as before.
	run cat "$TYPES"
	assert_output "$baseline"
	refute_line --regexp '^(90|91|95) '

}
