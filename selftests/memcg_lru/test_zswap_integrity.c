// SPDX-License-Identifier: GPL-2.0
/*
 * A safety net for zswap: nothing that goes out through zswap, and from
 * zswap to the swap device, comes back different.  It passes on any
 * correct kernel, the unpatched base included; it fails on the first byte
 * that differs, naming the memcg, the page and the bytes.
 *
 *   zswap_check
 *   |-- w0 .. wN-1   a worker process each, ZSWAP_CHECK_MB of anon memory
 *   |                (no THP) holding a verifiable pattern: a header with
 *   |                the page index, the worker's seed, the generation and
 *   |                a checksum, then zeros, counter words and noise (lzo
 *   |                makes ~1.8 KiB of a page).  Odd workers have a small
 *   |                memory.zswap.max (MB/8): their stores write back their
 *   |                own entries (the series) or go straight to disk (base).
 *   `-- churn_K      created and removed meanwhile by a thread, each with
 *                    2 MiB of tmpfs data pushed into zswap before rmdir and
 *                    checked after (the memcg is gone by then); the thread
 *                    also toggles /sys/kernel/mm/lru_gen/enabled (y/n).
 *
 * Each round: the workers write a new generation into a third of their
 * pages (all of them in round 0); memory.reclaim pushes every worker out;
 * every odd round runs with max_pool_percent=1, so the pool is over its
 * limit and zswap writes back (zbud on the base; any zpool with the
 * series) or rejects; then every worker reads every page back and checks
 * every byte, while a thread keeps reclaiming from them, so loads race
 * stores and writeback.  Pages are pushed out with memory.reclaim only: no
 * memory limit, so no OOM kill even on a kernel whose MGLRU switch races
 * reclaim.
 *
 * A run proves something only if it did the work: every churn file must
 * have been written, and read back and checked page by page, and zswap
 * must have written back during the run (the workers' zswpwb in
 * memory.stat rose where the kernel has it, else written_back_pages in
 * debugfs), or nothing that came back from the swap device was checked.
 * 6.1's zsmalloc cannot write back at all, so on the unpatched base the
 * zsmalloc case fails that requirement.
 *
 * The first case checks the checker: one byte of one page is changed in
 * user space after the push and before the check (2 workers of 8 MiB, one
 * round, no churn).  The checker must fail that run, reporting exactly that
 * byte and nothing else; the case passes only then.
 *
 * zswap_swapoff races swapoff with writeback.  A second swap device, a
 * swap file on the scratch disk at a higher priority than the swap disk,
 * takes the workers' swap; every worker is at a small memory.zswap.max
 * (MB/8) and the pool at max_pool_percent=1, so stores write back, and so
 * does the shrink worker.  Each of ZSWAP_SWAPOFF_CYCLES cycles writes a
 * third of the pages, pushes the workers out, and swaps the file off and
 * on again while a thread keeps reclaiming from them.  During each swapoff
 * the test module's zswap_writeback_fail hook (CONFIG_ZSWAP_TEST_HOOKS)
 * makes every other writeback fail 20 ms after it put its page in the swap
 * cache, as one that waited for memory in vain.  Swapoff that found such a
 * page mapped a swapin error entry for it, though its data was in zswap:
 * the worker died of SIGBUS.  Every page is checked after each cycle; the
 * run must have written back, and failed writebacks, during swapoff, and
 * written_back_pages must have grown exactly as /proc/vmstat's zswpwb.
 * zswap_swapoff_failslab is the same without the hook, with failslab
 * failing a fifth of the slab allocations of the reclaiming threads (the
 * stores, their writeback, the swap cache insertions); it needs
 * CONFIG_FAILSLAB and must have injected failures.
 *
 * While the rounds of zswap_integrity run, a thread takes CPU 1 offline
 * and back every ZSWAP_CHECK_HOTPLUG_MS (300; 0: never): a store, load or
 * writeback may have looked up the compression context of CPU 1 just
 * before, and goes on with it from CPU 0.  A guest with one CPU has no
 * CPU 1: the run says so and goes on without.
 *
 * Environment: ZSWAP_CHECK_MEMCGS (4), ZSWAP_CHECK_MB (32),
 * ZSWAP_CHECK_ROUNDS (2; make soak raises it), ZSWAP_ZPOOLS ("zbud
 * zsmalloc", z3fold when named: one TAP line each).
 * ZSWAP_CHECK_SECONDS (0): go on with further rounds, per zpool, until
 * that many seconds have passed (make soak's hour).  ZSWAP_CHECK_VARY_MAX=1
 * (make soak): from round 2 on, every worker's memory.zswap.max changes
 * each round, through max, MB/8, MB/2 and 0 in turn, staggered by worker,
 * so stores meet a limit lowered under entries already stored, and limit 0
 * (everything straight to the swap device), while loads and writeback of
 * older generations go on.
 * ZSWAP_CHECK_SELFTEST=1 runs the checker's self-test case only, ZSWAP_SWAPOFF_ONLY=1 the two swapoff
 * cases only.  ZSWAP_SWAPOFF_CYCLES (20),
 * ZSWAP_SWAPOFF_MB (16 a worker), ZSWAP_SWAPOFF_ZPOOL (zsmalloc: before
 * the series decompressed without allocating, only its writeback could fail
 * for want of memory after the swap cache).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "cgroup_util.h"
#include "memcg_lru_util.h"

#define PARENT		"zswap_check"
#define MAX_WORKERS	64
#define CHURN_BYTES	(2L << 20)
#define CHURN_KEEP	3	/* tmpfs files alive at once */
#define SHM_PREFIX	"/dev/shm/zswap_check."
#define SWAPFILE	"zswap_swapoff.swap"	/* on $SCRATCH */
#define FAILSLAB	"/sys/kernel/debug/failslab"
#define FAILSLAB_TIMES	1000000L
#define MLT_ZSWAP_FAIL	"/sys/kernel/debug/memcg_lru_test/zswap_writeback_fail"

