// SPDX-License-Identifier: GPL-2.0
/*
 * test_klp_shadow_idapi - an id-based API user of the id of the type
 * "counter" (0x5a): one variable on parent <10>, value 1000, freed with
 * its own destructor when the module goes. A collection of "counter" must
 * leave it alone.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>

#define IDAPI_ID	0x5a
#define IDAPI_PARENT	((void *)(0x1000UL + 10))

static int idapi_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	*(int *)shadow_data = 1000;
	return 0;
}

static void idapi_dtor(void *obj, void *shadow_data)
{
	pr_info("own dtor <10> value %d\n", *(int *)shadow_data);
}

static int idapi_init(void)
{
	int *data = klp_shadow_alloc(IDAPI_PARENT, IDAPI_ID, sizeof(*data),
				     GFP_KERNEL, idapi_ctor, NULL);

	if (!data)
		return -ENOMEM;
	pr_info("allocated <10> value %d\n", *data);
	return 0;
}

static void idapi_exit(void)
{
	klp_shadow_free(IDAPI_PARENT, IDAPI_ID, idapi_dtor);
}

module_init(idapi_init);
module_exit(idapi_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch test: an id-based API user of a typed id");
