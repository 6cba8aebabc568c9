/**
 * From a GraphQL response to flat records: `data_path` (JSONPath, via jsonpath-plus: `$.` is optional, so
 * the Python tool's `data.users` works as written) selects the records, and each record becomes a mapping
 * of column → scalar. Nested objects are flattened into `parent.child` columns (as the Python tool's
 * json_normalize did) or, with `flatten_result: false`, kept whole as JSON; lists are always kept as JSON.
 */
import { JSONPath } from 'jsonpath-plus';
import { isJsonObject, type JsonObject, type JsonValue } from '../../yaml/json.js';

/** Every value `path` matches in `json` (script filters run in jsonpath-plus's sandboxed evaluator). */
export function matchPath(json: JsonValue, path: string): JsonValue[] {
  if (path.trim() === '' || path.trim() === '$') return [json];
  return JSONPath({ path, json, wrap: true, eval: 'safe' }) as JsonValue[];
}

/**
 * Whether `path` leads anywhere in `json`: its part before the first wildcard must match (a wildcard over an
 * empty list matches nothing, and that is no mistake in the path).
 */
export function pathExists(json: JsonValue, path: string): boolean {
  const head = path.split(/\[\*\]|\.\*|\.\.|\[\?/)[0] ?? '';
  return matchPath(json, head).length > 0;
}

/** The records at `path`: lists are spread, single objects are one record, nulls are skipped. */
export function recordsAt(json: JsonValue, path: string): JsonValue[] {
  return matchPath(json, path).flatMap((m) => (Array.isArray(m) ? m : m === null ? [] : [m]));
}

/** A cell value on its way to DuckDB: a JSON scalar, or `{ json }` for a value kept as JSON text. */
export type Cell = string | number | boolean | null | { json: string };

/** A record as columns; a scalar record (e.g. a list of ids) becomes the single column `value`. */
export function flattenRecord(record: JsonValue, flatten: boolean): Map<string, Cell> {
  const out = new Map<string, Cell>();
  if (!isJsonObject(record)) {
    out.set('value', cellOf(record));
    return out;
  }
  const walk = (obj: JsonObject, prefix: string) => {
    for (const [key, value] of Object.entries(obj)) {
      const name = prefix + key;
      if (flatten && isJsonObject(value) && Object.keys(value).length > 0) walk(value, `${name}.`);
      else out.set(name, cellOf(value));
    }
  };
  walk(record, '');
  return out;
}

function cellOf(value: JsonValue): Cell {
  if (value === null || typeof value !== 'object') return value;
  return { json: JSON.stringify(value) };
}

/** The DuckDB type a cell asks for; undefined for null (no information). */
export function cellType(cell: Cell): ColumnType | undefined {
  if (cell === null) return undefined;
  switch (typeof cell) {
    case 'boolean':
      return 'BOOLEAN';
    case 'number':
      return Number.isSafeInteger(cell) ? 'BIGINT' : 'DOUBLE';
    case 'string':
      return 'VARCHAR';
    default:
      return 'JSON';
  }
}

export type ColumnType = 'BOOLEAN' | 'BIGINT' | 'DOUBLE' | 'VARCHAR' | 'JSON';

/** What a JSON value looks like, for mismatch messages. */
export function describeCell(cell: Cell): string {
  if (cell === null) return 'null';
  if (typeof cell === 'object') {
    const text = cell.json.length > 60 ? `${cell.json.slice(0, 60)}…` : cell.json;
    return `${cell.json.startsWith('[') ? 'a list' : 'an object'} ${text}`;
  }
  const text = JSON.stringify(cell);
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return `${typeof cell === 'string' ? 'the string' : typeof cell === 'number' ? 'the number' : 'the boolean'} ${shown}`;
}
