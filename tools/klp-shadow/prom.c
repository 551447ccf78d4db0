// SPDX-License-Identifier: GPL-2.0
/*
 * prom.c - list in the Prometheus text exposition format, for
 * node_exporter's textfile collector.
 *
 * One truth per id: the registry-wide numbers of an id (live variables,
 * bytes, refcount, owners) are one series per id, labelled {id, name};
 * which patch objects list an id is the info series klp_shadow_type_info
 * {id, name, object, patch} 1, to join on. Summing a per-id family over its
 * series gives the total of the ids patch objects list or registered; ids
 * used only through the id-based API have no sysfs directory and are not
 * in it (debugfs types shows them). The families, the meaning of each and
 * example queries are documented in klp-shadow.8.
 */

#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "json_writer.h"
#include "klp-shadow.h"

/*
 * A label value: backslash, double quote and newline escaped as the format
 * says; control characters and bytes that are not valid UTF-8 as the text
 * \xHH (written "\\xHH"), so that the file is always valid UTF-8.
 */
void ks_prom_label(FILE *f, const char *key, const char *val, bool last)
{
	const unsigned char *p;
	size_t len;

	fprintf(f, "%s=\"", key);
	for (p = (const unsigned char *)val; *p; p += len) {
		len = *p < 0x20 || *p == 0x7f ? 0 : jw_utf8_len(p);
		if (*p == '\\' || *p == '"')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (!len)
			fprintf(f, "\\\\x%02x", *p);
		else
			fwrite(p, 1, len, f);
		len = len ?: 1;
	}
	fputs(last ? "\"}" : "\",", f);
}

/* One id: its first well-formed values, and its first well-formed owners. */
struct ks_prom_id {
	unsigned long long id;
	const char *name;
	const struct ks_num *val[3];	/* live, bytes, refcount */
	const struct ks_row *owners;
	struct ks_owner *own;		/* parsed @owners->owners */
};

enum { KS_LIVE, KS_BYTES, KS_REFCOUNT };

static int ks_cmp_ids(const void *a, const void *b)
{
	const struct ks_prom_id *ia = a, *ib = b;

	return ia->id < ib->id ? -1 : ia->id > ib->id;
}

/* The ids of @rows, sorted, each with the values of its first good row. */
static struct ks_prom_id *ks_prom_ids(struct ks_ctx *ctx, struct ks_rows *rows,
				      size_t *nr)
{
	struct ks_prom_id *ids = calloc(rows->n + 1, sizeof(*ids));
	size_t i, j, n = 0;

	if (!ids) {
		perror("klp-shadow");
		exit(1);
	}
	for (i = 0; i < rows->n; i++) {
		const struct ks_row *r = &rows->v[i];
		const struct ks_num *v[3] = { &r->live, &r->bytes, &r->refcount };
		struct ks_prom_id *id;
		int k;

		for (j = 0; j < n && ids[j].id != r->id; j++)
			;
		id = &ids[j];
		if (j == n) {
			n++;
			id->id = r->id;
		}
		if (!id->name)
			id->name = r->name;
		for (k = 0; k < 3; k++) {
			if (!id->val[k] && v[k]->ok)
				id->val[k] = v[k];
		}
		if (!id->owners && r->owners_ok)
			id->owners = r;
	}
	qsort(ids, n, sizeof(*ids), ks_cmp_ids);
	for (i = 0; i < n; i++) {
		if (!ids[i].owners)
			continue;
		ids[i].own = calloc(ids[i].owners->nr_owners + 1, sizeof(*ids[i].own));
		for (j = 0; ids[i].own && j < ids[i].owners->nr_owners; j++)
			ks_owner_parse(ctx, ids[i].owners->owners[j], &ids[i].own[j]);
	}
	*nr = n;
	return ids;
}

