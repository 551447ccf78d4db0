// SPDX-License-Identifier: GPL-2.0
/* Atomic replace that lists no shadow type (downgrade). */
#define SHADOW_REPLACE		true
#include "test_klp_shadow_types.h"
MODULE_DESCRIPTION("Livepatch test: atomic replace dropping every shadow type");
