#!/usr/bin/env bash
# Database benchmarks: Osiris pipelines between MariaDB, PostgreSQL and files, against baselines measured in
# the same run on the same machine. Results: docs/benchmarks.md ("Databases").
#
# Usage: bench/db/db_bench.sh [rows...]          (default: 1000000 5000000)
# Env:   RUNS=3                    repetitions per case (the median is reported)
#        MEMORY_LIMITS="auto 1GB"
#                                  runtime.memory_limit values tried for the Osiris cases (osiris.yaml; auto is
#                                  the project default: 48MB and one thread for these copies, docs/adr/0007;
#                                  1GB was the default before); LIMIT/T also sets runtime.threads to T
#        CASES="osiris baselines"  which groups to run (also: files, mysqlwriter)
#        ONLY=regex                only the cases whose name:memory_limit matches (e.g. 'mysql-postgres:|dump|copy')
#        KEEP=1                    keep the osiris_bench database (MariaDB) and schema (Postgres) at the end
#        BENCH_DIR=/path           keep the temp project, dumps and run logs there
#        BENCH_MYSQL_HOST/PORT/USER/PASSWORD (127.0.0.1 3306 root ''), BENCH_PG_HOST/PORT/USER/PASSWORD/DATABASE
#        (127.0.0.1 5432 postgres '' test)
#
# Cases, each run RUNS times for each row count (round robin: one run of every case per repetition); wall time and peak RSS from GNU time, row counts checked
# after every run (a mismatch stops the benchmark):
#   osiris mysql→postgres   osiris run: mysql.extractor (table bench_rows) → postgres.writer (replace) into a
#                           fresh target (dropped first, as the baseline does): the writer creates it and COPYs
#   osiris mysql→postgres-replace  the same into the existing table: atomic replace (staging + swap)
#   osiris mysql→postgres-truncate the same with replace_strategy: truncate (TRUNCATE, then COPY straight in)
#   osiris mysql→parquet    osiris run: mysql.extractor → filesystem.parquet_writer
#   osiris postgres→csv     osiris run: postgres.extractor (the table loaded above) → filesystem.csv_writer
#   osiris postgres→postgres osiris run: postgres.extractor (that table) → postgres.writer into a fresh table
#                           (pass-through, like mysql→postgres)
#   mariadb --batch dump    mariadb --batch --quick -e 'SELECT * FROM bench_rows' > file
#   psql \copy of the dump  into a fresh table
#   node mysql2→pg COPY     bench/db/baseline-stream.mjs (in-process, no DuckDB)
# Group "mysqlwriter" (mysql.writer as a pass-through consumer, docs/adr/0020; needs the baselines group's dump):
#   osiris mysql→mysql      osiris run: mysql.extractor → mysql.writer (replace) into the existing bench_copy
#                           (staging table LIKE it, LOAD DATA LOCAL from the stream, RENAME swap)
#   osiris mysql→mysql-new  the same into a missing table: the writer creates it (sized once the rows are in)
#   osiris postgres→mysql   osiris run: postgres.extractor (the table mysql→postgres loaded) → mysql.writer (replace)
#   mariadb LOAD DATA       LOAD DATA LOCAL INFILE of the dump into a fresh table LIKE bench_rows
# Group "files" (issue 14, database → file; docs/adr/0019): osiris mysql→csv, mysql→parquet, postgres→csv,
# postgres→parquet against the client tools' own dumps to a file, measured in the same run:
#   mariadb --batch dump    (as above)
#   psql \copy out          psql -c "\copy (SELECT * FROM osiris_bench.bench_rows) TO file"
# osiris postgres→csv stores the server's own CSV (no DuckDB; docs/adr/0019); OSIRIS_CSV_DIRECT=0 in the
# environment measures the DuckDB pipe instead (docs/benchmarks.md compares the two in one session).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ROWS=("$@")
[ $# -eq 0 ] && ROWS=(1000000 5000000)
RUNS=${RUNS:-3}
MEMORY_LIMITS=${MEMORY_LIMITS:-auto 1GB}
CASES=${CASES:-osiris baselines}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/osiris-dbbench-XXXX)}
mkdir -p "$WORK"
[ -f dist/cli/main.js ] || npm run build >/dev/null

