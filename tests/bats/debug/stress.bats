#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# On the debug kernel, for KLP_STRESS_ROUNDS (3) rounds: klp_shadow_stress's
# threads get, allocate and free shadow variables by id and by type on
# 1024 parents while its registrar takes and drops the only reference on
# its type, and this loop enables, atomically replaces (hand-over, then
# downgrade), disables and unloads the test livepatches and loads and
# unloads the target module of another, while a reader reads every
# shadow_types file in sysfs and another runs klp-shadow -j list, over and
# over (KASAN sees a read of a directory freed under it). At the end
# nothing is left: no live variable, no reference, every typed variable
# constructed was destroyed; the debug stage fails on any kernel report.

load ../test_helper/common
load ../test_helper/livepatch

STRESS="$KLP_STAGE/modules/klp_shadow_stress.ko"
TYPES=/sys/kernel/debug/livepatch/shadow/types

setup() {
	in_guest || skip "runs in the VM of the debug stage"
}

KS=${KLP_SHADOW:-$KLP_TOP/build/klp-shadow/klp-shadow}

# sysfs_reader STOP OUT: until STOP exists, read every file of every
# shadow_types directory, which come and go with the patches; then write
# to OUT how many reads worked and how many failed (a file that went).
# Reads are the shell's own (no process each); a pause between passes
# leaves the stress threads and the transitions their share of the CPUs.
# The readers run in the background of a test, under its errexit: they
# turn it off, as their failures are what they count.
sysfs_reader() {
	local ok=0 gone=0 f opened

	set +e
	trap - ERR
	while [ ! -e "$1" ]; do
		for f in /sys/kernel/livepatch/*/*/shadow_types/*/*; do
			opened=0
			# The body runs only if the file could be opened.
			{ opened=1; read -r -d '' _ || true; } 2>/dev/null < "$f"
			if [ $opened = 1 ]; then
				ok=$((ok + 1))
			else
				gone=$((gone + 1))
			fi
		done
		lp_sleep 0.2
	done
	echo "$ok $gone" > "$2"
}

# tool_reader STOP OUT: until STOP exists, run klp-shadow -j list; then
# write to OUT how many runs there were and how many a signal killed.
tool_reader() {
	local runs=0 killed=0 rc

	set +e
	trap - ERR
	while [ ! -e "$1" ]; do
		rc=0
		"$KS" -j list > /dev/null 2>&1 || rc=$?
		runs=$((runs + 1))
		[ "$rc" -lt 128 ] || killed=$((killed + 1))
		lp_sleep 1
	done
	echo "$runs $killed" > "$2"
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

@test "shadow variables used from threads and read through sysfs while livepatches come and go leave nothing behind" {
	local want=${KLP_STRESS_ROUNDS:-3} stop="$BATS_TEST_TMPDIR/stop"
	local rounds start line ops cycles made gone baseline types reads runs killed

	[ -x "$KS" ] || fail "no $KS"
	lp_slurp baseline "$TYPES"
	insmod "$STRESS" || fail "cannot load $STRESS"
	sysfs_reader "$stop" "$BATS_TEST_TMPDIR/sysfs" &
	tool_reader "$stop" "$BATS_TEST_TMPDIR/tool" &
	start=$SECONDS
	for ((rounds = 0; rounds < want; rounds++)); do
		lp_round || { touch "$stop"; wait; fail "livepatch round $((rounds + 1)) failed"; }
	done
	touch "$stop"
	wait
	rmmod klp_shadow_stress || fail "cannot unload klp_shadow_stress"
	read -r reads gone < "$BATS_TEST_TMPDIR/sysfs"
	read -r runs killed < "$BATS_TEST_TMPDIR/tool"
	echo "# stress: sysfs read $reads times ($gone files gone while read), klp-shadow -j list ran $runs times" >&3
	[ "$reads" -gt 0 ] && [ "$runs" -gt 0 ] || fail "the readers did not read: $reads reads, $runs runs"
	[ "$killed" = 0 ] || fail "klp-shadow -j list was killed by a signal $killed times"

	line=$(dmesg | grep -o 'klp_shadow_stress: [0-9]* operations.*' | tail -n 1)
	[ -n "$line" ] || fail "no counts from klp_shadow_stress"
	read -r ops cycles made gone < <(echo "$line" |
		sed -E 's/.*: ([0-9]+) operations, ([0-9]+) register cycles; typed variables constructed ([0-9]+), destroyed ([0-9]+)/\1 \2 \3 \4/')
	echo "# stress: $ops operations, $cycles register cycles, $rounds livepatch rounds in $((SECONDS - start)) s; typed variables constructed $made, destroyed $gone" >&3
	[ "$made" = "$gone" ] || fail "typed variables constructed $made, destroyed $gone"
	[ "$ops" -gt 0 ] && [ "$cycles" -gt 0 ] && [ "$rounds" -ge 3 ] ||
		fail "too little happened: $line, $rounds rounds"
	# Nothing is left in the registry: the ids of the patches (90, 91)
	# and of klp_shadow_stress (95) are gone, the rest as before.
	lp_slurp types "$TYPES"
	[ "$types" = "$baseline" ] || fail "the registry changed: $types"
	run printf '%s' "$types"
	refute_line --regexp '^(90|91|95) '
}
