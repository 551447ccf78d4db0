#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Cut the overlay's changes to the kernel tree into a patch series.

The tree in SRC is the pristine linux-source commit (the root of its
history) with the repository's files and patches applied in the working
tree, as harness/ksrc.sh leaves it. series/split says which lines of each
changed file belong to which patch of the series; the state of a file after
patch K is its final text keeping only the lines of patches 1..K, unless
series/interim/ holds a hand-written text of it for patch K. The
commits are made with git plumbing (the working tree is not touched) and
written out with git format-patch, with the cover letter filled in.

usage: series.py --src DIR --split FILE --out DIR --ident "Name <mail>"
                 --date DATE --based-on TEXT
"""

import argparse
import os
import re
import shlex
import subprocess
import sys


class SplitError(Exception):
    pass


def git(src, *args, env=None, data=None):
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    res = subprocess.run(['git', '-C', src] + list(args), input=data,
                         capture_output=True, env=full_env, check=False)
    if res.returncode:
        raise SplitError('git %s: %s' % (' '.join(args),
                                         res.stderr.decode().strip()))
    return res.stdout


# Blocks -------------------------------------------------------------------

def c_separators(lines):
    """Blank lines at file level: outside braces, comments and #if."""
    seps = []
    depth = 0
    pp_depth = 0
    in_comment = False
    guard = None

    # A header's include guard does not make the whole file one block.
    pp = [(i, ln.strip()) for i, ln in enumerate(lines)
          if ln.lstrip().startswith('#')]
    if len(pp) >= 2:
        m = re.match(r'#\s*ifndef\s+(\w+)$', pp[0][1])
        if m and re.match(r'#\s*define\s+%s\b' % m.group(1), pp[1][1]):
            guard = (pp[0][0], [i for i, t in pp if t.startswith('#')
                                and re.match(r'#\s*endif', t)][-1])

    for i, line in enumerate(lines):
        seps.append(not line.strip() and depth == 0 and pp_depth == 0
                    and not in_comment)
        stripped = line.strip()
        if not in_comment and stripped.startswith('#'):
            if guard and i in guard:
                continue
            if re.match(r'#\s*if', stripped):
                pp_depth += 1
            elif re.match(r'#\s*endif', stripped):
                pp_depth -= 1
            continue
        j = 0
        while j < len(line):
            two = line[j:j + 2]
            ch = line[j]
            if in_comment:
                if two == '*/':
                    in_comment = False
                    j += 1
            elif two == '/*':
                in_comment = True
                j += 1
            elif two == '//':
                break
            elif ch in '"\'':
                j += 1
                while j < len(line) and line[j] != ch:
                    j += 2 if line[j] == '\\' else 1
            elif ch == '{':
                depth += 1
            elif ch == '}':
                depth -= 1
            j += 1
    return seps


def separators(path, lines):
    if path.endswith(('.c', '.h')):
        return c_separators(lines)
    return [not ln.strip() for ln in lines]


def first_match(path, lines, regex, start=0):
    pat = re.compile(regex)
    for i in range(start, len(lines)):
        if pat.search(lines[i]):
            return i
    raise SplitError('%s: no line matches /%s/' % (path, regex))


# The manifest -------------------------------------------------------------

class Patch:
    def __init__(self, number, name):
        self.number = number
        self.name = name
        self.files = []
        self.rules = []
        self.interims = []


def parse_split(split_path):
    patches = []
    with open(split_path, encoding='utf-8') as f:
        for lineno, raw in enumerate(f, 1):
            words = shlex.split(raw, comments=True)
            if not words:
                continue
            where = '%s:%d' % (split_path, lineno)
            if words[0] == 'patch' and len(words) == 2:
                patches.append(Patch(len(patches) + 1, words[1]))
                continue
            if not patches:
                raise SplitError('%s: rule before the first patch' % where)
            if words[0] == 'file' and len(words) == 2:
                patches[-1].files.append(words[1])
            elif words[0] in ('line', 'block') and len(words) == 3:
                patches[-1].rules.append((where, *words))
            elif words[0] == 'range' and len(words) == 4:
                patches[-1].rules.append((where, *words))
            elif words[0] == 'interim' and len(words) == 2:
                patches[-1].interims.append((where, words[1]))
            else:
                raise SplitError('%s: cannot parse: %s' % (where, raw.strip()))
    return patches


