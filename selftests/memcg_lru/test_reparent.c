// SPDX-License-Identifier: GPL-2.0
/*
 * Reparenting of a dying memcg's LRU folios: after rmdir, the folios a
 * removed memcg still charges (page cache, tmpfs, mapped files, swapped-out
 * shmem) move to the nearest online ancestor within a second or two, with
 * no memory pressure and no drop_caches, so the dying memcg is freed.  The
 * data stays cached, and the ancestor's statistics and charges account for
 * it.  On a kernel without reparenting (the unpatched base) the removed
 * memcg stays dying as long as its page cache lives: the basic and nested
 * cases fail there, which is their point.
 *
 * The memcg whose dying count is watched:
 *   cgroup v2: the test parent's cgroup.stat nr_dying_descendants
 *   cgroup v1: no cgroup.stat; num_cgroups of the memory controller in
 *              /proc/cgroups minus the live v1 memory cgroups (the whole
 *              hierarchy, against a baseline taken just before the rmdir)
 *
 * Counters of the series: memcg_reparent (folios moved), memcg_reparent_swap
 * (swap records moved), read from the parent's memory.stat, or from
 * /proc/vmstat when memory.stat lacks them (v1); this test is alone in the
 * guest while it runs.  The binary runs on whichever hierarchy has the
 * memory controller (v2, or v1 with memcg_lru.cgroup=v1).  The recharge
 * case skips on a kernel without /proc/sys/vm/memcg_recharge, the THP case
 * without transparent hugepages, the swap race without swap or without the
 * test module's reparent_swap_delay_ms.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "cgroup_util.h"
#include "memcg_lru_util.h"

#define RECHARGE_SYSCTL	"/proc/sys/vm/memcg_recharge"
#define SHM_DIR		"/dev/shm"

/* The scene's files: who writes them, where, how much. */
enum { F_CACHE, F_TMPFS, F_SHARED, F_SWAP, NR_FILES };
static const char * const file_name[NR_FILES] = { "cache", "tmpfs", "shared", "swap" };
static const long file_mb[NR_FILES] = { 32, 16, 8, 16 };

/* A counter of the series, from memory.stat or, lacking it, /proc/vmstat. */
struct counter {
	const char *key;
	int global;
	long before;
};

static long counter_read(const struct memcg *cg, struct counter *c)
{
	return c->global ? proc_vmstat(c->key) : memcg_counter(cg, c->key);
}

static void counter_start(const struct memcg *cg, struct counter *c, const char *key)
{
	c->key = key;
	c->global = memcg_counter(cg, key) < 0;
	c->before = counter_read(cg, c);
}

/* Increase since counter_start(), or -1 when the kernel has no such counter. */
static long counter_delta(const struct memcg *cg, struct counter *c)
{
	long now = counter_read(cg, c);

	return c->before < 0 || now < 0 ? -1 : now - c->before;
}

/*
 * The basic scene:
 *
 *   parent
 *   |-- child     writes $SCRATCH/cache (32M, page cache), /dev/shm/tmpfs
 *   |             (16M), $SCRATCH/shared (8M) and /dev/shm/swap (16M,
 *   |             pushed to swap with memory.reclaim, or on v1 by shrinking
 *   |             memory.limit_in_bytes); its processes have all exited
 *   `-- sibling   a process that mmaps $SCRATCH/shared and keeps it mapped
 */
struct scene {
	struct memcg parent, child, sibling;
	char path[NR_FILES][PATH_MAX];
	pid_t mapper;
	long resident[NR_FILES];	/* pages, before the rmdir */
	long swapped;			/* bytes the child had in swap */
};

static int populate(void *arg)
{
	struct scene *s = arg;
	int i;

	for (i = F_CACHE; i <= F_SHARED; i++)
		if (file_fill(s->path[i], file_mb[i] << 20))
			return 1;
	return 0;
}

static int fill_swap(void *arg)
{
	struct scene *s = arg;

	return file_fill(s->path[F_SWAP], file_mb[F_SWAP] << 20) ? 1 : 0;
}

static int mapper_pipe[2];

/* Map the shared file, fault in every page, say so, and stay. */
static int mapper(void *arg)
{
	long page = sysconf(_SC_PAGESIZE), i, sum = 0;
	const char *path = arg;
	char *map;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		return 1;
	map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return 1;
	for (i = 0; i < st.st_size; i += page)
		sum += map[i];
	if (write(mapper_pipe[1], sum ? "r" : "0", 1) != 1)
		return 1;
	for (;;)
		pause();
}

static int start_mapper(struct scene *s)
{
	char c;

	if (pipe(mapper_pipe))
		return -1;
	s->mapper = memcg_spawn(&s->sibling, mapper, s->path[F_SHARED]);
	close(mapper_pipe[1]);
	if (read(mapper_pipe[0], &c, 1) != 1) {
		ksft_print_msg("the sibling could not map %s\n", s->path[F_SHARED]);
		close(mapper_pipe[0]);
		return -1;
	}
	close(mapper_pipe[0]);
	return 0;
}

/*
 * Push the child's tmpfs file to swap.  Returns the bytes the child has in
 * swap (0 when the guest has no swap), or -1 when swap exists but nothing
 * could be pushed there.
 */
