// SPDX-License-Identifier: GPL-2.0
/* Patch vmlinux; list the id of test_klp_shadow_f's "per-module" as "other". */
#define SHADOW_TYPE_ID		0x5b
#define SHADOW_TYPE_NAME	"other"
#define SHADOW_VALUE		91
#include "test_klp_shadow_types.h"
MODULE_DESCRIPTION("Livepatch test: a type conflicting with one of an unloaded module object");
