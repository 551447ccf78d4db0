// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * shadow_sysfs.c - The shadow variable registry seen from user space
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/livepatch.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include "core.h"
#include "shadow.h"

/*
 * sysfs, for every type in klp_object.shadow_types, whether its object is
 * loaded or not, and for every type registered for the object with
 * klp_shadow_register() while it is; the values are those of the id in the
 * whole registry:
 *
 * /sys/kernel/livepatch/<patch>/<object>/shadow_types
 * /sys/kernel/livepatch/<patch>/<object>/shadow_types/<id>
 * /sys/kernel/livepatch/<patch>/<object>/shadow_types/<id>/name
 * /sys/kernel/livepatch/<patch>/<object>/shadow_types/<id>/refcount
 * /sys/kernel/livepatch/<patch>/<object>/shadow_types/<id>/owners
 * /sys/kernel/livepatch/<patch>/<object>/shadow_types/<id>/live
 * /sys/kernel/livepatch/<patch>/<object>/shadow_types/<id>/bytes
 */

/**
 * struct klp_shadow_dir - the sysfs directory of one type
 * @kobj:	shadow_types/<id>
 * @id:		the type's id
 * @name:	the type's name; the type outlives the directory
 * @node:	node in klp_shadow_sysfs.registered, for a registered type
 */
struct klp_shadow_dir {
	struct kobject kobj;
	unsigned long id;
	const char *name;
	struct list_head node;
};

/**
 * struct klp_shadow_sysfs - the shadow_types directory of an object
 * @kobj:	shadow_types
 * @registered:	directories of the types registered for the object
 * @nr:		directories in @dirs
 * @dirs:	one directory per listed type
 */
struct klp_shadow_sysfs {
	struct kobject *kobj;
	struct list_head registered;
	unsigned int nr;
	struct klp_shadow_dir *dirs[];
};

static struct klp_shadow_dir *to_klp_shadow_dir(struct kobject *kobj)
{
	return container_of(kobj, struct klp_shadow_dir, kobj);
}

static ssize_t name_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", to_klp_shadow_dir(kobj)->name ?: "");
}

static ssize_t refcount_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	struct klp_shadow_stat stat;

	klp_shadow_id_stat(to_klp_shadow_dir(kobj)->id, &stat);
	return sysfs_emit(buf, "%u\n", stat.refcount);
}

static ssize_t owners_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return klp_shadow_id_owners(to_klp_shadow_dir(kobj)->id, buf);
}

static ssize_t live_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct klp_shadow_stat stat;

	klp_shadow_id_stat(to_klp_shadow_dir(kobj)->id, &stat);
	return sysfs_emit(buf, "%lu\n", stat.live);
}

static ssize_t bytes_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct klp_shadow_stat stat;

	klp_shadow_id_stat(to_klp_shadow_dir(kobj)->id, &stat);
	return sysfs_emit(buf, "%lu\n", stat.bytes);
}

static struct kobj_attribute name_kobj_attr = __ATTR_RO(name);
static struct kobj_attribute refcount_kobj_attr = __ATTR_RO(refcount);
static struct kobj_attribute owners_kobj_attr = __ATTR_RO(owners);
static struct kobj_attribute live_kobj_attr = __ATTR_RO(live);
static struct kobj_attribute bytes_kobj_attr = __ATTR_RO(bytes);
static struct attribute *klp_shadow_dir_attrs[] = {
	&name_kobj_attr.attr,
	&refcount_kobj_attr.attr,
	&owners_kobj_attr.attr,
	&live_kobj_attr.attr,
	&bytes_kobj_attr.attr,
	NULL
};
ATTRIBUTE_GROUPS(klp_shadow_dir);

static void klp_shadow_dir_release(struct kobject *kobj)
{
	kfree(to_klp_shadow_dir(kobj));
}

static const struct kobj_type klp_shadow_dir_ktype = {
	.release = klp_shadow_dir_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = klp_shadow_dir_groups,
};

/* The same id listed twice would need two directories of one name. */
static int klp_shadow_check_list(struct klp_object *obj)
{
	struct klp_shadow_type **type, **prev;

	for (type = obj->shadow_types; *type; type++) {
		for (prev = obj->shadow_types; prev != type; prev++) {
			if ((*prev)->id == (*type)->id) {
				pr_err("shadow id %lu listed twice by object '%s'\n",
				       (*type)->id, obj->name ?: "vmlinux");
				return -EEXIST;
			}
		}
	}
	return 0;
}

static struct klp_shadow_dir *klp_shadow_dir_new(struct klp_shadow_sysfs *sfs,
						 struct klp_shadow_type *type)
{
	struct klp_shadow_dir *dir;
	int ret;

	dir = kzalloc(sizeof(*dir), GFP_KERNEL);
	if (!dir)
		return ERR_PTR(-ENOMEM);
	dir->id = type->id;
	dir->name = type->name;
	INIT_LIST_HEAD(&dir->node);

