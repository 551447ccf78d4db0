#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# make bench's arithmetic and attribution, without a VM: harness/bench.sh's
# medians and ratios over a raw file written here, and the guest script's
# section_of() over irqsoff traces written here in the tracer's format
# (header lines as Linux 6.12's latency trace prints them, then the stack
# where the section ended). The benchmark itself only runs in make bench.

load ../test_helper/common

setup() {
	# shellcheck source=harness/bench.sh
	. "$KLP_TOP/harness/bench.sh"
	# shellcheck source=harness/guest/bench.sh
	. "$KLP_TOP/harness/guest/bench.sh"
	# Their set -u, not for bats-assert.
	set +u
	OUT=$BATS_TEST_TMPDIR
	PASSES=3
}

# trace TASK STARTED ENDED FRAME...: an irqsoff trace of one section.
trace() {
	local f

	printf '# irqsoff latency trace v1.1.5 on 6.12.118\n'
	printf '# latency: 629 us, #4/4, CPU#0 | (M:none VP:0, KP:0, SP:0 HP:0 #P:1)\n'
	printf '#    -----------------\n'
	printf '#    | task: %s (uid:0 nice:0 policy:0 rt_prio:0)\n' "$1"
	printf '#    -----------------\n'
	printf '#  => started at: %s\n' "$2"
	printf '#  => ended at:   %s\n' "$3"
	printf '#\n'
	printf '%s   0d..1.    0us : %s <-x\n' "$1" "$2"
	printf '%s   0d..1.  631us : <stack trace>\n' "$1"
	shift 3
	for f; do
		printf ' => %s\n' "$f"
	done
}

# of TASK STARTED ENDED FRAME...: section_of() of that trace.
of() {
	trace "$@" > "$BATS_TEST_TMPDIR/trace"
	section_of "$BATS_TEST_TMPDIR/trace"
}

@test "an IRQs-off section that started on entry to an interrupt is the interrupt's" {
	run of bench.sh-100 irqentry_enter asm_sysvec_irq_work \
		bench_busy_set param_attr_store module_attr_store
	assert_output irq
	run of bench.sh-52 irqentry_enter irqentry_exit_to_user_mode asm_sysvec_irq_work
	assert_output irq
	# Ended anywhere, with an interrupt's entry on the stack.
	run of bench.sh-100 _raw_spin_lock_irqsave _raw_spin_unlock_irqrestore \
		klp_shadow_collect asm_sysvec_apic_timer_interrupt
	assert_output irq
}

@test "an IRQs-off section of the resize worker or of the static key it flips is the resize's" {
	run of kworker/u4:0-11 __text_poke __text_poke text_poke_bp_batch \
		text_poke_finish arch_jump_label_transform_apply \
		static_key_disable_cpuslocked static_key_disable klp_shadow_resize_fn \
		process_one_work worker_thread
	assert_output resize
	# The worker's last call, static_branch_enable(), is a tail call: no
	# frame of the worker is left.
	run of kworker/u4:0-11 __text_poke __text_poke text_poke_bp_batch \
		text_poke_finish arch_jump_label_transform_apply \
		static_key_enable_cpuslocked static_key_enable process_one_work \
		worker_thread kthread
	assert_output resize
	run of kworker/u4:1-40 _raw_spin_lock_irqsave _raw_spin_unlock_irqrestore \
		klp_shadow_resize_fn process_one_work worker_thread kthread
	assert_output resize
}

@test "an IRQs-off section of the registry's lock is its own, of the slab allocator under it the allocator's" {
	run of bench.sh-100 _raw_spin_lock_irqsave _raw_spin_unlock_irqrestore \
		klp_shadow_collect klp_shadow_debug_unregister bench_collect_set \
		param_attr_store
	assert_output own
	run of bench.sh-100 _raw_spin_lock_irqsave _raw_spin_unlock_irqrestore \
		__klp_shadow_get_or_alloc klp_shadow_type_alloc bench_populate.part.0
	assert_output own
	run of bench.sh-100 ___slab_alloc ___slab_alloc __kmalloc_noprof \
		__klp_shadow_get_or_alloc klp_shadow_type_alloc bench_populate.part.0
	assert_output alloc
	# The module's own frees, the kfree control's.
	run of bench.sh-100 _raw_spin_lock_irqsave _raw_spin_unlock_irqrestore \
		free_unref_page_commit free_unref_page vfree bench_kfree_set
	assert_output alloc
	# The slab allocator's own section, under the collection's frees:
	# kfree() and what it calls in between are gone from the stack.
	run of bench.sh-100 put_cpu_partial put_cpu_partial \
		klp_shadow_collection_end.part.0 klp_shadow_debug_unregister \
		bench_collect_set param_attr_store
	assert_output alloc
}

