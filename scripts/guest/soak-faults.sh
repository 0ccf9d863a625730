#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Long version of the fault-injection test (make soak):
#   SOAK_FAULTS_ROUNDS        rounds of test_faults (default 50)
#   SOAK_FAULTS_PROBABILITY   percent of the armed allocations that fail (10)
cd /opt/memcg-lru/selftests/memcg_lru || exit 1
# test_faults reads the module's check_lruvecs and reparent_check.
insmod /opt/memcg-lru/modules/memcg_lru_test.ko || exit 1
FAULTS_ROUNDS=${SOAK_FAULTS_ROUNDS:-50} \
FAULTS_PROBABILITY=${SOAK_FAULTS_PROBABILITY:-10} ./test_faults
rc=$?
rmmod memcg_lru_test || rc=1
exit $rc
