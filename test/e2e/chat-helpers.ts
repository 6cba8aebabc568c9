// biome-ignore-all lint/suspicious/noTemplateCurlyInString: connection files write ${VAR} references literally
/**
 * Shared setup of the chat end-to-end tests (test/e2e/chat-*.test.ts): the movies demo dataset loaded into a
 * fresh MariaDB database, project folders wired to a scripted fake LLM server, and helpers to read what the
 * fake "model" was sent.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { REPO_ROOT, tempDir } from '../helpers/cli.js';
import { MYSQL, uniqueName } from '../helpers/databases.js';
import type { FakeLlmServer, FakeRequest } from '../helpers/fake-llm.js';
import { startFakeLlm } from '../helpers/fake-llm.js';

export const MOVIES_DATA = join(REPO_ROOT, 'examples', 'movies', 'data');

/** Column definitions per table; the CSV header order is the column order. */
const TABLES: Readonly<Record<string, string>> = {
  directors: `director_id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, birth_year INT, nationality VARCHAR(50),
    awards INT`,
  movies: `movie_id INT PRIMARY KEY, title VARCHAR(200) NOT NULL, release_year INT, genre VARCHAR(50),
    director_id INT, runtime_minutes INT, budget_usd DECIMAL(15,2), box_office_usd DECIMAL(15,2),
    rating DECIMAL(3,1)`,
  actors: 'actor_id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, birth_year INT, nationality VARCHAR(50)',
  reviews: `review_id INT PRIMARY KEY, movie_id INT, reviewer VARCHAR(100), score INT, review_date DATE,
    review_text TEXT`,
};

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF). Small files only. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

