// SPDX-License-Identifier: GPL-2.0
/* Patch test_klp_shadow_sleep's step; a task sleeps in it holding "sleeper". */
#define SLEEPER_TYPE_ID		0x63
#define SLEEPER_TYPE_NAME	"sleeper"
#include "test_klp_shadow_sleeper.h"
MODULE_DESCRIPTION("Livepatch test: a task sleeps in the patch holding a shadow variable");
