// SPDX-License-Identifier: GPL-2.0
/* The helper library of the memcg-lru selftests; see memcg_lru_util.h. */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "kselftest.h"
#include "cgroup_util.h"
#include "memcg_lru_util.h"

ssize_t file_read(const char *path, char *buf, size_t size)
{
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	len = read(fd, buf, size - 1);
	if (len < 0)
		len = -errno;
	else
		buf[len] = '\0';
	close(fd);
	return len;
}

int file_write(const char *path, const char *str)
{
	ssize_t len;
	int fd, ret = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	len = write(fd, str, strlen(str));
	if (len < 0)
		ret = -errno;
	else if ((size_t)len != strlen(str))
		ret = -EIO;
	close(fd);
	return ret;
}

long lru_gen_read(void)
{
	char buf[64], *end;
	long val;

	if (file_read(LRU_GEN_ENABLED, buf, sizeof(buf)) < 0)
		return -errno;
	errno = 0;
	val = strtol(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return val;
}

int lru_gen_write(const char *str)
{
	return file_write(LRU_GEN_ENABLED, str);
}

int memcg_root(struct memcg *root, int v1)
{
	memset(root, 0, sizeof(*root));
	root->v1 = v1;
	if (v1) {
		if (access(MEMCG_V1_ROOT "/memory.limit_in_bytes", F_OK))
			return -ENOENT;
		strcpy(root->path, MEMCG_V1_ROOT);
		return 0;
	}
	if (cg_find_unified_root(root->path, sizeof(root->path)))
		return -ENOENT;
	if (cg_read_strstr(root->path, "cgroup.controllers", "memory"))
		return -ENOENT;
	return 0;
}

int memcg_create(struct memcg *cg, const struct memcg *parent, const char *name)
{
	cg->v1 = parent->v1;
	snprintf(cg->path, sizeof(cg->path), "%s/%s", parent->path, name);
	if (!parent->v1 && cg_write((char *)parent->path, "cgroup.subtree_control", "+memory"))
		return -EIO;
	if (mkdir(cg->path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

void memcg_destroy(struct memcg *cg)
{
	char procs[4200], buf[64];
	FILE *f;
	int i;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg->path);
	for (i = 0; i < 100; i++) {
		int any = 0;

		f = fopen(procs, "r");
		if (!f)
			return;
		while (fgets(buf, sizeof(buf), f)) {
			kill(atoi(buf), SIGKILL);
			any = 1;
		}
		fclose(f);
		if (!any)
			break;
		usleep(10000);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	for (i = 0; i < 100 && rmdir(cg->path) && errno == EBUSY; i++)
		usleep(10000);
}

int memcg_set_limit(const struct memcg *cg, long bytes)
{
	char val[32];

	snprintf(val, sizeof(val), "%ld", bytes);
	return cg_write((char *)cg->path, cg->v1 ? "memory.limit_in_bytes" : "memory.max", val);
}

long memcg_usage(const struct memcg *cg)
{
	return cg_read_long((char *)cg->path, cg->v1 ? "memory.usage_in_bytes" : "memory.current");
}

long memcg_oom_kills(const struct memcg *cg)
{
	if (cg->v1)
		return cg_read_key_long((char *)cg->path, "memory.oom_control", "oom_kill ");
	return cg_read_key_long((char *)cg->path, "memory.events", "oom_kill ");
}

long memcg_ooms(const struct memcg *cg)
{
	if (cg->v1)
		return memcg_oom_kills(cg);
	return cg_read_key_long((char *)cg->path, "memory.events", "oom ");
}

long memcg_pressure(const struct memcg *cg)
{
	if (cg->v1)
		return cg_read_long((char *)cg->path, "memory.failcnt");
	return cg_read_key_long((char *)cg->path, "memory.stat", "pgscan ");
}

pid_t memcg_spawn(const struct memcg *cg, int (*fn)(void *), void *arg)
{
	char pid[16];
	pid_t child;

	child = fork();
	if (child)
		return child;
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (cg_write((char *)cg->path, "cgroup.procs", pid))
		_exit(EXIT_FAILURE);
	_exit(fn(arg));
}

static int file_write_size(const char *path, size_t size, int flags)
{
	static char buf[1 << 20];
	size_t done;
	int fd;

	fd = open(path, O_WRONLY | flags, 0600);
	if (fd < 0)
		return -errno;
	memset(buf, 0x5a, sizeof(buf));
	for (done = 0; done < size; done += sizeof(buf)) {
		if (write(fd, buf, sizeof(buf)) != sizeof(buf)) {
			close(fd);
			return -EIO;
		}
	}
	close(fd);
	return 0;
}

int file_fill(const char *path, size_t size)
{
	return file_write_size(path, size, O_CREAT | O_TRUNC);
}

int file_overwrite(const char *path, size_t size)
{
	return file_write_size(path, size, 0);
}

int file_drop_cache(const char *path)
{
	int fd, ret = 0;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	if (fsync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		ret = -errno;
	close(fd);
	return ret;
}

int file_read_all(const char *path)
{
	static char buf[1 << 20];
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	while ((len = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return len < 0 ? -EIO : 0;
}

long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lru_gen_expect_rejected(const char * const *bad, size_t n)
{
	long before, after;
	char val[32];
	size_t i;
	int err;

	before = lru_gen_read();
	if (before < 0)
		return -1;
	for (i = 0; i < n; i++) {
		err = lru_gen_write(bad[i]);
		after = lru_gen_read();
		if (err != -EINVAL || after != before) {
			ksft_print_msg("\"%s\": write %d (want %d), 0x%lx -> 0x%lx\n",
				       bad[i], err, -EINVAL, before, after);
			snprintf(val, sizeof(val), "0x%lx", before);
			lru_gen_write(val);
			return -1;
		}
	}
	return 0;
}

long getenv_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

/*
 * The value of key in buf, a text of "key value" or "Key: value" lines;
 * -ENOENT when no line starts with key as a whole word.
 */
static long buf_key_long(const char *buf, const char *key)
{
	size_t len = strlen(key);
	const char *line;

	for (line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, key, len) || !line[len] || !strchr(" \t:", line[len]))
			continue;
		line += len;
		while (*line == ':' || *line == ' ' || *line == '\t')
			line++;
		return strtol(line, NULL, 10);
	}
	return -ENOENT;
}

long file_key_long(const char *path, const char *key)
{
	static char buf[1 << 16];
	ssize_t ret;

	ret = file_read(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	return buf_key_long(buf, key);
}

long file_read_long(const char *path)
{
	char buf[64], *end;
	ssize_t ret;
	long val;

	ret = file_read(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	errno = 0;
	val = strtol(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return val;
}

long proc_vmstat(const char *key)
{
	return file_key_long("/proc/vmstat", key);
}

long proc_meminfo_kb(const char *key)
{
	return file_key_long("/proc/meminfo", key);
}

int sysctl_expect_rejected(const char *path, const char * const *bad, size_t n)
{
	long before, after;
	char val[32];
	size_t i;
	int err;

	before = file_read_long(path);
	if (before < 0)
		return -1;
	for (i = 0; i < n; i++) {
		err = file_write(path, bad[i]);
		after = file_read_long(path);
		/* a zero-length write() may also just write nothing */
		if (!*bad[i] && !err)
			err = -EINVAL;
		if (err != -EINVAL || after != before) {
			ksft_print_msg("%s: \"%s\" returned %d (want %d), value %ld -> %ld\n",
				       path, bad[i], err, -EINVAL, before, after);
			snprintf(val, sizeof(val), "%ld", before);
			file_write(path, val);
			return -1;
		}
	}
	return 0;
}

long file_resident_pages(const char *path)
{
	long page = sysconf(_SC_PAGESIZE), nr, i, resident = 0;
	unsigned char *vec;
	struct stat st;
	void *map;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	nr = (st.st_size + page - 1) / page;
	if (!nr) {
		close(fd);
		return 0;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	vec = malloc(nr);
	if (!vec || mincore(map, st.st_size, vec)) {
		resident = vec ? -errno : -ENOMEM;
		goto out;
	}
	for (i = 0; i < nr; i++)
		resident += vec[i] & 1;
out:
	free(vec);
	munmap(map, st.st_size);
	return resident;
}

int file_touch_dirty(const char *path)
{
	char buf[4096];
	ssize_t len;
	off_t off;
	int fd, ret = 0;

	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	for (off = 0; (len = pread(fd, buf, sizeof(buf), off)) > 0; off += len) {
		if (pwrite(fd, buf, len, off) != len) {
			ret = -EIO;
			break;
		}
	}
	if (len < 0)
		ret = -errno;
	close(fd);
	return ret;
}

long memcg_stat(const struct memcg *cg, const char *v2key, const char *v1key)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/memory.stat", cg->path);
	return file_key_long(path, cg->v1 ? v1key : v2key);
}

long memcg_file_bytes(const struct memcg *cg)
{
	return memcg_stat(cg, "file", "total_cache");
}

long memcg_shmem_bytes(const struct memcg *cg)
{
	return memcg_stat(cg, "shmem", "total_shmem");
}

long memcg_swap_bytes(const struct memcg *cg)
{
	long val;

	if (cg->v1)
		return memcg_stat(cg, NULL, "total_swap");
	val = cg_read_long((char *)cg->path, "memory.swap.current");
	return val < 0 ? -ENOENT : val;
}

long memcg_counter(const struct memcg *cg, const char *key)
{
	char total[128];
	long val;

	if (!cg->v1)
		return memcg_stat(cg, key, NULL);
	snprintf(total, sizeof(total), "total_%s", key);
	val = memcg_stat(cg, NULL, total);
	return val >= 0 ? val : memcg_stat(cg, NULL, key);
}

long memcg_numa_stat(const struct memcg *cg, const char *key, int node)
{
	char path[4200], buf[8192], want[64], *line, *save, *n;
	size_t len = strlen(key);

	snprintf(path, sizeof(path), "%s/memory.numa_stat", cg->path);
	if (file_read(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	snprintf(want, sizeof(want), " N%d=", node);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, key, len) || line[len] != (cg->v1 ? '=' : ' '))
			continue;
		n = strstr(line, want);
		if (!n)
			return -ENOENT;
		return atol(n + strlen(want)) * (cg->v1 ? getpagesize() : 1);
	}
	return -ENOENT;
}

int numa_nodes(void)
{
	char path[64];
	int n;

	for (n = 0;; n++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", n);
		if (access(path, F_OK))
			return n;
	}
}

#define MPOL_DEFAULT	0
#define MPOL_BIND	2

int numa_bind(int node)
{
	unsigned long mask;

	if (node < 0)
		return syscall(SYS_set_mempolicy, MPOL_DEFAULT, NULL, 0) ? -errno : 0;
	mask = 1UL << node;
	return syscall(SYS_set_mempolicy, MPOL_BIND, &mask, sizeof(mask) * 8) ? -errno : 0;
}

long proc_cgroups_memory(void)
{
	char line[256], name[64];
	long hier, num, ret = -ENOENT;
	FILE *f;

	f = fopen("/proc/cgroups", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld %ld", name, &hier, &num) == 3 &&
		    !strcmp(name, "memory")) {
			ret = num;
			break;
		}
	}
	fclose(f);
	return ret;
}

static long nr_dirs;

static int count_dir(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_D)
		nr_dirs++;
	return 0;
}

long memcg_nr_dying(const struct memcg *cg)
{
	long all;

	if (!cg->v1)
		return cg_read_key_long((char *)cg->path, "cgroup.stat", "nr_dying_descendants ");
	all = proc_cgroups_memory();
	nr_dirs = 0;
	if (all < 0 || nftw(MEMCG_V1_ROOT, count_dir, 16, FTW_PHYS))
		return -EIO;
	return all - nr_dirs;
}

long memcg_wait_dying(const struct memcg *cg, long want, long timeout_ms, long *waited_ms)
{
	long start = now_ms(), nr;

	for (;;) {
		nr = memcg_nr_dying(cg);
		if ((nr >= 0 && nr <= want) || now_ms() - start >= timeout_ms)
			break;
		usleep(50000);
	}
	if (waited_ms)
		*waited_ms = now_ms() - start;
	return nr;
}

long memcg_dying_baseline(const struct memcg *cg)
{
	long start = now_ms(), stable = now_ms(), nr, last;

	last = memcg_nr_dying(cg);
	if (!cg->v1)
		return last;
	while (now_ms() - stable < 1000 && now_ms() - start < 5000) {
		usleep(100000);
		nr = memcg_nr_dying(cg);
		if (nr != last)
			stable = now_ms();
		last = nr;
	}
	return last;
}

int memcg_remove(const struct memcg *cg)
{
	int i, err;

	for (i = 0; i < 200; i++) {
		if (!rmdir(cg->path))
			return 0;
		if (errno != EBUSY)
			break;
		usleep(10000);
	}
	err = errno;
	ksft_print_msg("rmdir %s: %s\n", cg->path, strerror(err));
	return -err;
}

int pid_exited_ok(pid_t pid)
{
	int status;

	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       !WEXITSTATUS(status);
}

long memcg_swap_counter(const struct memcg *cg)
{
	long memsw, mem;

	if (!cg->v1) {
		memsw = cg_read_long((char *)cg->path, "memory.swap.current");
		return memsw < 0 ? -ENOENT : memsw;
	}
	/* usage_in_bytes first: memsw read after it is never the smaller */
	mem = memcg_usage(cg);
	memsw = cg_read_long((char *)cg->path, "memory.memsw.usage_in_bytes");
	if (mem < 0 || memsw < 0)
		return -ENOENT;
	return memsw > mem ? memsw - mem : 0;
}

#define MEMCG_CHARGE_BATCH_PAGES	64	/* include/linux/memcontrol.h */
#define SWAP_SLOTS_BATCH		64	/* SWAP_SLOTS_CACHE_SIZE */

long memcg_leak_slack(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF), page = sysconf(_SC_PAGESIZE);

	if (cpus < 1)
		cpus = 1;
	return (1L << 20) + cpus * (MEMCG_CHARGE_BATCH_PAGES + SWAP_SLOTS_BATCH) * page;
}

int memcg_covers_children(const struct memcg *cg, const struct memcg *children, int n)
{
	long mem = memcg_usage(cg), swap = memcg_swap_counter(cg), sum_mem = 0, sum_swap = 0;
	int i;

	for (i = 0; i < n; i++) {
		long m = memcg_usage(&children[i]), s = memcg_swap_counter(&children[i]);

		if (m < 0) {
			ksft_print_msg("%s: no usage: %s\n", children[i].path, strerror(-m));
			return -1;
		}
		sum_mem += m;
		sum_swap += s > 0 ? s : 0;
	}
	if (mem < sum_mem || (swap >= 0 && swap < sum_swap)) {
		ksft_print_msg("%s holds less than its %d children: memory %ld < %ld KiB, or swap %ld < %ld KiB\n",
			       cg->path, n, mem >> 10, sum_mem >> 10, swap >> 10, sum_swap >> 10);
		return -1;
	}
	return 0;
}

/* 1 if the number at the start of s looks like a counter below zero */
static int looks_negative(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '-' || strtoull(s, NULL, 10) >= (1ULL << 62);
}

int memcg_negative_counter(const struct memcg *cg, char *what, size_t size)
{
	static const char * const v2_files[] = { "memory.current", "memory.swap.current",
						 "memory.zswap.current" };
	static const char * const v1_files[] = { "memory.usage_in_bytes",
						 "memory.memsw.usage_in_bytes",
						 "memory.kmem.usage_in_bytes" };
	const char * const *files = cg->v1 ? v1_files : v2_files;
	char path[4200], buf[8192], *line, *save, *val;
	ssize_t len;
	size_t i;

	snprintf(path, sizeof(path), "%s/memory.stat", cg->path);
	len = file_read(path, buf, sizeof(buf));
	if (len < 0)
		return len;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		val = strchr(line, ' ');
		if (!val || strstr(line, "_limit "))
			continue;
		if (looks_negative(val)) {
			snprintf(what, size, "memory.stat: %s", line);
			return 1;
		}
	}
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", cg->path, files[i]);
		if (file_read(path, buf, sizeof(buf)) <= 0)
			continue;	/* no such file on this kernel or hierarchy */
		if (looks_negative(buf)) {
			buf[strcspn(buf, "\n")] = '\0';
			snprintf(what, size, "%s: %s", files[i], buf);
			return 1;
		}
	}
	return 0;
}

int mlt_reparent_check(long *lru_pages, long *memcgs)
{
	char buf[128];
	ssize_t ret;

	ret = file_read(MLT_REPARENT_CHECK, buf, sizeof(buf));
	if (ret < 0)
		return ret == -ENOENT ? -ENOENT : -EINVAL;
	if (sscanf(buf, "offline_lru_pages %ld offline_memcgs %ld", lru_pages, memcgs) != 2) {
		ksft_print_msg("reparent_check: %s", buf);
		return -EINVAL;
	}
	return 0;
}

long mlt_check_lruvecs(int mglru)
{
	char buf[128], *nr;

	if (access(MLT_CHECK_LRUVECS, F_OK))
		return -ENOENT;
	if (file_write(MLT_CHECK_LRUVECS, mglru ? "y" : "n") ||
	    file_read(MLT_CHECK_LRUVECS, buf, sizeof(buf)) < 0)
		return -EINVAL;
	nr = strstr(buf, "nr_pages=");
	if (strncmp(buf, "consistent ", 11) || !nr) {
		ksft_print_msg("check_lruvecs: %s", buf);
		return -EINVAL;
	}
	return strtol(nr + 9, NULL, 10);
}

/* ---- zswap module parameters and counters ---- */

int zswap_param_read(const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t len;

	snprintf(path, sizeof(path), ZSWAP_PARAMS "/%s", name);
	len = file_read(path, buf, size);
	if (len < 0)
		return len;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int zswap_param_write(const char *name, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), ZSWAP_PARAMS "/%s", name);
	return file_write(path, val);
}

long zswap_param_long(const char *name)
{
	char buf[32];
	int ret;

	ret = zswap_param_read(name, buf, sizeof(buf));
	return ret < 0 ? ret : strtol(buf, NULL, 10);
}

int zswap_params_save(struct zswap_params *p)
{
	memset(p, 0, sizeof(*p));
	if (zswap_param_read("enabled", p->enabled, sizeof(p->enabled)) ||
	    zswap_param_read("zpool", p->zpool, sizeof(p->zpool)) ||
	    zswap_param_read("compressor", p->compressor, sizeof(p->compressor)) ||
	    zswap_param_read("max_pool_percent", p->max_pool_percent,
			     sizeof(p->max_pool_percent)) ||
	    zswap_param_read("accept_threshold_percent", p->accept_threshold_percent,
			     sizeof(p->accept_threshold_percent)) ||
	    zswap_param_read("same_filled_pages_enabled", p->same_filled_pages_enabled,
			     sizeof(p->same_filled_pages_enabled)))
		return -1;
	return 0;
}

int zswap_params_restore(const struct zswap_params *p)
{
	int ret = 0;

	ret |= zswap_param_write("max_pool_percent", p->max_pool_percent);
	ret |= zswap_param_write("accept_threshold_percent", p->accept_threshold_percent);
	ret |= zswap_param_write("same_filled_pages_enabled", p->same_filled_pages_enabled);
	ret |= zswap_param_write("compressor", p->compressor);
	ret |= zswap_param_write("zpool", p->zpool);
	ret |= zswap_param_write("enabled", p->enabled);
	if (ret)
		ksft_print_msg("could not restore every zswap parameter\n");
	return ret ? -1 : 0;
}

int zswap_use(const char *zpool)
{
	char cur[32];
	int ret;

	ret = zswap_param_write("zpool", zpool);
	if (ret)
		return ret == -ENOENT || ret == -EINVAL ? -ENOENT : ret;
	if (!zswap_param_read("compressor", cur, sizeof(cur)) && strcmp(cur, "lzo"))
		zswap_param_write("compressor", "lzo");
	zswap_param_write("same_filled_pages_enabled", "Y");
	return zswap_param_write("enabled", "Y");
}

long zswap_counter(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), ZSWAP_DEBUGFS "/%s", name);
	return file_read_long(path);
}

