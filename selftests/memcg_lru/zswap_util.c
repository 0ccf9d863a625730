// SPDX-License-Identifier: GPL-2.0
/* Helpers of the zswap selftests and benchmark; see zswap_util.h. */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "kselftest.h"
#include "cgroup_util.h"
#include "memcg_lru_util.h"
#include "zswap_util.h"

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

int zswap_zpools(char names[][32], int max)
{
	const char *env = getenv("ZSWAP_ZPOOLS");
	char list[256], *tok, *save;
	int n = 0;

	snprintf(list, sizeof(list), "%s", env && *env ? env : "zbud zsmalloc");
	for (tok = strtok_r(list, " ,", &save); tok && n < max; tok = strtok_r(NULL, " ,", &save))
		snprintf(names[n++], 32, "%s", tok);
	return n;
}

/* ---- a memcg's zswap statistics ---- */

static long stat_key(const char *buf, const char *key)
{
	size_t len = strlen(key);
	const char *line;

	for (line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (!strncmp(line, key, len) && line[len] == ' ')
			return strtol(line + len + 1, NULL, 10);
	return -ENOENT;
}

static int read_stat(const char *memcg, char *buf, size_t size)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/memory.stat", memcg);
	return file_read(path, buf, size) < 0 ? -EIO : 0;
}

long zs_memcg_stat_key(const char *memcg, const char *key)
{
	char buf[8192];

	if (read_stat(memcg, buf, sizeof(buf)))
		return -EIO;
	return stat_key(buf, key);
}

int zs_memcg_stat(const char *memcg, struct zs_memcg_stat *s)
{
	char buf[8192];

	if (read_stat(memcg, buf, sizeof(buf)))
		return -EIO;
	s->zswap = stat_key(buf, "zswap");
	s->zswapped = stat_key(buf, "zswapped");
	s->zswpin = stat_key(buf, "zswpin");
	s->zswpout = stat_key(buf, "zswpout");
	s->zswpwb = stat_key(buf, "zswpwb");
	if (s->zswpwb < 0)
		s->zswpwb = -1;
	s->anon = stat_key(buf, "anon");
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

static long worker_fill(struct zs_worker *w, char *mem, unsigned long gen, long stride)
{
	long i, n = 0;

	for (i = 0; i < w->pages; i++) {
		if (stride > 1 && (unsigned long)i % stride != gen % stride)
			continue;
		zs_fill_page(mem + i * ZS_PAGE, &w->pat, w->seed, i, gen);
		w->gen[i] = gen;
		n++;
	}
	return n;
}

static long worker_verify(struct zs_worker *w, char *mem)
{
	struct zs_mismatch m;
	long i, bad = 0;

	w->bad->index = -1;
	for (i = 0; i < w->pages; i++) {
		if (!zs_check_page(mem + i * ZS_PAGE, &w->pat, w->seed, i, w->gen[i], &m))
			continue;
		if (!bad++)
			*w->bad = m;
	}
	w->bad->pages = bad;
	return bad;
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
			ret = worker_verify(w, mem);
			break;
		case ZS_OP_TOUCH_TIMED:
			ret = worker_touch_timed(w, mem);
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
