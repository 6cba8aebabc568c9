/**
 * A small PostgREST (Supabase REST API) client for writing rows: `POST /rest/v1/<table>` with a JSON array
 * body, `Prefer: return=minimal` (plus `resolution=merge-duplicates` and `on_conflict` for upserts), retried
 * with exponential backoff and jitter on 429, 5xx, timeouts and network errors (honouring `Retry-After`).
 *
 * The API key travels only in the `apikey` and `Authorization: Bearer` headers; no message, event or error
 * produced here contains a header, and any text that would contain the key is masked.
 */
import type { JsonValue } from '../../yaml/json.js';

export interface RestSettings {
  /** `@supabase.alias`, for messages. */
  label: string;
  /** Project URL without trailing slash, e.g. `https://abc.supabase.co`. */
  url: string;
  /** service_role_key, else key. Secret. */
  key: string;
  schema: string;
}

/** Reads url + key from a Supabase connection's fields; undefined when they are not both there. */
export function restSettings(
  fields: Record<string, JsonValue>,
  label: string,
  schema: string | undefined,
): RestSettings | undefined {
  const projectId = typeof fields.project_id === 'string' ? fields.project_id.trim() : '';
  // The Python Osiris derived the URL from the project id when there was none.
  const written = typeof fields.url === 'string' ? fields.url.trim().replace(/\/+$/, '') : '';
  const url = written || (projectId ? `https://${projectId}.supabase.co` : '');
  const pick = (k: string) =>
    typeof fields[k] === 'string' && fields[k] !== '' ? (fields[k] as string) : undefined;
  const key = pick('service_role_key') ?? pick('key') ?? pick('anon_key');
  if (!/^https?:\/\//i.test(url) || !key) return undefined;
  const s = schema ?? (typeof fields.schema === 'string' && fields.schema !== '' ? fields.schema : 'public');
  return { label, url, key, schema: s };
}

export type RestFailureKind =
  | 'auth_failed'
  | 'missing_table'
  | 'missing_column'
  | 'conflict'
  | 'bad_value'
  | 'too_large'
  | 'unreachable'
  | 'timeout'
  | 'server'
  | 'rate_limited'
  | 'other';

export class RestError extends Error {
  constructor(
    message: string,
    readonly kind: RestFailureKind,
    readonly status: number | undefined,
    /** PostgREST / Postgres error code from the body, e.g. `23505`, `PGRST205`. */
    readonly apiCode: string | undefined,
    readonly attempts: number,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
  /** First backoff delay; doubles each retry (with 0.5–1.5× jitter), capped at `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface RetryNotice {
  attempt: number;
  status: number | null;
  reason: string;
  delayMs: number;
}

function mask(text: string, key: string): string {
  return key ? text.split(key).join('***') : text;
}

function kindOf(status: number, code: string | undefined): RestFailureKind {
  if (status === 401 || status === 403) return 'auth_failed';
  if (code === 'PGRST205' || code === '42P01' || (status === 404 && !code)) return 'missing_table';
  if (code === 'PGRST204' || code === '42703') return 'missing_column';
  if (status === 409 || code === '23505') return 'conflict';
  if (status === 413) return 'too_large';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server';
  if (code?.startsWith('22') || code?.startsWith('23')) return 'bad_value';
  return 'other';
}

function retryable(kind: RestFailureKind, status: number | undefined): boolean {
  return (
    kind === 'rate_limited' ||
    kind === 'server' ||
    kind === 'timeout' ||
    kind === 'unreachable' ||
    status === 408
  );
}

/** Seconds or an HTTP date → milliseconds (capped at a minute). */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 60_000) : undefined;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new Error('cancelled'));
      },
      { once: true },
    );
  });

