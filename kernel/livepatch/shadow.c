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
 * <obj, id>. Variables live in a resizable hash table keyed by that pair,
 * so that looking one up costs the same at any population. Readers use RCU;
 * the caller provides any mutual exclusion the shadow data itself needs.
 *
 * Every id in use has a record that lists its variables, counts them and
 * their bytes, and holds the references taken on it through
 * struct klp_shadow_type: by the livepatch core for each type listed in a
 * patched klp_object, or explicitly with klp_shadow_register(). When the
 * last reference on an id goes, its variables are unlinked in short batches
 * under the spinlock, an RCU grace period passes, and only then are they
 * handed to the destructor, in process context with no spinlock held.
 *
 * Ids used only through the id-based API (klp_shadow_alloc() and friends)
 * have a record too, without references; their variables are freed by
 * klp_shadow_free() and klp_shadow_free_all() as before, or collected when
 * a registered type with their id loses its last reference.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/livepatch.h>
#include <linux/mutex.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include "core.h"
#include "shadow.h"

/* Variables unlinked per klp_shadow_lock section during a collection. */
#define KLP_SHADOW_BATCH	64

/* "<patch>/<object>": two module names and a slash. */
#define KLP_SHADOW_OWNER_LEN	(2 * MODULE_NAME_LEN)

/*
 * klp_shadow_mutex serializes reference changes and collections: it is
 * taken (after klp_mutex, when both are held) by klp_shadow_register(),
 * klp_shadow_unregister() and the livepatch core hooks, and is held while
 * destructors run. Destructors must not register or unregister types.
 */
static DEFINE_MUTEX(klp_shadow_mutex);

/*
 * klp_shadow_lock (IRQ-safe) protects klp_shadow_table against concurrent
 * writers, klp_shadow_ids, and every field of struct klp_shadow_id. Readers
 * of either table use RCU only.
 */
static DEFINE_SPINLOCK(klp_shadow_lock);

/**
 * struct klp_shadow_key - what identifies a shadow variable
 * @obj:	pointer to the parent object
 * @id:		data identifier
 */
struct klp_shadow_key {
	void *obj;
	unsigned long id;
};

/**
 * struct klp_shadow - shadow variable structure
 * @node:	klp_shadow_table node
 * @key:	<obj, id> of this variable
 * @id_node:	node in the list of its id's variables, or of a collection
 * @rcu_head:	RCU is used to safely free this structure, once unlinked
 * @size:	size of @data
 * @data:	data area
 */
struct klp_shadow {
	struct rhash_head node;
	struct klp_shadow_key key;
	union {
		struct list_head id_node;
		struct rcu_head rcu_head;
	};
	size_t size;
	char data[];
};

/**
 * struct klp_shadow_id - the registry's record of one id
 * @node:	klp_shadow_ids node
 * @id:		data identifier
 * @name:	name of the referencing types, or NULL
 * @refcount:	references held on @id
 * @collecting:	collections in progress; they keep the record alive
 * @owners:	struct klp_shadow_owner of each reference, sorted by name
 * @vars:	the live variables with @id
 * @live:	number of entries in @vars
 * @bytes:	sum of their data sizes
 * @rcu_head:	RCU is used to safely free this structure
 *
 * All fields are written under klp_shadow_lock; @refcount, @owners and
 * @name change only with klp_shadow_mutex held too. @refcount, @live and
 * @bytes may be read without a lock, @name with klp_shadow_mutex and RCU.
 * A record goes when it holds no reference, no variable and no collection.
 */
struct klp_shadow_id {
	struct hlist_node node;
	unsigned long id;
	char *name;
	unsigned int refcount;
	unsigned int collecting;
	struct list_head owners;
	struct list_head vars;
	unsigned long live;
	unsigned long bytes;
	struct rcu_head rcu_head;
};

/**
 * struct klp_shadow_owner - the holder of one reference on an id
 * @node:	node in klp_shadow_id.owners
 * @type:	the type the reference was taken through
 * @name:	the holder, "<patch>/<object>" for the livepatch core
 */
struct klp_shadow_owner {
	struct list_head node;
	struct klp_shadow_type *type;
	char name[];
};

