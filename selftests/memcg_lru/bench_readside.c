// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of what the read side of the MGLRU switch lock costs reclaim and
 * the paths next to it (not a test: it prints figures, make bench pairs
 * them between the base and the patched kernel).  Meant for make bench's
 * icount mode (qemu -icount, one CPU): the guest clock then counts executed
 * instructions, so a figure is the CPU work done, meant to repeat to well
 * under 1% (make bench's spread column shows it), and patched/base ratios
 * a fraction of a percent from 1 can be told apart.  Every timed
 * section does no I/O: files are written back before it, and sync() runs
 * after anything that dirtied an inode (atime).
 *
 *   readside_read_hits_1g_ms     a 256 MiB file already in the page cache
 *                      (written, written back and read once) read 4 times
 *                      in 1 MiB read()s: 1 GiB of page cache hits, the
 *                      folio_mark_accessed() path
 *   readside_reclaim_512m_ms     one memory.reclaim of 512M from a memcg
 *                      holding 576 MiB of clean page cache (64 MiB more than
 *                      asked for, so that the figure is eviction alone and
 *                      not the retries of a memcg reclaimed empty)
 *   readside_reclaim_<N>_empty_ms  one memory.reclaim of 64M from a parent
 *                      of N nearly empty memcgs (16 KiB of clean page cache
 *                      each): after those pages, reclaim walks every memcg
 *                      at every priority and retries, so the figure is the
 *                      per-lruvec overhead, read side included.  Median of
 *                      BENCH_READSIDE_REPS writes, each after every memcg
 *                      wrote a new file (untimed), after one untimed write
 *                      that evicted the pages as first written.  The median:
 *                      now and then a rep takes 3-6% longer, with a few
 *                      thousand more pages activated and scanned (seen on
 *                      the base kernel in one boot of eleven; cause not
 *                      found), and a mean of 3 then moved a boot's figure
 *                      by up to 2%.  The mean is printed too
 *                      (readside_reclaim_<N>_empty_mean_ms), so that slow
 *                      reps on one kernel only still show
 *
 * BENCH_READSIDE_MEMCGS (default 2000) is N; BENCH_READSIDE_REPS (default
 * 5).  Files go to $SCRATCH (an ext4 disk in the guest) and are removed,
 * and so are the memcgs (bench_readside and below).  Cgroup v2 only
 * (memory.reclaim).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "memcg_lru_util.h"

#define HITS_FILE_MB	256
#define HITS_PASSES	4
#define R512_FILE_MB	576
#define EMPTY_FILE_KB	16
#define RECHARGE_SYSCTL	"/proc/sys/vm/memcg_recharge"

static const char *scratch;
static char home[PATH_MAX];

static double msec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void bench(const char *metric, double ms)
{
	printf("BENCH %s %.3f ms\n", metric, ms);
	fflush(stdout);
}

/* A comment line in the output: make bench keeps only the BENCH lines. */
#define note(fmt, ...) do {						\
	printf("# bench_readside: " fmt "\n", ##__VA_ARGS__);		\
	fflush(stdout);							\
} while (0)

/* The cgroup this process started in, to come back to. */
static int home_cgroup(const struct memcg *root)
{
	char buf[4096], *p;

	if (file_read("/proc/self/cgroup", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "0::");
	if (!p)
		return -1;
	p += 3;
	p[strcspn(p, "\n")] = '\0';
	snprintf(home, sizeof(home), "%s%s", root->path, strcmp(p, "/") ? p : "");
	return 0;
}

static int enter(const struct memcg *cg)
{
	return cg_enter_current(cg->path);
}

static int leave(void)
{
	return cg_enter_current(home);
}

/*
 * Write size bytes (exactly: file_fill() rounds up to 1 MiB) to path from
 * inside cg, and write them back: clean page cache charged to cg.
 */
static int fill_clean(const struct memcg *cg, const char *path, size_t size)
{
	static char buf[1 << 20];
	size_t done, len;
	int fd, ret = 0;

	memset(buf, 0x5a, sizeof(buf));
	if (enter(cg))
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		leave();
		return -1;
	}
	for (done = 0; done < size && !ret; done += len) {
		len = size - done < sizeof(buf) ? size - done : sizeof(buf);
		if (write(fd, buf, len) != (ssize_t)len)
			ret = -1;
	}
	if (fsync(fd))
		ret = -1;
	close(fd);
	return leave() || ret ? -1 : 0;
}

static int memory_reclaim(const struct memcg *cg, const char *amount)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%s", amount);
	return cg_write(cg->path, "memory.reclaim", buf);
}

