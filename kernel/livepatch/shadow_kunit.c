// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the shadow variable registry. Included at the end of
 * shadow.c when CONFIG_LIVEPATCH_SHADOW_KUNIT_TEST is set, so that they can
 * look at the records directly. Ids 0x4b550000 and up belong to these tests.
 */

#include <kunit/test.h>

#define KT_ID		0x4b550000UL
#define KT_OWNER_A	"kunit_a/vmlinux"
#define KT_OWNER_B	"kunit_b/vmlinux"

static int kt_dtor_calls;
static unsigned long kt_dtor_sum;

static void kt_dtor(void *obj, void *shadow_data)
{
	kt_dtor_calls++;
	kt_dtor_sum += *(unsigned long *)shadow_data;
}

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
	struct klp_shadow_id *rec;
	long live = -1;

	rcu_read_lock();
	rec = klp_shadow_id_find(id);
	if (rec)
		live = READ_ONCE(rec->live);
	rcu_read_unlock();
	return live;
}

static unsigned int kt_refcount(unsigned long id)
{
	struct klp_shadow_id *rec;
	unsigned long flags;
	unsigned int ref = 0;

	spin_lock_irqsave(&klp_shadow_lock, flags);
	rec = klp_shadow_id_find(id);
	if (rec)
		ref = rec->refcount;
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	return ref;
}

static int kt_init(struct kunit *test)
{
	kt_dtor_calls = 0;
	kt_dtor_sum = 0;
	return 0;
}

static void klp_shadow_test_id_api_counts(struct kunit *test)
{
	unsigned long id = KT_ID + 1;
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
	KUNIT_EXPECT_EQ(test, kt_live(id), 2);
	rcu_read_lock();
	KUNIT_EXPECT_EQ(test, klp_shadow_id_find(id)->bytes, 32UL);
	rcu_read_unlock();

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
	struct klp_shadow_type a = { .id = KT_ID + 2, .name = "kt" };
	struct klp_shadow_type b = { .id = KT_ID + 2, .name = "kt" };
	struct klp_shadow_owner *own;
	struct klp_shadow_id *rec;
	const char *names[2];
	int i = 0;

	KUNIT_ASSERT_EQ(test, klp_shadow_register(&b, KT_OWNER_B), 0);
	KUNIT_ASSERT_EQ(test, klp_shadow_register(&a, KT_OWNER_A), 0);
	KUNIT_EXPECT_EQ(test, kt_refcount(a.id), 2U);
	KUNIT_EXPECT_EQ(test, a.nr_refs, 1U);
	KUNIT_EXPECT_EQ(test, b.nr_refs, 1U);

	mutex_lock(&klp_shadow_mutex);
	rec = klp_shadow_id_find(a.id);
	list_for_each_entry(own, &rec->owners, node)
		if (i < 2)
			names[i++] = own->name;
	mutex_unlock(&klp_shadow_mutex);
	KUNIT_ASSERT_EQ(test, i, 2);
	KUNIT_EXPECT_STREQ(test, names[0], KT_OWNER_A);
	KUNIT_EXPECT_STREQ(test, names[1], KT_OWNER_B);

	klp_shadow_unregister(&b, KT_OWNER_B);
	KUNIT_EXPECT_EQ(test, kt_refcount(a.id), 1U);
	klp_shadow_unregister(&a, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, kt_live(a.id), -1);
}

static void klp_shadow_test_conflicting_name(struct kunit *test)
{
	struct klp_shadow_type a = { .id = KT_ID + 3, .name = "one" };
	struct klp_shadow_type b = { .id = KT_ID + 3, .name = "two" };
	struct klp_shadow_type c = { .id = KT_ID + 3 };

	KUNIT_ASSERT_EQ(test, klp_shadow_register(&a, KT_OWNER_A), 0);
	KUNIT_EXPECT_EQ(test, klp_shadow_register(&b, KT_OWNER_B), -EINVAL);
	KUNIT_EXPECT_EQ(test, klp_shadow_register(&c, KT_OWNER_B), -EINVAL);
	KUNIT_EXPECT_EQ(test, kt_refcount(a.id), 1U);
	KUNIT_EXPECT_EQ(test, b.nr_refs, 0U);
	klp_shadow_unregister(&a, KT_OWNER_A);

	/* Once nobody holds the id, another name may take it. */
	KUNIT_ASSERT_EQ(test, klp_shadow_register(&b, KT_OWNER_B), 0);
	klp_shadow_unregister(&b, KT_OWNER_B);
}

