# SPDX-License-Identifier: GPL-2.0
# Common settings of the memcg-lru harness.  Sourced by every script in
# scripts/; nothing here has side effects beyond setting variables.
#
# Variables a user may set (make passes them through):
#   BASE=1        act on the unpatched base tree instead of the patched one
#   PROFILE=      kernel profile: debug (default), plain, kasan
#   VM_MEM=       guest memory, qemu -m (default 3G)
#   VM_CPUS=      guest CPUs, qemu -smp (default 2)
#   SCRATCH_SIZE= size of the scratch ext4 disk (default 2G)
#   SWAP_SIZE=    size of the swap disk (default 1G)
#   SLOW_BPS=     write rate of the slow ext4 disk, bytes/s (default 262144)
#   VM_TIMEOUT=   seconds before a guest is killed (default 1800)
#   KVM=1         use KVM instead of TCG (only when /dev/kvm works)
#   VM_ICOUNT=1   deterministic guest clock (qemu -icount), one CPU
#   DRY_RUN=1     print what would be done instead of doing it (deps, base,
#                 apply, vm; see README.md for the targets that take it)
#   JOBS=         parallel build jobs (default: number of CPUs)
# (README.md, "Settings", lists every variable, the tests' own included.)

set -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PATCHES=${PATCHES_DIR:-$ROOT/patches}
TESTED_VERSION=$(sed -e '/^#/d' -e '/^$/d' "$ROOT/scripts/base-version")
DEB_TARBALL=/usr/src/linux-source-6.1.tar.xz
JOBS=${JOBS:-$(nproc)}
PROFILE=${PROFILE:-debug}

if [ "${BASE:-0}" = 1 ]; then
	KIND=base
else
	KIND=patched
fi

log()  { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Debian revision of the installed linux-source-6.1 (e.g. 6.1.192-2).
deb_version() {
	dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null
}

# Upstream version of the base tree we build: what apt installed, or the
# tested version when the package is not there yet.
base_version() {
	local v
	v=$(deb_version)
	if [ -n "$v" ]; then
		echo "${v%%-*}"
	else
		echo "$TESTED_VERSION"
	fi
}

BASE_VERSION=$(base_version)
SRC_BASE=$BUILD/src/linux-$BASE_VERSION-base
SRC_PATCHED=$BUILD/src/linux-$BASE_VERSION-patched
if [ "$KIND" = base ]; then
	SRC=$SRC_BASE
	LOCALVERSION=-base-$PROFILE
else
	SRC=$SRC_PATCHED
	LOCALVERSION=-memcg-lru-$PROFILE
fi
OBJ=$BUILD/obj/$KIND-$PROFILE
MODOBJ=$BUILD/module/$KIND-$PROFILE
STOBJ=$BUILD/selftests/$KIND
INITRAMFS=$BUILD/initramfs/$KIND-$PROFILE.cpio.gz
LOGS=$BUILD/logs

# Patches named in patches/series, in order, comments and blank lines dropped.
series_patches() {
	[ -f "$PATCHES/series" ] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]].*//' -e '/^$/d' "$PATCHES/series"
}

# build_dir DIR FUNC [ARGS...]: make DIR by running FUNC DIR.tmp ARGS in a
# subshell (so that a die inside stops only FUNC), then renaming DIR.tmp to
# DIR.  A stale DIR.tmp of an interrupted run is removed first and a failed
# one afterwards, so a half-made tree is never picked up by a later run.
build_dir() {
	local dir=$1 fn=$2
	shift 2
	rm -rf "$dir.tmp"
	mkdir -p "$(dirname "$dir")"
	if ! ( "$fn" "$dir.tmp" "$@" ); then
		rm -rf "$dir.tmp"
		return 1
	fi
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
}

# The selftests' knobs set on the host (SELFTESTS, SELFTEST_TIMEOUT, LRU_*,
# REPARENT_*, ZSWAP_*, FAULTS_*), as shell assignments for a guest command
# line (make test and make compare).
guest_env() {
	local kv
	env | grep -E '^(SELFTESTS|SELFTEST_TIMEOUT|SLOW_BPS|LRU_[A-Z0-9_]+|REPARENT_[A-Z0-9_]+|ZSWAP_[A-Z0-9_]+|FAULTS_[A-Z0-9_]+)=' |
	while IFS= read -r kv; do
		printf "export %s='%s'; " "${kv%%=*}" "$(printf '%s' "${kv#*=}" | sed "s/'/'\\\\''/g")"
	done
}

# Print (or, with DRY_RUN=1, only print) a command, then run it.
run() {
	if [ "${DRY_RUN:-0}" = 1 ]; then
		printf '%q ' "$@"; echo
		return 0
	fi
	"$@"
}

kmake() {
	local cc="gcc"

	command -v ccache >/dev/null && cc="ccache gcc"
	run make -s -C "$SRC" O="$OBJ" -j"$JOBS" CC="$cc" \
		LOCALVERSION= "$@"
}

# build_warnings: the compiler's and sparse's warnings and errors in make's
# output on stdin, one "file: warning: text" line each, sorted.  The line
# and column are dropped and so is the tree's own path (bisect.sh builds in
# linux-VER-bisect.tmp), so that a warning of the base and the same warning
# after a patch moved its code compare equal (comm(1)).
build_warnings() {
	sed -nE 's,^(.*/linux-[^/ ]*-bisect(\.tmp)?/|(\.\./)*)([^: ]+):[0-9]+(:[0-9]+)?: (warning|error): (.*)$,\4: \6: \7,p' |
		LC_ALL=C sort
}
