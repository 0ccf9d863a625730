#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: every benchmark on the unpatched base and on the patched
# kernel, both with the plain profile (no debug options), and one table of
# figures with the ratio patched/base.
#
# A benchmark is a guest script scripts/guest/bench-NAME.sh printing lines
#   BENCH <metric> <value> <unit>
# Rows with the same metric and mode from both kernels are paired.
#
# Two modes, two groups of boots per kernel:
#   icount  VM_ICOUNT=1 (qemu -icount shift=0,sleep=off, one CPU): the guest
#           clock advances by executed instructions, so a time measured in
#           the guest is CPU work, meant to repeat to well under 1% (the
#           spread column shows how well it did; TCG wall time moves by
#           10-30%).  For CPU-cost ratios.  It counts
#           instructions, not cycles: cache misses, atomics and contention
#           between CPUs do not show.  BENCH_ICOUNT_ROUNDS boots per kernel
#           (default 5).
#   wall    plain TCG (VM_CPUS CPUs), real time: boot time and figures
#           where real time is the point (how long a reclaimer stalls).
#           BENCH_ROUNDS boots per kernel (default 1).
# PLAN below says, per benchmark, which rows each group keeps: "*" all of
# them, "-" the group does not run the script, else a comma-separated list
# of metrics; a boot runs its benchmarks in PLAN order (readside first, in
# the cleanest guest).  A script in both groups runs whole in each boot of both; the
# rows a group does not keep are dropped (the raw output stays in
# build/logs/bench).  A bench-*.sh missing from PLAN runs in the wall group
# only, all rows.  Each boot also gives boot_to_init (guest uptime when
# init starts; under icount, the work of booting), and each wall boot
# boot_and_poweroff_wall (host seconds of the whole run).
#
# The table: metric, mode, base and patched median, ratio patched/base
# (4 decimals), the spread of each side ((max - min) / median of its
# boots), "*" under "apart" when the two sides' ranges do not overlap (with
# 5 boots each, chance alone does that less than 1% of the time), and the
# number of boots each side has for the row.
#
# BENCH_ONLY=NAME runs only bench-NAME.sh, in the groups PLAN puts it in;
# BENCH_ONLY=boot only boots.  Other BENCH_* variables (the benchmarks'
# knobs) are passed into the guests.  Rounds alternate which kernel boots
# first.  An icount boot may run VM_TIMEOUT (default here 5400) seconds.
# An estimate of the total time is printed first (from earlier runs of the
# same benchmarks, else rough guesses) and updated after every boot.
#
#   bench.sh --table FIGURES   print the table of a figures file
#                              (build/logs/bench/figures; lines
#                              "mode kernel round metric value unit")
. "$(dirname "$0")/lib.sh"

# name          icount rows                          wall rows             guess min/boot: icount wall
PLAN='
readside        *                                    -                     6  0
zswap           *                                    -                     6  0
reparent        *                                    -                     3  0
lru-switch      reclaim_mb_per_s,switch_ms_per_gib   reclaim_stall_max_ms  8  4
switch-stall    -                                    *                     0  5
'
GUESS_BOOT_MIN=1	# minutes a boot and power-off take without a benchmark

