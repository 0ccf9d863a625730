// SPDX-License-Identifier: GPL-2.0
/*
 * The series' paths under injected allocation failures: failslab and
 * fail_page_alloc (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and their
 * debugfs, in the debug and kasan profiles), armed for the tasks that run
 * the path (the task filter, /proc/PID/make-it-fail) and only while they
 * run it.  Each case builds its own tree under one parent:
 *
 *   faults                     memory and swap measured before each case
 *   |-- child, holder          test_faults_reparent
 *   |-- child, sib             test_faults_recharge
 *   |-- zswap                  test_faults_zswap_v2
 *   `-- lru                    test_faults_switch
 *
 *   test_faults_reparent  the child has page cache, anon memory half
 *       swapped out (MADV_PAGEOUT, on both hierarchies: memory.reclaim
 *       would reclaim by age and could take the page cache, which is to
 *       stay and move) and a task with an mlocked file mapping.  One task
 *       exits, the other is moved to holder, the child is removed, and
 *       the removal settles.  Offlining and reparenting run in kworkers:
 *       per-CPU ones (cgroup_destroy_wq, the stock and LRU drains) and
 *       unbound ones (the ordered memcg_reparent workqueue), so every
 *       kworker is marked, again every 50 ms for those created meanwhile,
 *       and so are the exiting task and the task that moves the other and
 *       removes the child; then the moved task swaps its memory in, from
 *       entries now recorded to the parent, marked too.  The reparenting
 *       work allocates nothing itself; what fails is around it (the exit's
 *       unmap batches, the migration's css_set, the kworkers' other work,
 *       the swap-ins' swap cache), and the work must finish all the same:
 *       page cache, mlocked pages and swap entries with the parent, the
 *       child freed, the moved task's memory intact.
 *   test_faults_recharge  a sibling reads, by read() and through a
 *       mapping, the page cache a removed child left, every other MiB of
 *       it dropped first so that its reads also allocate (page cache,
 *       xarray nodes, VMAs, page tables) under injection.  The recharge
 *       worker must move what it reads to it, every page must hold its
 *       data.
 *   test_faults_zswap_v2  patterned anon memory (the zs_* pages) pushed
 *       into zswap with memory.reclaim by a marked task; memory.zswap.max
 *       lowered below what is stored and more pushed, so that the stores
 *       write back the memcg's own entries; every page read back by its
 *       marked owner and checked.  cgroup v2 only (memory.zswap.max).
 *   test_faults_switch  a marked task toggles lru_gen/enabled y/n while a
 *       marked task of a memcg pages its anon memory and page cache out
 *       (MADV_PAGEOUT) and reads them back: a toggle refused with ENOMEM
 *       must leave the state as it was, every accepted one must take, and
 *       afterwards the test module's check_lruvecs must find every lruvec
 *       consistent with the LRU the switch says (skipped without the
 *       module).
 *
 * After each case, with injection off: the removed memcgs are freed (the
 * dying count back at its baseline), no OOM kill, the data checked where
 * there is data, the parent's memory and swap counters at least its
 * children's, no counter of the tree that looks negative, and once the
 * children are gone and their memory freed, the parent's memory and swap
 * back near their values from before the case (memcg_leak_slack()).  A
 * case in which nothing was injected fails: it proved nothing.  Failures
 * are counted by failslab's and fail_page_alloc's "times", which counts
 * down from FAULT_TIMES by one for each.
 *
 * Injection: probability FAULTS_PROBABILITY percent, interval 1, at most
 * FAULT_TIMES failures of each kind per window, verbose 0 (no stack dumps:
 * the console log must stay clean), task-filter Y, ignore-gfp-wait N (the
 * allocations that may sleep fail too); fail_page_alloc from order 0 on,
 * but not __GFP_HIGHMEM ones (user pages: a page fault would only return
 * VM_FAULT_OOM and be retried).  The window is announced in the kernel
 * log ("memcg-lru: expect-alloc-failure begin/end", see check-log.sh): a
 * failure report with a call trace is then ours, but any WARNING or BUG
 * still fails the run.  Every exit disarms: atexit, and SIGINT, SIGTERM
 * and SIGHUP (the runner's timeout) with async-signal-safe calls only.
 *
 * Environment: FAULTS_ROUNDS (rounds of each case, the switch case
 * toggles ten times a round; default 3), FAULTS_PROBABILITY (percent,
 * default 20).
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "cgroup_util.h"
#include "memcg_lru_util.h"

#define FAILSLAB	"/sys/kernel/debug/failslab"
#define FAIL_PAGE	"/sys/kernel/debug/fail_page_alloc"
#define RECHARGE_SYSCTL	"/proc/sys/vm/memcg_recharge"
#define KMSG_BEGIN	"memcg-lru: expect-alloc-failure begin\n"
#define KMSG_END	"memcg-lru: expect-alloc-failure end\n"
#define FAULT_TIMES	10000L	/* failures of each kind per window, at most */
#define MAX_MARKED	1024
#define MIB		(1L << 20)
#define PAGE		4096L
/* an ENOMEM from an injected failure is retried this often */
#define RETRIES		1000
/*
 * What an injected failure makes a syscall return: ENOMEM, or EFAULT when
 * it was the page table of the user buffer that could not be allocated
 * (a kernel-mode fault ending in VM_FAULT_OOM is fixed up as a bad
 * address, not retried as a user fault is).
 */
#define INJECTED(err)	((err) == ENOMEM || (err) == EFAULT)

static int v1;
static long rounds, probability;
static struct memcg root, parent;
static char scratch[PATH_MAX];

/* ---- fault injection ---- */

/* A knob of failslab or fail_page_alloc: the value the test sets, the one from before. */
struct fault_knob {
	const char *dir, *name, *val;	/* val NULL: set per window (times) */
	char path[96], saved[32];
};

static struct fault_knob knobs[] = {
	{ FAILSLAB, "task-filter", "Y" },
	{ FAILSLAB, "ignore-gfp-wait", "N" },
	{ FAILSLAB, "cache-filter", "N" },
	{ FAILSLAB, "verbose", "0" },
	{ FAILSLAB, "interval", "1" },
	{ FAILSLAB, "space", "0" },
	{ FAILSLAB, "times", NULL },
	{ FAIL_PAGE, "task-filter", "Y" },
	{ FAIL_PAGE, "ignore-gfp-wait", "N" },
	{ FAIL_PAGE, "ignore-gfp-highmem", "Y" },
	{ FAIL_PAGE, "min-order", "0" },
	{ FAIL_PAGE, "verbose", "0" },
	{ FAIL_PAGE, "interval", "1" },
	{ FAIL_PAGE, "space", "0" },
	{ FAIL_PAGE, "times", NULL },
};

