#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark module of make bench (tests/bench), run once at a small
# population: not its times, which belong to make bench, but that it
# measures what it says it does.

load ../test_helper/common

BENCH=$KLP_STAGE/bench/klp_shadow_bench.ko

teardown() {
	rmmod klp_shadow_bench 2>/dev/null || true
}

# id_counts ID: "refcount live" of ID in the registry, or nothing.
id_counts() {
	awk -v id="$1" 'NR > 1 && $1 == id { print $3, $4 }' \
		/sys/kernel/debug/livepatch/shadow/types
}

@test "the benchmark module reports every figure, finds what it looks up, and walks its whole floor chain" {
	local fig

	dmesg -C
	run insmod "$BENCH" nr=1000 rounds=1
	assert_success
	run dmesg
	for fig in populate_ns get_hit_ns get_miss_ns alloc_ns free_ns floor_ns floor_call_ns \
		typed_get_hit_ns; do
		assert_line --regexp "klp_shadow_bench: 1000 $fig [0-9]+\.[0-9][0-9]$"
	done
	for fig in collect_1_ns typed_collect_1_ns synchronize_rcu_ns; do
		assert_line --regexp "klp_shadow_bench: 1000 $fig [0-9]+$"
	done
	# The lookups check what they find; the floor's chain must be one
	# cycle through every cell, and its memory there.
	refute_line --regexp 'klp_shadow_bench: .*(found|broken|no memory)'
}

@test "the benchmark module makes its variables through their type, and its collect frees them all" {
	dmesg -C
	run insmod "$BENCH" nr=1000 rounds=1
	assert_success
	# 0x6b01: BENCH_ID_BULK
	run id_counts 27393
	assert_output "1 1000"
	echo 1 > /sys/module/klp_shadow_bench/parameters/collect
	run id_counts 27393
	assert_output ""
	run dmesg
	assert_line --regexp 'klp_shadow_bench: 1000 collect_all_ns [0-9]+$'
}

@test "the benchmark module's controls: kfree frees what kalloc made, busy returns" {
	run insmod "$BENCH" nr=1000 rounds=1
	assert_success
	run bash -c 'echo 1 > /sys/module/klp_shadow_bench/parameters/kfree'
	assert_failure
	echo 1 > /sys/module/klp_shadow_bench/parameters/kalloc
	run bash -c 'echo 1 > /sys/module/klp_shadow_bench/parameters/kalloc'
	assert_failure
	echo 1 > /sys/module/klp_shadow_bench/parameters/kfree
	echo 1 > /sys/module/klp_shadow_bench/parameters/busy
}

@test "the benchmark module times a control of cross-page calls beside each phase, and keeps a session no slower than its slowest" {
	local fig kept slowest n

	dmesg -C
	run insmod "$BENCH" nr=1000 rounds=1 sessions=3
	assert_success
	run dmesg
	for fig in cross_ns cross_slowest_ns alloc_cross_ns; do
		assert_line --regexp "klp_shadow_bench: 1000 $fig [0-9]+\.[0-9][0-9]$"
	done
	# It loads only with the control's function on a page of its own and
	# the floor's step on its caller's.
	refute_line --regexp 'klp_shadow_bench: .*(found|broken|no memory|page)'
	kept=$(sed -n 's/.*klp_shadow_bench: 1000 cross_ns \([0-9]*\)\.\([0-9]*\)$/\1\2/p' <<< "$output")
	slowest=$(sed -n 's/.*klp_shadow_bench: 1000 cross_slowest_ns \([0-9]*\)\.\([0-9]*\)$/\1\2/p' <<< "$output")
	[ "$((10#$kept))" -le "$((10#$slowest))" ] ||
		fail "kept session's control $kept, slowest session's $slowest (hundredths of a ns)"
	rmmod klp_shadow_bench
	# One session at least, at most 15: a bound on a load's time.
	for n in 0 16; do
		run insmod "$BENCH" nr=1000 rounds=1 sessions=$n
		assert_failure
	done
}
