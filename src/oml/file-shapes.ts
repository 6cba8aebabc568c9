/**
 * Output shapes of CSV extractor steps, read from the files themselves (DuckDB's CSV sniffer over a sample,
 * no data loaded), so the bind check can also catch a wrong column in SQL that reads a CSV step. Only the
 * plain cases are probed (path, delimiter, header, columns); anything unusual yields no shape, which simply
 * leaves that step and its consumers unchecked — the run still checks them.
 */
import { existsSync } from 'node:fs';
import type { DuckDBInstance } from '@duckdb/node-api';
import { quoteIdent, quoteLiteral } from '../runtime/dataplane.js';
import { resolveStepPath } from '../runtime/file-output.js';
import { loadDuckDB } from '../util/duckdb-module.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../yaml/json.js';
import type { CatalogColumn } from './bind-check.js';

const CSV_EXTRACTOR = 'filesystem.csv_extractor';
/** Config keys the probe understands; a step using any other key is not probed. */
const PROBED_KEYS = new Set(['path', 'delimiter', 'header', 'columns']);

function readCsvSql(config: JsonObject, projectRoot: string): string | undefined {
  if (Object.keys(config).some((k) => !PROBED_KEYS.has(k))) return undefined;
  const { path, delimiter, header, columns } = config;
  if (typeof path !== 'string' || /[*?[]/.test(path)) return undefined;
  const file = resolveStepPath(projectRoot, path);
  if (!existsSync(file)) return undefined;
  const options = [`header = ${header === false ? 'false' : 'true'}`];
  if (delimiter !== undefined) {
    if (typeof delimiter !== 'string' || [...delimiter].length !== 1) return undefined;
    options.push(`delim = ${quoteLiteral(delimiter)}`);
  }
  if (header !== undefined && typeof header !== 'boolean') return undefined;
  let select = '*';
  if (Array.isArray(columns)) {
    if (!columns.every((c): c is string => typeof c === 'string')) return undefined;
    select = columns.map(quoteIdent).join(', ');
  } else if (isJsonObject(columns)) {
    const entries = Object.entries(columns);
    if (!entries.every((e): e is [string, string] => typeof e[1] === 'string')) return undefined;
    options.push(`types = {${entries.map(([k, v]) => `${quoteLiteral(k)}: ${quoteLiteral(v)}`).join(', ')}}`);
  } else if (columns !== undefined) return undefined;
  return `SELECT ${select} FROM read_csv(${quoteLiteral(file)}, ${options.join(', ')})`;
}

/** Shapes of the pipeline's probeable CSV extractor steps, by step id. Never throws. */
export async function csvStepShapes(
  oml: JsonValue | undefined,
  projectRoot: string,
): Promise<Map<string, CatalogColumn[]>> {
  const shapes = new Map<string, CatalogColumn[]>();
  const steps = isJsonObject(oml) && Array.isArray(oml.steps) ? oml.steps : [];
  const probes = steps.flatMap((step) => {
    if (!isJsonObject(step) || step.component !== CSV_EXTRACTOR || typeof step.id !== 'string') return [];
    const sql = isJsonObject(step.config) ? readCsvSql(step.config, projectRoot) : undefined;
    return sql ? [{ id: step.id, sql }] : [];
  });
  if (probes.length === 0) return shapes;
  let instance: DuckDBInstance | undefined;
  try {
    instance = await loadDuckDB().DuckDBInstance.create(':memory:', { threads: '1' });
    const conn = await instance.connect();
    try {
      for (const probe of probes) {
        try {
          const reader = await conn.runAndReadAll(`DESCRIBE ${probe.sql}`);
          shapes.set(
            probe.id,
            reader.getRows().map((row) => ({ name: String(row[0]), duckdbType: String(row[1]) })),
          );
        } catch {
          // unreadable or malformed: no shape, the run reports it
        }
      }
    } finally {
      conn.closeSync();
    }
  } catch {
    // no DuckDB: no shapes
  } finally {
    instance?.closeSync();
  }
  return shapes;
}
