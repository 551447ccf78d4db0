#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The klp-shadow fuzzing stage of make check, as TAP:
#  - tests/fuzz/klp_shadow_fuzz.c built with clang, libFuzzer, ASan and
#    UBSan, run for KLP_FUZZ_SECONDS (60) from seeds made of the fixture
#    trees, keeping its corpus in build/fuzz/corpus between runs; any crash,
#    leak, sanitizer report or timeout fails, its input is kept in
#    build/fuzz/artifacts/;
#  - the host bats tests of the tool once more, against a build of it with
#    ASan and UBSan (build/klp-shadow-asan).

set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
OUT="$BUILD/fuzz"
TOOL="$TOP/tools/klp-shadow"
SECONDS_TO_FUZZ=${KLP_FUZZ_SECONDS:-60}
CC=${FUZZ_CC:-clang}
SANITIZERS=fuzzer,address,undefined
CFLAGS=(-g -O1 "-fsanitize=$SANITIZERS" -fno-sanitize-recover=all
	-std=gnu11 -Wall -Werror -Wno-unused-parameter -I"$TOOL")
n=0 failed=0

tap() {
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

build_fuzzer() {
	local f objs=() kmod

	kmod=$(pkg-config --cflags --libs libkmod) || return 1
	mkdir -p "$OUT/obj"
	for f in tree output prom agent modstate json_writer; do
		"$CC" "${CFLAGS[@]}" -c -o "$OUT/obj/$f.o" "$TOOL/$f.c" || return 1
		objs+=("$OUT/obj/$f.o")
	done
	# The tool's error reporting lives in klp-shadow.c, beside its main().
	"$CC" "${CFLAGS[@]}" -Dmain=klp_shadow_main -c -o "$OUT/obj/klp-shadow.o" \
		"$TOOL/klp-shadow.c" || return 1
	# shellcheck disable=SC2086 # pkg-config's words
	"$CC" "${CFLAGS[@]}" -o "$OUT/klp_shadow_fuzz" "$TOP/tests/fuzz/klp_shadow_fuzz.c" \
		"${objs[@]}" "$OUT/obj/klp-shadow.o" $kmod
}

seeds() {
	local t

	rm -rf "$OUT/seeds"
	mkdir -p "$OUT/seeds" "$OUT/corpus" "$OUT/artifacts"
	for t in "$TOP"/tests/bats/fixtures/sysfs/*/sys; do
		python3 "$TOP/tests/fuzz/mkseed.py" "$t" "$OUT/seeds/$(basename "$(dirname "$t")")"
	done
	printf 'kernel/livepatch/p/vmlinux/shadow_types/1/live\x0118446744073709551616\n' \
		> "$OUT/seeds/overflow"
}

fuzz() {
	local log="$OUT/fuzz.log" runs

	(cd "$OUT" && ./klp_shadow_fuzz -max_total_time="$SECONDS_TO_FUZZ" \
		-timeout=10 -rss_limit_mb=2048 -max_len=16384 -close_fd_mask=3 \
		-dict="$TOP/tests/fuzz/klp-shadow.dict" -use_value_profile=1 \
		-artifact_prefix="$OUT/artifacts/" corpus seeds) >"$log" 2>&1
	local rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 executions in \2 s/p' "$log")
	if [ $rc -eq 0 ] && [ -n "$runs" ]; then
		tap ok "fuzz: klp-shadow tree reading, $runs, corpus of $(find "$OUT/corpus" -type f | wc -l) inputs"
	else
		tap "not ok" "fuzz: klp-shadow tree reading failed (exit $rc); inputs in $OUT/artifacts"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 20 | sed 's/^/# /'
	fi
}

main() {
	if build_fuzzer >"$OUT.build.log" 2>&1; then
		tap ok "fuzz: target built with libFuzzer, ASan and UBSan"
		seeds
		fuzz
	else
		tap "not ok" "fuzz: target does not build"
		sed 's/^/# /' "$OUT.build.log" | head -n 20
	fi

	if make -s -C "$TOOL" O="$BUILD/klp-shadow-asan" SANITIZE=1 WERROR=1 >"$OUT.asan.log" 2>&1; then
		tap ok "asan: klp-shadow built with ASan and UBSan"
		# The bats files number their own tests; a failure there fails us.
		KLP_SHADOW="$BUILD/klp-shadow-asan/klp-shadow" \
			ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
			UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
			bats --tap "$TOP"/tests/bats/host/klp-shadow-*.bats |
			sed -E 's/^(ok|not ok) [0-9]+ /\1 - asan: /' || failed=$((failed + 1))
	else
		tap "not ok" "asan: klp-shadow does not build with SANITIZE=1"
		sed 's/^/# /' "$OUT.asan.log" | head -n 20
	fi
	[ "$failed" -eq 0 ]
}

mkdir -p "$OUT"
main
