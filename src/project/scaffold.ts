/**
 * `osiris init`: scaffolds a project folder — osiris.yaml, osiris_connections.yaml (commented examples),
 * .env.example, a sample pipeline that runs without a server (pipelines/orders_by_country.yaml reading
 * data/orders.csv) and an Osiris block in .gitignore. Never overwrites a file unless forced; the
 * .gitignore block is only added for entries that are missing, so running it again changes nothing.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { diagnostic, OsirisError } from '../diagnostics/diagnostic.js';
import { writeFileAtomic } from '../util/fs-atomic.js';

export const OSIRIS_YAML_TEMPLATE = `# Osiris project configuration (created by \`osiris init\`).
# Relative paths resolve against the folder holding this file, or against filesystem.base_path when set.
# Secrets never go here: connections live in osiris_connections.yaml and read credentials from the
# environment (.env is loaded automatically and never overrides variables you exported).

version: "1"

filesystem:
  # Root for every relative path below; "" = the folder holding this file. \`~\` is expanded.
  # The OSIRIS_FILESYSTEM_BASE environment variable overrides it.
  base_path: ""
  pipelines_dir: pipelines        # OML pipeline sources
  build_dir: build                # compiled manifests and per-step cfg
  aiop_dir: aiop                  # AI Operation Packages written after each run
  run_logs_dir: run_logs          # one folder per run: events.jsonl, metrics.jsonl, artifacts/
  sessions_dir: .osiris/sessions  # agent and CLI sessions
  cache_dir: .osiris/cache        # discovery cache
  index_dir: .osiris/index        # run index and "latest" pointers

  profiles:
    enabled: true                 # adds a <profile>/ segment to build, run log and AIOP paths
    values: [dev, staging, prod]
    default: dev                  # OSIRIS_PROFILE or --profile pick another one

  naming:
    manifest_short_len: 7         # characters of the manifest hash used in folder names (3..16)

runtime:
  # Each run's data plane is an in-memory DuckDB database that spills to the run's scratch folder.
  memory_limit: auto              # or 512MB, 4GB, 50%; OSIRIS_MEMORY_LIMIT overrides. auto: 48MB and one
                                  # thread for a run that only copies rows out of databases (near 250 MB at
                                  # any size), 1GB for SQL transforms and file sources (docs/adr/0007)
  # threads: 2                    # DuckDB worker threads; default one per core
  pass_through: true              # an extractor whose only consumer is a writer streams straight into it
                                  # (no DuckDB table; docs/adr/0006); OSIRIS_PASS_THROUGH=0 turns it off
  fuse: true                      # a CSV source → SQL → file writer chain runs as one streaming DuckDB
                                  # statement (docs/adr/0018); OSIRIS_FUSE=0 turns it off
  lock_timeout: 300               # seconds a writer waits for another run writing the same file or table
                                  # (docs/adr/0012); OSIRIS_LOCK_TIMEOUT overrides

security:
  # Pipelines the chat agent writes may only write files inside this project (docs/reference/security.md).
  allow_paths_outside_project: false
  # allowed_output_roots: [/srv/exports]   # folders they may also write into

discovery:
  statement_timeout: 30           # seconds one discovery, chat (run_query) or MCP statement may run before
                                  # the database cancels it (docs/reference/security.md)

logging:
  level: INFO                     # DEBUG | INFO | WARNING | ERROR
  events: ["*"]                   # event names kept in events.jsonl; "*" keeps all

llm:
  # Used by \`osiris chat\` only (docs/reference/chat.md). API keys come from the environment, never from
  # this file: OPENAI_API_KEY, ANTHROPIC_API_KEY, GOOGLE_GENERATIVE_AI_API_KEY, or OSIRIS_LLM_API_KEY for an
  # OpenAI-compatible server (put them in .env). OSIRIS_LLM_* variables and chat flags override these.
  provider: openai                # openai | anthropic | google | openai-compatible (or ollama, vllm, lmstudio)
  # model: gpt-4o-mini            # default per provider: gpt-4o-mini, claude-sonnet-4-5, gemini-2.5-flash
  # base_url: http://127.0.0.1:11434/v1   # local or proxy servers; required for openai-compatible
  # temperature: 0.1
  # max_tokens: 4096
  # max_repair_attempts: 2        # validate -> repair rounds before the errors go to you (0..5)

aiop:
  # AI Operation Package: a compact, secret-free account of each run for an LLM to read.
  enabled: true
  policy: core                    # core | annex
  max_core_bytes: 300000
  # run_card: true
  # retention:
  #   keep_runs: 50
`;

export const CONNECTIONS_TEMPLATE = `## Osiris connections: families -> aliases -> fields.
## A pipeline step references one as @family.alias, or @family for the alias marked \`default: true\`.
## Keep secrets out of this file: write \${VAR} (or \${VAR:-fallback}) and set VAR in .env or the
## environment. \`osiris connections list\` shows what is configured (secrets masked);
## \`osiris validate\` checks that every variable is set.
## Uncomment an example to use it.

version: "1.0"

connections:
  filesystem:
    local:
      default: true
      base_dir: ./data              # relative paths resolve against the project root

  # mysql:
  #   primary:
  #     default: true
  #     host: \${MYSQL_HOST:-localhost}
  #     port: 3306
  #     database: \${MYSQL_DATABASE}
  #     user: \${MYSQL_USER}
  #     password: \${MYSQL_PASSWORD}

  # postgres:
  #   warehouse:
  #     default: true
  #     host: \${POSTGRES_HOST:-localhost}
  #     port: 5432
  #     database: \${POSTGRES_DATABASE}
  #     user: \${POSTGRES_USER}
  #     password: \${POSTGRES_PASSWORD}
  #     schema: public

  # supabase:
  #   main:
  #     default: true
  #     url: \${SUPABASE_URL}
  #     service_role_key: \${SUPABASE_SERVICE_ROLE_KEY}
  #     pg_dsn: \${SUPABASE_PG_DSN}
`;

export const ENV_EXAMPLE_TEMPLATE = `# Copy to .env and fill in the values you need. .env is git-ignored and is loaded by every osiris
# command; variables you export in the shell always win over it.

# MySQL (@mysql.primary)
MYSQL_HOST=localhost
MYSQL_DATABASE=
MYSQL_USER=
MYSQL_PASSWORD=

# PostgreSQL (@postgres.warehouse)
POSTGRES_HOST=localhost
POSTGRES_DATABASE=
POSTGRES_USER=
POSTGRES_PASSWORD=

# Supabase (@supabase.main)
SUPABASE_URL=
SUPABASE_SERVICE_ROLE_KEY=
SUPABASE_PG_DSN=

# LLM provider keys (osiris chat only; the one for llm.provider in osiris.yaml)
# OPENAI_API_KEY=
# ANTHROPIC_API_KEY=
# GOOGLE_GENERATIVE_AI_API_KEY=
# OSIRIS_LLM_API_KEY=             # OpenAI-compatible servers, when they want a key
`;

/** The sample pipeline `osiris init` writes: runs as is, no server needed (CSV → DuckDB SQL → CSV). */
export const SAMPLE_PIPELINE = 'pipelines/orders_by_country.yaml';
export const SAMPLE_OUTPUT = 'output/orders_by_country.csv';

