/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The helper library of the memcg-lru selftests and benchmarks, next to
 * cgroup_util.c.  Name families: file_* and proc_* (small files, /proc),
 * lru_gen_* (the MGLRU switch), memcg_* (a memory cgroup on cgroup v2 or
 * the v1 memory controller), mlt_* (the test module's debugfs files),
 * numa_* (NUMA nodes: how many, binding a task's memory to one),
 * poll_until() (waiting for the kernel with a deadline), and for zswap:
 * zswap_* (module parameters, debugfs counters, test setup) and zs_* (a
 * memcg's zswap statistics, a verifiable page pattern, worker processes).
 */
#ifndef __MEMCG_LRU_UTIL_H
#define __MEMCG_LRU_UTIL_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

#define LRU_GEN_ENABLED "/sys/kernel/mm/lru_gen/enabled"

/* Read a small sysfs/procfs file into buf; returns bytes read or -errno. */
ssize_t file_read(const char *path, char *buf, size_t size);
/* Write str to path in one write(); returns 0 or -errno. */
int file_write(const char *path, const char *str);

/* Current /sys/kernel/mm/lru_gen/enabled as a number, or -errno. */
long lru_gen_read(void);
/* Write str to lru_gen/enabled; returns 0 or -errno. */
int lru_gen_write(const char *str);
/*
 * Write each of the n strings to lru_gen/enabled: each must get EINVAL and
 * leave the value as it was.  0 if so; else -1, after printing the first
 * offender and restoring the value.
 */
int lru_gen_expect_rejected(const char * const *bad, size_t n);

/* A memory cgroup on either hierarchy. */
struct memcg {
	char path[4096];
	int v1;		/* cgroup v1 memory controller */
};

#define MEMCG_V1_ROOT "/sys/fs/cgroup/memory"

/* Root of the v1 memory hierarchy or of cgroup v2; 0 or -ENOENT. */
int memcg_root(struct memcg *root, int v1);
/* Create parent/name; 0 or -errno. */
int memcg_create(struct memcg *cg, const struct memcg *parent, const char *name);
/* Kill every task in cg, then remove it. */
void memcg_destroy(struct memcg *cg);
/* memory.max (v2) or memory.limit_in_bytes (v1). */
int memcg_set_limit(const struct memcg *cg, long bytes);
/* memory.current (v2) or memory.usage_in_bytes (v1), or -errno. */
long memcg_usage(const struct memcg *cg);
/* OOM kills: memory.events oom_kill (v2) or memory.oom_control (v1). */
long memcg_oom_kills(const struct memcg *cg);
/* OOM events: memory.events oom (v2); v1 has only the kill count. */
long memcg_ooms(const struct memcg *cg);
/* Reclaim seen: memory.stat pgscan (v2) or memory.failcnt (v1). */
long memcg_pressure(const struct memcg *cg);
/* fork() a child that joins cg and runs fn(arg); returns its pid. */
pid_t memcg_spawn(const struct memcg *cg, int (*fn)(void *), void *arg);

/* Create path with size bytes of data, written through the page cache. */
int file_fill(const char *path, size_t size);
/* Write size bytes over the start of path, its blocks kept (no O_TRUNC). */
int file_overwrite(const char *path, size_t size);
/* Write back path and drop its page cache; 0 or -errno. */
int file_drop_cache(const char *path);
/* Read path to the end; 0 or -errno. */
int file_read_all(const char *path);
/*
 * Read path one page at a time: filemap_read() marks only the first folio
 * of each batch it copies from as accessed, so big reads touch only some.
 */
int file_read_pages(const char *path);
/* fsync() path: its dirty page cache written back; 0 or -1. */
int file_sync(const char *path);

/* Milliseconds since an arbitrary point. */
long now_ms(void);

/*
 * Waiting for the kernel to get somewhere: TCG guests are slow and their
 * speed varies, so a test polls with a generous deadline instead of
 * sleeping a fixed time and then asserting.
 */
#define POLL_MS			100
#define SETTLE_TIMEOUT_MS	60000
/*
 * poll_until(cond, timeout_ms, waited): evaluate cond every POLL_MS until it
 * is true or timeout_ms have passed.  Its value is 1 if cond held at the
 * last evaluation, else 0; the time spent is stored in waited (a long).
 */
#define poll_until(cond, timeout_ms, waited) ({				\
	long __poll_start = now_ms(), __poll_held;			\
									\
	for (;;) {							\
		__poll_held = !!(cond);					\
		if (__poll_held || now_ms() - __poll_start >= (timeout_ms)) \
			break;						\
		usleep(POLL_MS * 1000);					\
	}								\
	(waited) = now_ms() - __poll_start;				\
	__poll_held;							\
})

/* The number in environment variable name, or def when unset or empty. */
long getenv_long(const char *name, long def);

/*
 * The value of key in a file of "key value" or "Key: value" lines
 * (/proc/vmstat, /proc/meminfo, memory.stat, cgroup.stat), matched as a
 * whole word at the start of a line; -ENOENT when there is no such line.
 * Reads into one static buffer: not for concurrent threads.
 */
long file_key_long(const char *path, const char *key);
/* A file holding one number (a sysctl); the number, or -errno. */
long file_read_long(const char *path);
/* /proc/vmstat key, or -ENOENT (a counter this kernel does not have). */
long proc_vmstat(const char *key);
/* /proc/meminfo key (without the colon) in kB, or -ENOENT. */
long proc_meminfo_kb(const char *key);
/*
 * Write each of the n strings to the sysctl at path, one write() each:
 * each must get EINVAL and leave the value as it was.  "" is a zero-length
 * write(), which may instead write nothing (return 0), as every
 * proc_dointvec handler does.  0 if so; else -1, after printing the first
 * offender and restoring the value.
 */
int sysctl_expect_rejected(const char *path, const char * const *bad, size_t n);

/* Pages of path in the page cache (mincore()), or -errno. */
long file_resident_pages(const char *path);
/* read() then write back every page of path: it is read and dirtied. */
int file_touch_dirty(const char *path);

/* memory.stat of cg: key v2key on cgroup v2, v1key ("total_..." for the hierarchy) on v1. */
long memcg_stat(const struct memcg *cg, const char *v2key, const char *v1key);
/* Page cache, shmem included: memory.stat file (v2), total_cache (v1). */
long memcg_file_bytes(const struct memcg *cg);
/* memory.stat shmem (v2), total_shmem (v1). */
long memcg_shmem_bytes(const struct memcg *cg);
/*
 * Swap charged to cg: memory.swap.current (v2), memory.stat total_swap
 * (v1 with swap accounting); -ENOENT when the kernel has no swap counter.
 */
long memcg_swap_bytes(const struct memcg *cg);
/*
 * A counter of the series (memcg_reparent, ...) in cg's memory.stat: v2
 * key, else v1 total_key or key.  -ENOENT when cg has no such line.
 */
long memcg_counter(const struct memcg *cg, const char *key);
/*
 * memory.numa_stat of cg, in bytes: key on node.  v2 ("key N0=bytes ...")
 * gives the hierarchical figure, v1 ("key=pages N0=pages ...") cg's own.
 * -ENOENT when cg has no such key or node.
 */
long memcg_numa_stat(const struct memcg *cg, const char *key, int node);
/* The memory controller's num_cgroups in /proc/cgroups, or -errno. */
long proc_cgroups_memory(void);
/*
 * Dying (removed but not yet freed) memory cgroups.  v2: cg's cgroup.stat
 * nr_dying_descendants.  v1 has no cgroup.stat: the whole v1 memory
 * hierarchy's count, num_cgroups in /proc/cgroups minus the directories
 * under MEMCG_V1_ROOT, so it is only meaningful against a baseline taken
 * when nothing else is removing cgroups.
 */
long memcg_nr_dying(const struct memcg *cg);
/*
 * Poll memcg_nr_dying(cg) every 50 ms until it is <= want or timeout_ms
 * passed; returns the last count, and the time waited in *waited_ms.
 */
long memcg_wait_dying(const struct memcg *cg, long want, long timeout_ms, long *waited_ms);
/*
 * v1: wait (up to 5 s) until the hierarchy's dying count holds still for a
 * second and return it; v2: cg's count at once.  A baseline for the above.
 */
long memcg_dying_baseline(const struct memcg *cg);
/* rmdir cg (retrying while EBUSY: the last task may still be exiting). */
int memcg_remove(const struct memcg *cg);
/* Wait for pid; 1 if it exited with status 0. */
int pid_exited_ok(pid_t pid);

/* ---- leaks and consistency of a memcg tree ---- */

/*
 * memcg_swap_counter(): swap charged to cg as its page counter holds it,
 * not the rstat statistic: memory.swap.current (v2), memory+swap less
 * memory (v1, memory.memsw.usage_in_bytes - usage_in_bytes); -ENOENT
 * without swap accounting.
 */
long memcg_swap_counter(const struct memcg *cg);
/*
 * Usage of cg that no leak explains: the per-CPU charge stocks hold up to
 * MEMCG_CHARGE_BATCH (64) pages of one memcg each, charged but not used,
 * and the per-CPU swap slot caches up to 64 freed entries each whose swap
 * charge is given back only when their batch is returned; beyond those,
 * 1 MiB for the kernel objects a memcg keeps charged (negative dentries of
 * unlinked files, a partly used slab page's objcg bytes).  Measured in the
 * 2-CPU guest by test_faults: at most 192 KiB of memory and 512 KiB of
 * swap (2 x 64 entries) left once everything was freed; the bound is
 * 2 MiB there.
 */
long memcg_leak_slack(void);
/*
 * cg's memory and swap page counters (memcg_usage(), memcg_swap_counter())
 * are at least the sums of its n children's, as hierarchical counters
 * must be.  The parent is read first: a child's charge that moves between
 * the reads (a drained stock, a recharge from the parent's own) cannot
 * make it look short.  0 if so; else -1 after printing the numbers.
 */
int memcg_covers_children(const struct memcg *cg, const struct memcg *children, int n);
/*
 * A counter of cg that looks negative: a line of memory.stat (or the
 * usage, swap or kmem counter file) whose value has a leading '-' or is
 * 2^62 or more read as unsigned, as a counter that went below zero and
 * wrapped.  v1's hierarchical_*_limit lines (2^63 - 4096 when unlimited)
 * are limits, not counters, and are skipped.  1 with the offending
 * "file: line" in what, 0 if none, -errno if memory.stat cannot be read.
 */
int memcg_negative_counter(const struct memcg *cg, char *what, size_t size);

/*
 * NUMA nodes: make test boots both guests with numa=fake=2, which splits
 * the guest's RAM (vm.sh VM_MEM) into two nodes of about equal size.
 */
/* Nodes 0, 1, ... that exist (/sys/devices/system/node/nodeN), in a row. */
int numa_nodes(void);
/*
 * Bind the memory the calling task allocates from now on to node
 * (set_mempolicy MPOL_BIND, by syscall: the selftests are static, without
 * libnuma); node -1 puts the default policy back.  0 or -errno.
 */
int numa_bind(int node);

/* The test module's debugfs files (module/memcg_lru_test.c). */
#define MLT_DIR "/sys/kernel/debug/memcg_lru_test"
#define MLT_CHECK_LRUVECS MLT_DIR "/check_lruvecs"
#define MLT_REPARENT MLT_DIR "/reparent"
#define MLT_REPARENT_CHECK MLT_DIR "/reparent_check"
/*
 * reparent_check: pages on the LRUs of offline memcgs and offline memcgs
 * still allocated.  0, or -ENOENT without the file, -EINVAL if unparsable.
 */
int mlt_reparent_check(long *lru_pages, long *memcgs);
/*
 * check_lruvecs: every lruvec is entirely on the LRU @mglru says, lists
 * and counters agree.  The LRU pages counted, -ENOENT without the file,
 * or -EINVAL (after printing the module's answer).
 */
long mlt_check_lruvecs(int mglru);

/* ---- zswap (cgroup v2): parameters, statistics, page pattern, workers ---- */

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
 * The zpools to run with: $ZSWAP_ZPOOLS (blank-separated), default @def.
 * Returns how many were written to names.
 */
int zswap_zpools(char names[][32], int max, const char *def);

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
	ZS_OP_VERIFY,		/* read and compare the pages FILL's arg, arg2 name
				 * (0, 0: all); result: bad pages */
	ZS_OP_TOUCH_TIMED,	/* time the first access to each non-resident page */
	ZS_OP_CORRUPT,		/* arg: page, arg2: offset; flip one byte */
	ZS_OP_MLOCK,		/* read, then mlock, the pages FILL's arg, arg2
				 * name; result: pages locked */
	ZS_OP_DROP,		/* MADV_DONTNEED the pages FILL's arg, arg2 name
				 * (their swap entries are freed); result: pages */
	ZS_OP_BIND,		/* arg: node (-1: none) the pages FILL faults in
				 * from now on come from (numa_bind());
				 * result: 0 or -errno */
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

#endif /* __MEMCG_LRU_UTIL_H */
