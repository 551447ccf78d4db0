// SPDX-License-Identifier: GPL-2.0
/*
 * output.c - print what was read: list (one row per patch, object and
 * type) and stat (one block per id) as a table or JSON, and list in the
 * Prometheus text exposition format. The JSON keys and the metric names
 * are a stable interface, documented in klp-shadow.8.
 */

#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "klp-shadow.h"

/* ---- list ---- */

#define KS_LIST_COLS	8

static const char * const ks_list_head[KS_LIST_COLS] = {
	"PATCH", "OBJECT", "ID", "NAME", "REFCOUNT", "LIVE", "BYTES", "OWNERS",
};

static char *ks_num_str(const struct ks_num *num)
{
	char *s;

	if (!num->ok)
		return strdup("?");
	if (asprintf(&s, "%llu", num->val) < 0)
		return NULL;
	return s;
}

static char *ks_owners_str(const struct ks_row *row, const char *sep)
{
	size_t i, len = 1;
	char *s;

	if (!row->owners_ok)
		return strdup("?");
	if (!row->nr_owners)
		return strdup("-");
	for (i = 0; i < row->nr_owners; i++)
		len += strlen(row->owners[i]) + strlen(sep);
	s = calloc(1, len);
	for (i = 0; s && i < row->nr_owners; i++) {
		if (i)
			strcat(s, sep);
		strcat(s, row->owners[i]);
	}
	return s;
}

static void ks_list_cells(const struct ks_row *row, char **cells)
{
	cells[0] = strdup(row->patch);
	cells[1] = strdup(row->object);
	if (asprintf(&cells[2], "%llu", row->id) < 0)
		cells[2] = NULL;
	cells[3] = strdup(!row->name ? "?" : *row->name ? row->name : "-");
	cells[4] = ks_num_str(&row->refcount);
	cells[5] = ks_num_str(&row->live);
	cells[6] = ks_num_str(&row->bytes);
	cells[7] = ks_owners_str(row, ",");
}

static void ks_print_cells(FILE *f, const char * const *cells,
			   const size_t *width)
{
	int c;

	for (c = 0; c < KS_LIST_COLS; c++) {
		if (c == KS_LIST_COLS - 1)
			fprintf(f, "%s\n", cells[c] ?: "");
		else
			fprintf(f, "%-*s  ", (int)width[c], cells[c] ?: "");
	}
}

static void ks_list_table(FILE *f, struct ks_rows *rows)
{
	size_t width[KS_LIST_COLS], i;
	char **cells;
	int c;

	cells = calloc(rows->n * KS_LIST_COLS + 1, sizeof(*cells));
	if (!cells)
		return;
	for (c = 0; c < KS_LIST_COLS; c++)
		width[c] = strlen(ks_list_head[c]);
	for (i = 0; i < rows->n; i++) {
		ks_list_cells(&rows->v[i], &cells[i * KS_LIST_COLS]);
		for (c = 0; c < KS_LIST_COLS; c++) {
			const char *s = cells[i * KS_LIST_COLS + c];

			if (s && strlen(s) > width[c])
				width[c] = strlen(s);
		}
	}
	ks_print_cells(f, ks_list_head, width);
	for (i = 0; i < rows->n; i++)
		ks_print_cells(f, (const char * const *)&cells[i * KS_LIST_COLS], width);
	for (i = 0; i < rows->n * KS_LIST_COLS; i++)
		free(cells[i]);
	free(cells);
}

static void jw_num(struct json_writer *w, const char *key,
		   const struct ks_num *num)
{
	jw_key(w, key);
	if (num->ok)
		jw_uint(w, num->val);
	else
		jw_null(w);
}

static void jw_owners(struct json_writer *w, const struct ks_row *row)
{
	size_t i;

	jw_key(w, "owners");
	if (!row->owners_ok) {
		jw_null(w);
		return;
	}
	jw_start_array(w);
	for (i = 0; i < row->nr_owners; i++)
		jw_string(w, row->owners[i]);
	jw_end_array(w);
}

