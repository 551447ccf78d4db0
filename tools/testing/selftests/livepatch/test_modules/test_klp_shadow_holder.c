// SPDX-License-Identifier: GPL-2.0
/*
 * test_klp_shadow_holder - a module, not a livepatch, that holds a
 * reference on the shadow type "held", id 98, with
 * klp_shadow_debug_register() (CONFIG_LIVEPATCH_SHADOW_DEBUG) and makes two
 * variables of it. Its exit drops the reference, which collects them
 * through the type's destructor.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>

#ifdef CONFIG_LIVEPATCH_SHADOW_DEBUG
#define HOLDER_PARENT_BASE	0x3000UL

static void holder_dtor(void *obj, void *shadow_data)
{
	pr_info("dtor <%lu> value %ld\n", (unsigned long)obj - HOLDER_PARENT_BASE,
		*(long *)shadow_data);
}

static int holder_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	*(long *)shadow_data = (long)ctor_data;
	return 0;
}

static struct klp_shadow_type holder_type = {
	.id = 98,
	.name = "held",
	.ctor = holder_ctor,
	.dtor = holder_dtor,
};

static int holder_init(void)
{
	unsigned long i;
	int ret;

	ret = klp_shadow_debug_register(&holder_type, KBUILD_MODNAME);
	if (ret)
		return ret;
	for (i = 0; i < 2; i++) {
		if (!klp_shadow_type_alloc(&holder_type,
					   (void *)(HOLDER_PARENT_BASE + i),
					   sizeof(long), GFP_KERNEL,
					   (void *)(21 + i))) {
			klp_shadow_debug_unregister(&holder_type, KBUILD_MODNAME);
			return -ENOMEM;
		}
	}
	pr_info("allocated two variables of id 98\n");
	return 0;
}

static void holder_exit(void)
{
	klp_shadow_debug_unregister(&holder_type, KBUILD_MODNAME);
}
#else
/* Nothing to hold a reference with: the module does not load. */
static int holder_init(void)
{
	return -EOPNOTSUPP;
}

static void holder_exit(void)
{
}
#endif

module_init(holder_init);
module_exit(holder_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch test: a shadow type held outside any patch");
