#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prepare the kernel source tree in build/src: extract the pristine source
# once (Debian's linux-source-6.12 tarball, or KSRC=/path to a tree of your
# own) and commit it to a private git repository, then on every run reset it
# to pristine, copy the project's kernel files over it and apply patches/series.
#
# Only the files git tracks are copied (git add a new one), never what a
# build left in the repository. Files whose content is the same as in the
# previous overlay keep its modification time, so that make only rebuilds
# what really changed; unless build/src held anything else since (make
# series, an interrupted overlay): then every overlay file is new to make.

set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Top-level directories of the repository that hold files at kernel paths.
OVERLAY_DIRS="Documentation include kernel lib samples scripts tools"
STATE="$BUILD/overlay.state"

source_id() {
	if [ -n "${KSRC:-}" ]; then
		echo "tree $(cd "$KSRC" && pwd)"
	else
		[ -f "$TARBALL" ] || die "$TARBALL missing: install linux-source-6.12"
		stat -c 'tarball %n %s %Y' "$TARBALL"
	fi
}

extract() {
	local id=$1

	msg "extracting pristine kernel source ($id)"
	rm -rf "$SRC" "$STATE"
	mkdir -p "$SRC"
	if [ -n "${KSRC:-}" ]; then
		[ -f "$KSRC/Makefile" ] || die "KSRC=$KSRC is not a kernel tree"
		rsync -a --exclude=.git "$KSRC/" "$SRC/"
	else
		tar -xf "$TARBALL" -C "$SRC" --strip-components=1
	fi
	git -C "$SRC" init -q
	no_auto_gc
	git -C "$SRC" add -A -f .
	git -C "$SRC" -c user.name=klp-shadow -c user.email=klp-shadow@localhost \
		commit -q -m "pristine: $id"
	echo "$id" > "$SRC/.git/klp-source-id"
}

# The pristine commit is the root of build/src's history; make series and
# series-check add commits on top of it and leave HEAD wherever they stop.
pristine() {
	git -C "$SRC" rev-list --max-parents=0 HEAD
}

# Record "sha1 mtime path" for every file the overlay changed or added
# (Debian's top-level .gitignore ignores every new file: list those too).
save_state() {
	git -C "$SRC" status --porcelain=v1 -uall --ignored |
		sed 's/^...//' | sort |
		while read -r f; do
			[ -f "$SRC/$f" ] || continue
			printf '%s %s %s\n' "$(git hash-object "$SRC/$f")" \
				"$(stat -c %Y "$SRC/$f")" "$f"
		done > "$STATE"
}

restore_mtimes() {
	local sha mtime f

	[ -f "$STATE" ] || return 0
	while read -r sha mtime f; do
		[ -f "$SRC/$f" ] || continue
		[ "$(git hash-object "$SRC/$f")" = "$sha" ] || continue
		touch -m -d "@$mtime" "$SRC/$f"
	done < "$STATE"
}

# copy_tracked: the files of OVERLAY_DIRS that git tracks, to build/src.
copy_tracked() {
	local f

	git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1 ||
		die "$TOP is not a git checkout: cannot tell its files from build outputs"
	# shellcheck disable=SC2086 # one pathspec per directory
	git -C "$TOP" ls-files -z -- $OVERLAY_DIRS |
		while IFS= read -r -d '' f; do
			[ -f "$TOP/$f" ] || continue	# deleted, not yet committed
			mkdir -p "$SRC/${f%/*}"
			cp "$TOP/$f" "$SRC/$f"
		done
}

# git's automatic gc after a commit in build/src would repack the whole
# kernel in the background, holding build/.lock (its inherited fd 9) for
# minutes while the next make target waits.
no_auto_gc() {
	git -C "$SRC" config gc.auto 0
	git -C "$SRC" config maintenance.auto false
}

overlay() {
	local p rewritten=0

	no_auto_gc
	[ -e "$SRC/.git/klp-rewritten" ] && rewritten=1
	src_rewritten	# until this overlay is complete
	git -C "$SRC" checkout -q -f --detach "$(pristine)"
	git -C "$SRC" reset -q --hard
	git -C "$SRC" clean -q -f -d -x
	copy_tracked
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		patch -d "$SRC" -p1 -s -f --no-backup-if-mismatch \
			< "$TOP/patches/$p" || die "patches/$p does not apply"
	done < "$TOP/patches/series"
	if [ $rewritten = 0 ]; then
		restore_mtimes
	else
		msg "build/src held something else since the last overlay: every overlay file is new"
	fi
	save_state
	rm -f "$SRC/.git/klp-rewritten"
}

main() {
	local id

	lock_tree
	id=$(source_id)
	if [ ! -f "$SRC/.git/klp-source-id" ] ||
	   [ "$(cat "$SRC/.git/klp-source-id")" != "$id" ]; then
		extract "$id"
	fi
	overlay
	msg "kernel source: $(make -s -C "$SRC" kernelversion) ($id$(package_version))"
}

# Sourced by tests/bats/host/ksrc.bats for its functions; run, it prepares.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	main "$@"
fi
