#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmark rows of the read side of the MGLRU switch lock (see
# selftests/memcg_lru/bench_readside.c): memory.reclaim over
# BENCH_READSIDE_MEMCGS nearly empty memcgs (default 2000, median of
# BENCH_READSIDE_REPS writes, default 5), memory.reclaim of 512 MiB of page
# cache, and 1 GiB of page cache read hits.  CPU work: make bench runs it
# under icount (qemu -icount), where the figures repeat to well under 1%.
exec /opt/memcg-lru/selftests/memcg_lru/bench_readside
