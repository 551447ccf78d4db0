/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LIVEPATCH_SHADOW_H
#define _LIVEPATCH_SHADOW_H

#include <linux/types.h>

/* Buckets of the smallest variables' hash table. */
#define KLP_SHADOW_MIN_SHIFT	12

/**
 * struct klp_shadow_id - the record of one id
 * @node:	klp_shadow_ids node
 * @id:		data identifier
 * @vars:	the live variables with @id
 * @live:	number of entries in @vars
 * @bytes:	sum of their data sizes
 * @rcu_head:	RCU is used to safely free this structure
 *
 * All fields are written under klp_shadow_lock; @live and @bytes may be
 * read without a lock. A record goes with its last variable.
 */
struct klp_shadow_id {
	struct hlist_node node;
	unsigned long id;
	struct list_head vars;
	unsigned long live;
	unsigned long bytes;
	struct rcu_head rcu_head;
};

/* The records (see shadow.c). */
#define KLP_SHADOW_IDS_BITS	6

extern struct hlist_head klp_shadow_ids[1 << KLP_SHADOW_IDS_BITS];

/* Internals shadow_kunit.c tests (VISIBLE_IF_KUNIT in shadow.c). */
#if IS_ENABLED(CONFIG_KUNIT)
unsigned int klp_shadow_wanted_shift(unsigned long n, unsigned int shift);
#endif

#endif /* _LIVEPATCH_SHADOW_H */
