#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test VM. The root file system is the host's, read-only over
# virtio-9p; the run directory (tag "klprun", from harness/vm.sh) is writable
# and holds job.sh, the job to run. Its output goes to the console and to
# run/output, its exit status to run/status, the kernel log to run/dmesg.
# Then the VM reboots, which ends QEMU (-no-reboot).
#
# The host's /lib/modules (if any) belongs to the host's kernel and cannot be
# covered on a read-only root: guest scripts load our modules with
# "modprobe -d $KLP_MODROOT" or insmod with a path.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TERM=${TERM:-linux} LANG=C.UTF-8

RUN=/run/klp

mounts() {
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mountpoint -q /dev || mount -t devtmpfs dev /dev
	ln -sf /proc/self/fd /dev/fd
	ln -sf /proc/self/fd/0 /dev/stdin
	ln -sf /proc/self/fd/1 /dev/stdout
	ln -sf /proc/self/fd/2 /dev/stderr
	mkdir -p /dev/pts /dev/shm
	mount -t devpts devpts /dev/pts
	mount -t tmpfs tmpfs /dev/shm
	mount -t tmpfs tmpfs /run
	mount -t debugfs debugfs /sys/kernel/debug
	mountpoint -q /sys/kernel/tracing ||
		mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
	mkdir -p "$RUN"
	mount -t 9p -o trans=virtio,version=9p2000.L klprun "$RUN"
}

# Writable /tmp and /var/tmp, unless that would hide the project (a clone
# under /tmp, say): then TMPDIR points into /run instead.
scratch() {
	local d

	for d in /tmp /var/tmp; do
		case "$KLP_TOP/:$KLP_OBJ/" in
		"$d"/*|*:"$d"/*)
			mkdir -p "/run$d"
			[ "$d" = /tmp ] && export TMPDIR=/run/tmp
			;;
		*)
			mount -t tmpfs tmpfs "$d"
			;;
		esac
	done
}

mounts
# shellcheck source=/dev/null
. "$RUN/env"
scratch
hostname klp-vm
cd "$RUN" || exit 1

if [ -f "$RUN/interactive" ]; then
	setsid -c bash -l </dev/ttyS0 >/dev/ttyS0 2>&1
	echo $? > "$RUN/status"
else
	bash "$RUN/job.sh" 2>&1 | tee "$RUN/output"
	echo "${PIPESTATUS[0]}" > "$RUN/status"
fi
dmesg > "$RUN/dmesg"
cd / && umount "$RUN"
sync
reboot -f 2>/dev/null
