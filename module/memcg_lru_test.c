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
 * checks the MGLRU switch from inside: reading .../check_lruvecs walks
 * every lruvec and compares its lists with its size counters, and the
 * switch_race case runs reclaim kthreads against a toggling kthread.  With
 * CONFIG_MEMCG_REPARENT_TEST_HOOKS, the offline_lru_empty case walks every
 * memcg and requires that no offline one still has pages on its LRUs.  On a
 * kernel without the hooks (the unpatched base) those cases skip.
 *
 * All files are root-only (0600): the cases reclaim and walk kernel state.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/pagemap.h>
#include <linux/page-flags.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
/* added by the series; the unpatched base has none (make bench, compare) */
#if __has_include(<linux/zswap.h>)
#include <linux/zswap.h>
#endif

/* One case: returns 0 on pass, -EOPNOTSUPP to skip, else fails. */
struct mlt_case {
	const char *name;
	int (*run)(struct seq_file *m);
};

#define mlt_diag(m, fmt, ...) seq_printf(m, "# " fmt "\n", ##__VA_ARGS__)

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

/*
 * The deadlock of a read side held across a writeback wait, driven step by
 * step.  Writing the path of a clean, cached file on a disk filesystem to
 * .../switch_wb_deadlock runs:
 *
 *   R  reclaims the file's memcg; its first folio is under writeback with
 *      PG_reclaim set, so shrink_folio_list() waits for the writeback
 *      (legacy memcg reclaim: cgroup v1, or v2 without cgroup writeback);
 *   W  switches the LRU (lru_gen_test_set_enabled()) once R is waiting;
 *   K  reclaims too, and only then ends the writeback, as a filesystem's
 *      I/O completion that allocates (ext4 unwritten extent conversion)
 *      would.
 *
 * If R waits with the read side of the switch lock held, W waits for R and
 * K waits behind W: nothing can make progress.  The write then fails with
 * EDEADLK after MLT_WB_TIMEOUT and ends the writeback itself, so the guest
 * recovers and the run goes on.  It succeeds when K, W and R all finish.
 * Before writing, the LRU must be classic ("n"): the multi-gen LRU does not
 * isolate folios under writeback.
 */
#define MLT_WB_TIMEOUT	(15 * HZ)

struct mlt_wb {
	struct folio *folio;
	struct mem_cgroup *memcg;
	struct completion r_done, w_done, k_done;
	unsigned long ended;		/* bit 0: the writeback was ended */
	bool stop;
};

static void mlt_wb_end(struct mlt_wb *wb)
{
	if (!test_and_set_bit(0, &wb->ended))
		folio_end_writeback(wb->folio);
}

static int mlt_wb_reclaimer(void *arg)
{
	struct mlt_wb *wb = arg;

	while (!READ_ONCE(wb->stop) && !test_bit(0, &wb->ended)) {
		lru_gen_test_reclaim_memcg(wb->memcg, 1024);
		cond_resched();
	}
	complete(&wb->r_done);
	return 0;
}

static int mlt_wb_switcher(void *arg)
{
	struct mlt_wb *wb = arg;

	lru_gen_test_set_enabled(true);
	complete(&wb->w_done);
	return 0;
}

static int mlt_wb_completer(void *arg)
{
	struct mlt_wb *wb = arg;

	lru_gen_test_reclaim_memcg(wb->memcg, 32);
	mlt_wb_end(wb);
	complete(&wb->k_done);
	return 0;
}

