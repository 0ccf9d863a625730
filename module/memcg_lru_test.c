// SPDX-License-Identifier: GPL-2.0
/*
 * memcg_lru_test: checks of the memcg-lru series run from inside the kernel.
 *
 * Reading /sys/kernel/debug/memcg_lru_test/results runs every case and
 * returns KTAP; the guest runner turns it into one TAP test per case.
 * Writing 1 to .../trigger_warn fires a WARN_ONCE(), which exists only to
 * prove that the harness fails a run on any kernel splat.
 *
 * With CONFIG_LRU_GEN_TEST_HOOKS (patch "mm/mglru: test hooks"), the module
 * also checks the MGLRU switch from inside: reading .../check_lruvecs walks
 * every lruvec and compares its lists with its size counters, and the
 * switch_race case runs reclaim kthreads against a toggling kthread.  On a
 * kernel without the hooks (the unpatched base) those cases skip.
 *
 * All files are root-only (0600): the cases reclaim and walk kernel state.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>

/* One case: returns 0 on pass, -EOPNOTSUPP to skip, else fails. */
struct mlt_case {
	const char *name;
	int (*run)(struct seq_file *m);
};

#define mlt_diag(m, fmt, ...) seq_printf(m, "# " fmt "\n", ##__VA_ARGS__)

static int mlt_memcg_enabled(struct seq_file *m)
{
	if (mem_cgroup_disabled()) {
		mlt_diag(m, "memory controller disabled (cgroup_disable=memory?)");
		return -EINVAL;
	}
	return 0;
}

/* The reader's memcg is online and reachable from its mm. */
static int mlt_current_memcg_online(struct seq_file *m)
{
	struct mem_cgroup *memcg;
	int ret = 0;

	memcg = get_mem_cgroup_from_mm(current->mm);
	if (!memcg) {
		mlt_diag(m, "no memcg for current->mm");
		return -EINVAL;
	}
	if (!mem_cgroup_online(memcg)) {
		mlt_diag(m, "memcg of the reading task is offline");
		ret = -EINVAL;
	}
	css_put(&memcg->css);
	return ret;
}

#ifdef CONFIG_LRU_GEN_TEST_HOOKS
#include <linux/lru_gen_test.h>

/*
 * Switch off and on: after each switch every lruvec is entirely on that LRU
 * and its lists agree with its counters, and no LRU page went missing.
 */
static int mlt_lruvecs_consistent(struct seq_file *m)
{
	unsigned long on = 0, off = 0;
	int ret;

	ret = lru_gen_test_set_enabled(false) ?:
	      lru_gen_test_check_lruvecs(false, &off) ?:
	      lru_gen_test_set_enabled(true) ?:
	      lru_gen_test_check_lruvecs(true, &on);
	mlt_diag(m, "check_lruvecs: %d; LRU pages: classic %lu, MGLRU %lu", ret, off, on);
	if (ret)
		return ret;
	/* what the page cache of a quiet guest gains or loses in between */
	if (abs((long)on - (long)off) > 1024) {
		mlt_diag(m, "LRU pages changed across the switch by more than 1024");
		return -EUCLEAN;
	}
	return 0;
}

struct mlt_race {
	struct mem_cgroup *memcg;
	atomic_long_t reclaimed;
	atomic_t errors;
	bool stop;
};

static int mlt_race_reclaimer(void *arg)
{
	struct mlt_race *race = arg;

	while (!READ_ONCE(race->stop) && !kthread_should_stop()) {
		atomic_long_add(lru_gen_test_reclaim_memcg(race->memcg, 32),
				&race->reclaimed);
		cond_resched();
	}
	while (!kthread_should_stop())
		msleep(1);
	return 0;
}

/*
 * Two kthreads reclaim from the reader's memcg while this thread switches
 * 20 times; after every switch, every lruvec must be fully converted.
 */
static int mlt_switch_race(struct seq_file *m)
{
	struct task_struct *thr[2] = {};
	struct mlt_race race = {};
	unsigned long nr_pages;
	int i, ret = 0;

	race.memcg = get_mem_cgroup_from_mm(current->mm);
	if (!race.memcg)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(thr); i++) {
		thr[i] = kthread_run(mlt_race_reclaimer, &race, "mlt_reclaim/%d", i);
		if (IS_ERR(thr[i])) {
			ret = PTR_ERR(thr[i]);
			thr[i] = NULL;
			goto stop;
		}
	}
	for (i = 0; i < 20 && !ret; i++) {
		ret = lru_gen_test_set_enabled(i % 2) ?:
		      lru_gen_test_check_lruvecs(i % 2, &nr_pages);
		if (ret)
			mlt_diag(m, "switch %d: %d", i, ret);
	}
	if (!ret)
		ret = lru_gen_test_set_enabled(true);
