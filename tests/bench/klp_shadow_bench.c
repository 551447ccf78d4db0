// SPDX-License-Identifier: GPL-2.0
/*
 * klp_shadow_bench - shadow variable costs at a given population, with the
 * id-based API, so that the same source runs on upstream 6.12 and on ours;
 * built with KLP_BENCH_TYPED (ours), the N variables are made through a
 * type, as a livepatch makes them, and the typed API is measured too.
 *
 * insmod klp_shadow_bench.ko nr=N [rounds=R] [sessions=S] populates N
 * variables of id BENCH_ID_BULK over N parents, measures, and prints one
 * line per figure:
 *
 *	klp_shadow_bench: N <name> <value>
 *
 * each the median of R rounds (in the session kept, below, for the lookups
 * and the allocations), in ns (two decimals for a figure per call).
 * The N variables stay until something writes to the collect parameter,
 * which frees all of them at once (timed, and the moment for the harness
 * to watch the irqsoff tracer), or until rmmod; writing to the populate
 * parameter then makes them again, untimed (the moment to watch the table
 * grow). Writing to the kalloc parameter allocates N slab objects with no
 * shadow variable, writing to the kfree parameter then frees them: what
 * freeing that much memory shows under the irqsoff tracer. Writing to the
 * busy parameter holds IRQs off in short sections of nothing, for as long
 * as the last collection took: what the emulator adds to any section.
 *
 * The memory floor: the time of one step in a chain of random dependent
 * loads over an array of as many buckets as our table has and N 64-byte
 * slab objects, as the N variables are; a step loads a bucket, which points
 * to a cell, and the cell, which points to the next step's bucket: the two
 * dependent loads a hit cannot do without, whichever kernel runs it. The
 * same chain walked through a call of a function per step is the floor of
 * a lookup that, as klp_shadow_get(), is a function call of its own (on
 * our kernel, klp_shadow_get() is inline around a call of
 * __klp_shadow_lookup()). The gets and the floor are timed side by side,
 * round by round (bench_lookup_session()), and the module prints the
 * ratios of a get over each floor (and of the typed get over the get)
 * itself, as the median of the rounds' ratios: timed seconds apart, as
 * they were, a get over the floor at 1M read anywhere from 1.0 to 2.3 from
 * load to load of the same kernel under TCG, the floor's own step from 247
 * to 684 ns.
 *
 * The emulator runs a call to another page, and its return, at one of two
 * speeds, for stretches of a few ms to over a second: under TCG, a get
 * among 1000 took 19 to 22 ns in some stretches and 35 to 45 in others, on
 * both kernels alike, while the floor's loop, which stays on its page with
 * no call, moved much less; a load fell in one or the other, and the 1k
 * figures of a run with them. So the lookups, and the allocations and
 * frees, are timed in S sessions, at least 100 ms apart, and every round
 * of a session walks a control beside the figures: calls of a function
 * that does nothing, on a page of its own (bench_cross()). Each phase
 * prints the figures and ratios of the session whose slowest round of the
 * control was the fastest, the control's median there (cross_ns,
 * alloc_cross_ns), and the largest of the lookups' sessions' control
 * medians (cross_slowest_ns). The control is chosen on, not the figures,
 * so that the noise of a figure does not choose its own session. The
 * module refuses to load if the control's function shares its caller's
 * page, or the floor's step does not share its caller's.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/livepatch.h>
#include <linux/log2.h>
#include <linux/mm.h>
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
/* A bound on a load's time: the sessions are not stored. */
#define BENCH_MAX_SESSIONS	15
#define BENCH_SESSION_GAP_MS	100
/* Our largest table, of 2^26 buckets, holds 2^25 variables at two each. */
#define BENCH_MAX_NR		BIT(25)
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
MODULE_PARM_DESC(rounds, "Rounds per figure in a session, the median is printed (default 5)");

