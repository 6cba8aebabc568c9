/**
 * One emulated E2B sandbox: the envd daemon of a single sandbox, run as its own process with its own temporary
 * folder as the user's home (`/home/user` and relative paths map into it). It serves what the e2b SDK calls:
 * the Connect `process.Process` service (Start/Connect/SendInput/CloseStdin/SendSignal/List), part of
 * `filesystem.Filesystem` (MakeDir/Stat/Remove/ListDir), `GET|POST /files` and `GET /health`. Commands are real
 * child processes in their own process groups, with a scrubbed environment (the sandbox's env vars and the
 * command's, on a PATH that puts the emulator's Node first).
 *
 * Deviation from envd: `/bin/bash -l -c CMD` runs without `-l`, because a login shell's /etc/profile would reset
 * PATH and lose the Node the test runs on (a real template puts node on the profile's PATH).
 *
 * Started by the control plane with its configuration as JSON in argv[2]; prints `{"port":N}` once listening.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import {
  ConnectFailure,
  decodeRequest,
  openStream,
  readBody,
  selectedPid,
  sendUnary,
  sendUnaryError,
} from './connect-json.js';

export interface EnvdFault {
  /** `die`: the whole sandbox process exits; `stall`: output stops flowing but everything stays open. */
  kind: 'die' | 'stall' | 'upload';
  /** For die/stall: trigger once a command's stdout contains this text (anywhere so far). */
  afterStdout?: string;
}

export interface EnvdConfig {
  home: string;
  accessToken: string;
  envVars: Record<string, string>;
  nodeDir: string;
  fault?: EnvdFault;
}

const config = JSON.parse(process.argv[2] ?? '{}') as EnvdConfig;
const SANDBOX_HOME = '/home/user';

interface Proc {
  child: ChildProcess;
  config: Record<string, unknown>;
  subscribers: Set<ReturnType<typeof openStream>>;
  stdoutSeen: string;
}
const procs = new Map<number, Proc>();
let stalled = false;

/** Maps a sandbox path (relative to home, or under /home/user) into the sandbox folder. */
function hostPath(path: string): string {
  const inside = isAbsolute(path) ? relative(SANDBOX_HOME, path) : path;
  const target = resolve(config.home, inside);
  if (inside.startsWith('..') || relative(config.home, target).startsWith('..')) {
    throw new ConnectFailure('invalid_argument', `path '${path}' is outside the emulated sandbox home`);
  }
  return target;
}

function sandboxPath(host: string): string {
  return join(SANDBOX_HOME, relative(config.home, host));
}

function entryInfo(host: string): Record<string, unknown> {
  const st = statSync(host);
  return {
    name: basename(host),
    type: st.isDirectory() ? 'FILE_TYPE_DIRECTORY' : 'FILE_TYPE_FILE',
    path: sandboxPath(host),
    size: String(st.size),
    mode: st.mode & 0o777,
    permissions: '',
    owner: 'user',
    group: 'user',
  };
}

function broadcast(proc: Proc, event: Record<string, unknown>): void {
  if (stalled) return;
  for (const sub of proc.subscribers) sub.send({ event });
}

function checkFault(proc: Proc, chunk: Buffer): void {
  const fault = config.fault;
  if (!fault?.afterStdout || fault.kind === 'upload') return;
  proc.stdoutSeen += chunk.toString('utf8');
  if (!proc.stdoutSeen.includes(fault.afterStdout)) return;
  if (fault.kind === 'stall') stalled = true;
  if (fault.kind === 'die') die();
}

