#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
#
# series/interim/: the hand-written texts of kernel/livepatch/shadow.c
# after the early patches of the series. Each rewrites a few blocks of the
# final file on purpose and must carry every other block it shares with
# it verbatim: a change to shadow.c that the interims miss would show up
# as an unexplained hunk in a later patch.

load ../test_helper/common

# interim_blocks NAME: the top-level blocks (as series/split's "block"
# rule cuts them) of the interim shadow.c of patch NAME that differ from
# the final file's block of the same first line, one first line each.
interim_blocks() {
	python3 - "$KLP_TOP" "$1" <<-'EOF'
	import importlib.util, re, sys
	top, name = sys.argv[1], sys.argv[2]
	spec = importlib.util.spec_from_file_location('series', top + '/harness/series.py')
	series = importlib.util.module_from_spec(spec)
	spec.loader.exec_module(series)

	def blocks(path):
	    with open(path, encoding='utf-8') as f:
	        lines = f.read().splitlines(keepends=True)
	    out, cur = {}, []
	    for line, sep in zip(lines + ['\n'], series.c_separators(lines) + [True]):
	        if not sep:
	            cur.append(line)
	            continue
	        if cur:
	            key = next((l.strip() for l in cur if re.match(r'[A-Za-z_#]', l)),
	                       cur[0].strip())
	            out.setdefault(key, []).append(''.join(cur))
	        cur = []
	    return out

	final = blocks(top + '/kernel/livepatch/shadow.c')
	interim = blocks('%s/series/interim/%s/kernel/livepatch/shadow.c' % (top, name))
	for key, texts in interim.items():
	    if key in final and texts != final[key]:
	        print(key)
	EOF
}

@test "the table patch's shadow.c rewrites only the API and what it holds" {
	run interim_blocks 01-table
	assert_success
	assert_output "$(cat <<-'EOF'
	// SPDX-License-Identifier: GPL-2.0-or-later
	/**
	#include <linux/hash.h>
	static DEFINE_SPINLOCK(klp_shadow_lock);
	struct klp_shadow {
	static __always_inline void *klp_shadow_walk(struct klp_shadow __rcu **head,
	static __always_inline struct klp_shadow *
	static __always_inline void *
	void *klp_shadow_alloc(void *obj, unsigned long id,
	void *klp_shadow_get_or_alloc(void *obj, unsigned long id,
	void klp_shadow_free(void *obj, unsigned long id, klp_shadow_dtor_t dtor)
	void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor)
	EOF
	)"
}

@test "the records patch's shadow.c rewrites only what the types change" {
	run interim_blocks 02-records
	assert_success
	assert_output "$(cat <<-'EOF'
	// SPDX-License-Identifier: GPL-2.0-or-later
	/**
	#include <linux/hash.h>
	struct klp_shadow {
	static __always_inline void *klp_shadow_walk(struct klp_shadow __rcu **head,
	static __always_inline struct klp_shadow *
	static bool klp_shadow_table_del(struct klp_shadow *shadow)
	static struct klp_shadow_id *klp_shadow_id_alloc(unsigned long id, gfp_t gfp)
	static void klp_shadow_id_free_rcu(struct rcu_head *head)
	static void klp_shadow_id_put(struct klp_shadow_id *rec)
	static __always_inline void *
	void *klp_shadow_alloc(void *obj, unsigned long id,
	void *klp_shadow_get_or_alloc(void *obj, unsigned long id,
	void klp_shadow_free(void *obj, unsigned long id, klp_shadow_dtor_t dtor)
	void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor)
	EOF
	)"
}

@test "the key patch's shadow.c rewrites only what the types change" {
	run interim_blocks 03-key
	assert_success
	assert_output "$(cat <<-'EOF'
	// SPDX-License-Identifier: GPL-2.0-or-later
	/**
	#include <linux/hash.h>
	struct klp_shadow {
	static struct klp_shadow_id *klp_shadow_id_alloc(unsigned long id, gfp_t gfp)
	static void klp_shadow_id_free_rcu(struct rcu_head *head)
	static void klp_shadow_id_put(struct klp_shadow_id *rec)
	void *__klp_shadow_lookup(void *obj, unsigned long key)
	static __always_inline void *
	void *klp_shadow_alloc(void *obj, unsigned long id,
	void *klp_shadow_get_or_alloc(void *obj, unsigned long id,
	void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor)
	EOF
	)"
}
