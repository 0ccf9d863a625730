// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the memcg-lru selftests, next to cgroup_util.c. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
