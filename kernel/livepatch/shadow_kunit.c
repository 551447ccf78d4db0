// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the shadow variable registry. They reach its internals
 * through shadow.h: what shadow.c makes visible to KUnit, and the test
 * hooks it builds with CONFIG_LIVEPATCH_SHADOW_KUNIT_TEST. Ids KT_ID to
 * KT_ID_LAST (0x4b550000 to 0x4b550020) belong to these tests, which run
 * at boot: kt_exit() drops any reference on them, whoever holds it.
 *
 * At boot only: the cases share static state (the tests' patch, objects
 * and counters) and the registry's test hooks, so that a run beside
 * another would break both. The suite is registered as an init section
 * suite, for which KUnit makes no debugfs "run" file; the cases
 * themselves test no __init code.
 */

#include <kunit/test.h>
#include <linux/irqflags.h>
#include <linux/livepatch.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "core.h"
#include "shadow.h"

#define KT_ID		0x4b550000UL
#define KT_ID_LAST	(KT_ID + 32)
/*
 * The test id @n. One that kt_exit() would not clean up is void: a use of
 * it does not build.
 */
#define KT(n)	__builtin_choose_expr((n) <= KT_ID_LAST - KT_ID, KT_ID + (n), (void)0)
#define KT_OWNER_A	"kunit_a/vmlinux"
#define KT_OWNER_B	"kunit_b/vmlinux"

static int kt_dtor_calls;
static unsigned long kt_dtor_sum;
static int kt_dtor_irqs_off;
static int kt_dtor_still_linked;

/* References the tests take, as a patch object's list would hold them. */
static LIST_HEAD(kt_refs);

/* The release tests' patch and objects: static, too large for the stack. */
static struct klp_patch kt_patch;
static struct klp_object kt_obj_a = {
	.shadow_refs = LIST_HEAD_INIT(kt_obj_a.shadow_refs),
};

static struct klp_object kt_obj_b = {
	.shadow_refs = LIST_HEAD_INIT(kt_obj_b.shadow_refs),
};

/* Count the calls, and those in a context the registry must not use. */
static void kt_dtor(void *obj, void *shadow_data)
{
	/* klp_shadow_lock is taken with IRQs off: irqs_disabled() tells. */
	kt_dtor_calls++;
	kt_dtor_sum += *(unsigned long *)shadow_data;
	kt_dtor_irqs_off += irqs_disabled();
}

/* Record the context the registry runs a destructor in. */
static void kt_dtor_context(void *obj, void *shadow_data)
{
	kt_dtor(obj, shadow_data);
	kt_dtor_still_linked += klp_shadow_get(obj, KT(16)) == shadow_data;
}

static int kt_register(struct klp_shadow_type *type, const char *owner)
{
	int ret;

	mutex_lock(&klp_mutex);
	mutex_lock(&klp_shadow_mutex);
	ret = klp_shadow_ref(&kt_refs, type, owner, true);
	mutex_unlock(&klp_shadow_mutex);
	mutex_unlock(&klp_mutex);
	return ret;
}

static void kt_unregister(struct klp_shadow_type *type, const char *owner)
{
	struct klp_shadow_owner *own;
	LIST_HEAD(collection);

	mutex_lock(&klp_shadow_mutex);
	own = klp_shadow_find_ref(&kt_refs, type->id, owner);
	if (own)
		klp_shadow_unref(own, &collection);
	klp_shadow_collection_end(&collection, true);
	mutex_unlock(&klp_shadow_mutex);
}

/*
 * After kt_exit(): free a type, unless a reference on it is still held (a
 * bug kt_exit() reported): the registry would then point to freed memory.
 */
static void kt_type_release(void *data)
{
	struct klp_shadow_type *type = data;

	if (READ_ONCE(type->nr_refs)) {
		pr_err("shadow id %#lx: type leaked, %u references still held\n",
		       type->id, type->nr_refs);
		return;
	}
	kfree(type);
}

/*
 * A type that outlives the test function, as the registry may still point
 * to it when an assertion ended the test: it is freed after kt_exit().
 */
static struct klp_shadow_type *kt_type(struct kunit *test,
				       const struct klp_shadow_type *init)
{
	struct klp_shadow_type *type;

	/* kt_exit() cleans up after these ids only. */
	KUNIT_ASSERT_TRUE_MSG(test, init->id >= KT_ID && init->id <= KT_ID_LAST,
			      "id %#lx is not one of the tests'", init->id);
	type = kmemdup(init, sizeof(*type), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, type);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kt_type_release,
							type), 0);
	return type;
}

#define KT_TYPE(test, ...)	kt_type(test, &(struct klp_shadow_type){ __VA_ARGS__ })

static int kt_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	*(unsigned long *)shadow_data = (unsigned long)ctor_data;
	return 0;
}

static void *kt_parent(unsigned long i)
{
	return (void *)(0x10000UL + i * 8);
}

/* Live count of @id, or -1 if the registry has no record of it. */
static long kt_live(unsigned long id)
{
	struct klp_shadow_stat stat;

	return klp_shadow_id_stat(id, &stat) ? stat.live : -1;
}

static unsigned int kt_refcount(unsigned long id)
{
	struct klp_shadow_stat stat;

	klp_shadow_id_stat(id, &stat);
	return stat.refcount;
}

static int kt_init(struct kunit *test)
{
	unsigned long id;

	kt_patch.forced = false;
	kt_dtor_calls = 0;
	kt_dtor_sum = 0;
	kt_dtor_irqs_off = 0;
	kt_dtor_still_linked = 0;

	/* Nothing an earlier case left: kt_exit() could not drop it. */
	KUNIT_ASSERT_TRUE_MSG(test, list_empty(&kt_refs), "left by an earlier case");
	KUNIT_ASSERT_TRUE_MSG(test, list_empty(&kt_obj_a.shadow_refs),
			      "left by an earlier case");
	KUNIT_ASSERT_TRUE_MSG(test, list_empty(&kt_obj_b.shadow_refs),
			      "left by an earlier case");
	for (id = KT_ID; id <= KT_ID_LAST; id++)
		KUNIT_ASSERT_EQ_MSG(test, kt_live(id), -1L,
				    "id %#lx: left by an earlier case", id);
	return 0;
}

/*
 * A test that failed an assertion ended with what it held: references,
 * on types freed once this returns, kept ones too, a deferred release,
 * variables. Drop them all, so that no later test meets them; a test that
 * passed must have left nothing. A reference on none of these lists fails
 * the test (and its type is leaked, not freed). Only a collection on a
 * case's own list is beyond reach: no case asserts between
 * klp_shadow_release_object() and klp_shadow_release_defer().
 */
