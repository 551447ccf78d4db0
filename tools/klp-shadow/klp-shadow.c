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
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sysexits.h>
#include <unistd.h>
#include "json_writer.h"
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

/* The shortest --interval: a monitoring agent has no use for less. */
#define KS_MIN_INTERVAL	0.1
#define KS_MAX_INTERVAL	86400

/* What --help, --usage and --version ask for, answered at the end. */
enum ks_action {
	KS_RUN,
	KS_HELP,
	KS_USAGE,
	KS_SHOW_VERSION,
};

struct ks_opts {
	struct ks_ctx ctx;
	struct ks_agent agent;
	char **args;
	int nr_args;
	enum ks_action action;
	const struct ks_cmd *cmd;
	char *error;		/* why the command line is refused */
};

const char *argp_program_version = "klp-shadow " KS_VERSION;
const char *argp_program_bug_address = "<live-patching@vger.kernel.org>";

static const char ks_args_doc[] = "COMMAND [ARG...]";

static const char ks_doc[] =
"klp-shadow -- show the shadow variable types of livepatches\vCommands (a unique prefix is enough, but for gc):\n"
"  list [SELECTOR]   one row per patch, object and shadow type\n"
"  stat [ID...]      one block per type id, with its owners' modules\n"
"  gc ID|orphans     collect an id's variables now, or those of ids\n"
"                    nobody references (CONFIG_LIVEPATCH_SHADOW_DEBUG)\n"
"  help [COMMAND]    this help, or COMMAND's (also: COMMAND help)\n"
"  version           the version\n"
"\n"
"SELECTOR is PATCH[/OBJECT[/ID]], the shape of the sysfs path.\n"
"\n"
"Exit status: 0 success (also an empty result), 64 usage error, 66 a\n"
"selector or id not found (or a --sysfs-root that is not a sysfs tree),\n"
"69 no livepatch or shadow_types support (or, for gc, no\n"
"CONFIG_LIVEPATCH_SHADOW_DEBUG), 77 permission denied, 1 anything else\n"
"(with --interval: the status of the last run).\n"
"\n"
"EXAMPLES:\n"
"    klp-shadow list                      # every type of every patch\n"
"    klp-shadow -p list kpatch_fix/vmlinux\n"
"    klp-shadow stat 90                   # id 90 and its owners\n"
"    klp-shadow -o prometheus --interval 15 \\\n"
"        --write /var/lib/prometheus/node-exporter/klp_shadow.prom \\\n"
"        list                             # for node_exporter\n"
"    klp-shadow gc orphans                # debug kernels only\n";

static const struct argp_option ks_options[] = {
	{ "json", 'j', NULL, 0,
	  "Print JSON (compact, one document per line)", 0 },
	{ "pretty", 'p', NULL, 0,
	  "Print indented JSON (implies --json)", 0 },
	{ "output", 'o', "FORMAT", 0,
	  "Output format: table (default), json or prometheus (list only); "
	  "the last of -j, -p and -o wins", 0 },
	{ "write", KS_OPT_WRITE, "FILE", 0,
	  "Write the output to FILE atomically (temporary file, fsync, rename)", 0 },
	{ "interval", KS_OPT_INTERVAL, "SEC", 0,
	  "Repeat every SEC seconds, in plain decimals (0.1 to 86400; list and stat)", 0 },
	{ "count", KS_OPT_COUNT, "N", 0,
	  "With --interval: stop after N runs", 0 },
	{ "sysfs-root", KS_OPT_SYSFS_ROOT, "DIR", 0,
	  "Read the captured tree DIR instead of /sys (default: $KLP_SHADOW_SYSFS or /sys)", 0 },
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{ NULL, '?', NULL, OPTION_HIDDEN, NULL, -1 },
	{ "usage", KS_OPT_USAGE, NULL, 0, "Give a short usage message", -1 },
	{ "version", 'V', NULL, 0, "Print program version", -1 },
	{ 0 }
};

