#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: build the pristine upstream 6.12 kernel (same linux-source,
# same config, none of our changes) and ours, both with the irqsoff tracer
# (harness/config/bench.config), boot them in turn in QEMU with the same
# benchmark module (tests/bench), and print a table of the figures (two:
# one timed, one instruction-clocked, below), the ratios, and last one
# "BENCH <name> <value>" line per figure; a ratio's line ends with its
# minimum and maximum over the passes. It also draws BENCHMARKS.png (ns per
# get against N: ours, upstream and the memory floor, bare and with a call
# per step).
#
# KLP_BENCH_SIZES (default "1000 16000 256000 1000000"), KLP_BENCH_PASSES
# (default 5: boots of each kernel, alternating ours and upstream),
# KLP_BENCH_LOADS (default 2: module loads per population in a boot) and
# KLP_BENCH_ROUNDS (default 5: rounds per figure inside a session of a
# load) tune the run, and KLP_BENCH_VCPUS (default 1) the guests' CPUs: under QEMU's
# single-threaded TCG (harness/vm.sh says why not multi-threaded) the
# vCPUs of a guest take turns on one host thread, so that a second one
# adds no parallelism, only time that passes for a vCPU while the other
# runs (noise in the timed loops). A load times the lookups, and the
# allocations and frees, in sessions at least 100 ms apart, and keeps for
# each figure the median over its rounds in the session whose slowest
# round of a control of the emulator's speed at calls to another page was
# the fastest (tests/bench says why). A pass's figure is the median over
# its loads of each load's; a figure is the median over the passes, and a
# ratio the median over the passes of each pass's ratio.
#
# KLP_BENCH_ICOUNT_PASSES (default 1) boots each kernel that many times
# more, with one vCPU, clocked by its instructions (QEMU -icount
# shift=0,sleep=off: the guest's clock advances one ns per instruction the
# vCPU runs, whatever the instruction, and jumps to the next timer when it
# idles; it stands still while the emulator translates code or the host
# runs something else): the kernels "ours-icount" and "upstream-icount".
# Their "ns" are instructions, not time: blind to caches, memory, and the
# cost of each instruction (each iteration of a rep-prefixed one counts
# as one). They hardly move from run to run (interrupts land at other
# points of a loop), and an IRQs-off section's "us" are the thousands of
# instructions run in it: the guest's code alone, without the emulator's
# stops that lengthen any section under TCG's wall clock.
# Results are kept in build/bench/.

set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

read -ra SIZES <<< "${KLP_BENCH_SIZES:-1000 16000 256000 1000000}"
PASSES=${KLP_BENCH_PASSES:-5}
LOADS=${KLP_BENCH_LOADS:-2}
ROUNDS=${KLP_BENCH_ROUNDS:-5}
VCPUS=${KLP_BENCH_VCPUS:-1}
ICOUNT_PASSES=${KLP_BENCH_ICOUNT_PASSES:-1}
OUT="$BUILD/bench"
UPSTREAM_SRC="$BUILD/src-upstream"

# A pristine checkout of the same source: a worktree of build/src's
# pristine commit, reset on every run.
upstream_source() {
	if [ ! -e "$UPSTREAM_SRC/.git" ]; then
		msg "checking out the pristine source in $UPSTREAM_SRC"
		git -C "$SRC" worktree prune
		git -C "$SRC" worktree add -q --detach "$UPSTREAM_SRC" HEAD
	fi
	git -C "$UPSTREAM_SRC" reset -q --hard "$(git -C "$SRC" rev-parse HEAD)"
	git -C "$UPSTREAM_SRC" clean -q -f -d -x
}

