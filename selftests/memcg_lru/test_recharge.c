// SPDX-License-Identifier: GPL-2.0
/*
 * Recharging, and the statistics a folio takes with it when it changes
 * memcg.  Each case builds its own small hierarchy:
 *
 *   test_recharge_ancestor_at_limit_v2  the adopting parent sits exactly at its
 *       memory.max; a sibling that reads the removed child's page cache is
 *       recharged with it anyway, as the parent keeps the charge: only the
 *       levels below the parent are charged.
 *   test_recharge_adopter_no_oom_v2  a sibling with memory.max=16M and
 *       memory.swap.max=0 reads 32M of tmpfs and 32M of page cache left by a
 *       removed child, then allocates 8M: no OOM kill.  The tmpfs is not
 *       recharged (it could not swap it), the page cache is, up to an eighth
 *       below the limit.
 *   test_recharge_delegated_storm_v2  an unprivileged owner (uid 1000) of a
 *       delegated subtree makes a sibling near its limit read a removed
 *       child's page cache in a loop: recharge attempts stay bounded (the
 *       sibling backs off), and a cgroup outside the subtree that reads the
 *       same file is not charged.
 *   test_recharge_mapped_owner_v2  at the rmdir, page cache that a sibling
 *       maps shared is recharged to it, not to a sibling whose private
 *       mapping covers the file but maps copies of its own.
 *   test_reparent_partial_thp_stats_v1  a THP partly unmapped before its
 *       memcg is removed moves NR_ANON_MAPPED by its mapped pages only:
 *       the parent's local "rss" gets exactly the child's, and is back to 0
 *       once the task exits.
 *   test_reparent_truncated_stats_v1  page cache truncated while a pipe still
 *       references it is no longer in NR_FILE_PAGES: reparenting must not
 *       move it there, and once the pipe is gone the parent keeps no more
 *       local "cache" than the child had.
 *   test_reparent_dirty_stats_v1  dirty page cache moves with its
 *       NR_FILE_DIRTY; truncated afterwards, the local "dirty" is back to 0.
 *   test_reparent_writeback_stats_v1  page cache under writeback to a slow
 *       disk moves with its NR_WRITEBACK; when the writeback ends, the local
 *       "writeback" is back to 0.
 *
 * The statistics cases read cgroup v1's local statistics: cgroup v2's
 * memory.stat is hierarchical, and a move from a child to its parent can
 * never change the parent's hierarchical sum, right or wrong.  The first
 * four cases failed on the series before the fixes they test; on the
 * unpatched base there is no recharging (the recharge cases skip) and no
 * reparenting (the statistics cases fail: the child stays dying).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "cgroup_util.h"
#include "memcg_lru_util.h"

#define RECHARGE_SYSCTL	"/proc/sys/vm/memcg_recharge"
#define SHM_DIR		"/dev/shm"
#define PAGE		4096L
#define MIB		(1L << 20)

static char scratch[PATH_MAX];

/* A removed child's memory must have reached the parent before a case goes on. */
static int remove_child(struct memcg *parent, struct memcg *child)
{
	long waited;

	if (memcg_remove(child)) {
		ksft_print_msg("rmdir %s: %s\n", child->path, strerror(errno));
		return -1;
	}
	if (memcg_wait_dying(parent, 0, SETTLE_TIMEOUT_MS, &waited)) {
		ksft_print_msg("%s still has dying descendants after %ld ms\n",
			       parent->path, waited);
		return -1;
	}
	return 0;
}

/* A memory.stat counter of the series, 0 if the kernel has none. */
static long counter(const struct memcg *cg, const char *key)
{
	long v = memcg_counter(cg, key);

	return v < 0 ? 0 : v;
}

/* poll until cg's recharge counters hold still for a second; the ms waited */
static long recharge_settle(const struct memcg *cg)
{
	long last = -1, now, waited;

	poll_until((now = counter(cg, "memcg_recharge") + counter(cg, "memcg_recharge_fail"),
		    now == last ? 1 : (last = now, usleep(900000), 0)),
		   SETTLE_TIMEOUT_MS, waited);
	return waited;
}

struct files {
	const char *cache;	/* page cache on $SCRATCH */
	const char *tmpfs;	/* on /dev/shm, or NULL */
	long cache_size, tmpfs_size;
};

/*
 * In the child: write the files, write them back and read them, so that all
 * is cached and clean. Dirty page cache would not be recharged (it counts in
 * a writeback domain), and a memcg at its limit with it cannot reclaim it
 * before the flusher wrote it: 6.1 OOM-kills there, reparenting or not.
 */
static int fill_files(void *arg)
{
	struct files *f = arg;

	if (file_fill(f->cache, f->cache_size) || file_sync(f->cache) ||
	    file_read_all(f->cache))
		return 1;
	if (f->tmpfs && (file_fill(f->tmpfs, f->tmpfs_size) || file_read_all(f->tmpfs)))
		return 2;
	return 0;
}

