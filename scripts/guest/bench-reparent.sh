#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmark rows of memcg reparenting (see selftests/memcg_lru/bench_reparent.c):
# BENCH_REPARENT_CYCLES mkdir/write/rmdir cycles (default 500).  The test
# module gives the walk's own cost (reparent_walk_stats); without it (the
# base has no such file either) that row is left out.
insmod /opt/memcg-lru/modules/memcg_lru_test.ko 2>/dev/null
exec /opt/memcg-lru/selftests/memcg_lru/bench_reparent
