/**
 * Live progress for `osiris run`.
 *
 * - TTY: one live line per running step (`▸ extract-movies  12,345 rows  4,321 rows/s  2.9s`), redrawn in
 *   place with `\r` and ANSI cursor moves, at most ~10 times a second (on progress calls and on a timer for
 *   the elapsed time). Finished steps print one permanent line above the live block.
 * - Not a TTY: plain lines, one per step event:
 *     step extract-movies started (filesystem.csv_extractor)
 *     step extract-movies done: 212 rows in 35 ms
 *     step load failed after 1.2 s: <message>
 *     step publish skipped
 *   plus, for long steps, a heartbeat line at most every `heartbeatMs` (default 10 s):
 *     step extract-movies: 1,250,000 rows so far (250,000 rows/s, 5.0 s)
 * - JSON mode: prints nothing (the command prints one JSON document at the end).
 */
import type { Writable } from 'node:stream';

export type StepOutcome = 'succeeded' | 'failed' | 'skipped';

export interface StepFinishedInfo {
  rowsOut?: number | null;
  durationMs: number;
  status: StepOutcome;
  /** Short error message for failed steps (already redacted). */
  error?: string;
}

export interface RunSummaryInfo {
  status: 'succeeded' | 'failed' | 'cancelled';
  durationMs: number;
  runId?: string;
  stepsTotal?: number;
  stepsSucceeded?: number;
  rowsOut?: number | null;
}

export interface ProgressReporter {
  stepStarted(stepId: string, component: string): void;
  stepProgress(stepId: string, rows: number): void;
  stepFinished(stepId: string, info: StepFinishedInfo): void;
  /**
   * The run ended: clears the live block. The outcome itself is the caller's to print, once (`osiris run`
   * prints `formatRunSummary` last on stdout; chat renders the run).
   */
  runFinished(summary: RunSummaryInfo): void;
  /** A permanent line (printed above the live block on a TTY; nothing in JSON mode). */
  note(line: string): void;
  /** Stops the refresh timer and clears the live block (idempotent; runFinished calls it). */
  dispose(): void;
}

export interface ProgressOptions {
  tty: boolean;
  stream: NodeJS.WriteStream | Writable;
  json?: boolean;
  /** Milliseconds clock (tests). */
  now?: () => number;
  /** Minimum time between TTY redraws (default 100 ms). */
  intervalMs?: number;
  /** Redraw on a timer so elapsed time moves without progress calls (default true on a TTY). */
  autoRefresh?: boolean;
  /** Non-TTY heartbeat interval for a running step (default 10 s; 0 disables). */
  heartbeatMs?: number;
  /** Terminal width (default `stream.columns` or 100). */
  columns?: number;
}

/**
 * `1,234,568`: rounded half away from zero and grouped in thousands, exactly as
 * `Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })` prints it. Written out because creating that
 * formatter costs ~17 ms of ICU start-up, a quarter of Node's own start, in every `osiris run`.
 */
export function formatCount(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  const sign = n < 0 || Object.is(n, -0) ? '-' : '';
  const abs = Math.abs(n);
  if (abs === Number.POSITIVE_INFINITY) return `${sign}∞`;
  // The shortest digits that identify the double, zero-padded past them (1.5e+21 → 15 and 20 zeros).
  const [mantissa = '', exponent = '0'] = String(Math.round(abs)).split('e+');
  const digits = mantissa.replace('.', '').padEnd(Number(exponent) + 1, '0');
  return sign + digits.replace(/\B(?=(\d{3})+$)/g, ',');
}

export function formatRows(n: number): string {
  return `${formatCount(n)} ${n === 1 ? 'row' : 'rows'}`;
}