export BENCH_MYSQL_HOST=${BENCH_MYSQL_HOST:-127.0.0.1} BENCH_MYSQL_PORT=${BENCH_MYSQL_PORT:-3306}
export BENCH_MYSQL_USER=${BENCH_MYSQL_USER:-root} BENCH_MYSQL_PASSWORD=${BENCH_MYSQL_PASSWORD:-}
export BENCH_MYSQL_DATABASE=osiris_bench
export BENCH_PG_HOST=${BENCH_PG_HOST:-127.0.0.1} BENCH_PG_PORT=${BENCH_PG_PORT:-5432}
export BENCH_PG_USER=${BENCH_PG_USER:-postgres} BENCH_PG_PASSWORD=${BENCH_PG_PASSWORD:-}
export BENCH_PG_DATABASE=${BENCH_PG_DATABASE:-test}
# Both client tools read their password from the environment, never from the command line.
export MYSQL_PWD=$BENCH_MYSQL_PASSWORD PGPASSWORD=$BENCH_PG_PASSWORD PGOPTIONS="-c client_min_messages=warning"

my() { mariadb -h "$BENCH_MYSQL_HOST" -P "$BENCH_MYSQL_PORT" -u "$BENCH_MYSQL_USER" "$@"; }
pgq() { psql -X -q -v ON_ERROR_STOP=1 -h "$BENCH_PG_HOST" -p "$BENCH_PG_PORT" -U "$BENCH_PG_USER" -d "$BENCH_PG_DATABASE" "$@"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
fail() { echo "db_bench: $*" >&2; exit 1; }

# time_cmd <cmd...>: runs it under GNU time (stdout to $WORK/stdout.txt) and prints "seconds peak_kb".
time_cmd() {
  if ! /usr/bin/time -o "$WORK/time.txt" -f '%e %M' "$@" >"$WORK/stdout.txt" 2>"$WORK/stderr.txt"; then
    tail -40 "$WORK/stderr.txt" >&2
    tail -40 "$WORK/stdout.txt" >&2
    fail "command failed: $*"
  fi
  tail -1 "$WORK/time.txt"
}

# check_count <what> <expected> <actual>
check_count() {
  [ "$3" = "$2" ] || fail "row count mismatch for $1: expected $2, got '$3'"
}
pg_count() { pgq -Atc "SELECT count(*) FROM $1"; }
pg_sum() { pgq -Atc "SELECT sum(amount) FROM $1"; }

cleanup() {
  if [ "${KEEP:-0}" != 1 ]; then
    my -e 'DROP DATABASE IF EXISTS osiris_bench' || true
    pgq -c 'DROP SCHEMA IF EXISTS osiris_bench CASCADE' || true
  fi
  [ -z "${BENCH_DIR:-}" ] && rm -rf "$WORK"
  return 0
}
trap cleanup EXIT

# --- temp project -------------------------------------------------------------------------------------------
PROJ="$WORK/project"
mkdir -p "$PROJ" "$WORK/out"
cat > "$PROJ/osiris_connections.yaml" <<YAML
version: "1.0"
connections:
  mysql:
    bench:
      host: $BENCH_MYSQL_HOST
      port: $BENCH_MYSQL_PORT
      database: osiris_bench
      user: $BENCH_MYSQL_USER
      password: \${BENCH_MYSQL_PASSWORD}
  postgres:
    bench:
      host: $BENCH_PG_HOST
      port: $BENCH_PG_PORT
      database: $BENCH_PG_DATABASE
      user: $BENCH_PG_USER
      password: \${BENCH_PG_PASSWORD}
      schema: osiris_bench
YAML
# pipeline <file> <name> <extractor> <writer> <writer config lines>: an extract → write pipeline.
pipeline() {
  local read
  case $3 in
    mysql.extractor) read='      connection: "@mysql.bench"
      table: bench_rows' ;;
    postgres.extractor) read='      connection: "@postgres.bench"
      schema: osiris_bench
      table: bench_rows' ;;
  esac
  printf 'oml_version: "0.1.0"\nname: %s\nsteps:\n  - id: extract\n    component: %s\n    mode: read\n    config:\n%b\n  - id: write\n    component: %s\n    mode: write\n    needs: [extract]\n    config:\n%b\n' \
    "$2" "$3" "$read" "$4" "$5" > "$PROJ/$1"
}
to_pg='      connection: "@postgres.bench"\n      schema: osiris_bench\n      table'
pipeline mysql_to_postgres.yaml bench-mysql-to-postgres mysql.extractor postgres.writer \
  "$to_pg: bench_rows\n      write_mode: replace"
