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
#                         tree, quilt otherwise.  Needs only git or quilt.
#                         A series already applied says so and succeeds; a
#                         patch that fails leaves KDIR as it was.
#
# A patch that does not apply cleanly (rejects) fails, naming the patch;
# fuzz is reported.  DRY_RUN=1 says what would be done.
. "$(dirname "$0")/lib.sh"

mapfile -t LIST < <(series_patches)
[ ${#LIST[@]} -gt 0 ] || die "patches/series lists no patch"
for p in "${LIST[@]}"; do
	[ -f "$PATCHES/$p" ] || die "patches/series lists $p, which does not exist"
done

series_sum() {
	(cd "$PATCHES" && cat series "${LIST[@]}" 2>/dev/null) | sha1sum | cut -c1-40
}

# quilt_push DIR: push every patch of the series onto DIR, one at a time;
# on failure print why and return 1 (pushed patches stay pushed).
quilt_push() {
	local dir=$1 p out n=0

	for p in "${LIST[@]}"; do
		n=$((n + 1))
		if ! out=$(cd "$dir" && QUILT_PATCHES=$PATCHES quilt push -q 2>&1); then
			printf '%s\n' "$out" >&2
			echo "ERROR: patch $n/${#LIST[@]} $p does not apply to ${dir#"$ROOT"/}" >&2
			return 1
		fi
		if printf '%s\n' "$out" | grep 'with fuzz' >/dev/null; then
			warn "patch $p applies with fuzz:"
			printf '%s\n' "$out" | grep 'with fuzz' >&2
		fi
	done
	log "applied ${#LIST[@]} patches to ${dir#"$ROOT"/}"
}

# The subjects git am gives the series' commits, one a line.
series_subjects() {
	local p
	for p in "${LIST[@]}"; do
		git mailinfo /dev/null /dev/null < "$PATCHES/$p" | sed -n 's/^Subject: //p'
	done
}

git_am() {
	local dir=$1 top subjects am next out
	git -C "$dir" var GIT_COMMITTER_IDENT > /dev/null 2>&1 ||
		die "git am needs a committer identity: git -C $dir config user.name 'Your Name' && git -C $dir config user.email you@example.org"
	am=$(git -C "$dir" rev-parse --git-path rebase-apply)
	case $am in /*) ;; *) am=$dir/$am ;; esac
	[ -d "$am" ] && die "$dir has a git am or rebase in progress: finish it or run git am --abort first"
	[ -z "$(git -C "$dir" status --porcelain --untracked-files=no)" ] ||
		die "$dir has uncommitted changes; commit or stash them first"

	subjects=$(series_subjects)
	top=$(git -C "$dir" log --format=%s -n ${#LIST[@]} | tac)
	if [ "$top" = "$subjects" ]; then
		log "patches/series is already applied to $dir (its last ${#LIST[@]} commits); nothing to do"
		exit 0
	fi
	if printf '%s\n' "$subjects" | grep -xF -- "$(git -C "$dir" log --format=%s -n 1)" >/dev/null; then
		die "$dir has part of the series on top (HEAD: $(git -C "$dir" log --format=%s -n 1)); reset it to the commit before the first patch"
	fi
	if [ "${DRY_RUN:-0}" = 1 ]; then
		echo "git -C $dir am$(printf ' %q' "${LIST[@]/#/$PATCHES/}")"
		exit 0
	fi
	# One git am for the whole series, so that --abort returns to where
	# the tree was before the first patch.
	if ! out=$(git -C "$dir" am -q "${LIST[@]/#/$PATCHES/}" 2>&1); then
		next=$(cat "$am/next" 2>/dev/null)
		git -C "$dir" am --abort
		# git's error, without its --continue/--skip hints: we aborted.
		printf '%s\n' "$out" | grep -vE '^hint:|git am --|When you have resolved|If you prefer to skip|To record the empty|To restore the original' >&2
		die "patch ${next:-?}/${#LIST[@]} ${LIST[${next:-1} - 1]} does not apply to $dir (git am); tree left as it was"
	fi
	log "applied ${#LIST[@]} patches to $dir with git am"
}

quilt_user_tree() {
	local dir=$1 first=$PATCHES/${LIST[0]} last=$PATCHES/${LIST[-1]} had_pc=0
	command -v quilt > /dev/null ||
		die "$dir is not a git work tree, and quilt is not installed: install quilt (apt-get install quilt), or apply to a git tree"
	if [ -e "$dir/.pc/applied-patches" ]; then
		if [ "$(cat "$dir/.pc/applied-patches")" = "$(printf '%s\n' "${LIST[@]}")" ]; then
			log "patches/series is already applied to $dir (quilt); nothing to do"
			exit 0
		fi
		die "$dir already has other quilt patches applied; quilt pop -a first"
	fi
	# Applied some other way: its patches reverse cleanly.
	if patch -d "$dir" -p1 -R --dry-run -s -f < "$last" > /dev/null 2>&1; then
		patch -d "$dir" -p1 -R --dry-run -s -f < "$first" > /dev/null 2>&1 &&
			{ log "patches/series is already applied to $dir (its patches reverse cleanly); nothing to do"; exit 0; }
	fi
	if [ "${DRY_RUN:-0}" = 1 ]; then
		echo "cd $dir && QUILT_PATCHES=$PATCHES quilt push -a"
		exit 0
	fi
	[ -d "$dir/.pc" ] && had_pc=1
	if ! quilt_push "$dir"; then
		# Leave the tree as it was: pop what was pushed.
		(cd "$dir" && QUILT_PATCHES=$PATCHES quilt pop -a -q > /dev/null 2>&1)
		[ $had_pc = 1 ] || rm -rf "$dir/.pc"
		die "patch series not applied; $dir left as it was"
	fi
}

if [ $# -ge 1 ]; then
	kdir=$(cd "$1" 2>/dev/null && pwd) || die "KDIR=$1 is not a directory"
	[ -f "$kdir/Makefile" ] && [ -d "$kdir/mm" ] || die "$kdir is not a kernel tree"
	log "target $kdir: $(make -s -C "$kdir" kernelversion 2>/dev/null); series tested on $TESTED_VERSION"
	if [ "$(git -C "$kdir" rev-parse --show-toplevel 2>/dev/null)" = "$kdir" ]; then
		git_am "$kdir"
	else
		quilt_user_tree "$kdir"
	fi
	exit 0
fi

[ -d "$SRC_BASE" ] || die "${SRC_BASE#"$ROOT"/} missing: run make base first"
sum=$(series_sum)
if [ -d "$SRC_PATCHED" ] && [ "$(cat "$SRC_PATCHED/.memcg-lru-series" 2>/dev/null)" = "$sum" ]; then
	exit 0
fi

# patch_tree DIR: the base, hard-linked, with the series pushed.
patch_tree() {
	cp -al "$SRC_BASE" "$1" || return 1
	quilt_push "$1" || return 1
	echo "$sum" > "$1/.memcg-lru-series"
	rm -f "$1/.memcg-lru-deb"
	cp "$SRC_BASE/.memcg-lru-deb" "$1/.memcg-lru-deb"
}

if [ "${DRY_RUN:-0}" = 1 ]; then
	echo "cp -al ${SRC_BASE#"$ROOT"/} ${SRC_PATCHED#"$ROOT"/}.tmp && (cd ${SRC_PATCHED#"$ROOT"/}.tmp && QUILT_PATCHES=$PATCHES quilt push -a) && mv ${SRC_PATCHED#"$ROOT"/}.tmp ${SRC_PATCHED#"$ROOT"/}"
	exit 0
fi
log "applying patches/series (${#LIST[@]} patches) to a copy of ${SRC_BASE#"$ROOT"/}"
build_dir "$SRC_PATCHED" patch_tree || die "patches/series does not apply; nothing changed in ${SRC_PATCHED#"$ROOT"/}"
