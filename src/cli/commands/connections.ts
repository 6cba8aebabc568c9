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

  group
    .command('doctor')
    .description(
      'connect to each connection (or the one given) and report ok / auth failed / unreachable / …',
    )
    .argument('[connection]', 'test only this connection, e.g. @mysql.primary')
    .option('--timeout <ms>', 'time allowed per connection, in milliseconds', '5000')
    .option('--file <path>', 'read this connections file instead of searching for osiris_connections.yaml')
    .option('--json', 'print one JSON document')
    .action(async (ref: string | undefined, flags: DoctorFlags) => {
      await runAction(flags, () => doctorAction(ref, flags));
    });
}

interface DoctorFlags {
  json?: boolean;
  file?: string;
  timeout: string;
}

/** `osiris connections doctor`: exit 0 when nothing failed, 1 when a connection failed, 2 for bad input. */
async function doctorAction(ref: string | undefined, flags: DoctorFlags): Promise<0 | 1 | 2> {
  const [{ doctorConnections, isFailure, isWarning, statusLabel }, output, { ExitCode, OsirisError }] =
    await Promise.all([
      import('../../connections/doctor.js'),
      import('../output.js'),
      import('../../diagnostics/diagnostic.js'),
    ]);
  const timeoutMs = /^\d+$/.test(flags.timeout.trim()) ? Number(flags.timeout.trim()) : Number.NaN;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
    throw OsirisError.of(
      'CON061',
      `--timeout must be a whole number of milliseconds from 1 to 600000, got '${flags.timeout}'`,
      {},
      { hint: 'e.g. --timeout 3000' },
    );
  }
  if (ref !== undefined) {
    const { parseConnectionRef } = await import('../../connections/resolve.js');
    parseConnectionRef(ref);
  }
  const cwd = process.cwd();
  const env: NodeJS.ProcessEnv = { ...process.env };
  const { findConfigFile, loadProjectConfig } = await import('../../project/config.js');
  const { loadDotEnv } = await import('../../connections/env.js');
  let projectRoot = cwd;
  if (findConfigFile({ cwd, env })) projectRoot = loadProjectConfig({ cwd, env }).root;
  loadDotEnv({ cwd, env, projectRoot });
  let registry: import('../../registry/registry.js').Registry | undefined;
  try {
    const { loadRegistry } = await import('../../registry/load.js');
    registry = loadRegistry({ projectRoot });
  } catch {
    registry = undefined;
  }
  const report = await doctorConnections({
    cwd,
    env,
    projectRoot,
    timeoutMs,
    ...(ref !== undefined ? { ref } : {}),
    ...(flags.file ? { file: flags.file } : {}),
    ...(registry ? { registry } : {}),
  });
  const code = report.ok ? ExitCode.ok : ExitCode.runtime;
  if (flags.json) {
    output.printJson(report);
    return code;
  }
  if (report.results.length === 0) {
    output.printLine(
      report.file === null
        ? 'No connections configured: osiris_connections.yaml was not found.'
        : `No connections defined in ${report.file}.`,
    );
    return code;
  }
  const rows = report.results.map((r) => [
    r.status === 'ok' ? '✓' : r.status === 'skipped' ? '○' : isWarning(r.status) ? '!' : '✗',
    r.connection,
    statusLabel(r.status),
    r.latencyMs === null ? '-' : `${r.latencyMs} ms`,
    r.status === 'ok' ? (r.serverVersion ?? r.message) : r.message,
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => [...(row[i] ?? '')].length)));
  for (const row of rows) {
    output.printLine(
      row
        .map((cell, i) => (i < 4 ? cell + ' '.repeat((widths[i] ?? 0) - [...cell].length) : cell))
        .join('  ')
        .trimEnd(),
    );
  }
  const { ok, warnings, failed, skipped } = report.summary;
  output.printLine();
  const warned = warnings ? `${warnings} warning${warnings > 1 ? 's' : ''}, ` : '';
  output.printLine(`${ok} ok, ${warned}${failed} failed, ${skipped} skipped`);
  if (report.results.some((r) => isFailure(r.status)) && !flags.json) {
    output.printLine('  fix the failing connections in osiris_connections.yaml or .env, then run again.');
  }
  return code;
}
