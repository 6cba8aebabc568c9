/** The actions of `osiris state` (loaded only when one runs). */
import { loadConnectionsConfig } from '../../connections/config.js';
import { resolveConnection } from '../../connections/resolve.js';
import { ExitCode, type ExitCodeValue, OsirisError } from '../../diagnostics/diagnostic.js';
import { loadProjectConfig, type ProjectConfig } from '../../project/config.js';
import type { ResolvedConnection } from '../../runtime/driver.js';
import {
  type LocalState,
  listLocalStates,
  localStatePath,
  removeLocalState,
} from '../../runtime/incremental/local-store.js';
import { describeStore, openDbStore } from '../../runtime/incremental/sink.js';
import type { StateRecord } from '../../runtime/incremental/types.js';

import { printJsonResult, printLine } from '../output.js';

interface Options {
  json?: boolean;
  config?: string;
  connections?: string;
  apply?: boolean;
}

function project(options: Options): ProjectConfig {
  return loadProjectConfig({
    cwd: process.cwd(),
    env: process.env,
    ...(options.config ? { configFile: options.config } : {}),
  });
}

function row(s: StateRecord, store: string): Record<string, string> {
  return {
    pipeline: s.pipeline_id,
    step: s.step_id,
    source: s.source,
    writer: s.target_step,
    cursor: s.cursor_column,
    value: s.cursor_value,
    updated_at: s.updated_at,
    run_id: s.run_id,
    store,
  };
}

export async function listAction(options: Options): Promise<ExitCodeValue> {
  const states = listLocalStates(project(options).root);
  const rows = states.map((e) => row(e.state, describeStore(e.store)));
  if (options.json) printJsonResult({ states: rows });
  else if (!rows.length) printLine('no incremental state stored in this project (.osiris/state)');
  else
    for (const r of rows)
      printLine(
        `${r.pipeline}  ${r.step} → ${r.writer}  ${r.cursor} = ${r.value}  (${r.store}, ${r.updated_at})`,
      );
  return ExitCode.ok;
}

/** The states of one pipeline step in the local store; `state.not_found` when there are none. */
function entriesOf(root: string, pipeline: string, step: string): LocalState[] {
  const all = listLocalStates(root);
  const found = all.filter((e) => e.state.pipeline_id === pipeline && e.state.step_id === step);
  if (found.length) return found;
  const known = [...new Set(all.map((e) => `${e.state.pipeline_id} ${e.state.step_id}`))];
  throw OsirisError.of(
    'state.not_found',
    `no cursor state for pipeline '${pipeline}' step '${step}' in this project`,
    {},
    {
      hint: known.length
        ? `stored: ${known.join(', ')} (see \`osiris state list\`)`
        : 'run the pipeline first; `osiris state list` shows what is stored',
      exitCode: ExitCode.usage,
    },
  );
}

/** Resolves the writer's connection of a database store from this project's connections file. */
function connectionOf(ref: string, options: Options, root: string): ResolvedConnection {
  const { config } = loadConnectionsConfig({
    cwd: process.cwd(),
    env: process.env,
    projectRoot: root,
    ...(options.connections ? { file: options.connections } : {}),
  });
  return resolveConnection(ref, { connections: config, env: process.env });
}

/** Runs `use` on the database store of an entry; errors become `state.target_unreachable`. */
async function withStore<T>(
  entry: LocalState,
  options: Options,
  root: string,
  use: (store: Awaited<ReturnType<typeof openDbStore>>) => Promise<T>,
): Promise<T> {
  const store = entry.store;
  if (store.kind === 'file') throw new Error('a file state has no database store');
  const connection = connectionOf(store.connection, options, root);
  let open: Awaited<ReturnType<typeof openDbStore>>;
  try {
    open = await openDbStore(store, connection, store.kind === 'postgres' ? { schema: store.schema } : {});
  } catch (error) {
    throw OsirisError.of(
      'state.target_unreachable',
      `cannot reach ${describeStore(store)}, where the state of step '${entry.state.step_id}' lives: ${error instanceof Error ? error.message : String(error)}`,
      {},
      {
        hint: `check the connection (osiris connections doctor ${store.connection})`,
        exitCode: ExitCode.runtime,
      },
    );
  }
  try {
    return await use(open);
  } finally {
    await open.close();
  }
}

const keyOf = (s: StateRecord) => ({
  pipeline_id: s.pipeline_id,
  step_id: s.step_id,
  source: s.source,
  target_step: s.target_step,
});

export async function showAction(pipeline: string, step: string, options: Options): Promise<ExitCodeValue> {
  const root = project(options).root;
  const rows: Record<string, string>[] = [];
  for (const entry of entriesOf(root, pipeline, step)) {
    const where = describeStore(entry.store);
    if (entry.store.kind === 'file') {
      rows.push(row(entry.state, where));
      continue;
    }
    const live = await withStore(entry, options, root, (s) => s.read(keyOf(entry.state)));
    if (live[0]) rows.push(row(live[0], where));
    else
      rows.push({
        ...row(entry.state, where),
        value: '',
        note: 'not in the target (reset or never committed there)',
      });
  }
  if (options.json) printJsonResult({ states: rows });
  else
    for (const r of rows)
      printLine(
        `${r.pipeline} ${r.step} → ${r.writer}: ${r.cursor} = ${r.value || '(none)'}\n  source ${r.source}, stored in ${r.store}, updated ${r.updated_at} by run ${r.run_id}${r.note ? `\n  ${r.note}` : ''}`,
      );
  return ExitCode.ok;
}

export async function resetAction(pipeline: string, step: string, options: Options): Promise<ExitCodeValue> {
  const root = project(options).root;
  const entries = entriesOf(root, pipeline, step);
  const targets = entries.map((e) => ({
    writer: e.state.target_step,
    store: describeStore(e.store),
    file: localStatePath(root, e.state),
  }));
  if (!options.apply) {
    if (options.json) printJsonResult({ dry_run: true, would_reset: targets });
    else {
      for (const t of targets) printLine(`would reset ${pipeline} ${step} → ${t.writer} (${t.store})`);
      printLine('dry run: nothing was reset; pass --apply to reset');
    }
    return ExitCode.ok;
  }
  for (const entry of entries) {
    if (entry.store.kind !== 'file')
      await withStore(entry, options, root, (s) => s.remove(keyOf(entry.state)));
    removeLocalState(root, entry.state);
  }
  if (options.json) printJsonResult({ dry_run: false, reset: targets });
  else
    for (const t of targets)
      printLine(`reset ${pipeline} ${step} → ${t.writer} (${t.store}); the next run starts from 'initial'`);
  return ExitCode.ok;
}