static uint sessions = 9;
module_param(sessions, uint, 0444);
MODULE_PARM_DESC(sessions, "Sessions per phase, at least 100 ms apart (default 9)");

static bool populated;

/* How long the last collection took, in ns: the busy control's duration. */
static u64 bench_collect_ns;

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

static u64 bench_max(const u64 *v, unsigned int n)
{
	u64 m = 0;

	while (n--)
		m = max(m, v[n]);
	return m;
}

static void bench_print(const char *name, u64 value)
{
	pr_info("%lu %s %llu\n", nr, name, value);
}

/* Hundredths of a ns per call of @calls since @start. */
static u64 bench_per_call(ktime_t start, unsigned long calls)
{
	return div64_ul(100 * ktime_to_ns(ktime_sub(ktime_get(), start)), calls);
}

/* A figure per call, in hundredths of a ns: printed in ns, two decimals. */
static void bench_print_per_call(const char *name, u64 value)
{
	u32 rem;
	u64 ns = div_u64_rem(value, 100, &rem);

	pr_info("%lu %s %llu.%02u\n", nr, name, ns, rem);
}

/*
 * One round of BENCH_LOOKUPS lookups of the scattered present parents of
 * @order, or of as many absent ones: hundredths of a ns per call. Inlined
 * with @hit constant, so that the loop runs the same instructions around
 * the call as the typed one, bench_typed_get().
 */
static __always_inline u64 bench_get(const u32 *order, bool hit)
{
	unsigned long found = 0;
	unsigned int i;
	ktime_t start;
	u64 ns;

	start = ktime_get();
	for (i = 0; i < BENCH_LOOKUPS; i++) {
		unsigned long p = order[i] + (hit ? 0 : nr);

		found += !!klp_shadow_get(bench_parent(p), BENCH_ID_BULK);
	}
	ns = bench_per_call(start, BENCH_LOOKUPS);
	if (found != (hit ? BENCH_LOOKUPS : 0))
		pr_err("get: %lu of %u found\n", found, BENCH_LOOKUPS);
	return ns;
}

/* Where the floor's chain ended: the result of its loop. */
static void *bench_floor_end;

/* The buckets of our table at N: two per variable, at least 4096. */
static unsigned long bench_floor_buckets(void)
{
	return max(roundup_pow_of_two(2 * nr), 4096UL);
}

/* Free the first @n of @cells, 64-byte slab objects, and @cells. */
static void bench_cells_free(void **cells, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		kfree(cells[i]);
		if (!(i % 1024))
			cond_resched();
	}
	vfree(cells);
}

/*
 * N 64-byte slab objects, allocated one by one as the variables are: the
 * floor's cells, and what the kfree control frees. NULL without memory.
 */
static void **bench_cells_alloc(void)
{
	void **cells = vmalloc_array(nr, sizeof(*cells));
	unsigned long i;

	if (!cells)
		return NULL;
	for (i = 0; i < nr; i++) {
		cells[i] = kmalloc(BENCH_CELL, GFP_KERNEL);
		if (!cells[i]) {
			bench_cells_free(cells, i);
			return NULL;
		}
		if (!(i % 1024))
			cond_resched();
	}
	return cells;
}

/*
 * Make the floor's chain in @buckets and @cells: a random cycle through
 * the cells (Sattolo's shuffle), each cell in a bucket of its own chosen at
 * random (a partial Fisher-Yates shuffle of the buckets). Return the bucket
 * the chain starts from, or NULL without memory.
 */
