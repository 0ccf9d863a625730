#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest-side test runner: every KUnit suite (read back from debugfs), every
# selftest in run_tests.list, and every case of the test module, as one TAP
# stream.  Each case (KUnit case, kselftest case, module case) is one
# top-level TAP line, a skip keeps its reason; the output of the program
# behind it comes first as "# " diagnostics.  The plan "1..N" comes last:
# the host (test.sh) requires it, every line it announces, and exit 0.
#
#   run-tests [kunit] [selftests] [module]     (default: all three)
#   SELFTESTS="test_a test_b"   restrict the selftests (default: the list)
#   SELFTEST_TIMEOUT=S          seconds each selftest binary may run
#                               (default 600; "timeout=S" in the list wins)
#
# run_tests.list: one binary a line, "NAME [v1] [timeout=S]".  In the boot
# with cgroup v1 (memcg_lru.cgroup=v1) only the binaries tagged v1 run.  A
# case named *_v1 belongs to that boot, *_v2 to the other: in the wrong boot
# its skip is not planned (a "# run-tests: other boot:" line says so, and
# test.sh checks that the case ran in its own boot).
#
# Test seams (the host's harness-selftest.sh runs this with fakes):
# RUN_TESTS_ROOT (/opt/memcg-lru), RUN_TESTS_KUNIT (debugfs kunit dir),
# RUN_TESTS_MLT (the module's debugfs dir), RUN_TESTS_MODULE (the .ko to
# load; empty: none), RUN_TESTS_CGROUP (v1/v2), RUN_TESTS_DMESG (a file
# read instead of dmesg), RUN_TESTS_TMP (scratch dir).
n=0 failed=0
what=${*:-kunit selftests module}
top=${RUN_TESTS_ROOT:-/opt/memcg-lru}
kunit_dir=${RUN_TESTS_KUNIT:-/sys/kernel/debug/kunit}
mlt=${RUN_TESTS_MLT:-/sys/kernel/debug/memcg_lru_test}
ko=${RUN_TESTS_MODULE-$top/modules/memcg_lru_test.ko}
st_dir=$top/selftests/memcg_lru
tmp=${RUN_TESTS_TMP:-/tmp}
cgroup=${RUN_TESTS_CGROUP:-}
if [ -z "$cgroup" ]; then
	cgroup=v2
	grep -q 'memcg_lru.cgroup=v1' /proc/cmdline 2>/dev/null && cgroup=v1
fi

tap() {	# tap STATUS NAME [DIRECTIVE]
	n=$((n + 1))
	case $1 in
	ok) echo "ok $n $2${3:+ # $3}" ;;
	*) echo "not ok $n $2"; failed=$((failed + 1)) ;;
	esac
}

indent() { awk '{ print "# " $0 }'; }

# case_result PREFIX LINE [REASON]: one case line of a sub-test's TAP
# ("ok 3 name", "not ok 3 name", "ok 3 name # SKIP why", or kselftest's
# "ok 3 # SKIP name: why") becomes our own line PREFIX+name.  REASON is
# the skip reason when the line gives none (the case's last diagnostic).
# Sets case_name and case_status (ok, fail, skip, other-boot).
case_result() {
	local l=$2 num desc dir why full
	case $l in
	"not ok "*) case_status=fail; l=${l#not ok } ;;
	*) case_status=ok; l=${l#ok } ;;
	esac
	num=${l%% *}
	l=${l#"$num"}; l=${l# }
	case $l in
	"# "*) desc=; dir=${l#\# } ;;
	*" # "*) desc=${l%% # *}; dir=${l#* # } ;;
	*) desc=$l; dir= ;;
	esac
	case $dir in
	SKIP*|skip*)
		[ $case_status = ok ] && case_status=skip
		why=${dir#????}; why=${why# } ;;
	XFAIL*) why=${dir#XFAIL}; desc=${desc:-${why# }} ;;
	error*) why=${dir#error}; desc=${desc:-${why# }} ;;
	*) why= ;;
	esac
	# kselftest puts the name into the skip message: "name: why" or a
	# bare "name [zpool]"; anything else is only a reason.
	if [ -z "$desc" ] && [ $case_status = skip ]; then
		full=$why
		case $why in
		*": "*) desc=${why%%: *}; why=${why#*: } ;;
		*) desc=$why; why= ;;
		esac
		case $desc in
		*[!A-Za-z0-9_\ .-]*|[!A-Za-z]*) desc='' why=$full ;;
		*_*) ;;
		*) desc='' why=$full ;;
		esac
	fi
	desc=$(printf '%s' "${desc:-case $num}" | tr -d '#')
	case_name=$1$desc
	why=${why:-${3:-no reason given}}
	case_why=$why
	case $case_status in
	skip)
		case "$cgroup:$desc" in
		v2:*_v1|v1:*_v2)
			case_status=other-boot
			echo "# run-tests: other boot: $case_name ($why)"
			return ;;
		esac
		tap ok "$case_name" "SKIP $(printf '%s' "$why" | tr -d '#')" ;;
	ok) tap ok "$case_name" ;;
	*) tap fail "$case_name" ;;
	esac
}

