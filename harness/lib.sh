# SPDX-License-Identifier: GPL-2.0
# Shared paths and helpers for the harness scripts. Source it; do not run it.
# shellcheck shell=bash disable=SC2034 # the paths are for the sourcing scripts

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS="$TOP/harness"
BUILD=${BUILD:-$TOP/build}
SRC=${SRC:-$BUILD/src}		# pristine kernel tree (git) + our overlay
OBJ=${OBJ:-$BUILD/obj}		# O= output of the kernel build
MODROOT="$OBJ/modroot"		# modules_install INSTALL_MOD_PATH
STAGE="$OBJ/stage"		# out-of-tree modules and selftests, ready to run
TARBALL=${TARBALL:-/usr/src/linux-source-6.12.tar.xz}
JOBS=${JOBS:-$(nproc)}

msg() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# kmake ARGS...: make in the kernel tree with our output directory,
# ccache when installed.
kmake() {
	local cc=gcc

	command -v ccache >/dev/null && cc="ccache gcc"
	make -s -C "$SRC" O="$OBJ" ARCH=x86_64 CC="$cc" LOCALVERSION= -j"$JOBS" "$@"
}

# kernel_release: the release string of the configured build.
kernel_release() {
	cat "$OBJ/include/config/kernel.release"
}

# ", Debian package linux-source-6.12 VERSION" when the tarball is used.
package_version() {
	[ -z "${KSRC:-}" ] || return 0
	dpkg-query -W -f=', Debian package ${Package} ${Version}' linux-source-6.12 2>/dev/null
}

# seed_obj: a variant's build directory (OBJ=build/obj-<variant>) starts as
# a copy of build/obj, so that only what its fragments change is rebuilt.
# objtool's own build records absolute paths; they must name the copy, or a
# relinked objtool would make every object file out of date.
seed_obj() {
	local seed="$BUILD/obj" f

	[ "$OBJ" != "$seed" ] && [ ! -e "$OBJ" ] && [ -f "$seed/.config" ] || return 0
	[ "$SRC" = "$BUILD/src" ] || return 0
	msg "seeding $OBJ from $seed"
	rm -rf "$OBJ.tmp"
	cp -a "$seed" "$OBJ.tmp"
	rm -rf "$OBJ.tmp/modroot" "$OBJ.tmp/stage"
	grep -rlIF --exclude='*.o' -- "$seed/" "$OBJ.tmp/tools" | while IFS= read -r f; do
		sed -i "s|$seed/|$OBJ/|g" "$f"
	done
	mv "$OBJ.tmp" "$OBJ"
}

# lock_tree: hold build/.lock for this script and those it runs, so that no
# two make targets prepare, build or rewrite build/src at once (make series
# rewrites it for minutes; a build beside it mixes two struct layouts).
# Waits, and says so, while another target holds it.
lock_tree() {
	[ "${KLP_TREE_LOCK:-}" = "$BUILD" ] && return 0
	mkdir -p "$BUILD"
	exec 9>>"$BUILD/.lock"
	if ! flock -n 9; then
		msg "waiting for another make target in this checkout ($BUILD/.lock)"
		flock 9
	fi
	export KLP_TREE_LOCK=$BUILD
}

# src_rewritten: build/src is about to hold something else than the
# overlay (make series, series-check): the next overlay must not give any
# file an old modification time, as what a build made of it is unknown.
src_rewritten() {
	touch "$SRC/.git/klp-rewritten"
}

