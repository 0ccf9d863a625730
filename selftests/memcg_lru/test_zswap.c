// SPDX-License-Identifier: GPL-2.0
/*
 * Memcg-aware zswap writeback (part 3 of the series), on cgroup v2, in the
 * spirit of tools/testing/selftests/cgroup/test_zswap.c (v6.8+):
 *
 *   usage               pages pushed out with memory.reclaim go to zswap,
 *                       compressed, and come back intact (the base passes)
 *   migrate             compaction migrates the pool's pages: the data
 *                       reads back intact, and destroying the pool
 *                       afterwards finds none of its objects left over
 *   own_writeback       a store that would take a memcg over its
 *                       memory.zswap.max first writes back that memcg's own
 *                       oldest entries, then succeeds; a sibling's entries
 *                       are never touched
 *   global_round_robin  at the global pool limit (max_pool_percent) the
 *                       writeback is spread round-robin over the memcgs,
 *                       not taken from the oldest entries of the system
 *   limit_lowered       memory.zswap.max lowered below the usage at run
 *                       time: at 0 nothing is written back, at 1M each
 *                       store writes back at most two entries and the
 *                       usage falls to the limit, at max none again
 *   writeback_knob      memory.zswap.writeback 0 on a memcg or its parent:
 *                       no writeback for it, at its limit (the pages stay
 *                       in memory) or at the pool limit (other memcgs'
 *                       entries go); bad input is refused
 *   worker_backoff      a pool full of entries that cannot be written back
 *                       (memory.zswap.writeback 0): the shrink worker every
 *                       rejected store starts backs off instead of making
 *                       one fruitless round of the memcg tree per store
 *   shrinker            shrinker_enabled: memory.reclaim of a memcg with a
 *                       large cold zswap footprint writes cold entries
 *                       back, while the entries of a hot working set
 *                       stay; with the shrinker off nothing is written back
 *   two_nodes_own_writeback  (two NUMA nodes) a memcg at its
 *                       memory.zswap.max with every entry on node 0: stores
 *                       of node-1 pages write back node-0 entries to make
 *                       room, and are not rejected
 *   two_nodes_pool_limit  (two NUMA nodes) at the pool limit, the shrink
 *                       worker writes back a memcg's entries on node 1
 *
 * $ZSWAP_TESTS (words, e.g. "shrinker backoff") runs only the cases whose
 * names contain one of them; the others are reported as skipped.
 * Every case runs once per zpool in $ZSWAP_ZPOOLS (default "zbud
 * zsmalloc z3fold"), with zswap enabled and lzo; every
 * zswap parameter is put back at the end.
 * On the unpatched 6.1 zswap there is no per-memcg writeback: memory.stat
 * has no zswpwb, stores over memory.zswap.max are rejected to the swap
 * device, and at the pool limit zbud writes back the oldest entries of the
 * whole system while zsmalloc cannot write back at all.  own_writeback,
 * global_round_robin and the two-node cases fail there, saying so.  The
 * two-node cases bind their workers' memory to a node (numa_bind()) and
 * check in memory.numa_stat that it is there; with one node they skip.
 *
 * Pages are pushed out with memory.reclaim, not memory limits, so what is
 * stored when is deterministic.  The anon memory is mapped without THP
 * (zswap takes no huge pages on 6.1) and filled with a pattern lzo makes
 * about a quarter of (ZS_PATTERN_HALF), or, to fill the pool quickly,
 * three quarters (ZS_PATTERN_DENSE).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/wait.h>

#include "kselftest.h"
#include "cgroup_util.h"
#include "memcg_lru_util.h"

#define PARENT		"zswap_test"
#define NR_RR		3	/* memcgs of global_round_robin */

static struct zswap_params saved;
static char parent[PATH_MAX];
static const char *zpool;

/* mkdir PARENT/name; the memcg's path in path. */
static int child_memcg(const char *name, char *path)
{
	return zs_memcg_create(parent, name, path, PATH_MAX);
}

static void print_stat(const char *who, const struct zs_memcg_stat *s)
{
	ksft_print_msg("%s: zswpout %ld zswpin %ld zswpwb %ld zswapped %ld KiB zswap %ld KiB swap %ld KiB\n",
		       who, s->zswpout, s->zswpin, s->zswpwb, s->zswapped >> 10,
		       s->zswap >> 10, s->swap >> 10);
}

/* Push w's size out of its memcg with memory.reclaim, 4 MiB at a time. */
static void push(struct zs_worker *w)
{
	long bytes = w->pages * ZS_PAGE, step = 4L << 20, done;

	for (done = 0; done < bytes; done += step)
		zs_reclaim(w->memcg, step, 2);
}

/* Fill every page of w (generation gen) and push it out with memory.reclaim. */
static int fill_and_push(struct zs_worker *w, unsigned long gen)
{
	if (zs_worker_call(w, ZS_OP_FILL, gen, 1) != w->pages)
		return -1;
	push(w);
	return 0;
}

static int verify(struct zs_worker *w, const char *who)
{
	long bad = zs_worker_call(w, ZS_OP_VERIFY, 0, 0);

	if (bad < 0) {
		ksft_print_msg("%s: the worker died\n", who);
		return -1;
	}
	if (bad) {
		zs_print_mismatch(who, w->bad);
		return -1;
	}
	return 0;
}

/*
 * zswap_test/usage: 8 MiB pushed out with memory.reclaim is stored in
 * zswap (zswpout, zswapped, stored_pages rise), compressed to less than
 * half, and reads back intact (zswpin rises, every byte checked).
 */
static int test_zswap_usage(void)
{
	struct zs_memcg_stat s0, s1, s2;
	long pages = (8L << 20) / ZS_PAGE, stored0;
	struct zs_worker w = { .pid = -1 };
	int ret = KSFT_FAIL;
	char cg[PATH_MAX];

	if (child_memcg("usage", cg))
		return KSFT_FAIL;
	if (zs_worker_start(&w, cg, pages * ZS_PAGE, 0x05a6e, &ZS_PATTERN_HALF))
		goto cleanup;
	stored0 = zswap_counter("stored_pages");
	if (zs_memcg_stat(cg, &s0) || fill_and_push(&w, 1) || zs_memcg_stat(cg, &s1))
		goto cleanup;
	print_stat("usage", &s1);
	ksft_print_msg("stored_pages %ld -> %ld\n", stored0, zswap_counter("stored_pages"));
	if (s1.zswpout - s0.zswpout < pages / 2 || s1.zswapped < pages / 2 * (long)ZS_PAGE) {
		ksft_print_msg("fewer than half of the %ld pages went to zswap\n", pages);
		goto cleanup;
	}
	if (zswap_counter("stored_pages") - stored0 < pages / 2) {
		ksft_print_msg("debugfs stored_pages did not follow\n");
		goto cleanup;
	}
	ksft_print_msg("compressed to %ld%% (%ld bytes a page)\n", s1.zswap * 100 / s1.zswapped,
		       s1.zswap / (s1.zswapped / (long)ZS_PAGE));
	if (s1.zswap * 2 > s1.zswapped) {
		ksft_print_msg("the pattern did not compress to less than half\n");
		goto cleanup;
	}
	if (verify(&w, "usage") || zs_memcg_stat(cg, &s2))
		goto cleanup;
	if (s2.zswpin - s1.zswpin < pages / 2) {
		ksft_print_msg("zswpin rose by only %ld\n", s2.zswpin - s1.zswpin);
		goto cleanup;
	}
	ret = KSFT_PASS;
cleanup:
	zs_worker_stop(&w);
	cg_destroy(cg);
	return ret;
}

/* /dev/kmsg, positioned at its end: what the kernel logs from now on */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Prints and counts the records logged since kmsg_open() holding a or b. */
static int kmsg_count(int fd, const char *a, const char *b)
{
	char rec[1024];
	int found = 0;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records */
			continue;
		if (n <= 0)
			return found;
		rec[n] = '\0';
		if (strstr(rec, a) || strstr(rec, b)) {
			ksft_print_msg("kernel: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
			found++;
		}
	}
}

struct swap_dev {
	char path[PATH_MAX];
	int prio;
};

/* swapon the @n devices swaps_off() took off, with their priorities */
static int swaps_on(const struct swap_dev *dev, int n)
{
	int ret = 0;

	for (int i = 0; i < n; i++) {
		int flags = dev[i].prio >= 0 ?
			SWAP_FLAG_PREFER | (dev[i].prio & SWAP_FLAG_PRIO_MASK) : 0;

		if (swapon(dev[i].path, flags)) {
			ksft_print_msg("swapon %s: %s\n", dev[i].path, strerror(errno));
			ret = -1;
		}
	}
	return ret;
}

