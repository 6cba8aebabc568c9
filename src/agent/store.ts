/**
 * Chat sessions persist in SQLite, one database per session: `<sessions_dir>/<id>/session.db`. Every model
 * step is committed as soon as it finishes, so a crash loses at most the step in flight and
 * `osiris chat --session <id>` resumes with the conversation, the discovered schemas, the current OML and the
 * state machine where they were.
 *
 * SQLite comes from node-sqlite3-wasm (WebAssembly, no native build, no binary download at install).
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelMessage } from 'ai';
import sqlite from 'node-sqlite3-wasm';
import { OsirisError } from '../diagnostics/diagnostic.js';
import type { JsonValue } from '../yaml/json.js';
import { type AgentState, isAgentState } from './state.js';

const SESSION_FILE = 'session.db';
const SCHEMA_VERSION = '1';
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** A pipeline compiled and shown to the user, waiting for (or given) approval. */
export interface Proposal {
  pipelineName: string;
  /** The OML as proposed (also saved to `omlPath`). */
  oml: string;
  omlPath: string;
  manifestPath: string;
  manifestHash: string;
  manifestShort: string;
}

export interface Transition {
  from: AgentState;
  to: AgentState;
  reason: string;
  at: string;
}

export interface SessionSummary {
  id: string;
  title: string;
  state: AgentState;
  createdAt: string;
  updatedAt: string;
  messages: number;
  pipeline: string | null;
}

type Row = Record<string, number | bigint | string | Uint8Array | null>;

function text(row: Row | null | undefined, key: string): string | null {
  const value = row?.[key];
  return typeof value === 'string' ? value : null;
}

export function validateSessionId(id: string): string {
  if (!SESSION_ID_PATTERN.test(id)) {
    throw OsirisError.of(
      'AGT020',
      `invalid session id '${id}'`,
      {},
      { hint: 'session ids are letters, digits, - and _ (see `osiris chat --list`)' },
    );
  }
  return id;
}

/** A new session id: time-ordered, short enough to type. */
export function newSessionId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const random = Math.random().toString(36).slice(2, 6).padEnd(4, '0');
  return `${stamp}-${random}`;
}

export class SessionStore {
  private readonly db: InstanceType<typeof sqlite.Database>;

