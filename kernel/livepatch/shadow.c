// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * shadow.c - Shadow variables and the registry of their types
 *
 * Copyright (C) 2014 Josh Poimboeuf <jpoimboe@redhat.com>
 * Copyright (C) 2014 Seth Jennings <sjenning@redhat.com>
 * Copyright (C) 2017 Joe Lawrence <joe.lawrence@redhat.com>
 */

/**
 * DOC: Shadow variables and their lifetime
 *
 * A shadow variable is data attached to a parent object, found by the pair
 * <obj, id>, which the table keeps as <obj, ~id> (see
 * __klp_shadow_lookup()): the id KLP_SHADOW_ID_RESERVED, whose key is 0,
 * is refused. Variables live in a hash table keyed by the parent, resized
 * as they come and go, so that a lookup walks chains of the same length at
 * any population. Readers use RCU; the caller provides any mutual
 * exclusion the shadow data itself needs.
 *
 * A variable is live once klp_shadow_*alloc() added it: klp_shadow_get()
 * may return it at once, so its data must be ready by then (the
 * constructor runs before it is added). Memory is never allocated under
 * the spinlock, but with the caller's GFP flags.
 *
 * Every id in use has a record that lists its variables, counts them and
 * their bytes, and holds the references taken on it through
 * struct klp_shadow_type. No destructor ever runs under klp_shadow_lock.
 *
 * Every reference belongs to a patched klp_object: the livepatch core
 * takes one for each type the object lists, and klp_shadow_register() one
 * for the object explicitly; the core drops them all when the object is
 * unpatched for good. When the last reference on an id goes, its variables
 * made through a type are unlinked in short batches under the spinlock, one
 * RCU grace period passes for the whole release, and only then are they
 * handed to the destructor, in process context with no spinlock held.
 *
 * A forced transition retires its objects without dropping their
 * references: tasks may still run their old code, so they are kept for good.
 *
 * Variables made with the id-based API (klp_shadow_alloc() and friends)
 * are kept apart: a collection leaves them, and klp_shadow_free() and
 * klp_shadow_free_all() free them as before.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/irq_work.h>
#include <linux/jump_label.h>
#include <linux/livepatch.h>
#include <linux/log2.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>
#include "core.h"
#include "shadow.h"

/* Variables unlinked per klp_shadow_lock section during a collection. */
#define KLP_SHADOW_BATCH	32

/* Buckets of the largest variables' hash table. */
#define KLP_SHADOW_MAX_SHIFT	26

/* Buckets, and variables, copied per klp_shadow_lock section by a resize. */
#define KLP_SHADOW_RESIZE_BATCH	64
#define KLP_SHADOW_RESIZE_ENTRIES 256

/*
 * klp_shadow_lock (IRQ-safe) protects the variables' tables and the links
 * of every variable, klp_shadow_ids, and every field of struct
 * klp_shadow_id. Readers of either hash table use RCU only.
 */
static DEFINE_SPINLOCK(klp_shadow_lock);

/*
 * klp_shadow_mutex serializes reference changes and collections: it is
 * taken (after klp_mutex, when both are held) by klp_shadow_register(),
 * klp_shadow_unregister(), the livepatch core hooks, and the debug
 * interface (debugfs, klp_shadow_debug_register()), and is held while
 * destructors run. Destructors must not register or unregister types, nor
 * load or unload modules: the core collects at module load and unload.
 */
DEFINE_MUTEX(klp_shadow_mutex);

/**
 * struct klp_shadow - shadow variable structure
 * @next:	the next variable in the same bucket, one link per table: the
 *		table in use chains through one, a resize through the other
 * @obj:	pointer to the parent object
 * @key:	~id, the key a lookup compares (see __klp_shadow_lookup())
 * @id_node:	node in the list of its id's variables, or of a collection
 * @rcu_head:	RCU is used to safely free this structure, once unlinked
 * @size:	size of @data
 * @data:	data area
 */
struct klp_shadow {
	struct klp_shadow __rcu *next[2];
	void *obj;
	unsigned long key;
	union {
		struct list_head id_node;
		struct rcu_head rcu_head;
	};
	size_t size;
	char data[];
};

/**
 * struct klp_shadow_owner - the holder of one reference on an id
 * @node:	node in klp_shadow_id.owners
 * @ref_node:	node in the holder's list: klp_object.shadow_refs
 *		(klp_shadow_kept once a forced transition retired the holder)
 * @type:	the type the reference was taken through
 * @registered:	taken with klp_shadow_register(), not listed
 * @kept:	kept once after a forced transition: never really dropped
 * @name:	the holder, "<patch>/<object>"
 */
struct klp_shadow_owner {
	struct list_head node;
	struct list_head ref_node;
	struct klp_shadow_type *type;
	bool registered;
	bool kept;
	char name[];
};

/**
 * struct klp_shadow_table - a bucket array of the variables' hash table
 * @buckets:	the first variable of each chain
 * @shift:	log2 of the number of buckets
 * @link:	the index in klp_shadow.next[] that chains the buckets
 */
struct klp_shadow_table {
	struct klp_shadow __rcu **buckets;
	unsigned int shift;
	unsigned int link;
};

/*
 * The variables' hash table: a lookup hashes the parent to a bucket and
 * walks its chain, in a table of two to four buckets per variable after a
 * resize, two to eight in between, and never fewer than 1 <<
 * KLP_SHADOW_MIN_SHIFT (the smallest table, static). Readers use
 * klp_shadow_desc under RCU and always see a complete table: one word that
 * holds the address of the bucket array (aligned to KLP_SHADOW_DESC_ALIGN
 * bytes or more), the link, and the right shift that makes a hash the
 * index of a bucket (BITS_PER_LONG minus the table's shift), so that a
 * lookup loads a single word more than one in a table of constant address
 * (none more while the smallest table is in use, see below).
 *
 * klp_shadow_resize_fn() resizes it: it fills klp_shadow_future through the
 * other link of each variable, at most KLP_SHADOW_RESIZE_BATCH whole
 * buckets per klp_shadow_lock section, and no bucket more once
 * KLP_SHADOW_RESIZE_ENTRIES variables are copied, while
 * writers keep both tables up to date (a writer also links into the future
 * table a variable whose bucket is among the klp_shadow_moved ones copied);
 * then it publishes the new table and waits for a grace period before the
 * old one's link may be used again. Only the worker, which never runs twice
 * at once, changes klp_shadow_tbl and klp_shadow_desc. An insert never
 * fails: when no larger table can be allocated, chains grow until twice as
 * many variables.
 *
 * While the static smallest table is in use, always through link 0, as
 * from boot until the population first calls for more and again once it
 * fell back, klp_shadow_table0_direct lets readers use it without loading
 * klp_shadow_desc, as a table of constant address is used: the worker
 * turns it off before it starts a resize from there, and on again once it made the
 * static table the one in use and no reader walks the previous one. A
 * shrink to the smallest size through link 1 goes through a table of that
 * size allocated for the purpose: one resize more (a copy and a grace
 * period) and 32 KB for its while; if it cannot be allocated, the table
 * stays one size larger until the population halves again.
 *
 * klp_shadow_grow_at and klp_shadow_shrink_at are the populations that
 * call for a resize; writers kick the worker through an irq_work, so that
 * no workqueue lock is taken wherever the caller may be (a patched
 * scheduler function, say).
 */
#define KLP_SHADOW_DESC_RSHIFT_MASK	GENMASK(5, 0)
#define KLP_SHADOW_DESC_LINK		BIT(6)
#define KLP_SHADOW_DESC_ALIGN		128

static struct klp_shadow __rcu *klp_shadow_buckets0[1 << KLP_SHADOW_MIN_SHIFT]
	__aligned(KLP_SHADOW_DESC_ALIGN);
static struct klp_shadow_table klp_shadow_table0 = {
	.buckets = klp_shadow_buckets0,
	.shift = KLP_SHADOW_MIN_SHIFT,
};

/* The table in use, for its writers: under klp_shadow_lock. */
static struct klp_shadow_table *klp_shadow_tbl = &klp_shadow_table0;
/*
 * The table in use, for its readers (see klp_shadow_desc_of()); read
 * mostly, away from klp_shadow_nelems, which every insert writes.
 */
static unsigned long klp_shadow_desc __read_mostly =
	(unsigned long)klp_shadow_buckets0 +
	(BITS_PER_LONG - KLP_SHADOW_MIN_SHIFT);
static struct klp_shadow_table *klp_shadow_future;
static DEFINE_STATIC_KEY_TRUE(klp_shadow_table0_direct);
static unsigned long klp_shadow_moved;
static unsigned long klp_shadow_nelems;
static unsigned long klp_shadow_grow_at = (1UL << KLP_SHADOW_MIN_SHIFT) / 2;
static unsigned long klp_shadow_shrink_at;

static void klp_shadow_resize_fn(struct work_struct *work);
static DECLARE_WORK(klp_shadow_resize_work, klp_shadow_resize_fn);

static void klp_shadow_resize_irq(struct irq_work *work)
{
	queue_work(system_unbound_wq, &klp_shadow_resize_work);
}

static DEFINE_IRQ_WORK(klp_shadow_resize_irq_work, klp_shadow_resize_irq);

DEFINE_HASHTABLE(klp_shadow_ids, KLP_SHADOW_IDS_BITS);

/*
 * The bucket of a variable: by its parent alone, so that the few variables
 * of one parent share a chain. In a table of 1 << (BITS_PER_LONG - @rshift)
 * buckets, as readers of klp_shadow_desc find it: hash_long()'s value, from
 * the right shift the descriptor holds, and not narrowed to u32 as
 * hash_long() returns it (a reader would extend it back, an instruction).
 */
static unsigned long klp_shadow_hash_rshift(void *obj, unsigned int rshift)
{
	return (unsigned long)obj * GOLDEN_RATIO_PRIME >> rshift;
}

/* The same, in a table of 1 << @shift buckets. */
static u32 klp_shadow_hash(void *obj, unsigned int shift)
{
	return klp_shadow_hash_rshift(obj, BITS_PER_LONG - shift);
}

/* A pointer of the tables, for the holder of klp_shadow_lock. */
#define klp_shadow_deref(p)	\
	rcu_dereference_protected(p, lockdep_is_held(&klp_shadow_lock))

/* The table in use, for the holder of klp_shadow_lock. */
static struct klp_shadow_table *klp_shadow_table_locked(void)
{
	lockdep_assert_held(&klp_shadow_lock);
	return klp_shadow_tbl;
}

