/**
 * A local E2B emulator for tests: the control-plane HTTP API the e2b SDK calls (`POST /v2/sandboxes`,
 * `GET|DELETE /sandboxes/{id}`, `POST /sandboxes/{id}/timeout`, `GET /v2/sandboxes`, X-API-KEY auth with E2B's
 * error shape) and a sandbox URL that routes each request by its `E2b-Sandbox-Id` header to that sandbox's
 * own envd process (./envd.ts, one child process and one temporary folder per sandbox, on 127.0.0.1).
 *
 * Point the real SDK at it with `env()` (E2B_API_URL, E2B_SANDBOX_URL, E2B_API_KEY; E2B_DEBUG stays false,
 * since the SDK's debug mode skips the API altogether). Faults are armed per sandbox with `armFault`, which
 * applies to the next sandbox created. Sandboxes' folders are kept after kill (tests inspect them) and
 * removed by `close()`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import ts from 'typescript';
import type { EnvdConfig, EnvdFault } from './envd.js';

export type { EnvdFault } from './envd.js';

export interface EmulatedSandbox {
  id: string;
  templateId: string;
  folder: string;
  envVars: Record<string, string>;
  metadata: Record<string, string>;
  startedAt: Date;
  endAt: Date;
  /** Set once the sandbox was killed (by the API, its timeout, or a `die` fault). */
  killedBy?: 'api' | 'timeout' | 'died';
  process: ChildProcess;
  port: number;
}

export interface E2bEmulatorOptions {
  /** Templates that exist; each prepares a new sandbox's home folder. Default: `base` (empty home). */
  templates?: Record<string, (home: string) => void>;
  /** What the API reports as the templates' resources (E2B sets them when a template is built). */
  cpuCount?: number;
  memoryMB?: number;
}

export interface E2bEmulator {
  apiUrl: string;
  sandboxUrl: string;
  apiKey: string;
  /** The environment that points the e2b SDK at this emulator. */
  env(): Record<string, string>;
  sandboxes: EmulatedSandbox[];
  /** Where new sandboxes' folders go (default: the OS temp folder). */
  folderRoot: string | undefined;
  /** The next sandbox created gets this fault. */
  armFault(fault: EnvdFault): void;
  /** Requests the control plane received (method and path), in order. */
  calls: string[];
  close(): Promise<void>;
}

const ENVD_VERSION = '0.5.7';
let envdEntry: string | undefined;

/** Transpiles the daemon (TypeScript, node built-ins only) once per test process into a temp folder. */
function envdScript(): string {
  if (envdEntry) return envdEntry;
  const out = mkdtempSync(join(tmpdir(), 'osiris-e2b-envd-'));
  for (const name of ['envd', 'connect-json']) {
    const source = readFileSync(join(import.meta.dirname, `${name}.ts`), 'utf8');
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(join(out, `${name}.js`), js);
  }
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  envdEntry = join(out, 'envd.js');
  return envdEntry;
}

/**
 * A gone sandbox keeps its files for tests to inspect, but not the template's links out of it (the test
 * template links the repository's node_modules), so a search of the folder stays inside the sandbox.
 */
function unlinkLinks(dir: string): void {
  if (!existsSync(dir)) return; // the test already removed the sandbox folder
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) unlinkSync(path);
    else if (entry.isDirectory()) unlinkLinks(path);
  }
}