static void klp_shadow_test_double_registration(struct kunit *test)
{
	struct klp_shadow_type a = { .id = KT_ID + 4, .name = "dbl" };

	KUNIT_ASSERT_EQ(test, klp_shadow_register(&a, KT_OWNER_A), 0);
	KUNIT_EXPECT_EQ(test, klp_shadow_register(&a, KT_OWNER_A), -EEXIST);
	KUNIT_EXPECT_EQ(test, kt_refcount(a.id), 1U);
	KUNIT_EXPECT_EQ(test, klp_shadow_register(&a, ""), -EINVAL);
	KUNIT_EXPECT_EQ(test, klp_shadow_register(NULL, KT_OWNER_B), -EINVAL);
	klp_shadow_unregister(&a, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, a.nr_refs, 0U);
}

static void klp_shadow_test_collect_on_last_release(struct kunit *test)
{
	struct klp_shadow_type t = {
		.id = KT_ID + 5, .name = "gc", .ctor = kt_ctor, .dtor = kt_dtor,
	};
	unsigned long i, n = 1000, sum = 0;

	KUNIT_ASSERT_EQ(test, klp_shadow_register(&t, KT_OWNER_A), 0);
	KUNIT_ASSERT_EQ(test, klp_shadow_register(&t, KT_OWNER_B), 0);
	for (i = 0; i < n; i++) {
		void *data = klp_shadow_type_alloc(&t, kt_parent(i), sizeof(long),
						   GFP_KERNEL, (void *)i);

		KUNIT_ASSERT_NOT_NULL(test, data);
		sum += i;
	}
	KUNIT_EXPECT_EQ(test, kt_live(t.id), (long)n);

	klp_shadow_unregister(&t, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 0);
	KUNIT_EXPECT_EQ(test, kt_live(t.id), (long)n);

	klp_shadow_unregister(&t, KT_OWNER_B);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, (int)n);
	KUNIT_EXPECT_EQ(test, kt_dtor_sum, sum);
	KUNIT_EXPECT_EQ(test, kt_live(t.id), -1);
	KUNIT_EXPECT_NULL(test, klp_shadow_get(kt_parent(7), t.id));
}

static void klp_shadow_test_collect_only_its_id(struct kunit *test)
{
	struct klp_shadow_type t = { .id = KT_ID + 6, .name = "mine", .dtor = kt_dtor };
	unsigned long other = KT_ID + 7;

	KUNIT_ASSERT_EQ(test, klp_shadow_register(&t, KT_OWNER_A), 0);
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(&t, kt_parent(1), 8,
							  GFP_KERNEL, NULL));
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_alloc(kt_parent(1), other, 8,
						     GFP_KERNEL, NULL, NULL));
	klp_shadow_unregister(&t, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 1);
	KUNIT_EXPECT_NOT_NULL(test, klp_shadow_get(kt_parent(1), other));
	KUNIT_EXPECT_EQ(test, kt_live(other), 1);
	klp_shadow_free_all(other, NULL);
}

static void klp_shadow_test_id_api_vars_collected(struct kunit *test)
{
	struct klp_shadow_type t = { .id = KT_ID + 8, .name = "mixed", .dtor = kt_dtor };

	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_alloc(kt_parent(3), t.id, 8,
						     GFP_KERNEL, NULL, NULL));
	KUNIT_ASSERT_EQ(test, klp_shadow_register(&t, KT_OWNER_A), 0);
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(&t, kt_parent(4), 8,
							  GFP_KERNEL, NULL));
	klp_shadow_unregister(&t, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 2);
	KUNIT_EXPECT_NULL(test, klp_shadow_get(kt_parent(3), t.id));
}

