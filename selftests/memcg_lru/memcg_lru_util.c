// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the memcg-lru selftests, next to cgroup_util.c. */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

int file_fill(const char *path, size_t size)
{
	static char buf[1 << 20];
	size_t done;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
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

long file_key_long(const char *path, const char *key)
{
	static char buf[1 << 16];
	size_t len = strlen(key);
	char *line, *end;
	ssize_t ret;

	ret = file_read(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	for (line = buf; line && *line; line = end) {
		end = strchr(line, '\n');
		if (end)
			*end++ = '\0';
		if (strncmp(line, key, len) || !line[len] || !strchr(" \t:", line[len]))
			continue;
		line += len;
		while (*line == ':' || *line == ' ' || *line == '\t')
			line++;
		return strtol(line, NULL, 10);
	}
	return -ENOENT;
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
