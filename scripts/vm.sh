#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot the built kernel in QEMU.
#
#   vm.sh                    interactive shell on the console
#   vm.sh -c 'CMD'           run CMD in the guest
#   vm.sh -s FILE [-n NAME]  run shell script FILE in the guest
#   (CMD= and SCRIPT= in the environment do the same as -c and -s)
#
# In the job modes the guest's output comes back on a second serial port
# (results.log), streamed here; the exit status is the job's.  The run
# fails (exit 125) when the guest hangs past VM_TIMEOUT, dies without
# reporting, or the console log shows a kernel splat (check-log.sh).
# VM_ICOUNT=1 runs the guest on one CPU with a virtual clock tied to the
# instruction count (qemu -icount shift=0,sleep=off): slower, but timings
# repeat from run to run (for benchmarks).  Logs: build/logs/<name>-<kind>-<profile>/{console,results}.log, and
# build/logs/latest points at the last run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verdict.sh"

cmd=${CMD:-} script=${SCRIPT:-} name=
while getopts "c:s:n:" opt; do
	case $opt in
	c) cmd=$OPTARG ;;
	s) script=$OPTARG ;;
	n) name=$OPTARG ;;
	*) die "usage: vm.sh [-c CMD | -s FILE] [-n NAME]" ;;
	esac
done

VM_MEM=${VM_MEM:-3G}        # qemu -m
VM_CPUS=${VM_CPUS:-2}       # qemu -smp
SCRATCH_SIZE=${SCRATCH_SIZE:-2G}
SWAP_SIZE=${SWAP_SIZE:-1G}
SLOW_BPS=${SLOW_BPS:-262144}
VM_TIMEOUT=${VM_TIMEOUT:-1800}
VM_APPEND=${VM_APPEND:-}    # extra kernel command line
VM_ICOUNT=${VM_ICOUNT:-0}   # 1: deterministic instruction-count clock, 1 CPU

kernel=$OBJ/arch/x86/boot/bzImage
[ -f "$kernel" ] || [ "${DRY_RUN:-0}" = 1 ] || die "${kernel#$ROOT/} missing: make build${BASE:+ BASE=1}"
[ -f "$INITRAMFS" ] || [ "${DRY_RUN:-0}" = 1 ] || die "${INITRAMFS#$ROOT/} missing"

mode=shell
if [ -n "$cmd$script" ]; then
	mode=job
	name=${name:-$( [ -n "$script" ] && basename "$script" .sh || echo cmd)}
fi
name=${name:-shell}
dir=$LOGS/$name-$KIND-$PROFILE

# prepare: the log dir, the job archive and fresh disks (not for DRY_RUN).
prepare() {
	rm -rf "$dir"
	mkdir -p "$dir"
	ln -sfn "$(basename "$dir")" "$LOGS/latest"

	# Job: a second initramfs archive with /job/run.sh, appended to the
	# first (the kernel unpacks concatenated archives in order).
	if [ $mode = job ]; then
		mkdir -p "$dir/job/job"
		if [ -n "$script" ]; then
			cp "$script" "$dir/job/job/run.sh"
		else
			printf '%s\n' "$cmd" > "$dir/job/job/run.sh"
		fi
		(cd "$dir/job" && find . | cpio -o -H newc --quiet | gzip -1) > "$dir/job.cpio.gz"
		cat "$INITRAMFS" "$dir/job.cpio.gz" > "$dir/initrd.cpio.gz"
	fi

	# Fresh disks every boot: no state leaks from one run into the next.
	truncate -s 0 "$dir/scratch.img" "$dir/swap.img" "$dir/slow.img"
	truncate -s "$SCRATCH_SIZE" "$dir/scratch.img"
	truncate -s "$SWAP_SIZE" "$dir/swap.img"
	truncate -s 64M "$dir/slow.img"
	mkfs.ext4 -q -F "$dir/scratch.img" || die "mkfs.ext4 failed"
	# Initialized now: lazy initialization in the guest would take the
	# slow disk's bandwidth from the tests.
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$dir/slow.img" ||
		die "mkfs.ext4 failed"
}

[ -z "$script" ] || [ -f "$script" ] || die "SCRIPT=$script not found"
initrd=$INITRAMFS
[ $mode = job ] && initrd=$dir/initrd.cpio.gz

accel="-accel tcg,thread=multi"
if [ "${KVM:-0}" = 1 ]; then
	[ "$VM_ICOUNT" = 1 ] && die "VM_ICOUNT=1 needs TCG; leave KVM unset"
	if [ -w /dev/kvm ]; then
		accel="-accel kvm -cpu host"
	else
		die "KVM=1 but /dev/kvm is not usable here"
	fi
elif [ "$VM_ICOUNT" = 1 ]; then
	# icount needs single-threaded TCG, hence one vCPU: one instruction
	# stream, so the virtual clock is the same on every run.
	accel="-accel tcg,thread=single -icount shift=0,sleep=off"
	[ "$VM_CPUS" = 1 ] || log "VM_ICOUNT=1: 1 CPU instead of VM_CPUS=$VM_CPUS"
	VM_CPUS=1
fi

append="console=ttyS0 panic=-1 oops=panic memcg_lru.mode=$mode $VM_APPEND"
qemu=(qemu-system-x86_64 $accel -nographic -no-reboot
	-m "$VM_MEM" -smp "$VM_CPUS"
	-kernel "$kernel" -initrd "$initrd" -append "$append"
	-drive "file=$dir/scratch.img,if=virtio,format=raw,cache=unsafe"
	-drive "file=$dir/swap.img,if=virtio,format=raw,cache=unsafe"
	-drive "file=$dir/slow.img,if=virtio,format=raw,cache=unsafe,throttling.bps-write=$SLOW_BPS"
	-nic none)

if [ "${DRY_RUN:-0}" = 1 ]; then
	printf '%q ' "${qemu[@]}" -serial "file:$dir/console.log" -serial "file:$dir/results.log"
	echo
	exit 0
fi
prepare

log "booting $BASE_VERSION$LOCALVERSION ($mode, ${VM_MEM} RAM, $VM_CPUS CPUs$( [ "$VM_ICOUNT" = 1 ] && echo ", icount")); logs in ${dir#$ROOT/}"
if [ $mode = shell ]; then
	qemu+=(-serial mon:stdio -serial "file:$dir/results.log")
	"${qemu[@]}" | tee "$dir/console.log"
	"$ROOT/scripts/check-log.sh" "$dir/console.log"
	exit
fi

: > "$dir/results.log"
tail -n +1 -f "$dir/results.log" > >(sed -u "s/^/${VM_STREAM_PREFIX:-}/") &
tailpid=$!
start=$(date +%s.%N)
timeout --foreground -k 10 "$VM_TIMEOUT" "${qemu[@]}" \
	-serial "file:$dir/console.log" -serial "file:$dir/results.log" \
	< /dev/null > "$dir/qemu.log" 2>&1
qrc=$?
end=$(date +%s.%N)
sleep 0.3
kill $tailpid 2>/dev/null
wait $tailpid 2>/dev/null
echo "$start $end" | awk '{ printf "%.2f\n", $2 - $1 }' > "$dir/wall-seconds"

# The job's status, or 125 when the run itself failed.
vm_verdict "$dir" "$qrc"
