/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LIVEPATCH_SHADOW_H
#define _LIVEPATCH_SHADOW_H

#include <linux/livepatch.h>

int klp_shadow_hold_object(struct klp_patch *patch, struct klp_object *obj);
void klp_shadow_release_object(struct klp_patch *patch, struct klp_object *obj);

#endif /* _LIVEPATCH_SHADOW_H */
