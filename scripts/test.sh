#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test command (make test): checkpatch, apply, bisect build, kernel,
# module and selftest build, harness self-checks, then one boot of the
# patched debug kernel (lockdep, DEBUG_VM) running every KUnit suite,
# selftest and module case.  Prints TAP and ends with one line
# "N passed, N failed, N skipped"; exits non-zero on any failure.
. "$(dirname "$0")/lib.sh"

S=$ROOT/scripts
pass=0 fail=0 skip=0 n=0
started=$(date +%s)

# result STATUS NAME [DIRECTIVE]: one TAP line, counted.
result() {
	n=$((n + 1))
	case $1 in
	ok)
		if [ -n "${3:-}" ]; then
			echo "ok $n $2 # $3"; skip=$((skip + 1))
		else
			echo "ok $n $2"; pass=$((pass + 1))
		fi ;;
	*) echo "not ok $n $2"; fail=$((fail + 1)) ;;
	esac
}

# Relay "ok - name [# directive]" / "not ok - name" lines of a step;
# diagnostics pass through.  Returns non-zero if the step failed.
relay() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok - "*"# SKIP"*) d=${line#*# }; l=${line#ok - }; result ok "${l% # *}" "$d" ;;
		"ok - "*) result ok "${line#ok - }" ;;
		"not ok - "*) result fail "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done
}

# step NAME CMD...: run CMD, one result line; output kept as diagnostics.
step() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
		result ok "$name"
	else
		[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
		result fail "$name"
		return 1
	fi
}

# relay_guest RESULTS PREFIX: the guest's top-level TAP lines become ours.
relay_guest() {
	local line l

	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"*) l=${line#ok [0-9]* }; result ok "$2${l% # *}" "SKIP ${line##*# SKIP}" ;;
		"ok "*) l=${line#ok }; result ok "$2${l#* }" ;;
		"not ok "*) l=${line#not ok }; result fail "$2${l#* }" ;;
		esac
	done < <(grep -E '^(not )?ok ' "$1" 2>/dev/null)
}

# Selftests that have cases for the cgroup v1 memory controller.
V1_SELFTESTS="test_lru_switch test_reparent test_reparent_deferred test_reparent_churn"

finish() {
	echo "1..$n"
	echo "# make test took $(( $(date +%s) - started ))s; logs under build/logs"
	echo "$pass passed, $fail failed, $skip skipped"
	[ $fail = 0 ]
	exit
}

echo "TAP version 13"
echo "# memcg-lru on Linux $BASE_VERSION (series tested on $TESTED_VERSION), profile $PROFILE"
step "host packages" "$S/deps.sh" || finish
step "base tree $BASE_VERSION" "$S/base.sh" || finish
relay < <("$S/checkpatch.sh")
step "apply patches/series" "$S/apply.sh" || finish
step "kernel build ($KIND-$PROFILE)" "$S/build.sh" kernel || finish
relay < <("$S/bisect.sh")
step "test module build" "$S/build.sh" module
step "selftests build" "$S/build.sh" selftests
step "initramfs" "$S/initramfs.sh" || finish
relay < <("$S/harness-selftest.sh")

# The guest run: every test inside one boot.  Its TAP comes back on the
# results port; each top-level line becomes one of ours.
VM_TIMEOUT=${VM_TIMEOUT:-2400} VM_STREAM_PREFIX='# guest: ' \
	"$S/vm.sh" -n test -c "run-tests ${TEST_GROUPS:-}"
vmrc=$?
res=$LOGS/test-$KIND-$PROFILE/results.log
relay_guest "$res" ""
if [ $vmrc = 125 ]; then
	result fail "guest run: clean boot, clean log, exit reported (see build/logs/test-$KIND-$PROFILE)"
else
	result ok "guest run: clean boot, clean log, exit reported"
fi

# Second boot: the cgroup v1 memory controller, for the tests that also
# run there (as the seed reports do); v2-only cases skip.
VM_TIMEOUT=${VM_TIMEOUT:-2400} VM_STREAM_PREFIX='# guest-v1: ' \
	VM_APPEND="memcg_lru.cgroup=v1" \
	"$S/vm.sh" -n test-v1 -c "SELFTESTS='$V1_SELFTESTS' run-tests selftests"
vmrc=$?
res=$LOGS/test-v1-$KIND-$PROFILE/results.log
relay_guest "$res" "v1: "
if [ $vmrc = 125 ]; then
	result fail "guest run (cgroup v1): clean boot, clean log, exit reported (see build/logs/test-v1-$KIND-$PROFILE)"
else
	result ok "guest run (cgroup v1): clean boot, clean log, exit reported"
fi
finish