static struct zswap_params saved;
static char parent[PATH_MAX];
static long nr_workers, worker_mb, rounds, check_seconds;
static int vary_max;
static int selftest;		/* this run is the checker's self-test */
/* The self-test's verdict: the corrupted byte was reported; other mismatches. */
static int selftest_caught;
static long mismatches;
static struct zs_worker workers[MAX_WORKERS];
static char worker_cg[MAX_WORKERS][PATH_MAX];

/* The churn thread's state. */
static volatile int churn_stop;
static long churn_cycles, churn_toggles, churn_bad, churn_failed, churn_missing;
static long churn_written, churn_verified;	/* pages */
static int churn_create_failed;
static struct zs_mismatch churn_mismatch;
static long churn_bad_cycle;
/* Whether cycle k's file was written, by k % (CHURN_KEEP + 1). */
static int churn_wrote[CHURN_KEEP + 1];

/* The reclaimer thread (runs while the workers check their pages). */
static volatile int reclaim_stop;
static long reclaim_calls;
/* memory.zswap.max writes of ZSWAP_CHECK_VARY_MAX */
static long limit_changes;

/* The hotplug thread: CPU 1 offline and back while the rounds run. */
#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"
static volatile int hotplug_stop;
static long hotplug_ms, hotplug_cycles, hotplug_errors;

/* Pages stored in zswap over a run: none means zswap checked nothing. */
static long stored_total;

/* ---- churn: memcgs with zswapped tmpfs data, created and removed ---- */

static void churn_path(long k, char *path, size_t size)
{
	snprintf(path, size, SHM_PREFIX "%ld", k);
}

/* In a child that joins cg: write 2 MiB of pattern to tmpfs file k. */
static int churn_write(const char *cg, long k)
{
	static unsigned char page[ZS_PAGE];
	char path[64];
	long i;
	int fd;

	if (cg_enter_current(cg))
		return 1;
	churn_path(k, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return 1;
	for (i = 0; i < CHURN_BYTES / (long)ZS_PAGE; i++) {
		zs_fill_page(page, &ZS_PATTERN_MIXED, 0x5000 + k, i, k);
		if (write(fd, page, ZS_PAGE) != ZS_PAGE)
			return 1;
	}
	close(fd);
	return 0;
}

/* Read file k back and check it; then remove it. */
static void churn_check(long k)
{
	static unsigned char page[ZS_PAGE];
	struct zs_mismatch m;
	long i, bad = 0;
	char path[64];
	int fd;

	if (!churn_wrote[k % (CHURN_KEEP + 1)])
		return;		/* churn_write() failed: counted there */
	churn_path(k, path, sizeof(path));
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		churn_missing++;	/* written, and gone */
		return;
	}
	for (i = 0; i < CHURN_BYTES / (long)ZS_PAGE; i++) {
		if (pread(fd, page, ZS_PAGE, i * ZS_PAGE) != ZS_PAGE)
			memset(page, 0, sizeof(page));
		if (zs_check_page(page, &ZS_PATTERN_MIXED, 0x5000 + k, i, k, &m) && !bad++)
			churn_mismatch = m;
		churn_verified++;
	}
	close(fd);
	if (bad && !churn_bad++) {
		churn_mismatch.pages = bad;
		churn_bad_cycle = k;
	}
	unlink(path);
}

static void *churn_thread(void *arg)
{
	long lru_gen = (long)arg, k;
	char cg[PATH_MAX], name[32], path[64];
	int status;
	pid_t pid;

	for (k = 0; !churn_stop; k++) {
		snprintf(name, sizeof(name), "churn_%ld", k);
		if (zs_memcg_create(parent, name, cg, sizeof(cg))) {
			churn_create_failed = 1;
			break;
		}
		churn_wrote[k % (CHURN_KEEP + 1)] = 0;
		pid = fork();
		if (!pid)
			_exit(churn_write(cg, k));
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			churn_path(k, path, sizeof(path));
			unlink(path);
			churn_failed++;
		} else {
			churn_wrote[k % (CHURN_KEEP + 1)] = 1;
			churn_written += CHURN_BYTES / ZS_PAGE;
		}
		zs_reclaim(cg, CHURN_BYTES, 2);
		if (lru_gen >= 0 && (k & 1)) {
			lru_gen_write(churn_toggles & 1 ? "y" : "n");
			churn_toggles++;
		}
		cg_destroy(cg);
		if (k >= CHURN_KEEP)
			churn_check(k - CHURN_KEEP);
		churn_cycles = k + 1;
	}
	for (k = churn_cycles - CHURN_KEEP; k < churn_cycles; k++)
		if (k >= 0)
			churn_check(k);
	return NULL;
}

