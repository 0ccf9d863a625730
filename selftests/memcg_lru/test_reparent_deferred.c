// SPDX-License-Identifier: GPL-2.0
/*
 * The deferred paths of reparenting: folios that cannot move when their memcg
 * goes offline must not stay charged to it once they can.
 *
 * A task in a child memcg fills page cache, then has the test module
 * (.../memcg_lru_test/reparent, CONFIG_MEMCG_REPARENT_TEST_HOOKS) either
 * isolate some of its folios, as reclaim, compaction or migration would, or
 * lock them on the LRU. The child is removed. Once reparenting has moved
 * everything else (polled, up to SETTLE_TIMEOUT_MS), the folios the module
 * holds are still the offline memcg's: reparenting could not take them.
 * Once it releases them (put back on the LRU, or unlocked) they must end up
 * with an online memcg (polled, same deadline), with no memory pressure,
 * and the module's walk of all memcgs must find no page left on an LRU of an
 * offline memcg.
 *
 * Unevictable folios are on no LRU list in 6.1, so they take another path:
 * a task of the child mlocks a file mapping and moves to a sibling, keeping
 * the pages locked; the child is removed and must not stay dying.
 * A munlock while the walk that finds them has one taken off the LRU (the
 * module's reparent_walk_delay_ms holds the walk there) must not leave that
 * folio on the parent's unevictable LRU.  With two NUMA nodes, page cache
 * and mlocked pages on each node move, on both hierarchies.
 *
 * Without the hooks (the unpatched base, or a kernel built without them)
 * the module cases skip; the mlock and two-node cases need no hooks and
 * fail on the base, where the child stays dying.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "cgroup_util.h"
#include "memcg_lru_util.h"

#define NR_FOLIOS	64
#define MLT_WALK_DELAY	MLT_DIR "/reparent_walk_delay_ms"
#define CACHE_SIZE	(8L << 20)

struct deferred_arg {
	char file[PATH_MAX];
	const char *cmd;
};

/* In the child memcg: fill page cache, then have the module take folios. */
static int populate_and_take(void *arg)
{
	struct deferred_arg *da = arg;

	if (file_fill(da->file, CACHE_SIZE) || file_read_all(da->file))
		return 1;
	return file_write(MLT_REPARENT, da->cmd) ? 2 : 0;
}

/* "held H offline O ...": 0 and fills h, o; or -1 */
static int module_held(long *held, long *offline)
{
	char buf[128];

	if (file_read(MLT_REPARENT, buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "held %ld offline %ld", held, offline) != 2)
		return -1;
	return 0;
}

/* Whether the module holds a memcg in ->css_offline() ("hold_offline"). */
static int module_holding(void)
{
	char buf[128], *p;

	if (file_read(MLT_REPARENT, buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, " holding ");
	return p ? atoi(p + 9) : -1;
}

/* Pages on the LRUs of offline memcgs (the module's reparent_check), or -1. */
static long module_offline_pages(void)
{
	long pages, memcgs;

	return mlt_reparent_check(&pages, &memcgs) ? -1 : pages;
}

/*
 * The child has gone offline (rmdir returns before that: css offlining is
 * asynchronous), all the folios the module holds are an offline memcg's,
 * and reparenting of it is over: every page it could move has left the
 * offline memcgs' LRUs; what is left is what the module holds there (the
 * locked folios; isolated ones are on no LRU). Until the child is offline,
 * nothing is on an offline LRU at all, so the page count alone would be
 * true at once.
 */
static int reparent_pass_done(int lock, long held)
{
	long pages, now_held, offline;

	if (module_held(&now_held, &offline) || offline != held)
		return 0;
	pages = module_offline_pages();
	return pages >= 0 && pages <= (lock ? held : 0);
}

static int run_deferred(int v1, int lock)
{
	struct deferred_arg da = { .cmd = lock ? "lock 64" : "isolate 64" };
	struct memcg root, parent, child;
	long held = -1, offline = -1, pages = -1, waited = 0;
	int ret = KSFT_FAIL, status, done;
	pid_t pid;

	if (access(MLT_REPARENT, W_OK) || memcg_root(&root, v1))
		return KSFT_SKIP;
	if (memcg_create(&parent, &root, "reparent_deferred"))
		return KSFT_FAIL;
	if (memcg_create(&child, &parent, "child"))
		goto out_parent;

	snprintf(da.file, sizeof(da.file), "%s/reparent_deferred.%d",
		 getenv("SCRATCH") ?: "/tmp", getpid());
	pid = memcg_spawn(&child, populate_and_take, &da);
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status)) {
		ksft_print_msg("populating task failed (status %d)\n", status);
		goto out_child;
	}

	if (module_held(&held, &offline) || held <= 0) {
		ksft_print_msg("the module holds no folios of the child\n");
		goto out_drop;
	}
	if (rmdir(child.path)) {
		ksft_print_msg("rmdir %s: %s\n", child.path, strerror(errno));
		goto out_drop;
	}

	/* reparenting runs meanwhile, but cannot take what the module holds */
	done = poll_until(reparent_pass_done(lock, held), SETTLE_TIMEOUT_MS, waited);
	if (module_held(&held, &offline) || offline != held) {
		ksft_print_msg("before release: held %ld, offline %ld: expected all offline\n",
			       held, offline);
		goto out_drop;
	}
	ksft_print_msg("before release: %ld folios held, all offline; %ld pages on offline LRUs after %ld ms%s\n",
		       held, module_offline_pages(), waited,
		       done ? "" : " (reparenting did not finish the rest)");
	/* what the module holds must not keep anything else from moving */
	if (!done)
		goto out_drop;

	if (file_write(MLT_REPARENT, "release"))
		goto out_drop;
	done = poll_until(!module_held(&held, &offline) && !offline &&
			  !(pages = module_offline_pages()), SETTLE_TIMEOUT_MS, waited);
	ksft_print_msg("%s %s: %ld folios held, %ld still offline, %ld pages on offline LRUs, after %ld ms\n",
		       v1 ? "v1" : "v2", lock ? "locked" : "isolated", held, offline, pages,
		       waited);
	if (done)
		ret = KSFT_PASS;

