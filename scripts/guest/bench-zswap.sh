#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmark rows of memcg-aware zswap (see selftests/memcg_lru/bench_zswap.c):
# store/load latency, writeback throughput and whose entries are written
# back, once with zbud (plain metric names) and once with zsmalloc
# (metrics suffixed _zsmalloc).  BENCH_ZSWAP_MB sizes the latency memcg
# (default 64).
rc=0
for zpool in zbud zsmalloc; do
	/opt/memcg-lru/selftests/memcg_lru/bench_zswap $zpool || rc=1
done
exit $rc
