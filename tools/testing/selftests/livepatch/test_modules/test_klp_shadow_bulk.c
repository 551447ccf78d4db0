// SPDX-License-Identifier: GPL-2.0
/*
 * test_klp_shadow_bulk - a livepatch whose object lists one shadow type,
 * "bulk", id 95, and allocates nr_vars variables of it in
 * post_patch, on as many made-up parents: the registry at large
 * populations.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/sched.h>
#include <linux/seq_file.h>

#define BULK_PARENT_BASE	0x100000UL

static ulong nr_vars = 10;
module_param(nr_vars, ulong, 0444);
MODULE_PARM_DESC(nr_vars, "Shadow variables to allocate (default 10)");

static struct klp_shadow_type bulk_type = {
	.id = 95,
	.name = "bulk",
};

static struct klp_shadow_type *bulk_types[] = { &bulk_type, NULL };

static void bulk_post_patch(struct klp_object *obj)
{
	unsigned long i, n = 0;

	for (i = 0; i < nr_vars; i++) {
		if (klp_shadow_type_alloc(&bulk_type,
					  (void *)(BULK_PARENT_BASE + i),
					  sizeof(long), GFP_KERNEL, NULL))
			n++;
		if (!(i % 1024))
			cond_resched();
	}
	pr_info("post_patch: %lu of %lu variables allocated\n", n, nr_vars);
}

static int bulk_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", KBUILD_MODNAME);
	return 0;
}

static struct klp_func bulk_funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = bulk_cmdline_proc_show,
	}, { }
};

static struct klp_object bulk_objs[] = {
	{
		.funcs = bulk_funcs,
		.shadow_types = bulk_types,
		.callbacks = {
			.post_patch = bulk_post_patch,
		},
	}, { }
};

static struct klp_patch bulk_patch = {
	.mod = THIS_MODULE,
	.objs = bulk_objs,
};

static int bulk_init(void)
{
	return klp_enable_patch(&bulk_patch);
}

static void bulk_exit(void)
{
}

module_init(bulk_init);
module_exit(bulk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch test: a shadow type with many variables");
MODULE_INFO(livepatch, "Y");