# cases FILE PREFIX: relay every case line of the (de-indented) KTAP in
# FILE; ncases is set to how many there were.
cases() {
	local line last=
	ncases=0
	while IFS= read -r line; do
		case $line in
		"ok "*|"not ok "*)
			ncases=$((ncases + 1))
			case_result "$2" "$line" "$last"
			last= ;;
		"# "*) last=${line#\# } ;;
		esac
	done < "$1"
}

# KUnit: each suite's debugfs log holds 512 bytes a case, so a case that
# logs more loses its result line there; the kernel log has every line.
kunit_dmesg() {
	if [ -n "${RUN_TESTS_DMESG:-}" ]; then cat "$RUN_TESTS_DMESG"; else dmesg; fi |
		sed 's/^\[[^]]*\] //' |
		awk -v s="$1" '$0 == "    # Subtest: " s { on = 1; next }
			on && /^[^ ]/ { exit }
			on { print }'
}

run_kunit() {
	local res suite plan got k=$tmp/kunit.ktap
	set -- "$kunit_dir"/*/results
	if [ ! -f "$1" ]; then
		tap fail "kunit: no suite in $kunit_dir"
		return
	fi
	for res; do
		suite=$(basename "$(dirname "$res")")
		indent < "$res"
		# The suite's cases are indented by four spaces.
		sed -n 's/^    \([^ ]\)/\1/p' "$res" > "$k"
		plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$k" | head -n 1)
		got=$(grep -cE '^(not )?ok [0-9]' "$k")
		if [ -z "$plan" ] || [ "$got" -lt "$plan" ]; then
			echo "# kunit: $suite: $got of ${plan:-?} case lines in debugfs; reading the kernel log"
			kunit_dmesg "$suite" | sed -n 's/^    \([^ ]\)/\1/p' > "$k"
			[ -n "$plan" ] || plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$k" | head -n 1)
		fi
		cases "$k" "kunit: $suite: "
		if [ -z "$plan" ]; then
			tap fail "kunit: $suite: no plan"
		elif [ "$ncases" -lt "$plan" ]; then
			tap fail "kunit: $suite: $ncases of $plan cases reported"
		fi
		# A suite can fail outside its cases (suite init).
		if grep -q "^not ok [0-9]* $suite\$" "$res"; then
			grep -q '^    not ok ' "$res" "$k" ||
				tap fail "kunit: $suite: suite failed"
		fi
	done
}

# selftest NAME LIMIT: run one binary in its own session with LIMIT
# seconds before the whole session is killed, so one hang costs one test;
# then relay its cases.  Cases it planned but never reported are skips when
# it exited with KSFT_SKIP (4), failures otherwise.
selftest() {
	local t=$1 limit=$2 out=$tmp/selftest.out mark=$tmp/selftest.timeout
	local pid dog rc line plan='' last='' key='' bail='' why start before=$failed
	rm -f "$mark"
	start=$(date +%s)
	(cd "$st_dir" && exec setsid "./$t") > "$out" 2>&1 &
	pid=$!
	(
		trap 'kill $s 2>/dev/null; exit 0' TERM
		sleep "$limit" & s=$!
		wait $s
		echo timeout > "$mark"
		kill -TERM -"$pid" 2>/dev/null
		sleep 5 & s=$!
		wait $s
		kill -KILL -"$pid" 2>/dev/null
	) &
	dog=$!
	wait "$pid" 2>/dev/null
	rc=$?
	kill "$dog" 2>/dev/null
	wait "$dog" 2>/dev/null
	kill -KILL -"$pid" 2>/dev/null	# children it left behind

	ncases=0
	case_why=
	# (A binary killed mid-line leaves a last line without a newline.)
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in
		"1..0"*) plan=0; last=${line#*# SKIP}; last=${last# }; echo "# $line" ;;
		1..*) [ -n "$plan" ] || plan=${line#1..}; echo "# $line" ;;
		"ok "*|"not ok "*)
			ncases=$((ncases + 1))
			case_result "selftest: $t: " "$line" "$last"
			[ "$case_status" = other-boot ] ||
				[ -z "$key$last" ] || echo "# figure: ${key:-$last}"
			last='' key='' ;;
		"# key: "*) key=${line#\# key: }; echo "# $line" ;;
		"# Totals:"*|"# Planned tests"*) echo "# $line" ;;
		"# "*) last=${line#\# }; echo "# $line" ;;
		"Bail out! "*) bail=${line#Bail out! }; echo "# $line" ;;
		*) echo "# $line" ;;
		esac
	done < "$out"
	echo "# selftest: $t: exit $rc after $(( $(date +%s) - start ))s (limit ${limit}s)"

	if [ -f "$mark" ]; then
		why="timed out after ${limit}s"
	elif [ $rc -gt 128 ]; then
		why="killed by signal $((rc - 128))"
	elif [ -n "$bail" ]; then
		why="bailed out: $bail"
	else
		why="exit $rc"
	fi
	plan=$(printf '%s' "$plan" | sed 's/[^0-9].*//')
	if [ -z "$plan" ]; then
		if [ $rc = 4 ] && [ ! -f "$mark" ]; then
			tap ok "selftest: $t" "SKIP ${last:-exit 4 without a plan}"
		else
			tap fail "selftest: $t: no TAP plan ($why)"
		fi
		return
	fi
	if [ "$plan" = 0 ]; then
		if [ $rc = 4 ] || [ $rc = 0 ]; then
			tap ok "selftest: $t" "SKIP ${last:-planned no case}"
		else
			tap fail "selftest: $t ($why)"
		fi
		return
	fi
	while [ "$ncases" -lt "$plan" ]; do
		ncases=$((ncases + 1))
		if [ $rc = 4 ] && [ ! -f "$mark" ]; then
			tap ok "selftest: $t: case $ncases of $plan" "SKIP not run: ${case_why:-${last:-the binary skipped the rest}}"
		else
			tap fail "selftest: $t: case $ncases of $plan not reported ($why)"
		fi
	done
	[ "$ncases" -gt "$plan" ] &&
		tap fail "selftest: $t: $ncases cases reported, $plan planned"
	# A bad exit that no failed case explains is a failure of its own.
	if [ $rc != 0 ] && [ $rc != 4 ] && [ $failed = "$before" ]; then
		tap fail "selftest: $t ($why)"
	elif [ -f "$mark" ] && [ $failed = "$before" ]; then
		tap fail "selftest: $t ($why)"
	fi
}