def tag_lines(patches, finals):
    """Give every line of every changed file the number of its patch."""
    owner = {}
    for p in patches:
        for name in p.files:
            # "dir/" names every changed file under dir/.
            paths = [f for f in finals if f.startswith(name)] \
                if name.endswith('/') else [name]
            if not paths or paths[0] not in finals:
                raise SplitError('%s (patch %s) is not changed' % (name, p.name))
            for path in paths:
                if path in owner:
                    raise SplitError('%s is in the "file" of two patches'
                                     % path)
                owner[path] = p.number
    missing = sorted(set(finals) - set(owner))
    if missing:
        raise SplitError('no patch has the change to: ' + ' '.join(missing))

    tags = {path: [owner[path]] * len(finals[path][1]) for path in finals}
    for p in patches:
        for where, kind, path, *args in p.rules:
            if path not in finals:
                raise SplitError('%s: %s is not changed' % (where, path))
            if p.number < owner[path]:
                raise SplitError('%s: patch %s comes before the one that '
                                 'changes %s' % (where, p.name, path))
            lines = finals[path][1]
            try:
                if kind == 'line':
                    pat = re.compile(args[0])
                    hits = [i for i, ln in enumerate(lines) if pat.search(ln)]
                    if not hits:
                        raise SplitError('%s: no line matches /%s/'
                                         % (path, args[0]))
                elif kind == 'range':
                    a = first_match(path, lines, args[0])
                    b = first_match(path, lines, args[1], a)
                    hits = range(a, b + 1)
                else:
                    seps = separators(path, lines)
                    a = b = first_match(path, lines, args[0])
                    while a > 0 and not seps[a - 1]:
                        a -= 1
                    while b + 1 < len(lines) and not seps[b + 1]:
                        b += 1
                    hits = range(a, b + 1)
            except SplitError as e:
                raise SplitError('%s: %s' % (where, e)) from e
            for i in hits:
                tags[path][i] = p.number
    return owner, tags


def state(lines, tags, k):
    """The file after patch K: its final lines of patches 1..K.

    Blank lines that become doubled, or come to end the file, because
    lines between them were left out are dropped too.
    """
    out = []
    dropped = False
    for ln, t in zip(lines, tags):
        if t > k:
            dropped = True
            continue
        if not ln.strip():
            if dropped and (not out or not out[-1].strip()):
                continue
        else:
            dropped = False
        out.append(ln)
    while dropped and out and not out[-1].strip():
        out.pop()
    return ''.join(out)


def read_interims(patches, finals, seriesdir):
    """The hand-written texts files have after some patches.

    An "interim PATH" rule of patch K says PATH holds, after K, the text of
    series/interim/K/PATH rather than its final lines of patches 1..K: for
    code an earlier patch needs in another shape than the final one. (A
    later patch must give PATH its final text: main() checks the last tree.)
    """
    interims = {}
    for p in patches:
        for where, path in p.interims:
            if path not in finals:
                raise SplitError('%s: %s is not changed' % (where, path))
            texts = interims.setdefault(p.number, {})
            if path in texts:
                raise SplitError('%s: a second interim of %s' % (where, path))
            text_path = os.path.join(seriesdir, 'interim', p.name, path)
            try:
                with open(text_path, encoding='utf-8') as f:
                    texts[path] = f.read()
            except OSError as e:
                raise SplitError('%s: %s' % (where, e)) from e
    return interims


# The series ---------------------------------------------------------------

def changed_files(src, base):
    finals = {}
    status = git(src, 'diff', '--name-status', '--no-renames', base).decode()
    paths = []
    for entry in status.splitlines():
        code, path = entry.split('\t', 1)
        if code != 'M':
            raise SplitError('%s: only changed and new files are supported'
                             % path)
        paths.append(path)
    paths += git(src, 'ls-files', '--others').decode().splitlines()
    for path in paths:
        full = os.path.join(src, path)
        mode = '100755' if os.access(full, os.X_OK) else '100644'
        with open(full, encoding='utf-8') as f:
            finals[path] = (mode, f.read().splitlines(keepends=True))
    return finals


def write_tree(src, base, files, env):
    """A tree: BASE with FILES ({path: (mode, text)}) written over it."""
    index = os.path.join(src, '.git', 'klp-series-index')
    ienv = dict(env, GIT_INDEX_FILE=index)
    git(src, 'read-tree', base, env=ienv)
    info = []
    for path, (mode, text) in sorted(files.items()):
        sha = git(src, 'hash-object', '-w', '--stdin',
                  data=text.encode()).decode().strip()
        info.append('%s %s\t%s\n' % (mode, sha, path))
    git(src, 'update-index', '--add', '--index-info', env=ienv,
        data=''.join(info).encode())
    tree = git(src, 'write-tree', env=ienv).decode().strip()
    os.unlink(index)
    return tree


TRAILER = re.compile(r'^([A-Z][A-Za-z]*(-[A-Za-z]+)*-by|Link|Closes|Fixes|Cc): \S')