const char *zswap_missing(const char *memcg)
{
	char path[PATH_MAX], buf[16];

	if (zswap_param_read("enabled", buf, sizeof(buf)))
		return "zswap is not built in (no " ZSWAP_PARAMS ")";
	if (zswap_counter("stored_pages") < 0)
		return "no zswap debugfs counters (" ZSWAP_DEBUGFS ")";
	if (is_swap_enabled() <= 0)
		return "no active swap device";
	snprintf(path, sizeof(path), "%s/memory.zswap.max", memcg);
	if (access(path, F_OK))
		return "no memory.zswap.max (cgroup v2 memory controller with zswap)";
	return NULL;
}

static const struct zswap_params *signal_saved;

static void restore_on_signal(int sig)
{
	zswap_params_restore(signal_saved);
	_exit(128 + sig);
}

void zswap_test_setup(const char *name, char *parent, struct zswap_params *saved)
{
	char root[PATH_MAX];
	const char *why;

	if (cg_find_unified_root(root, sizeof(root)))
		ksft_exit_skip("cgroup v2 isn't mounted\n");
	if (cg_read_strstr(root, "cgroup.controllers", "memory"))
		ksft_exit_skip("memory controller isn't available\n");
	if (zs_memcg_create(root, name, parent, PATH_MAX))
		ksft_exit_skip("cannot create %s\n", parent);
	why = zswap_missing(parent);
	if (why) {
		rmdir(parent);
		ksft_exit_skip("%s\n", why);
	}
	if (zswap_params_save(saved))
		ksft_exit_fail_msg("cannot read the zswap parameters\n");
	signal_saved = saved;
	signal(SIGINT, restore_on_signal);
	signal(SIGTERM, restore_on_signal);
	signal(SIGPIPE, SIG_IGN);	/* a dead worker's pipe: an error, not our death */
}

