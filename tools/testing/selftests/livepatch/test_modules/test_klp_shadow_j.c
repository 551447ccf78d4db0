// SPDX-License-Identifier: GPL-2.0
/* Patch vmlinux; list a type whose name holds a newline. */
#define SHADOW_TYPE_ID		0x62
#define SHADOW_TYPE_NAME	"two\nlines"
#define SHADOW_VALUE		101
#include "test_klp_shadow_types.h"
MODULE_DESCRIPTION("Livepatch test: a shadow type with an invalid name");
