#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make soak: the long versions of the tests.  Each guest script
# scripts/guest/soak-*.sh runs with its counts taken from the environment
# (SOAK_* variables, documented in each script), under PROFILE (default
# debug; PROFILE=kasan adds KASAN).  SOAK_ROUNDS=N repeats the whole guest
# test suite N times in one boot (default 3).
. "$(dirname "$0")/lib.sh"

S=$ROOT/scripts
"$S/deps.sh" && "$S/base.sh" && "$S/apply.sh" && "$S/build.sh" all &&
	"$S/initramfs.sh" || exit 1

job=$LOGS/soak-job.sh
mkdir -p "$LOGS"
{
	env | grep -E '^SOAK_' | sed 's/^/export /'
	echo "rounds=${SOAK_ROUNDS:-3} rc=0"
	echo 'for s in /opt/memcg-lru/bin/soak-*; do [ -x "$s" ] && { "$s" || rc=1; }; done'
	echo 'i=0; while [ $i -lt $rounds ]; do i=$((i + 1)); echo "# round $i"; run-tests || rc=1; done'
	echo 'exit $rc'
} > "$job"
VM_TIMEOUT=${VM_TIMEOUT:-14400} "$S/vm.sh" -n soak -s "$job"