static void ks_verror(struct ks_ctx *ctx, const char *fmt, va_list ap,
		      bool json)
{
	char *msg, *text;

	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	/* Names in it are shown as in tables: a control byte is \xHH. */
	text = ks_text(msg);
	if (!ks_log_repeated(ctx, msg))
		fprintf(stderr, "klp-shadow: error: %s\n", text ?: msg);
	free(text);
	if (json)
		ks_print_error_json(ctx->out ?: stdout, msg);
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
	ks_verror(ctx, fmt, ap, ctx->format == KS_FORMAT_JSON);
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

/*
 * Whether @s is a plain decimal number: digits and at most one point,
 * with a digit on one side of it at least ("15", "0.5", ".5", "1.").
 * strtod() alone also takes "0x1", "1e1", "+1", " 1", "nan" and "inf".
 */
static bool ks_is_decimal(const char *s)
{
	size_t n = strspn(s, "0123456789"), frac = 0;

	if (s[n] == '.')
		frac = strspn(s + n + 1, "0123456789");
	return (n || frac) && !s[n + (s[n] == '.') + frac];
}

/* argp parsers fail with a positive errno. */
#define KS_ARGP_FAILED	EINVAL

/* Refuse the command line for the reason @fmt says (reported at the end). */
static error_t ks_usage(struct argp_state *state, const char *fmt, ...)
{
	struct ks_opts *o = state->input;
	va_list ap;

	if (o->error)
		return KS_ARGP_FAILED;
	va_start(ap, fmt);
	if (vasprintf(&o->error, fmt, ap) < 0)
		o->error = NULL;
	va_end(ap);
	return KS_ARGP_FAILED;
}

/*
 * The word of @argv that argp refused: the first option word that names no
 * option (or more than one, by a prefix), lacks its argument, or has one
 * that its option takes none. argp's state does not tell inside a group of
 * short options (-xy); getopt permutes the words, but keeps each option
 * beside its argument.
 */
static const char *ks_refused_word(int argc, char **argv)
{
	const struct argp_option *opt, *found;
	size_t len, n;
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *w = argv[i];

		if (w[0] != '-' || !w[1])
			continue;
		if (w[1] == '-') {
			len = strcspn(w + 2, "=");
			found = NULL;
			for (n = 0, opt = ks_options; opt->name || opt->key; opt++) {
				if (!opt->name || strncmp(opt->name, w + 2, len))
					continue;
				found = opt;
				if (strlen(opt->name) == len) {
					n = 1;
					break;
				}
				n++;
			}
			if (!len || n != 1 || (!found->arg && w[2 + len]) ||
			    (found->arg && !w[2 + len] && ++i >= argc))
				return w;
			continue;
		}
		/* A group of short options: -o takes the rest, or the next word. */
		n = 1 + strspn(w + 1, "jphV?");
		if (!w[n])
			continue;
		if (w[n] != 'o' || (!w[n + 1] && ++i >= argc))
			return w;
	}
	return NULL;
}

/* Why argp refused the word @word (argp says nothing: ARGP_NO_ERRS). */
static void ks_bad_word(struct ks_opts *o, const char *word)
{
	const struct argp_option *opt;
	size_t len;
	int ret;

	if (o->error || !word)
		return;
	len = strcspn(word, "=");
	if (word[0] == '-' && word[1] && strspn(word + 1, "0123456789") == strlen(word + 1) &&
	    strspn(word + 1, "0") != strlen(word + 1)) {
		if (asprintf(&o->error, "unrecognized option '%s': ids are never negative",
			     word) < 0)
			o->error = NULL;
		return;
	}
	/* A long option, or a unique prefix of one as getopt accepts. */
	for (opt = ks_options; word[0] == '-' && word[1] == '-' && word[2] && opt->name;
	     opt++) {
		if (strlen(opt->name) < len - 2 || strncmp(opt->name, word + 2, len - 2))
			continue;
		if (opt->arg && !word[len]) {
			if (asprintf(&o->error, "option '--%s' needs an argument %s",
				     opt->name, opt->arg) < 0)
				o->error = NULL;
			return;
		}
		if (!opt->arg && word[len]) {
			if (asprintf(&o->error, "option '--%s' takes no argument", opt->name) < 0)
				o->error = NULL;
			return;
		}
	}
	if (word[0] == '-' && word[1] && word[1] != '-') {
		/* A cluster of short options: the first one not known, or -o last. */
		len = 1 + strspn(word + 1, "jphV?");
		if (word[len] == 'o' && word[len + 1])
			return;
		if (word[len] == 'o')
			ret = asprintf(&o->error, "option '-o' needs an argument");
		else
			ret = asprintf(&o->error, "unrecognized option '-%c'", word[len]);
		if (ret < 0)
			o->error = NULL;
		return;
	}
	if (asprintf(&o->error, "unrecognized option '%s'", word) < 0)
		o->error = NULL;
}

