// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * shadow_debug.c - The shadow variable registry's debugfs files
 *
 * With CONFIG_LIVEPATCH_SHADOW_DEBUG:
 *
 * /sys/kernel/debug/livepatch/shadow/types
 * /sys/kernel/debug/livepatch/shadow/gc
 *
 * "types" lists every id the registry knows; "gc" collects an id's
 * variables, or those of every id nobody references, now.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/hashtable.h>
#include <linux/init.h>
#include <linux/livepatch.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "shadow.h"

static int klp_shadow_id_cmp(const void *a, const void *b)
{
	const struct klp_shadow_id *ra = *(const struct klp_shadow_id **)a;
	const struct klp_shadow_id *rb = *(const struct klp_shadow_id **)b;

	if (ra->id == rb->id)
		return 0;
	return ra->id < rb->id ? -1 : 1;
}

/*
 * Fill @recs with up to @max records of the registry, sorted by id; with
 * @orphans, only those that hold variables but no reference. The caller
 * holds rcu_read_lock() for as long as it uses them.
 *
 * Return: how many records there are, which may exceed @max.
 */
static unsigned int klp_shadow_id_snapshot(struct klp_shadow_id **recs,
					   unsigned int max, bool orphans)
{
	struct klp_shadow_id *rec;
	unsigned int bkt, n = 0;

	hash_for_each_rcu(klp_shadow_ids, bkt, rec, node) {
		if (orphans && (READ_ONCE(rec->refcount) || !READ_ONCE(rec->live)))
			continue;
		if (n < max)
			recs[n] = rec;
		n++;
	}
	if (n <= max)
		sort(recs, n, sizeof(*recs), klp_shadow_id_cmp, NULL);
	return n;
}

/*
 * Run @fn on a sorted snapshot of the registry's records, under
 * rcu_read_lock(), growing the snapshot until every record fits. The
 * caller holds klp_shadow_mutex, which keeps the names stable.
 */
static int klp_shadow_walk(bool orphans, void *data,
			   void (*fn)(struct klp_shadow_id **recs, unsigned int n, void *data))
{
	struct klp_shadow_id **recs = NULL;
	unsigned int n, max = 0;

	lockdep_assert_held(&klp_shadow_mutex);

	for (;;) {
		rcu_read_lock();
		n = klp_shadow_id_snapshot(recs, max, orphans);
		if (n <= max) {
			fn(recs, n, data);
			rcu_read_unlock();
			break;
		}
		rcu_read_unlock();
		kfree(recs);
		max = n + 16;
		recs = kmalloc_array(max, sizeof(*recs), GFP_KERNEL);
		if (!recs)
			return -ENOMEM;
	}
	kfree(recs);
	return 0;
}

static void klp_shadow_types_print(struct klp_shadow_id **recs,
				   unsigned int n, void *data)
{
	struct seq_file *m = data;
	unsigned int i;

	seq_puts(m, "id name refcount live bytes\n");
	for (i = 0; i < n; i++) {
		seq_printf(m, "%lu ", recs[i]->id);
		if (recs[i]->name && *recs[i]->name)
			seq_escape(m, recs[i]->name, " \t\n\\");
		else
			seq_putc(m, '-');
		seq_printf(m, " %u %lu %lu\n", READ_ONCE(recs[i]->refcount),
			   READ_ONCE(recs[i]->live), READ_ONCE(recs[i]->bytes));
	}
}

/*
 * "types": a header, then one line per id, sorted: id, name ("-" if none;
 * white space and backslashes escaped in octal), refcount, live variables
 * and their bytes.
 */
static int klp_shadow_types_show(struct seq_file *m, void *v)
{
	int ret;

	if (mutex_lock_interruptible(&klp_shadow_mutex))
		return -EINTR;
	ret = klp_shadow_walk(false, m, klp_shadow_types_print);
	mutex_unlock(&klp_shadow_mutex);
	return ret;
}
DEFINE_SHOW_ATTRIBUTE(klp_shadow_types);

