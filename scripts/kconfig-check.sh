#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kconfig facts of the patched tree that an x86_64 guest cannot show.
#
# MEMCG_RECHARGE marks folios with a third flag bit in page->memcg_data,
# which is free only where kmalloc() aligns to 8 bytes: it must not be
# offered on 32-bit.  Configure an i386 and an x86_64 tree with MEMCG and
# every option that could pull it in; recharging must be off on i386 (with
# MEMCG still on, so the check is not vacuous) and on by default on x86_64.
# Prints one "ok - " / "not ok - " line per check, as the other steps of
# make test do; exits non-zero if one fails.  Needs only the patched source
# tree (make apply).
. "$(dirname "$0")/lib.sh"

[ -f "$SRC_PATCHED/Makefile" ] || die "no patched tree at $SRC_PATCHED: make apply first"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kconfig-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# configure ARCH DIR [OPTION...]: a minimal tree with memcg, and OPTIONs
# asked for on top (scripts/config -e), as a user would
configure() {
	local arch=$1 dir=$2 opt
	local -a more=()
	shift 2
	for opt; do
		more+=(-e "$opt")
	done
	mkdir -p "$dir"
	make -s -C "$SRC_PATCHED" O="$dir" ARCH="$arch" allnoconfig >/dev/null &&
	"$SRC_PATCHED/scripts/config" --file "$dir/.config" \
		-e MULTIUSER -e CGROUPS -e MEMCG -e SWAP -e DEBUG_FS "${more[@]}" &&
	make -s -C "$SRC_PATCHED" O="$dir" ARCH="$arch" olddefconfig >/dev/null
}

# has DIR OPTION: the option is =y in DIR's .config
has() {
	grep -qx "CONFIG_$2=y" "$1/.config"
}

fail=0
check() {
	if [ "$1" = 0 ]; then
		echo "ok - kconfig: $2"
	else
		echo "not ok - kconfig: $2"
		fail=1
	fi
}

# i386 is asked for it and must not get it; x86_64 must get it by default
configure i386 "$tmp/i386" MEMCG_RECHARGE || die "i386 configuration failed"
configure x86_64 "$tmp/x86_64" || die "x86_64 configuration failed"
has "$tmp/i386" MEMCG && ! has "$tmp/i386" 64BIT
check $? "i386: a 32-bit tree with MEMCG"
! has "$tmp/i386" MEMCG_RECHARGE
check $? "i386: MEMCG_RECHARGE not offered (memcg_data has two flag bits there)"
has "$tmp/x86_64" MEMCG_RECHARGE
check $? "x86_64: MEMCG_RECHARGE on by default"
exit $fail