# run_vm NAME PASS OBJ ARGS...: the guest benchmark on the kernel of OBJ,
# clocked by its instructions if NAME ends in -icount.
run_vm() {
	local name=$1 pass=$2 obj=$3 attempt out icount='' vcpus=$VCPUS
	local accel=${KLP_VM_ACCEL:-}

	shift 3
	out="$OUT/$name-$pass"
	# One instruction counter serves every vCPU of a guest: one vCPU;
	# and -icount needs TCG.
	[[ "$name" != *-icount ]] || icount=0 vcpus=1 accel=''
	for attempt in $(seq 10); do
		msg "benchmarking $name, pass $pass (log: $out.log)"
		# vm.sh boots with tsc=reliable: no clocksource watchdog to
		# demote the TSC to jiffies (4 ms steps) when TCG runs late.
		OBJ=$obj KLP_VM_MEM=3G KLP_VM_SMP=$vcpus KLP_VM_ICOUNT=$icount \
			KLP_VM_ACCEL=$accel "$HARNESS/vm.sh" --timeout 3600 --out "$out" -- \
			"$HARNESS/guest/bench.sh" "$@" >"$out.log" 2>&1 && break
		grep -q '^BENCH-CLOCK' "$out/output" ||
			die "the $name benchmark failed: $out.log"
		msg "the guest's clock did not become the TSC (attempt $attempt): booting again"
	done
	grep -q '^BENCH-RAW ' "$out/output" || die "the $name benchmark has no results"
	grep '^BENCH-RAW ' "$out/output" | sed "s/^BENCH-RAW /$name $pass /" >> "$OUT/raw"
	grep '^BENCH-IRQOFF ' "$out/output" | sed "s/^BENCH-IRQOFF /$name pass $pass N=/" \
		>> "$OUT/irqoff" || true
}

# median: the median of the numbers on stdin (of an even count, the mean
# of the two in the middle), or "-".
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) print "-"
		else if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# passes KERNEL: the passes of KERNEL in the raw figures.
passes() {
	awk -v k="$1" '$1 == k { print $2 }' "$OUT/raw" | sort -nu
}

# pfig KERNEL PASS N NAME: a pass's figure, the median over its loads, or "-".
pfig() {
	awk -v k="$1" -v p="$2" -v n="$3" -v f="$4" \
		'$1 == k && $2 == p && $3 == n && $4 == f { print $5 }' "$OUT/raw" | median
}

# fig KERNEL N NAME: the median over the passes of a figure, or "-".
fig() {
	local pass

	for pass in $(passes "$1"); do
		pfig "$1" "$pass" "$2" "$3"
	done | awk '$1 != "-"' | median
}

# loads KERNEL N NAME: the median of a figure over every load, or "-".
loads() {
	awk -v k="$1" -v n="$2" -v f="$3" '$1 == k && $3 == n && $4 == f { print $5 }' "$OUT/raw" |
		median
}

# count KERNEL N NAME: how many loads have the figure.
count() {
	awk -v k="$1" -v n="$2" -v f="$3" '$1 == k && $3 == n && $4 == f' "$OUT/raw" | wc -l
}

# div A B: A / B with three decimals, "-" if either is missing.
div() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.3f\n", a / b }'
}

# spread: "median min max" of the numbers on stdin ("-" ones left out), or
# "- - -".
spread() {
	awk '$1 != "-"' | sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) { print "- - -"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.3f %s %s\n", m, v[1], v[NR] }'
}

# ratio KA NA FA KB NB FB: the figure FA of kernel KA at NA over FB of KB
# at NB, pass by pass over KA's passes (one without either drops out): "median min max", or "- - -".
ratio() {
	local pass

	for pass in $(passes "$1"); do
		div "$(pfig "$1" "$pass" "$2" "$3")" "$(pfig "$4" "$pass" "$5" "$6")"
	done | spread
}

# paired NAME K N FIG: a BENCH line for a ratio the module measured itself,
# round by round side by side (FIG), spread over the passes of kernel K
# (a pass's figure: the median over its loads).
paired() {
	local name=$1 pass med lo hi

	read -r med lo hi <<< "$(for pass in $(passes "$2"); do
		pfig "$2" "$pass" "$3" "$4"
	done | spread)"
	echo "BENCH $name $med min $lo max $hi"
}

# bench NAME KA NA FA KB NB FB: a BENCH line for a ratio.
bench() {
	local name=$1 med lo hi

	shift
	read -r med lo hi <<< "$(ratio "$@")"
	echo "BENCH $name $med min $lo max $hi"
}

