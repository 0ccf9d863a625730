#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Long version of the zswap integrity check (make soak):
#   SOAK_ZSWAP_ROUNDS  rounds of test_zswap_integrity, per zpool (default 20)
# ZSWAP_CHECK_MEMCGS, ZSWAP_CHECK_MB and ZSWAP_ZPOOLS pass through.
cd /opt/memcg-lru/selftests/memcg_lru || exit 1
ZSWAP_CHECK_ROUNDS=${SOAK_ZSWAP_ROUNDS:-20} exec ./test_zswap_integrity
