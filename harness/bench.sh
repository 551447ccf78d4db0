#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: build the pristine upstream 6.12 kernel (same linux-source,
# same config, none of our changes) and ours, both with the irqsoff tracer
# (harness/config/bench.config), boot each in QEMU with the same benchmark
# module (tests/bench), and print one table, the ratios, and last one
# "BENCH <name> <value>" line per figure.
#
# KLP_BENCH_SIZES (default "1000 16000 256000 1000000"), KLP_BENCH_LOADS
# (default 5: module loads per population) and KLP_BENCH_ROUNDS (default
# 5: rounds per figure inside a load) tune the run. Each figure is the
# median over the loads of each load's median over its rounds. Results
# are kept in build/bench/.

set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"
lock_tree

read -ra SIZES <<< "${KLP_BENCH_SIZES:-1000 16000 256000 1000000}"
LOADS=${KLP_BENCH_LOADS:-5}
ROUNDS=${KLP_BENCH_ROUNDS:-5}
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

# run_vm NAME OBJ ARGS...: the guest benchmark on the kernel of OBJ.
run_vm() {
	local name=$1 obj=$2 attempt

	shift 2
	for attempt in $(seq 10); do
		msg "benchmarking $name (log: $OUT/$name.log)"
		# vm.sh boots with tsc=reliable: no clocksource watchdog to
		# demote the TSC to jiffies (4 ms steps) when TCG runs late.
		OBJ=$obj KLP_VM_MEM=3G "$HARNESS/vm.sh" --timeout 3600 --out "$OUT/$name" -- \
			"$HARNESS/guest/bench.sh" "$@" >"$OUT/$name.log" 2>&1 && break
		grep -q '^BENCH-CLOCK' "$OUT/$name/output" ||
			die "the $name benchmark failed: $OUT/$name.log"
		msg "the guest's TSC did not calibrate (attempt $attempt): booting again"
	done
	grep -q '^BENCH-RAW ' "$OUT/$name/output" || die "the $name benchmark has no results"
	grep '^BENCH-RAW ' "$OUT/$name/output" | sed "s/^BENCH-RAW /$name /" >> "$OUT/raw"
	grep '^BENCH-IRQOFF ' "$OUT/$name/output" | sed "s/^BENCH-IRQOFF /$name N=/" >> "$OUT/irqoff" || true
}

# fig KERNEL N NAME: the median of a figure over the loads, or "-".
fig() {
	awk -v k="$1" -v n="$2" -v f="$3" '$1 == k && $2 == n && $3 == f { print $4 }' "$OUT/raw" |
		sort -g | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "-") }'
}

# div A B: A / B with three decimals, "-" if either is missing.
div() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.3f\n", a / b }'
}

# bytes_per_var KERNEL N: slab growth per variable while N live, in bytes.
bytes_per_var() {
	awk -v g="$(fig "$1" "$2" slab_kb_growth)" -v n="$2" 'BEGIN {
		if (g == "-") print "-"; else printf "%.1f\n", g * 1024 / n }'
}

print_table() {
	local f n o u

	printf '%-22s %9s %14s %14s %10s\n' figure N ours upstream ours/up
	for f in populate_ns get_hit_ns get_miss_ns alloc_ns free_ns collect_1_ns \
		 collect_all_ns irqoff_max_us slab_kb_before slab_kb_after bytes_per_var \
		 typed_get_hit_ns typed_collect_1_ns; do
		for n in "${SIZES[@]}"; do
			if [ "$f" = bytes_per_var ]; then
				o=$(bytes_per_var ours "$n")
				u=$(bytes_per_var upstream "$n")
			else
				o=$(fig ours "$n" "$f")
				u=$(fig upstream "$n" "$f")
			fi
			printf '%-22s %9s %14s %14s %10s\n' "$f" "$n" "$o" "$u" "$(div "$o" "$u")"
		done
	done
	for n in 10 "${SIZES[-1]}"; do
		printf '%-22s %9s %14s %14s %10s\n' live_read_ns "$n" "$(fig ours "$n" live_read_ns)" - -
	done
}

print_bench_lines() {
	local small=${SIZES[0]} big=${SIZES[-1]}

	echo "BENCH get_1M_over_1k_ours $(div "$(fig ours "$big" get_hit_ns)" "$(fig ours "$small" get_hit_ns)")"
	echo "BENCH get_1M_over_1k_upstream $(div "$(fig upstream "$big" get_hit_ns)" "$(fig upstream "$small" get_hit_ns)")"
	echo "BENCH get_1k_ours_over_upstream $(div "$(fig ours "$small" get_hit_ns)" "$(fig upstream "$small" get_hit_ns)")"
	echo "BENCH get_miss_1k_ours_over_upstream $(div "$(fig ours "$small" get_miss_ns)" "$(fig upstream "$small" get_miss_ns)")"
	echo "BENCH alloc_1k_ours_over_upstream $(div "$(fig ours "$small" alloc_ns)" "$(fig upstream "$small" alloc_ns)")"
	echo "BENCH free_1k_ours_over_upstream $(div "$(fig ours "$small" free_ns)" "$(fig upstream "$small" free_ns)")"
	echo "BENCH collect_1_of_1M_ours_over_upstream $(div "$(fig ours "$big" collect_1_ns)" "$(fig upstream "$big" collect_1_ns)")"
	echo "BENCH collect_1M_ours_over_upstream $(div "$(fig ours "$big" collect_all_ns)" "$(fig upstream "$big" collect_all_ns)")"
	echo "BENCH irqoff_max_us_collect_1M_ours $(fig ours "$big" irqoff_max_us)"
	echo "BENCH irqoff_max_us_collect_1M_upstream $(fig upstream "$big" irqoff_max_us)"
	echo "BENCH live_read_1M_over_10_ours $(div "$(fig ours "$big" live_read_ns)" "$(fig ours 10 live_read_ns)")"
	echo "BENCH bytes_per_variable_ours $(bytes_per_var ours "$big")"
	echo "BENCH bytes_per_variable_upstream $(bytes_per_var upstream "$big")"
	echo "BENCH bytes_per_variable_ours_over_upstream $(div "$(bytes_per_var ours "$big")" "$(bytes_per_var upstream "$big")")"
}

main() {
	local ours="$BUILD/obj-bench" up="$BUILD/obj-upstream"

	"$HARNESS/deps.sh"
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
	run_vm ours "$ours" "$ours/stage/bench/klp_shadow_bench.ko" "$LOADS" "$ROUNDS" "${SIZES[@]}" \
		-- "$ours/stage/selftests/test_modules/test_klp_shadow_bulk.ko"
	run_vm upstream "$up" "$up/stage/bench/klp_shadow_bench.ko" "$LOADS" "$ROUNDS" "${SIZES[@]}"

	echo
	echo "Shadow variables, ours against upstream $(kernel_release), QEMU TCG, 2 vCPUs;"
	echo "medians over $LOADS module loads of medians of $ROUNDS rounds (times in ns"
	echo "unless named _us; bytes per variable from the Slab line of /proc/meminfo):"
	echo
	print_table | tee "$OUT/table"
	echo
	echo "The longest IRQs-off section during each collection (irqsoff tracer):"
	cat "$OUT/irqoff"
	echo
	print_bench_lines | tee "$OUT/bench"
}

main