/* The reclaimer fails slab allocations (failslab's task filter). */
static int reclaim_failslab;
static int mif_open(void);
static int mif_set(int fd, int on);

static void *reclaim_thread(void *arg)
{
	unsigned int seed = 1;
	int mif = -1;

	if (reclaim_failslab) {
		mif = mif_open();
		if (mif >= 0)
			mif_set(mif, 1);
	}
	while (!reclaim_stop) {
		zs_reclaim(worker_cg[rand_r(&seed) % nr_workers], 1L << 20, 1);
		reclaim_calls++;
		usleep(5000);
	}
	if (mif >= 0) {
		mif_set(mif, 0);
		close(mif);
	}
	return NULL;
}

/*
 * Take CPU 1 offline and back every hotplug_ms: stores, loads and
 * writebacks that looked up its compression context before it went down
 * go on with it from CPU 0.
 */
static void *hotplug_thread(void *arg)
{
	while (!hotplug_stop) {
		if (file_write(CPU1_ONLINE, "0") || file_write(CPU1_ONLINE, "1"))
			hotplug_errors++;
		else
			hotplug_cycles++;
		usleep(hotplug_ms * 1000);
	}
	/* never leave CPU 1 offline */
	while (file_write(CPU1_ONLINE, "1") && hotplug_errors++ < 100)
		usleep(10000);
	return NULL;
}

/* ---- the workers ---- */

struct totals {
	long zswpout, zswpin, zswpwb, disk;
};

static void sum_stats(struct totals *t)
{
	struct zs_memcg_stat s;
	long i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < nr_workers; i++) {
		if (zs_memcg_stat(worker_cg[i], &s))
			continue;
		t->zswpout += s.zswpout;
		t->zswpin += s.zswpin;
		t->zswpwb = s.zswpwb < 0 ? -1 : t->zswpwb + s.zswpwb;
		t->disk += zs_disk_pages(&s);
	}
}

/* Send op to every worker, then collect: -1 if any died, else the sum. */
static long all_workers(enum zs_op op, long arg, long arg2, long *each)
{
	int sent[MAX_WORKERS];
	long i, r, sum = 0;

	for (i = 0; i < nr_workers; i++)
		sent[i] = !zs_worker_send(&workers[i], op, arg, arg2);
	for (i = 0; i < nr_workers; i++) {
		r = sent[i] ? zs_worker_wait(&workers[i]) : -1;
		if (each)
			each[i] = r;
		if (r < 0) {
			ksft_print_msg("worker w%ld (pid %d) died\n", i, workers[i].pid);
			sum = -1;
		} else if (sum >= 0) {
			sum += r;
		}
	}
	return sum;
}

static int start_workers(void)
{
	long bytes = worker_mb << 20, i;
	char name[16];

	for (i = 0; i < nr_workers; i++) {
		snprintf(name, sizeof(name), "w%ld", i);
		if (zs_memcg_create(parent, name, worker_cg[i], PATH_MAX))
			return -1;
		if (i & 1 && cg_write_numeric(worker_cg[i], "memory.zswap.max", bytes / 8))
			return -1;
		if (zs_worker_start(&workers[i], worker_cg[i], bytes, 0x1000 + i, &ZS_PATTERN_MIXED))
			return -1;
	}
	return 0;
}

static void stop_workers(void)
{
	long i;

	for (i = 0; i < nr_workers; i++) {
		zs_worker_stop(&workers[i]);
		cg_destroy(worker_cg[i]);
	}
}

/* Push every worker out: memory.reclaim of its size, 8 MiB at a time. */
static void push_out(void)
{
	long bytes = worker_mb << 20, done, i;

	for (i = 0; i < nr_workers; i++)
		for (done = 0; done < bytes; done += 8L << 20)
			zs_reclaim(worker_cg[i], 8L << 20, 2);
}

/* ZSWAP_CHECK_VARY_MAX: worker i's memory.zswap.max in round r. */
static void vary_zswap_max(long r)
{
	long bytes = worker_mb << 20, i, lim;

	if (!vary_max || r < 1)
		return;
	for (i = 0; i < nr_workers; i++) {
		switch ((r + i) % 4) {
		case 0:
			lim = -1;
			break;
		case 1:
			lim = bytes / 8;
			break;
		case 2:
			lim = bytes / 2;
			break;
		default:
			lim = 0;
			break;
		}
		if (lim < 0)
			cg_write(worker_cg[i], "memory.zswap.max", "max");
		else
			cg_write_numeric(worker_cg[i], "memory.zswap.max", lim);
	}
	limit_changes += nr_workers;
}

