// SPDX-License-Identifier: GPL-2.0
/* Patch vmlinux; list a type with the reserved id, whose key no variable has. */

#define SHADOW_TYPE_ID		KLP_SHADOW_ID_RESERVED
#define SHADOW_TYPE_NAME	"reserved"
#define SHADOW_VALUE		111

#include "test_klp_shadow_types.h"

MODULE_DESCRIPTION("Livepatch test: a shadow type with the reserved id");