/* swapoff every swap device, remembering them in @dev; how many, or -1 */
static int swaps_off(struct swap_dev *dev, int max)
{
	char line[PATH_MAX + 64], type[16];
	long size, used;
	int n = 0;
	FILE *f;

	f = fopen("/proc/swaps", "r");
	if (!f || !fgets(line, sizeof(line), f)) {	/* the header */
		if (f)
			fclose(f);
		return -1;
	}
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%4095s %15s %ld %ld %d", dev[n].path, type, &size, &used,
			   &dev[n].prio) == 5)
			n++;
	fclose(f);
	for (int i = 0; i < n; i++)
		if (swapoff(dev[i].path)) {
			ksft_print_msg("swapoff %s: %s\n", dev[i].path, strerror(errno));
			swaps_on(dev, i);
			return -1;
		}
	return n;
}

/*
 * A process holding @bytes of anon memory, faulted in: the page allocator
 * hands out the highest free pages first, so what is allocated after it
 * comes from low memory, where compaction's migration scanner starts.
 * Returns its pid, or -1.
 */
static pid_t hog_start(long bytes)
{
	int pfd[2];
	pid_t pid;
	char c;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (!pid) {
		close(pfd[0]);
		if (mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0) == MAP_FAILED)
			_exit(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	if (pid > 0 && read(pfd[0], &c, 1) != 1) {
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(pfd[0]);
	return pid;
}

static void hog_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/*
 * zswap_test/migrate: 16 MiB in zswap, stored while a hog holds all but
 * 384 MiB of the free memory (so the pool's pages are low in memory), then
 * the hog exits and /proc/sys/vm/compact_memory (three times) migrates the
 * pool's movable pages (z3fold's and zsmalloc's; zbud's are not movable).
 * Three quarters of the entries are freed, a quarter at a time (pages
 * drop to one object, and z3fold's compaction moves objects between
 * pages), and the rest reads back intact.  Then the entries are freed and
 * the pool destroyed (the zpool switched away and back; if other processes
 * have entries in the pool, which keep it alive, the swap devices are
 * switched off and on first): the kernel must not report objects left in
 * the pool's caches (which needs them unmerged: make test boots with
 * slab_nomerge).  On 6.1 z3fold leaked handle slots three ways: a
 * migrated page kept the PAGE_CLAIMED bit of its isolation for good, so
 * z3fold_free() never freed a handle of it; an object freed while its
 * page was isolated kept its slot; and a page given slots only for
 * compaction to move an object into never freed them.  Destroying the
 * pool then found them ("Objects remaining in z3fold_handle").
 */
static int test_zswap_migrate(void)
{
	long pages = (16L << 20) / ZS_PAGE, mig, stored, i, bad;
	struct stat st;
	const char *away = strcmp(zpool, "zbud") ? "zbud" : "zsmalloc";
	struct zs_worker w = { .pid = -1 };
	int ret = KSFT_FAIL, kmsg, left, nr_swaps = 0;
	struct swap_dev swaps[8];
	pid_t hog = -1;
	char cg[PATH_MAX];

	kmsg = kmsg_open();
	if (kmsg < 0) {
		ksft_print_msg("cannot read /dev/kmsg: %s\n", strerror(errno));
		return KSFT_FAIL;
	}
	if (child_memcg("migrate", cg))
		goto out;
	/* the pool's pages in low memory, the hog's freed above them */
	hog = hog_start((proc_meminfo_kb("MemFree") << 10) - (384L << 20));
	if (hog < 0) {
		ksft_print_msg("could not start the memory hog\n");
		goto out;
	}
	if (zs_worker_start(&w, cg, pages * ZS_PAGE, 0x316, &ZS_PATTERN_HALF) ||
	    fill_and_push(&w, 1))
		goto out;
	hog_stop(hog);
	hog = -1;
	mig = proc_vmstat("pgmigrate_success");
	for (i = 0; i < 3; i++)
		if (file_write("/proc/sys/vm/compact_memory", "1"))
			goto out;
	ksft_print_msg("compaction migrated %ld pages, %ld KiB in zswap\n",
		       proc_vmstat("pgmigrate_success") - mig,
		       zs_memcg_stat_key(cg, "zswapped") >> 10);
	/*
	 * Free three quarters of the entries, a quarter at a time, so that
	 * pages keep dropping to one object and z3fold's compaction moves
	 * objects between pages; then read the rest back.
	 */
	for (i = 0; i < 3; i++) {
		if (zs_worker_call(&w, ZS_OP_DROP, i, 4) <= 0)
			goto out;
		usleep(200 * 1000);
	}
	bad = zs_worker_call(&w, ZS_OP_VERIFY, 3, 4);
	if (bad) {
		if (bad > 0)
			zs_print_mismatch("migrate", w.bad);
		goto out;
	}
	/*
	 * Free every entry, so that switching the zpool away destroys the
	 * old pool (an entry holds a reference on its pool).
	 */
	zs_worker_stop(&w);
	stored = zswap_counter("stored_pages");
	if (stored) {
		/* other processes' entries: swapoff brings them back to memory */
		ksft_print_msg("%ld entries of other processes: swapoff and on again\n", stored);
		nr_swaps = swaps_off(swaps, ARRAY_SIZE(swaps));
		if (nr_swaps < 0)
			goto out;
	}
	if (zswap_counter("stored_pages")) {
		ksft_print_msg("%ld entries still in zswap\n", zswap_counter("stored_pages"));
		goto out;
	}
	if (zswap_use(away) || zswap_use(zpool))
		goto out;
	sleep(1);	/* the pool is destroyed from a work item after RCU */
	left = kmsg_count(kmsg, "Objects remaining", "still has objects");
	if (left) {
		ksft_print_msg("destroying the %s pool found objects of it left over\n", zpool);
		goto out;
	}
	/* a merged cache is only put, not checked, when the pool is destroyed */
	if (!strcmp(zpool, "z3fold") && !lstat("/sys/kernel/slab/z3fold_handle", &st) &&
	    S_ISLNK(st.st_mode))
		ksft_print_msg("z3fold_handle was merged with another slab cache: no leak check (boot with slab_nomerge)\n");
	ret = KSFT_PASS;
out:
	hog_stop(hog);
	if (swaps_on(swaps, nr_swaps))
		ret = KSFT_FAIL;
	zs_worker_stop(&w);
	cg_destroy(cg);
	close(kmsg);
	return ret;
}

/*
 *   zswap_test
 *   |-- A   memory.zswap.max = 1M; 24 MiB pushed out, 4 MiB at a time
 *   `-- B   no zswap limit; 16 MiB in zswap before A starts, never touched
 *
 * About 1000 of A's pages fit in 1M.  Every later store must first write
 * back A's own oldest entries and then succeed: A's zswpwb rises and A
 * stores more than twice what fits, while its zswap stays near the limit.
 * B loses nothing: zswpwb 0, zswapped as it was (3% slack).  Both read back
 * intact.  On the base, memory.stat has no zswpwb and A's stores over the
 * limit are rejected straight to the swap device: the case fails saying so.
 */
static int test_zswap_own_writeback(void)
{
	long a_bytes = 24L << 20, b_bytes = 16L << 20, zmax = 1L << 20;
	long wb0, plh0, stored, per_page, fits, step;
	struct zs_memcg_stat a0, a1, b0, b1;
	struct zs_worker a = { .pid = -1 }, b = { .pid = -1 };
	char cg_a[PATH_MAX] = "", cg_b[PATH_MAX] = "";
	int ret = KSFT_FAIL;

	if (child_memcg("A", cg_a) || child_memcg("B", cg_b))
		goto cleanup;
	if (cg_write_numeric(cg_a, "memory.zswap.max", zmax))
		goto cleanup;
	if (zs_worker_start(&b, cg_b, b_bytes, 0xb, &ZS_PATTERN_HALF) ||
	    zs_worker_start(&a, cg_a, a_bytes, 0xa, &ZS_PATTERN_HALF))
		goto cleanup;

	/* B's entries go in first: the oldest of the system */
	if (fill_and_push(&b, 1) || zs_memcg_stat(cg_b, &b0))
		goto cleanup;
	print_stat("B before", &b0);
	if (b0.zswapped < b_bytes / 2) {
		ksft_print_msg("could not put half of B's pages into zswap\n");
		goto cleanup;
	}

	wb0 = zswap_counter("written_back_pages");
	plh0 = zswap_counter("pool_limit_hit");
	if (zs_memcg_stat(cg_a, &a0) || zs_worker_call(&a, ZS_OP_FILL, 1, 1) != a.pages)
		goto cleanup;
	for (step = 0; step < a_bytes; step += 4L << 20)
		zs_reclaim(cg_a, 4L << 20, 2);
	if (zs_memcg_stat(cg_a, &a1) || zs_memcg_stat(cg_b, &b1))
		goto cleanup;
	print_stat("A", &a1);
	print_stat("B after", &b1);

	stored = a1.zswpout - a0.zswpout;
	per_page = a1.zswapped >= (long)ZS_PAGE ? a1.zswap / (a1.zswapped / (long)ZS_PAGE) : 1050;
	fits = zmax / (per_page ? per_page : 1);
	ksft_print_msg("A stored %ld pages in zswap (about %ld fit in memory.zswap.max); %ld on the swap device; written_back_pages +%ld, pool_limit_hit +%ld\n",
		       stored, fits, zs_disk_pages(&a1),
		       zswap_counter("written_back_pages") - wb0,
		       zswap_counter("pool_limit_hit") - plh0);

	if (a1.zswpwb < 0) {
		ksft_print_msg("memory.stat has no zswpwb: this kernel has no per-memcg zswap writeback (the unpatched base); A's stores over memory.zswap.max were rejected to the swap device instead of writing back A's oldest entries\n");
		goto cleanup;
	}
	if (a1.zswpwb - (a0.zswpwb > 0 ? a0.zswpwb : 0) <= 0) {
		ksft_print_msg("A's zswpwb did not rise: nothing of A's was written back\n");
		goto cleanup;
	}
	if (stored <= 2 * fits) {
		ksft_print_msg("A's stores stopped at memory.zswap.max (%ld stored, ~%ld fit): they were rejected, not made room for\n",
			       stored, fits);
		goto cleanup;
	}
	if (a1.zswap > 2 * zmax) {
		ksft_print_msg("A's zswap (%ld KiB) is far over its memory.zswap.max\n", a1.zswap >> 10);
		goto cleanup;
	}
	if (b1.zswpwb != 0) {
		ksft_print_msg("B's entries were written back (zswpwb %ld) for A's limit\n", b1.zswpwb);
		goto cleanup;
	}
	if (b1.zswapped < b0.zswapped - b0.zswapped * 3 / 100) {
		ksft_print_msg("B's zswapped dropped from %ld to %ld KiB\n",
			       b0.zswapped >> 10, b1.zswapped >> 10);
		goto cleanup;
	}
	if (verify(&a, "A") || verify(&b, "B"))
		goto cleanup;
	ret = KSFT_PASS;
cleanup:
	zs_worker_stop(&a);
	zs_worker_stop(&b);
	cg_destroy(cg_a);
	cg_destroy(cg_b);
	return ret;
}

/*
 * Whether the writeback at the pool limit is over: the pool is back under
 * the accept threshold (where zswap's shrink worker stops), and where
 * memory.stat has zswpwb, the n memcgs' zswpwb account for every page
 * written back since wb0 (memory.stat is flushed lazily).
 */
static int writeback_done(long threshold, long wb0, char (*cg)[PATH_MAX],
			  const struct zs_memcg_stat *s0, int n)
{
	long wb = zswap_counter("written_back_pages") - wb0, sum = 0;
	struct zs_memcg_stat s;
	int i;

	if (zswap_counter("pool_total_size") >= threshold)
		return 0;
	for (i = 0; i < n; i++) {
		if (zs_memcg_stat(cg[i], &s))
			return 0;
		if (s.zswpwb < 0)
			return 1;	/* no per-memcg count (the base) */
		sum += s.zswpwb - (s0[i].zswpwb > 0 ? s0[i].zswpwb : 0);
	}
	return sum >= wb;
}

/*
 *   zswap_test
 *   |-- C0, C1, C2  pages pushed to zswap one memcg after the other (C0's
 *   |               are the oldest of the system) until the pool holds
 *   |               about 1.35% of RAM, a third each
 *   `-- T           after max_pool_percent drops to 1 (accept threshold 90),
 *                   T's stores find the pool over the limit
 *
 * The pool must shrink below 90% of 1% of RAM: about 0.45% of RAM, a third
 * of what C0..C2 hold.  Round-robin writeback takes it from every memcg;
 * the global LRU of the base would take it all from C0, the oldest.  The
 * test polls (up to SETTLE_TIMEOUT_MS) until the pool is under that
 * threshold and the memcgs' zswpwb account for written_back_pages.  Pass:
 * the pool got under the threshold, written_back_pages rose, and each of
 * C0..C2 has at least a fifth of the zswpwb among them (a third each when
 * strictly round-robin).
 */
static int test_zswap_global_round_robin(void)
{
	long total = proc_meminfo_kb("MemTotal") * 1024L, target = total * 135 / 10000;
	struct zs_memcg_stat s0[NR_RR], s1[NR_RR];
	long wb0, rf0, plh0, wb, sum = 0, slices = 8, waited, i, j;
	long threshold = total / 100 * 90 / 100;
	struct zs_worker c[NR_RR] = {}, t = { .pid = -1 };
	char cg[NR_RR + 1][PATH_MAX] = {}, name[8];
	struct zs_memcg_stat s0t[NR_RR + 1];
	int ret = KSFT_FAIL, spread = 0, done;

	for (i = 0; i < NR_RR; i++) {
		snprintf(name, sizeof(name), "C%ld", i);
		if (child_memcg(name, cg[i]))
			goto cleanup;
	}
	if (child_memcg("T", cg[NR_RR]))
		goto cleanup;

	/* C0, then C1, then C2: an eighth of a worker at a time, until its third is in */
	for (i = 0; i < NR_RR; i++) {
		long bytes = (target / NR_RR) * 2, slice = bytes / slices;

		if (zs_worker_start(&c[i], cg[i], bytes, 0xc0 + i, &ZS_PATTERN_DENSE))
			goto cleanup;
		for (j = 0; j < slices; j++) {
			if (zswap_counter("pool_total_size") >= target * (i + 1) / NR_RR)
				break;
			if (zs_worker_call(&c[i], ZS_OP_FILL, j, slices) < 0)
				goto cleanup;
			zs_reclaim(cg[i], slice, 2);
		}
		if (zs_memcg_stat(cg[i], &s0[i]))
			goto cleanup;
	}
	ksft_print_msg("pool_total_size %ld KiB, 1%% of RAM is %ld KiB\n",
		       zswap_counter("pool_total_size") >> 10, total / 100 >> 10);
	if (zswap_counter("pool_total_size") <= total / 100) {
		ksft_print_msg("could not fill the pool past 1%% of RAM\n");
		goto cleanup;
	}
	if (zs_worker_start(&t, cg[NR_RR], 4L << 20, 0x7, &ZS_PATTERN_HALF) ||
	    zs_worker_call(&t, ZS_OP_FILL, 1, 1) != t.pages)
		goto cleanup;
	for (i = 0; i <= NR_RR; i++)
		if (zs_memcg_stat(cg[i], &s0t[i]))
			goto cleanup;

	wb0 = zswap_counter("written_back_pages");
	rf0 = zswap_counter("reject_reclaim_fail");
	plh0 = zswap_counter("pool_limit_hit");
	if (zswap_param_write("accept_threshold_percent", "90") ||
	    zswap_param_write("max_pool_percent", "1"))
		goto cleanup;
	for (j = 0; j < 16; j++)
		zs_reclaim(cg[NR_RR], 256L << 10, 1);
	poll_until(writeback_done(threshold, wb0, cg, s0t, NR_RR + 1), SETTLE_TIMEOUT_MS, waited);
	done = zswap_counter("pool_total_size") < threshold;
	wb = zswap_counter("written_back_pages") - wb0;
	ksft_print_msg("written_back_pages +%ld, pool_limit_hit +%ld, reject_reclaim_fail +%ld, pool now %ld KiB (threshold %ld KiB) after %ld ms\n",
		       wb, zswap_counter("pool_limit_hit") - plh0,
		       zswap_counter("reject_reclaim_fail") - rf0,
		       zswap_counter("pool_total_size") >> 10, threshold >> 10, waited);
	zswap_param_write("max_pool_percent", saved.max_pool_percent);
	zswap_param_write("accept_threshold_percent", saved.accept_threshold_percent);
	for (i = 0; i < NR_RR; i++) {
		if (zs_memcg_stat(cg[i], &s1[i]))
			goto cleanup;
		ksft_print_msg("C%ld: zswpwb %ld -> %ld, zswapped %ld -> %ld KiB\n", i,
			       s0[i].zswpwb, s1[i].zswpwb, s0[i].zswapped >> 10,
			       s1[i].zswapped >> 10);
		sum += s1[i].zswpwb - s0[i].zswpwb;
	}
	if (s1[0].zswpwb < 0) {
		ksft_print_msg("memory.stat has no zswpwb: no per-memcg writeback on this kernel (the unpatched base)\n");
		if (wb)
			ksft_print_msg("the global LRU wrote back %ld pages, the oldest of the system: zswapped dropped by C0 %ld, C1 %ld, C2 %ld pages\n",
				       wb, (s0[0].zswapped - s1[0].zswapped) / (long)ZS_PAGE,
				       (s0[1].zswapped - s1[1].zswapped) / (long)ZS_PAGE,
				       (s0[2].zswapped - s1[2].zswapped) / (long)ZS_PAGE);
		else
			ksft_print_msg("nothing was written back: %s cannot write back on this kernel, stores over the limit were rejected\n",
				       zpool);
		goto cleanup;
	}
	if (wb <= 0 || sum <= 0) {
		ksft_print_msg("nothing was written back at the global limit\n");
		goto cleanup;
	}
	if (!done) {
		ksft_print_msg("the writeback did not bring the pool under the threshold within %d s\n",
			       SETTLE_TIMEOUT_MS / 1000);
		goto cleanup;
	}
	for (i = 0; i < NR_RR; i++) {
		long d = s1[i].zswpwb - s0[i].zswpwb;

		ksft_print_msg("C%ld: %ld%% of the writeback\n", i, d * 100 / sum);
		spread += d * 5 >= sum;
	}
	if (spread < NR_RR) {
		ksft_print_msg("only %d of the %d memcgs gave a fifth or more of the writeback: not round-robin\n",
			       spread, NR_RR);
		goto cleanup;
	}
	ret = KSFT_PASS;
cleanup:
	zswap_param_write("max_pool_percent", saved.max_pool_percent);
	zswap_param_write("accept_threshold_percent", saved.accept_threshold_percent);
	zs_worker_stop(&t);
	cg_destroy(cg[NR_RR]);
	for (i = 0; i < NR_RR; i++) {
		zs_worker_stop(&c[i]);
		cg_destroy(cg[i]);
	}
	return ret;
}

/* memory.stat of cg, exact: reading memory.zswap.current flushes it first. */
static int flushed_stat(const char *cg, struct zs_memcg_stat *s)
{
	if (cg_read_long(cg, "memory.zswap.current") < 0)
		return -1;
	return zs_memcg_stat(cg, s);
}

#define LOWERED_ROUNDS	16	/* pushes of P's 8 MiB allowed at 1M */
#define LOWERED_SLACK	(128L << 10)

/*
 *   zswap_test
 *   `-- L   W: 32 MiB pushed into zswap first (the oldest entries)
 *           P: 8 MiB, pushed out again and again while memory.zswap.max
 *              is lowered below L's usage (about 8 MiB compressed):
 *     0     P's pages go to the swap device; zswpwb rises by less than
 *           1 MiB worth of pages, zswapped does not rise
 *     1M    each store writes back at most two entries: zswpwb rises by at
 *           most twice the stores a push made (counted from /proc/vmstat:
 *           zswpout plus the pages that went to the device, pswpout, less
 *           the written back ones, zswpwb), and memory.zswap.current falls
 *           to 1M (+128K) within LOWERED_ROUNDS pushes
 *     max   stores go in (zswpout rises) and zswpwb does not move
 *   W and P read back intact.
 *
 * Guards "mm: zswap: bound the writeback of a store at a zswap limit".
 * Before it, a store at the limit wrote back one entry a node per round,
 * for up to 16 rounds, each with an rstat flush, and at 0 rejected the
 * page anyway: the 8 MiB push at 0 wrote back about 2000 entries (the
 * reclaim target caps a push), and at 1M about 16 a store.  On the
 * unpatched base, memory.stat has no zswpwb and nothing is written back:
 * the case fails saying so.
 */
static int test_zswap_limit_lowered(void)
{
	long w_bytes = 32L << 20, p_bytes = 8L << 20, zmax = 1L << 20;
	struct zs_worker w = { .pid = -1 }, p = { .pid = -1 };
	long ms0, wb0, wb, zcur = -1, wb1m = 0, burst = 0;
	struct zs_memcg_stat s0, s1, s2, s3;
	int ret = KSFT_FAIL, round;
	char cg[PATH_MAX] = "";

	if (child_memcg("lowered", cg))
		goto cleanup;
	if (zs_worker_start(&w, cg, w_bytes, 0x10, &ZS_PATTERN_HALF) ||
	    zs_worker_start(&p, cg, p_bytes, 0x11, &ZS_PATTERN_HALF))
		goto cleanup;
	if (fill_and_push(&w, 1) || zs_worker_call(&p, ZS_OP_FILL, 1, 1) != p.pages ||
	    flushed_stat(cg, &s0))
		goto cleanup;
	print_stat("L with W in zswap", &s0);
	if (s0.zswpwb < 0) {
		ksft_print_msg("memory.stat has no zswpwb: this kernel has no per-memcg zswap writeback (the unpatched base)\n");
		goto cleanup;
	}
	if (s0.zswapped < w_bytes / 2 || s0.zswap < 4 * zmax) {
		ksft_print_msg("could not put half of W's pages into zswap\n");
		goto cleanup;
	}

	/* 0: no store, and nothing written back for one */
	if (cg_write(cg, "memory.zswap.max", "0"))
		goto cleanup;
	ms0 = now_ms();
	push(&p);
	ms0 = now_ms() - ms0;
	if (flushed_stat(cg, &s1))
		goto cleanup;
	print_stat("L after P's push at 0", &s1);
	wb0 = s1.zswpwb - s0.zswpwb;
	ksft_print_msg("max 0: zswpwb +%ld, zswapped %+ld KiB, swap %+ld KiB; the push took %ld ms\n",
		       wb0, (s1.zswapped - s0.zswapped) >> 10, (s1.swap - s0.swap) >> 10, ms0);
	if (wb0 * (long)ZS_PAGE >= 1L << 20) {
		ksft_print_msg("stores at memory.zswap.max=0 wrote back %ld pages (%ld KiB) and were rejected anyway\n",
			       wb0, wb0 * (long)ZS_PAGE >> 10);
		goto cleanup;
	}
	if (s1.zswapped > s0.zswapped) {
		ksft_print_msg("zswapped rose at memory.zswap.max=0\n");
		goto cleanup;
	}
	/* or the above proves nothing */
	if (s1.swap - s0.swap < p_bytes / 2) {
		ksft_print_msg("P's pages were not pushed out (swap %+ld KiB)\n",
			       (s1.swap - s0.swap) >> 10);
		goto cleanup;
	}

	/* 1M: the usage falls to the limit, at most two writebacks a store */
	if (cg_write_numeric(cg, "memory.zswap.max", zmax))
		goto cleanup;
	for (round = 1; round <= LOWERED_ROUNDS; round++) {
		long out0, dev0, wbg0, stores;
		struct zs_memcg_stat a, b;

		if (zs_worker_call(&p, ZS_OP_FILL, round + 1, 1) != p.pages ||
		    flushed_stat(cg, &a))
			goto cleanup;
		out0 = proc_vmstat("zswpout");
		dev0 = proc_vmstat("pswpout");
		wbg0 = proc_vmstat("zswpwb");
		push(&p);
		/* every store either went into zswap or to the device */
		stores = proc_vmstat("zswpout") - out0 +
			 (proc_vmstat("pswpout") - dev0) - (proc_vmstat("zswpwb") - wbg0);
		if (flushed_stat(cg, &b))
			goto cleanup;
		zcur = cg_read_long(cg, "memory.zswap.current");
		wb = b.zswpwb - a.zswpwb;
		wb1m += wb;
		ksft_print_msg("max 1M, push %d: zswap.current %ld KiB, zswpwb +%ld for %ld stores, zswpout +%ld\n",
			       round, zcur >> 10, wb, stores, b.zswpout - a.zswpout);
		if (wb > 2 * stores + 16) {
			ksft_print_msg("%ld writebacks for %ld stores: more than two a store\n",
				       wb, stores);
			goto cleanup;
		}
		if (wb > burst)
			burst = wb;
		if (zcur >= 0 && zcur <= zmax + LOWERED_SLACK)
			break;
	}
	if (zcur < 0 || zcur > zmax + LOWERED_SLACK) {
		ksft_print_msg("memory.zswap.current is %ld KiB after %d pushes: it did not fall to the lowered limit\n",
			       zcur >> 10, LOWERED_ROUNDS);
		goto cleanup;
	}

	/* max: stores go in without writeback */
	if (cg_write(cg, "memory.zswap.max", "max") ||
	    zs_worker_call(&p, ZS_OP_FILL, LOWERED_ROUNDS + 2, 1) != p.pages ||
	    flushed_stat(cg, &s2))
		goto cleanup;
	push(&p);
	if (flushed_stat(cg, &s3))
		goto cleanup;
	print_stat("L after P's push at max", &s3);
	ksft_print_msg("max: zswpwb %+ld, zswpout %+ld\n", s3.zswpwb - s2.zswpwb,
		       s3.zswpout - s2.zswpout);
	if (s3.zswpwb != s2.zswpwb) {
		ksft_print_msg("pages were written back with no zswap limit\n");
		goto cleanup;
	}
	if (s3.zswpout - s2.zswpout < p.pages / 2) {
		ksft_print_msg("fewer than half of P's pages were stored with no zswap limit\n");
		goto cleanup;
	}
	if (verify(&w, "W") || verify(&p, "P"))
		goto cleanup;
	ksft_print_msg("key: at 0 zswpwb +%ld (%ld ms); at 1M %ld KiB after %d pushes, zswpwb +%ld (at most %ld a push); at max zswpwb %+ld\n",
		       wb0, ms0, zcur >> 10, round, wb1m, burst, s3.zswpwb - s2.zswpwb);
	ret = KSFT_PASS;
cleanup:
	zs_worker_stop(&w);
	zs_worker_stop(&p);
	cg_destroy(cg);
	return ret;
}

/* A step of the knob test: C's zswpwb delta over one fill_and_push. */
static long knob_push(struct zs_worker *w, const char *cg, unsigned long gen,
		      struct zs_memcg_stat *s)
{
	struct zs_memcg_stat s0;

	if (flushed_stat(cg, &s0) || fill_and_push(w, gen) || flushed_stat(cg, s))
		return -1;
	return s->zswpwb - s0.zswpwb;
}

/*
 *   zswap_test
 *   |-- K          memory.zswap.writeback 0, then 1
 *   |   `-- C      memory.zswap.max = 1M; 8 MiB filled and pushed out per step
 *   `-- O          no limit, writeback on (for the pool limit)
 *
 * memory.zswap.writeback refuses anything but 0 and 1 and keeps its value.
 * Steps: K 0 (C 1): C writes nothing back, and its pages over the limit
 * stay in memory, none goes to the swap device; K 1, C 1: C writes its own
 * entries back; C 0: nothing again.  Then at the pool limit (C unlimited
 * with a third of the threshold in zswap, O enough to take the pool past
 * 1% of RAM, max_pool_percent=1): the pool shrinks under the threshold,
 * O's zswpwb rises and C's stays.  On the base the file does not exist.
 */
static int test_zswap_writeback_knob(void)
{
	static const char * const bad[] = { "2", "-1", "x", " ", "1 1", "0x" };
	long total = proc_meminfo_kb("MemTotal") * 1024L, threshold = total / 100 * 90 / 100;
	long o_target = total * 135 / 10000, j;
	char cg_k[PATH_MAX] = "", cg_c[PATH_MAX] = "", cg_o[PATH_MAX] = "", buf[16];
	struct zs_worker c = { .pid = -1 }, cbig = { .pid = -1 }, o = { .pid = -1 };
	struct zs_memcg_stat s, so0, sc0, so1, sc1;
	long wb, wb0, waited, disk0;
	int ret = KSFT_FAIL, done;
	size_t i;

	if (child_memcg("K", cg_k) || zs_memcg_create(cg_k, "C", cg_c, sizeof(cg_c)) ||
	    child_memcg("O", cg_o))
		goto cleanup;
	if (cg_read(cg_c, "memory.zswap.writeback", buf, sizeof(buf))) {
		ksft_print_msg("no memory.zswap.writeback: this kernel cannot turn zswap writeback off for a cgroup (the unpatched base)\n");
		goto cleanup;
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int err = cg_write(cg_c, "memory.zswap.writeback", (char *)bad[i]);

		if (!err || cg_read_strcmp(cg_c, "memory.zswap.writeback", "1\n")) {
			ksft_print_msg("memory.zswap.writeback took \"%s\" or changed\n", bad[i]);
			goto cleanup;
		}
	}
	if (cg_write_numeric(cg_c, "memory.zswap.max", 1L << 20) ||
	    zs_worker_start(&c, cg_c, 8L << 20, 0x6b, &ZS_PATTERN_HALF))
		goto cleanup;

	/* K 0: C's stores at its limit make no room; the pages go to disk */
	if (cg_write(cg_k, "memory.zswap.writeback", "0"))
		goto cleanup;
	/*
	 * Pages kept in memory hold their swap slots (memory.swap.current),
	 * so count the pages written to a swap device: /proc/vmstat pswpout.
	 * Nothing else swaps meanwhile; the pool is far from its limit.
	 */
	disk0 = proc_vmstat("pswpout");
	wb = knob_push(&c, cg_c, 1, &s);
	print_stat("C, K at 0", &s);
	if (wb != 0 || proc_vmstat("pswpout") != disk0) {
		ksft_print_msg("with the parent's writeback off: zswpwb +%ld, pswpout +%ld (want 0 and 0)\n",
			       wb, proc_vmstat("pswpout") - disk0);
		goto cleanup;
	}
	if (s.zswapped < (512L << 10)) {
		ksft_print_msg("C stored less than 512 KiB in zswap: the step tested nothing\n");
		goto cleanup;
	}
	/* both 1: C writes back its own */
	if (cg_write(cg_k, "memory.zswap.writeback", "1"))
		goto cleanup;
	disk0 = proc_vmstat("pswpout");
	wb = knob_push(&c, cg_c, 2, &s);
	print_stat("C, K at 1", &s);
	if (wb <= 0 || proc_vmstat("pswpout") == disk0) {
		ksft_print_msg("with writeback on: zswpwb +%ld, pswpout +%ld, want both above 0\n", wb,
			       proc_vmstat("pswpout") - disk0);
		goto cleanup;
	}
	/* C 0 */
	if (cg_write(cg_c, "memory.zswap.writeback", "0"))
		goto cleanup;
	disk0 = proc_vmstat("pswpout");
	wb = knob_push(&c, cg_c, 3, &s);
	print_stat("C at 0", &s);
	if (wb != 0 || proc_vmstat("pswpout") != disk0) {
		ksft_print_msg("with its own writeback off: zswpwb +%ld, pswpout +%ld (want 0 and 0)\n",
			       wb, proc_vmstat("pswpout") - disk0);
		goto cleanup;
	}
	if (verify(&c, "C"))
		goto cleanup;
	zs_worker_stop(&c);

	/* the pool limit: C's entries stay, O's are written back */
	/*
	 * C at most a third of the threshold (a dense page takes a zbud page),
	 * then O, twice 1.35% of RAM in pages: the pool is over 1% of RAM.
	 * Every page is written, so that both can be verified.
	 */
	if (cg_write(cg_c, "memory.zswap.max", "max") ||
	    zs_worker_start(&cbig, cg_c, threshold / 3, 0x6c, &ZS_PATTERN_DENSE) ||
	    zs_worker_start(&o, cg_o, o_target * 2, 0x6f, &ZS_PATTERN_DENSE))
		goto cleanup;
	for (j = 0; j < 8; j++) {
		if (zs_worker_call(&cbig, ZS_OP_FILL, j, 8) < 0)
			goto cleanup;
		zs_reclaim(cg_c, threshold / 3 / 8, 2);
	}
	for (j = 0; j < 8; j++) {
		if (zs_worker_call(&o, ZS_OP_FILL, j, 8) < 0)
			goto cleanup;
		zs_reclaim(cg_o, o_target * 2 / 8, 2);
	}
	if (flushed_stat(cg_c, &sc0) || flushed_stat(cg_o, &so0))
		goto cleanup;
	ksft_print_msg("pool_total_size %ld KiB (C %ld KiB, O %ld KiB), threshold at max_pool_percent=1: %ld KiB\n",
		       zswap_counter("pool_total_size") >> 10, sc0.zswap >> 10, so0.zswap >> 10,
		       threshold >> 10);
	if (zswap_counter("pool_total_size") <= total / 100 || sc0.zswap >= threshold / 2) {
		ksft_print_msg("could not fill the pool past 1%% of RAM with C under half the threshold\n");
		goto cleanup;
	}
	wb0 = zswap_counter("written_back_pages");
	if (zswap_param_write("accept_threshold_percent", "90") ||
	    zswap_param_write("max_pool_percent", "1"))
		goto cleanup;
	/* a store that finds the pool full starts the shrink worker */
	if (zs_worker_call(&o, ZS_OP_FILL, 9, 8) < 0)
		goto cleanup;
	zs_reclaim(cg_o, 1L << 20, 1);
	poll_until(zswap_counter("pool_total_size") < threshold, SETTLE_TIMEOUT_MS, waited);
	done = zswap_counter("pool_total_size") < threshold;
	zswap_param_write("max_pool_percent", saved.max_pool_percent);
	zswap_param_write("accept_threshold_percent", saved.accept_threshold_percent);
	if (flushed_stat(cg_c, &sc1) || flushed_stat(cg_o, &so1))
		goto cleanup;
	ksft_print_msg("after %ld ms: pool %ld KiB; C zswpwb +%ld, O zswpwb +%ld, written_back_pages +%ld\n",
		       waited, zswap_counter("pool_total_size") >> 10, sc1.zswpwb - sc0.zswpwb,
		       so1.zswpwb - so0.zswpwb, zswap_counter("written_back_pages") - wb0);
	if (sc1.zswpwb != sc0.zswpwb) {
		ksft_print_msg("C's entries were written back at the pool limit with its writeback off\n");
		goto cleanup;
	}
	if (!done || so1.zswpwb - so0.zswpwb <= 0) {
		ksft_print_msg("the pool did not shrink under the threshold with O's entries\n");
		goto cleanup;
	}
	if (verify(&cbig, "C") || verify(&o, "O"))
		goto cleanup;
	ret = KSFT_PASS;
cleanup:
	zswap_param_write("max_pool_percent", saved.max_pool_percent);
	zswap_param_write("accept_threshold_percent", saved.accept_threshold_percent);
	zs_worker_stop(&c);
	zs_worker_stop(&cbig);
	zs_worker_stop(&o);
	cg_destroy(cg_c);
	cg_destroy(cg_k);
	cg_destroy(cg_o);
	return ret;
}

/*
 *   zswap_test
 *   `-- B   memory.zswap.writeback 0; twice 1.35% of RAM of dense pages in
 *           zswap, then max_pool_percent=1: the pool is full, and none of
 *           its entries may be written back
 *
 * B then pushes 16 MiB more: every store finds the pool full and is
 * rejected (the page stays in memory), and starts the shrink worker, whose
 * round of the memcg tree writes nothing back (debugfs
 * shrink_worker_stalls).  With the back-off (up to a second), the worker
 * makes such runs only now and then: at least one, and at most two a
 * second of the push plus 16 for the ramp-up, however many stores were
 * rejected (pool_limit_hit, hundreds of thousands: memory.reclaim
 * retries).  B's first slice (an eighth, ~2600 entries) was read back and
 * mlocked right after it was pushed out: its pages stay in the swap cache,
 * so its entries, at the head of B's lists, fail writeback.  B's writeback
 * is turned on, and a new memcg C with memory.zswap.writeback 0 (only B's
 * entries can make room) pushes 1 MiB at a time, 30 times at most, until
 * the pool is under the limit.  The back-off must end and the worker walk
 * past B's failing heads: at least 1000 of B's entries are written back.
 * Both of B's workers read back intact.  On the base there is no
 * shrink_worker_stalls.
 */
static int test_zswap_worker_backoff(void)
{
	long total = proc_meminfo_kb("MemTotal") * 1024L, fill = total * 135 / 10000 * 2;
	struct zs_worker b = { .pid = -1 }, p = { .pid = -1 }, q = { .pid = -1 };
	long limit = total / 100, hit0, stall0, hits, stalls, wb0, j, t0, ms, locked;
	char cg[PATH_MAX] = "", cg_c[PATH_MAX] = "", cluster[16];
	int ret = KSFT_FAIL;

	if (zswap_counter("shrink_worker_stalls") < 0) {
		ksft_print_msg("no /sys/kernel/debug/zswap/shrink_worker_stalls: this kernel's shrink worker does not back off\n");
		return KSFT_FAIL;
	}
	if (child_memcg("B", cg) || cg_write(cg, "memory.zswap.writeback", "0") ||
	    zs_worker_start(&b, cg, fill, 0x62, &ZS_PATTERN_DENSE) ||
	    zs_worker_start(&p, cg, 16L << 20, 0x63, &ZS_PATTERN_HALF))
		goto cleanup;
	for (j = 0; j < 8; j++) {
		if (zs_worker_call(&b, ZS_OP_FILL, j, 8) < 0)
			goto cleanup;
		zs_reclaim(cg, fill / 8, 2);
		if (j)
			continue;
		/* the first slice, B's oldest entries, read back and locked */
		if (file_read("/proc/sys/vm/page-cluster", cluster, sizeof(cluster)) <= 0 ||
		    file_write("/proc/sys/vm/page-cluster", "0"))
			goto cleanup;
		locked = zs_worker_call(&b, ZS_OP_MLOCK, 0, 8);
		file_write("/proc/sys/vm/page-cluster", cluster);
		if (locked <= 0) {
			ksft_print_msg("could not read and mlock B's first slice\n");
			goto cleanup;
		}
	}
	if (zswap_counter("pool_total_size") <= total / 100) {
		ksft_print_msg("pool_total_size %ld KiB: could not fill the pool past 1%% of RAM\n",
			       zswap_counter("pool_total_size") >> 10);
		goto cleanup;
	}
	if (zswap_param_write("max_pool_percent", "1"))
		goto cleanup;
	hit0 = zswap_counter("pool_limit_hit");
	stall0 = zswap_counter("shrink_worker_stalls");
	t0 = now_ms();
	if (fill_and_push(&p, 1))
		goto cleanup;
	ms = now_ms() - t0;
	hits = zswap_counter("pool_limit_hit") - hit0;
	stalls = zswap_counter("shrink_worker_stalls") - stall0;
	ksft_print_msg("pool %ld KiB: %ld stores rejected at the pool limit in %ld ms, %ld fruitless runs of the shrink worker\n",
		       zswap_counter("pool_total_size") >> 10, hits, ms, stalls);
	if (hits < 1000) {
		ksft_print_msg("fewer than 1000 stores found the pool full: the case tested nothing\n");
		goto cleanup;
	}
	if (stalls < 1 || stalls > ms / 500 + 16) {
		ksft_print_msg("the shrink worker did not back off: %ld fruitless runs in %ld ms (at most %ld), for %ld rejected stores\n",
			       stalls, ms, ms / 500 + 16, hits);
		goto cleanup;
	}
	/*
	 * Writeback possible again: the back-off ends, the pool drains.  The
	 * stores that start the worker now come from C, whose entries may not
	 * be written back either, so that only B's entries can make room,
	 * and B, under no pressure, keeps the pages it read.
	 */
	if (child_memcg("C", cg_c) || cg_write(cg_c, "memory.zswap.writeback", "0") ||
	    zs_worker_start(&q, cg_c, 16L << 20, 0x64, &ZS_PATTERN_HALF))
		goto cleanup;
	wb0 = zswap_counter("written_back_pages");
	if (cg_write(cg, "memory.zswap.writeback", "1"))
		goto cleanup;
	for (j = 0; j < 30 && zswap_counter("pool_total_size") > limit; j++) {
		if (zs_worker_call(&q, ZS_OP_FILL, j, 16) < 0)
			goto cleanup;
		zs_reclaim(cg_c, 1L << 20, 1);
		usleep(100 * 1000);
	}
	ksft_print_msg("writeback on: pool %ld KiB after %ld pushes of 1 MiB (limit %ld KiB), written_back_pages +%ld\n",
		       zswap_counter("pool_total_size") >> 10, j, limit >> 10,
		       zswap_counter("written_back_pages") - wb0);
	if (zswap_counter("written_back_pages") - wb0 < 1000) {
		ksft_print_msg("fewer than 1000 of B's entries written back once it could be: the back-off did not end\n");
		goto cleanup;
	}
	if (verify(&b, "B") || verify(&p, "B's second worker"))
		goto cleanup;
	ret = KSFT_PASS;
cleanup:
	zswap_param_write("max_pool_percent", saved.max_pool_percent);
	zs_worker_stop(&b);
	zs_worker_stop(&p);
	zs_worker_stop(&q);
	cg_destroy(cg);
	if (cg_c[0])
		cg_destroy(cg_c);
	return ret;
}

#define SHRINK_COLD	(32L << 20)	/* stored once, never read */
#define SHRINK_HOT	(4L << 20)	/* read back before each pressure round */
#define SHRINK_ROUNDS	3

struct shrink_result {
	long wb;		/* zswpwb during the pressure rounds */
	long zswapped0, zswapped1;	/* bytes, before and after them */
	long hot_zswpin, hot_pswpin;	/* the hot set's last read */
};

/*
 * One run of the shrinker case in a new memcg: cold and hot pages pushed to
 * zswap, the hot set read back once and pushed out again (its entries are
 * now the newest, and recently swapped in), then SHRINK_ROUNDS times: ask
 * memory.reclaim for more than the memcg has in memory, and read the hot
 * set again. Finally the hot set is pushed out and read once more, with
 * /proc/vmstat pswpin counting what came from the swap device.
 */
static int shrink_run(const char *name, int on, struct shrink_result *r)
{
	struct zs_worker cold = { .pid = -1 }, hot = { .pid = -1 };
	struct zs_memcg_stat s0, s1, s2;
	int ret = -1, i;
	char cg[PATH_MAX] = "";
	long pswpin0;

	if (child_memcg(name, cg))
		return -1;
	if (zswap_param_write("shrinker_enabled", "N") ||
	    zs_worker_start(&cold, cg, SHRINK_COLD, 0x73, &ZS_PATTERN_HALF) ||
	    zs_worker_start(&hot, cg, SHRINK_HOT, 0x74, &ZS_PATTERN_HALF) ||
	    fill_and_push(&cold, 1) || fill_and_push(&hot, 1) ||
	    verify(&hot, "hot"))
		goto out;
	push(&hot);
	if (flushed_stat(cg, &s0))
		goto out;
	print_stat(on ? "before, shrinker on" : "before, shrinker off", &s0);
	if (s0.zswapped < (SHRINK_COLD + SHRINK_HOT) * 3 / 4) {
		ksft_print_msg("only %ld KiB went to zswap\n", s0.zswapped >> 10);
		goto out;
	}

	if (zswap_param_write("shrinker_enabled", on ? "Y" : "N"))
		goto out;
	for (i = 0; i < SHRINK_ROUNDS; i++) {
		/* fails with EAGAIN: there is not that much to reclaim */
		zs_reclaim(cg, SHRINK_COLD * 2, 1);
		if (verify(&hot, "hot"))
			goto out;
	}
	if (zswap_param_write("shrinker_enabled", "N"))
		goto out;
	push(&hot);
	if (flushed_stat(cg, &s1))
		goto out;
	pswpin0 = proc_vmstat("pswpin");
	if (verify(&hot, "hot") || flushed_stat(cg, &s2))
		goto out;
	print_stat(on ? "after, shrinker on" : "after, shrinker off", &s2);

	r->wb = s1.zswpwb - s0.zswpwb;
	r->zswapped0 = s0.zswapped;
	r->zswapped1 = s1.zswapped;
	r->hot_zswpin = s2.zswpin - s1.zswpin;
	r->hot_pswpin = proc_vmstat("pswpin") - pswpin0;
	ksft_print_msg("shrinker %s: zswpwb +%ld, zswapped %ld -> %ld KiB; the hot set's %ld pages read back: %ld from zswap, %ld from the swap device\n",
		       on ? "on" : "off", r->wb, r->zswapped0 >> 10, r->zswapped1 >> 10,
		       hot.pages, r->hot_zswpin, r->hot_pswpin);
	/* every cold page, from wherever it is now */
	ret = verify(&cold, "cold");
out:
	zswap_param_write("shrinker_enabled", "N");
	zs_worker_stop(&cold);
	zs_worker_stop(&hot);
	cg_destroy(cg);
	return ret;
}

/*
 * zswap_test/shrinker_off, shrinker_on: the zswap shrinker (shrinker_enabled).
 * A memcg holds 32 MiB of cold pages and a 4 MiB hot set in zswap; swap
 * readahead is off (vm.page-cluster 0), so that every page read is one
 * swapin.  Memory pressure is memory.reclaim asking for more than the
 * memcg has in memory, which reclaims down to priority 0 and so shrinks
 * the slab caches, zswap's shrinker among them, to the full.
 *
 *   off  nothing is written back, zswapped does not fall (as on the base)
 *   on   zswpwb rises by at least a third of the cold pages, zswapped falls
 *        by at least a quarter of the cold bytes, and the hot set's last
 *        read comes from zswap (at least 90% zswpin, at most 10% pswpin):
 *        its entries are the newest and recently swapped in, which the
 *        shrinker leaves alone
 *
 * Every page is verified.  On the base there is no shrinker_enabled.
 */
static int test_zswap_shrinker(void)
{
	long hot_pages = SHRINK_HOT / ZS_PAGE, cold_pages = SHRINK_COLD / ZS_PAGE;
	struct shrink_result off = { 0 }, on = { 0 };
	char was[8], cluster[16] = "";
	int ret = KSFT_FAIL;

	if (zswap_param_read("shrinker_enabled", was, sizeof(was))) {
		ksft_print_msg("no /sys/module/zswap/parameters/shrinker_enabled: this kernel has no zswap shrinker (the unpatched base)\n");
		return KSFT_FAIL;
	}
	if (file_read("/proc/sys/vm/page-cluster", cluster, sizeof(cluster)) <= 0 ||
	    file_write("/proc/sys/vm/page-cluster", "0"))
		goto restore;

	if (shrink_run("shrink_off", 0, &off) || shrink_run("shrink_on", 1, &on))
		goto restore;
	/* stores of other pages of the workers' processes may add a few */
	if (off.wb || off.zswapped1 < off.zswapped0) {
		ksft_print_msg("with the shrinker off, the pressure wrote back %ld entries, zswapped %ld -> %ld KiB\n",
			       off.wb, off.zswapped0 >> 10, off.zswapped1 >> 10);
		goto restore;
	}
	if (on.wb < cold_pages / 3 || on.zswapped0 - on.zswapped1 < SHRINK_COLD / 4) {
		ksft_print_msg("with the shrinker on: zswpwb +%ld (want %ld or more), zswapped -%ld KiB (want %ld or more)\n",
			       on.wb, cold_pages / 3, (on.zswapped0 - on.zswapped1) >> 10,
			       SHRINK_COLD / 4 >> 10);
		goto restore;
	}
	if (on.hot_zswpin < hot_pages * 9 / 10 || on.hot_pswpin > hot_pages / 10) {
		ksft_print_msg("the shrinker wrote back the hot set: %ld of its %ld pages came from zswap, %ld from disk\n",
			       on.hot_zswpin, hot_pages, on.hot_pswpin);
		goto restore;
	}
	ret = KSFT_PASS;
restore:
	zswap_param_write("shrinker_enabled", was);
	if (cluster[0])
		file_write("/proc/sys/vm/page-cluster", cluster);
	return ret;
}

/* ---- two NUMA nodes (make test boots with numa=fake=2) ---- */

/* anon bytes of cg on nodes 0 and 1, flushed (memory.numa_stat); 0 or -1 */
static int anon_nodes(const char *cg, long anon[2])
{
	struct memcg m = { .v1 = 0 };
	int node;

	snprintf(m.path, sizeof(m.path), "%s", cg);
	/* reading memory.zswap.current flushes the statistics */
	if (cg_read_long(cg, "memory.zswap.current") < 0)
		return -1;
	for (node = 0; node < 2; node++) {
		anon[node] = memcg_numa_stat(&m, "anon", node);
		if (anon[node] < 0)
			return -1;
	}
	return 0;
}

/*
 * Bind w to node and fill every page of it (generation gen), then check in
 * memory.numa_stat that they are there: the memcg's anon rose by 90% of w's
 * size or more on node, by less than 10% on the other.  0, or -1 after
 * saying why.
 */
static int fill_on_node(struct zs_worker *w, int node, unsigned long gen, const char *who)
{
	long a0[2], a1[2], bytes = w->pages * ZS_PAGE;

	if (zs_worker_call(w, ZS_OP_BIND, node, 0) || anon_nodes(w->memcg, a0) ||
	    zs_worker_call(w, ZS_OP_FILL, gen, 1) != w->pages || anon_nodes(w->memcg, a1)) {
		ksft_print_msg("%s: could not bind to node %d and fill\n", who, node);
		return -1;
	}
	ksft_print_msg("%s (%ld KiB) filled on node %d: anon N0 %+ld KiB, N1 %+ld KiB (now N0=%ld N1=%ld KiB)\n",
		       who, bytes >> 10, node, (a1[0] - a0[0]) >> 10, (a1[1] - a0[1]) >> 10,
		       a1[0] >> 10, a1[1] >> 10);
	if (a1[node] - a0[node] < bytes * 9 / 10 || a1[!node] - a0[!node] >= bytes / 10) {
		ksft_print_msg("%s's pages are not on node %d\n", who, node);
		return -1;
	}
	return 0;
}

static int one_node(void)
{
	if (numa_nodes() >= 2)
		return 0;
	ksft_print_msg("one NUMA node: boot with numa=fake=2\n");
	return 1;
}

/*
 *   zswap_test
 *   `-- N   memory.zswap.max = 1M
 *           W0: bound to node 0, 6 MiB filled and pushed out: zswap holds
 *               N's limit (within an entry), all of it on node 0's list
 *           W1: bound to node 1, then 8 MiB filled and pushed out, 1 MiB
 *               at a time
 *
 * A store at the limit writes back the memcg's own entries, starting with
 * the list of its page's node and going on to the next node (0030).  W1's
 * first stores find N's node-1 list empty, or with one entry: only node-0
 * entries make room for them.  During the node-1 phase N's zswpwb rises,
 * most of W1's pages are stored (zswpout), and memory.zswap.current stays
 * under the max but for the one entry a store under it may add.  W0 reads
 * back intact, and its reads from zswap (zswpin) count its entries left:
 * at least one fewer than it had, written back for W1.  W1 reads back
 * intact.  A walk of the page's node alone would find nothing to write
 * back, and reject every store of W1 to the swap device.
 */
static int test_zswap_two_nodes_own_writeback(void)
{
	long w0_bytes = 6L << 20, w1_bytes = 8L << 20, zmax = 1L << 20;
	struct zs_worker w0 = { .pid = -1 }, w1 = { .pid = -1 };
	long zcur, zpeak = 0, entries0, left0, step;
	struct zs_memcg_stat s0, s1, s2, s3, s4;
	int ret = KSFT_FAIL;
	char cg[PATH_MAX] = "";

	if (one_node())
		return KSFT_SKIP;
	if (child_memcg("nodes", cg) || cg_write_numeric(cg, "memory.zswap.max", zmax))
		goto cleanup;
	if (zs_worker_start(&w0, cg, w0_bytes, 0x40, &ZS_PATTERN_HALF) ||
	    zs_worker_start(&w1, cg, w1_bytes, 0x41, &ZS_PATTERN_HALF))
		goto cleanup;

	/* node 0: W0's entries fill zswap up to N's limit */
	if (flushed_stat(cg, &s0) || fill_on_node(&w0, 0, 1, "W0"))
		goto cleanup;
	push(&w0);
	if (flushed_stat(cg, &s1))
		goto cleanup;
	zcur = cg_read_long(cg, "memory.zswap.current");
	entries0 = s1.zswapped / (long)ZS_PAGE;
	ksft_print_msg("node-0 phase: zswpout +%ld, zswpwb +%ld; %ld entries in zswap, memory.zswap.current %ld of %ld KiB\n",
		       s1.zswpout - s0.zswpout, s1.zswpwb - s0.zswpwb, entries0, zcur >> 10,
		       zmax >> 10);
	if (s1.zswpwb < 0) {
		ksft_print_msg("memory.stat has no zswpwb: this kernel has no per-memcg zswap writeback (the unpatched base)\n");
		goto cleanup;
	}
	if (zcur < zmax - (long)ZS_PAGE) {
		ksft_print_msg("W0 did not fill zswap up to memory.zswap.max\n");
		goto cleanup;
	}

	/* node 1: stores at the limit, node 1's list empty */
	if (fill_on_node(&w1, 1, 1, "W1") || flushed_stat(cg, &s2))
		goto cleanup;
	for (step = 0; step < w1_bytes; step += 1L << 20) {
		zs_reclaim(cg, 1L << 20, 2);
		zcur = cg_read_long(cg, "memory.zswap.current");
		if (zcur > zpeak)
			zpeak = zcur;
	}
	if (flushed_stat(cg, &s3))
		goto cleanup;
	ksft_print_msg("node-1 phase: zswpout +%ld, zswpwb +%ld, swap %+ld KiB; memory.zswap.current at most %ld KiB\n",
		       s3.zswpout - s2.zswpout, s3.zswpwb - s2.zswpwb, (s3.swap - s2.swap) >> 10,
		       zpeak >> 10);

	/* each of W0's pages read from zswap is one zswpin: its entries left */
	if (verify(&w0, "W0") || flushed_stat(cg, &s4))
		goto cleanup;
	left0 = s4.zswpin - s3.zswpin;
	ksft_print_msg("node 0: %ld entries after its phase, %ld after node 1's: %ld written back for node-1 stores; node 1: %ld entries\n",
		       entries0, left0, entries0 - left0, s3.zswapped / (long)ZS_PAGE - left0);
	if (s3.zswpwb - s2.zswpwb <= 0) {
		ksft_print_msg("nothing was written back for the node-1 stores\n");
		goto cleanup;
	}
	if (s3.zswpout - s2.zswpout < w1.pages / 2) {
		ksft_print_msg("fewer than half of W1's pages were stored: the stores over the limit were rejected, not made room for with node 0's entries\n");
		goto cleanup;
	}
	if (entries0 - left0 < 1) {
		ksft_print_msg("no node-0 entry was written back for the node-1 stores\n");
		goto cleanup;
	}
	if (zpeak > zmax + (long)ZS_PAGE) {
		ksft_print_msg("memory.zswap.current reached %ld KiB, over memory.zswap.max\n",
			       zpeak >> 10);
		goto cleanup;
	}
	if (verify(&w1, "W1"))
		goto cleanup;
	ret = KSFT_PASS;
cleanup:
	zs_worker_stop(&w0);
	zs_worker_stop(&w1);
	cg_destroy(cg);
	return ret;
}

/*
 *   zswap_test
 *   `-- P   W: bound to node 1, twice 1.35% of RAM of dense pages, filled,
 *           then pushed out an eighth at a time until the pool holds 1.35%
 *           of RAM: every entry of P is on node 1's list
 *
 * Then max_pool_percent=1 (accept threshold 90) and 1 MiB more of W is
 * pushed out: the stores find the pool full and start the shrink worker,
 * whose visit of P (0037, zswap_shrink_memcg) finds node 0's list empty and
 * must write back node 1's entries until the pool is under 90% of 1% of
 * RAM (polled up to SETTLE_TIMEOUT_MS).  A walk of node 0 alone would write
 * back nothing, and the pool would stay full.  P's zswpwb and
 * written_back_pages rise; W reads back intact.
 */
static int test_zswap_two_nodes_pool_limit(void)
{
	long total = proc_meminfo_kb("MemTotal") * 1024L, target = total * 135 / 10000;
	long threshold = total / 100 * 90 / 100, wb0, waited, j;
	struct zs_worker w = { .pid = -1 };
	struct zs_memcg_stat s0, s1;
	int ret = KSFT_FAIL, done;
	char cg[PATH_MAX] = "";

	if (one_node())
		return KSFT_SKIP;
	if (child_memcg("P", cg) ||
	    zs_worker_start(&w, cg, target * 2, 0x50, &ZS_PATTERN_DENSE) ||
	    fill_on_node(&w, 1, 1, "W"))
		goto cleanup;
	for (j = 0; j < 8 && zswap_counter("pool_total_size") < target; j++)
		zs_reclaim(cg, target * 2 / 8, 2);
	if (flushed_stat(cg, &s0))
		goto cleanup;
	ksft_print_msg("pool_total_size %ld KiB (P %ld KiB), threshold at max_pool_percent=1: %ld KiB\n",
		       zswap_counter("pool_total_size") >> 10, s0.zswap >> 10, threshold >> 10);
	if (s0.zswpwb < 0) {
		ksft_print_msg("memory.stat has no zswpwb: no per-memcg writeback on this kernel (the unpatched base)\n");
		goto cleanup;
	}
	if (zswap_counter("pool_total_size") <= total / 100) {
		ksft_print_msg("could not fill the pool past 1%% of RAM\n");
		goto cleanup;
	}
	wb0 = zswap_counter("written_back_pages");
	if (zswap_param_write("accept_threshold_percent", "90") ||
	    zswap_param_write("max_pool_percent", "1"))
		goto cleanup;
	/* stores that find the pool full start the shrink worker */
	for (j = 0; j < 4; j++)
		zs_reclaim(cg, 256L << 10, 1);
	poll_until(zswap_counter("pool_total_size") < threshold, SETTLE_TIMEOUT_MS, waited);
	done = zswap_counter("pool_total_size") < threshold;
	zswap_param_write("max_pool_percent", saved.max_pool_percent);
	zswap_param_write("accept_threshold_percent", saved.accept_threshold_percent);
	if (flushed_stat(cg, &s1))
		goto cleanup;
	ksft_print_msg("after %ld ms: pool %ld KiB; P zswpwb +%ld, written_back_pages +%ld, zswapped %ld -> %ld KiB\n",
		       waited, zswap_counter("pool_total_size") >> 10, s1.zswpwb - s0.zswpwb,
		       zswap_counter("written_back_pages") - wb0, s0.zswapped >> 10,
		       s1.zswapped >> 10);
	if (s1.zswpwb - s0.zswpwb <= 0 || zswap_counter("written_back_pages") - wb0 <= 0) {
		ksft_print_msg("none of P's node-1 entries was written back at the pool limit\n");
		goto cleanup;
	}
	if (!done) {
		ksft_print_msg("the writeback did not bring the pool under the threshold within %d s\n",
			       SETTLE_TIMEOUT_MS / 1000);
		goto cleanup;
	}
	if (verify(&w, "W"))
		goto cleanup;
	ret = KSFT_PASS;
cleanup:
	zswap_param_write("max_pool_percent", saved.max_pool_percent);
	zswap_param_write("accept_threshold_percent", saved.accept_threshold_percent);
	zs_worker_stop(&w);
	cg_destroy(cg);
	return ret;
}

#define T(x) { x, #x }
struct zswap_test {
	int (*fn)(void);
	const char *name;
} tests[] = {
	T(test_zswap_usage),
	T(test_zswap_migrate),
	T(test_zswap_own_writeback),
	T(test_zswap_global_round_robin),
	T(test_zswap_limit_lowered),
	T(test_zswap_writeback_knob),
	T(test_zswap_worker_backoff),
	T(test_zswap_shrinker),
	T(test_zswap_two_nodes_own_writeback),
	T(test_zswap_two_nodes_pool_limit),
};
#undef T

/* $ZSWAP_TESTS: run only the cases whose names contain one of its words */
static int selected(const char *name)
{
	const char *only = getenv("ZSWAP_TESTS");
	char words[256], *w, *save;

	if (!only || !*only)
		return 1;
	snprintf(words, sizeof(words), "%s", only);
	for (w = strtok_r(words, " ,", &save); w; w = strtok_r(NULL, " ,", &save))
		if (strstr(name, w))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	char zpools[8][32];
	int i, z, nr_zpools, err;
	long t;

	ksft_print_header();
	zswap_test_setup(PARENT, parent, &saved);

	nr_zpools = zswap_zpools(zpools, 8, "zbud zsmalloc z3fold");
	ksft_set_plan(nr_zpools * ARRAY_SIZE(tests));
	for (z = 0; z < nr_zpools; z++) {
		zpool = zpools[z];
		err = zswap_use(zpool);
		if (err)
			ksft_print_msg("zpool %s is not available: %s\n", zpool, strerror(-err));
		for (i = 0; i < (int)ARRAY_SIZE(tests); i++) {
			if (err || !selected(tests[i].name)) {
				ksft_test_result_skip("%s %s\n", tests[i].name, zpool);
				continue;
			}
			t = now_ms();
			ksft_print_msg("%s with zpool %s\n", tests[i].name, zpool);
			switch (tests[i].fn()) {
			case KSFT_PASS:
				ksft_test_result_pass("%s %s (%.1fs)\n", tests[i].name, zpool,
						      (now_ms() - t) / 1000.0);
				break;
			case KSFT_SKIP:
				ksft_test_result_skip("%s %s\n", tests[i].name, zpool);
				break;
			default:
				ksft_test_result_fail("%s %s (%.1fs)\n", tests[i].name, zpool,
						      (now_ms() - t) / 1000.0);
				break;
			}
		}
	}
	zswap_params_restore(&saved);
	rmdir(parent);
	ksft_finished();
}
