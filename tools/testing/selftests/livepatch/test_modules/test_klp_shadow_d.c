// SPDX-License-Identifier: GPL-2.0
/* A second, non-replace patch sharing the shadow type "counter". */
#define SHADOW_TYPE_ID		0x5a
#define SHADOW_TYPE_NAME	"counter"
#define SHADOW_VALUE		41
#include "test_klp_shadow_types.h"
MODULE_DESCRIPTION("Livepatch test: second patch sharing shadow type counter");
