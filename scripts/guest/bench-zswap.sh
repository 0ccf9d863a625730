#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmark rows of memcg-aware zswap (see selftests/memcg_lru/bench_zswap.c):
# store/load latency, writeback throughput and whose entries are written
# back, and store latency with the zswap shrinker off and on, once with
# zbud (plain metric names) and once each with zsmalloc and z3fold
# (metrics suffixed _zsmalloc, _z3fold).  BENCH_ZSWAP_MB sizes the
# latency memcg (default 64).
rc=0
for zpool in zbud zsmalloc z3fold; do
	/opt/memcg-lru/selftests/memcg_lru/bench_zswap $zpool || rc=1
done
exit $rc
