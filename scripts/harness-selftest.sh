#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Checks of the harness itself, so that a green `make test` means something:
#  1. a patch that does not apply fails apply.sh with a message naming it;
#  2. a kernel WARNING raised inside the guest fails the VM run even though
#     the guest's own command succeeded.
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. A throwaway "kernel tree" and a series whose second patch is broken.
mkdir -p "$tmp/tree/mm" "$tmp/patches"
printf 'all:\n' > "$tmp/tree/Makefile"
printf 'one\ntwo\nthree\n' > "$tmp/tree/mm/file.c"
cat > "$tmp/patches/0001-good.patch" <<'P'
--- a/mm/file.c
+++ b/mm/file.c
@@ -1,3 +1,3 @@
 one
-two
+TWO
 three
P
cat > "$tmp/patches/0002-broken.patch" <<'P'
--- a/mm/file.c
+++ b/mm/file.c
@@ -1,3 +1,3 @@
 one
-this line is not there
+four
 three
P
printf '0001-good.patch\n0002-broken.patch\n' > "$tmp/patches/series"
out=$(PATCHES_DIR=$tmp/patches "$ROOT/scripts/apply.sh" "$tmp/tree" 2>&1)
rc=$?
if [ $rc != 0 ] && printf '%s\n' "$out" | grep -q 'ERROR: patch 2/2 0002-broken.patch does not apply'; then
	echo "ok - harness: a patch that does not apply fails, named"
else
	echo "not ok - harness: a patch that does not apply fails, named"
	printf '%s\n' "$out" | sed 's/^/# /'
fi

# 2. WARN from the test module while the guest command itself exits 0.
out=$(VM_TIMEOUT=300 "$ROOT/scripts/vm.sh" -n harness-warn -c \
	'insmod /opt/memcg-lru/modules/memcg_lru_test.ko &&
	 echo 1 > /sys/kernel/debug/memcg_lru_test/trigger_warn' 2>&1)
rc=$?
if [ $rc = 125 ] && printf '%s\n' "$out" | grep -q 'check-log: WARNING'; then
	echo "ok - harness: a WARNING in the guest fails the run"
else
	echo "not ok - harness: a WARNING in the guest fails the run (vm.sh exit $rc)"
	printf '%s\n' "$out" | sed 's/^/# /'
fi