static long push_to_swap(struct scene *s)
{
	long want = (file_mb[F_SWAP] << 20) / 2, swapped = 0;
	int i;

	if (!is_swap_enabled() || memcg_swap_bytes(&s->child) < 0) {
		ksft_print_msg("no swap (device or swap accounting): swap part skipped\n");
		return 0;
	}
	for (i = 0; i < 10 && swapped < want; i++) {
		if (s->child.v1) {
			/* EBUSY when it cannot get below: fine, swap is checked */
			memcg_set_limit(&s->child, 2L << 20);
			cg_write(s->child.path, "memory.limit_in_bytes", "-1");
		} else {
			cg_write(s->child.path, "memory.reclaim", "32M");
		}
		swapped = memcg_swap_bytes(&s->child);
	}
	ksft_print_msg("pushed %ld KiB of the child's shmem to swap\n", swapped >> 10);
	if (swapped < want) {
		ksft_print_msg("could not push the child's shmem to swap\n");
		return -1;
	}
	return swapped;
}

static int scene_setup(struct scene *s, const struct memcg *root, const char *name)
{
	const char *scratch = getenv("SCRATCH") ?: "/tmp";
	struct statfs sfs;
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < NR_FILES; i++)
		snprintf(s->path[i], PATH_MAX, "%s/%s.%s",
			 i == F_TMPFS || i == F_SWAP ? SHM_DIR : scratch, name, file_name[i]);
	if (statfs(SHM_DIR, &sfs) || sfs.f_type != TMPFS_MAGIC) {
		ksft_print_msg("%s is not tmpfs\n", SHM_DIR);
		return -1;
	}
	if (memcg_create(&s->parent, root, name) ||
	    memcg_create(&s->child, &s->parent, "child") ||
	    memcg_create(&s->sibling, &s->parent, "sibling"))
		return -1;
	/* Swap first, while the child holds nothing but that shmem. */
	if (!pid_exited_ok(memcg_spawn(&s->child, fill_swap, s)))
		return -1;
	s->swapped = push_to_swap(s);
	if (s->swapped < 0)
		return -1;
	if (!pid_exited_ok(memcg_spawn(&s->child, populate, s))) {
		ksft_print_msg("populating the child failed\n");
		return -1;
	}
	return start_mapper(s);
}

static void scene_teardown(struct scene *s)
{
	int i;

	if (s->mapper > 0) {
		kill(s->mapper, SIGKILL);
		waitpid(s->mapper, NULL, 0);
	}
	memcg_destroy(&s->child);
	memcg_destroy(&s->sibling);
	memcg_destroy(&s->parent);
	for (i = 0; i < NR_FILES; i++)
		if (s->path[i][0])
			unlink(s->path[i]);
}

static long wait_s(void)
{
	return getenv_long("REPARENT_WAIT_S", 10);
}

/* Wait for the removed memcgs under cg to be freed; 0 if they were. */
static int wait_freed(const struct memcg *cg, long dying0, const char *what)
{
	long waited, dying;

	dying = memcg_wait_dying(cg, dying0, wait_s() * 1000, &waited);
	if (dying < 0 || dying > dying0) {
		ksft_print_msg("%s: %ld dying memcg(s) %s %ld ms later (baseline %ld)\n",
			       what, dying, cg->v1 ? "in the v1 hierarchy" : "under the parent",
			       waited, dying0);
		ksft_print_msg("not reparented: dying memcgs stay (as on the base kernel)\n");
		return -1;
	}
	ksft_print_msg("%s: dying memcgs back to %ld in %ld ms\n", what, dying, waited);
	return 0;
}

static void print_module_view(void)
{
	long pages, memcgs;

	if (!mlt_reparent_check(&pages, &memcgs))
		ksft_print_msg("module: offline_lru_pages %ld offline_memcgs %ld\n",
			       pages, memcgs);
}

/* Every file at least as resident as before; the total resident pages. */
static long check_resident(char (*path)[PATH_MAX], const long *before, int nr)
{
	long after, total = 0;
	int i, bad = 0;

	for (i = 0; i < nr; i++) {
		after = file_resident_pages(path[i]);
		if (after < before[i]) {
			ksft_print_msg("%s: %ld pages resident before the rmdir, %ld after\n",
				       path[i], before[i], after);
			bad = 1;
		}
		total += before[i];
	}
	return bad ? -1 : total;
}

/* "+N", or "missing" for a counter this kernel does not have. */
static const char *delta_str(long delta, char *buf, size_t size)
{
	if (delta < 0)
		snprintf(buf, size, "missing");
	else
		snprintf(buf, size, "+%ld", delta);
	return buf;
}

/*
 * The parent's statistics hold the child's resident data: file, shmem and
 * the mapped file in memory.stat (5% slack: memory.stat is flushed lazily),
 * memory.current, and the child's swap.  0 if so.
 */
static int scene_check_parent(struct scene *s, long pages, long child_swap)
{
	long shm_pages = s->resident[F_TMPFS] + s->resident[F_SWAP];
	long file, shmem, mapped, swap, usage;
	int ret = 0;

	file = memcg_file_bytes(&s->parent);
	shmem = memcg_shmem_bytes(&s->parent);
	mapped = memcg_stat(&s->parent, "file_mapped", "total_mapped_file");
	swap = child_swap ? memcg_swap_bytes(&s->parent) : 0;
	usage = memcg_usage(&s->parent);
	ksft_print_msg("resident %ld pages (shmem %ld, mapped %ld), child swap %ld KiB\n",
		       pages, shm_pages, s->resident[F_SHARED], child_swap >> 10);
	ksft_print_msg("parent KiB: file %ld, shmem %ld, mapped %ld, swap %ld, current %ld\n",
		       file >> 10, shmem >> 10, mapped >> 10, swap >> 10, usage >> 10);
	if (file < pages * PAGE_SIZE * 95 / 100 || shmem < shm_pages * PAGE_SIZE * 95 / 100 ||
	    mapped < s->resident[F_SHARED] * PAGE_SIZE * 95 / 100) {
		ksft_print_msg("the parent's memory.stat misses the reparented page cache\n");
		ret = -1;
	}
	if (usage < pages * PAGE_SIZE) {
		ksft_print_msg("the parent's charge does not cover the reparented data\n");
		ret = -1;
	}
	if (swap < child_swap * 90 / 100) {
		ksft_print_msg("the parent's swap counter misses the child's swap\n");
		ret = -1;
	}
	return ret;
}

