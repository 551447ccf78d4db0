// SPDX-License-Identifier: GPL-2.0
/*
 * Uses a shadow type that nobody referenced: every typed call must fail,
 * the get silently, even where the id-based API made a variable of its id;
 * the allocations on a parent of their own, where nothing but the missing
 * reference refuses them; get_or_alloc beside the id-based variable,
 * which it must not return; the free leaves that variable alone. A line
 * after each call places the one warning of the type.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>

#define NOREF_ID	0x5c

static struct klp_shadow_type noref_type = {
	.id = NOREF_ID,
	.name = "unreferenced",
};

static int test_klp_shadow_noref_init(void)
{
	void *parent = &noref_type, *other = (char *)parent + 1;
	void *untyped, *data;

	/* A variable of the type's id, made with the id-based API. */
	untyped = klp_shadow_alloc(parent, NOREF_ID, 8, GFP_KERNEL, NULL, NULL);
	if (!untyped)
		return -ENOMEM;

	data = klp_shadow_type_get(&noref_type, parent);
	pr_info("typed get %s\n", data ? "found a variable" : "failed");
	data = klp_shadow_type_alloc(&noref_type, other, 8, GFP_KERNEL, NULL);
	pr_info("typed alloc on a parent of its own %s\n",
		data ? "succeeded" : "failed");
	data = klp_shadow_type_get_or_alloc(&noref_type, other, 8, GFP_KERNEL,
					    NULL);
	pr_info("typed get_or_alloc on a parent of its own %s\n",
		data ? "succeeded" : "failed");
	data = klp_shadow_type_get_or_alloc(&noref_type, parent, 8, GFP_KERNEL,
					    NULL);
	pr_info("typed get_or_alloc beside the id-based variable %s\n",
		data ? "succeeded" : "failed");
	klp_shadow_type_free(&noref_type, parent);
	pr_info("id-based get %s after the typed free\n",
		klp_shadow_get(parent, NOREF_ID) == untyped ?
		"finds its own variable" : "does not find its own variable");
	klp_shadow_free(parent, NOREF_ID, NULL);
	/* Whatever a typed allocation made, had it not been refused. */
	klp_shadow_free(other, NOREF_ID, NULL);
	return 0;
}

static void test_klp_shadow_noref_exit(void)
{
}

module_init(test_klp_shadow_noref_init);
module_exit(test_klp_shadow_noref_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch test: typed shadow access without a reference");