export interface MoviesDb {
  name: string;
  /** Rows of a query (numbers and decimals as strings, dates as strings). */
  rows(sql: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

/** A fresh database with the movies CSVs loaded into typed tables (empty CSV cells become NULL). */
export async function createMoviesDb(prefix = 'osiris_chat'): Promise<MoviesDb> {
  const name = uniqueName(prefix);
  const admin = await mysql.createConnection({
    ...MYSQL,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
    charset: 'UTF8MB4_UNICODE_CI',
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.query(`USE \`${name}\``);
  for (const [table, columns] of Object.entries(TABLES)) {
    await admin.query(`CREATE TABLE \`${table}\` (${columns})`);
    const [header, ...data] = parseCsv(readFileSync(join(MOVIES_DATA, `${table}.csv`), 'utf8'));
    const cols = (header as string[]).map((c) => `\`${c}\``).join(', ');
    const values = data.map((r) => r.map((v) => (v === '' ? null : v)));
    await admin.query(`INSERT INTO \`${table}\` (${cols}) VALUES ?`, [values]);
  }
  return {
    name,
    async rows(sql, values) {
      const [result] = await admin.query(sql, values);
      return result as Record<string, unknown>[];
    },
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}

/** Secrets planted for the canary checks: none of them may reach a file or the model. */
export const CANARIES = {
  connectionSecret: `osiris-canary-${randomBytes(8).toString('hex')}`,
  openaiKey: `sk-canary-${randomBytes(12).toString('hex')}`,
  anthropicKey: `sk-ant-canary-${randomBytes(12).toString('hex')}`,
} as const;

/** Environment variables that would let the developer's own setup steer the CLI; cleared in every child. */
const LLM_VARIABLES = [
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'CLAUDE_API_KEY',
  'GOOGLE_GENERATIVE_AI_API_KEY',
  'GEMINI_API_KEY',
  'OSIRIS_LLM_API_KEY',
  'OSIRIS_LLM_PROVIDER',
  'OSIRIS_LLM_MODEL',
  'OSIRIS_LLM_BASE_URL',
  'OSIRIS_LLM_TEMPERATURE',
  'OSIRIS_LLM_MAX_TOKENS',
];

/** The child environment: no LLM settings from the outside, plus `extra`. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of LLM_VARIABLES) delete env[name];
  return { ...env, NO_COLOR: '1', ...extra };
}

export type Provider = 'openai' | 'anthropic';

export interface ChatProject {
  dir: string;
  server: FakeLlmServer;
  /** The environment the CLI runs with (keys and connection variables). */
  env: NodeJS.ProcessEnv;
  provider: Provider;
}

/**
 * A project folder whose osiris.yaml points the given provider at a fresh fake LLM server (which refuses any
 * other key), with `@mysql.movies` (default) on `database` and an unused Postgres connection whose password is
 * the connection canary.
 */
export async function createChatProject(
  database: string,
  provider: Provider = 'openai',
  options: { llm?: boolean; model?: string } = {},
): Promise<ChatProject> {
  const key = provider === 'openai' ? CANARIES.openaiKey : CANARIES.anthropicKey;
  const server = await startFakeLlm({ turns: [], apiKey: key });
  const dir = tempDir('osiris-chat-e2e-');
  const llm =
    options.llm === false
      ? ''
      : [
          'llm:',
          `  provider: ${provider}`,
          `  model: ${options.model ?? (provider === 'openai' ? 'gpt-test' : 'claude-sonnet-4-5')}`,
          `  base_url: ${server.baseUrl}`,
          '',
        ].join('\n');
  writeFileSync(join(dir, 'osiris.yaml'), `version: "2.0"\n${llm}`);
  writeFileSync(
    join(dir, 'osiris_connections.yaml'),
    [
      'version: "1.0"',
      'connections:',
      '  mysql:',
      '    movies:',
      `      host: ${MYSQL.host}`,
      `      port: ${MYSQL.port}`,
      `      database: ${database}`,
      `      user: ${MYSQL.user}`,
      '      password: ${MYSQL_PASSWORD:-}',
      '      default: true',
      '  postgres:',
      '    canary:',
      '      host: 127.0.0.1',
      '      database: test',
      '      user: postgres',
      '      password: ${CANARY_SECRET}',
      '',
    ].join('\n'),
  );
  const env = cleanEnv({
    MYSQL_PASSWORD: '',
    CANARY_SECRET: CANARIES.connectionSecret,
    ...(options.llm === false
      ? {}
      : provider === 'openai'
        ? { OPENAI_API_KEY: key }
        : { ANTHROPIC_API_KEY: key }),
  });
  return { dir, server, env, provider };
}

/** Every tool result in a request, parsed, with the tool's name. */
export function toolResults(
  req: FakeRequest | undefined,
  tool?: string,
): Array<{ tool: string; result: unknown; text: string }> {
  const out: Array<{ tool: string; result: unknown; text: string }> = [];
  for (const m of req?.messages ?? []) {
    if (m.role !== 'tool' || (tool !== undefined && m.toolName !== tool)) continue;
    let result: unknown;
    try {
      result = JSON.parse(m.result);
    } catch {
      result = m.result;
    }
    out.push({ tool: m.toolName ?? '', result, text: m.result });
  }
  return out;
}

/** The last tool result in a request, parsed ({} when there is none). */
export function lastToolResult(req: FakeRequest): Record<string, unknown> {
  const all = toolResults(req);
  const last = all[all.length - 1]?.result;
  return last && typeof last === 'object' ? (last as Record<string, unknown>) : {};
}

/** Every file below `dir` (recursively). */
export function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** An OML document: one MySQL extractor query on @mysql.movies written to a CSV. */
export function extractToCsv(options: {
  name: string;
  query: string;
  path: string;
  component?: string;
}): string {
  return `oml_version: "0.1.0"
name: ${options.name}
steps:
  - id: extract-movies
    component: ${options.component ?? 'mysql.extractor'}
    mode: read
    config:
      connection: "@mysql.movies"
      query: "${options.query}"
  - id: write-csv
    component: filesystem.csv_writer
    mode: write
    needs: [extract-movies]
    config:
      path: ${options.path}
`;
}
