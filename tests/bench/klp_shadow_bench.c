// SPDX-License-Identifier: GPL-2.0
/*
 * klp_shadow_bench - shadow variable costs at a given population, with the
 * id-based API only, so that the same source runs on upstream 6.12 and on
 * ours; built with KLP_BENCH_TYPED (ours), it also measures the typed API.
 *
 * insmod klp_shadow_bench.ko nr=N [rounds=R] populates N variables of
 * id BENCH_ID_BULK over N parents, measures, and prints one line per figure:
 *
 *	klp_shadow_bench: N <name> <value>
 *
 * each the median of R rounds. The N variables stay until something writes
 * to the collect parameter, which frees all of them at once (timed, and
 * the moment for the harness to watch the irqsoff tracer), or until rmmod.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#define BENCH_ID_BULK		0x6b01
#define BENCH_ID_SINGLE		0x6b02
#define BENCH_ID_ALLOC		0x6b03
#define BENCH_ID_TYPED		0x6b04
#define BENCH_ID_TYPED_ONE	0x6b05
#define BENCH_MAX_ROUNDS	15
#define BENCH_LOOKUPS		16384
#define BENCH_ALLOCS		1024

static ulong nr = 1000;
module_param(nr, ulong, 0444);
MODULE_PARM_DESC(nr, "Variables to populate (default 1000)");

static uint rounds = 5;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "Rounds per figure, the median is printed (default 5)");

static bool populated;

/* Parent i: an address never dereferenced, one variable per parent. */
static void *bench_parent(unsigned long i)
{
	return (void *)(0x10000000UL + i * 64);
}

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 bench_median(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), bench_cmp_u64, NULL);
	return v[n / 2];
}

static void bench_print(const char *name, u64 value)
{
	pr_info("%lu %s %llu\n", nr, name, value);
}

/* Lookups of M scattered present parents, or of M absent ones: ns/call. */
static u64 bench_get(const u32 *order, unsigned int m, bool hit)
{
	u64 t[BENCH_MAX_ROUNDS];
	unsigned int r, i;
	unsigned long found;
	ktime_t start;

	for (r = 0; r < rounds; r++) {
		found = 0;
		start = ktime_get();
		for (i = 0; i < m; i++) {
			unsigned long p = hit ? order[i] : nr + order[i];

			found += !!klp_shadow_get(bench_parent(p), BENCH_ID_BULK);
		}
		t[r] = div_u64(ktime_to_ns(ktime_sub(ktime_get(), start)), m);
		if (found != (hit ? m : 0))
			pr_err("get: %lu of %u found\n", found, m);
		cond_resched();
	}
	return bench_median(t, rounds);
}

/* Allocate BENCH_ALLOCS variables, then free them: ns per call of each. */
static void bench_alloc_free(u64 *alloc_ns, u64 *free_ns)
{
	u64 ta[BENCH_MAX_ROUNDS], tf[BENCH_MAX_ROUNDS];
	unsigned int r, i;
	ktime_t start;

	for (r = 0; r < rounds; r++) {
		start = ktime_get();
		for (i = 0; i < BENCH_ALLOCS; i++)
			klp_shadow_alloc(bench_parent(i), BENCH_ID_ALLOC, sizeof(long),
					 GFP_KERNEL, NULL, NULL);
		ta[r] = div_u64(ktime_to_ns(ktime_sub(ktime_get(), start)), BENCH_ALLOCS);
		start = ktime_get();
		for (i = 0; i < BENCH_ALLOCS; i++)
			klp_shadow_free(bench_parent(i), BENCH_ID_ALLOC, NULL);
		tf[r] = div_u64(ktime_to_ns(ktime_sub(ktime_get(), start)), BENCH_ALLOCS);
		cond_resched();
	}
	*alloc_ns = bench_median(ta, rounds);
	*free_ns = bench_median(tf, rounds);
}

/* klp_shadow_free_all() of an id with one variable: ns. */
static u64 bench_free_all_one(void)
{
	u64 t[BENCH_MAX_ROUNDS];
	unsigned int r;
	ktime_t start;

	for (r = 0; r < rounds; r++) {
		klp_shadow_alloc(bench_parent(0), BENCH_ID_SINGLE, sizeof(long),
				 GFP_KERNEL, NULL, NULL);
		start = ktime_get();
		klp_shadow_free_all(BENCH_ID_SINGLE, NULL);
		t[r] = ktime_to_ns(ktime_sub(ktime_get(), start));
		cond_resched();
	}
	return bench_median(t, rounds);
}

#if defined(KLP_BENCH_TYPED) && IS_ENABLED(CONFIG_LIVEPATCH_SHADOW_DEBUG)
#define BENCH_OWNER	"klp_shadow_bench/bench"

static struct klp_shadow_type bench_typed = {
	.id = BENCH_ID_TYPED, .name = "bench",
};

static struct klp_shadow_type bench_typed_one = {
	.id = BENCH_ID_TYPED_ONE, .name = "bench-one",
};