static void **bench_floor_chain(void **buckets, void **cells)
{
	unsigned long nb = bench_floor_buckets(), i, j;
	u32 *perm, *bkt;

	perm = vmalloc_array(nr, sizeof(*perm));
	bkt = vmalloc_array(nb, sizeof(*bkt));
	if (!perm || !bkt) {
		vfree(bkt);
		vfree(perm);
		return NULL;
	}
	for (i = 0; i < nr; i++)
		perm[i] = i;
	for (i = nr - 1; i > 0; i--) {
		j = get_random_u32_below(i);
		swap(perm[i], perm[j]);
		if (!(i % 65536))
			cond_resched();
	}
	for (i = 0; i < nb; i++)
		bkt[i] = i;
	for (i = 0; i < nr; i++) {
		j = i + get_random_u32_below(nb - i);
		swap(bkt[i], bkt[j]);
		if (!(i % 65536))
			cond_resched();
	}
	/* Cell perm[i] sits in bucket bkt[i] and leads to the next one's. */
	for (i = 0; i < nr; i++) {
		void **cell = cells[perm[i]];

		buckets[bkt[i]] = cell;
		*cell = &buckets[bkt[(i + 1) % nr]];
	}
	i = bkt[0];
	vfree(bkt);
	vfree(perm);
	return &buckets[i];
}

/*
 * One step of the floor's chain in a function of its own, called as a get
 * calls the kernel's lookup (klp_shadow_get() upstream,
 * __klp_shadow_lookup() on ours; a direct call either way): neither
 * inlined nor specialized for its caller.
 */
static noinline __noclone void **bench_floor_step(void **p)
{
	return *(void **)*p;
}

/*
 * Hundredths of a ns per step of BENCH_LOOKUPS steps of the floor's chain
 * from @first, through bench_floor_step() if @call.
 */
static noinline u64 bench_floor_walk(void **first, bool call)
{
	void **p = first;
	unsigned int k;
	ktime_t start;
	u64 ns;

	start = ktime_get();
	if (call) {
		for (k = 0; k < BENCH_LOOKUPS; k++)
			p = bench_floor_step(p);
	} else {
		for (k = 0; k < BENCH_LOOKUPS; k++)
			p = *(void **)*p;
	}
	ns = bench_per_call(start, BENCH_LOOKUPS);
	/* The loop must not be optimized away. */
	WRITE_ONCE(bench_floor_end, p);
	return ns;
}

/*
 * The control of the emulator's speed at calls to another page: a function
 * that does nothing, on a page of its own, as a get calls the kernel's
 * lookup from the module's page. The section keeps it off the pages of the
 * module's .text.
 */
static noinline __noclone __aligned(PAGE_SIZE) __section(".text.bench_far")
unsigned long bench_far_step(unsigned long x)
{
	return x + 1;
}

/* Where the control's loop ended: its result. */
static unsigned long bench_cross_end;

/* Hundredths of a ns per call of BENCH_LOOKUPS calls of the control. */
static noinline u64 bench_cross(void)
{
	unsigned long x = 0;
	unsigned int k;
	ktime_t start;
	u64 ns;

	start = ktime_get();
	for (k = 0; k < BENCH_LOOKUPS; k++)
		x = bench_far_step(x);
	ns = bench_per_call(start, BENCH_LOOKUPS);
	WRITE_ONCE(bench_cross_end, x);
	return ns;
}

/*
 * The floor's chain: a bucket, then its cell, each load needing the one
 * before it, at random, so that no prefetcher guesses them. The buckets
 * are allocated as our table's (kvcalloc()), the cells as our variables
 * (one kmalloc() each).
 */
struct bench_floor {
	void **buckets;
	void **cells;
	void **first;
};

static void bench_floor_free(struct bench_floor *fl)
{
	if (fl->cells)
		bench_cells_free(fl->cells, nr);
	kvfree(fl->buckets);
	fl->cells = NULL;
	fl->buckets = NULL;
	fl->first = NULL;
}

/*
 * Make the floor's chain in @fl, and check that it is one cycle through
 * every cell. Return: false without memory.
 */