function sendJson(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    return void res.end();
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

export async function startE2bEmulator(options: E2bEmulatorOptions = {}): Promise<E2bEmulator> {
  const apiKey = `e2b_${randomBytes(20).toString('hex')}`;
  const templates = options.templates ?? { base: () => undefined };
  const sandboxes: EmulatedSandbox[] = [];
  const calls: string[] = [];
  const timers = new Map<string, NodeJS.Timeout>();
  const tokens = new Map<string, string>();
  let nextFault: EnvdFault | undefined;

  const live = (id: string) => sandboxes.find((s) => s.id === id && !s.killedBy);

  const kill = (sandbox: EmulatedSandbox, by: 'api' | 'timeout') => {
    sandbox.killedBy = by;
    clearTimeout(timers.get(sandbox.id));
    sandbox.process.kill('SIGTERM');
  };

  const armTimeout = (sandbox: EmulatedSandbox, seconds: number) => {
    clearTimeout(timers.get(sandbox.id));
    sandbox.endAt = new Date(Date.now() + seconds * 1000);
    timers.set(
      sandbox.id,
      setTimeout(() => kill(sandbox, 'timeout'), seconds * 1000),
    );
  };

  const create = async (body: Record<string, unknown>, res: ServerResponse) => {
    const templateId = String(body.templateID ?? 'base');
    const prepare = templates[templateId];
    if (!prepare) return sendJson(res, 404, { code: 404, message: `template '${templateId}' not found` });
    const id = `i${randomBytes(10).toString('hex')}`;
    const folder = mkdtempSync(join(emulator.folderRoot ?? tmpdir(), 'osiris-e2b-sbx-'));
    const home = join(folder, 'home');
    mkdirSync(home);
    prepare(home);
    const accessToken = randomBytes(16).toString('hex');
    const envVars = (body.envVars ?? {}) as Record<string, string>;
    const config: EnvdConfig = {
      home,
      accessToken,
      envVars,
      nodeDir: dirname(process.execPath),
      fault: nextFault,
    };
    nextFault = undefined;
    const child = spawn(process.execPath, [envdScript(), JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const first = await new Promise<string>((resolve) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
    });
    const sandbox: EmulatedSandbox = {
      id,
      templateId,
      folder,
      envVars,
      metadata: (body.metadata ?? {}) as Record<string, string>,
      startedAt: new Date(),
      endAt: new Date(),
      process: child,
      port: (JSON.parse(first) as { port: number }).port,
    };
    child.once('exit', () => {
      unlinkLinks(home);
      sandbox.killedBy ??= 'died';
      clearTimeout(timers.get(id));
    });
    sandboxes.push(sandbox);
    tokens.set(id, accessToken);
    armTimeout(sandbox, Number(body.timeout ?? 300));
    sendJson(res, 201, {
      templateID: templateId,
      sandboxID: id,
      clientID: 'emulator',
      envdVersion: ENVD_VERSION,
      envdAccessToken: accessToken,
    });
  };

  const detail = (s: EmulatedSandbox) => ({
    templateID: s.templateId,
    sandboxID: s.id,
    clientID: 'emulator',
    startedAt: s.startedAt.toISOString(),
    endAt: s.endAt.toISOString(),
    envdVersion: ENVD_VERSION,
    cpuCount: options.cpuCount ?? 2,
    memoryMB: options.memoryMB ?? 512,
    diskSizeMB: 1024,
    state: 'running',
    metadata: s.metadata,
  });

  const api = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://api');
    calls.push(`${req.method} ${url.pathname}`);
    if (req.headers['x-api-key'] !== apiKey) {
      return sendJson(res, 401, {
        code: 401,
        message:
          'Invalid API key, please visit https://e2b.dev/docs?reason=sdk-missing-api-key to get your API key.',
      });
    }
    const route = async () => {
      if (req.method === 'POST' && url.pathname === '/v2/sandboxes') return create(await readJson(req), res);
      if (req.method === 'GET' && url.pathname === '/v2/sandboxes') {
        return sendJson(res, 200, sandboxes.filter((s) => !s.killedBy).map(detail));
      }
      const match = /^\/sandboxes\/([^/]+)(\/timeout)?$/.exec(url.pathname);
      const sandbox = match ? live(match[1] ?? '') : undefined;
      if (!sandbox) return sendJson(res, 404, { code: 404, message: `sandbox "${match?.[1]}" not found` });
      if (req.method === 'DELETE' && !match?.[2]) {
        kill(sandbox, 'api');
        return sendJson(res, 204);
      }
      if (req.method === 'POST' && match?.[2]) {
        armTimeout(sandbox, Number((await readJson(req)).timeout ?? 300));
        return sendJson(res, 204);
      }
      if (req.method === 'GET' && !match?.[2]) return sendJson(res, 200, detail(sandbox));
      sendJson(res, 405, { code: 405, message: 'method not allowed' });
    };
    route().catch((error: unknown) => sendJson(res, 500, { code: 500, message: String(error) }));
  });

  // The sandbox proxy: a sandbox that is gone answers 502, as E2B's does.
  const router = createServer((req, res) => {
    const id = String(req.headers['e2b-sandbox-id'] ?? '');
    const sandbox = live(id);
    if (!sandbox)
      return sendJson(res, 502, { sandboxId: id, message: 'The sandbox was not found', code: 502 });
    const upstream = request(
      { host: '127.0.0.1', port: sandbox.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        res.flushHeaders();
        up.pipe(res);
        up.on('error', () => res.destroy());
        up.on('aborted', () => res.destroy());
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });

  const apiUrl = await listen(api);
  const sandboxUrl = await listen(router);
  const emulator: E2bEmulator = {
    folderRoot: undefined,
    apiUrl,
    sandboxUrl,
    apiKey,
    sandboxes,
    calls,
    env: () => ({
      E2B_API_URL: apiUrl,
      E2B_SANDBOX_URL: sandboxUrl,
      E2B_API_KEY: apiKey,
      E2B_DEBUG: 'false',
    }),
    armFault: (fault) => {
      nextFault = fault;
    },
    async close() {
      for (const s of sandboxes) {
        clearTimeout(timers.get(s.id));
        s.process.kill('SIGKILL');
      }
      api.closeAllConnections();
      router.closeAllConnections();
      await Promise.all([new Promise((r) => api.close(r)), new Promise((r) => router.close(r))]);
      for (const s of sandboxes) rmSync(s.folder, { recursive: true, force: true });
    },
  };
  return emulator;
}