static unsigned long klp_shadow_desc_of(struct klp_shadow_table *tbl)
{
	BUILD_BUG_ON(KLP_SHADOW_MAX_SHIFT >= 32);	/* u32 bucket numbers */
	BUILD_BUG_ON(BITS_PER_LONG - KLP_SHADOW_MIN_SHIFT >
		     KLP_SHADOW_DESC_RSHIFT_MASK);
	BUILD_BUG_ON(KLP_SHADOW_DESC_LINK >= KLP_SHADOW_DESC_ALIGN);

	return (unsigned long)tbl->buckets | (BITS_PER_LONG - tbl->shift) |
	       (tbl->link ? KLP_SHADOW_DESC_LINK : 0);
}

/*
 * The data of the variable of @obj with @key, or NULL: a walk of the chain
 * from bucket @head through @link, under rcu_read_lock(). It returns the
 * data, not the variable, from within the walk: a hit then costs no test
 * of the variable's address once found.
 */
static __always_inline void *klp_shadow_walk(struct klp_shadow __rcu **head,
					     unsigned int link, void *obj,
					     unsigned long key)
{
	struct klp_shadow *shadow;

	for (shadow = rcu_dereference(*head); shadow;
	     shadow = rcu_dereference(shadow->next[link])) {
		if (shadow->obj == obj && shadow->key == key)
			return shadow->data;
	}
	return NULL;
}

/*
 * __klp_shadow_lookup() in the static smallest table, while
 * klp_shadow_table0_direct says it is the one in use.
 */
static __always_inline void *klp_shadow_get_direct(void *obj,
						   unsigned long key)
{
	u32 bkt = klp_shadow_hash(obj, KLP_SHADOW_MIN_SHIFT);

	return klp_shadow_walk(&klp_shadow_buckets0[bkt], 0, obj, key);
}

/*
 * __klp_shadow_lookup() in the table klp_shadow_desc describes, whichever it
 * is, under the caller's rcu_read_lock(). Out of line: inlined beside
 * klp_shadow_get_direct(), the registers the descriptor needs cost that
 * path a move.
 */
static noinline void *klp_shadow_get_desc(void *obj, unsigned long key)
{
	struct klp_shadow __rcu **buckets;
	unsigned long desc, bkt;

	/* Pairs with smp_store_release() in klp_shadow_resize_fn(). */
	desc = READ_ONCE(klp_shadow_desc);
	buckets = (struct klp_shadow __rcu **)
		  (desc & ~(KLP_SHADOW_DESC_ALIGN - 1UL));
	bkt = klp_shadow_hash_rshift(obj, desc & KLP_SHADOW_DESC_RSHIFT_MASK);
	return klp_shadow_walk(&buckets[bkt], !!(desc & KLP_SHADOW_DESC_LINK),
			       obj, key);
}

/* Link @shadow into the future table: no reader sees it before it is published. */
static void klp_shadow_link_future(struct klp_shadow_table *new,
				   struct klp_shadow *shadow)
{
	struct klp_shadow __rcu **head;

	head = &new->buckets[klp_shadow_hash(shadow->obj, new->shift)];
	RCU_INIT_POINTER(shadow->next[new->link], klp_shadow_deref(*head));
	RCU_INIT_POINTER(*head, shadow);
}

/* Unlink @shadow from @tbl; a reader on it goes on to the next one. */
static void klp_shadow_unlink_from(struct klp_shadow_table *tbl,
				   struct klp_shadow *shadow)
{
	struct klp_shadow __rcu **pprev;
	struct klp_shadow *pos;

	pprev = &tbl->buckets[klp_shadow_hash(shadow->obj, tbl->shift)];
	for (;;) {
		pos = klp_shadow_deref(*pprev);
		if (WARN_ON_ONCE(!pos) || pos == shadow)
			break;
		pprev = &pos->next[tbl->link];
	}
	if (pos)
		RCU_INIT_POINTER(*pprev, klp_shadow_deref(shadow->next[tbl->link]));
}

/*
 * The shift a table of 1 << @shift buckets should have for @n variables:
 * the same from one variable per two buckets down to one per eight, else
 * two buckets per variable, rounded up, within KLP_SHADOW_MIN_SHIFT and
 * KLP_SHADOW_MAX_SHIFT.
 */
VISIBLE_IF_KUNIT unsigned int klp_shadow_wanted_shift(unsigned long n,
						      unsigned int shift)
{
	if (n <= (1UL << shift) / 2 && (n >= (1UL << shift) / 8 ||
					shift == KLP_SHADOW_MIN_SHIFT))
		return shift;
	if (n >= 1UL << (KLP_SHADOW_MAX_SHIFT - 1))
		return KLP_SHADOW_MAX_SHIFT;
	return max_t(unsigned int, KLP_SHADOW_MIN_SHIFT,
		     n ? ilog2(roundup_pow_of_two(2 * n)) : 0);
}

/* Set the populations that call for a resize of a table of 1 << @shift. */
static void klp_shadow_set_limits(unsigned int shift)
{
	lockdep_assert_held(&klp_shadow_lock);

	klp_shadow_grow_at = shift < KLP_SHADOW_MAX_SHIFT ? (1UL << shift) / 2 : ULONG_MAX;
	klp_shadow_shrink_at = shift > KLP_SHADOW_MIN_SHIFT ? (1UL << shift) / 8 : 0;
}

/* Have the worker resize the table; no more kicks until it set new limits. */
static void klp_shadow_resize_kick(void)
{
	lockdep_assert_held(&klp_shadow_lock);

	klp_shadow_grow_at = ULONG_MAX;
	klp_shadow_shrink_at = 0;
	irq_work_queue(&klp_shadow_resize_irq_work);
}

/*
 * Whether the holder of klp_shadow_lock may take the table in use for the
 * static smallest one through link 0, with no future table, and use their
 * constants instead of loading klp_shadow_tbl's fields and checking for a
 * resize. While klp_shadow_table0_direct is on, it may:
 * klp_shadow_resize_fn(), the only code that changes the table, turns it
 * on only while that table is in use with no resize in progress, and
 * starts a resize, under the lock, only once static_branch_disable()
 * returned: every CPU runs the code with the key off by then, so that no
 * holder after the worker sees it on. The worker flips the key outside
 * the lock, and the table does not change within one hold: a holder that
 * reads the key twice may see it change either way, and both readings
 * describe the same table.
 */
static __always_inline bool klp_shadow_direct_locked(void)
{
	bool direct = static_branch_likely(&klp_shadow_table0_direct);

	lockdep_assert_held(&klp_shadow_lock);
	lockdep_assert_once(!direct || (klp_shadow_tbl == &klp_shadow_table0 &&
					!klp_shadow_tbl->link &&
					!klp_shadow_future));
	return direct;
}

/*
 * Find <@obj, @id> in the table in use, for the holder of klp_shadow_lock:
 * its bucket in *@bkt, and in *@pprev the link that points to it, or the
 * NULL link that ends the chain if it is not there.
 *
 * Always inlined, as klp_shadow_table_del_at(): out of line, their calls
 * and *@bkt and *@pprev passed through the stack made a quarter of the
 * instructions klp_shadow_free() runs besides the lock and kfree_rcu().
 */
static __always_inline struct klp_shadow *
klp_shadow_find_prev(void *obj, unsigned long key, u32 *bkt,
		     struct klp_shadow __rcu ***pprev)
{
	struct klp_shadow_table *tbl;
	struct klp_shadow *pos;
	unsigned int link;

	if (klp_shadow_direct_locked()) {
		*bkt = klp_shadow_hash(obj, KLP_SHADOW_MIN_SHIFT);
		*pprev = &klp_shadow_buckets0[*bkt];
		link = 0;
	} else {
		tbl = klp_shadow_table_locked();
		*bkt = klp_shadow_hash(obj, tbl->shift);
		*pprev = &tbl->buckets[*bkt];
		link = tbl->link;
	}
	while ((pos = klp_shadow_deref(**pprev))) {
		if (pos->obj == obj && pos->key == key)
			break;
		*pprev = &pos->next[link];
	}
	return pos;
}

/*
 * Add @shadow at the head of bucket @bkt of the table in use, where
 * klp_shadow_find_prev() did not find it (as upstream's hash_add_rcu()
 * adds, the newest first), and to the future table if that bucket was
 * copied there. Always inlined, as klp_shadow_find_prev(): its one caller
 * is the allocation.
 */
static __always_inline void klp_shadow_table_add(struct klp_shadow *shadow,
						 u32 bkt)
{
	struct klp_shadow_table *tbl;
	struct klp_shadow __rcu **head;
	unsigned int link;

	if (klp_shadow_direct_locked()) {
		head = &klp_shadow_buckets0[bkt];
		link = 0;
	} else {
		tbl = klp_shadow_table_locked();
		head = &tbl->buckets[bkt];
		link = tbl->link;
		if (klp_shadow_future && bkt < klp_shadow_moved)
			klp_shadow_link_future(klp_shadow_future, shadow);
	}
	RCU_INIT_POINTER(shadow->next[link], klp_shadow_deref(*head));
	/* Its fields and links before its address. */
	rcu_assign_pointer(*head, shadow);
	if (unlikely(++klp_shadow_nelems > klp_shadow_grow_at))
		klp_shadow_resize_kick();
}

/*
 * Remove @shadow, which @pprev points to in bucket @bkt of the table in
 * use (found by klp_shadow_find_prev()), from that table, and from the
 * future one if it is there.
 */
static __always_inline void
klp_shadow_table_del_at(struct klp_shadow *shadow, u32 bkt,
			struct klp_shadow __rcu **pprev)
{
	bool direct = klp_shadow_direct_locked();
	unsigned int link = direct ? 0 : klp_shadow_table_locked()->link;

	RCU_INIT_POINTER(*pprev, klp_shadow_deref(shadow->next[link]));
	if (!direct && unlikely(klp_shadow_future) && bkt < klp_shadow_moved)
		klp_shadow_unlink_from(klp_shadow_future, shadow);
	if (unlikely(--klp_shadow_nelems < klp_shadow_shrink_at))
		klp_shadow_resize_kick();
}

/*
 * Remove @shadow from the table, and from the future one if it is there.
 * Return: false if it was not in the table (a bug): it must not be freed.
 */
static bool klp_shadow_table_del(struct klp_shadow *shadow)
{
	struct klp_shadow __rcu **pprev;
	u32 bkt;

	if (WARN_ON_ONCE(klp_shadow_find_prev(shadow->obj, shadow->key, &bkt,
					      &pprev) != shadow))
		return false;
	klp_shadow_table_del_at(shadow, bkt, pprev);
	return true;
}

/*
 * An empty table of 1 << @shift buckets chained through @link: the static
 * one for the smallest size through link 0, the only one the direct path
 * walks.
 */