# vs_upstream NAME N FIG: a BENCH line for ours over upstream at N.
vs_upstream() {
	bench "$1" ours "$2" "$3" upstream "$2" "$3"
}

# bytes_per_var KERNEL N: growth of slab and vmalloc memory per variable
# while N live, in bytes (ours' larger bucket arrays are vmalloc'ed).
bytes_per_var() {
	awk -v g="$(fig "$1" "$2" slab_kb_growth)" -v v="$(fig "$1" "$2" vmalloc_kb_growth)" \
		-v n="$2" 'BEGIN {
		if (g == "-" || v == "-") print "-"; else printf "%.1f\n", (g + v) * 1024 / n }'
}

# print_table [SUFFIX]: the figures of "ours" and "upstream", or of
# "ours-icount" and "upstream-icount" with SUFFIX -icount.
print_table() {
	local sfx=${1:-} f n o u med lo hi

	printf '%-22s %9s %12s %12s %8s %8s %8s\n' figure N ours upstream ours/up min max
	for f in populate_ns get_hit_ns get_miss_ns floor_ns floor_call_ns cross_ns cross_slowest_ns \
		 alloc_ns free_ns alloc_cross_ns collect_1_ns \
		 collect_all_ns irqoff_collect_max_us irqoff_populate_max_us irqoff_kfree_max_us \
		 irqoff_busy_max_us \
		 slab_kb_before slab_kb_after vmalloc_kb_growth bytes_per_var \
		 typed_get_hit_ns typed_collect_1_ns synchronize_rcu_ns; do
		for n in "${SIZES[@]}"; do
			if [ "$f" = bytes_per_var ]; then
				o=$(bytes_per_var "ours$sfx" "$n")
				u=$(bytes_per_var "upstream$sfx" "$n")
				med=$(div "$o" "$u") lo=- hi=-
			else
				o=$(fig "ours$sfx" "$n" "$f")
				u=$(fig "upstream$sfx" "$n" "$f")
				read -r med lo hi <<< "$(ratio "ours$sfx" "$n" "$f" \
					"upstream$sfx" "$n" "$f")"
			fi
			printf '%-22s %9s %12s %12s %8s %8s %8s\n' "$f" "$n" "$o" "$u" \
				"$med" "$lo" "$hi"
		done
	done
	[ -z "$sfx" ] || return 0
	for n in 10 "${SIZES[-1]}"; do
		printf '%-22s %9s %12s %12s\n' live_read_ns "$n" "$(fig ours "$n" live_read_ns)" -
	done
}

# jmpcache_report: for each kernel and each timed phase at 1k, the code
# addresses of the functions it calls that share a slot of QEMU's jump
# cache (harness/jmpcache.py): each pair a phase enters on every call costs
# it a lookup in the emulator's hash table of blocks, a layout's cost the
# instruction counts do not see and hardware does not pay.
jmpcache_report() {
	local kernel obj phase funcs

	for kernel in ours upstream; do
		obj=$BUILD/obj-bench
		[ "$kernel" = ours ] || obj=$BUILD/obj-upstream
		for phase in get alloc free; do
			# Ours inlines klp_shadow_get() around __klp_shadow_lookup(),
			# and the allocation into klp_shadow_alloc().
			case $kernel-$phase in
			ours-get) funcs="__klp_shadow_lookup" ;;
			upstream-get) funcs="klp_shadow_get" ;;
			ours-alloc) funcs="klp_shadow_alloc __kmalloc_noprof" ;;
			upstream-alloc)
				funcs="klp_shadow_alloc __klp_shadow_get_or_alloc __kmalloc_noprof" ;;
			*-free) funcs="klp_shadow_free kvfree_call_rcu" ;;
			esac
			# A report, not a figure: its failure does not end the run.
			# shellcheck disable=SC2086 # a list of names
			{ "$HARNESS/jmpcache.py" "$obj/vmlinux" $funcs \
				_raw_spin_lock_irqsave _raw_spin_unlock_irqrestore ||
				echo "jmpcache.py failed on $obj/vmlinux" >&2; } |
				sed "s/^/$kernel $phase /"
		done
	done
}

