#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Which code addresses of some functions share a slot of QEMU's jump cache.

Usage: jmpcache.py VMLINUX FUNCTION...

Under TCG, a vCPU enters a translated block through its jump cache, a
direct-mapped table of 4096 slots indexed by a hash of the guest's
address, whenever the block is not chained to the one before: after
every return, every indirect jump or call, and every direct one to
another page (tb_jmp_cache_hash_func() in QEMU's tb-hash.h, as QEMU 7.2
has it for system emulation). Two addresses that the same loop enters and that
hash to the same slot evict each other: each entry then costs a lookup in
the global hash table of blocks instead of a load, tens of ns. The hash
keeps 6 bits of an address within its page (its bits 0-5 xor 6-11): two
return sites of one function collide one time in 64.

For each FUNCTION of VMLINUX this takes its entry and the return site of
each of its calls, except calls of __fentry__ (ftrace makes them NOPs at
boot), and prints one line per slot that two or more of those share:

    slot 0x310: klp_shadow_free+0x24 klp_shadow_free+0x128

Whether both are entered by the same loop, the static code cannot say (a
return site on an error path costs nothing). The list is a lower bound:
it does not see the blocks a vCPU enters after an instruction that ends
one (sti, popf), nor the jumps within a function to its next page, nor
the callers' return sites (a module's are known only once loaded), nor
the functions not named. A FUNCTION not in VMLINUX is left out, and so
is all but the first of several of one name, each with a warning; none
found is an error.
"""

import re
import subprocess
import sys

PAGE_BITS = 12
JMP_CACHE_BITS = 12
JMP_PAGE_BITS = JMP_CACHE_BITS // 2
JMP_ADDR_MASK = (1 << JMP_PAGE_BITS) - 1
JMP_PAGE_MASK = (1 << JMP_CACHE_BITS) - (1 << JMP_PAGE_BITS)

CALL = re.compile(r'^\s*([0-9a-f]+):\s+(?:(?:cs|ds|notrack|bnd)\s+)*'
                  r'callq?\s+[0-9a-f]*\s*(?:<([^>+]+)[^>]*>)?')
INSN = re.compile(r'^\s*([0-9a-f]+):')


def slot(pc):
    """The jump cache slot of guest address pc, as QEMU computes it."""
    tmp = pc ^ (pc >> (PAGE_BITS - JMP_PAGE_BITS))
    return (((tmp >> (PAGE_BITS - JMP_PAGE_BITS)) & JMP_PAGE_MASK) |
            (tmp & JMP_ADDR_MASK))


def symbols(vmlinux):
    """Address and size of each function symbol, and how many of a name."""
    out = subprocess.run(['nm', '-S', vmlinux], capture_output=True,
                         text=True, check=True).stdout
    syms = {}
    count = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[2] in 'tTwW':
            syms.setdefault(fields[3], (int(fields[0], 16), int(fields[1], 16)))
            count[fields[3]] = count.get(fields[3], 0) + 1
    return syms, count


def entered(vmlinux, name, start, size):
    """The addresses of name that a vCPU enters through the jump cache."""
    out = subprocess.run(['objdump', '-d', '--no-show-raw-insn',
                          '--start-address=%#x' % start,
                          '--stop-address=%#x' % (start + size), vmlinux],
                         capture_output=True, text=True, check=True).stdout
    pcs = {start: '%s+0x0' % name}
    lines = [line for line in out.splitlines() if INSN.match(line)]
    for insn, after in zip(lines, lines[1:]):
        call = CALL.match(insn)
        if not call or call.group(2) == '__fentry__':
            continue
        ret = int(INSN.match(after).group(1), 16)
        pcs[ret] = '%s+%#x' % (name, ret - start)
    return pcs


def main(argv):
    if len(argv) < 3:
        sys.stderr.write('usage: jmpcache.py VMLINUX FUNCTION...\n')
        return 2
    syms, count = symbols(argv[1])
    pcs = {}
    for name in argv[2:]:
        if name not in syms:
            sys.stderr.write('jmpcache.py: no %s in %s\n' % (name, argv[1]))
            continue
        if count[name] > 1:
            sys.stderr.write('jmpcache.py: %d functions %s, the first taken\n' %
                             (count[name], name))
        pcs.update(entered(argv[1], name, *syms[name]))
    if not pcs:
        sys.stderr.write('jmpcache.py: none of %s in %s\n' %
                         (' '.join(argv[2:]), argv[1]))
        return 1
    slots = {}
    for pc in sorted(pcs):
        slots.setdefault(slot(pc), []).append(pcs[pc])
    for s in sorted(slots):
        if len(slots[s]) > 1:
            print('slot %#05x: %s' % (s, ' '.join(slots[s])))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
