/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __MEMCG_LRU_UTIL_H
#define __MEMCG_LRU_UTIL_H

#include <stddef.h>

#define LRU_GEN_ENABLED "/sys/kernel/mm/lru_gen/enabled"

/* Read a small sysfs/procfs file into buf; returns bytes read or -errno. */
ssize_t file_read(const char *path, char *buf, size_t size);
/* Write str to path in one write(); returns 0 or -errno. */
int file_write(const char *path, const char *str);

/* Current /sys/kernel/mm/lru_gen/enabled as a number, or -errno. */
long lru_gen_read(void);
/* Write str to lru_gen/enabled; returns 0 or -errno. */
int lru_gen_write(const char *str);

#endif /* __MEMCG_LRU_UTIL_H */
