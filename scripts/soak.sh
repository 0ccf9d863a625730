#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make soak: the long versions of the tests, in two boots of the patched
# kernel, both with two NUMA nodes (numa=fake=2): cgroup v2, then the
# cgroup v1 memory controller.  In each boot the guest (run-soak) runs the
# soak parts, each one TAP line with its run time, then SOAK_ROUNDS rounds
# of the whole guest suite (run-tests: KUnit, selftests and module cases on
# v2; the v1-tagged selftests on v1).  Any kernel splat (KASAN, lockdep,
# DEBUG_VM, hung task, RCU stall) or an OOM kill no test expected fails the
# boot.  Ends with "N passed, N failed, N skipped" and writes the rows of
# README.md's Reliability table to build/logs/soak-summary.md.
#
#   PROFILE=debug (default)  lockdep, DEBUG_VM, fault injection; full counts
#   PROFILE=kasan            the same plus KASAN; reduced default counts
#   SOAK_BOOTS="v2 v1"       which boots
#   SOAK_PARTS="switch reparent zswap faults"   which soak parts (v1 skips zswap)
#   SOAK_ROUNDS=N            rounds of the whole suite per boot
#   SOAK_SWITCH_TOGGLES, SOAK_STORM_TOGGLES, SOAK_WB_TOGGLES,
#   SOAK_REPARENT_CYCLES, SOAK_STORM_S, SOAK_HOTPLUG_S, SOAK_ZSWAP_S, SOAK_SWAPOFF_CYCLES,
#   SOAK_FAULTS_ROUNDS, SOAK_FAULTS_PROBABILITY    the counts (see below)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verdict.sh"

S=$ROOT/scripts
started=$(date +%s)

# soak_default NAME FULL REDUCED: the count unless set; REDUCED under KASAN
# (several times slower under TCG), FULL sized for about an hour a part on
# two cores.
soak_default() {
	local v=$2

	# set by the caller: named in the Reliability row's command
	[ -n "$(eval echo "\${$1:-}")" ] && soak_given="$soak_given $1"
	[ "$PROFILE" = kasan ] && v=$3
	eval "export $1=\${$1:-$v}"
}
soak_default SOAK_SWITCH_TOGGLES 10000 300	# toggles under memcg pressure
soak_default SOAK_STORM_TOGGLES 5000 300	# back-to-back toggles
soak_default SOAK_WB_TOGGLES 1000 100		# toggles of the writeback load
soak_default SOAK_REPARENT_CYCLES 10000 300	# cgroup create/populate/remove cycles
soak_default SOAK_STORM_S 60 10			# the delegated recharge storm
soak_default SOAK_HOTPLUG_S 600 120		# CPU 1 hotplug racing stock drains
soak_default SOAK_ZSWAP_S 3600 300		# zswap integrity checker, in all
soak_default SOAK_SWAPOFF_CYCLES 100 10		# swapoff/swapon racing writeback
soak_default SOAK_FAULTS_ROUNDS 50 3		# rounds of test_faults
soak_default SOAK_FAULTS_PROBABILITY 20 20	# percent of the marked tasks' allocations
soak_default SOAK_ROUNDS 1 1			# rounds of the whole suite
[ -n "${SOAK_PARTS:-}" ] && soak_given="$soak_given SOAK_PARTS"
export SOAK_PARTS=${SOAK_PARTS:-switch reparent zswap faults}
boots=${SOAK_BOOTS:-v2 v1}

finish() {
	echo "1..$n"
	echo "# make soak took $(( $(date +%s) - started ))s; logs under build/logs"
	echo "$pass passed, $fail failed, $skip skipped"
	[ $fail = 0 ]
	exit
}

echo "TAP version 13"
echo "# memcg-lru make soak on Linux $BASE_VERSION, profile $PROFILE"
env | grep -E '^SOAK_' | sort | sed 's/^/# /'
step "host packages" "$S/deps.sh" || finish
step "base tree $BASE_VERSION" "$S/base.sh" || finish
step "apply patches/series" "$S/apply.sh" || finish
step "kernel build ($KIND-$PROFILE)" "$S/build.sh" kernel || finish
step "test module build" "$S/build.sh" module || finish
step "selftests build" "$S/build.sh" selftests || finish
step "initramfs" "$S/initramfs.sh" || finish

genv=$(env | grep -E '^(SOAK_|SELFTEST_TIMEOUT=)' |
	while IFS= read -r kv; do printf "export %s='%s'; " "${kv%%=*}" "${kv#*=}"; done)
poison="slub_debug=P,kmalloc-1k,kmalloc-2k,kmalloc-4k,kmalloc-8k slab_nomerge"
summary=$LOGS/soak-summary.md
mkdir -p "$LOGS"
# The row names only the parts that ran, and its command the SOAK_* set
# on this command line (the defaults follow from PROFILE).
counts=
for part in $SOAK_PARTS; do
	case $part in
	switch) counts="$counts, toggles $SOAK_SWITCH_TOGGLES+$SOAK_STORM_TOGGLES+$SOAK_WB_TOGGLES" ;;
	reparent) counts="$counts, cycles $SOAK_REPARENT_CYCLES + ${SOAK_STORM_S}s storm + ${SOAK_HOTPLUG_S}s hotplug" ;;
	zswap) counts="$counts, zswap ${SOAK_ZSWAP_S}s + $SOAK_SWAPOFF_CYCLES swapoffs" ;;
	faults) counts="$counts, faults $SOAK_FAULTS_ROUNDS x $SOAK_FAULTS_PROBABILITY%" ;;
	esac
done
counts="${counts#, }${counts:+, }suite x$SOAK_ROUNDS"
given=$(printf '%s\n' $soak_given | sort -u | while read -r v; do
	[ -n "$v" ] && printf ' %s="%s"' "$v" "$(eval echo "\$$v")"; done)
for b in $boots; do
	case $b in
	v1) append="memcg_lru.cgroup=v1" ;;
	v2) append= ;;
	*) result fail "SOAK_BOOTS: unknown boot $b"; continue ;;
	esac
	f0=$fail
	VM_TIMEOUT=${VM_TIMEOUT:-14400} VM_STREAM_PREFIX="# soak-$b: " \
		VM_APPEND="$append numa=fake=2 $poison ${VM_APPEND:-}" \
		"$S/vm.sh" -n "soak-$b" -c "${genv}run-soak"
	vmrc=$?
	dir=$LOGS/soak-$b-$KIND-$PROFILE
	guest_verdict "$dir/results.log" $vmrc "$b: " "soak boot ($b)"
	secs=$(cut -d. -f1 "$dir/wall-seconds" 2>/dev/null)
	verdict="pass"
	[ $fail = "$f0" ] || verdict="**fail** ($((fail - f0)) lines)"
	printf '| %s | %s | %s, 2 nodes | %s | %s | %s | `make soak PROFILE=%s SOAK_BOOTS=%s` |\n' \
		"$(date -u +%F)" "$PROFILE" "$b" "$counts" "${secs:-?} s" "$verdict" \
		"$PROFILE" "$b$given" >> "$summary"
done
echo "# Reliability rows appended to ${summary#$ROOT/}"
finish
