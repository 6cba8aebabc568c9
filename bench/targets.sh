#!/usr/bin/env bash
# Execution targets: the overhead of `--target process` (a child `osiris worker` in an empty folder, the
# worker protocol over stdio, outputs copied back) over `--target local` (in-process). Results:
# docs/benchmarks.md ("Execution targets").
#
# Usage: bench/targets.sh [rows]                 (default: 1000000)
# Env:   RUNS=3       repetitions (median reported; round robin: local, process, local, process, …)
#        CASES="movies copy"
#        KEEP=1       keep the MariaDB database and Postgres schema (osiris_targets_bench) at the end
#        BENCH_MYSQL_HOST/PORT/USER/PASSWORD (127.0.0.1 3306 root ''), BENCH_PG_HOST/PORT/USER/PASSWORD/DATABASE
#        (127.0.0.1 5432 postgres '' test)
#
# Cases (each on both targets, wall time and peak RSS of the host process tree's largest process, GNU time):
#   movies  osiris run examples/movies/director_stats.yaml (5 steps, 124 rows: mostly fixed costs)
#   copy    osiris run: mysql.extractor (bench_rows, bench/db/generate-mysql.mjs) → postgres.writer (replace,
#           pass-through): the rows flow inside the worker, only the record crosses the protocol
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ROWS=${1:-1000000}
RUNS=${RUNS:-3}
CASES=${CASES:-movies copy}
WORK=$(mktemp -d /tmp/osiris-targets-bench-XXXX)
[ -f dist/cli/main.js ] || npm run build >/dev/null

export BENCH_MYSQL_HOST=${BENCH_MYSQL_HOST:-127.0.0.1} BENCH_MYSQL_PORT=${BENCH_MYSQL_PORT:-3306}
export BENCH_MYSQL_USER=${BENCH_MYSQL_USER:-root} BENCH_MYSQL_PASSWORD=${BENCH_MYSQL_PASSWORD:-}
export BENCH_MYSQL_DATABASE=osiris_targets_bench
export BENCH_PG_HOST=${BENCH_PG_HOST:-127.0.0.1} BENCH_PG_PORT=${BENCH_PG_PORT:-5432}
export BENCH_PG_USER=${BENCH_PG_USER:-postgres} BENCH_PG_PASSWORD=${BENCH_PG_PASSWORD:-}
export BENCH_PG_DATABASE=${BENCH_PG_DATABASE:-test}
export MYSQL_PWD=$BENCH_MYSQL_PASSWORD PGPASSWORD=$BENCH_PG_PASSWORD PGOPTIONS="-c client_min_messages=warning"
pgq() { psql -X -q -v ON_ERROR_STOP=1 -h "$BENCH_PG_HOST" -p "$BENCH_PG_PORT" -U "$BENCH_PG_USER" -d "$BENCH_PG_DATABASE" "$@"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

cleanup() {
  if [ "${KEEP:-0}" != 1 ] && [[ $CASES == *copy* ]]; then
    mariadb -h "$BENCH_MYSQL_HOST" -P "$BENCH_MYSQL_PORT" -u "$BENCH_MYSQL_USER" \
      -e 'DROP DATABASE IF EXISTS osiris_targets_bench' || true
    pgq -c 'DROP SCHEMA IF EXISTS osiris_targets_bench CASCADE' || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PROJ=$WORK/project
mkdir -p "$PROJ"
cp -r examples "$PROJ/"
cat > "$PROJ/osiris_connections.yaml" <<YAML
version: "1.0"
connections:
  mysql:
    bench:
      host: $BENCH_MYSQL_HOST
      port: $BENCH_MYSQL_PORT
      database: osiris_targets_bench
      user: $BENCH_MYSQL_USER
      password: \${BENCH_MYSQL_PASSWORD}
  postgres:
    bench:
      host: $BENCH_PG_HOST
      port: $BENCH_PG_PORT
      database: $BENCH_PG_DATABASE
      user: $BENCH_PG_USER
      password: \${BENCH_PG_PASSWORD}
      schema: osiris_targets_bench
YAML
cat > "$PROJ/copy.yaml" <<'YAML'
oml_version: "0.1.0"
name: targets-bench-copy
steps:
  - id: extract
    component: mysql.extractor
    mode: read
    config:
      connection: "@mysql.bench"
      table: bench_rows
  - id: write
    component: postgres.writer
    mode: write
    needs: [extract]
    config:
      connection: "@postgres.bench"
      table: bench_rows
      write_mode: replace
YAML

if [[ $CASES == *copy* ]]; then
  echo "generating $ROWS rows in MariaDB osiris_targets_bench.bench_rows…" >&2
  node bench/db/generate-mysql.mjs "$ROWS" >&2
  pgq -c 'CREATE SCHEMA IF NOT EXISTS osiris_targets_bench'
fi

# run_case <case> <target>: prints "seconds peak_kb run_seconds" (run_seconds: the run's own duration from its
# record, run_start to run_complete: where it executed, without process starts and compile)
run_case() {
  local file
  case $1 in
    movies) file=examples/movies/director_stats.yaml ;;
    copy) file=copy.yaml ;;
  esac
  # setsid: each run in a session of its own, as the process target's worker is. With CFS autogrouping (on
  # by default) a new session is a new scheduling group, which on a busy machine gets a fair share of its
  # own; without this the worker would be favoured over an in-process run sharing the caller's group.
  (cd "$PROJ" && setsid --wait /usr/bin/time -o "$WORK/time.txt" -f '%e %M' \
    node "$ROOT/bin/osiris.js" run "$file" --target "$2" >"$WORK/out.txt" 2>"$WORK/err.txt") ||
    { tail -20 "$WORK/err.txt" "$WORK/out.txt" >&2; exit 1; }
  if [ "$1" = copy ]; then
    local n
    n=$(pgq -At -c 'SELECT count(*) FROM osiris_targets_bench.bench_rows')
    [ "$n" = "$ROWS" ] || { echo "targets bench: $n rows in Postgres, expected $ROWS" >&2; exit 1; }
  fi
  local ms
  ms=$(ls -t "$PROJ"/run_logs/*/*/*/events.jsonl | head -1 | xargs grep -o '"event":"run_complete"[^}]*' |
    grep -o '"duration_ms":[0-9]*' | cut -d: -f2)
  echo "$(cat "$WORK/time.txt") $(awk -v ms="$ms" 'BEGIN {printf "%.2f", ms / 1000}')"
}

echo "machine: $(nproc) cores, autogroup $(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo ?), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), node $(node --version); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| case | rows | target | median s | overhead | median run s (record) | median peak RSS MB |\n|---|---:|---|---:|---:|---:|---:|\n'
for c in $CASES; do
  : > "$WORK/$c-local" ; : > "$WORK/$c-process"
  for _ in $(seq "$RUNS"); do
    for t in local process; do run_case "$c" "$t" >> "$WORK/$c-$t"; done
  done
  n=$([ "$c" = copy ] && echo "$ROWS" || echo 124)
  base=$(cut -d' ' -f1 "$WORK/$c-local" | median)
  for t in local process; do
    s=$(cut -d' ' -f1 "$WORK/$c-$t" | median)
    rss=$(cut -d' ' -f2 "$WORK/$c-$t" | median)
    inner=$(cut -d' ' -f3 "$WORK/$c-$t" | median)
    over=$(awk -v s="$s" -v b="$base" 'BEGIN {printf "%+.1f %%", (s - b) / b * 100}')
    printf '| %s | %s | %s | %s | %s | %s | %d |\n' "$c" "$n" "$t" "$s" "$over" "$inner" "$((rss / 1024))"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
