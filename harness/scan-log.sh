#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scan-log.sh LOG...: print every kernel report in the given console or dmesg
# logs (oops, BUG, WARNING, lockdep, KASAN, UBSAN, kmemleak, panic, RCU stall,
# hung task) and exit 1 if there is any; exit 0 if the logs are clean.

set -uo pipefail

PATTERNS=(
	'------------\[ cut here \]------------'
	'WARNING:'
	'BUG:'
	'Oops'
	'general protection fault'
	'Kernel panic'
	'kernel BUG at'
	'INFO: possible'
	'INFO: task .* blocked for more than'
	'INFO: rcu_.* detected stalls'
	'rcu: INFO:'
	'possible circular locking dependency'
	'inconsistent lock state'
	'suspicious RCU usage'
	'KASAN:'
	'UBSAN:'
	'kmemleak: [0-9]+ new suspected memory leaks'
	'unreferenced object 0x'
	'Call Trace:'
)

regex=$(IFS='|'; echo "${PATTERNS[*]}")
logs=()
for f in "$@"; do
	[ -f "$f" ] && logs+=("$f")
done
[ ${#logs[@]} -gt 0 ] || exit 0
if grep -E -n -H -- "$regex" "${logs[@]}"; then
	exit 1
fi
exit 0