static struct klp_shadow_table *klp_shadow_table_alloc(unsigned int shift,
						       unsigned int link)
{
	struct klp_shadow_table *tbl;

	if (shift == KLP_SHADOW_MIN_SHIFT && !link) {
		/* Not in use since a grace period after the resize that left it. */
		tbl = &klp_shadow_table0;
		memset(klp_shadow_buckets0, 0, sizeof(klp_shadow_buckets0));
	} else {
		tbl = kmalloc(sizeof(*tbl), GFP_KERNEL);
		if (!tbl)
			return NULL;
		/*
		 * A power-of-two kmalloc is aligned to its size, a larger
		 * vmalloc to a page: more than KLP_SHADOW_DESC_ALIGN.
		 */
		tbl->buckets = kvcalloc(1UL << shift, sizeof(*tbl->buckets),
					GFP_KERNEL | __GFP_NOWARN);
		if (!tbl->buckets ||
		    WARN_ON_ONCE(!IS_ALIGNED((unsigned long)tbl->buckets,
					     KLP_SHADOW_DESC_ALIGN))) {
			kvfree(tbl->buckets);
			kfree(tbl);
			return NULL;
		}
		tbl->shift = shift;
	}
	tbl->link = link;
	return tbl;
}

static void klp_shadow_table_free(struct klp_shadow_table *tbl)
{
	if (tbl == &klp_shadow_table0)
		return;
	kvfree(tbl->buckets);
	kfree(tbl);
}

/*
 * Link the variables of the buckets of @tbl from klp_shadow_moved on into
 * @new, until KLP_SHADOW_RESIZE_BATCH buckets or KLP_SHADOW_RESIZE_ENTRIES
 * variables are done (a bucket is copied whole).
 *
 * Return: true when every bucket is copied.
 */
static bool klp_shadow_copy_buckets(struct klp_shadow_table *tbl,
				    struct klp_shadow_table *new)
{
	unsigned long end = min(klp_shadow_moved + KLP_SHADOW_RESIZE_BATCH,
				1UL << tbl->shift);
	struct klp_shadow *shadow;
	unsigned int entries = 0;

	lockdep_assert_held(&klp_shadow_lock);

	while (klp_shadow_moved < end && entries < KLP_SHADOW_RESIZE_ENTRIES) {
		shadow = klp_shadow_deref(tbl->buckets[klp_shadow_moved]);
		for (; shadow; shadow = klp_shadow_deref(shadow->next[tbl->link])) {
			klp_shadow_link_future(new, shadow);
			entries++;
		}
		klp_shadow_moved++;
	}
	return klp_shadow_moved == 1UL << tbl->shift;
}

/*
 * Resize the table to the number of variables, as often as that changes
 * while it runs. When no table can be allocated, the next try waits for
 * twice or half as many variables. A shrink to the smallest size through
 * link 1 is followed by a copy into the static table through link 0, so
 * that readers get their direct path back.
 */
static void klp_shadow_resize_fn(struct work_struct *work)
{
	struct klp_shadow_table *tbl, *new;
	unsigned long flags;
	unsigned int shift;
	bool done, stay;

	for (;;) {
		spin_lock_irqsave(&klp_shadow_lock, flags);
		tbl = klp_shadow_table_locked();
		shift = klp_shadow_wanted_shift(klp_shadow_nelems, tbl->shift);
		stay = shift == tbl->shift &&
		       (shift != KLP_SHADOW_MIN_SHIFT || tbl == &klp_shadow_table0);
		if (stay)
			klp_shadow_set_limits(shift);
		spin_unlock_irqrestore(&klp_shadow_lock, flags);
		if (stay) {
			/* No reader walks another table since its resize. */
			if (tbl == &klp_shadow_table0)
				static_branch_enable(&klp_shadow_table0_direct);
			return;
		}

		/*
		 * Readers, and writers under the lock, leave the smallest
		 * table's direct path before a future table is set.
		 */
		if (tbl == &klp_shadow_table0)
			static_branch_disable(&klp_shadow_table0_direct);
		new = klp_shadow_table_alloc(shift, tbl->link ^ 1);
		spin_lock_irqsave(&klp_shadow_lock, flags);
		if (!new) {
			klp_shadow_grow_at = 2 * klp_shadow_nelems;
			klp_shadow_shrink_at = klp_shadow_nelems / 2;
			spin_unlock_irqrestore(&klp_shadow_lock, flags);
			/* Readers never left the smallest table. */
			if (tbl == &klp_shadow_table0)
				static_branch_enable(&klp_shadow_table0_direct);
			return;
		}
		klp_shadow_future = new;
		klp_shadow_moved = 0;
		spin_unlock_irqrestore(&klp_shadow_lock, flags);

		do {
			spin_lock_irqsave(&klp_shadow_lock, flags);
			done = klp_shadow_copy_buckets(tbl, new);
			if (done) {
				klp_shadow_tbl = new;
				/* The new buckets and links before their address. */
				smp_store_release(&klp_shadow_desc,
						  klp_shadow_desc_of(new));
				klp_shadow_future = NULL;
				klp_shadow_set_limits(new->shift);
			}
			spin_unlock_irqrestore(&klp_shadow_lock, flags);
			cond_resched();
		} while (!done);

		/* No reader walks the old table, nor its link, any more. */
		synchronize_rcu();
		klp_shadow_table_free(tbl);
	}
}

/* Find the record of @id. The caller holds klp_shadow_lock or rcu_read_lock(). */
static struct klp_shadow_id *klp_shadow_id_find(unsigned long id)
{
	struct klp_shadow_id *rec;

	hash_for_each_possible_rcu(klp_shadow_ids, rec, node, id,
				   lockdep_is_held(&klp_shadow_lock)) {
		if (rec->id == id)
			return rec;
	}
	return NULL;
}

static struct klp_shadow_id *klp_shadow_id_alloc(unsigned long id, gfp_t gfp)
{
	struct klp_shadow_id *rec;

	rec = kzalloc(sizeof(*rec), gfp);
	if (!rec)
		return NULL;
	rec->id = id;
	INIT_LIST_HEAD(&rec->owners);
	INIT_LIST_HEAD(&rec->vars);
	INIT_LIST_HEAD(&rec->untyped);
	INIT_LIST_HEAD(&rec->dead);
	INIT_LIST_HEAD(&rec->collect_node);
	return rec;
}

static void klp_shadow_id_free_rcu(struct rcu_head *head)
{
	struct klp_shadow_id *rec = container_of(head, struct klp_shadow_id,
						 rcu_head);

	kfree(rec->name);
	kfree(rec);
}

/*
 * Return the record of @id, adding @new_rec if there is none; consumes
 * @new_rec. Always inlined: it is on the path of every allocation.
 */
static __always_inline struct klp_shadow_id *
klp_shadow_id_get(unsigned long id, struct klp_shadow_id **new_rec)
{
	struct klp_shadow_id *rec;

	lockdep_assert_held(&klp_shadow_lock);

	rec = klp_shadow_id_find(id);
	if (!rec && *new_rec) {
		rec = *new_rec;
		*new_rec = NULL;
		hash_add_rcu(klp_shadow_ids, &rec->node, id);
	}
	return rec;
}

/* Drop @rec from the registry if nothing uses it any more. */
static void klp_shadow_id_put(struct klp_shadow_id *rec)
{
	lockdep_assert_held(&klp_shadow_lock);

	if (rec->refcount || rec->collecting || rec->live)
		return;
	hash_del_rcu(&rec->node);
	call_rcu(&rec->rcu_head, klp_shadow_id_free_rcu);
}

#if IS_ENABLED(CONFIG_LIVEPATCH_SHADOW_KUNIT_TEST)
/* Grace periods waited for by collections, counted for the KUnit tests. */
unsigned int klp_shadow_test_grace_periods;
#endif

/*
 * Take @shadow, unlinked from the table, off its record @rec. Its id_node
 * is not poisoned: it is reused, in a list of the dead or as the
 * rcu_head that frees it.
 */
static __always_inline void klp_shadow_untrack(struct klp_shadow *shadow,
					       struct klp_shadow_id *rec)
{
	lockdep_assert_held(&klp_shadow_lock);

	__list_del_entry(&shadow->id_node);
	WRITE_ONCE(rec->live, rec->live - 1);
	WRITE_ONCE(rec->bytes, rec->bytes - shadow->size);
}

/*
 * Variables klp_shadow_unlink() did not find in the table (a bug, warned
 * about), under klp_shadow_lock: still counted in their record, so that a
 * klp_shadow_free() that finds them later takes them off this list and
 * their record as it would off the record's.
 */
static LIST_HEAD(klp_shadow_stray);

/*
 * Unlink @shadow from the table and from its record @rec. Return: false
 * if it was not in the table: a reader may still reach it, so it is left
 * alone, moved to klp_shadow_stray, and must not be freed.
 */
static bool klp_shadow_unlink(struct klp_shadow *shadow,
			      struct klp_shadow_id *rec)
{
	if (!klp_shadow_table_del(shadow)) {
		list_move(&shadow->id_node, &klp_shadow_stray);
		return false;
	}
	klp_shadow_untrack(shadow, rec);
	return true;
}

/**
 * __klp_shadow_lookup() - retrieve a shadow variable data pointer by its key
 * @obj:	pointer to parent object
 * @key:	the variable's key: ~id
 *
 * Not an API of its own: call klp_shadow_get() or klp_shadow_type_get(),
 * which compute @key inline. The table keeps a variable by ~id so that the
 * key of a type without a reference, 0 as in a type just defined, is that
 * of no variable (the id KLP_SHADOW_ID_RESERVED is refused), and so that a
 * typed get runs an id get's instructions.
 *
 * Context: Any context.
 * Return: the shadow variable data element, NULL if there is none.
 */
void *__klp_shadow_lookup(void *obj, unsigned long key)
{
	void *data;

	/*
	 * The static key's test and the walk in one read-side section: the
	 * worker reuses the static table's link, or clears its buckets, only a
	 * grace period after it turned the static key off and published
	 * another table.
	 */
	rcu_read_lock();
	if (static_branch_likely(&klp_shadow_table0_direct))
		data = klp_shadow_get_direct(obj, key);
	else
		data = klp_shadow_get_desc(obj, key);
	rcu_read_unlock();

	return data;
}
EXPORT_SYMBOL_GPL(__klp_shadow_lookup);

/* The id-based API asked for the reserved id: say so once, and refuse. */
static noinline __cold void *klp_shadow_id_reserved(unsigned long ip)
{
	unsigned long flags;

	BUILD_BUG_ON(~KLP_SHADOW_ID_RESERVED != 0);
	/* Deferred: the caller may hold a scheduler lock. */
	local_irq_save(flags);
	printk_deferred_enter();
	pr_err_once("shadow id %lu is reserved (%pS)\n", KLP_SHADOW_ID_RESERVED,
		    (void *)ip);
	printk_deferred_exit();
	local_irq_restore(flags);
	return NULL;
}