/* The typed API: get hits and one collection by the last release. */
static void bench_typed_figures(const u32 *order, unsigned int m)
{
	u64 t[BENCH_MAX_ROUNDS];
	unsigned int r, i;
	ktime_t start;

	if (klp_shadow_debug_register(&bench_typed, BENCH_OWNER))
		return;
	/* @order may name a parent twice. */
	for (i = 0; i < m; i++)
		klp_shadow_type_get_or_alloc(&bench_typed, bench_parent(order[i]),
					     sizeof(long), GFP_KERNEL, NULL);
	for (r = 0; r < rounds; r++) {
		start = ktime_get();
		for (i = 0; i < m; i++)
			klp_shadow_type_get(&bench_typed, bench_parent(order[i]));
		t[r] = div_u64(ktime_to_ns(ktime_sub(ktime_get(), start)), m);
	}
	klp_shadow_debug_unregister(&bench_typed, BENCH_OWNER);
	bench_print("typed_get_hit_ns", bench_median(t, rounds));

	for (r = 0; r < rounds; r++) {
		if (klp_shadow_debug_register(&bench_typed_one, BENCH_OWNER))
			return;
		klp_shadow_type_alloc(&bench_typed_one, bench_parent(0),
				      sizeof(long), GFP_KERNEL, NULL);
		start = ktime_get();
		klp_shadow_debug_unregister(&bench_typed_one, BENCH_OWNER);
		t[r] = ktime_to_ns(ktime_sub(ktime_get(), start));
	}
	bench_print("typed_collect_1_ns", bench_median(t, rounds));
}

static struct klp_shadow_type bench_bulk = {
	.id = BENCH_ID_BULK, .name = "bench-bulk",
};

static bool bench_bulk_registered;

static int bench_register_bulk(void)
{
	int ret = klp_shadow_debug_register(&bench_bulk, BENCH_OWNER);

	bench_bulk_registered = !ret;
	return ret;
}

/* Ours collects through the last release of the type. */
static void bench_collect_bulk(void)
{
	if (bench_bulk_registered)
		klp_shadow_debug_unregister(&bench_bulk, BENCH_OWNER);
	bench_bulk_registered = false;
}

#else
static void bench_typed_figures(const u32 *order, unsigned int m)
{
}

static int bench_register_bulk(void)
{
	return 0;
}

/* Upstream frees all the variables of an id with klp_shadow_free_all(). */
static void bench_collect_bulk(void)
{
	klp_shadow_free_all(BENCH_ID_BULK, NULL);
}

#endif

static int bench_populate(void)
{
	unsigned long i;
	ktime_t start;
	int ret;

	ret = bench_register_bulk();
	if (ret)
		return ret;
	start = ktime_get();
	for (i = 0; i < nr; i++) {
		if (!klp_shadow_alloc(bench_parent(i), BENCH_ID_BULK, sizeof(long),
				      GFP_KERNEL, NULL, NULL))
			return -ENOMEM;
		if (!(i % 1024))
			cond_resched();
	}
	bench_print("populate_ns", div_u64(ktime_to_ns(ktime_sub(ktime_get(), start)), nr));
	populated = true;
	return 0;
}

static int bench_collect_set(const char *val, const struct kernel_param *kp)
{
	ktime_t start;

	if (!populated)
		return -ENOENT;
	start = ktime_get();
	bench_collect_bulk();
	bench_print("collect_all_ns", ktime_to_ns(ktime_sub(ktime_get(), start)));
	populated = false;
	return 0;
}

static const struct kernel_param_ops bench_collect_ops = {
	.set = bench_collect_set,
};

module_param_cb(collect, &bench_collect_ops, NULL, 0200);
MODULE_PARM_DESC(collect, "Write anything: free all the variables now, timed");

static int bench_init(void)
{
	unsigned int m = min_t(unsigned long, nr, BENCH_LOOKUPS), i;
	u64 alloc_ns, free_ns;
	u32 *order;
	int ret;

	if (!nr || nr > 0x10000000UL || !rounds || rounds > BENCH_MAX_ROUNDS)
		return -EINVAL;
	order = vmalloc_array(m, sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (i = 0; i < m; i++)
		order[i] = get_random_u32_below(nr);

	ret = bench_populate();
	if (ret)
		goto out;
	bench_print("get_hit_ns", bench_get(order, m, true));
	bench_print("get_miss_ns", bench_get(order, m, false));
	bench_alloc_free(&alloc_ns, &free_ns);
	bench_print("alloc_ns", alloc_ns);
	bench_print("free_ns", free_ns);
	bench_print("collect_1_ns", bench_free_all_one());
	bench_typed_figures(order, m);
out:
	vfree(order);
	if (ret) {
		bench_collect_bulk();
		klp_shadow_free_all(BENCH_ID_BULK, NULL);
	}
	return ret;
}

static void bench_exit(void)
{
	bench_collect_bulk();
	klp_shadow_free_all(BENCH_ID_BULK, NULL);
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Shadow variable benchmark, for upstream and the shadow registry");