static void kt_exit(struct kunit *test)
{
	LIST_HEAD(collection);
	unsigned int left;
	unsigned long id;

	mutex_lock(&klp_mutex);
	mutex_lock(&klp_shadow_mutex);
	left = klp_shadow_test_drop_refs(&kt_refs, &collection);
	left += klp_shadow_test_drop_refs(&kt_obj_a.shadow_refs, &collection);
	left += klp_shadow_test_drop_refs(&kt_obj_b.shadow_refs, &collection);
	for (id = KT_ID; id <= KT_ID_LAST; id++)
		left += klp_shadow_test_drop_kept(id, NULL, &collection);
	mutex_unlock(&klp_mutex);
	/* Deferred releases too, with no klp_mutex held. */
	klp_shadow_collection_end(&collection, true);
	mutex_unlock(&klp_shadow_mutex);

	for (id = KT_ID; id <= KT_ID_LAST; id++) {
		KUNIT_EXPECT_EQ_MSG(test, kt_refcount(id), 0U,
				    "id %#lx: a reference on none of the lists drained",
				    id);
		if (kt_live(id) < 0)
			continue;
		klp_shadow_free_all(id, NULL);
		left++;
	}
	if (test->status == KUNIT_SUCCESS)
		KUNIT_EXPECT_EQ_MSG(test, left, 0U, "left by the test");
}

static void klp_shadow_test_id_api_counts(struct kunit *test)
{
	unsigned long id = KT(1);
	struct klp_shadow_stat stat;
	void *data;

	data = klp_shadow_alloc(kt_parent(1), id, 24, GFP_KERNEL, NULL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, data);
	KUNIT_EXPECT_PTR_EQ(test, klp_shadow_get(kt_parent(1), id), data);
	KUNIT_EXPECT_NULL(test, klp_shadow_get(kt_parent(2), id));
	KUNIT_EXPECT_NULL(test, klp_shadow_get(kt_parent(1), id + 1));
	KUNIT_EXPECT_PTR_EQ(test, klp_shadow_get_or_alloc(kt_parent(1), id, 24,
							  GFP_KERNEL, NULL, NULL),
			    data);
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_alloc(kt_parent(2), id, 8,
						     GFP_KERNEL, NULL, NULL));
	KUNIT_EXPECT_TRUE(test, klp_shadow_id_stat(id, &stat));
	KUNIT_EXPECT_EQ(test, stat.live, 2UL);
	KUNIT_EXPECT_EQ(test, stat.bytes, 32UL);

	klp_shadow_free(kt_parent(1), id, kt_dtor);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 1);
	KUNIT_EXPECT_NULL(test, klp_shadow_get(kt_parent(1), id));
	KUNIT_EXPECT_EQ(test, kt_live(id), 1);

	klp_shadow_free_all(id, kt_dtor);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 2);
	KUNIT_EXPECT_EQ(test, kt_live(id), -1);
}

static void klp_shadow_test_refcount_and_owners(struct kunit *test)
{
	struct klp_shadow_type *a = KT_TYPE(test, .id = KT(2),
					    .name = "kt");
	struct klp_shadow_type *b = KT_TYPE(test, .id = KT(2),
					    .name = "kt");
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);

	KUNIT_ASSERT_EQ(test, kt_register(b, KT_OWNER_B), 0);
	KUNIT_ASSERT_EQ(test, kt_register(a, KT_OWNER_A), 0);
	KUNIT_EXPECT_EQ(test, kt_refcount(a->id), 2U);
	KUNIT_EXPECT_EQ(test, a->nr_refs, 1U);
	KUNIT_EXPECT_EQ(test, b->nr_refs, 1U);
	/* What a typed get looks up while a reference is held: ~id. */
	KUNIT_EXPECT_EQ(test, a->key, ~a->id);
	KUNIT_EXPECT_EQ(test, b->key, ~b->id);

	/* Sorted by name, whatever the order they came in. */
	KUNIT_EXPECT_GT(test, klp_shadow_id_owners(a->id, buf), 0);
	KUNIT_EXPECT_STREQ(test, buf, KT_OWNER_A "\n" KT_OWNER_B "\n");

	kt_unregister(b, KT_OWNER_B);
	KUNIT_EXPECT_EQ(test, kt_refcount(a->id), 1U);
	KUNIT_EXPECT_EQ(test, b->key, 0UL);
	KUNIT_EXPECT_EQ(test, a->key, ~a->id);

	/* One id, two types: only the one still referenced finds variables. */
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(a, kt_parent(1), 8,
							  GFP_KERNEL, NULL));
	KUNIT_EXPECT_NOT_NULL(test, klp_shadow_type_get(a, kt_parent(1)));
	KUNIT_EXPECT_NULL(test, klp_shadow_type_get(b, kt_parent(1)));
	KUNIT_EXPECT_FALSE(test, b->warned);

	kt_unregister(a, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, a->key, 0UL);
	KUNIT_EXPECT_EQ(test, kt_live(a->id), -1);
}

static void klp_shadow_test_conflicting_name(struct kunit *test)
{
	struct klp_shadow_type *a = KT_TYPE(test, .id = KT(3),
					    .name = "one");
	struct klp_shadow_type *b = KT_TYPE(test, .id = KT(3),
					    .name = "two");
	struct klp_shadow_type *c = KT_TYPE(test, .id = KT(3));

	KUNIT_ASSERT_EQ(test, kt_register(a, KT_OWNER_A), 0);
	KUNIT_EXPECT_EQ(test, kt_register(b, KT_OWNER_B), -EINVAL);
	KUNIT_EXPECT_EQ(test, kt_register(c, KT_OWNER_B), -EINVAL);
	KUNIT_EXPECT_EQ(test, kt_refcount(a->id), 1U);
	KUNIT_EXPECT_EQ(test, b->nr_refs, 0U);
	kt_unregister(a, KT_OWNER_A);

	/* Once nobody holds the id, another name may take it. */
	KUNIT_ASSERT_EQ(test, kt_register(b, KT_OWNER_B), 0);
	kt_unregister(b, KT_OWNER_B);
}

static void klp_shadow_test_double_registration(struct kunit *test)
{
	struct klp_shadow_type *a = KT_TYPE(test, .id = KT(4),
					    .name = "dbl");

	KUNIT_ASSERT_EQ(test, kt_register(a, KT_OWNER_A), 0);
	KUNIT_EXPECT_EQ(test, kt_register(a, KT_OWNER_A), -EEXIST);
	KUNIT_EXPECT_EQ(test, kt_refcount(a->id), 1U);
	KUNIT_EXPECT_EQ(test, klp_shadow_register(NULL, a), -EINVAL);
	kt_unregister(a, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, a->nr_refs, 0U);
}

static void klp_shadow_test_collect_on_last_release(struct kunit *test)
{
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(5), .name = "gc",
					    .ctor = kt_ctor, .dtor = kt_dtor);
	unsigned long i, n = 1000, sum = 0;

	KUNIT_ASSERT_EQ(test, kt_register(t, KT_OWNER_A), 0);
	KUNIT_ASSERT_EQ(test, kt_register(t, KT_OWNER_B), 0);
	for (i = 0; i < n; i++) {
		void *data = klp_shadow_type_alloc(t, kt_parent(i), sizeof(long),
						   GFP_KERNEL, (void *)i);

		KUNIT_ASSERT_NOT_NULL(test, data);
		sum += i;
	}
	KUNIT_EXPECT_EQ(test, kt_live(t->id), (long)n);

	kt_unregister(t, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 0);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), (long)n);

	kt_unregister(t, KT_OWNER_B);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, (int)n);
	KUNIT_EXPECT_EQ(test, kt_dtor_sum, sum);
	KUNIT_EXPECT_EQ(test, kt_dtor_irqs_off, 0);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), -1);
	KUNIT_EXPECT_NULL(test, klp_shadow_get(kt_parent(7), t->id));
}