static void klp_shadow_test_typed_access_needs_reference(struct kunit *test)
{
	struct klp_shadow_type t = { .id = KT_ID + 9, .name = "noref" };

	KUNIT_EXPECT_NULL(test, klp_shadow_type_alloc(&t, kt_parent(1), 8,
						      GFP_KERNEL, NULL));
	KUNIT_EXPECT_TRUE(test, t.warned);
	KUNIT_EXPECT_NULL(test, klp_shadow_type_get_or_alloc(&t, kt_parent(1), 8,
							     GFP_KERNEL, NULL));
	KUNIT_EXPECT_NULL(test, klp_shadow_type_get(&t, kt_parent(1)));
	KUNIT_EXPECT_EQ(test, kt_live(t.id), -1);
}

static void klp_shadow_test_unregister_unknown_owner(struct kunit *test)
{
	struct klp_shadow_type t = { .id = KT_ID + 10, .name = "own" };

	KUNIT_ASSERT_EQ(test, klp_shadow_register(&t, KT_OWNER_A), 0);
	klp_shadow_unregister(&t, KT_OWNER_B);
	KUNIT_EXPECT_EQ(test, kt_refcount(t.id), 1U);
	klp_shadow_unregister(&t, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, kt_refcount(t.id), 0U);
}

static void klp_shadow_test_stat_and_owners(struct kunit *test)
{
	struct klp_shadow_type t = { .id = KT_ID + 11, .name = "stat" };
	struct klp_shadow_stat st;
	char *buf;

	buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);

	klp_shadow_id_stat(t.id, &st);
	KUNIT_EXPECT_EQ(test, st.refcount, 0U);
	KUNIT_EXPECT_EQ(test, st.live, 0UL);
	KUNIT_EXPECT_EQ(test, st.bytes, 0UL);
	KUNIT_EXPECT_EQ(test, klp_shadow_id_owners(t.id, buf), 0);

	KUNIT_ASSERT_EQ(test, klp_shadow_register(&t, KT_OWNER_B), 0);
	KUNIT_ASSERT_EQ(test, klp_shadow_register(&t, KT_OWNER_A), 0);
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(&t, kt_parent(1), 8,
							  GFP_KERNEL, NULL));
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_alloc(kt_parent(2), t.id, 16,
						     GFP_KERNEL, NULL, NULL));
	klp_shadow_id_stat(t.id, &st);
	KUNIT_EXPECT_EQ(test, st.refcount, 2U);
	KUNIT_EXPECT_EQ(test, st.live, 2UL);
	KUNIT_EXPECT_EQ(test, st.bytes, 24UL);
	KUNIT_EXPECT_EQ(test, klp_shadow_id_owners(t.id, buf),
			(ssize_t)strlen(KT_OWNER_A "\n" KT_OWNER_B "\n"));
	KUNIT_EXPECT_STREQ(test, buf, KT_OWNER_A "\n" KT_OWNER_B "\n");

	klp_shadow_type_free(&t, kt_parent(1));
	klp_shadow_id_stat(t.id, &st);
	KUNIT_EXPECT_EQ(test, st.live, 1UL);
	KUNIT_EXPECT_EQ(test, st.bytes, 16UL);

	klp_shadow_unregister(&t, KT_OWNER_A);
	klp_shadow_unregister(&t, KT_OWNER_B);
	klp_shadow_id_stat(t.id, &st);
	KUNIT_EXPECT_EQ(test, st.refcount, 0U);
	KUNIT_EXPECT_EQ(test, st.live, 0UL);
	KUNIT_EXPECT_EQ(test, klp_shadow_id_owners(t.id, buf), 0);
}

/* More owners than fit in a page: only whole lines are printed. */
static void klp_shadow_test_owners_fit_a_page(struct kunit *test)
{
	struct klp_shadow_type t = { .id = KT_ID + 12, .name = "many" };
	char owner[KLP_SHADOW_OWNER_LEN];
	unsigned int i, n = 60, lines = 0;
	ssize_t len;
	char *buf;

	buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < n; i++) {
		snprintf(owner, sizeof(owner), "%080u/vmlinux", i);
		KUNIT_ASSERT_EQ(test, klp_shadow_register(&t, owner), 0);
	}

	len = klp_shadow_id_owners(t.id, buf);
	KUNIT_EXPECT_GT(test, len, 0);
	KUNIT_EXPECT_LT(test, len, (ssize_t)PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, buf[len - 1], '\n');
	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';
	KUNIT_EXPECT_EQ(test, (ssize_t)lines * 89, len);
	KUNIT_EXPECT_EQ(test, lines, (unsigned int)((PAGE_SIZE - 1) / 89));

	for (i = 0; i < n; i++) {
		snprintf(owner, sizeof(owner), "%080u/vmlinux", i);
		klp_shadow_unregister(&t, owner);
	}
	KUNIT_EXPECT_EQ(test, kt_refcount(t.id), 0U);
}

