// SPDX-License-Identifier: GPL-2.0
/*
 * Switching between MGLRU and the classic LRU under memcg pressure must not
 * OOM.  Reproduces, at VM scale, the report in "mm/mglru: fix cgroup OOM
 * during MGLRU state switching" (linux-mm, 2026): on 6.1 the switch flips
 * the global key before the lruvecs are converted, so reclaimers of a memcg
 * that is converted late scan empty lists and OOM-kill although most of the
 * memcg is reclaimable page cache.
 *
 *   parent
 *   |-- bystander0..3   LRU_SWITCH_CACHE_MB of page cache each, so that a
 *   |                   switch has real work before it reaches the victim
 *   `-- victim          memory.max = 160M (memory.limit_in_bytes on v1):
 *                       a reader looping over a 256M file, 64M of hot anon
 *                       memory and 16M chunks faulted in and freed again,
 *                       so that every charge goes through direct reclaim
 *
 * While that runs, lru_gen/enabled is toggled LRU_SWITCH_TOGGLES times
 * (default 100; LRU_SWITCH_CONTROL=1 writes "y" each time instead, the
 * control run without switches).  The victim must see no OOM event, and must have been
 * under real reclaim (or the test proves nothing).  The same binary runs
 * on cgroup v2 and on the v1 memory controller; the hierarchy the guest
 * does not have is skipped.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "cgroup_util.h"
#include "memcg_lru_util.h"

#define NR_BYSTANDERS	4
#define VICTIM_LIMIT	(160L << 20)
#define VICTIM_FILE	(256L << 20)
#define HOT_ANON	(64L << 20)
#define CHURN_ANON	(16L << 20)

static char victim_file[PATH_MAX];

static int reader(void *arg)
{
	for (;;)
		if (file_read_all(victim_file))
			return 1;
}

/* Keep HOT_ANON touched and fault CHURN_ANON in and out: constant charges. */
static int hog(void *arg)
{
	long page = sysconf(_SC_PAGESIZE), i;
	char *hot, *churn;

	hot = mmap(NULL, HOT_ANON, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (hot == MAP_FAILED)
		return 1;
	for (;;) {
		for (i = 0; i < HOT_ANON; i += page)
			hot[i]++;
		churn = mmap(NULL, CHURN_ANON, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (churn == MAP_FAILED)
			return 1;
		for (i = 0; i < CHURN_ANON; i += page)
			churn[i] = 1;
		munmap(churn, CHURN_ANON);
	}
}

static int fill_cache(void *arg)
{
	const char *path = arg;

	if (file_fill(path, getenv_long("LRU_SWITCH_CACHE_MB", 128) << 20))
		return 1;
	return file_read_all(path) ? 1 : 0;
}

static int fill_cache_mb64(void *arg)
{
	const char *path = arg;

	if (file_fill(path, 64L << 20))
		return 1;
	return file_read_all(path) ? 1 : 0;
}

static int wait_ok(pid_t pid)
{
	int status;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       !WEXITSTATUS(status);
}

static int test_switch_no_oom(int v1)
{
	long toggles = getenv_long("LRU_SWITCH_TOGGLES", 100);
	long control = getenv_long("LRU_SWITCH_CONTROL", 0);
	const char *scratch = getenv("SCRATCH") ?: "/tmp";
	struct memcg root, parent, by[NR_BYSTANDERS], victim;
	char path[NR_BYSTANDERS][PATH_MAX], name[32];
	long orig, pressure0, ooms, kills, start, waited, i;
	pid_t rd = 0, hg = 0;
	int ret = KSFT_FAIL, made = 0;

	if (memcg_root(&root, v1))
		return KSFT_SKIP;
	orig = lru_gen_read();
	if (orig < 0)
		return KSFT_FAIL;
	if (memcg_create(&parent, &root, "lru_switch"))
		return KSFT_FAIL;
	for (made = 0; made < NR_BYSTANDERS; made++) {
		snprintf(name, sizeof(name), "bystander%d", made);
		snprintf(path[made], PATH_MAX, "%s/lru_switch.%d", scratch, made);
		if (memcg_create(&by[made], &parent, name) ||
		    !wait_ok(memcg_spawn(&by[made], fill_cache, path[made])))
			goto cleanup;
	}
	/* Created last, so the switch walks it last. */
	if (memcg_create(&victim, &parent, "victim"))
		goto cleanup;
	snprintf(victim_file, sizeof(victim_file), "%s/lru_switch.victim", scratch);
	if (memcg_set_limit(&victim, VICTIM_LIMIT))
		goto cleanup;
	/* Written and dropped here, so that the reader charges it to the victim. */
	if (file_fill(victim_file, VICTIM_FILE) || file_drop_cache(victim_file))
		goto cleanup;
	pressure0 = memcg_pressure(&victim);
	rd = memcg_spawn(&victim, reader, NULL);
	hg = memcg_spawn(&victim, hog, NULL);
	/* toggle only once the victim is reclaiming */
	if (!poll_until(memcg_pressure(&victim) > pressure0, SETTLE_TIMEOUT_MS, waited)) {
		ksft_print_msg("the victim was not under reclaim after %ld ms\n", waited);
		goto cleanup;
	}

	start = now_ms();
	for (i = 0; i < toggles; i++) {
		/* LRU_SWITCH_CONTROL=1: same run, writing the current state */
		if (lru_gen_write(i % 2 || control ? "y" : "n")) {
			ksft_print_msg("toggle %ld failed\n", i);
			goto cleanup;
		}
		usleep(control ? 250000 : 20000);
	}
	ooms = memcg_ooms(&victim);
	kills = memcg_oom_kills(&victim);
	ksft_print_msg("%s: %ld toggles in %ld ms, victim at %ld KiB, pressure %ld, oom %ld, oom_kill %ld\n",
		       v1 ? "v1" : "v2", toggles, now_ms() - start,
		       memcg_usage(&victim) >> 10,
		       memcg_pressure(&victim) - pressure0, ooms, kills);
	if (memcg_pressure(&victim) <= pressure0) {
		ksft_print_msg("the victim was never under reclaim: test proves nothing\n");
		goto cleanup;
	}
	if (ooms || kills)
		goto cleanup;
	ret = KSFT_PASS;
cleanup:
	if (rd > 0)
		kill(rd, SIGKILL);
	if (hg > 0)
		kill(hg, SIGKILL);
	memcg_destroy(&victim);
	while (made--) {
		memcg_destroy(&by[made]);
		unlink(path[made]);
	}
	memcg_destroy(&parent);
	unlink(victim_file);
	snprintf(name, sizeof(name), "0x%lx", orig);
	if (lru_gen_write(name))
		ret = KSFT_FAIL;
	return ret;
}

static char storm_file[2][PATH_MAX];

static int storm_reader(void *arg)
{
	const char *path = arg;

	if (file_fill(path, 128L << 20))
		return 1;
	for (;;)
		if (file_read_all(path))
			return 1;
}

static int storm_vm(void *arg)
{
	execlp("stress-ng", "stress-ng", "--vm", "1", "--vm-bytes", "64M",
	       "--vm-keep", "--timeout", "0", "--quiet", NULL);
	return 1;
}

/*
 * Toggle storm:
 *
 *   parent
 *   |-- keeper   64M of page cache nobody touches during the storm
 *   |-- busy0    memory.max 96M: stress-ng --vm 64M + a 128M file reader
 *   `-- busy1    the same
 *
 * Once both busy memcgs are reclaiming, LRU_STORM_TOGGLES (default 200)
 * switches back to back.  Afterwards the test module finds every lruvec
 * fully on the LRU the switch says, with lists and counters in agreement,
 * and the keeper's page cache is still there: a switch neither strands nor
 * drops folios.  On cgroup v2 (memory.max, memory.stat file) and on the v1
 * memory controller (memory.limit_in_bytes, total_cache).
 */
static int test_switch_storm(int v1)
{
	long toggles = getenv_long("LRU_STORM_TOGGLES", 200);
	const char *scratch = getenv("SCRATCH") ?: "/tmp";
	struct memcg root = {}, parent = {}, keeper = {}, busy[2] = {};
	long orig, file0, file1, nr, i, start, waited;
	char kfile[PATH_MAX] = "", name[32];
	pid_t pids[4] = {};
	int ret = KSFT_FAIL, made = 0;

	if (access(MLT_CHECK_LRUVECS, R_OK))
		return KSFT_SKIP;
	if (memcg_root(&root, v1))
		return KSFT_SKIP;
	orig = lru_gen_read();
	if (memcg_create(&parent, &root, "lru_storm") ||
	    memcg_create(&keeper, &parent, "keeper"))
		goto cleanup;
	snprintf(kfile, sizeof(kfile), "%s/lru_storm.keeper", scratch);
	if (!wait_ok(memcg_spawn(&keeper, fill_cache_mb64, kfile)))
		goto cleanup;
	for (made = 0; made < 2; made++) {
		snprintf(name, sizeof(name), "busy%d", made);
		snprintf(storm_file[made], PATH_MAX, "%s/lru_storm.%d", scratch, made);
		if (memcg_create(&busy[made], &parent, name) ||
		    memcg_set_limit(&busy[made], 96L << 20))
			goto cleanup;
		pids[2 * made] = memcg_spawn(&busy[made], storm_reader, storm_file[made]);
		pids[2 * made + 1] = memcg_spawn(&busy[made], storm_vm, NULL);
	}
	/* the storm starts once both busy memcgs are at their limit */
	if (!poll_until(memcg_pressure(&busy[0]) > 0 && memcg_pressure(&busy[1]) > 0,
			SETTLE_TIMEOUT_MS, waited)) {
		ksft_print_msg("the busy memcgs were not under reclaim after %ld ms\n", waited);
		goto cleanup;
	}
	file0 = memcg_file_bytes(&keeper);

	start = now_ms();
	for (i = 0; i < toggles; i++) {
		if (lru_gen_write(i % 2 ? "y" : "n")) {
			ksft_print_msg("toggle %ld failed\n", i);
			goto cleanup;
		}
	}
	ksft_print_msg("storm %s: %ld toggles in %ld ms\n", v1 ? "v1" : "v2", toggles,
		       now_ms() - start);
	for (i = 0; i < 4; i++)
		kill(pids[i], SIGKILL);
	nr = mlt_check_lruvecs(toggles % 2 == 0);
	file1 = memcg_file_bytes(&keeper);
	ksft_print_msg("storm %s: %ld LRU pages consistent; keeper file %ld -> %ld\n",
		       v1 ? "v1" : "v2", nr, file0, file1);
	if (nr < 0)
		goto cleanup;
	if (!values_close(file0, file1, 5))
		goto cleanup;
	if (memcg_oom_kills(&busy[0]) || memcg_oom_kills(&busy[1])) {
		ksft_print_msg("OOM kills during the storm\n");
		goto cleanup;
	}
	ret = KSFT_PASS;
cleanup:
	for (i = 0; i < 4; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	while (made--) {
		memcg_destroy(&busy[made]);
		unlink(storm_file[made]);
	}
	memcg_destroy(&keeper);
	if (kfile[0])
		unlink(kfile);
	memcg_destroy(&parent);
	snprintf(name, sizeof(name), "0x%lx", orig);
	if (lru_gen_write(name))
		ret = KSFT_FAIL;
	return ret;
}

static int test_switch_storm_v2(void)
{
	return test_switch_storm(0);
}

static int test_switch_storm_v1(void)
{
	return test_switch_storm(1);
}

#define WB_DEADLOCK MLT_DIR "/switch_wb_deadlock"

static int fill_synced(void *arg)
{
	const char *path = arg;
	int fd;

	if (file_fill(path, 1L << 20))
		return 1;
	fd = open(path, O_RDONLY);
	if (fd < 0 || fsync(fd))
		return 1;
	close(fd);
	return 0;
}

/*
 * A reclaimer that waits for writeback must not hold the switch's read side:
 * the writeback may need a task that is itself reclaiming, which a pending
 * switch blocks.  The test module drives the three tasks one step at a time
 * (see its switch_wb_deadlock) on a clean 1M file of a memcg; it returns
 * EDEADLK, after breaking the cycle itself, if they deadlock.
 */
static int test_switch_wb_deadlock(int v1)
{
	const char *scratch = getenv("SCRATCH") ?: "/tmp";
	struct memcg root, cg;
	char path[PATH_MAX], name[32];
	int ret = KSFT_FAIL, err;
	long orig;

	if (access(WB_DEADLOCK, W_OK) || memcg_root(&root, v1))
		return KSFT_SKIP;
	orig = lru_gen_read();
	snprintf(path, sizeof(path), "%s/lru_wb_deadlock", scratch);
	if (memcg_create(&cg, &root, "lru_wb_deadlock"))
		return KSFT_FAIL;
	if (!pid_exited_ok(memcg_spawn(&cg, fill_synced, path)))
		goto cleanup;
	/* the multi-gen LRU does not isolate folios under writeback */
	if (lru_gen_write("n"))
		goto cleanup;
	err = file_write(WB_DEADLOCK, path);
	if (err == -EDEADLK)
		ksft_print_msg("reclaim waited for writeback holding the switch's read side: deadlock\n");
	else if (err)
		ksft_print_msg("switch_wb_deadlock: %s\n", strerror(-err));
	else
		ret = KSFT_PASS;
	ksft_print_msg("lru_gen/enabled after the switch: 0x%lx\n", lru_gen_read());
cleanup:
	memcg_destroy(&cg);
	unlink(path);
	snprintf(name, sizeof(name), "0x%lx", orig);
	if (lru_gen_write(name))
		ret = KSFT_FAIL;
	return ret;
}

static int test_switch_wb_deadlock_v2(void)
{
	return test_switch_wb_deadlock(0);
}

static int test_switch_wb_deadlock_v1(void)
{
	return test_switch_wb_deadlock(1);
}

static char append_file[PATH_MAX];

/* Buffered appends, as a logger would: dirty page cache at the memcg limit. */
static int appender(void *arg)
{
	static char buf[256 << 10];
	int fd;

	memset(buf, 0x6b, sizeof(buf));
	for (;;) {
		fd = open(append_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			return 1;
		for (long done = 0; done < (192L << 20); done += sizeof(buf))
			if (write(fd, buf, sizeof(buf)) != sizeof(buf))
				return 1;
		close(fd);
	}
}

/* Global pressure: a tight loop faulting anon memory in and out. */
static int global_hog(void *arg)
{
	long size = (long)arg, page = sysconf(_SC_PAGESIZE), i;
	char *p;

	for (;;) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED)
			continue;
		for (i = 0; i < size; i += page)
			p[i] = 1;
		munmap(p, size);
	}
	return 0;
}

/*
 * The realistic form of the deadlock above: a memcg at its limit appending
 * to a file on ext4 (whose I/O completion converts unwritten extents and
 * allocates), global memory pressure from outside the memcg, and
 * LRU_WB_TOGGLES switches.  Every toggle must return within
 * LRU_WB_DEADLINE_S seconds; a hang is reported by the hung-task detector
 * and by the deadline rather than by a stuck CI run.
 */
static int test_switch_writeback_load(int v1)
{
	long toggles = getenv_long("LRU_WB_TOGGLES", 40);
	long deadline = getenv_long("LRU_WB_DEADLINE_S", 120) * 1000;
	const char *scratch = getenv("SCRATCH") ?: "/tmp";
	long hog = proc_meminfo_kb("MemAvailable") * 1024 / 2;
	struct memcg root, cg = {}, other = {};
	long orig, i, start, worst = 0;
	pid_t pids[2] = {};
	char name[32];
	int ret = KSFT_FAIL;

	if (memcg_root(&root, v1))
		return KSFT_SKIP;
	orig = lru_gen_read();
	snprintf(append_file, sizeof(append_file), "%s/lru_wb_append", scratch);
	if (memcg_create(&cg, &root, "lru_wb_load") ||
	    memcg_create(&other, &root, "lru_wb_hog") ||
	    memcg_set_limit(&cg, 48L << 20))
		goto cleanup;
	pids[0] = memcg_spawn(&cg, appender, NULL);
	pids[1] = memcg_spawn(&other, global_hog, (void *)hog);
	/* toggle only once the appender is at its limit, reclaiming */
	for (start = now_ms(); memcg_pressure(&cg) <= 0; usleep(100000)) {
		if (now_ms() - start > deadline) {
			ksft_print_msg("the appender never reached its limit\n");
			goto cleanup;
		}
	}
	start = now_ms();
	for (i = 0; i < toggles && now_ms() - start < deadline; i++) {
		long t = now_ms();

		if (lru_gen_write(i % 2 ? "y" : "n")) {
			ksft_print_msg("toggle %ld failed\n", i);
			goto cleanup;
		}
		t = now_ms() - t;
		if (t > worst)
			worst = t;
	}
	ksft_print_msg("%s: %ld toggles in %ld ms, slowest %ld ms, memcg reclaim %ld, pgpgout %ld\n",
		       v1 ? "v1" : "v2", i, now_ms() - start, worst, memcg_pressure(&cg),
		       proc_vmstat("pgpgout"));
	/* the appender must have been at its limit, writing back: else this proves nothing */
	if (memcg_pressure(&cg) <= 0 || proc_vmstat("pgpgout") <= 0) {
		ksft_print_msg("no reclaim or no writeback in the appending memcg\n");
		goto cleanup;
	}
	if (i < toggles) {
		ksft_print_msg("toggles did not finish within %ld s\n", deadline / 1000);
		goto cleanup;
	}
	if (memcg_oom_kills(&cg)) {
		ksft_print_msg("OOM kills in the appending memcg\n");
		goto cleanup;
	}
	ret = KSFT_PASS;
cleanup:
	for (i = 0; i < 2; i++)
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
	memcg_destroy(&cg);
	memcg_destroy(&other);
	unlink(append_file);
	snprintf(name, sizeof(name), "0x%lx", orig);
	if (lru_gen_write(name))
		ret = KSFT_FAIL;
	return ret;
}

static int test_switch_writeback_load_v1(void)
{
	return test_switch_writeback_load(1);
}

/*
 * lru_gen/enabled takes what 6.1 and mainline take, so that no script breaks
 * on a stable kernel: anything starting with y or n ("yes", "no"), or a
 * number.  Anything else gets EINVAL and changes nothing.
 */
static int test_switch_input_spellings(void)
{
	static const char * const bad[] = { "maybe", "0xZZ", "7x", " y", "-1" };
	static const struct {
		const char *in;
		int all;	/* 1: every component on, 0: off */
	} good[] = {
		{ "no", 0 }, { "yes", 1 }, { "N\n", 0 }, { "Y", 1 }, { "n", 0 }, { "y\n", 1 },
	};
	char val[32];
	long before, now;
	size_t i;

	before = lru_gen_read();
	if (before <= 0 || lru_gen_expect_rejected(bad, ARRAY_SIZE(bad)))
		return KSFT_FAIL;
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		now = lru_gen_write(good[i].in) ? -1 : lru_gen_read();
		if (now < 0 || !!now != good[i].all || (good[i].all && !(now & 1))) {
			ksft_print_msg("\"%s\" gave 0x%lx\n", good[i].in, now);
			return KSFT_FAIL;
		}
	}
	snprintf(val, sizeof(val), "0x%lx", before);
	return lru_gen_write(val) ? KSFT_FAIL : KSFT_PASS;
}

static int test_switch_no_oom_v2(void)
{
	return test_switch_no_oom(0);
}

static int test_switch_no_oom_v1(void)
{
	return test_switch_no_oom(1);
}

#define T(x) { x, #x }
struct lru_switch_test {
	int (*fn)(void);
	const char *name;
} tests[] = {
	T(test_switch_input_spellings),
	T(test_switch_no_oom_v2),
	T(test_switch_no_oom_v1),
	T(test_switch_storm_v2),
	T(test_switch_storm_v1),
	T(test_switch_wb_deadlock_v2),
	T(test_switch_wb_deadlock_v1),
	T(test_switch_writeback_load_v1),
};
#undef T

int main(int argc, char **argv)
{
	size_t i;

	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(tests));
	if (access(LRU_GEN_ENABLED, R_OK | W_OK))
		ksft_exit_skip("%s missing (CONFIG_LRU_GEN=n?)\n", LRU_GEN_ENABLED);

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