/** The sandbox disappears at once: its commands are killed and every connection drops without a trailer. */
function die(): void {
  for (const pid of procs.keys()) killGroup(pid, 'SIGKILL');
  process.exit(137);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function startProcess(request: Record<string, unknown>, res: ServerResponse, keepaliveSec: number): void {
  const pc = (request.process ?? {}) as {
    cmd?: string;
    args?: string[];
    envs?: Record<string, string>;
    cwd?: string;
  };
  const args = pc.cmd === '/bin/bash' && pc.args?.[0] === '-l' ? pc.args.slice(1) : (pc.args ?? []);
  const child = spawn(pc.cmd ?? '/bin/bash', args, {
    cwd: pc.cwd ? hostPath(pc.cwd) : config.home,
    env: {
      PATH: `${config.nodeDir}:/usr/local/bin:/usr/bin:/bin`,
      HOME: config.home,
      USER: 'user',
      LANG: 'C.UTF-8',
      ...config.envVars,
      ...(pc.envs ?? {}),
    },
    stdio: [request.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new ConnectFailure('internal', `cannot start ${pc.cmd}`);
  const proc: Proc = { child, config: pc, subscribers: new Set(), stdoutSeen: '' };
  procs.set(child.pid, proc);
  subscribe(proc, res, keepaliveSec);
  child.stdout?.on('data', (chunk: Buffer) => {
    broadcast(proc, { data: { stdout: chunk.toString('base64') } });
    checkFault(proc, chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) =>
    broadcast(proc, { data: { stderr: chunk.toString('base64') } }),
  );
  child.stdin?.on('error', () => undefined);
  child.on('close', (code, signal) => {
    const exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
    const status = signal
      ? `signal: ${signal === 'SIGKILL' ? 'killed' : 'terminated'}`
      : `exit status ${exitCode}`;
    broadcast(proc, { end: { exitCode, exited: signal === null, status } });
    if (!stalled) for (const sub of proc.subscribers) sub.end();
    procs.delete(child.pid as number);
  });
}

function subscribe(proc: Proc, res: ServerResponse, keepaliveSec: number): void {
  const stream = openStream(res);
  proc.subscribers.add(stream);
  stream.send({ event: { start: { pid: proc.child.pid } } });
  const timer = setInterval(() => {
    if (!stalled) stream.send({ event: { keepalive: {} } });
  }, keepaliveSec * 1000);
  res.on('close', () => {
    clearInterval(timer);
    proc.subscribers.delete(stream);
  });
}

function processCall(
  method: string,
  request: Record<string, unknown>,
  res: ServerResponse,
  keepalive: number,
) {
  if (method === 'Start') return startProcess(request, res, keepalive);
  if (method === 'List') {
    const processes = [...procs.entries()].map(([pid, p]) => ({ pid, config: p.config }));
    return sendUnary(res, { processes });
  }
  const pid = selectedPid(request);
  const proc = procs.get(pid);
  if (!proc) throw new ConnectFailure('not_found', `process with pid ${pid} not found`);
  if (method === 'Connect') return subscribe(proc, res, keepalive);
  if (method === 'SendInput') {
    const input = (request.input ?? {}) as { stdin?: string };
    if (!proc.child.stdin)
      throw new ConnectFailure('invalid_argument', 'stdin is not enabled for this process');
    proc.child.stdin.write(Buffer.from(input.stdin ?? '', 'base64'));
    return sendUnary(res, {});
  }
  if (method === 'CloseStdin') {
    proc.child.stdin?.end();
    return sendUnary(res, {});
  }
  if (method === 'SendSignal') {
    const sig = request.signal === 'SIGNAL_SIGTERM' || request.signal === 15 ? 'SIGTERM' : 'SIGKILL';
    killGroup(pid, sig);
    return sendUnary(res, {});
  }
  throw new ConnectFailure('unimplemented', `process.Process/${method} is not emulated`);
}

function filesystemCall(method: string, request: Record<string, unknown>, res: ServerResponse) {
  const path = hostPath(String(request.path ?? ''));
  if (method === 'MakeDir') {
    try {
      statSync(path);
      throw new ConnectFailure('already_exists', `directory '${request.path}' already exists`);
    } catch (error) {
      if (error instanceof ConnectFailure) throw error;
    }
    mkdirSync(path, { recursive: true });
    return sendUnary(res, { entry: entryInfo(path) });
  }
  const exists = (() => {
    try {
      statSync(path);
      return true;
    } catch {
      return false;
    }
  })();
  if (!exists) throw new ConnectFailure('not_found', `path '${request.path}' does not exist`);
  if (method === 'Stat') return sendUnary(res, { entry: entryInfo(path) });
  if (method === 'Remove') {
    rmSync(path, { recursive: true, force: true });
    return sendUnary(res, {});
  }
  if (method === 'ListDir') {
    return sendUnary(res, { entries: readdirSync(path).map((name) => entryInfo(join(path, name))) });
  }
  throw new ConnectFailure('unimplemented', `filesystem.Filesystem/${method} is not emulated`);
}

function sendError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code: status, message }));
}

async function uploadFiles(req: IncomingMessage, url: URL, res: ServerResponse): Promise<void> {
  if (config.fault?.kind === 'upload') {
    await readBody(req);
    return sendError(res, 507, 'not enough disk space available');
  }
  const type = req.headers['content-type'] ?? '';
  const written: Array<{ path: string; name: string; type: 'file' }> = [];
  const write = (path: string, data: Buffer) => {
    const host = hostPath(path);
    mkdirSync(dirname(host), { recursive: true });
    writeFileSync(host, data);
    written.push({ path: sandboxPath(host), name: basename(host), type: 'file' });
  };
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(Readable.toWeb(req) as ReadableStream, {
      headers: { 'content-type': type },
    }).formData();
    for (const value of form.getAll('file')) {
      if (typeof value === 'string') continue;
      write(url.searchParams.get('path') ?? value.name, Buffer.from(await value.arrayBuffer()));
    }
  } else {
    write(url.searchParams.get('path') ?? '', await readBody(req));
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(written));
}

async function downloadFile(url: URL, res: ServerResponse): Promise<void> {
  const path = url.searchParams.get('path') ?? '';
  const data = await readFile(hostPath(path)).catch(() => undefined);
  if (!data) return sendError(res, 404, `path '${path}' does not exist`);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
  res.end(data);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sandbox');
  if (url.pathname === '/health') {
    res.writeHead(204);
    return void res.end();
  }
  if (req.headers['x-access-token'] !== config.accessToken) {
    return sendError(res, 401, 'unauthorized access, please provide a valid access token');
  }
  if (url.pathname === '/files') {
    return req.method === 'POST' ? uploadFiles(req, url, res) : downloadFile(url, res);
  }
  const [, service, method] = url.pathname.split('/');
  const streaming = String(req.headers['content-type']).startsWith('application/connect+json');
  const keepalive = Number(req.headers['keepalive-ping-interval'] ?? 50) || 50;
  const request = decodeRequest(await readBody(req), streaming);
  try {
    if (service === 'process.Process') return processCall(method ?? '', request, res, keepalive);
    if (service === 'filesystem.Filesystem') return filesystemCall(method ?? '', request, res);
    throw new ConnectFailure('unimplemented', `${service}/${method} is not emulated`);
  } catch (error) {
    const failure = error instanceof ConnectFailure ? error : new ConnectFailure('internal', String(error));
    if (streaming) return openStream(res).end(failure);
    sendUnaryError(res, failure);
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    if (!res.headersSent) sendError(res, 500, String(error));
    else res.destroy();
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' ? address?.port : 0 })}\n`);
});
process.on('SIGTERM', () => {
  for (const pid of procs.keys()) killGroup(pid, 'SIGKILL');
  process.exit(0);
});
