// SPDX-License-Identifier: GPL-2.0
/*
 * output.c - print what was read: list (one row per patch, object and
 * type) and stat (one block per id) as a table or JSON (prom.c prints the
 * Prometheus format). The JSON keys are a stable interface, documented in
 * klp-shadow.8. Whatever bytes the tree holds, the output is valid UTF-8:
 * JSON through json_writer.c, tables through ks_text().
 */

#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "klp-shadow.h"

/**
 * ks_text() - @s for a terminal: control characters and bytes that are not
 * valid UTF-8 as the text \xHH
 * @s:		the text
 *
 * Return: a copy to free.
 */
char *ks_text(const char *s)
{
	const unsigned char *p;
	char *out, *q;
	size_t len;

	out = malloc(4 * strlen(s) + 1);
	if (!out)
		return NULL;
	for (p = (const unsigned char *)s, q = out; *p; p += len) {
		len = *p < 0x20 || *p == 0x7f ? 0 : jw_utf8_len(p);
		if (!len) {
			q += sprintf(q, "\\x%02x", *p);
			len = 1;
		} else {
			memcpy(q, p, len);
			q += len;
		}
	}
	*q = '\0';
	return out;
}

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

	char *t;

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
	t = s ? ks_text(s) : NULL;
	free(s);
	return t;
}

static void ks_list_cells(const struct ks_row *row, char **cells)
{
	cells[0] = ks_text(row->patch);
	cells[1] = ks_text(row->object);
	if (asprintf(&cells[2], "%llu", row->id) < 0)
		cells[2] = NULL;
	cells[3] = ks_text(!row->name ? "?" : *row->name ? row->name : "-");
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
		ks_print_prom(ctx, f, rows);
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

/* "P live, refcount 1", "P not loaded" or "P state unknown". */
static void ks_table_modstate(FILE *f, const char *name,
			      const struct ks_modstate *st, bool refcnt)
{
	char *t = ks_text(name);

	if (!st->known)
		fprintf(f, "%s state unknown", t);
	else if (!st->loaded)
		fprintf(f, "%s not loaded", t);
	else if (!refcnt)
		fprintf(f, "%s loaded", t);
	else if (st->refcnt < 0)
		fprintf(f, "%s %s, refcount ?", t, st->initstate[0] ? st->initstate : "?");
	else
		fprintf(f, "%s %s, refcount %ld", t,
			st->initstate[0] ? st->initstate : "?", st->refcnt);
	free(t);
}

static void ks_stat_table_owner(struct ks_ctx *ctx, FILE *f, const char *owner)
{
	struct ks_owner own;
	char *t = ks_text(owner);

	ks_owner_parse(ctx, owner, &own);
	fprintf(f, "\towner %s: ", t);
	free(t);
	if (own.kind == KS_OWNER_OTHER) {
		fputs("not a livepatch object (a debug registration)\n", f);
		return;
	}
	fputs(own.kind == KS_OWNER_RETIRED ? "retired livepatch " : "livepatch ", f);
	ks_table_modstate(f, own.patch, &own.patch_state, true);
	fputs("; target ", f);
	ks_table_modstate(f, own.object, &own.target_state, false);
	fputc('\n', f);
}

static void ks_stat_table(struct ks_ctx *ctx, FILE *f, struct ks_stat *st)
{
	char *s;
	size_t i;

	s = ks_text(!st->name ? "?" : *st->name ? st->name : "-");
	fprintf(f, "id %llu\n\tname %s\n", st->id, s);
	free(s);
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
	for (i = 0; i < st->nr_rows; i++) {
		char *p = ks_text(st->rows[i]->patch), *o = ks_text(st->rows[i]->object);

		fprintf(f, "%s%s/%s", i ? ", " : " ", p, o);
		free(p);
		free(o);
	}
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

static const char * const ks_owner_kinds[] = {
	[KS_OWNER_LIVEPATCH] = "livepatch",
	[KS_OWNER_RETIRED] = "retired",
	[KS_OWNER_OTHER] = "other",
};

static void jw_loaded(struct json_writer *w, const struct ks_modstate *st)
{
	jw_key(w, "loaded");
	if (st->known)
		jw_bool(w, st->loaded);
	else
		jw_null(w);
}

static void ks_stat_json_owner(struct ks_ctx *ctx, struct json_writer *w,
			       const char *owner)
{
	const struct ks_modstate *lp, *target;
	struct ks_owner own;

	ks_owner_parse(ctx, owner, &own);
	lp = &own.patch_state;
	target = &own.target_state;

	jw_start_object(w);
	jw_key(w, "owner");
	jw_string(w, owner);
	jw_key(w, "kind");
	jw_string(w, ks_owner_kinds[own.kind]);
	jw_key(w, "patch");
	if (own.kind == KS_OWNER_OTHER) {
		jw_null(w);
		jw_key(w, "target");
		jw_null(w);
		jw_end_object(w);
		return;
	}
	jw_start_object(w);
	jw_key(w, "name");
	jw_string(w, own.patch);
	jw_loaded(w, lp);
	jw_key(w, "initstate");
	jw_string(w, lp->loaded && lp->initstate[0] ? lp->initstate : NULL);
	jw_key(w, "refcount");
	if (lp->loaded && lp->refcnt >= 0)
		jw_int(w, lp->refcnt);
	else
		jw_null(w);
	jw_end_object(w);
	jw_key(w, "target");
	jw_start_object(w);
	jw_key(w, "name");
	jw_string(w, own.object);
	jw_loaded(w, target);
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