int zswap_zpools(char names[][32], int max, const char *def)
{
	const char *env = getenv("ZSWAP_ZPOOLS");
	char list[256], *tok, *save;
	int n = 0;

	snprintf(list, sizeof(list), "%s", env && *env ? env : def);
	for (tok = strtok_r(list, " ,", &save); tok && n < max; tok = strtok_r(NULL, " ,", &save))
		snprintf(names[n++], 32, "%s", tok);
	return n;
}

/* ---- a memcg's zswap statistics ---- */

static int read_stat(const char *memcg, char *buf, size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/memory.stat", memcg);
	return file_read(path, buf, size) < 0 ? -EIO : 0;
}

long zs_memcg_stat_key(const char *memcg, const char *key)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/memory.stat", memcg);
	return file_key_long(path, key);
}

int zs_memcg_stat(const char *memcg, struct zs_memcg_stat *s)
{
	char buf[8192];

	if (read_stat(memcg, buf, sizeof(buf)))
		return -EIO;
	s->zswap = buf_key_long(buf, "zswap");
	s->zswapped = buf_key_long(buf, "zswapped");
	s->zswpin = buf_key_long(buf, "zswpin");
	s->zswpout = buf_key_long(buf, "zswpout");
	s->zswpwb = buf_key_long(buf, "zswpwb");
	if (s->zswpwb < 0)
		s->zswpwb = -1;
	s->anon = buf_key_long(buf, "anon");
	s->swap = cg_read_long(memcg, "memory.swap.current");
	if (s->zswap < 0 || s->zswapped < 0 || s->zswpin < 0 || s->zswpout < 0)
		return -ENOENT;
	return 0;
}

