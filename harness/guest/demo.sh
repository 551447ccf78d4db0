#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo, inside the VM: load the shadow variable samples
# (livepatch-shadow-mod and its fixes fix1 and fix2, which list their shadow
# types), show /sys/kernel/livepatch, the registry's list in debugfs, what
# klp-shadow list and stat say, and the registry's reference and collection
# events, then disable the fixes and watch their variables go.

set -euo pipefail

SYSFS=/sys/kernel/livepatch
TYPES=/sys/kernel/debug/livepatch/shadow/types

modprobe() {
	command modprobe -d "$KLP_MODROOT" "$@"
}

wait_transition() {
	local _

	for _ in $(seq 300); do
		[ "$(cat "$SYSFS/$1/transition")" = 0 ] && return 0
		sleep 0.1
	done
	echo "transition of $1 did not finish" >&2
	return 1
}

disable() {
	echo 0 > "$SYSFS/$1/enabled"
	while [ -e "$SYSFS/$1" ]; do sleep 0.1; done
}

# show_tree: every directory and attribute under /sys/kernel/livepatch.
show_tree() {
	local f

	echo "--- $SYSFS"
	find "$SYSFS" -mindepth 1 | sort | while read -r f; do
		if [ -d "$f" ]; then
			echo "${f#"$SYSFS"/}/"
		elif [ "$(stat -c %A "$f" | cut -c2)" = r ]; then
			printf '%s = %s\n' "${f#"$SYSFS"/}" "$(tr '\n' ' ' < "$f" | sed 's/ $//')"
		else
			printf '%s (write-only)\n' "${f#"$SYSFS"/}"
		fi
	done
}

# registry_log: what the shadow registry logged since the marker.
registry_log() {
	dmesg | sed -n "/klp-demo: $1/,\$p" | grep -E 'shadow id|prevented leak' |
		sed 's/^\[[ 0-9.]*\] //' |
		awk '/prevented leak/ { leaks++; next } { print } END { if (leaks) print "(" leaks " SV_LEAK destructor calls: leaks prevented)" }'
}

# show_types: the registry's own list (CONFIG_LIVEPATCH_SHADOW_DEBUG only).
show_types() {
	[ -r "$TYPES" ] || return 0
	echo "--- $TYPES"
	column -t < "$TYPES"
}

mark() {
	echo "klp-demo: $1" > /dev/kmsg
}

echo "kernel $(uname -r)"
echo 'file kernel/livepatch/shadow.c +p' > /sys/kernel/debug/dynamic_debug/control

mark load
modprobe livepatch-shadow-mod
modprobe livepatch-shadow-fix1
wait_transition livepatch_shadow_fix1
modprobe livepatch-shadow-fix2
wait_transition livepatch_shadow_fix2
echo "waiting 8 s for the demo module to allocate and check dummies..."
sleep 8
show_tree
show_types
echo "--- klp-shadow list"
"$KLP_TOP/build/klp-shadow/klp-shadow" list
echo "--- klp-shadow stat"
"$KLP_TOP/build/klp-shadow/klp-shadow" stat
echo "--- shadow registry events while loading:"
registry_log load

mark fix2
disable livepatch_shadow_fix2
echo "--- disabling fix2 (the only user of 'counter'):"
registry_log fix2

mark fix1
disable livepatch_shadow_fix1
echo "--- disabling fix1 (the last user of 'leak'):"
registry_log fix1

rmmod livepatch_shadow_fix2 livepatch_shadow_fix1 livepatch_shadow_mod
echo "--- after disabling and unloading every patch:"
ls -A "$SYSFS"
show_types
