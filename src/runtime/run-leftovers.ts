/**
 * Removing what a dead run left behind (runtime/abandoned-runs.ts decides which runs are dead): its scratch
 * folder, and exactly the temp files and MySQL tables it claimed before creating them
 * (observability/run-claims.ts). A temp file goes only when its name carries the dead process's pid; a table
 * only when it has the writer's or a partitioned copy's tag (connectors/{mysql,postgres}/leftovers.ts). What cannot be removed now stays
 * claimed, with the reason, for the next sweep.
 */
import { lstatSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ConnectionsConfig } from '../connections/config.js';
import { folderBytes } from '../observability/retention.js';
import { CLAIMS_FILE, type RunClaim, readClaims, rewriteClaims } from '../observability/run-claims.js';
import type { ProjectConfig } from '../project/config.js';
import type { Registry } from '../registry/registry.js';
import type { ResolvedConnection } from './driver.js';

/** Where to reconnect to a database: the sweeping process's project, environment and registry. */
export interface ReconnectOptions {
  project: ProjectConfig;
  env: NodeJS.ProcessEnv;
  cwd: string;
  registry: Registry;
}

export interface Leftover {
  /** A path, or `<database or schema>.<table> on @<family>.<alias>`. */
  what: string;
  reason: string;
}

export interface LeftoverReport {
  removed: { scratch_bytes: number; files: string[]; tables: string[] };
  /** What is still there, and why. */
  left: Leftover[];
  /** Claims to retry later (written back to claims.jsonl). */
  kept: RunClaim[];
}

export function isDir(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isDirectory() && !st.isSymbolicLink();
  } catch {
    return false;
  }
}

export function isFileAt(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `.<name>.<pid>.<hex>.tmp` written by the dead process: the only files a sweep deletes beside outputs. */
function tempFileOf(path: string, pid: number): boolean {
  const m = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/.exec(basename(path));
  return m !== null && Number(m[1]) === pid;
}

interface Cleanup {
  files: string[];
  tables: string[];
  left: Leftover[];
  kept: RunClaim[];
}

function removeFileClaim(
  claim: Extract<RunClaim, { kind: 'file' }>,
  pid: number,
  out: Cleanup,
  dryRun: boolean,
): void {
  if (!tempFileOf(claim.path, pid)) {
    out.left.push({ what: claim.path, reason: 'not a temp file name of this run; left alone' });
    return;
  }
  try {
    if (!lstatSync(claim.path).isFile()) return;
  } catch {
    return; // never created, or already renamed into place
  }
  try {
    if (!dryRun) rmSync(claim.path);
    out.files.push(claim.path);
  } catch (error) {
    out.left.push({ what: claim.path, reason: (error as Error).message });
    out.kept.push(claim);
  }
}

type TableClaim = Extract<RunClaim, { kind: 'mysql_table' | 'postgres_table' }>;

/** The database (MySQL) or schema (Postgres) a claimed table lives in. */
const containerOf = (c: TableClaim) => (c.kind === 'mysql_table' ? c.database : c.schema);

/** Drops the claimed tables that exist on the server `connection` names; returns them (`dryRun`: finds them). */
async function dropClaimedTables(
  claim: TableClaim,
  connection: ResolvedConnection,
  tables: string[],
  dryRun: boolean,
): Promise<string[]> {
  if (claim.kind === 'mysql_table') {
    const { dropWriterTables } = await import('../connectors/mysql/leftovers.js');
    return dropWriterTables(connection, claim.database, tables, { dryRun });
  }
  const { dropPartitionStages } = await import('../connectors/postgres/leftovers.js');
  return dropPartitionStages(connection, claim.schema, tables, { dryRun });
}

async function dropTableClaims(
  options: ReconnectOptions,
  claims: TableClaim[],
  out: Cleanup,
  dryRun: boolean,
): Promise<void> {
  const groups = new Map<string, TableClaim[]>();
  for (const c of claims) {
    const key = `${c.kind}\0${c.connection ?? ''}\0${containerOf(c)}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  let connections: ConnectionsConfig | undefined;
  for (const group of groups.values()) {
    const first = group[0] as TableClaim;
    const { connection: ref } = first;
    const container = containerOf(first);
    const names = group.map((c) => `${container}.${c.table}`);
    const leave = (reason: string) => {
      for (const name of names) out.left.push({ what: `${name} on ${ref ?? 'its step config'}`, reason });
      out.kept.push(...group);
    };
    if (ref === null) {
      leave('the step had no connection reference to reconnect with; drop the table by hand');
      continue;
    }
    try {
      const { loadConnectionsConfig } = await import('../connections/config.js');
      const { resolveConnection } = await import('../connections/resolve.js');
      connections ??= loadConnectionsConfig({
        cwd: options.cwd,
        env: options.env,
        projectRoot: options.project.root,
      }).config;
      const connection = resolveConnection(ref, {
        connections,
        env: options.env,
        registry: options.registry,
        componentName: first.kind === 'mysql_table' ? 'mysql.writer' : 'postgres.writer',
      });
      const tables = group.map((c) => c.table);
      const dropped = await dropClaimedTables(first, connection, tables, dryRun);
      out.tables.push(...dropped.map((t) => `${container}.${t}`));
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      leave(`could not reach ${ref}: ${message}; \`osiris logs gc --apply\` retries`);
    }
  }
}

/**
 * Removes the claimed leftovers of process `pid` (and the scratch folder if asked) and rewrites claims.jsonl
 * with what must be retried. With `dryRun` nothing changes: the report says what is there to remove (tables
 * are looked up on their server).
 */
export async function removeLeftovers(
  options: ReconnectOptions,
  runDir: string,
  pid: number,
  what: { scratch: boolean; dryRun?: boolean },
): Promise<LeftoverReport> {
  const dryRun = what.dryRun ?? false;
  const scratch = join(runDir, 'scratch');
  let scratchBytes = 0;
  const out: Cleanup = { files: [], tables: [], left: [], kept: [] };
  if (what.scratch && isDir(scratch)) {
    scratchBytes = folderBytes(scratch);
    try {
      if (!dryRun) rmSync(scratch, { recursive: true, force: true });
    } catch (error) {
      out.left.push({ what: scratch, reason: (error as Error).message });
    }
  }
  const claims = readClaims(runDir);
  for (const claim of claims) if (claim.kind === 'file') removeFileClaim(claim, pid, out, dryRun);
  await dropTableClaims(
    options,
    claims.filter((c): c is TableClaim => c.kind === 'mysql_table' || c.kind === 'postgres_table'),
    out,
    dryRun,
  );
  if (!dryRun) rewriteClaims(runDir, out.kept);
  return {
    removed: { scratch_bytes: scratchBytes, files: out.files, tables: out.tables },
    left: out.left,
    kept: out.kept,
  };
}

/** Whether a sweep has anything left to do in the run folder. */
export function hasLeftovers(runDir: string): boolean {
  return isDir(join(runDir, 'scratch')) || isFileAt(join(runDir, CLAIMS_FILE));
}
