/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LIVEPATCH_SHADOW_H
#define _LIVEPATCH_SHADOW_H

#include <linux/livepatch.h>

struct seq_file;

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

void klp_shadow_id_stat(unsigned long id, struct klp_shadow_stat *stat);
ssize_t klp_shadow_id_owners(unsigned long id, char *buf);

int klp_shadow_sysfs_add(struct klp_object *obj);
void klp_shadow_sysfs_remove(struct klp_object *obj);
int klp_shadow_sysfs_add_registered(struct klp_object *obj,
				    struct klp_shadow_type *type);
void klp_shadow_sysfs_remove_registered(struct klp_object *obj,
					struct klp_shadow_type *type);

#ifdef CONFIG_LIVEPATCH_SHADOW_DEBUG
int klp_shadow_print_types(struct seq_file *m);
long klp_shadow_gc_id(unsigned long id);
long klp_shadow_gc_orphans(void);
#endif

#endif /* _LIVEPATCH_SHADOW_H */
