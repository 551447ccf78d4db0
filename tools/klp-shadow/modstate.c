// SPDX-License-Identifier: GPL-2.0
/*
 * modstate.c - what an owner line names, and the state of its modules.
 *
 * The kernel writes "<patch>/<object>" for the references of livepatch
 * objects (listed types and klp_shadow_register()), and any name of up to
 * 111 bytes for klp_shadow_debug_register() (debug kernels). An owner is
 * read as a livepatch object only if it has that shape with two module
 * names and the object is in the tree, or its patch is gone from the tree
 * while its module is still loaded and is a livepatch (taint K: a holder
 * kept by a forced transition); anything else, "<patch>/<name>" of a patch
 * in the tree without that object included, is reported as it is, without
 * module state.
 *
 * Module state: the running kernel is asked through libkmod; a captured
 * tree (--sysfs-root) is read in <root>/module/<name>/ the same way.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <libkmod.h>
#include "klp-shadow.h"

/* MODULE_NAME_LEN of 64-bit kernels, with its NUL. */
#define KS_MODULE_NAME_LEN	56

static struct kmod_ctx *ks_kmod;

/*
 * The states read in this pass, by module name: a module that several
 * owner lines name is read once, and a state that cannot be read is
 * reported and counted once (klp_shadow_read_errors counts files).
 */
struct ks_modstate_entry {
	char name[KS_MODULE_NAME_LEN];
	struct ks_modstate st;
};

static struct ks_modstate_entry *ks_states;
static size_t ks_nr_states, ks_states_cap;

static int ks_errno_status(int err)
{
	return err == EACCES || err == EPERM ? EX_NOPERM : 1;
}

static void ks_state_kmod(struct ks_ctx *ctx, const char *name,
			  struct ks_modstate *st)
{
	struct kmod_module *mod;
	int state;

	if (!ks_kmod) {
		ks_kmod = kmod_new(NULL, NULL);
		if (!ks_kmod) {
			ks_error(ctx, 1, "libkmod: cannot start");
			return;
		}
	}
	if (kmod_module_new_from_name(ks_kmod, name, &mod) < 0) {
		ks_error(ctx, 1, "libkmod: module %s: cannot look it up", name);
		return;
	}
	state = kmod_module_get_initstate(mod);
	if (state == -ENOENT) {
		st->known = true;
	} else if (state < 0) {
		ks_error(ctx, ks_errno_status(-state), "/sys/module/%s/initstate: %s",
			 name, strerror(-state));
	} else {
		st->known = true;
		st->loaded = true;
		snprintf(st->initstate, sizeof(st->initstate), "%s",
			 kmod_module_initstate_str(state));
		if (state != KMOD_MODULE_BUILTIN) {
			st->refcnt = kmod_module_get_refcnt(mod);
			if (st->refcnt < 0) {
				ks_error(ctx, ks_errno_status(-st->refcnt),
					 "/sys/module/%s/refcnt: %s", name,
					 strerror(-st->refcnt));
				st->refcnt = -1;
			}
		}
	}
	kmod_module_unref(mod);
}

/* One line of a module attribute, or false (reported). */
static bool ks_read_mod_attr(struct ks_ctx *ctx, const char *name,
			     const char *attr, char *buf, size_t size)
{
	char *path = ks_path(ctx, "module/%s/%s", name, attr);
	bool ok = false;
	size_t len;
	int err;

	err = ks_read_file(path, buf, size, &len);
	if (err) {
		ks_error(ctx, ks_errno_status(-err), "%s: %s", path,
			 err == -EFBIG ? "longer than a line" : strerror(-err));
	} else if (len < 2 || buf[len - 1] != '\n' || strlen(buf) != len ||
		   memchr(buf, '\n', len - 1)) {
		ks_error(ctx, 1, "%s: malformed value, not one line", path);
	} else {
		buf[len - 1] = '\0';
		ok = true;
	}
	free(path);
	return ok;
}

static void ks_state_tree(struct ks_ctx *ctx, const char *name,
			  struct ks_modstate *st)
{
	static const char * const states[] = { "live", "coming", "going" };
	char buf[64], *path, *end;
	size_t i;
	long v;

	path = ks_path(ctx, "module/%s", name);
	if (!ks_is_dir_path(path)) {
		free(path);
		st->known = true;
		return;
	}
	free(path);
	if (!ks_read_mod_attr(ctx, name, "initstate", buf, sizeof(buf)))
		return;
	for (i = 0; i < ARRAY_SIZE(states) && strcmp(buf, states[i]); i++)
		;
	if (i == ARRAY_SIZE(states)) {
		ks_error(ctx, 1, "%s/module/%s/initstate: malformed value '%s'",
			 ctx->root, name, buf);
		return;
	}
	st->known = true;
	st->loaded = true;
	snprintf(st->initstate, sizeof(st->initstate), "%.15s", buf);

