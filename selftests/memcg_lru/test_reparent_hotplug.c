// SPDX-License-Identifier: GPL-2.0
/*
 * Charge stocks and CPU hotplug.  A memcg's per-CPU charge stock holds a
 * reference on the memcg it caches; removing a memcg drains the stocks that
 * cache it (mem_cgroup_css_offline()), another CPU's by a work queued on
 * that CPU.  A work queued for a CPU whose workers are unbound for hotplug
 * runs on another CPU instead.
 *
 * test_reparent_hotplug_parked: a task bound to CPU 1 charges a child and
 * exits, so CPU 1's stock caches the child; CPU 1 is taken down to the
 * state just below workqueue:online (cpu1/hotplug/target,
 * CONFIG_CPU_HOTPLUG_STATE_CONTROL), where it is still online but its
 * workers are unbound; the child is removed, and CPU 1 brought back.  The
 * child must be freed within 20 s, and so must one more child charged on
 * CPU 1 and removed with CPU 1 online.  On 6.1 the misdirected drain
 * emptied CPU 0's stock and cleared CPU 0's FLUSHING_CACHED_CHARGE, leaving
 * CPU 1's set: no drain was ever queued for CPU 1 again, and both children
 * stay dying until CPU 1 charges another memcg.  Skipped without the state
 * control.  Like the race case below, it expects no other memcg to charge
 * on CPU 1 meanwhile (the guest runs nothing else), which would release
 * the child.
 *
 * test_reparent_hotplug_race, the same by chance, for
 * REPARENT_HOTPLUG_SECONDS (default 60):
 *
 *   parent      memory.max = 16M (memory.limit_in_bytes on v1)
 *   |-- cN      a task bound to CPU 1 touches 512K of anon memory and
 *   |           exits, so CPU 1's charge stock caches cN; 0-20 ms later
 *   |           cN is removed
 *   |-- charger a task on CPU 1 maps, touches and unmaps 1M in a loop
 *   `-- reader  a task on CPU 0 reads a 32M file over and over, so the
 *               parent is at its limit and charges now and then drain
 *               the stocks of the whole subtree
 *
 * while a thread takes CPU 1 offline and back, 0-50 ms apart.  Then, CPU 1
 * online and the other tasks gone, one more cycle, and the parent's dying
 * descendants must be back at their baseline within 20 s (a stuck bit
 * keeps at least the last child).  Skipped without a CPU 1 that can go
 * offline (one CPU, or no CONFIG_HOTPLUG_CPU).
 *
 * Both run on cgroup v1 too, where the dying count is the whole
 * hierarchy's (memcg_nr_dying()).  CPU 1 is brought back online on every
 * exit, SIGTERM from the runner included.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "cgroup_util.h"
#include "memcg_lru_util.h"

#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"
#define CPU1_TARGET	"/sys/devices/system/cpu/cpu1/hotplug/target"
#define CPU1_STATE	"/sys/devices/system/cpu/cpu1/hotplug/state"
#define CPUHP_STATES	"/sys/devices/system/cpu/hotplug/states"
#define TOUCH_SIZE	(512L << 10)
#define SETTLE_MS	20000
#define PARENT_LIMIT	(16L << 20)
#define CHARGE_SIZE	(1L << 20)
#define READ_SIZE	(32L << 20)

static char read_path[4096];

static int stop_hotplug, hotplug_running, hotplug_done;
static long hotplug_cycles, hotplug_errors;
static pid_t main_pid;

/* CPUHP_ONLINE as text, for the target file; "" until looked up. */
static char online_state[16];

/* Async-signal-safe: bring CPU 1 all the way back. */
static void cpu1_restore(void)
{
	int fd;

	if (online_state[0]) {
		fd = open(CPU1_TARGET, O_WRONLY);
		if (fd >= 0) {
			if (write(fd, online_state, strlen(online_state)) < 0)
				;	/* nothing to do about it here */
			close(fd);
		}
	}
	fd = open(CPU1_ONLINE, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			;
		close(fd);
	}
}

/*
 * The runner's SIGTERM on a timeout: let the hotplug thread finish its
 * cycle (it ends with CPU 1 online; up to 5 s), then bring CPU 1 back from
 * wherever the test left it.  The forked tasks just exit.
 */
