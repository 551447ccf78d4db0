#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make series: the repository's changes to linux-source-6.12 as a patch
# series with a cover letter, in build/series/patches. series/split says
# which lines go to which patch, series/<patch> holds each changelog,
# series/cover-letter the cover letter; harness/series.py cuts the series.
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
		--date "$(git -C "$TOP" log -1 --format=%cI)" \
		--based-on "$based_on" > "$SERIES/final-tree"
	msg "series against $based_on, signed off by $ident:"
	(cd "$SERIES/patches" && ls -1) | sed "s|^|  $SERIES/patches/|" >&2
}

main "$@"
