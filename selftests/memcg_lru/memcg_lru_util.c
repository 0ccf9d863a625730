// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the memcg-lru selftests, next to cgroup_util.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
