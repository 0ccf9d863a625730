/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __MEMCG_LRU_UTIL_H
#define __MEMCG_LRU_UTIL_H

#include <stddef.h>
#include <sys/types.h>

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
/* Write back path and drop its page cache; 0 or -errno. */
int file_drop_cache(const char *path);
/* Read path to the end; 0 or -errno. */
int file_read_all(const char *path);

/* Milliseconds since an arbitrary point. */
long now_ms(void);

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

/* The test module's debugfs files (module/memcg_lru_test.c). */
#define MLT_DIR "/sys/kernel/debug/memcg_lru_test"
#define MLT_CHECK_LRUVECS MLT_DIR "/check_lruvecs"
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

#endif /* __MEMCG_LRU_UTIL_H */