out_drop:
	file_write(MLT_REPARENT, "drop");
	unlink(da.file);
out_child:
	if (!access(child.path, F_OK))
		memcg_destroy(&child);
out_parent:
	memcg_destroy(&parent);
	return ret;
}

#define MLOCK_SIZE	(16L << 20)

struct mlock_arg {
	char file[PATH_MAX];
	char holder_procs[PATH_MAX];
	int ready[2];
};

/* In the child memcg: mlock a file, move to the holder; 0 or a step's number */
static int mlock_file_and_move(struct mlock_arg *ma, void **map)
{
	char pid[32];
	void *p;
	int fd;

	if (file_fill(ma->file, MLOCK_SIZE))
		return 1;
	fd = open(ma->file, O_RDONLY);
	if (fd < 0)
		return 2;
	p = mmap(NULL, MLOCK_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || mlock(p, MLOCK_SIZE))
		return 3;
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (file_write(ma->holder_procs, pid))
		return 4;
	if (write(ma->ready[1], "r", 1) != 1)
		return 5;
	*map = p;
	return 0;
}

/* In the child memcg: mlock a file, move to the holder, keep it locked. */
static int mlock_and_move(void *arg)
{
	void *p;
	int ret = mlock_file_and_move(arg, &p);

	if (ret)
		return ret;
	pause();
	return 0;
}

/*
 * v2 only: nr_dying_descendants tells whether the child is gone, and the
 * unevictable statistic whether the pages moved.
 */
static int test_reparent_mlocked_v2(void)
{
	struct mlock_arg ma = {};
	struct memcg root = {}, parent = {}, child = {}, holder = {};
	char stat[PATH_MAX + 32], cstat[PATH_MAX + 32];
	long dying = -1, unevictable = -1, waited;
	int ret = KSFT_FAIL;
	pid_t pid = -1;
	char c;

	if (memcg_root(&root, 0))
		return KSFT_SKIP;
	if (memcg_create(&parent, &root, "reparent_mlocked"))
		return KSFT_FAIL;
	if (memcg_create(&child, &parent, "child") || memcg_create(&holder, &parent, "holder"))
		goto out;

	snprintf(ma.file, sizeof(ma.file), "%s/reparent_mlocked.%d",
		 getenv("SCRATCH") ?: "/tmp", getpid());
	snprintf(ma.holder_procs, sizeof(ma.holder_procs), "%s/cgroup.procs", holder.path);
	if (pipe(ma.ready))
		goto out;
	pid = memcg_spawn(&child, mlock_and_move, &ma);
	/* the task's end: if it fails, the read below sees end of file */
	close(ma.ready[1]);
	if (pid < 0 || read(ma.ready[0], &c, 1) != 1) {
		ksft_print_msg("the mlocking task failed\n");
		goto out;
	}
	if (rmdir(child.path)) {
		ksft_print_msg("rmdir %s: %s\n", child.path, strerror(errno));
		goto out;
	}

	snprintf(stat, sizeof(stat), "%s/memory.stat", parent.path);
	snprintf(cstat, sizeof(cstat), "%s/cgroup.stat", parent.path);
	poll_until(!(dying = file_key_long(cstat, "nr_dying_descendants")), SETTLE_TIMEOUT_MS,
		   waited);
	unevictable = file_key_long(stat, "unevictable");
	ksft_print_msg("mlocked: nr_dying_descendants %ld after %ld ms, parent unevictable %ld KiB\n",
		       dying, waited, unevictable >> 10);
	if (dying) {
		ksft_print_msg("the child stays dying: its mlocked pages were not moved\n");
		goto out;
	}
	if (unevictable < MLOCK_SIZE) {
		ksft_print_msg("the parent does not hold the mlocked pages\n");
		goto out;
	}
	ret = KSFT_PASS;
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	unlink(ma.file);
	if (!access(child.path, F_OK))
		memcg_destroy(&child);
	memcg_destroy(&holder);
	memcg_destroy(&parent);
	return ret;
}

#define WALK_DELAY_MS		5000

/* "delay_ms N waits W": W, or -1 */
static long walk_delay_waits(void)
{
	long waits = -1;
	char buf[128];

	if (file_read(MLT_WALK_DELAY, buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "delay_ms %*u waits %ld", &waits) != 1)
		return -1;
	return waits;
}

struct munlock_arg {
	struct mlock_arg ma;
	int go[2];
};

/*
 * In the child memcg: mlock a file and move to the holder, as
 * mlock_and_move(); then, when told, munlock it all (munlock() drains this
 * CPU's mlock batch itself) and say so.
 */
static int mlock_move_munlock(void *arg)
{
	struct munlock_arg *mu = arg;
	struct mlock_arg *ma = &mu->ma;
	cpu_set_t one;
	void *p;
	int ret;
	char c;

	/*
	 * One CPU: munlock() drains the mlock batch of the CPU it ends on,
	 * which must be the one it filled, or the taken folio may be
	 * munlocked only after the walk's window.
	 */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		return 8;
	ret = mlock_file_and_move(ma, &p);
	if (ret)
		return ret;
	if (read(mu->go[0], &c, 1) != 1 || munlock(p, MLOCK_SIZE))
		return 6;
	if (write(ma->ready[1], "d", 1) != 1)
		return 7;
	pause();
	return 0;
}

