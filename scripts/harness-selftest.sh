#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Checks of the harness itself, so that a green `make test` means something:
#  1. a patch that does not apply fails apply.sh with a message naming it;
#  2. check-log.sh fails each canned console log with a splat
#     (scripts/testdata/check-log/bad-*.log) and passes the clean one;
#  3. the guest runner (scripts/guest/run-tests.sh, run here by busybox sh
#     on fake selftests, KUnit and module results) relays each case, keeps
#     skips as skips, and turns a hang, a crash and a binary that reports
#     nothing into failures;
#     make soak's guest side (run-soak.sh) does the same for its parts;
#  4. the verdict of a guest run (verdict.sh, the code test.sh runs) fails a
#     guest that runs nothing, a missing planned line, a bad exit status and
#     a splat glued to guest output, and counts a skipped case as a skip;
#  5. compare.sh's table from canned results; the static checks' warning
#     comparison (build_warnings) finds a new warning among moved ones;
#  6. a kernel WARNING raised inside the guest fails the VM run even though
#     the guest's own command succeeded (boots the built kernel; --no-vm
#     skips it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/verdict.sh"

vm=1
[ "${1:-}" = --no-vm ] && vm=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=$ROOT/scripts/testdata

# check NAME: "ok - NAME" when $bad is empty, else "not ok - NAME" and
# $bad (what went wrong) as diagnostics.
check() {
	if [ -z "$bad" ]; then
		echo "ok - harness: $1"
	else
		echo "not ok - harness: $1"
		printf '%s\n' "$bad" | sed 's/^/# /'
	fi
	bad=
}

# 1. A throwaway "kernel tree" and a series whose second patch is broken.
mkdir -p "$tmp/tree/mm" "$tmp/patches"
printf 'all:\n' > "$tmp/tree/Makefile"
printf 'one\ntwo\nthree\n' > "$tmp/tree/mm/file.c"
cat > "$tmp/patches/0001-good.patch" <<'P'
--- a/mm/file.c
+++ b/mm/file.c
@@ -1,3 +1,3 @@
 one
-two
+TWO
 three
P
cat > "$tmp/patches/0002-broken.patch" <<'P'
--- a/mm/file.c
+++ b/mm/file.c
@@ -1,3 +1,3 @@
 one
-this line is not there
+four
 three
P
printf '0001-good.patch\n0002-broken.patch\n' > "$tmp/patches/series"
out=$(PATCHES_DIR=$tmp/patches "$ROOT/scripts/apply.sh" "$tmp/tree" 2>&1)
rc=$?
bad=
if [ $rc = 0 ] || ! printf '%s\n' "$out" | grep -q 'ERROR: patch 2/2 0002-broken.patch does not apply'; then
	bad=$out
elif [ "$(cat "$tmp/tree/mm/file.c")" != "$(printf 'one\ntwo\nthree')" ]; then
	bad="the tree was left changed: $(tr '\n' ' ' < "$tmp/tree/mm/file.c")"
fi
check "a patch that does not apply fails, named, tree left as it was"

# 2. check-log on canned console logs.
for f in "$data"/check-log/bad-*.log; do
	"$ROOT/scripts/check-log.sh" "$f" > /dev/null && bad="$bad${bad:+
}${f##*/} passed check-log"
done
"$ROOT/scripts/check-log.sh" "$data/check-log/clean.log" > "$tmp/clean.out" ||
	bad="$bad${bad:+
}clean.log failed check-log: $(cat "$tmp/clean.out")"
check "check-log fails $(ls "$data"/check-log/bad-*.log | wc -l) canned splats, passes the clean log"

# 3. The guest runner on fakes.  Counts of a verdict: "pass fail skip".
counts() { sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$1"; }

# verdict_of OUT FUNC ARGS...: FUNC with fresh counters in a subshell; its
# TAP in OUT, then the counts line.
verdict_of() {
	local out=$1
	shift
	( pass=0 fail=0 skip=0 n=0; "$@"; echo "$pass passed, $fail failed, $skip skipped" ) > "$out" 2>&1
}

# expect OUT "PASS FAIL SKIP" [PATTERN...]: the counts are these and each
# PATTERN (grep -E) is a line of OUT.
expect() {
	local out=$1 want=$2 p
	shift 2
	[ "$(counts "$out")" = "$want" ] ||
		bad="$bad${bad:+
}counts $(counts "$out"), want $want"
	for p; do
		grep -qE -- "$p" "$out" || bad="$bad${bad:+
}no line matching: $p"
	done
	[ -z "$bad" ] || bad="$bad
