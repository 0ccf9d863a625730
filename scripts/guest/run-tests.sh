#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest-side test runner: every KUnit suite (read back from debugfs), every
# selftest in run_tests.list, and every case of the test module, as one TAP
# stream.  Each sub-result is a top-level TAP line; the output of the
# program behind it follows as "# " diagnostics.
#
#   run-tests [kunit] [selftests] [module]     (default: all three)
#   SELFTESTS="test_a test_b"                  restrict the selftests
n=0 failed=0
what=${*:-kunit selftests module}

tap() {	# tap STATUS NAME [DIRECTIVE]
	n=$((n + 1))
	case $1 in
	ok) echo "ok $n $2${3:+ # $3}" ;;
	*) echo "not ok $n $2"; failed=$((failed + 1)) ;;
	esac
}

indent() { sed 's/^/# /'; }

run_kunit() {
	local d suite
	for d in /sys/kernel/debug/kunit/*/; do
		[ -f "$d/results" ] || continue
		suite=$(basename "$d")
		indent < "$d/results"
		if grep -q 'not ok' "$d/results" || ! grep -q "^ok " "$d/results"; then
			tap fail "kunit: $suite"
		else
			tap ok "kunit: $suite"
		fi
	done
}

# Run one selftest, capturing its exit status through a file because the
# pipe to indent would otherwise hide it.
selftest() {
	local t=$1 rc
	( cd /opt/memcg-lru/selftests/memcg_lru && ./"$t"; echo $? > /tmp/.rc ) 2>&1 | indent
	rc=$(cat /tmp/.rc)
	case $rc in
	0) tap ok "selftest: $t" ;;
	4) tap ok "selftest: $t" SKIP ;;
	*) tap fail "selftest: $t (exit $rc)" ;;
	esac
}

# The module is loaded before the selftests (some read its debugfs files)
# and unloaded at the end, which is a test of its own.
load_module() {
	if insmod /opt/memcg-lru/modules/memcg_lru_test.ko; then
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
	local res=/tmp/module.ktap
	[ -d /sys/kernel/debug/memcg_lru_test ] || return
	cat /sys/kernel/debug/memcg_lru_test/results > $res
	indent < $res
	if ! grep -q '^1\.\.[0-9]' $res; then
		tap fail "module: KTAP plan"
	fi
	while read -r a b c d rest; do
		case "$a $b" in
		"ok "*) tap ok "module: $c" "$( [ "$d" = "#" ] && echo "$rest")" ;;
		"not ok") tap fail "module: $d" ;;
		esac
	done < $res
}

echo "TAP version 13"
case " $what " in *" selftests "*|*" module "*) load_module ;; esac
for w in $what; do
	case $w in
	kunit) run_kunit ;;
	selftests)
		list=/opt/memcg-lru/selftests/memcg_lru/run_tests.list
		for t in ${SELFTESTS:-$(sed -e 's/#.*//' -e '/^$/d' $list)}; do
			selftest "$t"
		done ;;
	module) run_module ;;
	*) echo "# run-tests: unknown group $w"; tap fail "run-tests: $w" ;;
	esac
done
lsmod | grep -q '^memcg_lru_test' && unload_module
echo "1..$n"
[ $failed = 0 ]