/*
 * The walk of an offline memcg's unevictable folios takes each folio off
 * the LRU before it puts it on the ancestor's. A munlock in between clears
 * PG_mlocked but cannot move the folio (unevictable_pgs_stranded counts it);
 * the walk must then put it on an evictable list, or it stays on the
 * ancestor's unevictable LRU for good. The module's reparent_walk_delay_ms
 * makes the walk sleep with its first folio taken, and the task munlocks
 * everything then. Afterwards the parent must hold no unevictable page.
 */
static int test_reparent_munlock_walk_v2(void)
{
	struct munlock_arg mu = { .go = { -1, -1 } };
	struct mlock_arg *ma = &mu.ma;
	struct memcg root = {}, parent = {}, child = {}, holder = {};
	char mstat[PATH_MAX + 32], cstat[PATH_MAX + 32], val[64];
	long waits0, waits = -1, stranded0, stranded, unevictable = -1, dying = -1;
	long waited, slept, seen;
	int ret = KSFT_FAIL;
	pid_t pid = -1;
	struct stat st;
	char c;

	if (memcg_root(&root, 0) || access(MLT_WALK_DELAY, F_OK))
		return KSFT_SKIP;
	if (memcg_create(&parent, &root, "reparent_munlock_walk"))
		return KSFT_FAIL;
	if (memcg_create(&child, &parent, "child") || memcg_create(&holder, &parent, "holder"))
		goto out;

	snprintf(ma->file, sizeof(ma->file), "%s/reparent_munlock_walk.%d",
		 getenv("SCRATCH") ?: "/tmp", getpid());
	snprintf(ma->holder_procs, sizeof(ma->holder_procs), "%s/cgroup.procs", holder.path);
	if (pipe(ma->ready) || pipe(mu.go))
		goto out;
	pid = memcg_spawn(&child, mlock_move_munlock, &mu);
	close(ma->ready[1]);
	close(mu.go[0]);
	if (pid < 0 || read(ma->ready[0], &c, 1) != 1) {
		ksft_print_msg("the mlocking task failed\n");
		goto out;
	}

	waits0 = walk_delay_waits();
	/* only the child's walk sleeps, once */
	if (stat(child.path, &st)) {
		ksft_print_msg("stat %s: %s\n", child.path, strerror(errno));
		goto out;
	}
	snprintf(val, sizeof(val), "%d %llu", WALK_DELAY_MS, (unsigned long long)st.st_ino);
	if (waits0 < 0 || file_write(MLT_WALK_DELAY, val)) {
		ksft_print_msg("cannot set %s\n", MLT_WALK_DELAY);
		goto out;
	}
	stranded0 = proc_vmstat("unevictable_pgs_stranded");
	if (rmdir(child.path)) {
		ksft_print_msg("rmdir %s: %s\n", child.path, strerror(errno));
		goto out_delay;
	}
	/* the walk sleeps with a folio taken: munlock everything now */
	poll_until((waits = walk_delay_waits()) != waits0, SETTLE_TIMEOUT_MS, slept);
	if (waits == waits0) {
		ksft_print_msg("the walk did not sleep with a folio taken in %ld ms\n", slept);
		goto out_delay;
	}
	seen = now_ms();
	if (write(mu.go[1], "g", 1) != 1 || read(ma->ready[0], &c, 1) != 1) {
		ksft_print_msg("the munlocking task failed\n");
		goto out_delay;
	}
	seen = now_ms() - seen;
	stranded = proc_vmstat("unevictable_pgs_stranded") - stranded0;
	file_write(MLT_WALK_DELAY, "0");

	snprintf(mstat, sizeof(mstat), "%s/memory.stat", parent.path);
	snprintf(cstat, sizeof(cstat), "%s/cgroup.stat", parent.path);
	poll_until(!(dying = file_key_long(cstat, "nr_dying_descendants")) &&
		   !(unevictable = file_key_long(mstat, "unevictable")),
		   SETTLE_TIMEOUT_MS, waited);
	ksft_print_msg("munlock during the walk: done in %ld ms of its %d ms sleep, %ld stranded; nr_dying_descendants %ld, parent unevictable %ld KiB after %ld ms\n",
		       seen, WALK_DELAY_MS, stranded, dying, unevictable >> 10, waited);
	/* the sleep began at most a poll before it was seen */
	if (seen + POLL_MS >= WALK_DELAY_MS) {
		ksft_print_msg("the munlock may have ended after the walk's sleep\n");
		goto out;
	}
	if (stranded < 1) {
		ksft_print_msg("the munlock did not meet the taken folio\n");
		goto out;
	}
	if (dying) {
		ksft_print_msg("the child stays dying\n");
		goto out;
	}
	if (unevictable) {
		ksft_print_msg("the munlocked folio is stranded on the parent's unevictable LRU\n");
		goto out;
	}
	ret = KSFT_PASS;
	goto out;
out_delay:
	file_write(MLT_WALK_DELAY, "0");
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (mu.go[1] >= 0)
		close(mu.go[1]);
	unlink(ma->file);
	if (!access(child.path, F_OK))
		memcg_destroy(&child);
	memcg_destroy(&holder);
	memcg_destroy(&parent);
	return ret;
}

static int test_reparent_isolated_v2(void)
{
	return run_deferred(0, 0);
}

static int test_reparent_locked_v2(void)
{
	return run_deferred(0, 1);
}

static int test_reparent_isolated_v1(void)
{
	return run_deferred(1, 0);
}

static int test_reparent_locked_v1(void)
{
	return run_deferred(1, 1);
}

