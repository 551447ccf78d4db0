// SPDX-License-Identifier: GPL-2.0
/*
 * klp_shadow_bench - shadow variable costs at a given population, with the
 * id-based API, so that the same source runs on upstream 6.12 and on ours;
 * built with KLP_BENCH_TYPED (ours), the N variables are made through a
 * type, as a livepatch makes them, and the typed API is measured too.
 *
 * insmod klp_shadow_bench.ko nr=N [rounds=R] populates N variables of
 * id BENCH_ID_BULK over N parents, measures, and prints one line per figure:
 *
 *	klp_shadow_bench: N <name> <value>
 *
 * each the median of R rounds. The N variables stay until something writes
 * to the collect parameter, which frees all of them at once (timed, and
 * the moment for the harness to watch the irqsoff tracer), or until rmmod;
 * writing to the populate parameter then makes them again, untimed (the
 * moment to watch the table grow).
 *
 * The memory floor: the time of one load in a chain of random dependent
 * loads, one per 64-byte cell, over as many bytes as our table and the N
 * variables take (bench_floor_bytes()), whichever kernel runs it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/livepatch.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>

#define BENCH_ID_BULK		0x6b01
#define BENCH_ID_SINGLE		0x6b02
#define BENCH_ID_ALLOC		0x6b03
#define BENCH_ID_TYPED_ONE	0x6b05
#define BENCH_MAX_ROUNDS	15
#define BENCH_LOOKUPS		16384
#define BENCH_ALLOCS		1024

/*
 * Our table has two buckets per variable, rounded up to a power of two, and
 * never fewer than 4096; each variable of sizeof(long) takes a 64-byte slab
 * object.
 */
#define BENCH_CELL		64

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

/*
 * BENCH_LOOKUPS lookups of the M scattered present parents of @order, in
 * turn, or of as many absent ones: ns per call.
 */
static u64 bench_get(const u32 *order, unsigned int m, bool hit)
{
	u64 t[BENCH_MAX_ROUNDS];
	unsigned int r, i;
	unsigned long found;
	ktime_t start;

	for (r = 0; r < rounds; r++) {
		found = 0;
		start = ktime_get();
		for (i = 0; i < BENCH_LOOKUPS; i++) {
			unsigned long p = order[i % m] + (hit ? 0 : nr);

			found += !!klp_shadow_get(bench_parent(p), BENCH_ID_BULK);
		}
		t[r] = div_u64(ktime_to_ns(ktime_sub(ktime_get(), start)), BENCH_LOOKUPS);
		if (found != (hit ? BENCH_LOOKUPS : 0))
			pr_err("get: %lu of %u found\n", found, BENCH_LOOKUPS);
		cond_resched();
	}
	return bench_median(t, rounds);
}

static unsigned long bench_floor_bytes(void)
{
	return sizeof(void *) * max(4096UL, roundup_pow_of_two(2 * nr)) +
	       BENCH_CELL * nr;
}

/*
 * ns per load of a chain of dependent loads over bench_floor_bytes():
 * each cell holds the address of the next, in one random cycle through all
 * of them (Sattolo's shuffle), so that no load can start before the one
 * before it ends, nor be guessed by a prefetcher. Every round takes the
 * same BENCH_LOOKUPS steps from the same cell, as the gets visit the same
 * parents every round.
 */
static u64 bench_floor(void)
{
	unsigned long cells = bench_floor_bytes() / BENCH_CELL, i, j;
	u64 t[BENCH_MAX_ROUNDS];
	void **p, *mem;
	unsigned int r, k;
	u32 *perm, tmp;
	ktime_t start;

	mem = vmalloc(cells * BENCH_CELL);
	perm = vmalloc_array(cells, sizeof(*perm));
	if (!mem || !perm) {
		vfree(perm);
		vfree(mem);
		return 0;
	}
	for (i = 0; i < cells; i++)
		perm[i] = i;
	for (i = cells - 1; i > 0; i--) {
		j = get_random_u32_below(i);
		tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
		if (!(i % 65536))
			cond_resched();
	}
	for (i = 0; i < cells; i++)
		*(void **)(mem + (unsigned long)perm[i] * BENCH_CELL) =
			mem + (unsigned long)perm[(i + 1) % cells] * BENCH_CELL;
	vfree(perm);

	for (r = 0; r < rounds; r++) {
		p = mem;
		start = ktime_get();
		for (k = 0; k < BENCH_LOOKUPS; k++)
			p = *p;
		t[r] = div_u64(ktime_to_ns(ktime_sub(ktime_get(), start)), BENCH_LOOKUPS);
		cond_resched();
	}
	/* Keep the chain's end alive: the loop must not be optimized away. */
	if (!p)
		pr_err("floor: broken chain\n");
	vfree(mem);
	return bench_median(t, rounds);
}

