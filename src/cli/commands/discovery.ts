/**
 * `osiris discovery run @family.alias [--samples N] [--tables a,b] [--refresh] [--json]`: the tables of a
 * connection with row estimates, then columns and sample rows of the tables asked for (of every table with
 * `--samples`). Library code loads inside the action.
 */
import type { Command } from 'commander';
import type { ExitCodeValue } from '../../diagnostics/diagnostic.js';
import type { DescribedTable, DiscoveryResult } from '../../discovery/discover.js';
import type { Registry } from '../../registry/registry.js';
import type { JsonValue } from '../../yaml/json.js';
import { configOption, connectionsOption, jsonOption } from '../options.js';
import { type OutputOptions, runAction } from '../output.js';

interface RunFlags extends OutputOptions {
  samples?: string;
  tables?: string;
  refresh?: boolean;
  config?: string;
  connections?: string;
}

export function register(program: Command): void {
  const group = program
    .command('discovery')
    .description('discover the schema of a database connection (tables, columns, keys, sample rows)');

  group
    .command('run')
    .description('list the tables of a connection; describe and sample the tables asked for')
    .argument('<connection>', 'connection reference, e.g. @mysql.primary')
    .option('--samples <n>', 'sample rows per table (0-100); without --tables every table is described')
    .option('--tables <list>', 'comma-separated tables to describe (name or schema.name)')
    .option('--refresh', 'ignore the discovery cache and read everything from the server')
    .addOption(configOption())
    .addOption(connectionsOption())
    .addOption(jsonOption())
    .action((ref: string, flags: RunFlags) => runAction(flags, () => runDiscovery(ref, flags)));
}

async function runDiscovery(ref: string, flags: RunFlags): Promise<ExitCodeValue> {
  const [{ ExitCode, OsirisError }, { loadProjectConfig }, { loadDotEnv }, { discover }, output] =
    await Promise.all([
      import('../../diagnostics/diagnostic.js'),
      import('../../project/config.js'),
      import('../../connections/env.js'),
      import('../../discovery/discover.js'),
      import('../output.js'),
    ]);
  const { parseConnectionRef } = await import('../../connections/resolve.js');
  parseConnectionRef(ref);

  let samples: number | undefined;
  if (flags.samples !== undefined) {
    samples = /^\d+$/.test(flags.samples.trim()) ? Number(flags.samples.trim()) : Number.NaN;
    if (!Number.isInteger(samples) || samples > 100) {
      throw OsirisError.of(
        'DSC001',
        `--samples must be a whole number from 0 to 100, got '${flags.samples}'`,
        {},
        { hint: 'e.g. --samples 10' },
      );
    }
  }
  let tables: string[] | undefined;
  if (flags.tables !== undefined) {
    tables = flags.tables.split(',').map((t) => t.trim());
    if (tables.some((t) => t === '')) {
      throw OsirisError.of(
        'DSC002',
        `--tables has an empty table name: '${flags.tables}'`,
        {},
        {
          hint: 'write table names separated by commas, e.g. --tables customers,orders',
        },
      );
    }
  }

  const cwd = process.cwd();
  const env: NodeJS.ProcessEnv = { ...process.env };
  const project = loadProjectConfig({ cwd, env, ...(flags.config ? { configFile: flags.config } : {}) });
  loadDotEnv({ cwd, env, projectRoot: project.root });
  let registry: Registry | undefined;
  try {
    const { loadRegistry } = await import('../../registry/load.js');
    registry = loadRegistry({ projectRoot: project.root });
  } catch {
    registry = undefined;
  }

  const result = await discover({
    ref,
    project,
    env,
    cwd,
    ...(registry ? { registry } : {}),
    ...(samples !== undefined ? { samples } : {}),
    ...(tables !== undefined ? { tables } : {}),
    ...(flags.refresh ? { refresh: true } : {}),
  });

  if (flags.json) {
    const { warnings, ...payload } = result;
    output.printJsonResult(payload, { diagnostics: warnings });
    return ExitCode.ok;
  }
  output.printDiagnostics(result.warnings);
  for (const line of renderDiscovery(result)) output.printLine(line);
  return ExitCode.ok;
}

// ---------------------------------------------------------------------------------------------------------
// Human output

const MAX_CELL = 32;

function cellText(value: JsonValue | undefined): string {
  if (value === undefined) return '';
  if (value === null) return 'NULL';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  const chars = [...flat];
  return chars.length > MAX_CELL ? `${chars.slice(0, MAX_CELL - 1).join('')}…` : flat;
}

/** Left-aligned columns, two spaces apart, no trailing blanks. */
function grid(header: string[], rows: string[][], indent = '  '): string[] {
  const widths = header.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: string[]) =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - [...c].length)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function estimate(n: number | null): string {
  return n === null ? '?' : n.toLocaleString('en-US');
}

function qualified(t: { schema: string | null; name: string }): string {
  return t.schema === null ? t.name : `${t.schema}.${t.name}`;
}

function renderTable(t: DescribedTable): string[] {
  const out = ['', `${qualified(t)}  (${t.kind}, ~${estimate(t.rowEstimate)} rows)`];
  out.push(
    ...grid(
      ['COLUMN', 'TYPE', 'DUCKDB', 'NULL', 'KEY', 'DEFAULT'],
      t.columns.map((c) => [
        c.name,
        c.sourceType,
        c.duckdbType,
        c.nullable ? 'yes' : 'no',
        c.primaryKeyPosition !== null ? `PK${t.primaryKey.length > 1 ? c.primaryKeyPosition : ''}` : '',
        c.default ?? '',
      ]),
    ),
  );
  if (t.sampleLimit === 0) return out;
  const masked = t.maskedColumns.length > 0 ? `; masked: ${t.maskedColumns.join(', ')}` : '';
  out.push('', `  samples: ${t.samples.length} row${t.samples.length === 1 ? '' : 's'}${masked}`);
  if (t.samples.length > 0) {
    const names = t.columns.map((c) => c.name);
    for (const row of t.samples) for (const k of Object.keys(row)) if (!names.includes(k)) names.push(k);
    out.push(
      ...grid(
        names,
        t.samples.map((r) => names.map((n) => cellText(r[n]))),
        '    ',
      ),
    );
  }
  return out;
}

/** The human report: header, table list, then each described table. */
export function renderDiscovery(result: DiscoveryResult): string[] {
  const n = result.tables.length;
  const cache =
    result.cache.status === 'miss'
      ? `cache miss (${result.cache.reason ?? 'no_cache'})`
      : `cache ${result.cache.status}, ${result.cache.ageSeconds}s old`;
  const out = [`${result.connection}: ${n} table${n === 1 ? '' : 's'} (${cache}, ${result.durationMs} ms)`];
  if (n > 0) {
    out.push(
      ...grid(
        ['TABLE', 'KIND', 'ROWS (EST.)'],
        result.tables.map((t) => [qualified(t), t.kind, estimate(t.rowEstimate)]),
      ),
    );
  }
  for (const t of result.described) out.push(...renderTable(t));
  if (result.truncated) {
    out.push('', `described the first ${result.described.length} tables only; use --tables to pick others`);
  }
  if (result.described.length === 0 && n > 0) {
    out.push('', `describe tables with --tables <name,…>, or all of them with --samples <n>`);
  }
  return out;
}
