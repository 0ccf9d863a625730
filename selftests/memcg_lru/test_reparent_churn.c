// SPDX-License-Identifier: GPL-2.0
/*
 * Reparenting churn: REPARENT_CHURN_CYCLES (default 200) cycles of
 *
 *   parent            memory.max = 24M (memory.limit_in_bytes on v1)
 *   |-- jN
 *   |   `-- kN        4M of page cache (one of 8 files in turn, 32M in all:
 *   |                 more than the limit, so the parent reclaims), 1M of
 *   |                 tmpfs (one of 4 files in turn) swapped out with
 *   |                 MADV_PAGEOUT, 2M of anon memory, a 2M THP with half
 *   |                 of it unmapped (a folio on the deferred split queue),
 *   |                 512K of dirty page cache; the task exits, then rmdir
 *   |                 kN and at once jN
 *   `-- holder        every fourth cycle, a task of kN first mlocks 256K of
 *                     its own file and moves here; it is killed right after
 *                     the rmdir, so mlocked folios of an offline memcg meet
 *                     the reparenting work and munlock at once
 *
 * while a thread toggles /sys/kernel/mm/lru_gen/enabled between n and y
 * (REPARENT_CHURN_TOGGLE=0: it does not).  The workload stays below the
 * limit with everything but the reclaimable page cache, so the kernel only
 * has to reclaim: no OOM kill is expected, anywhere.
 *
 * Afterwards, within 20 s, the parent's dying descendants and the memory
 * controller's num_cgroups in /proc/cgroups are back at their values from
 * before the loop (v1: the hierarchy's dying count, see memcg_nr_dying());
 * the test module finds no page on the LRU of an offline memcg and every
 * lruvec consistent (each part skipped without the module's file); the
 * parent was under reclaim (with enough cycles to exceed the limit) and no
 * task was OOM-killed.  On a kernel without reparenting the dying memcgs
 * stay and the test fails.
 *
 * Then every file is removed and nothing may be left charged: the parent's
 * memory.stat anon, file and unevictable and its swap come down to a few
 * pages (LEAK_SLACK), or a charge moved up without its folio, or a folio
 * moved without its charge, shows as memory that no one owns.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "cgroup_util.h"
#include "memcg_lru_util.h"

#define PARENT_LIMIT	(24L << 20)
#define NR_CACHE_FILES	8
#define CACHE_MB	4
#define NR_SHM_FILES	4
#define SHM_MB		1
#define ANON_MB		2
#define DIRTY_KB	512
#define LOCK_KB		256
#define LOCK_EVERY	4
#define THP_SIZE	(2L << 20)
#define SHM_DIR		"/dev/shm"
#define SETTLE_MS	20000
/*
 * What may stay charged to the parent, per CPU, once every file is gone:
 * a stat batch (MEMCG_CHARGE_BATCH, 64 pages) not yet flushed, and freed
 * swap entries in the per-CPU swap slots cache (64), which are uncharged
 * only when that cache is drained.
 */
#define LEAK_SLACK	(sysconf(_SC_NPROCESSORS_CONF) * 128 * 4096L)

static const char *scratch;

static void cache_path(char *path, long i)
{
	snprintf(path, PATH_MAX, "%s/reparent_churn.%ld", scratch, i % NR_CACHE_FILES);
}

static void shm_path(char *path, long i)
{
	snprintf(path, PATH_MAX, "%s/reparent_churn.%ld", SHM_DIR, i % NR_SHM_FILES);
}

static void dirty_path(char *path, long i)
{
	snprintf(path, PATH_MAX, "%s/reparent_churn.dirty.%ld", scratch, i % NR_CACHE_FILES);
}

static void lock_path(char *path, long i)
{
	snprintf(path, PATH_MAX, "%s/reparent_churn.lock.%ld", scratch, i % NR_CACHE_FILES);
}

/* Push a tmpfs file out to swap; MADV_PAGEOUT is a hint, so this may do nothing. */
static void shm_pageout(const char *path, size_t size)
{
	int fd = open(path, O_RDWR);
	void *p = fd < 0 ? MAP_FAILED :
		  mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p != MAP_FAILED) {
		madvise(p, size, MADV_PAGEOUT);
		munmap(p, size);
	}
	if (fd >= 0)
		close(fd);
}

/*
 * A THP of which the second half is unmapped: the folio goes on its memcg's
 * deferred split queue, which reparenting must empty before the memcg dies.
 * Without THP (or when none is available), a plain 2M of anon memory.
 */