/*
 * Get <@obj, @id>, or allocate it. With @type (the typed API), the
 * variable is added only while a reference is held through @type, checked
 * under klp_shadow_lock: a collection starts by dropping the last one
 * under that lock, so a variable is either added before, and collected,
 * or refused.
 *
 * Only get_or_alloc looks for an existing variable before allocating: for
 * alloc, one is a caller's bug, found under the lock all the same. The
 * record of @id is looked up once, under the lock; the first variable of
 * an id allocates it outside the lock and tries again. The id-based API
 * refuses KLP_SHADOW_ID_RESERVED, whose key is that of a type without a
 * reference; a type never has it.
 *
 * Always inlined into each of the four accessors, so that @warn_on_exist,
 * and whether @type is NULL in the id-based ones, are constants there: a
 * call with eight arguments, two of them on x86-64's stack, and the tests
 * of both were 16 instructions of an allocation among 1000 variables (314
 * then 298; upstream's 285), for about 3 KB more text.
 */
static __always_inline void *
__klp_shadow_get_or_alloc(void *obj, unsigned long id, size_t size,
			  gfp_t gfp_flags, klp_shadow_ctor_t ctor, void *ctor_data,
			  struct klp_shadow_type *type, bool warn_on_exist)
{
	struct klp_shadow_id *rec, *new_rec = NULL;
	struct klp_shadow *shadow, *new_shadow;
	struct klp_shadow __rcu **pprev;
	unsigned long flags;
	u32 bkt;
	int err = 0;

	if (!type && unlikely(id == KLP_SHADOW_ID_RESERVED))
		return klp_shadow_id_reserved(_RET_IP_);
	if (!warn_on_exist) {
		void *data = klp_shadow_get(obj, id);

		if (data)
			return data;
	}

	/* Allocate outside the lock, zeroed; @ctor runs only if it is used. */
	new_shadow = kzalloc(struct_size(new_shadow, data, size), gfp_flags);
	if (!new_shadow)
		return NULL;
	new_shadow->obj = obj;
	new_shadow->key = ~id;
	new_shadow->size = size;

retry:
	spin_lock_irqsave(&klp_shadow_lock, flags);
	shadow = klp_shadow_find_prev(obj, ~id, &bkt, &pprev);
	if (unlikely(shadow)) {
		spin_unlock_irqrestore(&klp_shadow_lock, flags);
		kfree(new_rec);
		kfree(new_shadow);
		goto exists;
	}
	rec = klp_shadow_id_get(id, &new_rec);
	if (unlikely(!rec)) {
		spin_unlock_irqrestore(&klp_shadow_lock, flags);
		new_rec = klp_shadow_id_alloc(id, gfp_flags);
		if (new_rec)
			goto retry;
		kfree(new_shadow);
		return NULL;
	}
	if (type && !type->nr_refs) {
		/* Refused: the type lost its last reference meanwhile. */
		err = -ENOENT;
	} else if (ctor) {
		err = ctor(obj, new_shadow->data, ctor_data);
		if (err)
			pr_err("Failed to construct shadow variable <%p, %lx> (%d)\n",
			       obj, id, err);
	}
	if (err) {
		klp_shadow_id_put(rec);
	} else {
		klp_shadow_table_add(new_shadow, bkt);
		list_add(&new_shadow->id_node, type ? &rec->vars : &rec->untyped);
		WRITE_ONCE(rec->live, rec->live + 1);
		WRITE_ONCE(rec->bytes, rec->bytes + size);
	}
	spin_unlock_irqrestore(&klp_shadow_lock, flags);

	/* Only after a retry, when the record was added meanwhile. */
	if (unlikely(new_rec))
		kfree(new_rec);
	if (err) {
		kfree(new_shadow);
		return NULL;
	}
	return new_shadow->data;

exists:
	if (warn_on_exist) {
		WARN(1, "Duplicate shadow variable <%p, %lx>\n", obj, id);
		return NULL;
	}
	return shadow->data;
}

/**
 * klp_shadow_alloc() - allocate and add a new shadow variable
 * @obj:	pointer to parent object
 * @id:		data identifier
 * @size:	size of attached data
 * @gfp_flags:	GFP mask for allocation
 * @ctor:	custom constructor to initialize the shadow data (optional)
 * @ctor_data:	pointer to any data needed by @ctor (optional)
 *
 * Allocates @size bytes for new shadow variable data using @gfp_flags.
 * The data are zeroed by default and further initialized by @ctor, which
 * is called only when no variable <obj, id> exists, just before the new
 * one is added, in atomic context under a spinlock; once it succeeds, the
 * variable is added. If <obj, id> exists already, this routine issues a
 * WARN and returns NULL.
 *
 * Context: Any context that @gfp_flags allow.
 * Return: the shadow variable data element, NULL on duplicate or failure,
 * and for the id KLP_SHADOW_ID_RESERVED, which no variable may have.
 */
void *klp_shadow_alloc(void *obj, unsigned long id,
		       size_t size, gfp_t gfp_flags,
		       klp_shadow_ctor_t ctor, void *ctor_data)
{
	return __klp_shadow_get_or_alloc(obj, id, size, gfp_flags,
					 ctor, ctor_data, NULL, true);
}
EXPORT_SYMBOL_GPL(klp_shadow_alloc);

/**
 * klp_shadow_get_or_alloc() - get existing or allocate a new shadow variable
 * @obj:	pointer to parent object
 * @id:		data identifier
 * @size:	size of attached data
 * @gfp_flags:	GFP mask for allocation
 * @ctor:	custom constructor to initialize the shadow data (optional)
 * @ctor_data:	pointer to any data needed by @ctor (optional)
 *
 * Returns the existing <obj, id> shadow data if there is one, otherwise
 * creates the variable like klp_shadow_alloc(). Only one variable ever
 * exists for <obj, id>, and @ctor runs only for the one that is added, in
 * atomic context under a spinlock.
 *
 * Context: Any context that @gfp_flags allow.
 * Return: the shadow variable data element, NULL on failure, and for the
 * id KLP_SHADOW_ID_RESERVED, which no variable may have.
 */
void *klp_shadow_get_or_alloc(void *obj, unsigned long id,
			      size_t size, gfp_t gfp_flags,
			      klp_shadow_ctor_t ctor, void *ctor_data)
{
	return __klp_shadow_get_or_alloc(obj, id, size, gfp_flags,
					 ctor, ctor_data, NULL, false);
}
EXPORT_SYMBOL_GPL(klp_shadow_get_or_alloc);

/*
 * Call @dtor on the unlinked variables of @dead, in the caller's context,
 * and free each after a grace period. No lock of the registry is held.
 */
static void klp_shadow_free_unlinked(struct list_head *dead,
				     klp_shadow_dtor_t dtor)
{
	struct klp_shadow *shadow, *tmp;

	list_for_each_entry_safe(shadow, tmp, dead, id_node) {
		if (dtor)
			dtor(shadow->obj, shadow->data);
		kfree_rcu(shadow, rcu_head);
	}
}

/**
 * klp_shadow_free() - detach and free a <obj, id> shadow variable
 * @obj:	pointer to parent object
 * @id:		data identifier
 * @dtor:	custom callback that can be used to unregister the variable
 *		and/or free data that the shadow variable points to (optional)
 *
 * Releases this <obj, id> shadow variable; callers should stop referencing
 * it. @dtor runs once the variable is unlinked, in the caller's context,
 * with no lock of the registry held; the memory is freed after an RCU
 * grace period.
 *
 * Context: Any context; @dtor runs in the same.
 */
void klp_shadow_free(void *obj, unsigned long id, klp_shadow_dtor_t dtor)
{
	struct klp_shadow __rcu **pprev;
	struct klp_shadow *shadow;
	struct klp_shadow_id *rec;
	unsigned long flags;
	u32 bkt;

	spin_lock_irqsave(&klp_shadow_lock, flags);
	/* One walk of the chain finds the variable and unlinks it. */
	shadow = klp_shadow_find_prev(obj, ~id, &bkt, &pprev);
	if (shadow) {
		rec = klp_shadow_id_find(id);
		if (!WARN_ON_ONCE(!rec)) {
			klp_shadow_table_del_at(shadow, bkt, pprev);
			klp_shadow_untrack(shadow, rec);
			klp_shadow_id_put(rec);
		} else {
			shadow = NULL;
		}
	}
	/* Without a dtor, queue the free while IRQs are off anyway. */
	if (shadow && !dtor)
		kfree_rcu(shadow, rcu_head);
	spin_unlock_irqrestore(&klp_shadow_lock, flags);

	if (shadow && dtor) {
		dtor(obj, shadow->data);
		kfree_rcu(shadow, rcu_head);
	}
}
EXPORT_SYMBOL_GPL(klp_shadow_free);

/**
 * klp_shadow_free_all() - detach and free all <_, id> shadow variables
 * @id:		data identifier
 * @dtor:	custom callback that can be used to unregister the variable
 *		and/or free data that the shadow variable points to (optional)
 *
 * Releases every <_, id> shadow variable, made through a type or not;
 * callers should stop referencing them. It walks only the variables with
 * @id. @dtor runs on each once all are unlinked, in the caller's context,
 * with no lock of the registry held. Types referenced through the registry
 * do not need this: their variables are collected when the last reference
 * goes.
 *
 * Context: Any context; @dtor runs in the same.
 */
void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor)
{
	struct klp_shadow *shadow, *tmp;
	struct klp_shadow_id *rec;
	unsigned long flags;
	LIST_HEAD(dead);

	spin_lock_irqsave(&klp_shadow_lock, flags);
	rec = klp_shadow_id_find(id);
	if (rec) {
		list_for_each_entry_safe(shadow, tmp, &rec->vars, id_node) {
			if (klp_shadow_unlink(shadow, rec))
				list_add_tail(&shadow->id_node, &dead);
		}
		list_for_each_entry_safe(shadow, tmp, &rec->untyped, id_node) {
			if (klp_shadow_unlink(shadow, rec))
				list_add_tail(&shadow->id_node, &dead);
		}
		klp_shadow_id_put(rec);
	}
	spin_unlock_irqrestore(&klp_shadow_lock, flags);

	klp_shadow_free_unlinked(&dead, dtor);
}
EXPORT_SYMBOL_GPL(klp_shadow_free_all);

/*
 * Holders whose transition was forced: their references are never dropped,
 * since tasks may still run their old code (the core never frees their
 * modules either). Protected by klp_shadow_mutex.
 */
static LIST_HEAD(klp_shadow_kept);

/*
 * Unlink every variable of @rec made through a type onto @rec->dead, in
 * batches of KLP_SHADOW_BATCH per klp_shadow_lock section, and queue @rec
 * on @collection to have them destroyed through @dtor by
 * klp_shadow_collection_end(). Variables of the id made with the id-based
 * API stay: no type made them. The caller holds klp_shadow_mutex and has
 * raised @rec->collecting.
 */
static void klp_shadow_collect(struct klp_shadow_id *rec,
			       klp_shadow_dtor_t dtor,
			       struct list_head *collection)
{
	struct klp_shadow *shadow;
	unsigned long flags;
	unsigned int i;
	bool more;

