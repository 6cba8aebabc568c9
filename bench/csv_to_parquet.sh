#!/usr/bin/env bash
# CSV → Parquet and CSV → SQL transform → Parquet through `osiris run`, each against raw DuckDB doing the
# same conversion as one statement in the same run (bench/baseline-duckdb.mjs).
# Usage: bench/csv_to_parquet.sh [rows...]   (default: 1000000 10000000). Each case runs RUNS times (default
# 3), round robin (baseline, osiris, baseline, osiris, …), and reports the median wall time, rows/s, median
# peak RSS (GNU time) and the ratio baseline s / osiris s (goal ≥ 0.9, issue 14). OSIRIS_ENV, e.g.
# "OSIRIS_FUSE=0", is set for the Osiris runs. Results: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=("$@")
[ $# -eq 0 ] && ROWS=(1000000 10000000)
RUNS=${RUNS:-3}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/osiris-bench-XXXX)}
mkdir -p "$WORK"
[ -f dist/cli/main.js ] || npm run build >/dev/null
# The transform case: a filter, a computed column and a function per row (what a typical clean-up does).
SQL="SELECT id, lower(email) AS email, amount * 2 AS amount2, created_at, category, note FROM input_df WHERE category <> 3"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# time_cmd <cmd...>: runs it under GNU time and prints "seconds peak_kb"; fails loudly if the command fails.
time_cmd() {
  if ! /usr/bin/time -o "$WORK/time.txt" -f '%e %M' "$@" >/dev/null 2>"$WORK/stderr.txt"; then
    cat "$WORK/stderr.txt" >&2
    exit 1
  fi
  tail -1 "$WORK/time.txt"
}

# pipeline <csv> <out> [sql]: the OML of the Osiris side.
pipeline() {
  cat <<YAML
oml_version: "0.1.0"
name: bench-csv-to-parquet
steps:
  - id: extract
    component: filesystem.csv_extractor
    mode: read
    config:
      path: $1
      exact_decimals: false
      columns: {id: BIGINT, email: VARCHAR, amount: "DECIMAL(12,2)", created_at: TIMESTAMP, category: INTEGER, note: VARCHAR}
YAML
  local upstream=extract
  if [ -n "${3:-}" ]; then
    upstream=transform
    cat <<YAML
  - id: transform
    component: duckdb.processor
    mode: transform
    needs: [extract]
    config:
      query: "$3"
YAML
  fi
  cat <<YAML
  - id: write
    component: filesystem.parquet_writer
    mode: write
    needs: [$upstream]
    config:
      path: $2
YAML
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), node $(node -v), load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| rows | case | tool | median s | rows/s | median peak RSS MB | ratio |\n|---:|---|---|---:|---:|---:|---:|\n'
for n in "${ROWS[@]}"; do
  csv="$WORK/bench_$n.csv"
  [ -f "$csv" ] || node bench/generate-csv.mjs "$n" "$csv"
  for case in csv-parquet csv-sql-parquet; do
    proj="$WORK/project_${n}_$case"
    mkdir -p "$proj"
    sql=""
    [ "$case" = csv-sql-parquet ] && sql=$SQL
    pipeline "$csv" "$proj/out.parquet" "$sql" > "$proj/pipeline.yaml"
    declare -A secs=() rss=()
    for _ in $(seq "$RUNS"); do
      for tool in duckdb-baseline osiris; do
        if [ "$tool" = osiris ]; then
          # shellcheck disable=SC2086 # OSIRIS_ENV is a list of VAR=value words
          read -r s m < <(cd "$proj" && time_cmd env ${OSIRIS_ENV:-} node "$OLDPWD/bin/osiris.js" run pipeline.yaml)
        else
          read -r s m < <(time_cmd node bench/baseline-duckdb.mjs "$csv" "$WORK/baseline_$n.parquet" ${sql:+"$sql"})
        fi
        secs[$tool]+="$s "; rss[$tool]+="$m "
      done
    done
    base=$(printf '%s\n' ${secs[duckdb-baseline]} | median)
    for tool in duckdb-baseline osiris; do
      ms=$(printf '%s\n' ${secs[$tool]} | median)
      mr=$(printf '%s\n' ${rss[$tool]} | median)
      ratio=""
      [ "$tool" = osiris ] && ratio=$(awk -v b="$base" -v s="$ms" 'BEGIN {printf "%.2f×", b/s}')
      awk -v n="$n" -v c="$case" -v t="$tool" -v s="$ms" -v r="$mr" -v q="$ratio" \
        'BEGIN {printf "| %d | %s | %s | %.2f | %.0f | %.0f | %s |\n", n, c, t, s, n/s, r/1024, q}'
    done
    unset secs rss
  done
done
[ -z "${BENCH_DIR:-}" ] && rm -rf "$WORK"