	if (!ks_read_mod_attr(ctx, name, "refcnt", buf, sizeof(buf)))
		return;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || *end || v < 0 || buf[0] == '+' || buf[0] == ' ')
		ks_error(ctx, 1, "%s/module/%s/refcnt: malformed value '%s'",
			 ctx->root, name, buf);
	else
		st->refcnt = v;
}

/**
 * ks_module_state() - what the kernel says of a module
 * @ctx:	the run; a state that cannot be read is reported in it, once
 *		per pass (the state is read once per pass, see
 *		ks_module_state_forget())
 * @name:	module name, or "vmlinux"
 * @st:		its state; @st->known is false if it could not be read
 */
void ks_module_state(struct ks_ctx *ctx, const char *name,
		     struct ks_modstate *st)
{
	struct ks_modstate_entry *e;
	size_t i;

	memset(st, 0, sizeof(*st));
	st->refcnt = -1;
	if (!strcmp(name, "vmlinux")) {
		st->known = true;
		st->loaded = true;
		return;
	}
	for (i = 0; i < ks_nr_states; i++) {
		if (!strcmp(ks_states[i].name, name)) {
			*st = ks_states[i].st;
			return;
		}
	}
	if (ctx->real_sysfs)
		ks_state_kmod(ctx, name, st);
	else
		ks_state_tree(ctx, name, st);
	if (strlen(name) >= sizeof(e->name))
		return;
	if (ks_nr_states == ks_states_cap) {
		size_t cap = ks_states_cap ? 2 * ks_states_cap : 16;

		e = realloc(ks_states, cap * sizeof(*e));
		if (!e)
			return;
		ks_states = e;
		ks_states_cap = cap;
	}
	e = &ks_states[ks_nr_states++];
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->st = *st;
}

/**
 * ks_module_state_forget() - read module states afresh from now on
 *
 * Called at the start of each pass: what a pass reports it read itself.
 */
void ks_module_state_forget(void)
{
	ks_nr_states = 0;
}

void ks_module_state_done(void)
{
	ks_module_state_forget();
	free(ks_states);
	ks_states = NULL;
	ks_states_cap = 0;
	if (ks_kmod)
		kmod_unref(ks_kmod);
	ks_kmod = NULL;
}

/* A module name as the kernel allows one: [A-Za-z0-9_-], 1 to 55 bytes. */
static bool ks_module_name_ok(const char *s, size_t len)
{
	size_t i;

	if (!len || len >= KS_MODULE_NAME_LEN)
		return false;
	for (i = 0; i < len; i++) {
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '_' && s[i] != '-')
			return false;
	}
	return true;
}

/* Is the loaded module @name a livepatch? Its taint flags hold K then. */
static bool ks_module_is_livepatch(struct ks_ctx *ctx, const char *name)
{
	char buf[64], *path = ks_path(ctx, "module/%s/taint", name);
	size_t len;
	bool ret;

	ret = !ks_read_file(path, buf, sizeof(buf), &len) && strchr(buf, 'K');
	free(path);
	return ret;
}

/**
 * ks_owner_parse() - what an owner line names, with its modules' state
 * @ctx:	the run
 * @owner:	one line of an owners file
 * @own:	the result (see enum ks_owner_kind)
 */
void ks_owner_parse(struct ks_ctx *ctx, const char *owner, struct ks_owner *own)
{
	const char *slash = strchr(owner, '/');
	char *path;

	memset(own, 0, sizeof(*own));
	own->kind = KS_OWNER_OTHER;
	if (!slash || strchr(slash + 1, '/') ||
	    !ks_module_name_ok(owner, slash - owner) ||
	    !ks_module_name_ok(slash + 1, strlen(slash + 1)))
		return;
	snprintf(own->patch, sizeof(own->patch), "%.*s", (int)(slash - owner), owner);
	snprintf(own->object, sizeof(own->object), "%s", slash + 1);

	path = ks_path(ctx, "%s/%s/%s", KS_LIVEPATCH_DIR, own->patch, own->object);
	if (ks_is_dir_path(path))
		own->kind = KS_OWNER_LIVEPATCH;
	free(path);
	/* A patch in the tree lists all its objects: not one of them. */
	path = ks_path(ctx, "%s/%s", KS_LIVEPATCH_DIR, own->patch);
	if (own->kind == KS_OWNER_OTHER && !access(path, F_OK)) {
		free(path);
		return;
	}
	free(path);
	ks_module_state(ctx, own->patch, &own->patch_state);
	/*
	 * Retired: a loaded livepatch module. A state that could not be read
	 * (reported) says nothing either way: the taint decides, and the
	 * state stays unknown, so the kind never depends on that file.
	 */
	if (own->kind == KS_OWNER_OTHER) {
		if ((own->patch_state.known && !own->patch_state.loaded) ||
		    !ks_module_is_livepatch(ctx, own->patch))
			return;
		own->kind = KS_OWNER_RETIRED;
	}
	ks_module_state(ctx, own->object, &own->target_state);
}
