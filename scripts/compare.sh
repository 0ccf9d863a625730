#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make compare: the same selftests on the unpatched base (BASE=1) and on
# the patched kernel, both with the debug profile, each in a cgroup v2 boot
# and a cgroup v1 boot (the binaries tagged v1), then one table: test, base
# result, patched result, and the key figure of each (the case's "# key:"
# line, else its last diagnostic).  README.md's "on the base" column is
# read too: a test whose row says "fails ..." but that passed on the base
# is flagged (so is "passes" that failed and "skips" that did not skip),
# and the exit status is then 1.
#
#   compare.sh                       build, boot four times, print the table
#                                    (SELFTESTS and the selftests' knobs,
#                                    LRU_*, REPARENT_*, ZSWAP_*, FAULTS_*, pass into
#                                    the guests as with make test)
#   compare.sh --table DIR [README]  only the table, from the results in DIR
#                                    (base.results, patched.results and the
#                                    -v1 ones; harness-selftest uses this)
#
# The table and the logs are kept in build/logs/compare/.
. "$(dirname "$0")/lib.sh"

# results FILE PREFIX: "STATUS<TAB>NAME<TAB>FIGURE" for each result line of a
# guest's run-tests output.  STATUS is pass, FAIL or skip; NAME loses its
# "selftest: " and a trailing "(12.3s)", which becomes the figure when the
# case printed none; a skip's reason is its figure when it has no other.
results() {
	tr -d '\r' < "$1" | awk -v pfx="$2" '
		function flush() {
			if (name == "") return
			if (fig == "") fig = dflt
			printf "%s\t%s%s\t%s\n", st, pfx, name, fig
			name = ""
		}
		/^(not )?ok [0-9]+ / {
			flush()
			st = /^not ok/ ? "FAIL" : "pass"
			line = $0
			sub(/^(not )?ok [0-9]+ /, "", line)
			dflt = ""
			if (line ~ / # SKIP/) {
				st = "skip"
				dflt = line; sub(/.* # SKIP ?/, "", dflt)
				sub(/ # SKIP.*/, "", line)
			}
			sub(/^selftest: /, "", line)
			if (match(line, / \([0-9.]+s\)$/)) {
				dflt = substr(line, RSTART + 2, RLENGTH - 3)
				line = substr(line, 1, RSTART - 1)
			}
			name = line; fig = ""
			next
		}
		/^# figure: / && name != "" { fig = substr($0, 11); next }
		/^1\.\.[0-9]+$/ { flush() }
		END { flush() }'
}

# readme_rows README: "TOKENS<TAB>ON THE BASE" for each row of the "What is
# tested" table; TOKENS are the identifiers in backquotes of its "where"
# column, "x_v2/v1" standing for x_v2 and x_v1, and a blank inside one
# (`case zpool`, a row about one zpool's case) written as "+".
readme_rows() {
	awk -F'|' '
		/^```/ { fence = !fence; next }
		fence { next }
		/^## / { on = ($0 ~ /^## What is tested/); next }
		on && NF >= 5 && $2 !~ /^ *(area|---)/ {
			where = $3; base = $4
			gsub(/^ +| +$/, "", base)
			toks = ""
			while (match(where, /`[^`]*`/)) {
				t = substr(where, RSTART + 1, RLENGTH - 2)
				where = substr(where, RSTART + RLENGTH)
				if (match(t, /_v[12]\/v[12]$/)) {
					stem = substr(t, 1, RSTART)
					toks = toks " " stem substr(t, RSTART + 1, 2) " " stem substr(t, RSTART + 4, 2)
				} else {
					sub(/.*\//, "", t)	# selftests/memcg_lru/test_basics
					gsub(/ /, "+", t)	# `zswap_integrity zsmalloc`
					toks = toks " " t
				}
			}
			print toks " \t" base
		}' "$1"
}

# table DIR [README]
table() {
	local dir=$1 readme=${2:-$ROOT/README.md} kind sfx st name fig bin case_ full row
	local toks base want got flags=() names=()
	local -A res fig_ seen rows_case=() rows_bin=()

	for kind in patched base; do
		for sfx in "" -v1; do
			[ -f "$dir/$kind$sfx.results" ] || continue
			while IFS=$'\t' read -r st name fig; do
				res[$kind,$name]=$st
				fig_[$kind,$name]=$fig
				[ -n "${seen[$name]:-}" ] || { seen[$name]=1; names+=("$name"); }
			done < <(results "$dir/$kind$sfx.results" "${sfx:+v1: }")
		done
	done

	# README rows by case name, and by binary for rows naming no case.
	# "test_zswap_usage zbud": the case is its first word; a row may also
	# name the whole "test_zswap_usage+zbud", which wins.
	local -A is_case=()
	for name in "${names[@]}"; do
		case_=${name##*: }
		is_case[${case_%% *}]=1
		is_case[${case_// /+}]=1
	done
	if [ -f "$readme" ]; then
		while IFS=$'\t' read -r toks base; do
			local named=0 t
			for t in $toks; do [ -n "${is_case[$t]:-}" ] && named=1; done
			for t in $toks; do
				if [ $named = 1 ]; then
					[ -n "${is_case[$t]:-}" ] && rows_case[$t]+="$base"$'\n'
				else
					rows_bin[$t]+="$base"$'\n'
				fi
			done
		done < <(readme_rows "$readme")
	fi

	printf '| test | base | patched | base figure | patched figure |\n'
	printf '|---|---|---|---|---|\n'
	for name in "${names[@]}"; do
		row=${name#v1: }
		bin=${row%%: *}
		full=${row##*: }
		full=${full// /+}
		case_=${full%%+*}
		got=${res[base,$name]:--}
		want=${rows_case[$full]:-${rows_case[$case_]:-${rows_bin[$bin]:-}}}
		want=$(printf '%s' "$want" | head -n 1)
		local flag=
		case $want:$got in
		fails*:pass|passes*:FAIL|skips*:pass|skips*:FAIL)
			flag=" (!)"
			flags+=("$name: README says \"$want\" on the base, but it gave $got") ;;
		esac
		printf '| %s | %s | %s | %s | %s |\n' "$name" "$got$flag" "${res[patched,$name]:--}" \
			"$(short "${fig_[base,$name]:-}")" "$(short "${fig_[patched,$name]:-}")"
	done
	for kind in base patched; do
		for sfx in "" -v1; do
			[ -f "$dir/$kind$sfx.status" ] &&
				echo "# $kind kernel${sfx:+ (cgroup v1)}: $(cat "$dir/$kind$sfx.status")"
		done
	done
	if [ ${#flags[@]} -gt 0 ]; then
		echo
		echo "README.md \"on the base\" disagrees with this run:"
		printf '  %s\n' "${flags[@]}"
		return 1
	fi
}

# short TEXT: a figure fit for a table cell.
short() {
	local s=${1//|/\\|}
	[ ${#s} -gt 70 ] && s="${s:0:67}..."
	printf '%s' "$s"
}

if [ "${1:-}" = --table ]; then
	table "${2:?usage: compare.sh --table DIR [README]}" "${3:-}"
	exit
fi

[ "${DRY_RUN:-0}" = 1 ] && die "make compare does not support DRY_RUN=1"
S=$ROOT/scripts
export PROFILE=debug
out=$LOGS/compare
mkdir -p "$out"
"$S/deps.sh" && "$S/base.sh" && "$S/apply.sh" || exit 1
for kind in base patched; do
	b=0; [ $kind = base ] && b=1
	BASE=$b "$S/build.sh" all || exit 1
	BASE=$b "$S/initramfs.sh" || exit 1
done

rm -f "$out"/*.results "$out"/*.status
genv=$(guest_env)
[ -z "$genv" ] || log "compare: knobs passed into the guests: $genv"
for kind in base patched; do
	b=0; [ $kind = base ] && b=1
	for sfx in "" -v1; do
		# as make test's boots: two NUMA nodes for the per-node cases
		append="numa=fake=2"
		[ -n "$sfx" ] && append="memcg_lru.cgroup=v1 $append"
		log "compare: selftests on the $kind kernel${sfx:+ (cgroup v1)}"
		BASE=$b VM_APPEND="${VM_APPEND:-} $append" VM_TIMEOUT=${VM_TIMEOUT:-2400} \
			VM_STREAM_PREFIX="# $kind$sfx: " \
			"$S/vm.sh" -n "compare$sfx" -c "${genv}run-tests selftests"
		rc=$?
		d=$LOGS/compare$sfx-$kind-$PROFILE
		cp "$d/results.log" "$out/$kind$sfx.results" 2>/dev/null
		case $rc in
		0) echo "every case passed or skipped; clean log" ;;
		125) echo "run failed (splat, hang or no exit report): see ${d#"$ROOT"/}" ;;
		*) echo "run-tests exited $rc (failed cases)" ;;
		esac > "$out/$kind$sfx.status"
	done
done
echo
table "$out" "$ROOT/README.md" | tee "$out/table"
exit "${PIPESTATUS[0]}"
