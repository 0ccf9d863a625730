# SPDX-License-Identifier: GPL-2.0
# The verdict logic of the harness, in one file so that harness-selftest.sh
# exercises the code make test runs: counted TAP result lines, relaying a
# step's lines without losing its exit status, the verdict of a VM run (exit
# line, timeout, console splats) and of the guest's TAP (its plan, every
# planned line, exit 0).  Sourced after lib.sh by test.sh, vm.sh,
# compare.sh and harness-selftest.sh; defines functions and counters only.

# The last command of a pipeline runs in this shell, so relay's counters
# survive and PIPESTATUS has the producer's status.
shopt -s lastpipe

pass=0 fail=0 skip=0 n=0

# result STATUS NAME [DIRECTIVE]: one TAP line, counted.  STATUS ok with a
# directive is a skip.
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

# relay: "ok - name [# SKIP why]" / "not ok - name" lines on stdin become
# ours; anything else is a diagnostic.  Sets relayed (result lines seen)
# and relay_failed (failures among them).
relay() {
	local line l
	relayed=0 relay_failed=0
	while IFS= read -r line; do
		case $line in
		"ok - "*"# SKIP"*) l=${line#ok - }; result ok "${l% # *}" "${line##*# }" ;;
		"ok - "*) result ok "${line#ok - }" ;;
		"not ok - "*) result fail "${line#not ok - }"; relay_failed=$((relay_failed + 1)) ;;
		"#"*) echo "$line"; continue ;;
		*) echo "# $line"; continue ;;
		esac
		relayed=$((relayed + 1))
	done
}

# produce NAME CMD...: relay CMD's result lines as they come.  CMD must
# report at least one, and a non-zero exit that no failed line explains is
# a failure of its own.
produce() {
	local name=$1 rc
	shift
	"$@" 2>&1 | relay
	rc=${PIPESTATUS[0]}
	if [ "$relayed" = 0 ]; then
		result fail "$name: no result lines (exit $rc)"
	elif [ "$rc" != 0 ] && [ "$relay_failed" = 0 ]; then
		result fail "$name (exit $rc)"
	fi
	[ "$rc" = 0 ]
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

# guest_lines RESULTS: the guest's top-level TAP lines and its plan, serial
# line ends (CR) dropped.
guest_lines() {
	tr -d '\r' < "$1" 2>/dev/null | grep -E '^((not )?ok [0-9]+ |1\.\.[0-9]+)'
}

# guest_verdict RESULTS VM_STATUS PREFIX NAME: the guest's result lines
# become ours (names get PREFIX), then one line NAME for the run itself.
# The run passes only when the plan "1..N" is there, each of its N lines
# came exactly once, and the guest command exited 0 (vm.sh: 125 when the
# boot, the log or the exit report failed).
guest_verdict() {
	local res=$1 rc=$2 pfx=$3 what=$4 line l num plan= k bad= missing=0
	local -A seen=()

	guest_lines "$res" | while IFS= read -r line; do
		case $line in
		1..*) plan=${line#1..}; continue ;;
		"not ok "*) l=${line#not ok }; num=${l%% *}; result fail "$pfx${l#* }" ;;
		*"# SKIP"*) l=${line#ok }; num=${l%% *}; l=${l#* }
			result ok "$pfx${l% # SKIP*}" "SKIP${line##*# SKIP}" ;;
		*) l=${line#ok }; num=${l%% *}; result ok "$pfx${l#* }" ;;
		esac
		seen[$num]=$(( ${seen[$num]:-0} + 1 ))
	done
	if [ -z "$plan" ]; then
		result fail "${pfx}guest TAP plan: missing, the tests did not finish"
	else
		for ((k = 1; k <= plan; k++)); do
			[ "${seen[$k]:-0}" = 1 ] || missing=$((missing + 1))
		done
		for k in "${!seen[@]}"; do
			{ [ "$k" -gt "$plan" ] || [ "${seen[$k]}" -gt 1 ]; } && bad="$bad $k"
		done
		if [ $missing != 0 ] || [ -n "$bad" ]; then
			result fail "${pfx}guest TAP plan 1..$plan: $missing planned lines missing${bad:+, unplanned or repeated:$bad}"
		fi
	fi
	case $rc in
	0) result ok "$what: clean boot, clean log, exit 0" ;;
	125) result fail "$what: boot, log or exit report failed (see ${res%/*})" ;;
	*) result fail "$what: the guest command exited $rc" ;;
	esac
}

# failure_digest RESULTS PREFIX: for each failed guest line, its name and
# the last diagnostics the selftest printed before it ("# why:" lines).  The
# test command prints them next to its last line, where a log cut to its
# tail (a CI summary) still shows why a case failed, not only that it did.
failure_digest() {
	tr -d '\r' < "$1" 2>/dev/null | awk -v pfx="$2" '
	/^(not )?ok [0-9]+ / {
		if ($1 == "not") {
			name = $0
			sub(/^not ok [0-9]+ /, "", name)
			printf "# why: %s%s\n", pfx, name
			for (i = 0; i < nb; i++)
				printf "# why:   %s\n", buf[i]
		}
		nb = 0
		next
	}
	/^# # / {
		if (nb == 4) {
			for (i = 1; i < 4; i++)
				buf[i - 1] = buf[i]
			nb = 3
		}
		buf[nb++] = substr($0, 5)
	}'
}

# other_boot_check RESULTS OTHER_RESULTS PREFIX: each case the guest left
# unplanned because it belongs to the other boot ("# run-tests: other boot:
# NAME (why)") must have a result line there.
other_boot_check() {
	local name
	tr -d '\r' < "$1" | sed -n 's/^# run-tests: other boot: \([^(]*\) (.*$/\1/p' |
	while IFS= read -r name; do
		# not grep -q: with pipefail, sed's SIGPIPE when grep stops early
		# would turn a match into a failure
		guest_lines "$2" | sed -E 's/^(not )?ok [0-9]+ //; s/ # SKIP.*//' |
			grep -xF -- "$name" >/dev/null ||
			result fail "$3$name: ran in neither boot"
	done
}

# vm_verdict DIR QEMU_STATUS: the status of a job run whose logs are in
# DIR: the job's own (MEMCG_LRU_EXIT=), or 125 when QEMU was killed after
# VM_TIMEOUT, the guest died without reporting, or check-log.sh finds a
# splat in the console log.  Messages go to stderr.
vm_verdict() {
	local dir=$1 qrc=$2 rc
	rc=$(tr -d '\r' < "$dir/results.log" 2>/dev/null |
		sed -n 's/^MEMCG_LRU_EXIT=\([0-9]*\).*/\1/p' | tail -n1)
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		echo "VM: killed after VM_TIMEOUT=${VM_TIMEOUT:-?}s (hung guest); see ${dir#"$ROOT"/}/console.log" >&2
		rc=125
	elif [ -z "$rc" ]; then
		echo "VM: guest died without reporting (qemu exit $qrc); see ${dir#"$ROOT"/}/console.log" >&2
		tail -n 30 "$dir/console.log" >&2 2>/dev/null
		rc=125
	fi
	if ! "$ROOT/scripts/check-log.sh" "$dir/console.log" >&2; then
		echo "VM: kernel splat in ${dir#"$ROOT"/}/console.log: run failed" >&2
		rc=125
	fi
	return "$rc"
}
