#!/usr/bin/env bash
# Load verification overhead (docs/adr/0025): the same 1M-row CSV → postgres.writer / mysql.writer, with
# `verify: true` (default) and `verify: false`, in append mode (into an emptied table: Postgres scans the
# table for the transaction's rows, MySQL reads the table's figures before and after) and replace mode
# (the staging table is aggregated). Runs alternate on/off; the median writer step time of RUNS runs is
# reported, plus the verification's own time from its write.verified event.
#
# Mode `stream` (after `replace`, which loads its source) copies that table with the family's extractor
# into the writer as a pass-through stream (docs/adr/0006), whose received side is accumulated per batch.
#
# Usage: bench/db/verify_overhead.sh [rows]        (default 1000000)
# Env:   RUNS=3, MODES="append replace stream", TARGETS="postgres mysql", BENCH_DIR=/path (keep the project)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ROWS=${1:-1000000}
RUNS=${RUNS:-3}
MODES=${MODES:-append replace stream}
TARGETS=${TARGETS:-postgres mysql}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/osiris-verifybench-XXXX)}
mkdir -p "$WORK/data"
[ -f dist/cli/main.js ] || npm run build >/dev/null
export PGOPTIONS="-c client_min_messages=warning"
pgq() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d test "$@"; }
my() { mariadb -h 127.0.0.1 -u root "$@"; }

node bench/generate-csv.mjs "$ROWS" "$WORK/data/rows.csv" >/dev/null
pgq -c "DROP SCHEMA IF EXISTS evolve_bench CASCADE; CREATE SCHEMA evolve_bench"
my -e "DROP DATABASE IF EXISTS evolve_bench; CREATE DATABASE evolve_bench"
cat >"$WORK/osiris_connections.yaml" <<YAML
version: "1.0"
connections:
  postgres:
    local: { default: true, host: 127.0.0.1, port: 5432, database: test, user: postgres, password: "", schema: evolve_bench }
  mysql:
    local: { default: true, host: 127.0.0.1, port: 3306, database: evolve_bench, user: root, password: "" }
YAML

# pipeline <target> <mode> <verify>
# mode `stream`: $1.extractor of the table `replace` loaded → $1.writer (pass-through, replace).
pipeline() {
  local source="filesystem.csv_extractor" config="{ path: data/rows.csv }" mode=$2
  if [ "$2" = stream ]; then
    source="$1.extractor" config="{ connection: \"@$1.local\", table: bench_replace }" mode=replace
  fi
  cat >"$WORK/p.yaml" <<YAML
oml_version: "0.1.0"
name: verify-bench
steps:
  - id: rows
    component: $source
    mode: read
    config: $config
  - id: load
    component: $1.writer
    mode: write
    needs: [rows]
    config: { connection: "@$1.local", table: bench_$2, write_mode: $mode, verify: $3 }
YAML
}

# The writer step's time and the verification's own time (ms), from the last run's events.
times() {
  node -e '
    const fs = require("fs"), path = require("path");
    const runs = path.join(process.argv[1], "run_logs");
    const dirs = fs.readdirSync(runs, { recursive: true }).filter((f) => f.endsWith("events.jsonl"))
      .map((f) => path.join(runs, f)).sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
    const ev = fs.readFileSync(dirs.at(-1), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const step = ev.find((e) => e.event === "step_complete" && e.step_id === "load");
    const v = ev.find((e) => e.event === "write.verified");
    if (!step) { console.error(ev.filter((e) => /fail/.test(e.event))); process.exit(1); }
    console.log(`${step.duration_ms} ${v ? v.duration_ms : 0}`);
  ' "$WORK"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '%-9s %-8s %-7s %10s %12s\n' target mode verify step_ms verify_ms
for target in $TARGETS; do
  for mode in $MODES; do
    : >"$WORK/on.txt"; : >"$WORK/off.txt"; : >"$WORK/check.txt"
    for _ in $(seq "$RUNS"); do
      for verify in true false; do
        # append starts from an empty table every time (same work as the first load of a table).
        if [ "$mode" = append ]; then
          if [ "$target" = postgres ]; then pgq -c "DROP TABLE IF EXISTS evolve_bench.bench_append"; else my evolve_bench -e "DROP TABLE IF EXISTS bench_append"; fi
          pipeline "$target" append false; (cd "$WORK" && node "$ROOT/bin/osiris.js" run p.yaml >/dev/null 2>>"$WORK/runs.log")
          if [ "$target" = postgres ]; then pgq -c "TRUNCATE evolve_bench.bench_append"; else my evolve_bench -e "TRUNCATE bench_append"; fi
        fi
        pipeline "$target" "$mode" "$verify"
        (cd "$WORK" && node "$ROOT/bin/osiris.js" run p.yaml >/dev/null 2>>"$WORK/runs.log")
        read -r step v < <(times)
        if [ "$verify" = true ]; then echo "$step" >>"$WORK/on.txt"; echo "$v" >>"$WORK/check.txt"; else echo "$step" >>"$WORK/off.txt"; fi
      done
    done
    printf '%-9s %-8s %-7s %10s %12s\n' "$target" "$mode" true "$(median <"$WORK/on.txt")" "$(median <"$WORK/check.txt")"
    printf '%-9s %-8s %-7s %10s %12s\n' "$target" "$mode" false "$(median <"$WORK/off.txt")" -
  done
done
[ -n "${BENCH_DIR:-}" ] || rm -rf "$WORK"
pgq -c "DROP SCHEMA IF EXISTS evolve_bench CASCADE"
my -e "DROP DATABASE IF EXISTS evolve_bench"
