/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A livepatch of test_klp_shadow_sleep's step function listing one type,
 * SLEEPER_TYPE_ID named SLEEPER_TYPE_NAME (defined by the includer).
 * While the parameter hold is set, the patched step allocates (or finds)
 * a variable, logs it, sleeps until hold is cleared, then increments it
 * and logs it again: a task that sleeps inside the patch's code with a
 * variable in hand, as a forced transition can leave behind, and that
 * holds up any transition away from the patch until it is released.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>

#define SLEEPER_PARENT	((void *)0x1000UL)

static bool hold;
module_param(hold, bool, 0644);
MODULE_PARM_DESC(hold, "Hold a variable in the patched step until cleared");

static int sleeper_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	*(int *)shadow_data = 42;
	return 0;
}

static void sleeper_dtor(void *obj, void *shadow_data)
{
	might_sleep();
	pr_info("dtor <0> value %d\n", *(int *)shadow_data);
}

static struct klp_shadow_type sleeper_type = {
	.id = SLEEPER_TYPE_ID,
	.name = SLEEPER_TYPE_NAME,
	.ctor = sleeper_ctor,
	.dtor = sleeper_dtor,
};

static struct klp_shadow_type *sleeper_types[] = { &sleeper_type, NULL };

static void livepatch_sleep_step(void)
{
	int *data;

	if (!READ_ONCE(hold))
		return;
	data = klp_shadow_type_get_or_alloc(&sleeper_type, SLEEPER_PARENT,
					    sizeof(*data), GFP_KERNEL, NULL);
	if (!data) {
		pr_info("no variable\n");
		WRITE_ONCE(hold, false);
		return;
	}
	pr_info("holding <0> value %d\n", *data);
	while (READ_ONCE(hold))
		usleep_range(10000, 20000);
	(*data)++;
	pr_info("released <0> value %d\n", *data);
}

static struct klp_func sleeper_funcs[] = {
	{
		.old_name = "test_klp_shadow_sleep_step",
		.new_func = livepatch_sleep_step,
	}, { }
};

static struct klp_object sleeper_objs[] = {
	{
		.name = "test_klp_shadow_sleep",
		.funcs = sleeper_funcs,
		.shadow_types = sleeper_types,
	}, { }
};

static struct klp_patch sleeper_patch = {
	.mod = THIS_MODULE,
	.objs = sleeper_objs,
};

static int sleeper_patch_init(void)
{
	return klp_enable_patch(&sleeper_patch);
}

static void sleeper_patch_exit(void)
{
}

module_init(sleeper_patch_init);
module_exit(sleeper_patch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