stop:
	WRITE_ONCE(race.stop, true);
	for (i = 0; i < ARRAY_SIZE(thr); i++)
		if (thr[i])
			kthread_stop(thr[i]);
	mlt_diag(m, "switch_race: %ld pages reclaimed during 20 switches",
		 atomic_long_read(&race.reclaimed));
	/* the reclaimers must really have raced with the switches */
	if (!ret && !atomic_long_read(&race.reclaimed))
		ret = -ENODATA;
	css_put(&race.memcg->css);
	return ret;
}

/* The LRU check_lruvecs expects: written as y/n, read back by the check. */
static bool mlt_expect_mglru = true;

static int mlt_check_show(struct seq_file *m, void *v)
{
	unsigned long nr_pages = 0;
	int ret;

	ret = lru_gen_test_check_lruvecs(READ_ONCE(mlt_expect_mglru), &nr_pages);
	seq_printf(m, "%s mglru=%d nr_pages=%lu\n",
		   ret ? "inconsistent" : "consistent", mlt_expect_mglru, nr_pages);
	return 0;
}

static int mlt_check_open(struct inode *inode, struct file *file)
{
	return single_open(file, mlt_check_show, NULL);
}

static ssize_t mlt_check_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	bool mglru;
	int ret;

	ret = kstrtobool_from_user(ubuf, count, &mglru);
	if (ret)
		return ret;
	WRITE_ONCE(mlt_expect_mglru, mglru);
	return count;
}

static const struct file_operations mlt_check_fops = {
	.owner = THIS_MODULE,
	.open = mlt_check_open,
	.read = seq_read,
	.write = mlt_check_write,
	.llseek = seq_lseek,
	.release = single_release,
};
#else
static int mlt_lruvecs_consistent(struct seq_file *m)
{
	mlt_diag(m, "needs CONFIG_LRU_GEN_TEST_HOOKS");
	return -EOPNOTSUPP;
}

static int mlt_switch_race(struct seq_file *m)
{
	mlt_diag(m, "needs CONFIG_LRU_GEN_TEST_HOOKS");
	return -EOPNOTSUPP;
}
#endif /* CONFIG_LRU_GEN_TEST_HOOKS */

#ifdef CONFIG_MEMCG_REPARENT_TEST_HOOKS
#include <linux/memcg_reparent_test.h>

/*
 * The deferred paths of reparenting, driven from user space through
 * .../reparent by a task inside the memcg under test:
 *
 *   isolate N   isolate up to N LRU folios of the writer's memcg, as reclaim
 *               or migration would, and hold them off the LRU
 *   lock N      lock up to N LRU folios of the writer's memcg, and keep them
 *               locked on the LRU
 *   release     put the isolated ones back on the LRU or unlock the locked
 *               ones, still holding a reference on each
 *   drop        drop every reference
 *
 * Reading it returns "held H offline O isolated I locked L": O is how many of
 * the H folios held are charged to an offline memcg. The test removes the
 * memcg in between and checks that O goes to 0 after "release".
 */
#define MLT_REPARENT_MAX	256

static DEFINE_MUTEX(mlt_reparent_lock);
static struct folio *mlt_folios[MLT_REPARENT_MAX];
static unsigned long mlt_nr_folios;
static bool mlt_taken;		/* isolated or locked, not released yet */
static bool mlt_locked;		/* "lock" rather than "isolate" */

static void mlt_reparent_release(void)
{
	unsigned long i;

	if (!mlt_taken)
		return;
	for (i = 0; i < mlt_nr_folios; i++)
		memcg_reparent_test_putback(mlt_folios[i], mlt_locked);
	mlt_taken = false;
}

static void mlt_reparent_drop(void)
{
	unsigned long i;

	mlt_reparent_release();
	for (i = 0; i < mlt_nr_folios; i++)
		folio_put(mlt_folios[i]);
	mlt_nr_folios = 0;
}

static int mlt_reparent_show(struct seq_file *m, void *v)
{
	unsigned long i, offline = 0;

	mutex_lock(&mlt_reparent_lock);
	rcu_read_lock();
	for (i = 0; i < mlt_nr_folios; i++) {
		struct mem_cgroup *memcg = folio_memcg_rcu(mlt_folios[i]);

		if (memcg && !mem_cgroup_online(memcg))
			offline++;
	}
	rcu_read_unlock();
	seq_printf(m, "held %lu offline %lu isolated %lu locked %lu\n", mlt_nr_folios, offline,
		   mlt_taken && !mlt_locked ? mlt_nr_folios : 0,
		   mlt_taken && mlt_locked ? mlt_nr_folios : 0);
	mutex_unlock(&mlt_reparent_lock);
	return 0;
}

static int mlt_reparent_open(struct inode *inode, struct file *file)
{
	return single_open(file, mlt_reparent_show, NULL);
}