static void klp_shadow_test_collect_only_its_id(struct kunit *test)
{
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(6),
					    .name = "mine", .dtor = kt_dtor);
	unsigned long other = KT(7);

	KUNIT_ASSERT_EQ(test, kt_register(t, KT_OWNER_A), 0);
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(t, kt_parent(1), 8,
							  GFP_KERNEL, NULL));
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_alloc(kt_parent(1), other, 8,
						     GFP_KERNEL, NULL, NULL));
	kt_unregister(t, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 1);
	KUNIT_EXPECT_NOT_NULL(test, klp_shadow_get(kt_parent(1), other));
	KUNIT_EXPECT_EQ(test, kt_live(other), 1);
	klp_shadow_free_all(other, NULL);
}

/* A collection gives the type's dtor only variables made through a type. */
static void klp_shadow_test_mixed_user(struct kunit *test)
{
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(8),
					    .name = "mixed", .ctor = kt_ctor,
					    .dtor = kt_dtor);
	void *untyped;

	untyped = klp_shadow_alloc(kt_parent(3), t->id, sizeof(long), GFP_KERNEL,
				   kt_ctor, (void *)100);
	KUNIT_ASSERT_NOT_NULL(test, untyped);
	KUNIT_ASSERT_EQ(test, kt_register(t, KT_OWNER_A), 0);
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(t, kt_parent(4),
							  sizeof(long),
							  GFP_KERNEL, (void *)4));
	/* One <obj, id>, whichever API asks. */
	KUNIT_EXPECT_PTR_EQ(test, klp_shadow_type_get(t, kt_parent(3)), untyped);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), 2L);

	kt_unregister(t, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 1);
	KUNIT_EXPECT_EQ(test, kt_dtor_sum, 4UL);
	KUNIT_EXPECT_NULL(test, klp_shadow_get(kt_parent(4), t->id));
	KUNIT_EXPECT_PTR_EQ(test, klp_shadow_get(kt_parent(3), t->id), untyped);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), 1L);

	klp_shadow_free_all(t->id, NULL);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), -1L);
}

/*
 * A type never referenced, zeroed as a patch defines it, finds nothing
 * even where a variable of its id lives, and allocates nothing. Only the
 * allocation warns: a get costs no check.
 */
static void klp_shadow_test_typed_access_needs_reference(struct kunit *test)
{
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(9),
					    .name = "noref");

	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_alloc(kt_parent(1), t->id, 8,
						     GFP_KERNEL, NULL, NULL));
	KUNIT_EXPECT_NULL(test, klp_shadow_type_get(t, kt_parent(1)));
	KUNIT_EXPECT_FALSE(test, t->warned);
	KUNIT_EXPECT_NULL(test, klp_shadow_type_alloc(t, kt_parent(2), 8,
						      GFP_KERNEL, NULL));
	KUNIT_EXPECT_TRUE(test, t->warned);
	KUNIT_EXPECT_NULL(test, klp_shadow_type_get_or_alloc(t, kt_parent(2), 8,
							     GFP_KERNEL, NULL));
	KUNIT_EXPECT_EQ(test, kt_live(t->id), 1L);

	klp_shadow_free(kt_parent(1), t->id, NULL);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), -1L);
}

/*
 * The id whose key is a type's without a reference: no variable may have
 * it, nor any type. Static, as kt_type() makes only types of the tests'
 * ids, which the reserved one is not. The case prints the id-based API's
 * message for the reserved id, which is printed once per boot: a later
 * user of the id gets no message after a boot that ran the suite.
 */
static struct klp_shadow_type kt_reserved = {
	.id = KLP_SHADOW_ID_RESERVED,
	.name = "reserved",
};

static void klp_shadow_test_reserved_id(struct kunit *test)
{
	BUILD_BUG_ON(~KLP_SHADOW_ID_RESERVED != 0);
	KUNIT_EXPECT_NULL(test, klp_shadow_alloc(kt_parent(1),
						 KLP_SHADOW_ID_RESERVED, 8,
						 GFP_KERNEL, NULL, NULL));
	KUNIT_EXPECT_NULL(test, klp_shadow_get_or_alloc(kt_parent(1),
							KLP_SHADOW_ID_RESERVED,
							8, GFP_KERNEL, NULL,
							NULL));
	KUNIT_EXPECT_NULL(test, klp_shadow_get(kt_parent(1),
					       KLP_SHADOW_ID_RESERVED));
	KUNIT_EXPECT_EQ(test, kt_live(KLP_SHADOW_ID_RESERVED), -1L);

	KUNIT_EXPECT_EQ(test, kt_register(&kt_reserved, KT_OWNER_A), -EINVAL);
	KUNIT_EXPECT_EQ(test, kt_reserved.nr_refs, 0U);
	KUNIT_EXPECT_EQ(test, kt_reserved.key, 0UL);
	KUNIT_EXPECT_EQ(test, kt_refcount(KLP_SHADOW_ID_RESERVED), 0U);

	/*
	 * kt_exit() frees the variables of the tests' ids only: were one made
	 * all the same, every unreferenced typed get of its parent would find
	 * it, in the cases after this one and after boot.
	 */
	klp_shadow_free_all(KLP_SHADOW_ID_RESERVED, NULL);
}

/*
 * Dropping a reference nobody holds changes nothing: the record, its owner
 * and its variable stay.
 */
static void klp_shadow_test_unregister_unknown_owner(struct kunit *test)
{
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(10),
					    .name = "own", .dtor = kt_dtor);
	char *buf;

	buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, kt_register(t, KT_OWNER_A), 0);
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(t, kt_parent(1), 8,
							  GFP_KERNEL, NULL));

	kt_unregister(t, KT_OWNER_B);
	KUNIT_EXPECT_EQ(test, kt_refcount(t->id), 1U);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), 1L);
	KUNIT_EXPECT_EQ(test, t->nr_refs, 1U);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 0);
	KUNIT_EXPECT_NOT_NULL(test, klp_shadow_type_get(t, kt_parent(1)));
	KUNIT_EXPECT_EQ(test, klp_shadow_id_owners(t->id, buf), (ssize_t)strlen(KT_OWNER_A "\n"));
	KUNIT_EXPECT_STREQ(test, buf, KT_OWNER_A "\n");

	kt_unregister(t, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 1);
	KUNIT_EXPECT_EQ(test, kt_refcount(t->id), 0U);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), -1L);
}