static int mlt_wb_run(struct mlt_wb *wb)
{
	struct task_struct *r, *w, *k;
	unsigned long deadline = jiffies + MLT_WB_TIMEOUT;
	int ret = 0;

	r = kthread_run(mlt_wb_reclaimer, wb, "mlt_wb_R");
	if (IS_ERR(r))
		return PTR_ERR(r);
	/* R is in folio_wait_writeback() once the folio has a waiter */
	while (!folio_test_waiters(wb->folio) && time_before(jiffies, deadline))
		msleep(10);
	if (!folio_test_waiters(wb->folio)) {
		pr_info("switch_wb_deadlock: reclaim never waited for the writeback\n");
		ret = -ETIMEDOUT;
		goto out;
	}
	w = kthread_run(mlt_wb_switcher, wb, "mlt_wb_W");
	if (IS_ERR(w)) {
		ret = PTR_ERR(w);
		goto out;
	}
	/* let W get as far as it can: with the bug, to waiting for R */
	msleep(500);
	k = kthread_run(mlt_wb_completer, wb, "mlt_wb_K");
	if (IS_ERR(k)) {
		mlt_wb_end(wb);
		wait_for_completion(&wb->w_done);
		ret = PTR_ERR(k);
		goto out;
	}
	if (!wait_for_completion_timeout(&wb->k_done, MLT_WB_TIMEOUT)) {
		pr_info("switch_wb_deadlock: deadlock: reclaim waits for writeback, the switch for reclaim, the writeback for the switch; ending the writeback by hand\n");
		ret = -EDEADLK;
		mlt_wb_end(wb);
		wait_for_completion(&wb->k_done);
	}
	wait_for_completion(&wb->w_done);
out:
	WRITE_ONCE(wb->stop, true);
	mlt_wb_end(wb);
	wait_for_completion(&wb->r_done);
	return ret;
}

static ssize_t mlt_wb_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct mlt_wb wb = {};
	struct file *target;
	char *path;
	int ret;

	path = strndup_user(ubuf, min_t(size_t, count + 1, PATH_MAX));
	if (IS_ERR(path))
		return PTR_ERR(path);
	target = filp_open(strim(path), O_RDONLY, 0);
	kfree(path);
	if (IS_ERR(target))
		return PTR_ERR(target);

	wb.folio = filemap_get_folio(target->f_mapping, 0);
	if (!wb.folio) {
		ret = -ENODATA;
		goto close;
	}
	rcu_read_lock();
	wb.memcg = folio_memcg(wb.folio);
	if (!wb.memcg || !css_tryget(&wb.memcg->css))
		wb.memcg = NULL;
	rcu_read_unlock();
	if (!wb.memcg) {
		ret = -ENODATA;
		goto put;
	}
	init_completion(&wb.r_done);
	init_completion(&wb.w_done);
	init_completion(&wb.k_done);

	folio_lock(wb.folio);
	if (folio_test_dirty(wb.folio) || folio_test_writeback(wb.folio) ||
	    !folio_test_lru(wb.folio)) {
		folio_unlock(wb.folio);
		ret = -EBUSY;
		goto memcg;
	}
	folio_start_writeback(wb.folio);
	folio_set_reclaim(wb.folio);
	folio_unlock(wb.folio);

	ret = mlt_wb_run(&wb);
memcg:
	css_put(&wb.memcg->css);
put:
	folio_put(wb.folio);
close:
	filp_close(target, NULL);
	return ret ?: count;
}

static const struct file_operations mlt_wb_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = mlt_wb_write,
	.llseek = noop_llseek,
};

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
 *   drop        drop every reference, and the pin below
 *   pin         take a reference on the writer's memcg, which stays pinned
 *               (and dying once removed) until "drop"
 *   mlock_new   charge a new folio to the pinned memcg and put it on its
 *               unevictable LRU through mlock_new_page(), as a fault that
 *               raced with its task's move and the rmdir would, and hold it
 *               (needs MEMCG_REPARENT_TEST_MLOCK_NEW, else EOPNOTSUPP)
 *   hold_offline
 *               hold the pinned memcg's next offline in ->css_offline(),
 *               after its first reparenting run, for MLT_HOLD_MS; while a
 *               hold is set, "mlock_new" makes a folio only inside it:
 *               EAGAIN before, ETIME if the hold ended meanwhile
 *               (needs MEMCG_REPARENT_TEST_HOLD_OFFLINE, else EOPNOTSUPP)
 *
 * Reading it returns "held H offline O isolated I locked L holding D": O is
 * how many of the H folios held are charged to an offline memcg, D whether
 * the hold of "hold_offline" lasts. The test removes the memcg in between
 * and checks that O goes to 0 after "release".
 */
#define MLT_REPARENT_MAX	256

static DEFINE_MUTEX(mlt_reparent_lock);
static struct folio *mlt_folios[MLT_REPARENT_MAX];
static unsigned long mlt_nr_folios;
static bool mlt_taken;		/* isolated or locked, not released yet */
static bool mlt_locked;		/* "lock" rather than "isolate" */
static struct mem_cgroup *mlt_pinned;	/* "pin" */
static bool mlt_hold;			/* "hold_offline" */
#define MLT_HOLD_MS	3000

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
#ifdef MEMCG_REPARENT_TEST_HOLD_OFFLINE
	if (mlt_hold)
		memcg_reparent_test_hold_offline(NULL, 0);