$(cat "$out")"
}

if command -v busybox > /dev/null; then
	f=$tmp/fake
	st=$f/root/selftests/memcg_lru
	mkdir -p "$st" "$f/kunit/lru_gen" "$f/mlt" "$f/tmp"
	printf 't_pass v1\nt_hang timeout=1\nt_skip\nt_crash\nt_noplan\n' > "$st/run_tests.list"
	printf '#!/bin/sh\necho "1..3"; echo "# key: 42 widgets"; echo "ok 1 case_a"
echo "ok 2 # SKIP case_b_v1: hierarchy missing"; echo "ok 3 case_c"\n' > "$st/t_pass"
	printf '#!/bin/sh\necho "1..2"; echo "ok 1 quick"; sleep 600 & sleep 600\n' > "$st/t_hang"
	printf '#!/bin/sh\necho "1..1"; echo "# no sysctl here"; echo "ok 1 # SKIP case_s"; exit 0\n' > "$st/t_skip"
	printf '#!/bin/sh\necho "1..3"; echo "ok 1 case_x"; echo "# 3 widgets left"; kill -SEGV $$\n' > "$st/t_crash"
	printf '#!/bin/sh\nexit 0\n' > "$st/t_noplan"
	chmod +x "$st"/t_*
	printf 'KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: lru_gen\n    1..2\n    ok 1 k_one\n    # k_two: a long log\n' > "$f/kunit/lru_gen/results"
	printf '[    1.0] KTAP version 1\n[    1.1]     # Subtest: lru_gen\n[    1.2]     1..2\n[    1.3]     ok 1 k_one\n[    1.4]     ok 2 k_two\n[    1.5] ok 1 lru_gen\n' > "$f/dmesg"
	printf 'KTAP version 1\n1..2\nok 1 m_one\nok 2 m_two # SKIP\n' > "$f/mlt/results"
	{
		RUN_TESTS_ROOT=$f/root RUN_TESTS_KUNIT=$f/kunit RUN_TESTS_MLT=$f/mlt \
		RUN_TESTS_MODULE='' RUN_TESTS_CGROUP=v2 RUN_TESTS_DMESG=$f/dmesg \
		RUN_TESTS_TMP=$f/tmp busybox sh "$ROOT/scripts/guest/run-tests.sh"
		echo "MEMCG_LRU_EXIT=$?"
	} > "$tmp/guest.log" 2>&1
	printf 'Linux version x\n' > "$tmp/console.log"
	mkdir -p "$tmp/run"
	cp "$tmp/guest.log" "$tmp/run/results.log"
	cp "$tmp/console.log" "$tmp/run/console.log"
	verdict_of "$tmp/v" guest_verdict "$tmp/run/results.log" 1 "" "guest run"
	expect "$tmp/v" "7 5 2" \
		'^ok [0-9]+ kunit: lru_gen: k_two$' \
		'^ok [0-9]+ selftest: t_pass: case_a$' \
		'^ok [0-9]+ selftest: t_skip: case_s # SKIP no sysctl here$' \
		'^ok [0-9]+ module: m_two # SKIP' \
		'^not ok [0-9]+ selftest: t_hang: case 2 of 2 not reported \(timed out after 1s\)$' \
		'^not ok [0-9]+ selftest: t_crash: case 2 of 3 not reported \(killed by signal 11\)$' \
		'^not ok [0-9]+ selftest: t_noplan: no TAP plan \(exit 0\)$' \
		'^not ok [0-9]+ guest run: the guest command exited 1$'
	grep -q '^# run-tests: other boot: selftest: t_pass: case_b_v1 ' "$tmp/guest.log" ||
		bad="$bad${bad:+
}case_b_v1 not left to the v1 boot"
	check "run-tests: one line a case, skips with reasons; a hang, a crash, no plan fail"
	failure_digest "$tmp/run/results.log" "v1: " > "$tmp/why"
	grep -qx '# why: v1: selftest: t_crash: case 2 of 3 not reported (killed by signal 11)' "$tmp/why" &&
		grep -qx '# why:   3 widgets left' "$tmp/why" &&
		[ "$(grep -c '^# why: v1: ' "$tmp/why")" = 4 ] ||
		bad="failure digest:
