/**
 * Process-wide safety nets of the CLI: a closed stdout/stderr (`osiris logs list | head -1`) ends output
 * quietly instead of crashing with "Unhandled 'error' event", and an error that escapes every action is one
 * line on stderr, never a stack trace (set OSIRIS_DEBUG=1 for the stack).
 */
import { ExitCode } from '../diagnostics/diagnostic.js';

const CLOSED_CODES = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ECONNRESET']);

function isClosedOutput(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    CLOSED_CODES.has(String((error as { code?: unknown }).code))
  );
}

/**
 * The reader of our output went away. Writes after that are dropped (the stream is destroyed) and the command
 * finishes with its own exit code: a run piped into `head` still completes and records its result.
 */
export function tolerateClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: unknown) => {
      if (isClosedOutput(error)) return;
      reportFatal(error);
    });
  }
}

/** One line for an error no action caught; exit 1. */
export function reportFatal(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  try {
    if (process.env.OSIRIS_DEBUG && error instanceof Error && error.stack)
      process.stderr.write(`${error.stack}\n`);
    process.stderr.write(
      `osiris: internal error: ${message} — this is a bug; set OSIRIS_DEBUG=1 for details and please report it\n`,
    );
  } catch {
    // stderr itself is gone: nothing left to tell
  }
  process.exitCode = ExitCode.runtime;
}

/** Errors thrown outside an action's promise chain (timers, event emitters) end in one line, not a stack. */
export function catchStrayErrors(): void {
  process.on('uncaughtException', (error) => {
    if (isClosedOutput(error)) return;
    reportFatal(error);
    process.exit(ExitCode.runtime);
  });
  process.on('unhandledRejection', (reason) => {
    if (isClosedOutput(reason)) return;
    reportFatal(reason);
    process.exit(ExitCode.runtime);
  });
}
