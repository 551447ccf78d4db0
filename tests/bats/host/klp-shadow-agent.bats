#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# klp-shadow as a monitoring agent: --write and --interval. Every write is
# checked, a failing pass is data (klp_shadow_up 0) and the loop goes on,
# and a real node_exporter shows a failure and the recovery.
# shellcheck disable=SC2154 # $stderr comes from bats' run --separate-stderr
# shellcheck disable=SC2016 # the bash -c scripts expand their own $0 and $1

load ../test_helper/common
load ../test_helper/klp-shadow

FIX1=kernel/livepatch/livepatch_shadow_fix1

setup() {
	ks_setup
	copy_demo
}

teardown() {
	stop_exporter
	if [ -n "${AGENT_PID:-}" ]; then
		kill "$AGENT_PID" 2>/dev/null || true
		wait "$AGENT_PID" 2>/dev/null || true
	fi
	[ -z "${NOBODY_DIR:-}" ] || rm -rf "$NOBODY_DIR"
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS.
wait_for() {
	local end=$((SECONDS + $1))

	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# file_has FILE LINE: FILE holds exactly the line LINE.
file_has() {
	grep -qxF -- "$2" "$1" 2>/dev/null
}

@test "output to a full disk ends the command with exit 1 saying so" {
	run --separate-stderr ks list
	assert_success
	run --separate-stderr bash -c '"$0" --sysfs-root "$1" list > /dev/full' "$KS" "$ROOT"
	assert_equal "$status" 1
	assert_equal "$stderr" "klp-shadow: error: stdout: No space left on device"
	run --separate-stderr bash -c '"$0" --sysfs-root "$1" -j stat > /dev/full' "$KS" "$ROOT"
	assert_equal "$status" 1
	run --separate-stderr bash -c '"$0" version > /dev/full' "$KS"
	assert_equal "$status" 1
	assert_equal "$stderr" "klp-shadow: error: stdout: No space left on device"
}

@test "a loop writing to a full disk ends at its first pass with exit 1" {
	run --separate-stderr timeout 20 bash -c \
		'"$0" --sysfs-root "$1" -o prometheus --interval 0.1 list > /dev/full' "$KS" "$ROOT"
	assert_equal "$status" 1
	assert_equal "$stderr" "klp-shadow: error: stdout: No space left on device"
}

@test "with SIGPIPE ignored, a loop whose reader went away ends with exit 1" {
	run --separate-stderr timeout 30 bash -c \
		'trap "" PIPE; "$0" --sysfs-root "$1" -j --interval 0.1 list | head -c 10 > /dev/null; echo "${PIPESTATUS[0]}"' \
		"$KS" "$ROOT"
	assert_success
	assert_output 1
	assert_equal "$stderr" "klp-shadow: error: stdout: Broken pipe"
}

@test "each pass counts its own errors: read_errors does not grow from pass to pass" {
	local dir=$BATS_TEST_TMPDIR/textfile

	mkdir "$dir"
	echo bad > "$ROOT/$FIX1/livepatch_shadow_mod/shadow_types/1/live"
	run --separate-stderr ks -o prometheus --interval 0.1 --count 3 list
	assert_equal "$status" 1
	[ "$(grep -c '^klp_shadow_read_errors 1$' <<< "$output")" = 3 ]
	refute_line --regexp '^klp_shadow_read_errors [^1]'
	# reported once on stderr while it lasts, not on every pass
	assert_equal "$stderr" "klp-shadow: error: $ROOT/$FIX1/livepatch_shadow_mod/shadow_types/1/live: malformed value 'bad'"
}

@test "in JSON mode a failing run with --write puts the error document into the file" {
	local dir=$BATS_TEST_TMPDIR/out

	mkdir "$dir"
	run --separate-stderr ks -j --write "$dir/klp.json" list nosuchpatch
	assert_equal "$status" 66
	assert_output ""
	[ "$(jq -r .error "$dir/klp.json")" = "nosuchpatch: not found" ]
}

@test "a failing pass still writes the file: klp_shadow_up 0 and the last success, then recovery" {
	local dir=$BATS_TEST_TMPDIR/textfile stamp

	mkdir "$dir"
	run ks -o prometheus --write "$dir/klp.prom" list
	assert_success
	stamp=$(grep '^klp_shadow_last_success_timestamp_seconds ' "$dir/klp.prom")
	[ "${stamp#* }" != 0 ]
	file_has "$dir/klp.prom" 'klp_shadow_up 1'

	mv "$ROOT/$FIX1" "$BATS_TEST_TMPDIR/fix1"
	run --separate-stderr ks -o prometheus --write "$dir/klp.prom" list livepatch_shadow_fix1
	assert_equal "$status" 66
	assert_equal "$stderr" "klp-shadow: error: livepatch_shadow_fix1: not found"
	file_has "$dir/klp.prom" 'klp_shadow_up 0'
	file_has "$dir/klp.prom" "$stamp"
	run grep -c '^klp_shadow_types\|^klp_shadow_live_variables' "$dir/klp.prom"
	assert_output 0
	run promtool check metrics < "$dir/klp.prom"
	assert_success
	[ "$(ls -A "$dir")" = klp.prom ]

	mv "$BATS_TEST_TMPDIR/fix1" "$ROOT/$FIX1"
	run ks -o prometheus --write "$dir/klp.prom" list livepatch_shadow_fix1
	assert_success
	file_has "$dir/klp.prom" 'klp_shadow_up 1'
	run ! file_has "$dir/klp.prom" "$stamp"
}

@test "a file that never had a success says 0 as the last success" {
	local dir=$BATS_TEST_TMPDIR/textfile

	mkdir "$dir"
	missing_tree
	run ks -o prometheus --write "$dir/klp.prom" list
	assert_equal "$status" 69
	file_has "$dir/klp.prom" 'klp_shadow_last_success_timestamp_seconds 0.000'
	file_has "$dir/klp.prom" 'klp_shadow_up 0'
}

@test "--write into a directory it may not write exits 77" {
	local dir

	dir=$(mktemp -d /tmp/klp-shadow-nobody.XXXXXX)
	NOBODY_DIR=$dir
	chmod 755 "$dir"
	cp -r "$DEMO" "$dir/sys"
	mkdir "$dir/ro"
	chmod -R a+rX "$dir"
	run --separate-stderr setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$KS" --sysfs-root "$dir/sys" -o prometheus --write "$dir/ro/klp.prom" list
	assert_equal "$status" 77
	assert_equal "$stderr" "klp-shadow: error: $dir/ro/klp.prom: cannot create the temporary file that replaces it in $dir/ro: Permission denied"
	[ ! -e "$dir/ro/klp.prom" ]
}

@test "--write through a symbolic link replaces the link's target in its directory; the link stays" {
	local dir=$BATS_TEST_TMPDIR

	mkdir "$dir/real" "$dir/links"
	echo old > "$dir/real/klp.prom"
	ln -s ../real/klp.prom "$dir/links/klp.prom"
	run ks -o prometheus --write "$dir/links/klp.prom" list
	assert_success
	[ -L "$dir/links/klp.prom" ]
	[ "$(readlink "$dir/links/klp.prom")" = ../real/klp.prom ]
	file_has "$dir/real/klp.prom" 'klp_shadow_types 2'
	[ "$(ls -A "$dir/links")" = klp.prom ]
	[ "$(ls -A "$dir/real")" = klp.prom ]
}

@test "--write to a symbolic link to nothing is refused and writes nothing" {
	local dir=$BATS_TEST_TMPDIR

	ln -s "$dir/nowhere/klp.prom" "$dir/klp.prom"
	run ks -o prometheus --write "$dir/klp.prom" list
	assert_equal "$status" 1
	assert_output "klp-shadow: error: $dir/klp.prom: a symbolic link to a file that cannot be resolved (No such file or directory): not written"
	[ -L "$dir/klp.prom" ]
}

@test "--interval with --count: the exit status is that of the last pass" {
	local file=$ROOT/$FIX1/livepatch_shadow_mod/shadow_types/1/live

	echo bad > "$file"
	run --separate-stderr ks -j --interval 0.1 --count 2 list
	assert_equal "$status" 1
	[ "${#lines[@]}" = 2 ]
}

@test "a real node_exporter shows a vanished patch as klp_shadow_up 0, then the recovery" {
	local dir=$BATS_TEST_TMPDIR/textfile

	mkdir "$dir"
	"$KS" --sysfs-root "$ROOT" -o prometheus --write "$dir/klp_shadow.prom" \
		--interval 0.2 list livepatch_shadow_fix1 2>"$BATS_TEST_TMPDIR/agent.log" &
	AGENT_PID=$!
	wait_for 20 file_has "$dir/klp_shadow.prom" 'klp_shadow_up 1' || fail "no first pass"
	start_exporter "$dir"
	scrape_has() {
		curl -sf "$EXPORTER_URL" > "$BATS_TEST_TMPDIR/scrape" && file_has "$BATS_TEST_TMPDIR/scrape" "$1"
	}
	wait_for 20 scrape_has 'klp_shadow_up 1' || fail "node_exporter: $(cat "$BATS_TEST_TMPDIR/exporter.log")"
	file_has "$BATS_TEST_TMPDIR/scrape" 'klp_shadow_live_variables{id="1",name="leak"} 13'
	file_has "$BATS_TEST_TMPDIR/scrape" 'node_textfile_scrape_error 0'

	mv "$ROOT/$FIX1" "$BATS_TEST_TMPDIR/fix1"
	wait_for 20 scrape_has 'klp_shadow_up 0' || fail "the failure never showed"
	file_has "$BATS_TEST_TMPDIR/scrape" 'node_textfile_scrape_error 0'
	run grep -c '^klp_shadow_live_variables' "$BATS_TEST_TMPDIR/scrape"
	assert_output 0
	grep -q '^klp_shadow_last_success_timestamp_seconds [1-9]' "$BATS_TEST_TMPDIR/scrape"
	kill -0 "$AGENT_PID"

	mv "$BATS_TEST_TMPDIR/fix1" "$ROOT/$FIX1"
	wait_for 20 scrape_has 'klp_shadow_up 1' || fail "no recovery"
	file_has "$BATS_TEST_TMPDIR/scrape" 'klp_shadow_live_variables{id="1",name="leak"} 13'
	grep -q 'livepatch_shadow_fix1: not found' "$BATS_TEST_TMPDIR/agent.log"
}

@test "--write to a FIFO is refused with exit 1 and the FIFO stays" {
	local dir=$BATS_TEST_TMPDIR

	mkfifo "$dir/klp.prom"
	run timeout 20 "$KS" --sysfs-root "$ROOT" -o prometheus --write "$dir/klp.prom" list
	assert_equal "$status" 1
	assert_output "klp-shadow: error: $dir/klp.prom: not a regular file: not replaced"
	[ -p "$dir/klp.prom" ]
	run ! compgen -G "$dir/.klp-shadow.*"
}

@test "--write through a symbolic link to a device is refused, the device is not read and stays" {
	local dir=$BATS_TEST_TMPDIR limit

	mknod "$dir/zero" c 1 5
	ln -s zero "$dir/klp.prom"
	# A bound on memory, should /dev/zero be read; not under ASan, which
	# reserves more address space than that.
	limit=400000
	[ -z "${ASAN_OPTIONS:-}" ] || limit=unlimited
	run bash -c 'ulimit -v "$0"; exec timeout 20 "$@"' "$limit" \
		"$KS" --sysfs-root "$ROOT" -o prometheus --write "$dir/klp.prom" --interval 1 list
	assert_equal "$status" 1
	assert_output "klp-shadow: error: $dir/zero: not a regular file: not replaced"
	[ -c "$dir/zero" ]
	[ -L "$dir/klp.prom" ]
}

@test "the last success is looked for in the first MiB of the file replaced only" {
	local dir=$BATS_TEST_TMPDIR/textfile

	mkdir "$dir"
	{
		head -c 1048576 /dev/zero | tr '\0' '#'
		echo
		echo 'klp_shadow_last_success_timestamp_seconds 1234.000'
	} > "$dir/klp.prom"
	missing_tree
	run ks -o prometheus --write "$dir/klp.prom" list
	assert_equal "$status" 69
	file_has "$dir/klp.prom" 'klp_shadow_last_success_timestamp_seconds 0.000'

	printf '# a comment\nklp_shadow_last_success_timestamp_seconds 1234.000\n' > "$dir/klp.prom"
	run ks -o prometheus --write "$dir/klp.prom" list
	assert_equal "$status" 69
	file_has "$dir/klp.prom" 'klp_shadow_last_success_timestamp_seconds 1234.000'
}

@test "in table mode a loop separates its tables by one blank line; a failed or empty pass prints none" {
	local one

	# Bytes on stdout: run drops trailing newlines from $output.
	run bash -c '"$0" --sysfs-root "$1" --interval 0.1 --count 3 list nosuchpatch 2>/dev/null | wc -c' \
		"$KS" "$ROOT"
	assert_output 0
	mkdir -p "$BATS_TEST_TMPDIR/empty/kernel/livepatch"
	run bash -c '"$0" --sysfs-root "$1" --interval 0.1 --count 3 stat | wc -c' \
		"$KS" "$BATS_TEST_TMPDIR/empty"
	assert_output 0
	run --separate-stderr ks list
	assert_success
	one=$output
	run --separate-stderr ks --interval 0.1 --count 2 list
	assert_success
	assert_output "$one"$'\n\n'"$one"
}

@test "a missing --write directory is a failed pass: the loop goes on and writes once it is back" {
	local dir=$BATS_TEST_TMPDIR/textfile rc

	"$KS" --sysfs-root "$ROOT" -o prometheus --write "$dir/klp.prom" \
		--interval 0.2 --count 25 list 2>"$BATS_TEST_TMPDIR/err" &
	AGENT_PID=$!
	sleep 0.5
	kill -0 "$AGENT_PID"
	mkdir "$dir"
	wait_for 10 file_has "$dir/klp.prom" 'klp_shadow_up 1'
	rc=0
	wait "$AGENT_PID" || rc=$?
	AGENT_PID=
	assert_equal "$rc" 0
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output "klp-shadow: error: $dir/klp.prom: cannot create the temporary file that replaces it in $dir: No such file or directory"
}

@test "a failing pass of a loop carries over exactly the last success the file said" {
	local dir=$BATS_TEST_TMPDIR/textfile stamp rc

	mkdir "$dir"
	"$KS" --sysfs-root "$ROOT" -o prometheus --write "$dir/klp.prom" \
		--interval 1.5 --count 2 list livepatch_shadow_fix1 2>/dev/null &
	AGENT_PID=$!
	wait_for 10 file_has "$dir/klp.prom" 'klp_shadow_up 1'
	stamp=$(grep '^klp_shadow_last_success_timestamp_seconds ' "$dir/klp.prom")
	mv "$ROOT/$FIX1" "$BATS_TEST_TMPDIR/fix1"
	rc=0
	wait "$AGENT_PID" || rc=$?
	AGENT_PID=
	assert_equal "$rc" 66
	file_has "$dir/klp.prom" 'klp_shadow_up 0'
	run grep '^klp_shadow_last_success_timestamp_seconds ' "$dir/klp.prom"
	assert_output "$stamp"
}

@test "--write keeps the mode of the file it replaces, and a new file honours the umask" {
	local dir=$BATS_TEST_TMPDIR/textfile

	mkdir "$dir"
	run bash -c 'umask 027; exec "$@"' _ "$KS" --sysfs-root "$ROOT" -o prometheus --write "$dir/new.prom" list
	assert_success
	[ "$(stat -c %a "$dir/new.prom")" = 640 ]
	echo old > "$dir/klp.prom"
	chmod 604 "$dir/klp.prom"
	run ks -o prometheus --write "$dir/klp.prom" list
	assert_success
	[ "$(stat -c %a "$dir/klp.prom")" = 604 ]
	file_has "$dir/klp.prom" 'klp_shadow_up 1'
}
