#!/usr/bin/env bash
# Runs every fuzz target for its share of a CPU budget and prints, per target, the CPU
# seconds it used, the inputs it ran, its peak memory and how it ended, as a Markdown table.
#
#   fuzz/run.sh [CPU_SECONDS_IN_ALL (3600)] [PARALLEL (1)] [WORK_DIR (/tmp/takehome-fuzz)]
#
# Needs the instrumented build first (see README.md): RUSTC_BOOTSTRAP=1 cargo fuzz build -s none.
# Each target's share is wall-clock time (libFuzzer's -max_total_time); the CPU time actually
# used is read back from /usr/bin/time, so the table reports what ran, not what was asked.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
budget=${1:-3600}
parallel=${2:-1}
work=${3:-/tmp/takehome-fuzz}
bins="$here/target/x86_64-unknown-linux-gnu/release"

# Shares of the budget, in percent: the parsers of hostile bytes get the most.
shares=(archive:14 folder_tree:8 notebook:13 pdf:13 markdown:11 scoring:9 rerun_diff:9 assignment_toml:8 submission_toml:8 program_result:7)

[[ -d "$work/corpus/archive" ]] || "$here/seeds.sh" "$work/corpus" >/dev/null
mkdir -p "$work/logs" "$work/artifacts"

run_one() {
    local target=$1 seconds=$2
    [[ -x "$bins/$target" ]] || { echo "missing $bins/$target: build first" >&2; return 1; }
    mkdir -p "$work/artifacts/$target"
    set +e
    /usr/bin/time -f '%U %S %M' -o "$work/logs/$target.time" \
        "$bins/$target" "$work/corpus/$target" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/$target/" >"$work/logs/$target.log" 2>&1
    echo $? >"$work/logs/$target.status"
    set -e
}

running=0
for share in "${shares[@]}"; do
    target=${share%%:*}
    seconds=$(( budget * ${share##*:} / 100 ))
    echo "fuzzing $target for ${seconds}s" >&2
    run_one "$target" "$seconds" &
    running=$((running + 1))
    if (( running >= parallel )); then wait -n || true; running=$((running - 1)); fi
done
wait

echo "| target | CPU s | inputs run | corpus | peak RSS | ended |"
echo "|---|---:|---:|---:|---:|---|"
total=0
for share in "${shares[@]}"; do
    target=${share%%:*}
    read -r user sys rss_kb < <(tail -n1 "$work/logs/$target.time")
    cpu=$(python3 -c "print(round($user + $sys))")
    total=$((total + cpu))
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/logs/$target.log" | grep -o '[0-9]*$' || echo '?')
    corpus=$(find "$work/corpus/$target" -type f | wc -l)
    status=$(cat "$work/logs/$target.status")
    if [[ $status == 0 ]]; then
        ended="clean"
    else
        ended="exit $status: $(grep -m1 -oE 'ERROR: libFuzzer: [a-z-]+|deadly signal|timeout|out-of-memory' "$work/logs/$target.log" || echo 'see log')"
    fi
    echo "| \`$target\` | $cpu | $runs | $corpus | $((rss_kb / 1024)) MiB | $ended |"
done
echo
echo "CPU seconds in all: $total ($(python3 -c "print(round($total / 3600, 2))") CPU-hours); logs and any crash inputs under $work"