static bool bench_floor_make(struct bench_floor *fl)
{
	unsigned long i;
	void **p;

	fl->buckets = kvcalloc(bench_floor_buckets(), sizeof(*fl->buckets),
			       GFP_KERNEL);
	fl->cells = bench_cells_alloc();
	fl->first = NULL;
	if (fl->buckets && fl->cells)
		fl->first = bench_floor_chain(fl->buckets, fl->cells);
	if (!fl->first) {
		bench_floor_free(fl);
		return false;
	}
	for (i = 1, p = *(void **)*fl->first; p != fl->first && i < nr; i++)
		p = *(void **)*p;
	if (p != fl->first || i != nr)
		pr_err("floor: broken chain\n");
	return true;
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

/*
 * One session of rounds, each of the control, then BENCH_ALLOCS
 * allocations, then as many frees: the medians in hundredths of a ns per
 * call of each.
 */
static void bench_alloc_free_session(u64 *alloc_ns, u64 *free_ns, u64 *cross_ns,
				     u64 *cross_max)
{
	u64 ta[BENCH_MAX_ROUNDS], tf[BENCH_MAX_ROUNDS], tc[BENCH_MAX_ROUNDS];
	unsigned int r, i;
	ktime_t start;

	for (r = 0; r < rounds; r++) {
		tc[r] = bench_cross();
		start = ktime_get();
		for (i = 0; i < BENCH_ALLOCS; i++)
			klp_shadow_alloc(bench_parent(i), BENCH_ID_ALLOC, sizeof(long),
					 GFP_KERNEL, NULL, NULL);
		ta[r] = bench_per_call(start, BENCH_ALLOCS);
		start = ktime_get();
		for (i = 0; i < BENCH_ALLOCS; i++)
			klp_shadow_free(bench_parent(i), BENCH_ID_ALLOC, NULL);
		tf[r] = bench_per_call(start, BENCH_ALLOCS);
		cond_resched();
	}
	*alloc_ns = bench_median(ta, rounds);
	*free_ns = bench_median(tf, rounds);
	*cross_max = bench_max(tc, rounds);
	*cross_ns = bench_median(tc, rounds);
}

/*
 * The allocations and frees, in sessions: print those of the session whose
 * slowest round of the control beside them was the fastest.
 */
static void bench_alloc_free(void)
{
	u64 alloc_ns, free_ns, cross_ns, cross_max;
	u64 best_alloc = 0, best_free = 0, best_cross = 0, best_max = 0;
	unsigned int i;

	for (i = 0; i < sessions; i++) {
		if (i)
			msleep(BENCH_SESSION_GAP_MS);
		bench_alloc_free_session(&alloc_ns, &free_ns, &cross_ns, &cross_max);
		if (!i || cross_max < best_max) {
			best_alloc = alloc_ns;
			best_free = free_ns;
			best_cross = cross_ns;
			best_max = cross_max;
		}
	}
	bench_print_per_call("alloc_ns", best_alloc);
	bench_print_per_call("free_ns", best_free);
	bench_print_per_call("alloc_cross_ns", best_cross);
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

/* One round of typed gets of the parents of @order, as bench_get()'s. */
static u64 bench_typed_get(const u32 *order)
{
	unsigned long found = 0;
	unsigned int i;
	ktime_t start;
	u64 ns;

	start = ktime_get();
	for (i = 0; i < BENCH_LOOKUPS; i++)
		found += !!klp_shadow_type_get(&bench_bulk,
					       bench_parent(order[i]));
	ns = bench_per_call(start, BENCH_LOOKUPS);
	if (found != BENCH_LOOKUPS)
		pr_err("typed get: %lu of %u found\n", found, BENCH_LOOKUPS);
	return ns;
}

/* The last release of a type with one variable. */
static void bench_typed_collect(void)
{
	u64 t[BENCH_MAX_ROUNDS];
	unsigned int r;
	ktime_t start;

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

static u64 bench_typed_get(const u32 *order)
{
	return 0;
}

static void bench_typed_collect(void)
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
		bench_print_per_call("populate_ns", bench_per_call(start, nr));
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
	bench_collect_ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	bench_print("collect_all_ns", bench_collect_ns);
	populated = false;
	/* Untimed: upstream's frees through kfree_rcu(), before what follows. */
	kvfree_rcu_barrier();
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

/*
 * The control of the collection's IRQs-off figures: N 64-byte slab objects
 * allocated one by one (a write to kalloc), then freed one by one as a
 * collection frees the variables (a write to kfree, traced alone), with no
 * shadow variable code at all.
 */
static void **bench_kfree_cells;

static int bench_kalloc_set(const char *val, const struct kernel_param *kp)
{
	if (bench_kfree_cells)
		return -EEXIST;
	bench_kfree_cells = bench_cells_alloc();
	return bench_kfree_cells ? 0 : -ENOMEM;
}

static const struct kernel_param_ops bench_kalloc_ops = {
	.set = bench_kalloc_set,
};

module_param_cb(kalloc, &bench_kalloc_ops, NULL, 0200);
MODULE_PARM_DESC(kalloc, "Write anything: kmalloc N 64-byte objects for kfree");

static int bench_kfree_set(const char *val, const struct kernel_param *kp)
{
	if (!bench_kfree_cells)
		return -ENOENT;
	bench_cells_free(bench_kfree_cells, nr);
	bench_kfree_cells = NULL;
	return 0;
}

static const struct kernel_param_ops bench_kfree_ops = {
	.set = bench_kfree_set,
};

module_param_cb(kfree, &bench_kfree_ops, NULL, 0200);
MODULE_PARM_DESC(kfree, "Write anything once kalloc'ed: kfree the N objects");

/*
 * The busy control of the IRQs-off figures: for as long as the last
 * collection took (100 ms at least), sections of BENCH_BUSY_US with IRQs
 * off, spent waiting, a reschedule point between two. What the longest
 * of them measures beyond BENCH_BUSY_US is the emulator's, not the
 * kernel's: the time a vCPU stops while its clock runs on.
 */
#define BENCH_BUSY_US	20

static int bench_busy_set(const char *val, const struct kernel_param *kp)
{
	u64 end = ktime_get_ns() + max_t(u64, bench_collect_ns, 100 * NSEC_PER_MSEC);
	unsigned long flags;

	while (ktime_get_ns() < end) {
		local_irq_save(flags);
		udelay(BENCH_BUSY_US);
		local_irq_restore(flags);
		cond_resched();
	}
	return 0;
}

static const struct kernel_param_ops bench_busy_ops = {
	.set = bench_busy_set,
};

module_param_cb(busy, &bench_busy_ops, NULL, 0200);
MODULE_PARM_DESC(busy, "Write anything: IRQs off in 20 us sections, as long as the last collection");

/*
 * The parents the lookups visit, BENCH_LOOKUPS of them, in a random order:
 * every one of the N, repeated, when N is smaller, else as many distinct
 * ones; so that a round touches as many variables as the floor's chain
 * touches cells. NULL without memory.
 */
static u32 *bench_order(void)
{
	unsigned long m = min_t(unsigned long, nr, BENCH_LOOKUPS), i, j;
	u32 *perm, *order;

	perm = vmalloc_array(nr, sizeof(*perm));
	order = vmalloc_array(BENCH_LOOKUPS, sizeof(*order));
	if (!perm || !order) {
		vfree(order);
		vfree(perm);
		return NULL;
	}
	for (i = 0; i < nr; i++)
		perm[i] = i;
	/* The first m of a random permutation of the N (Fisher-Yates). */
	for (i = 0; i < m; i++) {
		j = i + get_random_u32_below(nr - i);
		swap(perm[i], perm[j]);
	}
	for (i = 0; i < BENCH_LOOKUPS; i++)
		order[i] = perm[i % m];
	vfree(perm);
	return order;
}

/* The walks of the lookup figures, in the order a round starts them. */
enum bench_walk {
	BENCH_GET_HIT,
	BENCH_GET_MISS,
	BENCH_TYPED_GET_HIT,
	BENCH_FLOOR,
	BENCH_FLOOR_CALL,
	BENCH_CROSS,
	BENCH_WALKS
};

static const char * const bench_walk_names[BENCH_WALKS] = {
	[BENCH_GET_HIT]		= "get_hit_ns",
	[BENCH_GET_MISS]	= "get_miss_ns",
	[BENCH_TYPED_GET_HIT]	= "typed_get_hit_ns",
	[BENCH_FLOOR]		= "floor_ns",
	[BENCH_FLOOR_CALL]	= "floor_call_ns",
	[BENCH_CROSS]		= "cross_ns",
};

/* One round of walk @w: hundredths of a ns per lookup or step, 0 if none. */
static u64 bench_walk(enum bench_walk w, const u32 *order,
		      const struct bench_floor *fl)
{
	switch (w) {
	case BENCH_GET_HIT:
		return bench_get(order, true);
	case BENCH_GET_MISS:
		return bench_get(order, false);
	case BENCH_TYPED_GET_HIT:
		return bench_typed_get(order);
	case BENCH_FLOOR:
		return fl->first ? bench_floor_walk(fl->first, false) : 0;
	case BENCH_FLOOR_CALL:
		return fl->first ? bench_floor_walk(fl->first, true) : 0;
	case BENCH_CROSS:
		return bench_cross();
	default:
		return 0;
	}
}

/* The ratios a session takes round by round. */
enum bench_ratio {
	BENCH_GET_OVER_FLOOR,
	BENCH_GET_OVER_FLOOR_CALL,
	BENCH_TYPED_GET_OVER_GET,
	BENCH_RATIOS
};

static const char * const bench_ratio_names[BENCH_RATIOS] = {
	[BENCH_GET_OVER_FLOOR]		= "get_over_floor",
	[BENCH_GET_OVER_FLOOR_CALL]	= "get_over_floor_call",
	[BENCH_TYPED_GET_OVER_GET]	= "typed_get_over_get",
};

/*
 * A session of the lookups: each walk's median, each ratio's, and the
 * control's slowest round.
 */
struct bench_session {
	u64 walk[BENCH_WALKS];
	u64 ratio[BENCH_RATIOS];
	u64 cross_max;
};

/*
 * The median over the rounds of @num[r] / @den[r], in thousandths; 0 if a
 * round has no figure.
 */
static u64 bench_ratio(const u64 *num, const u64 *den)
{
	u64 q[BENCH_MAX_ROUNDS];
	unsigned int r;

	for (r = 0; r < rounds; r++) {
		if (!num[r] || !den[r])
			return 0;
		q[r] = div64_u64(1000 * num[r], den[r]);
	}
	return bench_median(q, rounds);
}

/*
 * One session of the lookups and the floor, in rounds: each round walks
 * each once, each round starting from the next walk, so that the figures a
 * ratio compares are taken side by side, and whatever slows the emulator
 * for a while (the host's other work, its caches, the emulated TLB's size)
 * weighs on both alike. Each figure is the median of its rounds, and each
 * ratio the median of its rounds' ratios; the control's slowest round goes
 * to @s too.
 */
static void bench_lookup_session(const u32 *order, const struct bench_floor *fl,
				 struct bench_session *s)
{
	u64 t[BENCH_WALKS][BENCH_MAX_ROUNDS];
	unsigned int r, k, w;

	for (r = 0; r < rounds; r++) {
		for (k = 0; k < BENCH_WALKS; k++) {
			w = (r + k) % BENCH_WALKS;
			t[w][r] = bench_walk(w, order, fl);
		}
		cond_resched();
	}
	s->ratio[BENCH_GET_OVER_FLOOR] = bench_ratio(t[BENCH_GET_HIT], t[BENCH_FLOOR]);
	s->ratio[BENCH_GET_OVER_FLOOR_CALL] = bench_ratio(t[BENCH_GET_HIT],
							  t[BENCH_FLOOR_CALL]);
	s->ratio[BENCH_TYPED_GET_OVER_GET] = bench_ratio(t[BENCH_TYPED_GET_HIT],
							 t[BENCH_GET_HIT]);
	for (w = 0; w < BENCH_WALKS; w++)
		s->walk[w] = t[w][0] ? bench_median(t[w], rounds) : 0;
	s->cross_max = bench_max(t[BENCH_CROSS], rounds);
}

/*
 * The lookups, in sessions: print the figures and ratios of the session
 * whose slowest round of the control was the fastest, and the largest of
 * the sessions' control medians.
 */
static void bench_lookups(const u32 *order, const struct bench_floor *fl)
{
	struct bench_session s, best = {};
	u64 slowest = 0;
	unsigned int i, k;
	u32 rem;
	u64 q;

	for (i = 0; i < sessions; i++) {
		if (i)
			msleep(BENCH_SESSION_GAP_MS);
		bench_lookup_session(order, fl, &s);
		if (!i || s.cross_max < best.cross_max)
			best = s;
		slowest = max(slowest, s.walk[BENCH_CROSS]);
	}
	for (k = 0; k < BENCH_RATIOS; k++) {
		if (!best.ratio[k])
			continue;
		q = div_u64_rem(best.ratio[k], 1000, &rem);
		pr_info("%lu %s %llu.%03u\n", nr, bench_ratio_names[k], q, rem);
	}
	for (k = 0; k < BENCH_WALKS; k++) {
		if (best.walk[k])
			bench_print_per_call(bench_walk_names[k], best.walk[k]);
	}
	bench_print_per_call("cross_slowest_ns", slowest);
}

static bool bench_same_page(const void *a, const void *b)
{
	return PAGE_ALIGN_DOWN((unsigned long)a) == PAGE_ALIGN_DOWN((unsigned long)b);
}

static int bench_init(void)
{
	struct bench_floor floor;
	u32 *order;
	int ret;

	/* Each of the floor's cells needs a bucket of its own. */
	if (!nr || nr > BENCH_MAX_NR || !rounds || rounds > BENCH_MAX_ROUNDS ||
	    !sessions || sessions > BENCH_MAX_SESSIONS)
		return -EINVAL;
	/*
	 * The control measures nothing if its call stays on its page, and the
	 * floor with a call would measure the control if its call left its
	 * page. Each compares the functions' entries, not the call's site: for
	 * the control a false alarm at worst, while the floor's call could
	 * still sit on the page after its walk's entry, unseen.
	 */
	if (bench_same_page(bench_cross, bench_far_step)) {
		pr_err("cross: the control's function shares its caller's page\n");
		return -ENOEXEC;
	}
	if (!bench_same_page(bench_floor_walk, bench_floor_step)) {
		pr_err("floor: the step's function is off its caller's page\n");
		return -ENOEXEC;
	}
	order = bench_order();
	if (!order)
		return -ENOMEM;

	ret = bench_populate(true);
	if (ret)
		goto out;
	/*
	 * Let the resize the population started end before the timed
	 * figures: with one vCPU its worker runs while this task sleeps.
	 */
	msleep(1000 + nr / 1000);
	if (!bench_floor_make(&floor))
		pr_err("floor: no memory\n");
	bench_lookups(order, &floor);
	bench_floor_free(&floor);
	bench_alloc_free();
	bench_print("collect_1_ns", bench_free_all_one());
	bench_typed_collect();
	bench_print("synchronize_rcu_ns", bench_synchronize_rcu());
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
	if (bench_kfree_cells)
		bench_cells_free(bench_kfree_cells, nr);
	kvfree_rcu_barrier();
}

module_init(bench_init);
module_exit(bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Shadow variable benchmark, for upstream and the shadow registry");
