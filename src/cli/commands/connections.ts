import type { Command } from 'commander';
import { runAction } from '../output.js';

interface ListFlags {
  json?: boolean;
  file?: string;
}

/** `osiris connections list` — the connections of osiris_connections.yaml, secrets masked. */
export function register(program: Command): void {
  const group = program
    .command('connections')
    .description('inspect the connections defined in osiris_connections.yaml');

  group
    .command('list')
    .description('list connections (secrets masked, $VAR references shown as references)')
    .option('--file <path>', 'read this connections file instead of searching for osiris_connections.yaml')
    .option('--json', 'print one JSON document')
    .action(async (flags: ListFlags) => {
      await runAction(flags, async () => {
        const [{ listConnections }, output, { ExitCode, isError, OsirisError }] = await Promise.all([
          import('../../connections/list.js'),
          import('../output.js'),
          import('../../diagnostics/diagnostic.js'),
        ]);
        const result = await listConnections({
          cwd: process.cwd(),
          env: process.env,
          ...(flags.file ? { file: flags.file } : {}),
        });
        if (result.diagnostics.some(isError)) throw new OsirisError(result.diagnostics, ExitCode.usage);

        if (flags.json) {
          output.printJson({
            file: result.file,
            connections: result.connections,
            ...output.diagnosticsJson(result.diagnostics),
          });
          return ExitCode.ok;
        }

        output.printDiagnostics(result.diagnostics);
        if (result.file === null) {
          output.printLine('No connections configured: osiris_connections.yaml was not found.');
          output.printLine(`  looked in: ${result.searched.join(', ')}`);
          output.printLine('  run `osiris init` to create one with commented examples.');
          return ExitCode.ok;
        }
        if (result.connections.length === 0) {
          output.printLine(`No connections defined in ${result.file}.`);
          output.printLine("  add one under 'connections:' (see the commented examples in the file).");
          return ExitCode.ok;
        }
        output.printLine(`Connections in ${result.file}`);
        const families = [...new Set(result.connections.map((c) => c.family))];
        for (const family of families) {
          const rows = result.connections
            .filter((c) => c.family === family)
            .map((c) => {
              const vars = Object.entries(c.env_vars);
              return [
                c.reference,
                c.is_default ? '✓' : '',
                c.summary,
                vars.length === 0
                  ? 'none'
                  : vars.map(([name, set]) => `${name} ${set ? '✓' : '✗'}`).join(', '),
              ];
            });
          const header = ['CONNECTION', 'DEFAULT', 'DETAILS', 'ENV VARS'];
          const widths = header.map((h, i) =>
            Math.max(h.length, ...rows.map((r) => [...(r[i] ?? '')].length)),
          );
          const line = (cells: string[]) =>
            cells
              .map((cell, i) =>
                i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - [...cell].length),
              )
              .join('  ')
              .trimEnd();
          output.printLine();
          output.printLine(family);
          output.printLine(`  ${line(header)}`);
          for (const row of rows) output.printLine(`  ${line(row)}`);
        }
        const unset = result.connections.flatMap((c) =>
          Object.entries(c.env_vars)
            .filter(([name, set]) => !set && !c.env_vars_with_default.includes(name))
            .map(([name]) => name),
        );
        if (unset.length > 0) {
          output.printLine();
          output.printLine(
            `✗ ${[...new Set(unset)].sort().join(', ')} not set — add to .env or export before running pipelines that use them.`,
          );
        }
        return ExitCode.ok;
      });
    });
}
