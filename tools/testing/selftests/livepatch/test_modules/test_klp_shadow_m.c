// SPDX-License-Identifier: GPL-2.0
/*
 * test_klp_shadow_k with a type of its own, "dozer": for the tests after
 * the forced transition that leaves test_klp_shadow_k loaded for good.
 */
#define SLEEPER_TYPE_ID		0x67
#define SLEEPER_TYPE_NAME	"dozer"
#include "test_klp_shadow_sleeper.h"
MODULE_DESCRIPTION("Livepatch test: a task sleeps in the patch holding a shadow variable, again");