/* Commands the module does not know change nothing. */
static int test_reparent_module_rejects(void)
{
	static const char * const bad[] = { "isolate", "isolate 0", "isolate 100000",
					    "lock x", "nonsense", "pin x",
					    "mlock_new", "hold_offline" };
	long held, offline;
	size_t i;

	if (access(MLT_REPARENT, W_OK))
		return KSFT_SKIP;
	/* a pin an earlier, killed run left would make mlock_new valid */
	file_write(MLT_REPARENT, "drop");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int err = file_write(MLT_REPARENT, bad[i]);

		if (err != -EINVAL && err != -ERANGE && err != -EOPNOTSUPP) {
			ksft_print_msg("\"%s\": %d, expected EINVAL, ERANGE or EOPNOTSUPP\n",
				       bad[i], err);
			return KSFT_FAIL;
		}
	}
	if (module_held(&held, &offline) || held)
		return KSFT_FAIL;
	if (!access(MLT_WALK_DELAY, W_OK)) {
		static const char * const bad_delay[] = { "x", "10001 1", "5 1 2", "-1" };
		char buf[128];

		for (i = 0; i < ARRAY_SIZE(bad_delay); i++) {
			int err = file_write(MLT_WALK_DELAY, bad_delay[i]);

			if (err != -EINVAL && err != -ERANGE) {
				ksft_print_msg("walk delay \"%s\": %d, expected EINVAL or ERANGE\n",
					       bad_delay[i], err);
				return KSFT_FAIL;
			}
		}
		if (file_read(MLT_WALK_DELAY, buf, sizeof(buf)) < 0 ||
		    strncmp(buf, "delay_ms 0 ", 11)) {
			ksft_print_msg("a rejected walk delay changed it: %s", buf);
			return KSFT_FAIL;
		}
	}
	return KSFT_PASS;
}

/*
 * A memcg whose folios never move (pinned for good) must not cost work for
 * ever: after a bounded number of retries the work gives up (counted as
 * memcg_reparent_stalled) and is not run again until one of the folios comes
 * back to an LRU. Reclaim of the ancestor isolates and puts them back, and
 * then the memcg dies. Before the bound, the work ran every 10 s for as long
 * as the folios stayed locked.
 *
 * With PINNED_MLOCK, no reclaim: once unlocked, the folios are mlocked by a
 * task outside the tree instead, which moves them to the offline memcg's
 * unevictable list, where reclaim never looks. That must kick the work too:
 * the series without the check in mlock_pagevec() left the 64 folios there
 * and the memcg dying.
 *
 * With PINNED_RECLAIM_HELD, reclaim of the parent (on the classic LRU) runs
 * for a while before the release, with the folios still locked: every pass
 * isolates them, fails to lock them and puts them back, a kick each time.
 * Kicks give the work its retries back, but must not reset its backoff,
 * which a run that moves nothing leaves at 3.2 s: the work may run about
 * once per 3.2 s, no more, and must run at least twice (the kicks do start
 * it again). The series before the backoff was kept across kicks ran it ten
 * times a second, each run a drain of every CPU's batches, for as long as
 * the folios stayed locked: with a FUSE read left unanswered, as long as a
 * delegated owner liked.
 */
#define QUIET_MS		12000
#define MLOCK_WAIT_MS		10000
#define RECLAIM_HELD_MS		12800
#define LONGEST_BACKOFF_MS	3200

enum { PINNED_RECLAIM, PINNED_MLOCK, PINNED_RECLAIM_HELD };

/*
 * Reclaim the parent, with the folios still locked; 0 or -1. On the classic
 * LRU: the multi-gen LRU moves a locked folio on to the next generation
 * where it finds it (sort_folio()), and puts nothing back.
 */
static int reclaim_held(const struct memcg *parent)
{
	long start, deferred, runs, passes = 0, lru_gen = lru_gen_read();
	char was[32];

	if (lru_gen > 0) {
		snprintf(was, sizeof(was), "0x%lx", lru_gen);
		if (lru_gen_write("n")) {
			ksft_print_msg("cannot turn the multi-gen LRU off\n");
			return -1;
		}
	}
	start = now_ms();
	deferred = memcg_counter(parent, "memcg_reparent_deferred");
	while (now_ms() - start < RECLAIM_HELD_MS) {
		/* EAGAIN: less than asked for was reclaimed, which is the point */
		cg_write(parent->path, "memory.reclaim", "8M");
		passes++;
	}
	runs = memcg_counter(parent, "memcg_reparent_deferred") - deferred;
	if (lru_gen > 0 && lru_gen_write(was)) {
		ksft_print_msg("cannot turn the multi-gen LRU back on (%s)\n", was);
		return -1;
	}
	ksft_print_msg("%ld runs of the work in %d ms of reclaim (%ld passes) with the folios locked\n",
		       runs, RECLAIM_HELD_MS, passes);
	if (deferred < 0 || runs < 2) {
		ksft_print_msg("the folios put back by reclaim did not start the work again\n");
		return -1;
	}
	/* one run in the window may come before the first backoff is over */
	if (runs > RECLAIM_HELD_MS / LONGEST_BACKOFF_MS + 2) {
		ksft_print_msg("more than one run per %d ms: kicks reset the backoff\n",
			       LONGEST_BACKOFF_MS);
		return -1;
	}
	return 0;
}

