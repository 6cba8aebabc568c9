/**
 * JSON-lines files a run appends to (events, metrics, step states, claims). A process killed mid-write
 * leaves a torn last line: readers skip lines that do not parse instead of failing.
 */
import { readFileSync } from 'node:fs';
import { isJsonObject, type JsonObject } from '../yaml/json.js';

/** The object lines of `path` in order; missing file → undefined; unparsable lines skipped. */
export function readJsonLines(path: string): JsonObject[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const out: JsonObject[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isJsonObject(value)) out.push(value);
    } catch {
      // torn tail of a running or killed run
    }
  }
  return out;
}
