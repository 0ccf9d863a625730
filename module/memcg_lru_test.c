// SPDX-License-Identifier: GPL-2.0
/*
 * memcg_lru_test: checks of the memcg-lru series run from inside the kernel.
 *
 * Reading /sys/kernel/debug/memcg_lru_test/results runs every case and
 * returns KTAP; the guest runner turns it into one TAP test per case.
 * Writing 1 to .../trigger_warn fires a WARN_ONCE(), which exists only to
 * prove that the harness fails a run on any kernel splat.
 *
 * Both files are root-only (0600): the cases reclaim and walk kernel state.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
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

static const struct mlt_case mlt_cases[] = {
	{ "memcg_enabled", mlt_memcg_enabled },
	{ "current_memcg_online", mlt_current_memcg_online },
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
	return 0;
}

static void __exit mlt_exit(void)
{
	debugfs_remove_recursive(mlt_dir);
}

module_init(mlt_init);
module_exit(mlt_exit);
MODULE_DESCRIPTION("In-kernel tests of the memcg-lru series");
MODULE_LICENSE("GPL");