long zs_disk_pages(const struct zs_memcg_stat *s)
{
	long pages = (s->swap - s->zswapped) / (long)ZS_PAGE;

	return pages > 0 ? pages : 0;
}

int zs_reclaim(const char *memcg, long bytes, int tries)
{
	char val[32];

	snprintf(val, sizeof(val), "%ldK", bytes >> 10);
	while (tries-- > 0)
		if (!cg_write(memcg, "memory.reclaim", val))
			return 0;
	return -1;
}

/* ---- verifiable page pattern ---- */

const struct zs_pattern ZS_PATTERN_HALF = { .noise = 0, .zeros = 2048 };
const struct zs_pattern ZS_PATTERN_MIXED = { .noise = 1024, .zeros = 1536 };
const struct zs_pattern ZS_PATTERN_DENSE = { .noise = 2816, .zeros = 512 };

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t fnv1a(const unsigned char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

void zs_fill_page(void *page, const struct zs_pattern *pat, unsigned long seed,
		  unsigned long index, unsigned long gen)
{
	size_t off = sizeof(struct zs_page_header) + pat->zeros, noise = ZS_PAGE - pat->noise;
	struct zs_page_header *h = page;
	unsigned char *p = page;
	uint64_t x = mix64(seed ^ mix64(index ^ (gen << 40))) | 1;
	uint32_t w = (uint32_t)(seed * 2654435761UL + index * 1024 + gen * 131);

	/* zeros first: lzo gives up looking for matches after a run of noise */
	memset(p + sizeof(*h), 0, pat->zeros);
	for (; off < noise; off += 4)
		*(uint32_t *)(p + off) = w + (off >> 4);
	for (; off < ZS_PAGE; off += 8) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		*(uint64_t *)(p + off) = x * 0x2545f4914f6cdd1dULL;
	}
	memset(h, 0, sizeof(*h));
	h->magic = ZS_MAGIC;
	h->seed = seed;
	h->index = index;
	h->gen = gen;
	h->csum = fnv1a(p + sizeof(*h), ZS_PAGE - sizeof(*h));
}