/* A bare grace period: what a collection cannot do without. */
static u64 bench_synchronize_rcu(void)
{
	u64 t[BENCH_MAX_ROUNDS];
	unsigned int r;
	ktime_t start;

	for (r = 0; r < rounds; r++) {
		start = ktime_get();
		synchronize_rcu();
		t[r] = ktime_to_ns(ktime_sub(ktime_get(), start));
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

static struct klp_shadow_type bench_bulk = {
	.id = BENCH_ID_BULK, .name = "bench-bulk",
};

static struct klp_shadow_type bench_typed_one = {
	.id = BENCH_ID_TYPED_ONE, .name = "bench-one",
};

static bool bench_bulk_registered;

/* Ours makes the N variables through their type, as a livepatch does. */
static void *bench_alloc_bulk(unsigned long i)
{
	return klp_shadow_type_alloc(&bench_bulk, bench_parent(i), sizeof(long),
				     GFP_KERNEL, NULL);
}

/*
 * The typed API: get hits on the same parents as get_hit_ns, and the last
 * release of a type with one variable.
 */
static void bench_typed_figures(const u32 *order, unsigned int m)
{
	u64 t[BENCH_MAX_ROUNDS];
	unsigned long found;
	unsigned int r, i;
	ktime_t start;

	for (r = 0; r < rounds; r++) {
		found = 0;
		start = ktime_get();
		for (i = 0; i < BENCH_LOOKUPS; i++)
			found += !!klp_shadow_type_get(&bench_bulk,
						       bench_parent(order[i % m]));
		t[r] = div_u64(ktime_to_ns(ktime_sub(ktime_get(), start)), BENCH_LOOKUPS);
		if (found != BENCH_LOOKUPS)
			pr_err("typed get: %lu of %u found\n", found, BENCH_LOOKUPS);
		cond_resched();
	}
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
static void *bench_alloc_bulk(unsigned long i)
{
	return klp_shadow_alloc(bench_parent(i), BENCH_ID_BULK, sizeof(long),
				GFP_KERNEL, NULL, NULL);
}

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

/* Make the N variables; with @timed, print what each cost. */
static int bench_populate(bool timed)
{
	unsigned long i;
	ktime_t start;
	int ret;

	ret = bench_register_bulk();
	if (ret)
		return ret;
	start = ktime_get();
	for (i = 0; i < nr; i++) {
		if (!bench_alloc_bulk(i))
			return -ENOMEM;
		if (!(i % 1024))
			cond_resched();
	}
	if (timed)
		bench_print("populate_ns",
			    div_u64(ktime_to_ns(ktime_sub(ktime_get(), start)), nr));
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

static int bench_populate_set(const char *val, const struct kernel_param *kp)
{
	int ret;

	if (populated)
		return -EEXIST;
	ret = bench_populate(false);
	if (ret) {
		bench_collect_bulk();
		klp_shadow_free_all(BENCH_ID_BULK, NULL);
		populated = false;
	}
	return ret;
}

static const struct kernel_param_ops bench_populate_ops = {
	.set = bench_populate_set,
};

module_param_cb(populate, &bench_populate_ops, NULL, 0200);
MODULE_PARM_DESC(populate, "Write anything once collected: make the variables again");

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

	ret = bench_populate(true);
	if (ret)
		goto out;
	bench_print("get_hit_ns", bench_get(order, m, true));
	bench_print("get_miss_ns", bench_get(order, m, false));
	bench_alloc_free(&alloc_ns, &free_ns);
	bench_print("alloc_ns", alloc_ns);
	bench_print("free_ns", free_ns);
	bench_print("collect_1_ns", bench_free_all_one());
	bench_typed_figures(order, m);
	bench_print("synchronize_rcu_ns", bench_synchronize_rcu());
	bench_print("floor_ns", bench_floor());
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
