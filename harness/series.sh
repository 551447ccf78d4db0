#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make series: the repository's changes to linux-source-6.12 as a patch
# series with a cover letter, in build/series/patches. series/split says
# which lines go to which patch, series/<patch> holds each changelog,
# series/cover-letter the cover letter; harness/series.py cuts the series,
# and the recipients scripts/get_maintainer.pl gives go to the cover
# letter's header.
#
# The Signed-off-by and From lines come from git config user.name and
# user.email (the last commit's author if they are unset); the dates from
# the repository's last commit, so the same commit always gives the same
# files.

set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"
lock_tree

SERIES="$BUILD/series"

# The posting's version: v1 and v2 were the 2022 proposal this series
# follows; its cover letter says what changed since.
VERSION=3

# The identity of git config user.name and user.email; without them (a
# bare CI machine), the author of the repository's last commit, said so.
identity() {
	local name email

	name=$(git -C "$TOP" config user.name) || true
	email=$(git -C "$TOP" config user.email) || true
	if [ -z "$name" ] || [ -z "$email" ]; then
		msg "git config user.name/user.email not set: signing off as the last commit's author"
		git -C "$TOP" log -1 --format='%an <%ae>'
		return
	fi
	echo "$name <$email>"
}

# recipients IDENT: the To (maintainers and reviewers) and Cc (mailing
# lists) lines scripts/get_maintainer.pl gives for the patches, the
# sender IDENT left out, added to the cover letter's header; "git
# send-email --to-cover --cc-cover" sends every patch to them.
recipients() {
	local cover="$SERIES/patches/0000-cover-letter.patch" to cc p patches=()
	local gm=(perl scripts/get_maintainer.pl --no-git --no-git-fallback --no-rolestats)
	# shellcheck disable=SC2016 # the program is awk's
	local join=(awk -v "me=$1" '$0 != me { printf "%s%s", n++ ? ", " : "", $0 }')

	for p in "$SERIES"/patches/0*.patch; do
		[ "$p" = "$cover" ] || patches+=("$p")
	done
	to=$(cd "$SRC" && "${gm[@]}" --nol "${patches[@]}" | "${join[@]}") || return 1
	cc=$(cd "$SRC" && "${gm[@]}" --nom --nor --l "${patches[@]}" | "${join[@]}") || return 1
	if [ -z "$to" ] || [ -z "$cc" ]; then
		die "get_maintainer.pl found no maintainer or no list"
	fi
	awk -v to="$to" -v cc="$cc" '
		!done && $0 == "" { print "To: " to; print "Cc: " cc; done = 1 }
		{ print }' "$cover" > "$cover.new" && mv "$cover.new" "$cover"
	msg "to: $to"
	msg "cc: $cc"
}

main() {
	local ident based_on

	ident=$(identity)
	"$HARNESS/deps.sh"
	"$HARNESS/ksrc.sh"
	src_rewritten
	based_on="Linux $(make -s -C "$SRC" kernelversion)$(package_version)"
	rm -rf "$SERIES/patches"
	mkdir -p "$SERIES"
	python3 "$HARNESS/series.py" --src "$SRC" --split "$TOP/series/split" \
		--out "$SERIES/patches" --ident "$ident" \
		--subject-prefix "PATCH v$VERSION" \
		--date "$(git -C "$TOP" log -1 --format=%cI)" \
		--based-on "$based_on" > "$SERIES/final-tree"
	recipients "$ident"
	# RFC 2606's names cannot receive the replies a posting gets.
	if grep -qiE '([@.](example|invalid|test|localhost)|@example\.(com|net|org))>$' <<< "$ident"; then
		msg "warning: $ident cannot receive mail: set git config user.name and user.email to the sender's before posting"
	fi
	msg "series against $based_on, signed off by $ident:"
	(cd "$SERIES/patches" && ls -1) | sed "s|^|  $SERIES/patches/|" >&2
}

main "$@"
