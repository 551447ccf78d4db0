/* SPDX-License-Identifier: GPL-2.0 */
/*
 * klp-shadow - shared definitions: what the tool reads from sysfs, and the
 * functions of its parts (tree.c reads, modstate.c asks about modules,
 * output.c prints tables and JSON, prom.c the Prometheus text format,
 * agent.c writes the output and repeats, klp-shadow.c drives).
 */
#ifndef KLP_SHADOW_H
#define KLP_SHADOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
/* What tools/include/linux/compiler.h gives tools built in the tree. */
#define __ks_attr(x)		__attribute__((x))
#define __printf(a, b)		__ks_attr(format(printf, a, b))

#define KS_DEFAULT_ROOT		"/sys"
#define KS_LIVEPATCH_DIR	"kernel/livepatch"
#define KS_DEBUGFS_DIR		"kernel/debug/livepatch/shadow"

enum ks_format {
	KS_FORMAT_TABLE,
	KS_FORMAT_JSON,
	KS_FORMAT_PROMETHEUS,
};

/* A number read from sysfs; @ok is false if the file was malformed. */
struct ks_num {
	unsigned long long val;
	bool ok;
};

/**
 * struct ks_row - one shadow type listed by one object of one patch
 * @patch:	patch (livepatch module) name
 * @object:	object name, "vmlinux" or a module
 * @id:		the type's id
 * @name:	the type's name, "" if none, NULL if malformed
 * @refcount:	references on the id in the whole registry
 * @live:	live variables with the id
 * @bytes:	bytes of shadow data they hold
 * @owners:	holders of the references, one line of the owners file each
 * @nr_owners:	entries in @owners
 * @owners_ok:	the owners file was well formed
 */
struct ks_row {
	char *patch;
	char *object;
	unsigned long long id;
	char *name;
	struct ks_num refcount;
	struct ks_num live;
	struct ks_num bytes;
	char **owners;
	size_t nr_owners;
	bool owners_ok;
};

struct ks_rows {
	struct ks_row *v;
	size_t n;
	size_t cap;
};

/* What the kernel says of a module; vmlinux is always loaded. */
struct ks_modstate {
	bool known;		/* @loaded is known: false if it could not be read */
	bool loaded;
	char initstate[16];	/* "live", "coming", "going"; "" if unknown */
	long refcnt;		/* -1 if unknown */
};

/*
 * What an owner line names:
 * KS_OWNER_LIVEPATCH	"<patch>/<object>", a patch object in the tree;
 * KS_OWNER_RETIRED	"<patch>/<object>" whose patch is not in the tree
 *			but whose module is loaded and is a livepatch
 *			(kept by a forced transition);
 * KS_OWNER_OTHER	anything else: a klp_shadow_debug_register() holder
 *			(free-form name), no module state.
 */
enum ks_owner_kind {
	KS_OWNER_LIVEPATCH,
	KS_OWNER_RETIRED,
	KS_OWNER_OTHER,
};

struct ks_owner {
	enum ks_owner_kind kind;
	char patch[64];
	char object[64];
	struct ks_modstate patch_state;
	struct ks_modstate target_state;
};

/**
 * struct ks_ctx - settings and state of one run
 * @root:	sysfs root ("/sys" or a captured tree)
 * @real_sysfs:	@root is the running kernel's /sys (libkmod may be used)
 * @format:	output format
 * @pretty:	indented JSON
 * @status:	exit status of the non-fatal errors of this pass (0, 1 or 77)
 * @errors:	non-fatal errors of this pass
 * @last_success: when a pass last exited 0 (seconds since the epoch), or 0
 * @now:	when this pass started: its time of success, if it succeeds
 * @out:	where the output goes (and, in JSON mode, fatal errors)
 * @logged:	with --interval, the messages of this pass and of the last
 *		(an error the last pass reported is not repeated on stderr)
 */
struct ks_ctx {
	const char *root;
	bool real_sysfs;
	enum ks_format format;
	bool pretty;
	int status;
	unsigned int errors;
	double last_success;
	double now;
	FILE *out;
	struct ks_log *logged;
};

struct ks_log;

/* How a command is run: once, or every @interval seconds (agent.c). */
struct ks_agent {
	const char *write;
	double interval;
	long count;
	int (*pass)(struct ks_ctx *ctx, FILE *out, void *arg);
	void *arg;
};

/* klp-shadow.c */
__printf(3, 4) void ks_error(struct ks_ctx *ctx, int status, const char *fmt, ...);
__printf(3, 4) int ks_fatal(struct ks_ctx *ctx, int status, const char *fmt, ...);
__printf(2, 3) char *ks_path(struct ks_ctx *ctx, const char *fmt, ...);

/**
 * struct ks_select - what ks_read_tree() reads
 * @patch:	only this patch, NULL for every one
 * @object:	only this object of it, NULL for every one
 * @ids:	only these ids, @nr_ids of them; every id if 0
 * @nr_ids:	entries in @ids
 */
struct ks_select {
	const char *patch;
	const char *object;
	const unsigned long long *ids;
	size_t nr_ids;
};

/* tree.c */
int ks_read_tree(struct ks_ctx *ctx, struct ks_rows *rows,
		 const struct ks_select *sel);
int ks_check_root(struct ks_ctx *ctx);
void ks_free_rows(struct ks_rows *rows);
bool ks_parse_id(const char *s, unsigned long long *id);
int ks_read_file(const char *path, char *buf, size_t size, size_t *len);
bool ks_is_dir_path(const char *path);

/* modstate.c */
void ks_module_state(struct ks_ctx *ctx, const char *name,
		     struct ks_modstate *st);
void ks_module_state_forget(void);
void ks_module_state_done(void);
void ks_owner_parse(struct ks_ctx *ctx, const char *owner, struct ks_owner *own);

/* output.c */
char *ks_text(const char *s);
void ks_print_list(struct ks_ctx *ctx, FILE *f, struct ks_rows *rows);
void ks_print_stat(struct ks_ctx *ctx, FILE *f, struct ks_rows *rows);
void ks_print_error_json(FILE *f, const char *msg);

/* agent.c */
int ks_agent_run(struct ks_ctx *ctx, const struct ks_agent *agent);
bool ks_log_repeated(struct ks_ctx *ctx, const char *msg);

/* prom.c */
void ks_print_prom(struct ks_ctx *ctx, FILE *f, struct ks_rows *rows);
void ks_print_prom_down(struct ks_ctx *ctx, FILE *f);
void ks_prom_label(FILE *f, const char *key, const char *val, bool last);

#endif /* KLP_SHADOW_H */