/* One round; 0 if every page came back intact. */
static int run_round(long r)
{
	long bad[MAX_WORKERS], wb0 = zswap_counter("written_back_pages"), t = now_ms();
	long plh0 = zswap_counter("pool_limit_hit"), corrupt_page = 0, i;
	int global = r & 1, ret = 0;
	struct totals s0, s1, s2;
	pthread_t reclaimer;
	char wb[32];

	sum_stats(&s0);
	vary_zswap_max(r);
	/* round 0 writes generation 1 everywhere; round r a third of the pages */
	if (all_workers(ZS_OP_FILL, r + 1, r ? 3 : 1, NULL) < 0)
		return -1;
	if (global) {
		zswap_param_write("accept_threshold_percent", "90");
		zswap_param_write("max_pool_percent", "1");
	}
	push_out();
	sum_stats(&s1);

	if (selftest) {
		corrupt_page = workers[0].pages / 2 + 1;
		if (zs_worker_call(&workers[0], ZS_OP_CORRUPT, corrupt_page, 2000))
			return -1;
	}
	reclaim_stop = 0;
	pthread_create(&reclaimer, NULL, reclaim_thread, NULL);
	if (all_workers(ZS_OP_VERIFY, 0, 0, bad) < 0)
		ret = -1;
	reclaim_stop = 1;
	pthread_join(reclaimer, NULL);
	if (global) {
		zswap_param_write("max_pool_percent", saved.max_pool_percent);
		zswap_param_write("accept_threshold_percent", saved.accept_threshold_percent);
	}
	sum_stats(&s2);

	if (s2.zswpwb < 0)
		snprintf(wb, sizeof(wb), "no zswpwb");
	else
		snprintf(wb, sizeof(wb), "zswpwb +%ld", s2.zswpwb - s0.zswpwb);
	ksft_print_msg("round %ld%s: %.1fs, stored %ld, loaded %ld, %s, on disk %ld pages; written_back_pages +%ld, pool_limit_hit +%ld\n",
		       r + 1, global ? " (max_pool_percent=1)" : "", (now_ms() - t) / 1000.0,
		       s2.zswpout - s0.zswpout, s2.zswpin - s0.zswpin, wb,
		       s1.disk, zswap_counter("written_back_pages") - wb0,
		       zswap_counter("pool_limit_hit") - plh0);
	stored_total += s2.zswpout - s0.zswpout;
	for (i = 0; i < nr_workers; i++) {
		char who[64];

		if (bad[i] <= 0)
			continue;
		snprintf(who, sizeof(who), "memcg %s/w%ld", PARENT, i);
		zs_print_mismatch(who, workers[i].bad);
		/* the checker fails the run on any mismatch, the planted one too */
		ret = -1;
		if (selftest && i == 0 && bad[0] == 1 && workers[0].bad->index == corrupt_page &&
		    workers[0].bad->offset == 2000)
			selftest_caught = 1;
		else
			mismatches += bad[i];
	}
	return ret;
}

/*
 * Workers, churn (unless this is the self-test) and rounds with zpool;
 * KSFT_PASS only if every page came back intact and the run did its work.
 */
