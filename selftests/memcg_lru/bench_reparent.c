// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of memcg reparenting (not a test: it prints figures, make bench
 * pairs them between the base and the patched kernel).
 *
 * BENCH_REPARENT_CYCLES (default 500) cycles of: mkdir a memcg under the
 * bench parent, move this process into it, write 64K to a file of its own
 * on $SCRATCH (the page cache stays), move back out, rmdir.  Then wait up
 * to BENCH_REPARENT_SETTLE_S (default 5) seconds for the dying memcgs to
 * go, and print
 *
 *   reparent_dying_left    dying memcgs under the parent after that wait
 *   reparent_percpu_kb     growth of Percpu in /proc/meminfo over the run
 *   reparent_slab_kb       growth of Slab in /proc/meminfo over the run
 *   reparent_rmdir_us      median time of one rmdir
 *   reparent_folios_per_s  memcg_reparent (/proc/vmstat) increase from the
 *                          first rmdir until no memcg is dying, divided by
 *                          that time; 0 without the counter (the base)
 *   reparent_unevictable_walk_us_per_gib
 *                          what the walk of the page frames for unevictable
 *                          folios costs, per GiB of page frames walked, as
 *                          the test module's reparent_walk_stats counts it
 *                          in the kernel (time and page frames of every
 *                          walk), over BENCH_REPARENT_WALKS (default 9)
 *                          memcgs removed with one mlocked page each: the
 *                          work walks the node up to that page.  Not printed
 *                          on the base, which has no walk (it never frees a
 *                          memcg with an mlocked page), nor without the
 *                          module's file.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_util.h"
#include "memcg_lru_util.h"

#define WRITE_SIZE	(64 << 10)

static long usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* The cgroup this process started in, to come back to after each cycle. */
static int home_cgroup(const struct memcg *root, char *home, size_t size)
{
	char buf[4096], *p;

	if (file_read("/proc/self/cgroup", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "0::");
	if (!p)
		return -1;
	p += 3;
	p[strcspn(p, "\n")] = '\0';
	snprintf(home, size, "%s%s", root->path, strcmp(p, "/") ? p : "");
	return 0;
}

/*
 * Under TCG on a busy host the guest may find its TSC unstable and fall
 * back to a jiffies clocksource: microsecond timings are then meaningless.
 */
static void warn_coarse_clock(void)
{
	char cs[64] = "";

	file_read("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  cs, sizeof(cs));
	if (strstr(cs, "jiffies"))
		printf("# bench_reparent: clocksource %.*s: timings have jiffy resolution\n",
		       (int)strcspn(cs, "\n"), cs);
}

static int write_file(const char *path)
{
	static char buf[WRITE_SIZE];
	int fd, ret = 0;

	memset(buf, 0x5a, sizeof(buf));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, buf, sizeof(buf)) != sizeof(buf))
		ret = -1;
	close(fd);
	return ret;
}

/* A task that leaves one page behind: mapped (and mlocked) in its memcg. */
struct pin {
	const struct memcg *holder;
	char file[PATH_MAX];
	int mlock, ready, go;
};

static int pin_page(void *arg)
{
	struct pin *p = arg;
	char me[16], c = 0;
	char *map;
	int fd;

	if (write_file(p->file))
		return 1;
	fd = open(p->file, O_RDONLY);
	map = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED || (p->mlock && mlock(map, 4096)))
		return 2;
	c = map[0];
	/* out of the memcg, keeping the page (and the mlock) */
	snprintf(me, sizeof(me), "%d", getpid());
	if (cg_write((char *)p->holder->path, "cgroup.procs", me) ||
	    write(p->ready, &c, 1) != 1 || read(p->go, &c, 1) != 1)
		return 3;
	return 0;
}