static int run_pinned(int mode)
{
	struct deferred_arg da = { .cmd = "lock 64" };
	struct memcg root = {}, parent = {}, child = {};
	long held = -1, offline = -1, stalled, deferred, waited, dying = -1, pages = -1;
	void *map = MAP_FAILED;
	int ret = KSFT_FAIL, status;
	pid_t pid;

	if (access(MLT_REPARENT, W_OK) || memcg_root(&root, 0))
		return KSFT_SKIP;
	if (memcg_create(&parent, &root, "reparent_pinned"))
		return KSFT_FAIL;
	if (memcg_create(&child, &parent, "child"))
		goto out_parent;

	snprintf(da.file, sizeof(da.file), "%s/reparent_pinned.%d",
		 getenv("SCRATCH") ?: "/tmp", getpid());
	pid = memcg_spawn(&child, populate_and_take, &da);
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status)) {
		ksft_print_msg("populating task failed (status %d)\n", status);
		goto out_child;
	}
	if (module_held(&held, &offline) || held <= 0) {
		ksft_print_msg("the module holds no folios of the child\n");
		goto out_drop;
	}

	/* the parent's counters: other memcgs' work must not disturb the case */
	stalled = memcg_counter(&parent, "memcg_reparent_stalled");
	if (rmdir(child.path)) {
		ksft_print_msg("rmdir %s: %s\n", child.path, strerror(errno));
		goto out_drop;
	}

	/* the work retries while the module holds the folios, then gives up */
	if (stalled < 0 ||
	    !poll_until(memcg_counter(&parent, "memcg_reparent_stalled") > stalled, 30000,
			waited)) {
		ksft_print_msg("the work did not give up within 30 s (memcg_reparent_stalled %ld, memcg_reparent_deferred %ld)\n",
			       stalled, memcg_counter(&parent, "memcg_reparent_deferred"));
		goto out_drop;
	}
	ksft_print_msg("gave up %ld ms after the rmdir\n", waited);

	/* longer than the longest backoff before the bound (10 s) */
	deferred = memcg_counter(&parent, "memcg_reparent_deferred");
	usleep(QUIET_MS * 1000);
	if (memcg_counter(&parent, "memcg_reparent_deferred") != deferred) {
		ksft_print_msg("the work ran %ld more times in %d ms after giving up\n",
			       memcg_counter(&parent, "memcg_reparent_deferred") - deferred,
			       QUIET_MS);
		goto out_drop;
	}
	if (module_held(&held, &offline) || offline != held) {
		ksft_print_msg("held %ld, offline %ld: expected all offline\n", held, offline);
		goto out_drop;
	}

	if (mode == PINNED_RECLAIM_HELD && reclaim_held(&parent))
		goto out_drop;

	/* the pin ends; reclaim of the ancestor puts the folios back: a kick */
	if (file_write(MLT_REPARENT, "release"))
		goto out_drop;
	if (mode == PINNED_MLOCK) {
		int fd = open(da.file, O_RDONLY);

		map = fd < 0 ? MAP_FAILED : mmap(NULL, CACHE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
		if (fd >= 0)
			close(fd);
		if (map == MAP_FAILED || mlock(map, CACHE_SIZE)) {
			ksft_print_msg("mlock %s: %s\n", da.file, strerror(errno));
			goto out_drop;
		}
		/* this task is in no memcg of the tree: no charge, no recharge */
		poll_until((dying = memcg_nr_dying(&parent), pages = module_offline_pages(),
			    !dying && !pages), MLOCK_WAIT_MS, waited);
		ksft_print_msg("after release and mlock: %ld dying, %ld pages on offline LRUs (%ld ms)\n",
			       dying, pages, waited);
	} else {
		/* EAGAIN when less than asked for was reclaimed: fine here */
		poll_until((cg_write(parent.path, "memory.reclaim", "8M"),
			    dying = memcg_nr_dying(&parent), pages = module_offline_pages(),
			    !dying && !pages), SETTLE_TIMEOUT_MS, waited);
		ksft_print_msg("after release and reclaim: %ld dying, %ld pages on offline LRUs (%ld ms)\n",
			       dying, pages, waited);
	}
	if (!dying && !pages)
		ret = KSFT_PASS;

out_drop:
	if (map != MAP_FAILED)
		munmap(map, CACHE_SIZE);
	file_write(MLT_REPARENT, "drop");
	unlink(da.file);
out_child:
	if (!access(child.path, F_OK))
		memcg_destroy(&child);
out_parent:
	memcg_destroy(&parent);
	return ret;
}

static int test_reparent_pinned_v2(void)
{
	return run_pinned(PINNED_RECLAIM);
}

static int test_reparent_stalled_mlock_v2(void)
{
	return run_pinned(PINNED_MLOCK);
}

static int test_reparent_pinned_reclaim_v2(void)
{
	return run_pinned(PINNED_RECLAIM_HELD);
}

/*
 * Two NUMA nodes (make test boots both guests with numa=fake=2), on either
 * hierarchy: a task of the child puts page cache and mlocked pages on each
 * node (its memory bound to node 0, then to node 1), which the child's
 * memory.numa_stat must show, then moves to a sibling keeping the mlocks.
 * After rmdir, the child must die, the test module's reparent_check (where
 * it is loaded; it counts every node's lruvecs of every offline memcg) must
 * find no page left on an LRU of an offline memcg, and the parent's
 * memory.numa_stat must hold the pages on both nodes: the work reparents
 * every node's lruvec and walks every node's page frames.
 *
 * v1's numa_stat of the parent is its own: it holds the child's pages only
 * once they moved.  v2's is hierarchical and counts a dying child's pages
 * too, so there the case stands on the dying count (nr_dying_descendants)
 * and the module's check.  Without the series the child stays dying on
 * both hierarchies, its pages still charged to it, and the case fails.
 */
#define NODE_FILE_SIZE	(8L << 20)
#define NODE_MLOCK_SIZE	(4L << 20)

struct nodes_arg {
	char file[2][PATH_MAX], locked[2][PATH_MAX];
	char holder_procs[PATH_MAX];
	int ready[2];
};

static int fill_nodes_and_move(void *arg)
{
	struct nodes_arg *na = arg;
	char pid[32];
	int node, fd;
	void *p;

	for (node = 0; node < 2; node++) {
		if (numa_bind(node) || file_fill(na->file[node], NODE_FILE_SIZE) ||
		    file_fill(na->locked[node], NODE_MLOCK_SIZE))
			return 1 + node;
		fd = open(na->locked[node], O_RDONLY);
		p = fd < 0 ? MAP_FAILED :
		    mmap(NULL, NODE_MLOCK_SIZE, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED || mlock(p, NODE_MLOCK_SIZE))
			return 3 + node;
	}
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (file_write(na->holder_procs, pid) || write(na->ready[1], "r", 1) != 1)
		return 5;
	pause();
	return 0;
}

