/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LIVEPATCH_SHADOW_H
#define _LIVEPATCH_SHADOW_H

#include <linux/types.h>

/* Buckets of the smallest variables' hash table. */
#define KLP_SHADOW_MIN_SHIFT	12

/* Internals shadow_kunit.c tests (VISIBLE_IF_KUNIT in shadow.c). */
#if IS_ENABLED(CONFIG_KUNIT)
unsigned int klp_shadow_wanted_shift(unsigned long n, unsigned int shift);
#endif

#endif /* _LIVEPATCH_SHADOW_H */
