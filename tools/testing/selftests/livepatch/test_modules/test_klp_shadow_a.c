// SPDX-License-Identifier: GPL-2.0
/* Patch vmlinux; list the shadow type "counter". */
#define SHADOW_TYPE_ID		0x5a
#define SHADOW_TYPE_NAME	"counter"
#define SHADOW_VALUE		11
#include "test_klp_shadow_types.h"
MODULE_DESCRIPTION("Livepatch test: shadow type counter, first patch");