	ret = kobject_init_and_add(&dir->kobj, &klp_shadow_dir_ktype, sfs->kobj,
				   "%lu", type->id);
	if (ret) {
		kobject_put(&dir->kobj);
		return ERR_PTR(ret);
	}
	return dir;
}

static int klp_shadow_dir_add(struct klp_shadow_sysfs *sfs,
			      struct klp_shadow_type *type)
{
	struct klp_shadow_dir *dir = klp_shadow_dir_new(sfs, type);

	if (IS_ERR(dir))
		return PTR_ERR(dir);
	sfs->dirs[sfs->nr++] = dir;
	return 0;
}

/* Give @obj its shadow_types directory, for @nr listed types. */
static int klp_shadow_sysfs_create(struct klp_object *obj, unsigned int nr)
{
	struct klp_shadow_sysfs *sfs;

	sfs = kzalloc(struct_size(sfs, dirs, nr), GFP_KERNEL);
	if (!sfs)
		return -ENOMEM;
	INIT_LIST_HEAD(&sfs->registered);
	obj->shadow_sysfs = sfs;

	sfs->kobj = kobject_create_and_add("shadow_types", &obj->kobj);
	if (!sfs->kobj)
		return -ENOMEM;
	return 0;
}

/**
 * klp_shadow_sysfs_add() - add the shadow_types directory of an object
 * @obj:	an object whose own directory was just added
 *
 * Adds shadow_types/<id> for every type @obj lists, if it lists any. On
 * failure, klp_shadow_sysfs_remove() removes what was added.
 *
 * Context: Process context, klp_mutex held.
 * Return: 0 on success, -EEXIST if @obj lists an id twice, or the error of
 * the kobject layer.
 */
int klp_shadow_sysfs_add(struct klp_object *obj)
{
	struct klp_shadow_type **type;
	struct klp_shadow_sysfs *sfs;
	unsigned int nr = 0;
	int ret;

	if (!obj->shadow_types)
		return 0;
	ret = klp_shadow_check_list(obj);
	if (ret)
		return ret;
	for (type = obj->shadow_types; *type; type++)
		nr++;

	ret = klp_shadow_sysfs_create(obj, nr);
	if (ret)
		return ret;
	sfs = obj->shadow_sysfs;
	for (type = obj->shadow_types; *type; type++) {
		ret = klp_shadow_dir_add(sfs, *type);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * klp_shadow_sysfs_remove() - remove the shadow_types directory of an object
 * @obj:	an object about to be freed, with or without the directory
 *
 * Context: Process context.
 */
void klp_shadow_sysfs_remove(struct klp_object *obj)
{
	struct klp_shadow_sysfs *sfs = obj->shadow_sysfs;
	unsigned int i;

	if (!sfs)
		return;
	klp_shadow_sysfs_remove_registered(obj, NULL);
	for (i = 0; i < sfs->nr; i++)
		kobject_put(&sfs->dirs[i]->kobj);
	kobject_put(sfs->kobj);
	kfree(sfs);
	obj->shadow_sysfs = NULL;
}

/**
 * klp_shadow_sysfs_add_registered() - show a registered type in sysfs
 * @obj:	the object @type was registered for
 * @type:	the type
 *
 * Adds shadow_types/<id> for @type, and shadow_types itself if @obj lists
 * no type.
 *
 * Context: Process context, klp_mutex held.
 * Return: 0 on success, or the error of the kobject layer.
 */
int klp_shadow_sysfs_add_registered(struct klp_object *obj,
				    struct klp_shadow_type *type)
{
	struct klp_shadow_dir *dir;
	int ret;

	lockdep_assert_held(&klp_mutex);

	if (!obj->shadow_sysfs) {
		ret = klp_shadow_sysfs_create(obj, 0);
		if (ret) {
			klp_shadow_sysfs_remove(obj);
			return ret;
		}
	}
	dir = klp_shadow_dir_new(obj->shadow_sysfs, type);
	if (IS_ERR(dir))
		return PTR_ERR(dir);
	list_add_tail(&dir->node, &obj->shadow_sysfs->registered);
	return 0;
}

/**
 * klp_shadow_sysfs_remove_registered() - hide registered types
 * @obj:	the object the types were registered for
 * @type:	the type to hide, or NULL for all of them
 *
 * Removes the directories klp_shadow_sysfs_add_registered() added; those
 * of listed types stay.
 *
 * Context: Process context, klp_mutex held.
 */
void klp_shadow_sysfs_remove_registered(struct klp_object *obj,
					struct klp_shadow_type *type)
{
	struct klp_shadow_dir *dir, *tmp;

	if (!obj->shadow_sysfs)
		return;
	list_for_each_entry_safe(dir, tmp, &obj->shadow_sysfs->registered, node) {
		if (type && dir->id != type->id)
			continue;
		list_del(&dir->node);
		kobject_put(&dir->kobj);
	}
}