/* file and unevictable bytes of cg on each node; 0, or -1 if one is missing */
static int nodes_stat(const struct memcg *cg, long file[2], long unev[2])
{
	int node;

	for (node = 0; node < 2; node++) {
		file[node] = memcg_numa_stat(cg, "file", node);
		unev[node] = memcg_numa_stat(cg, "unevictable", node);
		if (file[node] < 0 || unev[node] < 0)
			return -1;
	}
	return 0;
}

/* Both nodes hold the page cache (3/4 of it: some may be reclaimed) and every mlocked page. */
static int nodes_hold(const char *who, const long file[2], const long unev[2])
{
	int node;

	for (node = 0; node < 2; node++) {
		if (file[node] < NODE_FILE_SIZE * 3 / 4 || unev[node] < NODE_MLOCK_SIZE) {
			ksft_print_msg("node %d: %s does not hold the task's pages there\n", node, who);
			return 0;
		}
	}
	return 1;
}

static int test_reparent_two_nodes(void)
{
	struct nodes_arg na = {};
	struct memcg root = {}, parent = {}, child = {}, holder = {};
	long base, dying = -1, pages = -1, memcgs, waited;
	long cfile[2], cunev[2], file[2], unev[2];
	char lru[64] = "no test module";
	int ret = KSFT_FAIL, node, module;
	pid_t pid = -1;
	char c;

	if (numa_nodes() < 2) {
		ksft_print_msg("one NUMA node: boot with numa=fake=2\n");
		return KSFT_SKIP;
	}
	if (memcg_root(&root, 0) && memcg_root(&root, 1))
		return KSFT_SKIP;
	module = !access(MLT_REPARENT_CHECK, F_OK);
	if (memcg_create(&parent, &root, "reparent_nodes"))
		return KSFT_FAIL;
	if (memcg_create(&child, &parent, "child") || memcg_create(&holder, &parent, "holder"))
		goto out;
	/* v1: the count of the whole hierarchy, before anything is removed */
	base = memcg_dying_baseline(&parent);

	for (node = 0; node < 2; node++) {
		snprintf(na.file[node], PATH_MAX, "%s/reparent_nodes.%d.file%d",
			 getenv("SCRATCH") ?: "/tmp", getpid(), node);
		snprintf(na.locked[node], PATH_MAX, "%s/reparent_nodes.%d.locked%d",
			 getenv("SCRATCH") ?: "/tmp", getpid(), node);
	}
	snprintf(na.holder_procs, sizeof(na.holder_procs), "%s/cgroup.procs", holder.path);
	if (pipe(na.ready))
		goto out;
	pid = memcg_spawn(&child, fill_nodes_and_move, &na);
	close(na.ready[1]);
	if (pid < 0 || read(na.ready[0], &c, 1) != 1) {
		ksft_print_msg("the task could not fill both nodes\n");
		goto out;
	}
	if (nodes_stat(&child, cfile, cunev)) {
		ksft_print_msg("no per-node file and unevictable in the child's memory.numa_stat\n");
		goto out;
	}
	ksft_print_msg("%s child before rmdir: file N0=%ld N1=%ld KiB, unevictable N0=%ld N1=%ld KiB\n",
		       root.v1 ? "v1" : "v2", cfile[0] >> 10, cfile[1] >> 10, cunev[0] >> 10,
		       cunev[1] >> 10);
	/* or the case would not test two nodes */
	if (!nodes_hold("the child", cfile, cunev))
		goto out;
	if (rmdir(child.path)) {
		ksft_print_msg("rmdir %s: %s\n", child.path, strerror(errno));
		goto out;
	}
	poll_until((dying = memcg_nr_dying(&parent)) >= 0 && dying <= base &&
		   (!module || (!mlt_reparent_check(&pages, &memcgs) && !pages)),
		   SETTLE_TIMEOUT_MS, waited);
	if (nodes_stat(&parent, file, unev))
		goto out;
	if (module)
		snprintf(lru, sizeof(lru), "%ld pages on offline LRUs", pages);
	ksft_print_msg("%s after rmdir: %ld dying after %ld ms, %s; parent file N0=%ld N1=%ld KiB, unevictable N0=%ld N1=%ld KiB\n",
		       root.v1 ? "v1" : "v2", dying - base, waited, lru, file[0] >> 10,
		       file[1] >> 10, unev[0] >> 10, unev[1] >> 10);
	if (dying > base) {
		ksft_print_msg("the child stays dying\n");
		goto out;
	}
	if (module && pages) {
		ksft_print_msg("pages are left on the LRUs of offline memcgs\n");
		goto out;
	}
	if (!nodes_hold("the parent", file, unev))
		goto out;
	ret = KSFT_PASS;
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	for (node = 0; node < 2; node++) {
		unlink(na.file[node]);
		unlink(na.locked[node]);
	}
	if (!access(child.path, F_OK))
		memcg_destroy(&child);
	memcg_destroy(&holder);
	memcg_destroy(&parent);
	return ret;
}

/*
 * Busy folios at the head of a list must not keep the rest of the list from
 * moving. A task of the child has the module lock 64 of its folios (the head
 * of its first list: its own anon memory) and moves to a sibling, keeping its
 * memory; after rmdir, everything but the 64 must leave the offline memcg.
 * Reparenting used to end a list at the first batch that found 16 busy
 * folios and nothing to take.
 */
