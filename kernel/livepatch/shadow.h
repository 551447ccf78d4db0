/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LIVEPATCH_SHADOW_H
#define _LIVEPATCH_SHADOW_H

#include <linux/livepatch.h>
#include <linux/mutex.h>
#include <linux/types.h>

/* Buckets of the smallest variables' hash table. */
#define KLP_SHADOW_MIN_SHIFT	12

/* "<patch>/<object>": two module names and a slash. */
#define KLP_SHADOW_OWNER_LEN	(2 * MODULE_NAME_LEN)

/* Holders of one id: as many as sysfs "owners" can show, one per line. */
#define KLP_SHADOW_MAX_OWNERS	(PAGE_SIZE / KLP_SHADOW_OWNER_LEN)

struct klp_shadow_owner;

/**
 * struct klp_shadow_stat - what the registry knows of one id
 * @refcount:	references held on the id
 * @live:	shadow variables with the id alive now
 * @bytes:	bytes of shadow data they hold
 */
struct klp_shadow_stat {
	unsigned int refcount;
	unsigned long live;
	unsigned long bytes;
};

int klp_shadow_check_patch(struct klp_patch *patch);
int klp_shadow_hold_object(struct klp_patch *patch, struct klp_object *obj);
void klp_shadow_release_object(struct klp_patch *patch, struct klp_object *obj,
			       struct list_head *collection);
void klp_shadow_release_defer(struct list_head *collection);
void klp_shadow_release_finish(void);
bool klp_shadow_release_pending(void);

bool klp_shadow_id_stat(unsigned long id, struct klp_shadow_stat *stat);
ssize_t klp_shadow_id_owners(unsigned long id, char *buf);

int klp_shadow_sysfs_add(struct klp_object *obj);
void klp_shadow_sysfs_remove(struct klp_object *obj);
int klp_shadow_sysfs_add_registered(struct klp_object *obj,
				    struct klp_shadow_type *type);
void klp_shadow_sysfs_remove_registered(struct klp_object *obj,
					struct klp_shadow_type *type);

/**
 * struct klp_shadow_id - the registry's record of one id
 * @node:	klp_shadow_ids node
 * @id:		data identifier
 * @name:	name of the referencing types, or NULL
 * @refcount:	references held on @id
 * @collecting:	collections in progress; they keep the record alive
 * @nr_owners:	entries in @owners
 * @owners:	struct klp_shadow_owner of each reference, sorted by name
 * @vars:	the live variables with @id made through a type
 * @untyped:	the live variables with @id made with the id-based API
 * @live:	number of entries in @vars and @untyped
 * @bytes:	sum of their data sizes
 * @dead:	variables unlinked by a collection, waiting for their dtor
 * @dtor:	the destructor of the collection in progress
 * @collect_node: node in the list of records one release event collects
 * @rcu_head:	RCU is used to safely free this structure
 *
 * All fields are written under klp_shadow_lock; @refcount, @owners and
 * @name change only with klp_shadow_mutex held too. @refcount, @live and
 * @bytes may be read without a lock, @name with klp_shadow_mutex and RCU.
 * @dead, @dtor and @collect_node belong to the holder of klp_shadow_mutex
 * while @collecting counts it. A record goes when it holds no reference,
 * no variable and no collection.
 */
struct klp_shadow_id {
	struct hlist_node node;
	unsigned long id;
	char *name;
	unsigned int refcount;
	unsigned int collecting;
	unsigned int nr_owners;
	struct list_head owners;
	struct list_head vars;
	struct list_head untyped;
	unsigned long live;
	unsigned long bytes;
	struct list_head dead;
	klp_shadow_dtor_t dtor;
	struct list_head collect_node;
	struct rcu_head rcu_head;
};

/* The records, and the mutex of the registry (see shadow.c). */
#define KLP_SHADOW_IDS_BITS	6

extern struct mutex klp_shadow_mutex;
extern struct hlist_head klp_shadow_ids[1 << KLP_SHADOW_IDS_BITS];

/* Internals shadow_kunit.c tests (VISIBLE_IF_KUNIT in shadow.c). */
#if IS_ENABLED(CONFIG_KUNIT)
unsigned int klp_shadow_wanted_shift(unsigned long n, unsigned int shift);
#endif

#if IS_ENABLED(CONFIG_KUNIT)
bool klp_shadow_name_valid(const char *name);
int klp_shadow_ref(struct list_head *refs, struct klp_shadow_type *type,
		   const char *owner, bool registered);
struct klp_shadow_owner *klp_shadow_find_ref(struct list_head *refs,
					     unsigned long id,
					     const char *owner);
void klp_shadow_unref(struct klp_shadow_owner *own,
		      struct list_head *collection);
unsigned long klp_shadow_collection_end(struct list_head *collection,
					bool report);
#endif

#if IS_ENABLED(CONFIG_LIVEPATCH_SHADOW_KUNIT_TEST)
extern unsigned int klp_shadow_test_grace_periods;
unsigned long klp_shadow_test_nelems(void);
unsigned int klp_shadow_test_table_shift(void);
bool klp_shadow_test_table_static(void);
bool klp_shadow_test_table_direct(void);
long klp_shadow_test_table_count(void);
unsigned int klp_shadow_test_drop_kept(unsigned long id, const char *owner,
				       struct list_head *collection);
unsigned int klp_shadow_test_drop_refs(struct list_head *refs,
				       struct list_head *collection);
#endif

#ifdef CONFIG_LIVEPATCH_SHADOW_DEBUG
long klp_shadow_gc_one(unsigned long id, bool orphan);
long klp_shadow_gc_id(unsigned long id);
long klp_shadow_gc_orphans(void);
#endif

#endif /* _LIVEPATCH_SHADOW_H */
