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

# start_exporter DIR: a real node_exporter serving the textfile collector
# files of DIR on a free loopback port, at $EXPORTER_URL; stop_exporter
# (in teardown) ends it.
start_exporter() {
	local port

	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	prometheus-node-exporter --web.listen-address="127.0.0.1:$port" \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$1" >"$BATS_TEST_TMPDIR/exporter.log" 2>&1 &
	EXPORTER_PID=$!
	EXPORTER_URL=http://127.0.0.1:$port/metrics
}

stop_exporter() {
	if [ -n "${EXPORTER_PID:-}" ]; then
		kill "$EXPORTER_PID" 2>/dev/null || true
		wait "$EXPORTER_PID" 2>/dev/null || true
	fi
}

# scrape: what start_exporter's node_exporter serves, in $metrics, once it
# answers (within 20 s).
# shellcheck disable=SC2034 # metrics is read by the calling test
scrape() {
	local _

	metrics=""
	for _ in $(seq 100); do
		metrics=$(curl -sf "$EXPORTER_URL") && return 0
		sleep 0.2
	done
	fail "node_exporter did not answer: $(cat "$BATS_TEST_TMPDIR/exporter.log")"
}

# serve_list: klp-shadow -o prometheus --write into a textfile directory
# of its own, served by start_exporter's node_exporter; what it serves in
# $metrics (scrape).
serve_list() {
	local dir=$BATS_TEST_TMPDIR/textfile

	mkdir -p "$dir"
	run ks -o prometheus --write "$dir/klp_shadow.prom" list
	assert_success
	start_exporter "$dir"
	scrape
}