	lockdep_assert_held(&klp_shadow_mutex);
	might_sleep();

	do {
		spin_lock_irqsave(&klp_shadow_lock, flags);
		for (i = 0; i < KLP_SHADOW_BATCH && !list_empty(&rec->vars); i++) {
			shadow = list_first_entry(&rec->vars, struct klp_shadow,
						  id_node);
			if (klp_shadow_unlink(shadow, rec))
				list_add_tail(&shadow->id_node, &rec->dead);
		}
		more = !list_empty(&rec->vars);
		spin_unlock_irqrestore(&klp_shadow_lock, flags);
		cond_resched();
	} while (more);

	/*
	 * Dropped twice in one release event: the first queueing holds it.
	 * (A deferred event's ids are not dropped again by another: a new
	 * reference on one ends that collection first.)
	 */
	if (!list_empty(&rec->collect_node)) {
		spin_lock_irqsave(&klp_shadow_lock, flags);
		rec->collecting--;
		spin_unlock_irqrestore(&klp_shadow_lock, flags);
		return;
	}
	rec->dtor = dtor;
	list_add_tail(&rec->collect_node, collection);
}

/*
 * Ids whose variables a release event unlinked, under klp_mutex,
 * waiting for klp_shadow_release_finish(). Protected by klp_shadow_mutex.
 */
static LIST_HEAD(klp_shadow_deferred);

/*
 * Finish the collections queued on @collection, and the deferred ones: one
 * RCU grace period for all of them, so that no reader still sees a
 * variable, then each variable's destructor, in process context, with no
 * lock of the registry held but klp_shadow_mutex. Records nothing uses any
 * more go. With @report, the number freed per id goes to the debug log.
 *
 * Return: the number of variables freed.
 */
VISIBLE_IF_KUNIT unsigned long
klp_shadow_collection_end(struct list_head *collection, bool report)
{
	struct klp_shadow_id *rec, *tmp_rec;
	struct klp_shadow *shadow, *tmp;
	unsigned long flags, n, total = 0;

	lockdep_assert_held(&klp_shadow_mutex);

	list_splice_tail_init(&klp_shadow_deferred, collection);
	if (list_empty(collection))
		return 0;
	synchronize_rcu();
#if IS_ENABLED(CONFIG_LIVEPATCH_SHADOW_KUNIT_TEST)
	klp_shadow_test_grace_periods++;
#endif

	list_for_each_entry_safe(rec, tmp_rec, collection, collect_node) {
		n = 0;
		list_for_each_entry_safe(shadow, tmp, &rec->dead, id_node) {
			list_del(&shadow->id_node);
			if (rec->dtor)
				rec->dtor(shadow->obj, shadow->data);
			kfree(shadow);
			n++;
			cond_resched();
		}
		if (report)
			pr_debug("shadow id %lu ('%s'): %lu variables freed\n",
				 rec->id, rec->name ?: "", n);
		total += n;

		list_del_init(&rec->collect_node);
		spin_lock_irqsave(&klp_shadow_lock, flags);
		rec->collecting--;
		klp_shadow_id_put(rec);
		spin_unlock_irqrestore(&klp_shadow_lock, flags);
	}
	return total;
}

/**
 * klp_shadow_name_valid() - may a shadow type have this name?
 * @name:	the name
 *
 * Names are shown one per line in sysfs and debugfs, and as part of paths
 * by the tools: 1 to KLP_SHADOW_NAME_MAX printable ASCII characters, no
 * '/'.
 *
 * Return: true if @name is valid.
 */
VISIBLE_IF_KUNIT bool klp_shadow_name_valid(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strnlen(name, KLP_SHADOW_NAME_MAX + 1);
	if (!len || len > KLP_SHADOW_NAME_MAX)
		return false;
	for (; *name; name++) {
		if (*name < 0x20 || *name > 0x7e || *name == '/')
			return false;
	}
	return true;
}

/* A type needs a valid name, and an id that variables may have. */
static int klp_shadow_type_valid(struct klp_shadow_type *type,
				 const char *owner)
{
	if (!klp_shadow_name_valid(type->name)) {
		pr_err("shadow id %lu of %s: invalid name\n", type->id, owner);
		return -EINVAL;
	}
	if (type->id == KLP_SHADOW_ID_RESERVED) {
		pr_err("shadow id %lu of %s: the id is reserved\n", type->id,
		       owner);
		return -EINVAL;
	}
	return 0;
}

/* May @owner take a reference on @rec through @type? */
static int klp_shadow_check(struct klp_shadow_id *rec,
			    struct klp_shadow_type *type, const char *owner)
{
	struct klp_shadow_owner *own;

	lockdep_assert_held(&klp_shadow_lock);

	if (rec->refcount && strcmp(rec->name, type->name)) {
		own = list_first_entry(&rec->owners, struct klp_shadow_owner,
				       node);
		pr_err("shadow id %lu: name '%s' of %s conflicts with '%s' of %s\n",
		       type->id, type->name, owner, rec->name, own->name);
		return -EINVAL;
	}
	if (rec->nr_owners >= KLP_SHADOW_MAX_OWNERS) {
		pr_err("shadow id %lu: %s refused: %u holders already, the most 'owners' can show\n",
		       type->id, owner, rec->nr_owners);
		return -ENOSPC;
	}

	list_for_each_entry(own, &rec->owners, node) {
		if (!strcmp(own->name, owner)) {
			pr_err("shadow id %lu: already referenced by %s\n",
			       type->id, owner);
			return -EEXIST;
		}
	}
	return 0;
}

/* Add @own to @rec's owners, keeping them sorted by name. */
static void klp_shadow_owner_add(struct klp_shadow_id *rec,
				 struct klp_shadow_owner *own)
{
	struct klp_shadow_owner *pos;

	lockdep_assert_held(&klp_shadow_lock);

	list_for_each_entry(pos, &rec->owners, node) {
		if (strcmp(pos->name, own->name) > 0)
			break;
	}
	list_add_tail(&own->node, &pos->node);
	rec->nr_owners++;
}

/*
 * The reference on @id in the holder's list @refs, held by @owner if it
 * is not NULL. The caller holds klp_shadow_mutex.
 */
VISIBLE_IF_KUNIT struct klp_shadow_owner *
klp_shadow_find_ref(struct list_head *refs, unsigned long id, const char *owner)
{
	struct klp_shadow_owner *own;

	lockdep_assert_held(&klp_shadow_mutex);

	list_for_each_entry(own, refs, ref_node) {
		if (own->type->id == id && (!owner || !strcmp(own->name, owner)))
			return own;
	}
	return NULL;
}

/*
 * A patch object kept after a forced transition whose patch stayed enabled
 * (the forced transition was then reversed) gets its kept reference on
 * @type back, if it has one. The caller holds klp_shadow_mutex.
 *
 * Return: true if @owner holds the reference again, on @refs.
 */
static bool klp_shadow_take_back(struct list_head *refs,
				 struct klp_shadow_type *type,
				 const char *owner, bool registered)
{
	struct klp_shadow_owner *own;

	lockdep_assert_held(&klp_shadow_mutex);

	own = klp_shadow_find_ref(&klp_shadow_kept, type->id, owner);
	if (!own || own->type != type)
		return false;
	own->registered = registered;
	list_move_tail(&own->ref_node, refs);
	pr_debug("shadow id %lu ('%s'): %s holds its kept reference again\n",
		 type->id, type->name, owner);
	return true;
}

/*
 * Take a reference on @type's id for @owner and add it to the holder's
 * list @refs; @registered tells an explicit registration from a listed
 * type. The caller holds klp_mutex, so that no release event of the core
 * is half done (its ids on a list of its own, not deferred yet), and
 * klp_shadow_mutex, and may sleep: a deferred release of the id is ended
 * first, after a grace period.
 *
 * A reference that @owner held through @type and a forced transition kept
 * is given back instead, as it was.
 *
 * Return: 0 on success; -EINVAL if @type's name is invalid or differs from
 * the id's, or its id is KLP_SHADOW_ID_RESERVED; -EEXIST if @owner holds a
 * reference on the id already; -ENOSPC if the id has KLP_SHADOW_MAX_OWNERS
 * holders; -ENOMEM.
 */
VISIBLE_IF_KUNIT int klp_shadow_ref(struct list_head *refs,
				    struct klp_shadow_type *type,
				    const char *owner, bool registered)
{
	struct klp_shadow_id *rec, *new_rec;
	struct klp_shadow_owner *own;
	size_t len = strlen(owner) + 1;
	char *name = NULL;
	unsigned long flags;
	bool queued;
	int ret;

	lockdep_assert_held(&klp_mutex);
	lockdep_assert_held(&klp_shadow_mutex);

	if (klp_shadow_take_back(refs, type, owner, registered))
		return 0;

	ret = klp_shadow_type_valid(type, owner);
	if (ret)
		return ret;

	/*
	 * A deferred release event may still hold variables of this id for
	 * the destructor of the type that dropped it: end it before the id
	 * can be referenced again, maybe under another name and destructor.
	 */
	rcu_read_lock();
	rec = klp_shadow_id_find(type->id);
	queued = rec && !list_empty(&rec->collect_node);
	rcu_read_unlock();
	if (queued) {
		LIST_HEAD(collection);

		klp_shadow_collection_end(&collection, true);
	}

	own = kzalloc(struct_size(own, name, len), GFP_KERNEL);
	new_rec = klp_shadow_id_alloc(type->id, GFP_KERNEL);
	name = kstrdup(type->name, GFP_KERNEL);
	if (!own || !new_rec || !name) {
		ret = -ENOMEM;
		goto out;
	}
	own->type = type;
	own->registered = registered;
	strscpy(own->name, owner, len);

	spin_lock_irqsave(&klp_shadow_lock, flags);
	rec = klp_shadow_id_get(type->id, &new_rec);
	ret = klp_shadow_check(rec, type, owner);
	if (!ret) {
		if (!rec->refcount)
			swap(rec->name, name);
		klp_shadow_owner_add(rec, own);
		list_add_tail(&own->ref_node, refs);
		own = NULL;
		WRITE_ONCE(rec->refcount, rec->refcount + 1);
		/* klp_shadow_type_get() finds the variables from here on. */
		if (!type->nr_refs)
			WRITE_ONCE(type->key, ~type->id);
		WRITE_ONCE(type->nr_refs, type->nr_refs + 1);
		pr_debug("shadow id %lu ('%s'): referenced by %s, refcount %u\n",
			 type->id, type->name, owner, rec->refcount);
	} else {
		klp_shadow_id_put(rec);
	}
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
out:
	kfree(name);
	kfree(new_rec);
	kfree(own);
	return ret;
}

/*
 * Keep the reference @own for good, since old code may still use its
 * variables after a forced transition. The caller holds klp_shadow_mutex.
 */
