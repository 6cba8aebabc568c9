import type { Command } from 'commander';
import type { EnvVarState } from '../../connections/env.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { configOption, connectionsOption, jsonOption, legacyFileOption, numberOption } from '../options.js';
import { runAction } from '../output.js';

interface FileFlags {
  json?: boolean;
  config?: string;
  connections?: string;
  /** Old spelling of --connections. */
  file?: string;
}

type ListFlags = FileFlags;

/** Doctor found a connection that failed (auth, unreachable, …). */
const CONNECTION_FAILED = 'CON062';

const ENV_MARK: Record<EnvVarState, string> = { set: '✓', default: '(default)', missing: '✗' };

/** The connections file the user named, under either spelling. */
function connectionsFile(flags: FileFlags): string | undefined {
  return flags.connections ?? flags.file;
}

/** `osiris connections list` — the connections of osiris_connections.yaml, secrets masked. */
export function register(program: Command): void {
  const group = program
    .command('connections')
    .description('inspect the connections defined in osiris_connections.yaml');

  group
    .command('list')
    .description('list connections (secrets masked, $VAR references shown as references)')
    .addOption(connectionsOption())
    .addOption(legacyFileOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (flags: ListFlags) => {
      await runAction(flags, async () => {
        const [{ listConnections }, output, { ExitCode, isError, OsirisError }] = await Promise.all([
          import('../../connections/list.js'),
          import('../output.js'),
          import('../../diagnostics/diagnostic.js'),
        ]);
        const file = connectionsFile(flags);
        const result = await listConnections({
          cwd: process.cwd(),
          env: process.env,
          ...(file ? { file } : {}),
        });
        if (result.diagnostics.some(isError)) throw new OsirisError(result.diagnostics, ExitCode.usage);

        if (flags.json) {
          output.printJsonResult(
            { file: result.file, connections: result.connections },
            { diagnostics: result.diagnostics },
          );
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
                  : vars.map(([name, state]) => `${name} ${ENV_MARK[state]}`).join(', '),
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
            .filter(([, state]) => state === 'missing')
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
    .addOption(numberOption('--timeout <ms>', 'time allowed per connection, in milliseconds', 5000))
    .addOption(connectionsOption())
    .addOption(legacyFileOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (ref: string | undefined, flags: DoctorFlags) => {
      await runAction(flags, () => doctorAction(ref, flags));
    });
}

interface DoctorFlags extends FileFlags {
  timeout: string | number;
}

/** `osiris connections doctor`: exit 0 when nothing failed, 1 when a connection failed, 2 for bad input. */
async function doctorAction(ref: string | undefined, flags: DoctorFlags): Promise<0 | 1 | 2> {
  const [
    { doctorConnections, isFailure, isWarning, statusLabel },
    output,
    { ExitCode, OsirisError, diagnostic },
  ] = await Promise.all([
    import('../../connections/doctor.js'),
    import('../output.js'),
    import('../../diagnostics/diagnostic.js'),
  ]);
  const timeoutText = String(flags.timeout).trim();
  const timeoutMs = /^\d+$/.test(timeoutText) ? Number(timeoutText) : Number.NaN;
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
  const configFile = flags.config ? { configFile: flags.config } : {};
  if (findConfigFile({ cwd, env, ...configFile }))
    projectRoot = loadProjectConfig({ cwd, env, ...configFile }).root;
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
    ...(connectionsFile(flags) ? { file: connectionsFile(flags) } : {}),
    ...(registry ? { registry } : {}),
  });
  const code = report.ok ? ExitCode.ok : ExitCode.runtime;
  const failed = report.results.filter((r) => isFailure(r.status));
  const first = failed[0];
  // One verdict for both modes: the envelope's error, or the compiler-style line on stderr.
  const verdict: Diagnostic | undefined = first
    ? diagnostic(
        'error',
        CONNECTION_FAILED,
        `${failed.length} of ${report.results.length} connections failed; first: ${
          first.message.startsWith(first.connection) ? first.message : `${first.connection}: ${first.message}`
        }`,
        report.file ? { file: report.file } : {},
        {
          hint: `fix the failing connections in ${report.file ?? 'osiris_connections.yaml'} or .env, then run again`,
        },
      )
    : undefined;
  if (flags.json) {
    const { ok: _, ...payload } = report;
    output.printJsonResult(payload, verdict ? { error: output.jsonErrorOf(verdict) } : {});
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
  const { summary } = report;
  output.printLine();
  const warned = summary.warnings ? `${summary.warnings} warning${summary.warnings > 1 ? 's' : ''}, ` : '';
  output.printLine(`${summary.ok} ok, ${warned}${summary.failed} failed, ${summary.skipped} skipped`);
  if (verdict) output.printDiagnostics([verdict]);
  return code;
}
