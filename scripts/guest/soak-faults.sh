#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Long version of the allocation-failure test (make soak):
#   SOAK_FAULTS_ROUNDS        rounds of each case of test_faults (default
#                             50; make test runs 3)
#   SOAK_FAULTS_PROBABILITY   percent of the marked tasks' allocations that
#                             fail while a case is armed (default 20)
cd /opt/memcg-lru/selftests/memcg_lru || exit 1
# Its switch case reads the module's check_lruvecs; unload it again
# afterwards, so that run-tests finds the guest as it expects.
insmod /opt/memcg-lru/modules/memcg_lru_test.ko || exit 1
FAULTS_ROUNDS=${SOAK_FAULTS_ROUNDS:-50} \
FAULTS_PROBABILITY=${SOAK_FAULTS_PROBABILITY:-20} ./test_faults
rc=$?
# removed memcgs dead, none of their pages on an LRU, lruvecs consistent
"$(dirname "$0")"/soak-after || rc=1
rmmod memcg_lru_test || rc=1
exit $rc
