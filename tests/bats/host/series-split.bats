#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# harness/series.py: how series/split cuts a tree's changes into patches,
# on a small git tree made here (make check's series stage runs the real
# split and builds every patch).

load ../test_helper/common

IDENT="A U Thor <author@example.org>"

setup() {
	src="$BATS_TEST_TMPDIR/src"
	ser="$BATS_TEST_TMPDIR/series"
	mkdir -p "$src" "$ser"
	printf 'int a(void)\n{\n\treturn 1;\n}\n\n\nint keep(void)\n{\n\treturn 0;\n}\n' > "$src/a.c"
	printf 'one\n' > "$src/notes"
	git -C "$src" init -q
	git -C "$src" add -A
	git -C "$src" -c user.name=p -c user.email=p@p commit -q -m pristine

	# The final tree: b() (with a blank line and braces in a comment
	# inside it) after keep(), and a new header; notes changed.
	{
		printf '#include "b.h"\n\n'
		cat "$src/a.c"
		printf '\n/* b() - the second patch'"'"'s function */\n'
		printf 'int b(void)\n{\n\t/* a } in a comment */\n\tint x = 2;\n\n\treturn x;\n}\n'
	} > "$src/a.c.new"
	mv "$src/a.c.new" "$src/a.c"
	printf 'int b(void);\n' > "$src/b.h"
	printf 'one\ntwo\n' > "$src/notes"

	printf 'first: the header\n\nWhy the header.\n' > "$ser/01-h"
	printf 'second: add b\n\nWhy b.\n' > "$ser/02-b"
	printf 'The cover\nBlurb, based on @BASED_ON@.\n' > "$ser/cover-letter"
	cat > "$ser/split" <<-'EOF'
	patch 01-h
	file b.h
	file a.c
	patch 02-b
	file notes
	line a.c '^#include "b\.h"$'
	block a.c '^int b\('
	EOF
}

series() {
	python3 "$KLP_TOP/harness/series.py" --src "$src" --split "$ser/split" \
		--out "${1:-$BATS_TEST_TMPDIR/out}" --ident "$IDENT" \
		--date 2026-01-01T00:00:00Z --based-on "Linux 0.1" "${@:2}"
}

@test "each patch holds the lines the split gives it" {
	run series
	assert_success

	run git -C "$src" show klp-series~1:a.c
	assert_success
	assert_output "$(printf 'int a(void)\n{\n\treturn 1;\n}\n\n\nint keep(void)\n{\n\treturn 0;\n}')"
	run git -C "$src" show klp-series~1:notes
	assert_output "one"
	run git -C "$src" show klp-series~1:b.h
	assert_output "int b(void);"
}

@test "the last patch gives the final tree, printed as a tree id" {
	run series
	assert_success

	assert_output "$(git -C "$src" rev-parse 'klp-series^{tree}')"
	git -C "$src" add -A
	assert_output "$(git -C "$src" write-tree)"
}

@test "lines left out leave no doubled blank line nor one at the end" {
	printf 'int c(void);\n' >> "$src/a.c"
	echo "line a.c '^int c'" >> "$ser/split"
	run series
	assert_success

	run bash -c "git -C '$src' show klp-series~1:a.c | tail -n 1"
	assert_output "}"
	# The doubled blank line of the pristine file stays.
	run bash -c "git -C '$src' show klp-series~1:a.c | grep -c '^\$'"
	assert_output 2
}

@test "patches carry subject, changelog and the Signed-off-by of the identity" {
	run series
	assert_success

	run cat "$BATS_TEST_TMPDIR"/out/0002-*.patch
	assert_line "Subject: [PATCH 2/2] second: add b"
	assert_line "Why b."
	assert_line "Signed-off-by: $IDENT"
	assert_line "From: $IDENT"
}