/** `35 ms`, `1.2 s`, `2m 03s`, `1h 02m`. */
export function formatDuration(ms: number): string {
  const v = Math.max(0, ms);
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(1)} s`;
  const totalSeconds = Math.floor(v / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes}m ${String(totalSeconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

function rate(rows: number, elapsedMs: number): string {
  if (elapsedMs <= 0) return '– rows/s';
  return `${formatCount((rows * 1000) / elapsedMs)} rows/s`;
}

interface Running {
  component: string;
  startedAt: number;
  rows: number;
  lastHeartbeat: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** `step 'load': target is locked` → `target is locked` when printed next to the step's name anyway. */
export function withoutStepPrefix(message: string, stepId: string): string {
  const prefix = `step '${stepId}'`;
  return message.startsWith(prefix) ? message.slice(prefix.length).replace(/^:?\s*/, '') : message;
}

/** `run <id> succeeded in 1.2 s (5/5 steps, 48 rows out)`. */
export function formatRunSummary(s: RunSummaryInfo): string {
  const parts: string[] = [];
  if (s.stepsTotal !== undefined) parts.push(`${s.stepsSucceeded ?? 0}/${s.stepsTotal} steps`);
  if (s.rowsOut !== undefined && s.rowsOut !== null) parts.push(`${formatRows(s.rowsOut)} out`);
  const detail = parts.length ? ` (${parts.join(', ')})` : '';
  return `run ${s.runId ? `${s.runId} ` : ''}${s.status} in ${formatDuration(s.durationMs)}${detail}`;
}

export function createProgressReporter(options: ProgressOptions): ProgressReporter {
  const now = options.now ?? (() => Date.now());
  const stream = options.stream;
  const write = (text: string) => {
    stream.write(text);
  };
  const running = new Map<string, Running>();

  if (options.json) {
    const noop = () => {};
    return {
      stepStarted: noop,
      stepProgress: noop,
      stepFinished: noop,
      runFinished: noop,
      note: noop,
      dispose: noop,
    };
  }

  const finishedLine = (stepId: string, info: StepFinishedInfo): string => {
    if (info.status === 'skipped') return `step ${stepId} skipped`;
    if (info.status === 'failed') {
      const message = info.error === undefined ? undefined : withoutStepPrefix(info.error, stepId);
      return `step ${stepId} failed after ${formatDuration(info.durationMs)}${message ? `: ${message}` : ''}`;
    }
    const rows = info.rowsOut === undefined || info.rowsOut === null ? '' : `${formatRows(info.rowsOut)} `;
    return `step ${stepId} done: ${rows}in ${formatDuration(info.durationMs)}`;
  };

  if (!options.tty) {
    const heartbeatMs = options.heartbeatMs ?? 10_000;
    return {
      stepStarted(stepId, component) {
        const t = now();
        running.set(stepId, { component, startedAt: t, rows: 0, lastHeartbeat: t });
        write(`step ${stepId} started (${component})\n`);
      },
      stepProgress(stepId, rows) {
        const r = running.get(stepId);
        if (!r) return;
        r.rows = rows;
        const t = now();
        if (heartbeatMs > 0 && t - r.lastHeartbeat >= heartbeatMs) {
          r.lastHeartbeat = t;
          const elapsed = t - r.startedAt;
          write(
            `step ${stepId}: ${formatRows(rows)} so far (${rate(rows, elapsed)}, ${formatDuration(elapsed)})\n`,
          );
        }
      },
      stepFinished(stepId, info) {
        running.delete(stepId);
        write(`${finishedLine(stepId, info)}\n`);
      },
      runFinished() {
        running.clear();
      },
      note(line) {
        write(`${line}\n`);
      },
      dispose() {
        running.clear();
      },
    };
  }

  // ---- TTY ----
  const intervalMs = options.intervalMs ?? 100;
  const columns = () => Math.max(20, options.columns ?? (stream as NodeJS.WriteStream).columns ?? 100) - 1;
  let drawnLines = 0;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;

  const clip = (text: string) => {
    const width = columns();
    return text.length > width ? `${text.slice(0, width - 1)}…` : text;
  };

  /** Moves to the start of the live block and clears it. */
  const clearBlock = (): string => {
    if (drawnLines === 0) return '';
    let out = '\r\x1b[2K';
    for (let i = 1; i < drawnLines; i++) out += '\x1b[1A\r\x1b[2K';
    drawnLines = 0;
    return out;
  };

  const liveLines = (): string[] => {
    const t = now();
    const spin = SPINNER[frame % SPINNER.length] as string;
    const ids = [...running.keys()];
    const pad = Math.max(...ids.map((id) => id.length), 0);
    return ids.map((id) => {
      const r = running.get(id) as Running;
      const elapsed = t - r.startedAt;
      return clip(
        `${spin} ${id.padEnd(pad)}  ${formatRows(r.rows)}  ${rate(r.rows, elapsed)}  ${formatDuration(elapsed)}  (${r.component})`,
      );
    });
  };

  const draw = (extraAbove: string[] = []) => {
    frame++;
    let out = clearBlock();
    for (const line of extraAbove) out += `${clip(line)}\n`;
    const lines = liveLines();
    out += lines.join('\n');
    drawnLines = lines.length;
    lastDraw = now();
    if (out) write(out);
  };

  const stopTimer = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const ensureTimer = () => {
    if (timer || options.autoRefresh === false) return;
    timer = setInterval(
      () => {
        if (running.size === 0) stopTimer();
        else draw();
      },
      Math.max(intervalMs, 50),
    );
    timer.unref();
  };

  const dispose = () => {
    stopTimer();
    running.clear();
    const out = clearBlock();
    if (out) write(out);
  };

  return {
    stepStarted(stepId, component) {
      const t = now();
      running.set(stepId, { component, startedAt: t, rows: 0, lastHeartbeat: t });
      draw();
      ensureTimer();
    },
    stepProgress(stepId, rows) {
      const r = running.get(stepId);
      if (!r) return;
      r.rows = rows;
      if (now() - lastDraw >= intervalMs) draw();
    },
    stepFinished(stepId, info) {
      running.delete(stepId);
      const mark = info.status === 'succeeded' ? '✔' : info.status === 'failed' ? '✖' : '–';
      draw([`${mark} ${finishedLine(stepId, info)}`]);
      if (running.size === 0) stopTimer();
    },
    runFinished() {
      dispose();
    },
    note(line) {
      draw([line]);
    },
    dispose,
  };
}
