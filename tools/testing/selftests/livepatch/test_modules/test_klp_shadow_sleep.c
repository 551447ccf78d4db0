// SPDX-License-Identifier: GPL-2.0
/*
 * Target module of test_klp_shadow_k: a kthread that calls its step
 * function every 10 ms, so that the patched step can sleep in it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/module.h>

static struct task_struct *sleep_thread;

/* Does nothing until patched. */
static noinline void test_klp_shadow_sleep_step(void)
{
	barrier();
}

static int sleep_thread_fn(void *arg)
{
	while (!kthread_should_stop()) {
		test_klp_shadow_sleep_step();
		usleep_range(10000, 20000);
	}
	return 0;
}

static int test_klp_shadow_sleep_init(void)
{
	sleep_thread = kthread_run(sleep_thread_fn, NULL, "klp_shadow_sleep");
	return PTR_ERR_OR_ZERO(sleep_thread);
}

static void test_klp_shadow_sleep_exit(void)
{
	kthread_stop(sleep_thread);
}

module_init(test_klp_shadow_sleep_init);
module_exit(test_klp_shadow_sleep_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch test: target module whose kthread sleeps in a patched function");
