# SPDX-License-Identifier: GPL-2.0
# Loading and unloading livepatches from bats files in the VM.
#
# The helpers start no process but insmod and rmmod: on the debug kernel
# under TCG each fork and exec costs seconds (KASAN and kmemleak record a
# stack trace per allocation), more than the transition they wait for.
# shellcheck shell=bash

LP_SYSFS=/sys/kernel/livepatch
LP_MODULES=${KLP_STAGE:-}/selftests/test_modules

# lp_sleep SECONDS: sleep in the shell itself: read, with a timeout, a pipe
# that this shell holds open for writing too and nobody writes.
lp_sleep() {
	[ -n "${LP_SLEEP_FD:-}" ] || exec {LP_SLEEP_FD}<> <(:)
	read -rt "$1" -u "$LP_SLEEP_FD" _ || true
}

# lp_read VAR FILE: the first line of FILE into VAR, no process started.
lp_read() {
	read -r "$1" < "$2"
}

# lp_slurp VAR FILE: all of FILE into VAR, no process started.
lp_slurp() {
	# read stops at the end of the file with status 1: only a file that
	# cannot be opened fails.
	{ IFS= read -r -d '' "$1" || true; } < "$2"
}

# lp_module_loaded NAME: the module NAME is loaded.
lp_module_loaded() {
	[ -e "/sys/module/$1/initstate" ]
}

# LP_WAIT: how long, in seconds, the helpers wait for a transition or for a
# patch to go before they fail.
LP_WAIT=${LP_WAIT:-120}

# lp_wait_transition NAME: wait (LP_WAIT at most) until NAME is not in
# transition.
lp_wait_transition() {
	local state end=$((SECONDS + LP_WAIT))

	while :; do
		[ -d "$LP_SYSFS/$1" ] || return 0
		lp_read state "$LP_SYSFS/$1/transition" 2>/dev/null || return 0
		[ "$state" = 0 ] && return 0
		[ "$SECONDS" -lt "$end" ] || break
		lp_sleep 0.1
	done
	echo "livepatch $1 still in transition after $LP_WAIT s" >&2
	return 1
}

# lp_load NAME: insmod the test module NAME, wait for its transition.
lp_load() {
	insmod "$LP_MODULES/$1.ko" && lp_wait_transition "$1"
}

# lp_disabled NAME: disable NAME if it is enabled, wait until it is gone
# from sysfs.
lp_disabled() {
	local enabled="" end

	lp_wait_transition "$1" || return 1
	if [ -d "$LP_SYSFS/$1" ] && lp_read enabled "$LP_SYSFS/$1/enabled" 2>/dev/null &&
	   [ "$enabled" = 1 ]; then
		echo 0 > "$LP_SYSFS/$1/enabled" || return 1
	fi
	end=$((SECONDS + LP_WAIT))
	while [ -d "$LP_SYSFS/$1" ]; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "livepatch $1 did not go in $LP_WAIT s" >&2
			return 1
		fi
		lp_sleep 0.1
	done
}

# lp_gone NAME: disable NAME if it is enabled, wait until it is gone from
# sysfs, then unload its module.
lp_gone() {
	lp_disabled "$1" || return 1
	if lp_module_loaded "$1"; then
		rmmod "$1" || return 1
	fi
}