def changelog(path, ident):
    """The commit message of a changelog file and its notes.

    The file holds the subject line, the body, and optionally, after a
    line "---", notes for the reviewers (what changed since the last
    version), which go below the patch's "---" line, where git am drops
    them. A last paragraph of trailers (Suggested-by: ...) takes the
    Signed-off-by of @ident as its last line.
    """
    with open(path, encoding='utf-8') as f:
        text = f.read()
    msg, _, notes = text.partition('\n---\n')
    msg = msg.rstrip('\n')
    if re.search(r'(?m)^---$', msg):
        raise SplitError('%s: a "---" line where git am would cut the '
                         'changelog' % path)
    paras = msg.split('\n\n')
    last = paras[-1].split('\n')
    joint = '\n' if len(paras) > 1 and all(TRAILER.match(line)
                                          for line in last) else '\n\n'
    return msg + joint + 'Signed-off-by: %s\n' % ident, notes.strip('\n')


def add_notes(out, number, notes):
    """Put @notes below the "---" line of patch @number in @out."""
    if not notes:
        return
    name = [n for n in os.listdir(out) if n.startswith('%04d-' % number)]
    if len(name) != 1:
        raise SplitError('no single patch file %04d-* in %s' % (number, out))
    path = os.path.join(out, name[0])
    with open(path, encoding='utf-8') as f:
        text = f.read()
    head, sep, tail = text.partition('\n---\n')
    if not sep:
        raise SplitError('%s has no "---" line' % name[0])
    with open(path, 'w', encoding='utf-8') as f:
        f.write(head + sep + notes + '\n\n' + tail)


def main():
    ap = argparse.ArgumentParser()
    for opt in ('src', 'split', 'out', 'ident', 'date', 'based-on'):
        ap.add_argument('--' + opt, required=True)
    ap.add_argument('--subject-prefix', default='PATCH')
    args = ap.parse_args()

    m = re.match(r'(.+?) <(.+)>$', args.ident)
    if not m:
        raise SplitError('identity "%s" is not "Name <mail>"' % args.ident)
    env = {'GIT_AUTHOR_NAME': m.group(1), 'GIT_AUTHOR_EMAIL': m.group(2),
           'GIT_COMMITTER_NAME': m.group(1), 'GIT_COMMITTER_EMAIL': m.group(2),
           'GIT_AUTHOR_DATE': args.date, 'GIT_COMMITTER_DATE': args.date}
    src = os.path.abspath(args.src)
    seriesdir = os.path.dirname(os.path.abspath(args.split))
    base = git(src, 'rev-list', '--max-parents=0', 'HEAD').decode().strip()

    patches = parse_split(args.split)
    finals = changed_files(src, base)
    owner, tags = tag_lines(patches, finals)

    interims = read_interims(patches, finals, seriesdir)
    parent = base
    notes = {}
    for p in patches:
        files = {}
        for path, (mode, lines) in finals.items():
            if p.number >= owner[path]:
                files[path] = (mode, state(lines, tags[path], p.number))
        for path, text in interims.get(p.number, {}).items():
            files[path] = (finals[path][0], text)
        tree = write_tree(src, base, files, env)
        msg, notes[p.number] = changelog(os.path.join(seriesdir, p.name),
                                         args.ident)
        parent = git(src, 'commit-tree', tree, '-p', parent, env=env,
                     data=msg.encode()).decode().strip()

    final = write_tree(src, base, {path: (mode, ''.join(lines))
                                   for path, (mode, lines) in finals.items()},
                       env)
    if git(src, 'rev-parse', parent + '^{tree}').decode().strip() != final:
        raise SplitError('the last patch does not give the final tree')

    git(src, 'update-ref', 'refs/heads/klp-series', parent)
    git(src, 'format-patch', '-q', '--cover-letter', '-o', args.out,
        '--subject-prefix=' + args.subject_prefix, base + '..' + parent,
        env=env)
    for p in patches:
        add_notes(args.out, p.number, notes[p.number])
    with open(os.path.join(seriesdir, 'cover-letter'), encoding='utf-8') as f:
        subject, _, blurb = f.read().partition('\n')
    blurb = blurb.strip('\n').replace('@BASED_ON@', args.based_on)
    cover = os.path.join(args.out, '0000-cover-letter.patch')
    with open(cover, encoding='utf-8') as f:
        text = f.read()
    text = text.replace('*** SUBJECT HERE ***', subject)
    text = text.replace('*** BLURB HERE ***', blurb)
    with open(cover, 'w', encoding='utf-8') as f:
        f.write(text)
    print(final)


if __name__ == '__main__':
    try:
        main()
    except SplitError as err:
        print('series.py: error: %s' % err, file=sys.stderr)
        sys.exit(1)
