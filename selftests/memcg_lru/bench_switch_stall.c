// SPDX-License-Identifier: GPL-2.0
/*
 * How long does reclaim in one memcg stall while lru_gen/enabled switches
 * every memcg?  (A benchmark, not a test: make bench prints its figures
 * beside the base kernel's.)
 *
 *   bench_stall
 *   |-- large       BENCH_STALL_LARGE_MB (default 768) of page cache, also
 *   |               mapped by a task, whose page tables a loop of debugfs
 *   |               aging commands ("+ id node max_seq 1 1") walks: a long
 *   |               reader of the multi-gen LRU
 *   |-- small0..N   BENCH_STALL_MEMCGS (default 2000) memcgs with 64K of
 *   |               page cache each
 *   `-- victim      memory.max 32M, reading a 96M file in 64K reads: every
 *                   read charges through reclaim of its own lruvec
 *
 * Figures (wall clock: the stall is real time):
 *   stall_largest_lruvec_ms   one switch while only "large" holds pages: the
 *                             conversion of the largest lruvec
 *   stall_switch_ms           one switch of all memcgs (median)
 *   stall_victim_idle_max_ms  the victim's longest read, no switch
 *   stall_victim_max_ms       the victim's longest read during
 *                             BENCH_STALL_TOGGLES (default 8) switches
 *
 * With the switch lock per lruvec, a reader waits at most for the conversion
 * of its own (small) lruvec plus one batch, so stall_victim_max_ms stays far
 * below stall_switch_ms, and below stall_largest_lruvec_ms; with one lock
 * held across the whole switch, it is the whole switch plus the longest
 * aging command.
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
#include <time.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "memcg_lru_util.h"

#define LRU_GEN_DEBUGFS	"/sys/kernel/debug/lru_gen"

static char large_file[PATH_MAX], victim_file[PATH_MAX];
/* shared with the victim: [0] max read latency in us, [1] measuring */
static volatile long *shared;

static long usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* @size bytes of page cache in a new file (file_fill() writes whole MiBs) */
static int small_fill(const char *path, size_t size)
{
	static char buf[64 << 10];
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	memset(buf, 0x3c, sizeof(buf));
	if (size > sizeof(buf) || write(fd, buf, size) != (ssize_t)size)
		ret = -1;
	close(fd);
	return ret;
}

/* Map the large file and keep the mapping: the aging walks its PTEs. */
static int large_mapper(void *arg)
{
	long mb = getenv_long("BENCH_STALL_LARGE_MB", 768), i;
	volatile char *p;
	int fd;

	if (access(large_file, F_OK) && file_fill(large_file, mb << 20))
		return 1;
	fd = open(large_file, O_RDONLY);
	if (fd < 0)
		return 1;
	p = mmap(NULL, mb << 20, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	for (i = 0; i < mb << 20; i += 4096)
		(void)p[i];
	for (;;)
		pause();
}

static int victim_reader(void *arg)
{
	static char buf[64 << 10];
	long t, d;
	int fd;

	for (;;) {
		fd = open(victim_file, O_RDONLY);
		if (fd < 0)
			return 1;
		for (;;) {
			t = usec();
			if (read(fd, buf, sizeof(buf)) <= 0)
				break;
			d = usec() - t;
			shared[2]++;
			if (shared[1] && d > shared[0])
				shared[0] = d;
		}
		close(fd);
	}
}

/* The memcg ID and node 0's max_seq of @name in the lru_gen debugfs file. */
static int lru_gen_find(const char *name, long *id, long *max_seq)
{
	char line[512], path[256];
	int found = 0, node = -1;
	long seq;
	FILE *f;

	f = fopen(LRU_GEN_DEBUGFS, "r");
	if (!f)
		return -1;
	*max_seq = -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "memcg %ld %255s", id, path) == 2) {
			if (found)
				break;
			found = !strcmp(path, name);
		} else if (found && sscanf(line, " node %d", &node) == 1) {
			continue;
		} else if (found && !node && sscanf(line, " %ld", &seq) == 1) {
			*max_seq = seq;
		}
	}
	fclose(f);
	return found && *max_seq >= 0 ? 0 : -1;
}

