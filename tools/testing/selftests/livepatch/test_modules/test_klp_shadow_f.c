// SPDX-License-Identifier: GPL-2.0
/* Patch the module test_klp_shadow_mod; list the type "per-module". */
#define SHADOW_OBJ		"test_klp_shadow_mod"
#define SHADOW_FUNC		"test_klp_shadow_mod_work"
#define SHADOW_TYPE_ID		0x5b
#define SHADOW_TYPE_NAME	"per-module"
#define SHADOW_VALUE		61
#define SHADOW_DTOR_HOLD
#include "test_klp_shadow_types.h"
MODULE_DESCRIPTION("Livepatch test: shadow type of a target module");
