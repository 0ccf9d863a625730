#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unpack Debian's linux-source-6.1 under build/src once, and reuse it while
# the package version is unchanged.  The unpacked tree is never modified:
# the patched tree is a hard-linked copy of it (see apply.sh).
. "$(dirname "$0")/lib.sh"

[ -f "$DEB_TARBALL" ] || [ "${DRY_RUN:-0}" = 1 ] || die "$DEB_TARBALL missing: install linux-source-6.1 (make deps)"
deb=$(deb_version)
log "base: Debian linux-source-6.1 $deb, upstream $BASE_VERSION; series tested on $TESTED_VERSION"
if [ "$BASE_VERSION" != "$TESTED_VERSION" ]; then
	warn "apt serves $BASE_VERSION but the series is tested on $TESTED_VERSION:"
	warn "using $BASE_VERSION; any patch that does not apply cleanly fails the run"
fi

stamp=$SRC_BASE/.memcg-lru-deb
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$deb" ]; then
	exit 0
fi

# unpack DIR: the package's tree in DIR, checked and stamped.
unpack() {
	mkdir -p "$1"
	tar -xJf "$DEB_TARBALL" -C "$1" --strip-components=1 ||
		die "unpacking $DEB_TARBALL failed"
	v=$(make -s -C "$1" kernelversion)
	[ "$v" = "$BASE_VERSION" ] ||
		die "tree says $v, package says $BASE_VERSION: refusing to guess"
	echo "$deb" > "$1/.memcg-lru-deb"
}

if [ "${DRY_RUN:-0}" = 1 ]; then
	echo "tar -xJf $DEB_TARBALL -C ${SRC_BASE#"$ROOT"/}.tmp --strip-components=1 && mv ${SRC_BASE#"$ROOT"/}.tmp ${SRC_BASE#"$ROOT"/}"
	exit 0
fi
log "unpacking $DEB_TARBALL into ${SRC_BASE#"$ROOT"/}"
build_dir "$SRC_BASE" unpack || exit 1