int zs_check_page(const void *page, const struct zs_pattern *pat, unsigned long seed,
		  unsigned long index, unsigned long gen, struct zs_mismatch *m)
{
	static __thread unsigned char want[ZS_PAGE] __attribute__((aligned(64)));
	const unsigned char *p = page;
	long i;

	zs_fill_page(want, pat, seed, index, gen);
	if (!memcmp(want, p, ZS_PAGE))
		return 0;
	m->index = index;
	m->seed = seed;
	m->gen = gen;
	m->offset = -1;
	m->bytes = 0;
	for (i = 0; i < (long)ZS_PAGE; i++) {
		if (want[i] == p[i])
			continue;
		if (m->offset < 0) {
			m->offset = i;
			m->expected = want[i];
			m->actual = p[i];
		}
		m->bytes++;
	}
	memcpy(&m->found, p, sizeof(m->found));
	m->csum_ok = m->found.csum == fnv1a(p + sizeof(m->found), ZS_PAGE - sizeof(m->found));
	return 1;
}

void zs_print_mismatch(const char *who, const struct zs_mismatch *m)
{
	const struct zs_page_header *f = &m->found;

	ksft_print_msg("%s: page %ld (seed %#lx gen %lu) differs at offset %ld: expected 0x%02x, found 0x%02x (%ld bytes of the page differ; %ld bad pages in all)\n",
		       who, m->index, m->seed, m->gen, m->offset, m->expected, m->actual,
		       m->bytes, m->pages);
	if (f->magic == ZS_MAGIC)
		ksft_print_msg("%s: page %ld holds a header of seed %#lx page %lu gen %lu, %s\n",
			       who, m->index, f->seed, f->index, f->gen,
			       m->csum_ok ? "consistent with its content (a whole page misplaced or stale)" :
			       "its checksum does not match the content (the page was damaged)");
	else
		ksft_print_msg("%s: page %ld has no pattern header (magic %#lx)\n",
			       who, m->index, f->magic);
}

