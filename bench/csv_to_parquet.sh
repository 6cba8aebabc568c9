#!/usr/bin/env bash
# CSV → Parquet through `osiris run`, against raw DuckDB doing the same conversion in the same run.
# Usage: bench/csv_to_parquet.sh [rows...]   (default: 1000000 10000000). Runs each case 3 times and reports
# the median wall time, rows/s and peak RSS (GNU time). Results: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=("$@")
[ $# -eq 0 ] && ROWS=(1000000 10000000)
RUNS=${RUNS:-3}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/osiris-bench-XXXX)}
mkdir -p "$WORK"
[ -f dist/cli/main.js ] || npm run build >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# time_cmd <cmd...>: runs it under GNU time and prints "seconds peak_kb"; fails loudly if the command fails.
time_cmd() {
  if ! /usr/bin/time -o "$WORK/time.txt" -f '%e %M' "$@" >/dev/null 2>"$WORK/stderr.txt"; then
    cat "$WORK/stderr.txt" >&2
    exit 1
  fi
  tail -1 "$WORK/time.txt"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), node $(node -v)"
printf '| rows | tool | median s | rows/s | median peak RSS MB |\n|---:|---|---:|---:|---:|\n'
for n in "${ROWS[@]}"; do
  csv="$WORK/bench_$n.csv"
  [ -f "$csv" ] || node bench/generate-csv.mjs "$n" "$csv"
  proj="$WORK/project_$n"
  mkdir -p "$proj"
  cat > "$proj/pipeline.yaml" <<YAML
oml_version: "0.1.0"
name: bench-csv-to-parquet
steps:
  - id: extract
    component: filesystem.csv_extractor
    mode: read
    config:
      path: $csv
      exact_decimals: false
      columns: {id: BIGINT, email: VARCHAR, amount: "DECIMAL(12,2)", created_at: TIMESTAMP, category: INTEGER, note: VARCHAR}
  - id: write
    component: filesystem.parquet_writer
    mode: write
    config:
      path: $proj/out.parquet
YAML
  for tool in duckdb-baseline osiris; do
    secs=(); rss=()
    for _ in $(seq "$RUNS"); do
      if [ "$tool" = osiris ]; then
        read -r s m < <(cd "$proj" && time_cmd node "$OLDPWD/bin/osiris.js" run pipeline.yaml)
      else
        read -r s m < <(time_cmd node bench/baseline-duckdb.mjs "$csv" "$WORK/baseline_$n.parquet")
      fi
      secs+=("$s"); rss+=("$m")
    done
    ms=$(printf '%s\n' "${secs[@]}" | median)
    mr=$(printf '%s\n' "${rss[@]}" | median)
    awk -v n="$n" -v t="$tool" -v s="$ms" -v r="$mr" 'BEGIN {printf "| %d | %s | %.2f | %.0f | %.0f |\n", n, t, s, n/s, r/1024}'
  done
done
[ -z "${BENCH_DIR:-}" ] && rm -rf "$WORK"