/**
 * klp_shadow_gc_id() - collect the variables of an id, referenced or not
 * @id:		data identifier
 *
 * A fault injection knob: frees every variable with @id, once no reader
 * can see them, even while livepatches still use them; those made through
 * a type through the destructor of a type that references the id (none if
 * no type does), those of the id-based API without a destructor.
 *
 * Context: Process context; takes klp_shadow_mutex; may sleep.
 * Return: the number of variables freed, -EINVAL if the registry does not
 * know @id, or -EINTR.
 */
long klp_shadow_gc_id(unsigned long id)
{
	long ret;

	if (mutex_lock_interruptible(&klp_shadow_mutex))
		return -EINTR;
	ret = klp_shadow_gc_one(id, false);
	mutex_unlock(&klp_shadow_mutex);
	return ret == -ENOENT ? -EINVAL : ret;
}

struct klp_shadow_orphans {
	unsigned long *ids;
	unsigned int nr;
};

static void klp_shadow_orphans_copy(struct klp_shadow_id **recs,
				    unsigned int n, void *data)
{
	struct klp_shadow_orphans *orphans = data;
	unsigned int i;

	orphans->ids = kmalloc_array(n, sizeof(*orphans->ids), GFP_ATOMIC);
	if (!orphans->ids)
		return;
	for (i = 0; i < n; i++)
		orphans->ids[i] = recs[i]->id;
	orphans->nr = n;
}

/**
 * klp_shadow_gc_orphans() - collect the variables nobody references
 *
 * Frees every variable whose id holds no reference (ids used only through
 * the id-based API, for instance), without a destructor, since no type
 * provides one.
 *
 * Context: Process context; takes klp_shadow_mutex; may sleep.
 * Return: the number of variables freed, -EINTR or -ENOMEM.
 */
long klp_shadow_gc_orphans(void)
{
	struct klp_shadow_orphans orphans = { };
	unsigned long total = 0;
	unsigned int i;
	long n;
	int ret;

	if (mutex_lock_interruptible(&klp_shadow_mutex))
		return -EINTR;
	ret = klp_shadow_walk(true, &orphans, klp_shadow_orphans_copy);
	if (!ret && !orphans.ids)
		ret = -ENOMEM;
	for (i = 0; !ret && i < orphans.nr; i++) {
		n = klp_shadow_gc_one(orphans.ids[i], true);
		if (n > 0)
			total += n;
	}
	mutex_unlock(&klp_shadow_mutex);
	kfree(orphans.ids);
	if (ret)
		return ret;
	pr_info("gc: %lu orphan variables freed\n", total);
	return total;
}

/* Longest accepted write to "gc": an unsigned long in decimal, a newline. */
#define KLP_SHADOW_GC_MAX	32

/*
 * "gc" takes an id in decimal or "orphans", with an optional newline;
 * anything else fails with -EINVAL before anything is collected.
 */
static ssize_t klp_shadow_gc_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	char buf[KLP_SHADOW_GC_MAX];
	unsigned long id;
	long ret;

	if (!count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	if (sysfs_streq(buf, "orphans"))
		ret = klp_shadow_gc_orphans();
	else if (!kstrtoul(buf, 10, &id))
		ret = klp_shadow_gc_id(id);
	else
		ret = -EINVAL;

	return ret < 0 ? ret : count;
}

static const struct file_operations klp_shadow_gc_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = klp_shadow_gc_write,
	.llseek = noop_llseek,
};

static int __init klp_shadow_debugfs_init(void)
{
	struct dentry *dir;

	dir = debugfs_create_dir("livepatch", NULL);
	dir = debugfs_create_dir("shadow", dir);
	debugfs_create_file("types", 0400, dir, NULL, &klp_shadow_types_fops);
	debugfs_create_file("gc", 0200, dir, NULL, &klp_shadow_gc_fops);
	return 0;
}
late_initcall(klp_shadow_debugfs_init);
