#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the kernel in $OBJ (configured by kconfig.sh), then the test module
# against it and the selftests.  Incremental: make and ccache do the work.
. "$(dirname "$0")/lib.sh"

what=${1:-all}

build_kernel() {
	"$ROOT/scripts/kconfig.sh" || exit 1
	log "building kernel ${OBJ#$ROOT/} (uname -r: $BASE_VERSION$LOCALVERSION)"
	kmake bzImage modules > "$OBJ/build.log" 2>&1 ||
		{ tail -40 "$OBJ/build.log"; die "kernel build failed (${OBJ#$ROOT/}/build.log)"; }
	grep -E 'warning:' "$OBJ/build.log" >&2 || true
}

# The module is built from a copy so that module/ stays free of objects.
build_module() {
	log "building module against ${OBJ#$ROOT/}"
	mkdir -p "$MODOBJ"
	rsync -a --delete --exclude='*.o' --exclude='*.ko' "$ROOT/module/" "$MODOBJ/src/"
	run make -s -C "$OBJ" M="$MODOBJ/src" -j"$JOBS" modules > "$MODOBJ/build.log" 2>&1 ||
		{ cat "$MODOBJ/build.log"; die "module build failed"; }
	if grep -E 'warning:' "$MODOBJ/build.log" >&2; then
		die "module build has warnings"
	fi
}

build_selftests() {
	log "building selftests"
	mkdir -p "$STOBJ"
	run make -s -C "$ROOT/selftests" KSRC="$SRC" OUTPUT="$STOBJ" > "$STOBJ/build.log" 2>&1 ||
		{ cat "$STOBJ/build.log"; die "selftests build failed"; }
}

case $what in
kernel) build_kernel ;;
module) build_module ;;
selftests) build_selftests ;;
all) build_kernel; build_module; build_selftests ;;
*) die "build.sh: unknown target $what" ;;
esac