/* Under TCG the guest may fall back to jiffies: then nothing here means much. */
static void check_clocksource(void)
{
	char cs[64] = "";

	file_read("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  cs, sizeof(cs));
	cs[strcspn(cs, "\n")] = '\0';
	note("clocksource %s%s", cs,
	     strstr(cs, "jiffies") ? ": timings have jiffy resolution" : "");
}

static int bench_read_hits(const struct memcg *parent)
{
	char path[PATH_MAX];
	struct memcg cg;
	double t;
	int i, ret = -1;

	snprintf(path, sizeof(path), "%s/bench_readside.hits", scratch);
	if (memcg_create(&cg, parent, "hits") ||
	    fill_clean(&cg, path, (size_t)HITS_FILE_MB << 20) || enter(&cg))
		goto out;
	/* Once untimed: the buffer faulted in, atime updated and written back. */
	if (file_read_all(path))
		goto out_leave;
	sync();
	note("hits: %ld of %d pages resident", file_resident_pages(path),
	     HITS_FILE_MB << 8);
	t = msec();
	for (i = 0; i < HITS_PASSES; i++)
		if (file_read_all(path))
			goto out_leave;
	t = msec() - t;
	bench("readside_read_hits_1g_ms", t);
	ret = 0;
out_leave:
	leave();
out:
	unlink(path);
	memcg_destroy(&cg);
	if (ret)
		note("read hits failed");
	return ret;
}

static int bench_reclaim_512m(const struct memcg *parent)
{
	char path[PATH_MAX];
	struct memcg cg;
	long before, after;
	double t;
	int ret = -1;

	snprintf(path, sizeof(path), "%s/bench_readside.512m", scratch);
	if (memcg_create(&cg, parent, "r512m") ||
	    fill_clean(&cg, path, (size_t)R512_FILE_MB << 20))
		goto out;
	sync();
	before = memcg_file_bytes(&cg);
	if (before < (512L << 20))
		note("512m: only %ld MiB of page cache in the memcg", before >> 20);
	t = msec();
	if (memory_reclaim(&cg, "512M")) {
		note("512m: memory.reclaim 512M failed");
		goto out;
	}
	t = msec() - t;
	after = memcg_file_bytes(&cg);
	note("512m: page cache %ld -> %ld MiB", before >> 20, after >> 20);
	bench("readside_reclaim_512m_ms", t);
	ret = 0;
out:
	unlink(path);
	memcg_destroy(&cg);
	return ret;
}

static void empty_path(char *path, size_t size, long i)
{
	snprintf(path, size, "%s/bench_readside.e%ld", scratch, i);
}

/*
 * Give each memcg a new file of the same size, untimed. A new file, not the
 * old one read back: pages read back are refaults, and whether a refault
 * activates a page depends on timing, which made the time of a rep jump
 * between two values from one boot to the next (about 840 and 925 ms).
 */
static int refill_empty(const struct memcg *cgs, long n)
{
	char path[PATH_MAX];
	long i;

	for (i = 0; i < n; i++) {
		empty_path(path, sizeof(path), i);
		if (unlink(path) || fill_clean(&cgs[i], path, EMPTY_FILE_KB << 10))
			return -1;
	}
	sync();
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int bench_reclaim_empty(const struct memcg *top, long n, long reps)
{
	char path[PATH_MAX], name[64];
	struct memcg parent, *cgs;
	long i, made = 0, file;
	double t, total = 0, *times;
	int ret = -1;

	cgs = calloc(n, sizeof(*cgs));
	times = calloc(reps, sizeof(*times));
	if (!cgs || !times || memcg_create(&parent, top, "empty"))
		goto out_free;
	for (made = 0; made < n; made++) {
		snprintf(name, sizeof(name), "e%ld", made);
		empty_path(path, sizeof(path), made);
		if (memcg_create(&cgs[made], &parent, name))
			goto out;
		if (fill_clean(&cgs[made], path, EMPTY_FILE_KB << 10)) {
			made++;
			goto out;
		}
	}
	/*
	 * Rep 0 is untimed; every rep starts from the same state: the pages
	 * of files written anew.  Less than 64M is there: -EAGAIN is expected.
	 */
	for (i = 0; i <= reps; i++) {
		if (i && refill_empty(cgs, n))
			goto out;
		file = memcg_file_bytes(&parent);
		t = msec();
		memory_reclaim(&parent, "64M");
		t = msec() - t;
		if (i) {
			times[i - 1] = t;
			total += t;
		}
		note("empty: rep %ld%s: %.3f ms, page cache %ld -> %ld KiB", i,
		     i ? "" : " (untimed)", t, file >> 10,
		     memcg_file_bytes(&parent) >> 10);
	}
	snprintf(name, sizeof(name), "readside_reclaim_%ld_empty_ms", n);
	qsort(times, reps, sizeof(*times), cmp_double);
	bench(name, reps % 2 ? times[reps / 2] : (times[reps / 2 - 1] + times[reps / 2]) / 2);
	/* and the mean, which the slow reps move */
	snprintf(name, sizeof(name), "readside_reclaim_%ld_empty_mean_ms", n);
	bench(name, total / reps);
	ret = 0;
out:
	leave();
	for (i = 0; i < made; i++) {
		empty_path(path, sizeof(path), i);
		unlink(path);
		memcg_destroy(&cgs[i]);
	}
	memcg_destroy(&parent);
	if (ret)
		note("empty: failed after %ld memcgs", made);
out_free:
	free(times);
	free(cgs);
	return ret;
}

int main(void)
{
	long n = getenv_long("BENCH_READSIDE_MEMCGS", 2000);
	long reps = getenv_long("BENCH_READSIDE_REPS", 5);
	struct memcg root, parent;
	char *ctl, old[16];
	bool recharge;
	int ret = 0;

	scratch = getenv("SCRATCH") ?: "/tmp";
	if (n <= 0 || reps <= 0) {
		fprintf(stderr, "bench_readside: BENCH_READSIDE_MEMCGS and _REPS must be > 0\n");
		return 1;
	}
	if (memcg_root(&root, 0) || home_cgroup(&root)) {
		fprintf(stderr, "bench_readside: needs the cgroup v2 memory controller\n");
		return 1;
	}
	if (memcg_create(&parent, &root, "bench_readside"))
		return 1;
	ctl = cg_control(parent.path, "memory.reclaim");
	if (!ctl || access(ctl, F_OK)) {
		fprintf(stderr, "bench_readside: no memory.reclaim\n");
		memcg_destroy(&parent);
		return 1;
	}
	free(ctl);
	/*
	 * The rows measure reclaim and its read side, not recharging: with
	 * it on, ext4 metadata that the removed memcgs of the first rows
	 * left behind was recharged to the empty memcgs that touched it
	 * (556 recharges in one boot), and their first reclaims were 5%
	 * slower, on the patched kernel only.  The base has no such sysctl.
	 */
	recharge = file_read(RECHARGE_SYSCTL, old, sizeof(old)) > 0 &&
		   !file_write(RECHARGE_SYSCTL, "0");
	check_clocksource();
	ret |= bench_read_hits(&parent);
	ret |= bench_reclaim_512m(&parent);
	ret |= bench_reclaim_empty(&parent, n, reps);
	memcg_destroy(&parent);
	if (recharge)
		file_write(RECHARGE_SYSCTL, old);
	return ret ? 1 : 0;
}