#endif
	mlt_hold = false;
	if (mlt_pinned) {
		css_put(&mlt_pinned->css);
		mlt_pinned = NULL;
	}
}

static inline bool mlt_offline_held(void)
{
#ifdef MEMCG_REPARENT_TEST_HOLD_OFFLINE
	return memcg_reparent_test_offline_held(mlt_pinned);
#else
	return false;
#endif
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
	seq_printf(m, "held %lu offline %lu isolated %lu locked %lu holding %d\n", mlt_nr_folios,
		   offline, mlt_taken && !mlt_locked ? mlt_nr_folios : 0,
		   mlt_taken && mlt_locked ? mlt_nr_folios : 0, mlt_hold && mlt_offline_held());
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
	} else if (!strcmp(arg, "pin")) {
		memcg = get_mem_cgroup_from_mm(current->mm);
		if (mlt_pinned || !memcg || !memcg->css.parent) {
			ret = mlt_pinned ? -EBUSY : -EINVAL;
			if (memcg)
				css_put(&memcg->css);
		} else {
			mlt_pinned = memcg;
		}
	} else if (!strcmp(arg, "mlock_new")) {
#ifdef MEMCG_REPARENT_TEST_MLOCK_NEW
		struct folio *folio;

		if (!mlt_pinned || mlt_taken) {
			ret = -EINVAL;
		} else if (mlt_nr_folios == MLT_REPARENT_MAX) {
			ret = -ENOSPC;
		} else if (mlt_hold && !mlt_offline_held()) {
			ret = -EAGAIN;
		} else {
			folio = memcg_reparent_test_mlock_new(mlt_pinned);
			if (folio)
				mlt_folios[mlt_nr_folios++] = folio;
			else
				ret = -ENOMEM;
			if (!ret && mlt_hold && !mlt_offline_held())
				ret = -ETIME;
		}
#else
		ret = -EOPNOTSUPP;
#endif
	} else if (!strcmp(arg, "hold_offline")) {
#ifdef MEMCG_REPARENT_TEST_HOLD_OFFLINE
		if (!mlt_pinned || mlt_hold) {
			ret = -EINVAL;
		} else {
			memcg_reparent_test_hold_offline(mlt_pinned, MLT_HOLD_MS);
			mlt_hold = true;
		}
#else
		ret = -EOPNOTSUPP;
#endif
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

#define MLT_OFFLINE_WAIT_MS	30000

/*
 * Every offline memcg has an empty LRU: reparenting moved its folios.  Run
 * after the selftests (run-tests reads the results last), this covers the
 * hundreds of memcgs they removed with page cache, tmpfs, anon memory and
 * swap.  A folio isolated at the rmdir is moved when it is put back, so the
 * walk is repeated for up to MLT_OFFLINE_WAIT_MS until the count is 0.  A
 * folio the reparent file still holds locked fails it (see .../reparent).
 */
static int mlt_offline_lru_empty(struct seq_file *m)
{
	unsigned long pages, memcgs, waited;

	for (waited = 0;; waited += 100) {
		pages = memcg_reparent_test_offline(&memcgs);
		if (!pages || waited >= MLT_OFFLINE_WAIT_MS)
			break;
		msleep(100);
	}
	mlt_diag(m, "offline memcgs %lu, pages on their LRUs %lu, after %lu ms",
		 memcgs, pages, waited);
	return pages ? -EBUSY : 0;
}

/* "offline_lru_pages N offline_memcgs M": what offline memcgs still hold */
static int mlt_reparent_check_show(struct seq_file *m, void *v)
{
	unsigned long pages, memcgs;

	pages = memcg_reparent_test_offline(&memcgs);
	seq_printf(m, "offline_lru_pages %lu offline_memcgs %lu\n", pages, memcgs);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mlt_reparent_check);

#ifdef MEMCG_REPARENT_TEST_WALK_DELAY
/*
 * .../reparent_walk_stats: "walks K pfns P ns T", what the walks of offline
 * memcgs' unevictable folios have cost so far (bench_reparent's figure).
 */
static int mlt_walk_stats_show(struct seq_file *m, void *v)
{
	unsigned long walks;
	u64 pfns, ns;

	walks = memcg_reparent_test_walk_stats(&pfns, &ns);
	seq_printf(m, "walks %lu pfns %llu ns %llu\n", walks, (unsigned long long)pfns,
		   (unsigned long long)ns);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mlt_walk_stats);
#endif

#if defined(MEMCG_REPARENT_TEST_SWAP_DELAY) || defined(MEMCG_REPARENT_TEST_WALK_DELAY)
/*
 * .../reparent_swap_delay_ms: writing N (ms, at most 10000) makes the
 * reparenting work sleep N ms after it picked the ancestor of a memcg with
 * swap entries and before it records them to it; 0 turns it off.
 * test_reparent_swap_race removes the ancestor while the work sleeps there.
 *
 * .../reparent_walk_delay_ms: writing "N INO" makes the next walk of the
 * unevictable folios of the memcg whose cgroup directory has inode number
 * INO sleep N ms, once, with the first folio it took on no LRU; 0 disarms.
 * test_reparent_munlock_walk_v2 munlocks that folio while the walk sleeps.
 *
 * Reading either returns "delay_ms N waits W": N as last written, W the
 * sleeps so far.  The cap stays well below the hung task timeout: the
 * sleeping worker is in D state.
 */
#define MLT_DELAY_MAX	10000

struct mlt_delay {
	unsigned int ms;
	bool targeted;		/* takes a cgroup inode number */
	/* sets the kernel's delay (UINT_MAX: only reads), returns the sleeps */
	unsigned long (*set)(unsigned int ms, u64 ino);
};

static int mlt_delay_show(struct seq_file *m, void *v)
{
	struct mlt_delay *d = m->private;

	mutex_lock(&mlt_reparent_lock);
	seq_printf(m, "delay_ms %u waits %lu\n", d->ms, d->set(UINT_MAX, 0));
	mutex_unlock(&mlt_reparent_lock);
	return 0;
}

static int mlt_delay_open(struct inode *inode, struct file *file)
{
	return single_open(file, mlt_delay_show, inode->i_private);
}

static ssize_t mlt_delay_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct mlt_delay *d = ((struct seq_file *)file->private_data)->private;
	unsigned long long ino = 0;
	unsigned int ms;
	char buf[64], extra;
	int n;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	n = sscanf(buf, "%u %llu %c", &ms, &ino, &extra);
	if (n < 1 || n > 2 || (n == 2 && !d->targeted))
		return -EINVAL;
	if (ms > MLT_DELAY_MAX)
		return -ERANGE;
	mutex_lock(&mlt_reparent_lock);
	d->ms = ms;
	d->set(ms, ino);
	mutex_unlock(&mlt_reparent_lock);
	return count;
}

