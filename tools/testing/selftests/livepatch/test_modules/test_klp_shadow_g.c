// SPDX-License-Identifier: GPL-2.0
/* Patch test_klp_callbacks_busy; allocate in pre_patch (reversal test). */
#define SHADOW_OBJ		"test_klp_callbacks_busy"
#define SHADOW_FUNC		"busymod_work_func"
#define SHADOW_TYPE_ID		0x5d
#define SHADOW_TYPE_NAME	"busy"
#define SHADOW_ALLOC_IN_PRE
#define SHADOW_VALUE		71
#include "test_klp_shadow_types.h"
MODULE_DESCRIPTION("Livepatch test: shadow type of a patch whose transition is reversed");