static int run_zpool(const char *zpool)
{
	long lru_gen = access(LRU_GEN_ENABLED, W_OK) ? -1 : lru_gen_read(), r, t = now_ms();
	long wb0 = zswap_counter("written_back_pages"), wb, zswpwb = -1;
	long nr_rounds = selftest ? 1 : rounds, done;
	int ret = KSFT_FAIL, hotplug = 0, failed = 0;
	struct totals s0, s1;
	pthread_t churn, hotplugger;
	char val[32];

	churn_stop = 0;
	churn_cycles = churn_toggles = churn_bad = churn_failed = churn_missing = 0;
	churn_written = churn_verified = churn_create_failed = 0;
	reclaim_calls = stored_total = mismatches = selftest_caught = limit_changes = 0;
	if (start_workers())
		goto cleanup;
	sum_stats(&s0);
	if (!selftest)
		pthread_create(&churn, NULL, churn_thread, (void *)lru_gen);
	hotplug_stop = hotplug_cycles = hotplug_errors = 0;
	if (!selftest && hotplug_ms > 0) {
		if (access(CPU1_ONLINE, W_OK))
			ksft_print_msg("hotplug: no %s, CPU 1 stays online\n", CPU1_ONLINE);
		else
			hotplug = !pthread_create(&hotplugger, NULL, hotplug_thread, NULL);
	}
	/* ZSWAP_CHECK_SECONDS: further rounds until the time is up */
	for (r = 0; r < nr_rounds ||
	     (!selftest && check_seconds && now_ms() - t < check_seconds * 1000); r++) {
		if (run_round(r)) {
			failed = 1;
			break;
		}
	}
	done = failed ? r + 1 : r;	/* rounds that checked pages */
	if (hotplug) {
		hotplug_stop = 1;
		pthread_join(hotplugger, NULL);
		ksft_print_msg("hotplug: CPU 1 offline and back %ld times (every %ld ms), %ld failed\n",
			       hotplug_cycles, hotplug_ms, hotplug_errors);
	}
	if (!selftest) {
		churn_stop = 1;
		pthread_join(churn, NULL);
	}
	if (lru_gen >= 0) {
		snprintf(val, sizeof(val), "0x%lx", lru_gen);
		lru_gen_write(val);
	}
	sum_stats(&s1);
	wb = zswap_counter("written_back_pages") - wb0;
	if (s0.zswpwb >= 0 && s1.zswpwb >= 0)
		zswpwb = s1.zswpwb - s0.zswpwb;
	ksft_print_msg("workers: %ld pages checked in each of %ld rounds; writeback: workers' zswpwb %s%ld, written_back_pages +%ld\n",
		       nr_workers * (worker_mb << 20) / (long)ZS_PAGE, done, zswpwb < 0 ? "(none) " : "+",
		       zswpwb < 0 ? 0 : zswpwb, wb);
	if (selftest)
		goto cleanup;	/* the case's verdict is taken from the mismatches */

	ksft_print_msg("churn: %ld memcgs created and removed with zswapped tmpfs data, %ld lru_gen toggles, %ld reclaims during the checks, %ld memory.zswap.max changes\n",
		       churn_cycles, churn_toggles, reclaim_calls, limit_changes);
	ksft_print_msg("churn: %ld pages written, %ld read back and checked; %ld files not written, %ld written and gone\n",
		       churn_written, churn_verified, churn_failed, churn_missing);
	if (churn_bad) {
		char who[64];

		snprintf(who, sizeof(who), "tmpfs file of removed memcg churn_%ld", churn_bad_cycle);
		zs_print_mismatch(who, &churn_mismatch);
		goto cleanup;
	}
	if (failed)
		goto cleanup;
	if (churn_create_failed || churn_failed || churn_missing || !churn_written ||
	    churn_verified != churn_written) {
		ksft_print_msg("churn did not write and check all of its data: the run is not valid\n");
		goto cleanup;
	}
	if (hotplug && (!hotplug_cycles || hotplug_errors)) {
		ksft_print_msg("CPU 1 did not go offline and back as asked\n");
		goto cleanup;
	}
	if (stored_total <= 0) {
		ksft_print_msg("nothing was stored in zswap: the run checked nothing\n");
		goto cleanup;
	}
	if (zswpwb == 0 || (zswpwb < 0 && wb <= 0)) {
		ksft_print_msg("nothing was written back during the run: no page that came back from the swap device was checked%s\n",
			       zswpwb < 0 && !strcmp(zpool, "zsmalloc") ?
			       " (6.1's zsmalloc cannot write back)" : "");
		goto cleanup;
	}
	ret = KSFT_PASS;
cleanup:
	stop_workers();
	ksft_print_msg("zpool %s: %.1fs\n", zpool, (now_ms() - t) / 1000.0);
	return ret;
}

/* ---- swapoff racing writeback ---- */

static char swapfile[PATH_MAX];

/*
 * A swap file of mb MiB on $SCRATCH, swapped on at priority 10: 0, -1 if it
 * could not be made, KSFT_SKIP without a scratch disk (tmpfs cannot swap).
 */
static int swapfile_on(long mb)
{
	const char *scratch = getenv("SCRATCH");
	char cmd[3 * PATH_MAX];

	if (!scratch || !*scratch) {
		ksft_print_msg("no $SCRATCH disk for a swap file\n");
		return KSFT_SKIP;
	}
	snprintf(swapfile, sizeof(swapfile), "%s/" SWAPFILE, scratch);
	/* a file left active by a killed run */
	swapoff(swapfile);
	snprintf(cmd, sizeof(cmd), "dd if=/dev/zero of=%s bs=1M count=%ld 2>/dev/null && chmod 600 %s && mkswap %s >/dev/null",
		 swapfile, mb, swapfile, swapfile);
	if (system(cmd)) {
		ksft_print_msg("cannot make a swap file at %s\n", swapfile);
		return -1;
	}
	if (swapon(swapfile, SWAP_FLAG_PREFER | 10)) {
		ksft_print_msg("swapon %s: %s\n", swapfile, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The calling thread's make-it-fail, opened before failslab is armed: a
 * write through it allocates nothing, so it cannot fail when it disarms.
 */
static int mif_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%ld/make-it-fail",
		 (long)syscall(SYS_gettid));
	return open(path, O_RDWR);
}

static int mif_set(int fd, int on)
{
	char c;

	if (pwrite(fd, on ? "1" : "0", 1, 0) != 1 || pread(fd, &c, 1, 0) != 1)
		return -1;
	return c == (on ? '1' : '0') ? 0 : -1;
}

static void failslab_write(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), FAILSLAB "/%s", name);
	file_write(path, val);
}

