/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the zswap selftests and benchmark (test_zswap,
 * test_zswap_integrity, bench_zswap): zswap's module parameters and
 * debugfs counters, the zswap lines of a memcg's memory.stat, a page
 * pattern that compresses but is not same-filled and can be verified byte
 * for byte, and worker processes that hold such memory inside a memcg.
 */
#ifndef __ZSWAP_UTIL_H
#define __ZSWAP_UTIL_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define ZSWAP_PARAMS	"/sys/module/zswap/parameters"
#define ZSWAP_DEBUGFS	"/sys/kernel/debug/zswap"
#define ZS_PAGE		4096UL

/* ---- zswap module parameters and counters ---- */

/* The parameters a test changes, as read before it changes them. */
struct zswap_params {
	char enabled[8];
	char zpool[32];
	char compressor[32];
	char max_pool_percent[16];
	char accept_threshold_percent[16];
	char same_filled_pages_enabled[8];
};

/* Read /sys/module/zswap/parameters/name, trailing newline dropped. */
int zswap_param_read(const char *name, char *buf, size_t size);
/* Write val to /sys/module/zswap/parameters/name; 0 or -errno. */
int zswap_param_write(const char *name, const char *val);
/* The parameter as a number (max_pool_percent, ...), or -errno. */
long zswap_param_long(const char *name);
int zswap_params_save(struct zswap_params *p);
/* Put back what zswap_params_save() read; 0, or -1 if any write failed. */
int zswap_params_restore(const struct zswap_params *p);
/*
 * Make zswap store with zpool (lzo when available, same-filled pages on)
 * and enable it.  0; -ENOENT when this kernel has no such zpool; -errno.
 */
int zswap_use(const char *zpool);
/* /sys/kernel/debug/zswap/name, or -errno. */
long zswap_counter(const char *name);
/*
 * NULL when zswap, its debugfs counters, swap and cgroup v2's
 * memory.zswap.max (in the memcg path) are all there; else why not.
 */
const char *zswap_missing(const char *memcg);
/*
 * The common start of a zswap test: cgroup v2 with the memory controller,
 * the test's parent memcg name under the root (its path in parent, PATH_MAX
 * bytes), zswap usable, and its parameters saved in saved and put back on
 * SIGINT and SIGTERM. Skips or fails the test through kselftest otherwise.
 */
void zswap_test_setup(const char *name, char *parent, struct zswap_params *saved);

/*
 * The zpools to run with: $ZSWAP_ZPOOLS (blank-separated), default
 * "zbud zsmalloc".  Returns how many were written to names.
 */
int zswap_zpools(char names[][32], int max);

/* ---- a memcg's zswap statistics (cgroup v2) ---- */

struct zs_memcg_stat {
	long zswap;		/* bytes, compressed */
	long zswapped;		/* bytes, original size */
	long zswpin;		/* pages loaded from zswap */
	long zswpout;		/* pages stored into zswap */
	long zswpwb;		/* pages written back; -1: no such key (base 6.1) */
	long swap;		/* memory.swap.current, bytes */
	long anon;		/* bytes */
};

/* Key of memory.stat matched at the start of a line; -ENOENT if absent. */
long zs_memcg_stat_key(const char *memcg, const char *key);
/* All of the above at once (one read of memory.stat); 0 or -errno. */
int zs_memcg_stat(const char *memcg, struct zs_memcg_stat *s);
/* Pages of memcg's swap that are not in zswap: on the swap device. */
long zs_disk_pages(const struct zs_memcg_stat *s);
/*
 * memory.reclaim of bytes, retried up to tries times while the kernel
 * reclaims less than asked (EAGAIN); 0 if a write reclaimed everything.
 */
int zs_reclaim(const char *memcg, long bytes, int tries);

/* ---- verifiable page pattern ---- */

/*
 * A page is: a 64-byte header (magic, seed, page index, generation and a
 * checksum of the rest), zeros bytes of zeros, 32-bit counter words (each
 * value four times), then noise bytes of pseudo-random data at the end.
 * All of it follows from (seed, index, gen), so a page can be checked byte
 * for byte, and no page is same-filled.  With lzo (kernel's lzo1x_1):
 *   ZS_PATTERN_HALF   half zeros, half counter words: ~1050 bytes
 *   ZS_PATTERN_MIXED  1.5 KiB zeros, 1 KiB noise:     ~1810 bytes
 *   ZS_PATTERN_DENSE  2.75 KiB noise:                 ~3220 bytes
 */