static void klp_shadow_test_stat_and_owners(struct kunit *test)
{
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(11),
					    .name = "stat");
	struct klp_shadow_stat st;
	char *buf;

	buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);

	klp_shadow_id_stat(t->id, &st);
	KUNIT_EXPECT_EQ(test, st.refcount, 0U);
	KUNIT_EXPECT_EQ(test, st.live, 0UL);
	KUNIT_EXPECT_EQ(test, st.bytes, 0UL);
	KUNIT_EXPECT_EQ(test, klp_shadow_id_owners(t->id, buf), 0);

	KUNIT_ASSERT_EQ(test, kt_register(t, KT_OWNER_B), 0);
	KUNIT_ASSERT_EQ(test, kt_register(t, KT_OWNER_A), 0);
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(t, kt_parent(1), 8,
							  GFP_KERNEL, NULL));
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_alloc(kt_parent(2), t->id, 16,
						     GFP_KERNEL, NULL, NULL));
	klp_shadow_id_stat(t->id, &st);
	KUNIT_EXPECT_EQ(test, st.refcount, 2U);
	KUNIT_EXPECT_EQ(test, st.live, 2UL);
	KUNIT_EXPECT_EQ(test, st.bytes, 24UL);
	KUNIT_EXPECT_EQ(test, klp_shadow_id_owners(t->id, buf),
			(ssize_t)strlen(KT_OWNER_A "\n" KT_OWNER_B "\n"));
	KUNIT_EXPECT_STREQ(test, buf, KT_OWNER_A "\n" KT_OWNER_B "\n");

	klp_shadow_type_free(t, kt_parent(1));
	klp_shadow_id_stat(t->id, &st);
	KUNIT_EXPECT_EQ(test, st.live, 1UL);
	KUNIT_EXPECT_EQ(test, st.bytes, 16UL);

	kt_unregister(t, KT_OWNER_A);
	kt_unregister(t, KT_OWNER_B);
	klp_shadow_id_stat(t->id, &st);
	KUNIT_EXPECT_EQ(test, st.refcount, 0U);
	/* The id-based API's variable is not the type's to collect. */
	KUNIT_EXPECT_EQ(test, st.live, 1UL);
	KUNIT_EXPECT_EQ(test, klp_shadow_id_owners(t->id, buf), 0);
	klp_shadow_free_all(t->id, NULL);
	klp_shadow_id_stat(t->id, &st);
	KUNIT_EXPECT_EQ(test, st.live, 0UL);
}

/* The longest owner: two names of MODULE_NAME_LEN - 1 characters. */
static void kt_long_owner(char *buf, unsigned int i)
{
	int width = MODULE_NAME_LEN - 1;

	snprintf(buf, KLP_SHADOW_OWNER_LEN, "%0*u/%0*u", width, i, width, 0);
}

/* Holders are bounded so that "owners" always shows every one. */
static void klp_shadow_test_owners_bounded(struct kunit *test)
{
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(12),
					    .name = "many");
	unsigned int i, n = KLP_SHADOW_MAX_OWNERS, lines = 0;
	char owner[KLP_SHADOW_OWNER_LEN];
	ssize_t len;
	char *buf;

	buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < n; i++) {
		kt_long_owner(owner, i);
		KUNIT_ASSERT_EQ(test, kt_register(t, owner), 0);
	}
	KUNIT_EXPECT_EQ(test, kt_register(t, KT_OWNER_A), -ENOSPC);
	KUNIT_EXPECT_EQ(test, kt_refcount(t->id), n);

	len = klp_shadow_id_owners(t->id, buf);
	KUNIT_EXPECT_LT(test, len, (ssize_t)PAGE_SIZE);
	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';
	KUNIT_EXPECT_EQ(test, lines, n);
	KUNIT_EXPECT_EQ(test, (ssize_t)lines * KLP_SHADOW_OWNER_LEN, len);

	for (i = 0; i < n; i++) {
		kt_long_owner(owner, i);
		kt_unregister(t, owner);
	}
	KUNIT_EXPECT_EQ(test, kt_refcount(t->id), 0U);
}

static void klp_shadow_test_name_rules(struct kunit *test)
{
	char longest[KLP_SHADOW_NAME_MAX + 2];
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(17),
					    .name = "two\nlines");

	KUNIT_EXPECT_TRUE(test, klp_shadow_name_valid("counter"));
	KUNIT_EXPECT_TRUE(test, klp_shadow_name_valid("a b-c_d.e"));
	KUNIT_EXPECT_FALSE(test, klp_shadow_name_valid(NULL));
	KUNIT_EXPECT_FALSE(test, klp_shadow_name_valid(""));
	KUNIT_EXPECT_FALSE(test, klp_shadow_name_valid("a/b"));
	KUNIT_EXPECT_FALSE(test, klp_shadow_name_valid("a\nb"));
	KUNIT_EXPECT_FALSE(test, klp_shadow_name_valid("tab\there"));
	memset(longest, 'x', KLP_SHADOW_NAME_MAX);
	longest[KLP_SHADOW_NAME_MAX] = '\0';
	KUNIT_EXPECT_TRUE(test, klp_shadow_name_valid(longest));
	longest[KLP_SHADOW_NAME_MAX] = 'x';
	longest[KLP_SHADOW_NAME_MAX + 1] = '\0';
	KUNIT_EXPECT_FALSE(test, klp_shadow_name_valid(longest));

	KUNIT_EXPECT_EQ(test, kt_register(t, KT_OWNER_A), -EINVAL);
	t->name = NULL;
	KUNIT_EXPECT_EQ(test, kt_register(t, KT_OWNER_A), -EINVAL);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), -1L);
	KUNIT_EXPECT_EQ(test, t->nr_refs, 0U);
}

/* An explicit free runs the dtor unlinked, in the caller's context. */
static void klp_shadow_test_free_dtor_context(struct kunit *test)
{
	unsigned long id = KT(16);

	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_alloc(kt_parent(1), id, sizeof(long),
						     GFP_KERNEL, kt_ctor, (void *)1));
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_alloc(kt_parent(2), id, sizeof(long),
						     GFP_KERNEL, kt_ctor, (void *)2));
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_alloc(kt_parent(3), id, sizeof(long),
						     GFP_KERNEL, kt_ctor, (void *)3));
	klp_shadow_free(kt_parent(1), id, kt_dtor_context);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 1);
	klp_shadow_free_all(id, kt_dtor_context);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 3);
	KUNIT_EXPECT_EQ(test, kt_dtor_sum, 6UL);
	KUNIT_EXPECT_EQ(test, kt_dtor_irqs_off, 0);
	KUNIT_EXPECT_EQ(test, kt_dtor_still_linked, 0);
	KUNIT_EXPECT_EQ(test, kt_live(id), -1L);
}

static int kt_ctor_fails_calls;

static int kt_ctor_fails(void *obj, void *shadow_data, void *ctor_data)
{
	kt_ctor_fails_calls++;
	return -ENOMEM;
}

/* A ctor that fails adds nothing: no variable, no record, no dtor. */
static void klp_shadow_test_ctor_failure_adds_nothing(struct kunit *test)
{
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(18),
					    .name = "fails",
					    .ctor = kt_ctor_fails,
					    .dtor = kt_dtor);
	unsigned long nelems = klp_shadow_test_nelems();

	kt_ctor_fails_calls = 0;
	KUNIT_EXPECT_NULL(test, klp_shadow_alloc(kt_parent(1), KT(21), 8,
						 GFP_KERNEL, kt_ctor_fails, NULL));
	KUNIT_EXPECT_EQ(test, kt_live(KT(21)), -1L);

	KUNIT_ASSERT_EQ(test, kt_register(t, KT_OWNER_A), 0);
	KUNIT_EXPECT_NULL(test, klp_shadow_type_alloc(t, kt_parent(1), 8,
						      GFP_KERNEL, NULL));
	KUNIT_EXPECT_NULL(test, klp_shadow_type_get_or_alloc(t, kt_parent(2), 8,
							     GFP_KERNEL, NULL));
	KUNIT_EXPECT_EQ(test, kt_ctor_fails_calls, 3);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), 0L);
	KUNIT_EXPECT_EQ(test, klp_shadow_test_nelems(), nelems);
	KUNIT_EXPECT_NULL(test, klp_shadow_get(kt_parent(1), t->id));
	kt_unregister(t, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 0);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), -1L);
}