# The table of a figures file, to stdout.
table() {
	awk '
	function isnum(v) { return v ~ /^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$/ }
	function decimals(v) { return index(v, ".") ? length(v) - index(v, ".") : 0 }
	# sorts s (space-separated numbers) into a[1..n]; returns n
	function sorted(s, a,    n, i, j, t) {
		n = split(s, a, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j] + 0 < a[j - 1] + 0; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n
	}
	function median(a, n,    d, i) {
		if (n % 2)
			return a[(n + 1) / 2]
		for (d = i = 0; i < n; i++)
			d = decimals(a[i + 1]) > d ? decimals(a[i + 1]) : d
		return sprintf("%.*f", d + 1, (a[n / 2] + a[n / 2 + 1]) / 2)
	}
	function spread(a, n, med) {
		return n < 2 || med + 0 == 0 ? "-" : sprintf("%.2f%%", (a[n] - a[1]) / (med < 0 ? -med : med) * 100)
	}
	NF >= 6 {
		mode = $1; key = $4 SUBSEP mode
		if (!((mode, $3) in seen_round)) { seen_round[mode, $3] = 1; rounds[mode]++ }
		if (!(key in unit)) { order[mode, ++nrows[mode]] = key; unit[key] = $6 }
		if (isnum($5)) vals[$2, key] = vals[$2, key] " " $5
	}
	END {
		if (rounds["icount"])
			printf "# icount: guest time = instructions executed (qemu -icount shift=0,sleep=off, 1 CPU), median of %d boots per kernel\n", rounds["icount"]
		if (rounds["wall"])
			printf "# wall: real time (TCG), median of %d boots per kernel\n", rounds["wall"]
		print "# spread: (max - min) / median of one side; apart: * when the ranges of base and patched do not overlap"
		printf "%-44s %-6s %14s %14s %8s %9s %9s %5s %5s\n", "metric (unit)", "mode", "base", "patched", "ratio", "spread b", "spread p", "apart", "n"
		split("icount wall", modes, " ")
		for (mi = 1; mi <= 2; mi++) for (i = 1; i <= nrows[modes[mi]]; i++) {
			key = order[modes[mi], i]; split(key, kp, SUBSEP)
			nb = sorted(vals["base", key], b); np = sorted(vals["patched", key], p)
			mb = nb ? median(b, nb) : "-"; mp = np ? median(p, np) : "-"
			r = nb && np && mb + 0 != 0 ? sprintf("%.4f", mp / mb) : "-"
			apart = nb >= 2 && np >= 2 && (b[nb] + 0 < p[1] + 0 || p[np] + 0 < b[1] + 0) ? "*" : ""
			printf "%-44s %-6s %14s %14s %8s %9s %9s %5s %5s\n", kp[1] " (" unit[key] ")", kp[2],
				mb, mp, r, nb ? spread(b, nb, mb) : "-", np ? spread(p, np, mp) : "-", apart, nb "/" np
		}
	}' "$1"
}

if [ "${1:-}" = --table ]; then
	[ -f "${2:-}" ] || die "usage: bench.sh --table FIGURES"
	table "$2"
	exit
fi

S=$ROOT/scripts
export PROFILE=plain
out=$LOGS/bench
only=${BENCH_ONLY:-}
declare -A rounds=([icount]=${BENCH_ICOUNT_ROUNDS:-5} [wall]=${BENCH_ROUNDS:-1})
modes="icount wall"

for m in $modes; do
	[[ ${rounds[$m]} =~ ^[0-9]+$ ]] || die "rounds of the $m group: '${rounds[$m]}' is not a number"
done

# The benchmarks there are, and each group's rows of each and guesses.
# A boot runs its benchmarks in PLAN order, then those missing from PLAN.
declare -A keep guess
names=
for n in $(printf '%s\n' "$PLAN" | awk 'NF { print $1 }') \
	 $(cd "$S/guest" && ls bench-*.sh 2>/dev/null | sed 's/^bench-//; s/\.sh$//'); do
	[ -e "$S/guest/bench-$n.sh" ] || continue
	case " $names " in *" $n "*) continue ;; esac
	names="$names $n"
	line=$(printf '%s\n' "$PLAN" | awk -v n="$n" '$1 == n')
	if [ -z "$line" ]; then
		log "bench-$n is not in bench.sh's PLAN: wall group, all rows"
		line="$n - * 0 3"
	fi
	read -r _ "keep[icount,$n]" "keep[wall,$n]" "guess[icount,$n]" "guess[wall,$n]" <<< "$line"
done
case " $names boot " in
*" ${only:-boot} "*) ;;
*) die "BENCH_ONLY=$only: no scripts/guest/bench-$only.sh (have:$names; or boot)" ;;
esac