/* Age "large" with a full page table walk, over and over. */
static int ager(void *arg)
{
	char cmd[128];
	long id, seq;

	for (;;) {
		if (lru_gen_find("/bench_stall/large", &id, &seq)) {
			usleep(10000);
			continue;
		}
		snprintf(cmd, sizeof(cmd), "+ %ld 0 %ld 1 1", id, seq);
		/* EOPNOTSUPP while "large" is on the classic LRU */
		file_write(LRU_GEN_DEBUGFS, cmd);
	}
	return 0;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* Median time of @n switches, alternating n and y, ending on y. */
static long switch_ms(int n)
{
	long t[32];
	int i;

	if (n > 32)
		n = 32;
	for (i = 0; i < n; i++) {
		t[i] = now_ms();
		lru_gen_write(i % 2 ? "y" : "n");
		t[i] = now_ms() - t[i];
	}
	lru_gen_write("y");
	qsort(t, n, sizeof(long), cmp_long);
	return t[n / 2];
}

int main(void)
{
	const char *scratch = getenv("SCRATCH") ?: "/tmp";
	long nr_small = getenv_long("BENCH_STALL_MEMCGS", 2000);
	long toggles = getenv_long("BENCH_STALL_TOGGLES", 8);
	struct memcg root, parent, large, victim, *small;
	long largest_ms, all_ms, idle_us, orig, i;
	pid_t mapper, reader, aging = -1;
	char name[32], file[PATH_MAX], pid[16];

	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	small = calloc(nr_small, sizeof(*small));
	if (shared == MAP_FAILED || !small || memcg_root(&root, 0) ||
	    memcg_create(&parent, &root, "bench_stall") ||
	    memcg_create(&large, &parent, "large") ||
	    memcg_create(&victim, &parent, "victim") ||
	    memcg_set_limit(&victim, 32L << 20))
		return 1;
	orig = lru_gen_read();
	lru_gen_write("y");
	snprintf(large_file, sizeof(large_file), "%s/bench_stall.large", scratch);
	snprintf(victim_file, sizeof(victim_file), "%s/bench_stall.victim", scratch);

	mapper = memcg_spawn(&large, large_mapper, NULL);
	/* wait for the mapping to be populated */
	for (i = 0; i < 600 && memcg_usage(&large) <
	     (getenv_long("BENCH_STALL_LARGE_MB", 768) << 20) * 9 / 10; i++)
		sleep(1);
	largest_ms = switch_ms(4);

	/* the small ones: this task joins each in turn and leaves a file */
	snprintf(pid, sizeof(pid), "%d", getpid());
	for (i = 0; i < nr_small; i++) {
		snprintf(name, sizeof(name), "small%ld", i);
		snprintf(file, sizeof(file), "%s/bench_stall.s%ld", scratch, i);
		if (memcg_create(&small[i], &parent, name) ||
		    cg_write(small[i].path, "cgroup.procs", pid) ||
		    small_fill(file, 64 << 10)) {
			printf("# small memcg %ld: %s\n", i, strerror(errno));
			break;
		}
	}
	cg_write(root.path, "cgroup.procs", pid);
	nr_small = i;
	all_ms = switch_ms(4);

	/* the victim's file is written outside its memcg, then read inside */
	if (file_fill(victim_file, 96L << 20))
		return 1;
	reader = memcg_spawn(&victim, victim_reader, NULL);
	for (i = 0; i < 600 && shared[2] < 100; i++)
		usleep(100000);
	shared[1] = 1;
	sleep(5);
	idle_us = shared[0];
	shared[0] = 0;

	if (!access(LRU_GEN_DEBUGFS, W_OK))
		aging = memcg_spawn(&root, ager, NULL);
	for (i = 0; i < toggles; i++) {
		lru_gen_write(i % 2 ? "y" : "n");
		usleep(200000);
	}
	lru_gen_write("y");
	shared[1] = 0;

	printf("# %ld small memcgs, %ld toggles, aging loop %s, victim reads %ld, oom_kill %ld\n",
	       nr_small, toggles, aging > 0 ? "on" : "off", shared[2], memcg_oom_kills(&victim));
	printf("BENCH stall_largest_lruvec_ms %ld ms\n", largest_ms);
	printf("BENCH stall_switch_ms %ld ms\n", all_ms);
	printf("BENCH stall_victim_idle_max_ms %.1f ms\n", idle_us / 1000.0);
	printf("BENCH stall_victim_max_ms %.1f ms\n", shared[0] / 1000.0);

	if (aging > 0)
		kill(aging, SIGKILL);
	kill(reader, SIGKILL);
	kill(mapper, SIGKILL);
	while (wait(NULL) > 0)
		;
	snprintf(name, sizeof(name), "0x%lx", orig);
	lru_gen_write(name);
	for (i = 0; i < nr_small; i++) {
		memcg_destroy(&small[i]);
		snprintf(file, sizeof(file), "%s/bench_stall.s%ld", scratch, i);
		unlink(file);
	}
	memcg_destroy(&large);
	memcg_destroy(&victim);
	memcg_destroy(&parent);
	unlink(large_file);
	unlink(victim_file);
	return 0;
}
