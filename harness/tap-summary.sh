#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tap-summary.sh [-o "STAGE..."] [-s SKIPS] STAGE.tap...: count the TAP
# result lines of every stage's file and print, last, "N passed, N failed"
# (", N skipped" if any). Exits 1 if anything failed or nothing ran.
#
# A stage is named after its file (build/results/guest.tap: guest).
# -o STAGES  the stages the caller owes: one that has no file, or no result
#            but skips, is a failure ("not ok - STAGE: did not run").
# -s SKIPS   the skips that are expected: lines "STAGE<tab>ERE", where ERE
#            must match the whole description of the skipped test (what
#            follows "ok N "). Any other "ok ... # SKIP" is a failure, and
#            so is an expected skip that did not happen in a stage that ran.

set -uo pipefail

owed="" skips=/dev/null
while getopts "o:s:" opt; do
	case $opt in
	o) owed=$OPTARG ;;
	s) skips=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))

[ -r "$skips" ] || { echo "tap-summary.sh: cannot read $skips" >&2; exit 2; }

awk -v owed="$owed" '
	# The expected skips: the first file named.
	FILENAME == ARGV[1] {
		if ($0 ~ /^#/ || $0 !~ /\t/)
			next
		n = index($0, "\t")
		expect[++nexpect] = substr($0, 1, n - 1)
		pattern[nexpect] = substr($0, n + 1)
		next
	}
	function stage_of(file) {
		sub(/.*\//, "", file)
		sub(/\.tap$/, "", file)
		return file
	}
	BEGIN {
		for (i = 2; i < ARGC; i++)
			order = order " " stage_of(ARGV[i])
	}
	FILENAME != current { current = FILENAME; stage = stage_of(FILENAME) }
	/^not ok / { failed++; next }
	/^ok / && tolower($0) ~ /# skip/ {
		desc = $0
		sub(/^ok [0-9]* *(- )?/, "", desc)
		for (i = 1; i <= nexpect; i++)
			if (expect[i] == stage && desc ~ ("^(" pattern[i] ")$"))
				break
		if (i <= nexpect) {
			skipped++
			happened[i] = 1
		} else {
			printf "not ok - %s: a skip that is not expected: %s\n", stage, desc
			failed++
		}
		next
	}
	/^ok / { passed++; results[stage]++ }
	END {
		for (i = 1; i <= nexpect; i++) {
			if (!happened[i] && index(order " ", " " expect[i] " ")) {
				printf "not ok - %s: an expected skip did not happen: %s\n", expect[i], pattern[i]
				failed++
			}
		}
		nowed = split(owed, must, " ")
		for (i = 1; i <= nowed; i++) {
			if (!results[must[i]]) {
				printf "not ok - %s: did not run\n", must[i]
				failed++
			}
		}
		printf "stages:%s\n", order
		line = sprintf("%d passed, %d failed", passed, failed)
		if (skipped)
			line = line sprintf(", %d skipped", skipped)
		print line
		exit (failed || passed + skipped == 0) ? 1 : 0
	}' "$skips" "$@"
