/** Renders docs/reference/cli.md from the commander program itself, so the reference cannot drift. */
import type { Command, Option } from 'commander';

function usageOf(cmd: Command, parents: string[]): string {
  return [...parents, cmd.name(), cmd.usage()].filter(Boolean).join(' ');
}

function optionRow(option: Option): string {
  const flags = option.flags.replaceAll('|', '\\|');
  const def =
    option.defaultValue !== undefined &&
    !(Array.isArray(option.defaultValue) && option.defaultValue.length === 0)
      ? ` (default: \`${JSON.stringify(option.defaultValue)}\`)`
      : '';
  return `| \`${flags}\` | ${option.description}${def} |`;
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
    const options = cmd.options.filter((o) => o.long !== '--help');
    if (options.length > 0) {
      out.push('| option | description |', '|---|---|');
      for (const o of options) out.push(optionRow(o));
      out.push('');
    }
  }
  for (const sub of subcommands) renderCommand(sub, path, out);
}

export function renderCliReference(program: Command): string {
  const out = [
    '# CLI reference',
    '',
    '<!-- Generated from the commander definitions by test/unit/cli/docs.test.ts; regenerate with',
    '     OSIRIS_UPDATE_DOCS=1 npx vitest run test/unit/cli/docs.test.ts -->',
    '',
    'Every command accepts `--json` (one JSON document on stdout) and exits with `0` on success, `1` when a run',
    'or another runtime operation failed, and `2` for usage and validation errors. Diagnostics print like a',
    "compiler's: `file:line:col severity CODE message — hint`.",
    '',
    '`osiris run` stopped by SIGINT (Ctrl-C) or SIGTERM (`timeout`, systemd, Kubernetes) cancels the run: running',
    'steps roll back or remove what they started, the run is recorded as `cancelled`, and the command exits with',
    '`130` (SIGINT) or `143` (SIGTERM), as a shell reports a process ended by that signal. A second signal stops',
    'at once; a run whose process dies (a second signal, SIGKILL, a machine stop) is marked `abandoned` and its',
    'scratch folder, temp files and MySQL staging tables removed by the next run of the pipeline or by',
    '`osiris logs gc --apply`.',
    '',
  ];
  for (const cmd of program.commands.filter((c) => c.name() !== 'help')) renderCommand(cmd, ['osiris'], out);
  return `${out.join('\n').trimEnd()}\n`;
}
