#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo, inside the VM: load the upstream livepatch samples and print
# what /sys/kernel/livepatch looks like with them, then take them away.

set -euo pipefail

SYSFS=/sys/kernel/livepatch

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

echo "kernel $(uname -r)"
modprobe livepatch-sample
wait_transition livepatch_sample
modprobe livepatch-shadow-mod
modprobe livepatch-shadow-fix1
wait_transition livepatch_shadow_fix1
echo "/proc/cmdline now reads: $(cat /proc/cmdline)"
show_tree

for p in livepatch_shadow_fix1 livepatch_sample; do
	echo 0 > "$SYSFS/$p/enabled"
	while [ -e "$SYSFS/$p" ]; do sleep 0.1; done
done
rmmod livepatch_shadow_fix1 livepatch_sample livepatch_shadow_mod
echo "--- after disabling and unloading every patch:"
ls -A "$SYSFS"