static void ks_prom_head(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* A series labelled {id, name}. */
static void ks_prom_id_series(FILE *f, const char *metric,
			      const struct ks_prom_id *id, unsigned long long val)
{
	char s[24];

	snprintf(s, sizeof(s), "%llu", id->id);
	fprintf(f, "%s{", metric);
	ks_prom_label(f, "id", s, false);
	ks_prom_label(f, "name", id->name ?: "", true);
	fprintf(f, " %llu\n", val);
}

static void ks_prom_per_id(FILE *f, const char *metric, const char *help,
			   const struct ks_prom_id *ids, size_t n, int k)
{
	size_t i;

	ks_prom_head(f, metric, help);
	for (i = 0; i < n; i++) {
		if (k < 0 && ids[i].owners)
			ks_prom_id_series(f, metric, &ids[i], ids[i].owners->nr_owners);
		else if (k >= 0 && ids[i].val[k])
			ks_prom_id_series(f, metric, &ids[i], ids[i].val[k]->val);
	}
}

/* Did an owner line of @id before @j say the same (free-form lines repeat)? */
static bool ks_owner_repeated(const struct ks_prom_id *id, size_t j)
{
	size_t k;

	for (k = 0; k < j; k++) {
		if (!strcmp(id->owners->owners[k], id->owners->owners[j]))
			return true;
	}
	return false;
}

/* One series per id and owner line, however often the line repeats. */
static void ks_prom_target_loaded(FILE *f, const struct ks_prom_id *ids, size_t n)
{
	const char *metric = "klp_shadow_owner_target_loaded";
	char s[24];
	size_t i, j;

	ks_prom_head(f, metric,
		     "1 if the target module of a livepatch object holding a reference on the id is loaded, 0 if it is gone.");
	for (i = 0; i < n; i++) {
		for (j = 0; ids[i].own && j < ids[i].owners->nr_owners; j++) {
			const struct ks_owner *o = &ids[i].own[j];

			if (o->kind == KS_OWNER_OTHER || !o->target_state.known ||
			    ks_owner_repeated(&ids[i], j))
				continue;
			snprintf(s, sizeof(s), "%llu", ids[i].id);
			fprintf(f, "%s{", metric);
			ks_prom_label(f, "id", s, false);
			ks_prom_label(f, "object", o->object, false);
			ks_prom_label(f, "owner", ids[i].owners->owners[j], false);
			ks_prom_label(f, "patch", o->patch, true);
			fprintf(f, " %d\n", o->target_state.loaded);
		}
	}
}

static void ks_prom_type_info(FILE *f, struct ks_rows *rows)
{
	const char *metric = "klp_shadow_type_info";
	char s[24];
	size_t i;

	ks_prom_head(f, metric,
		     "1 per shadow type id listed (or registered) by a livepatch object.");
	for (i = 0; i < rows->n; i++) {
		const struct ks_row *r = &rows->v[i];

		snprintf(s, sizeof(s), "%llu", r->id);
		fprintf(f, "%s{", metric);
		ks_prom_label(f, "id", s, false);
		ks_prom_label(f, "name", r->name ?: "", false);
		ks_prom_label(f, "object", r->object, false);
		ks_prom_label(f, "patch", r->patch, true);
		fputs(" 1\n", f);
	}
}

static void ks_prom_last_success(FILE *f, double when)
{
	ks_prom_head(f, "klp_shadow_last_success_timestamp_seconds",
		     "When a klp-shadow run last read the registry without any error, 0 if never.");
	fprintf(f, "klp_shadow_last_success_timestamp_seconds %.3f\n", when);
}

static void ks_prom_errors(struct ks_ctx *ctx, FILE *f)
{
	ks_prom_head(f, "klp_shadow_read_errors",
		     "Files klp-shadow could not read or parse in its last run.");
	fprintf(f, "klp_shadow_read_errors %u\n", ctx->errors);
}

static void ks_prom_up(FILE *f, bool up)
{
	ks_prom_head(f, "klp_shadow_up",
		     "1 if klp-shadow's last run read the registry, 0 if it failed (then only klp_shadow_up, klp_shadow_read_errors and klp_shadow_last_success_timestamp_seconds are printed).");
	fprintf(f, "klp_shadow_up %d\n", up);
}

/**
 * ks_print_prom() - the metrics of @rows, families sorted by name
 * @ctx:	the run: its errors so far are klp_shadow_read_errors
 * @f:		where
 * @rows:	sorted by patch, object and id
 */
void ks_print_prom(struct ks_ctx *ctx, FILE *f, struct ks_rows *rows)
{
	struct ks_prom_id *ids;
	size_t n, i;

	ids = ks_prom_ids(ctx, rows, &n);
	ks_prom_per_id(f, "klp_shadow_bytes",
		       "Bytes of shadow data held by the live variables of the id, registry-wide.",
		       ids, n, KS_BYTES);
	ks_prom_last_success(f, ctx->status || ctx->errors ? ctx->last_success : ctx->now);
	ks_prom_per_id(f, "klp_shadow_live_variables",
		       "Shadow variables of the id alive now, registry-wide.",
		       ids, n, KS_LIVE);
	ks_prom_target_loaded(f, ids, n);
	ks_prom_per_id(f, "klp_shadow_owners",
		       "Holders of references on the id (lines of its owners file).",
		       ids, n, -1);
	ks_prom_errors(ctx, f);
	ks_prom_per_id(f, "klp_shadow_refcount",
		       "References held on the id by all patches and objects.",
		       ids, n, KS_REFCOUNT);
	ks_prom_type_info(f, rows);
	ks_prom_head(f, "klp_shadow_types", "Shadow type ids listed by livepatch objects.");
	fprintf(f, "klp_shadow_types %zu\n", n);
	ks_prom_up(f, true);
	for (i = 0; i < n; i++)
		free(ids[i].own);
	free(ids);
}

/**
 * ks_print_prom_down() - the metrics of a run that could not read the tree
 * @ctx:	the run
 * @f:		where
 *
 * klp_shadow_up 0, the errors, and when a run last succeeded: stale data
 * is never served as fresh.
 */
void ks_print_prom_down(struct ks_ctx *ctx, FILE *f)
{
	ks_prom_last_success(f, ctx->last_success);
	ks_prom_errors(ctx, f);
	ks_prom_up(f, false);
}
