#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Load a module with its N-th slab allocation made to fail.

usage: fail-nth-load.py N MODULE.ko

Writes N to /proc/thread-self/fail-nth and calls finit_module() from the
same thread (fault injection counts per task, so insmod, a child, would
not do), then prints "<errno> <injected>": errno 0 if the module loaded,
injected 1 if the N-th allocation was reached and failed
(Documentation/fault-injection/fault-injection.rst).
"""

import ctypes
import os
import sys

SYS_FINIT_MODULE = 313  # x86_64


def main():
    nth, path = int(sys.argv[1]), sys.argv[2]
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    knob = os.open('/proc/thread-self/fail-nth', os.O_RDWR)
    os.write(knob, str(nth).encode())
    ret = libc.syscall(SYS_FINIT_MODULE, fd, b'', 0)
    err = ctypes.get_errno() if ret else 0
    # Stop counting before anything else allocates.
    left = int(os.pread(knob, 32, 0))
    os.write(knob, b'0')
    print(err, 1 if left == 0 else 0)


if __name__ == '__main__':
    main()
