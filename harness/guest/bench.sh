#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench, inside the VM: load the benchmark module at each population,
# LOADS times over, and print "BENCH-RAW <N> <name> <value>" lines for
# harness/bench.sh (one per load; it keeps the median).
#
# Usage: bench.sh MODULE LOADS ROUNDS N... [-- BULK_MODULE]
#   MODULE       klp_shadow_bench.ko built for the running kernel
#   LOADS        passes over the populations, each a fresh module load
#   ROUNDS       rounds per figure inside one load (its median is printed)
#   BULK_MODULE  test_klp_shadow_bulk.ko (ours only): times reading "live"
#                in sysfs at 10 and at the largest N variables

set -euo pipefail

TRACING=/sys/kernel/tracing

slab_kb() {
	awk '/^Slab:/ { print $2 }' /proc/meminfo
}

vmalloc_kb() {
	awk '/^VmallocUsed:/ { print $2 }' /proc/meminfo
}

raw() {
	echo "BENCH-RAW $*"
}

# section_of TRACE: what the longest IRQs-off section of TRACE, the
# irqsoff tracer's trace file, belongs to, from the functions it started
# and ended in and the stack where it ended:
#   irq     an interrupt: it started in irqentry_enter, or ended in an
#           entry or exit of one, or its stack goes through one (the
#           unwinder often goes on into whatever it interrupted instead);
#   resize  the table's resize worker, the static key it flips included
#           (its last call, a tail call, leaves no frame of its own);
#   alloc   the slab or page allocator, the function it ended in or its
#           innermost frame theirs, under the shadow variable code the
#           module called (the collection's kfree(), say): a lower bound,
#           as a tail call can hide theirs;
#   own     the registry's own lock, in that code (a collection, an
#           allocation): an upper bound, for the same reason;
#   other   anything else (another task).
section_of() {
	local t=$1 frames ended alloc

	frames=$(sed -n 's/^ => \([^ ]*\).*/\1/p' "$t")
	ended=$(sed -n 's/^#  => ended at: *\([^ ]*\).*/\1/p' "$t")
	alloc='^_*\(kfree\|kmalloc\|kmem_cache_\|slab_\|put_cpu_partial\|free_pcppages_bulk\|free_unref_\|free_one_page\|rmqueue\|get_page_from_freelist\)'
	if grep -q -e '^#  => started at: *irqentry_enter' \
		-e '^#  => ended at: *\(asm_\|irqentry_exit\)' "$t" ||
		grep -q '^\(asm_sysvec_\|asm_common_interrupt\|irq_exit\)' <<< "$frames"; then
		echo irq
	elif grep -q '^klp_shadow_resize_fn$' <<< "$frames" ||
		grep -A1 '^static_key_\(en\|dis\)able' <<< "$frames" |
		grep -q '^process_one_work$'; then
		echo resize
	elif grep -q '^_*\(klp_shadow_\|bench_\)' <<< "$frames"; then
		if grep -q "$alloc" <<< "$ended" ||
			grep -v -m 1 '^\(trace_hardirqs_\|_raw_spin_unlock\)' <<< "$frames" |
			grep -q "$alloc"; then
			echo alloc
		else
			echo own
		fi
	else
		echo other
	fi
}

# traced PHASE N: write to the module's PHASE parameter under the irqsoff
# tracer, and report the longest section, where it was and whose it was.
traced() {
	local phase=$1 n=$2 lat who

	# No function tracing inside the sections: it would slow down every
	# call made with IRQs off, and so lengthen what it measures.
	echo 0 > "$TRACING/options/function-trace"
	echo 0 > "$TRACING/tracing_max_latency"
	echo irqsoff > "$TRACING/current_tracer"
	echo 1 > "$TRACING/tracing_on"
	echo 1 > "/sys/module/klp_shadow_bench/parameters/$phase"
	echo 0 > "$TRACING/tracing_on"
	lat=$(cat "$TRACING/tracing_max_latency")
	who=$(section_of "$TRACING/trace")
	# Where the longest section was: its task, first and last function.
	echo "BENCH-IRQOFF $n $phase ${lat} us in $who: $(sed -n 's/^#  *| task: \([^ ]*\).*/task \1,/p;
		s/^#  => started at: */started at /p; s/^#  => ended at: */ended at /p' \
		"$TRACING/trace" | tr '\n' ' ')stack $(sed -n 's/^ => \([^ ]*\).*/\1/p' \
		"$TRACING/trace" | head -n 8 | paste -s -d '<')"
	echo nop > "$TRACING/current_tracer"
	raw "$n" "irqoff_${phase}_max_us" "$lat"
	# The longest section of the collection or of a resize, when it is
	# the longest of the phase.
	if [ "$who" = resize ]; then
		raw "$n" irqoff_resize_us "$lat"
	elif [ "$phase" = collect ] && [ "$who" = own ]; then
		raw "$n" irqoff_collect_us "$lat"
	elif [ "$phase" = collect ] && [ "$who" = alloc ]; then
		raw "$n" irqoff_collect_alloc_us "$lat"
	fi
}