print_bench_lines() {
	local small=${SIZES[0]} big=${SIZES[-1]} n k

	vs_upstream get_1k_ours_over_upstream "$small" get_hit_ns
	vs_upstream get_miss_1k_ours_over_upstream "$small" get_miss_ns
	vs_upstream alloc_1k_ours_over_upstream "$small" alloc_ns
	vs_upstream free_1k_ours_over_upstream "$small" free_ns
	vs_upstream populate_1k_ours_over_upstream "$small" populate_ns
	# The control of the emulator's speed beside the gets and beside the
	# allocations: about 1 when both kernels' kept sessions ran in the
	# same state of the emulator, so that their ratios above compare.
	vs_upstream cross_1k_ours_over_upstream "$small" cross_ns
	vs_upstream alloc_cross_1k_ours_over_upstream "$small" alloc_cross_ns
	for n in "$small" "$big"; do
		paired "typed_get_over_get_${n}_ours" ours "$n" typed_get_over_get
	done
	for n in "${SIZES[@]}"; do
		for k in ours upstream; do
			paired "get_over_floor_${n}_$k" "$k" "$n" get_over_floor
		done
	done
	# The floor with a call per step: what a get costs beyond the call
	# any lookup in a function of its own makes.
	for n in "${SIZES[@]}"; do
		for k in ours upstream; do
			paired "get_over_floor_call_${n}_$k" "$k" "$n" get_over_floor_call
		done
	done
	bench get_1M_over_1k_ours ours "$big" get_hit_ns ours "$small" get_hit_ns
	bench get_1M_over_1k_upstream upstream "$big" get_hit_ns upstream "$small" get_hit_ns
	vs_upstream get_1M_ours_over_upstream "$big" get_hit_ns
	vs_upstream alloc_1M_ours_over_upstream "$big" alloc_ns
	vs_upstream free_1M_ours_over_upstream "$big" free_ns
	vs_upstream collect_1_of_1M_ours_over_upstream "$big" collect_1_ns
	vs_upstream collect_1M_ours_over_upstream "$big" collect_all_ns
	for n in "$small" "$big"; do
		bench "typed_collect_1_over_synchronize_rcu_${n}_ours" \
			ours "$n" typed_collect_1_ns ours "$n" synchronize_rcu_ns
	done
	# Sections are judged load by load: the median of every load's
	# longest section, where it was the collection's own (under the
	# registry's lock), the slab allocator's under the collection, or the
	# resize's (in any of the four traced phases).
	echo "BENCH irqoff_max_us_collect_1M_ours $(loads ours "$big" irqoff_collect_us)" \
		"loads $(count ours "$big" irqoff_collect_us) of $(count ours "$big" irqoff_collect_max_us)"
	echo "BENCH irqoff_max_us_collect_1M_upstream $(loads upstream "$big" irqoff_collect_us)" \
		"loads $(count upstream "$big" irqoff_collect_us) of $(count upstream "$big" irqoff_collect_max_us)"
	echo "BENCH irqoff_max_us_collect_alloc_1M_ours $(loads ours "$big" irqoff_collect_alloc_us)" \
		"loads $(count ours "$big" irqoff_collect_alloc_us) of $(count ours "$big" irqoff_collect_max_us)"
	echo "BENCH irqoff_max_us_resize_1M_ours $(loads ours "$big" irqoff_resize_us)" \
		"loads $(count ours "$big" irqoff_resize_us) of $(( $(count ours "$big" irqoff_collect_max_us) * 4 ))"
	# The controls: the longest section while the module frees as many
	# slab objects, without shadow variables, and while it holds IRQs
	# off in 20 us sections of nothing, whatever the section belonged to.
	for k in ours upstream; do
		echo "BENCH irqoff_max_us_kfree_1M_$k $(loads "$k" "$big" irqoff_kfree_max_us)" \
			"loads $(count "$k" "$big" irqoff_kfree_max_us)"
		echo "BENCH irqoff_max_us_busy_1M_$k $(loads "$k" "$big" irqoff_busy_max_us)" \
			"loads $(count "$k" "$big" irqoff_busy_max_us)"
	done
	bench live_read_1M_over_10_ours ours "$big" live_read_ns ours 10 live_read_ns
	echo "BENCH bytes_per_variable_ours $(bytes_per_var ours "$big")"
	echo "BENCH bytes_per_variable_upstream $(bytes_per_var upstream "$big")"
	echo "BENCH bytes_per_variable_ours_over_upstream $(div "$(bytes_per_var ours "$big")" "$(bytes_per_var upstream "$big")")"
}

