#!/usr/bin/env bash
# Every benchmark, one after the other (`npm run bench`). Arguments are not passed on; set rows per script:
#   CSV_ROWS="1000000 10000000"   rows for bench/csv_to_parquet.sh (its default when unset)
#   DB_ROWS="1000000 5000000"     rows for bench/db/db_bench.sh (its default when unset)
#   STEPS=10000                   steps for bench/many_steps.sh (its default when unset)
# RUNS, KEEP, MEMORY_LIMITS, … are read by the scripts themselves. Results: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "## CSV → Parquet (bench/csv_to_parquet.sh)"
# shellcheck disable=SC2086 # word splitting of the row lists is intended
bash bench/csv_to_parquet.sh ${CSV_ROWS:-}
echo
echo "## Databases (bench/db/db_bench.sh)"
# shellcheck disable=SC2086
bash bench/db/db_bench.sh ${DB_ROWS:-}
echo
echo "## Many small steps (bench/many_steps.sh)"
# shellcheck disable=SC2086
bash bench/many_steps.sh ${STEPS:-}
echo
echo "## Start-up (bench/startup.mjs)"
node bench/startup.mjs