/* rmdir-to-freed time of a memcg with one page left; -1 if it stays dying */
static long pinned_death_us(const struct memcg *parent, const struct memcg *holder,
			    const char *scratch, long i, int mlocked)
{
	int ready[2], go[2];
	struct pin p = { .holder = holder, .mlock = mlocked };
	struct memcg cg;
	char name[32], c = 0;
	long t = -1, dying;
	pid_t pid;

	if (pipe(ready) || pipe(go))
		return -1;
	p.ready = ready[1];
	p.go = go[0];
	snprintf(name, sizeof(name), "w%ld", i);
	snprintf(p.file, sizeof(p.file), "%s/bench_walk.%ld", scratch, i);
	if (memcg_create(&cg, parent, name))
		goto out;
	pid = memcg_spawn(&cg, pin_page, &p);
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		goto out_kill;
	t = usec();
	if (memcg_remove(&cg)) {
		t = -1;
		goto out_kill;
	}
	for (dying = 1; dying && usec() - t < 5000000; usleep(500))
		dying = memcg_nr_dying(parent);
	t = dying ? -1 : usec() - t;
out_kill:
	if (pid > 0) {
		if (write(go[1], &c, 1) != 1)
			kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
out:
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	unlink(p.file);
	return t;
}

#define MLT_WALK_STATS	MLT_DIR "/reparent_walk_stats"

/* "walks K pfns P ns T" of the module; 0, or -1 without the file */
static int walk_stats(long long *walks, long long *pfns, long long *ns)
{
	char buf[128];

	if (file_read(MLT_WALK_STATS, buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "walks %lld pfns %lld ns %lld", walks, pfns, ns) != 3)
		return -1;
	return 0;
}

static void bench_walk(const struct memcg *root, const char *scratch)
{
	long walks = getenv_long("BENCH_REPARENT_WALKS", 9), i, page = sysconf(_SC_PAGESIZE);
	long long w0, p0, n0, w1, p1, n1, mib;
	struct memcg parent, holder;
	long *pinned;

	if (walk_stats(&w0, &p0, &n0)) {
		printf("# bench_reparent: no %s: no walk figure\n", MLT_WALK_STATS);
		return;
	}
	pinned = calloc(walks, sizeof(*pinned));
	if (!pinned || walks <= 0 ||
	    memcg_create(&parent, root, "bench_walk") ||
	    memcg_create(&holder, &parent, "holder"))
		goto out;
	for (i = 0; i < walks; i++) {
		pinned[i] = pinned_death_us(&parent, &holder, scratch, i, 1);
		if (pinned[i] < 0) {
			printf("# bench_reparent: a memcg with an mlocked page stayed dying: no walk figure\n");
			goto out_destroy;
		}
	}
	if (walk_stats(&w1, &p1, &n1) || p1 <= p0 || w1 <= w0) {
		printf("# bench_reparent: the kernel counted no walk: no walk figure\n");
		goto out_destroy;
	}
	qsort(pinned, walks, sizeof(*pinned), cmp_long);
	mib = (p1 - p0) / (w1 - w0) * page >> 20;
	printf("# bench_reparent: %lld walks of %lld MiB of page frames on average, %lld us each; memcgs freed %ld us after rmdir (median)\n",
	       w1 - w0, mib, (n1 - n0) / (w1 - w0) / 1000, pinned[walks / 2]);
	/* short walks would show the per-walk cost, not the per-frame one */
	if (mib < 64) {
		printf("# bench_reparent: walks under 64 MiB: no walk figure\n");
		goto out_destroy;
	}
	/* ns per page frame, times the frames of a GiB */
	printf("BENCH reparent_unevictable_walk_us_per_gib %lld us\n",
	       (long long)((double)(n1 - n0) / (p1 - p0) * ((1L << 30) / page) / 1000));
out_destroy:
	memcg_destroy(&holder);
	memcg_destroy(&parent);
out:
	free(pinned);
}

int main(void)
{
	const char *scratch = getenv("SCRATCH") ?: "/tmp";
	long cycles = getenv_long("BENCH_REPARENT_CYCLES", 500);
	long settle_ms = getenv_long("BENCH_REPARENT_SETTLE_S", 5) * 1000;
	long percpu0, slab0, moved0, moved1, t_first = 0, t_end, dying, i;
	char home[PATH_MAX], path[PATH_MAX], name[32];
	struct memcg root, parent, cg;
	long *rmdir_us;
	double rate;

	rmdir_us = calloc(cycles, sizeof(*rmdir_us));
	if (!rmdir_us || cycles <= 0)
		return 1;
	if (memcg_root(&root, 0) || home_cgroup(&root, home, sizeof(home)) ||
	    memcg_create(&parent, &root, "bench_reparent"))
		return 1;
	percpu0 = proc_meminfo_kb("Percpu");
	slab0 = proc_meminfo_kb("Slab");
	moved0 = proc_vmstat("memcg_reparent");

	for (i = 0; i < cycles; i++) {
		long t;

		snprintf(name, sizeof(name), "c%ld", i);
		snprintf(path, sizeof(path), "%s/bench_reparent.%ld", scratch, i);
		if (memcg_create(&cg, &parent, name) || cg_enter_current(cg.path) ||
		    write_file(path) || cg_enter_current(home))
			return 1;
		t = usec();
		if (memcg_remove(&cg))
			return 1;
		rmdir_us[i] = usec() - t;
		if (!i)
			t_first = t;
	}

	dying = memcg_wait_dying(&parent, 0, settle_ms, NULL);
	t_end = usec();
	moved1 = proc_vmstat("memcg_reparent");
	rate = moved0 < 0 || moved1 < 0 ? 0 : (moved1 - moved0) / ((t_end - t_first) / 1e6);
	qsort(rmdir_us, cycles, sizeof(*rmdir_us), cmp_long);

	warn_coarse_clock();
	printf("BENCH reparent_dying_left %ld memcgs\n", dying);
	printf("BENCH reparent_percpu_kb %ld kB\n", proc_meminfo_kb("Percpu") - percpu0);
	printf("BENCH reparent_slab_kb %ld kB\n", proc_meminfo_kb("Slab") - slab0);
	printf("BENCH reparent_rmdir_us %ld us\n", rmdir_us[cycles / 2]);
	printf("BENCH reparent_folios_per_s %.0f folios/s\n", rate);

	for (i = 0; i < cycles; i++) {
		snprintf(path, sizeof(path), "%s/bench_reparent.%ld", scratch, i);
		unlink(path);
	}
	memcg_destroy(&parent);

	bench_walk(&root, scratch);
	free(rmdir_us);
	return 0;
}
