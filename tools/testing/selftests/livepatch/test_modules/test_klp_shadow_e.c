// SPDX-License-Identifier: GPL-2.0
/*
 * Lists a new type, then the id of "counter" under another name: the enable
 * must fail and give back the reference it took on the first one.
 */
#define SHADOW_TYPE_ID		0x5e
#define SHADOW_TYPE_NAME	"fresh"
#define SHADOW_TYPE2_ID		0x5a
#define SHADOW_TYPE2_NAME	"other"
#define SHADOW_VALUE		51
#include "test_klp_shadow_types.h"
MODULE_DESCRIPTION("Livepatch test: shadow id conflicting with counter");