pipeline mysql_to_postgres_truncate.yaml bench-mysql-to-postgres mysql.extractor postgres.writer \
  "$to_pg: bench_rows\n      write_mode: replace\n      replace_strategy: truncate"
pipeline mysql_to_parquet.yaml bench-mysql-to-parquet mysql.extractor filesystem.parquet_writer \
  "      path: $WORK/out/bench_rows.parquet"
pipeline postgres_to_csv.yaml bench-postgres-to-csv postgres.extractor filesystem.csv_writer \
  "      path: $WORK/out/bench_rows.csv"
pipeline mysql_to_csv.yaml bench-mysql-to-csv mysql.extractor filesystem.csv_writer \
  "      path: $WORK/out/bench_rows.csv"
pipeline postgres_to_parquet.yaml bench-postgres-to-parquet postgres.extractor filesystem.parquet_writer \
  "      path: $WORK/out/bench_rows.parquet"
pipeline postgres_to_postgres.yaml bench-postgres-to-postgres postgres.extractor postgres.writer \
  "$to_pg: bench_copy\n      write_mode: replace"
# mysql.writer cases (group mysqlwriter)
to_my='      connection: "@mysql.bench"\n      table: bench_copy\n      write_mode: replace'
pipeline mysql_to_mysql.yaml bench-mysql-to-mysql mysql.extractor mysql.writer "$to_my"
pipeline postgres_to_mysql.yaml bench-postgres-to-mysql postgres.extractor mysql.writer "$to_my"
set_memory_limit() { # LIMIT or LIMIT/THREADS
  printf 'version: "2.0"\nruntime:\n  memory_limit: %s\n' "${1%%/*}" > "$PROJ/osiris.yaml"
  [[ $1 == */* ]] && printf '  threads: %s\n' "${1#*/}" >> "$PROJ/osiris.yaml"
  return 0
}

# --- checks after each case ---------------------------------------------------------------------------------
verify() { # verify <case> <n>
  local n=$2
  case $1 in
    osiris-mysql-postgres | osiris-mysql-postgres-replace | osiris-mysql-postgres-truncate)
      check_count "postgres osiris_bench.bench_rows" "$n" "$(pg_count osiris_bench.bench_rows)"
      [ "$(pg_sum osiris_bench.bench_rows)" = "$MYSQL_SUM" ] || fail "sum(amount) differs in osiris_bench.bench_rows" ;;
    osiris-mysql-parquet | osiris-postgres-parquet)
      check_count "$WORK/out/bench_rows.parquet" "$n" "$(node bench/db/count-rows.mjs "$WORK/out/bench_rows.parquet")" ;;
    osiris-postgres-postgres)
      check_count "postgres osiris_bench.bench_copy" "$n" "$(pg_count osiris_bench.bench_copy)"
      [ "$(pg_sum osiris_bench.bench_copy)" = "$MYSQL_SUM" ] || fail "sum(amount) differs in osiris_bench.bench_copy" ;;
    osiris-postgres-csv | osiris-mysql-csv)
      check_count "$WORK/out/bench_rows.csv" "$((n + 1))" "$(wc -l < "$WORK/out/bench_rows.csv")" ;;
    mariadb-dump)
      check_count "$WORK/out/dump.tsv" "$n" "$(wc -l < "$WORK/out/dump.tsv")" ;;
    psql-copy-out)
      check_count "$WORK/out/pg_dump.tsv" "$n" "$(wc -l < "$WORK/out/pg_dump.tsv")" ;;
    psql-copy)
      check_count "postgres osiris_bench.psql_rows" "$n" "$(pg_count osiris_bench.psql_rows)"
      [ "$(pg_sum osiris_bench.psql_rows)" = "$MYSQL_SUM" ] || fail "sum(amount) differs in osiris_bench.psql_rows" ;;
    node-stream)
      check_count "postgres osiris_bench.stream_rows" "$n" "$(pg_count osiris_bench.stream_rows)"
      [ "$(pg_sum osiris_bench.stream_rows)" = "$MYSQL_SUM" ] || fail "sum(amount) differs in osiris_bench.stream_rows" ;;
  esac
}

