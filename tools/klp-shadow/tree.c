// SPDX-License-Identifier: GPL-2.0
/*
 * tree.c - read the shadow types of every livepatch from sysfs:
 *
 *   <root>/kernel/livepatch/<patch>/<object>/shadow_types/<id>/
 *	name refcount owners live bytes
 *
 * A patch whose directory disappears while it is read (it was disabled and
 * removed meanwhile) is left out without an error, and so is a type whose
 * directory disappears (its registration was dropped). A file missing from
 * a directory that is still there, or a malformed value, is reported with
 * its path and the walk goes on.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>
#include "klp-shadow.h"

/* Longest file we read: a sysfs page. */
#define KS_FILE_MAX	4096

/* The patch being read vanished: leave it out. */
#define KS_VANISHED	(-4096)

/**
 * ks_parse_id() - parse an id as sysfs names it: decimal digits only
 * @s:		the text
 * @id:		the id
 *
 * Return: true if @s is a well-formed id.
 */
bool ks_parse_id(const char *s, unsigned long long *id)
{
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 20)
		return false;
	errno = 0;
	*id = strtoull(s, &end, 10);
	return !errno && !*end;
}

/**
 * ks_read_file() - read a whole (sysfs) file
 * @path:	the file
 * @buf:	where to put it, NUL-terminated
 * @size:	size of @buf
 * @len:	bytes read
 *
 * Return: 0, -EFBIG if the file does not fit, or a negative errno.
 */
