// SPDX-License-Identifier: GPL-2.0
/*
 * klp_test_warn - a module whose only job is to WARN when loaded.
 *
 * The harness tests load it to prove that a kernel warning fails a VM run
 * even when every test in it passed.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/bug.h>

static int __init klp_test_warn_init(void)
{
	WARN_ON(1);
	return 0;
}

static void __exit klp_test_warn_exit(void)
{
}

module_init(klp_test_warn_init);
module_exit(klp_test_warn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test module: WARN_ON(1) at load, for the VM runner's report check");
