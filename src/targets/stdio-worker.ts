/** `osiris worker` over stdin/stdout: stdout carries protocol lines only, so stray console output goes to stderr. */
import { VERSION } from '../cli/version.js';
import { splitLines } from './transport.js';
import { serveWorker } from './worker.js';

export async function runWorkerStdio(): Promise<number> {
  const out = process.stdout;
  console.log = console.error;
  console.info = console.error;
  // A signal to the worker itself (its own group, a sandbox stop) is a cancel; the host hears the outcome.
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => stop.abort(sig));
  const write = (line: string) =>
    new Promise<void>((resolve, reject) => {
      out.write(`${line}\n`, (error) => (error ? reject(error) : resolve()));
    });
  const code = await serveWorker({
    lines: splitLines(process.stdin),
    write,
    root: process.cwd(),
    workerId: process.env.E2B_SANDBOX_ID ?? `pid ${process.pid}`,
    version: VERSION,
    signal: stop.signal,
  });
  process.stdin.destroy();
  return code;
}