int ks_read_file(const char *path, char *buf, size_t size, size_t *len)
{
	ssize_t n;
	int fd, ret = 0;

	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (*len < size - 1) {
		n = read(fd, buf + *len, size - 1 - *len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (!n)
			break;
		*len += n;
	}
	if (!ret && *len == size - 1) {
		char c;

		if (read(fd, &c, 1) > 0)
			ret = -EFBIG;
	}
	close(fd);
	buf[*len] = '\0';
	return ret;
}

/*
 * Report a file that could not be read: vanished (ENOENT, ENOTDIR) is not
 * an error, permission is 77, anything else 1.
 */
static int ks_read_error(struct ks_ctx *ctx, const char *path, int err)
{
	if (err == -ENOENT || err == -ENOTDIR)
		return KS_VANISHED;
	if (err == -EACCES || err == -EPERM)
		ks_error(ctx, EX_NOPERM, "%s: %s", path, strerror(-err));
	else if (err == -EFBIG)
		ks_error(ctx, 1, "%s: longer than %d bytes", path, KS_FILE_MAX);
	else
		ks_error(ctx, 1, "%s: %s", path, strerror(-err));
	return err;
}

/*
 * Report a directory that cannot be read and would have been read whole
 * (/sys/kernel/livepatch, or a selected patch, object or shadow_types):
 * it ends the run, and counts in klp_shadow_read_errors. Store its exit
 * status in *@fatal and return @err.
 */
static int ks_read_fatal(struct ks_ctx *ctx, const char *path, int err,
			 int *fatal)
{
	ctx->errors++;
	*fatal = ks_fatal(ctx, err == -EACCES || err == -EPERM ? EX_NOPERM : 1,
			  "%s: %s", path, strerror(-err));
	return err;
}

/*
 * Report a directory that cannot be read: non-fatal when @fatal is NULL,
 * else as ks_read_fatal(). Gone (ENOENT, ENOTDIR) is KS_VANISHED.
 */
static int ks_dir_error(struct ks_ctx *ctx, const char *path, int err,
			int *fatal)
{
	if (err == -ENOENT || err == -ENOTDIR)
		return KS_VANISHED;
	if (fatal)
		return ks_read_fatal(ctx, path, err, fatal);
	return ks_read_error(ctx, path, err);
}

/**
 * ks_is_dir_path() - is @path a directory (following symbolic links)?
 * @path:	the path
 *
 * Return: true if it is.
 */
bool ks_is_dir_path(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/*
 * Read "<dir>/<file>" whole; on error report it, and return KS_VANISHED
 * (@dir is gone) or <0. A file missing from a @dir that is still there is
 * an error.
 */
static int ks_read_attr(struct ks_ctx *ctx, const char *dir, const char *file,
			char *buf, size_t *len)
{
	char *path;
	int ret;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return -ENOMEM;
	ret = ks_read_file(path, buf, KS_FILE_MAX, len);
	if ((ret == -ENOENT || ret == -ENOTDIR) && ks_is_dir_path(dir))
		ks_error(ctx, 1, "%s: %s", path, strerror(-ret));
	else if (ret)
		ret = ks_read_error(ctx, path, ret);
	free(path);
	return ret;
}

/* A number: decimal digits, then one newline. */
static int ks_read_num(struct ks_ctx *ctx, const char *dir, const char *file,
		       struct ks_num *num)
{
	char buf[KS_FILE_MAX];
	size_t len;
	int ret;

	num->ok = false;
	ret = ks_read_attr(ctx, dir, file, buf, &len);
	if (ret)
		return ret == KS_VANISHED ? ret : 0;
	if (len < 2 || buf[len - 1] != '\n' || strlen(buf) != len) {
		ks_error(ctx, 1, "%s/%s: malformed value, not a number and a newline",
			 dir, file);
		return 0;
	}
	buf[len - 1] = '\0';
	if (!ks_parse_id(buf, &num->val)) {
		ks_error(ctx, 1, "%s/%s: malformed value '%s'", dir, file, buf);
		return 0;
	}
	num->ok = true;
	return 0;
}

/* The name: one line, possibly empty. */
static int ks_read_name(struct ks_ctx *ctx, const char *dir, struct ks_row *row)
{
	char buf[KS_FILE_MAX];
	size_t len;
	int ret;

	ret = ks_read_attr(ctx, dir, "name", buf, &len);
	if (ret)
		return ret == KS_VANISHED ? ret : 0;
	if (!len || buf[len - 1] != '\n' || strlen(buf) != len ||
	    memchr(buf, '\n', len - 1)) {
		ks_error(ctx, 1, "%s/name: malformed value, not one line", dir);
		return 0;
	}
	buf[len - 1] = '\0';
	row->name = strdup(buf);
	return 0;
}

/*
 * The owners: one line per holder, possibly none. Any non-empty line is an
 * owner: "<patch>/<object>" for livepatch objects, a free-form name for
 * klp_shadow_debug_register() (see ks_owner_parse()).
 */
static int ks_read_owners(struct ks_ctx *ctx, const char *dir,
			  struct ks_row *row)
{
	char buf[KS_FILE_MAX], *line, *next;
	size_t len;
	int ret;

	ret = ks_read_attr(ctx, dir, "owners", buf, &len);
	if (ret)
		return ret == KS_VANISHED ? ret : 0;
	if (strlen(buf) != len || (len && buf[len - 1] != '\n')) {
		ks_error(ctx, 1, "%s/owners: malformed value, not whole lines", dir);
		return 0;
	}
	for (line = buf; *line; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0';
		if (!*line) {
			ks_error(ctx, 1, "%s/owners: malformed owner '%s'", dir, line);
			return 0;
		}
	}
	row->owners = calloc(len / 2 + 1, sizeof(*row->owners));
	for (line = buf; line < buf + len; line += strlen(line) + 1)
		row->owners[row->nr_owners++] = strdup(line);
	row->owners_ok = true;
	return 0;
}

static struct ks_row *ks_add_row(struct ks_rows *rows)
{
	struct ks_row *row;

	if (rows->n == rows->cap) {
		rows->cap = rows->cap ? 2 * rows->cap : 64;
		rows->v = realloc(rows->v, rows->cap * sizeof(*rows->v));
		if (!rows->v) {
			perror("klp-shadow");
			exit(1);
		}
	}
	row = &rows->v[rows->n++];
	memset(row, 0, sizeof(*row));
	return row;
}

static void ks_free_row(struct ks_row *row)
{
	size_t i;

	for (i = 0; i < row->nr_owners; i++)
		free(row->owners[i]);
	free(row->owners);
	free(row->patch);
	free(row->object);
	free(row->name);
}

void ks_free_rows(struct ks_rows *rows)
{
	size_t i;

	for (i = 0; i < rows->n; i++)
		ks_free_row(&rows->v[i]);
	free(rows->v);
	memset(rows, 0, sizeof(*rows));
}

/* Drop rows from @from on: the patch they belong to vanished. */
static void ks_drop_rows(struct ks_rows *rows, size_t from)
{
	while (rows->n > from)
		ks_free_row(&rows->v[--rows->n]);
}

/* Is the shadow_types entry @entry one of the ids of @sel? */
static bool ks_id_selected(const struct ks_select *sel, const char *entry)
{
	unsigned long long id;
	size_t i;

	if (!sel || !sel->nr_ids)
		return true;
	if (!ks_parse_id(entry, &id))
		return false;
	for (i = 0; i < sel->nr_ids; i++) {
		if (sel->ids[i] == id)
			return true;
	}
	return false;
}

/* Read one shadow_types/<id> directory into a new row. */
static int ks_read_type(struct ks_ctx *ctx, struct ks_rows *rows,
			const char *patch, const char *object,
			const char *types, const char *entry)
{
	struct ks_row *row;
	unsigned long long id;
	char *dir;
	int ret;

	if (!ks_parse_id(entry, &id)) {
		ks_error(ctx, 1, "%s/%s: not a shadow type id", types, entry);
		return 0;
	}
	if (asprintf(&dir, "%s/%s", types, entry) < 0)
		return -ENOMEM;
	row = ks_add_row(rows);
	row->patch = strdup(patch);
	row->object = strdup(object);
	row->id = id;
	ret = ks_read_name(ctx, dir, row);
	if (!ret)
		ret = ks_read_num(ctx, dir, "refcount", &row->refcount);
	if (!ret)
		ret = ks_read_owners(ctx, dir, row);
	if (!ret)
		ret = ks_read_num(ctx, dir, "live", &row->live);
	if (!ret)
		ret = ks_read_num(ctx, dir, "bytes", &row->bytes);
	free(dir);
	/* The type went (or its patch: ks_read_patch() sees that). */
	if (ret == KS_VANISHED)
		ks_drop_rows(rows, rows->n - 1);
	return 0;
}

static int ks_only_dirs(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/*
 * List the entries of @path, sorted. Return their number, KS_VANISHED if
 * @path is gone, or another negative errno (reported; fatal if @fatal).
 */
static int ks_scan(struct ks_ctx *ctx, const char *path, struct dirent ***list,
		   int *fatal)
{
	int n = scandir(path, list, ks_only_dirs, alphasort);

	if (n < 0)
		return ks_dir_error(ctx, path, -errno, fatal);
	return n;
}

static void ks_free_list(struct dirent **list, int n)
{
	while (n-- > 0)
		free(list[n]);
	free(list);
}

/*
 * Is "<dir>/<name>" a directory? 1 if it is, 0 if it is not or is gone, a
 * negative errno if it cannot be told (reported; fatal if @fatal): a
 * directory that cannot be read is never taken for no directory.
 */
static int ks_is_dir(struct ks_ctx *ctx, const char *dir, const char *name,
		     int *fatal)
{
	struct stat st;
	char *path;
	int ret;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	if (!stat(path, &st))
		ret = S_ISDIR(st.st_mode);
	else
		ret = ks_dir_error(ctx, path, -errno, fatal);
	free(path);
	return ret == KS_VANISHED ? 0 : ret;
}

/* The types of one object; objects without shadow_types have none. */
static int ks_read_object(struct ks_ctx *ctx, struct ks_rows *rows,
			  const char *patchdir, const char *patch,
			  const char *object, const struct ks_select *sel,
			  int *fatal)
{
	struct dirent **list;
	char *objdir;
	int i, n, ret = 0;

	if (asprintf(&objdir, "%s/%s", patchdir, object) < 0)
		return -ENOMEM;
	n = ks_is_dir(ctx, objdir, "shadow_types", fatal);
	if (n <= 0) {
		free(objdir);
		return 0;
	}
	free(objdir);
	if (asprintf(&objdir, "%s/%s/shadow_types", patchdir, object) < 0)
		return -ENOMEM;
	n = ks_scan(ctx, objdir, &list, fatal);
	for (i = 0; i < n && ret != KS_VANISHED; i++) {
		if (ks_id_selected(sel, list[i]->d_name))
			ret = ks_read_type(ctx, rows, patch, object, objdir,
					   list[i]->d_name);
	}
	if (n >= 0)
		ks_free_list(list, n);
	free(objdir);
	return n == KS_VANISHED ? n : ret;
}

static int ks_read_patch(struct ks_ctx *ctx, struct ks_rows *rows,
			 const char *lpdir, const char *patch,
			 const struct ks_select *sel, int *fatal)
{
	struct dirent **list;
	size_t first = rows->n;
	char *patchdir;
	int i, n, ret = 0;

	if (asprintf(&patchdir, "%s/%s", lpdir, patch) < 0)
		return -ENOMEM;
	n = ks_scan(ctx, patchdir, &list, fatal);
	for (i = 0; i < n && ret != KS_VANISHED && !(fatal && *fatal); i++) {
		const char *object = list[i]->d_name;

		if (sel && sel->object && strcmp(object, sel->object))
			continue;
		/* Function directories are "<function,sympos>". */
		if (strchr(object, ',') ||
		    ks_is_dir(ctx, patchdir, object, fatal) <= 0)
			continue;
		ret = ks_read_object(ctx, rows, patchdir, patch, object, sel,
				     fatal);
	}
	if (n >= 0)
		ks_free_list(list, n);
	if (n == KS_VANISHED || ret == KS_VANISHED || !ks_is_dir_path(patchdir))
		ks_drop_rows(rows, first);
	free(patchdir);
	return 0;
}

/*
 * Does the kernel know shadow types? Its kallsyms says, when the tree has
 * one beside it (<root>/../proc/kallsyms: /proc/kallsyms for /sys).
 */
static bool ks_kernel_has_types(struct ks_ctx *ctx)
{
	char *path, *line = NULL;
	bool found = false, any = false;
	size_t size = 0;
	FILE *f;

	if (asprintf(&path, "%s/../proc/kallsyms", ctx->root) < 0)
		return true;
	f = fopen(path, "re");
	free(path);
	if (!f)
		return true;
	while (!found && getline(&line, &size, f) > 0) {
		any = true;
		found = strstr(line, " klp_shadow_register\n") ||
			strstr(line, " klp_shadow_register\t");
	}
	free(line);
	fclose(f);
	return found || !any;
}

static int ks_cmp_rows(const void *a, const void *b)
{
	const struct ks_row *ra = a, *rb = b;
	int ret;

	ret = strcmp(ra->patch, rb->patch);
	if (!ret)
		ret = strcmp(ra->object, rb->object);
	if (!ret && ra->id != rb->id)
		ret = ra->id < rb->id ? -1 : 1;
	return ret;
}

/**
 * ks_check_root() - is the root a sysfs tree (does it have kernel/)?
 * @ctx:	the run
 *
 * Every kernel has /sys/kernel; a directory without it is not a sysfs tree,
 * which is told apart from a kernel without livepatch.
 *
 * Return: 0, or 66 (reported).
 */
int ks_check_root(struct ks_ctx *ctx)
{
	char *kernel = ks_path(ctx, "kernel");
	bool sysfs = ks_is_dir_path(kernel);

	free(kernel);
	if (sysfs)
		return 0;
	if (access(ctx->root, F_OK))
		return ks_fatal(ctx, EX_NOINPUT, "%s: no such directory", ctx->root);
	if (!ks_is_dir_path(ctx->root))
		return ks_fatal(ctx, EX_NOINPUT, "%s: not a sysfs tree (not a directory)",
				ctx->root);
	return ks_fatal(ctx, EX_NOINPUT,
			"%s: not a sysfs tree (no kernel/ directory in it)", ctx->root);
}

/*
 * No <root>/kernel/livepatch directory: not a sysfs tree (also when it is
 * something else than a directory), or no livepatch.
 */
static int ks_no_livepatch(struct ks_ctx *ctx, const char *lpdir)
{
	int ret = ks_check_root(ctx);

	if (ret)
		return ret;
	if (!access(lpdir, F_OK))
		return ks_fatal(ctx, EX_NOINPUT, "%s: not a sysfs tree (not a directory)",
				lpdir);
	return ks_fatal(ctx, EX_UNAVAILABLE,
			"%s: no such directory: kernel without livepatch", lpdir);
}

/**
 * ks_read_tree() - read the shadow types of the livepatches
 * @ctx:	the run; non-fatal errors are reported and recorded in it
 * @rows:	the rows, sorted by patch, object and id
 * @sel:	what to read (NULL: everything); nothing else is read. A
 *		selected patch or object directory that cannot be read is a
 *		fatal error
 *
 * Return: 0, or the exit status of a fatal error (reported).
 */
int ks_read_tree(struct ks_ctx *ctx, struct ks_rows *rows,
		 const struct ks_select *sel)
{
	struct dirent **list;
	int i, n, fatal = 0;
	char *lpdir;

	lpdir = ks_path(ctx, "%s", KS_LIVEPATCH_DIR);
	n = scandir(lpdir, &list, ks_only_dirs, alphasort);
	if (n < 0) {
		int err = errno;

		/* No livepatch is no file that could not be read. */
		if (err == ENOENT || err == ENOTDIR)
			n = ks_no_livepatch(ctx, lpdir);
		else
			ks_read_fatal(ctx, lpdir, -err, &n);
		free(lpdir);
		return n;
	}
	if (!ks_kernel_has_types(ctx)) {
		ks_free_list(list, n);
		free(lpdir);
		return ks_fatal(ctx, EX_UNAVAILABLE,
				"kernel without shadow_types support (no klp_shadow_register in kallsyms)");
	}
	for (i = 0; i < n && !fatal; i++) {
		if (sel && sel->patch && strcmp(list[i]->d_name, sel->patch))
			continue;
		ks_read_patch(ctx, rows, lpdir, list[i]->d_name, sel,
			      sel && sel->patch ? &fatal : NULL);
	}
	if (rows->n)
		qsort(rows->v, rows->n, sizeof(*rows->v), ks_cmp_rows);
	ks_free_list(list, n);
	free(lpdir);
	return fatal;
}
