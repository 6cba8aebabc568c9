/**
 * The agent's prompts. Defaults live here; `osiris dump-prompts --export` writes them to `.osiris_prompts/`
 * and `osiris chat --pro-mode` reads them back, so a team can tune the wording without touching code.
 * Templates use `{{name}}` placeholders; an unknown placeholder is left as written.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { Registry } from '../registry/registry.js';
import { omlModesOf } from '../registry/registry.js';

export const PROMPTS_DIR = '.osiris_prompts';

export type PromptName = 'system' | 'fast_mode' | 'sql_mode';

export const PROMPT_FILES: Readonly<Record<PromptName, string>> = {
  system: 'system.md',
  fast_mode: 'fast_mode.md',
  sql_mode: 'sql_mode.md',
};

const SYSTEM = `You are Osiris, a data engineer who turns a user's goal into a working ETL pipeline written in
OML v0.1.0, the YAML pipeline language of the Osiris tool. You work only through the tools you are given.

## How you work
1. Understand the goal. If it is ambiguous in a way that changes the result, ask one short question.
2. Look before you write: call discover_schema for the connection (list first, then the tables you need with a
   few sample rows). Use run_query (read-only, row-limited) to check values or answer factual questions.
3. Write the whole OML document and call propose_pipeline with it. That tool validates it, checks every table
   and column the SQL uses against the discovered schema, and compiles it. If it returns errors, fix exactly
   those errors and call propose_pipeline again with the corrected document.
4. When propose_pipeline succeeds, stop: the user is shown the pipeline and its manifest hash and decides
   whether to approve it. Summarise in two or three sentences what the pipeline will do. Never claim it ran.
5. For a question about the data (not a pipeline), answer it from run_query results, citing the values.

## Rules
- Connections are pre-configured; refer to them only as @family.alias. Never ask for or write a password,
  key, token or host credentials; they are resolved at run time from the environment.
- Only use components listed below, with the config keys their specs allow (get_component_spec shows them).
- Extractor SQL must be a single read-only SELECT/WITH statement in the source database's dialect, calling no
  side-effecting function (locks, sleeps, large objects, server files, settings): the SQL guard refuses them.
- Put transformations in a duckdb.processor step (DuckDB SQL); it sees each upstream step's output as a
  table named by the step id (quote ids that contain a dash: "extract-movies") and, with one input, as input_df.
- Write outputs under output/ unless the user names a path. Use kebab-case pipeline names and step ids.

## OML v0.1.0
Top-level keys: oml_version: "0.1.0", name, steps (optional: description, params). Never: version, connectors,
tasks, outputs, schedule. Each step: id, component, mode (read | transform | write), config, and needs: [ids]
for its upstream steps. Example:

oml_version: "0.1.0"
name: top-movies
steps:
  - id: extract-movies
    component: mysql.extractor
    mode: read
    config:
      connection: "@mysql.movies"
      query: "SELECT id, title, rating FROM movies"
  - id: top
    component: duckdb.processor
    mode: transform
    needs: [extract-movies]
    config:
      query: "SELECT title, rating FROM input_df WHERE rating > 8 ORDER BY rating DESC"
  - id: write-csv
    component: filesystem.csv_writer
    mode: write
    needs: [top]
    config:
      path: output/top_movies.csv

## Connections
{{connections}}

## Components
{{components}}
`;

const FAST_MODE = `FAST mode: do not ask clarifying questions. Make reasonable assumptions (CSV output under output/,
all columns, the default connection), state them in one line, and go straight to propose_pipeline.`;

const SQL_MODE = `SQL mode: the user gave the exact SQL to extract. Use it verbatim as the extractor's query on
the connection named (or the only database connection), write the result where the user says (CSV under
output/ otherwise), and call propose_pipeline. Do not rewrite the SQL.`;

export const DEFAULT_PROMPTS: Readonly<Record<PromptName, string>> = {
  system: SYSTEM,
  fast_mode: FAST_MODE,
  sql_mode: SQL_MODE,
};

/** Replaces `{{name}}` placeholders; unknown ones stay as written so a typo is visible, not silent. */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}

/** Prompts in effect: the defaults, or with `proMode` the files under `dir` (a missing file keeps the default). */
export function loadPrompts(options: { proMode: boolean; dir: string }): Record<PromptName, string> {
  const prompts = { ...DEFAULT_PROMPTS };
  if (!options.proMode) return prompts;
  if (!existsSync(options.dir)) {
    throw OsirisError.of(
      'AGT030',
      `pro mode reads prompts from ${options.dir}, which does not exist`,
      {},
      { hint: 'run `osiris dump-prompts --export` first, then edit the files' },
    );
  }
  for (const name of Object.keys(PROMPT_FILES) as PromptName[]) {
    const file = join(options.dir, PROMPT_FILES[name]);
    if (existsSync(file)) prompts[name] = readFileSync(file, 'utf8');
  }
  return prompts;
}

export interface ExportPromptsResult {
  dir: string;
  files: string[];
}

/** Writes the default prompts to `dir` (refuses to overwrite without `force`). */
export function exportPrompts(dir: string, force: boolean): ExportPromptsResult {
  const files = [...Object.values(PROMPT_FILES), 'README.md'];
  const existing = files.filter((f) => existsSync(join(dir, f)));
  if (existing.length > 0 && !force) {
    throw OsirisError.of(
      'AGT031',
      `${dir} already has ${existing.join(', ')}`,
      {},
      { hint: 'pass --force to overwrite them, or --dir to export elsewhere' },
    );
  }
  mkdirSync(dir, { recursive: true });
  for (const name of Object.keys(PROMPT_FILES) as PromptName[]) {
    writeFileSync(join(dir, PROMPT_FILES[name]), DEFAULT_PROMPTS[name]);
  }
  writeFileSync(
    join(dir, 'README.md'),
    [
      '# Osiris chat prompts',
      '',
      'Edit these files and run `osiris chat --pro-mode` to use them. A missing file falls back to the',
      'built-in default.',
      '',
      '- `system.md`: the system prompt. `{{connections}}` and `{{components}}` are filled in at run time.',
      '- `fast_mode.md`: added for messages that start with `FAST:`.',
      '- `sql_mode.md`: added for messages that start with `SQL:`.',
      '',
    ].join('\n'),
  );
  return { dir, files };
}

/** One line per component: name, modes, required config and a short description. */
export function componentsContext(registry: Registry): string {
  return registry
    .list()
    .filter((c) => c.driverPath !== undefined)
    .map(({ spec }) => {
      const required = spec.configSchema.required ?? [];
      const description = (spec.description ?? spec.title ?? '').split('\n')[0]?.trim() ?? '';
      return `- ${spec.name} (mode: ${omlModesOf(spec).join('|')}; requires: ${required.join(', ') || 'nothing'})${
        description ? ` — ${description}` : ''
      }`;
    })
    .join('\n');
}
