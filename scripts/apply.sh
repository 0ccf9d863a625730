#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Apply patches/series.
#
#   apply.sh              the harness tree: build/src/linux-<ver>-patched is
#                         made a hard-linked copy of the pristine base (cheap,
#                         and unchanged files keep their mtimes, so builds
#                         stay incremental) and the series is pushed with
#                         quilt.  Redone only when the series changed.
#   apply.sh KDIR         a user's tree: `git am` when KDIR is a git work
#                         tree, quilt otherwise.
#
# A patch that does not apply cleanly (rejects) fails, naming the patch;
# fuzz is reported.
. "$(dirname "$0")/lib.sh"

mapfile -t LIST < <(series_patches)

series_sum() {
	(cd "$PATCHES" && cat series "${LIST[@]}" 2>/dev/null) | sha1sum | cut -c1-40
}

# quilt_push DIR: push every patch of the series onto DIR, one at a time.
quilt_push() {
	local dir=$1 p out n=0

	for p in "${LIST[@]}"; do
		n=$((n + 1))
		[ -f "$PATCHES/$p" ] || die "patches/series lists $p, which does not exist"
		if ! out=$(cd "$dir" && QUILT_PATCHES=$PATCHES quilt push -q 2>&1); then
			printf '%s\n' "$out" >&2
			die "patch $n/${#LIST[@]} $p does not apply to ${dir#$ROOT/}"
		fi
		if printf '%s\n' "$out" | grep -q 'with fuzz'; then
			warn "patch $p applies with fuzz:"
			printf '%s\n' "$out" | grep 'with fuzz' >&2
		fi
	done
	log "applied ${#LIST[@]} patches to ${dir#$ROOT/}"
}

git_am() {
	local dir=$1 p n=0

	[ -z "$(git -C "$dir" status --porcelain --untracked-files=no)" ] ||
		die "$dir has uncommitted changes; commit or stash them first"
	for p in "${LIST[@]}"; do
		n=$((n + 1))
		if ! git -C "$dir" am -q "$PATCHES/$p"; then
			git -C "$dir" am --abort
			die "patch $n/${#LIST[@]} $p does not apply to $dir (git am); tree left as before it"
		fi
	done
	log "applied ${#LIST[@]} patches to $dir with git am"
}

if [ $# -ge 1 ]; then
	kdir=$(cd "$1" 2>/dev/null && pwd) || die "KDIR=$1 is not a directory"
	[ -f "$kdir/Makefile" ] && [ -d "$kdir/mm" ] || die "$kdir is not a kernel tree"
	log "target $kdir: $(make -s -C "$kdir" kernelversion 2>/dev/null); series tested on $TESTED_VERSION"
	if [ "$(git -C "$kdir" rev-parse --show-toplevel 2>/dev/null)" = "$kdir" ]; then
		git_am "$kdir"
	else
		command -v quilt >/dev/null || die "quilt is not installed (make deps)"
		[ -e "$kdir/.pc/applied-patches" ] &&
			die "$kdir already has quilt patches applied; pop them first"
		quilt_push "$kdir"
	fi
	exit 0
fi

[ -d "$SRC_BASE" ] || die "${SRC_BASE#$ROOT/} missing: run make base first"
sum=$(series_sum)
if [ -d "$SRC_PATCHED" ] && [ "$(cat "$SRC_PATCHED/.memcg-lru-series" 2>/dev/null)" = "$sum" ]; then
	exit 0
fi
log "applying patches/series (${#LIST[@]} patches) to a copy of ${SRC_BASE#$ROOT/}"
rm -rf "$SRC_PATCHED"
cp -al "$SRC_BASE" "$SRC_PATCHED.tmp"
quilt_push "$SRC_PATCHED.tmp"
echo "$sum" > "$SRC_PATCHED.tmp/.memcg-lru-series"
rm -f "$SRC_PATCHED.tmp/.memcg-lru-deb"
cp "$SRC_BASE/.memcg-lru-deb" "$SRC_PATCHED.tmp/.memcg-lru-deb"
mv "$SRC_PATCHED.tmp" "$SRC_PATCHED"