# print_icount_lines: BENCH lines of the guests clocked by their
# instructions, named icount_*: the 1k ratios in instructions, and the
# IRQs-off sections of the guest's code alone.
print_icount_lines() {
	local small=${SIZES[0]} big=${SIZES[-1]} f n k

	for f in get:get_hit_ns get_miss:get_miss_ns alloc:alloc_ns free:free_ns \
		 populate:populate_ns; do
		bench "icount_${f%%:*}_1k_ours_over_upstream" ours-icount "$small" "${f#*:}" \
			upstream-icount "$small" "${f#*:}"
	done
	for n in "$small" "$big"; do
		bench "icount_typed_get_over_get_${n}_ours" ours-icount "$n" typed_get_hit_ns \
			ours-icount "$n" get_hit_ns
	done
	# The longest section of the collection's phase, whatever it was,
	# bounds the collection's own from above when another was longer.
	echo "BENCH icount_irqoff_max_us_collect_phase_1M_ours" \
		"$(loads ours-icount "$big" irqoff_collect_max_us)" \
		"loads $(count ours-icount "$big" irqoff_collect_max_us)"
	for k in ours upstream; do
		echo "BENCH icount_irqoff_max_us_collect_1M_$k" \
			"$(loads "$k-icount" "$big" irqoff_collect_us)" \
			"loads $(count "$k-icount" "$big" irqoff_collect_us)" \
			"of $(count "$k-icount" "$big" irqoff_collect_max_us)"
	done
	echo "BENCH icount_irqoff_max_us_collect_alloc_1M_ours" \
		"$(loads ours-icount "$big" irqoff_collect_alloc_us)" \
		"loads $(count ours-icount "$big" irqoff_collect_alloc_us)" \
		"of $(count ours-icount "$big" irqoff_collect_max_us)"
	echo "BENCH icount_irqoff_max_us_resize_1M_ours $(loads ours-icount "$big" irqoff_resize_us)" \
		"loads $(count ours-icount "$big" irqoff_resize_us)" \
		"of $(( $(count ours-icount "$big" irqoff_collect_max_us) * 4 ))"
	for k in ours upstream; do
		for f in populate kfree busy; do
			echo "BENCH icount_irqoff_max_us_${f}_1M_$k" \
				"$(loads "$k-icount" "$big" "irqoff_${f}_max_us")" \
				"loads $(count "$k-icount" "$big" "irqoff_${f}_max_us")"
		done
	done
}

# plot: ns per get against N, log-log, for ours, upstream and the floor
# (bare, and with a call per step).
plot() {
	local n

	if ! command -v gnuplot >/dev/null; then
		msg "no gnuplot: no plot"
		return
	fi
	for n in "${SIZES[@]}"; do
		echo "$n $(fig ours "$n" get_hit_ns) $(fig upstream "$n" get_hit_ns)" \
			"$(fig ours "$n" floor_ns) $(fig ours "$n" get_miss_ns)" \
			"$(fig ours "$n" floor_call_ns)"
	done | awk '$2 > 0 && $3 > 0 && $4 > 0 && $5 > 0 && $6 > 0' > "$OUT/get.dat"
	if [ ! -s "$OUT/get.dat" ]; then
		msg "no timed figures: no plot"
		return
	fi
	gnuplot <<-EOF
		set terminal pngcairo size 800,560 font ",11"
		set output "$TOP/BENCHMARKS.png"
		set logscale xy
		set xlabel "variables (N)"
		set ylabel "ns per klp_shadow_get() (QEMU TCG)" noenhanced
		set key top left
		set grid
		plot "$OUT/get.dat" using 1:3 with linespoints title "upstream 6.12, hit", \
		     "" using 1:2 with linespoints title "ours, hit", \
		     "" using 1:5 with linespoints title "ours, miss", \
		     "" using 1:6 with linespoints dashtype 3 title "floor with a call per step", \
		     "" using 1:4 with linespoints dashtype 2 title "floor: a bucket and a variable, dependent loads"
	EOF
	msg "plot: $TOP/BENCHMARKS.png"
}

