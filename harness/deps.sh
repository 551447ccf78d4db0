#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages the build, the VM and the tests need, and
# those named as arguments, if any is missing. Needs root for apt-get; says
# which packages are missing otherwise.

set -euo pipefail

PACKAGES=(
	linux-source-6.12
	build-essential bc bison flex libelf-dev libssl-dev dwarves cpio rsync
	kmod ccache sparse perl
	python3 python3-ply python3-git	# checkpatch.pl runs scripts/spdxcheck.py
	qemu-system-x86
	bats bats-assert bats-support bats-file
	procps util-linux coreutils
	shellcheck jq libkmod-dev pkg-config
	prometheus prometheus-node-exporter curl strace	# the tool's output tests
	bash-completion systemd	# completion tests, systemd-analyze verify of the units
	clang libclang-rt-14-dev	# libFuzzer, ASan, UBSan for tests/fuzz
	git git-email libmailtools-perl libemail-valid-perl	# the series: harness/series.py; series-check's git send-email
)
PACKAGES+=("$@")

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "error: missing Debian packages: ${missing[*]}" >&2
	echo "       run as root, or: apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "==> installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