/* probability: the switch, written first to disarm and last to arm */
static struct fault_knob prob[] = {
	{ FAILSLAB, "probability" },
	{ FAIL_PAGE, "probability" },
};

static volatile sig_atomic_t armed;
/* the tasks marked make-it-fail, to be unmarked on any exit */
static volatile pid_t marked[MAX_MARKED];
static volatile sig_atomic_t nr_marked;

/* What the test changes besides fault injection, put back on any exit. */
static char lru_gen_saved[32], recharge_saved[16];
static struct zswap_params zs_saved;
static volatile sig_atomic_t zs_changed;

/* open, write, close: async-signal-safe, for the signal handler too */
static int raw_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = -1;

	if (fd < 0)
		return -1;
	if (write(fd, val, strlen(val)) == (ssize_t)strlen(val))
		ret = 0;
	close(fd);
	return ret;
}

/* "/proc/PID/make-it-fail" without stdio, for the signal handler */
static void mif_path(char *buf, pid_t pid)
{
	char digits[16];
	int n = 0;

	do
		digits[n++] = '0' + pid % 10;
	while ((pid /= 10) && n < (int)sizeof(digits));
	strcpy(buf, "/proc/");
	buf += 6;
	while (n)
		*buf++ = digits[--n];
	strcpy(buf, "/make-it-fail");
}

static int fault_mark(pid_t pid, int on)
{
	char path[64];
	int i;

	if (on) {
		for (i = 0; i < nr_marked && marked[i] != pid; i++)
			;
		if (i == nr_marked) {
			if (nr_marked == MAX_MARKED)
				return -1;
			/* listed before it is marked: a signal between unmarks it */
			marked[nr_marked] = pid;
			nr_marked = nr_marked + 1;
		}
	}
	mif_path(path, pid);
	return raw_write(path, on ? "1" : "0");
}

/* Mark every kworker not marked yet; the number of marked tasks. */
static int fault_mark_kworkers(void)
{
	char path[64], comm[32];
	struct dirent *de;
	DIR *d = opendir("/proc");
	pid_t pid;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		if (file_read(path, comm, sizeof(comm)) <= 0 || strncmp(comm, "kworker/", 8))
			continue;
		fault_mark(pid, 1);
	}
	closedir(d);
	return nr_marked;
}

/*
 * Unmark every kworker marked by anyone: a run killed by SIGKILL leaves
 * its marks, which a later failslab user (zswap_swapoff_failslab) would
 * inherit.  At the start and at the end.
 */
static void fault_sweep_kworkers(void)
{
	char path[64], comm[32];
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (atoi(de->d_name) <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (file_read(path, comm, sizeof(comm)) <= 0 || strncmp(comm, "kworker/", 8))
			continue;
		mif_path(path, atoi(de->d_name));
		raw_write(path, "0");
	}
	closedir(d);
}

/* Injection off, tasks unmarked, knobs as before: async-signal-safe. */
static void faults_disarm_raw(void)
{
	size_t i;
	char path[64];
	int n;

	for (i = 0; i < ARRAY_SIZE(prob); i++)
		raw_write(prob[i].path, "0");
	for (n = 0; n < nr_marked; n++) {
		mif_path(path, marked[n]);
		raw_write(path, "0");
	}
	nr_marked = 0;
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		raw_write(knobs[i].path, knobs[i].saved);
	for (i = 0; i < ARRAY_SIZE(prob); i++)
		raw_write(prob[i].path, prob[i].saved);
	if (armed)
		raw_write("/dev/kmsg", KMSG_END);
	armed = 0;
}

/* Everything else the test changed, as it was: async-signal-safe. */
static void restore_raw(void)
{
	char path[128];

	if (lru_gen_saved[0])
		raw_write(LRU_GEN_ENABLED, lru_gen_saved);
	if (recharge_saved[0])
		raw_write(RECHARGE_SYSCTL, recharge_saved);
	if (zs_changed) {
		static const char * const names[] = { "max_pool_percent",
			"accept_threshold_percent", "same_filled_pages_enabled", "compressor",
			"zpool", "enabled" };
		static const char * const vals[] = { zs_saved.max_pool_percent,
			zs_saved.accept_threshold_percent, zs_saved.same_filled_pages_enabled,
			zs_saved.compressor, zs_saved.zpool, zs_saved.enabled };
		size_t i;

		for (i = 0; i < ARRAY_SIZE(names); i++) {
			strcpy(path, ZSWAP_PARAMS "/");
			strcat(path, names[i]);
			raw_write(path, vals[i]);
		}
		zs_changed = 0;
	}
}

static void on_signal(int sig)
{
	faults_disarm_raw();
	restore_raw();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_exit_disarm(void)
{
	faults_disarm_raw();
	fault_sweep_kworkers();
	restore_raw();
}

/* Read what each knob holds now; NULL, or why fault injection is unusable. */
static const char *faults_setup(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(knobs) + ARRAY_SIZE(prob); i++) {
		struct fault_knob *k = i < ARRAY_SIZE(knobs) ? &knobs[i] :
				       &prob[i - ARRAY_SIZE(knobs)];

		snprintf(k->path, sizeof(k->path), "%s/%s", k->dir, k->name);
		if (file_read(k->path, k->saved, sizeof(k->saved)) <= 0 || access(k->path, W_OK))
			return "no failslab or fail_page_alloc in debugfs (CONFIG_FAILSLAB, "
			       "CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS)";
		k->saved[strcspn(k->saved, "\n")] = '\0';
	}
	atexit(on_exit_disarm);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);	/* a dead task's pipe: an error, not our death */
	fault_sweep_kworkers();
	return NULL;
}

/* On for the marked tasks: FAULT_TIMES failures of each kind at most. */
static int faults_arm(void)
{
	char times[32], p[16];
	size_t i;

	snprintf(times, sizeof(times), "%ld", FAULT_TIMES);
	snprintf(p, sizeof(p), "%ld", probability);
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		if (file_write(knobs[i].path, knobs[i].val ?: times))
			goto fail;
	raw_write("/dev/kmsg", KMSG_BEGIN);
	armed = 1;
	for (i = 0; i < ARRAY_SIZE(prob); i++)
		if (file_write(prob[i].path, p))
			goto fail;
	return 0;
fail:
	ksft_print_msg("cannot arm fault injection\n");
	faults_disarm_raw();
	return -1;
}

struct faults {
	long slab, page;
};

/* Failures injected since faults_arm(): FAULT_TIMES less what "times" has left. */
static void faults_count(struct faults *f)
{
	long slab = file_read_long(FAILSLAB "/times"), page = file_read_long(FAIL_PAGE "/times");

	f->slab = slab < 0 ? 0 : FAULT_TIMES - slab;
	f->page = page < 0 ? 0 : FAULT_TIMES - page;
}