# Each group's benchmarks, and whether it boots at all: a group with no
# benchmark of BENCH_ONLY boots only without BENCH_ONLY or with =boot.
declare -A scripts runs
for m in $modes; do
	scripts[$m]=
	for n in $names; do
		[ "${keep[$m,$n]}" != - ] || continue
		[ -z "$only" ] || [ "$only" = "$n" ] || continue
		scripts[$m]="${scripts[$m]} $n"
	done
	runs[$m]=${rounds[$m]}
	[ -n "${scripts[$m]}" ] || [ -z "$only" ] || [ "$only" = boot ] || runs[$m]=0
done
[ "${runs[icount]}" = 0 ] || [ "${KVM:-0}" != 1 ] ||
	die "the icount group needs TCG: unset KVM, or BENCH_ICOUNT_ROUNDS=0 for the wall group alone"
[ $((runs[icount] + runs[wall])) -gt 0 ] || die "nothing to run (BENCH_ICOUNT_ROUNDS=0 and BENCH_ROUNDS=0?)"

mkdir -p "$out"

# Seconds per boot: this run's mean once a boot of the group ran, before
# that the last 4 boots of earlier runs with the same benchmarks
# (build/logs/bench/durations, appended to), else the guesses.
declare -A per_boot source secs_sum secs_n
for m in $modes; do
	last=$(awk -v m="$m" -v s="${scripts[$m]# }" -F '\t' '$1 == m && $2 == s { t[++n] = $3 }
		END { for (i = n > 4 ? n - 3 : 1; i <= n; i++) { sum += t[i]; c++ }
		      if (c) printf "%d", sum / c }' "$out/durations" 2>/dev/null)
	if [ -n "$last" ]; then
		per_boot[$m]=$last source[$m]="earlier runs"
	else
		t=$GUESS_BOOT_MIN
		for n in ${scripts[$m]}; do t=$((t + guess[$m,$n])); done
		per_boot[$m]=$((t * 60)) source[$m]="rough guess"
	fi
done

hm() { printf '%dh%02dm' $(($1 / 3600)) $(($1 % 3600 / 60)); }

# estimate DONE_ICOUNT DONE_WALL: seconds left for the boots not yet run.
estimate() {
	echo $(( (2 * runs[icount] - $1) * per_boot[icount] + (2 * runs[wall] - $2) * per_boot[wall] ))
}

for m in $modes; do
	[ "${runs[$m]}" -gt 0 ] || continue
	log "$m group: ${runs[$m]} x 2 boots (base, patched), ~$(hm "${per_boot[$m]}") a boot (${source[$m]}):${scripts[$m]:- boot only}"
done
log "estimated time of the boots: $(hm "$(estimate 0 0)") (after the builds)"

"$S/deps.sh" && "$S/base.sh" && "$S/apply.sh" || exit 1
for kind in base patched; do
	b=0; [ $kind = base ] && b=1
	BASE=$b "$S/build.sh" all || exit 1
	BASE=$b "$S/initramfs.sh" || exit 1
done

# The benchmarks' knobs set on the host, as shell assignments for the guest.
guest_env() {
	local kv
	env | grep -E '^BENCH_[A-Z0-9_]+=' | grep -vE '^BENCH_(ROUNDS|ICOUNT_ROUNDS|ONLY)=' |
	while IFS= read -r kv; do
		printf "export %s='%s'\n" "${kv%%=*}" "$(printf '%s' "${kv#*=}" | sed "s/'/'\\\\''/g")"
	done
}

# One job per group: its scripts in turn, each announced (so that its rows
# can be told apart); a failing script does not stop the others.
for m in $modes; do
	{
		guest_env
		echo 'rc=0'
		for n in ${scripts[$m]}; do
			echo "echo '# make-bench: script $n'"
			echo "/opt/memcg-lru/bin/bench-$n || { echo \"# make-bench: bench-$n exited \$?\"; rc=1; }"
		done
		echo 'exit $rc'
	} > "$out/job-$m.sh"
done

# The rows a group keeps, for collect's awk: "name=rows;name=rows".
keeps() {
	local n s=
	for n in $names; do s="$s$n=${keep[$1,$n]};"; done
	echo "$s"
}

# collect MODE KIND ROUND RESULTS: its rows into the figures file.
collect() {
	awk -v m="$1" -v k="$2" -v r="$3" -v keeps="$(keeps "$1")" '
	BEGIN {
		n = split(keeps, a, ";")
		for (i = 1; i <= n; i++) if (split(a[i], kv, "=") == 2) rows[kv[1]] = "," kv[2] ","
	}
	/^MEMCG_LRU_BOOT_SECONDS=/ { split($0, b, "="); print m, k, r, "boot_to_init", b[2], "s" }
	/^# make-bench: script / { script = $4 }
	$1 == "BENCH" && NF >= 4 {
		w = script in rows ? rows[script] : ",*,"
		if (w == ",*," || index(w, "," $2 ","))
			print m, k, r, $2, $3, $4
	}' "$4" >> "$out/figures"
}

: > "$out/figures"
rm -f "$out"/*.results "$out"/*.out
failed='' done_icount=0 done_wall=0 stop=0
max=$(( runs[icount] > runs[wall] ? runs[icount] : runs[wall] ))
for r in $(seq 1 "$max"); do
	order="base patched"
	[ $((r % 2)) = 0 ] && order="patched base"
	for m in $modes; do
		[ "$r" -le "${runs[$m]}" ] && [ $stop = 0 ] || continue
		for kind in $order; do
			[ $stop = 0 ] || break
			b=0; [ $kind = base ] && b=1
			log "bench round $r/${runs[$m]}, $m: $kind kernel"
			d=$LOGS/bench-$m-$kind-plain
			rm -f "$d/results.log" "$d/wall-seconds"	# never an earlier boot's
			if [ $m = icount ]; then
				BASE=$b VM_ICOUNT=1 VM_TIMEOUT=${VM_TIMEOUT:-5400} \
					"$S/vm.sh" -n bench-$m -s "$out/job-$m.sh" > "$out/$m-$kind-$r.out"
			else
				BASE=$b VM_ICOUNT=0 "$S/vm.sh" -n bench-$m -s "$out/job-$m.sh" > "$out/$m-$kind-$r.out"
			fi
			rc=$?
			cp "$d/results.log" "$out/$m-$kind-$r.results" 2>/dev/null
			# A boot that hung, crashed or splatted gives no figures.
			if [ $rc != 125 ]; then
				collect $m $kind "$r" "$out/$m-$kind-$r.results"
				[ $m = wall ] && [ -f "$d/wall-seconds" ] &&
					echo "wall $kind $r boot_and_poweroff_wall $(cat "$d/wall-seconds") s" >> "$out/figures"
			fi
			secs=$(cut -d. -f1 "$d/wall-seconds" 2>/dev/null)
			if [ -n "$secs" ] && [ $rc != 125 ]; then
				printf '%s\t%s\t%s\n' $m "${scripts[$m]# }" "$secs" >> "$out/durations"
				secs_sum[$m]=$((${secs_sum[$m]:-0} + secs)) secs_n[$m]=$((${secs_n[$m]:-0} + 1))
				per_boot[$m]=$((secs_sum[$m] / secs_n[$m]))
			fi
			eval "done_$m=\$((done_$m + 1))"
			case $rc in
			0) ;;
			125)	warn "$m boot of $kind failed (hang, crash or splat; see build/logs/bench-$m-$kind-plain): no more boots"
				failed="$failed $m-$kind-$r"; stop=1 ;;
			*)	warn "a benchmark failed in the $m boot of $kind (see $out/$m-$kind-$r.results)"
				failed="$failed $m-$kind-$r" ;;
			esac
			[ $stop = 1 ] || log "${secs:-?}s; estimated time left: $(hm "$(estimate $done_icount $done_wall)")"
		done
	done
done

echo
table "$out/figures" | tee "$out/table"
if [ -n "$failed" ]; then
	die "failed boots or benchmarks:$failed (figures above are from what ran)"
fi
