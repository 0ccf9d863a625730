// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of zswap (not a test: it prints figures, make bench pairs them
 * between the base and the patched kernel).  argv[1] is the zpool (default
 * zbud); for another zpool every metric gets a _<zpool> suffix.
 *
 *   zswap_store_us_p50/_p99  memory.reclaim of 256 KiB at a time from a
 *                       memcg whose pages all go to zswap: time of the
 *                       write divided by the pages it stored (zswpout)
 *   zswap_load_us_p50/_p99   first access to each page that is in zswap
 *                       (mincore() says not resident), timed in user space,
 *                       /proc/sys/vm/page-cluster 0 (one page a fault)
 *   zswap_wb_memcg_pages_per_s   written_back_pages growth per second while
 *                       a memcg with memory.zswap.max=1M pushes 32 MiB out
 *                       (0 on the base: it rejects those stores instead)
 *   zswap_wb_global_pages_per_s  the same after max_pool_percent drops to 1
 *                       under a pool of ~1.35% of RAM, while stores go on,
 *                       until written_back_pages stops growing
 *   zswap_wb_own_share  A (memory.zswap.max=2M) pushes 32 MiB out while B
 *                       holds 16 MiB in zswap: the percentage of the written
 *                       back pages that were A's (target: 100).  Per memcg
 *                       from zswpwb; without it (the base) B's loss is the
 *                       drop of B's zswapped and A's the rest of
 *                       written_back_pages.  "-" when nothing was written
 *                       back at all (the base: A's stores were rejected)
 *   zswap_wb_own_pages, zswap_wb_other_pages  the two counts behind it
 *   zswap_store_us_p50/_max_shrinker_off/_on  store latency under deep
 *                       pressure, shrinker_enabled 0 and 1: a memcg holds
 *                       32 MiB of cold entries in zswap and a 32 MiB hot
 *                       worker, pushed out too; 16 times, 2 MiB of the hot
 *                       worker is touched and memory.reclaim asks for 64M
 *                       (more than there is: reclaim at its lowest
 *                       priority, where the shrinker scans most of the
 *                       list); the time of the write divided by the pages
 *                       it stored.  Patched only: the base has no zswap
 *                       shrinker
 *   zswap_shrinker_wb_pages_shrinker_off/_on  what was written back
 *                       meanwhile (zswpwb)
 *
 * BENCH_ZSWAP_MB (default 64) sizes the latency memcg.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "memcg_lru_util.h"

#define PAGE_CLUSTER	"/proc/sys/vm/page-cluster"

static char parent[PATH_MAX], suffix[40];
static struct zswap_params saved;

static void bench(const char *metric, double value, const char *unit)
{
	printf("BENCH %s%s %.2f %s\n", metric, suffix, value, unit);
	fflush(stdout);
}

static int setup(const char *name, struct zs_worker *w, char *cg, long bytes,
		 unsigned long seed, const struct zs_pattern *pat)
{
	if (zs_memcg_create(parent, name, cg, PATH_MAX) ||
	    zs_worker_start(w, cg, bytes, seed, pat) ||
	    zs_worker_call(w, ZS_OP_FILL, 1, 1) != w->pages)
		return -1;
	return 0;
}

static void teardown(struct zs_worker *w, const char *cg)
{
	zs_worker_stop(w);
	cg_destroy(cg);
}

static void push(const char *cg, long bytes)
{
	long done;

	for (done = 0; done < bytes; done += 4L << 20)
		zs_reclaim(cg, 4L << 20, 2);
}

/* Store and load latency of a memcg with no zswap limit. */
static int bench_latency(long bytes)
{
	long samples = bytes / (256L << 10), n = 0, i, out0, out1, t, pc;
	struct zs_worker w = {};
	char cg[PATH_MAX], val[16];
	double *store;

	store = calloc(samples, sizeof(*store));
	if (!store || setup("lat", &w, cg, bytes, 0x1a7, &ZS_PATTERN_HALF))
		return -1;
	out0 = zs_memcg_stat_key(cg, "zswpout");
	for (i = 0; i < samples; i++) {
		t = zs_usec();
		cg_write(cg, "memory.reclaim", "256K");
		t = zs_usec() - t;
		out1 = zs_memcg_stat_key(cg, "zswpout");
		if (out1 > out0)
			store[n++] = (double)t / (out1 - out0);
		out0 = out1;
	}
	qsort(store, n, sizeof(*store), zs_cmp_double);
	bench("zswap_store_us_p50", zs_percentile(store, n, 50), "us");
	bench("zswap_store_us_p99", zs_percentile(store, n, 99), "us");

	push(cg, bytes);
	pc = file_read_long(PAGE_CLUSTER);
	file_write(PAGE_CLUSTER, "0");
	n = zs_worker_call(&w, ZS_OP_TOUCH_TIMED, 0, 0);
	snprintf(val, sizeof(val), "%ld", pc);
	if (pc >= 0)
		file_write(PAGE_CLUSTER, val);
	if (n > 0) {
		qsort(w.fault_us, n, sizeof(double), zs_cmp_double);
		bench("zswap_load_us_p50", zs_percentile(w.fault_us, n, 50), "us");
		bench("zswap_load_us_p99", zs_percentile(w.fault_us, n, 99), "us");
	}
	teardown(&w, cg);
	free(store);
	return n > 0 ? 0 : -1;
}

/* Writeback forced by memory.zswap.max. */
static int bench_wb_memcg(void)
{
	long bytes = 32L << 20, wb0, t;
	struct zs_worker w = {};
	char cg[PATH_MAX];

	if (setup("wb", &w, cg, bytes, 0x3b, &ZS_PATTERN_HALF) ||
	    cg_write(cg, "memory.zswap.max", "1M"))
		return -1;
	wb0 = zswap_counter("written_back_pages");
	t = zs_usec();
	push(cg, bytes);
	t = zs_usec() - t;
	bench("zswap_wb_memcg_pages_per_s", (zswap_counter("written_back_pages") - wb0) / (t / 1e6),
	      "pages/s");
	teardown(&w, cg);
	return 0;
}

/* Writeback at the global pool limit, stores going on meanwhile. */
static int bench_wb_global(void)
{
	long total = proc_meminfo_kb("MemTotal") * 1024L, target = total * 135 / 10000;
	long wb0, wb, last, t0, t_last, still, slices = 16, j;
	struct zs_worker fill = {}, trig = {};
	char cg_f[PATH_MAX], cg_t[PATH_MAX];

	if (zs_memcg_create(parent, "fill", cg_f, PATH_MAX) ||
	    zs_worker_start(&fill, cg_f, target * 2, 0xf111, &ZS_PATTERN_DENSE))
		return -1;
	for (j = 0; j < slices && zswap_counter("pool_total_size") < target; j++) {
		zs_worker_call(&fill, ZS_OP_FILL, j, slices);
		zs_reclaim(cg_f, target * 2 / slices, 2);
	}
	if (setup("trigger", &trig, cg_t, 16L << 20, 0x7, &ZS_PATTERN_HALF))
		return -1;

	wb0 = last = zswap_counter("written_back_pages");
	zswap_param_write("accept_threshold_percent", "90");
	zswap_param_write("max_pool_percent", "1");
	t0 = t_last = still = zs_usec();
	for (j = 0; j < 64 && zs_usec() - still < 500000; j++) {
		zs_reclaim(cg_t, 256L << 10, 1);
		wb = zswap_counter("written_back_pages");
		if (wb != last) {
			t_last = still = zs_usec();
			last = wb;
		}
	}
	while (zs_usec() - still < 500000) {
		usleep(20000);
		wb = zswap_counter("written_back_pages");
		if (wb != last) {
			t_last = still = zs_usec();
			last = wb;
		}
	}
	zswap_param_write("max_pool_percent", saved.max_pool_percent);
	zswap_param_write("accept_threshold_percent", saved.accept_threshold_percent);
	bench("zswap_wb_global_pages_per_s",
	      last > wb0 ? (last - wb0) / ((t_last - t0) / 1e6) : 0, "pages/s");
	teardown(&trig, cg_t);
	teardown(&fill, cg_f);
	return 0;
}

/* Whose entries are written back when only A hits its memory.zswap.max. */
static int bench_own_share(void)
{
	struct zs_memcg_stat a0, a1, b0, b1;
	long wb0, wb, own, other;
	struct zs_worker a = {}, b = {};
	char cg_a[PATH_MAX], cg_b[PATH_MAX];

	if (setup("B", &b, cg_b, 16L << 20, 0xb, &ZS_PATTERN_HALF))
		return -1;
	push(cg_b, 16L << 20);
	if (setup("A", &a, cg_a, 32L << 20, 0xa, &ZS_PATTERN_HALF) ||
	    cg_write(cg_a, "memory.zswap.max", "2M") ||
	    zs_memcg_stat(cg_a, &a0) || zs_memcg_stat(cg_b, &b0))
		return -1;
	wb0 = zswap_counter("written_back_pages");
	push(cg_a, 32L << 20);
	wb = zswap_counter("written_back_pages") - wb0;
	if (zs_memcg_stat(cg_a, &a1) || zs_memcg_stat(cg_b, &b1))
		return -1;
	if (a1.zswpwb >= 0) {
		own = a1.zswpwb - a0.zswpwb;
		other = b1.zswpwb - b0.zswpwb;
	} else {
		other = (b0.zswapped - b1.zswapped) / (long)ZS_PAGE;
		other = other > 0 ? other : 0;
		own = wb > other ? wb - other : 0;
	}
	if (own + other > 0)
		bench("zswap_wb_own_share", 100.0 * own / (own + other), "%");
	else
		printf("BENCH zswap_wb_own_share%s - %%\n", suffix);
	bench("zswap_wb_own_pages", own, "pages");
	bench("zswap_wb_other_pages", other, "pages");
	teardown(&a, cg_a);
	teardown(&b, cg_b);
	return 0;
}

/*
 * Store latency under deep pressure with the zswap shrinker off (0) or on
 * (1): 16 times, 2 MiB of the hot worker is touched and memory.reclaim asks
 * for more than the memcg has, so that reclaim goes down to its lowest
 * priority, where the shrinker scans most of the list.
 */
static int bench_shrinker_one(int on)
{
	long out0, out1, wb0, t, i, n = 0;
	struct zs_worker cold = {}, hot = {};
	char cg[PATH_MAX], name[16], val[2] = { '0' + on, '\0' };
	double store[16];
	int ret = -1;

	snprintf(name, sizeof(name), "shrinker%d", on);
	if (zswap_param_write("shrinker_enabled", val) ||
	    setup(name, &cold, cg, 32L << 20, 0xc01d, &ZS_PATTERN_HALF))
		return -1;
	push(cg, 32L << 20);
	if (zs_worker_start(&hot, cg, 32L << 20, 0x407, &ZS_PATTERN_HALF) ||
	    zs_worker_call(&hot, ZS_OP_FILL, 1, 1) != hot.pages)
		goto out;
	push(cg, 32L << 20);
	wb0 = zs_memcg_stat_key(cg, "zswpwb");
	for (i = 0; i < 16; i++) {
		if (zs_worker_call(&hot, ZS_OP_FILL, 2 + i, 16) < 0)
			goto out;
		out0 = zs_memcg_stat_key(cg, "zswpout");
		t = zs_usec();
		cg_write(cg, "memory.reclaim", "64M");	/* EAGAIN: less is there */
		t = zs_usec() - t;
		out1 = zs_memcg_stat_key(cg, "zswpout");
		if (out1 > out0)
			store[n++] = (double)t / (out1 - out0);
	}
	if (!n)
		goto out;
	qsort(store, n, sizeof(*store), zs_cmp_double);
	snprintf(name, sizeof(name), "_shrinker_%s", on ? "on" : "off");
	printf("BENCH zswap_store_us_p50%s%s %.2f us\n", name, suffix,
	       zs_percentile(store, n, 50));
	printf("BENCH zswap_store_us_max%s%s %.2f us\n", name, suffix, store[n - 1]);
	printf("BENCH zswap_shrinker_wb_pages%s%s %ld pages\n", name, suffix,
	       zs_memcg_stat_key(cg, "zswpwb") - wb0);
	fflush(stdout);
	ret = 0;
out:
	zs_worker_stop(&hot);
	teardown(&cold, cg);
	return ret;
}

static int bench_shrinker(void)
{
	char was[8];
	int ret;

	if (zswap_param_read("shrinker_enabled", was, sizeof(was)))
		return 0;	/* the base: no zswap shrinker, no rows */
	ret = bench_shrinker_one(0) | bench_shrinker_one(1);
	zswap_param_write("shrinker_enabled", was);
	return ret;
}

int main(int argc, char **argv)
{
	const char *zpool = argc > 1 ? argv[1] : "zbud";
	long bytes = getenv_long("BENCH_ZSWAP_MB", 64) << 20;
	char root[PATH_MAX];
	const char *why;
	int ret = 0;

	signal(SIGPIPE, SIG_IGN);
	zs_timer_init();
	if (strcmp(zpool, "zbud"))
		snprintf(suffix, sizeof(suffix), "_%s", zpool);
	if (cg_find_unified_root(root, sizeof(root)) ||
	    zs_memcg_create(root, "bench_zswap", parent, sizeof(parent)))
		return 1;
	why = zswap_missing(parent);
	if (why) {
		fprintf(stderr, "bench_zswap: %s\n", why);
		return 1;
	}
	if (zswap_params_save(&saved) || zswap_use(zpool)) {
		fprintf(stderr, "bench_zswap: cannot use zpool %s\n", zpool);
		return 1;
	}
	ret |= bench_latency(bytes);
	ret |= bench_wb_memcg();
	ret |= bench_own_share();
	ret |= bench_wb_global();
	ret |= bench_shrinker();
	zswap_params_restore(&saved);
	rmdir(parent);
	return ret ? 1 : 0;
}