$(cat "$tmp/why")"
	check "failure digest: each failed case with the diagnostics before it"
else
	echo "ok - harness: run-tests on fakes # SKIP busybox missing"
fi

# 3b. make soak's guest side (run-soak): a part's failure, a missing part
# and a failed case of a suite round each fail a line, the round's lines are
# renamed, the plan counts them all and the exit status is not 0.
mkdir -p "$tmp/soak/bin"
printf '#!/bin/sh\necho "ok 1 fake"\n' > "$tmp/soak/bin/soak-switch"
printf '#!/bin/sh\necho "not ok 1 fake"\n' > "$tmp/soak/bin/soak-reparent"
printf '#!/bin/sh\necho "ok 1 a"; echo "not ok 2 b"; echo "1..2"; exit 1\n' > "$tmp/soak/bin/run-tests"
chmod +x "$tmp/soak/bin"/*
out=$(PATH=$tmp/soak/bin:$PATH RUN_SOAK_BIN=$tmp/soak/bin SOAK_PARTS="switch reparent faults" \
	SOAK_ROUNDS=1 busybox sh "$ROOT/scripts/guest/run-soak.sh" 2>&1)
st=$?
got=$(printf '%s\n' "$out" | grep -E '^((not )?ok|1\.\.)' | sed -E 's/ \([^)]*\)//')
want='ok 1 soak switch
not ok 2 soak reparent
not ok 3 soak faults: no '"$tmp"'/soak/bin/soak-faults
ok 4 round 1: a
not ok 5 round 1: b
1..5'
[ "$got" = "$want" ] || bad="run-soak printed:
$got"
[ $st != 0 ] || bad="${bad:+$bad
}run-soak exited 0"
check "soak: failed and missing parts and a failed suite case fail, the round's lines renamed"

# 4. Verdicts of whole guest runs.
mkdir -p "$tmp/g"
: > "$tmp/g/console.log"
printf 'MEMCG_LRU_BOOT_SECONDS=1.5\r\nTAP version 13\r\n\r\nMEMCG_LRU_EXIT=0\r\n' > "$tmp/g/results.log"
vm_verdict "$tmp/g" 0 2> /dev/null
verdict_of "$tmp/v" guest_verdict "$tmp/g/results.log" $? "" "guest run"
expect "$tmp/v" "1 1 0" '^not ok 1 guest TAP plan: missing'
check "a guest that runs nothing (no plan) fails"

printf 'sh: run-tests: not found\r\n\r\nMEMCG_LRU_EXIT=127\r\n' > "$tmp/g/results.log"
vm_verdict "$tmp/g" 0 2> /dev/null
verdict_of "$tmp/v" guest_verdict "$tmp/g/results.log" $? "" "guest run"
expect "$tmp/v" "0 2 0" 'exited 127$'
check "a guest whose command is missing (exit 127) fails"

printf 'ok 1 a\r\nok 2 b # SKIP no hooks\r\nok 3 c\r\n1..3\r\n\r\nMEMCG_LRU_EXIT=0\r\n' > "$tmp/g/results.log"
vm_verdict "$tmp/g" 0 2> /dev/null
verdict_of "$tmp/v" guest_verdict "$tmp/g/results.log" $? "v1: " "guest run"
expect "$tmp/v" "3 0 1" '^ok 2 v1: b # SKIP no hooks$' '^ok 4 guest run: clean boot'
check "a skipped case counts as a skip, with its reason; a clean run passes"

printf 'ok 1 a\r\nok 3 c\r\n1..3\r\n\r\nMEMCG_LRU_EXIT=0\r\n' > "$tmp/g/results.log"
vm_verdict "$tmp/g" 0 2> /dev/null
verdict_of "$tmp/v" guest_verdict "$tmp/g/results.log" $? "" "guest run"
expect "$tmp/v" "3 1 0" 'plan 1\.\.3: 1 planned lines missing'
check "a planned line that never came fails"

printf 'ok 1 a\r\n1..1\r\n\r\nMEMCG_LRU_EXIT=0\r\n' > "$tmp/g/results.log"
cp "$data/check-log/bad-glued.log" "$tmp/g/console.log"
vm_verdict "$tmp/g" 0 2> /dev/null
verdict_of "$tmp/v" guest_verdict "$tmp/g/results.log" $? "" "guest run"
expect "$tmp/v" "1 1 0" 'not ok 2 guest run: boot, log or exit report failed'
check "a splat glued to guest output fails the run"

printf 'ok 1 a\r\n1..1\r\n' > "$tmp/g/results.log"
: > "$tmp/g/console.log"
vm_verdict "$tmp/g" 0 2> /dev/null
verdict_of "$tmp/v" guest_verdict "$tmp/g/results.log" $? "" "guest run"
expect "$tmp/v" "1 1 0" 'not ok 2 guest run: boot, log or exit report failed'
check "a guest that died without reporting fails"

# 5. compare.sh on canned results (see its --table mode).
if [ -x "$ROOT/scripts/compare.sh" ] && [ -d "$data/compare" ]; then
	"$ROOT/scripts/compare.sh" --table "$data/compare" "$data/compare/README.md" > "$tmp/table" 2>&1
	rc=$?
	if ! cmp -s "$tmp/table" "$data/compare/table.expected"; then
		bad="compare.sh --table exit $rc; differences from table.expected:
$(diff "$data/compare/table.expected" "$tmp/table")"
	fi
	check "compare: the table from canned results, README disagreements flagged"
fi

# 5b. The static checks (bisect.sh): a base warning whose line moved is not
# new, a second copy of it is, and so is a sparse warning the base lacks.
base_w=$(printf '%s\n' \
	'/x/linux-6.1.1-bisect.tmp/mm/zswap.c:10:5: warning: no previous prototype for f [-Wmissing-prototypes]' \
	'  CC      mm/zswap.o' \
	'../include/linux/mm.h:7:1: warning: old one' | build_warnings)
new_w=$(printf '%s\n' \
	'/x/linux-6.1.1-bisect.tmp/mm/zswap.c:42:5: warning: no previous prototype for f [-Wmissing-prototypes]' \
	'/x/linux-6.1.1-bisect.tmp/mm/zswap.c:80:5: warning: no previous prototype for f [-Wmissing-prototypes]' \
	'mm/zswap.c:99:9: warning: context imbalance in g - unexpected unlock' \
	'../include/linux/mm.h:9:1: warning: old one' | build_warnings |
	LC_ALL=C comm -23 - <(printf '%s\n' "$base_w"))
want=$(printf '%s\n' 'mm/zswap.c: warning: context imbalance in g - unexpected unlock' \
	'mm/zswap.c: warning: no previous prototype for f [-Wmissing-prototypes]' | LC_ALL=C sort)
[ "$new_w" = "$want" ] || bad="new warnings found: [$new_w], want [$want]"
check "static checks: a moved warning is not new, a second one and a sparse one are"

# 6. WARN from the test module while the guest command itself exits 0.
if [ $vm = 0 ]; then
	echo "ok - harness: a WARNING in the guest fails the run # SKIP --no-vm"
	exit 0
fi
out=$(VM_TIMEOUT=300 "$ROOT/scripts/vm.sh" -n harness-warn -c \
	'insmod /opt/memcg-lru/modules/memcg_lru_test.ko &&
	 echo 1 > /sys/kernel/debug/memcg_lru_test/trigger_warn' 2>&1)
rc=$?
if [ $rc = 125 ] && printf '%s\n' "$out" | grep -q 'check-log: WARNING'; then
	echo "ok - harness: a WARNING in the guest fails the run"
else
	echo "not ok - harness: a WARNING in the guest fails the run (vm.sh exit $rc)"
	printf '%s\n' "$out" | sed 's/^/# /'
fi