my_count() { my -Nse "SELECT count(*) FROM osiris_bench.$1"; }
my_sum() { my -Nse "SELECT sum(amount) FROM osiris_bench.$1"; }

# The mysql.writer cases: prints "seconds peak_kb extract_ms write_ms" like run_case; checks the target.
run_mysql_writer_case() {
  local c=$1 n=$2 s m e=- w=- pipeline=mysql_to_mysql.yaml table=bench_copy
  case $c in
    osiris-mysql-mysql | osiris-postgres-mysql)
      [ "$c" = osiris-postgres-mysql ] && pipeline=postgres_to_mysql.yaml
      # replace into an existing table, as a scheduled copy does (the first run creates it)
      my -e 'CREATE TABLE IF NOT EXISTS osiris_bench.bench_copy LIKE osiris_bench.bench_rows' ;;
    osiris-mysql-mysql-new) my -e 'DROP TABLE IF EXISTS osiris_bench.bench_copy' ;;
    mariadb-load-data)
      table=load_rows
      my -e 'DROP TABLE IF EXISTS osiris_bench.load_rows; CREATE TABLE osiris_bench.load_rows LIKE osiris_bench.bench_rows'
      time_cmd mariadb -h "$BENCH_MYSQL_HOST" -P "$BENCH_MYSQL_PORT" -u "$BENCH_MYSQL_USER" --local-infile=1 osiris_bench \
        -e "LOAD DATA LOCAL INFILE '$WORK/out/dump.tsv' INTO TABLE load_rows" > "$WORK/timed.txt" ;;
  esac
  if [ "$c" != mariadb-load-data ]; then
    (cd "$PROJ" && time_cmd node "$ROOT/bin/osiris.js" run "$pipeline" --json) > "$WORK/timed.txt"
    read -r e w < <(jq -r '[.steps[] | .duration_ms] | @tsv' "$WORK/stdout.txt")
  fi
  read -r s m < "$WORK/timed.txt"
  check_count "mariadb osiris_bench.$table" "$n" "$(my_count "$table")"
  [ "$(my_sum "$table")" = "$MYSQL_SUM" ] || fail "sum(amount) differs in osiris_bench.$table"
  echo "$s $m $e $w"
}

