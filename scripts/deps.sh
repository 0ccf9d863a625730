#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the host packages the harness needs, when they are missing.
. "$(dirname "$0")/lib.sh"

PKGS="linux-source-6.1 quilt qemu-system-x86 busybox-static stress-ng ccache
bc bison flex libelf-dev libssl-dev cpio e2fsprogs dwarves kmod rsync gzip
make gcc perl python3 python3-ply python3-git util-linux sparse"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "${DRY_RUN:-0}" = 1 ]; then
	echo "apt-get install -y --no-install-recommends$missing"
	exit 0
fi
command -v apt-get > /dev/null ||
	die "missing host packages (Debian names):$missing; install them with your system's package manager"
SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo > /dev/null ||
		die "missing host packages:$missing; not root and no sudo here: as root, run apt-get install$missing"
	# Never wait for a password nobody can type (make test in CI).
	if [ -t 0 ]; then SUDO=sudo; else SUDO="sudo -n"; fi
	$SUDO true 2> /dev/null ||
		die "missing host packages:$missing; sudo needs a password: run sudo apt-get install$missing"
fi
log "installing host packages:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null || die "apt-get update failed"
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null ||
	die "apt-get install$missing failed"