@test "an IRQs-off section of anything else is another's" {
	run of bench.sh-100 bench_busy_set bench_busy_set param_attr_store \
		module_attr_store kernfs_fop_write_iter vfs_write
	assert_output other
	run of rcu_preempt-15 _raw_spin_lock_irqsave _raw_spin_unlock_irqrestore \
		rcu_gp_init rcu_gp_kthread kthread
	assert_output other
}

# raw KERNEL PASS N FIGURE VALUE...: one line of build/bench/raw per value,
# a load each.
raw_lines() {
	local k=$1 p=$2 n=$3 f=$4 v

	shift 4
	for v; do
		echo "$k $p $n $f $v"
	done >> "$OUT/raw"
}

@test "a pass's figure is the median of its loads, a figure the median of its passes" {
	raw_lines ours 1 1000 get_hit_ns 30 10 20
	raw_lines ours 2 1000 get_hit_ns 40 44
	raw_lines ours 3 1000 get_hit_ns 7
	run pfig ours 1 1000 get_hit_ns
	assert_output 20
	run pfig ours 2 1000 get_hit_ns
	assert_output 42
	run fig ours 1000 get_hit_ns
	assert_output 20
	run pfig ours 1 1000 free_ns
	assert_equal "$output" -
	run loads ours 1000 get_hit_ns
	assert_output 25
}

@test "a ratio is the median of its passes' ratios, with their minimum and maximum" {
	raw_lines ours 1 1000 free_ns 120
	raw_lines ours 2 1000 free_ns 300
	raw_lines ours 3 1000 free_ns 90
	raw_lines upstream 1 1000 free_ns 100
	raw_lines upstream 2 1000 free_ns 200
	raw_lines upstream 3 1000 free_ns 100
	run ratio ours 1000 free_ns upstream 1000 free_ns
	assert_output "1.200 0.900 1.500"
	run bench free_1k_ours_over_upstream ours 1000 free_ns upstream 1000 free_ns
	assert_output "BENCH free_1k_ours_over_upstream 1.200 min 0.900 max 1.500"
	# A pass without the figure drops out of the ratio.
	raw_lines ours 1 1000 floor_ns 10
	raw_lines ours 3 1000 floor_ns 20
	run ratio ours 1000 free_ns ours 1000 floor_ns
	assert_output "8.250 4.500 12.000"
	run ratio ours 1000 alloc_ns upstream 1000 alloc_ns
	assert_output "- - -"
}

@test "a ratio the module measured round by round spreads over the passes' medians of their loads" {
	raw_lines ours 1 1000000 get_over_floor 1.3 1.1
	raw_lines ours 2 1000000 get_over_floor 2.0
	raw_lines ours 3 1000000 get_over_floor 1.0 1.4 0.9
	# Not the ratio of the figures of each pass.
	raw_lines ours 1 1000000 get_hit_ns 600
	raw_lines ours 1 1000000 floor_ns 300
	run paired get_over_floor_1000000_ours ours 1000000 get_over_floor
	assert_output "BENCH get_over_floor_1000000_ours 1.200 min 1.0 max 2.0"
	run paired get_over_floor_1000_ours ours 1000 get_over_floor
	assert_output "BENCH get_over_floor_1000_ours - min - max -"
}