static const struct file_operations mlt_delay_fops = {
	.owner = THIS_MODULE,
	.open = mlt_delay_open,
	.read = seq_read,
	.write = mlt_delay_write,
	.llseek = seq_lseek,
	.release = single_release,
};
#endif

#ifdef MEMCG_REPARENT_TEST_SWAP_DELAY
static unsigned long mlt_swap_delay_set(unsigned int ms, u64 ino)
{
	return memcg_reparent_test_swap_delay(ms);
}

static struct mlt_delay mlt_swap_delay = { .set = mlt_swap_delay_set };
#endif
#ifdef MEMCG_REPARENT_TEST_WALK_DELAY
static struct mlt_delay mlt_walk_delay = {
	.targeted = true,
	.set = memcg_reparent_test_walk_delay,
};
#endif
#else
static int mlt_offline_lru_empty(struct seq_file *m)
{
	mlt_diag(m, "needs CONFIG_MEMCG_REPARENT_TEST_HOOKS");
	return -EOPNOTSUPP;
}
#endif /* CONFIG_MEMCG_REPARENT_TEST_HOOKS */

#ifdef ZSWAP_TEST_WRITEBACK_FAIL
/*
 * .../zswap_writeback_fail: writing "E D" makes every E-th zswap writeback
 * (E at most 1000; 0 stops) fail after holding its page locked in the swap
 * cache for D ms (at most 1000), as one that waits for memory and gets none.
 * Reading returns "every E delay_ms D failed F", F the writebacks failed so
 * far.  test_zswap_integrity's zswap_swapoff races swapoff with them.
 */
#define MLT_ZSWAP_FAIL_MAX	1000

static DEFINE_MUTEX(mlt_zswap_lock);
static unsigned int mlt_zswap_every, mlt_zswap_delay;

