/**
 * What a run creates outside its log folder that it must remove if it stops half-way: temp files beside
 * outputs and MySQL staging tables. A driver records each one in the run folder (`claims.jsonl`) BEFORE it
 * creates it, so after a crash the abandoned-run sweep removes exactly these and nothing else: the names
 * are random, so a recorded name is proof of ownership. A claim whose object was never created, or was
 * already renamed into place, is harmless (removal is "if it exists").
 *
 * Claims hold identifiers only (paths, a connection alias, database and table names), never secrets.
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs-atomic.js';
import { readJsonLines } from '../util/json-lines.js';
import { isJsonObject } from '../yaml/json.js';

export const CLAIMS_FILE = 'claims.jsonl';

export type RunClaim =
  /** A temp file (`.<name>.<pid>.<hex>.tmp`) beside a file output. */
  | { kind: 'file'; step_id: string; path: string }
  /** A staging (or swapped-out) table; `connection` is `@mysql.<alias>`, null when the step had none. */
  | { kind: 'mysql_table'; step_id: string; connection: string | null; database: string; table: string }
  /** A partitioned copy's staging table on Postgres; `connection` is `@postgres.<alias>` (or supabase). */
  | { kind: 'postgres_table'; step_id: string; connection: string | null; schema: string; table: string };

/** Appends one claim with a single write (lines never interleave), before the object exists. */
export function appendClaim(runDir: string, claim: RunClaim): void {
  const fd = openSync(join(runDir, CLAIMS_FILE), 'a', 0o644);
  try {
    writeSync(fd, Buffer.from(`${JSON.stringify(claim)}\n`, 'utf8'));
  } finally {
    closeSync(fd);
  }
}

function isClaim(value: unknown): value is RunClaim {
  if (!isJsonObject(value) || typeof value.step_id !== 'string') return false;
  if (value.kind === 'file') return typeof value.path === 'string';
  if (value.kind === 'postgres_table')
    return (
      typeof value.schema === 'string' &&
      typeof value.table === 'string' &&
      (value.connection === null || typeof value.connection === 'string')
    );
  return (
    value.kind === 'mysql_table' &&
    typeof value.database === 'string' &&
    typeof value.table === 'string' &&
    (value.connection === null || typeof value.connection === 'string')
  );
}

/** The run's claims in the order they were made; a torn last line is skipped. */
export function readClaims(runDir: string): RunClaim[] {
  return (readJsonLines(join(runDir, CLAIMS_FILE)) ?? []).filter(isClaim);
}

/** Keeps only `claims` (the ones a sweep could not remove yet); no file when none is left. */
export function rewriteClaims(runDir: string, claims: readonly RunClaim[]): void {
  const path = join(runDir, CLAIMS_FILE);
  if (claims.length === 0) rmSync(path, { force: true });
  else writeFileAtomic(path, claims.map((c) => `${JSON.stringify(c)}\n`).join(''));
}