static error_t ks_parse_opt(int key, char *arg, struct argp_state *state)
{
	struct ks_opts *o = state->input;
	const char *word;
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
			return ks_usage(state,
					"unknown output format '%s' (table, json or prometheus)",
					arg);
		break;
	case KS_OPT_WRITE:
		if (!*arg)
			return ks_usage(state, "--write: empty file name");
		o->agent.write = arg;
		break;
	case KS_OPT_INTERVAL:
		errno = 0;
		o->agent.interval = strtod(arg, &end);
		if (!ks_is_decimal(arg) || errno || end == arg || *end ||
		    !(o->agent.interval >= KS_MIN_INTERVAL) ||
		    o->agent.interval > KS_MAX_INTERVAL)
			return ks_usage(state,
					"invalid interval '%s': seconds in plain decimals, from %g to %d",
					arg, KS_MIN_INTERVAL, KS_MAX_INTERVAL);
		break;
	case KS_OPT_COUNT:
		errno = 0;
		o->agent.count = strtol(arg, &end, 10);
		if (errno || end == arg || *end || o->agent.count <= 0)
			return ks_usage(state, "invalid count '%s'", arg);
		break;
	case KS_OPT_SYSFS_ROOT:
		if (!*arg)
			return ks_usage(state, "--sysfs-root: empty directory name");
		o->ctx.root = arg;
		break;
	case '?':
		/*
		 * getopt's error too, when the refused byte reads as -1
		 * (0xff): argp then takes it for this option.
		 */
		word = ks_refused_word(state->argc, state->argv);
		if (word) {
			ks_bad_word(o, word);
			return KS_ARGP_FAILED;
		}
		o->action = KS_HELP;
		break;
	case 'h':
		o->action = KS_HELP;
		break;
	case KS_OPT_USAGE:
		o->action = KS_USAGE;
		break;
	case 'V':
		o->action = KS_SHOW_VERSION;
		break;
	case ARGP_KEY_ARG:
		o->args[o->nr_args++] = arg;
		break;
	case ARGP_KEY_ERROR:
		ks_bad_word(o, ks_refused_word(state->argc, state->argv));
		break;
	case ARGP_KEY_END:
		/* Not for --help, --usage or --version: they run nothing. */
		if (o->action == KS_RUN && o->agent.count && !o->agent.interval)
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
	size_t len = strlen(s);

	memset(sel, 0, sizeof(*sel));
	if (!copy)
		return ks_fatal(ctx, 1, "%s", strerror(ENOMEM));
	/* A directory's path may end in one slash, as a shell completes it. */
	if (len > 1 && copy[len - 1] == '/' && copy[len - 2] != '/')
		copy[len - 1] = '\0';
	sel->patch = copy;
	sel->object = strchr(copy, '/');
	if (sel->object)
		*sel->object++ = '\0';
	id = sel->object ? strchr(sel->object, '/') : NULL;
	if (id) {
		*id++ = '\0';
		sel->has_id = true;
	}
	/* "." and ".." name directories, but no patch or object. */
	if (!*sel->patch || (sel->object && !*sel->object) ||
	    !strcmp(sel->patch, ".") || (sel->object && !strcmp(sel->object, ".")) ||
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
	if (!kept.v) {
		perror("klp-shadow");
		exit(1);
	}
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

/*
 * Does @sel name a patch directory (and an object directory in it, not a
 * function "<function,sympos>" nor a file)? Return 0 or 66 (reported).
 */
static int ks_selector_check(struct ks_ctx *ctx, const char *s,
			     const struct ks_selector *sel)
{
	char *path;
	bool dir, exists;

	if (sel->object)
		path = ks_path(ctx, "%s/%s/%s", KS_LIVEPATCH_DIR, sel->patch, sel->object);
	else
		path = ks_path(ctx, "%s/%s", KS_LIVEPATCH_DIR, sel->patch);
	dir = ks_is_dir_path(path);
	exists = !access(path, F_OK);
	free(path);
	if (!exists)
		return ks_fatal(ctx, EX_NOINPUT, "%s: not found", s);
	if (!dir || (sel->object && strchr(sel->object, ',')))
		return ks_fatal(ctx, EX_NOINPUT, "%s: not found: not a %s directory", s,
				sel->object ? "livepatch object" : "livepatch");
	return 0;
}

/*
 * @what was not found: 66, or, when something could not be read (it may be
 * there), the status of that error.
 */
static int ks_not_found(struct ks_ctx *ctx, const char *what)
{
	if (ctx->errors && ctx->status)
		return ks_fatal(ctx, ctx->status,
				"%s: not found where the tree could be read", what);
	return ks_fatal(ctx, EX_NOINPUT, "%s: not found", what);
}

static int ks_do_list(struct ks_ctx *ctx, FILE *out, int argc, char **argv)
{
	struct ks_select tsel = { 0 };
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
	if (argc) {
		tsel.patch = sel.patch;
		tsel.object = sel.object;
		tsel.ids = &sel.id;
		tsel.nr_ids = sel.has_id;
	}
	ret = ks_read_tree(ctx, &rows, argc ? &tsel : NULL);
	if (!ret && argc) {
		ret = ks_selector_check(ctx, argv[0], &sel);
		if (!ret && !ks_filter(&rows, ks_keep_selected, &sel) && sel.has_id)
			ret = ks_not_found(ctx, argv[0]);
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
	struct ks_select tsel = { 0 };
	struct ks_rows rows = { 0 };
	struct ks_ids ids = { 0 };
	char what[32];
	int i, ret;
	size_t j;

	if (ctx->format == KS_FORMAT_PROMETHEUS)
		return ks_fatal(ctx, EX_USAGE, "prometheus output is made by list, not stat");
	ids.v = calloc(argc + 1, sizeof(*ids.v));
	if (!ids.v)
		return ks_fatal(ctx, 1, "%s", strerror(ENOMEM));
	for (i = 0; i < argc; i++) {
		if (!ks_parse_id(argv[i], &ids.v[ids.n++])) {
			free(ids.v);
			return ks_fatal(ctx, EX_USAGE, "invalid id '%s'", argv[i]);
		}
	}
	tsel.ids = ids.v;
	tsel.nr_ids = ids.n;
	ret = ks_read_tree(ctx, &rows, &tsel);
	if (!ret) {
		ks_filter(&rows, ks_keep_ids, &ids);
		for (i = 0; i < ids.n && !ret; i++) {
			for (j = 0; j < rows.n && rows.v[j].id != ids.v[i]; j++)
				;
			if (j == rows.n) {
				snprintf(what, sizeof(what), "id %s", argv[i]);
				ret = ks_not_found(ctx, what);
			}
		}
	}
	if (!ret)
		ks_print_stat(ctx, out, &rows);
	ks_free_rows(&rows);
	free(ids.v);
	return ret;
}

/* What the debugfs types file says of the ids gc is asked about. */
struct ks_gc_count {
	bool found;		/* the id is in the registry */
	unsigned long long live;
};

/*
 * Count the live variables of @what ("<id>" or "orphans": ids without a
 * reference) in the debugfs types file, read strictly: its header, then
 * "id name refcount live bytes" lines. Return 0 or the status of an error
 * (reported): gc never counts from a file it cannot trust.
 */
static int ks_gc_count(struct ks_ctx *ctx, const char *what,
		       struct ks_gc_count *c)
{
	static const char head[] = "id name refcount live bytes\n";
	unsigned long long id = 0, v[5];
	bool orphans = !strcmp(what, "orphans");
	char *path, *line = NULL, *field, *save;
	size_t size = 0;
	int i, nr = 0, ret = 0;
	FILE *f;

	memset(c, 0, sizeof(*c));
	if (!orphans)
		ks_parse_id(what, &id);
	path = ks_path(ctx, "%s/types", KS_DEBUGFS_DIR);
	f = fopen(path, "re");
	if (!f) {
		ret = ks_fatal(ctx, errno == EACCES || errno == EPERM ? EX_NOPERM : 1,
			       "%s: %s", path, strerror(errno));
		free(path);
		return ret;
	}
	while (!ret && getline(&line, &size, f) > 0) {
		nr++;
		if (nr == 1) {
			if (strcmp(line, head))
				ret = ks_fatal(ctx, 1, "%s:1: not the header '%.*s'", path,
					       (int)strlen(head) - 1, head);
			continue;
		}
		line[strcspn(line, "\n")] = '\0';
		for (i = 0, field = strtok_r(line, " ", &save); field && i < 5;
		     i++, field = strtok_r(NULL, " ", &save)) {
			if (i != 1 && !ks_parse_id(field, &v[i]))
				break;
		}
		if (i != 5 || field) {
			ret = ks_fatal(ctx, 1, "%s:%d: malformed line", path, nr);
			break;
		}
		if (orphans ? !v[2] : v[0] == id) {
			c->found = true;
			c->live += v[3];
		}
	}
	if (!ret && ferror(f))
		ret = ks_fatal(ctx, 1, "%s: %s", path, strerror(errno));
	else if (!ret && !nr)
		ret = ks_fatal(ctx, 1, "%s: empty, not the registry's types", path);
	free(line);
	fclose(f);
	free(path);
	return ret;
}

static void ks_gc_report(struct ks_ctx *ctx, FILE *out, const char *what,
			 unsigned long long collected)
{
	if (ctx->format == KS_FORMAT_JSON)
		fprintf(out, "{\"gc\":\"%s\",\"collected\":%llu}\n", what, collected);
	else
		fprintf(out, "gc %s: %llu variables collected\n", what, collected);
}

/*
 * Write @what to the knob. On debugfs the write is the request; in a
 * captured tree the knob is a plain file, emptied first so that it holds
 * the last request only.
 */
static int ks_gc_write(const char *path, const char *what)
{
	struct statfs sfs;
	int fd, err = 0;

	/* Not through a link: in a captured tree it could name any file. */
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno;
	if (!fstatfs(fd, &sfs) && sfs.f_type != DEBUGFS_MAGIC && ftruncate(fd, 0))
		err = errno;
	if (!err && dprintf(fd, "%s\n", what) < 0)
		err = errno;
	if (close(fd) && !err)
		err = errno;
	return err;
}

static int ks_do_gc(struct ks_ctx *ctx, FILE *out, int argc, char **argv)
{
	struct ks_gc_count before, after;
	unsigned long long id;
	char what[24] = "orphans";
	char *path;
	int err;

	if (argc != 1)
		return ks_fatal(ctx, EX_USAGE, "gc takes one ID or 'orphans'");
	if (strcmp(argv[0], "orphans") && !ks_parse_id(argv[0], &id))
		return ks_fatal(ctx, EX_USAGE, "invalid id '%s': gc takes one ID or 'orphans'",
				argv[0]);
	/* The id as sysfs and the knob spell it: "01" is 1. */
	if (strcmp(argv[0], "orphans"))
		snprintf(what, sizeof(what), "%llu", id);
	if (ctx->format == KS_FORMAT_PROMETHEUS)
		return ks_fatal(ctx, EX_USAGE, "prometheus output is made by list, not gc");
	err = ks_check_root(ctx);
	if (err)
		return err;

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
	err = ks_gc_count(ctx, what, &before);
	if (!err && !before.found && strcmp(what, "orphans"))
		err = ks_fatal(ctx, EX_NOINPUT, "id %s: not found", what);
	if (err) {
		free(path);
		return err;
	}
	err = ks_gc_write(path, what);
	if (err == EACCES || err == EPERM)
		err = ks_fatal(ctx, EX_NOPERM, "%s: %s", path, strerror(err));
	else if (err == EINVAL && strcmp(what, "orphans"))
		err = ks_fatal(ctx, EX_NOINPUT, "id %s: not found", what);
	else if (err)
		err = ks_fatal(ctx, 1, "%s: %s", path, strerror(err));
	else
		err = ks_gc_count(ctx, what, &after);
	if (!err)
		ks_gc_report(ctx, out, what,
			     before.live > after.live ? before.live - after.live : 0);
	free(path);
	return err;
}

struct ks_cmd {
	const char *name;
	int (*fn)(struct ks_ctx *ctx, FILE *out, int argc, char **argv);
	const char *usage;
	bool repeats;		/* --interval and --count apply */
	bool whole;		/* only by its whole name: it frees variables */
};

static int ks_do_help(struct ks_ctx *ctx, FILE *out, int argc, char **argv);
static int ks_do_version(struct ks_ctx *ctx, FILE *out, int argc, char **argv);

static const struct ks_cmd ks_cmds[] = {
	{ "list", ks_do_list,
	  "Usage: klp-shadow [OPTION...] list [SELECTOR]\n"
	  "One row per patch, object and shadow type; SELECTOR is\n"
	  "PATCH[/OBJECT[/ID]], a patch or object directory (or a type) in\n"
	  "/sys/kernel/livepatch. Formats: table, json, prometheus.\n", true, false },
	{ "stat", ks_do_stat,
	  "Usage: klp-shadow [OPTION...] stat [ID...]\n"
	  "One block per type id (every id, or those named), with the state\n"
	  "of each owner's modules. Formats: table, json.\n", true, false },
	{ "gc", ks_do_gc,
	  "Usage: klp-shadow [OPTION...] gc ID|orphans\n"
	  "Collect the variables of ID now, or those of every id nobody\n"
	  "references, through /sys/kernel/debug/livepatch/shadow/gc\n"
	  "(CONFIG_LIVEPATCH_SHADOW_DEBUG). Runs once: no --interval.\n",
	  false, true },
	{ "help", ks_do_help,
	  "Usage: klp-shadow help [COMMAND]\n"
	  "The help, or that of COMMAND.\n", false, false },
	{ "version", ks_do_version,
	  "Usage: klp-shadow version\n"
	  "The version.\n", false, false },
};

#define KS_NR_CMDS	ARRAY_SIZE(ks_cmds)

/*
 * The command @word names exactly or as a unique prefix; to be run
 * (@run), one that frees variables (gc) only by its whole name.
 */
static const struct ks_cmd *ks_find_cmd(struct ks_ctx *ctx, const char *word,
					bool run, int *err)
{
	const struct ks_cmd *found = NULL;
	char names[128] = "";
	size_t i, n = 0;

	if (!*word) {
		*err = ks_fatal(ctx, EX_USAGE, "empty command (see --help)");
		return NULL;
	}
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
	if (n == 1 && (!found->whole || !run))
		return found;
	if (n == 1)
		*err = ks_fatal(ctx, EX_USAGE,
				"command '%s': %s frees variables, give its whole name",
				word, found->name);
	else if (n)
		*err = ks_fatal(ctx, EX_USAGE, "ambiguous command '%s': %s", word, names);
	else
		*err = ks_fatal(ctx, EX_USAGE, "unknown command '%s' (see --help)", word);
	return NULL;
}

/* ---- help and version: text, or JSON in JSON mode ---- */

static void ks_print_doc(struct ks_ctx *ctx, FILE *out, const char *key,
			 const char *text)
{
	struct json_writer w;

	if (ctx->format != KS_FORMAT_JSON) {
		fputs(text, out);
		return;
	}
	jw_init(&w, out, ctx->pretty);
	jw_start_object(&w);
	jw_key(&w, key);
	jw_string(&w, text);
	jw_end_object(&w);
	jw_finish(&w);
}

/* The argp help (or usage) as a string to free. */
static char *ks_argp_text(unsigned int flags)
{
	char *text = NULL;
	size_t size;
	FILE *f;

	f = open_memstream(&text, &size);
	if (!f)
		return NULL;
	argp_help(&ks_argp, f, flags, "klp-shadow");
	fclose(f);
	return text;
}

static int ks_do_help(struct ks_ctx *ctx, FILE *out, int argc, char **argv)
{
	const struct ks_cmd *cmd;
	char *text;
	int err = 0;

	if (argc > 1)
		return ks_fatal(ctx, EX_USAGE, "help takes at most one COMMAND");
	if (argc) {
		cmd = ks_find_cmd(ctx, argv[0], false, &err);
		if (!cmd)
			return err;
		ks_print_doc(ctx, out, "help", cmd->usage);
		return 0;
	}
	text = ks_argp_text(ARGP_HELP_STD_HELP);
	if (!text)
		return ks_fatal(ctx, 1, "%s", strerror(ENOMEM));
	ks_print_doc(ctx, out, "help", text);
	free(text);
	return 0;
}

static int ks_do_version(struct ks_ctx *ctx, FILE *out, int argc, char **argv)
{
	struct json_writer w;

	if (argc)
		return ks_fatal(ctx, EX_USAGE, "version takes no argument");
	if (ctx->format != KS_FORMAT_JSON) {
		fprintf(out, "%s\n", argp_program_version);
		return 0;
	}
	jw_init(&w, out, ctx->pretty);
	jw_start_object(&w);
	jw_key(&w, "version");
	jw_string(&w, KS_VERSION);
	jw_end_object(&w);
	jw_finish(&w);
	return 0;
}

/* ---- running a command ---- */

static int ks_run_cmd(struct ks_ctx *ctx, FILE *out, void *arg)
{
	struct ks_opts *o = arg;

	return o->cmd->fn(ctx, out, o->nr_args - 1, o->args + 1);
}

/* help, version and COMMAND help: printed once on stdout, checked. */
static int ks_answer(struct ks_opts *o, const struct ks_cmd *cmd, int argc,
		     char **argv)
{
	char *text;
	int ret = 0;

	if (cmd) {
		ret = cmd->fn(&o->ctx, stdout, argc, argv);
	} else if (o->action == KS_SHOW_VERSION) {
		ret = ks_do_version(&o->ctx, stdout, 0, NULL);
	} else if (o->action == KS_HELP) {
		ret = ks_do_help(&o->ctx, stdout, 0, NULL);
	} else {
		text = ks_argp_text(ARGP_HELP_USAGE);
		if (text)
			ks_print_doc(&o->ctx, stdout, "usage", text);
		else
			ret = ks_fatal(&o->ctx, 1, "%s", strerror(ENOMEM));
		free(text);
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "klp-shadow: error: stdout: %s\n", strerror(errno ?: EIO));
		return 1;
	}
	return ret;
}

static int ks_main(struct ks_opts *o)
{
	const struct ks_cmd *cmd;
	bool asks_help;
	int ret = 0;

	/* COMMAND --help: what help COMMAND prints. */
	if (o->action == KS_HELP && o->nr_args)
		return ks_answer(o, ks_find_cmd(&o->ctx, "help", true, &ret), 1,
				 o->args);
	if (o->action != KS_RUN)
		return ks_answer(o, NULL, 0, NULL);
	if (!o->nr_args)
		return ks_fatal(&o->ctx, EX_USAGE, "no command (see --help)");
	/* "COMMAND help" runs nothing: any prefix names COMMAND. */
	asks_help = o->nr_args == 2 && !strcmp(o->args[1], "help");
	cmd = ks_find_cmd(&o->ctx, o->args[0], !asks_help, &ret);
	if (!cmd)
		return ret;
	/* COMMAND help: what help COMMAND prints. */
	if (asks_help)
		return ks_answer(o, ks_find_cmd(&o->ctx, "help", true, &ret), 1,
				 o->args);
	if (cmd->fn == ks_do_help || cmd->fn == ks_do_version)
		return ks_answer(o, cmd, o->nr_args - 1, o->args + 1);
	if (o->ctx.format == KS_FORMAT_PROMETHEUS && cmd->fn != ks_do_list)
		return ks_fatal(&o->ctx, EX_USAGE, "prometheus output is made by list only");
	if (!cmd->repeats && o->agent.interval)
		return ks_fatal(&o->ctx, EX_USAGE,
				"%s runs once: --interval and --count are for list and stat",
				cmd->name);
	if (o->agent.interval)
		o->ctx.pretty = false;
	o->agent.pass = ks_run_cmd;
	o->agent.arg = o;
	o->cmd = cmd;
	ret = ks_agent_run(&o->ctx, &o->agent);
	ks_module_state_done();
	return ret;
}

/*
 * Does the command line ask for JSON, the last of -j, -p and -o naming the
 * format? A refused command line is reported as JSON then, even if argp
 * stopped before the option.
 */
static bool ks_wants_json(int argc, char **argv)
{
	const char *format;
	bool json = false;
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *w = argv[i];

		format = NULL;
		if (!strcmp(w, "-o") || !strcmp(w, "--output"))
			format = i + 1 < argc ? argv[++i] : "";
		else if (!strncmp(w, "--output=", 9))
			format = w + 9;
		else if (!strncmp(w, "-o", 2))
			format = w + 2;
		if (format)
			json = !strcmp(format, "json");
		else if (!strcmp(w, "--json") || !strcmp(w, "--pretty") ||
			 (w[0] == '-' && w[1] && w[1] != '-' &&
			  strspn(w + 1, "jp") == strlen(w + 1)))
			json = true;
	}
	return json;
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
	err = argp_parse(&ks_argp, argc, argv,
			 ARGP_NO_HELP | ARGP_NO_EXIT | ARGP_NO_ERRS, NULL, &o);
	if (err) {
		if (ks_wants_json(argc, argv))
			o.ctx.format = KS_FORMAT_JSON;
		err = ks_fatal(&o.ctx, EX_USAGE, "%s (see --help)",
			       o.error ?: "invalid arguments");
	} else {
		o.ctx.real_sysfs = !strcmp(o.ctx.root, KS_DEFAULT_ROOT);
		err = ks_main(&o);
	}
	free(o.error);
	free(o.args);
	return err;
}
