#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bisectability: for k = 1..N, the tree with patches 1..k applied must build
# the objects patch k touches (every touched .c file's object; mm/ when it
# touches only headers).  vmlinux with all N applied is the main build.
# Runs in its own tree and object dir, configured like $OBJ; the result is
# remembered per series and config, so an unchanged series is not rebuilt.
. "$(dirname "$0")/lib.sh"

mapfile -t LIST < <(series_patches)
if [ ${#LIST[@]} = 0 ]; then
	echo "ok - bisect: series is empty # SKIP nothing to bisect"
	exit 0
fi
[ -f "$OBJ/.config" ] || die "${OBJ#$ROOT/} is not configured: make build first"

bsrc=$BUILD/src/linux-$BASE_VERSION-bisect
bobj=$BUILD/obj/bisect-$PROFILE
sum=$( (cd "$PATCHES" && cat series "${LIST[@]}"; cat "$OBJ/.config") | sha1sum | cut -c1-40)
if [ "$(cat "$bobj/.memcg-lru-bisect-ok" 2>/dev/null)" = "$sum" ]; then
	for p in "${LIST[@]}"; do echo "ok - bisect: $p (unchanged since last pass)"; done
	exit 0
fi

rm -f "$bobj/.memcg-lru-bisect-ok"
mkdir -p "$bobj"
cp "$OBJ/.config" "$bobj/.config"
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"

# bisect_tree DIR: the base, hard-linked, with the patches pushed one by
# one, building what each touches.  Fails if any step failed.
bisect_tree() {
	local bsrc=$1 bad=0 k=0 p f inc out files targets
	bmake() { make -s -C "$bsrc" O="$bobj" -j"$JOBS" CC="$cc" LOCALVERSION= "$@"; }

	cp -al "$SRC_BASE" "$bsrc" || return 1
	for p in "${LIST[@]}"; do
		k=$((k + 1))
		if ! out=$(cd "$bsrc" && QUILT_PATCHES=$PATCHES quilt push -q 2>&1); then
			echo "not ok - bisect: $p does not apply on top of patches 1..$((k - 1))"
			printf '%s\n' "$out" | sed 's/^/# /'
			return 1
		fi
		mapfile -t files < <(cd "$bsrc" && QUILT_PATCHES=$PATCHES quilt files "$p")
		mapfile -t files < <(printf '%s\n' "${files[@]}" | sort -u)
		targets=()
		for f in "${files[@]}"; do
			case $f in
			tools/*|Documentation/*|scripts/*) ;;
			*.c)
				# A .c file #included by another (as KUnit suites
				# often are) is built through its includer.
				if grep -qs "$(basename "${f%.c}").o" "$bsrc/$(dirname "$f")/Makefile" ||
				   [ ! -e "$bsrc/$f" ]; then
					targets+=("${f%.c}.o")
				else
					for inc in $(grep -l "#include \"${f##*/}\"" "$bsrc/$(dirname "$f")"/*.c); do
						targets+=("$(dirname "$f")/$(basename "${inc%.c}").o")
					done
				fi ;;
			esac
		done
		if [ ${#targets[@]} = 0 ]; then
			printf '%s\n' "${files[@]}" | grep '\.h$' >/dev/null && targets=(mm/)
		fi
		if [ ${#targets[@]} = 0 ]; then
			echo "ok - bisect: $p ($k/${#LIST[@]}) # SKIP touches no code"
			continue
		fi
		mapfile -t targets < <(printf '%s\n' "${targets[@]}" | sort -u)
		# Options a later patch adds are dropped by olddefconfig while the
		# tree lacks them: start from the full config at every step.
		cp "$OBJ/.config" "$bobj/.config"
		if out=$(bmake olddefconfig 2>&1 && bmake "${targets[@]}" 2>&1) &&
		   ! printf '%s\n' "$out" | grep 'warning:' >/dev/null; then
			echo "ok - bisect: $p ($k/${#LIST[@]}) builds ${targets[*]}"
		else
			echo "not ok - bisect: $p ($k/${#LIST[@]}) does not build ${targets[*]} cleanly"
			printf '%s\n' "$out" | grep -E 'error|warning' | head -20 | sed 's/^/# /'
			bad=1
		fi
	done
	return $bad
}

# Built in $bsrc.tmp, renamed when every step passed (build_dir).
build_dir "$bsrc" bisect_tree || exit 1
echo "$sum" > "$bobj/.memcg-lru-bisect-ok"