main() {
	local ours="$BUILD/obj-bench" up="$BUILD/obj-upstream" pass

	lock_tree
	"$HARNESS/deps.sh" gnuplot-nox
	"$HARNESS/ksrc.sh"
	"$HARNESS/kbuild.sh"
	msg "building our kernel with the irqsoff tracer"
	OBJ=$ours "$HARNESS/kbuild.sh" base.config livepatch.config bench.config
	upstream_source
	msg "building the upstream kernel"
	SRC=$UPSTREAM_SRC OBJ=$up "$HARNESS/kbuild.sh" base.config livepatch.config \
		upstream.config bench.config

	rm -rf "$OUT"
	mkdir -p "$OUT"
	for pass in $(seq "$PASSES"); do
		run_vm ours "$pass" "$ours" "$ours/stage/bench/klp_shadow_bench.ko" "$LOADS" \
			"$ROUNDS" "${SIZES[@]}" \
			-- "$ours/stage/selftests/test_modules/test_klp_shadow_bulk.ko"
		run_vm upstream "$pass" "$up" "$up/stage/bench/klp_shadow_bench.ko" "$LOADS" \
			"$ROUNDS" "${SIZES[@]}"
	done
	for pass in $(seq "$ICOUNT_PASSES"); do
		run_vm ours-icount "$pass" "$ours" "$ours/stage/bench/klp_shadow_bench.ko" \
			"$LOADS" "$ROUNDS" "${SIZES[@]}"
		run_vm upstream-icount "$pass" "$up" "$up/stage/bench/klp_shadow_bench.ko" \
			"$LOADS" "$ROUNDS" "${SIZES[@]}"
	done
	echo
	echo "Shadow variables, ours against upstream $(kernel_release), QEMU TCG, $VCPUS vCPU(s);"
	echo "$PASSES passes, alternating boots; in a pass, medians over $LOADS module loads"
	echo "of medians of $ROUNDS rounds (for the lookups and the allocations, in the"
	echo "session a load kept); figures and ratios are medians over the passes"
	echo "(times in ns unless named _us; bytes per variable from the Slab line of"
	echo "/proc/meminfo):"
	echo
	print_table | tee "$OUT/table"
	if [ "$ICOUNT_PASSES" -gt 0 ]; then
		echo
		echo "The same, $ICOUNT_PASSES pass(es) in guests clocked by their instructions"
		echo "(QEMU -icount shift=0: a \"ns\" is an instruction, caches and memory unseen;"
		echo "figures that wait, a grace period say, count the timer ticks they idle to):"
		echo
		print_table -icount | tee "$OUT/table-icount"
	fi
	echo
	echo "The longest IRQs-off section of each traced phase (irqsoff tracer; the"
	echo "-icount kernels' \"us\" are thousands of instructions):"
	cat "$OUT/irqoff"
	echo
	echo "Code addresses of each timed phase's calls that share a slot of QEMU's"
	echo "jump cache (harness/jmpcache.py; entered on every call, such a pair costs"
	echo "each a lookup in the emulator's hash table of blocks; on an error path,"
	echo "nothing):"
	jmpcache_report | tee "$OUT/jmpcache"
	echo
	plot
	echo
	{
		print_bench_lines
		[ "$ICOUNT_PASSES" -eq 0 ] || print_icount_lines
	} | tee "$OUT/bench"
}

# Sourced by tests/bats/host/bench-harness.bats for its medians and
# ratios; run, it benchmarks.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main
fi
