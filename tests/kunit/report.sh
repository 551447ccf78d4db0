#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# report.sh SUITE [LOG]: turn the KTAP a built-in KUnit suite printed at
# boot (from LOG, default: dmesg) into one TAP line per case,
# "ok N kunit: SUITE: CASE", with the diagnostics of a failed case below
# it. A suite that did not run, or ran no case, is a failure.

set -uo pipefail

suite=$1
log=${2:-}

{ if [ -n "$log" ]; then cat "$log"; else dmesg; fi; } |
	sed -e 's/^\[[ 0-9.]*\] //' |
	awk -v suite="$suite" '
	$0 ~ "^ *# Subtest: " suite "$" { inside = 1; next }
	!inside { next }
	/^    (not )?ok [0-9]+ / {
		line = $0
		sub(/^    /, "", line)
		status = (line ~ /^not ok/) ? "not ok" : "ok"
		name = line
		sub(/^(not )?ok [0-9]+ /, "", name)
		printf "%s %d kunit: %s: %s\n", status, ++n, suite, name
		if (status == "not ok") {
			failed++
			printf "%s", diag
		}
		diag = ""
		next
	}
	/^    # / { diag = diag "# " substr($0, 7) "\n"; next }
	# Read on to the end: a reader that leaves early gets its writers
	# killed by SIGPIPE, and pipefail turns that into a failure.
	/^(not )?ok [0-9]+ / { done = 1; inside = 0; next }
	END {
		if (!n) {
			printf "not ok 1 kunit: %s: the suite did not run\n", suite
			exit 1
		}
		if (!done) {
			printf "not ok %d kunit: %s: the suite did not finish\n", n + 1, suite
			exit 1
		}
		exit failed ? 1 : 0
	}'
