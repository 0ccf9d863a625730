#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Long version of the MGLRU switch tests (make soak):
#   SOAK_SWITCH_TOGGLES  toggles under memcg pressure (default 10000)
#   SOAK_STORM_TOGGLES   back-to-back toggles of the storm (default 5000)
#   SOAK_WB_TOGGLES      toggles of the v1 writeback load (default 1000)
cd /opt/memcg-lru/selftests/memcg_lru || exit 1
# The storm reads the module's check_lruvecs; unload it again afterwards,
# so that run-tests finds the guest as it expects.
insmod /opt/memcg-lru/modules/memcg_lru_test.ko || exit 1
LRU_SWITCH_TOGGLES=${SOAK_SWITCH_TOGGLES:-10000} \
LRU_STORM_TOGGLES=${SOAK_STORM_TOGGLES:-5000} \
LRU_WB_TOGGLES=${SOAK_WB_TOGGLES:-1000} LRU_WB_DEADLINE_S=3600 \
	./test_lru_switch
rc=$?
# removed memcgs dead, none of their pages on an LRU, lruvecs consistent
"$(dirname "$0")"/soak-after || rc=1
rmmod memcg_lru_test || rc=1
exit $rc
