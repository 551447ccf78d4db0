/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Body shared by the test_klp_shadow_* livepatch modules of
 * test-shadow-types.sh. Each module defines, then includes this file:
 *
 * SHADOW_OBJ		patched object; undefined for vmlinux, where
 *			cmdline_proc_show() is patched; for a module, its
 *			work function SHADOW_FUNC is
 * SHADOW_REPLACE	true for an atomic-replace patch
 * SHADOW_TYPE_ID	id of the one shadow type the object lists;
 *			undefined when it lists none
 * SHADOW_TYPE_NAME	name of that type
 * SHADOW_TYPE2_ID	id of a second type listed after it (optional)
 * SHADOW_TYPE2_NAME	name of the second type
 * SHADOW_ALLOC_IN_PRE	allocate in pre_patch instead of post_patch
 * SHADOW_EXPLICIT	do not list the type: register it for the object
 *			from pre_patch and unregister it from post_unpatch;
 *			with the parameter unregister_in_pre=1, pre_patch
 *			allocates and unregisters at once instead
 * SHADOW_VALUE		value stored in the first variable (+1 for each next)
 * SHADOW_DTOR_HOLD	add the parameter dtor_hold: a test writes 1, the
 *			next destructor call sets it to 2 and waits until
 *			the test writes 0 (two minutes at most)
 *
 * Every variable is attached to a made-up parent <N> (an address never
 * dereferenced), and logged when it is allocated, found already there, or
 * destroyed. The destructor checks the registry's contract: it runs with
 * IRQs on and may sleep, and it does.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/livepatch.h>
#include <linux/lockdep.h>
#include <linux/seq_file.h>
#include <linux/workqueue.h>

#define SHADOW_NR_VARS		3
#define SHADOW_PARENT_BASE	0x1000UL

#ifndef SHADOW_REPLACE
#define SHADOW_REPLACE		false
#endif

#ifdef SHADOW_TYPE_ID
static void *shadow_parent(int i)
{
	return (void *)(SHADOW_PARENT_BASE + i);
}

static int shadow_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	*(int *)shadow_data = *(int *)ctor_data;
	return 0;
}

#ifdef SHADOW_DTOR_HOLD
static int dtor_hold;
module_param(dtor_hold, int, 0644);
MODULE_PARM_DESC(dtor_hold, "1: the next destructor call waits (2) until this is 0");

static void shadow_dtor_hold(void)
{
	unsigned long end = jiffies + 120 * HZ;

	if (READ_ONCE(dtor_hold) != 1)
		return;
	pr_info("dtor holding\n");
	WRITE_ONCE(dtor_hold, 2);
	while (READ_ONCE(dtor_hold) == 2) {
		if (time_after(jiffies, end)) {
			pr_info("dtor hold timed out\n");
			WRITE_ONCE(dtor_hold, 0);
			return;
		}
		msleep(20);
	}
}
#else
static void shadow_dtor_hold(void)
{
}
#endif

static void shadow_dtor(void *obj, void *shadow_data)
{
	might_sleep();
	lockdep_assert_irqs_enabled();
	WARN_ON_ONCE(irqs_disabled());
	shadow_dtor_hold();
	usleep_range(100, 200);
	pr_info("dtor <%lu> value %d\n",
		(unsigned long)obj - SHADOW_PARENT_BASE, *(int *)shadow_data);
}

static struct klp_shadow_type shadow_type = {
	.id = SHADOW_TYPE_ID,
	.name = SHADOW_TYPE_NAME,
	.ctor = shadow_ctor,
	.dtor = shadow_dtor,
};

#ifdef SHADOW_EXPLICIT
#define SHADOW_TYPES	NULL
#elif defined(SHADOW_TYPE2_ID)
static struct klp_shadow_type shadow_type2 = {
	.id = SHADOW_TYPE2_ID,
	.name = SHADOW_TYPE2_NAME,
};

static struct klp_shadow_type *shadow_types[] = {
	&shadow_type, &shadow_type2, NULL
};

#define SHADOW_TYPES	shadow_types
#else
static struct klp_shadow_type *shadow_types[] = { &shadow_type, NULL };
#define SHADOW_TYPES	shadow_types
#endif

/* Find or allocate the variables of every parent, and say which. */
static void shadow_fill(const char *when)
{
	int i, value;
	int *data;

	for (i = 0; i < SHADOW_NR_VARS; i++) {
		data = klp_shadow_type_get(&shadow_type, shadow_parent(i));
		if (data) {
			pr_info("%s: <%d> found value %d\n", when, i, *data);
			continue;
		}
		value = SHADOW_VALUE + i;
		data = klp_shadow_type_alloc(&shadow_type, shadow_parent(i),
					     sizeof(*data), GFP_KERNEL, &value);
		if (data)
			pr_info("%s: <%d> allocated value %d\n", when, i, *data);
		else
			pr_info("%s: <%d> allocation failed\n", when, i);
	}
}
#else
static void shadow_fill(const char *when)
{
}

#define SHADOW_TYPES	NULL
#endif

#ifdef SHADOW_EXPLICIT
static bool unregister_in_pre;
module_param(unregister_in_pre, bool, 0444);
MODULE_PARM_DESC(unregister_in_pre, "pre_patch allocates, then unregisters the type");
#else
#define unregister_in_pre	false
#endif

static int shadow_pre_patch(struct klp_object *obj)
{
#ifdef SHADOW_EXPLICIT
	int ret = klp_shadow_register(obj, &shadow_type);

	if (ret)
		return ret;
	if (unregister_in_pre) {
		shadow_fill("pre_patch");
		klp_shadow_unregister(obj, &shadow_type);
		pr_info("pre_patch: unregistered\n");
		return 0;
	}
#endif
#ifdef SHADOW_ALLOC_IN_PRE
	shadow_fill("pre_patch");
#endif
	return 0;
}

static void shadow_post_unpatch(struct klp_object *obj)
{
#ifdef SHADOW_EXPLICIT
	if (!unregister_in_pre)
		klp_shadow_unregister(obj, &shadow_type);
#endif
}

static void shadow_post_patch(struct klp_object *obj)
{
#ifndef SHADOW_ALLOC_IN_PRE
	if (!unregister_in_pre)
		shadow_fill("post_patch");
#endif
}

#ifdef SHADOW_OBJ
static void shadow_work_func(struct work_struct *work)
{
	pr_info("patched work function ran\n");
}

static struct klp_func shadow_funcs[] = {
	{
		.old_name = SHADOW_FUNC,
		.new_func = shadow_work_func,
	}, { }
};
#else
#define SHADOW_OBJ	NULL

static int shadow_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", KBUILD_MODNAME);
	return 0;
}

static struct klp_func shadow_funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = shadow_cmdline_proc_show,
	}, { }
};
#endif

static struct klp_object shadow_objs[] = {
	{
		.name = SHADOW_OBJ,
		.funcs = shadow_funcs,
		.shadow_types = SHADOW_TYPES,
		.callbacks = {
			.pre_patch = shadow_pre_patch,
			.post_patch = shadow_post_patch,
			.post_unpatch = shadow_post_unpatch,
		},
	}, { }
};

static struct klp_patch shadow_patch = {
	.mod = THIS_MODULE,
	.objs = shadow_objs,
	.replace = SHADOW_REPLACE,
};

static int shadow_patch_init(void)
{
	return klp_enable_patch(&shadow_patch);
}

static void shadow_patch_exit(void)
{
}

module_init(shadow_patch_init);
module_exit(shadow_patch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