/*
 * Readers take the smallest table's direct path exactly when it is the
 * table in use through link 0 (the caller let any resize finish).
 */
static bool kt_direct_path_right(void)
{
	return klp_shadow_test_table_direct() == klp_shadow_test_table_static();
}

/* When the table grows and shrinks, and to what. */
static void klp_shadow_test_table_policy(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, klp_shadow_wanted_shift(0, 12), 12U);
	KUNIT_EXPECT_EQ(test, klp_shadow_wanted_shift(2048, 12), 12U);
	KUNIT_EXPECT_EQ(test, klp_shadow_wanted_shift(2049, 12), 13U);
	KUNIT_EXPECT_EQ(test, klp_shadow_wanted_shift(1000000, 20), 21U);
	KUNIT_EXPECT_EQ(test, klp_shadow_wanted_shift(1000000, 21), 21U);
	KUNIT_EXPECT_EQ(test, klp_shadow_wanted_shift(262144, 21), 21U);
	KUNIT_EXPECT_EQ(test, klp_shadow_wanted_shift(262143, 21), 19U);
	KUNIT_EXPECT_EQ(test, klp_shadow_wanted_shift(10, 16), 12U);
	KUNIT_EXPECT_EQ(test, klp_shadow_wanted_shift(ULONG_MAX, 26), 26U);
	KUNIT_EXPECT_EQ(test, klp_shadow_wanted_shift(ULONG_MAX, 20), 26U);
}

#define KT_RESIZE_VARS	20000

/*
 * The table grows as variables come and shrinks as they go, back to the
 * static one, and every variable stays visible while the resize worker
 * copies buckets beside the inserts and frees.
 */
static void klp_shadow_test_table_resizes(struct kunit *test)
{
	unsigned long id = KT(30), i, lost = 0, n = klp_shadow_test_nelems();
	unsigned int shift = klp_shadow_test_table_shift();

	KUNIT_ASSERT_EQ(test, shift, klp_shadow_wanted_shift(n, shift));
	KUNIT_EXPECT_TRUE(test, kt_direct_path_right());
	for (i = 0; i < KT_RESIZE_VARS; i++) {
		if (!klp_shadow_alloc(kt_parent(i), id, sizeof(long), GFP_KERNEL,
				      kt_ctor, (void *)i))
			break;
		lost += !klp_shadow_get(kt_parent(i), id);
		lost += !klp_shadow_get(kt_parent(i / 2), id);
		if (!(i % 1024))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, i, (unsigned long)KT_RESIZE_VARS);
	KUNIT_EXPECT_EQ(test, lost, 0UL);
	shift = klp_shadow_test_table_shift();
	/* Grown to two buckets per variable: 2^16 for the 20000. */
	KUNIT_EXPECT_EQ(test, shift, klp_shadow_wanted_shift(n + i, shift));
	KUNIT_EXPECT_GE(test, shift, 16U);
	KUNIT_EXPECT_FALSE(test, klp_shadow_test_table_direct());
	KUNIT_EXPECT_EQ(test, klp_shadow_test_table_count(), (long)(n + i));
	for (i = 0; i < KT_RESIZE_VARS; i++) {
		unsigned long *data = klp_shadow_get(kt_parent(i), id);

		lost += !data || *data != i;
	}
	KUNIT_EXPECT_EQ(test, lost, 0UL);

	/* Free all but ten, looking up those that stay meanwhile. */
	for (i = 10; i < KT_RESIZE_VARS; i++) {
		klp_shadow_free(kt_parent(i), id, NULL);
		lost += !!klp_shadow_get(kt_parent(i), id);
		lost += !klp_shadow_get(kt_parent(i % 10), id);
		if (!(i % 1024))
			cond_resched();
	}
	KUNIT_EXPECT_EQ(test, lost, 0UL);
	KUNIT_EXPECT_EQ(test, klp_shadow_test_table_shift(), KLP_SHADOW_MIN_SHIFT);
	/* The static table, through link 0: the direct path is back. */
	KUNIT_EXPECT_TRUE(test, klp_shadow_test_table_static());
	KUNIT_EXPECT_TRUE(test, klp_shadow_test_table_direct());
	KUNIT_EXPECT_EQ(test, klp_shadow_test_table_count(), (long)(n + 10));
	KUNIT_EXPECT_EQ(test, kt_live(id), 10L);
	klp_shadow_free_all(id, NULL);
	KUNIT_EXPECT_EQ(test, kt_live(id), -1L);
}

/* Add or free variables of @id with parents from *@next until @n live in all. */
static bool kt_population(unsigned long id, unsigned long *next, unsigned long n)
{
	while (klp_shadow_test_nelems() < n) {
		if (!klp_shadow_alloc(kt_parent(*next), id, sizeof(long),
				      GFP_KERNEL, NULL, NULL))
			return false;
		(*next)++;
	}
	while (klp_shadow_test_nelems() > n && *next) {
		(*next)--;
		klp_shadow_free(kt_parent(*next), id, NULL);
	}
	return klp_shadow_test_nelems() == n;
}

/* Free every variable of an id, as a KUnit action: on failure too. */
static void kt_free_all_action(void *id)
{
	klp_shadow_free_all((unsigned long)id, NULL);
}

/*
 * Two resizes up, then down: the table grows to 2^13 buckets through link
 * 1, to 2^14 through link 0, then shrinks to the smallest size, whose link
 * would be 1. Readers must get the static table and its direct path back
 * all the same.
 */
static void klp_shadow_test_table_direct_path_back(struct kunit *test)
{
	unsigned long id = KT(31), next = 0;
	unsigned long base = klp_shadow_test_nelems();
	/* The population that the smallest table holds at most. */
	unsigned long small = 1UL << (KLP_SHADOW_MIN_SHIFT - 1);

	KUNIT_ASSERT_EQ(test, klp_shadow_test_table_shift(), KLP_SHADOW_MIN_SHIFT);
	KUNIT_ASSERT_TRUE(test, klp_shadow_test_table_static());
	KUNIT_ASSERT_LT(test, base, small - 1);
	KUNIT_ASSERT_EQ(test, kunit_add_action(test, kt_free_all_action, (void *)id), 0);
	KUNIT_ASSERT_TRUE(test, kt_population(id, &next, small + 1));
	KUNIT_EXPECT_EQ(test, klp_shadow_test_table_shift(), KLP_SHADOW_MIN_SHIFT + 1);
	KUNIT_ASSERT_TRUE(test, kt_population(id, &next, 2 * small + 1));
	KUNIT_EXPECT_EQ(test, klp_shadow_test_table_shift(), KLP_SHADOW_MIN_SHIFT + 2);
	KUNIT_EXPECT_FALSE(test, klp_shadow_test_table_direct());
	KUNIT_ASSERT_TRUE(test, kt_population(id, &next, small - 1));
	KUNIT_EXPECT_EQ(test, klp_shadow_test_table_shift(), KLP_SHADOW_MIN_SHIFT);
	KUNIT_EXPECT_TRUE(test, klp_shadow_test_table_static());
	KUNIT_EXPECT_TRUE(test, klp_shadow_test_table_direct());
	KUNIT_EXPECT_EQ(test, klp_shadow_test_table_count(), (long)(small - 1));
	klp_shadow_free_all(id, NULL);
	KUNIT_EXPECT_EQ(test, kt_live(id), -1L);
}