# run_size N: populate, measure, collect all under the irqsoff tracer,
# populate again under it, free as many slab objects under it, and hold
# IRQs off in short sections under it (the controls).
run_size() {
	local n=$1 before after vbefore vafter name

	sync
	echo 3 > /proc/sys/vm/drop_caches
	before=$(slab_kb)
	vbefore=$(vmalloc_kb)
	dmesg -C
	insmod "$mod" nr="$n" rounds="$rounds"
	# Let a resize the population started finish.
	sleep 1
	after=$(slab_kb)
	vafter=$(vmalloc_kb)
	raw "$n" slab_kb_before "$before"
	raw "$n" slab_kb_after "$after"
	raw "$n" slab_kb_growth "$((after - before))"
	raw "$n" vmalloc_kb_growth "$((vafter - vbefore))"
	dmesg | sed -n "s/.*klp_shadow_bench: $n \([a-z0-9_]*\) \([0-9.]*\)$/\1 \2/p" |
		while read -r name value; do raw "$n" "$name" "$value"; done

	traced collect "$n"
	dmesg | sed -n "s/.*klp_shadow_bench: $n collect_all_ns \([0-9]*\)$/\1/p" |
		while read -r value; do raw "$n" collect_all_ns "$value"; done
	# The variables again, untimed: the table grows as they come, once
	# the shrink the collection started is over.
	sleep 1
	traced populate "$n"
	# The control: as many slab objects freed, no shadow variable code,
	# once the table's growth is over.
	echo 1 > /sys/module/klp_shadow_bench/parameters/kalloc
	sleep 2
	traced kfree "$n"
	# And IRQs off in 20 us sections of nothing, as long as the
	# collection took: what the emulator adds to a section.
	traced busy "$n"
	rmmod klp_shadow_bench
}

# live_read N: ns per read of "live" with N variables of one type.
live_read() {
	local n=$1 live best="" ns start end i v

	insmod "$bulk" nr_vars="$n"
	live=/sys/kernel/livepatch/test_klp_shadow_bulk/vmlinux/shadow_types/95/live
	while [ "$(cat /sys/kernel/livepatch/test_klp_shadow_bulk/transition)" != 0 ]; do
		sleep 0.1
	done
	for _ in 1 2 3 4 5; do
		start=${EPOCHREALTIME/./}
		for ((i = 0; i < 1000; i++)); do
			read -r v < "$live"
		done
		end=${EPOCHREALTIME/./}
		# microseconds for 1000 reads: nanoseconds per read
		ns=$((end - start))
		if [ -z "$best" ] || [ "$ns" -lt "$best" ]; then
			best=$ns
		fi
	done
	[ "$v" = "$n" ] || echo "live read $v, expected $n" >&2
	echo 0 > /sys/kernel/livepatch/test_klp_shadow_bulk/enabled
	while [ -e /sys/kernel/livepatch/test_klp_shadow_bulk ]; do sleep 0.1; done
	rmmod test_klp_shadow_bulk
	raw "$n" live_read_ns "$best"
}

main() {
	local clock pass n

	mod=$1 loads=$2 rounds=$3
	shift 3
	sizes=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		sizes+=("$1")
		shift
	done
	bulk=${2:-}

	# Under TCG the TSC calibration against the PIT sometimes fails, and
	# the kernel falls back to jiffies: 4 ms steps. Say so; the host
	# boots again. The early TSC becomes the TSC once its calibration is
	# refined, a second after the clocksource initcall (a second more
	# each time a sample is disturbed): a guest clocked by its
	# instructions (harness/vm.sh, KLP_VM_ICOUNT) gets here sooner.
	for _ in $(seq 50); do
		clock=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
		[ "$clock" = tsc-early ] || break
		sleep 0.1
	done
	if [ "$clock" != tsc ]; then
		echo "BENCH-CLOCK $clock"
		exit 3
	fi
	echo "kernel $(uname -r): $(cat /proc/version)"
	# Passes, not loads in a row: a slow stretch of the host spreads over
	# every population instead of spoiling one.
	for ((pass = 1; pass <= loads; pass++)); do
		for n in "${sizes[@]}"; do
			run_size "$n"
		done
	done
	if [ -n "$bulk" ]; then
		live_read 10
		live_read "${sizes[-1]}"
	fi
}

# Sourced by tests/bats/host/bench-harness.bats for section_of; run, it
# measures.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
