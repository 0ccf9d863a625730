#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The check after each part of make soak: every removed memcg dies, no page
# is left on an LRU of an offline memcg, and every lruvec is consistent with
# the LRU in force. It reads the test module's reparent_check and
# check_lruvecs, so the part must still have the module loaded. One
# "# after:" line; the exit status is 1 if something is left.
#   SOAK_AFTER_S  seconds the removed memcgs get to die (default 60)
mlt=/sys/kernel/debug/memcg_lru_test
if [ ! -r $mlt/reparent_check ] || [ ! -w $mlt/check_lruvecs ]; then
	echo "# after: the test module's reparent_check or check_lruvecs is missing"
	exit 1
fi
start=$(date +%s)
while :; do
	# "offline_lru_pages P offline_memcgs M"
	set -- $(cat $mlt/reparent_check)
	pages=$2 memcgs=$4
	[ "$pages" = 0 ] && [ "$memcgs" = 0 ] && break
	[ $(( $(date +%s) - start )) -ge "${SOAK_AFTER_S:-60}" ] && break
	sleep 1
done
waited=$(( $(date +%s) - start ))
mglru=y
[ $(( $(cat /sys/kernel/mm/lru_gen/enabled) )) -eq 0 ] && mglru=n
echo $mglru > $mlt/check_lruvecs
# "consistent mglru=M nr_pages=N"
lruvecs=$(cat $mlt/check_lruvecs)
echo "# after: $memcgs offline memcgs left, $pages pages on their LRUs (${waited} s); lruvecs: $lruvecs"
[ "$pages" = 0 ] && [ "$memcgs" = 0 ] && [ "${lruvecs%% *}" = consistent ]