static void ks_list_json(struct ks_ctx *ctx, FILE *f, struct ks_rows *rows)
{
	struct json_writer w;
	size_t i;

	jw_init(&w, f, ctx->pretty);
	jw_start_array(&w);
	for (i = 0; i < rows->n; i++) {
		const struct ks_row *row = &rows->v[i];

		jw_start_object(&w);
		jw_key(&w, "patch");
		jw_string(&w, row->patch);
		jw_key(&w, "object");
		jw_string(&w, row->object);
		jw_key(&w, "id");
		jw_uint(&w, row->id);
		jw_key(&w, "name");
		jw_string(&w, row->name);
		jw_num(&w, "refcount", &row->refcount);
		jw_num(&w, "live", &row->live);
		jw_num(&w, "bytes", &row->bytes);
		jw_owners(&w, row);
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_finish(&w);
}

/* ---- Prometheus ---- */

/* A label value: backslash, double quote and newline escaped. */
static void ks_prom_label(FILE *f, const char *key, const char *val, bool last)
{
	fprintf(f, "%s=\"", key);
	for (; *val; val++) {
		if (*val == '\\' || *val == '"')
			fprintf(f, "\\%c", *val);
		else if (*val == '\n')
			fputs("\\n", f);
		else
			fputc(*val, f);
	}
	fputs(last ? "\"}" : "\",", f);
}

static void ks_prom_series(FILE *f, const char *metric, const struct ks_row *row,
			   unsigned long long val)
{
	char id[24];

	snprintf(id, sizeof(id), "%llu", row->id);
	fprintf(f, "%s{", metric);
	ks_prom_label(f, "id", id, false);
	ks_prom_label(f, "name", row->name ?: "", false);
	ks_prom_label(f, "object", row->object, false);
	ks_prom_label(f, "patch", row->patch, true);
	fprintf(f, " %llu\n", val);
}

enum ks_prom_field { KS_BYTES, KS_LIVE, KS_OWNERS, KS_READ_ERRORS, KS_REFCOUNT, KS_TYPES };

struct ks_prom_family {
	const char *name;
	const char *help;
	enum ks_prom_field field;
};

/* Sorted by name: the output is sorted by family, then by series. */
static const struct ks_prom_family ks_prom_families[] = {
	{ "klp_shadow_bytes",
	  "Bytes of shadow data held by the variables of the type's id.", KS_BYTES },
	{ "klp_shadow_live_variables",
	  "Shadow variables with the type's id alive now.", KS_LIVE },
	{ "klp_shadow_owners",
	  "Holders of references on the type's id.", KS_OWNERS },
	{ "klp_shadow_read_errors",
	  "Files klp-shadow could not read or parse in this run.", KS_READ_ERRORS },
	{ "klp_shadow_refcount",
	  "References held on the type's id by all patches and objects.", KS_REFCOUNT },
	{ "klp_shadow_types",
	  "Shadow types listed by livepatch objects.", KS_TYPES },
};

static bool ks_prom_value(const struct ks_row *row, enum ks_prom_field field,
			  unsigned long long *val)
{
	const struct ks_num *num;

	switch (field) {
	case KS_BYTES:
		num = &row->bytes;
		break;
	case KS_LIVE:
		num = &row->live;
		break;
	case KS_REFCOUNT:
		num = &row->refcount;
		break;
	case KS_OWNERS:
		*val = row->nr_owners;
		return row->owners_ok;
	default:
		return false;
	}
	*val = num->val;
	return num->ok;
}

static void ks_list_prometheus(struct ks_ctx *ctx, FILE *f, struct ks_rows *rows)
{
	unsigned long long val;
	size_t i, fam;

	for (fam = 0; fam < ARRAY_SIZE(ks_prom_families); fam++) {
		const struct ks_prom_family *pf = &ks_prom_families[fam];

		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", pf->name, pf->help, pf->name);
		if (pf->field == KS_READ_ERRORS) {
			fprintf(f, "%s %u\n", pf->name, ctx->errors);
			continue;
		}
		if (pf->field == KS_TYPES) {
			fprintf(f, "%s %zu\n", pf->name, rows->n);
			continue;
		}
		for (i = 0; i < rows->n; i++) {
			if (ks_prom_value(&rows->v[i], pf->field, &val))
				ks_prom_series(f, pf->name, &rows->v[i], val);
		}
	}
}

/**
 * ks_print_list() - print the list command's rows in the chosen format
 * @ctx:	the run
 * @f:		where
 * @rows:	sorted by patch, object and id
 */
void ks_print_list(struct ks_ctx *ctx, FILE *f, struct ks_rows *rows)
{
	switch (ctx->format) {
	case KS_FORMAT_TABLE:
		ks_list_table(f, rows);
		break;
	case KS_FORMAT_JSON:
		ks_list_json(ctx, f, rows);
		break;
	case KS_FORMAT_PROMETHEUS:
		ks_list_prometheus(ctx, f, rows);
		break;
	}
}

/* ---- stat ---- */

static int ks_cmp_by_id(const void *a, const void *b)
{
	const struct ks_row *ra = *(const struct ks_row * const *)a;
	const struct ks_row *rb = *(const struct ks_row * const *)b;

	if (ra->id != rb->id)
		return ra->id < rb->id ? -1 : 1;
	if (strcmp(ra->patch, rb->patch))
		return strcmp(ra->patch, rb->patch);
	return strcmp(ra->object, rb->object);
}

/* One id: the rows that list it, and the first well-formed value of each. */
struct ks_stat {
	unsigned long long id;
	const struct ks_row **rows;
	size_t nr_rows;
	const char *name;
	const struct ks_num *refcount;
	const struct ks_num *live;
	const struct ks_num *bytes;
	const struct ks_row *owners;
};

static const struct ks_num ks_bad_num = { 0, false };

static void ks_stat_fill(struct ks_stat *st)
{
	size_t i;

	st->refcount = &ks_bad_num;
	st->live = &ks_bad_num;
	st->bytes = &ks_bad_num;
	st->name = NULL;
	st->owners = NULL;
	for (i = 0; i < st->nr_rows; i++) {
		const struct ks_row *r = st->rows[i];

		if (!st->name && r->name)
			st->name = r->name;
		if (!st->refcount->ok && r->refcount.ok)
			st->refcount = &r->refcount;
		if (!st->live->ok && r->live.ok)
			st->live = &r->live;
		if (!st->bytes->ok && r->bytes.ok)
			st->bytes = &r->bytes;
		if (!st->owners && r->owners_ok)
			st->owners = r;
	}
}

/* Split "<patch>/<object>" at its first slash. */
static void ks_owner_split(const char *owner, char *patch, size_t size,
			   const char **object)
{
	const char *slash = strchr(owner, '/');
	size_t len = slash ? (size_t)(slash - owner) : strlen(owner);

	snprintf(patch, size, "%.*s", (int)len, owner);
	*object = slash ? slash + 1 : "";
}

static void ks_stat_table_owner(struct ks_ctx *ctx, FILE *f, const char *owner)
{
	struct ks_modstate lp, target;
	const char *object;
	char patch[256];

	ks_owner_split(owner, patch, sizeof(patch), &object);
	ks_module_state(ctx, patch, &lp);
	ks_module_state(ctx, object, &target);
	fprintf(f, "\towner %s: livepatch %s ", owner, patch);
	if (lp.loaded)
		fprintf(f, "%s, refcount %ld", lp.initstate[0] ? lp.initstate : "?",
			lp.refcnt);
	else
		fputs("not loaded", f);
	fprintf(f, "; target %s %s\n", object, target.loaded ? "loaded" : "not loaded");
}

static void ks_stat_table(struct ks_ctx *ctx, FILE *f, struct ks_stat *st)
{
	char *s;
	size_t i;

	fprintf(f, "id %llu\n\tname %s\n", st->id,
		!st->name ? "?" : *st->name ? st->name : "-");
	s = ks_num_str(st->refcount);
	fprintf(f, "\trefcount %s\n", s);
	free(s);
	s = ks_num_str(st->live);
	fprintf(f, "\tlive %s\n", s);
	free(s);
	s = ks_num_str(st->bytes);
	fprintf(f, "\tbytes %s\n", s);
	free(s);
	fputs("\tlisted by", f);
	for (i = 0; i < st->nr_rows; i++)
		fprintf(f, "%s%s/%s", i ? ", " : " ", st->rows[i]->patch,
			st->rows[i]->object);
	fputc('\n', f);
	if (!st->owners) {
		fputs("\towners ?\n", f);
		return;
	}
	if (!st->owners->nr_owners)
		fputs("\towners -\n", f);
	for (i = 0; i < st->owners->nr_owners; i++)
		ks_stat_table_owner(ctx, f, st->owners->owners[i]);
}

static void ks_stat_json_owner(struct ks_ctx *ctx, struct json_writer *w,
			       const char *owner)
{
	struct ks_modstate lp, target;
	const char *object;
	char patch[256];

	ks_owner_split(owner, patch, sizeof(patch), &object);
	ks_module_state(ctx, patch, &lp);
	ks_module_state(ctx, object, &target);

	jw_start_object(w);
	jw_key(w, "owner");
	jw_string(w, owner);
	jw_key(w, "patch");
	jw_start_object(w);
	jw_key(w, "name");
	jw_string(w, patch);
	jw_key(w, "loaded");
	jw_bool(w, lp.loaded);
	jw_key(w, "initstate");
	jw_string(w, lp.loaded && lp.initstate[0] ? lp.initstate : NULL);
	jw_key(w, "refcount");
	if (lp.loaded && lp.refcnt >= 0)
		jw_int(w, lp.refcnt);
	else
		jw_null(w);
	jw_end_object(w);
	jw_key(w, "target");
	jw_start_object(w);
	jw_key(w, "name");
	jw_string(w, object);
	jw_key(w, "loaded");
	jw_bool(w, target.loaded);
	jw_end_object(w);
	jw_end_object(w);
}

static void ks_stat_json(struct ks_ctx *ctx, struct json_writer *w,
			 struct ks_stat *st)
{
	char *s;
	size_t i;

	jw_start_object(w);
	jw_key(w, "id");
	jw_uint(w, st->id);
	jw_key(w, "name");
	jw_string(w, st->name);
	jw_num(w, "refcount", st->refcount);
	jw_num(w, "live", st->live);
	jw_num(w, "bytes", st->bytes);
	jw_key(w, "listed_by");
	jw_start_array(w);
	for (i = 0; i < st->nr_rows; i++) {
		if (asprintf(&s, "%s/%s", st->rows[i]->patch, st->rows[i]->object) < 0)
			continue;
		jw_string(w, s);
		free(s);
	}
	jw_end_array(w);
	jw_key(w, "owners");
	if (!st->owners) {
		jw_null(w);
	} else {
		jw_start_array(w);
		for (i = 0; i < st->owners->nr_owners; i++)
			ks_stat_json_owner(ctx, w, st->owners->owners[i]);
		jw_end_array(w);
	}
	jw_end_object(w);
}

/**
 * ks_print_stat() - print one block per id of @rows
 * @ctx:	the run
 * @f:		where
 * @rows:	the rows of the ids to print
 */
void ks_print_stat(struct ks_ctx *ctx, FILE *f, struct ks_rows *rows)
{
	const struct ks_row **byid;
	struct json_writer w;
	struct ks_stat st;
	size_t i, j;

	byid = calloc(rows->n + 1, sizeof(*byid));
	if (!byid)
		return;
	for (i = 0; i < rows->n; i++)
		byid[i] = &rows->v[i];
	qsort(byid, rows->n, sizeof(*byid), ks_cmp_by_id);

	jw_init(&w, f, ctx->pretty);
	if (ctx->format == KS_FORMAT_JSON)
		jw_start_array(&w);
	for (i = 0; i < rows->n; i = j) {
		for (j = i + 1; j < rows->n && byid[j]->id == byid[i]->id; j++)
			;
		st.id = byid[i]->id;
		st.rows = &byid[i];
		st.nr_rows = j - i;
		ks_stat_fill(&st);
		if (ctx->format == KS_FORMAT_JSON) {
			ks_stat_json(ctx, &w, &st);
		} else {
			if (i)
				fputc('\n', f);
			ks_stat_table(ctx, f, &st);
		}
	}
	if (ctx->format == KS_FORMAT_JSON) {
		jw_end_array(&w);
		jw_finish(&w);
	}
	free(byid);
}

/**
 * ks_print_error_json() - an error as a JSON document, so stdout parses
 * @f:		where
 * @msg:	the message
 */
void ks_print_error_json(FILE *f, const char *msg)
{
	struct json_writer w;

	jw_init(&w, f, false);
	jw_start_object(&w);
	jw_key(&w, "error");
	jw_string(&w, msg);
	jw_end_object(&w);
	jw_finish(&w);
}
