#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Load a module with its N-th slab allocation made to fail.

usage: fail-nth-load.py N MODULE.ko
       fail-nth-load.py range BUILT-IN.A

Writes N to /proc/thread-self/fail-nth and calls finit_module() from the
same thread (fault injection counts per task, so insmod, a child, would
not do), then prints "<errno> <injected>": errno 0 if the module loaded,
injected 1 if the N-th allocation was reached and failed
(Documentation/fault-injection/fault-injection.rst).

"range" prints the start and end of the livepatch core's text in the
running kernel, for failslab's require-start and require-end: the klp_
functions of kernel/livepatch/built-in.a (nm) where /proc/kallsyms puts
them, the cluster around klp_enable_patch (init and cold text sit
elsewhere).
"""

import ctypes
import os
import subprocess
import sys

SYS_FINIT_MODULE = 313  # x86_64


def core_range(obj):
    sizes = {}
    nm = subprocess.run(['nm', '-S', '--defined-only', obj], check=True,
                        capture_output=True, text=True).stdout
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in 'tT' and f[3].lstrip('_').startswith('klp_'):
            sizes[f[3]] = int(f[1], 16)
    addrs = {}
    with open('/proc/kallsyms') as f:
        for line in f:
            a, t, name = line.split()[:3]
            if t in 'tT' and name in sizes:
                addrs[name] = int(a, 16)
    spans = sorted((a, a + sizes[n]) for n, a in addrs.items())
    centre = addrs['klp_enable_patch']
    i = next(k for k, s in enumerate(spans) if s[0] == centre)
    lo_i = hi_i = i
    while lo_i > 0 and spans[lo_i][0] - spans[lo_i - 1][1] < 65536:
        lo_i -= 1
    while hi_i + 1 < len(spans) and spans[hi_i + 1][0] - spans[hi_i][1] < 65536:
        hi_i += 1
    print(spans[lo_i][0], max(e for _, e in spans[lo_i:hi_i + 1]))


def main():
    if sys.argv[1] == 'range':
        core_range(sys.argv[2])
        return
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