static void klp_shadow_keep_ref(struct klp_shadow_owner *own)
{
	lockdep_assert_held(&klp_shadow_mutex);

	own->kept = true;
	pr_warn("shadow id %lu ('%s'): kept for %s: its transition was forced, old code may still use the variables\n",
		own->type->id, own->type->name, own->name);
	list_move_tail(&own->ref_node, &klp_shadow_kept);
}

/*
 * Drop the reference @own and free it; if it was the last on its id, queue
 * the id's collection on @collection. The caller holds klp_shadow_mutex and
 * ends the collection with klp_shadow_collection_end(), or hands it to
 * klp_shadow_release_finish() through klp_shadow_deferred.
 */
VISIBLE_IF_KUNIT void klp_shadow_unref(struct klp_shadow_owner *own,
				       struct list_head *collection)
{
	struct klp_shadow_type *type = own->type;
	struct klp_shadow_id *rec;
	unsigned long flags;
	bool last;

	lockdep_assert_held(&klp_shadow_mutex);

	spin_lock_irqsave(&klp_shadow_lock, flags);
	rec = klp_shadow_id_find(type->id);
	if (WARN_ON(!rec)) {
		/*
		 * Off the holder's list all the same, which its caller empties,
		 * but not freed: a record of another id (the type's id changed?)
		 * may still list it among its owners.
		 */
		list_del(&own->ref_node);
		spin_unlock_irqrestore(&klp_shadow_lock, flags);
		return;
	}
	list_del(&own->node);
	list_del(&own->ref_node);
	rec->nr_owners--;
	WRITE_ONCE(type->nr_refs, type->nr_refs - 1);
	/* ... and no longer, whether or not they are collected. */
	if (!type->nr_refs)
		WRITE_ONCE(type->key, 0);
	WRITE_ONCE(rec->refcount, rec->refcount - 1);
	pr_debug("shadow id %lu ('%s'): released by %s, refcount %u\n",
		 type->id, type->name, own->name, rec->refcount);
	last = !rec->refcount;
	if (last)
		rec->collecting++;
	spin_unlock_irqrestore(&klp_shadow_lock, flags);

	kfree(own);
	if (last)
		klp_shadow_collect(rec, type->dtor, collection);
}

static void klp_shadow_owner_name(char *buf, struct klp_patch *patch,
				  struct klp_object *obj)
{
	snprintf(buf, KLP_SHADOW_OWNER_LEN, "%s/%s", patch->mod->name,
		 obj->name ?: "vmlinux");
}

/* The patch @obj belongs to, or NULL. The caller holds klp_mutex. */
static struct klp_patch *klp_shadow_patch_of(struct klp_object *obj)
{
	struct klp_patch *patch;
	struct klp_object *pos;

	if (WARN_ON_ONCE(!mutex_is_locked(&klp_mutex)))
		return NULL;

	klp_for_each_patch(patch) {
		klp_for_each_object(patch, pos) {
			if (pos == obj)
				return patch;
		}
	}
	return NULL;
}

/*
 * Does a type listed by any patch share @type's id under another name?
 * The lists of objects whose module is not loaded count too, so that a
 * conflict is refused when a patch is enabled, never when a module loads.
 * The caller holds klp_mutex.
 */
