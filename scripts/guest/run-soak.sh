#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of make soak: each part in SOAK_PARTS (soak-PART, with its
# counts from SOAK_* variables) as one TAP line with its run time, then
# SOAK_ROUNDS rounds of run-tests, whose lines become "round R: NAME".
# The plan comes last; the exit status is 0 only if everything passed.
# Test seam: RUN_SOAK_BIN, where soak-PART is (/opt/memcg-lru/bin); run-tests
# is taken from PATH.
n=0 rc=0
bindir=${RUN_SOAK_BIN:-/opt/memcg-lru/bin}
cgroup=v2
grep -q 'memcg_lru.cgroup=v1' /proc/cmdline && cgroup=v1

tap() {	# tap STATUS NAME
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n $2"; else echo "not ok $n $2"; rc=1; fi
}

for part in ${SOAK_PARTS:-switch reparent zswap faults}; do
	bin=$bindir/soak-$part
	if [ $cgroup = v1 ] && [ $part = zswap ]; then
		echo "# soak $part: cgroup v2 only (memory.zswap.*), not run on v1"
		continue
	fi
	if [ ! -x "$bin" ]; then
		tap fail "soak $part: no $bin"
		continue
	fi
	start=$(date +%s)
	{ "$bin"; echo "soak-exit=$?"; } 2>&1 | tee /tmp/soak-$part.out |
		awk '{ print "# " $0; fflush() }'
	st=$(sed -n 's/^soak-exit=//p' /tmp/soak-$part.out)
	if [ "$st" = 0 ] && ! grep -q '^not ok' /tmp/soak-$part.out; then
		tap ok "soak $part ($cgroup, $(( $(date +%s) - start )) s)"
	else
		tap fail "soak $part ($cgroup, $(( $(date +%s) - start )) s, exit $st)"
	fi
done

what="kunit selftests module"
[ $cgroup = v1 ] && what=selftests
r=0
while [ $r -lt "${SOAK_ROUNDS:-1}" ]; do
	r=$((r + 1))
	# Shown as it comes (diagnostics), renumbered once the round is over.
	{ run-tests $what; echo "run-tests-exit=$?"; } 2>&1 | tee /tmp/soak-round.out |
		awk '{ print "# " $0; fflush() }'
	st=$(sed -n 's/^run-tests-exit=//p' /tmp/soak-round.out)
	while IFS= read -r line; do
		case $line in
		"ok "*) l=${line#ok }; tap ok "round $r: ${l#* }" ;;
		"not ok "*) l=${line#not ok }; tap fail "round $r: ${l#* }" ;;
		esac
	done < /tmp/soak-round.out
	[ "$st" = 0 ] || { echo "# round $r: run-tests exited ${st:-?}"; rc=1; }
done
echo "1..$n"
exit $rc
