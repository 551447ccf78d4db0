#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks, as TAP: checkpatch.pl --strict and kernel-doc on our kernel
# C files (run inside the prepared tree with tree paths), sparse and W=1 on
# kernel/livepatch, get_abi.pl validate (any stderr fails), shellcheck on
# every shell script, perl -wc on the tests' Perl helpers. Needs
# harness/ksrc.sh and a configured build/obj.

set -uo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

n=0 failed=0

# tap NAME CMD...: run CMD, print a TAP line, its output as diagnostics on failure.
tap() {
	local name=$1 out rc

	shift
	n=$((n + 1))
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "ok $n lint: $name"
	else
		echo "not ok $n lint: $name"
		printf '%s\n' "$out" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}

# Our kernel-side C files: at kernel paths (relative to the tree), and the
# test modules (absolute paths).
kernel_c_files() {
	(cd "$TOP" && git ls-files --cached --others --exclude-standard -- \
		'kernel/*.[ch]' 'include/*.h' 'lib/*.[ch]' 'samples/*.[ch]' \
		'tools/testing/selftests/*.[ch]' 'tools/klp-shadow/*.[ch]')
	(cd "$TOP" && git ls-files --cached --others --exclude-standard -- \
		'tests/*.[ch]' | sed "s|^|$TOP/|")
}

# Run shellcheck on FILE from the top, where .shellcheckrc's paths start.
shellcheck_in_top() {
	(cd "$TOP" && shellcheck -x "$1")
}

# Perl helpers of the tests: compile with warnings on.
perl_files() {
	(cd "$TOP" && git ls-files --cached --others --exclude-standard -- 'tests/*.pl' |
		sed "s|^|$TOP/|")
}

perl_check() {
	local out

	out=$(perl -wc "$1" 2>&1) || { echo "$out"; return 1; }
	[ "$out" = "$1 syntax OK" ] || { echo "$out"; return 1; }
}

shell_files() {
	(cd "$TOP" && git ls-files --cached --others --exclude-standard -- \
		'*.sh' '*.bash' '*.bats' '.ci/run' 'tools/klp-shadow/bash-completion/*' | sed "s|^|$TOP/|")
}

# checkpatch ARGS...: checkpatch.pl --strict in the tree, with Debian's python3
# first in PATH for its spdxcheck.py (ply, git); fails on any
# error, warning or check it prints. (Its exit status alone is not enough:
# it exits 0 on checks.)
# A file it cannot read, or a failure of its own, fails too: the last
# argument must exist and checkpatch must exit 0.
checkpatch() {
	local out rc=0 file=${*: -1}

	[[ "$file" == /* ]] || file=$SRC/$file
	[ -f "$file" ] || { echo "no file $file"; return 1; }
	out=$(cd "$SRC" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict --terse --no-summary \
		--show-types -q "$@" 2>&1) || rc=$?
	if [ $rc != 0 ] || grep -qE ': (ERROR|WARNING|CHECK):|Traceback' <<< "$out"; then
		echo "$out"
		echo "checkpatch.pl exited with status $rc"
		return 1
	fi
}

# Upstream files our patches touch, for kernel-doc.
patched_c_files() {
	sed -n 's|^+++ b/\(.*\.[ch]\)$|\1|p' "$TOP"/patches/*.patch | sort -u
}

kerneldoc() {
	local out rc=0

	out=$(cd "$SRC" && perl scripts/kernel-doc -none -Wall "$@" 2>&1) || rc=$?
	if [ -n "$out" ] || [ $rc != 0 ]; then
		echo "$out"
		echo "kernel-doc exited with status $rc"
		return 1
	fi
}

# sparse (C=2 checks every file, not only rebuilt ones) plus W=1 warnings.
sparse_w1() {
	local out rc=0

	command -v sparse > /dev/null || { echo "sparse: not found"; return 1; }
	out=$(kmake C=2 W=1 kernel/livepatch/ 2>&1) || rc=$?
	if [ $rc != 0 ] || grep -qE 'warning:|error:|not found' <<< "$out"; then
		echo "$out"
		echo "make C=2 W=1 exited with status $rc"
		return 1
	fi
}

get_abi() {
	local err rc=0

	err=$(cd "$SRC" && perl scripts/get_abi.pl validate --dir Documentation/ABI 2>&1 >/dev/null) ||
		rc=$?
	if [ -n "$err" ] || [ $rc != 0 ]; then
		echo "$err"
		echo "get_abi.pl exited with status $rc"
		return 1
	fi
}

main() {
	local f files=()

	lock_tree

	mapfile -t files < <(kernel_c_files)
	for f in "${files[@]}"; do
		case "$f" in
		# libFuzzer names the entry points of a fuzz target.
		"$TOP"/tests/fuzz/*) tap "checkpatch --strict ${f#"$TOP"/}" \
			checkpatch --ignore CAMELCASE -f "$f" ;;
		*) tap "checkpatch --strict ${f#"$TOP"/}" checkpatch -f "$f" ;;
		esac
	done
	for f in "$TOP"/patches/*.patch; do
		tap "checkpatch --strict patches/${f##*/}" checkpatch --no-signoff "$f"
	done
	mapfile -t -O ${#files[@]} files < <(patched_c_files)
	[ ${#files[@]} -gt 0 ] && tap "kernel-doc -Wall" kerneldoc "${files[@]}"
	tap "sparse and W=1 on kernel/livepatch" sparse_w1
	tap "get_abi.pl validate Documentation/ABI" get_abi
	while read -r f; do
		tap "shellcheck ${f#"$TOP"/}" shellcheck_in_top "$f"
	done < <(shell_files)
	while read -r f; do
		tap "perl -wc ${f#"$TOP"/}" perl_check "$f"
	done < <(perl_files)
	[ $failed -eq 0 ]
}

# Sourced by tests/bats/host/lint.bats for its checkers; run, it checks.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main
fi