/*
 * A task in a memcg that waits for a command on a pipe: 'r' reads the files
 * (tmpfs first) twice, 'a' allocates and touches 8 MiB of anon memory, 'p'
 * maps the page cache file privately and writes to every page (copies of
 * its own replace the file's pages in its page table, its VMA still covers
 * the file), 's' maps it shared and reads every page, 'q' exits.  It
 * answers each command with one byte: 0 for done.  Mappings stay.
 */
struct task {
	pid_t pid;
	int cmd, ack;
};

static int task_loop(const struct files *f, int cmd, int ack)
{
	static char buf[1 << 16];
	char c, ok;

	memset(buf, 1, sizeof(buf));
	while (read(cmd, &c, 1) == 1) {
		ok = 0;
		if (c == 'r') {
			int pass;

			for (pass = 0; pass < 2; pass++)
				if ((f->tmpfs && file_read_pages(f->tmpfs)) ||
				    file_read_pages(f->cache))
					ok = 1;
		} else if (c == 'p' || c == 's') {
			int fd = open(f->cache, O_RDWR);
			volatile char *p = MAP_FAILED;
			long off, sum = 0;

			if (fd >= 0)
				p = mmap(NULL, f->cache_size, PROT_READ | PROT_WRITE,
					 c == 'p' ? MAP_PRIVATE : MAP_SHARED, fd, 0);
			if (p == MAP_FAILED)
				ok = 1;
			for (off = 0; !ok && off < f->cache_size; off += PAGE)
				if (c == 'p')
					p[off] = 3;
				else
					sum += p[off];
			(void)sum;
			if (fd >= 0)
				close(fd);
		} else if (c == 'a') {
			long size = 8 * MIB;
			char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (p == MAP_FAILED)
				ok = 1;
			else
				memset(p, 2, size);
		} else {
			return 0;
		}
		if (write(ack, &ok, 1) != 1)
			return 1;
	}
	return 0;
}

static int task_start(struct task *t, const struct memcg *cg, const struct files *f)
{
	int cmd[2], ack[2];
	char pid[16];

	if (pipe(cmd) || pipe(ack))
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (!t->pid) {
		close(cmd[1]);
		close(ack[0]);
		snprintf(pid, sizeof(pid), "%d", getpid());
		if (cg_write((char *)cg->path, "cgroup.procs", pid))
			_exit(1);
		_exit(task_loop(f, cmd[0], ack[1]));
	}
	close(cmd[0]);
	close(ack[1]);
	t->cmd = cmd[1];
	t->ack = ack[0];
	return 0;
}

/* 0 if the task did it; -1 if it failed or died (an OOM kill, say) */
static int task_do(struct task *t, char c)
{
	char ok;

	if (write(t->cmd, &c, 1) != 1 || read(t->ack, &ok, 1) != 1 || ok)
		return -1;
	return 0;
}

static void task_stop(struct task *t)
{
	if (t->pid <= 0)
		return;
	close(t->cmd);
	close(t->ack);
	waitpid(t->pid, NULL, 0);
	t->pid = 0;
}

static int recharge_on(void)
{
	if (access(RECHARGE_SYSCTL, F_OK)) {
		ksft_print_msg("no %s: kernel without deferred recharging\n", RECHARGE_SYSCTL);
		return 0;
	}
	return !file_write(RECHARGE_SYSCTL, "1");
}

static int test_recharge_ancestor_at_limit_v2(void)
{
	char cache[PATH_MAX];
	struct files f = { .cache = cache, .cache_size = 16 * MIB };
	struct memcg root = {}, parent = {}, child = {}, sib = {};
	struct task t = {};
	long cur, par0, par1, took, last, pages = f.cache_size / PAGE;
	int idle;
	int ret = KSFT_FAIL;
	char val[32];
	pid_t pid;

	if (!recharge_on() || memcg_root(&root, 0))
		return KSFT_SKIP;
	snprintf(cache, sizeof(cache), "%s/recharge_anc.%d", scratch, getpid());
	if (memcg_create(&parent, &root, "recharge_anc") ||
	    memcg_create(&child, &parent, "child") || memcg_create(&sib, &parent, "sib"))
		goto out;

	pid = memcg_spawn(&child, fill_files, &f);
	if (pid < 0 || !pid_exited_ok(pid) || remove_child(&parent, &child))
		goto out;
	if (task_start(&t, &sib, &f))
		goto out;

	/* the parent at exactly its limit: any charge of it would fail */
	cur = memcg_usage(&parent);
	snprintf(val, sizeof(val), "%ld", cur);
	if (cur <= 0 || cg_write(parent.path, "memory.max", val))
		goto out;
	par0 = memcg_usage(&parent);

	/*
	 * A full per-CPU queue drops touches: read again until 3/4 moved, or
	 * until two reads in a row moved nothing.
	 */
	took = now_ms();
	for (idle = 0; idle < 2 && now_ms() - took < SETTLE_TIMEOUT_MS;) {
		last = counter(&sib, "memcg_recharge");
		if (task_do(&t, 'r'))
			goto out;
		recharge_settle(&sib);
		if (counter(&sib, "memcg_recharge") >= pages * 3 / 4)
			break;
		idle = counter(&sib, "memcg_recharge") > last ? 0 : idle + 1;
	}
	took = now_ms() - took;
	par1 = memcg_usage(&parent);
	ksft_print_msg("parent at its max (%ld KiB): sibling memcg_recharge %ld, memcg_recharge_fail %ld of %ld pages in %ld ms, parent %ld -> %ld KiB\n",
		       cur >> 10, counter(&sib, "memcg_recharge"),
		       counter(&sib, "memcg_recharge_fail"), pages, took, par0 >> 10, par1 >> 10);
	if (counter(&sib, "memcg_recharge_fail")) {
		ksft_print_msg("an ancestor at its limit made recharging to the sibling fail\n");
		goto out;
	}
	/*
	 * Not all of it: the parent at its limit reclaims some of the cache
	 * when the sibling's task allocates, and what the task then reads back
	 * is charged to the sibling directly, not recharged.
	 */
	if (counter(&sib, "memcg_recharge") < pages / 4) {
		ksft_print_msg("the sibling was not recharged with what it read\n");
		goto out;
	}
	if (!values_close(par0, par1, 5)) {
		ksft_print_msg("the parent's usage changed\n");
		goto out;
	}
	ret = KSFT_PASS;
out:
	task_stop(&t);
	unlink(cache);
	memcg_destroy(&sib);
	memcg_destroy(&child);
	memcg_destroy(&parent);
	return ret;
}