export const SAMPLE_DATA_TEMPLATE = `order_id,country,amount,ordered_at
1,DE,19.90,2026-01-05
2,FR,250.00,2026-01-05
3,DE,5.50,2026-01-06
4,US,99.00,2026-01-07
5,FR,12.25,2026-01-08
`;

export const SAMPLE_PIPELINE_TEMPLATE = `# A sample pipeline (created by \`osiris init\`): reads data/orders.csv, sums the orders per country with
# DuckDB SQL and writes ${SAMPLE_OUTPUT}. Paths are relative to the project root.
#   osiris validate ${SAMPLE_PIPELINE}
#   osiris run ${SAMPLE_PIPELINE}
oml_version: "0.1.0"
name: orders-by-country
steps:
  - id: extract-orders
    component: filesystem.csv_extractor
    mode: read
    config:
      path: data/orders.csv

  - id: totals
    component: duckdb.processor
    mode: transform
    needs: [extract-orders]
    config:
      query: |
        SELECT country, count(*) AS orders, sum(amount) AS revenue
        FROM input_df
        GROUP BY country
        ORDER BY revenue DESC

  - id: write-totals
    component: filesystem.csv_writer
    mode: write
    needs: [totals]
    config:
      path: ${SAMPLE_OUTPUT}
`;

export const GITIGNORE_MARKER = '# Osiris (added by `osiris init`)';
export const GITIGNORE_ENTRIES: readonly string[] = ['run_logs/', 'build/', 'aiop/', '.osiris/', '.env'];

