#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make series-check: make the series, then apply it to the pristine tree one
# patch at a time with git am; after each patch build the kernel and its
# modules (unless the patch changes none of their files), the livepatch
# selftest modules and (once it exists) the tool, and run checkpatch.pl
# --strict on that patch. Prints TAP: one line per
# patch ("builds yes/no, checkpatch E errors, W warnings, C checks"), then
# whether the last patch gives the tree and the .config make check builds,
# and whether git send-email --dry-run takes the series.
#
# Needs the kernel of build/obj (make kernel): build/obj-series starts as a
# copy of it and keeps its .config. build/src is left as harness/ksrc.sh
# makes it.

set -uo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"
lock_tree

MAIN_CONFIG="$BUILD/obj/.config"
export OBJ="$BUILD/obj-series"
# shellcheck source=harness/lib.sh # again, for the paths under $OBJ
. "$HARNESS/lib.sh"
PATCHES="$BUILD/series/patches"
LOGS="$BUILD/series/logs"

n=0 failed=0

tap() {
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - series: $2"
	else
		echo "not ok $n - series: $2"
		failed=$((failed + 1))
	fi
}

# kernel_untouched: the last patch applied changes no file the kernel's
# build reads (only Documentation/ but its Kconfig, MAINTAINERS, the
# livepatch selftests and the tool): the kernel after it is the one built
# after the patch before.
kernel_untouched() {
	local files

	files=$(git -C "$SRC" diff --no-renames --name-only HEAD^ HEAD) || return 1
	[ -n "$files" ] && ! grep -qxF Documentation/Kconfig <<< "$files" &&
		! grep -qvE '^(Documentation/|MAINTAINERS$|tools/testing/selftests/livepatch/|tools/klp-shadow/)' <<< "$files"
}

# build LOG: the kernel, unless kernel_untouched after a patch whose
# build worked without a warning (kernel=same then), and what the tree
# has to build against it; fails on an error or on any compiler warning.
kernel=yes kernel_ok=no
build() {
	local log=$1 tm="$OBJ/series-test-modules"

	if [ "$kernel_ok" = yes ] && kernel_untouched; then
		kernel=same
	else
		kernel=yes
	fi
	kernel_ok=no
	{
		if [ "$kernel" = yes ]; then
			cp "$MAIN_CONFIG" "$OBJ/.config" &&
			kmake olddefconfig && kmake vmlinux modules
		else
			echo "The patch changes nothing the kernel's build reads: not built again."
		fi &&
		mkdir -p "$tm" &&
		rsync -a --checksum --delete "$SRC/tools/testing/selftests/livepatch/test_modules/" "$tm/" &&
		kmake M="$tm" modules &&
		if [ -d "$SRC/tools/klp-shadow" ]; then
			make -s -C "$SRC/tools/klp-shadow" O="$OBJ/klp-shadow" WERROR=1
		fi
	} >"$log" 2>&1 || return 1
	! grep -q 'warning:' "$log" || return 1
	kernel_ok=yes
}

# checkpatch PATCH: prints "E W C" for the patch, its messages in $LOGS.
# checkpatch asks of every patch that adds a file whether MAINTAINERS
# needs updating (FILE_PATH_CHANGES); get_maintainer.pl answers it: each
# file the applied patch adds must have a maintainer, or it counts as a
# warning of its own (NO_MAINTAINER).
checkpatch() {
	local out="$LOGS/${1##*/}.checkpatch" total e w c f orphans=0

	(cd "$SRC" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict \
		--show-types --ignore FILE_PATH_CHANGES "$1") >"$out" 2>&1
	total=$(sed -n 's/^total: \([0-9]*\) errors, \([0-9]*\) warnings, \([0-9]*\) checks.*/\1 \2 \3/p' "$out")
	while read -r f; do
		[ -n "$f" ] || continue
		if [ -z "$(cd "$SRC" && perl scripts/get_maintainer.pl --no-git \
			--no-git-fallback --nol --no-rolestats -f "$f" 2>/dev/null)" ]; then
			printf 'WARNING:NO_MAINTAINER: %s: no maintainer in MAINTAINERS\n\n' "$f" >> "$out"
			orphans=$((orphans + 1))
		fi
	done < <(git -C "$SRC" diff --no-renames --diff-filter=A --name-only HEAD^ HEAD)
	read -r e w c <<< "${total:-? ? ?}"
	[ "$w" = "?" ] || w=$((w + orphans))
	echo "$e $w $c"
}