/*
 * The key is two words: hash and compare them as such, cheaper on every
 * lookup than the generic jhash2() and memcmp() of the key. The parent's
 * address is mixed like hash_ptr() does; the id and the table's seed are
 * folded in first.
 */
static u32 klp_shadow_hashfn(const void *data, u32 len, u32 seed)
{
	const struct klp_shadow_key *key = data;

	return hash_64((unsigned long)key->obj ^
		       ((u64)key->id * GOLDEN_RATIO_64) ^ seed, 32);
}

static int klp_shadow_cmpfn(struct rhashtable_compare_arg *arg,
			    const void *ptr)
{
	const struct klp_shadow_key *key = arg->key;
	const struct klp_shadow *shadow = ptr;

	return shadow->key.obj != key->obj || shadow->key.id != key->id;
}

static const struct rhashtable_params klp_shadow_params = {
	.key_len = sizeof(struct klp_shadow_key),
	.key_offset = offsetof(struct klp_shadow, key),
	.head_offset = offsetof(struct klp_shadow, node),
	.hashfn = klp_shadow_hashfn,
	.obj_cmpfn = klp_shadow_cmpfn,
	.automatic_shrinking = true,
};

static struct rhashtable klp_shadow_table;
static DEFINE_HASHTABLE(klp_shadow_ids, 6);

/*
 * Find <obj, id>. The caller holds klp_shadow_lock or uses the result as RCU
 * allows. The fast paths that call it are __flatten: gcc otherwise keeps
 * this and the key's hash out of line, two calls that cost more than the
 * lookup itself when the table is small.
 */
static struct klp_shadow *klp_shadow_lookup(void *obj, unsigned long id)
{
	struct klp_shadow_key key = { .obj = obj, .id = id };

	return rhashtable_lookup_fast(&klp_shadow_table, &key,
				      klp_shadow_params);
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
	return rec;
}

static void klp_shadow_id_free_rcu(struct rcu_head *head)
{
	struct klp_shadow_id *rec = container_of(head, struct klp_shadow_id,
						 rcu_head);

	kfree(rec->name);
	kfree(rec);
}

/* Return the record of @id, adding @new_rec if there is none; consumes @new_rec. */
static struct klp_shadow_id *klp_shadow_id_get(unsigned long id,
					       struct klp_shadow_id **new_rec)
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

/* Unlink @shadow from the table and from its record @rec. */
static void klp_shadow_unlink(struct klp_shadow *shadow,
			      struct klp_shadow_id *rec)
{
	lockdep_assert_held(&klp_shadow_lock);

	rhashtable_remove_fast(&klp_shadow_table, &shadow->node,
			       klp_shadow_params);
	list_del(&shadow->id_node);
	WRITE_ONCE(rec->live, rec->live - 1);
	WRITE_ONCE(rec->bytes, rec->bytes - shadow->size);
}

/**
 * klp_shadow_get() - retrieve a shadow variable data pointer
 * @obj:	pointer to parent object
 * @id:		data identifier
 *
 * Context: Any context.
 * Return: the shadow variable data element, NULL on failure.
 */
__flatten void *klp_shadow_get(void *obj, unsigned long id)
{
	struct klp_shadow *shadow = klp_shadow_lookup(obj, id);

	return shadow ? shadow->data : NULL;
}
EXPORT_SYMBOL_GPL(klp_shadow_get);