/* ---- time ---- */

/*
 * The guest's clock_gettime() moves in jiffies under TCG (4 ms steps),
 * too coarse for one page fault; the TSC is fine-grained.  It is
 * calibrated once against CLOCK_MONOTONIC, from one clock step to another
 * half a second later, so the coarse clock costs nothing.
 */
#if defined(__x86_64__) || defined(__i386__)
static uint64_t ticks(void)
{
	return __rdtsc();
}
#else
static uint64_t ticks(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
#endif

static double ticks_per_us;

static uint64_t clock_step(struct timespec *at)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	do
		clock_gettime(CLOCK_MONOTONIC, at);
	while (at->tv_nsec == ts.tv_nsec && at->tv_sec == ts.tv_sec);
	return ticks();
}

void zs_timer_init(void)
{
	struct timespec a, b;
	uint64_t t0, t1;

	if (ticks_per_us)
		return;
	t0 = clock_step(&a);
	usleep(500000);
	t1 = clock_step(&b);
	ticks_per_us = (t1 - t0) / ((b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3);
}

long zs_usec(void)
{
	zs_timer_init();
	return (long)(ticks() / ticks_per_us);
}

/* ---- workers ---- */

struct zs_cmd {
	int op;
	long arg, arg2;
};

/* The pages an op with arg, arg2 names: i % stride == arg % stride (all if stride <= 1) */
static int worker_selected(long i, unsigned long arg, long stride)
{
	return stride <= 1 || (unsigned long)i % stride == arg % stride;
}

static long worker_fill(struct zs_worker *w, char *mem, unsigned long gen, long stride)
{
	long i, n = 0;

	for (i = 0; i < w->pages; i++) {
		if (!worker_selected(i, gen, stride))
			continue;
		zs_fill_page(mem + i * ZS_PAGE, &w->pat, w->seed, i, gen);
		w->gen[i] = gen;
		n++;
	}
	return n;
}

static long worker_verify(struct zs_worker *w, char *mem, unsigned long first, long stride)
{
	struct zs_mismatch m;
	long i, bad = 0;

	w->bad->index = -1;
	for (i = 0; i < w->pages; i++) {
		if (!worker_selected(i, first, stride))
			continue;
		if (!zs_check_page(mem + i * ZS_PAGE, &w->pat, w->seed, i, w->gen[i], &m))
			continue;
		if (!bad++)
			*w->bad = m;
	}
	w->bad->pages = bad;
	return bad;
}

/*
 * Read fault first, so that the page stays in the swap cache with its swap
 * entry (a write fault, or one in a VM_LOCKED range, frees the entry).
 */
static long worker_mlock(struct zs_worker *w, char *mem, unsigned long first, long stride)
{
	long i, n = 0;

	for (i = 0; i < w->pages; i++) {
		if (!worker_selected(i, first, stride))
			continue;
		(void)*(volatile char *)(mem + i * ZS_PAGE);
		if (mlock(mem + i * ZS_PAGE, ZS_PAGE))
			return -1;
		n++;
	}
	return n;
}

static long worker_drop(struct zs_worker *w, char *mem, unsigned long first, long stride)
{
	long i, n = 0;

	for (i = 0; i < w->pages; i++) {
		if (!worker_selected(i, first, stride))
			continue;
		if (madvise(mem + i * ZS_PAGE, ZS_PAGE, MADV_DONTNEED))
			return -1;
		n++;
	}
	return n;
}

static long worker_touch_timed(struct zs_worker *w, char *mem)
{
	unsigned char *vec = malloc(w->pages);
	uint64_t t0, t1;
	long i, n = 0;

	zs_timer_init();
	if (!vec || mincore(mem, w->pages * ZS_PAGE, vec)) {
		free(vec);
		return -1;
	}
	for (i = 0; i < w->pages; i++) {
		if (vec[i] & 1)
			continue;
		t0 = ticks();
		*(volatile char *)(mem + i * ZS_PAGE);
		t1 = ticks();
		if ((int64_t)(t1 - t0) >= 0)	/* not moved to a CPU whose TSC is behind */
			w->fault_us[n++] = (t1 - t0) / ticks_per_us;
	}
	free(vec);
	return n;
}

static void __attribute__((noreturn)) worker_main(struct zs_worker *w)
{
	struct zs_cmd cmd;
	char *mem;
	long ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (cg_enter_current(w->memcg))
		_exit(1);
	mem = mmap(NULL, w->pages * ZS_PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		_exit(1);
	madvise(mem, w->pages * ZS_PAGE, MADV_NOHUGEPAGE);
	ret = 0;
	if (write(w->from, &ret, sizeof(ret)) != sizeof(ret))
		_exit(1);
	while (read(w->to, &cmd, sizeof(cmd)) == sizeof(cmd)) {
		switch (cmd.op) {
		case ZS_OP_FILL:
			ret = worker_fill(w, mem, cmd.arg, cmd.arg2);
			break;
		case ZS_OP_VERIFY:
			ret = worker_verify(w, mem, cmd.arg, cmd.arg2);
			break;
		case ZS_OP_TOUCH_TIMED:
			ret = worker_touch_timed(w, mem);
			break;
		case ZS_OP_DROP:
			ret = worker_drop(w, mem, cmd.arg, cmd.arg2);
			break;
		case ZS_OP_MLOCK:
			ret = worker_mlock(w, mem, cmd.arg, cmd.arg2);
			break;
		case ZS_OP_BIND:
			ret = numa_bind(cmd.arg);
			break;
		case ZS_OP_CORRUPT:
			mem[cmd.arg * ZS_PAGE + cmd.arg2] ^= 0x5a;
			ret = 0;
			break;
		default:
			ret = 0;
			if (write(w->from, &ret, sizeof(ret)) != sizeof(ret))
				_exit(1);
			_exit(0);
		}
		if (write(w->from, &ret, sizeof(ret)) != sizeof(ret))
			_exit(1);
	}
	_exit(0);
}

static void *shared_zalloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, size);	/* fault it in here: charged to our memcg, not the worker's */
	return p;
}

