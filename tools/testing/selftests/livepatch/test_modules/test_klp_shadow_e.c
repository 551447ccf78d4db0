// SPDX-License-Identifier: GPL-2.0
/* Claims the id of "counter" under another name: must be refused. */
#define SHADOW_TYPE_ID		0x5a
#define SHADOW_TYPE_NAME	"other"
#define SHADOW_VALUE		51
#include "test_klp_shadow_types.h"
MODULE_DESCRIPTION("Livepatch test: shadow id conflicting with counter");
