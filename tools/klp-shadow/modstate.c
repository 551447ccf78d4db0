// SPDX-License-Identifier: GPL-2.0
/*
 * modstate.c - the state of the modules behind an owner "<patch>/<object>":
 * the livepatch module's initstate and refcount, and whether the target
 * module is loaded. The running kernel is asked through libkmod; a captured
 * tree (--sysfs-root) is read in <root>/module/<name>/ the same way.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libkmod.h>
#include "klp-shadow.h"

static struct kmod_ctx *ks_kmod;

static void ks_state_kmod(const char *name, struct ks_modstate *st)
{
	struct kmod_module *mod;
	int state;

	if (!ks_kmod) {
		ks_kmod = kmod_new(NULL, NULL);
		if (!ks_kmod)
			return;
	}
	if (kmod_module_new_from_name(ks_kmod, name, &mod) < 0)
		return;
	state = kmod_module_get_initstate(mod);
	if (state >= 0) {
		st->loaded = true;
		snprintf(st->initstate, sizeof(st->initstate), "%s",
			 kmod_module_initstate_str(state));
		st->refcnt = kmod_module_get_refcnt(mod);
		if (st->refcnt < 0)
			st->refcnt = -1;
	}
	kmod_module_unref(mod);
}

static void ks_state_tree(struct ks_ctx *ctx, const char *name,
			  struct ks_modstate *st)
{
	char buf[64], *path, *end;
	size_t len;
	long v;

	path = ks_path(ctx, "module/%s/initstate", name);
	if (!ks_read_file(path, buf, sizeof(buf), &len) && len > 1 &&
	    buf[len - 1] == '\n') {
		buf[len - 1] = '\0';
		st->loaded = true;
		snprintf(st->initstate, sizeof(st->initstate), "%.15s", buf);
	}
	free(path);
	if (!st->loaded)
		return;

	path = ks_path(ctx, "module/%s/refcnt", name);
	if (!ks_read_file(path, buf, sizeof(buf), &len)) {
		errno = 0;
		v = strtol(buf, &end, 10);
		if (!errno && end != buf && *end == '\n')
			st->refcnt = v;
	}
	free(path);
}

/**
 * ks_module_state() - what the kernel says of a module
 * @ctx:	the run
 * @name:	module name, or "vmlinux"
 * @st:	its state; not loaded if the kernel does not know it
 */
void ks_module_state(struct ks_ctx *ctx, const char *name,
		     struct ks_modstate *st)
{
	memset(st, 0, sizeof(*st));
	st->refcnt = -1;
	if (!strcmp(name, "vmlinux")) {
		st->loaded = true;
		return;
	}
	if (ctx->real_sysfs)
		ks_state_kmod(name, st);
	else
		ks_state_tree(ctx, name, st);
}

void ks_module_state_done(void)
{
	if (ks_kmod)
		kmod_unref(ks_kmod);
	ks_kmod = NULL;
}
