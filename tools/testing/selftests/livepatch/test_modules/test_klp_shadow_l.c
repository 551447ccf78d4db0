// SPDX-License-Identifier: GPL-2.0
/*
 * Patch vmlinux and test_klp_shadow_mod; each object lists a type of its
 * own. The pre_patch callback of the object named by the parameter
 * fail_pre_patch ("vmlinux" or "test_klp_shadow_mod") fails with -ENODEV:
 * at enable, when that object is loaded then, or when its module comes.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/workqueue.h>

static char fail_pre_patch[MODULE_NAME_LEN];
module_param_string(fail_pre_patch, fail_pre_patch, sizeof(fail_pre_patch), 0644);
MODULE_PARM_DESC(fail_pre_patch, "Object whose pre_patch callback fails");

static struct klp_shadow_type multi_vmlinux_type = {
	.id = 0x64,
	.name = "multi-vmlinux",
};

static struct klp_shadow_type multi_mod_type = {
	.id = 0x65,
	.name = "multi-mod",
};

static struct klp_shadow_type *multi_vmlinux_types[] = { &multi_vmlinux_type, NULL };
static struct klp_shadow_type *multi_mod_types[] = { &multi_mod_type, NULL };

static int multi_pre_patch(struct klp_object *obj)
{
	const char *name = obj->name ?: "vmlinux";

	if (!sysfs_streq(name, fail_pre_patch))
		return 0;
	pr_info("pre_patch of %s fails\n", name);
	return -ENODEV;
}

static int multi_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", KBUILD_MODNAME);
	return 0;
}

static void multi_mod_work(struct work_struct *work)
{
	pr_info("patched work function ran\n");
}

static struct klp_func multi_vmlinux_funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = multi_cmdline_proc_show,
	}, { }
};

static struct klp_func multi_mod_funcs[] = {
	{
		.old_name = "test_klp_shadow_mod_work",
		.new_func = multi_mod_work,
	}, { }
};

static struct klp_object multi_objs[] = {
	{
		.funcs = multi_vmlinux_funcs,
		.shadow_types = multi_vmlinux_types,
		.callbacks.pre_patch = multi_pre_patch,
	}, {
		.name = "test_klp_shadow_mod",
		.funcs = multi_mod_funcs,
		.shadow_types = multi_mod_types,
		.callbacks.pre_patch = multi_pre_patch,
	}, { }
};

static struct klp_patch multi_patch = {
	.mod = THIS_MODULE,
	.objs = multi_objs,
};

static int test_klp_shadow_l_init(void)
{
	return klp_enable_patch(&multi_patch);
}

static void test_klp_shadow_l_exit(void)
{
}

module_init(test_klp_shadow_l_init);
module_exit(test_klp_shadow_l_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch test: two objects with a type each, a pre_patch that can fail");