# run_case <case> <n>: one run, prints "seconds peak_kb extract_ms write_ms" (step times: Osiris only)
run_case() {
  local c=$1 n=$2 s m e=- w=-
  rm -f "$WORK/out/bench_rows.parquet" "$WORK/out/bench_rows.csv"
  case $c in
    osiris-*-mysql | osiris-*-mysql-new | mariadb-load-data)
      run_mysql_writer_case "$c" "$n"
      return ;;
    osiris-*)
      local pipeline
      case $c in
        osiris-mysql-postgres)
          # A fresh target, like the baseline's: the writer creates it and COPYs straight in (one transaction).
          pgq -c 'DROP TABLE IF EXISTS osiris_bench.bench_rows'
          pipeline=mysql_to_postgres.yaml ;;
        osiris-mysql-postgres-replace) pipeline=mysql_to_postgres.yaml ;; # into the existing table: staging + swap
        osiris-mysql-postgres-truncate) pipeline=mysql_to_postgres_truncate.yaml ;; # TRUNCATE, then COPY in
        osiris-mysql-parquet) pipeline=mysql_to_parquet.yaml ;;
        osiris-postgres-csv) pipeline=postgres_to_csv.yaml ;;
        osiris-mysql-csv) pipeline=mysql_to_csv.yaml ;;
        osiris-postgres-parquet) pipeline=postgres_to_parquet.yaml ;;
        osiris-postgres-postgres)
          pgq -c 'DROP TABLE IF EXISTS osiris_bench.bench_copy' # a fresh target, like mysql → postgres
          pipeline=postgres_to_postgres.yaml ;;
      esac
      (cd "$PROJ" && time_cmd node "$ROOT/bin/osiris.js" run "$pipeline" --json) > "$WORK/timed.txt"
      read -r s m < "$WORK/timed.txt"
      read -r e w < <(jq -r '[.steps[] | .duration_ms] | @tsv' "$WORK/stdout.txt")
      [ -n "${w:-}" ] || fail "no step durations in the output of osiris run"
      ;;
    mariadb-dump)
      time_cmd bash -c 'mariadb -h "$BENCH_MYSQL_HOST" -P "$BENCH_MYSQL_PORT" -u "$BENCH_MYSQL_USER" \
        --batch --quick --skip-column-names osiris_bench -e "SELECT * FROM bench_rows" > "$1"' _ "$WORK/out/dump.tsv" \
        > "$WORK/timed.txt"
      read -r s m < "$WORK/timed.txt"
      ;;
    psql-copy-out)
      time_cmd psql -X -q -v ON_ERROR_STOP=1 -h "$BENCH_PG_HOST" -p "$BENCH_PG_PORT" -U "$BENCH_PG_USER" \
        -d "$BENCH_PG_DATABASE" -c "\\copy (SELECT * FROM osiris_bench.bench_rows) TO '$WORK/out/pg_dump.tsv'" \
        > "$WORK/timed.txt"
      read -r s m < "$WORK/timed.txt"
      ;;
    psql-copy)
      pgq -c 'DROP TABLE IF EXISTS osiris_bench.psql_rows' \
        -c 'CREATE TABLE osiris_bench.psql_rows (id integer, email text, amount numeric(12,2), created_at timestamp, category integer, note text)'
      time_cmd psql -X -q -v ON_ERROR_STOP=1 -h "$BENCH_PG_HOST" -p "$BENCH_PG_PORT" -U "$BENCH_PG_USER" \
        -d "$BENCH_PG_DATABASE" -c "\\copy osiris_bench.psql_rows FROM '$WORK/out/dump.tsv'" > "$WORK/timed.txt"
      read -r s m < "$WORK/timed.txt"
      ;;
    node-stream)
      time_cmd node bench/db/baseline-stream.mjs bench_rows osiris_bench.stream_rows > "$WORK/timed.txt"
      read -r s m < "$WORK/timed.txt"
      ;;
  esac
  verify "$c" "$n"
  echo "$s $m $e $w"
}