/*
 * In a resized table, the typed get walks the table of the descriptor out
 * of line, through the id get's function: it finds what the id get finds
 * there, and nothing without a reference as well.
 */
static void klp_shadow_test_table_typed_get(struct kunit *test)
{
	unsigned long next = 0, small = 1UL << (KLP_SHADOW_MIN_SHIFT - 1);
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(32),
					    .name = "resized", .ctor = kt_ctor);
	unsigned long *data;

	/* The table's shift waits for the resize worker; the static key too. */
	KUNIT_ASSERT_EQ(test, klp_shadow_test_table_shift(), KLP_SHADOW_MIN_SHIFT);
	KUNIT_ASSERT_TRUE(test, klp_shadow_test_table_direct());
	KUNIT_ASSERT_EQ(test, kunit_add_action(test, kt_free_all_action,
					       (void *)t->id), 0);
	KUNIT_ASSERT_EQ(test, kt_register(t, KT_OWNER_A), 0);
	KUNIT_ASSERT_TRUE(test, kt_population(t->id, &next, 2 * small + 1));
	KUNIT_ASSERT_GT(test, klp_shadow_test_table_shift(), KLP_SHADOW_MIN_SHIFT);
	KUNIT_ASSERT_FALSE(test, klp_shadow_test_table_direct());

	data = klp_shadow_type_alloc(t, kt_parent(next), sizeof(long),
				     GFP_KERNEL, (void *)7);
	KUNIT_ASSERT_NOT_NULL(test, data);
	KUNIT_EXPECT_PTR_EQ(test, klp_shadow_type_get(t, kt_parent(next)), data);
	KUNIT_EXPECT_EQ(test, *data, 7UL);
	KUNIT_EXPECT_NOT_NULL(test, klp_shadow_type_get(t, kt_parent(0)));
	KUNIT_EXPECT_PTR_EQ(test, klp_shadow_type_get(t, kt_parent(0)),
			    klp_shadow_get(kt_parent(0), t->id));
	KUNIT_EXPECT_NULL(test, klp_shadow_type_get(t, kt_parent(next + 1)));

	/* The typed variable is collected, the others stay, unreachable by type. */
	kt_unregister(t, KT_OWNER_A);
	KUNIT_EXPECT_NULL(test, klp_shadow_get(kt_parent(next), t->id));
	KUNIT_EXPECT_NOT_NULL(test, klp_shadow_get(kt_parent(0), t->id));
	KUNIT_EXPECT_NULL(test, klp_shadow_type_get(t, kt_parent(0)));
	KUNIT_EXPECT_EQ(test, t->key, 0UL);

	klp_shadow_free_all(t->id, NULL);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), -1L);
	KUNIT_EXPECT_EQ(test, klp_shadow_test_table_shift(), KLP_SHADOW_MIN_SHIFT);
}

/*
 * Release an object's references as the core does when it is unpatched
 * for good: all at once, or, after a forced transition, never.
 */
static void kt_release(struct kunit *test, bool forced)
{
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(19),
					    .name = "release", .ctor = kt_ctor,
					    .dtor = kt_dtor);
	struct klp_shadow_type *u = KT_TYPE(test, .id = KT(20),
					    .name = "release2",
					    .dtor = kt_dtor);
	LIST_HEAD(collection);
	int ret[2];

	kt_patch.forced = forced;
	/* Asserted with no mutex held: a failed assertion ends the test. */
	mutex_lock(&klp_mutex);
	mutex_lock(&klp_shadow_mutex);
	ret[0] = klp_shadow_ref(&kt_obj_a.shadow_refs, t, KT_OWNER_A, false);
	ret[1] = klp_shadow_ref(&kt_obj_a.shadow_refs, u, KT_OWNER_A, false);
	mutex_unlock(&klp_shadow_mutex);
	mutex_unlock(&klp_mutex);
	KUNIT_ASSERT_EQ(test, ret[0], 0);
	KUNIT_ASSERT_EQ(test, ret[1], 0);
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(t, kt_parent(1), sizeof(long),
							  GFP_KERNEL, (void *)5));
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(u, kt_parent(1), sizeof(long),
							  GFP_KERNEL, NULL));

	mutex_lock(&klp_mutex);
	klp_shadow_release_object(&kt_patch, &kt_obj_a, &collection);
	klp_shadow_release_defer(&collection);
	mutex_unlock(&klp_mutex);
	klp_shadow_release_finish();
	KUNIT_EXPECT_TRUE(test, list_empty(&kt_obj_a.shadow_refs));
	if (!forced) {
		KUNIT_EXPECT_EQ(test, kt_dtor_calls, 2);
		KUNIT_EXPECT_EQ(test, kt_dtor_irqs_off, 0);
		KUNIT_EXPECT_EQ(test, kt_live(t->id), -1L);
		KUNIT_EXPECT_EQ(test, kt_live(u->id), -1L);
		return;
	}

	/* Kept: still referenced and alive, still usable by the old code. */
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 0);
	KUNIT_EXPECT_EQ(test, kt_refcount(t->id), 1U);
	KUNIT_EXPECT_EQ(test, t->nr_refs, 1U);
	KUNIT_EXPECT_NOT_NULL(test, klp_shadow_type_get(t, kt_parent(1)));

	mutex_lock(&klp_shadow_mutex);
	KUNIT_EXPECT_EQ(test, klp_shadow_test_drop_kept(t->id, KT_OWNER_A,
							&collection), 1U);
	KUNIT_EXPECT_EQ(test, klp_shadow_test_drop_kept(u->id, KT_OWNER_A,
							&collection), 1U);
	klp_shadow_collection_end(&collection, true);
	mutex_unlock(&klp_shadow_mutex);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 2);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), -1L);
}

/*
 * One release event over two objects, three ids losing their last
 * reference (one of them held by both objects): one grace period.
 */
