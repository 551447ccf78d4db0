#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# harness/ksrc.sh and the tree lock of harness/lib.sh, on a small tree of
# their own: what reaches build/src, when make sees a file as changed, and
# that two make targets never touch build/src at once.

load ../test_helper/common

setup() {
	# shellcheck source=harness/ksrc.sh
	. "$KLP_TOP/harness/ksrc.sh"
	TOP=$BATS_TEST_TMPDIR/top BUILD=$BATS_TEST_TMPDIR/build
	SRC=$BUILD/src STATE=$BUILD/overlay.state
	unset KLP_TREE_LOCK
	git init -q "$TOP"
	mkdir -p "$TOP/kernel" "$TOP/patches" "$SRC/kernel"
	echo 'int a;' > "$TOP/kernel/a.c"
	: > "$TOP/patches/series"
	git -C "$TOP" add kernel/a.c
	echo 'int x;' > "$SRC/kernel/x.h"
	git -C "$SRC" init -q
	git -C "$SRC" add -A
	git -C "$SRC" -c user.name=t -c user.email=t@t commit -q -m pristine
}

@test "the overlay copies the files git tracks, not what a build left beside them" {
	echo 'ELF' > "$TOP/kernel/a.o"
	echo 'int b;' > "$TOP/kernel/b.c"
	overlay 2>/dev/null

	assert [ -f "$SRC/kernel/a.c" ]
	refute [ -e "$SRC/kernel/a.o" ]
	refute [ -e "$SRC/kernel/b.c" ]
	assert [ -f "$SRC/kernel/x.h" ]
}

@test "an unchanged overlay file keeps the modification time of the last overlay" {
	overlay 2>/dev/null
	touch -m -d @1000000000 "$SRC/kernel/a.c"
	save_state
	overlay 2>/dev/null

	assert_equal "$(stat -c %Y "$SRC/kernel/a.c")" 1000000000
}

@test "after build/src held something else, no overlay file gets an old time back" {
	overlay 2>/dev/null
	touch -m -d @1000000000 "$SRC/kernel/a.c"
	save_state
	src_rewritten
	run overlay

	assert_output --partial "every overlay file is new"
	refute [ "$(stat -c %Y "$SRC/kernel/a.c")" = 1000000000 ]
	refute [ -e "$SRC/.git/klp-rewritten" ]
}

@test "an overlay that was interrupted counts as build/src rewritten" {
	overlay 2>/dev/null
	touch -m -d @1000000000 "$SRC/kernel/a.c"
	save_state
	touch "$SRC/.git/klp-rewritten"	# what overlay leaves until it completes
	overlay 2>/dev/null

	refute [ "$(stat -c %Y "$SRC/kernel/a.c")" = 1000000000 ]
}

@test "a fresh build/src starts no automatic git gc that would hold the tree lock" {
	mkdir -p "$BATS_TEST_TMPDIR/ksrc/kernel"
	echo 'all:' > "$BATS_TEST_TMPDIR/ksrc/Makefile"
	echo 'int y;' > "$BATS_TEST_TMPDIR/ksrc/kernel/y.c"
	KSRC=$BATS_TEST_TMPDIR/ksrc extract "tree ksrc" 2>/dev/null

	assert_equal "$(git -C "$SRC" config --get gc.auto)" 0
	assert_equal "$(git -C "$SRC" config --get maintenance.auto)" false
}

@test "an overlay turns automatic git gc off in a build/src made before it was" {
	overlay 2>/dev/null

	assert_equal "$(git -C "$SRC" config --get gc.auto)" 0
	assert_equal "$(git -C "$SRC" config --get maintenance.auto)" false
}

@test "a second make target waits for the one holding build/src, saying so" {
	mkfifo "$BATS_TEST_TMPDIR/go"
	(lock_tree; echo locked; read -r _ < "$BATS_TEST_TMPDIR/go") > "$BATS_TEST_TMPDIR/first" &
	while [ ! -s "$BATS_TEST_TMPDIR/first" ]; do sleep 0.1; done
	(lock_tree; echo second got it) > "$BATS_TEST_TMPDIR/second" 2>&1 &
	second=$!
	while ! grep -q waiting "$BATS_TEST_TMPDIR/second"; do sleep 0.1; done
	refute grep -q "got it" "$BATS_TEST_TMPDIR/second"
	echo > "$BATS_TEST_TMPDIR/go"
	wait "$second"

	run cat "$BATS_TEST_TMPDIR/second"
	assert_output "==> waiting for another make target in this checkout ($BUILD/.lock)
second got it"
}