static int test_recharge_adopter_no_oom_v2(void)
{
	char cache[PATH_MAX], shm[PATH_MAX];
	struct files f = { .cache = cache, .tmpfs = shm,
			   .cache_size = 32 * MIB, .tmpfs_size = 32 * MIB };
	struct memcg root = {}, parent = {}, child = {}, sib = {};
	struct task t = {};
	long shmem, rech, fail, kills;
	int ret = KSFT_FAIL;
	pid_t pid;

	if (!recharge_on() || memcg_root(&root, 0))
		return KSFT_SKIP;
	snprintf(cache, sizeof(cache), "%s/recharge_oom.%d", scratch, getpid());
	snprintf(shm, sizeof(shm), SHM_DIR "/recharge_oom.%d", getpid());
	if (memcg_create(&parent, &root, "recharge_oom") ||
	    memcg_create(&child, &parent, "child") || memcg_create(&sib, &parent, "sib"))
		goto out;
	if (memcg_set_limit(&sib, 16 * MIB) || cg_write(sib.path, "memory.swap.max", "0"))
		goto out;

	pid = memcg_spawn(&child, fill_files, &f);
	if (pid < 0 || !pid_exited_ok(pid) || remove_child(&parent, &child))
		goto out;

	/* filled by recharges with what it reads, then it allocates */
	if (task_start(&t, &sib, &f) || task_do(&t, 'r'))
		goto out;
	recharge_settle(&sib);
	shmem = memcg_shmem_bytes(&sib);
	rech = counter(&sib, "memcg_recharge");
	fail = counter(&sib, "memcg_recharge_fail");
	ksft_print_msg("sibling after reading: %ld KiB, shmem %ld KiB; memcg_recharge %ld, memcg_recharge_fail %ld\n",
		       memcg_usage(&sib) >> 10, shmem >> 10, rech, fail);
	if (task_do(&t, 'a')) {
		ksft_print_msg("the sibling could not allocate 8M after the recharges\n");
		goto out;
	}
	kills = memcg_oom_kills(&sib);
	ksft_print_msg("8M allocated: %ld KiB, oom_kill %ld\n", memcg_usage(&sib) >> 10, kills);
	if (kills) {
		ksft_print_msg("recharging got the sibling OOM-killed\n");
		goto out;
	}
	if (shmem > 1 * MIB) {
		ksft_print_msg("tmpfs the sibling cannot swap was recharged to it\n");
		goto out;
	}
	if (rech < (4 * MIB) / PAGE) {
		ksft_print_msg("the page cache was not recharged: the case proves nothing\n");
		goto out;
	}
	ret = KSFT_PASS;
out:
	task_stop(&t);
	unlink(cache);
	unlink(shm);
	memcg_destroy(&sib);
	memcg_destroy(&child);
	memcg_destroy(&parent);
	return ret;
}

/*
 * The storm: the delegated owner's sibling, 8M below its limit, reads 32M of
 * the removed child's page cache again and again for STORM_S seconds.  Each
 * read touches every page, so without a backoff every touch queues work.
 */
#define OWNER_UID	1000
#define STORM_S		getenv_long("REPARENT_STORM_S", 10)
#define STORM_SIZE	(32 * MIB)

struct storm {
	struct memcg dele, owner, child, sib;
	char cache[PATH_MAX];
	long seconds;
};

static int become_owner(void)
{
	return setgroups(0, NULL) || setgid(OWNER_UID) || setuid(OWNER_UID) ? -1 : 0;
}