@test "a changelog's trailers join the Signed-off-by; its notes go below the ---" {
	printf 'second: add b\n\nWhy b.\n\nSuggested-by: S Ugg <s@example.org>\n---\nv3: new.\n' > "$ser/02-b"
	run series
	assert_success

	# git am keeps what is above the first --- line, and drops the notes.
	run awk '/^---$/ { exit } { print }' "$BATS_TEST_TMPDIR"/out/0002-*.patch
	assert_output --partial "$(printf 'Why b.\n\nSuggested-by: S Ugg <s@example.org>\nSigned-off-by: %s' "$IDENT")"
	refute_output --partial "v3: new."
	run awk '/^---$/ { n++ } n == 1 && !/^---$/ { print } / \| / { exit }' \
		"$BATS_TEST_TMPDIR"/out/0002-*.patch
	assert_output --regexp $'^v3: new\.\n\n a\.c +\| '
	# A changelog without notes gets none.
	run grep -c '^---$' "$BATS_TEST_TMPDIR"/out/0001-*.patch
	assert_output 1
}

@test "a changelog with a --- line where git am would cut it is an error" {
	printf 'second: add b\n\nWhy b.\n---' > "$ser/02-b"
	run series
	assert_failure
	assert_output --partial 'a "---" line where git am would cut the changelog'
}

@test "the cover letter is filled in" {
	run series
	assert_success

	run cat "$BATS_TEST_TMPDIR/out/0000-cover-letter.patch"
	assert_line "Subject: [PATCH 0/2] The cover"
	assert_line "Blurb, based on Linux 0.1."
	refute_output --partial "***"
}

@test "a subject prefix gives the posting's version in every subject" {
	run series "$BATS_TEST_TMPDIR/out" --subject-prefix "PATCH v3"
	assert_success

	run cat "$BATS_TEST_TMPDIR/out/0000-cover-letter.patch"
	assert_line "Subject: [PATCH v3 0/2] The cover"
	run cat "$BATS_TEST_TMPDIR"/out/0002-*.patch
	assert_line "Subject: [PATCH v3 2/2] second: add b"
}

@test "the same tree and split give the same files" {
	series "$BATS_TEST_TMPDIR/one"
	series "$BATS_TEST_TMPDIR/two"

	run diff -r "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/two"
	assert_success
}

@test "a changed file that no patch names is an error" {
	sed -i '/^file notes$/d' "$ser/split"
	run series

	assert_failure
	assert_output "series.py: error: no patch has the change to: notes"
}

@test "a rule that matches nothing is an error" {
	echo "block a.c '^int nothing\('" >> "$ser/split"
	run series

	assert_failure
	assert_output --partial "split:8: a.c: no line matches /^int nothing\(/"
}

@test "a rule in a patch before the file's own is an error" {
	sed -i 's/^file b.h$/file b.h\nline notes two/' "$ser/split"
	run series

	assert_failure
	assert_output --partial "patch 01-h comes before the one that changes notes"
}

@test "an interim rule gives a file a hand-written text after its patch" {
	mkdir -p "$ser/interim/01-h"
	printf 'int a(void)\n{\n\treturn 0;\n}\n' > "$ser/interim/01-h/a.c"
	sed -i 's/^file a.c$/file a.c\ninterim a.c/' "$ser/split"
	run series
	assert_success

	run git -C "$src" show klp-series~1:a.c
	assert_output "$(printf 'int a(void)\n{\n\treturn 0;\n}')"
	# The next patch changes the interim text into the final one.
	run git -C "$src" show klp-series:a.c
	assert_output "$(cat "$src/a.c")"
}

@test "an interim before the file's own patch adds the file early" {
	mkdir -p "$ser/interim/01-h"
	printf 'one\nhalf\n' > "$ser/interim/01-h/notes"
	sed -i 's/^file b.h$/file b.h\ninterim notes/' "$ser/split"
	run series
	assert_success

	run git -C "$src" show klp-series~1:notes
	assert_output "$(printf 'one\nhalf')"
	run git -C "$src" show klp-series:notes
	assert_output "$(printf 'one\ntwo')"
}

@test "an interim rule without its text is an error" {
	sed -i 's/^file a.c$/file a.c\ninterim a.c/' "$ser/split"
	run series

	assert_failure
	assert_output --partial "split:4: [Errno 2] No such file or directory"
}
