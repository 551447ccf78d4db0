// SPDX-License-Identifier: GPL-2.0
/*
 * klp_shadow_stress - hammer the shadow variable registry from kthreads
 * while livepatches come and go (tests/bats/debug/stress.bats).
 *
 * nr_workers threads get, allocate and free variables on many made-up
 * parents (addresses never dereferenced): by id, with the id of the test
 * patches' "counter" type, so that their hand-overs and collections race
 * these; and by type, through "stress", on which a registrar thread takes
 * and drops the only reference again and again (a reference of
 * klp_shadow_debug_register(), so CONFIG_LIVEPATCH_SHADOW_DEBUG is needed),
 * collecting its variables each time. The workers read the data they get
 * under rcu_read_lock(), as code outside the livepatch consistency model
 * must: KASAN sees any read of a variable freed too early. Unloading stops
 * the threads, frees what is left and logs the counts: every typed
 * variable constructed must have been destroyed.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/rcupdate.h>

#define STRESS_ID_COUNTER	0x5a	/* "counter" of test_klp_shadow_[abdh] */
#define STRESS_ID_TYPED		0x5f
#define STRESS_PARENTS		1024
#define STRESS_PARENT_BASE	0x200000UL
#define STRESS_MAX_WORKERS	8
#define STRESS_OWNER		"klp_shadow_stress/registrar"

static unsigned int nr_workers = 2;
module_param(nr_workers, uint, 0444);
MODULE_PARM_DESC(nr_workers, "threads doing get/alloc/free (1-8, default 2)");

static atomic_long_t stress_ops;
static atomic_long_t stress_cycles;
static atomic_long_t stress_constructed;
static atomic_long_t stress_destroyed;

static struct task_struct *stress_threads[STRESS_MAX_WORKERS + 1];

static int stress_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	*(int *)shadow_data = 1;
	return 0;
}

static int stress_typed_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	atomic_long_inc(&stress_constructed);
	return stress_ctor(obj, shadow_data, ctor_data);
}

static void stress_typed_dtor(void *obj, void *shadow_data)
{
	atomic_long_inc(&stress_destroyed);
}

static struct klp_shadow_type stress_type = {
	.id = STRESS_ID_TYPED,
	.name = "stress",
	.ctor = stress_typed_ctor,
	.dtor = stress_typed_dtor,
};

/* Get <@parent, @id> (through @type if set) and read it, as RCU allows. */
static void stress_get(void *parent, unsigned long id,
		       struct klp_shadow_type *type)
{
	int *data;

	rcu_read_lock();
	data = type ? klp_shadow_type_get(type, parent) :
		      klp_shadow_get(parent, id);
	if (data && READ_ONCE(*data) != 1)
		pr_err("variable <%p, %lx> holds %d\n", parent, id, *data);
	rcu_read_unlock();
}

static void *stress_parent(void)
{
	return (void *)(STRESS_PARENT_BASE + get_random_u32_below(STRESS_PARENTS));
}

static int stress_worker(void *arg)
{
	while (!kthread_should_stop()) {
		void *parent = stress_parent();

		switch (get_random_u32_below(6)) {
		case 0:
			stress_get(parent, STRESS_ID_COUNTER, NULL);
			break;
		case 1:
			klp_shadow_get_or_alloc(parent, STRESS_ID_COUNTER, sizeof(int),
						GFP_KERNEL, stress_ctor, NULL);
			break;
		case 2:
			klp_shadow_free(parent, STRESS_ID_COUNTER, NULL);
			break;
		case 3:
			stress_get(parent, STRESS_ID_TYPED, &stress_type);
			break;
		case 4:
			klp_shadow_type_get_or_alloc(&stress_type, parent, sizeof(int),
						     GFP_KERNEL, NULL);
			break;
		default:
			klp_shadow_type_free(&stress_type, parent);
			break;
		}
		/*
		 * Sleep now and then: a livepatch transition switches a task
		 * only while it is not running.
		 */
		if (!(atomic_long_inc_return(&stress_ops) % 256))
			usleep_range(100, 200);
		cond_resched();
	}
	return 0;
}

/* Hold the only reference on "stress" for a while, then drop it. */
static int stress_registrar(void *arg)
{
	while (!kthread_should_stop()) {
#ifdef CONFIG_LIVEPATCH_SHADOW_DEBUG
		if (!klp_shadow_debug_register(&stress_type, STRESS_OWNER)) {
			msleep(20);
			klp_shadow_debug_unregister(&stress_type, STRESS_OWNER);
			atomic_long_inc(&stress_cycles);
		}
#endif
		usleep_range(10000, 20000);
	}
	return 0;
}

static void stress_stop(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(stress_threads); i++) {
		if (stress_threads[i])
			kthread_stop(stress_threads[i]);
		stress_threads[i] = NULL;
	}
}

static int __init stress_init(void)
{
	unsigned int i;

	if (!nr_workers || nr_workers > STRESS_MAX_WORKERS)
		return -EINVAL;
	for (i = 0; i <= nr_workers; i++) {
		struct task_struct *t;

		if (i < nr_workers)
			t = kthread_run(stress_worker, NULL, "klp_stress/%u", i);
		else
			t = kthread_run(stress_registrar, NULL, "klp_stress_reg");
		if (IS_ERR(t)) {
			stress_stop();
			return PTR_ERR(t);
		}
		stress_threads[i] = t;
	}
	pr_info("started %u workers and a registrar\n", nr_workers);
	return 0;
}

static void __exit stress_exit(void)
{
	stress_stop();
	/* The registrar holds no reference now: "stress" is collected. */
	klp_shadow_free_all(STRESS_ID_COUNTER, NULL);
	pr_info("%ld operations, %ld register cycles; typed variables constructed %ld, destroyed %ld\n",
		atomic_long_read(&stress_ops), atomic_long_read(&stress_cycles),
		atomic_long_read(&stress_constructed),
		atomic_long_read(&stress_destroyed));
}

module_init(stress_init);
module_exit(stress_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Stress test of the livepatch shadow variable registry");
