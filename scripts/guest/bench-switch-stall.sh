#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Reclaim stall of one memcg while 2000 others switch LRUs (wall clock; see
# selftests/memcg_lru/bench_switch_stall.c).
exec /opt/memcg-lru/selftests/memcg_lru/bench_switch_stall
