#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmark rows of the MGLRU switch (see selftests/memcg_lru/bench_lru_switch.c).
exec /opt/memcg-lru/selftests/memcg_lru/bench_lru_switch