/** A PostgREST column list / on_conflict entry: names with special characters are double-quoted. */
export function restColumn(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

export class PostgrestClient {
  constructor(
    readonly settings: RestSettings,
    readonly policy: RetryPolicy,
  ) {}

  private headers(extra: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = {
      apikey: this.settings.key,
      Authorization: `Bearer ${this.settings.key}`,
      Accept: 'application/json',
      ...extra,
    };
    if (this.settings.schema !== 'public') {
      h['Accept-Profile'] = this.settings.schema;
      h['Content-Profile'] = this.settings.schema;
    }
    return h;
  }

  /** `https://…/rest/v1/<table>` (what messages show; never with credentials). */
  tableUrl(table: string): string {
    return `${this.settings.url}/rest/v1/${encodeURIComponent(table)}`;
  }

  /**
   * POSTs one batch (a JSON array text). Upserts add `on_conflict` and merge-duplicates. Retries per policy;
   * throws RestError when the batch finally fails.
   */
  async insert(
    table: string,
    body: string,
    options: {
      columns: string[];
      onConflict?: string[];
      signal?: AbortSignal;
      onRetry?: (n: RetryNotice) => void;
    },
  ): Promise<void> {
    const params = new URLSearchParams();
    params.set('columns', options.columns.map(restColumn).join(','));
    const prefer = ['return=minimal'];
    if (options.onConflict) {
      params.set('on_conflict', options.onConflict.map(restColumn).join(','));
      prefer.unshift('resolution=merge-duplicates');
    }
    await this.request(`${this.tableUrl(table)}?${params.toString()}`, table, {
      method: 'POST',
      headers: this.headers({ 'Content-Type': 'application/json', Prefer: prefer.join(',') }),
      body,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    });
  }

  /** GET of the API root (the OpenAPI description): checks reachability and the key. */
  async probe(signal?: AbortSignal): Promise<number> {
    const res = await this.request(`${this.settings.url}/rest/v1/`, undefined, {
      method: 'GET',
      headers: this.headers({}),
      ...(signal ? { signal } : {}),
      noRetry: true,
    });
    return res;
  }

  private async request(
    url: string,
    table: string | undefined,
    init: {
      method: string;
      headers: Record<string, string>;
      body?: string;
      signal?: AbortSignal;
      onRetry?: (n: RetryNotice) => void;
      noRetry?: boolean;
    },
  ): Promise<number> {
    const { retries, timeoutMs } = this.policy;
    const base = this.policy.baseDelayMs ?? 500;
    const cap = this.policy.maxDelayMs ?? 10_000;
    const where = table ? `${this.settings.url}/rest/v1/${table}` : `${this.settings.url}/rest/v1/`;
    let attempt = 0;
    for (;;) {
      attempt++;
      let failure: RestError;
      let waitHint: number | undefined;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
      try {
        const res = await fetch(url, {
          method: init.method,
          headers: init.headers,
          ...(init.body !== undefined ? { body: init.body } : {}),
          signal,
        });
        if (res.ok) {
          await res.arrayBuffer().catch(() => undefined);
          return res.status;
        }
        const text = await res.text().catch(() => '');
        let code: string | undefined;
        let detail = text.slice(0, 300);
        try {
          const json = JSON.parse(text) as Record<string, unknown>;
          code = typeof json.code === 'string' ? json.code : undefined;
          const parts = [json.message, json.details, json.hint].filter(
            (p): p is string => typeof p === 'string' && p !== '',
          );
          if (parts.length) detail = parts.join('; ');
        } catch {
          // not JSON: keep the text
        }
        const kind = kindOf(res.status, code);
        failure = new RestError(
          mask(
            `HTTP ${res.status} from ${where}${code ? ` (${code})` : ''}: ${detail || res.statusText}`,
            this.settings.key,
          ),
          kind,
          res.status,
          code,
          attempt,
        );
        waitHint = retryAfterMs(res.headers.get('retry-after'));
      } catch (error) {
        if (init.signal?.aborted) throw new RestError('cancelled', 'other', undefined, undefined, attempt);
        const timedOut = timeout.aborted;
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const reason = timedOut
          ? `no answer within ${timeoutMs} ms`
          : `${cause?.code ?? 'network error'}${cause?.message ? ` (${cause.message})` : ''}`;
        failure = new RestError(
          mask(`request to ${where} failed: ${reason}`, this.settings.key),
          timedOut ? 'timeout' : 'unreachable',
          undefined,
          undefined,
          attempt,
        );
      }
      if (init.noRetry || attempt > retries || !retryable(failure.kind, failure.status)) throw failure;
      const backoff = Math.min(cap, base * 2 ** (attempt - 1)) * (0.5 + Math.random());
      const delayMs = Math.round(Math.max(backoff, waitHint ?? 0));
      init.onRetry?.({ attempt, status: failure.status ?? null, reason: failure.message, delayMs });
      await sleep(delayMs, init.signal);
    }
  }
}
