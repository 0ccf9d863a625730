#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest's initramfs: busybox-static, stress-ng with the shared
# libraries it needs, the selftests, the test module and the guest scripts.
. "$(dirname "$0")/lib.sh"

BUSYBOX=$(command -v busybox || echo /bin/busybox)
STRESS=$(command -v stress-ng || echo /usr/bin/stress-ng)
[ -x "$BUSYBOX" ] && "$BUSYBOX" --list >/dev/null 2>&1 || die "busybox-static missing (make deps)"
[ -x "$STRESS" ] || die "stress-ng missing (make deps)"
ldd "$BUSYBOX" >/dev/null 2>&1 && die "$BUSYBOX is not static (install busybox-static)"

stage=$BUILD/initramfs/$KIND-$PROFILE.d
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,mnt,opt/memcg-lru/{bin,selftests,modules}}

cp "$BUSYBOX" "$stage/bin/busybox"
for applet in $("$BUSYBOX" --list-full); do
	[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done

# stress-ng and every library ldd names, at the same paths.
copy_with_libs() {
	local bin=$1 dst=$2 lib

	cp "$bin" "$stage/$dst"
	for lib in $(ldd "$bin" | grep -oE '/[^ ]+'); do
		mkdir -p "$stage/$(dirname "$lib")"
		cp -L "$lib" "$stage/$lib"
	done
}
rm -f "$stage/usr/bin/stress-ng"
copy_with_libs "$STRESS" usr/bin/stress-ng

cp "$ROOT/scripts/guest/init" "$stage/init"
cp "$ROOT/scripts/guest/profile" "$stage/etc/profile"
for f in "$ROOT"/scripts/guest/*.sh; do
	[ -e "$f" ] && cp "$f" "$stage/opt/memcg-lru/bin/$(basename "$f" .sh)"
done
cp -r "$STOBJ"/. "$stage/opt/memcg-lru/selftests/" 2>/dev/null
find "$MODOBJ/src" -name '*.ko' -exec cp {} "$stage/opt/memcg-lru/modules/" \; 2>/dev/null
echo "root:x:0:0:root:/root:/bin/sh" > "$stage/etc/passwd"
echo "root:x:0:" > "$stage/etc/group"
chmod 0755 "$stage/init" "$stage"/opt/memcg-lru/bin/*

(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) > "$INITRAMFS.tmp" ||
	die "cpio failed"
mv "$INITRAMFS.tmp" "$INITRAMFS"
