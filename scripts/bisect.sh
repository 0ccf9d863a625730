#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bisectability and static checks: for k = 1..N, the tree with patches 1..k
# applied must build the objects patch k touches (every touched .c file's
# object; mm/ when it touches only headers), with W=1 and, for the touched
# .c files, sparse (C=2), and no warning that the base does not have too.
# The base's warnings are taken first, from the same objects built the same
# way before any patch is pushed; a warning is compared by file and text,
# without its line number, so code that moved does not count as new.  vmlinux
# with all N applied is the main build.  Runs in its own tree and object dir,
# configured like $OBJ; the result is remembered per series and config, so
# an unchanged series is not rebuilt.
. "$(dirname "$0")/lib.sh"

mapfile -t LIST < <(series_patches)
if [ ${#LIST[@]} = 0 ]; then
	echo "ok - bisect: series is empty # SKIP nothing to bisect"
	exit 0
fi
[ -f "$OBJ/.config" ] || die "${OBJ#$ROOT/} is not configured: make build first"

bsrc=$BUILD/src/linux-$BASE_VERSION-bisect
bobj=$BUILD/obj/bisect-$PROFILE
sum=$( (echo static-checks-1; cd "$PATCHES" && cat series "${LIST[@]}"; cat "$OBJ/.config") |
	sha1sum | cut -c1-40)
if [ "$(cat "$bobj/.memcg-lru-bisect-ok" 2>/dev/null)" = "$sum" ]; then
	for p in "${LIST[@]}"; do echo "ok - bisect: $p (unchanged since last pass)"; done
	exit 0
fi

rm -f "$bobj/.memcg-lru-bisect-ok"
mkdir -p "$bobj"
cp "$OBJ/.config" "$bobj/.config"
cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"
command -v sparse >/dev/null || die "sparse missing (make deps)"

# targets_of PATCH: the objects to build for PATCH in tree $bsrc (see above).
targets_of() {
	local f inc files=()

	mapfile -t files < <(cd "$bsrc" && QUILT_PATCHES=$PATCHES quilt files "$1" 2>/dev/null ||
			     sed -n 's,^+++ b/,,p' "$PATCHES/$1")
	for f in $(printf '%s\n' "${files[@]}" | sort -u); do
		case $f in
		tools/*|Documentation/*|scripts/*) ;;
		*.c)
			# A .c file #included by another (as KUnit suites
			# often are) is built through its includer.
			if grep -qs "$(basename "${f%.c}").o" "$bsrc/$(dirname "$f")/Makefile" ||
			   [ ! -e "$bsrc/$f" ]; then
				echo "${f%.c}.o"
			else
				for inc in $(grep -l "#include \"${f##*/}\"" "$bsrc/$(dirname "$f")"/*.c); do
					echo "$(dirname "$f")/$(basename "${inc%.c}").o"
				done
			fi ;;
		*.h) echo "HEADER" ;;
		esac
	done | sort -u
}

# bisect_tree DIR: the base, hard-linked, with the patches pushed one by
# one, building what each touches.  Fails if any step failed.
bisect_tree() {
	local bsrc=$1 bad=0 k=0 p out new targets
	bmake() { make -s -C "$bsrc" O="$bobj" -j"$JOBS" CC="$cc" LOCALVERSION= "$@"; }

	cp -al "$SRC_BASE" "$bsrc" || return 1

	# The base's warnings, from every object a patch builds, the same way.
	local all=() ctargets base_warn=$bobj/.base-warnings
	for p in "${LIST[@]}"; do
		all+=($(targets_of "$p" | grep -v HEADER))
	done
	mapfile -t all < <(printf '%s\n' "${all[@]}" | sort -u | while read -r f; do
		[ -e "$bsrc/${f%.o}.c" ] && echo "$f"; done)
	cp "$OBJ/.config" "$bobj/.config"
	if ! out=$(bmake olddefconfig 2>&1 && { bmake W=1 mm/ 2>&1 &&
		   bmake W=1 C=2 "${all[@]}" 2>&1; }); then
		echo "not ok - bisect: the base does not build with W=1 and sparse"
		printf '%s\n' "$out" | grep -E 'error' | head -20 | sed 's/^/# /'
		return 1
	fi
	printf '%s\n' "$out" | build_warnings > "$base_warn"
	echo "# static checks: the base has $(wc -l < "$base_warn") warnings (W=1, sparse) in mm/ and ${all[*]}"

	for p in "${LIST[@]}"; do
		k=$((k + 1))
		if ! out=$(cd "$bsrc" && QUILT_PATCHES=$PATCHES quilt push -q 2>&1); then
			echo "not ok - bisect: $p does not apply on top of patches 1..$((k - 1))"
			printf '%s\n' "$out" | sed 's/^/# /'
			return 1
		fi
		mapfile -t targets < <(targets_of "$p")
		if printf '%s\n' "${targets[@]}" | grep -qx HEADER; then
			mapfile -t targets < <(printf '%s\n' "${targets[@]}" | grep -vx HEADER)
			[ ${#targets[@]} = 0 ] && targets=(mm/)
		fi
		if [ ${#targets[@]} = 0 ]; then
			echo "ok - bisect: $p ($k/${#LIST[@]}) # SKIP touches no code"
			continue
		fi
		mapfile -t ctargets < <(printf '%s\n' "${targets[@]}" | grep '\.o$')
		# Options a later patch adds are dropped by olddefconfig while the
		# tree lacks them: start from the full config at every step.
		cp "$OBJ/.config" "$bobj/.config"
		# sparse (C=2) on the touched .c files only: on all of mm/ it
		# would take longer than everything else here.
		if out=$(bmake olddefconfig 2>&1 && bmake W=1 "${targets[@]}" 2>&1 &&
			 { [ ${#ctargets[@]} = 0 ] || bmake W=1 C=2 "${ctargets[@]}" 2>&1; }); then
			new=$(printf '%s\n' "$out" | build_warnings | LC_ALL=C comm -23 - "$base_warn")
			if [ -z "$new" ]; then
				echo "ok - bisect: $p ($k/${#LIST[@]}) builds ${targets[*]}; W=1${ctargets:+ and sparse}: no new warnings"
			else
				echo "not ok - bisect: $p ($k/${#LIST[@]}) adds $(printf '%s\n' "$new" | wc -l) warnings (W=1${ctargets:+, sparse}) in ${targets[*]}"
				printf '%s\n' "$new" | head -20 | sed 's/^/# /'
				bad=1
			fi
		else
			echo "not ok - bisect: $p ($k/${#LIST[@]}) does not build ${targets[*]}"
			printf '%s\n' "$out" | grep -E 'error|warning' | head -20 | sed 's/^/# /'
			bad=1
		fi
	done
	return $bad
}

# Built in $bsrc.tmp, renamed when every step passed (build_dir).
build_dir "$bsrc" bisect_tree || exit 1
echo "$sum" > "$bobj/.memcg-lru-bisect-ok"