int zs_worker_start(struct zs_worker *w, const char *memcg, size_t bytes,
		    unsigned long seed, const struct zs_pattern *pat)
{
	int to[2], from[2];

	memset(w, 0, sizeof(*w));
	w->pid = -1;
	snprintf(w->memcg, sizeof(w->memcg), "%s", memcg);
	w->pages = bytes / ZS_PAGE;
	w->seed = seed;
	w->pat = *pat;
	w->gen = shared_zalloc(w->pages * sizeof(*w->gen));
	w->fault_us = shared_zalloc(w->pages * sizeof(*w->fault_us));
	w->bad = shared_zalloc(sizeof(*w->bad));
	if (!w->gen || !w->fault_us || !w->bad || pipe(to))
		return -1;
	if (pipe(from)) {
		close(to[0]);
		close(to[1]);
		return -1;
	}
	fflush(stdout);
	w->pid = fork();
	if (w->pid < 0)
		return -1;
	if (!w->pid) {
		close(to[1]);
		close(from[0]);
		w->to = to[0];
		w->from = from[1];
		worker_main(w);
	}
	close(to[0]);
	close(from[1]);
	w->to = to[1];
	w->from = from[0];
	if (zs_worker_wait(w)) {
		ksft_print_msg("worker could not join %s\n", memcg);
		return -1;
	}
	return 0;
}