/* As uid 1000: the whole storm inside its own subtree.  0 if it ran. */
static int storm_owner(void *arg)
{
	struct storm *s = arg;
	struct files f = { .cache = s->cache, .cache_size = STORM_SIZE };
	long start;
	int status;
	pid_t pid;
	char me[16];

	/* as a service manager does: into the subtree first, then drop root */
	snprintf(me, sizeof(me), "%d", getpid());
	if (cg_write(s->owner.path, "cgroup.procs", me) || become_owner())
		return 10;
	if (memcg_create(&s->child, &s->dele, "child") || memcg_create(&s->sib, &s->dele, "sib"))
		return 11;
	if (memcg_set_limit(&s->sib, 8 * MIB))
		return 12;
	pid = memcg_spawn(&s->child, fill_files, &f);
	if (pid < 0 || !pid_exited_ok(pid))
		return 13;
	if (memcg_remove(&s->child))
		return 14;
	pid = fork();
	if (!pid) {
		snprintf(me, sizeof(me), "%d", getpid());
		if (cg_write(s->sib.path, "cgroup.procs", me))
			_exit(15);
		for (start = now_ms(); now_ms() - start < s->seconds * 1000;)
			if (file_read_pages(s->cache))
				_exit(16);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 17;
	return WEXITSTATUS(status);
}

/*
 * A third cgroup, outside the delegated subtree, reading the removed child's
 * file meanwhile: it must not be charged; its longest read, in ms.
 */
struct bystander {
	const char *path;
	long seconds;
	int out;
};

static int bystander(void *arg)
{
	struct bystander *b = arg;
	long start, t, worst = 0;

	for (start = now_ms(); now_ms() - start < b->seconds * 1000;) {
		t = now_ms();
		/* the removed child's file, once the owner made it */
		if (access(b->path, R_OK)) {
			usleep(20000);
			continue;
		}
		if (file_read_pages(b->path))
			return 1;
		if (now_ms() - t > worst)
			worst = now_ms() - t;
		usleep(20000);
	}
	return write(b->out, &worst, sizeof(worst)) == sizeof(worst) ? 0 : 2;
}

static int chown_cgroup(const struct memcg *cg)
{
	static const char * const files[] = { "", "/cgroup.procs", "/cgroup.subtree_control",
					      "/cgroup.threads" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s%s", cg->path, files[i]);
		if (chown(path, OWNER_UID, OWNER_UID))
			return -1;
	}
	return 0;
}

static int test_recharge_delegated_storm_v2(void)
{
	struct memcg root = {}, top = {}, third = {};
	struct storm s = { .seconds = STORM_S };

	char dir[PATH_MAX];
	struct bystander b = { .seconds = s.seconds };
	long rech0, fail0, back0, attempts, bound, worst, third0, third1, dele_wait;
	int ret = KSFT_FAIL, status, fds[2];
	pid_t pid, by;

	if (!recharge_on() || memcg_root(&root, 0))
		return KSFT_SKIP;
	snprintf(dir, sizeof(dir), "%s/storm.%d", scratch, getpid());
	snprintf(s.cache, sizeof(s.cache), "%s/cache", dir);
	b.path = s.cache;
	if (mkdir(dir, 0755) || chown(dir, OWNER_UID, OWNER_UID))
		goto out_dir;
	/* top/delegated (owned by uid 1000, its task in top/delegated/owner), top/third */
	if (memcg_create(&top, &root, "recharge_storm") ||
	    memcg_create(&s.dele, &top, "delegated") || memcg_create(&third, &top, "third") ||
	    memcg_create(&s.owner, &s.dele, "owner"))
		goto out;
	if (chown_cgroup(&s.dele) || chown_cgroup(&s.owner))
		goto out;

	rech0 = proc_vmstat("memcg_recharge");
	fail0 = proc_vmstat("memcg_recharge_fail");
	back0 = proc_vmstat("memcg_recharge_backoff");
	third0 = memcg_usage(&third);

	if (pipe(fds))
		goto out;
	b.out = fds[1];
	pid = fork();
	if (!pid)
		_exit(storm_owner(&s));
	by = memcg_spawn(&third, bystander, &b);
	if (by < 0 || !pid_exited_ok(by) || read(fds[0], &worst, sizeof(worst)) != sizeof(worst))
		worst = -1;
	close(fds[0]);
	close(fds[1]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		ksft_print_msg("the owner's storm did not run (exit %d; 10-14 setup, 15 join, 16 read)\n",
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		goto out;
	}
	third1 = memcg_usage(&third);
	attempts = proc_vmstat("memcg_recharge") - rech0 + proc_vmstat("memcg_recharge_fail") - fail0;
	/*
	 * A second of backoff after a failure: up to two queues of 512 per CPU
	 * in each second (one taken before the failure is seen, one after the
	 * second ends), plus the first read of the whole file.
	 */
	bound = (s.seconds + 2) * sysconf(_SC_NPROCESSORS_ONLN) * 2 * 512 + STORM_SIZE / PAGE;
	memcg_wait_dying(&s.dele, 0, SETTLE_TIMEOUT_MS, &dele_wait);
	ksft_print_msg("%ld s of reads by uid %d: %ld recharge attempts (bound %ld), %ld backoffs, bystander's longest read %ld ms, third cgroup %ld -> %ld KiB\n",
		       s.seconds, OWNER_UID, attempts, bound,
		       proc_vmstat("memcg_recharge_backoff") - back0, worst,
		       third0 >> 10, third1 >> 10);
	if (attempts > bound) {
		ksft_print_msg("recharge attempts were not bounded\n");
		goto out;
	}
	if (counter(&third, "memcg_recharge") || third1 > third0 + 1 * MIB) {
		ksft_print_msg("a cgroup outside the delegated subtree, reading the same file, was charged\n");
		goto out;
	}
	if (worst < 0) {
		ksft_print_msg("the bystander could not read its file\n");
		goto out;
	}
	ret = KSFT_PASS;
out:
	memcg_destroy(&s.sib);
	memcg_destroy(&s.child);
	memcg_destroy(&s.owner);
	memcg_destroy(&s.dele);
	memcg_destroy(&third);
	memcg_destroy(&top);
out_dir:
	unlink(s.cache);
	rmdir(dir);
	return ret;
}

/*
 * Recharging at offline goes to a task whose page table maps the folio.
 * Sibling "priv" maps the child's file privately and has copied every page,
 * so its VMA covers the file but maps none of its page cache; sibling
 * "shared" maps it shared and reads it.  "priv" mapped it first, so the rmap
 * walk meets its VMA first: taking the first VMA found would charge "priv"
 * for page cache it does not use.  MAPPED_SIZE stays below one per-CPU
 * recharge queue (512 folios), which drops what does not fit.
 */
#define MAPPED_SIZE	(1L << 20)

static int test_recharge_mapped_owner_v2(void)
{
	char cache[PATH_MAX];
	struct files f = { .cache = cache, .cache_size = MAPPED_SIZE };
	struct memcg root = {}, parent = {}, child = {}, priv = {}, shared = {};
	struct task tp = {}, ts = {};
	long p0, s0, p1 = 0, s1 = 0, waited;
	int ret = KSFT_FAIL;
	pid_t pid;

	if (!recharge_on() || memcg_root(&root, 0))
		return KSFT_SKIP;
	snprintf(cache, sizeof(cache), "%s/recharge_map.%d", scratch, getpid());
	if (memcg_create(&parent, &root, "recharge_map") ||
	    memcg_create(&child, &parent, "child") || memcg_create(&priv, &parent, "priv") ||
	    memcg_create(&shared, &parent, "shared"))
		goto out;
	pid = memcg_spawn(&child, fill_files, &f);
	if (pid < 0 || !pid_exited_ok(pid))
		goto out;
	if (task_start(&tp, &priv, &f) || task_do(&tp, 'p') ||
	    task_start(&ts, &shared, &f) || task_do(&ts, 's')) {
		ksft_print_msg("the siblings could not map %s\n", cache);
		goto out;
	}
	p0 = memcg_stat(&priv, "file", NULL);
	s0 = memcg_stat(&shared, "file", NULL);
	if (remove_child(&parent, &child))
		goto out;
	poll_until((s1 = memcg_stat(&shared, "file", NULL)) - s0 >= MAPPED_SIZE * 3 / 4,
		   SETTLE_TIMEOUT_MS, waited);
	p1 = memcg_stat(&priv, "file", NULL);
	ksft_print_msg("mapped owner: shared mapper's file %ld -> %ld KiB, private copier's %ld -> %ld KiB (%ld ms)\n",
		       s0 >> 10, s1 >> 10, p0 >> 10, p1 >> 10, waited);
	if (p1 - p0 > MAPPED_SIZE / 8) {
		ksft_print_msg("the private copier, which maps none of the file, was charged %ld KiB\n",
			       (p1 - p0) >> 10);
		goto out;
	}
	if (s1 - s0 < MAPPED_SIZE * 3 / 4) {
		ksft_print_msg("the shared mapper took %ld of %ld KiB\n",
			       (s1 - s0) >> 10, MAPPED_SIZE >> 10);
		goto out;
	}
	ret = KSFT_PASS;
out:
	/* "shared" was forked second and holds copies of "priv"'s pipe ends */
	task_stop(&ts);
	task_stop(&tp);
	unlink(cache);
	memcg_destroy(&shared);
	memcg_destroy(&priv);
	memcg_destroy(&child);
	memcg_destroy(&parent);
	return ret;
}

/*
 * The statistics cases: a task of the child sets the state up, moves to the
 * sibling and waits; the child is removed, its folios go to the parent; the
 * task then lets go (exits, truncates or waits for its writeback) and the
 * statistic must come back to what is left.  With a folio moved by its size
 * instead of what it contributes, a residue stays for good; with a statistic
 * not moved at all, the parent gets nothing and its local sum, which 6.1
 * clamps at 0, hides the decrements that then go negative.  So the parent
 * must get exactly what the child had, and the parent alone is read:
 * recharging, which could pass folios on to the sibling with their
 * statistics, is turned off for these cases (test_recharge_mapped_owner_v2
 * and test_reparent_recharge cover it).
 */
#define THP_SIZE	(2L << 20)
#define THP_AREA	(64L << 20)
#define SPLICE_SIZE	(1L << 20)
#define DIRTY_SIZE	(4L << 20)
#define WB_SIZE		(2L << 20)
#define KEEP_BEFORE	(-1L)
/* what the child had may differ by this much: a page the task faults in */
#define STATS_SLACK	(16L << 10)
/* $SLOW's write rate in bytes/s: the host's SLOW_BPS, passed to the guest */
#define SLOW_RATE	getenv_long("SLOW_BPS", 262144)

struct stats_arg {
	const struct memcg *sib;
	char file[PATH_MAX];
	int ready, go;	/* pipe ends: the task says ready, waits for go */
};

static int stats_wait_go(struct stats_arg *a)
{
	char me[16], c = 0;

	snprintf(me, sizeof(me), "%d", getpid());
	if (cg_write((char *)a->sib->path, "cgroup.procs", me) ||
	    write(a->ready, &c, 1) != 1 || read(a->go, &c, 1) != 1)
		return 1;
	return 0;
}

/* anon THPs with 4K unmapped from each 2M: PTE-mapped, partly */
static int partial_thp(void *arg)
{
	long off, thp0 = proc_vmstat("thp_fault_alloc");
	char *p, *area;

	area = mmap(NULL, THP_AREA + THP_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return 2;
	p = (char *)(((unsigned long)area + THP_SIZE - 1) & ~(THP_SIZE - 1));
	if (madvise(p, THP_AREA, MADV_HUGEPAGE))
		return 3;
	memset(p, 1, THP_AREA);
	/* without THPs the case would prove nothing */
	if (thp0 < 0 || proc_vmstat("thp_fault_alloc") - thp0 < THP_AREA / THP_SIZE / 2)
		return KSFT_SKIP;
	for (off = 0; off < THP_AREA; off += THP_SIZE)
		if (madvise(p + off, PAGE, MADV_DONTNEED))
			return 6;
	/*
	 * Keep khugepaged from collapsing the regions meanwhile: a collapse
	 * replaces a THP by a new one, charged elsewhere, and the child's
	 * figure read before it no longer adds up (5 THPs short, once).
	 */
	if (madvise(p, THP_AREA, MADV_NOHUGEPAGE))
		return 6;
	return stats_wait_go(arg);
}

/* page cache truncated while a pipe still holds it (splice() takes refs) */
static int truncated_cache(void *arg)
{
	struct stats_arg *a = arg;
	int fd, pfd[2];
	loff_t off = 0;

	if (file_fill(a->file, SPLICE_SIZE) || file_read_all(a->file) || pipe(pfd) ||
	    fcntl(pfd[1], F_SETPIPE_SZ, SPLICE_SIZE) < SPLICE_SIZE)
		return 2;
	fd = open(a->file, O_RDONLY);
	if (fd < 0 || splice(fd, &off, pfd[1], NULL, SPLICE_SIZE, 0) != SPLICE_SIZE)
		return 3;
	if (truncate(a->file, 0))
		return 7;
	return stats_wait_go(arg);
}

/*
 * Dirty page cache of a file whose blocks exist already (no allocation and
 * so no metadata dirtied by the task): dropped by truncation once let go.
 */
static int dirty_cache(void *arg)
{
	struct stats_arg *a = arg;
	int ret;

	if (file_overwrite(a->file, DIRTY_SIZE))
		return 2;
	ret = stats_wait_go(arg);
	return ret ? ret : truncate(a->file, 0) ? 3 : 0;
}

/*
 * Page cache under writeback to the slow disk (QEMU writes it at 256 KiB/s)
 * while its memcg is removed: sync_file_range() starts the writeback and
 * does not wait; once let go, the task waits for it to finish.
 */
static int writeback_cache(void *arg)
{
	struct stats_arg *a = arg;
	int fd, ret;

	if (file_overwrite(a->file, WB_SIZE))
		return 2;
	fd = open(a->file, O_RDWR);
	if (fd < 0 || sync_file_range(fd, 0, WB_SIZE, SYNC_FILE_RANGE_WRITE))
		return 3;
	ret = stats_wait_go(arg);
	return ret ? ret : fdatasync(fd) ? 4 : 0;
}

struct stats_case {
	int (*fn)(void *);
	const char *name;
	const char *key;	/* a local statistic of v1's memory.stat */
	long min_folios;	/* that many at least reparented, or it proves nothing */
	long min_before;	/* bytes of @key the child must have, likewise */
	long keep;		/* bytes of @key left once let go, or KEEP_BEFORE */
	bool draining;		/* @key falls by itself meanwhile (writeback ends) */
	const char *dir;	/* where the task's file is */
	long prepare;		/* bytes of it written and evicted beforehand */
};

/*
 * What the parent got of the child's @before, @ms after it was read: all of
 * it, or for a draining statistic all but what the slow disk can have
 * written meanwhile (a statistic not moved for the folios of one of the two
 * nodes, say, is short by about half).
 */
static bool moved_ok(const struct stats_case *sc, long moved, long before, long ms)
{
	/* QEMU's throttle lets a burst through: twice the rate, and 256 KiB */
	if (sc->draining)
		return moved <= before + STATS_SLACK &&
		       moved >= before - 2 * SLOW_RATE * ms / 1000 - (256L << 10);
	return labs(moved - before) <= STATS_SLACK;
}

/* vm.memcg_recharge's value to restore, or NULL when it is not there */
static const char *recharge_off(char *old, size_t size)
{
	if (file_read(RECHARGE_SYSCTL, old, size) <= 0)
		return NULL;
	if (file_write(RECHARGE_SYSCTL, "0"))
		return NULL;
	return old;
}

/* run_stats_case_once() could not set the state up: no verdict either way */
#define STATS_AGAIN	(-1)
#define STATS_TRIES	3

static int run_stats_case_once(const struct stats_case *sc)
{
	struct memcg root = {}, parent = {}, child = {}, sib = {};
	struct stats_arg a = { .sib = &sib };
	int ready[2] = { -1, -1 }, go[2] = { -1, -1 }, ret = KSFT_FAIL, c_status = 0;
	long moved, after = -1, waited, folios, base, before, reparent0, keep, t0, moved_ms;
	char c, old[16];
	const char *restore;
	pid_t pid = -1;

	if (!sc->dir || memcg_root(&root, 1))
		return KSFT_SKIP;
	restore = recharge_off(old, sizeof(old));
	base = memcg_dying_baseline(&root);
	snprintf(a.file, sizeof(a.file), "%s/%s.%d", sc->dir, sc->name, getpid());
	if (sc->prepare && (file_fill(a.file, sc->prepare) || file_drop_cache(a.file))) {
		ksft_print_msg("cannot prepare %s\n", a.file);
		goto out;
	}
	if (memcg_create(&parent, &root, sc->name) || memcg_create(&child, &parent, "child") ||
	    memcg_create(&sib, &parent, "sib") || pipe(ready) || pipe(go))
		goto out;
	a.ready = ready[1];
	a.go = go[0];
	pid = memcg_spawn(&child, sc->fn, &a);
	/* the task's ends: a task that fails then closes the last of them */
	close(ready[1]);
	close(go[0]);
	ready[1] = go[0] = -1;
	if (pid < 0 || read(ready[0], &c, 1) != 1) {
		if (pid > 0)
			waitpid(pid, &c_status, 0);
		pid = -1;
		if (WIFEXITED(c_status) && WEXITSTATUS(c_status) == KSFT_SKIP) {
			ksft_print_msg("%s: the task found nothing to test (no THPs, say)\n",
				       sc->name);
			ret = KSFT_SKIP;
			goto out;
		}
		ksft_print_msg("the task of the child could not set up (status %d)\n",
			       c_status);
		goto out;
	}
	/* v1 has no memcg_reparent in memory.stat: /proc/vmstat's, before and after */
	reparent0 = proc_vmstat("memcg_reparent");
	before = memcg_stat(&child, NULL, sc->key);
	t0 = now_ms();
	if (before < sc->min_before) {
		/* the state to move is not there (the writeback ended already) */
		ksft_print_msg("%s: the child has %ld KiB of %s, the case needs %ld KiB\n",
			       sc->name, before >> 10, sc->key, sc->min_before >> 10);
		ret = STATS_AGAIN;
		goto out;
	}
	if (memcg_remove(&child) ||
	    memcg_wait_dying(&root, base, SETTLE_TIMEOUT_MS, &waited) > base) {
		ksft_print_msg("the child stays dying: not reparented\n");
		goto out;
	}
	poll_until(moved_ok(sc, moved = memcg_stat(&parent, NULL, sc->key), before,
			    now_ms() - t0), 10000, waited);
	moved_ms = now_ms() - t0;
	folios = reparent0 < 0 ? 0 : proc_vmstat("memcg_reparent") - reparent0;
	if (write(go[1], &c, 1) != 1 || !pid_exited_ok(pid)) {
		ksft_print_msg("the task of the child failed\n");
		goto out;
	}
	pid = -1;
	keep = sc->keep == KEEP_BEFORE ? before : sc->keep;
	ksft_print_msg("%s: child's %s %ld KiB; %ld folios reparented; parent's %ld KiB %ld ms later\n",
		       sc->name, sc->key, before >> 10, folios, moved >> 10, moved_ms);
	poll_until((after = memcg_stat(&parent, NULL, sc->key)) <= keep, 10000, waited);
	ksft_print_msg("%s: parent's %s %ld KiB once let go (%ld ms)\n",
		       sc->name, sc->key, after >> 10, waited);
	if (!moved_ok(sc, moved, before, moved_ms)) {
		ksft_print_msg("the parent got %ld KiB of %s, the child had %ld KiB (the sibling has %ld KiB; memcg_reparent_deferred %ld, _stalled %ld, dying %ld of %ld)\n",
			       moved >> 10, sc->key, before >> 10,
			       memcg_stat(&sib, NULL, sc->key) >> 10,
			       proc_vmstat("memcg_reparent_deferred"),
			       proc_vmstat("memcg_reparent_stalled"),
			       memcg_dying_baseline(&root), base);
		goto out;
	}
	if (folios < sc->min_folios) {
		ksft_print_msg("nothing reached the parent: the case proves nothing\n");
		goto out;
	}
	if (after > keep) {
		ksft_print_msg("the parent keeps %ld bytes of %s, at most %ld are its own\n",
			       after, sc->key, keep);
		goto out;
	}
	ret = KSFT_PASS;
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	unlink(a.file);
	memcg_destroy(&sib);
	memcg_destroy(&child);
	memcg_destroy(&parent);
	if (restore)
		file_write(RECHARGE_SYSCTL, restore);
	return ret;
}

/*
 * A case whose task could not bring the child to the state it tests is run
 * again: that says nothing of the kernel.  The writeback case met it in 11
 * of 18 tries, the writeback over before the child was read, until the
 * guest's init bounded the slow disk's requests (QEMU's throttle passes a
 * whole request once its bucket drained).  A wrong figure once the state
 * was there fails at once.
 */
static int run_stats_case(const struct stats_case *sc)
{
	int i, ret = KSFT_FAIL;

	for (i = 0; i < STATS_TRIES; i++) {
		ret = run_stats_case_once(sc);
		if (ret != STATS_AGAIN)
			return ret;
	}
	ksft_print_msg("%s: no state to test in %d tries\n", sc->name, STATS_TRIES);
	return KSFT_FAIL;
}

static int test_reparent_partial_thp_stats_v1(void)
{
	/* at least half of the THPs; "rss" is v1's local NR_ANON_MAPPED */
	const struct stats_case sc = {
		.fn = partial_thp, .name = "reparent_thp_stats", .key = "rss",
		.min_folios = THP_AREA / THP_SIZE / 2, .min_before = THP_AREA / 2,
		.keep = 0, .dir = scratch,
	};

	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK))
		return KSFT_SKIP;
	return run_stats_case(&sc);
}

static int test_reparent_truncated_stats_v1(void)
{
	/*
	 * In no page cache: v1's local "cache" (NR_FILE_PAGES) must not get
	 * them; the child's own cache (a directory page, say) stays.
	 */
	const struct stats_case sc = {
		.fn = truncated_cache, .name = "reparent_trunc_stats", .key = "cache",
		.min_folios = SPLICE_SIZE / PAGE / 2, .keep = KEEP_BEFORE, .dir = scratch,
	};

	return run_stats_case(&sc);
}

static int test_reparent_dirty_stats_v1(void)
{
	/* "dirty" is NR_FILE_DIRTY; a page of ext4 metadata may stay dirty */
	const struct stats_case sc = {
		.fn = dirty_cache, .name = "reparent_dirty_stats", .key = "dirty",
		.min_folios = DIRTY_SIZE / PAGE / 2, .min_before = DIRTY_SIZE / 2,
		.keep = 64 * 1024,
		.dir = scratch, .prepare = DIRTY_SIZE,
	};

	return run_stats_case(&sc);
}

static int test_reparent_writeback_stats_v1(void)
{
	/* "writeback" is NR_WRITEBACK; SLOW is the throttled disk's mount */
	const struct stats_case sc = {
		.fn = writeback_cache, .name = "reparent_wb_stats", .key = "writeback",
		.min_folios = WB_SIZE / PAGE / 4, .min_before = WB_SIZE / 4,
		.keep = 0, .draining = true,
		.dir = getenv("SLOW"), .prepare = WB_SIZE,
	};

	return run_stats_case(&sc);
}

#define T(x) { x, #x }
static const struct {
	int (*fn)(void);
	const char *name;
} tests[] = {
	T(test_recharge_ancestor_at_limit_v2),
	T(test_recharge_adopter_no_oom_v2),
	T(test_recharge_delegated_storm_v2),
	T(test_recharge_mapped_owner_v2),
	T(test_reparent_partial_thp_stats_v1),
	T(test_reparent_truncated_stats_v1),
	T(test_reparent_dirty_stats_v1),
	T(test_reparent_writeback_stats_v1),
};
#undef T

int main(int argc, char **argv)
{
	size_t i;

	snprintf(scratch, sizeof(scratch), "%s", getenv("SCRATCH") ?: "/tmp");
	/* a case that hangs and is killed still leaves the lines before it */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(tests));
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		switch (tests[i].fn()) {
		case KSFT_PASS:
			ksft_test_result_pass("%s\n", tests[i].name);
			break;
		case KSFT_SKIP:
			ksft_test_result_skip("%s: no recharging in this kernel, or no cgroup hierarchy\n",
					      tests[i].name);
			break;
		default:
			ksft_test_result_fail("%s\n", tests[i].name);
			break;
		}
	}
	ksft_finished();
}