/* Off again; *f gets the failures of the window. */
static void faults_disarm(struct faults *f)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prob); i++)
		raw_write(prob[i].path, "0");
	faults_count(f);
	faults_disarm_raw();
	if (f->slab >= FAULT_TIMES || f->page >= FAULT_TIMES)
		ksft_print_msg("a window used up its %ld failures of a kind and went on without\n",
			       FAULT_TIMES);
}

static long faults_sum(const struct faults *f)
{
	return f->slab + f->page;
}

/* ---- tasks: child processes that do one thing when told ---- */

/*
 * A task reads one-byte commands and answers each with one byte, 0 for
 * done.  The test marks it make-it-fail around the commands that are to
 * run under injection: its own work, and no more.
 */
struct task {
	pid_t pid;
	int cmd, ack;
};

typedef int (*task_fn)(void *arg, char c);

static int task_send(struct task *t, char c)
{
	return write(t->cmd, &c, 1) == 1 ? 0 : -1;
}

/* The answer to the last command: 0 done, > 0 failed, -1 the task died. */
static int task_wait(struct task *t)
{
	char ok;

	return read(t->ack, &ok, 1) == 1 ? ok : -1;
}

static int task_start(struct task *t, const struct memcg *cg, task_fn fn, void *arg)
{
	int cmd[2], ack[2];
	char pid[16], c, ok;

	t->pid = -1;
	if (pipe(cmd))
		return -1;
	if (pipe(ack)) {
		close(cmd[0]);
		close(cmd[1]);
		return -1;
	}
	fflush(stdout);
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (!t->pid) {
		close(cmd[1]);
		close(ack[0]);
		snprintf(pid, sizeof(pid), "%d", getpid());
		if (cg && cg_write((char *)cg->path, "cgroup.procs", pid))
			_exit(1);
		/* in its memcg before it can be marked: that write must not fail */
		ok = 0;
		if (write(ack[1], &ok, 1) != 1)
			_exit(1);
		while (read(cmd[0], &c, 1) == 1) {
			if (c == 'x')
				_exit(0);
			ok = fn(arg, c);
			if (write(ack[1], &ok, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(cmd[0]);
	close(ack[1]);
	t->cmd = cmd[1];
	t->ack = ack[0];
	return task_wait(t) ? -1 : 0;
}

static int task_do(struct task *t, char c)
{
	return task_send(t, c) ? -1 : task_wait(t);
}

/* Tell it to exit and reap it: its exit status, or -1. */
static int task_exit(struct task *t)
{
	int status = -1;

	if (t->pid <= 0)
		return -1;
	task_send(t, 'x');
	if (waitpid(t->pid, &status, 0) != t->pid)
		status = -1;
	close(t->cmd);
	close(t->ack);
	t->pid = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void task_kill(struct task *t)
{
	int status;

	if (t->pid <= 0)
		return;
	/* one that died by itself says how */
	if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
		if (WIFSIGNALED(status))
			ksft_print_msg("task %d was killed by signal %d\n", t->pid,
				       WTERMSIG(status));
		else if (WIFEXITED(status) && WEXITSTATUS(status))
			ksft_print_msg("task %d exited with %d\n", t->pid, WEXITSTATUS(status));
	} else {
		kill(t->pid, SIGKILL);
		waitpid(t->pid, NULL, 0);
	}
	close(t->cmd);
	close(t->ack);
	t->pid = -1;
}

/* What the tasks report back (MAP_SHARED). */
struct shared {
	long retries;		/* INJECTED() answers (or EBUSY for rmdir) retried */
	int err;		/* the errno a task gave up on */
	long checked, bad;	/* pages checked, pages that held other data */
	long cycles;		/* test_faults_switch: pageout/read cycles */
	long toggles, refused, wrong;	/* accepted toggles, ENOMEM, state not as expected */
	volatile int stop;
};

static struct shared *sh;

/* ---- patterned pages ---- */

static void fill_page(unsigned long *p, unsigned long seed, long index)
{
	long i;

	for (i = 0; i < PAGE / 8; i++)
		p[i] = (seed * 0x9e3779b97f4a7c15UL) ^ ((unsigned long)index << 20) ^ i;
}

static int page_ok(const unsigned long *p, unsigned long seed, long index)
{
	long i;

	for (i = 0; i < PAGE / 8; i++)
		if (p[i] != ((seed * 0x9e3779b97f4a7c15UL) ^ ((unsigned long)index << 20) ^ i))
			return 0;
	return 1;
}

/* Check n pages at mem; the bad ones are counted in sh. */
static void check_pages(const char *mem, long n, unsigned long seed)
{
	long i;

	for (i = 0; i < n; i++) {
		sh->checked++;
		if (!page_ok((const unsigned long *)(mem + i * PAGE), seed, i))
			sh->bad++;
	}
}

/* A file of size bytes of patterned pages, written back and cached clean. */
static int pattern_file(const char *path, long size, unsigned long seed)
{
	static unsigned long buf[PAGE / 8];
	long i;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return -1;
	for (i = 0; i < size / PAGE; i++) {
		fill_page(buf, seed, i);
		if (write(fd, buf, PAGE) != PAGE)
			break;
	}
	if (i < size / PAGE || fsync(fd)) {
		close(fd);
		return -1;
	}
	close(fd);
	return file_read_all(path);
}

/* open(), retrying an injected failure */
static int open_retry(const char *path, int flags)
{
	long tries = 0;
	int fd;

	while ((fd = open(path, flags)) < 0 && INJECTED(errno) && tries++ < RETRIES)
		sh->retries++;
	if (fd < 0)
		sh->err = errno;
	return fd;
}

/*
 * Read path a page at a time and check each page; an injected ENOMEM is
 * retried, up to RETRIES in all.  pread() of one page at a time marks
 * every folio accessed (recharging goes by folio_mark_accessed()).
 */
static int read_check(const char *path, long size, unsigned long seed)
{
	unsigned long buf[PAGE / 8];
	long i, tries = 0;
	ssize_t len;
	int fd;

	fd = open_retry(path, O_RDONLY);
	if (fd < 0)
		return -1;
	for (i = 0; i < size / PAGE; i++) {
		len = pread(fd, buf, PAGE, i * PAGE);
		if ((len < 0 && INJECTED(errno)) || (len >= 0 && len < PAGE)) {
			/* a short read: the folio after it could not be had */
			sh->retries++;
			if (tries++ < RETRIES) {
				i--;
				continue;
			}
		}
		if (len != PAGE) {
			sh->err = len < 0 ? errno : EIO;
			break;
		}
		sh->checked++;
		if (!page_ok(buf, seed, i))
			sh->bad++;
	}
	close(fd);
	return i == size / PAGE ? 0 : -1;
}

/* mmap, retrying an injected failure */
static void *map_retry(void *addr, long size, int prot, int flags, int fd)
{
	void *p;
	long tries = 0;

	while ((p = mmap(addr, size, prot, flags, fd, 0)) == MAP_FAILED && errno == ENOMEM &&
	       tries++ < RETRIES)
		sh->retries++;
	if (p == MAP_FAILED)
		sh->err = errno;
	return p;
}

/* Map path shared and check every page through the mapping. */
static int map_check(const char *path, long size, unsigned long seed)
{
	void *p;
	int fd = open_retry(path, O_RDONLY);

	if (fd < 0)
		return -1;
	p = map_retry(NULL, size, PROT_READ, MAP_SHARED, fd);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	check_pages(p, size / PAGE, seed);
	munmap(p, size);
	return 0;
}

/*
 * MADV_PAGEOUT of n pages at p until none is resident: the first pass
 * leaves a page in the swap cache while its write is in flight, unmapped,
 * where a second pass cannot find it; read back (mapped again, clean, its
 * swap entry kept), the next pass frees it without writing it again.
 * The pages still resident after 20 passes, or -1.
 */
static long pageout(char *p, long n)
{
	unsigned char *vec = calloc(n, 1);
	long pass, i, left = n;

	if (!vec)
		return -1;
	for (pass = 0; pass < 20 && left > 0; pass++) {
		if (pass)
			usleep(50000);	/* the writes of the last pass done */
		for (i = 0; i < n; i++)
			if (vec[i] & 1)
				(void)*(volatile char *)(p + i * PAGE);
		madvise(p, n * PAGE, MADV_PAGEOUT);
		if (mincore(p, n * PAGE, vec)) {
			left = -1;
			break;
		}
		for (left = 0, i = 0; i < n; i++)
			left += vec[i] & 1;
	}
	free(vec);
	return left;
}

/* ---- what every case checks ---- */

struct baseline {
	long dying, mem, swap, oom_kill, start_ms;
};

static void baseline_take(struct baseline *b)
{
	b->dying = memcg_dying_baseline(v1 ? &root : &parent);
	b->mem = memcg_usage(&parent);
	b->swap = memcg_swap_counter(&parent);
	b->oom_kill = proc_vmstat("oom_kill");
	b->start_ms = now_ms();
}

/* The removed memcgs freed again: 0, or -1 after saying how many are left. */
static int dying_back(const struct baseline *b)
{
	long dying, waited;

	dying = memcg_wait_dying(v1 ? &root : &parent, b->dying, SETTLE_TIMEOUT_MS, &waited);
	if (dying > b->dying) {
		ksft_print_msg("%ld removed memcgs still dying after %ld ms\n",
			       dying - b->dying, waited);
		return -1;
	}
	return 0;
}

/*
 * The checks of a tree after its window: no OOM kill, the parent's
 * counters cover the n children's, no counter of them looks negative, no
 * page left on an offline memcg's LRU (the test module, when loaded).
 */
static int tree_ok(const struct baseline *b, const struct memcg *children, int n)
{
	long kills = proc_vmstat("oom_kill") - b->oom_kill, pages, memcgs;
	char what[256];
	int i;

	if (kills || memcg_oom_kills(&parent) > 0) {
		ksft_print_msg("OOM kills: %ld in the system, %ld in the tree\n", kills,
			       memcg_oom_kills(&parent));
		return -1;
	}
	if (memcg_covers_children(&parent, children, n))
		return -1;
	for (i = -1; i < n; i++) {
		const struct memcg *cg = i < 0 ? &parent : &children[i];

		if (memcg_negative_counter(cg, what, sizeof(what))) {
			ksft_print_msg("%s: a counter looks negative: %s\n", cg->path, what);
			return -1;
		}
	}
	if (!mlt_reparent_check(&pages, &memcgs) && pages) {
		ksft_print_msg("module: %ld pages on the LRUs of %ld offline memcgs\n", pages,
			       memcgs);
		return -1;
	}
	return 0;
}

/*
 * The children are gone and their memory freed: the parent's memory and
 * swap back near their values from before the case, within
 * memcg_leak_slack() (per-CPU stocks and swap slot caches, 1 MiB of kernel
 * objects).  What is left beyond it was leaked by a path that failed.
 */
static int parent_back(const struct baseline *b, const char *name)
{
	long slack = memcg_leak_slack(), mem = -1, swap = -1, waited;
	int ok;

	if (dying_back(b))
		return -1;
	ok = poll_until((mem = memcg_usage(&parent), swap = memcg_swap_counter(&parent),
			 mem >= 0 && mem <= b->mem + slack && swap <= b->swap + slack),
			10000, waited);
	ksft_print_msg("%s: parent memory %ld KiB (%ld before), swap %ld KiB (%ld before), slack %ld KiB, after %ld ms; case took %ld ms\n",
		       name, mem >> 10, b->mem >> 10, swap >> 10, b->swap >> 10, slack >> 10,
		       waited, now_ms() - b->start_ms);
	if (!ok) {
		ksft_print_msg("%s: the parent kept what the removed children had: a leak\n",
			       name);
		return -1;
	}
	return 0;
}

static int report_faults(const char *name, const struct faults *f, const char *detail)
{
	ksft_print_msg("%s: %ld failures injected (failslab %ld, fail_page_alloc %ld; %s)\n",
		       name, faults_sum(f), f->slab, f->page, detail);
	if (!faults_sum(f)) {
		ksft_print_msg("%s: nothing was injected: the case proved nothing\n", name);
		return -1;
	}
	return 0;
}

static void faults_add(struct faults *sum, const struct faults *f)
{
	sum->slab += f->slab;
	sum->page += f->page;
}

/* ---- test_faults_reparent ---- */

#define R_CACHE		(8 * MIB)	/* the exiting task's page cache */
#define R_ANON		(8 * MIB)	/* each task's anon memory, half swapped out */
#define R_MLOCK		(4 * MIB)	/* the moved task's mlocked file */
#define SEED_CACHE	1
#define SEED_ANON	2
#define SEED_MLOCK	3

struct reparent_arg {
	char cache[PATH_MAX], locked[PATH_MAX];
	char holder_procs[PATH_MAX], child[PATH_MAX];
	pid_t mover_of;		/* the task the mover moves */
	char *anon, *map;
	int exits;		/* 1: the task that exits, 0: the one moved */
};

/* In the child: its memory, half the anon swapped out; 0 or a step's number */
static int reparent_setup(struct reparent_arg *ra)
{
	long i;
	int fd;

	ra->anon = mmap(NULL, R_ANON, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (ra->anon == MAP_FAILED)
		return 1;
	madvise(ra->anon, R_ANON, MADV_NOHUGEPAGE);
	for (i = 0; i < R_ANON / PAGE; i++)
		fill_page((unsigned long *)(ra->anon + i * PAGE), SEED_ANON, i);
	if (pageout(ra->anon, R_ANON / 2 / PAGE) < 0)
		return 2;
	if (ra->exits)
		return pattern_file(ra->cache, R_CACHE, SEED_CACHE) ? 3 : 0;
	if (pattern_file(ra->locked, R_MLOCK, SEED_MLOCK))
		return 4;
	fd = open(ra->locked, O_RDONLY);
	if (fd < 0)
		return 5;
	ra->map = mmap(NULL, R_MLOCK, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (ra->map == MAP_FAILED || mlock(ra->map, R_MLOCK))
		return 6;
	return 0;
}

static int reparent_task(void *arg, char c)
{
	struct reparent_arg *ra = arg;

	if (c == 's')
		return reparent_setup(ra);
	/* 'v': every page of its anon memory and of the mlocked mapping */
	check_pages(ra->anon, R_ANON / PAGE, SEED_ANON);
	if (!ra->exits)
		check_pages(ra->map, R_MLOCK / PAGE, SEED_MLOCK);
	return 0;
}

/* Marked: move the task into holder, then remove the child. */
static int mover_task(void *arg, char c)
{
	struct reparent_arg *ra = arg;
	char pid[16];
	long tries = 0;
	int err;

	snprintf(pid, sizeof(pid), "%d", ra->mover_of);
	while ((err = file_write(ra->holder_procs, pid)) == -ENOMEM && tries++ < RETRIES)
		sh->retries++;
	if (err)
		return 1;
	/* EBUSY while the exited task is still on its way out */
	while (rmdir(ra->child) && (errno == ENOMEM || errno == EBUSY) && tries++ < RETRIES) {
		sh->retries++;
		usleep(10000);
	}
	return access(ra->child, F_OK) ? 0 : 2;
}

/* The window after rmdir: marks new kworkers until the child is freed. */
static long settle_marked(const struct baseline *b)
{
	long start = now_ms(), dying;

	for (;;) {
		fault_mark_kworkers();
		dying = memcg_nr_dying(v1 ? &root : &parent);
		if ((dying >= 0 && dying <= b->dying) || now_ms() - start >= SETTLE_TIMEOUT_MS)
			break;
		usleep(50000);
	}
	return now_ms() - start;
}

static int reparent_round(const struct baseline *b, long r, struct faults *total)
{
	struct reparent_arg exiting = { .exits = 1 }, moved = { .exits = 0 }, mv;
	struct memcg child = {}, holder = {};
	struct task a = { -1 }, bt = { -1 }, mover = { -1 };
	struct faults f0, f1, f2, f;
	long swap, rp0 = proc_vmstat("memcg_reparent"), rs0 = proc_vmstat("memcg_reparent_swap");
	long settle, unevictable;
	int ret = -1, err, kworkers;
	char detail[200];

	snprintf(exiting.cache, PATH_MAX, "%s/faults_reparent.cache.%d", scratch, getpid());
	snprintf(moved.locked, PATH_MAX, "%s/faults_reparent.mlock.%d", scratch, getpid());
	if (memcg_create(&child, &parent, "child") || memcg_create(&holder, &parent, "holder"))
		goto out;
	if (task_start(&a, &child, reparent_task, &exiting) ||
	    task_start(&bt, &child, reparent_task, &moved))
		goto out;
	err = task_do(&a, 's') ?: task_do(&bt, 's');
	if (err) {
		ksft_print_msg("round %ld: a task of the child could not set up (%d)\n", r, err);
		goto out;
	}
	swap = memcg_swap_counter(&child);
	if (swap < R_ANON / 2) {
		ksft_print_msg("round %ld: only %ld KiB of the child swapped out\n", r, swap >> 10);
		goto out;
	}
	mv = moved;
	mv.mover_of = bt.pid;
	snprintf(mv.holder_procs, PATH_MAX, "%s/cgroup.procs", holder.path);
	snprintf(mv.child, PATH_MAX, "%s", child.path);
	if (task_start(&mover, NULL, mover_task, &mv))
		goto out;
	/* nothing dirty for the marked kworkers to write back meanwhile */
	sync();

	/* the kworkers from the start: the exit and the rmdir queue work too */
	if (faults_arm() || fault_mark_kworkers() < 0)
		goto out_disarm;
	fault_mark(a.pid, 1);
	if (task_exit(&a)) {
		ksft_print_msg("round %ld: the exiting task failed\n", r);
		goto out_disarm;
	}
	faults_count(&f0);
	fault_mark(mover.pid, 1);
	err = task_do(&mover, 'm');
	fault_mark(mover.pid, 0);
	faults_count(&f1);
	if (err) {
		ksft_print_msg("round %ld: the move or the rmdir failed (%d)\n", r, err);
		goto out_disarm;
	}
	settle = settle_marked(b);
	kworkers = nr_marked - 2;
	faults_count(&f2);
	/* the moved task swaps in what is now recorded to the parent */
	sh->checked = 0;
	sh->bad = 0;
	fault_mark(bt.pid, 1);
	err = task_do(&bt, 'v');
	fault_mark(bt.pid, 0);
	faults_disarm(&f);
	faults_add(total, &f);
	snprintf(detail, sizeof(detail),
		 "exit %ld, move and rmdir %ld, %ld ms of settling %ld (%d kworkers marked), swap-in by the moved task %ld",
		 faults_sum(&f0), faults_sum(&f1) - faults_sum(&f0), settle,
		 faults_sum(&f2) - faults_sum(&f1), kworkers, faults_sum(&f) - faults_sum(&f2));
	ksft_print_msg("round %ld: child had %ld KiB swapped; faults: %s\n", r, swap >> 10,
		       detail);

	if (dying_back(b))
		goto out;
	/* and once more without injection, with the page cache the child left */
	if (err || task_do(&bt, 'v') || read_check(exiting.cache, R_CACHE, SEED_CACHE) ||
	    sh->bad) {
		ksft_print_msg("round %ld: %ld of %ld pages differ (or could not be read)\n", r,
			       sh->bad, sh->checked);
		goto out;
	}
	unevictable = memcg_stat(&parent, "unevictable", "total_unevictable");
	ksft_print_msg("round %ld: memcg_reparent +%ld, memcg_reparent_swap +%ld, parent unevictable %ld KiB; %ld pages checked\n",
		       r, proc_vmstat("memcg_reparent") - rp0,
		       proc_vmstat("memcg_reparent_swap") - rs0, unevictable >> 10, sh->checked);
	if (proc_vmstat("memcg_reparent_swap") - rs0 <= 0 || unevictable < R_MLOCK) {
		ksft_print_msg("round %ld: the child's swap entries or mlocked pages did not reach the parent\n",
			       r);
		goto out;
	}
	if (tree_ok(b, &holder, 1))
		goto out;
	ret = 0;
	goto out;
out_disarm:
	faults_disarm(&f);
out:
	task_kill(&mover);
	task_kill(&a);
	task_kill(&bt);
	unlink(exiting.cache);
	unlink(moved.locked);
	if (child.path[0] && !access(child.path, F_OK))
		memcg_remove(&child);
	if (holder.path[0] && !access(holder.path, F_OK) && memcg_remove(&holder))
		ret = -1;
	return ret;
}

static int test_faults_reparent(void)
{
	struct faults total = {};
	struct baseline b;
	long r;

	baseline_take(&b);
	for (r = 0; r < rounds; r++)
		if (reparent_round(&b, r, &total))
			return KSFT_FAIL;
	if (report_faults("reparent", &total, "exit, move, rmdir, kworkers") ||
	    parent_back(&b, "reparent"))
		return KSFT_FAIL;
	return KSFT_PASS;
}

/* ---- test_faults_recharge ---- */

#define C_CACHE		(16 * MIB)
#define SEED_RECHARGE	4

struct recharge_arg {
	char file[PATH_MAX];
};

static int recharge_filler(void *arg, char c)
{
	struct recharge_arg *ca = arg;

	return pattern_file(ca->file, C_CACHE, SEED_RECHARGE) ? 1 : 0;
}

/* Marked: read the file FAULTS_ROUNDS times, by read() and through a mapping. */
static int recharge_toucher(void *arg, char c)
{
	struct recharge_arg *ca = arg;
	long r;

	for (r = 0; r < rounds; r++)
		if (read_check(ca->file, C_CACHE, SEED_RECHARGE) ||
		    map_check(ca->file, C_CACHE, SEED_RECHARGE))
			return 1;
	return 0;
}

/* poll until memcg_recharge in /proc/vmstat holds still for a second; the ms waited */
static long recharge_settle(void)
{
	long last = -1, now, waited;

	poll_until((now = proc_vmstat("memcg_recharge"),
		    now == last ? 1 : (last = now, usleep(900000), 0)),
		   SETTLE_TIMEOUT_MS, waited);
	return waited;
}

/* Every other MiB of path out of the page cache (it is clean). */
static int drop_odd_mib(const char *path)
{
	long off;
	int fd = open(path, O_RDONLY), err = 0;

	if (fd < 0)
		return -1;
	for (off = MIB; off < C_CACHE; off += 2 * MIB)
		err |= posix_fadvise(fd, off, MIB, POSIX_FADV_DONTNEED);
	close(fd);
	return err ? -1 : 0;
}

static int test_faults_recharge(void)
{
	struct recharge_arg ca;
	struct memcg child = {}, sib = {};
	struct task filler = { -1 }, toucher = { -1 };
	struct faults f = {};
	struct baseline b;
	long rc0, rf0, rech, fail, resident, sib_file, settled;
	int ret = KSFT_FAIL, err;
	char detail[128];

	if (access(RECHARGE_SYSCTL, F_OK)) {
		ksft_print_msg("no %s: kernel without deferred recharging\n", RECHARGE_SYSCTL);
		return KSFT_SKIP;
	}
	if (file_read(RECHARGE_SYSCTL, recharge_saved, sizeof(recharge_saved)) <= 0 ||
	    file_write(RECHARGE_SYSCTL, "1"))
		return KSFT_FAIL;
	baseline_take(&b);
	snprintf(ca.file, sizeof(ca.file), "%s/faults_recharge.%d", scratch, getpid());
	if (memcg_create(&child, &parent, "child") || memcg_create(&sib, &parent, "sib"))
		goto out;
	if (task_start(&filler, &child, recharge_filler, &ca) || task_do(&filler, 'f')) {
		ksft_print_msg("the child could not fill its page cache\n");
		goto out;
	}
	task_exit(&filler);
	if (memcg_remove(&child) || dying_back(&b))
		goto out;
	if (drop_odd_mib(ca.file))
		goto out;
	resident = file_resident_pages(ca.file);
	if (task_start(&toucher, &sib, recharge_toucher, &ca))
		goto out;

	rc0 = proc_vmstat("memcg_recharge");
	rf0 = proc_vmstat("memcg_recharge_fail");
	sh->checked = 0;
	sh->bad = 0;
	sh->retries = 0;
	if (faults_arm())
		goto out;
	fault_mark(toucher.pid, 1);
	err = task_do(&toucher, 'r');
	fault_mark(toucher.pid, 0);
	faults_disarm(&f);
	settled = recharge_settle();
	rech = proc_vmstat("memcg_recharge") - rc0;
	fail = proc_vmstat("memcg_recharge_fail") - rf0;
	sib_file = memcg_file_bytes(&sib);
	snprintf(detail, sizeof(detail), "%ld ENOMEM or EFAULT retried by the reader",
		 sh->retries);
	ksft_print_msg("recharge: %ld of %ld pages cached when read %ld times; memcg_recharge +%ld, memcg_recharge_fail +%ld (settled %ld ms later); sibling's file %ld KiB; %ld pages checked\n",
		       resident, C_CACHE / PAGE, rounds, rech, fail, settled, sib_file >> 10,
		       sh->checked);
	if (report_faults("recharge", &f, detail))
		goto out;
	if (err || sh->bad) {
		ksft_print_msg("the reader %s (%s): %ld of %ld pages differ\n",
			       err ? "failed" : "finished", strerror(sh->err), sh->bad,
			       sh->checked);
		goto out;
	}
	if (rech <= 0) {
		ksft_print_msg("nothing was recharged to the sibling\n");
		goto out;
	}
	if (tree_ok(&b, &sib, 1))
		goto out;
	task_exit(&toucher);
	unlink(ca.file);
	if (memcg_remove(&sib) || parent_back(&b, "recharge"))
		goto out;
	ret = KSFT_PASS;
out:
	task_kill(&filler);
	task_kill(&toucher);
	unlink(ca.file);
	if (child.path[0] && !access(child.path, F_OK))
		memcg_remove(&child);
	if (sib.path[0] && !access(sib.path, F_OK))
		memcg_remove(&sib);
	raw_write(RECHARGE_SYSCTL, recharge_saved);
	recharge_saved[0] = '\0';
	return ret;
}

/* ---- test_faults_zswap_v2 ---- */

#define Z_SIZE		(16 * MIB)
#define Z_SEED		0x5a17UL

struct pusher_arg {
	char memcg[PATH_MAX];
};

/*
 * Marked: memory.reclaim of everything the worker has.  EAGAIN (less was
 * reclaimed than asked) is fine: it did what it could.
 */
static int zswap_pusher(void *arg, char c)
{
	struct pusher_arg *pa = arg;
	char path[PATH_MAX + 16], val[32];
	long tries = 0;

	snprintf(path, sizeof(path), "%s/memory.reclaim", pa->memcg);
	snprintf(val, sizeof(val), "%ldK", Z_SIZE >> 10);
	while (file_write(path, val) == -ENOMEM && tries++ < RETRIES)
		sh->retries++;
	return 0;
}

/* A window of its own for one command of a marked task; its answer. */
static long marked_window(pid_t pid, struct task *t, struct zs_worker *w, char c,
			  struct faults *f)
{
	long ret;

	if (faults_arm())
		return -1;
	fault_mark(pid, 1);
	ret = t ? task_do(t, c) : zs_worker_call(w, ZS_OP_VERIFY, 0, 0);
	fault_mark(pid, 0);
	faults_disarm(f);
	return ret;
}

/*
 * Store, write back and load, each in a window of its own (so that one
 * does not use up what FAULT_TIMES leaves for the next).
 */
static int zswap_round(struct zs_worker *w, struct task *pusher, const struct memcg *zcg,
		       long r, struct faults *total)
{
	struct zs_memcg_stat s0, s1, s2;
	struct faults fs, fw, fl;
	char val[32];
	long limit, bad;
	int ret = -1;

	/* a third of the pages get a new generation (all of them first) */
	if (zs_worker_call(w, ZS_OP_FILL, 3 * r + 1, r ? 3 : 1) <= 0 ||
	    zs_memcg_stat(zcg->path, &s0))
		return -1;
	marked_window(pusher->pid, pusher, NULL, 'p', &fs);
	zs_memcg_stat(zcg->path, &s1);

	/* below what is stored: the next stores write back the memcg's own */
	limit = s1.zswap / 4;
	snprintf(val, sizeof(val), "%ld", limit);
	if (cg_write(zcg->path, "memory.zswap.max", val) ||
	    zs_worker_call(w, ZS_OP_FILL, 3 * r + 2, 3) <= 0)
		goto out;
	marked_window(pusher->pid, pusher, NULL, 'p', &fw);
	zs_memcg_stat(zcg->path, &s2);

	/* read back by its owner */
	bad = marked_window(w->pid, NULL, w, 0, &fl);
	faults_add(total, &fs);
	faults_add(total, &fw);
	faults_add(total, &fl);
	ksft_print_msg("round %ld: stored %ld, written back %ld at zswap.max %ld KiB, every page read back; faults: store %ld, writeback %ld, load %ld\n",
		       r, s2.zswpout - s0.zswpout, s2.zswpwb - s1.zswpwb, limit >> 10,
		       faults_sum(&fs), faults_sum(&fw), faults_sum(&fl));
	if (bad) {
		if (bad > 0)
			zs_print_mismatch("zswap under injection", w->bad);
		else
			ksft_print_msg("round %ld: the worker died reading back\n", r);
		goto out;
	}
	if (s2.zswpwb < 0 || s2.zswpwb <= s1.zswpwb) {
		ksft_print_msg("round %ld: nothing written back at memory.zswap.max\n", r);
		goto out;
	}
	ret = 0;
out:
	cg_write(zcg->path, "memory.zswap.max", "max");
	return ret;
}

static int test_faults_zswap_v2(void)
{
	struct zs_worker w = { .pid = -1 };
	struct task pusher = { -1 };
	struct pusher_arg pa;
	struct memcg zcg = {};
	struct faults total = {};
	struct baseline b;
	const char *why, *zpool = "zsmalloc";
	long r, bad;
	int ret = KSFT_FAIL;
	char detail[64];

	if (v1) {
		ksft_print_msg("cgroup v1: zswap has no per-memcg limit there, no memory.zswap.max\n");
		return KSFT_SKIP;
	}
	why = zswap_missing(parent.path);
	if (why) {
		ksft_print_msg("%s\n", why);
		return KSFT_SKIP;
	}
	if (zswap_params_save(&zs_saved))
		return KSFT_FAIL;
	zs_changed = 1;
	if (zswap_use(zpool)) {
		zpool = "zbud";
		if (zswap_use(zpool)) {
			ksft_print_msg("neither zsmalloc nor zbud is available\n");
			ret = KSFT_SKIP;
			goto out;
		}
	}
	baseline_take(&b);
	if (memcg_create(&zcg, &parent, "zswap"))
		goto out;
	snprintf(pa.memcg, sizeof(pa.memcg), "%s", zcg.path);
	if (zs_worker_start(&w, zcg.path, Z_SIZE, Z_SEED, &ZS_PATTERN_HALF) ||
	    task_start(&pusher, NULL, zswap_pusher, &pa))
		goto out;
	for (r = 0; r < rounds; r++)
		if (zswap_round(&w, &pusher, &zcg, r, &total))
			goto out;
	bad = zs_worker_call(&w, ZS_OP_VERIFY, 0, 0);
	if (bad) {
		ksft_print_msg("after the rounds, %ld pages differ\n", bad);
		goto out;
	}
	snprintf(detail, sizeof(detail), "%s; store, writeback, load", zpool);
	if (report_faults("zswap", &total, detail) || tree_ok(&b, &zcg, 1))
		goto out;
	zs_worker_stop(&w);
	if (memcg_remove(&zcg) || parent_back(&b, "zswap"))
		goto out;
	ret = KSFT_PASS;
out:
	task_kill(&pusher);
	zs_worker_stop(&w);
	if (zcg.path[0] && !access(zcg.path, F_OK))
		memcg_remove(&zcg);
	if (zs_changed) {
		zswap_params_restore(&zs_saved);
		zs_changed = 0;
	}
	return ret;
}

/* ---- test_faults_switch ---- */

#define S_ANON		(8 * MIB)
#define S_CACHE		(8 * MIB)
#define SEED_S_ANON	5
#define SEED_S_CACHE	6

struct churn_arg {
	char file[PATH_MAX];
	char *anon, *map;
};

/*
 * In the memcg: 's' sets up; 'c' pages its anon memory and the file's
 * pages out and reads them back, checking them, until told to stop.
 */
static int churner(void *arg, char c)
{
	struct churn_arg *ch = arg;
	long i;
	int fd;

	if (c == 's') {
		ch->anon = mmap(NULL, S_ANON, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ch->anon == MAP_FAILED || pattern_file(ch->file, S_CACHE, SEED_S_CACHE))
			return 1;
		madvise(ch->anon, S_ANON, MADV_NOHUGEPAGE);
		for (i = 0; i < S_ANON / PAGE; i++)
			fill_page((unsigned long *)(ch->anon + i * PAGE), SEED_S_ANON, i);
		fd = open(ch->file, O_RDONLY);
		if (fd < 0)
			return 2;
		ch->map = mmap(NULL, S_CACHE, PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		return ch->map == MAP_FAILED ? 3 : 0;
	}
	while (!sh->stop) {
		/* ENOMEM: a failed allocation cut the pageout short; no matter */
		madvise(ch->anon, S_ANON, MADV_PAGEOUT);
		madvise(ch->map, S_CACHE, MADV_PAGEOUT);
		check_pages(ch->anon, S_ANON / PAGE, SEED_S_ANON);
		check_pages(ch->map, S_CACHE / PAGE, SEED_S_CACHE);
		sh->cycles++;
	}
	return 0;
}

/* lru_gen/enabled read back, retrying an injected ENOMEM; or -1 */
static long lru_gen_read_retry(void)
{
	long val, tries = 0;

	while ((val = lru_gen_read()) == -ENOMEM && tries++ < RETRIES)
		sh->retries++;
	return val;
}

/*
 * Marked: toggle n then y, rounds * 10 times.  A write refused with
 * ENOMEM must leave the state as it was; an accepted one must take.
 */
static int toggler(void *arg, char c)
{
	long i, before, after, toggles = rounds * 10, tries;
	int err;

	for (i = 0; i < toggles; i++) {
		const char *want = i % 2 ? "y" : "n";
		long waited;

		/* a pageout/read cycle of the memcg's task every 5 toggles */
		poll_until(sh->cycles >= i / 5, 10000, waited);
		(void)waited;

		for (tries = 0; tries < RETRIES; tries++) {
			before = lru_gen_read_retry();
			err = lru_gen_write(want);
			after = lru_gen_read_retry();
			if (err != -ENOMEM)
				break;
			sh->refused++;
			if (before != after)
				sh->wrong++;
		}
		if (err)
			return 1;
		sh->toggles++;
		if (!!after != (*want == 'y'))
			sh->wrong++;
	}
	return 0;
}

static int test_faults_switch(void)
{
	struct churn_arg ch = {};
	struct memcg lru = {};
	struct task churn = { -1 }, tog = { -1 };
	struct faults f = {};
	struct baseline b;
	long orig = lru_gen_read(), nr, now;
	int ret = KSFT_FAIL, err_tog, err_churn;
	char detail[160];

	if (orig < 0) {
		ksft_print_msg("no %s\n", LRU_GEN_ENABLED);
		return KSFT_SKIP;
	}
	snprintf(lru_gen_saved, sizeof(lru_gen_saved), "0x%lx", orig);
	baseline_take(&b);
	snprintf(ch.file, sizeof(ch.file), "%s/faults_switch.%d", scratch, getpid());
	if (memcg_create(&lru, &parent, "lru") ||
	    task_start(&churn, &lru, churner, &ch) || task_do(&churn, 's') ||
	    task_start(&tog, NULL, toggler, NULL)) {
		ksft_print_msg("the memcg's task could not set up\n");
		goto out;
	}
	memset(sh, 0, sizeof(*sh));
	sync();
	if (faults_arm())
		goto out;
	fault_mark(churn.pid, 1);
	fault_mark(tog.pid, 1);
	task_send(&churn, 'c');
	err_tog = task_do(&tog, 't');
	sh->stop = 1;
	err_churn = task_wait(&churn);
	faults_disarm(&f);
	now = lru_gen_read();
	snprintf(detail, sizeof(detail),
		 "%ld toggles, %ld refused with ENOMEM, %ld pageout/read cycles of the memcg",
		 sh->toggles, sh->refused, sh->cycles);
	if (report_faults("switch", &f, detail))
		goto out;
	if (err_tog || err_churn || sh->wrong || sh->bad) {
		ksft_print_msg("toggler %d, memcg's task %d; %ld states not as written; %ld of %ld pages differ\n",
			       err_tog, err_churn, sh->wrong, sh->bad, sh->checked);
		goto out;
	}
	nr = mlt_check_lruvecs(now & 1);
	if (nr == -ENOENT)
		ksft_print_msg("no %s: lruvecs not checked\n", MLT_CHECK_LRUVECS);
	else if (nr < 0)
		goto out;
	else
		ksft_print_msg("switch: lru_gen/enabled 0x%lx, %ld LRU pages consistent; %ld pages checked\n",
			       now, nr, sh->checked);
	if (tree_ok(&b, &lru, 1))
		goto out;
	task_exit(&churn);
	unlink(ch.file);
	if (memcg_remove(&lru) || parent_back(&b, "switch"))
		goto out;
	ret = KSFT_PASS;
out:
	sh->stop = 1;
	task_kill(&tog);
	task_kill(&churn);
	unlink(ch.file);
	if (lru.path[0] && !access(lru.path, F_OK))
		memcg_remove(&lru);
	if (lru_gen_write(lru_gen_saved))
		ret = KSFT_FAIL;
	lru_gen_saved[0] = '\0';
	return ret;
}

#define T(x) { x, #x }
static struct {
	int (*fn)(void);
	const char *name;
} tests[] = {
	T(test_faults_reparent),
	T(test_faults_recharge),
	T(test_faults_zswap_v2),
	T(test_faults_switch),
};
#undef T

int main(int argc, char **argv)
{
	const char *why;
	size_t i;

	ksft_print_header();
	rounds = getenv_long("FAULTS_ROUNDS", 3);
	probability = getenv_long("FAULTS_PROBABILITY", 20);
	if (rounds < 1 || probability < 1 || probability > 100)
		ksft_exit_fail_msg("FAULTS_ROUNDS >= 1, FAULTS_PROBABILITY 1..100\n");
	snprintf(scratch, sizeof(scratch), "%s", getenv("SCRATCH") ?: "/tmp");
	if (!memcg_root(&root, 0))
		v1 = 0;
	else if (!memcg_root(&root, 1))
		v1 = 1;
	else
		ksft_exit_skip("no memory controller, on cgroup v2 or v1\n");
	why = faults_setup();
	if (why)
		ksft_exit_skip("%s\n", why);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	if (memcg_create(&parent, &root, "faults"))
		ksft_exit_fail_msg("cannot create %s/faults\n", root.path);

	ksft_print_msg("cgroup %s, %ld rounds, failures at %ld%% for the marked tasks\n",
		       v1 ? "v1" : "v2", rounds, probability);
	ksft_set_plan(ARRAY_SIZE(tests));
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		memset(sh, 0, sizeof(*sh));
		switch (tests[i].fn()) {
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
	memcg_remove(&parent);
	ksft_finished();
}