static int verify_swapped(void *arg)
{
	struct scene *s = arg;
	static char buf[1 << 16];
	ssize_t len, i;
	int fd;

	fd = open(s->path[F_SWAP], O_RDONLY);
	if (fd < 0)
		return 1;
	while ((len = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < len; i++)
			if (buf[i] != 0x5a)
				return 1;
	return len ? 1 : 0;
}

/*
 * Read the swapped-out file back from a task of the sibling: the data is
 * intact, and freeing the swap entries the parent now owns empties the
 * parent's swap counter.  0 if so.
 */
static int scene_check_swapin(struct scene *s, long child_swap)
{
	long swap;

	if (!pid_exited_ok(memcg_spawn(&s->sibling, verify_swapped, s))) {
		ksft_print_msg("%s: the data read back from swap is wrong\n", s->path[F_SWAP]);
		return -1;
	}
	swap = memcg_swap_bytes(&s->parent);
	ksft_print_msg("swapped in: parent swap %ld KiB (was %ld KiB)\n",
		       swap >> 10, child_swap >> 10);
	if (swap > child_swap / 10) {
		ksft_print_msg("swap entries stayed charged after swap-in\n");
		return -1;
	}
	return 0;
}

/*
 * rmdir the child of a populated scene and check what the parent got:
 * the child is freed, the data is still cached and charged to the parent,
 * and the counters say the folios and swap records were moved.
 */
static int scene_reparent(struct scene *s)
{
	struct counter reparent, reparent_swap, reparent_deferred;
	long dying0, drop0, pages, child_swap, moved, moved_swap;
	char d1[32], d2[32], d3[32];
	int i, ret;

	for (i = 0; i < NR_FILES; i++)
		s->resident[i] = file_resident_pages(s->path[i]);
	child_swap = s->swapped ? memcg_swap_bytes(&s->child) : 0;
	dying0 = memcg_dying_baseline(&s->parent);
	drop0 = proc_vmstat("drop_pagecache");
	counter_start(&s->parent, &reparent, "memcg_reparent");
	counter_start(&s->parent, &reparent_swap, "memcg_reparent_swap");
	counter_start(&s->parent, &reparent_deferred, "memcg_reparent_deferred");

	if (memcg_remove(&s->child))
		return -1;
	/* On failure, go on: the figures below tell what did happen. */
	ret = wait_freed(&s->parent, dying0, "rmdir child");

	if (proc_vmstat("drop_pagecache") != drop0) {
		ksft_print_msg("drop_caches was used during the test\n");
		ret = -1;
	}
	pages = check_resident(s->path, s->resident, NR_FILES);
	if (pages < 0 || scene_check_parent(s, pages, child_swap))
		ret = -1;

	moved = counter_delta(&s->parent, &reparent);
	moved_swap = counter_delta(&s->parent, &reparent_swap);
	ksft_print_msg("%s: memcg_reparent %s (want >= %ld), memcg_reparent_swap %s (>= %ld)\n",
		       reparent.global ? "/proc/vmstat" : "memory.stat",
		       delta_str(moved, d1, sizeof(d1)), pages,
		       delta_str(moved_swap, d2, sizeof(d2)), child_swap / PAGE_SIZE * 90 / 100);
	ksft_print_msg("memcg_reparent_deferred %s\n",
		       delta_str(counter_delta(&s->parent, &reparent_deferred), d3, sizeof(d3)));
	if (moved < pages) {
		ksft_print_msg("memcg_reparent did not count the cached folios\n");
		ret = -1;
	}
	if (moved_swap < child_swap / PAGE_SIZE * 90 / 100) {
		ksft_print_msg("memcg_reparent_swap did not count the swapped pages\n");
		ret = -1;
	}
	print_module_view();
	if (child_swap && scene_check_swapin(s, child_swap))
		ret = -1;
	return ret;
}

/*
 * The basic scene (see struct scene): rmdir the child.  Within
 * REPARENT_WAIT_S (default 10) s the parent has no dying descendant; no
 * drop_caches was used; the child's files are as resident as before
 * (mincore); the parent's memory.stat file, shmem and file_mapped (and its
 * swap counter) hold them and its memory.current covers them;
 * memcg_reparent rose by at least the folios cached and memcg_reparent_swap
 * by the swapped pages.  Finally a sibling task reads the swapped file
 * back: the data is intact and the parent's swap charge drains.
 */
static int test_reparent_basic(const struct memcg *root)
{
	int ret = KSFT_FAIL;
	struct scene s;

	if (scene_setup(&s, root, "reparent_basic"))
		goto cleanup;
	if (scene_reparent(&s))
		goto cleanup;
	ret = KSFT_PASS;
cleanup:
	scene_teardown(&s);
	return ret;
}

static int populate_nested(void *arg)
{
	char (*path)[PATH_MAX] = arg;

	if (file_fill(path[0], 16L << 20) || file_fill(path[1], 8L << 20))
		return 1;
	return 0;
}

/*
 *   A
 *   `-- B
 *       `-- C   16M of page cache on $SCRATCH, 8M of tmpfs
 *
 * rmdir C, then at once B: C's folios may be moved while B is already
 * offline, and must then go to A.  A ends with no dying descendant, the
 * files as resident as before, charged to A and counted in its stats.
 */
static int test_reparent_nested(const struct memcg *root)
{
	const char *scratch = getenv("SCRATCH") ?: "/tmp";
	struct memcg a = {}, b = {}, c = {};
	char path[2][PATH_MAX];
	long resident[2], dying0, pages, file, usage, moved;
	struct counter reparent;
	int ret = KSFT_FAIL, freed;
	char d1[32];

	snprintf(path[0], PATH_MAX, "%s/reparent_nested.cache", scratch);
	snprintf(path[1], PATH_MAX, "%s/reparent_nested.tmpfs", SHM_DIR);
	if (memcg_create(&a, root, "reparent_nested") || memcg_create(&b, &a, "B") ||
	    memcg_create(&c, &b, "C"))
		goto cleanup;
	if (!pid_exited_ok(memcg_spawn(&c, populate_nested, path)))
		goto cleanup;
	resident[0] = file_resident_pages(path[0]);
	resident[1] = file_resident_pages(path[1]);
	dying0 = memcg_dying_baseline(&a);
	counter_start(&a, &reparent, "memcg_reparent");
	if (memcg_remove(&c) || memcg_remove(&b))
		goto cleanup;
	/* On failure, go on: the figures below tell what did happen. */
	freed = !wait_freed(&a, dying0, "rmdir C, B");

	pages = check_resident(path, resident, 2);
	file = memcg_file_bytes(&a);
	usage = memcg_usage(&a);
	moved = counter_delta(&a, &reparent);
	ksft_print_msg("A: file %ld KiB, current %ld KiB; resident %ld pages; memcg_reparent %s\n",
		       file >> 10, usage >> 10, pages, delta_str(moved, d1, sizeof(d1)));
	if (pages < 0)
		goto cleanup;
	if (file < pages * PAGE_SIZE * 95 / 100 || usage < pages * PAGE_SIZE) {
		ksft_print_msg("A does not hold C's pages\n");
		goto cleanup;
	}
	if (moved < pages) {
		ksft_print_msg("memcg_reparent did not count C's folios\n");
		goto cleanup;
	}
	if (freed)
		ret = KSFT_PASS;
cleanup:
	print_module_view();
	memcg_destroy(&c);
	memcg_destroy(&b);
	memcg_destroy(&a);
	unlink(path[0]);
	unlink(path[1]);
	return ret;
}

/*
 * Read and dirty every page, write the files back, and read them again:
 * dirty page cache and page cache under writeback is not recharged (it
 * counts in the writeback domain of the memcg that writes it back), so the
 * read after the fsync() is the touch that recharges it.
 */
static int touch_files(void *arg)
{
	struct scene *s = arg;
	int i;

	for (i = F_CACHE; i <= F_SHARED; i++) {
		if (file_touch_dirty(s->path[i]))
			return 1;
		if (file_sync(s->path[i]) || file_read_all(s->path[i]))
			return 2;
	}
	return 0;
}

#define OFF_PASSES	3	/* touches of every page with the sysctl at 0 */

static int touch_files_off(void *arg)
{
	int i;

	for (i = 0; i < OFF_PASSES; i++)
		if (touch_files(arg))
			return 1;
	return 0;
}

/*
 * Let a task of the sibling read and dirty the files; its charge growth
 * once it reached want, or after timeout_ms.  *took_ms: how long it took.
 */
static int read_files(void *arg)
{
	struct scene *s = arg;
	int i;

	for (i = F_CACHE; i <= F_SHARED; i++)
		if (file_read_all(s->path[i]))
			return 1;
	return 0;
}

/*
 * A full per-CPU queue drops touches (a later touch makes up for them), so
 * after the first touch, read the files again while the sibling still grows,
 * until it reached want, stopped growing or timeout_ms passed.  The rate is
 * the guest's: under TCG a pass over the files and the recharge worker's
 * catching up take seconds, so timeout_ms is a bound for a hang, not the
 * pace (on v1, runs reached 82-88% of the files in 10 s, and one in nine
 * fell below the 75% the case needs).
 * *took_ms: how long it took, *passes: how many passes over the files.
 */
static long sibling_touch(struct scene *s, long want, long timeout_ms, long *took_ms,
			  int *passes)
{
	long before = memcg_usage(&s->sibling), growth = -1, last = -1, start = now_ms(), w = 0;
	int (*fn)(void *) = touch_files;

	*passes = 0;
	while (now_ms() - start < timeout_ms) {
		if (!pid_exited_ok(memcg_spawn(&s->sibling, fn, s)))
			return -1;
		fn = read_files;
		++*passes;
		if (poll_until((growth = memcg_usage(&s->sibling) - before) >= want, 2000, w) ||
		    growth == last)
			break;
		last = growth;
	}
	(void)w;	/* each poll's own wait: the whole is took_ms */
	*took_ms = now_ms() - start;
	return growth;
}

/*
 * With the sysctl at 0: a task of the sibling touches every page of the
 * files OFF_PASSES times (the "on" phase recharges after one), and the test
 * watches for watch_ms more once it is done, the time the "on" phase is
 * given to see its recharge.  Stops early when the sibling grows by more
 * than limit or memcg_recharge rises.  0 and the sibling's growth in
 * *growth, which can be a page or two below 0 (the sibling's own memory
 * freed meanwhile), or -1 if the toucher failed.
 */
static int sibling_watch_off(struct scene *s, long limit, long watch_ms, long *growth,
			     long *recharged, long *watched_ms)
{
	long before = memcg_usage(&s->sibling), rc0 = proc_vmstat("memcg_recharge");
	long start = now_ms(), done_at = -1;
	int status, ok = 1, seen = 0;
	pid_t pid;

	pid = memcg_spawn(&s->sibling, touch_files_off, s);
	if (pid < 0)
		return -1;
	for (;;) {
		*growth = memcg_usage(&s->sibling) - before;
		*recharged = rc0 < 0 ? 0 : proc_vmstat("memcg_recharge") - rc0;
		seen = *growth > limit || *recharged > 0;
		if (seen)
			break;
		if (done_at < 0 && waitpid(pid, &status, WNOHANG) == pid) {
			ok = WIFEXITED(status) && !WEXITSTATUS(status);
			done_at = now_ms();
		}
		if (done_at >= 0 && now_ms() - done_at >= watch_ms)
			break;
		usleep(POLL_MS * 1000);
	}
	if (done_at < 0) {
		/* a recharge was seen before the touching was over: enough */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	*watched_ms = now_ms() - start;
	/* the toucher's own failure only counts when nothing was seen */
	return seen || ok ? 0 : -1;
}

/*
 * Deferred recharging (/proc/sys/vm/memcg_recharge): garbage written to
 * the sysctl gets EINVAL and changes nothing; 0 and 1 are taken.  After
 * the basic scene, a task of the sibling reads and rewrites every page of
 * the reparented files (the cache, tmpfs and shared files).  With the
 * sysctl at 0 it does so three times, and the test goes on watching for
 * REPARENT_WAIT_S after that (at 1, a single pass recharges most of the
 * files in less): the sibling's charge does not grow and memcg_recharge
 * does not rise.  At 1, after one such pass and rereads while it grows, the
 * sibling grows by about what was touched (the folios fit, the sibling has
 * no limit), and the parent's total does not change: the charge moved, it
 * was not doubled.
 */
static int test_reparent_recharge(const struct memcg *root)
{
	/* "\n" is what echo "" writes; "" a zero-length write(), a no-op at most */
	static const char * const bad[] = { "2", "abc", "", "\n", "-1" };
	long orig, touched, growth = 0, par0, par1, recharged = 0, watched = 0, took = 0;
	int ret = KSFT_FAIL, passes, err;
	char val[32];
	struct scene s;

	memset(&s, 0, sizeof(s));
	if (access(RECHARGE_SYSCTL, F_OK)) {
		ksft_print_msg("no %s: kernel without deferred recharging\n", RECHARGE_SYSCTL);
		return KSFT_SKIP;
	}
	orig = file_read_long(RECHARGE_SYSCTL);
	if (orig < 0 || sysctl_expect_rejected(RECHARGE_SYSCTL, bad, ARRAY_SIZE(bad)))
		return KSFT_FAIL;
	if (file_write(RECHARGE_SYSCTL, "0") || file_read_long(RECHARGE_SYSCTL) != 0 ||
	    file_write(RECHARGE_SYSCTL, "1\n") || file_read_long(RECHARGE_SYSCTL) != 1) {
		ksft_print_msg("%s does not take 0 and 1\n", RECHARGE_SYSCTL);
		goto cleanup;
	}

	/*
	 * Off from the start: with the sysctl at 1 the offline queues the
	 * sibling's mapped folios for recharging, and the worker may still be
	 * at it when the watch below begins.
	 */
	if (file_write(RECHARGE_SYSCTL, "0"))
		goto cleanup;
	if (scene_setup(&s, root, "reparent_recharge") || scene_reparent(&s)) {
		ksft_print_msg("recharging needs the basic scene reparented first\n");
		goto cleanup;
	}
	touched = (file_mb[F_CACHE] + file_mb[F_TMPFS] + file_mb[F_SHARED]) << 20;
	par0 = memcg_usage(&s.parent);
	err = sibling_watch_off(&s, touched / 10, wait_s() * 1000, &growth, &recharged,
				&watched);
	ksft_print_msg("memcg_recharge=0: sibling grew %ld KiB touching %ld KiB %d times, memcg_recharge +%ld, in %ld ms\n",
		       growth >> 10, touched >> 10, OFF_PASSES, recharged, watched);
	if (err) {
		ksft_print_msg("the sibling's task could not touch the files\n");
		goto cleanup;
	}
	if (growth > touched / 10 || recharged > 0) {
		ksft_print_msg("recharged although memcg_recharge is 0\n");
		goto cleanup;
	}

	if (file_write(RECHARGE_SYSCTL, "1"))
		goto cleanup;
	growth = sibling_touch(&s, touched * 90 / 100, 6 * wait_s() * 1000, &took, &passes);
	par1 = memcg_usage(&s.parent);
	ksft_print_msg("memcg_recharge=1: sibling grew %ld KiB touching %ld KiB once and reading it %d more times, in %ld ms\n",
		       growth >> 10, touched >> 10, passes - 1, took);
	ksft_print_msg("parent %ld -> %ld KiB; memcg_recharge %ld, memcg_recharge_fail %ld\n",
		       par0 >> 10, par1 >> 10, proc_vmstat("memcg_recharge"),
		       proc_vmstat("memcg_recharge_fail"));
	if (growth < touched * 75 / 100 || growth > touched + (8L << 20)) {
		ksft_print_msg("the sibling was not recharged with what it touched\n");
		goto cleanup;
	}
	if (!values_close(par0, par1, 5)) {
		ksft_print_msg("the parent's charge changed: recharging must move, not add\n");
		goto cleanup;
	}
	ret = KSFT_PASS;
cleanup:
	scene_teardown(&s);
	snprintf(val, sizeof(val), "%ld", orig);
	if (file_write(RECHARGE_SYSCTL, val))
		ret = KSFT_FAIL;
	return ret;
}

#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define THP_SIZE	(2L << 20)
#define THP_AREA	(64L << 20)

/* A task of the THP case and the pipes it talks to the test through. */
struct thp_task {
	const struct memcg *sibling;
	int to_test[2], to_task[2];
};

/*
 * In the child memcg: map THP_AREA of MADV_HUGEPAGE anon memory, touch it,
 * and tell the test how much of it is in THPs (kB); then unmap 4 KiB of
 * every 2 MiB, which queues each THP for deferred splitting, move to the
 * sibling and say so; wait for the test, unmap everything and exit.
 */
static int thp_task_fn(void *arg)
{
	struct thp_task *t = arg;
	long page = sysconf(_SC_PAGESIZE), thp_kb, off;
	char *map, *area, c = 0;
	char pid[16];

	map = mmap(NULL, THP_AREA + THP_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return 1;
	area = (char *)(((unsigned long)map + THP_SIZE - 1) & ~(THP_SIZE - 1));
	if (madvise(area, THP_AREA, MADV_HUGEPAGE))
		return 1;
	for (off = 0; off < THP_AREA; off += page)
		area[off] = 0x5a;
	thp_kb = file_key_long("/proc/self/smaps_rollup", "AnonHugePages");
	if (write(t->to_test[1], &thp_kb, sizeof(thp_kb)) != sizeof(thp_kb))
		return 1;
	/* a page in the middle: the PMD is split, the THP partly mapped */
	for (off = 0; off < THP_AREA; off += THP_SIZE)
		if (madvise(area + off + THP_SIZE / 2, page, MADV_DONTNEED))
			return 1;
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (cg_write((char *)t->sibling->path, "cgroup.procs", pid))
		return 1;
	if (write(t->to_test[1], &thp_kb, sizeof(thp_kb)) != sizeof(thp_kb))
		return 1;
	if (read(t->to_task[0], &c, 1) != 1)
		return 1;
	munmap(map, THP_AREA + THP_SIZE);
	return 0;
}

/* The THP counters of /proc/vmstat the case watches. */
enum { THP_DEFERRED, THP_SPLIT, THP_SPLIT_FAILED, NR_THP_COUNTERS };
static const char * const thp_counter_name[NR_THP_COUNTERS] = {
	"thp_deferred_split_page", "thp_split_page", "thp_split_page_failed",
};

static void thp_counters(long *val)
{
	int i;

	for (i = 0; i < NR_THP_COUNTERS; i++)
		val[i] = proc_vmstat(thp_counter_name[i]);
}

static void thp_print_delta(const char *when, const long *before)
{
	long now[NR_THP_COUNTERS];

	thp_counters(now);
	ksft_print_msg("%s: thp_deferred_split_page +%ld, thp_split_page +%ld, thp_split_page_failed +%ld\n",
		       when, now[THP_DEFERRED] - before[THP_DEFERRED],
		       now[THP_SPLIT] - before[THP_SPLIT],
		       now[THP_SPLIT_FAILED] - before[THP_SPLIT_FAILED]);
}

/*
 *   parent
 *   |-- child     a task maps 64M of MADV_HUGEPAGE anon memory, touches it,
 *   |             unmaps 4K of every 2M (thp_deferred_split_page rises:
 *   |             each THP is on the child's deferred split queue) and
 *   |             moves to the sibling, keeping the rest mapped
 *   `-- sibling
 *
 * rmdir the child and wait until it is freed: its THPs moved to the parent
 * on the LRU (and, with deferred recharging, on to the sibling, whose task
 * maps them), and must have moved to a deferred split queue that lives on
 * with them.  On v2, reclaim a little of the parent, which runs the deferred
 * split shrinker of the parent and the sibling over them.  Then the task
 * unmaps everything and exits, which frees the THPs (or what their split
 * left) and takes each off its queue.  With a stale queue (the freed
 * child's) that is a list_del corruption or a KASAN report, which fails the
 * run; here the parent's anon memory must be gone after the exit (the THPs
 * were split or freed, not leaked), and the THP counters are printed.
 * Skips when THP is off ("never") or no THP could be allocated.
 */
static int test_reparent_thp_deferred_split(const struct memcg *root)
{
	struct memcg parent = {}, child = {}, sibling = {};
	long thp_kb = 0, moved_kb = 0, before[NR_THP_COUNTERS], dying0, anon = -1, waited;
	struct thp_task t = { .sibling = &sibling, .to_test = { -1, -1 }, .to_task = { -1, -1 } };
	int ret = KSFT_FAIL, i;
	char buf[256];
	pid_t pid = -1;

	if (file_read(THP_ENABLED, buf, sizeof(buf)) < 0 ||
	    (!strstr(buf, "[always]") && !strstr(buf, "[madvise]"))) {
		ksft_print_msg("transparent hugepages unavailable (%s)\n", THP_ENABLED);
		return KSFT_SKIP;
	}
	thp_counters(before);
	for (i = 0; i < NR_THP_COUNTERS; i++) {
		if (before[i] < 0) {
			ksft_print_msg("no %s in /proc/vmstat\n", thp_counter_name[i]);
			return KSFT_SKIP;
		}
	}
	if (memcg_create(&parent, root, "reparent_thp") ||
	    memcg_create(&child, &parent, "child") ||
	    memcg_create(&sibling, &parent, "sibling"))
		goto cleanup;
	if (pipe(t.to_test) || pipe(t.to_task))
		goto cleanup;

	pid = memcg_spawn(&child, thp_task_fn, &t);
	if (pid < 0 || read(t.to_test[0], &thp_kb, sizeof(thp_kb)) != sizeof(thp_kb)) {
		ksft_print_msg("the task could not map and touch its memory\n");
		goto cleanup;
	}
	ksft_print_msg("the task has %ld kB of its %ld kB in THPs\n", thp_kb, THP_AREA >> 10);
	if (thp_kb < THP_SIZE >> 10) {
		ksft_print_msg("no THP could be allocated: nothing to test\n");
		ret = KSFT_SKIP;
		goto cleanup;
	}
	if (read(t.to_test[0], &moved_kb, sizeof(moved_kb)) != sizeof(moved_kb)) {
		ksft_print_msg("the task could not unmap parts or move to the sibling\n");
		goto cleanup;
	}
	thp_print_delta("partly unmapped", before);
	if (proc_vmstat(thp_counter_name[THP_DEFERRED]) - before[THP_DEFERRED] <
	    thp_kb / (THP_SIZE >> 10)) {
		ksft_print_msg("the THPs were not queued for deferred splitting\n");
		goto cleanup;
	}

	dying0 = memcg_dying_baseline(&parent);
	if (memcg_remove(&child))
		goto cleanup;
	if (wait_freed(&parent, dying0, "rmdir child"))
		goto cleanup;
	ksft_print_msg("parent: anon %ld kB, anon_thp %ld kB, current %ld kB\n",
		       memcg_stat(&parent, "anon", "total_rss") >> 10,
		       memcg_stat(&parent, "anon_thp", "total_rss_huge") >> 10,
		       memcg_usage(&parent) >> 10);
	print_module_view();

	/* the parent's deferred split shrinker over the reparented THPs */
	if (!parent.v1) {
		cg_write(parent.path, "memory.reclaim", "1M");
		thp_print_delta("after reclaiming 1M of the parent", before);
	}

	if (write(t.to_task[1], "x", 1) != 1 || !pid_exited_ok(pid)) {
		ksft_print_msg("the task failed to unmap its memory and exit\n");
		pid = -1;
		goto cleanup;
	}
	pid = -1;
	thp_print_delta("after the task exited", before);
	/* anything freed lazily (per-CPU batches) is gone soon */
	poll_until((anon = memcg_stat(&parent, "anon", "total_rss")) >= 0 && anon < (4L << 20),
		   SETTLE_TIMEOUT_MS, waited);
	ksft_print_msg("parent: anon %ld kB %ld ms after the exit\n", anon >> 10, waited);
	if (anon < 0 || anon >= (4L << 20)) {
		ksft_print_msg("the THPs were neither split nor freed\n");
		goto cleanup;
	}
	ret = KSFT_PASS;
cleanup:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	for (i = 0; i < 2; i++) {
		if (t.to_test[i] >= 0)
			close(t.to_test[i]);
		if (t.to_task[i] >= 0)
			close(t.to_task[i]);
	}
	memcg_destroy(&child);
	memcg_destroy(&sibling);
	memcg_destroy(&parent);
	return ret;
}

#define MLT_SWAP_DELAY	MLT_DIR "/reparent_swap_delay_ms"
#define SWAP_RACE_AREA	(32L << 20)
#define SWAP_RACE_DELAY_MS 3000

/* "delay_ms N waits W": W, or -1 */
static long swap_delay_waits(void)
{
	long waits = -1;
	char buf[128];

	if (file_read(MLT_SWAP_DELAY, buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "delay_ms %*u waits %ld", &waits) != 1)
		return -1;
	return waits;
}

static int swap_race_pipe[2];

/* Fill SWAP_RACE_AREA of anon memory, say so, and stay until killed. */
static int swap_race_task(void *arg)
{
	long page = sysconf(_SC_PAGESIZE), off;
	char *map;

	map = mmap(NULL, SWAP_RACE_AREA, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return 1;
	/* no THP: each page is swapped out on its own */
	madvise(map, SWAP_RACE_AREA, MADV_NOHUGEPAGE);
	for (off = 0; off < SWAP_RACE_AREA; off += page)
		memset(map + off, 0x5a, 64);
	if (write(swap_race_pipe[1], "r", 1) != 1)
		return 1;
	for (;;)
		pause();
}

/* Push cg's anon memory to swap; what cg has in swap then. */
static long swap_race_push(const struct memcg *cg)
{
	long swapped = 0;
	int i;

	for (i = 0; i < 10 && swapped < SWAP_RACE_AREA / 2; i++) {
		if (cg->v1) {
			/* EBUSY when it cannot get below: fine, swap is checked */
			memcg_set_limit(cg, 2L << 20);
			cg_write((char *)cg->path, "memory.limit_in_bytes", "-1");
		} else {
			cg_write((char *)cg->path, "memory.reclaim", "32M");
		}
		swapped = memcg_swap_bytes(cg);
	}
	return swapped;
}

/*
 *   parent
 *   |-- A
 *   |   `-- B   a task fills 32M of anon memory, which is pushed to swap;
 *   |           then the task moves to the sibling, keeping its memory
 *   `-- sibling
 *
 * With the test module's reparent_swap_delay_ms, the reparenting work of B
 * sleeps after picking A as the ancestor and before recording B's swap
 * entries to A.  rmdir B, wait until the work sleeps there, rmdir A: A goes
 * offline and, with no swap entries of its own, its id goes.  The entries
 * must then go to the parent, not to A's dead id: once the task is killed
 * and its swap freed, the parent's swap charge (memory.swap.current, or
 * total_swap on v1) is back to where it was before the test.  Recorded to
 * the dead id (0), the entries are never uncharged and the parent's charge
 * stays up by what B had in swap; that kernel also warns ("refcount_t:
 * addition on 0"), which fails the run.
 */
static int test_reparent_swap_race(const struct memcg *root)
{
	struct memcg parent = {}, a = {}, b = {}, sibling = {};
	long swap0, swapped, waits0, waits = -1, dying0, swap = -1, start, waited;
	int ret = KSFT_FAIL;
	char pid_str[16], val[16], c;
	pid_t pid = -1;

	if (access(MLT_SWAP_DELAY, F_OK)) {
		ksft_print_msg("no %s: kernel or module without the swap race hook\n",
			       MLT_SWAP_DELAY);
		return KSFT_SKIP;
	}
	if (!is_swap_enabled()) {
		ksft_print_msg("no swap\n");
		return KSFT_SKIP;
	}
	if (memcg_create(&parent, root, "reparent_swap_race") ||
	    memcg_create(&a, &parent, "A") || memcg_create(&b, &a, "B") ||
	    memcg_create(&sibling, &parent, "sibling"))
		goto cleanup;
	swap0 = memcg_swap_bytes(&parent);
	if (swap0 < 0) {
		ksft_print_msg("no swap accounting\n");
		ret = KSFT_SKIP;
		goto cleanup;
	}

	if (pipe(swap_race_pipe))
		goto cleanup;
	pid = memcg_spawn(&b, swap_race_task, NULL);
	close(swap_race_pipe[1]);
	if (pid < 0 || read(swap_race_pipe[0], &c, 1) != 1) {
		ksft_print_msg("the task could not fill its memory\n");
		close(swap_race_pipe[0]);
		goto cleanup;
	}
	close(swap_race_pipe[0]);
	swapped = swap_race_push(&b);
	ksft_print_msg("B has %ld KiB in swap; the parent had %ld KiB before\n",
		       swapped >> 10, swap0 >> 10);
	if (swapped < SWAP_RACE_AREA / 2) {
		ksft_print_msg("could not push B's memory to swap\n");
		goto cleanup;
	}
	snprintf(pid_str, sizeof(pid_str), "%d", pid);
	if (cg_write(sibling.path, "cgroup.procs", pid_str)) {
		ksft_print_msg("could not move the task to the sibling\n");
		goto cleanup;
	}

	snprintf(val, sizeof(val), "%d", SWAP_RACE_DELAY_MS);
	waits0 = swap_delay_waits();
	if (waits0 < 0 || file_write(MLT_SWAP_DELAY, val)) {
		ksft_print_msg("%s does not work\n", MLT_SWAP_DELAY);
		goto cleanup;
	}
	dying0 = memcg_dying_baseline(&parent);
	if (memcg_remove(&b))
		goto reset;
	/* until B's work sleeps between picking A and recording to it */
	for (start = now_ms(); now_ms() - start < 20000; usleep(20000)) {
		waits = swap_delay_waits();
		if (waits > waits0)
			break;
	}
	if (waits <= waits0) {
		ksft_print_msg("B's work did not reach the swap window in 20 s\n");
		goto reset;
	}
	if (memcg_remove(&a))
		goto reset;
	ksft_print_msg("A removed %ld ms after B, while B's work sleeps %d ms\n",
		       now_ms() - start, SWAP_RACE_DELAY_MS);
	/* On failure, go on: the swap figures below tell what did happen. */
	wait_freed(&parent, dying0, "rmdir B, A");
	ksft_print_msg("parent: swap %ld KiB; memcg_reparent_swap %ld in /proc/vmstat\n",
		       memcg_swap_bytes(&parent) >> 10, proc_vmstat("memcg_reparent_swap"));

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	pid = -1;
	/* the swap slot caches free entries in batches; allow for a few */
	poll_until((swap = memcg_swap_bytes(&parent)) >= 0 && swap <= swap0 + (1L << 20),
		   SETTLE_TIMEOUT_MS, waited);
	ksft_print_msg("task killed: parent swap %ld KiB (%ld KiB before the test) after %ld ms\n",
		       swap >> 10, swap0 >> 10, waited);
	if (swap < 0 || swap > swap0 + (1L << 20)) {
		ksft_print_msg("B's swap entries stayed charged to the parent: recorded to A's dead id?\n");
		goto reset;
	}
	ret = KSFT_PASS;
reset:
	if (file_write(MLT_SWAP_DELAY, "0"))
		ret = KSFT_FAIL;
cleanup:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	memcg_destroy(&b);
	memcg_destroy(&a);
	memcg_destroy(&sibling);
	memcg_destroy(&parent);
	return ret;
}

#define T(x) { x, #x }
struct reparent_test {
	int (*fn)(const struct memcg *root);
	const char *name;
} tests[] = {
	T(test_reparent_basic),
	T(test_reparent_nested),
	T(test_reparent_recharge),
	T(test_reparent_thp_deferred_split),
	T(test_reparent_swap_race),
};

#undef T

int main(int argc, char **argv)
{
	struct memcg root;
	size_t i;

	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(tests));
	if (memcg_root(&root, 0) && memcg_root(&root, 1))
		ksft_exit_skip("no memory controller on cgroup v2 or v1\n");
	ksft_print_msg("memory controller: cgroup %s at %s\n", root.v1 ? "v1" : "v2", root.path);

	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		switch (tests[i].fn(&root)) {
		case KSFT_PASS:
			ksft_test_result_pass("%s\n", tests[i].name);
			break;
		case KSFT_SKIP:
			ksft_test_result_skip("%s\n", tests[i].name);
			break;
		default:
			ksft_test_result_fail("%s\n", tests[i].name);
			break;
		}
	}
	ksft_finished();
}
