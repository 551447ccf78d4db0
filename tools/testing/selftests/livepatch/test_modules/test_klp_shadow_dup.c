// SPDX-License-Identifier: GPL-2.0
/* Patch vmlinux; list the same type twice, which klp_enable_patch() refuses. */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static struct klp_shadow_type dup_type = {
	.id = 0x66,
	.name = "twice",
};

static struct klp_shadow_type *dup_types[] = { &dup_type, &dup_type, NULL };

static int dup_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", KBUILD_MODNAME);
	return 0;
}

static struct klp_func dup_funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = dup_cmdline_proc_show,
	}, { }
};

static struct klp_object dup_objs[] = {
	{
		.funcs = dup_funcs,
		.shadow_types = dup_types,
	}, { }
};

static struct klp_patch dup_patch = {
	.mod = THIS_MODULE,
	.objs = dup_objs,
};

static int test_klp_shadow_dup_init(void)
{
	return klp_enable_patch(&dup_patch);
}

static void test_klp_shadow_dup_exit(void)
{
}

module_init(test_klp_shadow_dup_init);
module_exit(test_klp_shadow_dup_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch test: one object listing a shadow type twice");
