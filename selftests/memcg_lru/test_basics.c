// SPDX-License-Identifier: GPL-2.0
/*
 * Basics the rest of the memcg-lru tests rely on: the guest has a cgroup v2
 * memory controller, swap, zswap, the scratch ext4 filesystem, and a
 * /sys/kernel/mm/lru_gen/enabled that takes valid values and rejects
 * garbage without changing state.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <linux/limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "kselftest.h"
#include "cgroup_util.h"
#include "memcg_lru_util.h"

/* The root offers the memory controller and a child gets memory.* files. */
static int test_memcg_controller(const char *root)
{
	int ret = KSFT_FAIL;
	char *cg;

	cg = cg_name(root, "memcg_lru_basics");
	if (!cg)
		goto cleanup;
	if (cg_read_strstr(root, "cgroup.controllers", "memory"))
		goto cleanup;
	if (cg_write(root, "cgroup.subtree_control", "+memory"))
		goto cleanup;
	if (cg_create(cg))
		goto cleanup;
	if (cg_read_long(cg, "memory.current") < 0)
		goto cleanup;
	if (cg_write(cg, "memory.max", "64M"))
		goto cleanup;
	if (cg_read_long(cg, "memory.max") != 64 << 20)
		goto cleanup;
	ret = KSFT_PASS;
cleanup:
	if (cg)
		cg_destroy(cg);
	free(cg);
	return ret;
}

/* "n" clears bit 0 (the kill switch), "y" sets it; the state is restored. */
static int test_lru_gen_toggle(const char *root)
{
	int ret = KSFT_FAIL;
	long orig, val;
	char buf[32];

	orig = lru_gen_read();
	if (orig < 0)
		return KSFT_FAIL;
	if (lru_gen_write("n"))
		goto cleanup;
	val = lru_gen_read();
	if (val != 0) {
		ksft_print_msg("after n: 0x%lx\n", val);
		goto cleanup;
	}
	if (lru_gen_write("y\n"))
		goto cleanup;
	val = lru_gen_read();
	if (!(val & 1)) {
		ksft_print_msg("after y: 0x%lx\n", val);
		goto cleanup;
	}
	if (lru_gen_write("0"))
		goto cleanup;
	if (lru_gen_read() != 0)
		goto cleanup;
	ret = KSFT_PASS;
cleanup:
	snprintf(buf, sizeof(buf), "0x%lx", orig);
	if (lru_gen_write(buf) || lru_gen_read() != orig)
		ret = KSFT_FAIL;
	return ret;
}

/* Garbage gets EINVAL and leaves lru_gen/enabled as it was. */
static int test_lru_gen_garbage(const char *root)
{
	static const char * const bad[] = { "garbage", "-1", "0xzz", "1 2", "?" };

	if (lru_gen_expect_rejected(bad, ARRAY_SIZE(bad)))
		return KSFT_FAIL;
	return KSFT_PASS;
}

/* The harness gives every guest a swap device and zswap. */
static int test_swap_zswap_present(const char *root)
{
	char buf[16];

	if (!is_swap_enabled()) {
		ksft_print_msg("no active swap device\n");
		return KSFT_FAIL;
	}
	if (file_read("/sys/module/zswap/parameters/enabled", buf, sizeof(buf)) < 0) {
		ksft_print_msg("zswap is not built in\n");
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

/* $SCRATCH names a mounted ext4 filesystem for page-cache workloads. */
static int test_scratch_ext4(const char *root)
{
	const char *scratch = getenv("SCRATCH");
	struct statfs sfs;

	if (!scratch || statfs(scratch, &sfs)) {
		ksft_print_msg("SCRATCH unset or not mounted\n");
		return KSFT_FAIL;
	}
	if (sfs.f_type != EXT4_SUPER_MAGIC) {
		ksft_print_msg("%s is not ext4 (0x%lx)\n", scratch, (long)sfs.f_type);
		return KSFT_FAIL;
	}
	return KSFT_PASS;
}

#define T(x) { x, #x }
struct memcg_lru_test {
	int (*fn)(const char *root);
	const char *name;
} tests[] = {
	T(test_memcg_controller),
	T(test_lru_gen_toggle),
	T(test_lru_gen_garbage),
	T(test_swap_zswap_present),
	T(test_scratch_ext4),
};
#undef T

int main(int argc, char **argv)
{
	char root[PATH_MAX];
	size_t i;

	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(tests));
	if (cg_find_unified_root(root, sizeof(root)))
		ksft_exit_skip("cgroup v2 isn't mounted\n");
	if (access(LRU_GEN_ENABLED, R_OK | W_OK))
		ksft_exit_skip("%s missing (CONFIG_LRU_GEN=n?)\n", LRU_GEN_ENABLED);

	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		switch (tests[i].fn(root)) {
		case KSFT_PASS:
			ksft_test_result_pass("%s\n", tests[i].name);
			break;
		case KSFT_SKIP:
			ksft_test_result_skip("%s\n", tests[i].name);
			break;
		default:
			ksft_test_result_fail("%s\n", tests[i].name);
			break;
		}
	}
	ksft_finished();
}
