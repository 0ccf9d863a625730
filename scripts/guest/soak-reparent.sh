#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Long version of the reparenting churn (make soak):
#   SOAK_REPARENT_CYCLES  create/populate/rmdir cycles of test_reparent_churn,
#                         with lru_gen/enabled toggled meanwhile (default 10000)
#   SOAK_STORM_S          seconds of test_recharge's delegated read storm
#                         (default 60; make test runs 10)
#   SOAK_HOTPLUG_S        seconds of test_reparent_hotplug's race case: memcgs
#                         charged on CPU 1 removed while CPU 1 goes offline
#                         and back (default 600; make test runs 60)
cd /opt/memcg-lru/selftests/memcg_lru || exit 1
# The churn reads the module's reparent_check and check_lruvecs; unload it
# again afterwards, so that run-tests finds the guest as it expects.
insmod /opt/memcg-lru/modules/memcg_lru_test.ko || exit 1
REPARENT_CHURN_CYCLES=${SOAK_REPARENT_CYCLES:-10000} ./test_reparent_churn
rc=$?
REPARENT_STORM_S=${SOAK_STORM_S:-60} ./test_recharge || rc=1
REPARENT_HOTPLUG_SECONDS=${SOAK_HOTPLUG_S:-600} ./test_reparent_hotplug || rc=1
# removed memcgs dead, none of their pages on an LRU, lruvecs consistent
"$(dirname "$0")"/soak-after || rc=1
rmmod memcg_lru_test || rc=1
exit $rc