# Nothing but the series was built from build/src while it was rewritten
# (the tree lock), and only in build/obj-series: the overlay may give its
# unchanged files their old times back.
restore() {
	rm -f "$SRC/.git/klp-rewritten"
	"$HARNESS/ksrc.sh" >/dev/null 2>&1 || echo "# error: harness/ksrc.sh failed: run it again"
}

main() {
	local p total=0 i=0 subject built start e w c ok tree

	[ -f "$MAIN_CONFIG" ] || die "no $MAIN_CONFIG: run make kernel first"
	"$HARNESS/series.sh" || { tap "not ok" "make series"; return 1; }
	seed_obj
	rm -rf "$LOGS"
	mkdir -p "$LOGS"
	trap restore EXIT
	src_rewritten
	git -C "$SRC" checkout -q -f --detach "$(git -C "$SRC" rev-list --max-parents=0 HEAD)"
	git -C "$SRC" clean -q -f -d -x

	for p in "$PATCHES"/0*.patch; do
		[ "${p##*/}" = 0000-cover-letter.patch ] || total=$((total + 1))
	done
	for p in "$PATCHES"/0*.patch; do
		[ "${p##*/}" = 0000-cover-letter.patch ] && continue
		i=$((i + 1))
		subject=$(awk '/^Subject: / { s = $0; while ((getline l) > 0 && l ~ /^ /) s = s l
			print s; exit }' "$p" | sed 's/^Subject: \[PATCH[ v0-9]* [0-9]*\/[0-9]*\] //')
		subject="$(printf '%02d/%02d' "$i" "$total") $subject"
		if ! git -C "$SRC" -c user.name=series-check -c user.email=series-check@localhost \
			am -q "$p" >"$LOGS/${p##*/}.am" 2>&1; then
			tap "not ok" "$subject: does not apply"
			sed 's/^/# /' "$LOGS/${p##*/}.am"
			return 1
		fi
		built=yes start=$SECONDS
		build "$LOGS/${p##*/}.build" || built=no
		read -r e w c < <(checkpatch "$p")
		ok=ok
		[ "$built" = yes ] && [ "$e$w$c" = 000 ] || ok="not ok"
		[ "$built" = yes ] && [ "$kernel" = same ] &&
			built+=", the kernel as after the patch before"
		tap "$ok" "$subject: builds $built ($((SECONDS - start)) s), checkpatch $e errors, $w warnings, $c checks"
		if [ "$built" = no ]; then
			tail -n 20 "$LOGS/${p##*/}.build" | sed 's/^/# /'
		fi
		grep -E '^(ERROR|WARNING|CHECK):' -A3 "$LOGS/${p##*/}.checkpatch" | sed 's/^/# /'
	done

	tree=$(git -C "$SRC" rev-parse 'HEAD^{tree}')
	if [ "$tree" = "$(cat "$BUILD/series/final-tree")" ]; then
		tap ok "after the last patch the tree is the one make check builds"
	else
		tap "not ok" "after the last patch the tree differs from the one make check builds"
	fi
	if cmp -s "$OBJ/.config" "$MAIN_CONFIG"; then
		tap ok "after the last patch the .config is the one make check builds"
	else
		tap "not ok" "after the last patch the .config differs from build/obj/.config"
		diff "$MAIN_CONFIG" "$OBJ/.config" | head -n 20 | sed 's/^/# /'
	fi
	send_email
	[ "$failed" -eq 0 ]
}

# send_email: git send-email --dry-run takes every patch and the cover
# letter as make series leaves them, sent to the recipients of the cover
# letter's header: it refuses an address it cannot parse (Email::Valid)
# and a file that is not a mail, and runs any sendemail-validate hook; a
# line too long for SMTP it sends quoted-printable instead.
send_email() {
	local cover="$PATCHES/0000-cover-letter.patch" from out files ok

	files=("$PATCHES"/0*.patch)
	# The header's From, unfolded.
	from=$(awk '/^$/ { exit } /^[ \t]/ { h = h $0; next } { print h; h = $0 }
		    END { print h }' "$cover" | sed -n 's/^From: //p')
	if ! out=$(git -C "$SRC" send-email --dry-run --confirm=never --to-cover --cc-cover \
		--from="$from" --8bit-encoding=UTF-8 "${files[@]}" 2>&1 < /dev/null); then
		tap "not ok" "git send-email --dry-run refuses the series"
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
		return
	fi
	ok=$(grep -c '^Dry-OK\. Log says:' <<< "$out")
	if [ "$ok" = "${#files[@]}" ]; then
		tap ok "git send-email --dry-run takes the cover letter and the $((ok - 1)) patches"
	else
		tap "not ok" "git send-email --dry-run sent $ok of ${#files[@]} messages"
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
	fi
}

main "$@"