# --- group "files": database → file (issue 14) --------------------------------------------------------------
files_combos() {
  local lim
  for lim in $MEMORY_LIMITS; do
    combos+=("osiris-mysql-csv:$lim" "osiris-mysql-parquet:$lim" "osiris-postgres-csv:$lim"
      "osiris-postgres-parquet:$lim")
  done
  [[ " ${combos[*]} " == *" mariadb-dump:-"* ]] || combos+=("mariadb-dump:-")
  combos+=("psql-copy-out:-")
}
# The Postgres sources read the table osiris mysql→postgres loads; without that case it is loaded once, untimed.
load_postgres_source() {
  set_memory_limit auto
  pgq -c 'DROP TABLE IF EXISTS osiris_bench.bench_rows'
  (cd "$PROJ" && node "$ROOT/bin/osiris.js" run mysql_to_postgres.yaml --json > "$WORK/load.json") ||
    fail "loading osiris_bench.bench_rows into Postgres failed (see $WORK/load.json)"
  check_count "postgres osiris_bench.bench_rows" "$1" "$(pg_count osiris_bench.bench_rows)"
}
# Goal: each database → file case ≥ 0.8 × its client tool's dump (ratio = baseline s / osiris s); RSS ≤ 200 MB flat.
files_goals() {
  echo "Goal (issue 14): database → file ≥ 0.8 × the client's dump to a file (ratio = baseline s / osiris s)"
  awk -F'\t' '
    $2 == "mariadb-dump" { base["mysql" "\t" $1] = $4 }
    $2 == "psql-copy-out" { base["postgres" "\t" $1] = $4 }
    $2 ~ /^osiris-(mysql|postgres)-(csv|parquet)$/ { os[$2 "\t" $1 "\t" $3] = $4 }
    END {
      for (k in os) {
        split(k, p, "\t")
        src = p[1]; sub(/^osiris-/, "", src); sub(/-.*/, "", src)
        if (!((src "\t" p[2]) in base)) continue
        r = base[src "\t" p[2]] / os[k]
        printf "  %s, %d rows, memory_limit %s: %.2f s vs %.2f s, %.2f× (%s)\n", p[1], p[2], p[3], os[k], base[src "\t" p[2]], r, (r >= 0.8 ? "met" : "missed")
      }
    }' "$RESULTS" | sort
  echo "Goal (issue 14): database → file peak RSS ≤ 200 MB, flat from the smallest to the largest row count"
  awk -F'\t' -v lo="${ROWS[0]}" -v hi="${ROWS[${#ROWS[@]}-1]}" '
    $2 ~ /^osiris-(mysql|postgres)-(csv|parquet)$/ { r[$2 "\t" $3 "\t" $1] = $5 / 1024 }
    END {
      for (k in r) {
        split(k, p, "\t")
        if (p[3] != lo || !((p[1] "\t" p[2] "\t" hi) in r)) continue
        h = r[p[1] "\t" p[2] "\t" hi]
        printf "  %s, memory_limit %s: %.0f MB at %d rows, %.0f MB at %d rows (%s)\n", p[1], p[2], r[k], lo, h, hi, (r[k] <= 200 && h <= 200 ? "met" : "missed")
      }
    }' "$RESULTS" | sort
}

# --- main ---------------------------------------------------------------------------------------------------
my -e 'SELECT 1' >/dev/null || fail "MariaDB not reachable at $BENCH_MYSQL_HOST:$BENCH_MYSQL_PORT"
pgq -c 'SELECT 1' >/dev/null || fail "PostgreSQL not reachable at $BENCH_PG_HOST:$BENCH_PG_PORT"
pgq -c 'CREATE SCHEMA IF NOT EXISTS osiris_bench'

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), node $(node -v)," \
  "$(mariadb --version | sed 's/.*Distrib \([^,]*\),.*/MariaDB client \1/'), server $(my -Nse 'SELECT version()')," \
  "$(psql --version), server $(pgq -Atc 'SHOW server_version')"