static int partial_thp(void)
{
	char *map = mmap(NULL, 2 * THP_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *thp;

	if (map == MAP_FAILED)
		return -1;
	thp = (char *)(((unsigned long)map + THP_SIZE - 1) & ~(THP_SIZE - 1));
	madvise(thp, THP_SIZE, MADV_HUGEPAGE);
	memset(thp, 1, THP_SIZE);
	return munmap(thp + THP_SIZE / 2, THP_SIZE / 2);
}

/*
 * The leaf's workload: page cache (written back, so it is cheap to
 * reclaim), tmpfs swapped out, anon, a partly unmapped THP and dirty page
 * cache left for the flusher.
 */
static int populate(void *arg)
{
	long i = (long)arg, page = sysconf(_SC_PAGESIZE), off;
	char path[PATH_MAX], *anon;

	cache_path(path, i);
	if (file_fill(path, CACHE_MB << 20) || file_drop_cache(path) || file_read_all(path))
		return 1;
	shm_path(path, i);
	if (file_fill(path, SHM_MB << 20))
		return 1;
	shm_pageout(path, SHM_MB << 20);
	anon = mmap(NULL, ANON_MB << 20, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (anon == MAP_FAILED)
		return 1;
	for (off = 0; off < ANON_MB << 20; off += page)
		anon[off] = 1;
	if (partial_thp())
		return 1;
	dirty_path(path, i);
	if (access(path, F_OK) ? file_fill(path, DIRTY_KB << 10) :
				 file_overwrite(path, DIRTY_KB << 10))
		return 1;
	return 0;
}

struct locker_arg {
	long i;
	char holder_procs[PATH_MAX];
	int ready[2];
};

/* mlock LOCK_KB of a file of our own, move to the holder and wait there. */
static int locker(void *arg)
{
	struct locker_arg *la = arg;
	char path[PATH_MAX], pid[32];
	void *p;
	int fd;

	close(la->ready[0]);
	lock_path(path, la->i);
	unlink(path);
	if (file_fill(path, LOCK_KB << 10))
		return 1;
	fd = open(path, O_RDONLY);
	p = fd < 0 ? MAP_FAILED : mmap(NULL, LOCK_KB << 10, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || mlock(p, LOCK_KB << 10))
		return 2;
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (file_write(la->holder_procs, pid) || write(la->ready[1], "r", 1) != 1)
		return 3;
	pause();
	return 0;
}

static int stop_toggling;
static long toggles, toggle_errors, locked_cycles;

static void *toggler(void *arg)
{
	while (!__atomic_load_n(&stop_toggling, __ATOMIC_RELAXED)) {
		if (lru_gen_write(toggles % 2 ? "y" : "n"))
			toggle_errors++;
		toggles++;
		usleep(20000);
	}
	return NULL;
}

/* Kill the locker, if any, and reap it. */
static void locker_stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = -1;
}

/* One cycle: parent/jN/kN populated, then both removed. */
static int churn_cycle(const struct memcg *parent, const struct memcg *holder, long i)
{
	struct locker_arg la = { .i = i };
	pid_t lpid = -1;
	struct memcg j, k;
	char name[32], c;

	snprintf(name, sizeof(name), "j%ld", i);
	if (memcg_create(&j, parent, name))
		return -1;
	snprintf(name, sizeof(name), "k%ld", i);
	if (memcg_create(&k, &j, name))
		goto fail_j;
	if (i % LOCK_EVERY == 0) {
		snprintf(la.holder_procs, sizeof(la.holder_procs), "%s/cgroup.procs",
			 holder->path);
		if (pipe(la.ready))
			goto fail_k;
		lpid = memcg_spawn(&k, locker, &la);
		close(la.ready[1]);
		if (lpid < 0 || read(la.ready[0], &c, 1) != 1) {
			close(la.ready[0]);
			ksft_print_msg("cycle %ld: the mlocking task failed\n", i);
			goto fail_k;
		}
		close(la.ready[0]);
		locked_cycles++;
	}
	if (!pid_exited_ok(memcg_spawn(&k, populate, (void *)i))) {
		ksft_print_msg("cycle %ld: the workload failed (OOM-killed?)\n", i);
		goto fail_k;
	}
	if (memcg_remove(&k))
		goto fail_k;
	if (memcg_remove(&j))
		goto fail_j;
	locker_stop(&lpid);
	return 0;
fail_k:
	memcg_destroy(&k);
fail_j:
	locker_stop(&lpid);
	memcg_destroy(&j);
	return -1;
}

/*
 * With every file gone, nothing may stay charged to the parent: poll until
 * anon, file, unevictable and swap are within LEAK_SLACK; 0 if they are.
 */
static int check_no_leftover(const struct memcg *parent)
{
	long anon, file, unev, swap, waited;
	int ok;

	ok = poll_until((anon = memcg_stat(parent, "anon", "total_rss")) <= LEAK_SLACK &&
			(file = memcg_file_bytes(parent)) <= LEAK_SLACK &&
			(unev = memcg_stat(parent, "unevictable", "total_unevictable")) <=
				LEAK_SLACK &&
			(swap = memcg_swap_bytes(parent)) <= LEAK_SLACK,
			SETTLE_MS, waited);
	anon = memcg_stat(parent, "anon", "total_rss");
	file = memcg_file_bytes(parent);
	unev = memcg_stat(parent, "unevictable", "total_unevictable");
	swap = memcg_swap_bytes(parent);
	ksft_print_msg("files removed: parent anon %ld, file %ld, unevictable %ld, swap %ld bytes, memory.current %ld after %ld ms\n",
		       anon, file, unev, swap, memcg_usage(parent), waited);
	if (!ok || anon < 0 || file < 0 || unev < 0) {
		ksft_print_msg("memory stays charged to the parent with nothing left to own it\n");
		return -1;
	}
	return 0;
}

static void remove_files(void)
{
	char path[PATH_MAX];
	long i;

	for (i = 0; i < NR_CACHE_FILES; i++) {
		cache_path(path, i);
		unlink(path);
		dirty_path(path, i);
		unlink(path);
		lock_path(path, i);
		unlink(path);
	}
	for (i = 0; i < NR_SHM_FILES; i++) {
		shm_path(path, i);
		unlink(path);
	}
}

/* Wait until the dying count and num_cgroups are back; 0 if they are. */
static int wait_settled(const struct memcg *parent, long dying0, long ncg0)
{
	long start = now_ms(), dying, ncg;

	for (;;) {
		dying = memcg_nr_dying(parent);
		ncg = proc_cgroups_memory();
		if ((dying >= 0 && dying <= dying0 && ncg >= 0 && ncg <= ncg0) ||
		    now_ms() - start >= SETTLE_MS)
			break;
		usleep(100000);
	}
	ksft_print_msg("after %ld ms: dying %ld (was %ld), num_cgroups %ld (was %ld)\n",
		       now_ms() - start, dying, dying0, ncg, ncg0);
	if (dying < 0 || dying > dying0 || ncg < 0 || ncg > ncg0) {
		ksft_print_msg("removed memcgs not freed: not reparented (as on the base)\n");
		return -1;
	}
	return 0;
}

/* The test module's view, when it is loaded; 0 if it finds nothing wrong. */
static int module_checks(void)
{
	long pages = -1, memcgs = -1, nr, waited;
	int err = 0;

	/*
	 * The walk covers every offline memcg, an earlier test's too, and the
	 * reparenting work retries with a backoff of up to 10 s: poll.
	 */
	poll_until((err = mlt_reparent_check(&pages, &memcgs)) || !pages, SETTLE_TIMEOUT_MS,
		   waited);
	if (err && err != -ENOENT)
		return -1;
	if (err)
		ksft_print_msg("no %s: that part skipped\n", MLT_REPARENT_CHECK);
	else
		ksft_print_msg("module: offline_lru_pages %ld offline_memcgs %ld after %ld ms\n",
			       pages, memcgs, waited);
	if (!err && pages) {
		ksft_print_msg("pages left on the LRUs of offline memcgs\n");
		return -1;
	}
	nr = mlt_check_lruvecs(lru_gen_read() & 1);
	if (nr == -ENOENT)
		ksft_print_msg("no %s: that part skipped\n", MLT_CHECK_LRUVECS);
	else if (nr >= 0)
		ksft_print_msg("module: lruvecs consistent, %ld LRU pages\n", nr);
	return nr == -ENOENT || nr >= 0 ? 0 : -1;
}

static int test_reparent_churn(const struct memcg *root)
{
	long cycles = getenv_long("REPARENT_CHURN_CYCLES", 200);
	int toggle = getenv_long("REPARENT_CHURN_TOGGLE", 1) &&
		     !access(LRU_GEN_ENABLED, W_OK);
	long orig_lru = lru_gen_read(), dying0, ncg0, pressure0, kills0, start, i;
	long moved0 = proc_vmstat("memcg_reparent");
	long deferred0 = proc_vmstat("memcg_reparent_deferred");
	char val[32];
	int ret = KSFT_FAIL, threaded = 0;
	struct memcg parent = {}, holder = {};
	pthread_t thr;

	scratch = getenv("SCRATCH") ?: "/tmp";
	if (memcg_create(&parent, root, "reparent_churn") ||
	    memcg_set_limit(&parent, PARENT_LIMIT) ||
	    memcg_create(&holder, &parent, "holder"))
		goto cleanup;
	dying0 = memcg_dying_baseline(&parent);
	ncg0 = proc_cgroups_memory();
	pressure0 = memcg_pressure(&parent);
	kills0 = proc_vmstat("oom_kill");
	if (dying0 < 0 || ncg0 < 0)
		goto cleanup;

	if (toggle) {
		if (pthread_create(&thr, NULL, toggler, NULL))
			goto cleanup;
		threaded = 1;
	}
	start = now_ms();
	for (i = 0; i < cycles; i++)
		if (churn_cycle(&parent, &holder, i))
			break;
	__atomic_store_n(&stop_toggling, 1, __ATOMIC_RELAXED);
	if (threaded)
		pthread_join(thr, NULL);
	threaded = 0;
	ksft_print_msg("%ld/%ld cycles in %ld ms (%ld with mlocked folios), %ld lru_gen toggles (%ld failed), reclaim %ld\n",
		       i, cycles, now_ms() - start, locked_cycles, toggles, toggle_errors,
		       memcg_pressure(&parent) - pressure0);
	if (moved0 >= 0 && deferred0 >= 0)
		ksft_print_msg("memcg_reparent +%ld, memcg_reparent_deferred +%ld\n",
			       proc_vmstat("memcg_reparent") - moved0,
			       proc_vmstat("memcg_reparent_deferred") - deferred0);
	if (i < cycles || toggle_errors)
		goto cleanup;
	if (orig_lru >= 0) {
		snprintf(val, sizeof(val), "0x%lx", orig_lru);
		lru_gen_write(val);
	}

	/* The module's view also helps to tell why memcgs stay dying. */
	if (wait_settled(&parent, dying0, ncg0) | module_checks())
		goto cleanup;
	if (memcg_oom_kills(&parent) || proc_vmstat("oom_kill") != kills0) {
		ksft_print_msg("OOM kills: %ld in the parent, %ld in the system\n",
			       memcg_oom_kills(&parent), proc_vmstat("oom_kill") - kills0);
		goto cleanup;
	}
	if (cycles >= 2 * NR_CACHE_FILES && memcg_pressure(&parent) <= pressure0) {
		ksft_print_msg("the parent was never under reclaim: the test proves little\n");
		goto cleanup;
	}
	remove_files();
	if (check_no_leftover(&parent))
		goto cleanup;
	ret = KSFT_PASS;
cleanup:
	__atomic_store_n(&stop_toggling, 1, __ATOMIC_RELAXED);
	if (threaded)
		pthread_join(thr, NULL);
	if (orig_lru >= 0) {
		snprintf(val, sizeof(val), "0x%lx", orig_lru);
		if (lru_gen_write(val))
			ret = KSFT_FAIL;
	}
	memcg_destroy(&holder);
	memcg_destroy(&parent);
	remove_files();
	return ret;
}

int main(int argc, char **argv)
{
	struct memcg root;

	ksft_print_header();
	ksft_set_plan(1);
	if (memcg_root(&root, 0) && memcg_root(&root, 1))
		ksft_exit_skip("no memory controller on cgroup v2 or v1\n");
	ksft_print_msg("memory controller: cgroup %s at %s\n", root.v1 ? "v1" : "v2", root.path);

	switch (test_reparent_churn(&root)) {
	case KSFT_PASS:
		ksft_test_result_pass("test_reparent_churn\n");
		break;
	case KSFT_SKIP:
		ksft_test_result_skip("test_reparent_churn\n");
		break;
	default:
		ksft_test_result_fail("test_reparent_churn\n");
		break;
	}
	ksft_finished();
}