static int mlt_zswap_fail_show(struct seq_file *m, void *v)
{
	mutex_lock(&mlt_zswap_lock);
	seq_printf(m, "every %u delay_ms %u failed %lu\n", mlt_zswap_every, mlt_zswap_delay,
		   zswap_test_writeback_fail(UINT_MAX, 0));
	mutex_unlock(&mlt_zswap_lock);
	return 0;
}

static int mlt_zswap_fail_open(struct inode *inode, struct file *file)
{
	return single_open(file, mlt_zswap_fail_show, NULL);
}

static ssize_t mlt_zswap_fail_write(struct file *file, const char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	char buf[64], *p = buf, *tok[2];
	unsigned int every, delay;
	int i, err;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	/* exactly two numbers; kstrtouint() refuses what does not fit */
	for (i = 0; i < 2; i++) {
		do {
			tok[i] = strsep(&p, " \t\n");
		} while (tok[i] && !*tok[i]);
		if (!tok[i])
			return -EINVAL;
	}
	if (p && *skip_spaces(p))
		return -EINVAL;
	err = kstrtouint(tok[0], 10, &every);
	if (!err)
		err = kstrtouint(tok[1], 10, &delay);
	if (err)
		return err;
	if (every > MLT_ZSWAP_FAIL_MAX || delay > MLT_ZSWAP_FAIL_MAX)
		return -ERANGE;
	mutex_lock(&mlt_zswap_lock);
	mlt_zswap_every = every;
	mlt_zswap_delay = delay;
	zswap_test_writeback_fail(every, delay);
	mutex_unlock(&mlt_zswap_lock);
	return count;
}

static const struct file_operations mlt_zswap_fail_fops = {
	.owner = THIS_MODULE,
	.open = mlt_zswap_fail_open,
	.read = seq_read,
	.write = mlt_zswap_fail_write,
	.llseek = seq_lseek,
	.release = single_release,
};
#endif /* ZSWAP_TEST_WRITEBACK_FAIL */

static const struct mlt_case mlt_cases[] = {
	{ "lruvecs_consistent", mlt_lruvecs_consistent },
	{ "switch_race", mlt_switch_race },
	{ "offline_lru_empty", mlt_offline_lru_empty },
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
	debugfs_create_file("switch_wb_deadlock", 0600, mlt_dir, NULL, &mlt_wb_fops);
#endif
#ifdef CONFIG_MEMCG_REPARENT_TEST_HOOKS
	debugfs_create_file("reparent", 0600, mlt_dir, NULL, &mlt_reparent_fops);
	debugfs_create_file("reparent_check", 0600, mlt_dir, NULL, &mlt_reparent_check_fops);
#ifdef MEMCG_REPARENT_TEST_SWAP_DELAY
	debugfs_create_file("reparent_swap_delay_ms", 0600, mlt_dir, &mlt_swap_delay,
			    &mlt_delay_fops);
#endif
#ifdef MEMCG_REPARENT_TEST_WALK_DELAY
	debugfs_create_file("reparent_walk_delay_ms", 0600, mlt_dir, &mlt_walk_delay,
			    &mlt_delay_fops);
	debugfs_create_file("reparent_walk_stats", 0600, mlt_dir, NULL, &mlt_walk_stats_fops);
#endif
#endif
#ifdef ZSWAP_TEST_WRITEBACK_FAIL
	debugfs_create_file("zswap_writeback_fail", 0600, mlt_dir, NULL, &mlt_zswap_fail_fops);
#endif
	return 0;
}

static void __exit mlt_exit(void)
{
	debugfs_remove_recursive(mlt_dir);
#ifdef ZSWAP_TEST_WRITEBACK_FAIL
	zswap_test_writeback_fail(0, 0);
#endif
#ifdef CONFIG_MEMCG_REPARENT_TEST_HOOKS
	mlt_reparent_drop();
#ifdef MEMCG_REPARENT_TEST_SWAP_DELAY
	memcg_reparent_test_swap_delay(0);
#endif
#ifdef MEMCG_REPARENT_TEST_WALK_DELAY
	memcg_reparent_test_walk_delay(0, 0);
#endif
#endif
}

module_init(mlt_init);
module_exit(mlt_exit);
MODULE_DESCRIPTION("In-kernel tests of the memcg-lru series");
MODULE_LICENSE("GPL");
