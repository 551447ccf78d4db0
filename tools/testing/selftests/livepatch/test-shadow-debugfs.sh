#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug interface of the shadow variable registry
# (CONFIG_LIVEPATCH_SHADOW_DEBUG): livepatch/shadow/types lists every id,
# and livepatch/shadow/gc collects an id's variables on demand, or those of
# every id nobody references.

# shellcheck source=/dev/null # upstream helpers, staged beside this script
. "$(dirname "$0")/functions.sh"
# shellcheck source=tools/testing/selftests/livepatch/shadow_functions.sh
. "$(dirname "$0")/shadow_functions.sh"

MOD_A=test_klp_shadow_a			# vmlinux, type 90 "counter"
MOD_ORPHANS=test_klp_shadow_orphans	# ids 96 (two variables), 97 (one)
MOD_HOLDER=test_klp_shadow_holder	# not a livepatch: type 98 "held"

GC="$SHADOW_DEBUGFS/gc"
TYPES="$SHADOW_DEBUGFS/types"

# gc(value) - write value to the gc file; commands on debugfs files do not
# show in check_result, which keeps "livepatch:" and "test_klp" lines only
function gc() {
	log "% echo $1 > $GC"
	echo "$1" > "$GC" || die "writing $1 to $GC failed"
}

# gc_write(user, data...) - as user (root or nobody), open gc and write
# each data (a Python bytes expression) with one write(); print a line per
# data: the name of the error (EINVAL), or "written N" if nothing failed.
# One interpreter for all: on a debug kernel under emulation its start-up
# takes many seconds.
function gc_write() {
	local as=()

	[[ "$1" == nobody ]] && as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	"${as[@]}" python3 -c '
import errno, os, sys
for data in sys.argv[2:]:
    try:
        fd = os.open(sys.argv[1], os.O_WRONLY)
        try:
            print("written", os.write(fd, eval(data, {"__builtins__": {}})))
        finally:
            os.close(fd)
    except OSError as e:
        print(errno.errorcode[e.errno])
' "$GC" "${@:2}"
}

