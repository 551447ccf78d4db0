#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the built kernel in QEMU (TCG, 2 vCPUs, serial console) with the
# host's root file system shared read-only over virtio-9p, run a command in
# it, and pass back its output and exit status.
#
# Usage: vm.sh [--timeout SEC] [--shell] [--out DIR] [-- COMMAND...]
#
# The run fails if the guest's command fails, if the VM does not end within
# the timeout, or if the kernel log holds any oops, BUG, WARNING, lockdep,
# KASAN or kmemleak report (harness/scan-log.sh), even when the command
# succeeded. KLP_VM_ACCEL=kvm opts in to KVM (it hangs on some hosts).
# The CPUs come from QEMU's ACPI tables (CONFIG_ACPI).
# KLP_VM_MEM sets the guest memory (default 2G), KLP_VM_SMP its CPUs
# (default 2), KLP_VM_ICOUNT (unset by default) clocks it by its
# instructions: QEMU's -icount shift=N, 2^N ns per instruction run.

set -euo pipefail
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/lib.sh"

timeout=${KLP_VM_TIMEOUT:-900}
interactive=0
out=""

while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) timeout=$2; shift 2 ;;
	--shell) interactive=1; shift ;;
	--out) out=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done

kernel="$OBJ/arch/x86/boot/bzImage"
[ -f "$kernel" ] || die "no kernel at $kernel: run make kernel first"
[ -n "$out" ] || out=$(mktemp -d "$BUILD/vm.XXXXXX")
mkdir -p "$out"
rm -f "$out/status" "$out/output" "$out/dmesg" "$out/console" "$out/interactive"

{
	printf 'export KLP_TOP=%q KLP_OBJ=%q KLP_STAGE=%q KLP_MODROOT=%q KDIR=%q\n' \
		"$TOP" "$OBJ" "$STAGE" "$MODROOT" "$OBJ"
	printf 'export KLP_RUN=/run/klp\n'
} > "$out/env"
{
	printf 'cd %q || exit 1\n' "$PWD"
	printf '%q ' "$@"
	echo
} > "$out/job.sh"
[ "$interactive" = 1 ] && touch "$out/interactive"

# Two vCPUs on one host thread, interleaved: QEMU 7.2's multi-threaded TCG
# (thread=multi) lets a vCPU run a stale translation of code the kernel
# patched on the other one, the int3 of a text_poke_bp() that is already
# done (an "Oops: int3" at a static branch). The guest sees two CPUs
# either way, with the interleavings of a preemptible SMP kernel.
accel=${KLP_VM_ACCEL:-tcg,thread=single}
[ -z "${KLP_VM_ICOUNT:-}" ] || [[ "$accel" == tcg* ]] ||
	die "KLP_VM_ICOUNT needs TCG, not KLP_VM_ACCEL=$accel"
cmdline="console=ttyS0 loglevel=5 panic=-1 root=/dev/root rootfstype=9p"
# Under TCG the clocksource watchdog finds the TSC unstable and the guest
# falls back to a clock of one jiffy; trust the TSC, as the benchmark does.
cmdline+=" tsc=reliable"
# ACPI only for the CPUs (MADT): PCI interrupts are routed through the BIOS's
# table, as without ACPI. The AML of QEMU's _PRT, interpreted by a debug
# kernel under TCG, passes ACPICA's 30 s loop timeout: virtio got no IRQ.
cmdline+=" pci=noacpi"
# cache=loose: the host's tree does not change under a running VM, and
# keeping pages and inodes makes each exec and module load nearly twice
# as fast as the default of no cache (measured under TCG).
cmdline+=" rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro"
cmdline+=" init=$HARNESS/guest/init.sh ${KLP_VM_APPEND:-}"

# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
qemu=(qemu-system-x86_64 -accel "$accel" -smp "${KLP_VM_SMP:-2}" -m "${KLP_VM_MEM:-2G}"
	-nographic -no-reboot -net none -vga none -kernel "$kernel" -append "$cmdline"
	-fsdev "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap"
	-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
	-fsdev "local,id=run,path=$out,security_model=none"
	-device virtio-9p-pci,fsdev=run,mount_tag=klprun)
if [ -n "${KLP_VM_ICOUNT:-}" ]; then
	# sleep=off: an idle guest's clock jumps to its next timer, instead
	# of running at the host's pace.
	qemu+=(-icount "shift=$KLP_VM_ICOUNT,sleep=off")
fi

rc=0
if [ "$interactive" = 1 ]; then
	"${qemu[@]}" || rc=$?
	exit $rc
fi

set +e +o pipefail
timeout --foreground -k 10 "$timeout" "${qemu[@]}" < /dev/null 2>&1 |
	tee "$out/console" | sed -u -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1bc//g' -e 's/\r//g'
rc=${PIPESTATUS[0]}
set -e -o pipefail
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "error: VM timed out after $timeout s (console: $out/console)" >&2
	exit 1
fi
if [ ! -f "$out/status" ]; then
	echo "error: the VM ended without a job status (qemu exit $rc; console: $out/console)" >&2
	"$HARNESS/scan-log.sh" "$out/console" 2>/dev/null | head -n 40 >&2
	exit 1
fi
scan=0
reports=$("$HARNESS/scan-log.sh" "$out/console" "$out/dmesg" 2>&1) || scan=$?
if [ "$scan" = 1 ]; then
	echo "error: kernel reports in the VM's log:" >&2
	echo "$reports" | head -n 40 >&2
	exit 1
elif [ "$scan" != 0 ]; then
	echo "error: the VM's kernel log could not be checked: $reports" >&2
	exit 1
fi
exit "$(cat "$out/status")"
