#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch.sh [PATCH...]: scripts/checkpatch.pl --strict from the base tree
# on every patch of the series (or the ones named).  Prints one TAP-style
# line per patch; exits non-zero if any patch has an error, warning or check.
. "$(dirname "$0")/lib.sh"

[ -x "$SRC_BASE/scripts/checkpatch.pl" ] || die "${SRC_BASE#$ROOT/} missing: make base"
if [ $# -gt 0 ]; then
	list=("$@")
else
	mapfile -t list < <(series_patches)
fi
bad=0
for p in "${list[@]}"; do
	f=$p
	[ -f "$f" ] || f=$PATCHES/$p
	# Debian's python3 first: spdxcheck.py needs its python3-ply.
	# The base tree is a release tarball without git history, so checkpatch
	# cannot look up the ids in Fixes: tags and "commit <id>" references
	# (UNKNOWN_COMMIT_ID); their form is still checked (GIT_COMMIT_ID), and
	# the ids themselves were checked against mainline by hand.
	out=$(cd "$SRC_BASE" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict \
		--color=never --show-types --ignore UNKNOWN_COMMIT_ID "$f" 2>&1)
	if printf '%s\n' "$out" | grep '^total: 0 errors, 0 warnings, 0 checks' >/dev/null; then
		echo "ok - checkpatch: $(basename "$f")"
	else
		echo "not ok - checkpatch: $(basename "$f")"
		printf '%s\n' "$out" | sed 's/^/# /'
		bad=1
	fi
done
exit $bad