struct zs_pattern {
	unsigned int noise;
	unsigned int zeros;
};
extern const struct zs_pattern ZS_PATTERN_HALF, ZS_PATTERN_MIXED, ZS_PATTERN_DENSE;

struct zs_page_header {
	unsigned long magic;
	unsigned long seed;
	unsigned long index;
	unsigned long gen;
	unsigned long csum;
	unsigned long pad[3];
};
#define ZS_MAGIC	0x7a73776170636b31UL	/* "zswapck1" */

void zs_fill_page(void *page, const struct zs_pattern *pat, unsigned long seed,
		  unsigned long index, unsigned long gen);

/* The first difference between a page and what it should hold. */
struct zs_mismatch {
	long index;		/* page; -1: none */
	unsigned long seed, gen;	/* what it should hold */
	long offset;		/* first differing byte in the page */
	unsigned char expected, actual;
	long bytes;		/* differing bytes in that page */
	struct zs_page_header found;	/* the header the page holds */
	int csum_ok;		/* found.csum matches the page's content */
	long pages;		/* pages that differ, in all */
};

/* 0 if page is intact, else 1 after describing the difference in m. */
int zs_check_page(const void *page, const struct zs_pattern *pat, unsigned long seed,
		  unsigned long index, unsigned long gen, struct zs_mismatch *m);
/* One line naming the page, the offset, expected and actual bytes. */
void zs_print_mismatch(const char *who, const struct zs_mismatch *m);

/* ---- workers: processes holding patterned anon memory in a memcg ---- */

enum zs_op {
	ZS_OP_FILL,		/* arg: gen, arg2: stride (pages i % stride == gen % stride) */
	ZS_OP_VERIFY,		/* read every page, compare; result: bad pages */
	ZS_OP_TOUCH_TIMED,	/* time the first access to each non-resident page */
	ZS_OP_CORRUPT,		/* arg: page, arg2: offset; flip one byte */
	ZS_OP_EXIT,
};

struct zs_worker {
	pid_t pid;
	int to, from;		/* command and answer pipes */
	char memcg[PATH_MAX];
	long pages;
	unsigned long seed;
	struct zs_pattern pat;
	/* shared with the worker (MAP_SHARED, faulted in by the parent) */
	unsigned long *gen;	/* generation each page holds */
	double *fault_us;	/* ZS_OP_TOUCH_TIMED results */
	struct zs_mismatch *bad;	/* ZS_OP_VERIFY: the first bad page */
};

/*
 * fork a worker in memcg that maps bytes of anonymous memory (no THP:
 * zswap on 6.1 does not take huge pages) and waits for commands; the
 * memory is not touched before ZS_OP_FILL.  0 or -1.
 */
int zs_worker_start(struct zs_worker *w, const char *memcg, size_t bytes,
		    unsigned long seed, const struct zs_pattern *pat);
int zs_worker_send(struct zs_worker *w, enum zs_op op, long arg, long arg2);
/* Wait for the answer to the last command: its result, or -1 if the worker died. */
long zs_worker_wait(struct zs_worker *w);
long zs_worker_call(struct zs_worker *w, enum zs_op op, long arg, long arg2);
/* Tell it to exit (SIGKILL if it does not), reap it, free what it shared. */
void zs_worker_stop(struct zs_worker *w);

/* ---- misc ---- */

/*
 * Microseconds from the TSC where there is one (calibrated once, half a
 * second, by zs_timer_init(): call it before forking workers).
 */
void zs_timer_init(void);
long zs_usec(void);
int zs_cmp_double(const void *a, const void *b);
/* The p-th percentile (0..100) of n sorted values. */
double zs_percentile(const double *sorted, long n, double p);
/* mkdir parent/name (enabling +memory on parent); path receives it. */
int zs_memcg_create(const char *parent, const char *name, char *path, size_t size);

#endif /* __ZSWAP_UTIL_H */
