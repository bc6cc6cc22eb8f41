#!/usr/bin/env bash
# soak.sh [N]: the proof that the suite does not flake - `make test` and
# `make asan` N times in a row (20 by default), each with ctest -j8, while
# one busy loop per core competes for the CPU.  Stops at the first failure
# and keeps its log; prints one line per run and a closing count.
set -u
cd "$(dirname "$0")/../.."
n=${1:-20}
log=${SOAK_LOG:-/tmp/sipc-soak}
mkdir -p "$log"
hogs=()
for _ in $(seq "$(nproc)"); do
	bash -c 'while :; do :; done' &
	hogs+=($!)
done
trap 'kill "${hogs[@]}" 2>/dev/null' EXIT
passed=0
for i in $(seq "$n"); do
	for target in test asan; do
		start=$(date +%s)
		if make "$target" JOBS=8 >"$log/$target-$i.log" 2>&1; then
			echo "run $i make $target: passed in $(($(date +%s) - start)) s"
		else
			echo "run $i make $target: FAILED (log: $log/$target-$i.log)"
			grep -E 'FAIL|Failed|\*\*\*' "$log/$target-$i.log" | head -20
			echo "$passed passed, 1 failed"
			exit 1
		fi
		passed=$((passed + 1))
	done
done
echo "$passed passed, 0 failed"
