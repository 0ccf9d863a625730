// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of the MGLRU switch (not a test: it prints figures, make bench
 * pairs them between the base and the patched kernel).
 *
 *   switch_ms_per_gib   time of one write to lru_gen/enabled divided by the
 *                       GiB of LRU pages it had to convert (median of runs)
 *   reclaim_stall_max_ms  longest memory.reclaim call seen while switches
 *                       run: what a reclaimer waits for a conversion
 *   reclaim_mb_per_s    memory.reclaim throughput with no switch running
 *                       (the read side of the switch lock must not show)
 *
 * BENCH_CACHE_MB (default 768) of page cache is spread over four memcgs.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "memcg_lru_util.h"

#define NR_CG	4
#define ROUNDS	6

static struct memcg cgs[NR_CG];
static char files[NR_CG][PATH_MAX];
static volatile int stop;
static long stall_max_us;

static long usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static long meminfo_kb(const char *key)
{
	char buf[4096], *p;

	if (file_read("/proc/meminfo", buf, sizeof(buf)) < 0)
		return 0;
	p = strstr(buf, key);
	return p ? strtol(p + strlen(key), NULL, 10) : 0;
}

static double lru_gib(void)
{
	long kb = meminfo_kb("Active:") + meminfo_kb("Inactive:") +
		  meminfo_kb("Unevictable:");

	return kb / (1024.0 * 1024.0);
}

static int populate(void *arg)
{
	const char *path = arg;
	long mb = strtol(getenv("BENCH_CACHE_MB") ?: "768", NULL, 0) / NR_CG;

	if (access(path, F_OK) && file_fill(path, mb << 20))
		return 1;
	return file_read_all(path) ? 1 : 0;
}

static int refill(void)
{
	int i, status;

	for (i = 0; i < NR_CG; i++) {
		waitpid(memcg_spawn(&cgs[i], populate, files[i]), &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void *reclaimer(void *arg)
{
	long t;

	while (!stop) {
		t = usec();
		cg_write(cgs[0].path, "memory.reclaim", "2M");
		t = usec() - t;
		if (t > stall_max_us)
			stall_max_us = t;
	}
	return NULL;
}

int main(void)
{
	const char *scratch = getenv("SCRATCH") ?: "/tmp";
	double per_gib[ROUNDS], mbps[ROUNDS];
	struct memcg root, parent;
	pthread_t thr;
	char name[16];
	long t, orig;
	int i;

	if (memcg_root(&root, 0) || memcg_create(&parent, &root, "bench_switch"))
		return 1;
	for (i = 0; i < NR_CG; i++) {
		snprintf(name, sizeof(name), "cg%d", i);
		snprintf(files[i], PATH_MAX, "%s/bench_switch.%d", scratch, i);
		if (memcg_create(&cgs[i], &parent, name))
			return 1;
	}
	orig = lru_gen_read();
	lru_gen_write("y");

	/* One switch per round, alternating direction. */
	for (i = 0; i < ROUNDS; i++) {
		if (refill())
			return 1;
		t = usec();
		lru_gen_write(i % 2 ? "y" : "n");
		per_gib[i] = (usec() - t) / 1000.0 / lru_gib();
	}
	qsort(per_gib, ROUNDS, sizeof(double), cmp_double);
	printf("BENCH switch_ms_per_gib %.1f ms\n", per_gib[ROUNDS / 2]);

	/* Reclaim while switching: the longest single memory.reclaim call. */
	lru_gen_write("y");
	refill();
	pthread_create(&thr, NULL, reclaimer, NULL);
	for (i = 0; i < ROUNDS; i++) {
		lru_gen_write(i % 2 ? "y" : "n");
		usleep(100000);
	}
	stop = 1;
	pthread_join(thr, NULL);
	printf("BENCH reclaim_stall_max_ms %.1f ms\n", stall_max_us / 1000.0);

	/* Reclaim throughput, no switch: 128M out of cg0 per round. */
	lru_gen_write("y");
	for (i = 0; i < ROUNDS; i++) {
		long before, after;

		refill();
		before = memcg_usage(&cgs[0]);
		t = usec();
		cg_write(cgs[0].path, "memory.reclaim", "128M");
		t = usec() - t;
		after = memcg_usage(&cgs[0]);
		mbps[i] = (before - after) / 1048576.0 / (t / 1e6);
	}
	qsort(mbps, ROUNDS, sizeof(double), cmp_double);
	printf("BENCH reclaim_mb_per_s %.1f MB/s\n", mbps[ROUNDS / 2]);

	snprintf(name, sizeof(name), "0x%lx", orig);
	lru_gen_write(name);
	for (i = 0; i < NR_CG; i++) {
		memcg_destroy(&cgs[i]);
		unlink(files[i]);
	}
	memcg_destroy(&parent);
	return 0;
}
