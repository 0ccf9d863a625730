#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Configure $OBJ: allnoconfig, then scripts/configs/base.config, then
# Kconfig.fragment, then scripts/configs/$PROFILE.config, then the
# LOCALVERSION that tells the kernels apart.  Every option requested by a
# layer must end up set as the last layer asked; otherwise this fails.
. "$(dirname "$0")/lib.sh"

prof=$ROOT/scripts/configs/$PROFILE.config
[ -f "$prof" ] || die "unknown PROFILE=$PROFILE (have: $(cd "$ROOT/scripts/configs" && ls | sed 's/.config//' | grep -v base | tr '\n' ' '))"
[ -d "$SRC" ] || die "${SRC#$ROOT/} missing: run make apply first"

layers=("$ROOT/scripts/configs/base.config" "$ROOT/Kconfig.fragment" "$prof")
mkdir -p "$OBJ"
# Not named localversion*: kbuild appends such files in the object dir.
lv=$OBJ/memcg-lru-version.fragment
echo "CONFIG_LOCALVERSION=\"$LOCALVERSION\"" > "$lv"
layers+=("$lv")

sum=$(cat "${layers[@]}" "$SRC/.memcg-lru-deb" "$SRC/.memcg-lru-series" 2>/dev/null | sha1sum | cut -c1-40)
if [ -f "$OBJ/.config" ] && [ "$(cat "$OBJ/.memcg-lru-kconfig" 2>/dev/null)" = "$sum" ]; then
	exit 0
fi

log "configuring ${OBJ#$ROOT/} ($KIND, profile $PROFILE)"
if [ "${DRY_RUN:-0}" = 1 ]; then
	echo "cd $SRC && scripts/kconfig/merge_config.sh -n -O $OBJ ${layers[*]}"
	exit 0
fi
(cd "$SRC" && scripts/kconfig/merge_config.sh -n -O "$OBJ" "${layers[@]}") \
	> "$OBJ/merge_config.log" 2>&1 ||
	{ cat "$OBJ/merge_config.log"; die "merge_config.sh failed"; }

# What each option should be: the last layer that names it wins.
declare -A want
for f in "${layers[@]}"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			sym=${line%%=*}; val=${line#*=}
			[ "$val" = n ] && val=unset
			want[$sym]=$val ;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			want[$sym]=unset ;;
		esac
	done < "$f"
done

bad=0
for sym in "${!want[@]}"; do
	line=$(grep -E "^($sym=|# $sym is not set)" "$OBJ/.config")
	case "$line" in
	"$sym="*) have=${line#*=} ;;
	*) have=unset ;;
	esac
	[ "$have" = "${want[$sym]}" ] && continue
	if [ "$KIND" = base ] && [ "${want[$sym]}" != unset ] &&
	   ! grep -rqsE "^(menu)?config ${sym#CONFIG_}\$" --include='Kconfig*' "$SRC"; then
		log "$sym: not in the base tree (added by the series), ignored for BASE=1"
		continue
	fi
	echo "ERROR: $sym requested ${want[$sym]}, got $have" >&2
	bad=1
done
if [ $bad = 1 ]; then
	rm -f "$OBJ/.memcg-lru-kconfig"
	die "kernel config of ${OBJ#$ROOT/} does not have every requested option (dependencies missing?)"
fi
echo "$sum" > "$OBJ/.memcg-lru-kconfig"
