#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tap-summary.sh FILE...: count the TAP result lines of all files and print
# "N passed, N failed" (", N skipped" if any). Exits 1 if anything failed or
# nothing ran.

set -uo pipefail

cat "$@" | awk '
	/^not ok /	{ failed++; next }
	/^ok / && tolower($0) ~ /# skip/	{ skipped++; next }
	/^ok /		{ passed++ }
	END {
		line = sprintf("%d passed, %d failed", passed, failed)
		if (skipped)
			line = line sprintf(", %d skipped", skipped)
		print line
		exit (failed || passed + skipped == 0) ? 1 : 0
	}'