@test "the instruction-clocked kernels' figures come from their own passes" {
	# Fewer than the timed ones, or more.
	PASSES=1
	raw_lines ours 1 1000 alloc_ns 400
	raw_lines ours 2 1000 alloc_ns 500
	raw_lines ours 3 1000 alloc_ns 600
	raw_lines upstream 1 1000 alloc_ns 400
	raw_lines upstream 2 1000 alloc_ns 400
	raw_lines upstream 3 1000 alloc_ns 400
	raw_lines ours-icount 1 1000 alloc_ns 330 320
	raw_lines ours-icount 2 1000 alloc_ns 360
	raw_lines upstream-icount 1 1000 alloc_ns 300
	raw_lines upstream-icount 2 1000 alloc_ns 300
	run passes ours-icount
	assert_output "1
2"
	run fig ours-icount 1000 alloc_ns
	assert_output 342.5
	run ratio ours-icount 1000 alloc_ns upstream-icount 1000 alloc_ns
	assert_output "1.141 1.083 1.200"
	run ratio ours 1000 alloc_ns upstream 1000 alloc_ns
	assert_output "1.250 1.000 1.500"
}

@test "the instruction-clocked IRQs-off lines bound the collection by its phase's longest section" {
	SIZES=(1000 1000000)
	# Load 1: the collection's own section was the longest; load 2: the
	# resize's was, longer; load 3: the allocator's under the collection.
	raw_lines ours-icount 1 1000000 irqoff_collect_max_us 300 445 200
	raw_lines ours-icount 1 1000000 irqoff_collect_us 300
	raw_lines ours-icount 1 1000000 irqoff_resize_us 445
	raw_lines ours-icount 1 1000000 irqoff_collect_alloc_us 200
	raw_lines ours-icount 1 1000000 irqoff_busy_max_us 21 21
	run print_icount_lines
	assert_line "BENCH icount_irqoff_max_us_collect_phase_1M_ours 300 loads 3"
	assert_line "BENCH icount_irqoff_max_us_collect_1M_ours 300 loads 1 of 3"
	assert_line "BENCH icount_irqoff_max_us_collect_alloc_1M_ours 200 loads 1 of 3"
	assert_line "BENCH icount_irqoff_max_us_resize_1M_ours 445 loads 1 of 12"
	assert_line "BENCH icount_irqoff_max_us_busy_1M_ours 21 loads 2"
	assert_line "BENCH icount_irqoff_max_us_collect_1M_upstream - loads 0 of 0"
}

@test "jmpcache.py names two return sites of a function that share a slot of QEMU's jump cache, not __fentry__'s" {
	local t=$BATS_TEST_TMPDIR

	# Return sites at +0x24 and +0x128 of a function at 0x...cf4e0, as
	# klp_shadow_free()'s after its lock and its kfree_rcu(): slot 0x310
	# (0x04 ^ 0x14 in page offsets 0x504 and 0x608 alike). The __fentry__
	# call's at +0x5, a NOP once booted, shares slot 0x336 with the one at
	# +0x42 (0x25 ^ 0x13, 0x22 ^ 0x14), which stands alone.
	cat > "$t/f.s" <<-'ASM'
		.text
		.globl f
		.type f, @function
	f:	call __fentry__
		.skip 0x1a, 0x90
		call g
		.skip 0x19, 0x90
		call g
		.skip 0xe1, 0x90
		call g
		ret
		.size f, .-f
		.globl g
		.type g, @function
	g:	ret
		.size g, .-g
		.globl __fentry__
		.type __fentry__, @function
	__fentry__:
		ret
		.size __fentry__, .-__fentry__
	ASM
	as -o "$t/f.o" "$t/f.s"
	ld -Ttext=0xffffffff810cf4e0 -e f -o "$t/f.elf" "$t/f.o"
	run "$KLP_TOP/harness/jmpcache.py" "$t/f.elf" f g
	assert_success
	assert_output 'slot 0x310: f+0x24 f+0x128'
	# A function it cannot find is named, and the others reported.
	run "$KLP_TOP/harness/jmpcache.py" "$t/f.elf" f absent
	assert_success
	assert_line --partial 'no absent in'
	assert_line 'slot 0x310: f+0x24 f+0x128'
	run "$KLP_TOP/harness/jmpcache.py" "$t/f.elf" absent
	assert_failure
	assert_output --partial 'none of absent'
}
