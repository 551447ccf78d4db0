# SPDX-License-Identifier: GPL-2.0
# Loading and unloading livepatches from bats files in the VM.
# shellcheck shell=bash

LP_SYSFS=/sys/kernel/livepatch
LP_MODULES=${KLP_STAGE:-}/selftests/test_modules

# lp_wait_transition NAME: wait (60 s at most) until NAME is not in transition.
lp_wait_transition() {
	local i

	for ((i = 0; i < 600; i++)); do
		[ -d "$LP_SYSFS/$1" ] || return 0
		[ "$(cat "$LP_SYSFS/$1/transition")" = 0 ] && return 0
		sleep 0.1
	done
	echo "livepatch $1 still in transition after 60 s" >&2
	return 1
}

# lp_load NAME: insmod the test module NAME, wait for its transition.
lp_load() {
	insmod "$LP_MODULES/$1.ko" && lp_wait_transition "$1"
}

# lp_gone NAME: disable NAME if it is enabled, wait until it is gone from
# sysfs, then unload its module.
lp_gone() {
	local i

	lp_wait_transition "$1" || return 1
	if [ -d "$LP_SYSFS/$1" ] && [ "$(cat "$LP_SYSFS/$1/enabled")" = 1 ]; then
		echo 0 > "$LP_SYSFS/$1/enabled" || return 1
	fi
	for ((i = 0; i < 600; i++)); do
		[ -d "$LP_SYSFS/$1" ] || break
		sleep 0.1
	done
	[ ! -d "$LP_SYSFS/$1" ] || { echo "livepatch $1 did not go" >&2; return 1; }
	if grep -q "^$1 " /proc/modules; then
		rmmod "$1" || return 1
	fi
}
