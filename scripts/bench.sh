#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: every benchmark on the unpatched base and on the patched
# kernel, both with the plain profile (no debug options), in one run, and one
# table of figures with the ratio patched/base.
#
# A benchmark is a guest script scripts/guest/bench-*.sh printing lines
#   BENCH <metric> <value> <unit>
# Rows with the same metric from both kernels are paired.  BENCH_ONLY=name
# runs only bench-name.sh; BENCH_ROUNDS=N boots each kernel N times
# (default 1) and reports the median.
. "$(dirname "$0")/lib.sh"

S=$ROOT/scripts
export PROFILE=plain
ROUNDS=${BENCH_ROUNDS:-1}
out=$LOGS/bench
mkdir -p "$out"

"$S/deps.sh" && "$S/base.sh" && "$S/apply.sh" || exit 1

for kind in base patched; do
	b=0; [ $kind = base ] && b=1
	BASE=$b "$S/build.sh" all || exit 1
	BASE=$b "$S/initramfs.sh" || exit 1
done

job=$out/job.sh
{
	echo 'for b in /opt/memcg-lru/bin/bench-*; do'
	echo '	[ -x "$b" ] || continue'
	[ -n "${BENCH_ONLY:-}" ] && echo "	[ \"\$(basename \$b)\" = bench-$BENCH_ONLY ] || continue"
	echo '	echo "# $b"; "$b"'
	echo 'done'
} > "$job"

: > "$out/figures"
for r in $(seq 1 "$ROUNDS"); do
	for kind in base patched; do
		b=0; [ $kind = base ] && b=1
		log "bench round $r: $kind kernel"
		BASE=$b "$S/vm.sh" -n bench -s "$job" > "$out/$kind.$r.out" ||
			die "bench run on $kind failed; see build/logs/bench-$kind-plain"
		d=$LOGS/bench-$kind-plain
		awk -v k=$kind '/^MEMCG_LRU_BOOT_SECONDS=/ { split($0, a, "="); print k, "boot_to_init", a[2], "s" }' "$d/results.log" >> "$out/figures"
		echo "$kind boot_and_poweroff_wall $(cat "$d/wall-seconds") s" >> "$out/figures"
		awk -v k=$kind '$1 == "BENCH" { print k, $2, $3, $4 }' "$d/results.log" >> "$out/figures"
	done
done

# Median per (kernel, metric), then one row per metric.
echo
printf '%-40s %14s %14s %9s\n' "benchmark (plain profile, median of $ROUNDS)" base patched ratio
awk '
	{ key = $2; unit[key] = $4; vals[$1, key] = vals[$1, key] " " $3
	  if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
	function median(s,    a, m, i, j, t) {
		m = split(s, a, " ")
		if (!m) return ""
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
			if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return a[int((m + 1) / 2)]
	}
	END {
		for (i = 1; i <= n; i++) {
			k = order[i]; b = median(vals["base", k]); p = median(vals["patched", k])
			r = (b != "" && p != "" && b + 0 != 0) ? sprintf("%.3f", p / b) : "-"
			printf "%-40s %14s %14s %9s\n", k " (" unit[k] ")", b == "" ? "-" : b, p == "" ? "-" : p, r
		}
	}' "$out/figures" | tee "$out/table"