/* failslab on for the tasks marked make-it-fail: 0, or -1 if it is missing. */
static int failslab_arm(void)
{
	char val[32];

	if (access(FAILSLAB "/probability", W_OK))
		return -1;
	failslab_write("task-filter", "Y");
	failslab_write("ignore-gfp-wait", "N");
	failslab_write("verbose", "0");
	failslab_write("interval", "1");
	failslab_write("space", "0");
	snprintf(val, sizeof(val), "%ld", FAILSLAB_TIMES);
	failslab_write("times", val);
	return file_write(FAILSLAB "/probability", "20") ? -1 : 0;
}

/* failslab back to its defaults; the failures it injected, or -1. */
static long failslab_disarm(void)
{
	long left = file_read_long(FAILSLAB "/times");

	failslab_write("probability", "0");
	failslab_write("times", "1");
	failslab_write("task-filter", "N");
	failslab_write("ignore-gfp-wait", "Y");
	failslab_write("verbose", "2");
	return left < 0 ? -1 : FAILSLAB_TIMES - left;
}

/* zswap writebacks failed by the module's hook so far; -1 without it. */
static long hook_failed(void)
{
	char buf[128], *p;

	if (file_read(MLT_ZSWAP_FAIL, buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "failed ");
	return p ? strtol(p + 7, NULL, 10) : -1;
}

/* Both writeback counters, once neither has moved for 200 ms (at most 10 s). */
static void writeback_counters(long *wb, long *vm_wb)
{
	long a = -2, b = -2, i;

	for (i = 0; i < 50; i++) {
		*wb = zswap_counter("written_back_pages");
		*vm_wb = proc_vmstat("zswpwb");
		if (*wb == a && *vm_wb == b)
			return;
		a = *wb;
		b = *vm_wb;
		usleep(200000);
	}
}

/* The hook's file refuses bad input and keeps what it had: 0 if so. */
static int hook_rejects(void)
{
	static const char * const bad[] = { "x", "1", "1 2 3", "1001 1", "1 1001", "-1 5",
					    "4294967297 1" };
	char before[128], after[128];
	size_t i;

	if (file_read(MLT_ZSWAP_FAIL, before, sizeof(before)) < 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int err = file_write(MLT_ZSWAP_FAIL, bad[i]);

		if (err != -EINVAL && err != -ERANGE) {
			ksft_print_msg("zswap_writeback_fail \"%s\": %d, expected EINVAL or ERANGE\n",
				       bad[i], err);
			return -1;
		}
	}
	if (file_read(MLT_ZSWAP_FAIL, after, sizeof(after)) < 0 || strcmp(before, after)) {
		ksft_print_msg("zswap_writeback_fail changed on bad input\n");
		return -1;
	}
	return 0;
}

static int test_zswap_swapoff(const char *zpool, int failslab)
{
	long cycles = getenv_long("ZSWAP_SWAPOFF_CYCLES", 20), c, i, injected = 0;
	long save_workers = nr_workers, save_mb = worker_mb, swapoffs = 0, bad[MAX_WORKERS];
	long wb0, vm_wb0, wb1, vm_wb1, off_wb = 0, off_failed = 0, t = now_ms(), w, f;
	int hook = !failslab && hook_failed() >= 0, ret = KSFT_FAIL, on = 0, mif = -1;
	const int fs = failslab;
	struct totals s0, s1;
	pthread_t reclaimer;

	nr_workers = 4;
	worker_mb = getenv_long("ZSWAP_SWAPOFF_MB", 16);
	if (!failslab && !hook) {
		ksft_print_msg("no %s (CONFIG_ZSWAP_TEST_HOOKS and the test module): no writeback can be made to fail during swapoff\n",
			       MLT_ZSWAP_FAIL);
		goto out;
	}
	if (hook && hook_rejects())
		goto out;
	ret = swapfile_on(nr_workers * worker_mb * 2);
	if (ret) {
		ret = ret == KSFT_SKIP ? KSFT_SKIP : KSFT_FAIL;
		goto out;
	}
	ret = KSFT_FAIL;
	on = 1;
	if (start_workers())
		goto cleanup;
	/* every worker at a small limit: its stores write back, to the file */
	for (i = 0; i < nr_workers; i++)
		cg_write_numeric(worker_cg[i], "memory.zswap.max", (worker_mb << 20) / 8);
	zswap_param_write("accept_threshold_percent", "90");
	zswap_param_write("max_pool_percent", "1");
	if (failslab) {
		mif = mif_open();
		if (mif < 0 || failslab_arm()) {
			ksft_print_msg("failslab is not available (CONFIG_FAILSLAB, debugfs)\n");
			ret = KSFT_SKIP;
			goto cleanup;
		}
	}
	reclaim_failslab = failslab;
	sum_stats(&s0);
	wb0 = zswap_counter("written_back_pages");
	vm_wb0 = proc_vmstat("zswpwb");
	for (c = 0; c < cycles; c++) {
		if (all_workers(ZS_OP_FILL, c + 1, c ? 3 : 1, NULL) < 0)
			goto cleanup;
		if (failslab && mif_set(mif, 1))
			goto cleanup;
		push_out();
		if (failslab && mif_set(mif, 0)) {
			ksft_print_msg("cannot take make-it-fail back\n");
			goto cleanup;
		}
		reclaim_stop = 0;
		if (pthread_create(&reclaimer, NULL, reclaim_thread, NULL)) {
			ksft_print_msg("pthread_create failed\n");
			goto cleanup;
		}
		/* every other writeback fails, 20 ms after it took its slot */
		if (hook)
			file_write(MLT_ZSWAP_FAIL, "2 20");
		w = zswap_counter("written_back_pages");
		f = hook_failed();
		if (swapoff(swapfile)) {
			ksft_print_msg("cycle %ld: swapoff: %s\n", c + 1, strerror(errno));
			on = 0;
		} else {
			swapoffs++;
		}
		if (hook)
			file_write(MLT_ZSWAP_FAIL, "0 0");
		off_wb += zswap_counter("written_back_pages") - w;
		off_failed += hook_failed() - f;
		if (!on) {
			reclaim_stop = 1;
			pthread_join(reclaimer, NULL);
			goto cleanup;
		}
		on = !swapon(swapfile, SWAP_FLAG_PREFER | 10);
		reclaim_stop = 1;
		pthread_join(reclaimer, NULL);
		if (!on) {
			ksft_print_msg("cycle %ld: swapon: %s\n", c + 1, strerror(errno));
			goto cleanup;
		}
		/* a worker killed by a swapin error dies here */
		if (all_workers(ZS_OP_VERIFY, 0, 0, bad) < 0) {
			ksft_print_msg("cycle %ld: a worker died (SIGBUS: a swapin error entry?)\n",
				       c + 1);
			goto cleanup;
		}
		for (i = 0; i < nr_workers; i++) {
			char who[64];

			if (bad[i] <= 0)
				continue;
			snprintf(who, sizeof(who), "memcg %s/w%ld, cycle %ld", PARENT, i, c + 1);
			zs_print_mismatch(who, workers[i].bad);
			goto cleanup;
		}
	}
	if (failslab) {
		injected = failslab_disarm();
		failslab = 0;
	}
	/* the shrink worker stops once the pool is under its usual limit */
	zswap_param_write("max_pool_percent", saved.max_pool_percent);
	writeback_counters(&wb1, &vm_wb1);
	sum_stats(&s1);
	ksft_print_msg("%ld swapoff/swapon cycles of %ld MiB: stored %ld, loaded %ld, zswpwb +%ld, written_back_pages +%ld (+%ld during swapoff), every page checked after each\n",
		       swapoffs, nr_workers * worker_mb, s1.zswpout - s0.zswpout, s1.zswpin - s0.zswpin,
		       s1.zswpwb - s0.zswpwb, wb1 - wb0, off_wb);
	if (hook)
		ksft_print_msg("writebacks failed by the hook during swapoff: %ld\n", off_failed);
	if (fs)
		ksft_print_msg("failslab injected %ld failures\n", injected);
	if (fs && injected <= 0) {
		ksft_print_msg("failslab injected nothing: the run is not valid\n");
		goto cleanup;
	}
	if (off_wb <= 0 || (hook && off_failed <= 0)) {
		ksft_print_msg("no writeback %s during swapoff: swapoff raced nothing\n",
			       off_wb <= 0 ? "succeeded" : "failed");
		goto cleanup;
	}
	/* both count each writeback that succeeded: no increment may be lost */
	if (vm_wb0 >= 0 && vm_wb1 - vm_wb0 != wb1 - wb0) {
		ksft_print_msg("written_back_pages +%ld, but /proc/vmstat zswpwb +%ld\n", wb1 - wb0,
			       vm_wb1 - vm_wb0);
		goto cleanup;
	}
	ret = KSFT_PASS;
cleanup:
	if (hook)
		file_write(MLT_ZSWAP_FAIL, "0 0");
	if (failslab)
		failslab_disarm();
	if (mif >= 0)
		close(mif);
	reclaim_failslab = 0;
	zswap_param_write("max_pool_percent", saved.max_pool_percent);
	zswap_param_write("accept_threshold_percent", saved.accept_threshold_percent);
	stop_workers();
	if (on && swapoff(swapfile))
		ksft_print_msg("swapoff %s at the end: %s\n", swapfile, strerror(errno));
	unlink(swapfile);
out:
	nr_workers = save_workers;
	worker_mb = save_mb;
	ksft_print_msg("zswap_swapoff%s %s: %.1fs\n", fs ? "_failslab" : "", zpool,
		       (now_ms() - t) / 1000.0);
	return ret;
}

/*
 * The checker's self-test: a run of 2 workers x 8 MiB, one round, in which
 * one byte of one page is flipped in user space between the push and the
 * check.  The checker must fail that run, naming exactly that byte and no
 * other difference; then, and only then, the case passes.
 */
static int test_checker_selftest(const char *zpool)
{
	long save_workers = nr_workers, save_mb = worker_mb;
	int ret;

	selftest = 1;
	nr_workers = 2;
	worker_mb = 8;
	ret = run_zpool(zpool);
	selftest = 0;
	nr_workers = save_workers;
	worker_mb = save_mb;
	if (ret == KSFT_PASS) {
		ksft_print_msg("self-test: the checker passed a run with a corrupted byte\n");
		return KSFT_FAIL;
	}
	if (!selftest_caught) {
		ksft_print_msg("self-test: the checker did not report the byte changed in user space\n");
		return KSFT_FAIL;
	}
	if (mismatches) {
		ksft_print_msg("self-test: %ld more pages differ than the one corrupted\n", mismatches);
		return KSFT_FAIL;
	}
	ksft_print_msg("self-test: the checker failed the run on the byte changed in user space, and on nothing else\n");
	return KSFT_PASS;
}

int main(int argc, char **argv)
{
	int z, nr_zpools, err, only_selftest, only_swapoff;
	char zpools[8][32];
	const char *st_zpool = NULL;

	ksft_print_header();
	nr_workers = getenv_long("ZSWAP_CHECK_MEMCGS", 4);
	worker_mb = getenv_long("ZSWAP_CHECK_MB", 32);
	rounds = getenv_long("ZSWAP_CHECK_ROUNDS", 2);
	check_seconds = getenv_long("ZSWAP_CHECK_SECONDS", 0);
	vary_max = getenv_long("ZSWAP_CHECK_VARY_MAX", 0) == 1;
	hotplug_ms = getenv_long("ZSWAP_CHECK_HOTPLUG_MS", 300);
	only_selftest = getenv_long("ZSWAP_CHECK_SELFTEST", 0) == 1;
	only_swapoff = getenv_long("ZSWAP_SWAPOFF_ONLY", 0) == 1;
	if (nr_workers < 1 || nr_workers > MAX_WORKERS || worker_mb < 8 || rounds < 1 ||
	    check_seconds < 0)
		ksft_exit_fail_msg("ZSWAP_CHECK_MEMCGS 1..%d, ZSWAP_CHECK_MB >= 8, ZSWAP_CHECK_ROUNDS >= 1, ZSWAP_CHECK_SECONDS >= 0\n",
				   MAX_WORKERS);
	zswap_test_setup(PARENT, parent, &saved);

	nr_zpools = zswap_zpools(zpools, 8, "zbud zsmalloc");
	if (only_swapoff) {
		ksft_set_plan(2);
		goto swapoff;
	}
	ksft_set_plan(1 + (only_selftest ? 0 : nr_zpools + 2));

	/* first the checker itself: if it cannot catch a bad byte, nothing below counts */
	for (z = 0; z < nr_zpools && !st_zpool; z++)
		if (!zswap_use(zpools[z]))
			st_zpool = zpools[z];
	if (!st_zpool) {
		ksft_test_result_skip("zswap_integrity_checker_selftest: none of $ZSWAP_ZPOOLS is available\n");
	} else {
		ksft_print_msg("checker self-test with %s: 2 memcgs x 8 MiB, one byte corrupted on purpose\n",
			       st_zpool);
		ksft_test_result(test_checker_selftest(st_zpool) == KSFT_PASS,
				 "zswap_integrity_checker_selftest %s\n", st_zpool);
	}

	for (z = 0; z < nr_zpools && !only_selftest; z++) {
		err = zswap_use(zpools[z]);
		if (err) {
			ksft_print_msg("zpool %s is not available: %s\n", zpools[z], strerror(-err));
			ksft_test_result_skip("zswap_integrity %s\n", zpools[z]);
			continue;
		}
		ksft_print_msg("%ld memcgs x %ld MiB, %ld rounds%s with %s%s\n", nr_workers,
			       worker_mb, rounds, check_seconds ? " or more, for the time given" : "",
			       zpools[z], vary_max ? ", memory.zswap.max varied" : "");
		ksft_test_result(run_zpool(zpools[z]) == KSFT_PASS, "zswap_integrity %s\n",
				 zpools[z]);
	}
swapoff:
	for (z = 0; z < 2 && !only_selftest; z++) {
		const char *name = z ? "zswap_swapoff_failslab" : "zswap_swapoff";
		const char *zpool = getenv("ZSWAP_SWAPOFF_ZPOOL");

		if (!zpool || !*zpool)
			zpool = "zsmalloc";
		err = zswap_use(zpool);
		if (err) {
			ksft_test_result_skip("%s %s: %s\n", name, zpool, strerror(-err));
			continue;
		}
		err = test_zswap_swapoff(zpool, z);
		if (err == KSFT_SKIP)
			ksft_test_result_skip("%s %s\n", name, zpool);
		else
			ksft_test_result(err == KSFT_PASS, "%s %s\n", name, zpool);
	}
	zswap_params_restore(&saved);
	rmdir(parent);
	ksft_finished();
}
