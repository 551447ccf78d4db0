// SPDX-License-Identifier: GPL-2.0
/* Atomic replace that keeps the shadow type "counter" (hand-over). */
#define SHADOW_REPLACE		true
#define SHADOW_TYPE_ID		0x5a
#define SHADOW_TYPE_NAME	"counter"
#define SHADOW_VALUE		21
#include "test_klp_shadow_types.h"
MODULE_DESCRIPTION("Livepatch test: atomic replace keeping shadow type counter");