struct busy_arg {
	struct deferred_arg da;
	char holder_procs[PATH_MAX];
	int ready[2];
};

static int populate_take_and_stay(void *arg)
{
	struct busy_arg *ba = arg;
	static char mine[4L << 20];
	char pid[32];

	/* anon memory of its own, behind the folios the module locks */
	memset(mine, 1, sizeof(mine));
	if (populate_and_take(&ba->da))
		return 1;
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (file_write(ba->holder_procs, pid) || write(ba->ready[1], "r", 1) != 1)
		return 2;
	pause();
	return mine[0] == 1 ? 0 : 3;
}

static int test_reparent_busy_head_v2(void)
{
	struct busy_arg ba = { .da.cmd = "lock 64" };
	struct memcg root = {}, parent = {}, child = {}, holder = {};
	long held = -1, offline = -1, pages = -1, waited;
	int ret = KSFT_FAIL;
	pid_t pid = -1;
	char c;

	if (access(MLT_REPARENT, W_OK) || memcg_root(&root, 0))
		return KSFT_SKIP;
	if (memcg_create(&parent, &root, "reparent_busy"))
		return KSFT_FAIL;
	if (memcg_create(&child, &parent, "child") || memcg_create(&holder, &parent, "holder"))
		goto out;
	snprintf(ba.da.file, sizeof(ba.da.file), "%s/reparent_busy.%d",
		 getenv("SCRATCH") ?: "/tmp", getpid());
	snprintf(ba.holder_procs, sizeof(ba.holder_procs), "%s/cgroup.procs", holder.path);
	if (pipe(ba.ready))
		goto out;
	pid = memcg_spawn(&child, populate_take_and_stay, &ba);
	close(ba.ready[1]);
	if (pid < 0 || read(ba.ready[0], &c, 1) != 1) {
		ksft_print_msg("the task of the child could not set up\n");
		goto out_drop;
	}
	if (module_held(&held, &offline) || held <= 0) {
		ksft_print_msg("the module holds no folios of the child\n");
		goto out_drop;
	}
	if (rmdir(child.path)) {
		ksft_print_msg("rmdir %s: %s\n", child.path, strerror(errno));
		goto out_drop;
	}
	/* while the module holds them: all of the child's pages but those */
	poll_until(reparent_pass_done(1, held), SETTLE_TIMEOUT_MS, waited);
	pages = module_offline_pages();
	module_held(&held, &offline);
	ksft_print_msg("%ld folios locked at the head, %ld of them offline; %ld pages left on offline LRUs after %ld ms\n",
		       held, offline, pages, waited);
	if (offline != held) {
		ksft_print_msg("the child did not go offline\n");
		goto out_drop;
	}
	if (pages < 0 || pages > held) {
		ksft_print_msg("the folios behind the locked ones did not move\n");
		goto out_drop;
	}
	ret = KSFT_PASS;
out_drop:
	file_write(MLT_REPARENT, "drop");
	unlink(ba.da.file);
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (!access(child.path, F_OK))
		memcg_destroy(&child);
	memcg_destroy(&holder);
	memcg_destroy(&parent);
	return ret;
}

/*
 * A fault charges its new folio to the memcg of the task's mm, then puts
 * the folio on an LRU; with a VM_LOCKED vma through mlock_new_page(), onto
 * the unevictable LRU. If the task moved to another memcg in between, and
 * its old memcg was removed and its reparenting work had run, the folio
 * lands on the LRU of an offline memcg that nothing walks again: the memcg
 * stayed dying until the folio was unmapped. The window is a few
 * instructions wide (a THP fault's clearing widens it), so the module makes
 * the late folio instead: the child's task pins the child ("pin"), the
 * child is removed and reparented, then "mlock_new" charges new folios to
 * it and mlock_new_page()s them. They must move to the parent, as any folio
 * that comes back to an offline memcg's LRU does, and the child must die
 * once the pin is dropped.
 *
 * With @hold, the late folios come in the window between the child's first
 * run and offline_css() clearing CSS_ONLINE, a grace period after
 * ->css_offline() started that run: "hold_offline" makes the module hold
 * the child's ->css_offline() there for 3 s, and "mlock_new" fails with
 * EAGAIN until the hold starts. A check that asks whether the memcg is
 * online finds it so, and nothing moves the folios afterwards.
 */
#define MLOCK_NEW_FOLIOS	8
#define MLOCK_NEW_WAIT_MS	10000

