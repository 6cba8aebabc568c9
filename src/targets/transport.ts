/**
 * The byte-stream connection between the host and one worker. Every target (in-process pipe, child process,
 * E2B sandbox, later a queue) supplies one; the host drives them all the same way (host.ts), so a target
 * only moves lines and never interprets them.
 */

/** How a worker ended, as its transport saw it. */
export interface WorkerExit {
  /** Exit code when the worker exited; null when a signal (or the sandbox) ended it. */
  code: number | null;
  signal: string | null;
  /** The last few KiB of the worker's stderr (redacted by the host before it is shown). */
  stderrTail: string;
}

/** A byte-stream connection to one worker: JSON lines both ways. */
export interface WorkerTransport {
  /** One JSON message (no newline) to the worker's stdin. Rejects when the worker is gone. */
  send(line: string): Promise<void>;
  /** The worker's stdout, one JSON message per line; ends when the worker's stdout closes. */
  readonly lines: AsyncIterable<string>;
  /** Settles once the worker has ended (never rejects). */
  readonly exited: Promise<WorkerExit>;
  /** Stops the worker (the hard end of the cancel path); idempotent. */
  kill(reason: string): Promise<void>;
  /** Releases everything the transport holds (temp folder, sandbox); always called, idempotent. */
  close(): Promise<void>;
  /** Where the worker runs, for the record: `pid 1234`, a sandbox id… */
  readonly workerId?: string;
}

/** Splits a byte stream into lines (UTF-8, `\n`-terminated; a final unterminated line is kept). */
export async function* splitLines(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let rest = '';
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (line.trim()) yield line;
      nl = rest.indexOf('\n');
    }
  }
  rest += decoder.decode();
  if (rest.trim()) yield rest;
}
