/**
 * graphql.extractor: POSTs a GraphQL query to an HTTP endpoint, follows a cursor (Relay `pageInfo` or any
 * object holding a cursor and a has-next flag) page by page, and appends each page's records to the step's
 * DuckDB table before the next page is requested — memory holds one page, never the whole result.
 *
 * Request, retries and auth: src/connectors/graphql/{settings,http}.ts; records and flattening:
 * src/connectors/graphql/records.ts; typing the table across pages: table.ts.
 */
import { postGraphQL } from '../../connectors/graphql/http.js';
import { flattenRecord, matchPath, pathExists, recordsAt } from '../../connectors/graphql/records.js';
import { type GraphQLSettings, type Pagination, readSettings } from '../../connectors/graphql/settings.js';
import { type Driver, type StepContext, StepError, type StepResult } from '../../runtime/driver.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../yaml/json.js';
import { PageTable } from './table.js';

/** The cursor for the next page, or undefined when this was the last page. */
function nextCursor(
  ctx: StepContext,
  body: JsonObject,
  p: Pagination,
  page: number,
  previous: JsonValue | undefined,
): JsonValue | undefined {
  const info = matchPath(body, p.path).find(isJsonObject);
  if (!info) {
    if (page > 1) return undefined;
    throw new StepError(
      'config.invalid',
      `step '${ctx.stepId}': config 'pagination_path' (${p.path}) matched no object in the response to page 1`,
      `point it at the object that holds '${p.cursorField}' and '${p.hasNextField}', e.g. data.users.pageInfo`,
      { details: { key: 'pagination_path' } },
    );
  }
  const hasNext = info[p.hasNextField];
  const cursor = info[p.cursorField];
  if (hasNext === false) return undefined;
  if (cursor === undefined || cursor === null || cursor === '') {
    if (hasNext !== true) return undefined;
    throw new StepError(
      'extract.pagination_failed',
      `step '${ctx.stepId}': page ${page} says '${p.hasNextField}' is true but has no '${p.cursorField}' at ${p.path}`,
      `check pagination_cursor_field (now '${p.cursorField}') against the query's selection`,
      { details: { page } },
    );
  }
  if (previous !== undefined && JSON.stringify(cursor) === JSON.stringify(previous))
    throw new StepError(
      'extract.pagination_failed',
      `step '${ctx.stepId}': page ${page} returned the same cursor as page ${page - 1} (${JSON.stringify(cursor).slice(0, 60)}); stopping instead of looping forever`,
      `the query must pass $${p.variable} to the paginated field, e.g. users(first: 100, after: $${p.variable})`,
      { details: { page } },
    );
  return cursor;
}

async function extract(ctx: StepContext, settings: GraphQLSettings, table: PageTable): Promise<number> {
  let variables: JsonObject = { ...settings.variables };
  let cursor: JsonValue | undefined;
  let requests = 0;
  const { pagination } = settings;
  const emit = ctx.emit.bind(ctx);
  for (let page = 1; ; page += 1) {
    const started = Date.now();
    const response = await postGraphQL(
      { stepId: ctx.stepId, page, signal: ctx.signal, emit },
      settings,
      variables,
    );
    requests += response.requests;
    if (page === 1 && !pathExists(response.body, settings.dataPath))
      ctx.emit('data_path_unmatched', {
        level: 'warning',
        data_path: settings.dataPath,
        message: `data_path '${settings.dataPath}' matched nothing in the response to page 1: no records`,
      });
    const records = recordsAt(response.body, settings.dataPath).map((r) =>
      flattenRecord(r, settings.flatten),
    );
    await table.addPage(records, page);
    ctx.progress(table.rows);
    ctx.emit('page_fetched', { page, records: records.length, duration_ms: Date.now() - started });
    const next = pagination ? nextCursor(ctx, response.body, pagination, page, cursor) : undefined;
    if (!pagination || next === undefined) return finish(ctx, page, requests);
    if (settings.maxPages > 0 && page >= settings.maxPages) {
      ctx.emit('max_pages_reached', {
        level: 'warning',
        max_pages: settings.maxPages,
        message: `stopped after max_pages (${settings.maxPages}) pages; the server has more`,
      });
      return finish(ctx, page, requests);
    }
    cursor = next;
    variables = { ...variables, [pagination.variable]: next };
  }
}

function finish(ctx: StepContext, pages: number, requests: number): number {
  ctx.metric('pages_fetched', pages, 'pages');
  ctx.metric('requests_made', requests, 'requests');
  return pages;
}

export const driver: Driver = {
  async run(ctx: StepContext): Promise<StepResult> {
    const settings = readSettings(ctx);
    const started = Date.now();
    const table = new PageTable(ctx);
    ctx.emit('extract_started', {
      ...(ctx.connection ? { connection: `@${ctx.connection.family}.${ctx.connection.alias}` } : {}),
      endpoint: settings.shownEndpoint,
      auth_type: settings.authType,
      paginated: settings.pagination !== undefined,
    });
    try {
      await extract(ctx, settings, table);
      await table.finish();
    } catch (error) {
      await ctx.duck.run(`DROP TABLE IF EXISTS ${ctx.outputTable}`).catch(() => undefined);
      throw error;
    }
    ctx.metric('rows_read', table.rows, 'rows');
    ctx.metric('duration_ms', Date.now() - started, 'ms');
    return { rowsRead: table.rows, rowsOut: table.rows, outputs: [settings.shownEndpoint] };
  },
};