# The binaries for this boot: "NAME LIMIT" lines.
selftest_list() {
	local list=$st_dir/run_tests.list name tags tag limit v1 want
	sed -e 's/#.*//' "$list" 2>/dev/null | while read -r name tags; do
		[ -n "$name" ] || continue
		limit=${SELFTEST_TIMEOUT:-600} v1=
		for tag in $tags; do
			case $tag in
			v1) v1=1 ;;
			timeout=*) [ -n "${SELFTEST_TIMEOUT:-}" ] || limit=${tag#timeout=} ;;
			esac
		done
		[ $cgroup = v1 ] && [ -z "$v1" ] && continue
		if [ -n "${SELFTESTS:-}" ]; then
			want=
			for t in $SELFTESTS; do [ "$t" = "$name" ] && want=1; done
			[ -n "$want" ] || continue
		fi
		echo "$name $limit"
	done
	# SELFTESTS may name a binary that is not in the list.
	for t in ${SELFTESTS:-}; do
		grep -qE "^$t([[:space:]]|\$)" "$list" 2>/dev/null ||
			echo "$t ${SELFTEST_TIMEOUT:-600}"
	done
}

run_selftests() {
	local t limit l=$tmp/selftests.list
	selftest_list > "$l"
	if [ ! -s "$l" ]; then
		if [ -n "${SELFTESTS:-}" ]; then
			tap ok "selftests" "SKIP none of SELFTESTS runs with cgroup $cgroup"
		else
			tap fail "selftests: none to run in this boot (cgroup $cgroup)"
		fi
		return
	fi
	while read -r t limit; do
		selftest "$t" "$limit" < /dev/null
	done < "$l"
}

# The module is loaded before the selftests (some read its debugfs files)
# and unloaded at the end, which is a test of its own.
load_module() {
	[ -n "$ko" ] || return 0
	if insmod "$ko"; then
		tap ok "module: load"
	else
		tap fail "module: load"
	fi
}

unload_module() {
	if rmmod memcg_lru_test; then
		tap ok "module: unload"
	else
		tap fail "module: unload"
	fi
}

run_module() {
	local res=$tmp/module.ktap plan
	if ! cat "$mlt/results" > "$res" 2>/dev/null; then
		tap fail "module: no $mlt/results"
		return
	fi
	indent < "$res"
	cases "$res" "module: "
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$res" | head -n 1)
	if [ -z "$plan" ]; then
		tap fail "module: KTAP plan"
	elif [ "$ncases" != "$plan" ]; then
		tap fail "module: $ncases cases reported, $plan planned"
	fi
}

mkdir -p "$tmp"
echo "TAP version 13"
echo "# run-tests: $what (cgroup $cgroup)"
case " $what " in *" selftests "*|*" module "*) load_module ;; esac
for w in $what; do
	case $w in
	kunit) run_kunit ;;
	selftests) run_selftests ;;
	module) run_module ;;
	*) echo "# run-tests: unknown group $w"; tap fail "run-tests: $w" ;;
	esac
done
[ -n "$ko" ] && lsmod | grep -q '^memcg_lru_test' && unload_module
echo "1..$n"
[ $failed = 0 ]
