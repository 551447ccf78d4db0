// SPDX-License-Identifier: GPL-2.0
/* Take the reference on "counter" explicitly, as a generated patch would. */
#define SHADOW_TYPE_ID		0x5a
#define SHADOW_TYPE_NAME	"counter"
#define SHADOW_EXPLICIT
#define SHADOW_VALUE		81
#include "test_klp_shadow_types.h"
MODULE_DESCRIPTION("Livepatch test: shadow type registered from callbacks");
