#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Write a directory tree as one input of the klp-shadow fuzz target.

usage: mkseed.py TREE OUTPUT

Entries are separated by NUL bytes: "path" for a directory, "path\\x01"
and the content for a file, "path\\x02" and the target for a symbolic
link (see tests/fuzz/klp_shadow_fuzz.c).
"""

import os
import sys


def main():
    tree, output = sys.argv[1:3]
    entries = []
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames.sort()
        rel = os.path.relpath(dirpath, tree)
        if rel != '.':
            entries.append(rel.encode())
        for name in sorted(filenames + [d for d in dirnames
                                        if os.path.islink(os.path.join(dirpath, d))]):
            full = os.path.join(dirpath, name)
            path = os.path.normpath(os.path.join(rel, name)).encode()
            if os.path.islink(full):
                entries.append(path + b'\x02' + os.readlink(full).encode())
            else:
                with open(full, 'rb') as f:
                    entries.append(path + b'\x01' + f.read())
    with open(output, 'wb') as f:
        f.write(b'\x00'.join(entries))


if __name__ == '__main__':
    main()