static void on_sigterm(int sig)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	if (getpid() != main_pid)
		_exit(KSFT_FAIL);
	__atomic_store_n(&stop_hotplug, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 500 && __atomic_load_n(&hotplug_running, __ATOMIC_RELAXED) &&
	     !__atomic_load_n(&hotplug_done, __ATOMIC_RELAXED); i++)
		nanosleep(&ts, NULL);
	cpu1_restore();
	_exit(KSFT_FAIL);
}

/* CPU 1 back online after cpu1_restore(); else say so. */
static int cpu1_restored(void)
{
	long state = file_read_long(CPU1_STATE);

	if (!online_state[0] || state == atol(online_state))
		return 0;
	ksft_print_msg("CPU 1 left at hotplug state %ld\n", state);
	return -1;
}

/* The number of the hotplug state called name, or -1. */
static int cpuhp_state(const char *name)
{
	char line[128], what[100];
	int nr, ret = -1;
	FILE *f = fopen(CPUHP_STATES, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%d: %99s", &nr, what) == 2 && !strcmp(what, name))
			ret = nr;
	fclose(f);
	return ret;
}

/* CPU 1 offline and back, with a pause of 0-50 ms after each step. */
static void *hotplug_thread(void *arg)
{
	unsigned int seed = 1;
	sigset_t set;

	/* SIGTERM goes to the main thread, which waits for this one */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	while (!__atomic_load_n(&stop_hotplug, __ATOMIC_RELAXED)) {
		if (file_write(CPU1_ONLINE, "0"))
			hotplug_errors++;
		usleep(rand_r(&seed) % 50000);
		if (file_write(CPU1_ONLINE, "1"))
			hotplug_errors++;
		else
			hotplug_cycles++;
		usleep(rand_r(&seed) % 50000);
	}
	__atomic_store_n(&hotplug_done, 1, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * In cN: bind to CPU 1 (waiting up to a second while it is offline),
 * fault in TOUCH_SIZE and exit; 0 if it ran on CPU 1, 2 if it could not
 * get there (the cycle then proves nothing), 1 on an error.
 */
static int touch_on_cpu1(void *arg)
{
	cpu_set_t set;
	char *p;
	int i, cpu;

	CPU_ZERO(&set);
	CPU_SET(1, &set);
	for (i = 0; sched_setaffinity(0, sizeof(set), &set); i++) {
		if (errno != EINVAL || i == 1000)
			return 2;
		usleep(1000);
	}
	p = mmap(NULL, TOUCH_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	memset(p, 0x5a, TOUCH_SIZE);
	cpu = sched_getcpu();
	return cpu == 1 ? 0 : 2;
}

/* The charger: keep CPU 1's stock charged, back on CPU 1 after each hotplug. */
static int charge_loop(void *arg)
{
	cpu_set_t set;
	char *p;

	CPU_ZERO(&set);
	CPU_SET(1, &set);
	for (;;) {
		if (sched_getcpu() != 1)
			sched_setaffinity(0, sizeof(set), &set);
		p = mmap(NULL, CHARGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		memset(p, 0x5a, CHARGE_SIZE);
		munmap(p, CHARGE_SIZE);
	}
}

/* The reader: page cache beyond the parent's limit, from CPU 0. */
static int read_loop(void *arg)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return 1;
	for (;;)
		if (file_read_all(read_path))
			return 1;
}

static void reap(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/*
 * Create parent/name and have a task charge it from CPU 1: 1 if it ran
 * there, 0 if not, <0 on an error (cg removed).
 */
static int charge_child(struct memcg *cg, const struct memcg *parent, const char *name)
{
	int status;
	pid_t pid;

	if (memcg_create(cg, parent, name))
		return -1;
	pid = memcg_spawn(cg, touch_on_cpu1, NULL);
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status) == 1) {
		ksft_print_msg("the task of %s failed\n", name);
		memcg_destroy(cg);
		return -1;
	}
	return WEXITSTATUS(status) == 0;
}

static int remove_child(struct memcg *cg)
{
	if (!memcg_remove(cg))
		return 0;
	ksft_print_msg("rmdir %s: %s\n", cg->path, strerror(errno));
	memcg_destroy(cg);
	return -1;
}

/* One cycle: create cN, charge it from CPU 1, remove it; <0 on an error. */
static int stock_cycle(const struct memcg *parent, long n, unsigned int *seed)
{
	struct memcg cg = {};
	char name[32];
	int r;

	snprintf(name, sizeof(name), "c%ld", n);
	r = charge_child(&cg, parent, name);
	if (r < 0)
		return r;
	usleep(rand_r(seed) % 20000);
	return remove_child(&cg) ?: r;
}

/* Wait for the dying count to come back to dying0; 0 if it did. */
static int settled(const struct memcg *parent, long dying0, const char *what)
{
	long dying, waited;

	dying = memcg_wait_dying(parent, dying0, SETTLE_MS, &waited);
	ksft_print_msg("%s: %ld dying after %ld ms (baseline %ld)\n", what, dying, waited, dying0);
	if (dying <= dying0)
		return 0;
	ksft_print_msg("a memcg charged last on CPU 1 stays dying: CPU 1's stock is not drained\n");
	return -1;
}

static int test_reparent_hotplug_parked(const struct memcg *root)
{
	int wq = cpuhp_state("workqueue:online"), on = cpuhp_state("online");
	int down = cpuhp_state("cpu:teardown");
	struct memcg parent = {}, child = {}, probe = {};
	int ret = KSFT_FAIL, parked = -1, st;
	char val[16];
	long dying0;

	if (wq < 0 || on < 0 || down < 0 || access(CPU1_TARGET, W_OK) ||
	    sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		ksft_print_msg("no hotplug state control of CPU 1 (CONFIG_CPU_HOTPLUG_STATE_CONTROL)\n");
		return KSFT_SKIP;
	}
	snprintf(online_state, sizeof(online_state), "%d", on);
	if (memcg_create(&parent, root, "reparent_hotplug_parked"))
		return KSFT_FAIL;
	dying0 = memcg_dying_baseline(&parent);
	if (dying0 < 0 || charge_child(&child, &parent, "child") != 1) {
		ksft_print_msg("could not charge the child from CPU 1\n");
		goto cleanup;
	}
	/*
	 * The highest state below workqueue:online that CPU 1 can stop at,
	 * above cpu:teardown, where it would be dead.
	 */
	for (st = wq - 1; st > down && parked < 0; st--) {
		snprintf(val, sizeof(val), "%d", st);
		if (!file_write(CPU1_TARGET, val))
			parked = st;
	}
	if (parked < 0 || file_read_long(CPU1_STATE) != parked) {
		ksft_print_msg("CPU 1 did not stop between cpu:teardown (%d) and workqueue:online (%d)\n",
			       down, wq);
		goto cleanup;
	}
	ksft_print_msg("CPU 1 at hotplug state %d (workqueue:online is %d)\n", parked, wq);
	if (remove_child(&child))
		goto cleanup;
	/* Let the offline work and the drain it queues for CPU 1 run. */
	sleep(2);
	if (file_write(CPU1_TARGET, online_state) ||
	    file_read_long(CPU1_STATE) != on) {
		ksft_print_msg("CPU 1 did not come back to state %d\n", on);
		goto cleanup;
	}
	if (settled(&parent, dying0, "child removed while CPU 1 was parked"))
		goto cleanup;
	if (charge_child(&probe, &parent, "probe") != 1 || remove_child(&probe))
		goto cleanup;
	if (settled(&parent, dying0, "probe removed with CPU 1 online"))
		goto cleanup;
	ret = KSFT_PASS;
cleanup:
	cpu1_restore();
	if (cpu1_restored())
		ret = KSFT_FAIL;
	memcg_destroy(&child);
	memcg_destroy(&probe);
	memcg_destroy(&parent);
	return ret;
}

static int test_reparent_hotplug_race(const struct memcg *root)
{
	long seconds = getenv_long("REPARENT_HOTPLUG_SECONDS", 60);
	long dying0, start, n = 0, on_cpu1 = 0, pressure0;
	struct memcg parent = {}, charger = {}, reader = {};
	pid_t charger_pid = -1, reader_pid = -1;
	unsigned int seed = 2;
	int ret = KSFT_FAIL, threaded = 0, r;
	pthread_t thr;

	if (access(CPU1_ONLINE, W_OK) || sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		ksft_print_msg("no CPU 1 that can go offline\n");
		return KSFT_SKIP;
	}
	snprintf(read_path, sizeof(read_path), "%s/reparent_hotplug",
		 getenv("SCRATCH") ?: "/tmp");
	if (memcg_create(&parent, root, "reparent_hotplug"))
		return KSFT_FAIL;
	dying0 = memcg_dying_baseline(&parent);
	if (dying0 < 0 || memcg_set_limit(&parent, PARENT_LIMIT) ||
	    memcg_create(&charger, &parent, "charger") ||
	    memcg_create(&reader, &parent, "reader") ||
	    file_fill(read_path, READ_SIZE) || file_drop_cache(read_path))
		goto cleanup;
	pressure0 = memcg_pressure(&parent);
	charger_pid = memcg_spawn(&charger, charge_loop, NULL);
	reader_pid = memcg_spawn(&reader, read_loop, NULL);
	if (charger_pid < 0 || reader_pid < 0)
		goto cleanup;

	hotplug_done = 0;
	if (pthread_create(&thr, NULL, hotplug_thread, NULL))
		goto cleanup;
	threaded = 1;
	__atomic_store_n(&hotplug_running, 1, __ATOMIC_RELAXED);
	start = now_ms();
	while (now_ms() - start < seconds * 1000) {
		r = stock_cycle(&parent, n++, &seed);
		if (r < 0)
			goto cleanup;
		on_cpu1 += r;
	}
	__atomic_store_n(&stop_hotplug, 1, __ATOMIC_RELAXED);
	pthread_join(thr, NULL);
	threaded = 0;
	__atomic_store_n(&hotplug_running, 0, __ATOMIC_RELAXED);
	if (file_write(CPU1_ONLINE, "1"))
		goto cleanup;
	ksft_print_msg("%ld cycles in %ld ms, %ld charged on CPU 1; CPU 1 offline and back %ld times (%ld errors); reclaim %ld\n",
		       n, now_ms() - start, on_cpu1, hotplug_cycles, hotplug_errors,
		       memcg_pressure(&parent) - pressure0);
	if (!hotplug_cycles || !on_cpu1 || hotplug_errors) {
		ksft_print_msg("no hotplug or no charge on CPU 1: the test proves nothing\n");
		goto cleanup;
	}
	if (waitpid(charger_pid, NULL, WNOHANG) || waitpid(reader_pid, NULL, WNOHANG)) {
		ksft_print_msg("the charger or the reader died\n");
		goto cleanup;
	}
	/* Both stop before the last cycle: it must be the one to charge CPU 1. */
	memcg_destroy(&charger);
	memcg_destroy(&reader);
	reap(charger_pid);
	reap(reader_pid);
	charger_pid = reader_pid = -1;

	/* The last cycle, CPU 1 online throughout: it must run there. */
	r = stock_cycle(&parent, n, &seed);
	if (r <= 0) {
		ksft_print_msg("the last cycle did not charge on CPU 1\n");
		goto cleanup;
	}
	if (settled(&parent, dying0, "after the last cycle"))
		goto cleanup;
	ret = KSFT_PASS;
cleanup:
	__atomic_store_n(&stop_hotplug, 1, __ATOMIC_RELAXED);
	if (threaded)
		pthread_join(thr, NULL);
	__atomic_store_n(&hotplug_running, 0, __ATOMIC_RELAXED);
	cpu1_restore();
	if (cpu1_restored())
		ret = KSFT_FAIL;
	memcg_destroy(&charger);
	memcg_destroy(&reader);
	memcg_destroy(&parent);
	reap(charger_pid);
	reap(reader_pid);
	unlink(read_path);
	return ret;
}

static const struct {
	const char *name;
	int (*fn)(const struct memcg *root);
} tests[] = {
	{ "test_reparent_hotplug_parked", test_reparent_hotplug_parked },
	{ "test_reparent_hotplug_race", test_reparent_hotplug_race },
};

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sigterm };
	struct memcg root;
	size_t i;

	ksft_print_header();
	ksft_set_plan(ARRAY_SIZE(tests));
	if (memcg_root(&root, 0) && memcg_root(&root, 1))
		ksft_exit_skip("no memory controller on cgroup v2 or v1\n");
	ksft_print_msg("memory controller: cgroup %s at %s\n", root.v1 ? "v1" : "v2", root.path);
	main_pid = getpid();
	sigaction(SIGTERM, &sa, NULL);
	snprintf(online_state, sizeof(online_state), "%d", cpuhp_state("online"));
	if (online_state[0] == '-')
		online_state[0] = 0;

	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		switch (tests[i].fn(&root)) {
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