static ssize_t mlt_reparent_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct mem_cgroup *memcg;
	unsigned long nr = 0;
	char buf[32], *arg;
	bool lock;
	int ret = 0;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	arg = strim(buf);

	mutex_lock(&mlt_reparent_lock);
	if (!strcmp(arg, "release")) {
		mlt_reparent_release();
	} else if (!strcmp(arg, "drop")) {
		mlt_reparent_drop();
	} else if (str_has_prefix(arg, "isolate ") || str_has_prefix(arg, "lock ")) {
		lock = arg[0] == 'l';
		ret = kstrtoul(strchr(arg, ' ') + 1, 0, &nr);
		if (!ret && (!nr || nr > MLT_REPARENT_MAX))
			ret = -ERANGE;
		if (!ret && mlt_nr_folios)
			ret = -EBUSY;
		if (!ret) {
			memcg = get_mem_cgroup_from_mm(current->mm);
			if (!memcg || !memcg->css.parent) {
				ret = -EINVAL;
			} else {
				mlt_nr_folios = memcg_reparent_test_isolate(memcg, mlt_folios,
									    nr, lock);
				mlt_taken = true;
				mlt_locked = lock;
				if (!mlt_nr_folios)
					ret = -ENODATA;
			}
			if (memcg)
				css_put(&memcg->css);
		}
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&mlt_reparent_lock);

	return ret ?: count;
}

static const struct file_operations mlt_reparent_fops = {
	.owner = THIS_MODULE,
	.open = mlt_reparent_open,
	.read = seq_read,
	.write = mlt_reparent_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* "offline_lru_pages N offline_memcgs M": what offline memcgs still hold */
static int mlt_reparent_check_show(struct seq_file *m, void *v)
{
	unsigned long pages, memcgs;

	pages = memcg_reparent_test_offline(&memcgs);
	seq_printf(m, "offline_lru_pages %lu offline_memcgs %lu\n", pages, memcgs);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mlt_reparent_check);
#endif /* CONFIG_MEMCG_REPARENT_TEST_HOOKS */

static const struct mlt_case mlt_cases[] = {
	{ "memcg_enabled", mlt_memcg_enabled },
	{ "current_memcg_online", mlt_current_memcg_online },
	{ "lruvecs_consistent", mlt_lruvecs_consistent },
	{ "switch_race", mlt_switch_race },
};

/* Serializes runs: cases may change global state (e.g. the LRU switch). */
static DEFINE_MUTEX(mlt_run_lock);

static int mlt_results_show(struct seq_file *m, void *v)
{
	int i, ret;

	mutex_lock(&mlt_run_lock);
	seq_puts(m, "KTAP version 1\n");
	seq_printf(m, "1..%zu\n", ARRAY_SIZE(mlt_cases));
	for (i = 0; i < ARRAY_SIZE(mlt_cases); i++) {
		ret = mlt_cases[i].run(m);
		if (ret == -EOPNOTSUPP)
			seq_printf(m, "ok %d %s # SKIP\n", i + 1, mlt_cases[i].name);
		else
			seq_printf(m, "%sok %d %s\n", ret ? "not " : "", i + 1,
				   mlt_cases[i].name);
	}
	mutex_unlock(&mlt_run_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mlt_results);

static ssize_t mlt_trigger_warn_write(struct file *file, const char __user *ubuf,
				      size_t count, loff_t *ppos)
{
	bool fire;
	int ret;

	ret = kstrtobool_from_user(ubuf, count, &fire);
	if (ret)
		return ret;
	WARN_ONCE(fire, "memcg_lru_test: WARN requested through debugfs\n");
	return count;
}

static const struct file_operations mlt_trigger_warn_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = mlt_trigger_warn_write,
	.llseek = noop_llseek,
};

static struct dentry *mlt_dir;

static int __init mlt_init(void)
{
	mlt_dir = debugfs_create_dir("memcg_lru_test", NULL);
	debugfs_create_file("results", 0600, mlt_dir, NULL, &mlt_results_fops);
	debugfs_create_file("trigger_warn", 0600, mlt_dir, NULL,
			    &mlt_trigger_warn_fops);
#ifdef CONFIG_LRU_GEN_TEST_HOOKS
	debugfs_create_file("check_lruvecs", 0600, mlt_dir, NULL, &mlt_check_fops);
#endif
#ifdef CONFIG_MEMCG_REPARENT_TEST_HOOKS
	debugfs_create_file("reparent", 0600, mlt_dir, NULL, &mlt_reparent_fops);
	debugfs_create_file("reparent_check", 0600, mlt_dir, NULL, &mlt_reparent_check_fops);
#endif
	return 0;
}

static void __exit mlt_exit(void)
{
	debugfs_remove_recursive(mlt_dir);
#ifdef CONFIG_MEMCG_REPARENT_TEST_HOOKS
	mlt_reparent_drop();
#endif
}

module_init(mlt_init);
module_exit(mlt_exit);
MODULE_DESCRIPTION("In-kernel tests of the memcg-lru series");
MODULE_LICENSE("GPL");