static int run_mlock_new(int v1, int hold)
{
	struct deferred_arg da = { .cmd = "pin" };
	struct memcg root = {}, parent = {}, child = {};
	long held = -1, offline = -1, pages = -1, dying, base, moved, deferred, waited;
	long page_size = sysconf(_SC_PAGESIZE);
	int ret = KSFT_FAIL, status, i, err;
	pid_t pid;

	if (access(MLT_REPARENT, W_OK) || memcg_root(&root, v1))
		return KSFT_SKIP;
	/* a pin an earlier, killed run left */
	file_write(MLT_REPARENT, "drop");
	if (memcg_create(&parent, &root, "reparent_mlock_new"))
		return KSFT_FAIL;
	if (memcg_create(&child, &parent, "child"))
		goto out_parent;

	snprintf(da.file, sizeof(da.file), "%s/reparent_mlock_new.%d",
		 getenv("SCRATCH") ?: "/tmp", getpid());
	pid = memcg_spawn(&child, populate_and_take, &da);
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status)) {
		ksft_print_msg("pinning task failed (status %d)\n", status);
		goto out_child;
	}

	/*
	 * The child's page cache moving shows that its work ran: the late
	 * folios must come after it, or the first run takes them whatever
	 * mlock_new_page() does. The count is the folios the child had;
	 * retries, if any run, are over 6.3 s after they start (10 s here).
	 */
	moved = proc_vmstat("memcg_reparent");
	deferred = proc_vmstat("memcg_reparent_deferred");
	base = memcg_dying_baseline(&parent);
	if (hold) {
		err = file_write(MLT_REPARENT, "hold_offline");
		if (err) {
			ret = err == -EOPNOTSUPP ? KSFT_SKIP : KSFT_FAIL;
			ksft_print_msg("hold_offline: %s\n", strerror(-err));
			goto out_drop;
		}
	}
	if (rmdir(child.path)) {
		ksft_print_msg("rmdir %s: %s\n", child.path, strerror(errno));
		goto out_drop;
	}
	if (hold) {
		/* the first run is over once the hold starts */
		if (!poll_until((err = file_write(MLT_REPARENT, "mlock_new")) != -EAGAIN,
				SETTLE_TIMEOUT_MS, waited)) {
			ksft_print_msg("the child's offline was not held after %ld ms\n", waited);
			goto out_drop;
		}
		/*
		 * Retries of a first run that left something behind would walk
		 * the unevictable pages too, and take the late folios whatever
		 * the check does: then this run cannot tell.
		 */
		if (proc_vmstat("memcg_reparent_deferred") != deferred) {
			ksft_print_msg("the first run left folios behind: retries would hide the window\n");
			ret = KSFT_SKIP;
			goto out_drop;
		}
	} else if (!poll_until(proc_vmstat("memcg_reparent") >= moved + CACHE_SIZE / page_size &&
			!module_offline_pages(), SETTLE_TIMEOUT_MS, waited)) {
		ksft_print_msg("the child's page cache did not move (memcg_reparent %ld -> %ld, %ld pages on offline LRUs)\n",
			       moved, proc_vmstat("memcg_reparent"), module_offline_pages());
		goto out_drop;
	}
	if (!hold)
		usleep(proc_vmstat("memcg_reparent_deferred") != deferred ?
		       10000 * 1000 : 500 * 1000);

	for (i = 0; i < MLOCK_NEW_FOLIOS; i++) {
		/* with a hold, the first came out of the poll above */
		if (!hold || i)
			err = file_write(MLT_REPARENT, "mlock_new");
		if (err == -EOPNOTSUPP) {
			ret = KSFT_SKIP;
			goto out_drop;
		}
		if (err) {
			ksft_print_msg("mlock_new: %s%s\n", strerror(-err),
				       err == -ETIME ? " (the hold ended first)" : "");
			goto out_drop;
		}
	}
	if (module_held(&held, &offline) || held != MLOCK_NEW_FOLIOS) {
		ksft_print_msg("the module holds %ld folios, expected %d\n", held,
			       MLOCK_NEW_FOLIOS);
		goto out_drop;
	}

	/* with a hold, the child counts as offline only once it is over */
	if (hold && !poll_until(module_holding() == 0, SETTLE_TIMEOUT_MS, waited)) {
		ksft_print_msg("the hold did not end after %ld ms\n", waited);
		goto out_drop;
	}
	poll_until(!module_held(&held, &offline) && !offline && !module_offline_pages(),
		   MLOCK_NEW_WAIT_MS, waited);
	pages = module_offline_pages();
	ksft_print_msg("late mlocked folios: %ld of %ld still the offline child's, %ld pages on offline LRUs after %ld ms\n",
		       offline, held, pages, waited);
	if (offline || pages)
		goto out_drop;

	/* the folios hold the parent now: dropping the pin frees the child */
	file_write(MLT_REPARENT, "drop");
	dying = memcg_wait_dying(&parent, base, SETTLE_TIMEOUT_MS, &waited);
	if (dying > base) {
		ksft_print_msg("the child is still dying %ld ms after the pin was dropped (%ld dying, %ld before)\n",
			       waited, dying, base);
		goto out_drop;
	}
	ret = KSFT_PASS;

out_drop:
	file_write(MLT_REPARENT, "drop");
	unlink(da.file);
out_child:
	if (!access(child.path, F_OK))
		memcg_destroy(&child);
out_parent:
	memcg_destroy(&parent);
	return ret;
}

static int test_reparent_mlock_new_v2(void)
{
	return run_mlock_new(0, 0);
}

static int test_reparent_mlock_new_v1(void)
{
	return run_mlock_new(1, 0);
}

static int test_reparent_offline_window_v2(void)
{
	return run_mlock_new(0, 1);
}

static int test_reparent_offline_window_v1(void)
{
	return run_mlock_new(1, 1);
}

#define T(x) { x, #x }
struct reparent_test {
	int (*fn)(void);
	const char *name;
} tests[] = {
	T(test_reparent_module_rejects),
	T(test_reparent_mlocked_v2),
	T(test_reparent_munlock_walk_v2),
	T(test_reparent_isolated_v2),
	T(test_reparent_locked_v2),
	T(test_reparent_isolated_v1),
	T(test_reparent_locked_v1),
	T(test_reparent_pinned_v2),
	T(test_reparent_stalled_mlock_v2),
	T(test_reparent_pinned_reclaim_v2),
	T(test_reparent_busy_head_v2),
	T(test_reparent_two_nodes),
	T(test_reparent_mlock_new_v2),
	T(test_reparent_mlock_new_v1),
	T(test_reparent_offline_window_v2),
	T(test_reparent_offline_window_v1),
};
#undef T

int main(int argc, char **argv)
{
	size_t i;

	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(tests));

	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		switch (tests[i].fn()) {
		case KSFT_PASS:
			ksft_test_result_pass("%s\n", tests[i].name);
			break;
		case KSFT_SKIP:
			ksft_test_result_skip("%s: hierarchy or test module hooks missing\n",
					      tests[i].name);
			break;
		default:
			ksft_test_result_fail("%s\n", tests[i].name);
			break;
		}
	}
	ksft_finished();
}
