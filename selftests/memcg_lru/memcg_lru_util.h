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

#endif /* __MEMCG_LRU_UTIL_H */
