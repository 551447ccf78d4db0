// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for klp-shadow's sysfs reading: every input is turned
 * into a directory tree, which the tool walks and parses as it would
 * /sys, then prints in every format.
 *
 * An input is a list of entries separated by NUL bytes; in each, the path
 * (relative to the tree's root, e.g. kernel/livepatch/p/o/shadow_types/1/
 * live) is followed by
 *   \x01 CONTENT   a regular file holding CONTENT,
 *   \x02 TARGET    a symbolic link to TARGET (relative, no ".."),
 *   nothing        a directory.
 * Parent directories are made as needed; entries that cannot be made
 * (".." in a path, a file where a directory should be) are left out.
 * tests/fuzz/mkseed.py writes a tree in this form.
 *
 * The two entry points have the names and types libFuzzer gives them
 * (harness/lint.sh lets their CamelCase pass).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "klp-shadow.h"

#define FUZZ_MAX_DEPTH	12

static char fuzz_root[64];
static FILE *fuzz_null;

static int fuzz_rm(const char *path, const struct stat *st, int flag,
		   struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void fuzz_clean(void)
{
	nftw(fuzz_root, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* The path is relative, has no empty, "." or ".." part, and is not deep. */
static bool fuzz_path_ok(const char *path)
{
	const char *p = path;
	int depth = 0;

	if (!*path || *path == '/')
		return false;
	while (*p) {
		size_t len = strcspn(p, "/");

		if (!len || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (++depth > FUZZ_MAX_DEPTH)
			return false;
		p += len;
		if (*p == '/' && !*++p)
			break;
	}
	return true;
}

/* mkdir -p of the directories above (and, with @self, of) @path. */
static void fuzz_mkdirs(char *path, bool self)
{
	char *p;

	for (p = strchr(path, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	if (self)
		mkdir(path, 0755);
}

static void fuzz_entry(const char *ent, size_t len)
{
	const char *sep = memchr(ent, '\x01', len);
	const char *lnk = memchr(ent, '\x02', len);
	size_t plen = sep ? (size_t)(sep - ent) : lnk ? (size_t)(lnk - ent) : len;
	char rel[512], full[600];
	FILE *f;

	if (lnk && sep && lnk < sep)
		sep = NULL;
	if (plen >= sizeof(rel))
		return;
	memcpy(rel, ent, plen);
	rel[plen] = '\0';
	if (!fuzz_path_ok(rel))
		return;
	snprintf(full, sizeof(full), "%s/%s", fuzz_root, rel);

	if (sep) {
		fuzz_mkdirs(full, false);
		f = fopen(full, "w");
		if (!f)
			return;
		fwrite(sep + 1, 1, len - plen - 1, f);
		fclose(f);
	} else if (lnk) {
		char target[512];
		size_t tlen = len - plen - 1;

		if (tlen >= sizeof(target))
			return;
		memcpy(target, lnk + 1, tlen);
		target[tlen] = '\0';
		if (!fuzz_path_ok(target))
			return;
		fuzz_mkdirs(full, false);
		if (symlink(target, full))
			return;
	} else {
		fuzz_mkdirs(full, true);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(fuzz_root, sizeof(fuzz_root), "/dev/shm/klp-shadow-fuzz.%d",
		 (int)getpid());
	fuzz_null = fopen("/dev/null", "w");
	if (!fuzz_null)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const enum ks_format formats[] = {
		KS_FORMAT_TABLE, KS_FORMAT_JSON, KS_FORMAT_PROMETHEUS,
	};
	const char *p = (const char *)data, *end = p + size;
	struct ks_ctx ctx = { .root = fuzz_root };
	struct ks_rows rows = { 0 };
	size_t i;

	fuzz_clean();
	if (mkdir(fuzz_root, 0755))
		abort();
	while (p < end) {
		const char *nul = memchr(p, '\0', end - p);
		size_t len = nul ? (size_t)(nul - p) : (size_t)(end - p);

		fuzz_entry(p, len);
		p += len + 1;
	}

	for (i = 0; i < ARRAY_SIZE(formats); i++) {
		ctx.format = formats[i];
		ctx.pretty = i == 1;
		if (ks_read_tree(&ctx, &rows, NULL))
			break;
		ks_print_list(&ctx, fuzz_null, &rows);
		if (ctx.format != KS_FORMAT_PROMETHEUS)
			ks_print_stat(&ctx, fuzz_null, &rows);
		ks_free_rows(&rows);
	}
	ks_free_rows(&rows);
	fuzz_clean();
	return 0;
}