int zs_worker_send(struct zs_worker *w, enum zs_op op, long arg, long arg2)
{
	struct zs_cmd cmd = { .op = op, .arg = arg, .arg2 = arg2 };

	return write(w->to, &cmd, sizeof(cmd)) == sizeof(cmd) ? 0 : -1;
}

long zs_worker_wait(struct zs_worker *w)
{
	long ret;

	if (read(w->from, &ret, sizeof(ret)) != sizeof(ret))
		return -1;
	return ret;
}

long zs_worker_call(struct zs_worker *w, enum zs_op op, long arg, long arg2)
{
	if (zs_worker_send(w, op, arg, arg2))
		return -1;
	return zs_worker_wait(w);
}

void zs_worker_stop(struct zs_worker *w)
{
	if (w->pid > 0) {
		if (!zs_worker_send(w, ZS_OP_EXIT, 0, 0))
			zs_worker_wait(w);
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, 0);
		close(w->to);
		close(w->from);
	}
	w->pid = -1;
	if (w->gen)
		munmap(w->gen, w->pages * sizeof(*w->gen));
	if (w->fault_us)
		munmap(w->fault_us, w->pages * sizeof(*w->fault_us));
	if (w->bad)
		munmap(w->bad, sizeof(*w->bad));
	w->gen = NULL;
	w->fault_us = NULL;
	w->bad = NULL;
}

/* ---- misc ---- */

int zs_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double zs_percentile(const double *sorted, long n, double p)
{
	long i;

	if (n <= 0)
		return 0;
	i = (long)(p * n / 100.0);	/* nearest rank, rounded up, 0-based */
	if (i > 0 && i == p * n / 100.0)
		i--;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return sorted[i];
}

int zs_memcg_create(const char *parent, const char *name, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", parent, name);
	if (cg_read_strstr(parent, "cgroup.subtree_control", "memory"))
		cg_write(parent, "cgroup.subtree_control", "+memory");
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Read path one page at a time. filemap_read() marks only the first folio
 * of each batch it copies from as accessed, and recharging goes by
 * folio_mark_accessed(): big reads would touch only some of the pages.
 */
int file_read_pages(const char *path)
{
	char buf[4096];
	ssize_t len;
	off_t off;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	for (off = 0; (len = pread(fd, buf, sizeof(buf), off)) > 0; off += len)
		;
	close(fd);
	return len < 0 ? -1 : 0;
}

/* write path back: dirty page cache is neither recharged nor easily reclaimed */
int file_sync(const char *path)
{
	int fd = open(path, O_RDONLY), ret;

	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}
