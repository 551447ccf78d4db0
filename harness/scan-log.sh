#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# scan-log.sh LOG...: print every kernel report in the given console or dmesg
# logs (oops, BUG, WARNING, lockdep, KASAN, UBSAN, kmemleak, panic, RCU stall,
# hung task) and exit 1 if there is any; exit 0 if the logs are clean; exit 2
# if a log is missing or empty, or cannot be read.

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
[ $# -gt 0 ] || { echo "scan-log.sh: no log named" >&2; exit 2; }
for f in "$@"; do
	if [ ! -s "$f" ] || [ ! -r "$f" ]; then
		echo "scan-log.sh: no log in $f" >&2
		exit 2
	fi
done
grep -E -n -H -- "$regex" "$@"
case $? in
0) exit 1 ;;
1) exit 0 ;;
*) exit 2 ;;
esac
