// SPDX-License-Identifier: GPL-2.0
/* Target module of test_klp_shadow_f: runs its work function once at load. */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/workqueue.h>

static noinline void test_klp_shadow_mod_work(struct work_struct *work)
{
	pr_info("unpatched work function ran\n");
}

static DECLARE_WORK(shadow_mod_work, test_klp_shadow_mod_work);

static int test_klp_shadow_mod_init(void)
{
	schedule_work(&shadow_mod_work);
	flush_work(&shadow_mod_work);
	return 0;
}

static void test_klp_shadow_mod_exit(void)
{
}

module_init(test_klp_shadow_mod_init);
module_exit(test_klp_shadow_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch test: target module for shadow types");