/* Insert @shadow under its record; on failure the caller frees it. */
static int klp_shadow_insert(struct klp_shadow *shadow,
			     struct klp_shadow_id *rec,
			     klp_shadow_ctor_t ctor, void *ctor_data)
{
	int err;

	lockdep_assert_held(&klp_shadow_lock);

	if (ctor) {
		err = ctor(shadow->key.obj, shadow->data, ctor_data);
		if (err) {
			pr_err("Failed to construct shadow variable <%p, %lx> (%d)\n",
			       shadow->key.obj, shadow->key.id, err);
			return err;
		}
	}

	err = rhashtable_insert_fast(&klp_shadow_table, &shadow->node,
				     klp_shadow_params);
	if (err) {
		pr_err("Failed to add shadow variable <%p, %lx> (%d)\n",
		       shadow->key.obj, shadow->key.id, err);
		return err;
	}
	list_add(&shadow->id_node, &rec->vars);
	WRITE_ONCE(rec->live, rec->live + 1);
	WRITE_ONCE(rec->bytes, rec->bytes + shadow->size);
	return 0;
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
 * an id allocates it outside the lock and tries again.
 */
static __flatten void *
__klp_shadow_get_or_alloc(void *obj, unsigned long id, size_t size,
			  gfp_t gfp_flags, klp_shadow_ctor_t ctor,
			  void *ctor_data, struct klp_shadow_type *type,
			  bool warn_on_exist)
{
	struct klp_shadow_id *rec, *new_rec = NULL;
	struct klp_shadow *shadow, *new_shadow;
	unsigned long flags;
	int err;

	if (!warn_on_exist) {
		shadow = klp_shadow_lookup(obj, id);
		if (shadow)
			return shadow->data;
	}

	/* Allocate outside the lock, zeroed; @ctor runs only if it is used. */
	new_shadow = kzalloc(struct_size(new_shadow, data, size), gfp_flags);
	if (!new_shadow)
		return NULL;
	new_shadow->key.obj = obj;
	new_shadow->key.id = id;
	new_shadow->size = size;

retry:
	spin_lock_irqsave(&klp_shadow_lock, flags);
	shadow = klp_shadow_lookup(obj, id);
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
	if (type && !type->nr_refs)
		err = -ENOENT;
	else
		err = klp_shadow_insert(new_shadow, rec, ctor, ctor_data);
	if (err)
		klp_shadow_id_put(rec);
	spin_unlock_irqrestore(&klp_shadow_lock, flags);

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
 * is called only when the variable is really added, in atomic context
 * under a spinlock. If <obj, id> exists already, this routine issues a
 * WARN and returns NULL.
 *
 * Context: Any context that @gfp_flags allow.
 * Return: the shadow variable data element, NULL on duplicate or failure.
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
 * Return: the shadow variable data element, NULL on failure.
 */
void *klp_shadow_get_or_alloc(void *obj, unsigned long id,
			      size_t size, gfp_t gfp_flags,
			      klp_shadow_ctor_t ctor, void *ctor_data)
{
	return __klp_shadow_get_or_alloc(obj, id, size, gfp_flags,
					 ctor, ctor_data, NULL, false);
}
EXPORT_SYMBOL_GPL(klp_shadow_get_or_alloc);

/* Unlink one variable, call @dtor on it and free it after a grace period. */
static void klp_shadow_free_one(struct klp_shadow *shadow,
				struct klp_shadow_id *rec,
				klp_shadow_dtor_t dtor)
{
	lockdep_assert_held(&klp_shadow_lock);

	klp_shadow_unlink(shadow, rec);
	if (dtor)
		dtor(shadow->key.obj, shadow->data);
	kfree_rcu(shadow, rcu_head);
}

/**
 * klp_shadow_free() - detach and free a <obj, id> shadow variable
 * @obj:	pointer to parent object
 * @id:		data identifier
 * @dtor:	custom callback that can be used to unregister the variable
 *		and/or free data that the shadow variable points to (optional)
 *
 * Releases this <obj, id> shadow variable; callers should stop referencing
 * it. @dtor runs in atomic context under a spinlock.
 *
 * Context: Any context.
 */
__flatten void klp_shadow_free(void *obj, unsigned long id, klp_shadow_dtor_t dtor)
{
	struct klp_shadow *shadow;
	struct klp_shadow_id *rec;
	unsigned long flags;

	spin_lock_irqsave(&klp_shadow_lock, flags);
	shadow = klp_shadow_lookup(obj, id);
	rec = klp_shadow_id_find(id);
	if (shadow && !WARN_ON_ONCE(!rec)) {
		klp_shadow_free_one(shadow, rec, dtor);
		klp_shadow_id_put(rec);
	}
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
}
EXPORT_SYMBOL_GPL(klp_shadow_free);

/**
 * klp_shadow_free_all() - detach and free all <_, id> shadow variables
 * @id:		data identifier
 * @dtor:	custom callback that can be used to unregister the variable
 *		and/or free data that the shadow variable points to (optional)
 *
 * Releases every <_, id> shadow variable; callers should stop referencing
 * them. It walks only the variables with @id. @dtor runs in atomic context
 * under a spinlock; types registered with the registry do not need this:
 * their variables are collected when the last reference goes.
 *
 * Context: Any context.
 */
void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor)
{
	struct klp_shadow *shadow, *tmp;
	struct klp_shadow_id *rec;
	unsigned long flags;

	spin_lock_irqsave(&klp_shadow_lock, flags);
	rec = klp_shadow_id_find(id);
	if (rec) {
		list_for_each_entry_safe(shadow, tmp, &rec->vars, id_node)
			klp_shadow_free_one(shadow, rec, dtor);
		klp_shadow_id_put(rec);
	}
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
}
EXPORT_SYMBOL_GPL(klp_shadow_free_all);

/*
 * Free every variable of @rec through @dtor: unlink them in batches of
 * KLP_SHADOW_BATCH under klp_shadow_lock, wait for readers, then call
 * @dtor and free each in process context. The caller holds klp_shadow_mutex
 * and keeps @rec alive with @rec->collecting.
 *
 * Return: the number of variables freed.
 */
static unsigned long klp_shadow_collect(struct klp_shadow_id *rec,
					klp_shadow_dtor_t dtor)
{
	struct klp_shadow *shadow, *tmp;
	unsigned long flags, n = 0;
	LIST_HEAD(dead);
	unsigned int i;
	bool more;

	lockdep_assert_held(&klp_shadow_mutex);
	might_sleep();

	do {
		spin_lock_irqsave(&klp_shadow_lock, flags);
		for (i = 0; i < KLP_SHADOW_BATCH && !list_empty(&rec->vars); i++) {
			shadow = list_first_entry(&rec->vars, struct klp_shadow,
						  id_node);
			klp_shadow_unlink(shadow, rec);
			list_add_tail(&shadow->id_node, &dead);
		}
		more = !list_empty(&rec->vars);
		spin_unlock_irqrestore(&klp_shadow_lock, flags);
		cond_resched();
	} while (more);

	if (list_empty(&dead))
		return 0;

	synchronize_rcu();
	list_for_each_entry_safe(shadow, tmp, &dead, id_node) {
		if (dtor)
			dtor(shadow->key.obj, shadow->data);
		kfree(shadow);
		n++;
		cond_resched();
	}
	return n;
}

static bool klp_shadow_same_name(const char *a, const char *b)
{
	return !strcmp(a ?: "", b ?: "");
}

/* May @owner take a reference on @rec through @type? */
static int klp_shadow_check(struct klp_shadow_id *rec,
			    struct klp_shadow_type *type, const char *owner)
{
	struct klp_shadow_owner *own;

	lockdep_assert_held(&klp_shadow_lock);

	if (rec->refcount && !klp_shadow_same_name(rec->name, type->name)) {
		own = list_first_entry(&rec->owners, struct klp_shadow_owner,
				       node);
		pr_err("shadow id %lu: name '%s' of %s conflicts with '%s' of %s\n",
		       type->id, type->name ?: "", owner, rec->name ?: "",
		       own->name);
		return -EINVAL;
	}

	list_for_each_entry(own, &rec->owners, node) {
		if (!strcmp(own->name, owner)) {
			pr_err("shadow id %lu: already registered by %s\n",
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
}

static int __klp_shadow_register(struct klp_shadow_type *type,
				 const char *owner)
{
	struct klp_shadow_id *rec, *new_rec;
	struct klp_shadow_owner *own;
	size_t len = strlen(owner) + 1;
	char *name = NULL;
	unsigned long flags;
	int ret;

	lockdep_assert_held(&klp_shadow_mutex);

	own = kzalloc(struct_size(own, name, len), GFP_KERNEL);
	new_rec = klp_shadow_id_alloc(type->id, GFP_KERNEL);
	if (type->name)
		name = kstrdup(type->name, GFP_KERNEL);
	if (!own || !new_rec || (type->name && !name)) {
		ret = -ENOMEM;
		goto out;
	}
	own->type = type;
	strscpy(own->name, owner, len);

	spin_lock_irqsave(&klp_shadow_lock, flags);
	rec = klp_shadow_id_get(type->id, &new_rec);
	ret = klp_shadow_check(rec, type, owner);
	if (!ret) {
		if (!rec->refcount)
			swap(rec->name, name);
		klp_shadow_owner_add(rec, own);
		own = NULL;
		WRITE_ONCE(rec->refcount, rec->refcount + 1);
		WRITE_ONCE(type->nr_refs, type->nr_refs + 1);
		pr_debug("shadow id %lu ('%s'): referenced by %s, refcount %u\n",
			 type->id, type->name ?: "", owner, rec->refcount);
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

static void __klp_shadow_unregister(struct klp_shadow_type *type,
				    const char *owner)
{
	struct klp_shadow_owner *own = NULL, *pos;
	struct klp_shadow_id *rec;
	unsigned long flags, n;
	bool last = false;

	lockdep_assert_held(&klp_shadow_mutex);

	spin_lock_irqsave(&klp_shadow_lock, flags);
	rec = klp_shadow_id_find(type->id);
	if (rec) {
		list_for_each_entry(pos, &rec->owners, node) {
			if (!strcmp(pos->name, owner)) {
				own = pos;
				break;
			}
		}
	}
	if (own) {
		list_del(&own->node);
		WRITE_ONCE(own->type->nr_refs, own->type->nr_refs - 1);
		WRITE_ONCE(rec->refcount, rec->refcount - 1);
		pr_debug("shadow id %lu ('%s'): released by %s, refcount %u\n",
			 type->id, type->name ?: "", owner, rec->refcount);
		last = !rec->refcount;
		if (last)
			rec->collecting++;
	}
	spin_unlock_irqrestore(&klp_shadow_lock, flags);

	if (!own) {
		pr_err("shadow id %lu: not registered by %s\n", type->id, owner);
		return;
	}
	kfree(own);
	if (!last)
		return;

	n = klp_shadow_collect(rec, type->dtor);
	pr_debug("shadow id %lu ('%s'): %lu variables freed\n",
		 type->id, type->name ?: "", n);

	spin_lock_irqsave(&klp_shadow_lock, flags);
	rec->collecting--;
	klp_shadow_id_put(rec);
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
}

/**
 * klp_shadow_register() - take a reference on a shadow variable type
 * @type:	the type
 * @owner:	who holds the reference, shown in sysfs; one reference per
 *		owner and id, e.g. "<patch>/<object>"
 *
 * For livepatches that cannot list their types in klp_object.shadow_types
 * (generated ones, for example): call it from a pre_patch callback and
 * klp_shadow_unregister() from the post_unpatch callback of that object.
 * Types with the same id must have the same name.
 *
 * Context: Process context; takes klp_shadow_mutex; may sleep.
 * Return: 0 on success; -EINVAL on a bad argument or if @type's id is
 * referenced under another name; -EEXIST if @owner holds a reference on
 * the id already; -ENOMEM.
 */
int klp_shadow_register(struct klp_shadow_type *type, const char *owner)
{
	int ret;

	if (!type || !owner || !*owner || strlen(owner) >= KLP_SHADOW_OWNER_LEN)
		return -EINVAL;

	mutex_lock(&klp_shadow_mutex);
	ret = __klp_shadow_register(type, owner);
	mutex_unlock(&klp_shadow_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(klp_shadow_register);

/**
 * klp_shadow_unregister() - drop a reference on a shadow variable type
 * @type:	the type passed to klp_shadow_register()
 * @owner:	the owner passed to klp_shadow_register()
 *
 * When this drops the last reference on @type's id, every variable with
 * that id is freed through @type's destructor before this returns, once no
 * reader can see it any more.
 *
 * Context: Process context; takes klp_shadow_mutex; may sleep.
 */
void klp_shadow_unregister(struct klp_shadow_type *type, const char *owner)
{
	if (!type || !owner)
		return;

	mutex_lock(&klp_shadow_mutex);
	__klp_shadow_unregister(type, owner);
	mutex_unlock(&klp_shadow_mutex);
}
EXPORT_SYMBOL_GPL(klp_shadow_unregister);

/* Typed access needs a reference; warn once per type when there is none. */
static bool klp_shadow_type_usable(struct klp_shadow_type *type)
{
	if (likely(READ_ONCE(type->nr_refs)))
		return true;

	if (!READ_ONCE(type->warned)) {
		WRITE_ONCE(type->warned, true);
		pr_warn("shadow id %lu ('%s') used without a reference: list it in klp_object.shadow_types or call klp_shadow_register()\n",
			type->id, type->name ?: "");
	}
	return false;
}

/**
 * klp_shadow_type_get() - retrieve the data of a typed shadow variable
 * @type:	the variable's type, with a reference held
 * @obj:	pointer to parent object
 *
 * Context: Any context.
 * Return: the shadow variable data element, NULL if there is none or no
 * reference is held on @type.
 */
__flatten void *klp_shadow_type_get(struct klp_shadow_type *type, void *obj)
{
	if (!klp_shadow_type_usable(type))
		return NULL;
	return klp_shadow_get(obj, type->id);
}
EXPORT_SYMBOL_GPL(klp_shadow_type_get);

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
 * Context: Any context that @gfp_flags allow.
 * Return: the shadow variable data element, NULL on duplicate, on failure,
 * or if no reference is held on @type.
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
 * Context: Any context that @gfp_flags allow.
 * Return: the shadow variable data element, NULL on failure or if no
 * reference is held on @type.
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
 * Like klp_shadow_free() with @type's id and dtor.
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

static void klp_shadow_owner_name(char *buf, struct klp_patch *patch,
				  struct klp_object *obj)
{
	snprintf(buf, KLP_SHADOW_OWNER_LEN, "%s/%s", patch->mod->name,
		 obj->name ?: "vmlinux");
}

/**
 * klp_shadow_hold_object() - reference the shadow types of an object
 * @patch:	the patch @obj belongs to
 * @obj:	the object about to be patched
 *
 * Takes a reference on every type in @obj->shadow_types, owned by
 * "<patch>/<object>", before any task can run @obj's new code; on failure
 * it drops the ones it took.
 *
 * Context: Process context, klp_mutex held.
 * Return: 0 on success, or the error of klp_shadow_register().
 */
int klp_shadow_hold_object(struct klp_patch *patch, struct klp_object *obj)
{
	struct klp_shadow_type **type;
	char owner[KLP_SHADOW_OWNER_LEN];
	int ret = 0;

	lockdep_assert_held(&klp_mutex);

	if (WARN_ON(obj->shadow_held))
		return -EINVAL;
	if (!obj->shadow_types)
		return 0;

	klp_shadow_owner_name(owner, patch, obj);
	mutex_lock(&klp_shadow_mutex);
	for (type = obj->shadow_types; *type; type++) {
		ret = __klp_shadow_register(*type, owner);
		if (ret)
			break;
	}
	if (ret) {
		while (type-- != obj->shadow_types)
			__klp_shadow_unregister(*type, owner);
	} else {
		obj->shadow_held = true;
	}
	mutex_unlock(&klp_shadow_mutex);
	return ret;
}

/**
 * klp_shadow_release_object() - drop the references of an object
 * @patch:	the patch @obj belongs to
 * @obj:	an object that is unpatched for good
 *
 * Drops what klp_shadow_hold_object() took, if it did; types whose last
 * reference this was are collected before it returns.
 *
 * Context: Process context, klp_mutex held.
 */
void klp_shadow_release_object(struct klp_patch *patch, struct klp_object *obj)
{
	struct klp_shadow_type **type;
	char owner[KLP_SHADOW_OWNER_LEN];

	lockdep_assert_held(&klp_mutex);

	if (!obj->shadow_held)
		return;

	klp_shadow_owner_name(owner, patch, obj);
	mutex_lock(&klp_shadow_mutex);
	for (type = obj->shadow_types; *type; type++)
		__klp_shadow_unregister(*type, owner);
	obj->shadow_held = false;
	mutex_unlock(&klp_shadow_mutex);
}

/**
 * klp_shadow_id_stat() - what the registry knows of an id
 * @id:		data identifier
 * @stat:	filled with its references, live variables and their bytes;
 *		zeroes when the registry does not know @id
 *
 * Costs one lookup in the table of ids, whatever the number of variables.
 *
 * Context: Any context.
 */
void klp_shadow_id_stat(unsigned long id, struct klp_shadow_stat *stat)
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
}

/**
 * klp_shadow_id_owners() - print the holders of references on an id
 * @id:		data identifier
 * @buf:	a sysfs page
 *
 * Prints one line per holder, sorted, as many whole lines as fit in @buf.
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
		list_for_each_entry(own, &rec->owners, node) {
			if (len + strlen(own->name) + 1 >= PAGE_SIZE)
				break;
			len += sysfs_emit_at(buf, len, "%s\n", own->name);
		}
	}
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	return len;
}

#ifdef CONFIG_LIVEPATCH_SHADOW_DEBUG
static int klp_shadow_id_cmp(const void *a, const void *b)
{
	const struct klp_shadow_id *ra = *(const struct klp_shadow_id **)a;
	const struct klp_shadow_id *rb = *(const struct klp_shadow_id **)b;

	if (ra->id == rb->id)
		return 0;
	return ra->id < rb->id ? -1 : 1;
}

/*
 * Fill @recs with up to @max records of the registry, sorted by id; with
 * @orphans, only those that hold variables but no reference. The caller
 * holds rcu_read_lock() for as long as it uses them.
 *
 * Return: how many records there are, which may exceed @max.
 */
static unsigned int klp_shadow_id_snapshot(struct klp_shadow_id **recs,
					   unsigned int max, bool orphans)
{
	struct klp_shadow_id *rec;
	unsigned int bkt, n = 0;

	hash_for_each_rcu(klp_shadow_ids, bkt, rec, node) {
		if (orphans && (READ_ONCE(rec->refcount) || !READ_ONCE(rec->live)))
			continue;
		if (n < max)
			recs[n] = rec;
		n++;
	}
	if (n <= max)
		sort(recs, n, sizeof(*recs), klp_shadow_id_cmp, NULL);
	return n;
}

/*
 * Run @fn on a sorted snapshot of the registry's records, under
 * rcu_read_lock(), growing the snapshot until every record fits. The
 * caller holds klp_shadow_mutex, which keeps the names stable.
 */
static int klp_shadow_walk(bool orphans, void *data,
			   void (*fn)(struct klp_shadow_id **recs, unsigned int n, void *data))
{
	struct klp_shadow_id **recs = NULL;
	unsigned int n, max = 0;

	lockdep_assert_held(&klp_shadow_mutex);

	for (;;) {
		rcu_read_lock();
		n = klp_shadow_id_snapshot(recs, max, orphans);
		if (n <= max) {
			fn(recs, n, data);
			rcu_read_unlock();
			break;
		}
		rcu_read_unlock();
		kfree(recs);
		max = n + 16;
		recs = kmalloc_array(max, sizeof(*recs), GFP_KERNEL);
		if (!recs)
			return -ENOMEM;
	}
	kfree(recs);
	return 0;
}

static void klp_shadow_types_print(struct klp_shadow_id **recs,
				   unsigned int n, void *data)
{
	struct seq_file *m = data;
	unsigned int i;

	seq_puts(m, "id name refcount live bytes\n");
	for (i = 0; i < n; i++) {
		seq_printf(m, "%lu ", recs[i]->id);
		if (recs[i]->name && *recs[i]->name)
			seq_escape(m, recs[i]->name, " \t\n\\");
		else
			seq_putc(m, '-');
		seq_printf(m, " %u %lu %lu\n", READ_ONCE(recs[i]->refcount),
			   READ_ONCE(recs[i]->live), READ_ONCE(recs[i]->bytes));
	}
}

/**
 * klp_shadow_print_types() - print every id the registry knows
 * @m:		the seq_file of the debugfs "types" file
 *
 * Prints a header, then one line per id, sorted: id, name ("-" if none;
 * white space and backslashes escaped in octal), refcount, live variables
 * and their bytes.
 *
 * Context: Process context; takes klp_shadow_mutex; may sleep.
 * Return: 0, -EINTR or -ENOMEM.
 */
int klp_shadow_print_types(struct seq_file *m)
{
	int ret;

	if (mutex_lock_interruptible(&klp_shadow_mutex))
		return -EINTR;
	ret = klp_shadow_walk(false, m, klp_shadow_types_print);
	mutex_unlock(&klp_shadow_mutex);
	return ret;
}

/*
 * Collect every variable of @id now, through the destructor of a type that
 * references it, if any. The caller holds klp_shadow_mutex.
 *
 * Return: the number of variables freed, -ENOENT if the registry does not
 * know @id, or -EBUSY if @orphan is set and the id holds a reference.
 */
static long klp_shadow_gc_one(unsigned long id, bool orphan)
{
	klp_shadow_dtor_t dtor = NULL;
	struct klp_shadow_owner *own;
	struct klp_shadow_id *rec;
	unsigned long flags, n;

	lockdep_assert_held(&klp_shadow_mutex);

	spin_lock_irqsave(&klp_shadow_lock, flags);
	rec = klp_shadow_id_find(id);
	if (rec && orphan && rec->refcount) {
		spin_unlock_irqrestore(&klp_shadow_lock, flags);
		return -EBUSY;
	}
	if (rec) {
		rec->collecting++;
		own = list_first_entry_or_null(&rec->owners,
					       struct klp_shadow_owner, node);
		if (own)
			dtor = own->type->dtor;
	}
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	if (!rec)
		return -ENOENT;

	n = klp_shadow_collect(rec, dtor);
	pr_info("shadow id %lu ('%s'): gc: %lu variables freed, refcount %u\n",
		id, rec->name ?: "", n, rec->refcount);

	spin_lock_irqsave(&klp_shadow_lock, flags);
	rec->collecting--;
	klp_shadow_id_put(rec);
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	return n;
}

/**
 * klp_shadow_gc_id() - collect the variables of an id, referenced or not
 * @id:		data identifier
 *
 * A fault injection knob: frees every variable with @id through the
 * destructor of a type that references it (none if no type does), once no
 * reader can see them, even while livepatches still use them.
 *
 * Context: Process context; takes klp_shadow_mutex; may sleep.
 * Return: the number of variables freed, -EINVAL if the registry does not
 * know @id, or -EINTR.
 */
long klp_shadow_gc_id(unsigned long id)
{
	long ret;

	if (mutex_lock_interruptible(&klp_shadow_mutex))
		return -EINTR;
	ret = klp_shadow_gc_one(id, false);
	mutex_unlock(&klp_shadow_mutex);
	return ret == -ENOENT ? -EINVAL : ret;
}

struct klp_shadow_orphans {
	unsigned long *ids;
	unsigned int nr;
};

static void klp_shadow_orphans_copy(struct klp_shadow_id **recs,
				    unsigned int n, void *data)
{
	struct klp_shadow_orphans *orphans = data;
	unsigned int i;

	orphans->ids = kmalloc_array(n, sizeof(*orphans->ids), GFP_ATOMIC);
	if (!orphans->ids)
		return;
	for (i = 0; i < n; i++)
		orphans->ids[i] = recs[i]->id;
	orphans->nr = n;
}

/**
 * klp_shadow_gc_orphans() - collect the variables nobody references
 *
 * Frees every variable whose id holds no reference (ids used only through
 * the id-based API, for instance), without a destructor, since no type
 * provides one.
 *
 * Context: Process context; takes klp_shadow_mutex; may sleep.
 * Return: the number of variables freed, -EINTR or -ENOMEM.
 */
long klp_shadow_gc_orphans(void)
{
	struct klp_shadow_orphans orphans = { };
	unsigned long total = 0;
	unsigned int i;
	long n;
	int ret;

	if (mutex_lock_interruptible(&klp_shadow_mutex))
		return -EINTR;
	ret = klp_shadow_walk(true, &orphans, klp_shadow_orphans_copy);
	if (!ret && !orphans.ids)
		ret = -ENOMEM;
	for (i = 0; !ret && i < orphans.nr; i++) {
		n = klp_shadow_gc_one(orphans.ids[i], true);
		if (n > 0)
			total += n;
	}
	mutex_unlock(&klp_shadow_mutex);
	kfree(orphans.ids);
	if (ret)
		return ret;
	pr_info("gc: %lu orphan variables freed\n", total);
	return total;
}
#endif /* CONFIG_LIVEPATCH_SHADOW_DEBUG */

static int __init klp_shadow_init(void)
{
	return rhashtable_init(&klp_shadow_table, &klp_shadow_params);
}
core_initcall(klp_shadow_init);

#ifdef CONFIG_LIVEPATCH_SHADOW_KUNIT_TEST
#include "shadow_kunit.c"
#endif
