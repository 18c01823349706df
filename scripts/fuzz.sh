#!/usr/bin/env bash
# Runs every libFuzzer harness of tests/fuzz/ for SECONDS each, two at a
# time (the machines have two cores), over its committed corpus
# (tests/fuzz/corpus/<name>/, read only) and a scratch corpus under the
# build dir that grows between runs.  Prints one line per harness: runs,
# coverage (libFuzzer's edge and feature counts), corpus size.  A crash,
# leak or failed property fails the run and leaves the input in
# BUILD/fuzz/artifacts/: copy it into the committed corpus as a
# regression input once fixed (tests/fuzz/README.md).
set -uo pipefail
build=${1:?build dir}
seconds=${2:?seconds per harness}
shift 2
names=("$@")
out=$build/fuzz
mkdir -p "$out/artifacts" "$out/logs"

run_one() {
    local name=$1 scratch=$out/corpus/$1
    mkdir -p "$scratch"
    "$out/fuzz_$name" -max_total_time="$seconds" -print_final_stats=1 \
        -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$out/artifacts/$name-" \
        "$scratch" "tests/fuzz/corpus/$name" > "$out/logs/$name.log" 2>&1
}

rc=0
pids=()
for name in "${names[@]}"; do
    run_one "$name" &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then
        wait "${pids[0]}" || rc=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do wait "$pid" || rc=1; done

printf '%-14s %12s %8s %8s %8s  %s\n' harness runs exec/s cov ft corpus
for name in "${names[@]}"; do
    log=$out/logs/$name.log
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corpus=$(ls "$out/corpus/$name" | wc -l)
    printf '%-14s %12s %8s %8s %8s  %s\n' "$name" "${runs:-?}" "${speed:-?}" \
        "${cov:-?}" "${ft:-?}" "$corpus"
    if grep -qE '^==[0-9]+==ERROR|^SUMMARY: |property failed|deadly signal' "$log"; then
        echo "   FAILED: $log"; grep -E 'ERROR|SUMMARY|property failed|Test unit written' "$log" | head -5
        rc=1
    fi
done
exit $rc
