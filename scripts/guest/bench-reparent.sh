#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmark rows of memcg reparenting (see selftests/memcg_lru/bench_reparent.c):
# BENCH_REPARENT_CYCLES mkdir/write/rmdir cycles (default 500).
exec /opt/memcg-lru/selftests/memcg_lru/bench_reparent