#ifdef CONFIG_LIVEPATCH_SHADOW_DEBUG
static void klp_shadow_test_gc_id(struct kunit *test)
{
	struct klp_shadow_type t = {
		.id = KT_ID + 13, .name = "gc_id", .ctor = kt_ctor, .dtor = kt_dtor,
	};
	unsigned long i;

	KUNIT_ASSERT_EQ(test, klp_shadow_register(&t, KT_OWNER_A), 0);
	for (i = 1; i <= 3; i++)
		KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(&t, kt_parent(i),
								  sizeof(long), GFP_KERNEL,
								  (void *)i));
	KUNIT_EXPECT_EQ(test, klp_shadow_gc_id(t.id), 3L);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 3);
	KUNIT_EXPECT_EQ(test, kt_dtor_sum, 6UL);
	KUNIT_EXPECT_EQ(test, kt_refcount(t.id), 1U);
	KUNIT_EXPECT_EQ(test, kt_live(t.id), 0L);
	KUNIT_EXPECT_NULL(test, klp_shadow_type_get(&t, kt_parent(1)));

	/* Still referenced, so still usable. */
	KUNIT_EXPECT_NOT_NULL(test, klp_shadow_type_alloc(&t, kt_parent(1),
							  sizeof(long), GFP_KERNEL,
							  (void *)1));
	klp_shadow_unregister(&t, KT_OWNER_A);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 4);
	KUNIT_EXPECT_EQ(test, klp_shadow_gc_id(t.id), -EINVAL);
}

static void klp_shadow_test_gc_orphans(struct kunit *test)
{
	struct klp_shadow_type t = { .id = KT_ID + 14, .name = "held", .dtor = kt_dtor };
	unsigned long orphan = KT_ID + 15;

	KUNIT_ASSERT_EQ(test, klp_shadow_register(&t, KT_OWNER_A), 0);
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_type_alloc(&t, kt_parent(1), 8,
							  GFP_KERNEL, NULL));
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_alloc(kt_parent(1), orphan, 8,
						     GFP_KERNEL, NULL, NULL));
	KUNIT_ASSERT_NOT_NULL(test, klp_shadow_alloc(kt_parent(2), orphan, 8,
						     GFP_KERNEL, NULL, NULL));

	KUNIT_EXPECT_EQ(test, klp_shadow_gc_orphans(), 2L);
	KUNIT_EXPECT_EQ(test, kt_live(orphan), -1L);
	KUNIT_EXPECT_EQ(test, kt_live(t.id), 1L);
	KUNIT_EXPECT_EQ(test, kt_dtor_calls, 0);
	KUNIT_EXPECT_EQ(test, klp_shadow_gc_orphans(), 0L);

	klp_shadow_unregister(&t, KT_OWNER_A);
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
	KUNIT_CASE(klp_shadow_test_id_api_vars_collected),
	KUNIT_CASE(klp_shadow_test_typed_access_needs_reference),
	KUNIT_CASE(klp_shadow_test_unregister_unknown_owner),
	KUNIT_CASE(klp_shadow_test_stat_and_owners),
	KUNIT_CASE(klp_shadow_test_owners_fit_a_page),
#ifdef CONFIG_LIVEPATCH_SHADOW_DEBUG
	KUNIT_CASE(klp_shadow_test_gc_id),
	KUNIT_CASE(klp_shadow_test_gc_orphans),
#endif
	{}
};

static struct kunit_suite klp_shadow_test_suite = {
	.name = "klp_shadow",
	.init = kt_init,
	.test_cases = klp_shadow_test_cases,
};

kunit_test_suite(klp_shadow_test_suite);
