#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test command (make test): checkpatch, apply, bisect build, kernel,
# module and selftest build, harness self-checks, then one boot of the
# patched debug kernel (lockdep, DEBUG_VM) running every KUnit case,
# selftest case and module case, and a second boot with the cgroup v1
# memory controller for the selftests tagged v1 in run_tests.list.  Both
# boots have two NUMA nodes (numa=fake=2).  Prints
# TAP and ends with one line "N passed, N failed, N skipped"; exits non-zero
# on any failure.  "0 failed" needs every planned line of every step and
# both guests, and both guests' exit status 0 (verdict.sh).
#
#   TEST_GROUPS="kunit selftests module"  what the first boot runs (all);
#                                         the v1 boot runs only with selftests
#   SELFTESTS="test_a ..."                only these selftest binaries
#   SELFTEST_TIMEOUT=S, LRU_*, REPARENT_*, ZSWAP_*, FAULTS_* (the selftests' knobs)
#                                         passed into the guests' environment
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verdict.sh"

[ "${DRY_RUN:-0}" = 1 ] && die "make test does not support DRY_RUN=1"
S=$ROOT/scripts
started=$(date +%s)
groups=${TEST_GROUPS:-kunit selftests module}

# The guests' results files, for the failure digest at the end.
digests=()

finish() {
	echo "1..$n"
	local r
	for r in "${digests[@]}"; do
		failure_digest "${r%%|*}" "${r#*|}" | head -n 40
	done
	echo "# make test took $(( $(date +%s) - started ))s; logs under build/logs"
	echo "$pass passed, $fail failed, $skip skipped"
	[ $fail = 0 ]
	exit
}

echo "TAP version 13"
echo "# memcg-lru on Linux $BASE_VERSION (series tested on $TESTED_VERSION), profile $PROFILE"
step "host packages" "$S/deps.sh" || finish
step "base tree $BASE_VERSION" "$S/base.sh" || finish
produce "checkpatch" "$S/checkpatch.sh"
step "apply patches/series" "$S/apply.sh" || finish
produce "kconfig" "$S/kconfig-check.sh"
step "kernel build ($KIND-$PROFILE)" "$S/build.sh" kernel || finish
produce "bisect" "$S/bisect.sh"
step "test module build" "$S/build.sh" module
step "selftests build" "$S/build.sh" selftests
step "initramfs" "$S/initramfs.sh" || finish
produce "harness self-checks" "$S/harness-selftest.sh"

# The guest run: every test inside one boot.  Its TAP comes back on the
# results port; each top-level line becomes one of ours.
genv=$(guest_env)
# Both boots have two NUMA nodes (numa=fake=2 splits the guest's RAM in
# two), so that the per-node paths run in CI: reparenting every node's
# lruvecs and walking every node's page frames (both boots); zswap's
# per-node lists, a store at memory.zswap.max writing back other nodes'
# entries, the shrink worker's walk of every node (this boot: test_zswap
# is cgroup v2 only).
numa="numa=fake=2"
# Poison freed objects of the kmalloc caches struct mem_cgroup comes from:
# a list still threaded through a freed memcg (a deferred split queue, say)
# then fails list debugging instead of going unnoticed.  No slab merging:
# destroying a cache that was merged with another one does not check it for
# objects left over (test_zswap_migrate relies on that check).
poison="slub_debug=P,kmalloc-1k,kmalloc-2k,kmalloc-4k,kmalloc-8k slab_nomerge"
VM_TIMEOUT=${VM_TIMEOUT:-2400} VM_STREAM_PREFIX='# guest: ' \
	VM_APPEND="$numa $poison ${VM_APPEND:-}" \
	"$S/vm.sh" -n test -c "${genv}run-tests $groups"
vmrc=$?
res=$LOGS/test-$KIND-$PROFILE/results.log
guest_verdict "$res" $vmrc "" "guest run"
digests+=("$res|")

# Second boot: the cgroup v1 memory controller, for the selftests tagged
# v1; their cases for cgroup v2 are left to the first boot and the reverse.
case " $groups " in *" selftests "*) ;; *) finish ;; esac
VM_TIMEOUT=${VM_TIMEOUT:-2400} VM_STREAM_PREFIX='# guest-v1: ' \
	VM_APPEND="memcg_lru.cgroup=v1 $numa $poison ${VM_APPEND:-}" \
	"$S/vm.sh" -n test-v1 -c "${genv}run-tests selftests"
vmrc=$?
res1=$LOGS/test-v1-$KIND-$PROFILE/results.log
guest_verdict "$res1" $vmrc "v1: " "guest run (cgroup v1)"
digests+=("$res1|v1: ")
other_boot_check "$res" "$res1" ""
other_boot_check "$res1" "$res" "v1: "
finish
