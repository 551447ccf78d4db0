# SPDX-License-Identifier: GPL-2.0
# Shared setup of the klp-shadow bats files: the binary, and fixture trees
# (a copy of a committed one, or one built by the test).
# shellcheck shell=bash

bats_require_minimum_version 1.5.0

KS=${KLP_SHADOW:-$KLP_TOP/build/klp-shadow/klp-shadow}
DEMO=$KLP_TOP/tests/bats/fixtures/sysfs/demo/sys

# ks_setup: the binary exists, and no environment leaks into the tests.
ks_setup() {
	[ -x "$KS" ] || fail "no $KS: run make tool"
	unset KLP_SHADOW_SYSFS
}

# copy_demo: a writable copy of the demo tree in $ROOT.
copy_demo() {
	ROOT=$BATS_TEST_TMPDIR/sys
	rm -rf "$ROOT"
	cp -r "$DEMO" "$ROOT"
}

# empty_tree: a tree with /sys/kernel/livepatch and no patch, in $ROOT.
empty_tree() {
	ROOT=$BATS_TEST_TMPDIR/sys
	rm -rf "$ROOT"
	mkdir -p "$ROOT/kernel/livepatch"
}

# missing_tree: a sysfs tree (it has kernel/) without kernel/livepatch, in $ROOT.
missing_tree() {
	ROOT=$BATS_TEST_TMPDIR/empty
	mkdir -p "$ROOT/kernel"
}

# no_stamp: stdin without the time of the last success, which changes
# from run to run.
no_stamp() {
	grep -v '^klp_shadow_last_success_timestamp_seconds '
}

# fixture_type ROOT PATCH OBJECT ID NAME REFCOUNT LIVE BYTES [OWNER...]:
# the files of shadow_types/ID, as the kernel writes them.
fixture_type() {
	local dir="$1/kernel/livepatch/$2/$3/shadow_types/$4" owner

	mkdir -p "$dir"
	printf '%s\n' "$5" > "$dir/name"
	printf '%s\n' "$6" > "$dir/refcount"
	printf '%s\n' "$7" > "$dir/live"
	printf '%s\n' "$8" > "$dir/bytes"
	: > "$dir/owners"
	for owner in "${@:9}"; do
		printf '%s\n' "$owner" >> "$dir/owners"
	done
}

# ks ARGS...: run klp-shadow on $ROOT.
ks() {
	"$KS" --sysfs-root "$ROOT" "$@"
}