echo "RUNS=$RUNS MEMORY_LIMITS='$MEMORY_LIMITS' $(date -u +%Y-%m-%dT%H:%MZ)"
echo
RESULTS="$WORK/results.tsv"
: > "$RESULTS"
printf '| rows | case | memory_limit | median s | rows/s | median peak RSS MB | extract / write step s |\n'
printf '|---:|---|---|---:|---:|---:|---|\n'
for n in "${ROWS[@]}"; do
  node bench/db/generate-mysql.mjs "$n" 2>"$WORK/gen.txt" || { cat "$WORK/gen.txt" >&2; fail "generating $n rows failed"; }
  MYSQL_SUM=$(my -Nse 'SELECT sum(amount) FROM osiris_bench.bench_rows')
  # Postgres → CSV reads the table Osiris loaded, so MySQL → Postgres always runs first.
  combos=()
  for c in $CASES; do
    case $c in
      osiris)
        for lim in $MEMORY_LIMITS; do
          combos+=("osiris-mysql-postgres:$lim" "osiris-mysql-postgres-replace:$lim"
            "osiris-mysql-postgres-truncate:$lim" "osiris-mysql-parquet:$lim" "osiris-postgres-csv:$lim"
            "osiris-postgres-postgres:$lim")
        done ;;
      baselines) combos+=("mariadb-dump:-" "psql-copy:-" "node-stream:-") ;;
      mysqlwriter)
        combos+=("mariadb-load-data:-")
        for lim in $MEMORY_LIMITS; do
          combos+=("osiris-mysql-mysql:$lim" "osiris-mysql-mysql-new:$lim" "osiris-postgres-mysql:$lim")
        done ;;
      files) files_combos ;;
      *) fail "unknown case group '$c' (osiris, baselines, files, mysqlwriter)" ;;
    esac
  done
  if [ -n "${ONLY:-}" ]; then # keep the cases whose name matches the regex (ONLY='mysql-postgres:|load-data')
    mapfile -t combos < <(printf '%s\n' "${combos[@]}" | grep -E "$ONLY")
  fi
  [[ " ${combos[*]} " == *" osiris-postgres-"* && " ${combos[*]} " != *" osiris-mysql-postgres:"* ]] &&
    load_postgres_source "$n"
  # Round robin: every case once per repetition, so background work the servers do after a load (checkpoints,
  # purge) falls on all cases alike rather than on whichever case runs first.
  RAW="$WORK/raw.tsv"
  : > "$RAW"
  for rep in $(seq "$RUNS"); do
    for combo in "${combos[@]}"; do
      c=${combo%%:*} lim=${combo#*:}
      [ "$lim" != - ] && set_memory_limit "$lim"
      run_case "$c" "$n" > "$WORK/run.txt"
      read -r s m e w < "$WORK/run.txt"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$combo" "$rep" "$s" "$m" "$e" "$w" >> "$RAW"
    done
  done
  for combo in "${combos[@]}"; do
    c=${combo%%:*} lim=${combo#*:}
    col() { awk -F'\t' -v k="$combo" -v i="$1" '$1 == k {print $i}' "$RAW"; }
    ms=$(col 3 | median)
    mr=$(col 4 | median)
    steps=—
    if [ "$(col 5 | head -1)" != - ]; then
      steps=$(awk -v e="$(col 5 | median)" -v w="$(col 6 | median)" 'BEGIN {printf "%.2f / %.2f", e/1000, w/1000}')
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$c" "$lim" "$ms" "$mr" "$steps" >> "$RESULTS"
    awk -v n="$n" -v c="$c" -v l="$lim" -v s="$ms" -v r="$mr" -v st="$steps" \
      'BEGIN {if (l == "-") l = "—"; sub("/", ", threads ", l); printf "| %d | %s | %s | %.2f | %.0f | %.0f | %s |\n", n, c, l, s, n/s, r/1024, st}'
  done
done

# --- goals --------------------------------------------------------------------------------------------------
echo
echo "Goal 1: osiris mysql→postgres throughput ≥ 0.8 × node mysql2→pg COPY (ratio = baseline s / osiris s)"
awk -F'\t' '
  $2 == "node-stream" { base[$1] = $4 }
  $2 == "osiris-mysql-postgres" { os[$1 "\t" $3] = $4 }
  END {
    for (k in os) {
      split(k, p, "\t")
      if (!(p[1] in base)) continue
      r = base[p[1]] / os[k]
      sub("/", ", threads ", p[2])
      printf "  %d rows, memory_limit %s: %.2f× (%s)\n", p[1], p[2], r, (r >= 0.8 ? "met" : "missed")
    }
  }' "$RESULTS" | sort -k1,1n -k5
echo "Goal 2: peak RSS < 300 MB and flat from the smallest to the largest row count"
awk -F'\t' -v lo="${ROWS[0]}" -v hi="${ROWS[${#ROWS[@]}-1]}" '
  $2 ~ /^osiris/ { r[$2 "\t" $3 "\t" $1] = $5 / 1024 }
  END {
    for (k in r) {
      split(k, p, "\t")
      if (p[3] != lo || !((p[1] "\t" p[2] "\t" hi) in r)) continue
      h = r[p[1] "\t" p[2] "\t" hi]
      sub("/", ", threads ", p[2])
      printf "  %s, memory_limit %s: %.0f MB at %d rows, %.0f MB at %d rows (%s, %+.0f%%)\n", p[1], p[2], r[k], lo, h, hi, (r[k] < 300 && h < 300 ? "under 300 MB" : "over 300 MB"), (h / r[k] - 1) * 100
    }
  }' "$RESULTS" | sort

# --- goals of the mysql.writer pass-through (docs/adr/0020) ---------------------------------------------------
# ratio <case> <baseline> <goal> <label>: baseline s / case s per row count and memory limit.
ratio() {
  awk -F'\t' -v c="$1" -v b="$2" -v g="$3" '
    $2 == b { base[$1] = $4 }
    $2 == c { os[$1 "\t" $3] = $4 }
    END {
      for (k in os) {
        split(k, p, "\t")
        if (!(p[1] in base)) continue
        r = base[p[1]] / os[k]
        printf "  %s, %d rows, memory_limit %s: %.2f× (%s)\n", c, p[1], p[2], r, (r >= g ? "met" : "missed")
      }
    }' "$RESULTS" | sort
}
if grep -q 'mariadb-load-data' "$RESULTS"; then
  echo "Goal 3: Postgres or MySQL → mysql.writer ≥ 0.8 × LOAD DATA LOCAL INFILE of the dump"
  for c in osiris-mysql-mysql osiris-mysql-mysql-new osiris-postgres-mysql; do ratio "$c" mariadb-load-data 0.8; done
fi
if grep -q 'psql-copy' "$RESULTS"; then
  echo "Goal 4: MySQL → Postgres (fresh and truncate) ≥ 0.9 × psql \\copy of the dump"
  for c in osiris-mysql-postgres osiris-mysql-postgres-truncate; do ratio "$c" psql-copy 0.9; done
fi
echo "Goal 5: peak RSS ≤ 200 MB and flat from the smallest to the largest row count"
awk -F'\t' -v lo="${ROWS[0]}" -v hi="${ROWS[${#ROWS[@]}-1]}" '
  $2 ~ /^osiris.*(mysql|postgres)$|mysql-new$|postgres-truncate$/ { r[$2 "\t" $3 "\t" $1] = $5 / 1024 }
  END {
    for (k in r) {
      split(k, p, "\t")
      if (p[3] != lo || !((p[1] "\t" p[2] "\t" hi) in r)) continue
      h = r[p[1] "\t" p[2] "\t" hi]
      printf "  %s, memory_limit %s: %.0f MB at %d rows, %.0f MB at %d rows (%s)\n", p[1], p[2], r[k], lo, h, hi, (r[k] <= 200 && h <= 200 ? "met" : "missed")
    }
  }' "$RESULTS" | sort
[[ " $CASES " == *" files "* ]] && files_goals
exit 0
