#!/usr/bin/env bash
# Step overhead: a pipeline of N independent one-row duckdb.processor steps (default 10,000), compiled, then
# run through the CLI. Prints the run's wall time, peak RSS, and steps per second between the run_start and
# run_complete events (the runner moving from step to step: session logs, status, DuckDB round trips).
#   bash bench/many_steps.sh [steps]
set -euo pipefail
STEPS=${1:-10000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
printf 'version: "2.0"\n' >osiris.yaml
node -e '
  const n = Number(process.argv[1]);
  const lines = ["oml_version: \"0.1.0\"", "name: many-steps", "steps:"];
  for (let i = 0; i < n; i++)
    lines.push(`  - id: s${i}`, "    component: duckdb.processor", "    mode: transform", "    config:", `      query: SELECT ${i} AS x`);
  process.stdout.write(`${lines.join("\n")}\n`);
' "$STEPS" >pipeline.yaml
node "$ROOT/bin/osiris.js" compile pipeline.yaml >/dev/null
/usr/bin/time -f '%e %M' -o time.txt node "$ROOT/bin/osiris.js" run --last-compile >/dev/null 2>&1
read -r wall rss_kb <time.txt
node -e '
  const fs = require("fs"), path = require("path");
  const base = "run_logs/dev/many-steps";
  const dir = path.join(base, fs.readdirSync(base)[0]);
  const events = fs.readFileSync(path.join(dir, "events.jsonl"), "utf8").trim().split("\n").map(JSON.parse);
  const at = (name) => Date.parse(events.find((e) => e.event === name).ts);
  const seconds = (at("run_complete") - at("run_start")) / 1000;
  const [steps, wall, rssKb] = process.argv.slice(1).map(Number);
  console.log(`steps=${steps} wall_s=${wall} peak_rss_mb=${Math.round(rssKb / 1024)} steps_s=${seconds.toFixed(1)} steps_per_s=${Math.round(steps / seconds)}`);
' "$STEPS" "$wall" "$rss_kb"
