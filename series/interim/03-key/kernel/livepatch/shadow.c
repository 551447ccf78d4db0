// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * shadow.c - Shadow variables
 *
 * Copyright (C) 2014 Josh Poimboeuf <jpoimboe@redhat.com>
 * Copyright (C) 2014 Seth Jennings <sjenning@redhat.com>
 * Copyright (C) 2017 Joe Lawrence <joe.lawrence@redhat.com>
 */

/**
 * DOC: Shadow variables
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
 * Every id in use has a record that lists its variables and counts them
 * and their bytes, so that freeing an id's variables walks only those.
 * The frees unlink variables under the spinlock and hand them to the
 * destructor afterwards, in the caller's context: no destructor ever runs
 * under klp_shadow_lock.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/irq_work.h>
#include <linux/jump_label.h>
#include <linux/livepatch.h>
#include <linux/log2.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>
#include "shadow.h"

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

/**
 * struct klp_shadow - shadow variable structure
 * @next:	the next variable in the same bucket, one link per table: the
 *		table in use chains through one, a resize through the other
 * @obj:	pointer to the parent object
 * @key:	~id, the key a lookup compares (see __klp_shadow_lookup())
 * @id_node:	node in the list of its id's variables, or of the freed ones
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
	INIT_LIST_HEAD(&rec->vars);
	return rec;
}

static void klp_shadow_id_free_rcu(struct rcu_head *head)
{
	struct klp_shadow_id *rec = container_of(head, struct klp_shadow_id,
						 rcu_head);

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

/* Drop @rec if it has no variable any more. */
static void klp_shadow_id_put(struct klp_shadow_id *rec)
{
	lockdep_assert_held(&klp_shadow_lock);

	if (rec->live)
		return;
	hash_del_rcu(&rec->node);
	call_rcu(&rec->rcu_head, klp_shadow_id_free_rcu);
}

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
 * Not an API of its own: call klp_shadow_get(), which computes @key
 * inline. The table keeps a variable by ~id so that the key 0 is that of
 * no variable (the id KLP_SHADOW_ID_RESERVED, whose key it is, is
 * refused): the typed get of the next patch looks up 0 through a type
 * without a reference, and so runs an id get's instructions.
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
 * Get <@obj, @id>, or allocate it.
 *
 * Only get_or_alloc looks for an existing variable before allocating: for
 * alloc, one is a caller's bug, found under the lock all the same. The
 * record of @id is looked up once, under the lock; the first variable of
 * an id allocates it outside the lock and tries again. It refuses
 * KLP_SHADOW_ID_RESERVED, whose key is 0.
 *
 * Always inlined into each of the two accessors, so that @warn_on_exist is
 * a constant there.
 */
static __always_inline void *
__klp_shadow_get_or_alloc(void *obj, unsigned long id, size_t size,
			  gfp_t gfp_flags, klp_shadow_ctor_t ctor, void *ctor_data,
			  bool warn_on_exist)
{
	struct klp_shadow_id *rec, *new_rec = NULL;
	struct klp_shadow *shadow, *new_shadow;
	struct klp_shadow __rcu **pprev;
	unsigned long flags;
	u32 bkt;
	int err = 0;

	if (unlikely(id == KLP_SHADOW_ID_RESERVED))
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
	if (ctor) {
		err = ctor(obj, new_shadow->data, ctor_data);
		if (err)
			pr_err("Failed to construct shadow variable <%p, %lx> (%d)\n",
			       obj, id, err);
	}
	if (err) {
		klp_shadow_id_put(rec);
	} else {
		klp_shadow_table_add(new_shadow, bkt);
		list_add(&new_shadow->id_node, &rec->vars);
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
					 ctor, ctor_data, true);
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
					 ctor, ctor_data, false);
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
 * Releases every <_, id> shadow variable; callers should stop referencing
 * them. It walks only the variables with @id. @dtor runs on each once all
 * are unlinked, in the caller's context, with no lock of the registry
 * held.
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
		klp_shadow_id_put(rec);
	}
	spin_unlock_irqrestore(&klp_shadow_lock, flags);

	klp_shadow_free_unlinked(&dead, dtor);
}
EXPORT_SYMBOL_GPL(klp_shadow_free_all);
