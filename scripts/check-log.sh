#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-log.sh CONSOLE_LOG: fail (exit 1) when the guest's console shows a
# kernel splat: WARNING, BUG, Oops, panic, lockdep report, KASAN/UBSAN
# report, hung task, soft lockup, RCU stall, bad page or swap entry, a page
# allocation failure, any other "Call Trace:", or an OOM kill.  A test that
# expects OOM kills declares a window by writing "memcg-lru: expect-oom
# begin" / "... end" to /dev/kmsg; "memcg-lru: expect-alloc-failure begin" /
# "... end" does the same for page allocation failures.  Call traces inside
# either window are theirs.  Patterns are not anchored at the start of a
# line: a kernel message glued after guest output on the console is still
# seen.  Each finding is printed with its line.
log=${1:?usage: check-log.sh CONSOLE_LOG}
[ -f "$log" ] || { echo "check-log: $log missing" >&2; exit 1; }

awk '
	function splat(what) {
		printf "check-log: %s at line %d: %s\n", what, NR, $0
		found++
		last = NR
	}
	{ sub(/\r$/, "") }
	/memcg-lru: expect-oom begin/ { expect_oom++; next }
	/memcg-lru: expect-oom end/ { if (expect_oom) expect_oom--; next }
	/memcg-lru: expect-alloc-failure begin/ { expect_alloc++; next }
	/memcg-lru: expect-alloc-failure end/ { if (expect_alloc) expect_alloc--; next }
	# numa=fake=2 (both guests of make test) maps CPUs to the fake
	# nodes after the workqueue code recorded them: one pr_warn_once, with no
	# backtrace, about its own affinity masks.  Not a splat.
	/WARNING: workqueue cpumask: online intersect > possible intersect$/ { next }
	# Not "Spectre V2 : WARNING: ..." (boot notes), but a glued "xWARNING:".
	/(^|[^:] |[^ ])WARNING: / { splat("WARNING"); next }
	/(^|[^A-Z_])BUG: |kernel BUG at |(^|[^A-Za-z_])BUG [^ ]+ \(/ { splat("BUG"); next }
	/Oops: |general protection fault/ { splat("Oops"); next }
	/Kernel panic/ { splat("panic"); next }
	/possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|lock held when returning|possible irq lock inversion|bad unlock balance/ { splat("lockdep"); next }
	/KASAN: |UBSAN: / { splat("sanitizer"); next }
	/INFO: task .* blocked for more than/ { splat("hung task"); next }
	/soft lockup - CPU#|hard LOCKUP/ { splat("lockup"); next }
	/rcu: INFO: rcu_.* detected (stalls|expedited stalls)|rcu_.* self-detected stall/ { splat("RCU stall"); next }
	/Bad swap|Unused swap (file|offset) entry|swap_info_get/ { splat("bad swap entry"); next }
	/Bad page|Bad rss-counter/ { splat("bad page"); next }
	/invoked oom-killer|Out of memory|Memory cgroup out of memory|oom_reaper: reaped/ {
		if (!expect_oom) splat("unexpected OOM kill")
		next
	}
	/page allocation failure/ {
		if (!expect_alloc) splat("page allocation failure")
		next
	}
	# A trace within 60 lines of a finding belongs to it.
	/Call Trace:/ {
		if (!expect_oom && !expect_alloc && !(last && NR - last < 60))
			splat("Call Trace")
		next
	}
	END { exit found ? 1 : 0 }
' "$log" | head -n 20
exit "${PIPESTATUS[0]}"