# check_gc_refuses(user, error, description, data, ...) - writing each
# data to gc as user fails with error exactly, and the registry stays as
# it was
function check_gc_refuses() {
	local user="$1"
	local error="$2"
	local descriptions=()
	local data=()
	local results=()
	local before after result i

	shift 2
	while [[ $# -ge 2 ]]; do
		descriptions+=("$1")
		data+=("$2")
		shift 2
	done
	before=$(cat "$TYPES") || die "cannot read $TYPES"
	mapfile -t results < <(gc_write "$user" "${data[@]}")
	for i in "${!data[@]}"; do
		result="${results[i]:-nothing}"
		[[ "$result" == "$error" ]] ||
			die "writing ${descriptions[i]} to $GC as $user: $result, not $error"
	done
	after=$(cat "$TYPES") || die "cannot read $TYPES"
	[[ "$after" == "$before" ]] || die "writes to $GC as $user changed the registry"
}

# gc_junk_writer(tag, errors) - write 25 kinds of junk to gc, one write
# each, the shell's error messages going to the file errors (no process
# per write); print one line per write that did not fail with EINVAL
function gc_junk_writer() {
	local i err

	for ((i = 0; i < 25; i++)); do
		{ printf '%s' "$1$i" > "$GC"; } 2> "$2"
		err=""
		read -r err < "$2"
		if [[ "$err" != *"write error: Invalid argument" ]]; then
			echo "writing $1$i to $GC: ${err:-succeeded}"
		fi
	done
}

has_shadow_debugfs || skip "kernel without CONFIG_LIVEPATCH_SHADOW_DEBUG"
setup_config


# - livepatch/shadow is drwxr-xr-x, "types" -r--------, "gc" --w-------
# - "types" starts with a header

start_test "debugfs files have the documented modes"

[[ "$(stat --format %A "$SHADOW_DEBUGFS")" == "drwxr-xr-x" ]] ||
	die "unexpected access rights of $SHADOW_DEBUGFS"
[[ "$(stat --format %A "$TYPES")" == "-r--------" ]] ||
	die "unexpected access rights of $TYPES"
[[ "$(stat --format %A "$GC")" == "--w-------" ]] ||
	die "unexpected access rights of $GC"
[[ "$(head -n 1 "$TYPES")" == "id name refcount live bytes" ]] ||
	die "unexpected header of $TYPES"

check_result ""


# - junk written to gc fails with EINVAL and changes nothing: letters, a
#   newline alone, an empty write, a negative number, an id nobody uses,
#   two ids, hex, white space before the id, 1 MiB of digits
# - so do 4 writers of junk at once; an unprivileged user cannot even
#   reach gc (EACCES: debugfs is 0700), whatever it writes

start_test "gc refuses junk and changes nothing"

load_lp $MOD_A
load_mod $MOD_ORPHANS

check_gc_refuses root EINVAL \
	"abc" "b'abc\\n'" \
	"a newline" "b'\\n'" \
	"nothing" "b''" \
	"-90" "b'-90\\n'" \
	"an unknown id" "b'12345\\n'" \
	"two ids" "b'90 96\\n'" \
	"hex" "b'0x5a\\n'" \
	"a blank and an id" "b' 90\\n'" \
	"orphans with junk" "b'orphansx\\n'" \
	"1 MiB" "b'9' * 1048576"
check_gc_refuses nobody EACCES \
	"90" "b'90\\n'" \
	"orphans" "b'orphans\\n'"
before=$(cat "$TYPES")
JUNK_LOG=$(mktemp)
for tag in x -9 9x 0x; do
	gc_junk_writer "$tag" "$JUNK_LOG.$tag" >> "$JUNK_LOG" &
done
wait
[[ ! -s "$JUNK_LOG" ]] || die "concurrent junk: $(head -n 1 "$JUNK_LOG")"
rm -f "$JUNK_LOG" "$JUNK_LOG".*
[[ "$(cat "$TYPES")" == "$before" ]] || die "concurrent junk writes to $GC changed the registry"
check_shadow_type $MOD_A vmlinux 90 counter 1 3 12 $MOD_A/vmlinux
check_shadow_registry 90 "90 counter 1 3 12"
check_shadow_registry 96 "96 - 0 2 8"
check_shadow_registry 97 "97 - 0 1 8"

disable_lp $MOD_A
unload_lp $MOD_A
unload_mod $MOD_ORPHANS

check_result "% insmod test_modules/$MOD_A.ko
livepatch: enabling patch '$MOD_A'
livepatch: '$MOD_A': initializing patching transition
livepatch: shadow id 90 ('counter'): referenced by $MOD_A/vmlinux, refcount 1
livepatch: '$MOD_A': starting patching transition
livepatch: '$MOD_A': completing patching transition
$MOD_A: post_patch: <0> allocated value 11
$MOD_A: post_patch: <1> allocated value 12
$MOD_A: post_patch: <2> allocated value 13
livepatch: '$MOD_A': patching complete
% insmod test_modules/$MOD_ORPHANS.ko
$MOD_ORPHANS: allocated two variables of id 96 and one of id 97
% echo 0 > /sys/kernel/livepatch/$MOD_A/enabled
livepatch: '$MOD_A': initializing unpatching transition
livepatch: '$MOD_A': starting unpatching transition
livepatch: '$MOD_A': completing unpatching transition
livepatch: shadow id 90 ('counter'): released by $MOD_A/vmlinux, refcount 0
livepatch: '$MOD_A': unpatching complete
$MOD_A: dtor <2> value 13
$MOD_A: dtor <1> value 12
$MOD_A: dtor <0> value 11
livepatch: shadow id 90 ('counter'): 3 variables freed
% rmmod $MOD_A
% rmmod $MOD_ORPHANS"


# - writing a referenced id collects its variables through the type's
#   destructor; the reference stays, other ids keep their variables
# - writing "orphans" collects the variables of the ids nobody references
#   (no destructor: no type gives one), and leaves the referenced id
# - the patch goes on: unpatching it finds nothing left to free

start_test "gc collects an id, then the ids nobody references"

load_lp $MOD_A
load_mod $MOD_ORPHANS

gc 90
check_shadow_type $MOD_A vmlinux 90 counter 1 0 0 $MOD_A/vmlinux
check_shadow_registry 90 "90 counter 1 0 0"
check_shadow_registry 96 "96 - 0 2 8"
check_shadow_registry 97 "97 - 0 1 8"

gc orphans
check_shadow_registry 90 "90 counter 1 0 0"
check_shadow_registry 96
check_shadow_registry 97

disable_lp $MOD_A
unload_lp $MOD_A
unload_mod $MOD_ORPHANS

check_result "% insmod test_modules/$MOD_A.ko
livepatch: enabling patch '$MOD_A'
livepatch: '$MOD_A': initializing patching transition
livepatch: shadow id 90 ('counter'): referenced by $MOD_A/vmlinux, refcount 1
livepatch: '$MOD_A': starting patching transition
livepatch: '$MOD_A': completing patching transition
$MOD_A: post_patch: <0> allocated value 11
$MOD_A: post_patch: <1> allocated value 12
$MOD_A: post_patch: <2> allocated value 13
livepatch: '$MOD_A': patching complete
% insmod test_modules/$MOD_ORPHANS.ko
$MOD_ORPHANS: allocated two variables of id 96 and one of id 97
$MOD_A: dtor <2> value 13
$MOD_A: dtor <1> value 12
$MOD_A: dtor <0> value 11
livepatch: shadow id 90 ('counter'): gc: 3 variables freed, refcount 1
livepatch: shadow id 96 (''): gc: 2 variables freed, refcount 0
livepatch: shadow id 97 (''): gc: 1 variables freed, refcount 0
livepatch: gc: 3 orphan variables freed
% echo 0 > /sys/kernel/livepatch/$MOD_A/enabled
livepatch: '$MOD_A': initializing unpatching transition
livepatch: '$MOD_A': starting unpatching transition
livepatch: '$MOD_A': completing unpatching transition
livepatch: shadow id 90 ('counter'): released by $MOD_A/vmlinux, refcount 0
livepatch: '$MOD_A': unpatching complete
livepatch: shadow id 90 ('counter'): 0 variables freed
% rmmod $MOD_A
% rmmod $MOD_ORPHANS"


# - a module that is not a livepatch holds a reference with
#   klp_shadow_debug_register(), under its own name, and makes two
#   variables through the type
# - gc orphans leaves its variables: the id is referenced
# - its unregister drops the last reference: the two variables are
#   collected through the type's destructor and the id leaves the registry

start_test "a reference outside any patch holds an id until it is dropped"

load_mod $MOD_HOLDER
check_shadow_registry 98 "98 held 1 2 16"
gc orphans
check_shadow_registry 98 "98 held 1 2 16"
unload_mod $MOD_HOLDER
check_shadow_registry 98

check_result "% insmod test_modules/$MOD_HOLDER.ko
livepatch: shadow id 98 ('held'): referenced by $MOD_HOLDER, refcount 1
$MOD_HOLDER: allocated two variables of id 98
livepatch: gc: 0 orphan variables freed
% rmmod $MOD_HOLDER
livepatch: shadow id 98 ('held'): released by $MOD_HOLDER, refcount 0
$MOD_HOLDER: dtor <1> value 22
$MOD_HOLDER: dtor <0> value 21
livepatch: shadow id 98 ('held'): 2 variables freed"

exit 0
