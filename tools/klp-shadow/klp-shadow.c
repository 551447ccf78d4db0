// SPDX-License-Identifier: GPL-2.0
/*
 * klp-shadow - show and manage the shadow variable types of livepatches
 *
 * Reads /sys/kernel/livepatch/<patch>/<object>/shadow_types/ (see
 * Documentation/ABI/testing/sysfs-kernel-livepatch-shadow) and, for gc, the
 * debugfs knob of CONFIG_LIVEPATCH_SHADOW_DEBUG.
 */

#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include "klp-shadow.h"

#ifndef KS_VERSION
#define KS_VERSION	"0.1"
#endif

/* Options without a short form. */
enum {
	KS_OPT_WRITE = 0x100,
	KS_OPT_INTERVAL,
	KS_OPT_COUNT,
	KS_OPT_SYSFS_ROOT,
	KS_OPT_USAGE,
};

struct ks_opts {
	struct ks_ctx ctx;
	const char *write;
	double interval;
	long count;
	char **args;
	int nr_args;
	bool done;		/* --help, --usage or --version answered */
};

const char *argp_program_version = "klp-shadow " KS_VERSION;
const char *argp_program_bug_address = "<live-patching@vger.kernel.org>";

static const char ks_args_doc[] = "COMMAND [ARG...]";

static const char ks_doc[] =
"klp-shadow -- show the shadow variable types of livepatches\vCommands (a unique prefix is enough):\n"
"  list [SELECTOR]   one row per patch, object and shadow type\n"
"  stat [ID...]      one block per type id, with its owners' modules\n"
"  gc ID|orphans     collect an id's variables now, or those of ids\n"
"                    nobody references (CONFIG_LIVEPATCH_SHADOW_DEBUG)\n"
"  help              this help\n"
"  version           the version\n"
"\n"
"SELECTOR is PATCH[/OBJECT[/ID]], the shape of the sysfs path.\n"
"\n"
"Exit status: 0 success (also an empty result), 64 usage error, 66 a\n"
"selector or id not found, 69 no livepatch or shadow_types support (or,\n"
"for gc, no CONFIG_LIVEPATCH_SHADOW_DEBUG), 77 permission denied, 1\n"
"anything else.\n"
"\n"
"EXAMPLES:\n"
"    klp-shadow list                      # every type of every patch\n"
"    klp-shadow -p list kpatch_fix/vmlinux\n"
"    klp-shadow stat 90                   # id 90 and its owners\n"
"    klp-shadow -o prometheus --write /var/lib/node_exporter/klp.prom \\\n"
"        --interval 15 list               # for node_exporter\n"
"    klp-shadow gc orphans                # debug kernels only\n";

static const struct argp_option ks_options[] = {
	{ "json", 'j', NULL, 0,
	  "Print JSON (compact, one document per line)", 0 },
	{ "pretty", 'p', NULL, 0,
	  "Print indented JSON (implies --json)", 0 },
	{ "output", 'o', "FORMAT", 0,
	  "Output format: table (default), json or prometheus (list only)", 0 },
	{ "write", KS_OPT_WRITE, "FILE", 0,
	  "Write the output to FILE atomically (temporary file, fsync, rename)", 0 },
	{ "interval", KS_OPT_INTERVAL, "SEC", 0,
	  "Repeat every SEC seconds", 0 },
	{ "count", KS_OPT_COUNT, "N", 0,
	  "With --interval: stop after N runs", 0 },
	{ "sysfs-root", KS_OPT_SYSFS_ROOT, "DIR", 0,
	  "Read the captured tree DIR instead of /sys (default: $KLP_SHADOW_SYSFS or /sys)", 0 },
	{ "help", '?', NULL, 0, "Give this help list", -1 },
	{ "usage", KS_OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print program version", -1 },
	{ 0 }
};

static bool ks_json_errors;

static void ks_verror(struct ks_ctx *ctx, const char *fmt, va_list ap,
		      bool json)
{
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	fprintf(stderr, "klp-shadow: error: %s\n", msg);
	if (json)
		ks_print_error_json(stdout, msg);
	free(msg);
}

/**
 * ks_error() - report a non-fatal error and remember its exit status
 * @ctx:	the run
 * @status:	1, or EX_NOPERM, which wins over 1
 * @fmt:	the message
 */
void ks_error(struct ks_ctx *ctx, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ks_verror(ctx, fmt, ap, false);
	va_end(ap);
	if (!ctx->status || status == EX_NOPERM)
		ctx->status = status;
	ctx->errors++;
}

/**
 * ks_fatal() - report an error that ends the run
 * @ctx:	the run
 * @status:	the exit status
 * @fmt:	the message, also printed as {"error": ...} in JSON mode
 *
 * Return: @status.
 */
int ks_fatal(struct ks_ctx *ctx, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ks_verror(ctx, fmt, ap, ks_json_errors);
	va_end(ap);
	return status;
}

/**
 * ks_path() - a path under the sysfs root
 * @ctx:	the run
 * @fmt:	the path relative to the root
 *
 * Return: the path, to be freed.
 */
char *ks_path(struct ks_ctx *ctx, const char *fmt, ...)
{
	char *rel, *path;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&rel, fmt, ap) < 0)
		rel = NULL;
	va_end(ap);
	if (!rel || asprintf(&path, "%s/%s", ctx->root, rel) < 0) {
		perror("klp-shadow");
		exit(1);
	}
	free(rel);
	return path;
}

