#!/usr/bin/env bash
# CSV → Parquet and CSV → SQL transform → Parquet through `osiris run`, each against raw DuckDB doing the
# same conversion as one statement in the same run (bench/baseline-duckdb.mjs).
# Usage: bench/csv_to_parquet.sh [rows...]   (default: 1000000 10000000). Each case runs RUNS times (default
# 3), round robin (baseline, osiris, baseline, osiris, …), and reports the median wall time, rows/s, median
# peak RSS (GNU time), the median CPU seconds (user + sys) and the ratios baseline / osiris of both (goal
# ≥ 0.9, issue 14): on a shared machine the CPU ratio is the steadier one. GENERAL=1 adds the general path
# (OSIRIS_FUSE=0: a table per step) as a third tool. Results: docs/benchmarks.md.
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

# time_cmd <cmd...>: runs it under GNU time and prints "seconds peak_kb cpu_seconds"; fails loudly if the
# command fails.
time_cmd() {
  if ! /usr/bin/time -o "$WORK/time.txt" -f '%e %M %U %S' "$@" >/dev/null 2>"$WORK/stderr.txt"; then
    cat "$WORK/stderr.txt" >&2
    exit 1
  fi
  tail -1 "$WORK/time.txt" | awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}'
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
TOOLS=(duckdb-baseline osiris)
[ "${GENERAL:-0}" = 1 ] && TOOLS+=(osiris-general)
printf '| rows | case | tool | median s | rows/s | median peak RSS MB | median CPU s | ratio (wall) | ratio (CPU) |\n'
printf '|---:|---|---|---:|---:|---:|---:|---:|---:|\n'
for n in "${ROWS[@]}"; do
  csv="$WORK/bench_$n.csv"
  [ -f "$csv" ] || node bench/generate-csv.mjs "$n" "$csv"
  for case in csv-parquet csv-sql-parquet; do
    proj="$WORK/project_${n}_$case"
    mkdir -p "$proj"
    sql=""
    [ "$case" = csv-sql-parquet ] && sql=$SQL
    pipeline "$csv" "$proj/out.parquet" "$sql" > "$proj/pipeline.yaml"
    declare -A secs=() rss=() cpu=()
    for _ in $(seq "$RUNS"); do
      for tool in "${TOOLS[@]}"; do
        case $tool in
          osiris) read -r s m c < <(cd "$proj" && time_cmd node "$OLDPWD/bin/osiris.js" run pipeline.yaml) ;;
          osiris-general) read -r s m c < <(cd "$proj" && time_cmd env OSIRIS_FUSE=0 node "$OLDPWD/bin/osiris.js" run pipeline.yaml) ;;
          *) read -r s m c < <(time_cmd node bench/baseline-duckdb.mjs "$csv" "$WORK/baseline_$n.parquet" ${sql:+"$sql"}) ;;
        esac
        secs[$tool]+="$s "; rss[$tool]+="$m "; cpu[$tool]+="$c "
      done
    done
    base=$(printf '%s\n' ${secs[duckdb-baseline]} | median)
    base_cpu=$(printf '%s\n' ${cpu[duckdb-baseline]} | median)
    for tool in "${TOOLS[@]}"; do
      ms=$(printf '%s\n' ${secs[$tool]} | median)
      mr=$(printf '%s\n' ${rss[$tool]} | median)
      mc=$(printf '%s\n' ${cpu[$tool]} | median)
      awk -v n="$n" -v c="$case" -v t="$tool" -v s="$ms" -v r="$mr" -v u="$mc" -v b="$base" -v bu="$base_cpu" \
        'BEGIN {
           q = t == "duckdb-baseline" ? "" : sprintf("%.2f×", b / s)
           qc = t == "duckdb-baseline" ? "" : sprintf("%.2f×", bu / u)
           printf "| %d | %s | %s | %.2f | %.0f | %.0f | %.2f | %s | %s |\n", n, c, t, s, n / s, r / 1024, u, q, qc
         }'
    done
    unset secs rss cpu
  done
done
if [ -z "${BENCH_DIR:-}" ]; then rm -rf "$WORK"; fi
