#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure and build the kernel in build/obj (O=) from tinyconfig plus the
# fragments in harness/config, then the out-of-tree modules: the upstream
# livepatch selftest modules and our own test modules, staged with the
# selftest scripts under build/obj/stage.
#
# Usage: kbuild.sh [FRAGMENT...]   (default: base.config livepatch.config)
# A variant builds in its own directory: OBJ=build/obj-nodebug kbuild.sh
# base.config livepatch.config nodebug.config

set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"
lock_tree

FRAGMENTS=("$@")
[ ${#FRAGMENTS[@]} -gt 0 ] || FRAGMENTS=(base.config livepatch.config)

# Every CONFIG_X=v and "# CONFIG_X is not set" line of the fragments must be in
# the final .config; merge_config.sh silently drops unmet ones. A later
# fragment overrides an option an earlier one sets.
verify_config() {
	local frag line opt missing=()
	local -A want=()
	local -a order=()

	for frag in "$@"; do
		while IFS= read -r line; do
			case "$line" in
			CONFIG_*=*) opt=${line%%=*} ;;
			'# CONFIG_'*' is not set') opt=${line:2:-11} ;;
			*) continue ;;
			esac
			if [[ "$line" == *"=n" ]]; then
				line="# ${line%=n} is not set"
			fi
			[ -n "${want[$opt]+set}" ] || order+=("$opt")
			want[$opt]=$line
		done < "$frag"
	done
	for opt in "${order[@]}"; do
		line=${want[$opt]}
		grep -qxF -- "$line" "$OBJ/.config" && continue
		# "is not set" also holds for an option whose menu is off.
		if [[ "$line" == '# '* ]] && ! grep -q "^$opt=" "$OBJ/.config"; then
			continue
		fi
		missing+=("$line")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		printf 'error: not in the final .config (unmet dependencies?):\n' >&2
		printf '  %s\n' "${missing[@]}" >&2
		exit 1
	fi
}

configure() {
	local paths=() f stamp

	for f in "${FRAGMENTS[@]}"; do
		paths+=("$HARNESS/config/$f")
	done
	# Regenerating the config costs half a minute: skip it when neither
	# the fragments, the source nor our Kconfig changes changed.
	stamp=$( (cat "${paths[@]}"; git -C "$SRC" rev-parse HEAD
		  cd "$SRC" && git ls-files -m -o --exclude-standard -- '*Kconfig*' |
		  xargs -r cat) | sha1sum)
	if [ -f "$OBJ/.config" ] && [ "$(cat "$OBJ/.klp-config-stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	mkdir -p "$OBJ"
	[ -f "$OBJ/.config" ] && cp "$OBJ/.config" "$OBJ/.config.old.klp"
	kmake tinyconfig >/dev/null
	(cd "$SRC" && KCONFIG_CONFIG="$OBJ/.config" \
		scripts/kconfig/merge_config.sh -m -O "$OBJ" "$OBJ/.config" \
		"${paths[@]}" >/dev/null)
	kmake olddefconfig >/dev/null
	verify_config "${paths[@]}"
	# Keep the old file (and its mtime) when nothing changed.
	if [ -f "$OBJ/.config.old.klp" ] && cmp -s "$OBJ/.config" "$OBJ/.config.old.klp"; then
		mv "$OBJ/.config.old.klp" "$OBJ/.config"
	fi
	rm -f "$OBJ/.config.old.klp"
	echo "$stamp" > "$OBJ/.klp-config-stamp"
}

# stage_extmod NAME SRCDIR [VAR=VALUE...]: copy an out-of-tree module
# directory into the stage (keeping objects of earlier builds) and build it
# against $OBJ.
stage_extmod() {
	local dest="$STAGE/$1"

	mkdir -p "$dest"
	rsync -a --checksum "$2/" "$dest/"
	kmake M="$dest" "${@:3}" modules
}

stage_selftests() {
	local st="$SRC/tools/testing/selftests/livepatch" dest="$STAGE/selftests"

	mkdir -p "$dest"
	rsync -a --checksum --exclude=test_modules "$st/" "$dest/"
	stage_extmod selftests/test_modules "$st/test_modules"
	gcc -O2 -Wall -o "$dest/test_klp-call_getpid" "$st/test_klp-call_getpid.c"
}

main() {
	local start=$SECONDS

	seed_obj
	configure
	msg "building the kernel in $OBJ"
	kmake bzImage modules
	rm -rf "$MODROOT"
	kmake INSTALL_MOD_PATH="$MODROOT" modules_install >/dev/null
	stage_selftests
	# Our test modules need the registry; the pristine upstream tree of
	# make bench gets only the benchmark module, without the typed API.
	if grep -q klp_shadow_register "$SRC/include/linux/livepatch.h"; then
		stage_extmod modules "$TOP/tests/modules"
		stage_extmod bench "$TOP/tests/bench" KLP_BENCH_TYPED=y
	else
		stage_extmod bench "$TOP/tests/bench"
	fi
	msg "kernel $(kernel_release) built in $((SECONDS - start)) s"
}

main