  private constructor(
    readonly id: string,
    readonly dir: string,
    private readonly now: () => Date,
  ) {
    mkdirSync(dir, { recursive: true });
    this.db = new sqlite.Database(join(dir, SESSION_FILE));
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, turn INTEGER NOT NULL, message TEXT NOT NULL, at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS transitions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, from_state TEXT NOT NULL, to_state TEXT NOT NULL,
        reason TEXT NOT NULL, at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS discoveries (connection TEXT PRIMARY KEY, result TEXT NOT NULL, at TEXT NOT NULL);
    `);
    if (this.meta('schema_version') === null) {
      const at = this.stamp();
      this.setMeta('schema_version', SCHEMA_VERSION);
      this.setMeta('created_at', at);
      this.setMeta('state', 'INIT');
    }
  }

  /** Opens (creating when missing) the session `id` under `sessionsDir`. */
  static open(sessionsDir: string, id: string, now: () => Date = () => new Date()): SessionStore {
    return new SessionStore(validateSessionId(id), join(sessionsDir, id), now);
  }

  /** Opens an existing session; a missing one is a usage error naming the sessions that exist. */
  static resume(sessionsDir: string, id: string, now: () => Date = () => new Date()): SessionStore {
    validateSessionId(id);
    if (!existsSync(join(sessionsDir, id, SESSION_FILE))) {
      const known = listSessions(sessionsDir)
        .slice(0, 5)
        .map((s) => s.id);
      throw OsirisError.of(
        'AGT021',
        `no chat session '${id}'`,
        {},
        {
          hint: known.length
            ? `recent sessions: ${known.join(', ')} (see \`osiris chat --list\`)`
            : 'start one with `osiris chat`',
        },
      );
    }
    return SessionStore.open(sessionsDir, id, now);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  private meta(key: string): string | null {
    return text(this.db.get('SELECT value FROM meta WHERE key = ?', [key]) as Row | null, 'value');
  }

  private setMeta(key: string, value: string): void {
    this.db.run(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  private deleteMeta(key: string): void {
    this.db.run('DELETE FROM meta WHERE key = ?', [key]);
  }

  private touch(): void {
    this.setMeta('updated_at', this.stamp());
  }

  /** Runs `fn` in one transaction: the whole step lands, or none of it. */
  transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  // --- state ----------------------------------------------------------------------------------------------

  get state(): AgentState {
    const value = this.meta('state');
    return isAgentState(value) ? value : 'INIT';
  }

  recordTransition(to: AgentState, reason: string): Transition {
    const from = this.state;
    const at = this.stamp();
    this.transaction(() => {
      this.db.run('INSERT INTO transitions (from_state, to_state, reason, at) VALUES (?, ?, ?, ?)', [
        from,
        to,
        reason,
        at,
      ]);
      this.setMeta('state', to);
      this.touch();
    });
    return { from, to, reason, at };
  }

  transitions(): Transition[] {
    return (
      this.db.all('SELECT from_state, to_state, reason, at FROM transitions ORDER BY seq') as Row[]
    ).map((row) => ({
      from: text(row, 'from_state') as AgentState,
      to: text(row, 'to_state') as AgentState,
      reason: text(row, 'reason') ?? '',
      at: text(row, 'at') ?? '',
    }));
  }

  // --- conversation ---------------------------------------------------------------------------------------

  get title(): string {
    return this.meta('title') ?? '';
  }

  /** Counter of user turns; messages are tagged with it. */
  get turn(): number {
    return Number(this.meta('turn') ?? '0');
  }

  /** Starts a user turn: stores the message (and the session title on the first one). */
  beginTurn(message: ModelMessage, title: string): number {
    const turn = this.turn + 1;
    this.transaction(() => {
      this.setMeta('turn', String(turn));
      if (this.meta('title') === null) this.setMeta('title', title.slice(0, 120));
      this.insertMessage(turn, message);
      this.touch();
    });
    return turn;
  }

  /** Appends the messages of one finished model step (assistant text/tool calls and their results). */
  appendMessages(messages: readonly ModelMessage[]): void {
    if (messages.length === 0) return;
    const turn = this.turn;
    this.transaction(() => {
      for (const message of messages) this.insertMessage(turn, message);
      this.touch();
    });
  }

  private insertMessage(turn: number, message: ModelMessage): void {
    this.db.run('INSERT INTO messages (turn, message, at) VALUES (?, ?, ?)', [
      turn,
      JSON.stringify(message),
      this.stamp(),
    ]);
  }

  messages(): ModelMessage[] {
    return (this.db.all('SELECT message FROM messages ORDER BY seq') as Row[]).map(
      (row) => JSON.parse(text(row, 'message') ?? 'null') as ModelMessage,
    );
  }

  messageCount(): number {
    const row = this.db.get('SELECT count(*) AS n FROM messages') as Row | null;
    return Number(row?.n ?? 0);
  }

  // --- discovery ------------------------------------------------------------------------------------------

  putDiscovery(connection: string, result: JsonValue): void {
    this.db.run(
      `INSERT INTO discoveries (connection, result, at) VALUES (?, ?, ?)
       ON CONFLICT(connection) DO UPDATE SET result = excluded.result, at = excluded.at`,
      [connection, JSON.stringify(result), this.stamp()],
    );
  }

  discoveries(): Map<string, JsonValue> {
    const out = new Map<string, JsonValue>();
    for (const row of this.db.all(
      'SELECT connection, result FROM discoveries ORDER BY connection',
    ) as Row[]) {
      out.set(text(row, 'connection') ?? '', JSON.parse(text(row, 'result') ?? 'null') as JsonValue);
    }
    return out;
  }

  // --- pipeline -------------------------------------------------------------------------------------------

  /** The OML most recently written by the model (valid or not). */
  get oml(): string | null {
    return this.meta('oml');
  }

  setOml(oml: string): void {
    this.setMeta('oml', oml);
    this.touch();
  }

  get repairAttempts(): number {
    return Number(this.meta('repair_attempts') ?? '0');
  }

  setRepairAttempts(n: number): void {
    this.setMeta('repair_attempts', String(n));
  }

  get proposal(): Proposal | null {
    const raw = this.meta('proposal');
    return raw ? (JSON.parse(raw) as Proposal) : null;
  }

  setProposal(proposal: Proposal | null): void {
    if (proposal) this.setMeta('proposal', JSON.stringify(proposal));
    else this.deleteMeta('proposal');
    this.deleteMeta('approved_hash');
    this.touch();
  }

  /** The manifest hash the user approved, if any (cleared by every new proposal). */
  get approvedHash(): string | null {
    return this.meta('approved_hash');
  }

  approve(manifestHash: string): void {
    this.setMeta('approved_hash', manifestHash);
    this.touch();
  }

  /** Summary of the last run started from this session. */
  get lastRun(): JsonValue | null {
    const raw = this.meta('last_run');
    return raw ? (JSON.parse(raw) as JsonValue) : null;
  }

  setLastRun(run: JsonValue): void {
    this.setMeta('last_run', JSON.stringify(run));
    this.touch();
  }

  summary(): SessionSummary {
    return {
      id: this.id,
      title: this.title,
      state: this.state,
      createdAt: this.meta('created_at') ?? '',
      updatedAt: this.meta('updated_at') ?? this.meta('created_at') ?? '',
      messages: this.messageCount(),
      pipeline: this.proposal?.pipelineName ?? null,
    };
  }
}

/** Every session under `sessionsDir`, most recently updated first. Unreadable folders are skipped. */
export function listSessions(sessionsDir: string): SessionSummary[] {
  if (!existsSync(sessionsDir)) return [];
  const out: SessionSummary[] = [];
  for (const entry of readdirSync(sessionsDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !SESSION_ID_PATTERN.test(entry.name)) continue;
    if (!existsSync(join(sessionsDir, entry.name, SESSION_FILE))) continue;
    let store: SessionStore | undefined;
    try {
      store = SessionStore.open(sessionsDir, entry.name);
      out.push(store.summary());
    } catch {
      // A damaged session must not hide the others.
    } finally {
      store?.close();
    }
  }
  return out.sort((a, b) =>
    a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : a.id < b.id ? -1 : 1,
  );
}