static int klp_shadow_check_lists(struct klp_shadow_type *type,
				  const char *owner)
{
	char other[KLP_SHADOW_OWNER_LEN];
	struct klp_shadow_type **pos;
	struct klp_patch *patch;
	struct klp_object *obj;

	lockdep_assert_held(&klp_mutex);

	klp_for_each_patch(patch) {
		klp_for_each_object(patch, obj) {
			if (!obj->shadow_types)
				continue;
			for (pos = obj->shadow_types; *pos; pos++) {
				if ((*pos)->id != type->id ||
				    !strcmp((*pos)->name ?: "", type->name))
					continue;
				klp_shadow_owner_name(other, patch, obj);
				pr_err("shadow id %lu: name '%s' of %s conflicts with '%s' of %s\n",
				       type->id, type->name, owner,
				       (*pos)->name ?: "", other);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* The registry's name of @type's id, when it is referenced, must match. */
static int klp_shadow_check_registry(struct klp_shadow_type *type,
				     const char *owner)
{
	struct klp_shadow_id *rec;
	unsigned long flags;
	int ret = 0;

	lockdep_assert_held(&klp_shadow_mutex);

	spin_lock_irqsave(&klp_shadow_lock, flags);
	rec = klp_shadow_id_find(type->id);
	if (rec && rec->refcount)
		ret = klp_shadow_check(rec, type, owner);
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	return ret == -EEXIST ? 0 : ret;
}

/*
 * A type must have a valid name and id (klp_shadow_type_valid()), and live
 * in @patch's module, which the core keeps loaded for as long as the
 * registry may point to the type.
 */
static int klp_shadow_check_type(struct klp_patch *patch,
				 struct klp_shadow_type *type, const char *owner)
{
	if (!within_module_core((unsigned long)type, patch->mod)) {
		pr_err("shadow id %lu of %s: the type is not in the patch module\n",
		       type->id, owner);
		return -EINVAL;
	}
	return klp_shadow_type_valid(type, owner);
}

/**
 * klp_shadow_check_patch() - check the shadow types a patch lists
 * @patch:	a patch about to be enabled, on the list of patches
 *
 * Every listed type must have a valid name and an id other than
 * KLP_SHADOW_ID_RESERVED, and no type listed by any patch, or referenced
 * in the registry, may have the same id under another name. Objects whose
 * module is not loaded are checked too.
 *
 * Context: Process context, klp_mutex held.
 * Return: 0; -EINVAL on an invalid or conflicting declaration or a type
 * outside the patch module; -ENOSPC if a listed id has too many holders.
 */
int klp_shadow_check_patch(struct klp_patch *patch)
{
	char owner[KLP_SHADOW_OWNER_LEN];
	struct klp_shadow_type **type;
	struct klp_object *obj;
	int ret = 0;

	lockdep_assert_held(&klp_mutex);

	mutex_lock(&klp_shadow_mutex);
	klp_for_each_object(patch, obj) {
		if (!obj->shadow_types)
			continue;
		klp_shadow_owner_name(owner, patch, obj);
		for (type = obj->shadow_types; *type && !ret; type++) {
			ret = klp_shadow_check_type(patch, *type, owner);
			if (ret)
				break;
			ret = klp_shadow_check_lists(*type, owner);
			if (!ret)
				ret = klp_shadow_check_registry(*type, owner);
		}
		if (ret)
			break;
	}
	mutex_unlock(&klp_shadow_mutex);
	return ret;
}

/**
 * klp_shadow_register() - take a reference on a shadow type for an object
 * @obj:	the patch object whose code uses @type
 * @type:	the type
 *
 * For livepatches that cannot list their types in klp_object.shadow_types
 * (generated ones, for example): call it from @obj's pre_patch callback.
 * The reference belongs to @obj exactly like a listed type's: the core
 * drops it when @obj is unpatched for good, when its patch is replaced,
 * when its target module goes, or when the enable fails, whether or not
 * callbacks run then. klp_shadow_unregister() may drop it earlier, from
 * @obj's post_unpatch callback. The type shows in sysfs under @obj while
 * the reference is held, owner "<patch>/<object>", as listed types do.
 *
 * Context: A livepatch callback of @obj: process context, klp_mutex held;
 * takes klp_shadow_mutex; may sleep.
 * Return: 0 on success; -EINVAL on a bad argument, an invalid name, the
 * reserved id, a type outside the patch module, or if @type's id is
 * declared or referenced under another name; -EEXIST if @obj holds a
 * reference on the id already; -ENOSPC if the id has too many holders;
 * -ENOMEM. If only its sysfs directory could not be added,
 * the error is returned but @obj holds the reference until it is unpatched.
 */
int klp_shadow_register(struct klp_object *obj, struct klp_shadow_type *type)
{
	char owner[KLP_SHADOW_OWNER_LEN];
	struct klp_patch *patch;
	int ret;

	if (!obj || !type)
		return -EINVAL;
	lockdep_assert_held(&klp_mutex);
	patch = klp_shadow_patch_of(obj);
	if (WARN_ON(!patch))
		return -EINVAL;
	klp_shadow_owner_name(owner, patch, obj);

	mutex_lock(&klp_shadow_mutex);
	ret = klp_shadow_check_type(patch, type, owner);
	if (!ret)
		ret = klp_shadow_check_lists(type, owner);
	if (!ret)
		ret = klp_shadow_ref(&obj->shadow_refs, type, owner, true);
	/* Its directory in sysfs, like a listed type's. */
	if (!ret)
		ret = klp_shadow_sysfs_add_registered(obj, type);
	mutex_unlock(&klp_shadow_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(klp_shadow_register);

/**
 * klp_shadow_unregister() - drop an object's reference on a shadow type
 * @obj:	the object passed to klp_shadow_register()
 * @type:	the type passed to klp_shadow_register()
 *
 * Optional: the core drops the reference anyway when @obj is unpatched.
 * Only a registered reference is dropped, and only while @obj is not
 * patched (from its post_unpatch callback); after a forced transition it
 * is kept for good instead, as the core keeps it. When this drops the last
 * reference on @type's id, every variable made through a type with that id
 * is unlinked at once, and freed through @type's destructor after one
 * grace period, with the rest of the release event: outside klp_mutex,
 * once the core dropped it (when it frees the patch, before @obj's module
 * goes, or at the end of the enable or module load whose pre_patch
 * callback this is).
 *
 * Context: A livepatch callback of @obj: process context, klp_mutex held;
 * takes klp_shadow_mutex; may sleep.
 */
void klp_shadow_unregister(struct klp_object *obj, struct klp_shadow_type *type)
{
	struct klp_shadow_owner *own;
	struct klp_patch *patch;
	LIST_HEAD(collection);

	if (!obj || !type)
		return;
	lockdep_assert_held(&klp_mutex);
	/* Its code may still run while it is patched. */
	if (WARN_ON(obj->patched))
		return;
	patch = klp_shadow_patch_of(obj);

	mutex_lock(&klp_shadow_mutex);
	own = klp_shadow_find_ref(&obj->shadow_refs, type->id, NULL);
	if (!own || !own->registered || own->type != type) {
		pr_err("shadow id %lu: not registered for object '%s' through this type\n",
		       type->id, obj->name ?: "vmlinux");
	} else if (patch && patch->forced) {
		klp_shadow_sysfs_remove_registered(obj, type);
		klp_shadow_keep_ref(own);
	} else {
		klp_shadow_sysfs_remove_registered(obj, type);
		klp_shadow_unref(own, &collection);
	}
	/* By klp_shadow_release_finish(), once the core dropped klp_mutex. */
	list_splice_tail_init(&collection, &klp_shadow_deferred);
	mutex_unlock(&klp_shadow_mutex);
}
EXPORT_SYMBOL_GPL(klp_shadow_unregister);

/*
 * A typed allocation or free without a reference: warn once per type. Out
 * of line, to keep the warning out of the typed accessors' fast path. (A
 * typed get without one finds nothing, see klp_shadow_type_get(), and
 * does not warn: it costs an id get's instructions, no more.)
 */
static noinline __cold void
klp_shadow_type_unusable(struct klp_shadow_type *type)
{
	unsigned long flags;

	if (!xchg(&type->warned, true)) {
		/* Deferred: the caller may hold a scheduler lock. */
		local_irq_save(flags);
		printk_deferred_enter();
		pr_warn("shadow id %lu ('%s') used without a reference: list it in klp_object.shadow_types or call klp_shadow_register()\n",
			type->id, type->name ?: "");
		printk_deferred_exit();
		local_irq_restore(flags);
	}
}

/* Typed access needs a reference: without one, warn once and refuse. */
static bool klp_shadow_type_usable(struct klp_shadow_type *type)
{
	if (likely(READ_ONCE(type->nr_refs)))
		return true;
	klp_shadow_type_unusable(type);
	return false;
}

/**
 * klp_shadow_type_alloc() - allocate and add a new typed shadow variable
 * @type:	the variable's type, with a reference held; its ctor runs
 * @obj:	pointer to parent object
 * @size:	size of attached data
 * @gfp_flags:	GFP mask for allocation
 * @ctor_data:	pointer to any data needed by @type's ctor (optional)
 *
 * Like klp_shadow_alloc() with @type's id and ctor.
 *
 * Without a reference held through @type, it allocates nothing, and warns
 * unless a typed call warned for @type before (once per type).
 *
 * Context: Any context that @gfp_flags allow.
 * Return: the shadow variable data element, NULL on duplicate, on failure,
 * or if no reference is held through @type.
 */
void *klp_shadow_type_alloc(struct klp_shadow_type *type, void *obj,
			    size_t size, gfp_t gfp_flags, void *ctor_data)
{
	if (!klp_shadow_type_usable(type))
		return NULL;
	return __klp_shadow_get_or_alloc(obj, type->id, size, gfp_flags,
					 type->ctor, ctor_data, type, true);
}
EXPORT_SYMBOL_GPL(klp_shadow_type_alloc);

/**
 * klp_shadow_type_get_or_alloc() - get or allocate a typed shadow variable
 * @type:	the variable's type, with a reference held; its ctor runs
 * @obj:	pointer to parent object
 * @size:	size of attached data
 * @gfp_flags:	GFP mask for allocation
 * @ctor_data:	pointer to any data needed by @type's ctor (optional)
 *
 * Like klp_shadow_get_or_alloc() with @type's id and ctor.
 *
 * Without a reference held through @type, it neither gets nor allocates,
 * and warns unless a typed call warned for @type before (once per type).
 *
 * Context: Any context that @gfp_flags allow.
 * Return: the shadow variable data element, NULL on failure or if no
 * reference is held through @type.
 */
void *klp_shadow_type_get_or_alloc(struct klp_shadow_type *type, void *obj,
				   size_t size, gfp_t gfp_flags,
				   void *ctor_data)
{
	if (!klp_shadow_type_usable(type))
		return NULL;
	return __klp_shadow_get_or_alloc(obj, type->id, size, gfp_flags,
					 type->ctor, ctor_data, type, false);
}
EXPORT_SYMBOL_GPL(klp_shadow_type_get_or_alloc);

/**
 * klp_shadow_type_free() - detach and free a typed shadow variable
 * @type:	the variable's type, with a reference held; its dtor runs
 * @obj:	pointer to parent object
 *
 * Like klp_shadow_free() with @type's id and dtor: it frees the variable
 * <@obj, id> even if the id-based API made it, as the parent has one
 * variable of the id either way.
 *
 * Without a reference held through @type, it frees nothing, and warns
 * unless a typed call warned for @type before (once per type).
 *
 * Context: Any context.
 */
void klp_shadow_type_free(struct klp_shadow_type *type, void *obj)
{
	if (!klp_shadow_type_usable(type))
		return;
	klp_shadow_free(obj, type->id, type->dtor);
}
EXPORT_SYMBOL_GPL(klp_shadow_type_free);

/**
 * klp_shadow_hold_object() - reference the shadow types of an object
 * @patch:	the patch @obj belongs to
 * @obj:	the object about to be patched
 *
 * Takes a reference on every type in @obj->shadow_types, owned by
 * "<patch>/<object>", before any task can run @obj's new code; on failure
 * it drops the ones it took, and what they release is collected by the
 * next klp_shadow_release_finish(), which the core calls once it dropped
 * klp_mutex.
 *
 * Context: Process context, klp_mutex held.
 * Return: 0 on success, or the error of the first reference that failed.
 */
int klp_shadow_hold_object(struct klp_patch *patch, struct klp_object *obj)
{
	char owner[KLP_SHADOW_OWNER_LEN];
	struct klp_shadow_owner *own;
	struct klp_shadow_type **type;
	LIST_HEAD(collection);
	LIST_HEAD(refs);
	int ret = 0;

	lockdep_assert_held(&klp_mutex);

	if (WARN_ON(!list_empty(&obj->shadow_refs)))
		return -EINVAL;
	if (!obj->shadow_types)
		return 0;

	klp_shadow_owner_name(owner, patch, obj);
	mutex_lock(&klp_shadow_mutex);
	for (type = obj->shadow_types; *type && !ret; type++)
		ret = klp_shadow_ref(&refs, *type, owner, false);
	if (ret) {
		while (!list_empty(&refs)) {
			own = list_first_entry(&refs, struct klp_shadow_owner,
					       ref_node);
			if (own->kept) {
				/* Old code may still use what was kept. */
				list_move_tail(&own->ref_node, &klp_shadow_kept);
				continue;
			}
			klp_shadow_unref(own, &collection);
		}
		list_splice_tail_init(&collection, &klp_shadow_deferred);
	} else {
		list_splice(&refs, &obj->shadow_refs);
	}
	mutex_unlock(&klp_shadow_mutex);
	return ret;
}

/* Keep @obj's references for good: its patch's transition was forced. */
static void klp_shadow_keep_object(struct klp_object *obj)
{
	struct klp_shadow_owner *own, *tmp;

	lockdep_assert_held(&klp_shadow_mutex);

	list_for_each_entry_safe(own, tmp, &obj->shadow_refs, ref_node)
		klp_shadow_keep_ref(own);
}

/**
 * klp_shadow_release_object() - drop the references of an object
 * @patch:	the patch @obj belongs to
 * @obj:	an object that is unpatched for good
 * @collection:	where the ids to collect are queued
 *
 * Drops every reference @obj holds, listed or registered explicitly, and
 * queues the ids whose last reference this was on @collection. The caller
 * ends the release event with klp_shadow_release_defer(), and has them
 * collected, after a single RCU grace period, by klp_shadow_release_finish()
 * once it dropped klp_mutex.
 *
 * If @patch's transition was forced, tasks may still run @obj's old code:
 * the references are kept instead, for good, and the kernel log names them.
 *
 * Context: Process context, klp_mutex held.
 */
void klp_shadow_release_object(struct klp_patch *patch, struct klp_object *obj,
			       struct list_head *collection)
{
	lockdep_assert_held(&klp_mutex);

	if (list_empty(&obj->shadow_refs))
		return;

	mutex_lock(&klp_shadow_mutex);
	klp_shadow_sysfs_remove_registered(obj, NULL);
	/* Tasks may still run the old code of a forced transition. */
	if (patch->forced)
		klp_shadow_keep_object(obj);
	while (!list_empty(&obj->shadow_refs))
		klp_shadow_unref(list_first_entry(&obj->shadow_refs,
						  struct klp_shadow_owner, ref_node),
				 collection);
	mutex_unlock(&klp_shadow_mutex);
}

/**
 * klp_shadow_release_defer() - collect what a release event dropped, later
 * @collection:	the list klp_shadow_release_object() queued ids on
 *
 * Hands the ids queued to klp_shadow_release_finish(), which the core
 * calls outside klp_mutex: the grace period and the destructors do not
 * hold up every other livepatch operation. The variables are already
 * unlinked: no lookup finds them. What klp_shadow_unregister() dropped
 * joins them.
 *
 * The core calls klp_shadow_release_finish() after every operation that
 * may end in a release event, once it dropped klp_mutex: when it frees a
 * patch (disabled, replaced, or whose enable failed), while the patch's
 * module is still referenced; when a target module goes, before its memory
 * is freed; at the end of an enable or of a module load. The modules of
 * the destructors that run are all referenced then: no patch whose release
 * is deferred has been freed yet.
 *
 * Context: Process context, klp_mutex held.
 */
void klp_shadow_release_defer(struct list_head *collection)
{
	lockdep_assert_held(&klp_mutex);

	if (list_empty(collection))
		return;
	mutex_lock(&klp_shadow_mutex);
	list_splice_tail_init(collection, &klp_shadow_deferred);
	mutex_unlock(&klp_shadow_mutex);
}

/**
 * klp_shadow_release_finish() - collect every deferred release event
 *
 * Waits for one RCU grace period if any release event was deferred, then
 * frees the variables of every id queued, through its destructor, before
 * it returns. See klp_shadow_release_defer() for where the core calls it.
 *
 * Context: Process context, klp_mutex not held; may sleep.
 */
void klp_shadow_release_finish(void)
{
	LIST_HEAD(collection);

	lockdep_assert_not_held(&klp_mutex);

	mutex_lock(&klp_shadow_mutex);
	klp_shadow_collection_end(&collection, true);
	mutex_unlock(&klp_shadow_mutex);
}

/**
 * klp_shadow_release_pending() - is a release event waiting to be collected?
 *
 * A lockless look at the deferred release events, for the core to skip
 * klp_shadow_release_finish() after an operation whose only releases could
 * come from a pre_patch callback (an enable, a module load): those free
 * nothing that goes with the operation, and most such operations release
 * nothing. Where an operation must not end before its releases are
 * collected (a module going, a patch freed), the core calls
 * klp_shadow_release_finish() unconditionally: it also waits for a
 * collection that another caller runs.
 *
 * Context: Any context.
 * Return: true if a release event may be waiting.
 */
bool klp_shadow_release_pending(void)
{
	/*
	 * Read without klp_shadow_mutex, which splices events onto and off
	 * the list: a stale "empty" means that a collector has taken them
	 * already and destroys them under the mutex, while the patch module
	 * stays referenced.
	 */
	return !list_empty(&klp_shadow_deferred);
}

/*
 * The registry's queries, for sysfs and the KUnit tests: here, since they
 * read it under RCU and klp_shadow_lock, which no other file takes. (A
 * sysfs show() cannot take klp_shadow_mutex instead: klp_shadow_unregister()
 * removes a type's directory with it held.)
 */
/**
 * klp_shadow_id_stat() - what the registry knows of an id
 * @id:		data identifier
 * @stat:	filled with its references, live variables and their bytes;
 *		zeroes when the registry does not know @id
 *
 * Costs one lookup in the table of ids, whatever the number of variables.
 *
 * Context: Any context.
 * Return: true if the registry knows @id.
 */
bool klp_shadow_id_stat(unsigned long id, struct klp_shadow_stat *stat)
{
	struct klp_shadow_id *rec;

	memset(stat, 0, sizeof(*stat));
	rcu_read_lock();
	rec = klp_shadow_id_find(id);
	if (rec) {
		stat->refcount = READ_ONCE(rec->refcount);
		stat->live = READ_ONCE(rec->live);
		stat->bytes = READ_ONCE(rec->bytes);
	}
	rcu_read_unlock();
	return !!rec;
}

/**
 * klp_shadow_id_owners() - print the holders of references on an id
 * @id:		data identifier
 * @buf:	a sysfs page
 *
 * Prints one line per holder, sorted. There are at most
 * KLP_SHADOW_MAX_OWNERS holders, so every line fits in @buf.
 *
 * Context: Any context; takes klp_shadow_lock.
 * Return: the number of bytes printed, 0 when nobody holds a reference.
 */
ssize_t klp_shadow_id_owners(unsigned long id, char *buf)
{
	struct klp_shadow_owner *own;
	struct klp_shadow_id *rec;
	unsigned long flags;
	ssize_t len = 0;

	spin_lock_irqsave(&klp_shadow_lock, flags);
	rec = klp_shadow_id_find(id);
	if (rec) {
		list_for_each_entry(own, &rec->owners, node)
			len += sysfs_emit_at(buf, len, "%s\n", own->name);
	}
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	return len;
}

#ifdef CONFIG_LIVEPATCH_SHADOW_DEBUG
/* References of klp_shadow_debug_register(); under klp_shadow_mutex. */
static LIST_HEAD(klp_shadow_debug_refs);

/**
 * klp_shadow_debug_register() - take a reference that no patch object holds
 * @type:	the type
 * @owner:	the holder's name, shown in sysfs "owners"
 *
 * For test and benchmark modules on kernels with
 * CONFIG_LIVEPATCH_SHADOW_DEBUG: a reference outside the livepatch core's
 * lifetime rules, checked like klp_shadow_register()'s. The caller drops it
 * with klp_shadow_debug_unregister() before its module goes.
 *
 * Context: Process context; takes klp_mutex and klp_shadow_mutex; may sleep.
 * Return: 0, or an error as klp_shadow_register(); -EINVAL also for an
 * empty or too long @owner.
 */
int klp_shadow_debug_register(struct klp_shadow_type *type, const char *owner)
{
	int ret;

	if (!type || !owner || !*owner || strlen(owner) >= KLP_SHADOW_OWNER_LEN)
		return -EINVAL;

	mutex_lock(&klp_mutex);
	mutex_lock(&klp_shadow_mutex);
	ret = klp_shadow_type_valid(type, owner);
	if (!ret)
		ret = klp_shadow_check_lists(type, owner);
	/* A patch object's kept reference is not given to another holder. */
	if (!ret && klp_shadow_find_ref(&klp_shadow_kept, type->id, owner)) {
		pr_err("shadow id %lu: already referenced by %s\n", type->id,
		       owner);
		ret = -EEXIST;
	}
	if (!ret)
		ret = klp_shadow_ref(&klp_shadow_debug_refs, type, owner, true);
	mutex_unlock(&klp_shadow_mutex);
	mutex_unlock(&klp_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(klp_shadow_debug_register);

/**
 * klp_shadow_debug_unregister() - drop a reference of klp_shadow_debug_register()
 * @type:	the type passed to klp_shadow_debug_register()
 * @owner:	the owner passed to klp_shadow_debug_register()
 *
 * Collects @type's id like klp_shadow_unregister() when this was the last
 * reference on it.
 *
 * Context: Process context; takes klp_shadow_mutex; may sleep.
 */
void klp_shadow_debug_unregister(struct klp_shadow_type *type, const char *owner)
{
	struct klp_shadow_owner *own;
	LIST_HEAD(collection);

	if (!type || !owner)
		return;

	mutex_lock(&klp_shadow_mutex);
	own = klp_shadow_find_ref(&klp_shadow_debug_refs, type->id, owner);
	if (own && own->type == type)
		klp_shadow_unref(own, &collection);
	else
		pr_err("shadow id %lu: not referenced by %s\n", type->id, owner);
	klp_shadow_collection_end(&collection, true);
	mutex_unlock(&klp_shadow_mutex);
}
EXPORT_SYMBOL_GPL(klp_shadow_debug_unregister);

/**
 * klp_shadow_gc_one() - collect the variables of an id now
 * @id:		data identifier
 * @orphan:	only if no reference is held on @id
 *
 * For the debugfs "gc" knob: collects every variable of @id, those made
 * through a type through the destructor of a type that references it, if
 * any, those of the id-based API without a destructor.
 *
 * Context: Process context, klp_shadow_mutex held; may sleep.
 * Return: the number of variables freed, -ENOENT if the registry does not
 * know @id, or -EBUSY if @orphan is set and the id holds a reference.
 */
long klp_shadow_gc_one(unsigned long id, bool orphan)
{
	klp_shadow_dtor_t dtor = NULL;
	struct klp_shadow *shadow, *tmp;
	struct klp_shadow_owner *own;
	struct klp_shadow_id *rec;
	LIST_HEAD(collection);
	unsigned long flags, n = 0;
	LIST_HEAD(untyped);

	lockdep_assert_held(&klp_shadow_mutex);

	/* End deferred release events first: what they freed is not ours. */
	klp_shadow_collection_end(&collection, true);

	spin_lock_irqsave(&klp_shadow_lock, flags);
	rec = klp_shadow_id_find(id);
	if (rec && orphan && rec->refcount) {
		spin_unlock_irqrestore(&klp_shadow_lock, flags);
		return -EBUSY;
	}
	if (rec) {
		/* One for the collection, one to print the record after it. */
		rec->collecting += 2;
		own = list_first_entry_or_null(&rec->owners,
					       struct klp_shadow_owner, node);
		if (own)
			dtor = own->type->dtor;
		list_for_each_entry_safe(shadow, tmp, &rec->untyped, id_node) {
			if (!klp_shadow_unlink(shadow, rec))
				continue;
			list_add_tail(&shadow->id_node, &untyped);
			n++;
		}
	}
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	if (!rec)
		return -ENOENT;

	/* No type made the id-based API's variables: no destructor. */
	klp_shadow_free_unlinked(&untyped, NULL);
	klp_shadow_collect(rec, dtor, &collection);
	n += klp_shadow_collection_end(&collection, false);
	pr_info("shadow id %lu ('%s'): gc: %lu variables freed, refcount %u\n",
		id, rec->name ?: "", n, rec->refcount);

	spin_lock_irqsave(&klp_shadow_lock, flags);
	rec->collecting--;
	klp_shadow_id_put(rec);
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	return n;
}

#endif /* CONFIG_LIVEPATCH_SHADOW_DEBUG */

#if IS_ENABLED(CONFIG_LIVEPATCH_SHADOW_KUNIT_TEST)
/* What shadow_kunit.c checks of the variables' table. */

/* The variables in the table. */
unsigned long klp_shadow_test_nelems(void)
{
	unsigned long flags, n;

	spin_lock_irqsave(&klp_shadow_lock, flags);
	n = klp_shadow_nelems;
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	return n;
}

/* The shift of the table readers use, once no resize is pending. */
unsigned int klp_shadow_test_table_shift(void)
{
	irq_work_sync(&klp_shadow_resize_irq_work);
	flush_work(&klp_shadow_resize_work);
	return BITS_PER_LONG -
	       (READ_ONCE(klp_shadow_desc) & KLP_SHADOW_DESC_RSHIFT_MASK);
}

/* Readers use the static table, through link 0. */
bool klp_shadow_test_table_static(void)
{
	return READ_ONCE(klp_shadow_desc) ==
	       (unsigned long)klp_shadow_buckets0 + BITS_PER_LONG -
	       KLP_SHADOW_MIN_SHIFT;
}

/* Readers take the static table's direct path. */
bool klp_shadow_test_table_direct(void)
{
	return static_key_enabled(&klp_shadow_table0_direct);
}

/*
 * Walk the table readers use: each variable must sit in its own bucket,
 * once. Return how many there are, or -1 on a misplaced one. A test's
 * walk: IRQs stay off for the whole table, up to 2^16 buckets there.
 */
long klp_shadow_test_table_count(void)
{
	struct klp_shadow_table *tbl;
	struct klp_shadow *shadow;
	unsigned long flags, bkt;
	long n = 0;

	spin_lock_irqsave(&klp_shadow_lock, flags);
	tbl = klp_shadow_table_locked();
	for (bkt = 0; bkt < 1UL << tbl->shift && n >= 0; bkt++) {
		shadow = klp_shadow_deref(tbl->buckets[bkt]);
		for (; shadow && n >= 0; shadow = klp_shadow_deref(shadow->next[tbl->link])) {
			if (klp_shadow_hash(shadow->obj, tbl->shift) != bkt ||
			    __klp_shadow_lookup(shadow->obj, shadow->key) != shadow->data)
				n = -1;
			else
				n++;
		}
	}
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	return n;
}

/*
 * Drop the references @owner (any holder, if NULL) holds on @id that a
 * forced transition kept, queueing the collection on @collection.
 * The caller holds klp_shadow_mutex. Return: how many there were.
 */
unsigned int klp_shadow_test_drop_kept(unsigned long id, const char *owner,
				       struct list_head *collection)
{
	struct klp_shadow_owner *own;
	unsigned int n = 0;

	lockdep_assert_held(&klp_shadow_mutex);

	while ((own = klp_shadow_find_ref(&klp_shadow_kept, id, owner))) {
		klp_shadow_unref(own, collection);
		n++;
	}
	return n;
}

/*
 * Drop every reference on the holder's list @refs, queueing the
 * collections on @collection. The caller holds klp_shadow_mutex. Return:
 * how many there were.
 */
unsigned int klp_shadow_test_drop_refs(struct list_head *refs,
				       struct list_head *collection)
{
	struct klp_shadow_owner *own;
	unsigned int n = 0;

	lockdep_assert_held(&klp_shadow_mutex);

	while ((own = list_first_entry_or_null(refs, struct klp_shadow_owner,
					       ref_node))) {
		klp_shadow_unref(own, collection);
		n++;
	}
	return n;
}
#endif /* CONFIG_LIVEPATCH_SHADOW_KUNIT_TEST */
