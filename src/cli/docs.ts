/** Renders docs/reference/cli.md from the commander program itself, so the reference cannot drift. */
import type { Command, Option } from 'commander';

function usageOf(cmd: Command, parents: string[]): string {
  return [...parents, cmd.name(), cmd.usage()].filter(Boolean).join(' ');
}

/** `5000`, `json`, `.` — the default as a user would type it (commander's help quotes strings). */
function defaultText(option: Option): string | undefined {
  const value: unknown = option.defaultValue;
  if (value === undefined || value === false || (Array.isArray(value) && value.length === 0))
    return undefined;
  return option.defaultValueDescription ?? (typeof value === 'string' ? value : JSON.stringify(value));
}

function optionRow(option: Option): string {
  const flags = option.flags.replaceAll('|', '\\|');
  const shown = defaultText(option);
  const def = shown === undefined ? '' : ` (default: \`${shown}\`)`;
  const choices = option.argChoices ? ` One of: ${option.argChoices.map((c) => `\`${c}\``).join(', ')}.` : '';
  return `| \`${flags}\` | ${option.description}${def}${choices} |`;
}

function renderCommand(cmd: Command, parents: string[], out: string[]): void {
  const path = [...parents, cmd.name()];
  const subcommands = cmd.commands.filter((c) => c.name() !== 'help');
  out.push(`## \`${path.join(' ')}\``, '', cmd.description(), '');
  if (subcommands.length === 0 || cmd.registeredArguments.length > 0) {
    out.push('```text', usageOf(cmd, parents), '```', '');
    const args = cmd.registeredArguments;
    if (args.length > 0) {
      out.push('| argument | description |', '|---|---|');
      for (const a of args)
        out.push(`| \`${a.name()}\`${a.required ? '' : ' (optional)'} | ${a.description} |`);
      out.push('');
    }
    const options = cmd.options.filter((o) => o.long !== '--help' && !o.hidden);
    if (options.length > 0) {
      out.push('| option | description |', '|---|---|');
      for (const o of options) out.push(optionRow(o));
      out.push('');
    }
  }
  for (const sub of subcommands) renderCommand(sub, path, out);
}

const JSON_OUTPUT = [
  '## JSON output',
  '',
  'With `--json` a command prints exactly one JSON document on stdout and nothing else there (progress and',
  'notes go to stderr). Every command uses the same envelope, described by the JSON Schema',
  '[`cli-json.schema.json`](cli-json.schema.json) (a test runs every command against it):',
  '',
  '- `ok` — `true` exactly when the command succeeded (exit code `0`);',
  '- `error` — only when `ok` is `false`: `code`, `message`, `hint` (how to fix it) and `location` (any of',
  '  `file`, `line`, `col`, `path` — the dotted key inside the file — and `step`);',
  '- `diagnostics` — every error and warning (`severity`, `code`, `message`, `hint`, `location`, `stepId`),',
  '  sorted; the first error is also `error`. A validation failure keeps all of them here;',
  "- the command's own fields beside these (`runs`, `components`, `connections`, `run_id`, …).",
  '',
  'For example `osiris validate pipeline.yaml --json` with a misspelt component:',
  '',
  '```json',
  '{',
  '  "ok": false,',
  '  "error": {',
  '    "code": "OML013",',
  `    "message": "unknown component 'duckdb.proc'",`,
  `    "hint": "did you mean 'duckdb.processor'?",`,
  '    "location": { "file": "pipeline.yaml", "line": 9, "col": 16, "path": "steps[1].component", "step": "top" }',
  '  },',
  '  "file": "pipeline.yaml",',
  '  "name": "demo",',
  '  "steps": [],',
  '  "params": {},',
  '  "profile": "dev",',
  '  "diagnostics": [',
  '    {',
  '      "severity": "error",',
  '      "code": "OML013",',
  `      "message": "unknown component 'duckdb.proc'",`,
  '      "location": { "file": "pipeline.yaml", "line": 9, "col": 16, "path": "steps[1].component" },',
  `      "hint": "did you mean 'duckdb.processor'?",`,
  '      "stepId": "top"',
  '    }',
  '  ]',
  '}',
  '```',
  '',
  'Command-line usage errors (an unknown option, a missing argument) are `CLI001`, exit 2. A failed run is',
  "`ok: false` with the step's error (`location.step`) beside `run_id`, `status` and `steps`.",
  '',
];

export function renderCliReference(program: Command): string {
  const out = [
    '# CLI reference',
    '',
    '<!-- Generated from the commander definitions by test/unit/cli/docs.test.ts; regenerate with',
    '     OSIRIS_UPDATE_DOCS=1 npx vitest run test/unit/cli/docs.test.ts -->',
    '',
    'Every command accepts `--json` (one JSON document on stdout, see [JSON output](#json-output)) and exits',
    'with `0` on success, `1` when a run or another runtime operation failed, and `2` for usage and validation',
    "errors. Diagnostics print like a compiler's: `file:line:col severity CODE message — hint`.",
    '',
    'The same option means the same thing on every command that has it: `--config <osiris.yaml>` (or',
    '`$OSIRIS_CONFIG`) names the project file and `--connections <file>` (or `$OSIRIS_CONNECTIONS`) the',
    'connections file instead of searching for them; `--param key=value` is repeatable; `-p, --profile` picks',
    'the profile. `logs list` and `runs list` are the same listing with the same filters.',
    '',
    ...JSON_OUTPUT,
  ];
  for (const cmd of program.commands.filter((c) => c.name() !== 'help')) renderCommand(cmd, ['osiris'], out);
  return `${out.join('\n').trimEnd()}\n`;
}
