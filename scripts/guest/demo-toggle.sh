#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The headline demonstration (make run): toggle /sys/kernel/mm/lru_gen/enabled
# while a memcg is under memory pressure from stress-ng and file-cache
# readers, and print the toggles done, the reclaim activity and the OOM
# kills seen.  On an unfixed 6.1 the toggles OOM-kill tasks although
# plenty is reclaimable (../shared/seeds/000_*).
#
#   TOGGLES=  number of writes to lru_gen/enabled (default 60)
#   LIMIT=    memory.max of the pressured memcg (default 256M)
#   SWITCH=0  control run: write the current state ("y") instead of
#             toggling, so the same workload runs without any switch
TOGGLES=${TOGGLES:-60}
LIMIT=${LIMIT:-256M}
CG=/sys/fs/cgroup
LRU=/sys/kernel/mm/lru_gen/enabled

stat_of() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

echo "memcg-lru demo on $(uname -r): $TOGGLES toggles, memory.max=$LIMIT"
echo "memcg-lru: expect-oom begin" > /dev/kmsg

# Bystanders holding page cache, so every switch has lruvecs to convert.
for i in 1 2 3; do
	mkdir -p $CG/cache$i
	dd if=/dev/zero of="$SCRATCH/cache$i" bs=1M count=96 2>/dev/null
	sh -c "echo \$\$ > $CG/cache$i/cgroup.procs; cat $SCRATCH/cache$i > /dev/null"
done

mkdir -p $CG/demo
echo "$LIMIT" > $CG/demo/memory.max
dd if=/dev/zero of="$SCRATCH/demo" bs=1M count=384 2>/dev/null
sync
echo 3 > /proc/sys/vm/drop_caches

scan0=$(stat_of $CG/demo/memory.stat pgscan)
steal0=$(stat_of $CG/demo/memory.stat pgsteal)
oomk0=$(stat_of /proc/vmstat oom_kill)

# Workload: anonymous memory from stress-ng plus two file readers.
sh -c "echo \$\$ > $CG/demo/cgroup.procs
       exec stress-ng --vm 2 --vm-bytes 96M --vm-keep --timeout 0 >/dev/null 2>&1" &
for r in 1 2; do
	sh -c "echo \$\$ > $CG/demo/cgroup.procs
	       while :; do cat $SCRATCH/demo > /dev/null; done" &
done
sleep 3

i=0
while [ $i -lt "$TOGGLES" ]; do
	if [ $((i % 2)) = 0 ] && [ "${SWITCH:-1}" != 0 ]; then
		echo n > $LRU
	else
		echo y > $LRU
	fi
	i=$((i + 1))
	[ $((i % 10)) = 0 ] && echo "  $i toggles, lru_gen/enabled=$(cat $LRU), memory.current=$(cat $CG/demo/memory.current)"
	sleep 0.2
done
echo y > $LRU

for p in $(cat $CG/demo/cgroup.procs); do kill -9 "$p" 2>/dev/null; done
sleep 1
echo "memcg-lru: expect-oom end" > /dev/kmsg

scan=$(( $(stat_of $CG/demo/memory.stat pgscan) - scan0 ))
steal=$(( $(stat_of $CG/demo/memory.stat pgsteal) - steal0 ))
oom=$(stat_of $CG/demo/memory.events oom)
oomk=$(stat_of $CG/demo/memory.events oom_kill)
gk=$(( $(stat_of /proc/vmstat oom_kill) - oomk0 ))
echo "toggles done:        $i"
echo "reclaim (demo memcg): pgscan $scan, pgsteal $steal"
echo "OOM events (demo):   oom $oom, oom_kill $oomk"
echo "OOM kills (system):  $gk"
[ "$oomk" = 0 ] && [ "$gk" = 0 ] && echo "result: no OOM kills" || echo "result: OOM KILLS SEEN"
exit 0
