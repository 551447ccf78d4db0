# SPDX-License-Identifier: GPL-2.0
# Shared setup for every bats file: bats-support, bats-assert, and paths.
# shellcheck shell=bash

bats_load_library bats-support
bats_load_library bats-assert

KLP_TOP=${KLP_TOP:-$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)}
export KLP_TOP

# guest_only: skip unless running inside the test VM (harness/vm.sh).
in_guest() {
	[ -n "${KLP_RUN:-}" ]
}
