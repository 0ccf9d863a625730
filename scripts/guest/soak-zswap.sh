#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Long version of the zswap integrity check (make soak):
#   SOAK_ZSWAP_S         seconds of test_zswap_integrity in all, shared by
#                        the zpools (default 3600): rounds with memcg churn,
#                        MGLRU toggles, CPU hotplug and memory.zswap.max
#                        changed every round (ZSWAP_CHECK_VARY_MAX)
#   SOAK_SWAPOFF_CYCLES  swapoff/swapon cycles racing writeback (default 100)
# ZSWAP_CHECK_MEMCGS, ZSWAP_CHECK_MB and ZSWAP_ZPOOLS pass through.
cd /opt/memcg-lru/selftests/memcg_lru || exit 1
zpools=${ZSWAP_ZPOOLS:-zbud zsmalloc z3fold}
nz=$(echo $zpools | wc -w)
# The swapoff cases use the test module's zswap_writeback_fail hook.
insmod /opt/memcg-lru/modules/memcg_lru_test.ko || exit 1
ZSWAP_ZPOOLS=$zpools ZSWAP_CHECK_SECONDS=$(( ${SOAK_ZSWAP_S:-3600} / nz )) \
ZSWAP_CHECK_VARY_MAX=1 ZSWAP_SWAPOFF_CYCLES=${SOAK_SWAPOFF_CYCLES:-100} \
	./test_zswap_integrity
rc=$?
# removed memcgs dead, none of their pages on an LRU, lruvecs consistent
"$(dirname "$0")"/soak-after || rc=1
rmmod memcg_lru_test || rc=1
exit $rc
