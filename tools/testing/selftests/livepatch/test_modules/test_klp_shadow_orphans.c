// SPDX-License-Identifier: GPL-2.0
/*
 * test_klp_shadow_orphans - shadow variables of the id-based API only,
 * which no type references: two of id 96 and one of id 97. They stay
 * until the module goes, or until something collects them first.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>

#define ORPHAN_PARENT_BASE	0x2000UL

static void *orphan_parent(int i)
{
	return (void *)(ORPHAN_PARENT_BASE + i);
}

static int orphans_init(void)
{
	if (!klp_shadow_alloc(orphan_parent(0), 96, sizeof(int), GFP_KERNEL,
			      NULL, NULL) ||
	    !klp_shadow_alloc(orphan_parent(1), 96, sizeof(int), GFP_KERNEL,
			      NULL, NULL) ||
	    !klp_shadow_alloc(orphan_parent(0), 97, sizeof(long), GFP_KERNEL,
			      NULL, NULL)) {
		klp_shadow_free_all(96, NULL);
		klp_shadow_free_all(97, NULL);
		return -ENOMEM;
	}
	pr_info("allocated two variables of id 96 and one of id 97\n");
	return 0;
}

static void orphans_exit(void)
{
	klp_shadow_free_all(96, NULL);
	klp_shadow_free_all(97, NULL);
}

module_init(orphans_init);
module_exit(orphans_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch test: shadow variables of ids nobody references");