/** The files `osiris init` writes (never overwritten without `force`). */
export const SCAFFOLD_FILES: ReadonlyArray<{ name: string; content: string }> = [
  { name: 'osiris.yaml', content: OSIRIS_YAML_TEMPLATE },
  { name: 'osiris_connections.yaml', content: CONNECTIONS_TEMPLATE },
  { name: '.env.example', content: ENV_EXAMPLE_TEMPLATE },
  { name: SAMPLE_PIPELINE, content: SAMPLE_PIPELINE_TEMPLATE },
  { name: 'data/orders.csv', content: SAMPLE_DATA_TEMPLATE },
];

export const SCAFFOLD_DIRS: readonly string[] = ['pipelines'];

export interface ScaffoldOptions {
  /** Project folder (created when missing). */
  dir: string;
  force?: boolean;
  /** How the user named the folder, for the `cd` step of next_steps (omitted when it is the cwd). */
  displayDir?: string;
  /** How the next steps call the CLI (default `osiris`); see src/cli/self-command.ts. */
  command?: string;
}

export interface ScaffoldResult {
  projectPath: string;
  /** Files and folders written (relative to the project; folders end with `/`). */
  created: string[];
  /** Existing files replaced because of `force` (also listed in `created`). */
  overwritten: string[];
  /** Existing files appended to (.gitignore). */
  updated: string[];
  /** Things left as they were (existing folders, a .gitignore that already has every entry). */
  skipped: string[];
  nextSteps: string[];
}

/** Lines to append to an existing .gitignore (empty when nothing is missing). */
export function gitignoreAddition(existing: string): string {
  const lines = new Set(existing.split(/\r?\n/).map((l) => l.trim()));
  const missing = GITIGNORE_ENTRIES.filter((e) => !lines.has(e) && !lines.has(`/${e}`));
  if (missing.length === 0) return '';
  const sep = existing === '' ? '' : existing.endsWith('\n') ? '\n' : '\n\n';
  const marker = lines.has(GITIGNORE_MARKER) ? '' : `${GITIGNORE_MARKER}\n`;
  return `${sep}${marker}${missing.join('\n')}\n`;
}

/** `word` as one shell word: quoted only when it needs to be. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

export function scaffoldProject(options: ScaffoldOptions): ScaffoldResult {
  const root = resolve(options.dir);
  const shown = options.displayDir ?? root;
  if (existsSync(root) && !statSync(root).isDirectory()) {
    throw OsirisError.of(
      'CFG011',
      `${shown} exists and is not a directory`,
      { file: shown },
      {
        hint: 'pass a folder path to `osiris init`',
      },
    );
  }
  const existing = SCAFFOLD_FILES.filter((f) => existsSync(join(root, f.name))).map((f) => f.name);
  if (existing.length > 0 && !options.force) {
    throw new OsirisError(
      existing.map((name) =>
        diagnostic(
          'error',
          'CFG010',
          `${name} already exists; nothing was written`,
          { file: join(shown, name) },
          {
            hint: 'run `osiris init --force` to overwrite it (your changes to it will be lost)',
          },
        ),
      ),
    );
  }

  const created: string[] = [];
  const updated: string[] = [];
  const skipped: string[] = [];
  mkdirSync(root, { recursive: true });
  for (const dir of SCAFFOLD_DIRS) {
    const path = join(root, dir);
    if (existsSync(path)) skipped.push(`${dir}/`);
    else {
      mkdirSync(path, { recursive: true });
      created.push(`${dir}/`);
    }
  }
  for (const file of SCAFFOLD_FILES) {
    writeFileAtomic(join(root, file.name), file.content);
    created.push(file.name);
  }
  const gitignore = join(root, '.gitignore');
  const before = existsSync(gitignore) ? readFileSync(gitignore, 'utf8') : undefined;
  const addition = gitignoreAddition(before ?? '');
  if (addition) {
    writeFileAtomic(gitignore, (before ?? '') + addition);
    (before === undefined ? created : updated).push('.gitignore');
  } else {
    skipped.push('.gitignore');
  }

  const nextSteps: string[] = [];
  if (options.displayDir && resolve(options.displayDir) !== resolve('.'))
    nextSteps.push(`cd ${shellWord(options.displayDir)}`);
  const osiris = options.command ?? 'osiris';
  nextSteps.push(
    `${osiris} validate ${SAMPLE_PIPELINE}   # the sample pipeline: CSV -> DuckDB SQL -> CSV`,
    `${osiris} run ${SAMPLE_PIPELINE}   # writes ${SAMPLE_OUTPUT}`,
    `${osiris} validate   # checks osiris.yaml, .env and the connections`,
    'cp .env.example .env   # for a database: fill in .env, uncomment its connection in osiris_connections.yaml',
  );
  return { projectPath: root, created, overwritten: existing, updated, skipped, nextSteps };
}