static void klp_shadow_test_release_event_one_grace_period(struct kunit *test)
{
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(22),
					    .name = "gp1", .dtor = kt_dtor);
	struct klp_shadow_type *u = KT_TYPE(test, .id = KT(23),
					    .name = "gp2", .dtor = kt_dtor);
	struct klp_shadow_type *v = KT_TYPE(test, .id = KT(24),
					    .name = "gp3", .dtor = kt_dtor);
	LIST_HEAD(collection);
	int ret[4];
	unsigned int before;

	mutex_lock(&klp_mutex);
	mutex_lock(&klp_shadow_mutex);
	ret[0] = klp_shadow_ref(&kt_obj_a.shadow_refs, t, KT_OWNER_A, false);
	ret[1] = klp_shadow_ref(&kt_obj_a.shadow_refs, u, KT_OWNER_A, false);
	ret[2] = klp_shadow_ref(&kt_obj_b.shadow_refs, u, KT_OWNER_B, false);
	ret[3] = klp_shadow_ref(&kt_obj_b.shadow_refs, v, KT_OWNER_B, false);
	mutex_unlock(&klp_shadow_mutex);
	mutex_unlock(&klp_mutex);
	KUNIT_ASSERT_EQ(test, ret[0] | ret[1] | ret[2] | ret[3], 0);
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(t, kt_parent(1), sizeof(long),
							  GFP_KERNEL, NULL));
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(u, kt_parent(1), sizeof(long),
							  GFP_KERNEL, NULL));
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(v, kt_parent(1), sizeof(long),
							  GFP_KERNEL, NULL));

	before = klp_shadow_test_grace_periods;
	mutex_lock(&klp_mutex);
	klp_shadow_release_object(&kt_patch, &kt_obj_a, &collection);
	klp_shadow_release_object(&kt_patch, &kt_obj_b, &collection);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 0);
	klp_shadow_release_defer(&collection);
	mutex_unlock(&klp_mutex);
	klp_shadow_release_finish();

	KUNIT_EXPECT_EQ(test, klp_shadow_test_grace_periods - before, 1U);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 3);
	KUNIT_EXPECT_EQ(test, kt_dtor_irqs_off, 0);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), -1L);
	KUNIT_EXPECT_EQ(test, kt_live(u->id), -1L);
	KUNIT_EXPECT_EQ(test, kt_live(v->id), -1L);
}

/*
 * A release event at the end of a transition is deferred: no grace period
 * and no destructor under klp_mutex, the variables unreachable at once;
 * the core's free of the patch then collects it, after one grace period,
 * and a second finish has nothing left to wait for.
 */
static void klp_shadow_test_deferred_release(struct kunit *test)
{
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(25),
					    .name = "defer1", .dtor = kt_dtor);
	struct klp_shadow_type *u = KT_TYPE(test, .id = KT(26),
					    .name = "defer2", .dtor = kt_dtor);
	LIST_HEAD(collection);
	int ret[2];
	unsigned int before;

	mutex_lock(&klp_mutex);
	mutex_lock(&klp_shadow_mutex);
	ret[0] = klp_shadow_ref(&kt_obj_a.shadow_refs, t, KT_OWNER_A, false);
	ret[1] = klp_shadow_ref(&kt_obj_a.shadow_refs, u, KT_OWNER_A, false);
	mutex_unlock(&klp_shadow_mutex);
	mutex_unlock(&klp_mutex);
	KUNIT_ASSERT_EQ(test, ret[0], 0);
	KUNIT_ASSERT_EQ(test, ret[1], 0);
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(t, kt_parent(1), sizeof(long),
							  GFP_KERNEL, NULL));
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(u, kt_parent(2), sizeof(long),
							  GFP_KERNEL, NULL));

	before = klp_shadow_test_grace_periods;
	mutex_lock(&klp_mutex);
	klp_shadow_release_object(&kt_patch, &kt_obj_a, &collection);
	klp_shadow_release_defer(&collection);
	mutex_unlock(&klp_mutex);

	KUNIT_EXPECT_TRUE(test, list_empty(&collection));
	KUNIT_EXPECT_EQ(test, klp_shadow_test_grace_periods - before, 0U);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 0);
	KUNIT_EXPECT_NULL(test, klp_shadow_get(kt_parent(1), t->id));
	KUNIT_EXPECT_NULL(test, klp_shadow_get(kt_parent(2), u->id));
	KUNIT_EXPECT_EQ(test, kt_live(t->id), 0L);

	klp_shadow_release_finish();
	KUNIT_EXPECT_EQ(test, klp_shadow_test_grace_periods - before, 1U);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 2);
	KUNIT_EXPECT_EQ(test, kt_dtor_irqs_off, 0);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), -1L);
	KUNIT_EXPECT_EQ(test, kt_live(u->id), -1L);

	klp_shadow_release_finish();
	KUNIT_EXPECT_EQ(test, klp_shadow_test_grace_periods - before, 1U);
}

/*
 * An id that a deferred release event queued, referenced again under
 * another name, by a type without a destructor: the reference ends the
 * deferred collection first, so the first type's destructor gets only its
 * own variable, and the second type's variable is freed without one.
 */
static void klp_shadow_test_reference_ends_deferred(struct kunit *test)
{
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(27),
					    .name = "defer3", .ctor = kt_ctor,
					    .dtor = kt_dtor);
	struct klp_shadow_type *w = KT_TYPE(test, .id = KT(27),
					    .name = "other3", .ctor = kt_ctor);
	LIST_HEAD(collection);
	int ret[2];
	unsigned int before;

	mutex_lock(&klp_mutex);
	mutex_lock(&klp_shadow_mutex);
	ret[0] = klp_shadow_ref(&kt_obj_a.shadow_refs, t, KT_OWNER_A, false);
	mutex_unlock(&klp_shadow_mutex);
	mutex_unlock(&klp_mutex);
	KUNIT_ASSERT_EQ(test, ret[0], 0);
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(t, kt_parent(1), sizeof(long),
							  GFP_KERNEL, (void *)5));

	before = klp_shadow_test_grace_periods;
	mutex_lock(&klp_mutex);
	klp_shadow_release_object(&kt_patch, &kt_obj_a, &collection);
	klp_shadow_release_defer(&collection);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 0);

	mutex_lock(&klp_shadow_mutex);
	ret[1] = klp_shadow_ref(&kt_obj_b.shadow_refs, w, KT_OWNER_B, false);
	mutex_unlock(&klp_shadow_mutex);
	KUNIT_EXPECT_EQ(test, ret[1], 0);
	KUNIT_EXPECT_EQ(test, klp_shadow_test_grace_periods - before, 1U);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 1);
	KUNIT_EXPECT_EQ(test, kt_dtor_sum, 5UL);

	KUNIT_EXPECT_NOT_NULL(test, klp_shadow_type_alloc(w, kt_parent(2), sizeof(long),
							  GFP_KERNEL, (void *)7));
	klp_shadow_release_object(&kt_patch, &kt_obj_b, &collection);
	klp_shadow_release_defer(&collection);
	mutex_unlock(&klp_mutex);
	klp_shadow_release_finish();

	KUNIT_EXPECT_EQ(test, klp_shadow_test_grace_periods - before, 2U);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 1);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), -1L);
}

static void klp_shadow_test_release_collects_all(struct kunit *test)
{
	kt_release(test, false);
}

static void klp_shadow_test_forced_release_keeps(struct kunit *test)
{
	kt_release(test, true);
}

/*
 * A reference a forced transition kept comes back, as it was, when its
 * object takes one through the same type again (its forced disable was
 * reversed); no other holder gets it under that name.
 */
