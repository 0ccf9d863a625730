#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# check-log.sh CONSOLE_LOG: fail (exit 1) when the guest's console shows a
# kernel splat: WARNING, BUG, Oops, panic, lockdep report, KASAN/UBSAN
# report, hung task, soft lockup, RCU stall, or an OOM kill outside a window
# the test declared by writing "memcg-lru: expect-oom begin" / "... end" to
# /dev/kmsg.  Each finding is printed with its line.
log=${1:?usage: check-log.sh CONSOLE_LOG}
[ -f "$log" ] || { echo "check-log: $log missing" >&2; exit 1; }

awk '
	# Strip the printk timestamp so patterns can anchor at the message.
	{ msg = $0; sub(/^\[[ 0-9.]+\] /, "", msg) }
	/memcg-lru: expect-oom begin/ { expect_oom++; next }
	/memcg-lru: expect-oom end/ { if (expect_oom) expect_oom--; next }
	function splat(what) {
		printf "check-log: %s at line %d: %s\n", what, NR, $0
		found++
	}
	msg ~ /^WARNING: / { splat("WARNING"); next }
	msg ~ /^(kernel )?BUG[: ]/ { splat("BUG"); next }
	msg ~ /^Oops: / || msg ~ /^general protection fault/ { splat("Oops"); next }
	msg ~ /^Kernel panic/ { splat("panic"); next }
	msg ~ /possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|lock held when returning|possible irq lock inversion|bad unlock balance/ { splat("lockdep"); next }
	msg ~ /^(BUG: )?KASAN: / || msg ~ /^UBSAN: / { splat("sanitizer"); next }
	msg ~ /^INFO: task .* blocked for more than/ { splat("hung task"); next }
	msg ~ /soft lockup - CPU#|hard LOCKUP/ { splat("lockup"); next }
	msg ~ /rcu: INFO: rcu_.* detected (stalls|expedited stalls)|rcu_.* self-detected stall/ { splat("RCU stall"); next }
	msg ~ /invoked oom-killer|Out of memory|Memory cgroup out of memory|oom_reaper: reaped/ {
		if (!expect_oom) splat("unexpected OOM kill")
		next
	}
	END { exit found ? 1 : 0 }
' "$log" | head -n 20
exit "${PIPESTATUS[0]}"