static int ks_parse_format(const char *s, struct ks_opts *o)
{
	if (!strcmp(s, "table"))
		o->ctx.format = KS_FORMAT_TABLE;
	else if (!strcmp(s, "json"))
		o->ctx.format = KS_FORMAT_JSON;
	else if (!strcmp(s, "prometheus"))
		o->ctx.format = KS_FORMAT_PROMETHEUS;
	else
		return -1;
	return 0;
}

/* argp parsers fail with a positive errno. */
#define KS_ARGP_FAILED	EINVAL

/* argp_error() without exiting (ARGP_NO_EXIT): the parse fails. */
static error_t ks_usage(struct argp_state *state, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) >= 0) {
		argp_error(state, "%s", msg);
		free(msg);
	}
	va_end(ap);
	return KS_ARGP_FAILED;
}

static error_t ks_parse_opt(int key, char *arg, struct argp_state *state)
{
	struct ks_opts *o = state->input;
	char *end;

	switch (key) {
	case 'j':
		o->ctx.format = KS_FORMAT_JSON;
		break;
	case 'p':
		o->ctx.format = KS_FORMAT_JSON;
		o->ctx.pretty = true;
		break;
	case 'o':
		if (ks_parse_format(arg, o))
			return ks_usage(state, "unknown output format '%s'", arg);
		break;
	case KS_OPT_WRITE:
		o->write = arg;
		break;
	case KS_OPT_INTERVAL:
		errno = 0;
		o->interval = strtod(arg, &end);
		if (errno || *end || !(o->interval > 0) || o->interval > 86400)
			return ks_usage(state, "invalid interval '%s'", arg);
		break;
	case KS_OPT_COUNT:
		errno = 0;
		o->count = strtol(arg, &end, 10);
		if (errno || *end || o->count <= 0)
			return ks_usage(state, "invalid count '%s'", arg);
		break;
	case KS_OPT_SYSFS_ROOT:
		o->ctx.root = arg;
		break;
	case '?':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		o->done = true;
		break;
	case KS_OPT_USAGE:
		argp_state_help(state, stdout, ARGP_HELP_USAGE);
		o->done = true;
		break;
	case 'V':
		printf("%s\n", argp_program_version);
		o->done = true;
		break;
	case ARGP_KEY_ARG:
		o->args[o->nr_args++] = arg;
		break;
	case ARGP_KEY_END:
		if (o->count && !o->interval)
			return ks_usage(state, "--count needs --interval");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp ks_argp = {
	.options = ks_options,
	.parser = ks_parse_opt,
	.args_doc = ks_args_doc,
	.doc = ks_doc,
};

/* ---- selectors and commands ---- */

struct ks_selector {
	char *patch;
	char *object;
	unsigned long long id;
	bool has_id;
};

static int ks_parse_selector(struct ks_ctx *ctx, const char *s,
			     struct ks_selector *sel)
{
	char *copy = strdup(s), *id;

	memset(sel, 0, sizeof(*sel));
	sel->patch = copy;
	sel->object = strchr(copy, '/');
	if (sel->object)
		*sel->object++ = '\0';
	id = sel->object ? strchr(sel->object, '/') : NULL;
	if (id) {
		*id++ = '\0';
		sel->has_id = true;
	}
	if (!*sel->patch || (sel->object && !*sel->object) ||
	    strstr(s, "..") || (id && !ks_parse_id(id, &sel->id))) {
		free(copy);
		sel->patch = NULL;
		return ks_fatal(ctx, EX_USAGE,
				"invalid selector '%s': expected PATCH[/OBJECT[/ID]]", s);
	}
	return 0;
}

static bool ks_row_selected(const struct ks_row *row, const struct ks_selector *sel)
{
	return !strcmp(row->patch, sel->patch) &&
	       (!sel->object || !strcmp(row->object, sel->object)) &&
	       (!sel->has_id || row->id == sel->id);
}

/* Keep the rows @keep accepts; return how many are left. */
static size_t ks_filter(struct ks_rows *rows,
			bool (*keep)(const struct ks_row *row, const void *arg),
			const void *arg)
{
	struct ks_rows kept = { 0 };
	size_t i;

	kept.v = calloc(rows->n + 1, sizeof(*kept.v));
	kept.cap = rows->n + 1;
	for (i = 0; i < rows->n; i++) {
		if (keep(&rows->v[i], arg)) {
			kept.v[kept.n++] = rows->v[i];
			memset(&rows->v[i], 0, sizeof(rows->v[i]));
		}
	}
	ks_free_rows(rows);
	*rows = kept;
	return kept.n;
}

static bool ks_keep_selected(const struct ks_row *row, const void *arg)
{
	return ks_row_selected(row, arg);
}

/* Is the patch (and object) of @sel in the tree, listing types or not? */
static bool ks_selector_exists(struct ks_ctx *ctx, const struct ks_selector *sel)
{
	char *path;
	bool ret;

	if (sel->object)
		path = ks_path(ctx, "%s/%s/%s", KS_LIVEPATCH_DIR, sel->patch, sel->object);
	else
		path = ks_path(ctx, "%s/%s", KS_LIVEPATCH_DIR, sel->patch);
	ret = !access(path, F_OK);
	free(path);
	return ret;
}

static int ks_do_list(struct ks_ctx *ctx, FILE *out, int argc, char **argv)
{
	struct ks_rows rows = { 0 };
	struct ks_selector sel;
	int ret;

	if (argc > 1)
		return ks_fatal(ctx, EX_USAGE, "list takes at most one SELECTOR");
	if (argc) {
		ret = ks_parse_selector(ctx, argv[0], &sel);
		if (ret)
			return ret;
	}
	ret = ks_read_tree(ctx, &rows);
	if (!ret && argc) {
		if (!ks_filter(&rows, ks_keep_selected, &sel) &&
		    (sel.has_id || !ks_selector_exists(ctx, &sel)))
			ret = ks_fatal(ctx, EX_NOINPUT, "%s: not found", argv[0]);
	}
	if (!ret)
		ks_print_list(ctx, out, &rows);
	if (argc)
		free(sel.patch);
	ks_free_rows(&rows);
	return ret;
}

struct ks_ids {
	unsigned long long *v;
	int n;
};

static bool ks_keep_ids(const struct ks_row *row, const void *arg)
{
	const struct ks_ids *ids = arg;
	int i;

	for (i = 0; i < ids->n; i++) {
		if (row->id == ids->v[i])
			return true;
	}
	return !ids->n;
}

static int ks_do_stat(struct ks_ctx *ctx, FILE *out, int argc, char **argv)
{
	struct ks_rows rows = { 0 };
	struct ks_ids ids = { 0 };
	int i, ret;
	size_t j;

	if (ctx->format == KS_FORMAT_PROMETHEUS)
		return ks_fatal(ctx, EX_USAGE, "prometheus output is made by list, not stat");
	ids.v = calloc(argc + 1, sizeof(*ids.v));
	for (i = 0; i < argc; i++) {
		if (!ks_parse_id(argv[i], &ids.v[ids.n++])) {
			free(ids.v);
			return ks_fatal(ctx, EX_USAGE, "invalid id '%s'", argv[i]);
		}
	}
	ret = ks_read_tree(ctx, &rows);
	if (!ret) {
		ks_filter(&rows, ks_keep_ids, &ids);
		for (i = 0; i < ids.n && !ret; i++) {
			for (j = 0; j < rows.n && rows.v[j].id != ids.v[i]; j++)
				;
			if (j == rows.n)
				ret = ks_fatal(ctx, EX_NOINPUT, "id %s: not found", argv[i]);
		}
	}
	if (!ret)
		ks_print_stat(ctx, out, &rows);
	ks_free_rows(&rows);
	free(ids.v);
	return ret;
}

/*
 * Live variables of @what ("<id>" or "orphans": ids without a reference)
 * from the debugfs types file, or -1 if it cannot be read.
 */
static long long ks_gc_live(struct ks_ctx *ctx, const char *what)
{
	unsigned long long id, ref, live, bytes, total = 0;
	char *path, *line = NULL, name[256];
	bool orphans = !strcmp(what, "orphans");
	size_t size = 0;
	FILE *f;

	path = ks_path(ctx, "%s/types", KS_DEBUGFS_DIR);
	f = fopen(path, "re");
	free(path);
	if (!f)
		return -1;
	while (getline(&line, &size, f) > 0) {
		if (sscanf(line, "%llu %255s %llu %llu %llu", &id, name, &ref,
			   &live, &bytes) != 5)
			continue;
		if (orphans ? !ref : id == strtoull(what, NULL, 10))
			total += live;
	}
	free(line);
	fclose(f);
	return total;
}

static void ks_gc_report(struct ks_ctx *ctx, FILE *out, const char *what,
			 long long before, long long after)
{
	bool known = before >= 0 && after >= 0;

	if (ctx->format == KS_FORMAT_JSON) {
		fprintf(out, "{\"gc\":\"%s\",\"collected\":", what);
		if (known)
			fprintf(out, "%lld}\n", before > after ? before - after : 0);
		else
			fputs("null}\n", out);
	} else if (known) {
		fprintf(out, "gc %s: %lld variables collected\n", what,
			before > after ? before - after : 0);
	} else {
		fprintf(out, "gc %s: done\n", what);
	}
}

static int ks_do_gc(struct ks_ctx *ctx, FILE *out, int argc, char **argv)
{
	unsigned long long id;
	long long before;
	char *path;
	int fd, err;

	if (argc != 1 || (strcmp(argv[0], "orphans") && !ks_parse_id(argv[0], &id)))
		return ks_fatal(ctx, EX_USAGE, "gc takes one ID or 'orphans'");
	if (ctx->format == KS_FORMAT_PROMETHEUS)
		return ks_fatal(ctx, EX_USAGE, "prometheus output is made by list, not gc");

	path = ks_path(ctx, "%s/gc", KS_DEBUGFS_DIR);
	if (access(path, F_OK)) {
		err = errno;
		if (err == ENOENT)
			err = ks_fatal(ctx, EX_UNAVAILABLE,
				       "%s: not found: the kernel lacks CONFIG_LIVEPATCH_SHADOW_DEBUG (or debugfs is not mounted)",
				       path);
		else
			err = ks_fatal(ctx, err == EACCES ? EX_NOPERM : 1, "%s: %s",
				       path, strerror(err));
		free(path);
		return err;
	}
	before = ks_gc_live(ctx, argv[0]);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	err = fd < 0 ? errno : 0;
	if (fd >= 0) {
		if (dprintf(fd, "%s\n", argv[0]) < 0)
			err = errno;
		close(fd);
	}
	if (err == EACCES || err == EPERM)
		err = ks_fatal(ctx, EX_NOPERM, "%s: %s", path, strerror(err));
	else if (err == EINVAL && strcmp(argv[0], "orphans"))
		err = ks_fatal(ctx, EX_NOINPUT, "id %s: not found", argv[0]);
	else if (err)
		err = ks_fatal(ctx, 1, "%s: %s", path, strerror(err));
	else
		ks_gc_report(ctx, out, argv[0], before, ks_gc_live(ctx, argv[0]));
	free(path);
	return err;
}

static int ks_do_help(struct ks_ctx *ctx, FILE *out, int argc, char **argv)
{
	argp_help(&ks_argp, out, ARGP_HELP_STD_HELP, "klp-shadow");
	return 0;
}

static int ks_do_version(struct ks_ctx *ctx, FILE *out, int argc, char **argv)
{
	fprintf(out, "%s\n", argp_program_version);
	return 0;
}

struct ks_cmd {
	const char *name;
	int (*fn)(struct ks_ctx *ctx, FILE *out, int argc, char **argv);
};

static const struct ks_cmd ks_cmds[] = {
	{ "list", ks_do_list },
	{ "stat", ks_do_stat },
	{ "gc", ks_do_gc },
	{ "help", ks_do_help },
	{ "version", ks_do_version },
};

#define KS_NR_CMDS	ARRAY_SIZE(ks_cmds)

/* The command @word names exactly or as a unique prefix. */
static const struct ks_cmd *ks_find_cmd(struct ks_ctx *ctx, const char *word,
					int *err)
{
	const struct ks_cmd *found = NULL;
	char names[128] = "";
	size_t i, n = 0;

	for (i = 0; i < KS_NR_CMDS; i++) {
		if (!strcmp(ks_cmds[i].name, word))
			return &ks_cmds[i];
		if (!strncmp(ks_cmds[i].name, word, strlen(word))) {
			found = &ks_cmds[i];
			n++;
			if (n > 1)
				strcat(names, ", ");
			strcat(names, ks_cmds[i].name);
		}
	}
	if (n == 1)
		return found;
	if (n)
		*err = ks_fatal(ctx, EX_USAGE, "ambiguous command '%s': %s", word, names);
	else
		*err = ks_fatal(ctx, EX_USAGE, "unknown command '%s' (see --help)", word);
	return NULL;
}

/* ---- output: stdout or a file replaced atomically ---- */

static FILE *ks_open_out(struct ks_ctx *ctx, const char *file, char **tmp)
{
	char *copy = strdup(file);
	FILE *f;
	int fd;

	if (asprintf(tmp, "%s/.klp-shadow.XXXXXX", dirname(copy)) < 0)
		*tmp = NULL;
	free(copy);
	fd = *tmp ? mkstemp(*tmp) : -1;
	f = fd >= 0 && !fchmod(fd, 0644) ? fdopen(fd, "w") : NULL;
	if (!f) {
		int err = errno;

		ks_fatal(ctx, err == EACCES || err == EPERM ? EX_NOPERM : 1,
			 "%s: cannot create a temporary file beside it: %s", file,
			 strerror(err));
		if (fd >= 0) {
			close(fd);
			unlink(*tmp);
		}
		free(*tmp);
		return NULL;
	}
	return f;
}

static int ks_close_out(struct ks_ctx *ctx, FILE *f, const char *file, char *tmp)
{
	int err = 0, dfd;
	char *copy;

	if (fflush(f) || fsync(fileno(f)))
		err = errno;
	if (fclose(f) && !err)
		err = errno;
	if (!err && rename(tmp, file))
		err = errno;
	if (err) {
		unlink(tmp);
		free(tmp);
		return ks_fatal(ctx, err == EACCES || err == EPERM ? EX_NOPERM : 1,
				"%s: %s", file, strerror(err));
	}
	copy = strdup(file);
	dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(copy);
	free(tmp);
	return 0;
}

static int ks_run_once(struct ks_opts *o, const struct ks_cmd *cmd)
{
	FILE *out = stdout;
	char *tmp = NULL;
	int ret;

	if (o->write) {
		out = ks_open_out(&o->ctx, o->write, &tmp);
		if (!out)
			return o->ctx.status ?: 1;
	}
	ret = cmd->fn(&o->ctx, out, o->nr_args - 1, o->args + 1);
	if (o->write) {
		if (ret) {
			fclose(out);
			unlink(tmp);
			free(tmp);
		} else {
			ret = ks_close_out(&o->ctx, out, o->write, tmp);
		}
	} else {
		fflush(stdout);
	}
	return ret;
}

static void ks_sleep(double sec)
{
	struct timespec ts = {
		.tv_sec = (time_t)sec,
		.tv_nsec = (long)((sec - (time_t)sec) * 1e9),
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int ks_main(struct ks_opts *o)
{
	const struct ks_cmd *cmd;
	int ret = 0;
	long n;

	if (!o->nr_args)
		return ks_fatal(&o->ctx, EX_USAGE, "no command (see --help)");
	cmd = ks_find_cmd(&o->ctx, o->args[0], &ret);
	if (!cmd)
		return ret;
	if (o->ctx.format == KS_FORMAT_PROMETHEUS && cmd->fn != ks_do_list &&
	    cmd->fn != ks_do_help && cmd->fn != ks_do_version)
		return ks_fatal(&o->ctx, EX_USAGE, "prometheus output is made by list only");
	if (o->interval)
		o->ctx.pretty = false;
	for (n = 1;; n++) {
		ret = ks_run_once(o, cmd);
		if (ret || !o->interval || (o->count && n >= o->count))
			break;
		if (!o->write && o->ctx.format == KS_FORMAT_TABLE)
			putchar('\n');
		ks_sleep(o->interval);
	}
	ks_module_state_done();
	return ret ?: o->ctx.status;
}

int main(int argc, char **argv)
{
	struct ks_opts o = { 0 };
	const char *env = getenv("KLP_SHADOW_SYSFS");
	int err;

	o.args = calloc(argc + 1, sizeof(*o.args));
	if (!o.args)
		return 1;
	o.ctx.root = env && *env ? env : KS_DEFAULT_ROOT;
	argp_err_exit_status = EX_USAGE;
	err = argp_parse(&ks_argp, argc, argv, ARGP_NO_HELP | ARGP_NO_EXIT, NULL, &o);
	ks_json_errors = o.ctx.format == KS_FORMAT_JSON;
	if (err) {
		err = ks_fatal(&o.ctx, EX_USAGE, "invalid arguments (see --help)");
	} else if (!o.done) {
		o.ctx.real_sysfs = !strcmp(o.ctx.root, KS_DEFAULT_ROOT);
		err = ks_main(&o);
	}
	free(o.args);
	return err;
}