static void klp_shadow_test_kept_taken_back(struct kunit *test)
{
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(28),
					    .name = "taken_back",
					    .dtor = kt_dtor);
	LIST_HEAD(collection);
	int ret[2];

	kt_patch.forced = true;
	mutex_lock(&klp_mutex);
	mutex_lock(&klp_shadow_mutex);
	ret[0] = klp_shadow_ref(&kt_obj_a.shadow_refs, t, KT_OWNER_A, false);
	mutex_unlock(&klp_shadow_mutex);
	mutex_unlock(&klp_mutex);
	KUNIT_ASSERT_EQ(test, ret[0], 0);
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(t, kt_parent(1), sizeof(long),
							  GFP_KERNEL, NULL));

	mutex_lock(&klp_mutex);
	klp_shadow_release_object(&kt_patch, &kt_obj_a, &collection);
	mutex_unlock(&klp_mutex);
	KUNIT_EXPECT_TRUE(test, list_empty(&kt_obj_a.shadow_refs));
	KUNIT_EXPECT_TRUE(test, list_empty(&collection));
	KUNIT_EXPECT_EQ(test, kt_refcount(t->id), 1U);
#ifdef CONFIG_LIVEPATCH_SHADOW_DEBUG
	KUNIT_EXPECT_EQ(test, klp_shadow_debug_register(t, KT_OWNER_A), -EEXIST);
#endif

	mutex_lock(&klp_mutex);
	mutex_lock(&klp_shadow_mutex);
	ret[1] = klp_shadow_ref(&kt_obj_a.shadow_refs, t, KT_OWNER_A, false);
	mutex_unlock(&klp_shadow_mutex);
	mutex_unlock(&klp_mutex);
	KUNIT_EXPECT_EQ(test, ret[1], 0);
	KUNIT_EXPECT_EQ(test, kt_refcount(t->id), 1U);
	KUNIT_EXPECT_EQ(test, t->nr_refs, 1U);
	KUNIT_EXPECT_FALSE(test, list_empty(&kt_obj_a.shadow_refs));
	KUNIT_EXPECT_NOT_NULL(test, klp_shadow_type_get(t, kt_parent(1)));

	/* Unpatched for good, without force: collected. */
	kt_patch.forced = false;
	mutex_lock(&klp_mutex);
	klp_shadow_release_object(&kt_patch, &kt_obj_a, &collection);
	klp_shadow_release_defer(&collection);
	mutex_unlock(&klp_mutex);
	klp_shadow_release_finish();
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 1);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), -1L);
}

#ifdef CONFIG_LIVEPATCH_SHADOW_DEBUG
static void klp_shadow_test_gc_id(struct kunit *test)
{
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(13),
					    .name = "gc_id", .ctor = kt_ctor,
					    .dtor = kt_dtor);
	unsigned long i;

	KUNIT_ASSERT_EQ(test, kt_register(t, KT_OWNER_A), 0);
	for (i = 1; i <= 3; i++)
		KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(t, kt_parent(i),
								  sizeof(long), GFP_KERNEL,
								  (void *)i));
	KUNIT_EXPECT_EQ(test, klp_shadow_gc_id(t->id), 3L);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 3);
	KUNIT_EXPECT_EQ(test, kt_dtor_sum, 6UL);
	KUNIT_EXPECT_EQ(test, kt_refcount(t->id), 1U);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), 0L);
	KUNIT_EXPECT_NULL(test, klp_shadow_type_get(t, kt_parent(1)));

	/* Still referenced, so still usable. */
	KUNIT_EXPECT_NOT_NULL(test, klp_shadow_type_alloc(t, kt_parent(1),
							  sizeof(long), GFP_KERNEL,
							  (void *)1));
	kt_unregister(t, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 4);
	KUNIT_EXPECT_EQ(test, klp_shadow_gc_id(t->id), -EINVAL);
}

static void klp_shadow_test_gc_orphans(struct kunit *test)
{
	struct klp_shadow_type *t = KT_TYPE(test, .id = KT(14),
					    .name = "held", .dtor = kt_dtor);
	unsigned long orphan = KT(15);

	KUNIT_ASSERT_EQ(test, kt_register(t, KT_OWNER_A), 0);
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(t, kt_parent(1), 8,
							  GFP_KERNEL, NULL));
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_alloc(kt_parent(1), orphan, 8,
						     GFP_KERNEL, NULL, NULL));
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_alloc(kt_parent(2), orphan, 8,
						     GFP_KERNEL, NULL, NULL));

	KUNIT_EXPECT_EQ(test, klp_shadow_gc_orphans(), 2L);
	KUNIT_EXPECT_EQ(test, kt_live(orphan), -1L);
	KUNIT_EXPECT_EQ(test, kt_live(t->id), 1L);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 0);
	KUNIT_EXPECT_EQ(test, klp_shadow_gc_orphans(), 0L);

	kt_unregister(t, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 1);
}
#endif /* CONFIG_LIVEPATCH_SHADOW_DEBUG */

static struct kunit_case klp_shadow_test_cases[] = {
	KUNIT_CASE(klp_shadow_test_id_api_counts),
	KUNIT_CASE(klp_shadow_test_refcount_and_owners),
	KUNIT_CASE(klp_shadow_test_conflicting_name),
	KUNIT_CASE(klp_shadow_test_double_registration),
	KUNIT_CASE(klp_shadow_test_collect_on_last_release),
	KUNIT_CASE(klp_shadow_test_collect_only_its_id),
	KUNIT_CASE(klp_shadow_test_mixed_user),
	KUNIT_CASE(klp_shadow_test_typed_access_needs_reference),
	KUNIT_CASE(klp_shadow_test_reserved_id),
	KUNIT_CASE(klp_shadow_test_unregister_unknown_owner),
	KUNIT_CASE(klp_shadow_test_stat_and_owners),
	KUNIT_CASE(klp_shadow_test_owners_bounded),
	KUNIT_CASE(klp_shadow_test_name_rules),
	KUNIT_CASE(klp_shadow_test_free_dtor_context),
	KUNIT_CASE(klp_shadow_test_ctor_failure_adds_nothing),
	KUNIT_CASE(klp_shadow_test_table_policy),
	KUNIT_CASE(klp_shadow_test_table_resizes),
	KUNIT_CASE(klp_shadow_test_table_direct_path_back),
	KUNIT_CASE(klp_shadow_test_table_typed_get),
	KUNIT_CASE(klp_shadow_test_release_collects_all),
	KUNIT_CASE(klp_shadow_test_release_event_one_grace_period),
	KUNIT_CASE(klp_shadow_test_deferred_release),
	KUNIT_CASE(klp_shadow_test_reference_ends_deferred),
	KUNIT_CASE(klp_shadow_test_forced_release_keeps),
	KUNIT_CASE(klp_shadow_test_kept_taken_back),
#ifdef CONFIG_LIVEPATCH_SHADOW_DEBUG
	KUNIT_CASE(klp_shadow_test_gc_id),
	KUNIT_CASE(klp_shadow_test_gc_orphans),
#endif
	{}
};

static struct kunit_suite klp_shadow_test_suite = {
	.name = "klp_shadow",
	.init = kt_init,
	.exit = kt_exit,
	.test_cases = klp_shadow_test_cases,
};

kunit_test_init_section_suite(klp_shadow_test_suite);
